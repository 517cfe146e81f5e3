"""Ingesting real files into versions: types, place links, immutability, atomic failure."""

from __future__ import annotations

import csv
import hashlib
import json

import duckdb
import pytest
import shapely

from commonground.catalogue.models import IngestJob, Resource, Version, VersionArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools_csv(data_dir):
    return data_dir / "points" / "mk_schools_gias_2025-05.csv"


@pytest.fixture
def gp_geojson(data_dir):
    return data_dir / "points" / "mk_gp_practices_epraccur_2020-01.geojson"


def read_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def parquet_rows(version: Version, columns: str = "*") -> list[dict]:
    rel = duckdb.sql(f"SELECT {columns} FROM read_parquet('{version.parquet_path}') ORDER BY _id")
    names = rel.columns
    return [dict(zip(names, r, strict=True)) for r in rel.fetchall()]


def test_schools_csv_becomes_a_typed_place_linked_version(loaded, make_dataset, ingest_path,
                                                          schools_csv):
    job = ingest_path(make_dataset("schools"), schools_csv)
    assert job.status == IngestJob.Status.DONE, job.error or job.report
    version = job.version
    source = read_csv(schools_csv)
    assert version.row_count == len(source)
    types = {c["name"]: c["type"] for c in version.schema}
    assert types["urn"] == "integer"
    assert types["number_of_pupils"] == "integer"
    assert types["percentage_fsm"] == "number"
    assert types["establishment_name"] == "string"
    assert types["lsoa21_code"] == "string"
    rows = parquet_rows(version)
    assert [r["urn"] for r in rows] == [int(s["urn"]) for s in source]
    assert rows[0]["establishment_name"] == source[0]["establishment_name"]
    # Every school has coordinates inside the city; each row is placed by them.
    links = version.report["links"]
    assert links["linked"] == len(source) and links["unmatched"] == 0
    assert links["by_method"] == {"coordinates": len(source)}
    # Each school's LSOA is the boundary polygon that covers its point (checked here with
    # plain shapely). The DfE's own lsoa21_code differs for 20 of 125 schools: GIAS places a
    # school by its address, and the boundaries here are the generalised (BSC) ones.
    state = loaded
    polygons = state.geometries(state.base)
    codes = [a.code for a in state.base_areas]
    for r in rows:
        point = shapely.Point(r["_easting"], r["_northing"])
        assert r["_lsoa21"] == next(c for c, g in zip(codes, polygons, strict=True)
                                    if g.covers(point))
    agree = sum(r["_lsoa21"] == s["lsoa21_code"] for r, s in zip(rows, source, strict=True))
    assert agree >= 100, f"only {agree} of {len(source)} agree with GIAS"
    # ... and every row gets the ward and MSOA of its LSOA (official lookup).
    ward_of = dict(zip([a.code for a in state.base_areas],
                       _best_parent(state, "ward"), strict=True))
    assert all(r["_ward"] == ward_of[r["_lsoa21"]] for r in rows)
    assert all(r["_msoa21"] for r in rows)


def _best_parent(state, geography):
    W = state.members(geography)
    codes = [a.code for a in state.by_geography[geography]]
    return [codes[i] for i in W.argmax(axis=0)]


def test_version_files_are_immutable_and_checksummed(loaded, make_dataset, ingest_path,
                                                     schools_csv):
    version = ingest_path(make_dataset("schools"), schools_csv).version
    assert version.sha256 == hashlib.sha256(version.parquet_path.read_bytes()).hexdigest()
    assert version.original_path.read_bytes() == schools_csv.read_bytes()
    assert version.original_sha256 == hashlib.sha256(schools_csv.read_bytes()).hexdigest()
    assert version.original_name == schools_csv.name
    # Area counts: every linked row counted once per geography.
    counts = VersionArea.objects.filter(version=version, geography="lsoa21")
    assert sum(c.rows for c in counts) == version.row_count


def test_a_second_ingest_is_a_new_version_and_the_first_is_kept(loaded, make_dataset, ingest_path,
                                                                schools_csv, tmp_path):
    dataset = make_dataset("schools")
    first = ingest_path(dataset, schools_csv).version
    fewer = tmp_path / "schools.csv"
    lines = schools_csv.read_text(encoding="utf-8").splitlines(keepends=True)
    fewer.write_text("".join(lines[:11]), encoding="utf-8")
    second = ingest_path(dataset, fewer, resource=first.resource).version
    assert (first.number, second.number) == (1, 2)
    assert second.row_count == 10
    resource = Resource.objects.get(pk=first.resource_id)
    assert resource.current_version == second
    assert first.parquet_path.exists() and len(parquet_rows(first)) == first.row_count


