"""Publishing with the real ``ckanapi`` client, library and command line, against a live hub
(``live_server``, on the loopback address): an editor's API token creates a dataset, uploads
a real CSV of the city's data package as ckanapi uploads files, and reads it back;
``ckanapi load datasets`` of a JSON-lines file, then ``ckanapi dump datasets --all``, gives
back every field the hub keeps; and nobody else changes anything.

These tests run last (the live server flushes the database when they end).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from commonground.accounts import tokens
from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import Dataset, Resource, Theme, Version

from .test_ckan_write import CSV_RESOURCE, package_file

pytestmark = pytest.mark.live

AGENT = "commonground-tests"

#: What publishing scripts send; every field here is one the hub keeps.
LOADED = [
    {"name": "allotments", "title": "Allotment sites", "owner_org": "mk-council",
     "notes": "Council allotment sites and their plots.", "license_id": "OGL-UK-3.0",
     "tags": [{"name": "allotments"}, {"name": "green space"}],
     "groups": [{"name": "environment"}], "maintainer": "Parks team",
     "maintainer_email": "parks@example.org", "url": "https://example.org/allotments",
     "extras": [{"key": "frequency", "value": "annual"}], "private": False,
     "state": "active"},
    {"name": "street-trees", "title": "Street trees", "owner_org": "mk-council",
     "notes": "Trees the council looks after.", "license_id": "CC-BY-4.0",
     "tags": [{"name": "trees"}], "groups": [], "maintainer": "Tree officer",
     "maintainer_email": "trees@example.org", "url": "",
     "extras": [{"key": "frequency", "value": "monthly"},
                {"key": "source", "value": "The council's tree survey, 2024"}],
     "private": False, "state": "active"},
    {"name": "tree-works-queue", "title": "Tree works waiting", "owner_org": "mk-council",
     "notes": "Internal queue.", "license_id": "notspecified", "tags": [], "groups": [],
     "extras": [{"key": "frequency", "value": "weekly"}], "private": True,
     "state": "active"},
]


def kept(package: dict) -> dict:
    """The fields of a package dictionary the hub keeps, as load files write them."""
    extras = {e["key"]: e["value"] for e in package.get("extras", [])}
    return {"name": package["name"], "title": package["title"], "notes": package["notes"],
            "owner_org": package["organization"]["name"] if "organization" in package
            else package["owner_org"],
            "license_id": package["license_id"],
            "tags": sorted(t["name"] for t in package["tags"]),
            "groups": sorted(g["name"] for g in package["groups"]),
            "maintainer": package.get("maintainer") or None,
            "maintainer_email": package.get("maintainer_email") or None,
            "url": package.get("url") or "",
            # one field here: the source, a web page's address or words
            "frequency": extras.get("frequency"),
            "source": extras.get("source") or package.get("url") or None,
            "private": package["private"], "state": package["state"]}


def ckanapi_cli(*args: str) -> subprocess.CompletedProcess:
    """The ``ckanapi`` command (its workers are ``ckanapi`` processes too: on PATH)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    return subprocess.run([str(Path(sys.executable).parent / "ckanapi"), *args], env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def publishers(live_server, transactional_db, django_user_model):
    """The council's editor, a member who is not an editor, another council's editor; a
    dataset about people; a private dataset; their tokens."""
    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    other = Organisation.objects.create(slug="bedford", name="Bedford Borough Council",
                                        kind=Organisation.Kind.COUNCIL)
    users = {}
    for name, organisation, role in (("editor", council, "editor"),
                                     ("member", council, "member"),
                                     ("rival", other, "editor")):
        users[name] = django_user_model.objects.create_user(name, password=f"pw-{name}-1")
        Membership.objects.create(user=users[name], organisation=organisation, role=role)
    Theme.objects.create(name="environment", title="Environment")
    Dataset.objects.create(name="food-bank-clients", title="Food bank clients",
                           organisation=council, state=Dataset.State.PUBLISHED,
                           about_people=True, notes="Kept")
    Dataset.objects.create(name="staff-rota", title="Staff rota", organisation=council,
                           state=Dataset.State.PUBLISHED, private=True, notes="Kept")
    return {name: tokens.make(user).secret for name, user in users.items()}


def test_ckanapi_creates_uploads_and_reads_back(live_server, publishers, data_dir):
    import ckanapi

    path = package_file(data_dir, CSV_RESOURCE)
    with ckanapi.RemoteCKAN(live_server.url, apikey=publishers["editor"],
                            user_agent=AGENT) as editor:
        made = editor.action.package_create(
            name="sexual-orientation-2021", title="Sexual orientation, Census 2021",
            owner_org="mk-council", license_id="OGL-UK-3.0", tags=[{"name": "census"}])
        with open(path, "rb") as f:
            resource = editor.action.resource_create(package_id=made["id"],
                                                     name="Counts by MSOA", upload=f)
        shown = editor.action.package_show(id="sexual-orientation-2021")
    assert resource["ingest"]["status"] == "done"
    assert [r["id"] for r in shown["resources"]] == [resource["id"]]
    got = shown["resources"][0]
    assert (got["name"], got["format"], got["size"], got["hash"]) == (
        "Counts by MSOA", "CSV", path.stat().st_size,
        hashlib.sha256(path.read_bytes()).hexdigest())
    with ckanapi.RemoteCKAN(live_server.url, user_agent=AGENT) as anyone:
        rows = anyone.action.datastore_search(resource_id=resource["id"], limit=0)
        assert rows["total"] == Version.objects.get(resource_id=resource["id"]).row_count > 0
        assert anyone.action.package_show(id=made["name"])["tags"][0]["name"] == "census"


def test_ckanapi_load_then_dump_round_trips_the_fields_the_hub_keeps(live_server,
                                                                     publishers, tmp_path):
    source = tmp_path / "datasets.jsonl"
    source.write_text("".join(json.dumps(p) + "\n" for p in LOADED))
    site = ["-r", live_server.url, "-a", publishers["editor"]]
    loaded = ckanapi_cli("load", "datasets", "-I", str(source), "-p", "1", *site)
    assert loaded.returncode == 0, loaded.stderr
    dump = tmp_path / "dump.jsonl"
    dumped = ckanapi_cli("dump", "datasets", "--all", "-O", str(dump), "-p", "1", *site)
    assert dumped.returncode == 0, dumped.stderr
    back = {p["name"]: p for p in map(json.loads, dump.read_text().splitlines())}
    public = [p for p in LOADED if not p["private"]]
    assert sorted(back) == sorted([p["name"] for p in public] + ["food-bank-clients"])
    for package in public:
        assert kept(back[package["name"]]) == kept({
            **package, "maintainer": package.get("maintainer") or None,
            "maintainer_email": package.get("maintainer_email") or None})
    private = ckanapi_cli("dump", "datasets", "tree-works-queue", "-O",
                          str(tmp_path / "private.jsonl"), *site)
    assert private.returncode == 0, private.stderr
    assert kept(json.loads((tmp_path / "private.jsonl").read_text())) == kept(LOADED[2])

    # Loading a changed file updates the same datasets (ids kept), as ckanapi does.
    ids = {p["name"]: p["id"] for p in back.values()}
    changed = [{**p, "title": p["title"] + " (2025)"} for p in LOADED]
    source.write_text("".join(json.dumps(p) + "\n" for p in changed))
    assert ckanapi_cli("load", "datasets", "-I", str(source), "-p", "1", *site).returncode == 0
    assert ckanapi_cli("dump", "datasets", "--all", "-O", str(dump), "-p", "1",
                       *site).returncode == 0
    again = {p["name"]: p for p in map(json.loads, dump.read_text().splitlines())}
    assert {n: again[n]["id"] for n in ids} == ids
    assert again["allotments"]["title"] == "Allotment sites (2025)"
    assert Dataset.objects.count() == 5


def test_ckanapi_callers_without_the_right_change_nothing(live_server, publishers, data_dir,
                                                         tmp_path):
    import ckanapi

    path = package_file(data_dir, CSV_RESOURCE)
    revoked = tokens.make(Membership.objects.get(user__username="editor").user)
    tokens.revoke(revoked.token.user, revoked.token.prefix)
    callers = {"no token": None, "a member, not an editor": publishers["member"],
               "another council's editor": publishers["rival"],
               "a revoked token": revoked.secret}
    for who, token in callers.items():
        with ckanapi.RemoteCKAN(live_server.url, apikey=token, user_agent=AGENT) as ckan:
            with pytest.raises(ckanapi.NotAuthorized):
                ckan.action.package_create(name="sneaky", owner_org="mk-council")
            with pytest.raises(ckanapi.NotAuthorized), open(path, "rb") as f:
                ckan.action.resource_create(package_id="food-bank-clients", upload=f)
            with pytest.raises(ckanapi.NotAuthorized):
                ckan.action.package_patch(id="food-bank-clients", notes=who)
            with pytest.raises(ckanapi.NotAuthorized):
                ckan.action.package_delete(id="food-bank-clients")
            # anonymous callers need a token first; the rival is not told it exists
            private = (ckanapi.NotFound if who == "another council's editor"
                       else ckanapi.NotAuthorized)
            with pytest.raises(private):
                ckan.action.package_patch(id="staff-rota", notes=who)
    with ckanapi.RemoteCKAN(live_server.url, apikey=publishers["editor"],
                            user_agent=AGENT) as editor:
        with pytest.raises(ckanapi.ValidationError) as bad:
            editor.action.package_create(owner_org="mk-council", title="No name")
        assert bad.value.error_dict["name"] == ["Missing value"]
    assert sorted(Dataset.objects.values_list("name", "notes")) == [
        ("food-bank-clients", "Kept"), ("staff-rota", "Kept")]
    assert not Resource.objects.exists()


def test_ckanapi_drives_every_other_write_action(live_server, publishers, data_dir,
                                                 django_user_model):
    import ckanapi

    path = package_file(data_dir, CSV_RESOURCE)
    resident = django_user_model.objects.create_user("resident", password="pw-resident-1")
    with ckanapi.RemoteCKAN(live_server.url, apikey=publishers["editor"],
                            user_agent=AGENT) as editor, \
            ckanapi.RemoteCKAN(live_server.url, apikey=tokens.make(resident).secret,
                               user_agent=AGENT) as founder:
        assert "OGL-UK-3.0" in [lic["id"] for lic in editor.action.license_list()]
        editor.action.package_create(name="msoa-counts", title="Counts by MSOA",
                                     owner_org="mk-council")
        assert [d["name"] for d in editor.action.package_autocomplete(q="msoa")] == [
            "msoa-counts"]
        editor.action.package_patch(id="msoa-counts", notes="Patched")
        shown = editor.action.package_show(id="msoa-counts")
        editor.action.package_update(**{**shown, "title": "MSOA counts"})
        assert editor.action.package_show(id="msoa-counts")["notes"] == "Patched"

        with open(path, "rb") as f:
            made = editor.action.resource_create(package_id="msoa-counts", upload=f)
        with open(path, "rb") as f:
            editor.action.resource_update(id=made["id"], name="Version two", upload=f)
        editor.action.resource_patch(id=made["id"], description="Two versions")
        assert Version.objects.filter(resource_id=made["id"]).count() == 2
        editor.action.resource_delete(id=made["id"])

        table = editor.action.datastore_create(
            resource={"package_id": "msoa-counts", "name": "Table"},
            fields=[{"id": "code", "type": "text"}, {"id": "people", "type": "int"}],
            records=[{"code": "E02003459", "people": 1}, {"code": "E02003460", "people": 2}],
            primary_key=["code"])
        rid = table["resource_id"]
        editor.action.datastore_upsert(resource_id=rid, records=[{"code": "E02003459",
                                                                  "people": 10}])
        editor.action.datastore_delete(resource_id=rid, filters={"code": "E02003460"})
        info = editor.action.datastore_info(id=rid)
        assert info["meta"]["count"] == 1
        assert editor.action.datastore_search(resource_id=rid)["records"][0]["people"] == 10
        assert Version.objects.filter(resource_id=rid).count() == 3

        group = founder.action.organization_create(name="fishermead-residents",
                                                   title="Fishermead Residents")
        from commonground.community import groups

        groups.decide(resident, groups.ask_to_join(  # "member" asks to join first
            django_user_model.objects.get(username="member"),
            Organisation.objects.get(slug=group["name"])), accept=True)
        founder.action.organization_member_create(id=group["name"], username="member",
                                                  role="editor")
        with ckanapi.RemoteCKAN(live_server.url, apikey=publishers["member"],
                                user_agent=AGENT) as member:
            member.action.package_create(name="fishermead-benches", owner_org=group["name"])
        editor.action.package_delete(id="msoa-counts")
        with pytest.raises(ckanapi.NotFound):
            editor.action.package_show(id="msoa-counts")
    assert sorted(Dataset.objects.values_list("name", flat=True)) == [
        "fishermead-benches", "food-bank-clients", "staff-rota"]


def test_ckanapi_load_with_upload_resources_sends_each_file_again(live_server, publishers,
                                                                  data_dir, tmp_path):
    import ckanapi

    path = package_file(data_dir, CSV_RESOURCE)
    with ckanapi.RemoteCKAN(live_server.url, apikey=publishers["editor"],
                            user_agent=AGENT) as editor:
        editor.action.package_create(name="msoa-counts", owner_org="mk-council")
        with open(path, "rb") as f:
            made = editor.action.resource_create(package_id="msoa-counts", upload=f)
    site = ["-r", live_server.url, "-a", publishers["editor"]]
    dump = tmp_path / "dump.jsonl"
    assert ckanapi_cli("dump", "datasets", "msoa-counts", "-O", str(dump), *site).returncode == 0
    loaded = ckanapi_cli("load", "datasets", "--upload-resources", "-I", str(dump), "-p", "1",
                         *site)
    assert loaded.returncode == 0, loaded.stderr
    versions = Version.objects.filter(resource_id=made["id"]).order_by("number")
    assert [v.number for v in versions] == [1, 2]
    assert {v.original_sha256 for v in versions} == {
        hashlib.sha256(path.read_bytes()).hexdigest()}
