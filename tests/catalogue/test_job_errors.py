"""An ingest job's error, on its page and in the API, names the user's file, never the server's.

The unexpected (a file gone from the upload folder) is logged in full for the operators and
told to the user in one plain sentence. Coordinates that contradict their columns' names are
a warning in the report.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse

from commonground.catalogue.models import IngestJob, Resource
from commonground.catalogue.services import ingest


def _staged(dataset, name: str, content: bytes) -> IngestJob:
    resource = Resource.objects.create(dataset=dataset, name=name)
    return ingest.stage_upload(resource, [content], filename=name)


def _shown(client, job: IngestJob) -> tuple[str, str]:
    """The job's error on its page and in the JSON API, as its publisher sees them."""
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    api = client.get(f"/api/catalogue/jobs/{job.id}").json()["error"]
    return page, api


def test_an_upload_gone_from_the_server_fails_plainly_and_is_logged(
        make_dataset, people, client, caplog):
    job = _staged(make_dataset("vanished"), "counts.csv", b"a,b\n1,2\n")
    job.upload_path.unlink()
    with caplog.at_level(logging.ERROR):
        job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.FAILED
    assert job.error == ("An unexpected error stopped the ingest; it has been logged for the "
                         "site's operators. Nothing was changed.")
    assert str(job.upload_path) in caplog.text  # the detail, for the operators
    client.force_login(people["editor"])
    page, api = _shown(client, job)
    assert api == job.error and job.error.split(";")[0] in page
    assert str(settings.COMMONGROUND_DATASTORE) not in page


def test_an_unreadable_file_is_named_as_uploaded(make_dataset, people, client):
    job = ingest.run_job(_staged(make_dataset("broken-parquet"), "counts.parquet",
                                 b"PAR1 not really").id)
    assert job.status == IngestJob.Status.FAILED
    assert job.error == ("counts.parquet: the file is not a readable Parquet file (No magic "
                         "bytes found at end of file 'counts.parquet')")
    client.force_login(people["editor"])
    page, api = _shown(client, job)
    assert api == job.error
    assert str(settings.COMMONGROUND_DATASTORE) not in page + api


def test_coordinates_that_contradict_their_columns_are_warned_of_in_the_report(
        loaded, make_dataset, people, client):
    # Two Milton Keynes schools' grid references, under latitude/longitude headings.
    job = ingest.run_job(_staged(make_dataset("swapped"), "schools.csv", (
        b"name,latitude,longitude\nKnowles Nursery,233771,487620\n"
        b"Castlethorpe First,244421,479924\n")).id)
    assert job.status == IngestJob.Status.DONE, job.error
    warning, = job.report["links"]["warnings"]
    assert warning.startswith("Columns 'latitude' and 'longitude' are named as "
                              "latitude/longitude (WGS84), but all 2 rows have values outside")
    client.force_login(people["editor"])
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    assert "British National Grid metres (EPSG:27700): name the columns northing and " \
           "easting" in page
