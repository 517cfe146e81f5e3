"""Apply each datastream's retention: keep raw observations ``retention_days``, aggregates for
ever.

For a stream with ``retention_days``, the cutoff is :func:`.aggregates.retention_cutoff`
(the start of the UTC day ``retention_days`` before now). In ONE transaction per stream, a
numeric stream is first rolled up (:func:`.aggregates.rollup`: its watermark moves to the
current hour, past the cutoff, so the Aggregate table holds every hour and day before it),
then its raw observations before the cutoff are deleted. Readers'
:func:`.aggregates.series` takes those buckets from the table, so a long period reads the
same before and after.

A write takes no row older than the cutoff, nor one for a day already emptied
(:mod:`.writing` skips and reports them): with its raw row gone, an observation sent again
could not be told apart from one already counted. An observation stored past the write path
(by hand, in the database) is settled here before its raw row goes, by its day's count
(``_settle``): merged into an emptied day's buckets, counts, sums, minimum and maximum
combined. Text
and JSON streams have no aggregates: their raw observations before the cutoff are simply
deleted.

The worker's schedule (:mod:`.schedule`) runs :func:`apply_retention`;
``manage.py apply_retention`` runs it by hand or from cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from . import aggregates
from .models import Aggregate, Datastream, Observation


@dataclass
class Retained:
    streams: int = 0
    deleted: int = 0
    buckets: int = 0

    def __str__(self) -> str:
        return (f"{self.deleted:,} raw observation(s) deleted from {self.streams} "
                f"datastream(s); {self.buckets:,} hourly and daily aggregate(s) stored")


def apply_retention(now: datetime | None = None) -> Retained:
    """Apply every datastream's retention (see the module's note)."""
    now = now or timezone.now()
    done = Retained()
    for stream in Datastream.objects.filter(retention_days__gt=0):
        deleted, buckets = retain(stream, now)
        done.streams += bool(deleted)
        done.deleted += deleted
        done.buckets += buckets
    return done


def retain(stream: Datastream, now: datetime | None = None) -> tuple[int, int]:
    """Roll ``stream`` up past its cutoff and delete its raw observations before it; (raw
    observations deleted, aggregate buckets stored or merged). All or nothing."""
    cutoff = aggregates.retention_cutoff(stream, now)
    if cutoff is None:
        return 0, 0
    old = Observation.objects.filter(datastream=stream, time__lt=cutoff)
    with transaction.atomic():
        buckets = aggregates.rollup(stream, now)  # its watermark is now past the cutoff
        oldest = old.aggregate(first=Min("time"))["first"]
        if oldest is None:
            return 0, buckets
        if stream.value_type == Datastream.ValueType.NUMBER:
            buckets += _settle(stream, aggregates.floor(oldest, aggregates.DAY), cutoff)
        deleted, _ = old.delete()
    return deleted, buckets


def _settle(stream: Datastream, start: datetime, cutoff: datetime) -> int:
    """Make sure every raw observation about to go is counted in its buckets. Those written
    through :mod:`.writing` are already (the rollup invariant); one stored some other way
    is found by its day's count: a day holding more raw observations than its stored bucket
    counts (or none) is recomputed from raw; a day whose bucket counts more than its raw
    observations is one retention emptied before, and its raw ones are merged into it."""
    kept = dict(Aggregate.objects.filter(
        datastream=stream, period=aggregates.DAY, start__gte=start, start__lt=cutoff)
        .values_list("start", "count"))
    buckets = 0
    for day in aggregates.compute(stream, aggregates.DAY, start, cutoff):
        stored = kept.get(day.start, 0)
        if stored == day.count:
            continue
        if stored > day.count:
            buckets += aggregates.absorb(stream, day.start)
            continue
        for period in aggregates.PERIODS:
            buckets += aggregates.store_aggregates(stream, period, day.start,
                                                   day.start + timedelta(days=1))
    return buckets
