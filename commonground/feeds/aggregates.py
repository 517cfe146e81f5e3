"""Hourly and daily mean, min, max, sum and count of a numeric datastream.

Computed in the database: one ``GROUP BY`` over the stream's observations in a period, the
bucket written per vendor so the ``(datastream, time)`` index serves the range and no row
travels to Python (a year of one-minute data is 525,600 rows in, 8,760 hourly rows out).

* PostgreSQL: ``GROUP BY to_char(date_trunc('hour', time AT TIME ZONE 'UTC'), ...)``,
  whatever the session's time zone (a hash aggregate).
* SQLite stores a ``DateTimeField`` as UTC text, ``YYYY-MM-DD HH:MM:SS[.ffffff]``. A plain
  ``GROUP BY substr(time, 1, 13)`` sorts every row in a temporary B-tree (1.4-2 s for a year of
  one-minute data on the 2-core machine); instead a recursive CTE lists the period's buckets
  and each bucket's figures come from one range search of the ``(datastream, time)`` index
  (0.35-0.5 s, the same rows; a bare ``SUM`` over the year, the floor, takes 0.1-0.2 s).

Buckets are **UTC** hours and days (a day runs from 00:00 to 24:00 UTC, so from 01:00 London
time in summer), each named by its start; a period ``[start, end)`` is half-open. Only
observations with a number count (text and JSON streams have no aggregates).

``store_aggregates`` keeps whole buckets in the ``Aggregate`` table (kept for ever).

**Rolled up as the worker goes** (as TimescaleDB's continuous aggregates): each round
:func:`rollup` stores a numeric stream's whole UTC hours since its watermark
``Datastream.aggregated_until`` (W, always the start of an hour) up to the start of the
current hour, and its whole UTC days before that, then moves W there. The one invariant:

    Every hour bucket starting before W, and every day bucket starting before
    ``floor(W, day)``, holds in the Aggregate table exactly the figures of the stream's
    observations in it: the raw ones plus those retention has dropped (a bucket with none
    has no row).

What keeps it true: a late write (:mod:`.writing`) that adds or replaces observations
before W recomputes the touched hour and day buckets in its own transaction
(:func:`after_write`); retention (:mod:`.retention`) rolls a stream up past its cutoff
before it drops raw observations, so it drops only what the table already holds. A day
whose raw observations retention has dropped keeps only its buckets, and a write takes no
new row for it (:mod:`.writing` skips it: with its raw rows gone an observation sent again
cannot be told apart from one already counted), so a day is always either all raw or all
rolled away. Rolling up replaces
buckets from raw and only moves W forward, in one transaction with the stream's row
locked, so two rounds at once store the same buckets once. W is never set back by hand
(the buckets before it may be all that is left of their observations).

:func:`series`, what readers see, takes whole buckets before W from the table (8,760 rows
for a year of hours instead of 525,600 raw rows) and the rest from the raw observations:
the same answer as computing everything from raw, retention's dropped history included.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import CharField, Count, F, Func, Max, Min, Q, Sum
from django.utils import timezone

from .models import Aggregate, Datastream, Observation

HOUR = Aggregate.Period.HOUR
DAY = Aggregate.Period.DAY
PERIODS = (HOUR, DAY)

_PARSE = {HOUR: "%Y-%m-%d %H", DAY: "%Y-%m-%d"}
_PG_FORMAT = {HOUR: "YYYY-MM-DD HH24", DAY: "YYYY-MM-DD"}
_STEP = {HOUR: timedelta(hours=1), DAY: timedelta(days=1)}


class AggregateError(ValueError):
    """A bad period or aggregation request; the message names the parameter."""


class Bucket(Func):
    """The UTC hour or day an observation's time falls in, as text (see the module's note)."""

    output_field = CharField()

    def __init__(self, expression, period: str):
        super().__init__(expression)
        self.period = period

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        trunc = "hour" if self.period == HOUR else "day"
        return (f"to_char(date_trunc('{trunc}', {sql} AT TIME ZONE 'UTC'), "
                f"'{_PG_FORMAT[self.period]}')"), params

    def as_sql(self, compiler, connection, **extra):  # other vendors
        raise NotImplementedError(f"aggregates are written for PostgreSQL and SQLite, "
                                  f"not {connection.vendor}")


@dataclass(frozen=True)
class Summary:
    """One bucket: ``start`` (UTC, aware), ``count`` observations, their ``total`` (sum),
    ``minimum``, ``maximum`` and ``mean``, in the datastream's unit."""

    start: datetime
    count: int
    total: float
    minimum: float
    maximum: float

    @property
    def mean(self) -> float:
        return self.total / self.count

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat().replace("+00:00", "Z"), "count": self.count,
                "mean": self.mean, "min": self.minimum, "max": self.maximum,
                "sum": self.total}


