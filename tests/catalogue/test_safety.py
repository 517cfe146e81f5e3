"""Failures part-way, stale jobs, re-runs, odd requests and records about people."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from commonground.catalogue.models import IngestJob, Resource, Version
from commonground.catalogue.services import ingest

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools_csv(data_dir):
    return data_dir / "points" / "mk_schools_gias_2025-05.csv"


def test_a_failure_while_recording_the_version_leaves_no_files_and_no_rows(
        loaded, make_dataset, ingest_path, schools_csv, monkeypatch, datastore_in_tmp, caplog):
    def broken(dataset):
        raise RuntimeError("disk full at /srv/datastore")

    monkeypatch.setattr(ingest, "refresh_search_text", broken)
    job = ingest_path(make_dataset("schools"), schools_csv)
    # The editor is told plainly; the detail (with its server path) goes to the operators' log.
    assert job.status == IngestJob.Status.FAILED and "Nothing was changed" in job.error
    assert "/srv" not in job.error and "disk full at /srv/datastore" in caplog.text
    assert not Version.objects.exists()
    assert Resource.objects.get().current_version is None
    assert not list(datastore_in_tmp.glob(f"*/*/job-{job.id}"))


def test_a_job_whose_worker_died_is_marked_failed(loaded, make_dataset, client, people):
    resource = Resource.objects.create(dataset=make_dataset("d"), name="r")
    job = IngestJob.objects.create(resource=resource, filename="x.csv", upload="x",
                                   status=IngestJob.Status.RUNNING,
                                   updated=timezone.now() - dt.timedelta(hours=1))
    client.force_login(people["editor"])
    status = client.get(f"/ingest/{job.id}/status").json()
    assert status["status"] == "failed" and "worker stopped" in status["error"]


def test_checking_a_finished_job_again_uses_the_kept_original(loaded, make_dataset, ingest_path,
                                                              schools_csv):
    job = ingest_path(make_dataset("schools"), schools_csv)
    assert not job.upload_path.exists()  # tidied away once the version was made
    again = ingest.run_job(ingest.rerun(job, overrides={"urn": "string"}).id)
    assert again.status == IngestJob.Status.DONE and again.version.number == 2
    assert {c["name"]: c["type"] for c in again.version.schema}["urn"] == "string"


def test_odd_requests_get_404_or_400_not_500(loaded, make_dataset, ingest_path, schools_csv,
                                            client):
    job = ingest_path(make_dataset("schools"), schools_csv)
    page = job.resource.get_absolute_url()
    assert client.get(page, {"version": "abc"}).status_code == 404
    assert client.get(page, {"page": "999"}).status_code == 200
    rows = f"/api/catalogue/resources/{job.resource_id}/rows"
    forged = "W1sic3RyIiwgImFiYyJdLCBbImludCIsIDFdXQ"  # [["str","abc"],["int",1]]
    response = client.get(rows, {"sort": "urn", "cursor": forged})
    assert response.status_code == 400 and "not a valid integer" in response.json()["detail"]
    ingest_path(job.resource.dataset, schools_csv, resource=job.resource)
    changes = f"/api/catalogue/resources/{job.resource_id}/changes"
    assert client.get(changes, {"key": "la_name"}).status_code == 400  # not unique


def test_large_integers_filter_exactly(loaded, make_dataset, ingest_path, tmp_path, client):
    path = tmp_path / "big.csv"
    path.write_text("id,label\n9007199254740993,a\n9007199254740992,b\n")
    job = ingest_path(make_dataset("big"), path)
    body = client.get(f"/api/catalogue/resources/{job.resource_id}/rows",
                      {"id": "9007199254740993"}).json()
    assert [r["label"] for r in body["rows"]] == ["a"]


def test_records_about_people_never_show_small_counts(loaded, make_dataset, ingest_path,
                                                      schools_csv, client):
    dataset = make_dataset("clients", about_people=True, title="Food bank clients")
    job = ingest_path(dataset, schools_csv)
    body = client.get(f"/api/catalogue/resources/{job.resource_id}/aggregate",
                      {"geography": "ward"}).json()
    assert body["suppression"] == {"threshold": 10, "being_checked": False}  # a city: decided
    assert all(a["count"] is None or a["count"] >= 10 for a in body["areas"])
    assert any(a.get("suppressed") for a in body["areas"])
    small = next(v for v in job.version.areas.filter(geography="ward") if v.rows < 10)
    page = client.get(f"/places/ward/{small.code}/").content.decode()
    assert "Food bank clients" not in page  # listed only where its count is shown
    resource_page = client.get(job.resource.get_absolute_url()).content.decode()
    assert "count hidden" in resource_page and 'id="rowmap-points"' not in resource_page


def test_counts_about_people_cannot_be_worked_out_from_other_counts(loaded, make_dataset,
                                                                    ingest_path, schools_csv,
                                                                    client):
    dataset = make_dataset("pupils", about_people=True, title="Pupils seen")
    job = ingest_path(dataset, schools_csv)
    api = f"/api/catalogue/resources/{job.resource_id}/aggregate"
    shown = {}
    for geography in ("lsoa21", "msoa21", "ward"):
        for area in client.get(api, {"geography": geography}).json()["areas"]:
            shown[(geography, area["code"])] = area["count"]
    state = loaded
    for geography in ("msoa21", "ward"):
        W = state.members(geography)
        parent = W.argmax(axis=0)
        for i, area in enumerate(state.by_geography[geography]):
            total = shown.get((geography, area.code))
            children = [state.base_areas[j].code for j in (parent == i).nonzero()[0]]
            # the rows in the parent's base areas, as the public sees them
            parts = [shown.get(("lsoa21", c), 0) for c in children]
            hidden = [c for c, p in zip(children, parts, strict=True) if p is None]
            if total is not None:
                assert len(hidden) != 1, f"{area.code} shows {total}: {hidden[0]} follows"
    for count in shown.values():
        assert count is None or count >= 10  # none is hidden like a few


def test_records_about_people_are_for_members_only(loaded, make_dataset, ingest_path,
                                                   schools_csv, client, people):
    dataset = make_dataset("clients", about_people=True, title="Food bank clients")
    job = ingest_path(dataset, schools_csv)
    rid = job.resource_id
    page = client.get(job.resource.get_absolute_url()).content.decode()
    assert "only members of its organisation see its rows" in page and 'id="preview"' not in page
    assert client.get(f"/api/catalogue/resources/{rid}/rows").status_code == 403
    assert client.get(f"/api/catalogue/resources/{rid}/profile").status_code == 403
    download = f"/datasets/clients/resources/{rid}/v1/download.csv"
    assert client.get(download).status_code == 403
    body = client.get("/api/3/action/datastore_search", {"resource_id": str(rid)}).json()
    assert body["success"] is False and body["error"]["__type"] == "Authorization Error"
    filtered = client.get(f"/api/catalogue/resources/{rid}/aggregate",
                          {"geography": "ward", "education_phase": "Primary"})
    assert filtered.status_code == 403
    assert client.get("/datasets/clients/lens/").status_code == 200  # summaries stay public
    client.force_login(people["member"])
    assert client.get(f"/api/catalogue/resources/{rid}/rows").status_code == 200
    assert client.get(download).status_code == 200
    member_page = client.get(job.resource.get_absolute_url()).content.decode()
    assert 'id="preview"' in member_page
