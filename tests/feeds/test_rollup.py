"""Hourly and daily aggregates rolled up as the worker goes (issue 18: a year's hourly
aggregate in under 300 ms). The invariant (``aggregates`` module note): every hour bucket
before a stream's ``aggregated_until`` and every day bucket before that instant's day holds
in the Aggregate table exactly the figures of the stream's observations in it, raw or
dropped by retention. Late writes, replacements and retention keep it; ``series`` reads the
table for those buckets and raw observations for the rest, and answers as if it had
computed everything from every observation the stream has had."""

from __future__ import annotations

import random
import shutil
import sqlite3
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections
from django.db.models.query import QuerySet

from commonground.feeds import aggregates, retention, schedule
from commonground.feeds.models import Aggregate, Datastream, Feed, Observation, Thing
from commonground.feeds.writing import WriteError, write_observations

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
NOW = datetime(2025, 3, 12, 5, 30, tzinfo=UTC)
WATERMARK = datetime(2025, 3, 12, 5, tzinfo=UTC)  # where a rollup at NOW stops
TODAY = datetime(2025, 3, 12, tzinfo=UTC)


@pytest.fixture
def feed(council):
    feed = Feed.objects.create(organisation=council, slug="air", title="Air quality",
                               state=Feed.State.PUBLISHED)
    thing = Thing.objects.create(feed=feed, key="s1", name="Site 1")
    Datastream.objects.create(thing=thing, key="no2", name="NO2", observed_property="no2")
    Datastream.objects.create(thing=thing, key="status", name="Status",
                              observed_property="status", value_type="text")
    return feed


@pytest.fixture
def stream(feed):
    return Datastream.objects.get(key="no2")


def every_ten_minutes(stream, start, end):
    """One observation every 10 minutes in [start, end), values that vary by the hour."""
    rows, moment, i = [], start, 0
    while moment < end:
        rows.append(Observation(datastream=stream, time=moment, number=(i * 7) % 31 + 0.5))
        moment, i = moment + timedelta(minutes=10), i + 1
    Observation.objects.bulk_create(rows, batch_size=2000)


def table(stream, period):
    return [(a.start, a.count, a.total, a.minimum, a.maximum) for a in
            Aggregate.objects.filter(datastream=stream, period=period).order_by("start")]


def figures(summaries):
    return [(s.start, s.count, s.total, s.minimum, s.maximum) for s in summaries]


def raw(stream, period, start, end):
    return figures(aggregates.compute(stream, period, start, end))


def late(feed, *rows, replace=False):
    return write_observations(feed, [("s1", "no2", t.isoformat(), v) for t, v in rows],
                              replace=replace, now=NOW)


def test_rollup_stores_whole_hours_then_whole_days_and_moves_the_watermark(stream):
    start = NOW - 3 * DAY
    every_ten_minutes(stream, start, NOW)

    stored = aggregates.rollup(stream, now=NOW)

    hour, day = WATERMARK, TODAY
    assert stream.aggregated_until == hour
    assert Datastream.objects.get(pk=stream.pk).aggregated_until == hour
    assert table(stream, "hour") == raw(stream, "hour", start, hour)  # not the current hour
    assert table(stream, "day") == raw(stream, "day", start, day)     # nor today
    assert stored == len(table(stream, "hour")) + len(table(stream, "day"))
    assert aggregates.rollup(stream, now=NOW + timedelta(minutes=20)) == 0  # same hour


def test_a_later_round_rolls_up_only_since_the_watermark(stream):
    every_ten_minutes(stream, NOW - 2 * DAY, NOW)
    aggregates.rollup(stream, now=NOW - DAY)
    # a stored bucket before the watermark is not computed again (a round is cheap)
    first = Aggregate.objects.filter(datastream=stream, period="hour").earliest("start")
    Aggregate.objects.filter(pk=first.pk).update(total=-1)
    every_ten_minutes(stream, NOW, NOW + 2 * HOUR)

    # 05:00 on the 11th to 07:00 on the 12th: 26 hours; and the 11th
    assert aggregates.rollup(stream, now=NOW + 2 * HOUR) == 26 + 1
    assert Aggregate.objects.get(pk=first.pk).total == -1
    until = datetime(2025, 3, 12, 7, tzinfo=UTC)
    assert table(stream, "hour")[1:] == raw(stream, "hour", first.start + HOUR, until)


