"""Large files go to the background worker (django-tasks database backend), with progress."""

from __future__ import annotations

import pytest

from commonground.catalogue.models import IngestJob, Resource
from commonground.catalogue.services import ingest

pytestmark = pytest.mark.django_db


def test_a_queued_job_is_run_by_the_worker_and_reports_progress(
        loaded, make_dataset, people, client, data_dir, django_capture_on_commit_callbacks,
        run_worker):
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
    run_worker()
    job.refresh_from_db()
    assert job.status == IngestJob.Status.DONE, job.error
    assert job.progress == 1.0 and job.version.number == 1
    assert client.get(f"/ingest/{job.id}/status").json()["version"] == 1
    assert client.get(f"/ingest/{job.id}/status").status_code == 200
    client.force_login(people["outsider"])
    assert client.get(f"/ingest/{job.id}/status").status_code == 403


@pytest.fixture
def file_server(tmp_path):
    """A static file server on 127.0.0.1 serving ``tmp_path`` (stopped after the test)."""
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tmp_path
    server.shutdown()
    server.server_close()


def test_a_resource_given_by_url_is_fetched_and_ingested_by_the_worker(
        loaded, make_dataset, people, client, settings, file_server, data_dir,
        django_capture_on_commit_callbacks, run_worker):
    from django.urls import reverse

    settings.COMMONGROUND_FETCH_ALLOW_PRIVATE = True  # the test's server is on loopback
    base, folder = file_server
    (folder / "libraries.geojson").write_bytes(
        (data_dir / "points" / "mk_public_libraries_dcms_2023.geojson").read_bytes())
    dataset = make_dataset("libraries")
    client.force_login(people["editor"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                               {"name": "Libraries", "url": f"{base}/libraries.geojson"})
    job = IngestJob.objects.get()
    assert response.url == reverse("catalogue:job", args=[job.id])
    assert job.status == IngestJob.Status.QUEUED and job.source_url.endswith("libraries.geojson")
    run_worker()
    job.refresh_from_db()
    assert job.status == IngestJob.Status.DONE, job.error
    assert job.version.format == "geojson" and job.version.row_count == 9
    assert job.version.original_name == "libraries.geojson"
