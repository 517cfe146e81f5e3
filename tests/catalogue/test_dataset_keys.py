"""Dataset keys: an editor's key (read, write or both) is shown once and stored hashed, and
stops working the moment it is revoked; a grantee's key reads within the grant and never
outlives it; a write key uploads a new version through the API exactly as the upload page
does, and every other key is refused with nothing written."""

from __future__ import annotations

import hashlib
import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue import access
from commonground.catalogue.access_models import DatasetKey, Grant
from commonground.catalogue.models import IngestJob, Version
from commonground.catalogue.services import datasetkeys, ingest

pytestmark = pytest.mark.django_db

SCHOOLS = "points/mk_schools_gias_2025-05.csv"


@pytest.fixture
def schools(loaded, make_dataset, ingest_path, data_dir, people):
    """A restricted dataset of the council with one version (v1)."""
    dataset = make_dataset("schools", restricted=True)
    job = ingest_path(dataset, data_dir / SCHOOLS, name="Open schools", user=people["editor"])
    assert job.status == IngestJob.Status.DONE, job.error
    return job.resource


@pytest.fixture
def grant(schools, people):
    return Grant.objects.create(dataset=schools.dataset, user=people["outsider"], scope={},
                                expires=timezone.now() + timedelta(days=30))


def upload_url(resource) -> str:
    return f"/api/catalogue/resources/{resource.id}/versions"


def post_version(client, resource, data_dir, headers=None):
    with open(data_dir / SCHOOLS, "rb") as f:
        return client.post(upload_url(resource), {"file": f}, headers=headers or {})


# --- an editor's keys -------------------------------------------------------------------

def test_an_editors_key_is_shown_once_and_stored_hashed(client, schools, people):
    client.force_login(people["editor"])
    url = reverse("catalogue:keys", args=["schools"])
    made = client.post(url, {"label": "housing system", "scope": "write"})
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    key = DatasetKey.objects.get()
    secret = made.context["made"].secret
    assert secret in made.content.decode()
    assert key.hashed == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {key.prefix, key.hashed, key.label} and key.prefix == secret[:8]
    assert (key.dataset, key.grant, key.scope, key.created_by) == (
        schools.dataset, None, "write", people["editor"])
    again = client.get(url).content.decode()
    assert secret not in again
    assert f"{key.prefix}…" in again and "housing system" in again and "Upload new versions" in again


def test_a_key_with_a_past_expiry_or_an_unknown_scope_is_not_made(client, schools, people):
    client.force_login(people["editor"])
    url = reverse("catalogue:keys", args=["schools"])
    past = client.post(url, {"scope": "read", "expires": "2020-01-01 10:00"})
    assert past.status_code == 400 and "The expiry must be in the future." in past.content.decode()
    wrong = client.post(url, {"scope": "admin"})
    assert wrong.status_code == 400 and "Scope:" in wrong.content.decode()
    assert not DatasetKey.objects.exists()


def test_only_the_owners_editors_manage_keys(client, schools, people, make_dataset, council):
    url = reverse("catalogue:keys", args=["schools"])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "login" in anonymous.url
    client.force_login(people["member"])
    assert client.get(url).status_code == 403
    assert client.post(url, {"scope": "read"}).status_code == 403
    other = Organisation.objects.create(slug="residents", name="Residents' Association")
    Membership.objects.create(user=people["outsider"], organisation=other,
                              role=Membership.Role.EDITOR)
    client.force_login(people["outsider"])
    assert client.get(url).status_code == 403  # a restricted dataset is findable
    make_dataset("hidden", private=True)
    assert client.get(reverse("catalogue:keys", args=["hidden"])).status_code == 404
    assert not DatasetKey.objects.exists()


def test_a_revoked_key_stops_working_at_once(client, schools, people, data_dir):
    made = datasetkeys.make_editor_key(schools.dataset, people["editor"], scope="both")
    assert access.row_access(None, schools.dataset, key=made.key) is not None
    client.force_login(people["editor"])
    response = client.post(reverse("catalogue:key_revoke", args=["schools", made.key.prefix]))
    assert response.status_code == 302
    key = DatasetKey.objects.get()
    assert key.revoked is not None
    assert access.row_access(None, schools.dataset, key=key) is None
    refused = post_version(client, schools, data_dir, {"X-API-Key": made.secret})
    assert refused.status_code == 403 and "was revoked" in refused.json()["detail"]
    page = client.get(reverse("catalogue:keys", args=["schools"])).content.decode()
    assert "Revoked" in page and f"Revoke {key.prefix}" not in page


