"""Publishing through CKAN's write actions, in process (Django's test client): what an editor
can do with their API token, and what nobody else can (no token, a member who is not an
editor, another organisation's editor, a revoked token, a session without its CSRF token).
Every refusal is CKAN's error envelope and changes nothing.

The file published is a real CSV of the city's data package (found through
``datapackage.json``); the live test with the real ``ckanapi`` client is in
``test_ckan_write_live.py``.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from django.test import Client

from commonground.accounts import tokens
from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import Dataset, Resource, Theme, Version

pytestmark = pytest.mark.django_db

CSV_RESOURCE = "census21-sexual-orientation"


def package_file(data_dir: Path, name: str) -> Path:
    package = json.loads((data_dir / "datapackage.json").read_text())
    entry = next(r for r in package["resources"] if r["name"] == name)
    return data_dir / entry["path"]


@pytest.fixture
def csv_path(data_dir) -> Path:
    return package_file(data_dir, CSV_RESOURCE)


@pytest.fixture
def hub(people, council, django_user_model):
    """Tokens of the council's editor and member, of an editor of another organisation and
    of the outsider; a theme."""
    other = Organisation.objects.create(slug="bedford", name="Bedford Borough Council",
                                        kind=Organisation.Kind.COUNCIL)
    rival = django_user_model.objects.create_user("rival", password="pw-rival-1")
    Membership.objects.create(user=rival, organisation=other, role=Membership.Role.EDITOR)
    Theme.objects.create(name="population", title="Population")
    return {"editor": tokens.make(people["editor"]).secret,
            "member": tokens.make(people["member"]).secret,
            "rival": tokens.make(rival).secret,
            "outsider": tokens.make(people["outsider"]).secret,
            "people": people, "council": council}


def call(action: str, data: dict | None = None, token: str | None = None, *,
         client: Client | None = None, files: dict | None = None):
    """POST as ckanapi does: JSON, or multipart when a file is sent → (status, body)."""
    client = client or Client()
    headers = {"Authorization": token} if token else {}
    if files:
        response = client.post(f"/api/3/action/{action}", {**(data or {}), **files},
                               headers=headers)
    else:
        response = client.post(f"/api/3/action/{action}", json.dumps(data or {}),
                               content_type="application/json", headers=headers)
    return response.status_code, json.loads(response.content)


def ok(answer):
    status, body = answer
    assert status == 200 and body["success"] is True, body
    return body["result"]


def refused(answer, status: int, kind: str) -> dict:
    got, body = answer
    assert got == status and body["success"] is False, body
    assert body["error"]["__type"] == kind
    return body["error"]


PACKAGE = {"name": "sexual-orientation-2021", "title": "Sexual orientation, Census 2021",
           "owner_org": "mk-council", "notes": "Usual residents aged 16 and over, by MSOA.",
           "license_id": "OGL-UK-3.0", "tags": [{"name": "census"}, {"name": "population"}],
           "groups": [{"name": "population"}], "maintainer": "Census team",
           "maintainer_email": "census@example.org",
           "url": "https://www.ons.gov.uk/census",
           "extras": [{"key": "frequency", "value": "never"}]}


def test_an_editor_creates_a_dataset_with_their_token(hub):
    made = ok(call("package_create", PACKAGE, hub["editor"]))
    dataset = Dataset.objects.get(name="sexual-orientation-2021")
    assert made["id"] == str(dataset.id) and made["state"] == "active"
    assert dataset.is_public and dataset.created_by == hub["people"]["editor"]
    assert (dataset.title, dataset.notes, dataset.licence) == (
        PACKAGE["title"], PACKAGE["notes"], "OGL-UK-3.0")
    assert sorted(t.name for t in dataset.tags.all()) == ["census", "population"]
    assert [t.name for t in dataset.themes.all()] == ["population"]
    assert (dataset.contact_name, dataset.contact_email, dataset.source, dataset.frequency) == (
        "Census team", "census@example.org", "https://www.ons.gov.uk/census", "never")
    shown = ok(call("package_show", {"id": dataset.name}))
    assert {k: shown[k] for k in ("title", "notes", "license_id", "maintainer", "url")} == {
        "title": PACKAGE["title"], "notes": PACKAGE["notes"], "license_id": "OGL-UK-3.0",
        "maintainer": "Census team", "url": "https://www.ons.gov.uk/census"}
    assert made == shown


def test_bad_packages_are_validation_errors_naming_each_field_and_make_nothing(hub):
    no_name = {k: v for k, v in PACKAGE.items() if k != "name"}
    assert refused(call("package_create", no_name, hub["editor"]), 409,
                   "Validation Error") == {"__type": "Validation Error",
                                           "name": ["Missing value"]}
    assert "name" in refused(call("package_create", {**PACKAGE, "name": "Has Spaces"},
                                  hub["editor"]), 409, "Validation Error")
    assert refused(call("package_create", {**PACKAGE, "owner_org": "nowhere"}, hub["editor"]),
                   409, "Validation Error")["owner_org"] == ["Organization does not exist"]
    assert "license_id" in refused(call("package_create", {**PACKAGE, "license_id": "mine"},
                                        hub["editor"]), 409, "Validation Error")
    assert "maintainer_email" in refused(call(
        "package_create", {**PACKAGE, "maintainer_email": "not an address"}, hub["editor"]),
        409, "Validation Error")
    assert refused(call("package_create", {**PACKAGE, "groups": [{"name": "nope"}]},
                        hub["editor"]), 409, "Validation Error")["groups"] == [
        "Group not found: nope"]
    assert not Dataset.objects.exists()
    ok(call("package_create", PACKAGE, hub["editor"]))
    assert refused(call("package_create", PACKAGE, hub["editor"]), 409,
                   "Validation Error")["name"] == ["That URL is already in use."]


@pytest.mark.parametrize("who", [None, "member", "rival", "outsider", "revoked"])
def test_only_the_organisations_editors_create_datasets(hub, who):
    token = hub.get(who)
    if who == "revoked":
        made = tokens.make(hub["people"]["editor"])
        tokens.revoke(hub["people"]["editor"], made.token.prefix)
        token = made.secret
    error = refused(call("package_create", PACKAGE, token), 403, "Authorization Error")
    assert error["message"].startswith("Access denied: ")
    assert not Dataset.objects.exists()


def test_an_update_changes_what_is_given_and_keeps_the_hubs_own_settings(hub, make_dataset):
    dataset = make_dataset("food-bank-clients", about_people=True, row_singular="client",
                           notes="Before", licence="CC-BY-4.0")
    ok(call("package_patch", {"id": dataset.name, "title": "Food bank clients 2025"},
            hub["editor"]))
    dataset.refresh_from_db()
    assert (dataset.title, dataset.notes, dataset.licence) == (
        "Food bank clients 2025", "Before", "CC-BY-4.0")
    shown = ok(call("package_show", {"id": dataset.name}, hub["editor"]))
    shown["notes"] = "After"
    ok(call("package_update", shown, hub["editor"]))
    dataset.refresh_from_db()
    assert dataset.notes == "After" and dataset.about_people and dataset.row_singular == "client"


def test_nobody_else_changes_or_deletes_a_dataset(hub, make_dataset):
    about_people = make_dataset("food-bank-clients", about_people=True, notes="Kept")
    private = make_dataset("staff-rota", private=True, notes="Kept")
    for token in (None, hub["member"], hub["rival"], hub["outsider"]):
        for action in ("package_update", "package_patch"):
            refused(call(action, {"id": about_people.name, "notes": "x"}, token), 403,
                    "Authorization Error")
            # who may not see the private dataset is told it is not there
            want = (403, "Authorization Error") if token in (None, hub["member"]) else (
                404, "Not Found Error")
            refused(call(action, {"id": private.name, "notes": "x"}, token), *want)
        refused(call("package_delete", {"id": about_people.name}, token), 403,
                "Authorization Error")
    assert set(Dataset.objects.values_list("notes", flat=True)) == {"Kept"}
    assert Dataset.objects.count() == 2


def test_a_dataset_cannot_be_renamed_or_get_a_bad_state(hub, make_dataset):
    dataset = make_dataset("car-parks")
    assert refused(call("package_patch", {"id": dataset.name, "name": "parking"},
                        hub["editor"]), 409, "Validation Error")["name"]
    assert refused(call("package_patch", {"id": dataset.name, "state": "deleted"},
                        hub["editor"]), 409, "Validation Error")["state"]
    ok(call("package_patch", {"id": dataset.name, "state": "draft"}, hub["editor"]))
    assert Dataset.objects.get(pk=dataset.pk).state == Dataset.State.DRAFT


def test_an_editor_deletes_a_dataset_its_versions_and_their_files(
        hub, make_dataset, csv_path, ingest_path, django_capture_on_commit_callbacks):
    dataset = make_dataset("car-parks")
    folder = ingest_path(dataset, csv_path).version.parquet_path.parent
    assert folder.is_dir()
    with django_capture_on_commit_callbacks(execute=True):
        assert ok(call("package_delete", {"id": dataset.name}, hub["editor"])) is None
    assert not Dataset.objects.filter(pk=dataset.pk).exists() and not Version.objects.exists()
    assert not folder.exists()
    refused(call("package_show", {"id": "car-parks"}), 404, "Not Found Error")


def test_a_resources_list_replaces_the_datasets_resources(
        hub, make_dataset, csv_path, ingest_path, django_capture_on_commit_callbacks):
    dataset = make_dataset("census")
    first = ingest_path(dataset, csv_path, name="first")
    second = ingest_path(dataset, csv_path, name="second")
    shown = ok(call("package_show", {"id": dataset.name}, hub["editor"]))
    kept = next(r for r in shown["resources"] if r["id"] == str(second.resource_id))
    with django_capture_on_commit_callbacks(execute=True):
        updated = ok(call("package_update", {**shown, "resources": [
            {**kept, "name": "the one kept"}]}, hub["editor"]))
    assert [(r["id"], r["name"]) for r in updated["resources"]] == [
        (str(second.resource_id), "the one kept")]
    assert not first.version.parquet_path.exists() and second.version.parquet_path.exists()


def test_a_file_uploaded_as_ckanapi_sends_it_becomes_a_version(
        hub, make_dataset, csv_path, django_capture_on_commit_callbacks):
    dataset = make_dataset("sexual-orientation")
    with open(csv_path, "rb") as f:
        made = ok(call("resource_create", {"package_id": dataset.name, "name": "MSOA counts"},
                       hub["editor"], files={"upload": f}))
    resource = Resource.objects.select_related("current_version").get(pk=made["id"])
    version = resource.current_version
    with open(csv_path, newline="", encoding="utf-8-sig") as f:
        rows = sum(1 for _ in csv.DictReader(f))
    assert version.number == 1 and version.row_count == rows
    assert made["ingest"]["status"] == "done" and made["datastore_active"] is True
    assert made["size"] == csv_path.stat().st_size
    assert made["hash"] == hashlib.sha256(csv_path.read_bytes()).hexdigest()
    assert made["format"] == "CSV" and made["name"] == "MSOA counts"
    # A second file is the next version; the first is kept, unchanged.
    with open(csv_path, "rb") as f:
        again = ok(call("resource_update", {"id": made["id"], "description": "Refreshed"},
                        hub["editor"], files={"upload": f}))
    assert again["description"] == "Refreshed" and again["name"] == "MSOA counts"
    assert list(resource.versions.values_list("number", flat=True).order_by("number")) == [1, 2]
    ok(call("resource_patch", {"id": made["id"], "name": "Counts by MSOA"}, hub["editor"]))
    assert Resource.objects.get(pk=made["id"]).name == "Counts by MSOA"
    folder = version.parquet_path.parent.parent
    with django_capture_on_commit_callbacks(execute=True):
        assert ok(call("resource_delete", {"id": made["id"]}, hub["editor"])) is None
    assert not Resource.objects.filter(pk=made["id"]).exists() and not folder.exists()


def test_a_bad_file_or_address_is_refused_and_changes_nothing(hub, make_dataset, tmp_path):
    dataset = make_dataset("sexual-orientation")
    bad = tmp_path / "counts.csv"
    bad.write_bytes(b"\x00\x01\x02 not a table \xff\xfe")
    with open(bad, "rb") as f:
        error = refused(call("resource_create", {"package_id": dataset.name}, hub["editor"],
                             files={"upload": f}), 409, "Validation Error")
    assert "Nothing was changed" in error["upload"][0]
    assert error["upload"][0] != "the file was not ingested. Nothing was changed."
    error = refused(call("resource_create", {"package_id": dataset.name,
                                             "url": "http://127.0.0.1:8000/data.csv"},
                         hub["editor"]), 409, "Validation Error")
    assert error["url"]
    assert refused(call("resource_create", {"package_id": dataset.name}, hub["editor"]),
                   409, "Validation Error")["url"][0].startswith("Missing value")
    assert not Resource.objects.exists()


def test_nobody_else_adds_or_changes_resources(hub, make_dataset, csv_path, ingest_path):
    about_people = make_dataset("food-bank-clients", about_people=True)
    private = make_dataset("staff-rota", private=True)
    job = ingest_path(about_people, csv_path)
    rid = str(job.resource_id)
    for token in (None, hub["member"], hub["rival"], hub["outsider"]):
        with open(csv_path, "rb") as f:
            refused(call("resource_create", {"package_id": about_people.name}, token,
                         files={"upload": f}), 403, "Authorization Error")
        want = (403, "Authorization Error") if token in (None, hub["member"]) else (
            404, "Not Found Error")
        refused(call("resource_create", {"package_id": private.name,
                                         "url": "https://example.org/a.csv"}, token), *want)
        for action in ("resource_update", "resource_patch", "resource_delete"):
            refused(call(action, {"id": rid, "name": "x"}, token), 403, "Authorization Error")
    assert Resource.objects.count() == 1 and Version.objects.count() == 1
    assert Resource.objects.get().name == csv_path.name


def test_a_session_write_needs_the_csrf_token_and_a_token_write_does_not(hub, make_dataset):
    dataset = make_dataset("car-parks", notes="Kept")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(hub["people"]["editor"])
    error = refused(call("package_patch", {"id": dataset.name, "notes": "forged"},
                         client=browser), 403, "Authorization Error")
    assert "CSRF" in error["message"]
    assert Dataset.objects.get(pk=dataset.pk).notes == "Kept"
    browser.get("/accounts/tokens/")  # any page with a form sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    answer = browser.post("/api/3/action/package_patch",
                          json.dumps({"id": dataset.name, "notes": "from the page"}),
                          content_type="application/json", headers={"X-CSRFToken": csrf})
    assert answer.status_code == 200, answer.content
    ok(call("package_patch", {"id": dataset.name, "notes": "by token"}, hub["editor"],
            client=Client(enforce_csrf_checks=True)))
    assert Dataset.objects.get(pk=dataset.pk).notes == "by token"
    # reading needs no CSRF token
    ok(call("package_show", {"id": dataset.name}, client=browser))


def test_writes_are_post_only(hub, make_dataset):
    dataset = make_dataset("car-parks")
    response = Client().get("/api/3/action/package_delete", {"id": dataset.name},
                            headers={"Authorization": hub["editor"]})
    assert response.status_code == 400
    assert json.loads(response.content) == ("Bad request - JSON Error: Invalid request. "
                                            "Please use POST method for your request")
    assert Dataset.objects.filter(pk=dataset.pk).exists()


def test_leaving_the_organisation_takes_a_tokens_rights_with_it(hub, make_dataset):
    dataset = make_dataset("car-parks", notes="Kept")
    Membership.objects.filter(user=hub["people"]["editor"]).delete()
    refused(call("package_patch", {"id": dataset.name, "notes": "x"}, hub["editor"]), 403,
            "Authorization Error")
    refused(call("package_create", PACKAGE, hub["editor"]), 403, "Authorization Error")
    assert Dataset.objects.get().notes == "Kept"


def test_organizations_and_their_members(hub, django_user_model):
    resident = django_user_model.objects.create_user("resident", password="pw-res-1")
    token = tokens.make(resident).secret
    group = ok(call("organization_create", {"name": "fishermead-residents",
                                            "title": "Fishermead Residents"}, token))
    organisation = Organisation.objects.get(slug="fishermead-residents")
    assert group["name"] == organisation.slug and organisation.kind == "community_group"
    assert Membership.objects.get(organisation=organisation).role == "admin"
    refused(call("organization_create", {"name": "x", "title": "x"}), 403,
            "Authorization Error")
    # A resident cannot pass a group off as a council, nor pick a name unlike its title.
    assert refused(call("organization_create", {"name": "mk-council-2", "title": "Tenants"},
                        token), 409, "Validation Error")["name"]
    editor = hub["people"]["outsider"]
    # Nobody is put in a group without asking, and whether a name exists is not told: an
    # admin's add of a non-member is refused alike for a real person and for no one.
    for name in (editor.username, "nobody-by-this-name"):
        assert "join a group by asking" in refused(call("organization_member_create", {
            "id": organisation.slug, "username": name, "role": "editor"}, token), 403,
            "Authorization Error")["message"]
    assert Membership.objects.filter(organisation=organisation).count() == 1
    from commonground.community import groups

    groups.decide(resident, groups.ask_to_join(editor, organisation), accept=True)
    ok(call("organization_member_create", {"id": organisation.slug, "username":
                                           editor.username, "role": "editor"}, token))
    assert Membership.objects.get(organisation=organisation, user=editor).role == "editor"
    assert ok(call("package_create", {**PACKAGE, "owner_org": organisation.slug},
                   hub["outsider"]))["organization"]["name"] == organisation.slug
    refused(call("organization_member_create", {"id": organisation.slug, "username":
                                                "rival", "role": "admin"}, hub["outsider"]),
            403, "Authorization Error")
    assert refused(call("organization_member_create", {
        "id": organisation.slug, "username": "rival", "role": "owner"}, token), 409,
        "Validation Error")["role"]
    assert not Membership.objects.filter(organisation=organisation,
                                         user__username="rival").exists()


def test_staff_create_any_kind_of_organisation(hub, django_user_model):
    staff = django_user_model.objects.create_user("admin", password="pw-adm-1", is_staff=True)
    ok(call("organization_create", {"name": "nhs-bedfordshire", "title": "NHS BLMK",
                                    "extras": [{"key": "kind", "value": "national_body"}]},
            tokens.make(staff).secret))
    assert Organisation.objects.get(slug="nhs-bedfordshire").kind == "national_body"


def test_licences_and_autocomplete(hub, make_dataset):
    ids = [lic["id"] for lic in ok(call("license_list"))]
    assert "OGL-UK-3.0" in ids and "notspecified" in ids
    make_dataset("car-parks", title="Car parks")
    make_dataset("parking-fines", title="Penalty notices")
    make_dataset("staff-car-parks", title="Staff car parks", private=True)
    found = ok(call("package_autocomplete", {"q": "park"}))
    assert [(d["name"], d["match_field"]) for d in found] == [
        ("car-parks", "title"), ("parking-fines", "name")]
    assert [d["name"] for d in ok(call("package_autocomplete", {"q": "park"},
                                       hub["member"]))] == [
        "car-parks", "staff-car-parks", "parking-fines"]


def test_a_name_taken_by_a_call_a_moment_ago_is_a_validation_error(hub, monkeypatch, council):
    from commonground.catalogue.forms import DatasetForm

    for step in ("clean_name", "clean"):  # another call makes the name while this one runs
        original = getattr(DatasetForm, step)

        def meanwhile(form, *args, original=original, **kwargs):
            Dataset.objects.get_or_create(name=PACKAGE["name"], defaults={
                "title": "First", "organisation": council})
            return original(form, *args, **kwargs)

        with monkeypatch.context() as patched:
            patched.setattr(DatasetForm, step, meanwhile)
            error = refused(call("package_create", PACKAGE, hub["editor"]), 409,
                            "Validation Error")
        assert error["name"] == (["That URL is already in use."] if step == "clean" else [
            f"The short name “{PACKAGE['name']}” is taken; choose another."])
        assert Dataset.objects.get().title == "First"
        Dataset.objects.all().delete()


def test_a_file_sent_to_a_reading_action_is_ignored(hub, make_dataset, csv_path):
    make_dataset("car-parks")
    # one plain form field whose value is "1" is a field, not old clients' JSON key
    assert ok(call("package_list", {"limit": "1"}, files={})) == ["car-parks"]
    form = Client().post("/api/3/action/package_list", {"limit": "1"})
    assert json.loads(form.content)["result"] == ["car-parks"]
    with open(csv_path, "rb") as f:
        assert ok(call("package_list", {"limit": "5"}, files={"upload": f})) == ["car-parks"]
    with open(csv_path, "rb") as f:
        assert ok(call("package_search", {"rows": "1"}, files={"upload": f}))["count"] == 1


def test_package_revise_changes_a_dataset_only_if_it_is_as_the_caller_saw_it(hub,
                                                                              make_dataset):
    dataset = make_dataset("car-parks", notes="Seen", contact_name="Parking team")
    stale = refused(call("package_revise", {"match": {"name": "car-parks", "notes": "Old"},
                                            "update": {"notes": "Lost update"}},
                         hub["editor"]), 409, "Validation Error")
    assert stale["fields"] == ["notes"]
    revised = ok(call("package_revise", {"match": {"name": "car-parks", "notes": "Seen"},
                                         "filter": ["-maintainer"],
                                         "update": {"notes": "Revised"},
                                         "include": ["notes", "maintainer"]},
                      hub["editor"]))
    assert revised == {"package": {"notes": "Revised", "maintainer": None}}
    dataset.refresh_from_db()
    assert (dataset.notes, dataset.contact_name) == ("Revised", "")
    # as a form posts it, flattened
    form = Client().post("/api/3/action/package_revise", {
        "match__name": "car-parks", "update__title": "Parking"},
        headers={"Authorization": hub["editor"]})
    assert form.status_code == 200, form.content
    assert Dataset.objects.get(pk=dataset.pk).title == "Parking"
    for token in (None, hub["member"], hub["outsider"]):
        refused(call("package_revise", {"match": {"name": "car-parks"},
                                        "update": {"notes": "x"}}, token), 403,
                "Authorization Error")
    assert refused(call("package_revise", {"match": {"name": "car-parks"},
                                           "update__resources__0__name": "x"},
                        hub["editor"]), 409, "Validation Error")
    assert Dataset.objects.get(pk=dataset.pk).notes == "Revised"
