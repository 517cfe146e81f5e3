"""Large files go to the background worker (django-tasks database backend), with progress."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from commonground.catalogue.models import IngestJob, Resource
from commonground.catalogue.services import ingest

pytestmark = pytest.mark.django_db


def test_a_queued_job_is_run_by_the_worker_and_reports_progress(
        loaded, make_dataset, people, client, data_dir, django_capture_on_commit_callbacks):
    dataset = make_dataset("schools")
    resource = Resource.objects.create(dataset=dataset, name="Schools")
    path = data_dir / "points" / "mk_schools_gias_2025-05.csv"
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, [f.read()], filename=path.name)
    with django_capture_on_commit_callbacks(execute=True):  # enqueued once the job is saved
        job = ingest.start(job, background=True)
    assert job.status == IngestJob.Status.QUEUED
    client.force_login(people["editor"])
    status = client.get(f"/ingest/{job.id}/status").json()
    assert status["status"] == "queued" and status["version"] is None
    page = client.get(f"/ingest/{job.id}/").content.decode()
    assert "<progress" in page and 'http-equiv="refresh"' in page
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    job.refresh_from_db()
    assert job.status == IngestJob.Status.DONE, job.error
    assert job.progress == 1.0 and job.version.number == 1
    assert client.get(f"/ingest/{job.id}/status").json()["version"] == 1
    assert client.get(f"/ingest/{job.id}/status").status_code == 200
    client.force_login(people["outsider"])
    assert client.get(f"/ingest/{job.id}/status").status_code == 403
