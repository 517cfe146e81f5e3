"""CKAN DataStore writes and deletes with the versions in an S3-compatible store (moto's
server, as ``test_datastore_on_s3``): an upsert reads the live version from the store and
puts the next one there; deleting the resource deletes its objects."""

from __future__ import annotations

import pytest

from . import test_ckan_write, test_datastore_on_s3
from .test_ckan_write import call, ok
from .test_ckan_write_datastore import FIELDS

pytestmark = pytest.mark.django_db

hub = test_ckan_write.hub
store = test_datastore_on_s3.store


def test_an_upsert_reads_and_writes_versions_in_the_store(
        hub, store, make_dataset, django_capture_on_commit_callbacks):
    from commonground.catalogue.models import Version

    fs, bucket = store
    dataset = make_dataset("residents-16-plus")
    records = [{"msoa21_code": "E02003459", "msoa21_name": "Milton Keynes 001",
                "total_residents_16_and_over": 7403},
               {"msoa21_code": "E02003460", "msoa21_name": "Milton Keynes 002",
                "total_residents_16_and_over": 9411}]
    made = ok(call("datastore_create", {"resource": {"package_id": dataset.name},
                                        "fields": FIELDS, "records": records,
                                        "primary_key": "msoa21_code"}, hub["editor"]))
    rid = made["resource_id"]
    ok(call("datastore_upsert", {"resource_id": rid, "records": [
        {"msoa21_code": "E02003460", "total_residents_16_and_over": 1}]}, hub["editor"]))
    versions = list(Version.objects.filter(resource_id=rid).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert all(str(v.parquet_path).startswith(f"s3://{bucket}/") for v in versions)
    assert all(fs.exists(str(v.parquet_path)) for v in versions)
    found = ok(call("datastore_search", {"resource_id": rid, "sort": "msoa21_code"}))
    assert [r["total_residents_16_and_over"] for r in found["records"]] == [7403, 1]
    with django_capture_on_commit_callbacks(execute=True):
        ok(call("resource_delete", {"id": rid}, hub["editor"]))
    assert fs.find(f"{bucket}/mk/{dataset.id}/{rid}") == []
