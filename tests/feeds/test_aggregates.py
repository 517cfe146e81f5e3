"""Hourly and daily summaries of a numeric datastream, computed in the database, against
figures worked out by hand from a few observations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commonground.feeds import aggregates
from commonground.feeds.models import Aggregate, Datastream, Feed, Observation, Thing

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def stream(council):
    feed = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                               state=Feed.State.PUBLISHED)
    thing = Thing.objects.create(feed=feed, key="cp1", name="Car park 1")
    return Datastream.objects.create(thing=thing, key="occupancy", name="Occupancy",
                                     observed_property="occupied spaces", unit="spaces")


def observe(stream, *pairs):
    Observation.objects.bulk_create(
        [Observation(datastream=stream, time=at(t), number=v) for t, v in pairs])


HAND_MADE = [
    # 10:00-11:00 UTC on 1 June: 4, 6, 11 -> count 3, sum 21, mean 7, min 4, max 11
    ("2026-06-01T10:00:00", 4.0), ("2026-06-01T10:20:00", 6.0), ("2026-06-01T10:59:59", 11.0),
    # 11:00-12:00: -2.5 alone
    ("2026-06-01T11:00:00", -2.5),
    # 23:30 UTC on 1 June is 00:30 London time on 2 June, but the 1 June UTC day
    ("2026-06-01T23:30:00", 10.0),
    # 2 June
    ("2026-06-02T00:00:00", 1.0), ("2026-06-02T05:15:30.250000", 3.0),
]


def test_hourly_summaries_are_exact_and_skip_empty_hours(stream):
    observe(stream, *HAND_MADE)
    got = aggregates.compute(stream, "hour", at("2026-06-01T00:00:00"), at("2026-06-03T00:00:00"))
    assert [(s.start, s.count, s.total, s.minimum, s.maximum, s.mean) for s in got] == [
        (at("2026-06-01T10:00:00"), 3, 21.0, 4.0, 11.0, 7.0),
        (at("2026-06-01T11:00:00"), 1, -2.5, -2.5, -2.5, -2.5),
        (at("2026-06-01T23:00:00"), 1, 10.0, 10.0, 10.0, 10.0),
        (at("2026-06-02T00:00:00"), 1, 1.0, 1.0, 1.0, 1.0),
        (at("2026-06-02T05:00:00"), 1, 3.0, 3.0, 3.0, 3.0),
    ]


def test_daily_summaries_are_utc_days(stream):
    observe(stream, *HAND_MADE)
    got = aggregates.compute(stream, "day", at("2026-05-01T00:00:00"), at("2026-07-01T00:00:00"))
    # 1 June: 4 + 6 + 11 - 2.5 + 10 = 28.5 over 5; 2 June: 1 + 3 over 2
    assert [(s.start, s.count, s.total, s.minimum, s.maximum) for s in got] == [
        (at("2026-06-01T00:00:00"), 5, 28.5, -2.5, 11.0),
        (at("2026-06-02T00:00:00"), 2, 4.0, 1.0, 3.0),
    ]
    assert got[0].mean == pytest.approx(5.7, abs=1e-12)
    assert got[0].as_dict() == {"start": "2026-06-01T00:00:00Z", "count": 5,
                                "mean": got[0].mean, "min": -2.5, "max": 11.0, "sum": 28.5}


def test_the_period_is_half_open_and_cuts_buckets(stream):
    observe(stream, *HAND_MADE)
    got = aggregates.compute(stream, "hour", at("2026-06-01T10:20:00"),
                             at("2026-06-01T11:00:00"))
    # 10:20 is in, 11:00 is not: 6 and 11 only
    assert [(s.start, s.count, s.total) for s in got] == [(at("2026-06-01T10:00:00"), 2, 17.0)]


def test_only_this_streams_numbers_count(stream):
    observe(stream, *HAND_MADE)
    other = Datastream.objects.create(thing=stream.thing, key="free", name="Free",
                                      observed_property="free spaces")
    Observation.objects.bulk_create([
        Observation(datastream=other, time=at("2026-06-01T10:30:00"), number=1000.0),
        Observation(datastream=stream, time=at("2026-06-01T10:40:00"), text="offline")])
    (first, *_) = aggregates.compute(stream, "hour", at("2026-06-01T10:00:00"),
                                     at("2026-06-01T11:00:00"))
    assert (first.count, first.total) == (3, 21.0)


@pytest.mark.parametrize(("period", "start", "end", "named"), [
    ("week", at("2026-06-01T00:00:00"), at("2026-06-02T00:00:00"), "period"),
    ("hour", datetime(2026, 6, 1), at("2026-06-02T00:00:00"), "start"),
    ("hour", at("2026-06-01T00:00:00"), datetime(2026, 6, 2), "end"),
    ("hour", at("2026-06-02T00:00:00"), at("2026-06-01T00:00:00"), "end"),
])
def test_bad_requests_name_the_parameter(stream, period, start, end, named):
    with pytest.raises(aggregates.AggregateError, match=f"^{named}: "):
        aggregates.compute(stream, period, start, end)


def test_stored_buckets_are_whole_and_replaced_not_added(stream):
    observe(stream, *HAND_MADE)
    # a period inside 10:00-11:00 and 11:00: widened to both whole hours
    assert aggregates.store_aggregates(stream, "hour", at("2026-06-01T10:30:00"),
                                       at("2026-06-01T11:00:01")) == 2
    assert list(Aggregate.objects.filter(datastream=stream).order_by("start").values_list(
        "period", "start", "count", "total", "minimum", "maximum")) == [
        ("hour", at("2026-06-01T10:00:00"), 3, 21.0, 4.0, 11.0),
        ("hour", at("2026-06-01T11:00:00"), 1, -2.5, -2.5, -2.5)]
    # a late observation arrives; storing again replaces the hour's row
    observe(stream, ("2026-06-01T10:45:00", 9.0))
    aggregates.store_aggregates(stream, "hour", at("2026-06-01T10:00:00"),
                                at("2026-06-01T11:00:00"))
    assert list(Aggregate.objects.filter(datastream=stream, start=at("2026-06-01T10:00:00"))
                .values_list("count", "total")) == [(4, 30.0)]
    assert Aggregate.objects.filter(datastream=stream).count() == 2


def test_a_bucket_with_no_observations_left_is_removed_when_stored_again(stream):
    observe(stream, *HAND_MADE)
    aggregates.store_aggregates(stream, "day", at("2026-06-01T00:00:00"),
                                at("2026-06-03T00:00:00"))
    Observation.objects.filter(datastream=stream, time__gte=at("2026-06-02T00:00:00")).delete()
    assert aggregates.store_aggregates(stream, "day", at("2026-06-01T00:00:00"),
                                       at("2026-06-03T00:00:00")) == 1
    assert list(Aggregate.objects.values_list("start", flat=True)) == [at("2026-06-01T00:00:00")]


def test_series_reads_the_table_before_the_retention_cutoff(stream):
    """After the retention worker stores the old days and drops their raw observations,
    readers still see them, from the table; newer days come from the raw observations."""
    observe(stream, *HAND_MADE)
    stream.retention_days = 1
    stream.save()
    now = at("2026-06-03T12:00:00")  # cutoff: 2 June 00:00 UTC
    assert aggregates.retention_cutoff(stream, now) == at("2026-06-02T00:00:00")
    aggregates.store_aggregates(stream, "day", at("2026-06-01T00:00:00"),
                                at("2026-06-02T00:00:00"))
    Observation.objects.filter(time__lt=at("2026-06-02T00:00:00")).delete()
    got = aggregates.series(stream, "day", at("2026-06-01T00:00:00"),
                            at("2026-06-03T00:00:00"), now=now)
    assert [(s.start, s.count, s.total) for s in got] == [
        (at("2026-06-01T00:00:00"), 5, 28.5),  # stored before the raw rows went
        (at("2026-06-02T00:00:00"), 2, 4.0)]   # raw


def test_series_without_retention_is_the_raw_computation(stream):
    observe(stream, *HAND_MADE)
    Aggregate.objects.create(datastream=stream, period="day", start=at("2026-06-01T00:00:00"),
                             count=1, total=999.0, minimum=999.0, maximum=999.0)  # stale
    got = aggregates.series(stream, "day", at("2026-06-01T00:00:00"), at("2026-06-02T00:00:00"))
    assert [(s.count, s.total) for s in got] == [(5, 28.5)]


def test_a_month_of_minutes_gives_every_hour(stream):
    """The GROUP BY runs in the database over a month of one-minute data (a year is in the
    benchmark)."""
    start = at("2025-01-01T00:00:00")
    days = 31
    minutes = days * 24 * 60
    Observation.objects.bulk_create(
        (Observation(datastream=stream, time=start + timedelta(minutes=i), number=i % 60)
         for i in range(minutes)), batch_size=5000)
    got = aggregates.compute(stream, "hour", start, start + timedelta(days=days))
    assert len(got) == days * 24
    # every hour holds minutes 0..59: sum 1770, mean 29.5
    assert {(s.count, s.total, s.minimum, s.maximum) for s in got} == {(60, 1770.0, 0.0, 59.0)}


@pytest.mark.parametrize("period", ["hour", "day"])
def test_the_same_figures_when_queries_are_logged_as_in_debug(stream, period):
    """With DEBUG on (the demo) Django logs each query by formatting its SQL with its
    parameters: a literal % in the SQL must survive that (the demo's worker crashed on
    SQLite's strftime('%Y...') before)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    observe(stream, *HAND_MADE)
    start, end = at("2026-06-01T00:00:00"), at("2026-06-03T00:00:00")
    quiet = aggregates.compute(stream, period, start, end)
    with CaptureQueriesContext(connection) as logged:
        assert aggregates.compute(stream, period, start, end) == quiet
    assert logged.captured_queries and quiet
