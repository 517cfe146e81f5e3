"""write_observations: a batch is checked whole and written whole, or not at all. Each bad
row is named by its index and field: unknown thing or datastream, a time without a zone or
in the future, a non-numeric value for a numeric stream, one instant given two values. The
same observation again changes nothing; a different value for a stored instant is refused
unless replace=True; rows in any order are accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commonground.feeds.models import Datastream, Feed, Observation, Thing
from commonground.feeds.writing import CLOCK_SKEW, WriteError, write_observations

pytestmark = pytest.mark.django_db

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed(council):
    feed = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks")
    for key in ("p1", "p2"):
        thing = Thing.objects.create(feed=feed, key=key, name=f"Car park {key}")
        Datastream.objects.create(thing=thing, key="occupancy", name="Occupancy",
                                  observed_property="occupancy", unit="vehicles")
    Datastream.objects.create(thing=thing, key="status", name="Status", observed_property="s",
                              value_type="text")
    Datastream.objects.create(thing=thing, key="event", name="Event", observed_property="e",
                              value_type="json")
    return feed


def write(feed, rows, **options):
    return write_observations(feed, rows, now=NOW, **options)


def stored():
    return sorted((o.datastream.thing.key, o.datastream.key, o.time, o.number, o.text)
                  for o in Observation.objects.select_related("datastream__thing"))


def problems(feed, rows, **options):
    with pytest.raises(WriteError) as caught:
        write(feed, rows, **options)
    return [(p.index, p.field, p.message) for p in caught.value.problems]


def test_a_batch_is_written_with_times_in_utc_and_values_by_stream_type(feed):
    result = write(feed, [
        ("p1", "occupancy", "2024-05-01T10:00:00+01:00", 12),
        ("p2", "occupancy", datetime(2024, 5, 1, 9, 5, tzinfo=UTC), "7.5"),
        ("p2", "status", "2024-05-01T09:05:00Z", "open"),
        ("p2", "event", "2024-05-01T09:05:00Z", {"gate": "north", "open": True})])
    assert result.as_dict() == {"received": 4, "added": 4, "unchanged": 0, "replaced": 0}
    nine, five_past = datetime(2024, 5, 1, 9, tzinfo=UTC), datetime(2024, 5, 1, 9, 5, tzinfo=UTC)
    assert stored() == [("p1", "occupancy", nine, 12.0, ""),
                        ("p2", "event", five_past, None, '{"gate": "north", "open": true}'),
                        ("p2", "occupancy", five_past, 7.5, ""),
                        ("p2", "status", five_past, None, "open")]


def test_every_value_and_instant_is_stored_exactly_as_sent(feed):
    """Texts with quotes, backslashes, commas, braces, the word NULL or nothing at all, JSON
    with escapes, numbers at the ends of a double's range and times to the microsecond all
    come back as sent (PostgreSQL receives a batch as array literals: ``writing._insert``)."""
    import json

    at = datetime(2024, 5, 1, 9, tzinfo=UTC)
    texts = ['say "hi"', "back\\slash \\\"", "a,b", "{x}", "NULL", "", " spaced ",
             "ünïcödé ✓", "line\nbreak\ttab"]
    events = [{"quote": '"', "slash": "\\", "list": [1, None, "{,}"]}, "NULL", None, [], 2.5]
    numbers = [0.1 + 0.2, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, -123456789.125, 7]
    rows = ([("p2", "status", at + timedelta(seconds=i), t) for i, t in enumerate(texts)]
            + [("p2", "event", at + timedelta(seconds=i), e) for i, e in enumerate(events)]
            + [("p1", "occupancy", at + timedelta(microseconds=us), n)
               for us, n in zip((0, 1, 999999, 123456, 500000, 2, 3), numbers, strict=True)])
    assert write(feed, rows).added == len(rows)
    by_stream = {}
    for _, stream, time, number, text in stored():
        by_stream.setdefault(stream, []).append((time, number, text))
    assert by_stream["status"] == [(at + timedelta(seconds=i), None, t)
                                   for i, t in enumerate(texts)]
    assert [json.loads(text) for _, _, text in by_stream["event"]] == events
    assert sorted(by_stream["occupancy"]) == sorted(
        (at + timedelta(microseconds=us), float(n), "")
        for us, n in zip((0, 1, 999999, 123456, 500000, 2, 3), numbers, strict=True))
    assert write(feed, rows).as_dict()["unchanged"] == len(rows)


def test_one_bad_row_writes_nothing_and_every_bad_row_is_named(feed):
    rows = [("p1", "occupancy", "2024-05-01T10:00:00Z", 1),
            ("p9", "occupancy", "2024-05-01T10:00:00Z", 1),
            ("p1", "speed", "2024-05-01T10:00:00Z", 1),
            ("p1", "occupancy", "2024-05-01T10:00:00", 1),
            ("p1", "occupancy", "yesterday", 1),
            ("p1", "occupancy", "2024-05-01T10:00:00Z", "full"),
            ("p1", "occupancy", "2024-05-01T10:00:00Z", None),
            ("p1", "occupancy", "2024-05-01T10:00:00Z", "NaN"),
            ("p1", "occupancy", "2024-05-01T10:00:00Z", True),
            ("p1", "occupancy", "2024-05-01", 1),
            ("p1", "occupancy")]
    found = problems(feed, rows)
    assert [(index, field) for index, field, _ in found] == [
        (1, "thing"), (2, "datastream"), (3, "time"), (4, "time"), (5, "value"), (6, "value"),
        (7, "value"), (8, "value"), (9, "time"), (10, "observation")]
    messages = dict(((i, f), m) for i, f, m in found)
    assert "has no thing 'p9'" in messages[1, "thing"]
    assert "has no datastream 'speed'" in messages[2, "datastream"]
    assert "no time zone" in messages[3, "time"] and "no time zone" in messages[9, "time"]
    assert "not an ISO 8601 time" in messages[4, "time"]
    assert "must be a number, not 'full'" in messages[5, "value"]
    assert not Observation.objects.exists()


def test_a_time_in_the_future_is_refused_beyond_the_clock_skew(feed):
    just_ahead = NOW + CLOCK_SKEW - timedelta(seconds=1)
    too_far = NOW + CLOCK_SKEW + timedelta(seconds=1)
    ((index, field, message),) = problems(feed, [("p1", "occupancy", just_ahead, 1),
                                                 ("p1", "occupancy", too_far, 2)])
    assert (index, field) == (1, "time") and "in the future" in message
    assert not Observation.objects.exists()
    assert write(feed, [("p1", "occupancy", just_ahead, 1)]).added == 1


def test_the_same_observation_again_changes_nothing(feed):
    rows = [("p1", "occupancy", "2024-05-01T10:00:00Z", 3),
            ("p1", "occupancy", "2024-05-01T10:00:00+00:00", 3)]  # twice in one batch too
    assert write(feed, rows).as_dict() == {"received": 2, "added": 1, "unchanged": 1,
                                           "replaced": 0}
    before = list(Observation.objects.values_list("pk", "time", "number", "received"))
    assert write(feed, rows).as_dict() == {"received": 2, "added": 0, "unchanged": 2,
                                           "replaced": 0}
    assert list(Observation.objects.values_list("pk", "time", "number", "received")) == before


def test_a_different_value_for_a_stored_instant_is_refused_unless_replacing(feed):
    write(feed, [("p1", "occupancy", "2024-05-01T10:00:00Z", 3)])
    rows = [("p1", "occupancy", "2024-05-01T09:00:00Z", 1),
            ("p1", "occupancy", "2024-05-01T11:00:00+01:00", 4)]
    ((index, field, message),) = problems(feed, rows)
    assert (index, field) == (1, "value") and "already holds a different value (3.0)" in message
    assert Observation.objects.count() == 1  # the good row was not written either
    assert write(feed, rows, replace=True).as_dict() == {
        "received": 2, "added": 1, "unchanged": 0, "replaced": 1}
    assert [o[3] for o in stored()] == [1.0, 4.0]


def test_two_values_for_one_instant_in_a_batch_are_refused(feed):
    ((index, field, message),) = problems(feed, [("p1", "occupancy", "2024-05-01T10:00Z", 3),
                                                 ("p1", "occupancy", "2024-05-01T10:00Z", 4)])
    assert (index, field) == (1, "value") and "observation 0 of this batch" in message
    assert not Observation.objects.exists()


def test_rows_out_of_order_and_late_are_accepted(feed):
    times = ["2024-05-01T11:00:00Z", "2024-04-01T00:00:00Z", "2024-05-01T10:30:00Z"]
    write(feed, [("p1", "occupancy", t, i) for i, t in enumerate(times)])
    write(feed, [("p1", "occupancy", "2024-04-15T00:00:00Z", 9)])  # back-fill between
    assert [(o[2].isoformat(), o[3]) for o in stored()] == [
        ("2024-04-01T00:00:00+00:00", 1.0), ("2024-04-15T00:00:00+00:00", 9.0),
        ("2024-05-01T10:30:00+00:00", 2.0), ("2024-05-01T11:00:00+00:00", 0.0)]


def test_a_large_batch_is_written_in_chunks(feed):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [("p2", "occupancy", start + timedelta(minutes=i), i) for i in range(5001)]
    assert write(feed, rows).added == 5001
    assert write(feed, rows).unchanged == 5001
    assert Observation.objects.count() == 5001


def test_streams_sent_over_the_same_span_are_checked_with_one_query(feed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    instants = ["2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z", "2024-05-01T10:10:00Z"]
    rows = [(thing, stream, t, i) for i, t in enumerate(instants)
            for thing, stream in (("p1", "occupancy"), ("p2", "occupancy"), ("p2", "status"))]
    rows.append(("p2", "event", "2024-04-01T00:00:00Z", {"late": True}))  # a span of its own
    write(feed, rows[:4])
    with CaptureQueriesContext(connection) as queries:
        result = write(feed, rows)
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith("SELECT") and "feeds_observation" in q["sql"]]
    assert len(reads) == 2  # one for the three streams' shared span, one for the event's
    assert result.as_dict() == {"received": 10, "added": 6, "unchanged": 4, "replaced": 0}
    assert write(feed, rows).as_dict() == {"received": 10, "added": 0, "unchanged": 10,
                                           "replaced": 0}


def test_a_row_older_than_its_streams_retention_is_skipped_and_a_batch_of_only_such_refused(
        feed):
    """Raw observations before a stream's retention cutoff are not kept (or already gone),
    so a row for one cannot be told apart from one already counted: it is skipped and
    reported; a batch with nothing else is refused, each row named, field ``time``."""
    Datastream.objects.filter(key__in=["occupancy", "status"]).update(retention_days=2)
    old, kept = "2024-04-28T23:59:00Z", "2024-04-29T00:00:00Z"  # the cutoff: 29 April
    rows = [("p1", "occupancy", old, 1), ("p1", "occupancy", kept, 2),
            ("p2", "status", old, "full"), ("p2", "status", old, "full"),
            ("p2", "event", old, {"gate": 1})]  # the event stream keeps everything

    result = write(feed, rows)

    assert result.as_dict() == {
        "received": 5, "added": 2, "unchanged": 0, "replaced": 0, "skipped": 3,
        "skipped_rows": [{"index": i, "field": "time", "message": (
            "2024-04-28T23:59:00Z is older than the stream's retention (raw observations kept "
            "from 2024-04-29T00:00:00Z); it cannot be told apart from one already counted")}
            for i in (0, 2)]}
    assert [(s[1], s[2]) for s in stored()] == [
        ("occupancy", datetime(2024, 4, 29, tzinfo=UTC)),
        ("event", datetime(2024, 4, 28, 23, 59, tzinfo=UTC))]
    assert problems(feed, [rows[0], rows[2]]) == [
        (i, "time", result.skipped_rows[0].message) for i in (0, 1)]
    assert len(stored()) == 2