def test_series_reads_the_table_before_the_watermark_and_raw_after(stream):
    start = datetime(2025, 3, 9, 5, tzinfo=UTC)
    every_ten_minutes(stream, start, NOW)
    aggregates.rollup(stream, now=NOW)
    from_raw = aggregates.compute(stream, "hour", start, NOW)
    assert aggregates.series(stream, "hour", start, NOW) == from_raw
    # proof of where the figures come from: a bucket changed in the table shows
    Aggregate.objects.filter(datastream=stream, period="hour", start=start).update(total=0)
    Observation.objects.filter(datastream=stream, time__gte=NOW - HOUR).delete()
    got = aggregates.series(stream, "hour", start, NOW)
    assert got[0].total == 0 and got[1:] == from_raw[1:-1]  # 04:00-05:00 from the table
    assert from_raw[-1].start == datetime(2025, 3, 12, 5, tzinfo=UTC)  # 05:00-05:30: raw


def test_a_text_stream_has_nothing_to_roll_up(feed):
    status = Datastream.objects.get(key="status")
    Observation.objects.create(datastream=status, time=NOW - DAY, text="ok")
    assert aggregates.rollup(status, now=NOW) == 0
    assert aggregates.rollup_all(now=NOW) == 0  # the numeric stream has no observations
    status.refresh_from_db()
    assert status.aggregated_until is None
    assert Datastream.objects.get(key="no2").aggregated_until == WATERMARK


def test_the_workers_round_rolls_up_every_numeric_stream(stream, monkeypatch):
    every_ten_minutes(stream, datetime(2025, 3, 11, 22, tzinfo=UTC), NOW)
    monkeypatch.setattr(aggregates.timezone, "now", lambda: NOW)
    # 22:00 on the 11th to 05:00 on the 12th: 7 hours; and the 11th
    assert "8 hourly and daily aggregate(s) rolled up" in schedule.run_once()
    assert table(stream, "hour") == raw(stream, "hour", NOW - DAY, WATERMARK)


def test_a_late_write_or_replacement_recomputes_its_hour_and_day_in_the_write(feed, stream):
    every_ten_minutes(stream, NOW - 2 * DAY, NOW)
    aggregates.rollup(stream, now=NOW)
    moment = datetime(2025, 3, 11, 3, 5, tzinfo=UTC)

    late(feed, (moment, 1000.0))
    three = datetime(2025, 3, 11, 3, tzinfo=UTC)
    hour = aggregates.stored(stream, "hour", three, three + HOUR)
    assert figures(hour) == raw(stream, "hour", three, three + HOUR)
    assert hour[0].count == 7 and hour[0].maximum == 1000.0
    late(feed, (moment, 1.0), (datetime(2025, 3, 12, 4, 10, tzinfo=UTC), -3.0), replace=True)
    assert table(stream, "hour") == raw(stream, "hour", NOW - 2 * DAY, WATERMARK)
    assert table(stream, "day") == raw(stream, "day", NOW - 3 * DAY, TODAY)
    # a refused batch changes neither the observations nor the table
    before = table(stream, "hour")
    with pytest.raises(WriteError, match="observation 1, value"):
        late(feed, (moment + HOUR, 5.0), (moment, "lots"))
    assert table(stream, "hour") == before


def test_retention_rolls_up_first_and_an_observation_it_dropped_is_never_counted_again(
        feed, stream):
    start = datetime(2025, 3, 8, 5, tzinfo=UTC)
    every_ten_minutes(stream, start, NOW)
    hourly = aggregates.compute(stream, "hour", start, NOW)
    daily = aggregates.compute(stream, "day", aggregates.floor(start, "day"), NOW)
    stream.retention_days = 1
    stream.save()
    cutoff = datetime(2025, 3, 11, tzinfo=UTC)

    deleted, _ = retention.retain(stream, now=NOW)  # never rolled up before

    assert deleted and not Observation.objects.filter(time__lt=cutoff).exists()
    assert stream.aggregated_until == WATERMARK
    assert aggregates.series(stream, "hour", start, NOW, now=NOW) == hourly
    dropped = (start + timedelta(minutes=10), 7.5)  # the second observation, as it was
    assert dropped[1] == (1 * 7) % 31 + 0.5
    for rows in ([dropped], [dropped], [dropped], [(dropped[0] + HOUR, 1000.0)]):
        with pytest.raises(WriteError, match=(
                r"observation 0, time: 2025-03-0\dT0\d:10:00Z is older than the stream's "
                r"retention \(raw observations kept from 2025-03-11T00:00:00Z\); it cannot "
                r"be told apart from one already counted")):
            late(feed, *rows)
    assert not Observation.objects.filter(time__lt=cutoff).exists()
    assert retention.retain(stream, now=NOW) == (0, 0)
    assert aggregates.series(stream, "hour", start, NOW, now=NOW) == hourly
    assert aggregates.series(stream, "day", aggregates.floor(start, "day"), NOW,
                             now=NOW) == daily


