"""A geographic file's coordinate reference system: declared, known, and true to its numbers.

GDAL reads a GeoJSON whose ``"crs"`` member names a CRS it does not know as WGS84, without a
word; so the member is read here and an unknown or unusable CRS stops the ingest, naming the
file and the CRS. Coordinates that contradict the CRS (British National Grid metres in a
WGS84 file, degrees in a British National Grid file) stop it too, naming the feature and
the likely CRS. Nothing is staged in either case.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pyogrio
import pytest
import shapely

from commonground.datastore.errors import IngestError
from commonground.datastore.readers import stage

# Two Milton Keynes schools (mk_schools_gias_2025-05.csv): British National Grid metres,
# and the longitude/latitude the same file publishes for them.
SCHOOLS_BNG = [(487620.0, 233771.0), (479924.0, 244421.0)]
SCHOOLS_LONLAT = [(-0.725232, 51.995483), (-0.834811, 52.092373)]
BNG_URN = "urn:ogc:def:crs:EPSG::27700"


def named(name: str) -> dict:
    return {"type": "name", "properties": {"name": name}}


def geojson(tmp_path: Path, name: str, xy, crs=..., properties=None) -> Path:
    document = {"type": "FeatureCollection"}
    if crs is not ...:
        document["crs"] = crs
    document["features"] = [
        {"type": "Feature", "properties": properties or {"n": i + 1},
         "geometry": {"type": "Point", "coordinates": list(point)}}
        for i, point in enumerate(xy)]
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def staged(con, path: Path, tmp_path: Path):
    return stage(con, path, filename=path.name, workdir=tmp_path / "work")


def refused(con, path: Path, tmp_path: Path) -> str:
    with pytest.raises(IngestError) as caught:
        staged(con, path, tmp_path)
    assert not con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'raw'"
                           ).fetchone()[0]  # nothing staged
    return str(caught.value)


def coordinates(con) -> list[tuple[float, float]]:
    return [tuple(shapely.get_coordinates(shapely.from_wkb(wkb))[0])
            for (wkb,) in con.execute("SELECT _geometry FROM raw ORDER BY _row").fetchall()]


# --- the "crs" member ---------------------------------------------------------------------

def test_gdal_alone_would_read_an_unknown_crs_as_wgs84(tmp_path):
    """Why the member is read here: GDAL falls back to WGS84 without an error."""
    path = geojson(tmp_path, "x.geojson", SCHOOLS_BNG, named("urn:ogc:def:crs:EPSG::99999"))
    assert pyogrio.read_info(path)["crs"] == "EPSG:4326"


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG::99999", "EPSG:99999", "junk",
                                  "urn:ogc:def:crs:EPSG::27700x"])
def test_an_unknown_crs_is_refused_naming_the_file_and_the_crs(con, tmp_path, name):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_LONLAT, named(name))
    assert refused(con, path, tmp_path) == (
        f"schools.geojson: the coordinate reference system {name!r} in the \"crs\" member is "
        "unknown; name a known one, such as urn:ogc:def:crs:EPSG::27700 (British National "
        "Grid), or remove the \"crs\" member if the coordinates are WGS84 longitude/latitude")


@pytest.mark.parametrize("crs", [
    {"type": "link", "properties": {"href": "https://example.org/crs", "type": "proj4"}},
    {"type": "name", "properties": {}},
    {"type": "name", "properties": {"name": ""}},
    "EPSG:27700",  # a bare string is not a GeoJSON crs object
    {"type": "EPSG", "properties": {"code": "twenty"}},
])
def test_a_crs_member_that_names_nothing_usable_is_refused(con, tmp_path, crs):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_LONLAT, crs)
    message = refused(con, path, tmp_path)
    assert message.startswith(f"schools.geojson: the \"crs\" member {json.dumps(crs)} does not "
                               "name a coordinate reference system by name or EPSG code")


def test_a_crs_that_is_not_a_map_coordinate_system_is_refused(con, tmp_path):
    path = geojson(tmp_path, "heights.geojson", SCHOOLS_LONLAT, named("EPSG:5701"))
    assert refused(con, path, tmp_path).startswith(
        "heights.geojson: the \"crs\" member names ODN height (EPSG:5701), which is not a map "
        "coordinate system")


@pytest.mark.parametrize("crs", [named(BNG_URN), named("EPSG:27700"),
                                 {"type": "EPSG", "properties": {"code": 27700}}])
def test_british_national_grid_however_named_is_reprojected_as_before(con, tmp_path, crs):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_BNG, crs)
    table = staged(con, path, tmp_path)
    assert ("Reprojected from OSGB36 / British National Grid (EPSG:27700) to WGS84 "
            "longitude/latitude (EPSG:4326)") in table.notes
    for (lon, lat), (want_lon, want_lat) in zip(coordinates(con), SCHOOLS_LONLAT, strict=True):
        assert abs(lon - want_lon) < 1e-4 and abs(lat - want_lat) < 1e-4  # the file's own


@pytest.mark.parametrize("crs", [named("urn:ogc:def:crs:OGC:1.3:CRS84"),
                                 named("urn:ogc:def:crs:EPSG::4326"), None])
def test_wgs84_declared_or_null_is_read_as_it_is(con, tmp_path, crs):
    table = staged(con, geojson(tmp_path, "schools.geojson", SCHOOLS_LONLAT, crs), tmp_path)
    assert not any("Reprojected" in note for note in table.notes)
    assert coordinates(con) == SCHOOLS_LONLAT


def test_a_property_called_crs_is_not_the_files_crs(con, tmp_path):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_LONLAT,
                   properties={"crs": "junk", "note": {"crs": named("junk")}})
    staged(con, path, tmp_path)
    assert coordinates(con) == SCHOOLS_LONLAT


def test_the_crs_member_may_follow_the_features(con, tmp_path):
    path = geojson(tmp_path, "late.geojson", SCHOOLS_LONLAT)
    document = json.loads(path.read_text())
    document["crs"] = named("junk")  # written after "features"
    path.write_text(json.dumps(document))
    assert "'junk'" in refused(con, path, tmp_path)


# --- coordinates that contradict the CRS --------------------------------------------------

def test_grid_metres_in_a_geojson_without_crs_are_refused_suggesting_british_national_grid(
        con, tmp_path):
    path = geojson(tmp_path, "schools.geojson", [SCHOOLS_LONLAT[0], *SCHOOLS_BNG])
    assert refused(con, path, tmp_path) == (
        "schools.geojson: feature 2 has the coordinates (487,620.0, 233,771.0), outside "
        "longitude/latitude ranges (2 features like it), but the file has no \"crs\" member, "
        "so its coordinates are WGS84 longitude/latitude (GeoJSON's rule); they look like "
        "British National Grid metres (EPSG:27700): declare it by adding \"crs\": {\"type\": "
        "\"name\", \"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::27700\"}}, or export the "
        "file as WGS84 longitude/latitude")


def test_grid_metres_under_a_declared_wgs84_are_refused(con, tmp_path):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_BNG, named("EPSG:4326"))
    message = refused(con, path, tmp_path)
    assert "feature 1 has the coordinates (487,620.0, 233,771.0)" in message
    assert "but the file declares WGS 84 (EPSG:4326); they look like British National " \
           "Grid metres" in message


def test_coordinates_that_are_neither_degrees_nor_grid_metres_say_so(con, tmp_path):
    path = geojson(tmp_path, "far.geojson", [(-0.7, 52.0), (9_000_000.0, 9_000_000.0)])
    assert refused(con, path, tmp_path).endswith(
        "(GeoJSON's rule); check the coordinate reference system the file was exported with")


def test_degrees_under_british_national_grid_are_refused_suggesting_wgs84(con, tmp_path):
    path = geojson(tmp_path, "schools.geojson", SCHOOLS_LONLAT, named(BNG_URN))
    assert refused(con, path, tmp_path) == (
        "schools.geojson: the file declares OSGB36 / British National Grid (EPSG:27700), but "
        "every coordinate is within longitude/latitude ranges (x -0.834811 to -0.725232, "
        "y 51.9955 to 52.0924): they look like degrees, which as metres would all lie in the "
        "sea off the Isles of Scilly; remove the \"crs\" member (GeoJSON coordinates are "
        "WGS84 by default)")


@pytest.mark.parametrize(("crs", "xy", "expected"), [
    ("EPSG:27700", SCHOOLS_LONLAT, "set the layer's coordinate reference system to WGS84"),
    ("EPSG:4326", SCHOOLS_BNG, "set the layer's coordinate reference system to EPSG:27700"),
])
def test_a_geopackage_whose_coordinates_contradict_its_crs_is_refused(con, tmp_path, crs, xy,
                                                                       expected):
    path = tmp_path / "schools.gpkg"
    pyogrio.raw.write(path, geometry=shapely.to_wkb(shapely.points(xy)), geometry_type="Point",
                      crs=crs, driver="GPKG", fields=["n"],
                      field_data=[np.arange(1, len(xy) + 1, dtype=np.int64)])
    assert expected in refused(con, path, tmp_path)
