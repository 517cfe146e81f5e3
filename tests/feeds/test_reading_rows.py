"""Reading a stream's observations for the Data Hub API, the charts and the downloads: the
rows, in time order, without building a model instance per observation (the last 24 hours
of one-minute data must come back within the issue's 20 ms; benchmarks/feeds.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models.signals import post_init

from commonground.feeds import reading
from commonground.feeds.models import Datastream, Feed, Observation, Thing

pytestmark = pytest.mark.django_db

END = datetime(2024, 5, 2, tzinfo=UTC)


@pytest.fixture
def stream(council):
    feed = Feed.objects.create(organisation=council, slug="counts", title="Counts")
    thing = Thing.objects.create(feed=feed, key="c1", name="Counter")
    stream = Datastream.objects.create(thing=thing, key="count", name="Count",
                                       observed_property="count")
    Observation.objects.bulk_create(
        Observation(datastream=stream, time=END - timedelta(minutes=m), number=m)
        for m in range(1, 1441 + 10))
    return stream


def test_a_day_of_minutes_is_read_in_time_order_without_model_instances(stream):
    built = []

    def count(sender, **kwargs):
        built.append(sender)

    post_init.connect(count, sender=Observation)
    try:
        rows = reading.observations(stream, END - timedelta(hours=24), END)
        newest = reading.observations(stream, END - timedelta(hours=24), END, limit=3)
        oldest = reading.observations(stream, END - timedelta(hours=24), END, limit=2,
                                      newest=False)
    finally:
        post_init.disconnect(count, sender=Observation)
    assert built == []
    assert len(rows) == 1440
    assert [r.number for r in rows[:2]] == [1440.0, 1439.0]
    assert rows[0].time == END - timedelta(minutes=1440) and rows[-1].time.tzinfo is not None
    assert [(r.number, r.text, reading.value_of(r)) for r in newest] == [
        (3.0, "", 3.0), (2.0, "", 2.0), (1.0, "", 1.0)]
    assert [r.number for r in oldest] == [1440.0, 1439.0]