def test_a_pull_whose_window_straddles_the_cutoff_adds_only_its_new_rows(feed, stream):
    """A pulled feed serving its last three days, hourly, to a stream keeping one day: each
    round (then the worker's rollup and retention) adds only the hours it had not sent
    before, skips and reports those older than the retention, and no count ever grows."""
    stream.retention_days = 1
    stream.save()

    def served(now):  # the same value for an hour whenever it is sent
        first = aggregates.floor(now - 3 * DAY, "hour")
        return [(first + i * HOUR, float((first + i * HOUR).hour))
                for i in range(int((now - first) / HOUR))]

    accepted: dict[datetime, float] = {}
    origin, now = NOW - 3 * DAY, NOW
    for _ in range(6):
        rows = served(now)
        cutoff = aggregates.retention_cutoff(stream, now)
        new = {t: v for t, v in rows if t >= cutoff and t not in accepted}
        result = write_observations(feed, [("s1", "no2", t.isoformat(), v) for t, v in rows],
                                    now=now)
        assert result.added == len(new), now
        assert result.skipped == sum(t < cutoff for t, _ in rows), now
        assert {p.field for p in result.skipped_rows} == {"time"}
        assert result.as_dict()["skipped"] == result.skipped
        accepted.update(new)
        aggregates.rollup(stream, now=now)
        retention.retain(stream, now=now)
        assert {a.count for a in Aggregate.objects.filter(datastream=stream, period="hour")
                } == {1}
        for period in ("hour", "day"):
            expected: dict[datetime, list[float]] = {}
            for moment, value in accepted.items():
                expected.setdefault(aggregates.floor(moment, period), []).append(value)
            assert figures(aggregates.series(
                stream, period, aggregates.floor(origin, "day"), aggregates.floor(now, "day")
                + DAY, now=now)) == [(b, len(v), sum(v), min(v), max(v))
                                     for b, v in sorted(expected.items())]
        now += timedelta(hours=7)


def test_a_row_for_a_day_emptied_before_the_retention_was_lengthened_is_skipped(
        feed, stream):
    every_ten_minutes(stream, NOW - 4 * DAY, NOW)
    stream.retention_days = 1
    stream.save()
    retention.retain(stream, now=NOW)  # raw observations kept from 11 March
    stream.retention_days = 10  # 9 and 10 March stay emptied: only their buckets are left
    stream.save()
    days = table(stream, "day")
    emptied = (datetime(2025, 3, 9, 3, 5, tzinfo=UTC), 1000.0)
    raw_day = (datetime(2025, 3, 11, 3, 5, tzinfo=UTC), 2000.0)

    result = late(feed, emptied, raw_day, (datetime(2025, 3, 12, 5, 25, tzinfo=UTC), 3.0))

    assert (result.added, result.skipped) == (2, 1)
    assert [str(p) for p in result.skipped_rows] == [
        "observation 0, time: 2025-03-09T03:05:00Z falls in 2025-03-09, a day whose raw "
        "observations retention has dropped; it cannot be told apart from one already "
        "counted"]
    eleventh = datetime(2025, 3, 11, tzinfo=UTC)
    assert [d for d in table(stream, "day") if d[0] != eleventh] == [
        d for d in days if d[0] != eleventh]
    assert aggregates.stored(stream, "day", eleventh, eleventh + DAY)[0].maximum == 2000.0
    assert figures(aggregates.stored(stream, "day", eleventh, eleventh + DAY)) == raw(
        stream, "day", eleventh, eleventh + DAY)
    assert not Observation.objects.filter(time__lt=eleventh).exists()


def test_a_write_locks_every_stream_it_touches_even_one_never_rolled_up(feed, stream,
                                                                        monkeypatch):
    """PostgreSQL: a stream's first rollup holds its row while its committed watermark is
    still NULL. A write must wait for it (lock the row by its pk), not pass it by (a lock
    ``WHERE aggregated_until IS NOT NULL`` skips such a row without waiting): else the
    rollup, having read raw before the write committed, stores that hour without the
    write's row, and the write, seeing no watermark, does not recompute it."""
    rolled = Datastream.objects.create(thing=stream.thing, key="pm10", name="PM10",
                                       observed_property="pm10")
    every_ten_minutes(rolled, NOW - DAY, NOW)
    aggregates.rollup(rolled, now=NOW)
    locks = []
    fetch = QuerySet._fetch_all

    def spy(self):
        fetch(self)
        if self.model is Datastream and self.query.select_for_update:
            locks.append(list(self._result_cache))
    monkeypatch.setattr(QuerySet, "_fetch_all", spy)

    write_observations(feed, [("s1", key, "2025-03-11T03:05:00Z", value) for key, value in
                              (("no2", 1.0), ("pm10", 2.0), ("status", "ok"))], now=NOW)

    touched = {s.pk for s in Datastream.objects.filter(thing=stream.thing)}
    assert [{row[0] for row in rows} for rows in locks] == [touched]
    aggregates.rollup(stream, now=NOW)  # its first: the row is in its bucket
    three = datetime(2025, 3, 11, 3, tzinfo=UTC)
    assert figures(aggregates.stored(stream, "hour", three, three + HOUR)) == raw(
        stream, "hour", three, three + HOUR)
    assert figures(aggregates.stored(rolled, "hour", three, three + HOUR)) == raw(
        rolled, "hour", three, three + HOUR)


