"""A project's footprint page: editors of the project's organisation add parts from a
GeoJSON file or pasted text, by area name or as a point, remove them and mark the project
city-wide; every bad input is refused with a message naming the feature and field, and
changes nothing; a 50 MB upload is refused by its size before it is read."""
# ruff: noqa: F811

from __future__ import annotations

import json

import pytest
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from commonground.geography.projection import lonlat_to_bng
from commonground.projects import footprints
from commonground.projects.models import Project, ProjectPlace

# the fixtures people, published and draft come from footprint_rows (F811: pytest passes them)
from .footprint_rows import client_for, draft, people, published  # noqa: F401

STATION = [-0.7743, 52.0343]  # Milton Keynes Central, longitude first
CMK = [[-0.77, 52.035], [-0.75, 52.035], [-0.75, 52.045], [-0.77, 52.045], [-0.77, 52.035]]


def feature(geometry: dict, name: str | None = None) -> dict:
    return {"type": "Feature", "properties": {"name": name} if name else {},
            "geometry": geometry}


def collection(*features) -> str:
    return json.dumps({"type": "FeatureCollection", "features": list(features)})


def url(project) -> str:
    return f"/projects/{project.slug}/footprint"


def paste(client, project, text: str):
    return client.post(url(project), {"action": "geojson", "geojson_text": text})


GOOD = collection(
    feature({"type": "Point", "coordinates": STATION}, "Milton Keynes Central"),
    feature({"type": "LineString", "coordinates": [[-0.77, 52.03], [-0.75, 52.04]]},
            "Bus route 1"),
    feature({"type": "Polygon", "coordinates": [CMK]}, "Central Milton Keynes"))

