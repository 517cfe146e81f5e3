"""Editors' pages: an organisation's editor adds a feed (a draft), its things (one by one or
from a sensor-sites CSV, such as the real Leeds cameras) and datastreams, and publishes it.
Things are placed in the city's area they fall in, or in none outside the city, with their
British National Grid coordinates. Bad input is named by field or line and makes nothing;
nobody but the organisation's editors reaches these pages."""

from __future__ import annotations

import csv

import pytest
import shapely
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from commonground.accounts.models import Membership, Organisation
from commonground.feeds.models import Datastream, Feed, Thing, ThingLocation
from commonground.geography.manifest import load_manifest
from commonground.geography.projection import bng_to_lonlat, lonlat_to_bng

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(council):
    user = User.objects.create_user("editor")
    Membership.objects.create(organisation=council, user=user, role="editor")
    return user


@pytest.fixture
def feed(council):
    return Feed.objects.create(organisation=council, slug="footfall", title="Footfall")


@pytest.fixture
def leeds_sites(data_dir):
    manifest = load_manifest(data_dir)
    (resource,) = [r for r in manifest.by_role("sensor-sites") if "leeds" in r.name]
    return manifest.path_of(resource)


def test_an_editor_adds_a_draft_feed_for_their_organisation_only(client, editor, council):
    other = Organisation.objects.create(slug="other", name="Other", kind="business")
    client.force_login(editor)
    fields = {"title": "Car parks", "slug": "car-parks", "kind": "sensor", "licence": "OGL"}
    refused = client.post("/feeds/new", {**fields, "organisation": other.pk})
    assert refused.status_code == 400 and not Feed.objects.exists()
    response = client.post("/feeds/new", {**fields, "organisation": council.pk})
    assert response.status_code == 302 and response["Location"] == "/feeds/car-parks/manage"
    feed = Feed.objects.get()
    assert (feed.organisation, feed.state, feed.created_by) == (council, "draft", editor)
    taken = client.post("/feeds/new", {**fields, "organisation": council.pk})
    assert taken.status_code == 400 and Feed.objects.count() == 1


def test_a_thing_is_placed_in_the_city_area_it_falls_in(client, editor, feed, loaded):
    area = loaded.base_areas[0]
    inside = shapely.point_on_surface(loaded.geometries(loaded.base)[0])
    lon, lat = (float(v[0]) for v in bng_to_lonlat([inside.x], [inside.y]))
    client.force_login(editor)
    response = client.post("/feeds/footfall/things", {"key": "c1", "name": "Camera 1",
                                                      "lat": lat, "lon": lon})
    assert response.status_code == 302
    thing = Thing.objects.get()
    assert thing.properties["area"] == area.code
    assert thing.properties["area_geography"] == loaded.base
    assert thing.easting == pytest.approx(inside.x, abs=0.01)
    assert thing.northing == pytest.approx(inside.y, abs=0.01)
    assert ThingLocation.objects.get(thing=thing).easting == thing.easting
    assert area.code in client.get("/feeds/footfall/manage").content.decode()


def test_things_from_the_real_leeds_sites_file_are_outside_the_city(
        client, editor, feed, leeds_sites, loaded):
    with leeds_sites.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    client.force_login(editor)
    upload = SimpleUploadedFile("sites.csv", leeds_sites.read_bytes(), "text/csv")
    response = client.post("/feeds/footfall/sites", {"sites": upload})
    assert response.status_code == 302
    things = {t.key: t for t in Thing.objects.all()}
    assert sorted(things) == sorted(r["sensor_id"] for r in rows)
    for row in rows:
        thing = things[row["sensor_id"]]
        assert (thing.name, thing.lat, thing.lon) == (row["name"], float(row["lat"]),
                                                      float(row["lon"]))
        x, y = lonlat_to_bng([float(row["lon"])], [float(row["lat"])])
        assert (thing.easting, thing.northing) == pytest.approx((x[0], y[0]))
        assert thing.properties["area"] is None  # Leeds is not in the city
        assert thing.properties["operator"] == row["operator"]
        (stream,) = thing.datastreams.all()
        assert (stream.key, stream.unit, stream.unit_ucum, stream.expected_interval_seconds) \
            == ("value", row["unit"], row["unit_ucum"], 3600)
    page = client.get("/feeds/footfall/manage").content.decode()
    assert page.count("Outside the city") == len(rows)
    again = client.post("/feeds/footfall/sites", {"sites": SimpleUploadedFile(
        "sites.csv", leeds_sites.read_bytes(), "text/csv")})
    assert again.status_code == 302 and Thing.objects.count() == len(rows)


