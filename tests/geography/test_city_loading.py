"""Loading a city's data folder: the manifest decides everything, errors name file and row."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely

from commonground.geography.city import load_city
from commonground.geography.errors import DataError
from commonground.geography.manifest import load_manifest


def test_the_manifest_names_the_city_and_describes_every_file(data_dir):
    manifest = load_manifest(data_dir)
    assert manifest.city_name == "Milton Keynes"
    assert manifest.lad_code == "E06000042"
    roles = Counter(r.role for r in manifest.resources)
    assert roles["boundaries"] >= 5 and roles["census"] >= 5 and roles["deprivation"] == 2
    assert manifest.resource("iod2025").year == 2025
    assert manifest.resource("imd2019").year == 2019


def test_every_geography_in_the_folder_is_loaded_with_its_real_area_counts(city):
    counts = {g: len(layer) for g, layer in city.layers.items()}
    assert counts == {"lad": 1, "lsoa11": 152, "lsoa21": 166, "msoa11": 32, "msoa21": 35,
                      "oa11": 788, "ward": 19}
    assert city.base_geography == "lsoa21"


def test_boundaries_are_valid_polygons_on_british_national_grid(city):
    layer = city.layers["lsoa21"]
    assert shapely.is_valid(layer.geometries).all()
    x, y = shapely.get_x(shapely.centroid(layer.geometries)), shapely.get_y(shapely.centroid(layer.geometries))
    # Milton Keynes lies around easting 485,000 m, northing 240,000 m
    assert 470_000 < x.min() and x.max() < 500_000 and 220_000 < y.min() and y.max() < 260_000
    # LSOAs hold about 1,500 people: areas from a few hectares to tens of km²
    assert 1e4 < shapely.area(layer.geometries).min() and shapely.area(layer.geometries).max() < 1e8


def test_all_files_agree_so_no_mismatch_is_reported(city):
    assert city.mismatches == []


def test_split_2011_neighbourhoods_are_bridged_by_the_official_lookup(city):
    to_2011 = [m for m in city.memberships if m.parent_geography == "lsoa11"]
    assert len(to_2011) == 166  # every 2021 LSOA has one 2011 parent (no merges in MK)
    children = Counter(m.parent for m in to_2011)
    assert sum(1 for n in children.values() if n == 1) == 143  # unchanged
    assert sum(1 for n in children.values() if n > 1) == 9  # split …
    assert sum(n for n in children.values() if n > 1) == 23  # … into 23 children


def test_every_neighbourhood_lies_in_exactly_one_msoa_ward_and_the_city(city):
    for g in ("msoa21", "ward", "lad"):
        links = Counter(m.child for m in city.memberships if m.parent_geography == g)
        assert len(links) == 166 and set(links.values()) == {1}, g


def test_indicators_carry_source_unit_and_polarity(city):
    by_key = {d.key: d for d in city.indicators}
    rank = by_key["iod2025.imd_rank"]
    assert rank.kind == "rank" and rank.polarity == "higher_better"
    assert "33,755" in rank.unit
    assert by_key["iod2025.income_score"].unit.startswith("proportion")
    assert by_key["iod2025.imd_score"].polarity == "higher_worse"
    tenure = by_key["census21-tenure.Owned: Owns outright"]
    assert tenure.kind == "count" and tenure.unit == "households"
    assert tenure.denominator == "census21-tenure.total_households"
    assert by_key["census21-age.total_residents"].kind == "total"
    assert city.population_indicator == "census21-age.total_residents"


def test_mk_lsoas_in_each_national_imd_decile(city):
    """IoD 2025 on 2021 LSOAs and IoD 2019 on 2011 LSOAs, as published by MHCLG."""
    def deciles(key):
        geography = city.manifest.resource(key.split(".")[0]).geography
        return Counter(int(v) for v in city.values[geography].values_of(key).values())
    assert sorted(deciles("iod2025.imd_decile").items()) == [
        (1, 8), (2, 11), (3, 12), (4, 20), (5, 12), (6, 23), (7, 32), (8, 23), (9, 15), (10, 10)]
    assert sorted(deciles("imd2019.imd_decile").items()) == [
        (1, 8), (2, 10), (3, 10), (4, 15), (5, 13), (6, 17), (7, 22), (8, 29), (9, 18), (10, 10)]


def test_postcodes_are_tied_to_their_2021_neighbourhood(city):
    assert len(city.postcodes) == 12055
    live = [p for p in city.postcodes if p.lat is not None]
    assert len(live) == 7505  # live in Code-Point Open 2025 (others carry no coordinates)
    # every postcode the ONS lookup ties to a 2021 LSOA keeps that LSOA
    path = city.manifest.path_of(city.manifest.by_role("postcodes")[0])
    with open(path, newline="") as handle:
        published = sum(1 for row in csv.DictReader(handle) if row["lsoa21cd"])
    assert sum(p.area_code is not None for p in city.postcodes) == published == 11936


def test_friendly_neighbourhood_names_are_attached(city):
    assert city.friendly_names["E02003459"] == "Olney & Lavendon"


# --- another city, and broken folders -------------------------------------------------------

@pytest.fixture
def folder_copy(tmp_path, data_dir):
    """A private copy of the data folder that a test may break (never the shared one)."""
    target = tmp_path / "city"
    shutil.copytree(data_dir, target)
    for f in target.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    return target


def _edit_manifest(folder: Path, change) -> None:
    path = folder / "datapackage.json"
    manifest = json.loads(path.read_text())
    change(manifest)
    path.write_text(json.dumps(manifest))


def test_another_city_folder_with_other_file_names_loads_unchanged(folder_copy):
    """Nothing depends on Milton Keynes' file names: rename every file, update the manifest."""
    def rename(manifest):
        for i, r in enumerate(manifest["resources"]):
            old = folder_copy / r["path"]
            new_name = f"file{i}{old.suffix}"
            old.rename(old.parent / new_name)
            r["path"] = str(Path(r["path"]).parent / new_name)
    _edit_manifest(folder_copy, rename)
    city = load_city(folder_copy)
    assert len(city.layers["lsoa21"]) == 166 and city.mismatches == []


