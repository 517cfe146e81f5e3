"""Apply each datastream's retention: keep raw observations ``retention_days``, aggregates for
ever.

For a stream with ``retention_days``, the cutoff is :func:`.aggregates.retention_cutoff`
(the start of the UTC day ``retention_days`` before now). In ONE transaction per stream,
the hourly and daily aggregates of the raw observations before the cutoff are stored
(:func:`.aggregates.store_aggregates`, whole UTC hours and days from the oldest one), then
those raw observations are deleted. Readers' :func:`.aggregates.series` takes buckets before
the cutoff from the stored aggregates, so a long period reads the same means before and
after.

A bucket already stored by an earlier run (its raw observations gone) that receives late
observations (a back-fill older than the cutoff) is merged: counts, sums, minimum and maximum
combined, never replaced by the late few alone. Text and JSON streams have no aggregates:
their raw observations before the cutoff are simply deleted.

The worker's schedule (:mod:`.schedule`) runs :func:`apply_retention`;
``manage.py apply_retention`` runs it by hand or from cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
    """Store ``stream``'s aggregates before its cutoff and delete those raw observations;
    (raw observations deleted, aggregate buckets stored or merged). All or nothing."""
    cutoff = aggregates.retention_cutoff(stream, now)
    if cutoff is None:
        return 0, 0
    old = Observation.objects.filter(datastream=stream, time__lt=cutoff)
    with transaction.atomic():
        oldest = old.aggregate(first=Min("time"))["first"]
        if oldest is None:
            return 0, 0
        buckets = 0
        if stream.value_type == Datastream.ValueType.NUMBER:
            for period in aggregates.PERIODS:
                buckets += _store(stream, period, oldest, cutoff)
        deleted, _ = old.delete()
    return deleted, buckets


def _store(stream: Datastream, period: str, oldest: datetime, cutoff: datetime) -> int:
    start = aggregates.floor(oldest, period)
    kept = Aggregate.objects.filter(datastream=stream, period=period, start__gte=start,
                                    start__lt=cutoff)
    if not kept.exists():
        return aggregates.store_aggregates(stream, period, start, cutoff)
    # Late observations for buckets whose raw observations are already gone: combine.
    earlier = {a.start: a for a in kept}
    new, changed = [], []
    for s in aggregates.compute(stream, period, start, cutoff):
        stored = earlier.get(s.start)
        if stored is None:
            new.append(Aggregate(datastream=stream, period=period, start=s.start,
                                 count=s.count, total=s.total, minimum=s.minimum,
                                 maximum=s.maximum))
            continue
        stored.count += s.count
        stored.total += s.total
        stored.minimum = min(stored.minimum, s.minimum)
        stored.maximum = max(stored.maximum, s.maximum)
        changed.append(stored)
    Aggregate.objects.bulk_create(new, batch_size=1000)
    Aggregate.objects.bulk_update(changed, ["count", "total", "minimum", "maximum"],
                                  batch_size=1000)
    return len(new) + len(changed)
