"""Write observations to a feed: every path in (the push API's JSON and CSV, the replayer,
pulled feeds) comes through ``write_observations``.

A batch is all or nothing: every row is checked first, and one bad row writes nothing and
says which rows and fields are wrong. Writing is idempotent on (datastream, time): the
same value again is left unchanged; a different value is an error unless ``replace=True``.
Rows may come in any order (back-fill, late devices). Times must carry a zone and may not
be in the future beyond ``CLOCK_SKEW``; they are stored in UTC. Numeric streams take
numbers (or text that reads as one: CSV); text streams take text; JSON streams (events)
take any JSON value.

A stream with a retention no longer takes rows for instants whose raw observations it does
not keep: before its retention cutoff (:func:`.aggregates.retention_cutoff`), or, for a
numeric stream, in a day retention has already emptied (its retention was lengthened since):
with the raw row gone, such a row cannot be told apart from one already counted in the
day's aggregates. Such rows are skipped and reported (``skipped``, ``skipped_rows``), so a
pull or batch that overlaps the retained-away days writes its other rows; a batch of
nothing but such rows is refused (each row named, field ``time``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from . import aggregates
from .models import Datastream, Feed, Observation

#: How far ahead of the server's clock a device's clock may run (seconds: 5 minutes).
CLOCK_SKEW = timedelta(minutes=5)
#: Rows per executemany (and per bulk_update batch).
CHUNK = 2000
#: Datastreams whose stored rows one query reads (existing-row check).
STREAMS_PER_QUERY = 500
#: Problems listed in an error (all are counted).
MAX_PROBLEMS = 100
FIELDS = ("thing", "datastream", "time", "value")


@dataclass(frozen=True)
class Problem:
    index: int  # the row's position in the batch, from 0
    field: str  # thing, datastream, time or value
    message: str

    def __str__(self) -> str:
        return f"observation {self.index}, {self.field}: {self.message}"

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "message": self.message}


class WriteError(Exception):
    """Nothing was written: ``problems`` (the first MAX_PROBLEMS) say which rows and why."""

    def __init__(self, problems: list[Problem], total: int | None = None):
        self.problems = problems[:MAX_PROBLEMS]
        self.total = total if total is not None else len(problems)
        more = f" (and {self.total - len(self.problems)} more)" if self.total > len(
            self.problems) else ""
        super().__init__("; ".join(str(p) for p in self.problems[:5]) + more)


@dataclass
class WriteResult:
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    skipped: int = 0  # older than the stream's retention (see the module's note)
    skipped_rows: list[Problem] = field(default_factory=list)  # the first MAX_PROBLEMS
    streams: set = field(default_factory=set)  # ids of the datastreams written to

    @property
    def received(self) -> int:
        return self.added + self.unchanged + self.replaced + self.skipped

    def as_dict(self) -> dict:
        """``skipped`` and ``skipped_rows`` only when a row was skipped."""
        found = {"received": self.received, "added": self.added,
                 "unchanged": self.unchanged, "replaced": self.replaced}
        if self.skipped:
            found["skipped"] = self.skipped
            found["skipped_rows"] = [p.as_dict() for p in self.skipped_rows]
        return found


def parse_time(value, now: datetime) -> datetime:
    """A zoned instant in UTC from a datetime or ISO 8601 text; ValueError says why not."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise ValueError("is missing")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text[:40]!r} is not an ISO 8601 time "
                             "(e.g. 2024-05-01T12:00:00Z)") from None
    elif not isinstance(value, datetime):
        raise ValueError("is missing" if value is None else
                         f"must be an ISO 8601 time, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value.isoformat()} has no time zone: add Z or an offset "
                         "such as +01:00")
    value = value.astimezone(UTC)
    if value > now + CLOCK_SKEW:
        raise ValueError(f"{value:%Y-%m-%dT%H:%M:%SZ} is in the future (the server's time "
                         f"is {now:%Y-%m-%dT%H:%M:%SZ})")
    return value