def test_a_member_who_is_not_an_editor_cannot_revoke(client, schools, people):
    made = datasetkeys.make_editor_key(schools.dataset, people["editor"], scope="read")
    client.force_login(people["member"])
    url = reverse("catalogue:key_revoke", args=["schools", made.key.prefix])
    assert client.post(url).status_code == 403
    assert DatasetKey.objects.get().revoked is None


# --- a grantee's key ---------------------------------------------------------------------

def test_a_grantees_key_reads_only_and_ends_with_the_grant(client, schools, grant, people):
    client.force_login(people["outsider"])
    url = reverse("catalogue:grant_keys", args=["schools", grant.pk])
    made = client.post(url, {"label": "notebook"})
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    key = DatasetKey.objects.get()
    assert made.context["made"].secret in made.content.decode()
    assert (key.scope, key.grant, key.dataset, key.expires) == (
        "read", grant, schools.dataset, grant.expires)
    readable = access.row_access(None, schools.dataset, key=key)
    assert readable is not None and readable.grant == grant and readable.audited
    grant.revoked = timezone.now()
    grant.save()
    key.refresh_from_db()
    assert access.row_access(None, schools.dataset, key=key) is None


def test_a_grantees_key_cannot_outlive_the_grant(client, schools, grant, people):
    client.force_login(people["outsider"])
    url = reverse("catalogue:grant_keys", args=["schools", grant.pk])
    later = (grant.expires + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    refused = client.post(url, {"expires": later})
    assert refused.status_code == 400
    assert "must expire by the grant's end" in html.unescape(refused.content.decode())
    sooner = (grant.expires - timedelta(days=10)).strftime("%Y-%m-%d %H:%M")
    assert client.post(url, {"expires": sooner}).status_code == 201
    key = DatasetKey.objects.get()
    assert key.expires < grant.expires


def test_an_ended_grant_gets_no_new_keys(client, schools, grant, people):
    grant.expires = timezone.now() - timedelta(minutes=1)
    grant.save()
    client.force_login(people["outsider"])
    response = client.post(reverse("catalogue:grant_keys", args=["schools", grant.pk]), {})
    assert response.status_code == 400 and "This grant is not active" in response.content.decode()
    assert not DatasetKey.objects.exists()


def test_only_the_grantee_sees_their_grants_key_page(client, schools, grant, people):
    url = reverse("catalogue:grant_keys", args=["schools", grant.pk])
    for someone in ("editor", "member"):
        client.force_login(people[someone])
        assert client.get(url).status_code == 404
        assert client.post(url, {}).status_code == 404
    assert not DatasetKey.objects.exists()


def test_a_grantee_revokes_their_key(client, schools, grant, people):
    made = datasetkeys.make_grant_key(grant, people["outsider"])
    client.force_login(people["outsider"])
    client.post(reverse("catalogue:grant_key_revoke", args=["schools", grant.pk, made.key.prefix]))
    key = DatasetKey.objects.get()
    assert key.revoked is not None and access.row_access(None, schools.dataset, key=key) is None


# --- the write-key upload API -------------------------------------------------------------

@pytest.mark.parametrize("scope,header", [("write", "Authorization"), ("both", "X-API-Key")])
def test_a_write_key_uploads_a_new_version(client, schools, people, data_dir, scope, header):
    made = datasetkeys.make_editor_key(schools.dataset, people["editor"], scope=scope)
    value = f"Bearer {made.secret}" if header == "Authorization" else made.secret
    response = post_version(client, schools, data_dir, {header: value})
    assert response.status_code == 202, response.content
    body = response.json()
    job = IngestJob.objects.get(pk=body["id"])
    assert body["status_url"] == f"/api/catalogue/jobs/{job.id}"
    assert body["page"] == reverse("catalogue:job", args=[job.id])
    if job.status != IngestJob.Status.DONE:  # a large file would go to the worker
        job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.DONE, job.error
    schools.refresh_from_db()
    assert schools.current_version.number == 2 and job.created_by == people["editor"]
    assert DatasetKey.objects.get().last_used is not None


def _bad_keys(schools, grant, people, make_dataset):
    editor = people["editor"]
    other = make_dataset("libraries")
    expired = datasetkeys.make_editor_key(schools.dataset, editor, scope="write")
    DatasetKey.objects.filter(pk=expired.key.pk).update(expires=timezone.now() - timedelta(1))
    revoked = datasetkeys.make_editor_key(schools.dataset, editor, scope="write")
    datasetkeys.revoke(revoked.key, editor)
    return {
        "read": datasetkeys.make_editor_key(schools.dataset, editor, scope="read").secret,
        "expired": expired.secret,
        "revoked": revoked.secret,
        "other dataset": datasetkeys.make_editor_key(other, editor, scope="write").secret,
        "grantee": datasetkeys.make_grant_key(grant, people["outsider"]).secret,
    }


@pytest.mark.parametrize("which,status,says", [
    (None, 401, "Send the dataset's write key"),
    ("unknown", 401, "Unknown key"),
    ("read", 403, "is a read key; uploading needs a write key"),
    ("expired", 403, "expired on"),
    ("revoked", 403, "was revoked on"),
    ("other dataset", 403, "is a key of dataset 'libraries', not of this resource's dataset"),
    ("grantee", 403, "is a read key; uploading needs a write key"),
])
def test_every_other_key_is_refused_and_nothing_is_written(
        client, schools, grant, people, make_dataset, data_dir, settings, which, status, says):
    secrets = _bad_keys(schools, grant, people, make_dataset)
    secrets["unknown"] = "x" * 43
    uploads = ingest.datastore() / "uploads"
    staged = set(uploads.iterdir()) if uploads.exists() else set()
    jobs, versions = IngestJob.objects.count(), Version.objects.count()
    headers = {"X-API-Key": secrets[which]} if which else {}
    response = post_version(client, schools, data_dir, headers)
    assert response.status_code == status and says in response.json()["detail"]
    assert (IngestJob.objects.count(), Version.objects.count()) == (jobs, versions)
    assert (set(uploads.iterdir()) if uploads.exists() else set()) == staged
    schools.refresh_from_db()
    assert schools.current_version.number == 1


@pytest.mark.parametrize("leaves", ["no longer an editor", "left the organisation",
                                    "account deactivated", "account deleted"])
def test_a_write_key_stops_uploading_when_its_maker_may_no_longer_edit(
        client, schools, people, data_dir, leaves):
    editor = people["editor"]
    made = datasetkeys.make_editor_key(schools.dataset, editor, scope="write")
    membership = Membership.objects.get(user=editor, organisation=schools.dataset.organisation)
    if leaves == "no longer an editor":
        membership.role = Membership.Role.MEMBER
        membership.save()
    elif leaves == "left the organisation":
        membership.delete()
    elif leaves == "account deactivated":
        editor.is_active = False
        editor.save()
    else:
        editor.delete()
    jobs, versions = IngestJob.objects.count(), Version.objects.count()
    response = post_version(client, schools, data_dir, {"X-API-Key": made.secret})
    assert response.status_code == 403
    assert "no longer an editor of the organisation" in response.json()["detail"]
    assert (IngestJob.objects.count(), Version.objects.count()) == (jobs, versions)
    schools.refresh_from_db()
    assert schools.current_version.number == 1


def test_an_unknown_resource_is_404_and_an_upload_over_the_limit_413(
        client, schools, people, data_dir, settings):
    made = datasetkeys.make_editor_key(schools.dataset, people["editor"], scope="write")
    headers = {"X-API-Key": made.secret}
    missing = client.post("/api/catalogue/resources/00000000-0000-0000-0000-000000000000"
                          "/versions", {}, headers=headers)
    assert missing.status_code == 404
    settings.COMMONGROUND_MAX_UPLOAD_BYTES = 10_000
    big = post_version(client, schools, data_dir, headers)
    assert big.status_code == 413 and "larger than the limit" in big.json()["detail"]
    no_file = client.post(upload_url(schools), {"sheet": "Data"}, headers=headers)
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    assert IngestJob.objects.count() == 1  # v1's
