"""Reading live feeds through the JSON API (``/api/feeds``), on the real recordings of the data
folder (read through its manifest, replayed as the demo does): the feeds listed and paged, one
feed with its things, datastreams and latest values, a datastream's observations newest first,
paged and bounded by time; a draft or private feed is a 404 to anyone but its organisation's
members; a bad parameter is a 422 naming it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User

from commonground.accounts import tokens
from commonground.accounts.models import Membership, Organisation
from commonground.feeds import editing, replay
from commonground.feeds.models import Datastream, Feed, Thing

pytestmark = pytest.mark.django_db

LEEDS = "leeds-footfall-2015-16"


@pytest.fixture
def recorded(council, data_dir) -> dict[str, Feed]:
    """Every recorded feed of the data folder with its things and datastreams (published,
    public, the council's); observations only in Leeds's."""
    feeds = {}
    for recording in replay.recorded_feeds(data_dir):
        feeds[recording.slug] = replay.ensure_feed(recording, council)
        if recording.slug == LEEDS:
            replay.backfill(feeds[LEEDS], recording)
    return feeds


@pytest.fixture
def leeds_file(data_dir) -> dict[str, dict[datetime, float]]:
    (recording,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    values: dict[str, dict[datetime, float]] = {}
    with recording.observations_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            moment = datetime.fromisoformat(row["timestamp"]).astimezone(UTC)
            values.setdefault(row["sensor_id"], {})[moment] = float(row["value"])
    return values


@pytest.fixture
def people(council) -> dict[str, User]:
    other = Organisation.objects.create(slug="other-org", name="Other organisation",
                                        kind=Organisation.Kind.BUSINESS)
    member, outsider = User.objects.create_user("member"), User.objects.create_user("outsider")
    Membership.objects.create(organisation=council, user=member, role="member")
    Membership.objects.create(organisation=other, user=outsider, role="admin")
    return {"member": member, "outsider": outsider}


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stream_of(feed: Feed, sensor: str) -> Datastream:
    return Datastream.objects.get(thing__feed=feed, thing__key=sensor,
                                  key=editing.DEFAULT_STREAM)


def test_the_list_pages_every_recorded_feed_with_its_things(client, recorded):
    slugs = sorted(recorded, key=lambda s: (recorded[s].title, s))
    body = client.get("/api/feeds/").json()
    assert (body["total"], body["limit"], body["offset"]) == (len(slugs), 20, 0)
    assert [f["slug"] for f in body["feeds"]] == slugs
    for listed in body["feeds"]:
        assert listed["thing_count"] == Thing.objects.filter(feed__slug=listed["slug"]).count()
        assert listed["url"].endswith(f"/feeds/{listed['slug']}/")
    pages = [client.get("/api/feeds/", {"limit": 2, "offset": o}).json() for o in (0, 2)]
    assert [p["total"] for p in pages] == [len(slugs)] * 2
    assert [f["slug"] for p in pages for f in p["feeds"]] == slugs


def test_one_feed_has_its_things_streams_and_their_latest_recorded_values(
        client, recorded, leeds_file):
    body = client.get(f"/api/feeds/{LEEDS}").json()
    assert body["total"] == len(leeds_file) == Thing.objects.filter(feed__slug=LEEDS).count()
    things = {t["key"]: t for t in body["things"]}
    assert set(things) == set(leeds_file)
    for sensor, values in leeds_file.items():
        (stream,) = [s for s in things[sensor]["datastreams"]
                     if s["key"] == editing.DEFAULT_STREAM]
        newest = max(values)
        assert when(stream["latest"]["time"]) == newest
        assert stream["latest"]["value"] == values[newest]
        assert stream["observations"].endswith(
            f"/api/feeds/{LEEDS}/datastreams/{stream['id']}/observations")
    first = client.get(f"/api/feeds/{LEEDS}", {"limit": 1, "offset": 1}).json()
    assert (first["total"], len(first["things"])) == (len(leeds_file), 1)
    assert first["things"][0]["key"] == body["things"][1]["key"]


def test_observations_come_newest_first_paged_and_bounded_by_time(client, recorded, leeds_file):
    sensor = sorted(leeds_file)[0]
    values = leeds_file[sensor]
    stream = stream_of(recorded[LEEDS], sensor)
    url = f"/api/feeds/{LEEDS}/datastreams/{stream.pk}/observations"
    since = min(values) + timedelta(days=10)
    until = since + timedelta(days=3)
    wanted = {t: v for t, v in values.items() if since <= t < until}
    assert wanted and len(wanted) < len(values)
    read, offset = [], 0
    while True:
        body = client.get(url, {"since": z(since), "until": z(until), "limit": 50,
                                "offset": offset}).json()
        assert body["total"] == len(wanted)
        read += [(when(o["time"]), o["value"]) for o in body["observations"]]
        offset += 50
        if offset >= body["total"]:
            break
    assert read == sorted(wanted.items(), reverse=True)
    # An offset in another zone is the same instant; left out, the bounds are open.
    body = client.get(url, {"since": since.astimezone().isoformat(), "limit": 0}).json()
    assert body["total"] == sum(1 for t in values if t >= since)
    everything = client.get(url, {"limit": 1}).json()
    assert everything["total"] == len(values)
    assert when(everything["observations"][0]["time"]) == max(values)
    # The first and last instants there are, in a zone that takes them past Python's years.
    first, last = "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"
    assert client.get(url, {"since": first, "until": last}).json()["total"] == len(values)
    assert client.get(url, {"since": last}).json()["total"] == 0
    assert client.get(url, {"until": first}).json()["total"] == 0


@pytest.mark.parametrize("change", [{"state": Feed.State.DRAFT}, {"private": True}])
def test_a_draft_or_private_feed_is_not_found_but_by_its_organisations_members(
        client, recorded, people, change):
    Feed.objects.filter(slug=LEEDS).update(**change)
    stream = Datastream.objects.filter(thing__feed__slug=LEEDS).first()
    urls = [f"/api/feeds/{LEEDS}", f"/api/feeds/{LEEDS}/datastreams/{stream.pk}/observations"]
    outsider_token = tokens.make(people["outsider"]).secret
    for headers in ({}, {"HTTP_AUTHORIZATION": f"Bearer {outsider_token}"}):
        for url in urls:
            assert client.get(url, **headers).status_code == 404, (url, headers)
        listed = client.get("/api/feeds/", **headers).json()
        assert LEEDS not in [f["slug"] for f in listed["feeds"]]
        assert listed["total"] == len(recorded) - 1
    client.force_login(people["member"])
    assert all(client.get(url).status_code == 200 for url in urls)
    assert LEEDS in [f["slug"] for f in client.get("/api/feeds/").json()["feeds"]]


def test_a_datastream_of_another_feed_is_not_found_there(client, recorded):
    other = next(slug for slug in recorded if slug != LEEDS)
    stream = Datastream.objects.filter(thing__feed__slug=other).first()
    answer = client.get(f"/api/feeds/{LEEDS}/datastreams/{stream.pk}/observations")
    assert answer.status_code == 404


@pytest.mark.parametrize(("query", "field"), [
    ({"limit": 1001}, "limit"), ({"offset": -1}, "offset"),
    ({"since": "last tuesday"}, "since"), ({"until": "2015-11-02T00:00:00"}, "until")])
def test_a_bad_parameter_is_refused_naming_it(client, recorded, query, field):
    stream = Datastream.objects.filter(thing__feed__slug=LEEDS).first()
    answer = client.get(f"/api/feeds/{LEEDS}/datastreams/{stream.pk}/observations", query)
    assert answer.status_code == 422
    assert [e["loc"] for e in answer.json()["errors"]] == [["query", field]]
    assert field in answer.json()["detail"]


def test_a_bad_feed_name_or_stream_id_is_refused_naming_it(client, recorded):
    answer = client.get("/api/feeds/no%20such%20feed")
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["path", "slug"]
    answer = client.get(f"/api/feeds/{LEEDS}/datastreams/0/observations")
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["path", "datastream"]