def parse_value(value, value_type: str) -> tuple[float | None, str]:
    """(number, text) to store for a value of a stream of ``value_type``."""
    if value_type == Datastream.ValueType.NUMBER:
        if isinstance(value, bool) or value is None or (isinstance(value, str)
                                                         and not value.strip()):
            raise ValueError("is missing" if value in (None, "") else
                             f"must be a number, not {value!r}")
        if isinstance(value, (int, float)):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"must be a number, not {value[:40]!r}") from None
        else:
            raise ValueError(f"must be a number, not {type(value).__name__}")
        if not math.isfinite(number):
            raise ValueError(f"must be a finite number, not {value!r}")
        return number, ""
    if value_type == Datastream.ValueType.JSON:
        return None, json.dumps(value, ensure_ascii=False, sort_keys=True)
    if value is None:
        raise ValueError("is missing")
    if "\x00" in str(value):
        raise ValueError("contains a NUL character")
    return None, str(value)


def _streams(feed: Feed) -> dict[tuple[str, str], Datastream]:
    # unordered: the model's ordering (feed title, thing and stream names) joined the feed
    # and walked every thing of the hub on PostgreSQL
    return {(s.thing.key, s.key): s for s in
            Datastream.objects.filter(thing__feed=feed).select_related("thing").order_by()}


def _unwritable(feed: Feed, things: set, index: int, thing, stream_key,
                stream: Datastream | None) -> Problem | None:
    """Why row ``index`` names no stream to write to: an unknown thing or datastream, or a
    retired thing (its history is kept; it takes no new observations)."""
    if stream is None and str(thing) not in things:
        return Problem(index, "thing", f"feed {feed.slug!r} has no thing {str(thing)[:100]!r}")
    if stream is None:
        return Problem(index, "datastream", f"thing {str(thing)[:100]!r} has no datastream "
                                            f"{str(stream_key)[:100]!r}")
    if stream.thing.retired is not None:
        return Problem(index, "thing", f"thing {stream.thing.key[:100]!r} was retired on "
                                       f"{stream.thing.retired:%Y-%m-%d} and takes no new "
                                       "observations (its history is kept)")
    return None


def write_observations(feed: Feed, rows: Iterable[Sequence], *, replace: bool = False,
                       now: datetime | None = None) -> WriteResult:
    """Check every row of (thing key, datastream key, time, value), then write them all in
    one transaction, or raise WriteError and write nothing."""
    now = now or timezone.now()
    streams = _streams(feed)
    things = {thing for thing, _ in streams}
    problems: list[Problem] = []
    repeats: Counter = Counter()
    checked: dict[tuple[int, datetime], tuple[int, float | None, str]] = {}
    for index, row in enumerate(rows):
        if len(row) != 4:
            problems.append(Problem(index, "observation", "needs thing, datastream, time "
                                                          f"and value; got {len(row)} fields"))
            continue
        thing, stream_key, time, value = row
        stream = streams.get((str(thing), str(stream_key)))
        unknown = _unwritable(feed, things, index, thing, stream_key, stream)
        if unknown is not None:
            problems.append(unknown)
            if stream is not None:
                continue  # a retired thing's
        try:
            moment = parse_time(time, now)
        except ValueError as exc:
            problems.append(Problem(index, "time", str(exc)))
            moment = None
        if stream is None:
            continue  # its value's type is unknown
        try:
            number, text = parse_value(value, stream.value_type)
        except ValueError as exc:
            problems.append(Problem(index, "value", str(exc)))
            continue
        if moment is None:
            continue
        earlier = checked.get((stream.pk, moment))
        if earlier is not None and (earlier[1], earlier[2]) != (number, text):
            problems.append(Problem(index, "value", f"observation {earlier[0]} of this batch "
                                    f"gives {stream.key!r} of {thing!r} at "
                                    f"{moment:%Y-%m-%dT%H:%M:%SZ} a different value"))
            continue
        if earlier is None:
            checked[(stream.pk, moment)] = (index, number, text)
        else:
            repeats[(stream.pk, moment)] += 1  # the same observation twice in one batch
    if problems:
        raise WriteError(problems)
    return _store(checked, repeats, {s.pk: s for s in streams.values()}, now,
                  replace=replace)