def test_a_code_with_no_boundary_is_reported_and_the_rest_still_loads(folder_copy):
    path = folder_copy / "census2021" / "mk_census21_ts054_tenure_lsoa21.csv"
    lines = path.read_text().splitlines()
    lines[5] = "E01099999" + lines[5][9:]
    path.write_text("\n".join(lines) + "\n")
    city = load_city(folder_copy)
    problems = [m for m in city.mismatches if m.resource == "census21-tenure"]
    assert any(m.code == "E01099999" and m.row == 6 and "no lsoa21 boundary" in m.problem for m in problems)
    lost = lines[5 - 0].split(",")[0]
    assert any(m.code != "E01099999" and m.row is None for m in problems), lost
    tenure_rows = city.values["lsoa21"].values_of("census21-tenure.total_households")
    assert len(tenure_rows) == 165


def test_a_missing_file_fails_naming_it(folder_copy):
    (folder_copy / "deprivation" / "mk_iod2025_lsoa21.csv").unlink()
    with pytest.raises(DataError, match=r"mk_iod2025_lsoa21\.csv.*missing"):
        load_city(folder_copy)


def test_a_corrupt_secondary_boundary_file_is_skipped_with_a_report_and_the_rest_loads(folder_copy):
    (folder_copy / "boundaries" / "mk_wards22_bsc.geojson").write_text('{"type": "FeatureCo')
    city = load_city(folder_copy)
    assert "ward" not in city.layers and len(city.layers["lsoa21"]) == 166
    [report] = [m for m in city.mismatches if m.problem.startswith("file skipped")]
    assert report.resource == "ward-boundaries"
    assert "mk_wards22_bsc.geojson" in report.problem and "no ward areas are loaded" in report.problem


def test_a_corrupt_primary_boundary_file_stops_the_load_naming_it(folder_copy):
    manifest = load_manifest(folder_copy)
    [primary] = [r for r in manifest.by_role("boundaries") if r.geography == "lsoa21"]
    manifest.path_of(primary).write_text('{"type": "FeatureCo')
    with pytest.raises(DataError, match=re.escape(primary.path.rsplit("/", 1)[-1])):
        load_city(folder_copy)


def test_a_non_numeric_cell_fails_naming_file_row_and_column(folder_copy):
    path = folder_copy / "census2021" / "mk_census21_ts021_ethnic_group_lsoa21.csv"
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")
    cells[2] = "lots"
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as err:
        load_city(folder_copy)
    message = str(err.value)
    assert "mk_census21_ts021_ethnic_group_lsoa21.csv" in message and "row 4" in message
    assert "'total_residents'" in message and "'lots'" in message


def test_a_malformed_area_code_fails_naming_the_row(folder_copy):
    path = folder_copy / "deprivation" / "mk_iod2025_lsoa21.csv"
    lines = path.read_text().splitlines()
    lines[10] = "X123" + lines[10][9:]
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError, match=r"row 11.*lsoa21_code|row 11"):
        load_city(folder_copy)