def test_a_bad_sites_file_is_named_by_line_and_adds_nothing(client, editor, feed):
    client.force_login(editor)
    text = ("sensor_id,name,lat,lon\ns1,One,52.04,-0.76\ns2,Two,95,-0.76\n"
            "s1,Again,52.0,-0.7\n,Nameless,52.0,-0.7\ns5,Half,52.0,\n")
    response = client.post("/feeds/footfall/sites", {
        "sites": SimpleUploadedFile("sites.csv", text.encode(), "text/csv")})
    assert response.status_code == 400
    page = response.content.decode()
    for words in ["line 3, lat: 95.0 is not between -90 and 90",
                  "line 4, sensor_id: &#x27;s1&#x27; is on line 2 too",
                  "line 5, sensor_id: is missing",
                  "line 6, lon: is missing while the other coordinate is given"]:
        assert words in page
    header = client.post("/feeds/footfall/sites", {
        "sites": SimpleUploadedFile("s.csv", b"id,where\n1,here\n", "text/csv")})
    assert header.status_code == 400 and "lacks sensor_id, lat, lon" in header.content.decode()
    assert not Thing.objects.exists()


def test_bad_things_and_datastreams_are_refused_by_field(client, editor, feed):
    client.force_login(editor)
    half = client.post("/feeds/footfall/things", {"key": "c1", "name": "C", "lat": 52})
    assert half.status_code == 400 and "both latitude and longitude" in half.content.decode()
    far = client.post("/feeds/footfall/things", {"key": "c1", "name": "C", "lat": 95, "lon": 0})
    assert far.status_code == 400 and not Thing.objects.exists()
    assert client.post("/feeds/footfall/things", {"key": "c1", "name": "C"}).status_code == 302
    thing = Thing.objects.get()
    stream = {"thing": thing.pk, "key": "count", "name": "Count", "observed_property": "people",
              "unit": "people", "value_type": "number"}
    assert client.post("/feeds/footfall/datastreams", stream).status_code == 302
    again = client.post("/feeds/footfall/datastreams", stream)
    assert again.status_code == 400 and "has a datastream &#x27;count&#x27; already" in \
        again.content.decode()
    assert Datastream.objects.get().thing == thing


def test_an_editor_publishes_and_unpublishes(client, editor, feed):
    client.force_login(editor)
    client.post("/feeds/footfall/publish", {"state": "published"})
    feed.refresh_from_db()
    assert feed.state == "published"
    client.post("/feeds/footfall/publish", {"state": "draft"})
    feed.refresh_from_db()
    assert feed.state == "draft"


@pytest.mark.parametrize("role", [None, "member"])
def test_only_editors_reach_the_editing_pages(client, council, feed, role):
    user = User.objects.create_user("someone")
    if role:
        Membership.objects.create(organisation=council, user=user, role=role)
    client.force_login(user)
    expected = 403 if role else 404  # a draft is not acknowledged to outsiders
    assert client.get("/feeds/footfall/manage").status_code == expected
    assert client.post("/feeds/footfall/things", {"key": "c", "name": "C"}).status_code == \
        expected
    assert client.post("/feeds/footfall/publish", {"state": "published"}).status_code == \
        expected
    assert client.get("/feeds/new").status_code == 403
    assert not Thing.objects.exists() and Feed.objects.get().state == "draft"
