"""DataStore writes through CKAN: each ``datastore_create``, ``datastore_upsert`` and
``datastore_delete`` is a new immutable version of the resource (the one before stays as it
was); keys match rows; bad records, unknown keys and callers without the right change
nothing. The rows are real: the city's Census 2021 counts by MSOA, read from the data
package with the ``csv`` module."""

from __future__ import annotations

import csv

import duckdb
import pytest

from commonground.catalogue.models import Resource, Version

from . import test_ckan_write
from .test_ckan_write import CSV_RESOURCE, call, ok, package_file, refused

pytestmark = pytest.mark.django_db

hub = test_ckan_write.hub  # the fixture: tokens of the council's people and of others

COLUMNS = ["msoa21_code", "msoa21_name", "total_residents_16_and_over"]
FIELDS = [{"id": "msoa21_code", "type": "text"}, {"id": "msoa21_name", "type": "text"},
          {"id": "total_residents_16_and_over", "type": "int"}]


@pytest.fixture
def census_rows(data_dir) -> list[dict]:
    with open(package_file(data_dir, CSV_RESOURCE), newline="", encoding="utf-8-sig") as f:
        return [{"msoa21_code": r["msoa21_code"], "msoa21_name": r["msoa21_name"],
                 "total_residents_16_and_over": int(r["total_residents_16_and_over"])}
                for r in csv.DictReader(f)]


def rows_of(version: Version) -> list[tuple]:
    return duckdb.sql(f"SELECT {', '.join(COLUMNS)} FROM read_parquet('{version.parquet_path}')"
                      ).fetchall()


@pytest.fixture
def table(hub, make_dataset, census_rows):
    """A resource whose table holds the first ten MSOAs, keyed by code."""
    dataset = make_dataset("residents-16-plus")
    made = ok(call("datastore_create", {
        "resource": {"package_id": dataset.name, "name": "Residents aged 16+"},
        "fields": FIELDS, "records": census_rows[:10], "primary_key": "msoa21_code"},
        hub["editor"]))
    return Resource.objects.select_related("current_version").get(pk=made["resource_id"])


def test_create_makes_a_resource_whose_first_version_is_the_records(hub, table, census_rows):
    version = table.current_version
    assert version.number == 1 and version.row_count == 10
    assert rows_of(version) == [tuple(r[c] for c in COLUMNS) for r in census_rows[:10]]
    info = ok(call("datastore_info", {"id": str(table.id)}))
    assert info["meta"]["count"] == 10
    assert [(f["id"], f["type"]) for f in info["fields"]] == [
        ("msoa21_code", "text"), ("msoa21_name", "text"), ("total_residents_16_and_over", "int")]
    assert [f["id"] for f in info["fields"] if f["schema"]["uniquekey"]] == ["msoa21_code"]
    found = ok(call("datastore_search", {"resource_id": str(table.id),
                                         "filters": {"msoa21_code": "E02003460"}}))
    assert found["records"][0]["total_residents_16_and_over"] == 9411


def test_an_upsert_is_a_new_version_and_the_old_one_is_kept(hub, table, census_rows):
    first = table.current_version
    before = rows_of(first)
    changed = {"msoa21_code": census_rows[1]["msoa21_code"], "total_residents_16_and_over": 1}
    added = census_rows[10]
    answer = ok(call("datastore_upsert", {"resource_id": str(table.id),
                                          "records": [changed, added]}, hub["editor"]))
    assert answer["method"] == "upsert" and answer["ingest"]["status"] == "done"
    second = Resource.objects.get(pk=table.pk).current_version
    assert second.number == 2 and second.row_count == 11
    expected = [tuple(r[c] for c in COLUMNS) for r in census_rows[:11]]
    expected[1] = (census_rows[1]["msoa21_code"], census_rows[1]["msoa21_name"], 1)  # name kept
    assert rows_of(second) == expected
    assert rows_of(Version.objects.get(pk=first.pk)) == before
    # The key is carried to the next version: an update by key still works.
    ok(call("datastore_upsert", {"resource_id": str(table.id), "method": "update",
                                 "records": [{**census_rows[0], "msoa21_name": "Renamed"}]},
            hub["editor"]))
    assert rows_of(Resource.objects.get(pk=table.pk).current_version)[0][1] == "Renamed"


def test_bad_upserts_are_refused_and_make_no_version(hub, table, census_rows):
    rid = str(table.id)
    cases = [
        ({"method": "update", "records": [census_rows[20]]}, "records"),  # key not there
        ({"method": "insert", "records": [census_rows[0]]}, "records"),  # key already there
        ({"records": [{"msoa21_code": "E1", "colour": "red"}]}, "records"),  # no such column
        ({"records": [{"msoa21_name": "no key"}]}, "records"),
        ({"records": [census_rows[30], census_rows[30]]}, "records"),  # twice
        ({"records": [{**census_rows[0], "total_residents_16_and_over": "many"}]}, "records"),
        ({"method": "replace", "records": [census_rows[0]]}, "method"),
        ({}, "records"),
    ]
    for data, field in cases:
        error = refused(call("datastore_upsert", {"resource_id": rid, **data}, hub["editor"]),
                        409, "Validation Error")
        assert error[field], (data, error)
    assert list(table.versions.values_list("number", flat=True)) == [1]


def test_delete_removes_the_matching_rows_as_a_new_version(hub, table, census_rows):
    gone = [census_rows[2]["msoa21_code"], census_rows[3]["msoa21_code"]]
    answer = ok(call("datastore_delete", {"resource_id": str(table.id),
                                          "filters": {"msoa21_code": gone}}, hub["editor"]))
    assert answer["deleted"] == 2
    current = Resource.objects.get(pk=table.pk).current_version
    assert current.number == 2
    assert [r[0] for r in rows_of(current)] == [
        r["msoa21_code"] for r in census_rows[:10] if r["msoa21_code"] not in gone]
    for filters in (None, {}, {"colour": "red"}):
        refused(call("datastore_delete", {"resource_id": str(table.id), "filters": filters},
                     hub["editor"]), 409, "Validation Error")
    assert table.versions.count() == 2


def test_nobody_else_writes_a_table(hub, table, census_rows, make_dataset):
    rid = str(table.id)
    for token in (None, hub["member"], hub["rival"], hub["outsider"]):
        refused(call("datastore_upsert", {"resource_id": rid, "records": [census_rows[0]]},
                     token), 403, "Authorization Error")
        refused(call("datastore_delete", {"resource_id": rid,
                                          "filters": {"msoa21_code": "E02003459"}}, token),
                403, "Authorization Error")
        refused(call("datastore_create", {"resource_id": rid, "records": [census_rows[20]]},
                     token), 403, "Authorization Error")
    private = make_dataset("private-counts", private=True)
    refused(call("datastore_create", {"resource": {"package_id": private.name},
                                      "fields": FIELDS, "records": census_rows[:1]},
                 hub["rival"]), 404, "Not Found Error")
    assert table.versions.count() == 1 and Resource.objects.count() == 1