def _existing(keys: Iterable[tuple[int, datetime]]) -> dict[tuple[int, datetime], tuple]:
    """Stored (number, text) and id of the (stream, time) pairs (and maybe of a few more).
    On PostgreSQL each query reads exactly its pairs (``_pg_stored``).

    Streams written over the same time span are read with one query (a supplier's batch,
    every sensor at the same instants, is one query, not one per stream); a stream with a
    span of its own (a back-fill) gets its own, so no query reads far outside what was sent.
    """
    spans: dict[int, list[datetime]] = {}
    for stream_id, moment in keys:
        spans.setdefault(stream_id, []).append(moment)
    groups: dict[tuple[datetime, datetime], list[int]] = {}
    for stream_id, moments in spans.items():
        groups.setdefault((min(moments), max(moments)), []).append(stream_id)
    found = {}
    for (low, high), stream_ids in groups.items():
        for first in range(0, len(stream_ids), STREAMS_PER_QUERY):
            some = stream_ids[first:first + STREAMS_PER_QUERY]
            if connection.vendor == "postgresql":
                stored = _pg_stored([(stream_id, moment) for stream_id in some
                                     for moment in spans[stream_id]])
            else:
                stored = Observation.objects.filter(
                    datastream_id__in=some, time__gte=low, time__lte=high)
                moments = {moment for stream_id in some for moment in spans[stream_id]}
                if len(moments) <= 500:
                    stored = stored.filter(time__in=moments)
                stored = stored.values_list("pk", "datastream_id", "time", "number", "text")
            for pk, stream_id, moment, number, text in stored:
                found[(stream_id, moment.astimezone(UTC))] = (pk, number, text)
    return found


def _pg_stored(pairs: list[tuple[int, datetime]]) -> list[tuple]:
    """The stored rows (id, stream, time, number, text) of exactly these (stream, time)
    pairs, on PostgreSQL: each pair looked up in the (datastream, time) index. The ORM's
    ``datastream IN (...) AND time IN (...)`` was planned, with a push's streams new to the
    table's statistics, as a scan of the streams' every row (15 ms a batch of 1,000 once
    they held 41,000, and growing with their history)."""
    table = connection.ops.quote_name(Observation._meta.db_table)
    sql = (f"SELECT o.id, o.datastream_id, o.time, o.number, o.text FROM unnest("  # noqa: S608
           f"%s::bigint[], %s::timestamptz[]) AS k(s, t) JOIN {table} o "
           "ON o.datastream_id = k.s AND o.time = k.t")
    with connection.cursor() as cursor:
        cursor.execute(sql, _pg_arrays([(stream_id, moment, None, "")
                                         for stream_id, moment in pairs])[:2])
        return cursor.fetchall()


def _retained_away(checked: dict, existing: dict, streams: dict[int, Datastream],
                   marks: dict, now: datetime) -> dict[tuple[int, datetime], str]:
    """Why each row for an instant whose raw observations its stream no longer keeps is
    skipped (see the module's note), by (stream id, time)."""
    cutoffs = {stream_id: aggregates.retention_cutoff(streams[stream_id], now)
               for stream_id in {stream_id for stream_id, _ in checked}}
    days = {stream_id: aggregates.floor(until, aggregates.DAY)
            for stream_id, until in marks.items() if until is not None}
    gone, late = {}, {}
    for stream_id, moment in checked:
        cutoff = cutoffs[stream_id]
        if cutoff is not None and moment < cutoff:
            gone[(stream_id, moment)] = (f"{moment:%Y-%m-%dT%H:%M:%SZ} is older than the "
                                         "stream's retention (raw observations kept from "
                                         f"{cutoff:%Y-%m-%dT%H:%M:%SZ})")
        elif (stream_id in days and moment < days[stream_id]
              and (stream_id, moment) not in existing):
            late.setdefault(stream_id, set()).add(aggregates.floor(moment, aggregates.DAY))
    emptied = {stream_id: aggregates.emptied_days(stream_id, days)
               for stream_id, days in late.items()}
    for stream_id, moment in checked:
        day = aggregates.floor(moment, aggregates.DAY)
        if day in emptied.get(stream_id, ()) and (stream_id, moment) not in existing:
            gone[(stream_id, moment)] = (f"{moment:%Y-%m-%dT%H:%M:%SZ} falls in {day:%Y-%m-%d}, "
                                         "a day whose raw observations retention has dropped")
    return {key: why + "; it cannot be told apart from one already counted"
            for key, why in gone.items()}