def _check(period: str, start: datetime, end: datetime) -> None:
    if period not in PERIODS:
        raise AggregateError(f"period: {period!r} is not one of {', '.join(PERIODS)}")
    for name, value in (("start", start), ("end", end)):
        if timezone.is_naive(value):
            raise AggregateError(f"{name}: {value.isoformat()} has no time zone")
    if end <= start:
        raise AggregateError(f"end: {end.isoformat()} is not after start {start.isoformat()}")


def floor(moment: datetime, period: str) -> datetime:
    """The start (UTC) of the hour or day ``moment`` falls in."""
    moment = moment.astimezone(UTC)
    if period == DAY:
        return moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return moment.replace(minute=0, second=0, microsecond=0)


def ceil(moment: datetime, period: str) -> datetime:
    """The start of the first bucket at or after ``moment``."""
    low = floor(moment, period)
    return low if low == moment else low + _STEP[period]


def compute(datastream: Datastream, period: str, start: datetime, end: datetime
            ) -> list[Summary]:
    """Summaries of ``datastream``'s numeric observations in ``[start, end)``, one per UTC
    hour or day that holds any, in time order (buckets cut by ``start`` or ``end`` count only
    the observations inside the period)."""
    _check(period, start, end)
    if connection.vendor == "sqlite":
        return _compute_sqlite(datastream, period, start, end)
    rows = (Observation.objects
            .filter(datastream=datastream, time__gte=start, time__lt=end, number__isnull=False)
            .annotate(bucket=Bucket(F("time"), period))
            .values("bucket")
            .annotate(count=Count("number"), total=Sum("number"), minimum=Min("number"),
                      maximum=Max("number"))
            .order_by("bucket"))
    return [Summary(start=datetime.strptime(row["bucket"], _PARSE[period]).replace(tzinfo=UTC),
                    count=row["count"], total=row["total"], minimum=row["minimum"],
                    maximum=row["maximum"]) for row in rows]


def _compute_sqlite(datastream: Datastream, period: str, start: datetime, end: datetime
                    ) -> list[Summary]:
    """``compute`` on SQLite: one indexed range search per bucket (see the module's note)."""
    step = "+1 hour" if period == HOUR else "+1 day"
    stamp = "%%Y-%%m-%%d %%H:%%M:%%S"  # %% : a literal % in SQL given with parameters
    table = Observation._meta.db_table
    adapt = connection.ops.adapt_datetimefield_value
    sql = f"""
        WITH RECURSIVE bucket(s, e) AS (
            SELECT %s, strftime('{stamp}', %s, '{step}')
            UNION ALL
            SELECT e, strftime('{stamp}', e, '{step}') FROM bucket WHERE e < %s)
        SELECT s, (SELECT json_array(count(number), sum(number), min(number), max(number))
                   FROM "{table}"
                   WHERE datastream_id = %s AND time >= max(bucket.s, %s)
                     AND time < min(bucket.e, %s) AND number IS NOT NULL)
        FROM bucket"""  # noqa: S608 (the step and table are ours; values are parameters)
    first = adapt(floor(start, period))
    with connection.cursor() as cursor:
        cursor.execute(sql, [first, first, adapt(end), datastream.pk, adapt(start), adapt(end)])
        rows = cursor.fetchall()
    summaries = []
    for bucket_start, figures in rows:
        count, total, minimum, maximum = json.loads(figures)
        if count:
            summaries.append(Summary(
                start=datetime.fromisoformat(bucket_start).replace(tzinfo=UTC), count=count,
                total=float(total), minimum=float(minimum), maximum=float(maximum)))
    return summaries


