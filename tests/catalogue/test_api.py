"""The catalogue JSON API (/api/catalogue): datasets, versions, rows, aggregates, profiles."""

from __future__ import annotations

import csv

import pytest
from openapi_spec_validator import validate

from commonground.catalogue.models import Dataset, IngestJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools(loaded, make_dataset, ingest_path, data_dir):
    path = data_dir / "points" / "mk_schools_gias_2025-05.csv"
    dataset = make_dataset("schools", title="Schools")
    job = ingest_path(dataset, path, name="Open schools")
    assert job.status == IngestJob.Status.DONE, job.error
    with open(path, encoding="utf-8") as f:
        source = list(csv.DictReader(f))
    return job.resource, source


def rows_url(resource) -> str:
    return f"/api/catalogue/resources/{resource.id}/rows"


def test_datasets_search_and_detail(client, schools):
    resource, _ = schools
    found = client.get("/api/catalogue/datasets", {"q": "schools"}).json()
    assert (found["total"], found["limit"], found["offset"]) == (1, 20, 0)
    assert found["datasets"][0]["name"] == "schools"
    assert found["facets"]["organization"] == [
        {"name": "mk-council", "display_name": "Milton Keynes City Council", "count": 1}]
    detail = client.get("/api/catalogue/datasets/schools").json()
    assert detail["resources"][0]["current_version"]["number"] == 1
    assert client.get("/api/catalogue/datasets/nope").status_code == 404


def test_rows_with_filters_sort_fields_and_exact_total(client, schools):
    resource, source = schools
    primary = [s for s in source if s["education_phase"] == "Primary" and s["number_of_pupils"]
               and int(s["number_of_pupils"]) > 300]
    body = client.get(rows_url(resource), {
        "education_phase": "Primary", "number_of_pupils__gt": "300", "sort": "-number_of_pupils",
        "fields": "urn,number_of_pupils", "limit": "5"}).json()
    assert body["total"] == len(primary)
    biggest = sorted(primary, key=lambda s: (-int(s["number_of_pupils"]), 0))[:5]
    assert [r["number_of_pupils"] for r in body["rows"]] == \
        [int(s["number_of_pupils"]) for s in biggest]
    assert list(body["rows"][0]) == ["urn", "number_of_pupils"]


def test_rows_in_contains_q_and_cursor(client, schools):
    resource, source = schools
    urns = ",".join(s["urn"] for s in source[:3])
    assert client.get(rows_url(resource), {"urn__in": urns}).json()["total"] == 3
    academy = [s for s in source if "academy" in s["establishment_name"].lower()]
    assert client.get(rows_url(resource), {"establishment_name__contains": "ACADEMY"}
                      ).json()["total"] == len(academy)
    first = client.get(rows_url(resource), {"limit": 40}).json()
    second = client.get(first["next"]).json()
    assert [r["_id"] for r in second["rows"]] == list(range(41, 81))


def test_rows_leave_out_the_hubs_columns_only_when_asked(client, schools):
    """The row API's rows have held ``_id`` and the other columns the hub added since it
    began: they stay by default, and ``internal=false`` leaves them out (its paging too)."""
    resource, source = schools
    every = client.get(rows_url(resource), {"limit": 2}).json()
    added = [c["name"] for c in every["columns"] if c["name"].startswith("_")]
    assert "_id" in added and len(added) > 1 and "_id" in every["rows"][0]
    data = client.get(rows_url(resource), {"limit": 2, "internal": "false"}).json()
    assert [c["name"] for c in data["columns"]] == list(source[0])
    assert all(list(row) == list(source[0]) for row in data["rows"])
    assert [row["urn"] for row in data["rows"]] == [int(s["urn"]) for s in source[:2]]
    following = client.get(data["next"]).json()  # the cursor still pages by _id
    assert [row["urn"] for row in following["rows"]] == [int(s["urn"]) for s in source[2:4]]
    assert not any(k.startswith("_") for row in following["rows"] for k in row)
    named = client.get(rows_url(resource), {"limit": 1, "internal": "0",
                                            "fields": "_id,urn"}).json()
    assert list(named["rows"][0]) == ["_id", "urn"]  # asked for by name
    refused = client.get(rows_url(resource), {"internal": "perhaps"})
    assert refused.status_code == 422 and "internal" in refused.json()["detail"]


def test_rows_errors_are_json(client, schools):
    resource, _ = schools
    response = client.get(rows_url(resource), {"nope__gt": "1"})
    assert response.status_code == 400
    assert response.json() == {"detail": "unknown column 'nope' in filters"}
    assert client.get(rows_url(resource), {"limit": "x"}).status_code == 422


def test_aggregate_per_ward(client, schools):
    resource, source = schools
    body = client.get(f"/api/catalogue/resources/{resource.id}/aggregate",
                      {"geography": "ward", "measure": "sum", "column": "number_of_pupils"}).json()
    assert sum(a["count"] for a in body["areas"]) == len(source)
    total = sum(int(s["number_of_pupils"] or 0) for s in source)
    assert sum(a["value"] or 0 for a in body["areas"]) == total


def test_profile_and_versions(client, schools):
    resource, source = schools
    profile = client.get(f"/api/catalogue/resources/{resource.id}/profile").json()
    phase = next(c for c in profile["columns"] if c["name"] == "education_phase")
    assert phase["count"] == len(source)
    detail = client.get(f"/api/catalogue/resources/{resource.id}").json()
    assert [v["number"] for v in detail["versions"]] == [1]
    assert detail["versions"][0]["links"]["linked"] == len(source)


def test_private_datasets_are_hidden_from_the_api(client, schools, people):
    resource, _ = schools
    Dataset.objects.filter(pk=resource.dataset_id).update(private=True)
    assert client.get(rows_url(resource)).status_code == 404
    assert client.get("/api/catalogue/datasets", {"q": "schools"}).json()["total"] == 0
    client.force_login(people["member"])
    assert client.get(rows_url(resource)).status_code == 200


def test_openapi_document_is_valid(client, loaded):
    validate(client.get("/api/openapi.json").json())
