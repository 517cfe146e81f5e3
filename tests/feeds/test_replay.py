"""replay_feeds: the real recorded Leeds footfall (the smallest recording) replayed through
write_observations into a feed kept by an organisation: every reading stored at its own
time with its own value, a second run adds nothing; played live, readings come in order,
stamped from now at the chosen speed."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from commonground.feeds import replay
from commonground.feeds.models import Feed, Observation

pytestmark = pytest.mark.django_db

LEEDS = "leeds-footfall-2015-16"


@pytest.fixture(scope="module")
def leeds_rows(data_dir):
    (recorded,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    with recorded.observations_path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_real_leeds_recording_is_replayed_whole_and_only_once(council, data_dir,
                                                                   leeds_rows, capsys):
    call_command("replay_feeds", "--once", "--owner", council.slug, "--feed", LEEDS,
                 "--data", str(data_dir))
    feed = Feed.objects.get(slug=LEEDS)
    assert (feed.organisation, feed.state, feed.private) == (council, "published", False)
    stored = Observation.objects.filter(datastream__thing__feed=feed)
    assert stored.count() == len(leeds_rows)
    per_sensor = Counter(stored.values_list("datastream__thing__key", flat=True))
    assert per_sensor == Counter(row["sensor_id"] for row in leeds_rows)
    for row in (leeds_rows[0], leeds_rows[len(leeds_rows) // 2], leeds_rows[-1]):
        moment = datetime.fromisoformat(row["timestamp"]).astimezone(UTC)
        one = stored.get(datastream__thing__key=row["sensor_id"], datastream__key="value",
                         time=moment)
        assert one.number == float(row["value"])
    assert f"{len(leeds_rows):,} observations added" in capsys.readouterr().out
    call_command("replay_feeds", "--once", "--owner", council.slug, "--feed", LEEDS,
                 "--data", str(data_dir))
    assert f"0 observations added, {len(leeds_rows):,} already there" in \
        capsys.readouterr().out
    assert stored.count() == len(leeds_rows)


def test_played_live_the_recording_comes_in_from_now_at_the_chosen_speed(
        council, data_dir, leeds_rows):
    (recorded,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    feed = replay.ensure_feed(recorded, council)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    ticks = iter(range(1000))
    def now():  # a clock that moves one second a call
        return start + timedelta(seconds=next(ticks))
    written = replay.live([(feed, recorded)], speedup=3600, duration=2, now=now,
                          sleep=lambda s: None)
    first = min(datetime.fromisoformat(r["timestamp"]) for r in leeds_rows)
    due = [r for r in leeds_rows
           if datetime.fromisoformat(r["timestamp"]) - first <= timedelta(hours=2)]
    assert written == len(due) == Observation.objects.count()
    assert sorted(set(Observation.objects.values_list("time", flat=True))) == [
        start, start + timedelta(seconds=1), start + timedelta(seconds=2)]


def test_a_locked_database_delays_the_replayer_without_losing_a_reading(
        council, data_dir, leeds_rows, monkeypatch):
    """The demo's replayer shares SQLite with the worker: a write refused with "database is
    locked" is tried again at the next tick, and every due reading still comes in once."""
    from django.db import OperationalError

    from commonground.feeds import writing

    (recorded,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    feed = replay.ensure_feed(recorded, council)
    start = datetime(2026, 1, 1, 12, tzinfo=UTC)
    ticks = iter(range(1000))
    def now():  # a clock that moves one second a call
        return start + timedelta(seconds=next(ticks))
    real, refusals = writing.write_observations, iter([True, True])
    def locked_twice(*args, **kwargs):
        if next(refusals, False):
            raise OperationalError("database is locked")
        return real(*args, **kwargs)
    monkeypatch.setattr(writing, "write_observations", locked_twice)
    written = replay.live([(feed, recorded)], speedup=3600, duration=4, now=now,
                          sleep=lambda s: None)
    first = min(datetime.fromisoformat(r["timestamp"]) for r in leeds_rows)
    due = [r for r in leeds_rows
           if datetime.fromisoformat(r["timestamp"]) - first <= timedelta(hours=4)]
    assert written == len(due) == Observation.objects.count()


def test_an_unknown_feed_or_owner_is_named(council, data_dir):
    with pytest.raises(CommandError, match="No recorded feed nowhere"):
        call_command("replay_feeds", "--once", "--feed", "nowhere", "--data", str(data_dir))
    with pytest.raises(CommandError, match="No organisation 'nobody'"):
        call_command("replay_feeds", "--once", "--owner", "nobody")
    assert not Feed.objects.exists()