def store_aggregates(datastream: Datastream, period: str, start: datetime, end: datetime
                     ) -> int:
    """Compute and keep ``datastream``'s whole buckets covering ``[start, end)`` (widened to
    whole hours or days) in the Aggregate table, replacing what it held for them; returns
    how many buckets it holds now for the period. One transaction: all or nothing."""
    _check(period, start, end)
    start, end = floor(start, period), ceil(end, period)
    with transaction.atomic():
        summaries = compute(datastream, period, start, end)
        Aggregate.objects.filter(datastream=datastream, period=period, start__gte=start,
                                 start__lt=end).delete()
        _create(datastream, period, summaries)
    return len(summaries)


def _create(datastream: Datastream, period: str, summaries: list[Summary]) -> None:
    Aggregate.objects.bulk_create(
        [Aggregate(datastream=datastream, period=period, start=s.start, count=s.count,
                   total=s.total, minimum=s.minimum, maximum=s.maximum) for s in summaries],
        batch_size=1000)


def stored(datastream: Datastream, period: str, start: datetime, end: datetime
           ) -> list[Summary]:
    """The summaries kept in the Aggregate table for buckets starting in ``[start, end)``."""
    _check(period, start, end)
    # SQL of our own so that SQLite's times come back as text for ``fromisoformat`` (Django's
    # converter parses each with a regular expression: a third of a year of hours' time)
    sqlite = connection.vendor == "sqlite"
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    first, *rest = (quote(c) for c in ("start", "count", "total", "minimum", "maximum"))
    columns = ", ".join([f"CAST({first} AS TEXT)" if sqlite else first, *rest])
    sql = (f"SELECT {columns} FROM {quote(Aggregate._meta.db_table)} "  # noqa: S608 (ours)
           f"WHERE datastream_id = %s AND period = %s AND {first} >= %s AND {first} < %s "
           f"ORDER BY {first}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [datastream.pk, period, adapt(start), adapt(end)])
        rows = cursor.fetchall()
    return [Summary(start=(datetime.fromisoformat(begins).replace(tzinfo=UTC) if sqlite
                           else begins.astimezone(UTC)),
                    count=count, total=total, minimum=low, maximum=high)
            for begins, count, total, low, high in rows]


def retention_cutoff(datastream: Datastream, now: datetime | None = None) -> datetime | None:
    """The day before which ``datastream``'s raw observations may have been dropped (its
    ``retention_days``), or None if it keeps them for ever."""
    if not datastream.retention_days:
        return None
    now = now or timezone.now()
    return floor(now - timedelta(days=datastream.retention_days), DAY)


def covered(until: datetime | None, period: str) -> datetime | None:
    """Where the buckets of ``period`` that the table holds completely end, for a stream
    rolled up to ``until`` (its ``aggregated_until``): ``until`` for hours, the start of its
    day for days; None if it is not rolled up."""
    if until is None:
        return None
    return until if period == HOUR else floor(until, DAY)


#: The rollup's step: one transaction stores at most this much of a stream's data (its
#: hours, and the days they close), so the write lock is held briefly (SQLite has one
#: writer: the replayer and pushes wait for it); a stretch with no observation is skipped
#: with one indexed lookup (a recording from 2015 rolled up in 2026 walks no empty hour).
ROLLUP_WINDOW = timedelta(days=31)


def rollup(datastream: Datastream, now: datetime | None = None) -> int:
    """Roll ``datastream`` up to the start of the current UTC hour (see the module's note):
    store its whole hours from its watermark (or its first observation) and its whole days
    before that hour's day, then move the watermark there; how many buckets it stored. Text
    and JSON streams have no aggregates (0). A transaction per ``ROLLUP_WINDOW`` of data,
    the stream's row locked in each; the watermark moves with each."""
    if datastream.value_type != Datastream.ValueType.NUMBER:
        return 0
    target = floor(now or timezone.now(), HOUR)
    buckets = 0
    while (stored := _rollup_step(datastream, target)) is not None:
        buckets += stored
    return buckets


def _rollup_step(datastream: Datastream, target: datetime) -> int | None:
    """Store the buckets of the next window of ``datastream``'s data before ``target`` and
    move its watermark to the window's end; None when it is rolled up to ``target``."""
    with transaction.atomic():
        # PostgreSQL: a second round waits here, then reads the first's watermark. SQLite's
        # transactions take the database's write lock when they begin (settings), the same.
        until = (Datastream.objects.select_for_update().filter(pk=datastream.pk)
                 .values_list("aggregated_until", flat=True).get())
        if until is not None and until >= target:
            datastream.aggregated_until = until
            return None
        unrolled = Observation.objects.filter(datastream=datastream, time__lt=target)
        if until is not None:
            unrolled = unrolled.filter(time__gte=until)
        following = unrolled.aggregate(first=Min("time"))["first"]
        if following is None:  # nothing more: only the day holding the watermark closes
            stop, data_from = target, None
            until = target if until is None else until  # no observation at all yet
        else:
            data_from = floor(following, HOUR)
            until = data_from if until is None else until
            stop = min(target, data_from + ROLLUP_WINDOW)
        buckets = 0
        if data_from is not None:  # the hours from the watermark to data_from are empty
            buckets += store_aggregates(datastream, HOUR, data_from, stop)
        buckets += _close_days(datastream, until, stop, data_from)
        Datastream.objects.filter(pk=datastream.pk).update(aggregated_until=stop)
    datastream.aggregated_until = stop
    return buckets


def _close_days(datastream: Datastream, until: datetime, stop: datetime,
                data_from: datetime | None) -> int:
    """Store the days a move of the watermark from ``until`` to ``stop`` completes: the day
    holding ``until`` (earlier hours of it may hold observations) and those from
    ``data_from``'s day on; the days between hold none."""
    first_day, last_day = floor(until, DAY), floor(stop, DAY)
    if first_day >= last_day:
        return 0
    buckets = store_aggregates(datastream, DAY, first_day, first_day + timedelta(days=1))
    data_day = last_day if data_from is None else floor(data_from, DAY)
    later = max(first_day + timedelta(days=1), data_day)
    if later < last_day:
        buckets += store_aggregates(datastream, DAY, later, last_day)
    return buckets


def rollup_all(now: datetime | None = None) -> int:
    """The worker's round: roll up every numeric stream whose watermark is behind the
    current hour (one query when none is); how many buckets were stored."""
    now = now or timezone.now()
    behind = (Datastream.objects.filter(value_type=Datastream.ValueType.NUMBER)
              .filter(Q(aggregated_until__isnull=True)
                      | Q(aggregated_until__lt=floor(now, HOUR))).order_by("pk"))
    return sum(rollup(stream, now) for stream in list(behind))


#: Touched buckets this close (in buckets) are recomputed by one query over the gap.
_RUN_GAP = {HOUR: 24, DAY: 31}
#: Bucket starts per ``start__in`` (SQLite's parameter limit).
_IN_CHUNK = 500


def lock(stream_ids) -> dict[int, datetime | None]:
    """Lock the rows of every stream a write touches, in one order (pk), and return each
    one's watermark (None: not rolled up yet, or a text or JSON stream). Called by
    :func:`.writing.write_observations` first thing in its transaction, so a rollup or a
    retention run of these streams either finished before (its watermark and emptied days
    are read here) or waits and then reads the write's rows.

    Every touched row is locked, not only those with a watermark: on PostgreSQL a
    ``SELECT ... FOR UPDATE WHERE aggregated_until IS NOT NULL`` skips, without waiting, a
    row whose committed watermark is still NULL while a stream's first rollup holds it; the
    write would then not recompute its hour, and the first rollup, having read raw before
    the write committed, would store that hour without the row for good. Locking by pk
    waits for the rollup and then reads its watermark. (SQLite: every transaction takes the
    database's write lock when it begins, settings, the same order.)"""
    return dict(Datastream.objects.select_for_update().filter(pk__in=list(stream_ids))
                .order_by("pk").values_list("pk", "aggregated_until"))


def emptied_days(stream_id: int, days: set[datetime]) -> set[datetime]:
    """Which of ``days`` (UTC day starts, before the stream's watermark's day) retention has
    emptied: their stored day bucket counts more observations than they hold raw."""
    stream = Datastream(pk=stream_id)
    kept: dict[datetime, int] = {}
    ordered = sorted(days)
    for at in range(0, len(ordered), _IN_CHUNK):
        kept.update(Aggregate.objects.filter(
            datastream=stream, period=DAY, start__in=ordered[at:at + _IN_CHUNK])
            .values_list("start", "count"))
    if not kept:
        return set()
    held = {s.start: s.count for low, high in _runs(set(kept), DAY)
            for s in compute(stream, DAY, low, high)}
    return {day for day, count in kept.items() if count > held.get(day, 0)}


def after_write(added: list[tuple[int, datetime]], replaced: list[tuple[int, datetime]],
                marks: dict[int, datetime | None]) -> None:
    """Keep the invariant after a write: called by :func:`.writing.write_observations` in
    its transaction, once its rows are stored, with the (stream id, time) of the rows it
    added and replaced and the watermarks :func:`lock` read. Buckets before a stream's
    watermark that they fall in are recomputed from raw (a write takes no row for a day
    retention has emptied: :mod:`.writing`). Rows at or after the watermark (a live push)
    cost nothing more than the lock's one query."""
    moments: dict[int, list[datetime]] = {}
    for stream_id, moment in added:
        moments.setdefault(stream_id, []).append(moment)
    fresh = {stream_id: len(times) for stream_id, times in moments.items()}
    for stream_id, moment in replaced:
        moments.setdefault(stream_id, []).append(moment)
    for stream_id in sorted(moments):
        until = marks.get(stream_id)
        times = moments[stream_id]  # the added ones first
        if until is None or min(times) >= until:
            continue  # not rolled up (its first rollup reads these rows), or a live push
        _refresh(Datastream(pk=stream_id), until, times,
                 Counter(floor(t, DAY) for t in times[:fresh.get(stream_id, 0)]))


def _refresh(stream: Datastream, until: datetime, moments: list[datetime],
             new_per_day: Counter) -> None:
    hours = {floor(m, HOUR) for m in moments if m < until}
    days = {floor(m, DAY) for m in moments if m < floor(until, DAY)}
    dropped = set()
    if days:
        kept = {}
        ordered = sorted(days)
        for at in range(0, len(ordered), _IN_CHUNK):
            kept.update(Aggregate.objects.filter(
                datastream=stream, period=DAY, start__in=ordered[at:at + _IN_CHUNK])
                .values_list("start", "count"))
        raw = {s.start: s for low, high in _runs(days, DAY)
               for s in compute(stream, DAY, low, high)}
        for day in days:
            before = (raw[day].count if day in raw else 0) - new_per_day[day]
            if kept.get(day, 0) > before:  # its raw observations were dropped
                dropped.add(day)
        _put(stream, DAY, days - dropped, [raw[d] for d in days - dropped if d in raw])
        for day in sorted(dropped):
            absorb(stream, day)
    hours = {h for h in hours if floor(h, DAY) not in dropped}
    if hours:
        _put(stream, HOUR, hours, [s for low, high in _runs(hours, HOUR)
                                   for s in compute(stream, HOUR, low, high)
                                   if s.start in hours])


def _runs(starts: set[datetime], period: str) -> list[tuple[datetime, datetime]]:
    """[low, high) periods covering the bucket ``starts``, touching ones (and ones up to
    _RUN_GAP buckets apart) joined: one query each."""
    runs: list[list[datetime]] = []
    for start in sorted(starts):
        if runs and start <= runs[-1][1] + _RUN_GAP[period] * _STEP[period]:
            runs[-1][1] = start
        else:
            runs.append([start, start])
    return [(low, high + _STEP[period]) for low, high in runs]


def _put(stream: Datastream, period: str, starts: set[datetime], summaries: list[Summary]
         ) -> None:
    """Replace the buckets at ``starts`` (and only those) with ``summaries``."""
    ordered = sorted(starts)
    for at in range(0, len(ordered), _IN_CHUNK):
        Aggregate.objects.filter(datastream=stream, period=period,
                                 start__in=ordered[at:at + _IN_CHUNK]).delete()
    _create(stream, period, summaries)


def absorb(stream: Datastream, day: datetime) -> int:
    """Merge the raw observations of ``day``, a day whose raw observations retention has
    dropped, into its stored hour and day buckets (counts, sums, min and max combined),
    then drop them: the day stays all rolled away. How many buckets changed."""
    end = day + _STEP[DAY]
    changed_buckets = 0
    with transaction.atomic():
        for period in PERIODS:
            earlier = {a.start: a for a in Aggregate.objects.filter(
                datastream=stream, period=period, start__gte=day, start__lt=end)}
            new, changed = [], []
            for s in compute(stream, period, day, end):
                kept = earlier.get(s.start)
                if kept is None:
                    new.append(s)
                    continue
                kept.count += s.count
                kept.total += s.total
                kept.minimum = min(kept.minimum, s.minimum)
                kept.maximum = max(kept.maximum, s.maximum)
                changed.append(kept)
            _create(stream, period, new)
            Aggregate.objects.bulk_update(changed, ["count", "total", "minimum", "maximum"],
                                          batch_size=1000)
            changed_buckets += len(new) + len(changed)
        Observation.objects.filter(datastream=stream, time__gte=day, time__lt=end).delete()
    return changed_buckets


def series(datastream: Datastream, period: str, start: datetime, end: datetime,
           now: datetime | None = None) -> list[Summary]:
    """What readers see: the same as :func:`compute` over every observation the stream has
    had, retention's dropped ones included, reading whole buckets before its watermark from
    the Aggregate table and the rest from the raw observations (a bucket cut by ``start``
    or ``end`` counts the raw observations inside the period). A stream not rolled up past
    its retention cutoff (its worker stopped, or data from before rollups) reads the whole
    buckets before the cutoff ``now`` from the table where it holds them, else from raw."""
    _check(period, start, end)
    first, last = ceil(start, period), floor(end, period)
    if first >= last:
        return compute(datastream, period, start, end)
    until = (Datastream.objects.filter(pk=datastream.pk)
             .values_list("aggregated_until", flat=True).first())
    table_end = min(max(covered(until, period) or first, first), last)
    either_end = min(max(retention_cutoff(datastream, now) or first, table_end), last)
    parts = compute(datastream, period, start, first) if start < first else []
    if first < table_end:
        parts += stored(datastream, period, first, table_end)
    if table_end < either_end:
        kept = stored(datastream, period, table_end, either_end)
        held = {s.start for s in kept}
        parts += sorted(kept + [s for s in compute(datastream, period, table_end, either_end)
                                if s.start not in held], key=lambda s: s.start)
    if either_end < end:
        parts += compute(datastream, period, either_end, end)
    return parts