BAD = {
    "not JSON": ('{"type": "Feature", ', "GeoJSON: this is not JSON: Expecting"),
    "not GeoJSON": (json.dumps({"type": "Circle", "radius": 3}),
                    "GeoJSON: not GeoJSON: “type” is 'Circle'"),
    "a list": ("[1, 2]", "the file holds a JSON list"),
    "no features": (json.dumps({"type": "FeatureCollection", "features": []}),
                    "GeoJSON “features”: the collection has no features"),
    "self-intersecting": (
        collection(feature({"type": "Polygon", "coordinates": [[
            [-0.77, 52.03], [-0.75, 52.04], [-0.75, 52.03], [-0.77, 52.04], [-0.77, 52.03]]]},
            "Bow tie")),
        "GeoJSON feature 1 (“Bow tie”), “geometry”: the geometry is not valid: "
        "Self-intersection"),
    "ring not closed": (
        collection(feature({"type": "Polygon", "coordinates": [CMK[:-1] + [[-0.76, 52.03]]]},
                           "Open ring")),
        "GeoJSON feature 1 (“Open ring”), “geometry.coordinates”: [0]: the ring is not closed"),
    "swapped": (collection(feature({"type": "Point", "coordinates": STATION[::-1]},
                                   "Station")),
                "GeoJSON feature 1 (“Station”), “geometry.coordinates”: the coordinates are "
                "in the wrong order: [52.0343, -0.7743] reads as latitude, longitude"),
    "outside": (collection(feature({"type": "Point", "coordinates": STATION}, "Inside"),
                           feature({"type": "Point", "coordinates": [-0.1276, 51.5072]},
                                   "Trafalgar Square")),
                "GeoJSON feature 2 (“Trafalgar Square”), “geometry”: it lies outside Milton "
                "Keynes: no part of it is within the city's boundary"),
    "metres": (json.dumps({"type": "Point", "coordinates": [485000, 238000]}),
               "GeoJSON feature 1, “geometry.coordinates”: [485000, 238000] is not a "
               "longitude and latitude (it looks like metres"),
    "British National Grid crs": (
        json.dumps({"type": "FeatureCollection", "crs": {"type": "name", "properties": {
            "name": "urn:ogc:def:crs:EPSG::27700"}},
            "features": [feature({"type": "Point", "coordinates": STATION})]}),
        "GeoJSON “crs”: OSGB36 / British National Grid (urn:ogc:def:crs:EPSG::27700) is not "
        "WGS84"),
    "a feature's crs": (
        collection(feature({"type": "Point", "coordinates": STATION}, "Stop") | {
            "crs": {"type": "name", "properties": {"name": "EPSG:3857"}}}),
        "GeoJSON feature 1 (“Stop”), “crs”: WGS 84 / Pseudo-Mercator (EPSG:3857) is not "
        "WGS84"),
    "a crs that is not a name": (
        json.dumps({"type": "Point", "coordinates": STATION, "crs": {
            "type": "name", "properties": {"name": "+proj=longlat +init=epsg:4326"}}}),
        "GeoJSON “crs”: '+proj=longlat +init=epsg:4326' is not a known coordinate reference "
        "system"),
    "geometry collection": (
        json.dumps({"type": "GeometryCollection", "geometries": []}),
        "“geometry.type”: a GeometryCollection is not accepted"),
    "null geometry": (collection({"type": "Feature", "properties": {"name": "Nowhere"},
                                  "geometry": None}),
                      "GeoJSON feature 1 (“Nowhere”), “geometry”: it is null"),
    # beyond Great Britain nothing is projected: British National Grid means nothing there
    "the whole world": (
        collection(feature({"type": "Polygon", "coordinates": [[
            [-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]]}, "World")),
        "GeoJSON feature 1 (“World”), “geometry.coordinates”: [0][0]: [-180, -90] lies far "
        "outside Milton Keynes: beyond Great Britain, longitude -9.01 to 2.01 and latitude "
        "49.75 to 61.01"),
    "a line from the city to the South Pole": (
        collection(feature({"type": "LineString", "coordinates": [STATION, [179.9, -89.9]]},
                           "Pole route")),
        "GeoJSON feature 1 (“Pole route”), “geometry.coordinates”: [1]: [179.9, -89.9] lies "
        "far outside Milton Keynes: beyond Great Britain"),
    # longer than Python reads as an integer (4,300 digits): named, not a crash
    "a 5000-digit number": (
        collection(feature({"type": "Point", "coordinates": STATION}, "Stop"),
                   feature({"type": "Point", "coordinates": [0, 52.03]}, "Huge")
                   ).replace("[0, 52.03]", "[" + "9" * 5000 + ", 52.03]"),
        "GeoJSON feature 2 (“Huge”), “geometry.coordinates”: a number is too large to be a "
        "longitude or latitude"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_geojson_is_refused_naming_feature_and_field_and_nothing_changes(
        case, published, people):
    ProjectPlace.objects.create(project=published, kind="words", description="kept as is")
    before = list(ProjectPlace.objects.values_list("pk", "kind", "description"))
    text, message = BAD[case]
    response = paste(client_for(people.officer), published, text)
    assert response.status_code == 400
    page = response.content.decode()
    assert message.replace("'", "&#x27;") in page
    assert "Nothing was changed." in page
    assert list(ProjectPlace.objects.values_list("pk", "kind", "description")) == before


def test_a_bad_file_names_the_file_field(published, people):
    upload = SimpleUploadedFile("route.geojson", BAD["swapped"][0].encode(),
                                content_type="application/geo+json")
    response = client_for(people.officer).post(
        url(published), {"action": "geojson", "geojson_file": upload})
    assert response.status_code == 400
    assert 'id="geojson_file-error"' in response.content.decode()
    assert not ProjectPlace.objects.exists()


def test_good_geojson_adds_each_feature_as_a_part_in_british_national_grid(published, people):
    client = client_for(people.officer)
    response = paste(client, published, GOOD)
    assert response.status_code == 302
    parts = {p.description: p for p in published.places.all()}
    assert {d: p.kind for d, p in parts.items()} == {
        "Milton Keynes Central": "point", "Bus route 1": "line",
        "Central Milton Keynes": "boundary"}
    station = shapely.from_wkb(bytes(parts["Milton Keynes Central"].geometry))
    x, y = lonlat_to_bng([STATION[0]], [STATION[1]])
    assert (station.x, station.y) == pytest.approx((x[0], y[0]), abs=0.01)
    geometry = footprints.footprint_geometry(published)
    assert len(geometry.geoms) == 3
    page = client.get(url(published)).content.decode()
    assert "Added 3 parts from the GeoJSON." in page


def test_a_50_mb_upload_is_refused_by_its_size_before_it_is_read(published, people,
                                                                 monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("a file over the limit was parsed")

    monkeypatch.setattr(footprints, "parse_geojson", never)
    big = SimpleUploadedFile("city.geojson", b" " * (50 << 20),
                             content_type="application/geo+json")
    response = client_for(people.officer).post(
        url(published), {"action": "geojson", "geojson_file": big})
    assert response.status_code == 413
    assert "GeoJSON: the upload is 50.0 MB; the largest file accepted is 5.0 MB" in \
        response.content.decode()
    assert not ProjectPlace.objects.exists()


def test_a_file_just_over_the_limit_is_refused_as_it_streams_in(published, people,
                                                               monkeypatch):
    monkeypatch.setattr(footprints, "MAX_GEOJSON_BYTES", 1 << 20)
    upload = SimpleUploadedFile("route.geojson", b" " * ((1 << 20) + 1))
    response = client_for(people.officer).post(
        url(published), {"action": "geojson", "geojson_file": upload})
    assert response.status_code == 413
    assert "the file is larger than 1.0 MB" in response.content.decode()


def test_pasted_geojson_over_the_request_body_limit_gets_a_message_not_a_bare_400(
        published, people, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 << 20
    response = paste(client_for(people.officer), published, " " * (2 << 20))
    assert response.status_code == 413
    assert ("GeoJSON: the pasted text is larger than 1.0 MB; upload it as a file instead"
            in response.content.decode())
    assert not ProjectPlace.objects.exists()


def test_geojson_over_the_limit_is_refused_by_the_use_case_too(published, loaded):
    with pytest.raises(footprints.FootprintError, match="the largest accepted is 5.0 MB"):
        footprints.add_geojson(published, b" " * (footprints.MAX_GEOJSON_BYTES + 1))


def test_areas_by_name_points_removal_and_city_wide(published, people, loaded):
    client = client_for(people.officer)
    ward = loaded.by_geography["ward"][0]
    response = client.post(url(published), {"action": "areas", "areas": ward.name})
    assert response.status_code == 302
    area = published.places.get(kind="area")
    assert area.area_code == ward.code
    # the same area again adds nothing
    client.post(url(published), {"action": "areas", "areas": ward.code})
    assert published.places.filter(kind="area").count() == 1

    response = client.post(url(published), {"action": "areas", "areas": "Atlantis"})
    assert response.status_code == 400
    assert "Areas: “Atlantis” is not a place in Milton Keynes" in response.content.decode()

    response = client.post(url(published), {"action": "point", "lat": "52.0343",
                                            "lon": "-0.7743", "description": "Station"})
    assert response.status_code == 302
    assert published.places.get(kind="point").description == "Station"

    for lat, lon, message in (
            ("-0.7743", "52.0343", "Latitude and longitude are the wrong way round"),
            ("51.5072", "-0.1276", "Latitude: 51.5072, -0.1276 lies outside Milton Keynes"),
            ("-90", "0", "Latitude: -90, 0 lies far outside Milton Keynes: beyond Great "
                         "Britain"),
            ("north", "-0.77", "Latitude: type a number of degrees"),
            ("52.03", "200", "Longitude: 200 is not between -180 and 180")):
        response = client.post(url(published), {"action": "point", "lat": lat, "lon": lon})
        assert response.status_code == 400, (lat, lon)
        assert message in response.content.decode()
    assert published.places.count() == 2

    response = client.post(url(published), {"action": "remove", "part": str(area.pk)})
    assert response.status_code == 302
    assert not published.places.filter(kind="area").exists()
    response = client.post(url(published), {"action": "remove", "part": str(area.pk)})
    assert response.status_code == 400 and "is not a part of this project" in \
        response.content.decode()

    client.post(url(published), {"action": "city-wide", "city_wide": "on"})
    published.refresh_from_db()
    assert published.city_wide
    client.post(url(published), {"action": "city-wide"})
    published.refresh_from_db()
    assert not published.city_wide


def test_a_part_of_another_project_cannot_be_removed(published, draft, people, loaded):
    other = ProjectPlace.objects.create(project=draft, kind="words", description="theirs")
    response = client_for(people.officer).post(url(published), {"action": "remove",
                                                                "part": str(other.pk)})
    assert response.status_code == 400
    assert ProjectPlace.objects.filter(pk=other.pk).exists()


def test_only_editors_of_the_owner_organisation_change_the_footprint(published, draft,
                                                                     people, loaded):
    anonymous = client_for()
    response = anonymous.get(url(published))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert anonymous.post(url(published), {"action": "point", "lat": "52.0343",
                                           "lon": "-0.7743"}).status_code == 302
    for user in (people.resident, people.member, people.other):
        client = client_for(user)
        assert client.get(url(published)).status_code == 403
        response = paste(client, published, GOOD)
        assert response.status_code == 403
        assert client.post(url(published), {"action": "city-wide", "city_wide": "on"}
                           ).status_code == 403
    # a draft is not found by those who may not see it; its members may see, not change it
    assert client_for(people.other).get(url(draft)).status_code == 404
    assert client_for(people.resident).get(url(draft)).status_code == 404
    assert client_for(people.member).get(url(draft)).status_code == 403
    assert not ProjectPlace.objects.exists()
    assert not Project.objects.filter(city_wide=True).exists()
    assert client_for(people.officer).get(url(published)).status_code == 200
    assert client_for(people.officer).get(url(draft)).status_code == 200


def test_every_geojson_geometry_type_is_read(loaded):
    shapes = [
        {"type": "MultiPoint", "coordinates": [STATION, [-0.76, 52.04]]},
        {"type": "MultiLineString", "coordinates": [[[-0.77, 52.03], [-0.75, 52.04]]]},
        {"type": "MultiPolygon", "coordinates": [[CMK]]},
        {"type": "Point", "coordinates": [*STATION, 95.0]},  # a height is dropped
    ]
    parts = footprints.parse_geojson(collection(*(feature(s) for s in shapes)))
    assert [p.kind for p in parts] == ["point", "line", "boundary", "point"]
    assert all(shapely.get_coordinate_dimension(p.geometry) == 2 for p in parts)
    # British National Grid metres, inside the city
    outline = footprints.city_outline()
    assert all(shapely.intersects(outline, p.geometry) for p in parts)
    easting, northing = shapely.bounds(parts[0].geometry)[:2]
    assert 480_000 < easting < 490_000 and 230_000 < northing < 245_000


def test_the_footprint_page_still_checks_the_csrf_token(published, people, loaded):
    # the page reads the body itself (to put its size limit first), then checks the token
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.officer)
    response = client.post(url(published), {"action": "point", "lat": "52.0343",
                                            "lon": "-0.7743"})
    assert response.status_code == 403
    assert not ProjectPlace.objects.exists()
