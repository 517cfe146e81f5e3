"""Replay the data folder's recorded sensor data into feeds, through ``writing`` (the path
every push takes).

Each pair of manifest resources with roles "sensor-sites" and "sensor-observations" that
share a name stem (``feed-leeds-footfall-2015-16-sensors`` / ``-observations``) is one
recorded feed: its slug is the stem without ``feed-``, its things the sites (one datastream
"value" each; an observation file's extra text columns, such as Bath's ``status``, become
text datastreams of the same name). ``backfill`` writes every recorded observation at its
own time (idempotent: a second run adds nothing); ``live`` plays the recording forward from
now, ``speedup`` times faster than it was recorded, so maps and charts move.
"""

from __future__ import annotations

import csv
import logging
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.db import OperationalError, transaction
from django.utils import timezone

from commonground.geography.manifest import Manifest, Resource, load_manifest

from . import catalogue_entry, editing, writing
from .models import Datastream, Feed

log = logging.getLogger(__name__)

#: Observations per call of write_observations.
BATCH = 5000
VALUE_COLUMNS = ("sensor_id", "timestamp", "value")


@dataclass(frozen=True)
class Recorded:
    slug: str
    sites: Resource
    observations: Resource
    sites_path: Path
    observations_path: Path

    @property
    def title(self) -> str:
        return self.sites.title.split(":")[0].strip() or self.slug

    def extra_columns(self) -> list[str]:
        """Text columns of the observations beyond sensor_id, timestamp and value."""
        with self.observations_path.open(encoding="utf-8", newline="") as f:
            header = next(csv.reader(f), [])
        return [c for c in header if c not in VALUE_COLUMNS]


def recorded_feeds(data_dir=None, manifest: Manifest | None = None) -> list[Recorded]:
    if manifest is None:
        from django.conf import settings

        manifest = load_manifest(data_dir or settings.COMMONGROUND_DATA)
    observations = {r.name.rsplit("-", 1)[0]: r for r in manifest.by_role("sensor-observations")}
    found = []
    for sites in manifest.by_role("sensor-sites"):
        stem = sites.name.rsplit("-", 1)[0]
        if stem in observations:
            found.append(Recorded(slug=stem.removeprefix("feed-"), sites=sites,
                                  observations=observations[stem],
                                  sites_path=manifest.path_of(sites),
                                  observations_path=manifest.path_of(observations[stem])))
    return found


def ensure_feed(recorded: Recorded, owner) -> Feed:
    """The recorded feed, published and public, with its things and datastreams (made once)."""
    with transaction.atomic():
        feed = Feed.objects.filter(slug=recorded.slug).first()
        if feed is None:
            licence = recorded.observations.licence or recorded.sites.licence
            feed = Feed.objects.create(
                organisation=owner, slug=recorded.slug, title=recorded.title,
                description=recorded.sites.description, state=Feed.State.PUBLISHED,
                licence=licence.name if licence else "",
                source=recorded.observations.source_text[:1000])
        sites = editing.read_sites_csv(recorded.sites_path.read_bytes())
        editing.add_things(feed, sites)
        for column in recorded.extra_columns():
            for thing in feed.things.exclude(datastreams__key=column):
                Datastream.objects.create(thing=thing, key=column, name=f"{thing.name}: {column}",
                                          observed_property=column,
                                          value_type=Datastream.ValueType.TEXT)
        catalogue_entry.sync(feed)  # the recording is a dataset of the catalogue too
    return feed


def recorded_rows(recorded: Recorded) -> Iterator[tuple[str, str, str, str]]:
    """(thing, datastream, time, value) of every recorded observation, in file order."""
    extra = recorded.extra_columns()
    with recorded.observations_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            yield row["sensor_id"], editing.DEFAULT_STREAM, row["timestamp"], row["value"]
            for column in extra:
                if row.get(column):
                    yield row["sensor_id"], column, row["timestamp"], row[column]


def _batches(rows, size: int):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def backfill(feed: Feed, recorded: Recorded, *, batch: int = BATCH,
             progress: Callable[[writing.WriteResult], None] | None = None
             ) -> writing.WriteResult:
    """Write every recorded observation at its own time; the totals of all batches."""
    total = writing.WriteResult()
    for rows in _batches(recorded_rows(recorded), batch):
        result = writing.write_observations(feed, rows)
        total.added += result.added
        total.unchanged += result.unchanged
        if progress:
            progress(total)
    return total


def live(feeds: list[tuple[Feed, Recorded]], *, speedup: float, duration: float | None = None,
         tick: float = 1.0, now: Callable[[], datetime] = timezone.now,
         sleep: Callable[[float], None] = clock.sleep) -> int:
    """Play the recordings forward from now: a reading recorded ``d`` after the recording's
    start is written, stamped ``start + d / speedup``, once that time comes. Runs for
    ``duration`` seconds (None: until the recordings end). Returns observations written."""
    start = now()
    plays = []
    for feed, recorded in feeds:
        rows = sorted(((datetime.fromisoformat(r[2]), r) for r in recorded_rows(recorded)),
                      key=lambda pair: pair[0])
        if rows:
            plays.append([feed, rows, 0, rows[0][0]])
    written = 0
    while plays:
        elapsed = (now() - start).total_seconds()
        for play in plays:
            feed, rows, i, first = play
            due = []
            while i < len(rows) and (rows[i][0] - first).total_seconds() / speedup <= elapsed:
                moment, (thing, stream, _, value) = rows[i]
                due.append((thing, stream, stamp(moment, first, start, speedup), value))
                i += 1
            try:
                for chunk in _batches(due, BATCH):
                    written += writing.write_observations(feed, chunk).added
            except OperationalError as busy:  # e.g. SQLite's lock held past its timeout
                log.warning("replay of %s: %s; trying again at the next tick", feed.slug, busy)
                continue  # these readings stay due (a chunk written already is unchanged)
            play[2] = i
        plays = [p for p in plays if p[2] < len(p[1])]
        if duration is not None and elapsed >= duration:
            break
        if plays:
            sleep(tick)
    return written


def stamp(moment: datetime, first: datetime, start: datetime, speedup: float) -> datetime:
    """When a reading recorded at ``moment`` is played: as long after ``start`` as it came
    after the recording's ``first`` reading, divided by ``speedup``."""
    return start + timedelta(seconds=(moment - first).total_seconds() / speedup)
