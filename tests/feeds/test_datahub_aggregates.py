"""The MK Data Hub's datapoints aggregated on the server, in Xively's words: ``interval``
3600 or 86400 seconds gives UTC hourly or daily buckets, ``function`` (average by default,
min, max, sum, count) the figure of each; ``at`` is the bucket's start; a bucket with no
observations is absent; ``limit`` counts buckets. Only numeric streams aggregate, and a
private or a draft feed's buckets are read by those who read its datapoints."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest

from commonground.feeds.models import Observation

from . import read_world
from .read_world import MK, make_stream, make_thing
from .test_datahub_api import EXPECTED, _as

world = read_world.world  # the fixture

pytestmark = pytest.mark.django_db

#: Known observations (UTC time, value): three in the 10:00 hour of 1 May 2024, one at
#: 11:30, none in the 12:00 hour, one at 13:05, one at 09:00 the next day; and one at 00:30
#: on 3 May, outside the periods asked for below.
KNOWN = [(datetime(2024, 5, 1, 10, 0, tzinfo=UTC), 1.0),
         (datetime(2024, 5, 1, 10, 20, tzinfo=UTC), 2.0),
         (datetime(2024, 5, 1, 10, 40, tzinfo=UTC), 6.0),
         (datetime(2024, 5, 1, 11, 30, tzinfo=UTC), 10.0),
         (datetime(2024, 5, 1, 13, 5, tzinfo=UTC), 4.0),
         (datetime(2024, 5, 2, 9, 0, tzinfo=UTC), 7.0),
         (datetime(2024, 5, 3, 0, 30, tzinfo=UTC), 100.0)]
START, END = "2024-05-01T00:00:00Z", "2024-05-03T00:00:00Z"
BY_HAND = {"average": statistics.fmean, "min": min, "max": max, "sum": sum, "count": len}


def by_hand(seconds: int, function: str, start: datetime, end: datetime) -> list[dict]:
    """The buckets of ``KNOWN`` in [start, end), grouped in plain Python."""
    groups: dict[datetime, list[float]] = defaultdict(list)
    for time, value in KNOWN:
        if start <= time < end:
            floor = datetime.fromtimestamp(time.timestamp() // seconds * seconds, UTC)
            groups[floor].append(value)
    return [{"at": at.isoformat().replace("+00:00", "Z"), "value": BY_HAND[function](values)}
            for at, values in sorted(groups.items())]


@pytest.fixture
def known(world):
    stream = make_stream(make_thing(world.feeds["car-parks"], "cp9", "Known car park", *MK))
    Observation.objects.bulk_create([Observation(datastream=stream, time=t, number=v)
                                     for t, v in KNOWN])
    return stream


def _url(world, stream) -> str:
    return f"/sensors/feeds/{world.feeds['car-parks'].pk}/datastreams/{stream.pk}/datapoints"


def test_hourly_buckets_match_a_computation_by_hand(client, world, known):
    first, last = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)
    for function in BY_HAND:
        body = client.get(_url(world, known), {"start": START, "end": END, "interval": 3600,
                                               "function": function}).json()
        assert body["datapoints"] == by_hand(3600, function, first, last), function
        assert (body["interval"], body["function"]) == (3600, function)
    # the hand figures of the 10:00 hour: 1, 2 and 6
    (ten,) = [p for p in client.get(_url(world, known), {"start": START, "end": END,
                                                         "interval": "3600"}).json()
              ["datapoints"] if p["at"] == "2024-05-01T10:00:00Z"]
    assert ten["value"] == pytest.approx(3.0)


def test_daily_buckets_and_an_empty_hour_is_absent(client, world, known):
    first, last = datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)
    body = client.get(_url(world, known), {"start": START, "end": END, "interval": 86400,
                                           "function": "sum"}).json()
    assert body["datapoints"] == by_hand(86400, "sum", first, last)
    assert [p["at"] for p in body["datapoints"]] == ["2024-05-01T00:00:00Z",
                                                     "2024-05-02T00:00:00Z"]
    hours = client.get(_url(world, known), {"start": START, "end": END,
                                            "interval": 3600}).json()["datapoints"]
    assert "2024-05-01T12:00:00Z" not in [p["at"] for p in hours]  # nothing was observed
    assert client.get(_url(world, known), {"start": START, "end": END,
                                           "interval": 3600}).json()["function"] == "average"


def test_buckets_are_utc_whatever_the_offset_of_start(client, world, known):
    # 1 May 2024 00:00 at +01:00 is 30 April 23:00 UTC: the buckets still start on UTC hours
    body = client.get(_url(world, known), {"start": "2024-05-01T00:00:00+01:00",
                                           "end": "2024-05-01T12:00:00+01:00",
                                           "interval": 3600, "function": "count"}).json()
    assert body["datapoints"] == by_hand(3600, "count", datetime(2024, 4, 30, 23, tzinfo=UTC),
                                         datetime(2024, 5, 1, 11, tzinfo=UTC))
    assert body["start"] == "2024-04-30T23:00:00Z"


def test_limit_counts_buckets_from_start_or_back_from_end(client, world, known):
    hours = by_hand(3600, "max", datetime(2024, 5, 1, tzinfo=UTC),
                    datetime(2024, 5, 3, tzinfo=UTC))
    query = {"interval": 3600, "function": "max", "limit": 2}
    assert client.get(_url(world, known), {**query, "start": START, "end": END}).json()[
        "datapoints"] == hours[:2]
    # with only an end, the newest buckets of the 24 hours before it
    assert client.get(_url(world, known), {**query, "end": END}).json()["datapoints"] == \
        hours[-1:]
    assert client.get(_url(world, known), {**query, "end": "2024-05-02T00:00:00Z"}).json()[
        "datapoints"] == hours[1:3]


def test_the_default_period_is_the_past_24_hours(client, world):
    # the world's stream: value i at now - 10 i minutes (i = 1..60), and 999 thirty hours ago
    stream = world.streams["centre"]
    for function, expected in (("count", 60), ("sum", sum(range(1, 61)))):
        body = client.get(_url(world, stream), {"interval": 3600, "function": function}
                          ).json()
        assert sum(p["value"] for p in body["datapoints"]) == expected
        assert 10 <= len(body["datapoints"]) <= 12  # ten hours of readings, cut by the hour
    day = client.get(_url(world, stream), {"interval": 86400, "function": "max"}).json()
    assert max(p["value"] for p in day["datapoints"]) == 60.0  # 999 is 30 hours old


def test_a_feeds_datapoints_aggregate_each_numeric_stream(client, world, known):
    from commonground.feeds.models import Datastream

    status = make_stream(known.thing, "status", value_type=Datastream.ValueType.TEXT)
    Observation.objects.create(datastream=status, time=KNOWN[0][0], text="open")
    body = client.get(f"/sensors/feeds/{world.feeds['car-parks'].pk}/datapoints",
                      {"start": START, "end": END, "interval": 86400, "function": "count"}
                      ).json()
    assert (body["interval"], body["function"]) == (86400, "count")
    by_id = {s["id"]: s for s in body["datastreams"]}
    assert by_id[known.pk]["datapoints"] == by_hand(
        86400, "count", datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC))
    assert by_id[status.pk]["datapoints"] == []
    assert "only numeric streams aggregate" in by_id[status.pk]["detail"]


@pytest.mark.parametrize(("query", "parameter", "names"), [
    ({"interval": "60"}, "interval", "3600"), ({"interval": "hour"}, "interval", "86400"),
    ({"interval": "3600", "function": "median"}, "function", "average, min, max, sum, count"),
    ({"function": "max"}, "interval", "3600"),
    ({"interval": "3600", "limit": "0"}, "limit", "1000"),
])
def test_bad_aggregate_parameters_are_named(client, world, known, query, parameter, names):
    answer = client.get(_url(world, known), query)
    assert answer.status_code == 400
    assert answer.json()["parameter"] == parameter
    assert answer.json()["detail"].startswith(f"{parameter}: ") and names in \
        answer.json()["detail"]


def test_text_and_json_streams_do_not_aggregate(client, world):
    from commonground.feeds.models import Datastream

    roadworks = world.feeds["roadworks"]
    events = make_stream(make_thing(roadworks, "rw1", "Roadworks", *MK), "works",
                         value_type=Datastream.ValueType.JSON)
    Observation.objects.create(datastream=events, time=world.now - timedelta(hours=1),
                               text='{"road": "H6"}')
    answer = client.get(f"/events/feeds/{roadworks.pk}/datastreams/{events.pk}/events",
                        {"interval": 3600})
    assert answer.status_code == 400
    assert answer.json()["parameter"] == "interval"
    assert "only numeric streams aggregate" in answer.json()["detail"]


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("slug", ["private-air", "draft-feed"])
def test_who_reads_a_private_or_a_draft_feeds_buckets(client, world, who, slug):
    feed, stream = world.feeds[slug], world.streams[slug]
    headers = _as(client, world, who, slug)
    expected = EXPECTED[who][slug]
    for url in (f"/sensors/feeds/{feed.pk}/datapoints",
                f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}/datapoints"):
        answer = client.get(url, {"interval": 3600, "function": "max"}, **headers)
        assert answer.status_code == expected, (url, answer.json())
        assert ("21.5" in answer.content.decode()) == (expected == 200)


def _spy_on_series(monkeypatch) -> list[tuple[datetime, datetime]]:
    """The periods the answer's buckets are computed over (``aggregates.series`` runs as
    it is; only its arguments are noted)."""
    from commonground.feeds import aggregates

    asked, series = [], aggregates.series

    def noting(stream, period, start, end, *args, **kwargs):
        asked.append((start, end))
        return series(stream, period, start, end, *args, **kwargs)

    monkeypatch.setattr(aggregates, "series", noting)
    return asked


def test_a_century_asked_for_walks_only_the_streams_data(client, world, known, monkeypatch):
    """A period far wider than the stream's data (a century: 876,000 hours, seconds of
    work) gives the same buckets, computed over the hours the stream has data in."""
    asked = _spy_on_series(monkeypatch)
    century = {"start": "2024-01-01T00:00:00Z", "end": "2124-01-01T00:00:00Z",
               "interval": 3600, "function": "sum", "limit": 1000}
    body = client.get(_url(world, known), century).json()
    assert body["datapoints"] == by_hand(3600, "sum", datetime(2024, 1, 1, tzinfo=UTC),
                                         datetime(2124, 1, 1, tzinfo=UTC))
    assert body["start"] == "2024-01-01T00:00:00Z"  # the period as asked, echoed
    (start, end), = asked  # from the first observation's hour to the last's
    assert (start, end) == (datetime(2024, 5, 1, 10, tzinfo=UTC),
                            datetime(2024, 5, 3, 1, tzinfo=UTC))
    asked.clear()
    before = client.get(_url(world, known), {**century, "start": "1990-01-01T00:00:00Z",
                                             "end": "2024-01-01T00:00:00Z"}).json()
    assert before["datapoints"] == [] and asked == []  # no data in it: nothing walked


def test_buckets_kept_after_retention_count_as_the_streams_data(client, world, known):
    """Retention drops raw observations and keeps their buckets: a century asked for still
    finds them (the earliest data may be in the aggregate table only)."""
    from commonground.feeds import aggregates
    from commonground.feeds.models import Datastream

    days = (datetime(2024, 5, 1, tzinfo=UTC), datetime(2024, 5, 4, tzinfo=UTC))
    for period in aggregates.PERIODS:
        aggregates.store_aggregates(known, period, *days)
    Datastream.objects.filter(pk=known.pk).update(aggregated_until=days[1])
    Observation.objects.filter(datastream=known).delete()
    for seconds in (3600, 86400):
        body = client.get(_url(world, known), {
            "start": "2000-01-01T00:00:00Z", "end": "2100-01-01T00:00:00Z",
            "interval": seconds, "function": "max", "limit": 1000}).json()
        assert body["datapoints"] == by_hand(seconds, "max", *days), seconds


def test_more_than_the_most_buckets_of_data_is_refused_naming_end(client, world, known):
    """Data over more than 10,000 hours: an hourly period over all of it is refused, naming
    ``end`` (a start is given: the oldest buckets from it are answered) with the latest it
    may be; that end is answered. Days span it easily."""
    from commonground.feeds import reading

    first = datetime(2024, 5, 1, 10, tzinfo=UTC)  # the stream's first observation's hour
    late = first + timedelta(hours=reading.MAX_BUCKETS + 5)
    Observation.objects.create(datastream=known, time=late, number=5.0)
    everything = {"start": "2024-01-01T00:00:00Z", "end": "2027-01-01T00:00:00Z",
                  "interval": 3600, "function": "count"}
    answer = client.get(_url(world, known), everything)
    assert answer.status_code == 400 and answer.json()["parameter"] == "end"
    assert f"more than {reading.MAX_BUCKETS:,}" in answer.json()["detail"]
    latest = answer.json()["detail"].rsplit(" ", 1)[1]
    assert latest == (first + timedelta(hours=reading.MAX_BUCKETS)).isoformat().replace(
        "+00:00", "Z")
    allowed = client.get(_url(world, known), {**everything, "end": latest})
    assert allowed.json()["datapoints"][0] == {"at": "2024-05-01T10:00:00Z", "value": 3}
    feed = client.get(f"/sensors/feeds/{world.feeds['car-parks'].pk}/datapoints", everything)
    assert feed.status_code == 400 and feed.json()["parameter"] == "end"
    assert f"datastream {known.pk}'s" in feed.json()["detail"]
    days = client.get(_url(world, known), {**everything, "interval": 86400})
    assert days.status_code == 200 and len(days.json()["datapoints"]) == 4


@pytest.mark.parametrize(("query", "parameter"), [
    ({"start": "0001-01-01T00:30:00+01:00"}, "start"),
    ({"start": "1899-12-31T23:00:00Z"}, "start"),
    ({"end": "0001-01-01T23:00:00-01:00"}, "end"),
    ({"start": "2024-05-01T00:00:00Z", "end": "9999-12-31T23:59:59-01:00"}, "end"),
])
def test_times_outside_1900_to_2200_are_refused_by_name(client, world, known, query,
                                                        parameter):
    for path in (_url(world, known),
                 f"/sensors/feeds/{world.feeds['car-parks'].pk}/datapoints"):
        for extra in ({"interval": 86400}, {"interval": 3600}, {}):
            answer = client.get(path, {**query, **extra})
            assert answer.status_code == 400, (path, extra)
            assert answer.json()["parameter"] == parameter
            assert "is not between 1900-01-01T00:00:00Z and 2200-01-01T00:00:00Z" in \
                answer.json()["detail"]
