"""Coordinate columns whose values contradict their names are reported, plainly.

Latitude/longitude columns are WGS84 degrees: rows whose values are outside those ranges
cannot be placed by them, and the report says so with the columns, the first such row and
the likely coordinate system (British National Grid metres, when the values fit its
extent). Easting/northing columns holding only degree-sized values are reported the same
way. The city here is one square area around two Milton Keynes schools.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import shapely

from commonground.datastore.ingest import ingest_file
from commonground.datastore.linkdetect import detect
from commonground.datastore.linking import Gazetteer, link
from commonground.geography.pointindex import AreaIndex

# Two Milton Keynes schools (mk_schools_gias_2025-05.csv): British National Grid metres,
# and the longitude/latitude the same file publishes for them.
SCHOOLS_BNG = [(487620.0, 233771.0), (479924.0, 244421.0)]
SCHOOLS_LONLAT = [(-0.725232, 51.995483), (-0.834811, 52.092373)]


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    square = shapely.box(470_000, 225_000, 500_000, 255_000)  # metres, around both schools
    return Gazetteer(base="lsoa21", base_codes=["E01000001"],
                     index=AreaIndex(["E01000001"], [square]), parent_codes={},
                     codes={"lsoa21": {"E01000001"}}, city_name="Testville")


def table(con, columns: tuple[str, str], rows: list[tuple[float, float]]) -> None:
    a, b = columns
    con.execute(f'CREATE OR REPLACE TABLE typed (_row BIGINT, "{a}" DOUBLE, "{b}" DOUBLE)')
    con.executemany("INSERT INTO typed VALUES (?, ?, ?)",
                    [(i + 2, x, y) for i, (x, y) in enumerate(rows)])


def plan_for(con, gazetteer, columns, rows):
    table(con, columns, rows)
    return detect(con, "typed", {c: "number" for c in columns}, gazetteer, False)


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_grid_metres_in_latitude_longitude_columns_are_reported_with_the_first_row(
        con, gazetteer):
    # latitude holds northings and longitude eastings
    rows = [(n, e) for e, n in SCHOOLS_BNG]
    plan = plan_for(con, gazetteer, ("latitude", "longitude"), rows)
    assert plan.lat is None  # not used: the values are not degrees
    assert plan.warnings == [
        "Columns 'latitude' and 'longitude' are named as latitude/longitude (WGS84), but all 2 "
        "rows have values outside latitude/longitude ranges (first: row 2, latitude 233771, "
        "longitude 487620), so those rows cannot be placed by them; they look like British "
        "National Grid metres (EPSG:27700): name the columns northing and easting, or give "
        "WGS84 degrees."]
    links, report = link(con, "typed", plan, gazetteer)
    assert report.linked == 0
    assert report.to_dict()["warnings"] == plan.warnings


def test_a_few_rows_out_of_range_are_counted_and_the_rest_placed(con, gazetteer):
    rows = [(lat, lon) for lon, lat in SCHOOLS_LONLAT] * 5 + [(999.0, -0.7)]
    plan = plan_for(con, gazetteer, ("lat", "lon"), rows)
    assert plan.lat == "lat"
    assert plan.warnings == [
        "Columns 'lat' and 'lon' are named as latitude/longitude (WGS84), but 1 of 11 rows "
        "have values outside latitude/longitude ranges (first: row 12, lat 999, lon -0.7), so "
        "those rows cannot be placed by them; check that they are WGS84 degrees."]
    _, report = link(con, "typed", plan, gazetteer)
    assert report.linked == 10


def test_a_value_out_of_range_says_a_decimal_comma_only_when_a_comma_explains_it(
        con, gazetteer):
    # "-0,725" is read as -725 (commas between groups of three digits are thousands): meant
    # -0.725, which puts the school in the city; 999 could be "0,999", but that is nowhere
    # near: no guess; 52041 can only have had a comma
    (lon, lat), (lon2, lat2) = SCHOOLS_LONLAT
    rows = [(lat, lon)] * 10 + [(lat, -725.0), (999.0, lon), (52092.0, lon2)]
    plan = plan_for(con, gazetteer, ("lat", "lon"), rows)
    _, report = link(con, "typed", plan, gazetteer)
    assert report.linked == 10
    assert report.out_of_range_rows == [
        {"row": 12, "reason": "longitude -725 is not between -180 and 180 "
                              "(looks like a decimal comma: -0.725?)"},
        {"row": 13, "reason": "latitude 999 is not between -90 and 90"},
        {"row": 14, "reason": "latitude 52092 is not between -90 and 90 "
                              "(looks like a decimal comma: 52.092?)"}]
    assert report.unmatched_rows == report.out_of_range_rows


def test_a_latitude_column_written_with_decimal_commas_is_named_as_such(con, gazetteer):
    rows = [(round(lat * 1000), lon) for lon, lat in SCHOOLS_LONLAT]
    plan = plan_for(con, gazetteer, ("latitude", "longitude"), rows)
    assert plan.lat is None
    assert plan.warnings[0].endswith(
        "so those rows cannot be placed by them; latitude 51995 looks like a decimal comma "
        "(51.995?): write the values with decimal points.")


def test_degrees_in_easting_northing_columns_are_reported(con, gazetteer):
    plan = plan_for(con, gazetteer, ("easting", "northing"), SCHOOLS_LONLAT)
    assert plan.easting is None
    assert plan.warnings == [
        "Columns 'easting' and 'northing' are named as British National Grid easting/northing "
        "(metres), but every value is within longitude/latitude ranges (first: row 2, easting "
        "-0.725232, northing 51.995483), so the rows cannot be placed by them; they look like "
        "WGS84 degrees (EPSG:4326): name the columns longitude and latitude."]


@pytest.mark.parametrize(("columns", "rows"), [
    (("latitude", "longitude"), [(lat, lon) for lon, lat in SCHOOLS_LONLAT]),
    (("easting", "northing"), SCHOOLS_BNG),
])
def test_coordinates_that_match_their_names_raise_no_warning(con, gazetteer, columns, rows):
    plan = plan_for(con, gazetteer, columns, rows)
    assert plan.warnings == []
    _, report = link(con, "typed", plan, gazetteer)
    assert report.linked == 2


def test_the_ingest_report_carries_the_warning(tmp_path: Path, gazetteer):
    source = tmp_path / "schools.csv"
    source.write_text("name,lat,lng\n" + "".join(
        f"School {i},{n},{e}\n" for i, (e, n) in enumerate(SCHOOLS_BNG)))
    (tmp_path / "work").mkdir()
    outcome = ingest_file(source, filename="schools.csv", dest=tmp_path / "v" / "data.parquet",
                          workdir=tmp_path / "work", gazetteer=gazetteer)
    links = outcome.to_dict()["links"]
    assert links["linked"] == 0
    assert links["warnings"][0].startswith(
        "Columns 'lat' and 'lng' are named as latitude/longitude (WGS84), but all 2 rows")
    assert "British National Grid metres (EPSG:27700)" in links["warnings"][0]
