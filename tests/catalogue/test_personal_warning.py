"""An upload with columns that look personal is ingested, and its report page warns of them.

The scan itself is specified in tests/datastore/test_personal.py; here, that its findings
reach the job's report and page, with the suggestion to restrict those columns.
"""

from __future__ import annotations

from django.urls import reverse

from commonground.catalogue.models import IngestJob, Resource
from commonground.catalogue.services import ingest


def _ingested(dataset, name: str, content: bytes) -> IngestJob:
    resource = Resource.objects.create(dataset=dataset, name=name)
    return ingest.run_job(ingest.stage_upload(resource, [content], filename=name).id)


def test_email_and_postcode_columns_are_warned_of_and_the_upload_still_succeeds(
        make_dataset, people, client):
    dataset = make_dataset("volunteers")
    job = _ingested(dataset, "volunteers.csv", (
        b"volunteer,contact_email,home_postcode,hours\n"
        b"V1,ada@example.org,MK9 3EJ,4\n"
        b"V2,grace.hopper@example.org,MK6 1AB,2\n"
        b"V3,alan@example.co.uk,MK17 8QP,7\n"))
    assert job.status == IngestJob.Status.DONE, job.error
    assert job.version.row_count == 3
    assert [(f["column"], f["kind"], f["matched"], f["sampled"])
            for f in job.report["personal"]] == [("contact_email", "email", 3, 3),
                                                 ("home_postcode", "postcode", 3, 3)]
    assert job.version.report["personal"] == job.report["personal"]
    client.force_login(people["editor"])
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    assert "Columns that may hold personal data" in page
    assert "Consider restricting these columns: contact_email, home_postcode" in page
    assert reverse("catalogue:dataset_edit", args=[dataset.name]) in page
    assert "&#x27;contact_email&#x27;: all 3 sampled values are email addresses" in page


def test_an_upload_with_nothing_personal_gets_no_warning(make_dataset, people, client):
    job = _ingested(make_dataset("counts"), "counts.csv",
                    b"site,postcode_district,count\nStantonbury School,MK14,3\n"
                    b"Bletchley Library,MK2,5\n")
    assert job.status == IngestJob.Status.DONE, job.error
    assert job.report["personal"] == []
    client.force_login(people["editor"])
    page = client.get(reverse("catalogue:job", args=[job.id])).content.decode()
    assert "personal data" not in page and "Consider restricting" not in page