def _store(checked: dict, repeats: Counter, streams: dict[int, Datastream], now: datetime,
           *, replace: bool) -> WriteResult:
    result = WriteResult()
    with transaction.atomic():
        # every stream written to, its row locked before anything is read (aggregates.lock)
        marks = aggregates.lock({stream_id for stream_id, _ in checked})
        existing = _existing(checked)
        gone = _retained_away(checked, existing, streams, marks, now)
        skipped = sorted((checked[key][0], why) for key, why in gone.items())
        if skipped and len(skipped) == len(checked):
            raise WriteError([Problem(index, "time", why) for index, why in skipped])
        result.skipped_rows = [Problem(index, "time", why)
                               for index, why in skipped[:MAX_PROBLEMS]]
        new, changed, problems, replaced = [], [], [], []
        for (stream_id, moment), (index, number, text) in checked.items():
            if (stream_id, moment) in gone:
                result.skipped += 1 + repeats[(stream_id, moment)]
                continue
            result.unchanged += repeats[(stream_id, moment)]
            stored = existing.get((stream_id, moment))
            if stored is None:
                new.append((stream_id, moment, number, text))
            elif (stored[1], stored[2]) == (number, text):
                result.unchanged += 1
            elif replace:
                changed.append(Observation(pk=stored[0], number=number, text=text))
                replaced.append((stream_id, moment))
            else:
                shown = stored[1] if stored[1] is not None else stored[2][:40]
                problems.append(Problem(index, "value", f"the datastream already holds a "
                                        f"different value ({shown}) at "
                                        f"{moment:%Y-%m-%dT%H:%M:%SZ}; send replace=true to "
                                        "change it"))
        if problems:
            raise WriteError(sorted(problems, key=lambda p: p.index))
        _insert(new)
        Observation.objects.bulk_update(changed, ["number", "text"], batch_size=CHUNK)
        # rows before a stream's rolled-up watermark: its stored buckets follow, now
        aggregates.after_write([(stream_id, moment) for stream_id, moment, _, _ in new],
                               replaced, marks)
        result.added, result.replaced = len(new), len(changed)
        result.streams = {stream_id for stream_id, _ in checked}
    return result


def _insert(rows: list[tuple[int, datetime, float | None, str]]) -> None:
    """INSERT (datastream, time, number, text) rows: the ORM's bulk_create spends most of a
    large push building model instances and SQL text. SQLite: chunks with ``executemany``.
    PostgreSQL: one statement a chunk, the columns sent as four arrays and ``unnest`` into
    rows (``executemany`` there is a statement a row, each parsed and planned by the server,
    each row's parameters adapted one by one: 47 ms of a 70 ms batch of 1,000)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Observation._meta.get_field(name).column)
                        for name in ("datastream", "time", "number", "text", "received"))
    table = quote(Observation._meta.db_table)
    if connection.vendor == "postgresql":
        # the names are the model's own; the values are parameters
        sql = (f"INSERT INTO {table} ({columns}) SELECT s, t, n, x, %s FROM unnest("  # noqa: S608
               "%s::bigint[], %s::timestamptz[], %s::float8[], %s::text[]) AS r(s, t, n, x)")
        with connection.cursor() as cursor:
            received = timezone.now()
            for start in range(0, len(rows), CHUNK * 5):
                cursor.execute(sql, [received, *_pg_arrays(rows[start:start + CHUNK * 5])])
        return
    # the names are the model's own; the values are parameters
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608
    adapt = connection.ops.adapt_datetimefield_value
    if connection.vendor == "sqlite":  # Django's own text for a UTC instant, without its checks
        def adapt(moment):  # noqa: F811
            return str(moment.replace(tzinfo=None))
    received = adapt(timezone.now().astimezone(UTC))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, [(stream_id, adapt(moment), number, text, received)
                                     for stream_id, moment, number, text in
                                     rows[start:start + CHUNK]])


def _pg_arrays(rows: list[tuple[int, datetime, float | None, str]]) -> list[str]:
    """PostgreSQL array literals of the rows' stream ids, times (UTC, ISO 8601 with their
    offset), numbers (exactly: ``repr``; NULL for none) and texts (each quoted): psycopg
    adapts a Python list element by element, in Python, slower than these joins."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return ["{" + ",".join(str(stream_id) for stream_id, _, _, _ in rows) + "}",
            "{" + ",".join(moment.isoformat() for _, moment, _, _ in rows) + "}",
            "{" + ",".join("NULL" if number is None else repr(number)
                           for _, _, number, _ in rows) + "}",
            "{" + ",".join(quoted(text) if text else '""' for _, _, _, text in rows) + "}"]
