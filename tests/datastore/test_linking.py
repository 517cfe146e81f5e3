"""Placing rows: each method in turn places the rows the ones before it left unplaced.

The city here is two 1 km squares (base areas A and B, in ward W1 and no ward) with one
postcode in each; ward W2 is the city's too but holds no base area of this test.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import shapely

from commonground.datastore.linking import (
    Gazetteer,
    LinkPlan,
    PlacementMethod,
    UnplacedReason,
    link,
)
from commonground.geography.boundaries import read_boundaries
from commonground.geography.manifest import load_manifest
from commonground.geography.pointindex import AreaIndex

A, B = shapely.box(480_000, 230_000, 481_000, 231_000), shapely.box(481_000, 230_000, 482_000, 231_000)
IN_A, IN_B, OUTSIDE = (480_500.0, 230_500.0), (481_500.0, 230_500.0), (300_000.0, 100_000.0)

# _row: (easting, northing, postcode, area code), and how the row is placed or why not
ROWS = {
    2: (*IN_A, None, None),             # coordinates
    3: (*OUTSIDE, "MK1 1AA", None),     # outside by coordinates, then by its postcode
    4: (None, None, "ZZ9 9ZZ", "W2"),   # unknown postcode, then a ward code: the ward only
    5: (None, None, None, "B"),         # a base area code
    6: (None, None, None, "E99999999"),  # a code that is not the city's
    7: (None, None, None, None),        # nothing
    8: (*OUTSIDE, None, None),          # outside
    9: (None, None, "ZZ9 9ZZ", None),   # an unknown postcode
    10: (None, None, "MK1 1AB", None),  # a postcode the lookup has without an area or position
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer(base="lsoa21", base_codes=["A", "B"], index=AreaIndex(["A", "B"], [A, B]),
                     parent_codes={"ward": ["W1", ""]},
                     codes={"lsoa21": {"A", "B"}, "ward": {"W1", "W2"}},
                     postcodes={"MK11AA": (1, *IN_B), "MK11AB": (-1, np.nan, np.nan)},
                     city_name="Testville")


@pytest.fixture(scope="module")
def linked(gazetteer):
    con = duckdb.connect()
    columns = list(zip(*([row, *values] for row, values in ROWS.items()), strict=True))
    con.register("source", pa.table(dict(zip(["_row", "east", "north", "pc", "code"],
                                              columns, strict=True))))
    con.execute("CREATE TABLE typed AS SELECT * FROM source")
    plan = LinkPlan(easting="east", northing="north", postcode="pc", area_codes={"code": "lsoa21"})
    links, report = link(con, "typed", plan, gazetteer)
    con.close()
    return plan, links, report


def test_each_row_is_placed_by_the_first_method_that_works(linked):
    _, links, _ = linked
    by_row = dict(zip(links.column("_row").to_pylist(), zip(
        links.column("_lsoa21").to_pylist(), links.column("_ward").to_pylist(),
        links.column("_linked_by").to_pylist(), strict=True), strict=True))
    assert by_row == {
        2: ("A", "W1", "coordinates"), 3: ("B", None, "postcode"), 4: (None, "W2", "area code"),
        5: ("B", None, "area code"), 6: (None, None, None), 7: (None, None, None),
        8: (None, None, None), 9: (None, None, None), 10: (None, None, None)}


def test_linked_by_stores_each_method_as_its_label_at_its_value(linked):
    # version files written before and after read the same: the dictionary is the labels in
    # value order, and each row's index is its method's value
    _, links, _ = linked
    column = links.column("_linked_by").combine_chunks()
    assert column.dictionary.to_pylist() == [m.label for m in sorted(PlacementMethod)]
    for index, label in zip(column.indices.to_pylist(), column.to_pylist(), strict=True):
        assert (index is None and label is None) or PlacementMethod(index).label == label


def test_the_report_counts_methods_and_reasons_in_their_words(linked, gazetteer):
    plan, _, report = linked
    words = {r: r.describe(gazetteer.city_name, plan) for r in UnplacedReason}
    assert report.linked == 4
    assert report.by_method == {PlacementMethod.POSTCODE.label: 1,
                                PlacementMethod.COORDINATES.label: 1,
                                PlacementMethod.AREA_CODE.label: 2}
    assert report.partial == {"ward": 1}
    assert report.unmatched_rows == [
        {"row": 6, "reason": words[UnplacedReason.AREA_CODE_NOT_IN_CITY]},
        {"row": 7, "reason": words[UnplacedReason.NO_LOCATION]},
        {"row": 8, "reason": words[UnplacedReason.OUTSIDE_CITY]},
        {"row": 9, "reason": words[UnplacedReason.POSTCODE_NOT_IN_CITY]},
        {"row": 10, "reason": words[UnplacedReason.POSTCODE_WITHOUT_AREA]}]
    # (degrees out of range: tests/catalogue/test_ingest_forgiving.py; no lat/lon plan here)
    assert report.unmatched_by_reason == {words[r]: 1 for r in UnplacedReason
                                          if r is not UnplacedReason.DEGREES_OUT_OF_RANGE}
    assert words[UnplacedReason.OUTSIDE_CITY] == "outside Testville"
    assert words[UnplacedReason.NO_LOCATION].startswith("no location: no coordinates")


def test_without_any_column_to_use_every_row_says_so(gazetteer):
    con = duckdb.connect()
    con.execute("CREATE TABLE typed AS SELECT range + 2 AS _row FROM range(3)")
    links, report = link(con, "typed", LinkPlan(), gazetteer)
    assert links.column("_linked_by").null_count == 3
    assert report.unmatched_by_reason == {
        "no location: no column holds coordinates, postcodes or area codes": 3}


# -- at scale: real boundaries, many rows ------------------------------------------------


def mk_lsoa21() -> tuple[list[str], np.ndarray]:
    """Milton Keynes' LSOA 2021 codes and polygons (EPSG:27700), read through the manifest."""
    data = Path(os.environ.get("COMMONGROUND_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    if not (data / "datapackage.json").exists():
        pytest.skip(f"no data package at {data} (set COMMONGROUND_DATA)")
    manifest = load_manifest(data)
    [resource] = [r for r in manifest.by_role("boundaries") if r.geography == "lsoa21"]
    layer = read_boundaries(manifest, resource)
    return [str(c) for c in layer.codes], layer.geometries


def test_coordinates_on_and_near_real_lsoa_boundaries_link_as_shapely_says():
    codes, geoms = mk_lsoa21()
    vertices = shapely.get_coordinates(geoms)[::3]  # on boundaries, many shared by two LSOAs
    rng = np.random.default_rng(5)
    jittered = vertices + rng.uniform(-0.5, 0.5, vertices.shape)  # either side of an edge
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    outside = np.array([[xmax + 5_000, ymin], [xmin - 1, ymax + 1], [0.0, 0.0]])
    xy = np.concatenate([vertices, jittered, outside])
    # brute force: the lowest index whose closed polygon covers the point, else none
    expected = np.full(len(xy), -1)
    for i, geom in enumerate(geoms):
        todo = np.flatnonzero(expected == -1)
        expected[todo[shapely.intersects_xy(geom, xy[todo, 0], xy[todo, 1])]] = i
    assert (expected[-3:] == -1).all() and (expected[:-3] >= 0).mean() > 0.9

    gazetteer = Gazetteer(base="lsoa21", base_codes=codes, index=AreaIndex(codes, geoms),
                          parent_codes={}, codes={"lsoa21": set(codes)}, city_name="Milton Keynes")
    con = duckdb.connect()
    con.register("source", pa.table({"_row": np.arange(len(xy)), "e": xy[:, 0], "n": xy[:, 1]}))
    con.execute("CREATE TABLE typed AS SELECT * FROM source")
    links, report = link(con, "typed", LinkPlan(easting="e", northing="n"), gazetteer)

    assert links.column("_lsoa21").to_pylist() == [codes[i] if i >= 0 else None for i in expected]
    assert report.unmatched == int((expected == -1).sum())
    assert report.unmatched_by_reason == {"outside Milton Keynes": report.unmatched}


def test_many_area_code_rows_are_each_looked_up(gazetteer):
    # base codes, ward codes, unknown codes, blanks and nulls, some padded with spaces
    pool = np.array(["A", "B", " A ", "W1", "W2 ", "E99999999", "", "  ", None], dtype=object)
    values = np.random.default_rng(3).choice(pool, 30_000).tolist()
    con = duckdb.connect()
    con.register("source", pa.table({"_row": list(range(len(values))), "code": values}))
    con.execute("CREATE TABLE typed AS SELECT * FROM source")
    links, report = link(con, "typed", LinkPlan(area_codes={"code": "lsoa21"}), gazetteer)

    def expect(value):
        code = value.strip() if value is not None else None
        if code in ("A", "B"):
            return code, "W1" if code == "A" else None, "area code"
        if code in ("W1", "W2"):
            return None, code, "area code"
        return None, None, None

    got = zip(links.column("_lsoa21").to_pylist(), links.column("_ward").to_pylist(),
              links.column("_linked_by").to_pylist(), strict=True)
    assert list(got) == [expect(v) for v in values]
    not_city = sum(1 for v in values if v is not None and v.strip() == "E99999999")
    no_location = sum(1 for v in values if v is None or not v.strip())
    assert report.unmatched_by_reason == {"area code not in Testville": not_city,
                                          "no location: no coordinates, postcode or area code in this row": no_location}
    assert report.partial == {"ward": sum(1 for v in values if v is not None and v.strip() in ("W1", "W2"))}