def test_a_self_intersecting_ring_is_repaired_and_reported_per_area(folder_copy):
    path = folder_copy / "boundaries" / "mk_msoa21_bsc.geojson"
    data = json.loads(path.read_text())
    code = data["features"][2]["properties"]["MSOA21CD"]
    data["features"][2]["geometry"] = {"type": "Polygon", "coordinates": [
        [[-0.8, 52.0], [-0.7, 52.1], [-0.7, 52.0], [-0.8, 52.1], [-0.8, 52.0]]]}  # a bow tie
    path.write_text(json.dumps(data))
    city = load_city(folder_copy)
    layer = city.layers["msoa21"]
    assert len(layer) == 35 and shapely.is_valid(layer.geometries).all()
    bow_tie = layer.geometries[list(layer.codes).index(code)]
    assert shapely.get_type_id(bow_tie) == 6 and len(shapely.get_parts(bow_tie)) == 2  # two triangles
    [report] = [m for m in city.mismatches if m.code == code]
    assert report.resource == "msoa21-boundaries" and report.row == 3
    assert "Self-intersection" in report.problem and "repaired" in report.problem


def test_a_ring_that_collapses_to_a_line_cannot_be_repaired_and_names_the_feature(folder_copy):
    path = folder_copy / "boundaries" / "mk_lsoa21_bsc.geojson"
    data = json.loads(path.read_text())
    data["features"][4]["geometry"] = {"type": "Polygon", "coordinates": [
        [[-0.8, 52.0], [-0.7, 52.1], [-0.8, 52.0], [-0.7, 52.1], [-0.8, 52.0]]]}  # no area at all
    path.write_text(json.dumps(data))
    with pytest.raises(DataError, match=r"mk_lsoa21_bsc\.geojson, row 5: .*no area once repaired"):
        load_city(folder_copy)


def test_a_folder_without_a_manifest_says_what_to_do(tmp_path):
    with pytest.raises(DataError, match="COMMONGROUND_DATA"):
        load_city(tmp_path)


def test_the_geography_package_imports_no_django():
    code = ("import sys; import commonground.geography.city, commonground.geography.svgmap, "
            "commonground.geography.pointindex, commonground.geography.aggregate; "
            "print('django' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_base_area_arrays_line_up(city):
    layer = city.layers["lsoa21"]
    assert len(np.unique(layer.codes)) == len(layer.codes) == len(layer.geometries)


def test_an_area_published_in_parts_is_joined_into_one_and_reported(folder_copy, city):
    path = folder_copy / "boundaries" / "mk_wards22_bsc.geojson"
    data = json.loads(path.read_text())
    first, second = data["features"][0], data["features"][1]
    code, name = first["properties"]["WD22CD"], first["properties"]["WD22NM"]
    other = second["properties"]["WD22CD"]
    first["properties"]["WD22NM"] = f"{name} (part Milton Keynes)"
    second["properties"].update(WD22CD=code, WD22NM=f"{name} (part Bedford)")
    path.write_text(json.dumps(data))
    joined = load_city(folder_copy)
    layer = joined.layers["ward"]
    assert len(layer) == 18 and list(layer.codes).count(code) == 1 and other not in set(layer.codes)
    i = list(layer.codes).index(code)
    assert layer.names[i] == name
    before = city.layers["ward"]
    both = [list(before.codes).index(c) for c in (code, other)]
    assert shapely.area(layer.geometries[i]) == pytest.approx(shapely.area(before.geometries[both]).sum(),
                                                              rel=1e-3)
    [report] = [m for m in joined.mismatches if m.code == code]
    assert report.resource == "ward-boundaries" and "2 parts (features 1, 2)" in report.problem


def test_an_area_the_lookup_places_under_a_code_of_another_vintage_is_placed_by_its_point(folder_copy, city):
    manifest = load_manifest(folder_copy)
    [lookup] = [r for r in manifest.by_role("lookup") if r.geography_chain[-1] == "ward"]
    path = manifest.path_of(lookup)
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    ward_column = next(j for j, name in enumerate(rows[0]) if set(c[j] for c in rows[1:]) <= set(
        city.layers["ward"].codes))
    lsoa, ward = rows[1][0], rows[1][ward_column]
    rows[1][ward_column] = "E05999999"  # a ward code of a later vintage, in no boundary file here
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    loaded = load_city(folder_copy)
    [placed] = [m for m in loaded.memberships if m.parent_geography == "ward" and m.child == lsoa]
    assert placed.parent == ward  # the ward its point on surface lies in: the one the lookup meant
    assert "point on surface" in placed.method and "the lookup gives it no area" in placed.method
    assert any(m.code == "E05999999" and "has no boundary" in m.problem for m in loaded.mismatches)
