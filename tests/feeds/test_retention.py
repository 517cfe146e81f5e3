"""Retention: a datastream keeps its raw observations ``retention_days`` (from the start of
that UTC day) and its hourly and daily aggregates for ever. Applying it stores the
aggregates of the raw observations about to go, then deletes them, in one transaction per
stream; reading a long period through ``aggregates.series`` gives the same figures before
and after. Streams without a retention keep everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from commonground.feeds import aggregates, retention
from commonground.feeds.models import Aggregate, Datastream, Feed, Observation, Thing

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 10, 12, 0, tzinfo=UTC)
CUTOFF = datetime(2024, 5, 8, tzinfo=UTC)  # the start of the UTC day 2 days before NOW
START = NOW - timedelta(days=5)


@pytest.fixture
def streams(council):
    feed = Feed.objects.create(organisation=council, slug="air", title="Air")
    thing = Thing.objects.create(feed=feed, key="s1", name="Site 1")
    kept = Datastream.objects.create(thing=thing, key="no2", name="NO2", observed_property="no2",
                                     retention_days=2)
    forever = Datastream.objects.create(thing=thing, key="pm10", name="PM10",
                                        observed_property="pm10")
    status = Datastream.objects.create(thing=thing, key="status", name="Status",
                                       observed_property="s", value_type="text",
                                       retention_days=2)
    rows = []
    for i in range(5 * 24 * 6):  # every 10 minutes for 5 days
        moment = START + timedelta(minutes=10 * i)
        rows += [Observation(datastream=kept, time=moment, number=(i * 7) % 31 + 0.5),
                 Observation(datastream=forever, time=moment, number=i % 5)]
        if i % 6 == 0:
            rows.append(Observation(datastream=status, time=moment, text=f"ok {i}"))
    Observation.objects.bulk_create(rows, batch_size=2000)
    return kept, forever, status


def test_aggregates_are_kept_raw_observations_go_and_series_reads_the_same(streams):
    kept, forever, status = streams
    hourly = aggregates.compute(kept, "hour", START, NOW)  # from every raw observation
    daily = aggregates.compute(kept, "day", aggregates.floor(START, "day"), NOW)
    old = Observation.objects.filter(datastream__in=[kept, status], time__lt=CUTOFF).count()
    untouched = Observation.objects.filter(datastream=forever).count()

    done = retention.apply_retention(NOW)

    assert not Observation.objects.filter(datastream__in=[kept, status],
                                          time__lt=CUTOFF).exists()
    assert Observation.objects.filter(datastream=kept).earliest("time").time == CUTOFF
    assert Observation.objects.filter(datastream=forever).count() == untouched
    assert done.deleted == old and done.streams == 2
    assert aggregates.stored(kept, "hour", START, CUTOFF) == [
        s for s in hourly if s.start < CUTOFF]
    assert aggregates.stored(kept, "day", START - timedelta(days=1), CUTOFF) == [
        s for s in daily if s.start < CUTOFF]
    assert aggregates.series(kept, "hour", START, NOW, now=NOW) == hourly
    assert aggregates.series(kept, "day", aggregates.floor(START, "day"), NOW, now=NOW) == daily
    assert not Aggregate.objects.filter(datastream__in=[forever, status]).exists()


def test_applying_it_again_changes_nothing_and_late_observations_are_merged(streams):
    kept, _, _ = streams
    retention.apply_retention(NOW)
    hour = datetime(2024, 5, 6, 3, tzinfo=UTC)
    before = aggregates.stored(kept, "hour", hour, hour + timedelta(hours=1))[0]
    assert retention.apply_retention(NOW).deleted == 0
    assert aggregates.stored(kept, "hour", hour, hour + timedelta(hours=1)) == [before]

    Observation.objects.create(datastream=kept, time=hour + timedelta(minutes=5), number=1000)
    retention.apply_retention(NOW)
    merged = aggregates.stored(kept, "hour", hour, hour + timedelta(hours=1))[0]
    assert (merged.count, merged.total, merged.maximum, merged.minimum) == (
        before.count + 1, before.total + 1000, 1000, before.minimum)
    assert not Observation.objects.filter(datastream=kept, time__lt=CUTOFF).exists()


def test_manage_py_apply_retention_applies_every_streams_policy(streams, tmp_path):
    kept, _, _ = streams
    Observation.objects.filter(datastream=kept).delete()
    Observation.objects.create(datastream=kept, time=datetime(2020, 1, 1, 5, tzinfo=UTC),
                               number=4)
    out = tmp_path / "out.txt"
    with open(out, "w") as stdout:
        call_command("apply_retention", stdout=stdout)
    assert not Observation.objects.filter(datastream=kept).exists()
    assert Aggregate.objects.filter(datastream=kept, period="day",
                                    start=datetime(2020, 1, 1, tzinfo=UTC)).exists()
    assert "raw observation(s) deleted" in out.read_text()