class World:
    """What readers should see, kept by hand: ``live`` the raw observations (time: value),
    ``gone`` those retention dropped (still in their buckets). A write replaces or adds a
    raw one (the test sends none older than the retention: those are skipped)."""

    def __init__(self):
        self.live: dict[datetime, float] = {}
        self.gone: list[tuple[datetime, float]] = []

    def write(self, moment, value):
        self.live[moment] = value

    def retain(self, cutoff):
        self.gone += [(t, v) for t, v in self.live.items() if t < cutoff]
        self.live = {t: v for t, v in self.live.items() if t >= cutoff}

    def series(self, period, start, end):
        """Whole buckets count everything; a bucket cut by start or end, the raw in it."""
        step = HOUR if period == "hour" else DAY
        buckets: dict[datetime, list[float]] = {}
        everything = ([(t, v, True) for t, v in self.live.items()]
                      + [(t, v, False) for t, v in self.gone])
        for moment, value, is_raw in everything:
            bucket = aggregates.floor(moment, period)
            if (start <= bucket and bucket + step <= end) or (is_raw and start <= moment < end):
                buckets.setdefault(bucket, []).append(value)
        return [(b, len(v), sum(v), min(v), max(v)) for b, v in sorted(buckets.items())]


def same(got, expected):
    assert [(s.start, s.count, s.minimum, s.maximum) for s in got] == [
        (b, n, low, high) for b, n, _, low, high in expected]
    assert [s.total for s in got] == pytest.approx([e[2] for e in expected], rel=1e-9,
                                                   abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_series_always_equals_every_observation_whatever_happens_when(feed, stream, seed):
    """Random pushes, late writes and replacements, rollups and retention runs at random
    moments, the clock moving on: series, by hours and by days over random periods, always
    equals the figures of every observation the stream has had (sums to float rounding)."""
    rng = random.Random(seed)  # noqa: S311 (a reproducible test, not a secret)
    now = datetime(2025, 3, 10, 7, 40, tzinfo=UTC)
    origin = now - 3 * DAY
    stream.retention_days = rng.choice([1, 2])
    stream.save()
    world = World()

    def moment():
        minutes = int((now - origin).total_seconds() // 60)
        return origin + timedelta(minutes=rng.randrange(0, minutes, rng.choice([1, 15, 60])))

    for _ in range(45):
        action = rng.choice(["write", "write", "write", "rollup", "retain", "clock"])
        if action == "write":
            times = {moment() for _ in range(rng.randint(1, 25))}
            if world.live and rng.random() < 0.5:  # replacements of stored observations
                times |= set(rng.sample(sorted(world.live), min(3, len(world.live))))
            rows = [(t, round(rng.uniform(-50, 50), 2)) for t in sorted(times)]
            cutoff = aggregates.retention_cutoff(stream, now)
            kept = [(t, v) for t, v in rows if t >= cutoff]
            sent = [("s1", "no2", t.isoformat(), v) for t, v in rows]
            if kept:
                result = write_observations(feed, sent, replace=True, now=now)
                assert result.skipped == len(rows) - len(kept)
            else:
                with pytest.raises(WriteError, match="older than the stream's retention"):
                    write_observations(feed, sent, replace=True, now=now)
            for t, v in kept:
                world.write(t, v)
        elif action == "rollup":
            aggregates.rollup(stream, now=now)
        elif action == "retain":
            stream.refresh_from_db()
            retention.retain(stream, now=now)
            world.retain(aggregates.retention_cutoff(stream, now))
        else:
            now += timedelta(minutes=rng.randint(10, 36 * 60))
        for period in ("hour", "day"):
            start = origin - DAY + timedelta(minutes=rng.randrange(0, 24 * 60, 30))
            end = now + timedelta(minutes=rng.randrange(0, 180, 30))
            same(aggregates.series(stream, period, start, end, now=now),
                 world.series(period, start, end))


@pytest.fixture(scope="module")
def database_file(django_db_setup, django_db_blocker, tmp_path_factory):
    """The test database copied to a file, before any test's transaction begins, so that
    threads (one connection each) share it with the project's SQLite settings (WAL,
    transactions that take the write lock when they begin, the busy timeout)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL locks the stream's row (select_for_update)")
    path = tmp_path_factory.mktemp("rollup") / "hub.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
    return path


def test_two_rounds_rolling_up_at_once_store_each_bucket_once(database_file, tmp_path,
                                                               monkeypatch):
    path = tmp_path / database_file.name
    shutil.copyfile(database_file, path)
    monkeypatch.setitem(connections.settings, "default",
                        {**connections.settings["default"], "NAME": str(path)})
    results: dict = {}

    def in_thread(name, work, barrier=None):
        def run():
            try:
                if barrier:
                    barrier.wait()
                results[name] = work()
            except Exception as exc:  # reported by the assertions below
                results[name] = exc
            finally:
                connections.close_all()
        return threading.Thread(target=run)

    def arrange():
        from commonground.accounts.models import Organisation
        council = Organisation.objects.create(slug="threads-council", name="Council",
                                              kind=Organisation.Kind.COUNCIL)
        feed = Feed.objects.create(organisation=council, slug="threads", title="Threads")
        thing = Thing.objects.create(feed=feed, key="s1", name="Site 1")
        stream = Datastream.objects.create(thing=thing, key="no2", name="NO2",
                                           observed_property="no2")
        every_ten_minutes(stream, NOW - 20 * DAY, NOW)
        return stream.pk

    first = in_thread("arrange", arrange)
    first.start()
    first.join()
    stream_id = results["arrange"]
    barrier = threading.Barrier(3)
    rounds = [in_thread(n, lambda: aggregates.rollup(Datastream.objects.get(pk=stream_id),
                                                     now=NOW), barrier) for n in ("a", "b")]
    # and a late write landing at the same time (before the watermark once it moves)
    writer = in_thread("late", lambda: late(Feed.objects.get(slug="threads"),
                                            (NOW - 5 * DAY + timedelta(minutes=3), 500.0)),
                       barrier)
    for t in [*rounds, writer]:
        t.start()
    for t in [*rounds, writer]:
        t.join()

    assert not [r for r in results.values() if isinstance(r, Exception)], results
    assert sorted([results["a"], results["b"]])[0] == 0  # the second found it done
    def check():
        stream = Datastream(pk=stream_id)
        return (table(stream, "hour") == raw(stream, "hour", NOW - 20 * DAY, WATERMARK),
                table(stream, "day") == raw(stream, "day", NOW - 21 * DAY, TODAY))

    last = in_thread("check", check)
    last.start()
    last.join()
    assert results["check"] == (True, True)


def test_a_recording_from_years_ago_rolls_up_in_windows_walking_no_empty_hour(
        stream, monkeypatch):
    """A recording of 2015 (70 days: three windows) and a few readings of today, rolled up
    today: the stored hours and days are exactly the raw figures, and the rollup computes
    only windows that hold data (not the ten empty years between), each its own
    transaction."""
    old_start = datetime(2015, 11, 20, 3, 10, tzinfo=UTC)
    every_ten_minutes(stream, old_start, old_start + 70 * DAY)
    every_ten_minutes(stream, NOW - 5 * HOUR, NOW)
    walked = []
    compute = aggregates.compute
    monkeypatch.setattr(aggregates, "compute", lambda s, period, start, end: (
        walked.append((period, end - start)) or compute(s, period, start, end)))
    aggregates.rollup(stream, now=NOW)
    stream.refresh_from_db()
    assert stream.aggregated_until == datetime(2025, 3, 12, 5, tzinfo=UTC)
    hours_walked = sum((span for period, span in walked if period == "hour"), timedelta()) / HOUR
    assert hours_walked <= 4 * aggregates.ROLLUP_WINDOW / HOUR  # three old windows + today
    assert sum((span for period, span in walked if period == "day"), timedelta()) <= 4 * aggregates.ROLLUP_WINDOW
    monkeypatch.setattr(aggregates, "compute", compute)
    whole = (floor := datetime(2015, 11, 20, tzinfo=UTC), datetime(2025, 3, 12, 5, tzinfo=UTC))
    assert table(stream, "hour") == raw(stream, "hour", *whole)
    assert table(stream, "day") == raw(stream, "day", floor, datetime(2025, 3, 12, tzinfo=UTC))
