"""The MK Data Hub's read API: its paths and documented defaults (the past 24 hours, at most
50 points), start/end/limit, near and bbox on location feeds, the key as the basic-auth user
name, every bad parameter named, and who reads a private or a draft feed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commonground.feeds.models import FeedKey

from . import read_world
from .read_world import MK, basic

world = read_world.world  # the fixture

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def get(client, url, **headers):
    answer = client.get(url, **headers)
    return answer.status_code, answer.json()


def test_a_sensor_feed_lists_its_things_and_streams_with_their_latest_values(client, world):
    parks = world.feeds["car-parks"]
    status, body = get(client, f"/sensors/feeds/{parks.pk}")
    assert status == 200
    assert (body["id"], body["title"], body["kind"]) == (parks.pk, "Car Parks", "sensor")
    by_key = {t["key"]: t for t in body["things"]}
    assert set(by_key) == {"cp1", "bath-sb"}
    (centre,) = by_key["cp1"]["datastreams"]
    assert (centre["id"], centre["current_value"], centre["at"], centre["unit"]["label"]) == (
        world.streams["centre"].pk, 1.0, iso(world.now - timedelta(minutes=10)), "spaces")
    assert by_key["bath-sb"]["datastreams"][0]["current_value"] == 140.0
    assert by_key["bath-sb"]["location"] == {"lat": 51.3794, "lon": -2.3584, "name": ""}


def test_datapoints_default_to_the_newest_50_of_the_past_24_hours(client, world):
    parks, stream = world.feeds["car-parks"], world.streams["centre"]
    status, body = get(client, f"/sensors/feeds/{parks.pk}/datastreams/{stream.pk}/datapoints")
    assert status == 200
    values = [p["value"] for p in body["datapoints"]]
    # 60 readings in the past 10 hours (value i at now - 10i min) and one 30 hours ago:
    # the 50 newest, oldest first
    assert values == [float(i) for i in range(50, 0, -1)]
    assert body["datapoints"][-1]["at"] == iso(world.now - timedelta(minutes=10))
    assert body["limit"] == 50


def test_start_end_and_limit_refine_the_datapoints(client, world):
    parks, stream = world.feeds["car-parks"], world.streams["centre"]
    url = f"/sensors/feeds/{parks.pk}/datastreams/{stream.pk}/datapoints"
    start, end = iso(world.now - timedelta(minutes=65)), iso(world.now - timedelta(minutes=15))
    period = {"start": start, "end": end}
    assert [p["value"] for p in client.get(url, period).json()["datapoints"]] == \
        [6.0, 5.0, 4.0, 3.0, 2.0]
    # with a start, the first points from it; with only an end, the newest before it
    assert [p["value"] for p in client.get(url, {**period, "limit": 2}).json()["datapoints"]] \
        == [6.0, 5.0]
    assert [p["value"] for p in client.get(url, {"end": end, "limit": 2}).json()["datapoints"]] \
        == [3.0, 2.0]
    old = client.get(url, {"start": iso(world.now - timedelta(hours=31)),
                           "end": iso(world.now - timedelta(hours=29))}).json()
    assert [p["value"] for p in old["datapoints"]] == [999.0]


def test_a_feeds_datapoints_limit_each_stream(client, world):
    parks = world.feeds["car-parks"]
    body = client.get(f"/sensors/feeds/{parks.pk}/datapoints", {"limit": 3}).json()
    got = {s["id"]: [p["value"] for p in s["datapoints"]] for s in body["datastreams"]}
    assert got == {world.streams["centre"].pk: [3.0, 2.0, 1.0],
                   world.streams["bath"].pk: [140.0]}


def test_near_finds_things_within_a_radius_in_metres(client, world):
    buses = world.feeds["buses"]
    url = f"/locations/feeds/{buses.pk}"
    near = lambda r: sorted(t["key"] for t in client.get(  # noqa: E731
        url, {"near": f"{MK[0]},{MK[1]},{r}"}).json()["things"])
    assert near(1000) == ["bus1", "bus2"]
    assert near(500) == ["bus1"]
    assert near(100_000) == ["bus1", "bus2"]  # Bath is 150 km away
    everything = sorted(t["key"] for t in client.get(url).json()["things"])
    assert everything == ["bus1", "bus2", "bus3"]


def test_bbox_finds_things_inside_west_north_east_south(client, world):
    url = f"/locations/feeds/{world.feeds['buses'].pk}"
    around_mk = f"{MK[1] - 0.01},{MK[0] + 0.02},{MK[1] + 0.01},{MK[0] - 0.01}"
    assert sorted(t["key"] for t in client.get(url, {"bbox": around_mk}).json()["things"]) == \
        ["bus1", "bus2"]
    just_the_station = f"{MK[1] - 0.01},{MK[0] + 0.001},{MK[1] + 0.01},{MK[0] - 0.001}"
    assert [t["key"] for t in client.get(url, {"bbox": just_the_station}).json()["things"]] == \
        ["bus1"]


@pytest.mark.parametrize(("query", "parameter"), [
    ({"limit": "0"}, "limit"), ({"limit": "1001"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"start": "yesterday"}, "start"), ({"start": "2026-06-01T10:00:00"}, "start"),
    ({"end": "2026-13-01T00:00:00Z"}, "end"),
    ({"start": "2026-06-02T00:00:00Z", "end": "2026-06-01T00:00:00Z"}, "end"),
])
def test_bad_datapoint_parameters_are_named(client, world, query, parameter):
    parks, stream = world.feeds["car-parks"], world.streams["centre"]
    answer = client.get(f"/sensors/feeds/{parks.pk}/datastreams/{stream.pk}/datapoints", query)
    assert answer.status_code == 400
    assert answer.json()["parameter"] == parameter
    assert answer.json()["detail"].startswith(f"{parameter}: ")


@pytest.mark.parametrize(("query", "parameter"), [
    ({"near": "52.03,-0.77"}, "near"), ({"near": "52.03,-0.77,x"}, "near"),
    ({"near": "95,-0.77,100"}, "near"), ({"near": "52.03,-190,100"}, "near"),
    ({"near": "52.03,-0.77,0"}, "near"), ({"near": "52.03,-0.77,100001"}, "near"),
    ({"near": "52.03,-0.77,nan"}, "near"),
    ({"bbox": "-0.8,52.0,-0.7"}, "bbox"), ({"bbox": "-0.8,51.9,-0.7,52.0"}, "bbox"),
    ({"bbox": "-0.7,52.1,-0.8,52.0"}, "bbox"), ({"bbox": "w,n,e,s"}, "bbox"),
    ({"near": "52.03,-0.77,100", "bbox": "-0.8,52.1,-0.7,52.0"}, "bbox"),
])
def test_bad_place_searches_are_named(client, world, query, parameter):
    answer = client.get(f"/locations/feeds/{world.feeds['buses'].pk}", query)
    assert answer.status_code == 400, answer.json()
    assert answer.json()["parameter"] == parameter


def test_place_searches_are_for_location_feeds_only(client, world):
    answer = client.get(f"/sensors/feeds/{world.feeds['car-parks'].pk}",
                        {"near": f"{MK[0]},{MK[1]},1000"})
    assert (answer.status_code, answer.json()["parameter"]) == (400, "near")


def test_unknown_feeds_streams_and_kinds_are_not_found(client, world):
    parks, buses = world.feeds["car-parks"], world.feeds["buses"]
    private_stream = world.streams["private-air"]
    assert client.get("/sensors/feeds/999999").status_code == 404
    assert client.get(f"/locations/feeds/{parks.pk}").status_code == 404  # a sensor feed
    assert client.get(f"/sensors/feeds/{buses.pk}").status_code == 404
    assert client.get(f"/events/feeds/{parks.pk}").status_code == 404
    # a stream of another feed is not this feed's
    answer = client.get(f"/sensors/feeds/{parks.pk}/datastreams/{private_stream.pk}/datapoints")
    assert answer.status_code == 404
    assert "has no datastream" in answer.json()["detail"]


def test_the_api_reads_only(client, world):
    assert client.post(f"/sensors/feeds/{world.feeds['car-parks'].pk}").status_code == 405


#: Who gets what from a private and a draft feed.
EXPECTED = {
    "anonymous": {"private-air": 401, "draft-feed": 404},
    "other organisation's member": {"private-air": 403, "draft-feed": 404},
    "another feed's read key": {"private-air": 403, "draft-feed": 404},
    "this feed's write key": {"private-air": 403, "draft-feed": 404},
    "an unknown key": {"private-air": 401, "draft-feed": 401},
    "this feed's read key": {"private-air": 200, "draft-feed": 404},
    "member": {"private-air": 200, "draft-feed": 200},
}


def _as(client, world, who, slug) -> dict:
    if who == "other organisation's member":
        client.force_login(world.users["outsider"])
    elif who == "member":
        client.force_login(world.users["member"])
    elif who == "another feed's read key":
        return basic(world.secrets["car-parks read"])
    elif who == "this feed's write key":
        return basic(world.secrets[f"{slug} write"])
    elif who == "this feed's read key":
        return basic(world.secrets[f"{slug} read"])
    elif who == "an unknown key":
        return basic("not-a-key-of-this-hub-at-all")
    return {}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("slug", ["private-air", "draft-feed"])
def test_who_reads_a_private_or_a_draft_feed(client, world, who, slug):
    feed, stream = world.feeds[slug], world.streams[slug]
    headers = _as(client, world, who, slug)
    expected = EXPECTED[who][slug]
    for url in (f"/sensors/feeds/{feed.pk}",
                f"/sensors/feeds/{feed.pk}/datapoints",
                f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}",
                f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}/datapoints"):
        answer = client.get(url, **headers)
        assert answer.status_code == expected, (url, answer.json())
        if expected == 200:
            assert "21.5" in answer.content.decode()
        else:
            assert "21.5" not in answer.content.decode()
        if expected == 401:
            assert answer["WWW-Authenticate"].startswith("Basic ")


def test_a_read_key_says_why_it_is_refused_and_records_its_use(client, world):
    private = world.feeds["private-air"]
    answer = client.get(f"/sensors/feeds/{private.pk}", **basic(world.secrets["car-parks read"]))
    assert "is not a key of feed 'private-air'" in answer.json()["detail"]
    answer = client.get(f"/sensors/feeds/{private.pk}",
                        **basic(world.secrets["private-air write"]))
    assert "is a write key; this needs a read key" in answer.json()["detail"]
    key = FeedKey.objects.get(feed=private, scope="read")
    assert key.last_used is None
    client.get(f"/sensors/feeds/{private.pk}", **basic(world.secrets["private-air read"]))
    key.refresh_from_db()
    assert key.last_used is not None


def test_a_public_feed_needs_no_key_and_other_schemes_are_refused(client, world):
    parks = world.feeds["car-parks"]
    assert client.get(f"/sensors/feeds/{parks.pk}").status_code == 200
    answer = client.get(f"/sensors/feeds/{parks.pk}", HTTP_AUTHORIZATION="Bearer abc")
    assert (answer.status_code, answer.json()["parameter"]) == (401, "Authorization")
    answer = client.get(f"/sensors/feeds/{parks.pk}", HTTP_AUTHORIZATION="Basic !!!")
    assert answer.status_code == 401


def test_an_event_streams_events_are_json_documents(client, world):
    from commonground.feeds.models import Observation

    from .read_world import make_stream, make_thing

    roadworks = world.feeds["roadworks"]
    stream = make_stream(make_thing(roadworks, "rw1", "Roadworks", *MK), "works",
                         value_type="json")
    Observation.objects.create(datastream=stream, time=world.now - timedelta(hours=1),
                               text='{"road": "H6", "lanes_closed": 1}')
    status, body = get(client, f"/events/feeds/{roadworks.pk}/datastreams/{stream.pk}/events")
    assert status == 200
    assert body["events"] == [{"at": iso(world.now - timedelta(hours=1)),
                               "value": {"road": "H6", "lanes_closed": 1}}]
    # and not under the sensors' path
    assert client.get(f"/sensors/feeds/{roadworks.pk}/datastreams/{stream.pk}/datapoints"
                      ).status_code == 404


def test_datapoint_times_are_utc_iso_text_to_the_microsecond(client, world):
    """The datapoints' times (made text by SQLite and PostgreSQL, from datetimes elsewhere)
    are the ISO 8601 UTC form of each stored instant, with microseconds when it has them."""
    from datetime import UTC, datetime

    from commonground.feeds.models import Observation

    parks, stream = world.feeds["car-parks"], world.streams["centre"]
    base = world.now.astimezone(UTC).replace(microsecond=0) - timedelta(hours=3, seconds=7)
    moments = [base + timedelta(microseconds=us) for us in (0, 1, 123456, 999999)]
    Observation.objects.bulk_create([Observation(datastream=stream, time=m, number=7.5)
                                     for m in moments])
    start, end = iso(base), iso(base + timedelta(seconds=1))
    status, body = get(client, f"/sensors/feeds/{parks.pk}/datastreams/{stream.pk}/datapoints"
                               f"?start={start}&end={end}")
    assert status == 200
    assert [p["at"] for p in body["datapoints"]] == [iso(m) for m in moments]
    assert [datetime.fromisoformat(p["at"]) for p in body["datapoints"]] == moments
    assert all(p["value"] == 7.5 for p in body["datapoints"])
