"""Publishing that forgives (issue 21): a messy real file is published without silently
changing what it says. A column can keep its type with the values that do not fit left empty
(listed in the report, kept in the original upload), and latitudes/longitudes out of range
are never placed: the report names the rows and the likely cause (a decimal comma)."""

from __future__ import annotations

import csv
import json

import duckdb
import pytest

from commonground.catalogue.models import IngestJob
from commonground.datastore import storage

pytestmark = pytest.mark.django_db

KEEP = ["urn", "establishment_name", "number_of_pupils", "longitude", "latitude"]


@pytest.fixture
def schools(data_dir) -> list[dict]:
    """The real schools file's rows (found through the data package's manifest), only the
    columns that the tests need: its grid and area-code columns would place a row whose
    latitude/longitude is wrong, which is right, but hides what is tested here."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    path = data_dir / next(r["path"] for r in package["resources"] if r["name"] == "schools")
    with open(path, encoding="utf-8", newline="") as f:
        return [{k: r[k] for k in KEEP} for r in csv.DictReader(f)]


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=KEEP, quoting=csv.QUOTE_MINIMAL)
        out.writeheader()
        out.writerows(rows)
    return path


def parquet(version, columns):
    con = storage.connect()
    try:
        return con.execute(f"SELECT {columns} FROM read_parquet(?) ORDER BY _id",
                           [str(version.parquet_path)]).fetchall()
    finally:
        con.close()


def test_a_column_keeps_its_type_and_the_values_that_do_not_fit_are_left_empty_and_listed(
        loaded, make_dataset, ingest_path, tmp_path, people, client, schools):
    from django.urls import reverse

    rows = [dict(r) for r in schools]
    rows[4]["number_of_pupils"] = "approx 300"  # file row 6 (the header is row 1)
    rows[9]["number_of_pupils"] = "n/k"         # file row 11
    path = write_csv(tmp_path / "schools.csv", rows)
    job = ingest_path(make_dataset("schools"), path)
    assert job.status == IngestJob.Status.INVALID  # as before: the choice is the user's

    # The report page offers the choice beside "make it text"; choosing it re-runs the ingest.
    client.force_login(people["editor"])
    columns = job.report["validation"]["columns"]
    form = {f"type_{i}": c["type"] for i, c in enumerate(columns)}
    pupils = next(i for i, c in enumerate(columns) if c["name"] == "number_of_pupils")
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    assert 'value="integer:blank"' in page and 'value="string"' in page
    form[f"type_{pupils}"] = "integer:blank"
    response = client.post(reverse("catalogue:job", args=[job.id]), form)
    again = IngestJob.objects.exclude(pk=job.pk).get(resource=job.resource)
    assert response.status_code == 302 and again.status == IngestJob.Status.DONE, again.error

    column = next(c for c in again.report["validation"]["columns"]
                  if c["name"] == "number_of_pupils")
    assert (column["type"], column["blank"], column["bad_count"], column["blanked"]) == \
        ("integer", True, 0, 2)
    assert again.report["validation"]["blanked"] == [
        {"row": 6, "column": "number_of_pupils", "value": "approx 300"},
        {"row": 11, "column": "number_of_pupils", "value": "n/k"}]
    version = again.version
    assert version.overrides == {"number_of_pupils": "integer:blank"}
    stored = [r[0] for r in parquet(version, "number_of_pupils")]
    assert stored == [None if i in (4, 9) or not r["number_of_pupils"]
                      else int(r["number_of_pupils"]) for i, r in enumerate(rows)]
    assert stored[:4] != [None] * 4
    # The original upload is kept as it was, the values that did not fit included.
    with storage.open_input(version.original_path) as f:
        assert f.read() == path.read_bytes()
    page = client.get(reverse("catalogue:job", args=[again.id])).content.decode()
    assert "Values left empty as you asked" in page
    assert "schools.csv, row 6, column “number_of_pupils”: “approx 300”" in page
    # the form shows the choice that was made, so "check again" keeps it
    assert 'value="integer:blank" selected' in page


def test_latitudes_and_longitudes_out_of_range_are_not_placed_and_the_report_says_why(
        loaded, make_dataset, ingest_path, tmp_path, schools):
    rows = [dict(r) for r in schools]
    rows[2]["latitude"] = "52,041"      # a decimal comma: read as 52041 (file row 4)
    rows[5]["longitude"] = "-0,755"     # read as -755 (file row 7)
    rows[8]["latitude"] = "152.5"       # just wrong (file row 10)
    path = write_csv(tmp_path / "schools.csv", rows)
    assert '"52,041"' in path.read_text(encoding="utf-8")  # quoted, as a spreadsheet writes it
    job = ingest_path(make_dataset("schools"), path)
    assert job.status == IngestJob.Status.DONE, job.error or job.report

    links = job.report["links"]
    assert links["linked"] == len(rows) - 3
    reason = "latitude/longitude out of range (latitude -90 to 90, longitude -180 to 180)"
    assert links["unmatched_by_reason"] == {reason: 3}
    assert links["out_of_range_rows"] == [
        {"row": 4, "reason": "latitude 52041 is not between -90 and 90 "
                             "(looks like a decimal comma: 52.041?)"},
        {"row": 7, "reason": "longitude -755 is not between -180 and 180 "
                             "(looks like a decimal comma: -0.755?)"},
        {"row": 10, "reason": "latitude 152.5 is not between -90 and 90"}]
    # Nothing is placed at a wrong spot: those rows have no area and no point.
    stored = parquet(job.version, "_row, latitude, _lsoa21, _linked_by, _easting")
    bad = {4, 7, 10}
    assert [r[:2] for r in stored if r[0] == 4] == [(4, 52041.0)]  # the value as read, kept
    assert all(r[2] is None and r[3] is None and r[4] is None for r in stored if r[0] in bad)
    assert all(r[2] and r[3] == "coordinates" for r in stored if r[0] not in bad)


def test_a_blank_override_needs_a_type_that_values_can_fail():
    from commonground.datastore import inference
    from commonground.datastore.errors import IngestError

    con = duckdb.connect()
    con.execute("CREATE TABLE raw AS SELECT * FROM (VALUES (2, 'a')) t(_row, name)")
    with pytest.raises(IngestError, match="nothing to leave empty"):
        inference.infer_and_validate(con, ["name"], overrides={"name": "string:blank"})
    with pytest.raises(IngestError, match="unknown type 'integr:blank'"):
        inference.infer_and_validate(con, ["name"], overrides={"name": "integr:blank"})


def test_values_left_empty_are_all_counted_and_the_first_few_listed():
    from commonground.datastore import inference
    from commonground.datastore.errors import Limits

    con = duckdb.connect()
    con.execute("CREATE TABLE raw AS SELECT i + 2 AS _row, CASE WHEN i % 10 = 3 THEN 'about ' "
                "|| i ELSE CAST(i AS VARCHAR) END AS n FROM range(100) r(i)")
    report = inference.infer_validate_and_cast(con, ["n"], overrides={"n": "integer:blank"},
                                               limits=Limits(max_error_rows=3))
    (column,) = report.columns
    assert report.ok and (column.type, column.blanked, column.bad_count) == ("integer", 10, 0)
    assert [(b.row, b.value) for b in column.blanked_values] == [
        (5, "about 3"), (15, "about 13"), (25, "about 23")]
    assert (column.non_null, column.nulls) == (90, 10)
    typed = dict(con.execute("SELECT _row, n FROM typed").fetchall())
    assert typed[5] is None and typed[6] == 4
    assert inference.ValidationReport.from_dict(report.to_dict()) == report