def test_a_file_that_cannot_be_read_changes_nothing(loaded, make_dataset, ingest_path,
                                                    schools_csv, tmp_path, datastore_in_tmp):
    dataset = make_dataset("schools")
    first = ingest_path(dataset, schools_csv).version
    files_before = sorted(p for p in datastore_in_tmp.rglob("*") if p.is_file())
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("name,value\nA,1\nB,2,3\nC,4\n", encoding="utf-8")
    job = ingest_path(dataset, ragged, resource=first.resource)
    assert job.status == IngestJob.Status.FAILED
    assert "row 3" in job.error
    resource = Resource.objects.get(pk=first.resource_id)
    assert resource.current_version == first
    assert resource.versions.count() == 1
    files_after = sorted(p for p in datastore_in_tmp.rglob("*") if p.is_file())
    assert files_after == files_before  # nothing new kept: an unreadable file can't be re-checked


def test_values_that_break_a_type_are_reported_and_an_override_fixes_it(
        loaded, make_dataset, ingest_path, tmp_path):
    from commonground.catalogue.services import ingest

    path = tmp_path / "counts.csv"
    body = ["site,count"] + [f"Site {i},{i}" for i in range(1, 40)] + ["Site 40,approx 5"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    job = ingest_path(make_dataset("counts"), path)
    assert job.status == IngestJob.Status.INVALID
    assert job.version is None and Version.objects.count() == 0
    column = next(c for c in job.report["validation"]["columns"] if c["name"] == "count")
    assert column["type"] == "integer" and column["bad_count"] == 1
    assert column["bad_values"] == [{"row": 41, "value": "approx 5"}]
    again = ingest.run_job(ingest.rerun(job, overrides={"count": "string"}).id)
    assert again.status == IngestJob.Status.DONE
    assert {c["name"]: c["type"] for c in again.version.schema}["count"] == "string"
    assert again.version.overrides == {"count": "string"}


def test_postcodes_place_rows_and_unknown_ones_are_listed(loaded, make_dataset, ingest_path,
                                                          gp_geojson, tmp_path):
    features = json.loads(gp_geojson.read_text(encoding="utf-8"))["features"]
    practices = [(f["properties"]["name"], f["properties"]["postcode"]) for f in features]
    path = tmp_path / "practices.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Practice", "Post Code"])
        w.writerows(practices)
        w.writerow(["Nowhere surgery", "ZZ99 9ZZ"])
    job = ingest_path(make_dataset("practices"), path)
    assert job.status == IngestJob.Status.DONE, job.error
    links = job.version.report["links"]
    from commonground.places.models import Postcode

    known = {p.compact for p in Postcode.objects.filter(area__isnull=False)}
    placeable = sum(pc.replace(" ", "").upper() in known for _, pc in practices)
    assert placeable >= len(practices) - 1
    assert links["by_method"] == {"postcode": placeable}
    assert links["unmatched_rows"][-1] == {
        "row": len(practices) + 2, "reason": "postcode not in Milton Keynes's postcode lookup"}
    assert any("postcodes in column 'Post Code'" in c for c in links["columns_used"])


def test_geojson_points_are_placed_by_their_geometry(loaded, make_dataset, ingest_path,
                                                     gp_geojson):
    job = ingest_path(make_dataset("gps"), gp_geojson)
    assert job.status == IngestJob.Status.DONE, job.error
    features = json.loads(gp_geojson.read_text(encoding="utf-8"))["features"]
    with_point = [f for f in features if f["geometry"]]
    links = job.version.report["links"]
    assert links["by_method"].get("geometry") == len(with_point)
    rows = parquet_rows(job.version, "_lsoa21, LSOA21CD")
    placed = [r for r in rows if r["_lsoa21"]]
    assert all(r["_lsoa21"] == r["LSOA21CD"] for r in placed)


def test_area_codes_place_rows_and_ward_codes_give_wards_only(loaded, make_dataset, ingest_path,
                                                              tmp_path):
    lsoas = [a.code for a in loaded.base_areas][:20]
    wards = [a.code for a in loaded.by_geography["ward"]][:5]
    path = tmp_path / "areas.csv"
    lines = ["area,value"] + [f"{c},{i}" for i, c in enumerate(lsoas)] + \
        [f"{c},{i}" for i, c in enumerate(wards)] + ["E01999999,0"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = ingest_path(make_dataset("areas"), path)
    assert job.status == IngestJob.Status.DONE, job.error
    rows = parquet_rows(job.version, "area, _lsoa21, _ward, _linked_by")
    assert [r["_lsoa21"] for r in rows[:20]] == lsoas
    assert all(r["_ward"] for r in rows[:20])
    assert [(r["_lsoa21"], r["_ward"]) for r in rows[20:25]] == [(None, c) for c in wards]
    links = job.version.report["links"]
    assert links["partial"] == {"ward": 5}
    assert links["unmatched_rows"] == [{"row": 27, "reason": "area code not in Milton Keynes"}]


def test_grid_references_and_points_outside_the_city(loaded, make_dataset, ingest_path,
                                                     schools_csv, tmp_path):
    source = read_csv(schools_csv)[:30]
    path = tmp_path / "grid.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "Easting", "Northing"])
        w.writerows([(s["establishment_name"], s["easting"], s["northing"]) for s in source])
        w.writerow(["Big Ben", "530268", "179640"])
    job = ingest_path(make_dataset("grid"), path)
    assert job.status == IngestJob.Status.DONE, job.error
    rows = parquet_rows(job.version, "_lsoa21, _easting, _northing")
    with_latlon = parquet_rows(ingest_path(make_dataset("schools"), schools_csv).version,
                               "_lsoa21")[:30]
    assert [r["_lsoa21"] for r in rows[:30]] == [r["_lsoa21"] for r in with_latlon]
    assert rows[0]["_easting"] == float(source[0]["easting"])
    assert job.version.report["links"]["unmatched_rows"] == [
        {"row": 32, "reason": "outside Milton Keynes"}]


def _xlsx_with_formula(path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["site", "visits"])
    sheet.append(["A", 3])
    sheet.append(["B", "=B2*2"])
    book.save(path)


def _zip(path, members: dict[str, bytes]):
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)


BOW_TIE = ('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
           '{"name": "x"}, "geometry": {"type": "Polygon", "coordinates": '
           '[[[-0.75, 52.0], [-0.74, 52.01], [-0.74, 52.0], [-0.75, 52.01], [-0.75, 52.0]]]}}]}')

BAD_FILES = {
    "empty.csv": (lambda p: p.write_bytes(b""), "the file is empty"),
    "header.csv": (lambda p: p.write_bytes(b"a,b,c\n"), "header row but no data rows"),
    "ragged.csv": (lambda p: p.write_bytes(b"a,b\n1,2\n3,4,5\n"), "row 3: this row has 3 fields"),
    "mixed.csv": (lambda p: p.write_bytes("name\nCafé\n".encode() + b"Caf\xe9\n"),
                  "undecodable bytes"),
    "shapes.zip": (lambda p: _zip(p, {"a.dbf": b"x", "notes.txt": b"y"}),
                   "the zip has no .shp file"),
    "bowtie.geojson": (lambda p: p.write_text(BOW_TIE), "feature 1 has an invalid geometry"),
    "formulas.xlsx": (_xlsx_with_formula, "formula"),
    "bomb.zip": (lambda p: _zip(p, {"a.shp": b"\0" * 50_000_000}), "zip bomb"),
    "slip.zip": (lambda p: _zip(p, {"../evil.shp": b"x"}), "unsafe path"),
}


@pytest.mark.parametrize("filename", list(BAD_FILES))
def test_bad_input_gets_a_specific_error_and_changes_nothing(loaded, make_dataset, ingest_path,
                                                             schools_csv, tmp_path, filename):
    dataset = make_dataset("schools")
    first = ingest_path(dataset, schools_csv).version
    make, message = BAD_FILES[filename]
    path = tmp_path / filename
    make(path)
    job = ingest_path(dataset, path, resource=first.resource)
    assert job.status == IngestJob.Status.FAILED
    assert filename in job.error and message in job.error
    resource = Resource.objects.get(pk=first.resource_id)
    assert resource.current_version == first and resource.versions.count() == 1
    assert not (first.parquet_path.parent.parent / f"job-{job.id}").exists()


def test_impossible_dates_are_left_empty_and_the_job_page_names_file_row_and_column(
        loaded, make_dataset, ingest_path, tmp_path, people, client):
    # one "0000-00-00" used to refuse a national file of 18,335 charge points
    from django.urls import reverse

    path = tmp_path / "chargers.csv"
    body = ["name,installed"] + [f"Charger {i},2021-03-{1 + i % 28:02d}" for i in range(40)]
    body[13] = "Charger 12,0000-00-00"
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    job = ingest_path(make_dataset("chargers"), path)
    assert job.status == IngestJob.Status.DONE and job.version.row_count == 40
    assert job.report["validation"]["emptied"] == [
        {"row": 14, "column": "installed", "value": "0000-00-00"}]
    client.force_login(people["editor"])
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    assert "Impossible dates left empty" in page
    assert "chargers.csv, row 14, column “installed”: “0000-00-00”" in page
