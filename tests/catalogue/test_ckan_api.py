"""The CKAN Action API: CKAN 2.10's shapes, errors and permissions, on the real point files.

A council publishes GP practices (GeoJSON) and schools (CSV); it also has a draft (public
libraries) and a private dataset. A member of the council sees all four; anyone else sees
the two published ones. Counts are computed independently from the source files with the
``csv`` and ``json`` modules.

In-process tests use Django's test client; the ``live`` test drives the real
``ckanapi.RemoteCKAN`` over HTTP against ``live_server`` (it runs last: the live server
flushes the database).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import Dataset, IngestJob, Resource, Tag, Theme

SCHOOLS = "mk_schools_gias_2025-05.csv"
GP_PRACTICES = "mk_gp_practices_epraccur_2020-01.geojson"
LIBRARIES = "mk_public_libraries_dcms_2023.geojson"
ORG = "mk-city-council"


@dataclass
class Hub:
    points: Path
    council: Organisation
    member: object
    outsider: object
    token: str
    gp: Dataset
    schools: Dataset
    draft: Dataset
    private: Dataset

    def resource(self, dataset: Dataset) -> Resource:
        return dataset.resources.select_related("current_version").get()


def _ingest(dataset: Dataset, path: Path, name: str) -> Resource:
    from commonground.catalogue.services import ingest

    resource = Resource.objects.create(dataset=dataset, name=name,
                                       description=f"{path.name}, as published")
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                  filename=path.name)
    job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.DONE, (job.error, job.report)
    return resource


def build_hub(points: Path) -> Hub:
    """The council, its member, an outsider and four datasets (three with real files)."""
    from django.contrib.auth import get_user_model

    from commonground.catalogue.ckan.tokens import make_token

    users = get_user_model().objects
    council = Organisation.objects.create(
        slug=ORG, name="Milton Keynes City Council", kind=Organisation.Kind.COUNCIL,
        description="The unitary authority for Milton Keynes.")
    member = users.create_user("ckan-member", password="pw-ckan-member-1")
    outsider = users.create_user("ckan-outsider", password="pw-ckan-outsider-1")
    Membership.objects.create(user=member, organisation=council, role=Membership.Role.MEMBER)
    health = Theme.objects.create(name="health", title="Health",
                                  description="Health services and outcomes")
    education = Theme.objects.create(name="education", title="Education")

    def dataset(name, title, tags, themes, **fields) -> Dataset:
        d = Dataset.objects.create(name=name, title=title, organisation=council, **fields)
        d.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
        d.themes.set(themes)
        return d

    gp = dataset("gp-practices", "GP practices in Milton Keynes", ["GP practices", "health"],
                 [health], state=Dataset.State.PUBLISHED, licence="OGL-UK-3.0",
                 notes="Every GP practice in the city, from NHS Digital's epraccur file.",
                 frequency="monthly", contact_name="Public Health Team",
                 contact_email="public.health@example.org",
                 source="https://digital.nhs.uk/services/organisation-data-service")
    schools = dataset("schools", "Schools in Milton Keynes", ["schools", "education"],
                      [education], state=Dataset.State.PUBLISHED, licence="OGL-UK-3.0",
                      notes="Open schools from Get Information About Schools, May 2025.",
                      source="Get Information About Schools (DfE), May 2025")
    draft = dataset("public-libraries", "Public libraries", ["libraries"], [],
                    state=Dataset.State.DRAFT)
    private = dataset("library-visits", "Library visits", ["libraries"], [],
                      state=Dataset.State.PUBLISHED, private=True)
    _ingest(gp, points / GP_PRACTICES, "GP practices, January 2020")
    _ingest(schools, points / SCHOOLS, "Schools, May 2025")
    _ingest(draft, points / LIBRARIES, "Libraries, 2023")
    return Hub(points, council, member, outsider, make_token(member),
               *(Dataset.objects.get(pk=d.pk) for d in (gp, schools, draft, private)))


def remove_hub() -> None:
    Dataset.objects.filter(organisation__slug=ORG).delete()
    Organisation.objects.filter(slug=ORG).delete()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__startswith="ckan-").delete()
    Theme.objects.filter(name__in=["health", "education"]).delete()
    Tag.objects.filter(name__in=["GP practices", "health", "schools", "education", "libraries"],
                       datasets__isnull=True).delete()


@pytest.fixture(scope="module")
def hub(django_db_setup, django_db_blocker, data_dir):
    with django_db_blocker.unblock():
        built = build_hub(data_dir / "points")
    yield built
    with django_db_blocker.unblock():
        remove_hub()


@pytest.fixture(scope="module")
def schools_rows(data_dir) -> list[dict]:
    with open(data_dir / "points" / SCHOOLS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def api(db, hub, client):
    """``api(action, data, method=, token=, session=)`` → (HTTP status, decoded body)."""

    def call(action: str, data: dict | None = None, *, method: str = "get",
             token: str | None = None, path: str = "/api/3/action/"):
        headers = {"Authorization": token} if token else {}
        if method == "get":
            params = {k: v if isinstance(v, str) else json.dumps(v)
                      for k, v in (data or {}).items()}
            response = client.get(path + action, params, headers=headers)
        else:
            response = client.post(path + action, json.dumps(data or {}),
                                   content_type="application/json", headers=headers)
        assert response["Content-Type"] == "application/json;charset=utf-8"
        content = (b"".join(response.streaming_content) if response.streaming
                   else response.content)
        return response.status_code, json.loads(content)

    return call


def ok(answer):
    status, body = answer
    assert status == 200, body
    assert body["success"] is True
    return body["result"]


def error(answer, status: int, kind: str) -> dict:
    got, body = answer
    assert got == status, body
    assert body["success"] is False
    assert body["error"]["__type"] == kind
    return body["error"]


# --- the envelope ---------------------------------------------------------------------------

def test_envelope_is_ckans(api):
    status, body = api("site_read")
    assert status == 200
    assert body == {"help": "http://testserver/api/3/action/help_show?name=site_read",
                    "success": True, "result": True}


def test_unversioned_path_and_post_bodies(api, client):
    assert ok(api("package_list", path="/api/action/")) == ["gp-practices", "schools"]
    assert ok(api("package_list", {"limit": 1, "offset": 1}, method="post")) == ["schools"]
    # Form data, and the old clients' form with one key holding JSON.
    form = client.post("/api/3/action/package_list", {"limit": "1", "offset": "0"})
    assert json.loads(form.content)["result"] == ["gp-practices"]
    legacy = client.post("/api/3/action/package_list", {json.dumps({"offset": 1}): "1"})
    assert json.loads(legacy.content)["result"] == ["schools"]


def test_unknown_action_is_a_bad_request_as_in_ckan(api, client):
    response = client.get("/api/3/action/package_purge")
    assert response.status_code == 400
    assert json.loads(response.content) == "Bad request - Action name not known: package_purge"


def test_body_that_is_not_a_json_object_is_a_bad_request(client, db):
    for body in ("[1, 2]", "{not json"):
        response = client.post("/api/3/action/package_list", body,
                               content_type="application/json")
        assert response.status_code == 400
        assert json.loads(response.content).startswith("Bad request - JSON Error: ")


def test_other_methods_are_not_allowed(client, db):
    assert client.delete("/api/3/action/package_list").status_code == 405


def test_status_version_and_help(api, client):
    status = ok(api("status_show"))
    assert status["ckan_version"] == "2.10.0"
    assert status["site_url"] == "http://testserver"
    assert status["extensions"] == ["datastore"]
    assert json.loads(client.get("/api/3").content) == {"version": 3}
    assert json.loads(client.get("/api/util/status").content)["ckan_version"] == "2.10.0"
    assert ":param fq:" in ok(api("help_show", {"name": "package_search"}))
    error(api("help_show", {"name": "nothing_like_it"}), 404, "Not Found Error")
    assert error(api("help_show"), 409, "Validation Error")["name"] == ["Missing value"]


# --- datasets -------------------------------------------------------------------------------

def test_package_list_holds_public_published_datasets_only(api, hub):
    assert ok(api("package_list")) == ["gp-practices", "schools"]
    # As in CKAN, even members get only public datasets here (package_search shows more).
    assert ok(api("package_list", token=hub.token)) == ["gp-practices", "schools"]
    assert error(api("package_list", {"limit": -1}), 409, "Validation Error") == {
        "__type": "Validation Error", "limit": ["Must be a natural number"]}
    assert error(api("package_list", {"limit": "ten"}), 409,
                 "Validation Error")["limit"] == ["Invalid integer"]


def test_package_show_has_ckans_fields(api, hub, client, data_dir):
    package = ok(api("package_show", {"id": "gp-practices"}))
    assert package == ok(api("package_show", {"id": str(hub.gp.id)}))
    assert package["id"] == str(hub.gp.id)
    assert package["name"] == "gp-practices"
    assert package["title"] == "GP practices in Milton Keynes"
    assert package["notes"].startswith("Every GP practice")
    assert package["type"] == "dataset" and package["state"] == "active"
    assert package["private"] is False
    assert package["license_id"] == "OGL-UK-3.0"
    assert package["license_title"] == "Open Government Licence v3.0"
    assert package["license_url"].startswith("https://www.nationalarchives.gov.uk/")
    assert package["isopen"] is True
    assert package["url"] == "https://digital.nhs.uk/services/organisation-data-service"
    assert package["maintainer"] == "Public Health Team"
    assert package["maintainer_email"] == "public.health@example.org"
    assert package["metadata_created"][:4] >= "2025" and "+" not in package["metadata_created"]
    assert package["owner_org"] == str(hub.council.pk)
    org = package["organization"]
    assert {k: org[k] for k in ("id", "name", "title", "type", "is_organization")} == {
        "id": str(hub.council.pk), "name": ORG, "title": "Milton Keynes City Council",
        "type": "organization", "is_organization": True}
    assert org["description"] == "The unitary authority for Milton Keynes."
    assert package["tags"] == [
        {"id": str(Tag.objects.get(name=name).pk), "name": name, "display_name": name,
         "state": "active", "vocabulary_id": None} for name in ("GP practices", "health")]
    assert package["num_tags"] == 2
    assert [(g["name"], g["title"], g["display_name"]) for g in package["groups"]] == [
        ("health", "Health", "Health")]
    assert {"key": "frequency", "value": "monthly"} in package["extras"]
    assert package["num_resources"] == 1
    resource = package["resources"][0]
    assert resource == ok(api("resource_show", {"id": resource["id"]}))
    assert resource["package_id"] == package["id"]
    assert resource["format"] == "GEOJSON" and resource["mimetype"] == "application/geo+json"
    assert resource["datastore_active"] is True and resource["url_type"] == "upload"
    # `url` downloads the file as it was published.
    original = (data_dir / "points" / GP_PRACTICES).read_bytes()
    assert resource["url"].startswith("http://testserver/datasets/gp-practices/resources/")
    download = client.get(resource["url"].removeprefix("http://testserver"))
    assert b"".join(download.streaming_content) == original
    assert resource["hash"] == hashlib.sha256(original).hexdigest()
    assert resource["size"] == len(original)


def test_drafts_and_private_datasets_need_permission(api, hub, client):
    # Not found, as a dataset that does not exist (test_ckan_errors: the same answer).
    for dataset in (hub.draft, hub.private):
        for key in (dataset.name, str(dataset.id)):
            message = error(api("package_show", {"id": key}), 404, "Not Found Error")
            assert message["message"] == "Not found: Dataset not found"
        assert ok(api("package_show", {"id": dataset.name}, token=hub.token))["id"] == str(
            dataset.id)
    assert ok(api("package_show", {"id": "public-libraries"}, token=hub.token))["state"] == \
        "draft"
    # A token that is not valid counts as anonymous, as in CKAN; so does an outsider.
    error(api("package_show", {"id": "library-visits"}, token=hub.token + "x"), 404,
          "Not Found Error")
    client.force_login(hub.outsider)
    error(api("package_show", {"id": "library-visits"}), 404, "Not Found Error")
    # The browser session of a member works like a token.
    client.force_login(hub.member)
    assert ok(api("package_show", {"id": "library-visits"}))["private"] is True
    resource = hub.resource(hub.draft)
    client.logout()
    error(api("resource_show", {"id": str(resource.id)}), 404, "Not Found Error")
    assert ok(api("resource_show", {"id": str(resource.id)}, token=hub.token))["format"] == \
        "GEOJSON"


def test_tokens_are_the_persons_and_stop_when_revoked(db, hub):
    from commonground.accounts.models import ApiToken
    from commonground.catalogue.ckan.tokens import make_token, user_for_token

    assert user_for_token(hub.token) == hub.member
    assert user_for_token(hub.token[:-2] + ("xx" if hub.token[-2:] != "xx" else "yy")) is None
    assert user_for_token("nonsense") is None and user_for_token("") is None
    fresh = make_token(hub.member)
    ApiToken.objects.filter(prefix=fresh[:8]).update(revoked=timezone.now())  # rolled back
    assert user_for_token(fresh) is None and user_for_token(hub.token) == hub.member


def test_resource_search_finds_resources_of_public_datasets_only(api, hub):
    schools = str(hub.resource(hub.schools).id)
    gp = str(hub.resource(hub.gp).id)
    assert [r["id"] for r in ok(api("resource_search", {"query": "format:csv"}))["results"]] \
        == [schools]
    found = ok(api("resource_search", {"query": ["name:practices", "description:epraccur"]}))
    assert found["count"] == 1 and [r["id"] for r in found["results"]] == [gp]
    # the draft's GeoJSON is not found, even by a member
    assert [r["id"] for r in ok(api("resource_search", {"query": "format:geojson"},
                                    token=hub.token))["results"]] == [gp]
    assert error(api("resource_search", {"query": "colour:red"}), 409,
                 "Validation Error")["query"] == [
        'Field "colour" not recognised in resource_search.']


def test_current_package_list_with_resources_lists_public_datasets_newest_first(api, hub):
    expected = list(Dataset.objects.filter(state=Dataset.State.PUBLISHED, private=False)
                    .order_by("-modified", "name").values_list("name", flat=True))
    listed = ok(api("current_package_list_with_resources"))
    assert [p["name"] for p in listed] == expected
    assert sorted(expected) == ["gp-practices", "schools"]  # not the draft, not the private
    assert all(p["num_resources"] == len(p["resources"]) == 1 for p in listed)
    assert [p["name"] for p in ok(api("current_package_list_with_resources",
                                      {"limit": 1, "page": 2}))] == expected[1:2]


def test_missing_things_are_not_found(api):
    assert error(api("package_show", {"id": "no-such-dataset"}), 404, "Not Found Error") == {
        "__type": "Not Found Error", "message": "Not found: Dataset not found"}
    error(api("resource_show", {"id": "00000000-0000-0000-0000-000000000000"}), 404,
          "Not Found Error")
    error(api("resource_show", {"id": "not-a-uuid"}), 404, "Not Found Error")
    error(api("organization_show", {"id": "nobody"}), 404, "Not Found Error")
    assert error(api("package_show"), 409, "Validation Error")["id"] == ["Missing value"]


# --- package_search -------------------------------------------------------------------------

def _names(result: dict) -> list[str]:
    return [p["name"] for p in result["results"]]


def test_package_search_everything_and_text(api):
    everything = ok(api("package_search", {"q": "*:*"}))
    assert everything["count"] == 2
    assert everything["sort"] == "score desc, metadata_modified desc"
    assert everything["facets"] == {} and everything["search_facets"] == {}
    assert everything["results"][0]["resources"], "results are full package dicts"
    assert _names(ok(api("package_search", {"q": "schools"}))) == ["schools"]
    # Column names are searched too: only the schools file has a column "urn".
    assert _names(ok(api("package_search", {"q": "urn"}))) == ["schools"]
    assert ok(api("package_search", {"q": "nothing matches this"}))["count"] == 0
    assert _names(ok(api("package_search", {"q": 'tags:"GP practices"'}))) == ["gp-practices"]


@pytest.mark.parametrize(("fq", "names"), [
    (f"organization:{ORG}", ["gp-practices", "schools"]),
    ('tags:"GP practices"', ["gp-practices"]),
    ("+tags:schools", ["schools"]),
    ("res_format:CSV", ["schools"]),
    ("res_format:geojson", ["gp-practices"]),
    ("license_id:OGL-UK-3.0", ["gp-practices", "schools"]),
    ("license_id:CC-BY-4.0", []),
    ("groups:health", ["gp-practices"]),
    ("tags:health tags:education", []),  # the same field twice: both, as in Solr
    ("tags:health AND groups:health", ["gp-practices"]),
    ("tags:(health OR education)", ["gp-practices", "schools"]),
    ("name:schools", ["schools"]),
    ("dataset_type:dataset", ["gp-practices", "schools"]),
    ("-tags:health", ["schools"]),
    (f"organization:{ORG} -res_format:CSV", ["gp-practices"]),
    ("metadata_modified:[2000-01-01T00:00:00Z TO *]", ["gp-practices", "schools"]),
    ("metadata_created:[* TO 2000-01-01T00:00:00Z]", []),
    ("metadata_modified:[* TO NOW]", ["gp-practices", "schools"]),
])
def test_package_search_fq(api, fq, names):
    result = ok(api("package_search", {"fq": fq, "sort": "name asc"}))
    assert _names(result) == names
    assert result["count"] == len(names)


def test_package_search_facets(api):
    result = ok(api("package_search", {
        "facet.field": ["organization", "tags", "res_format", "license_id", "groups"]}))
    assert result["facets"] == {
        "organization": {ORG: 2},
        "tags": {"GP practices": 1, "education": 1, "health": 1, "schools": 1},
        "res_format": {"CSV": 1, "GEOJSON": 1},
        "license_id": {"OGL-UK-3.0": 2},
        "groups": {"education": 1, "health": 1},
    }
    search = result["search_facets"]
    assert search["organization"] == {"title": "organization", "items": [
        {"name": ORG, "display_name": "Milton Keynes City Council", "count": 2}]}
    assert search["license_id"]["items"][0]["display_name"] == "Open Government Licence v3.0"
    assert search["groups"]["items"][0] == {"name": "education", "display_name": "Education",
                                            "count": 1}
    # POST with a real list, ckanapi's facet_field spelling, and facet.limit.
    posted = ok(api("package_search", {"facet_field": ["tags"], "facet.limit": 1,
                                       "fq": "groups:health"}, method="post"))
    assert posted["facets"] == {"tags": {"GP practices": 1}}


def test_package_search_paging_and_sorting(api):
    assert _names(ok(api("package_search", {"sort": "name desc"}))) == ["schools",
                                                                        "gp-practices"]
    assert _names(ok(api("package_search", {"sort": "title_string asc"}))) == [
        "gp-practices", "schools"]
    page = ok(api("package_search", {"sort": "name asc", "rows": 1, "start": 1}))
    assert page["count"] == 2 and _names(page) == ["schools"]
    assert ok(api("package_search", {"rows": 0}))["results"] == []
    assert ok(api("package_search", {"rows": 5000}))["count"] == 2  # capped at 1000, as CKAN
    newest = _names(ok(api("package_search", {"sort": "metadata_created desc"})))
    assert newest == ["schools", "gp-practices"]  # made in that order by build_hub


@pytest.mark.parametrize("data", [
    {"sort": "popularity desc"}, {"sort": "name sideways"},
    {"fq": "author:someone"}, {"fq": "tags:health OR"}, {"fq": "tags:[a TO b]"},
    {"fq": "metadata_modified:yesterday"}, {"fq": "metadata_modified:[last TO *]"},
    {"q": "{!lucene}anything"},
])
def test_package_search_refuses_what_it_cannot_do(api, data):
    message = error(api("package_search", data), 400, "Search Query Error")["message"]
    assert message.startswith("Search Query is invalid: ")


def test_package_search_validates_numbers(api):
    assert error(api("package_search", {"rows": -1}), 409, "Validation Error")["rows"] == [
        "Must be a natural number"]
    assert "start" in error(api("package_search", {"start": "x"}), 409, "Validation Error")


def test_package_search_private_and_drafts(api, hub):
    assert ok(api("package_search", {"include_private": True}))["count"] == 2
    assert ok(api("package_search", token=hub.token))["count"] == 2
    assert sorted(_names(ok(api("package_search", {"include_private": True},
                                token=hub.token)))) == ["gp-practices", "library-visits",
                                                        "schools"]
    assert ok(api("package_search", {"include_private": "true", "include_drafts": "true"},
                  token=hub.token))["count"] == 4


# --- organisations, groups, tags ------------------------------------------------------------

def test_organizations(api, hub):
    assert ORG in ok(api("organization_list"))
    listed = {o["name"]: o for o in ok(api("organization_list", {"all_fields": True}))}
    assert listed[ORG]["package_count"] == 2
    assert listed[ORG]["title"] == "Milton Keynes City Council"
    members = {o["name"]: o for o in ok(api("organization_list", {"all_fields": True},
                                            token=hub.token))}
    assert members[ORG]["package_count"] == 3  # and the private one
    shown = ok(api("organization_show", {"id": ORG, "include_datasets": True}))
    assert shown == {**ok(api("organization_show", {"id": str(hub.council.pk),
                                                    "include_datasets": True}))}
    assert shown["package_count"] == 2
    assert [p["name"] for p in shown["packages"]] == ["gp-practices", "schools"]
    assert {"key": "kind", "value": "council"} in shown["extras"]
    assert "packages" not in ok(api("organization_show", {"id": ORG}))


def test_groups_and_tags(api, hub):
    groups = ok(api("group_list"))
    assert "education" in groups and "health" in groups and groups == sorted(groups)
    health = next(g for g in ok(api("group_list", {"all_fields": True}))
                  if g["name"] == "health")
    assert health["title"] == "Health" and health["package_count"] == 1
    assert health["description"] == "Health services and outcomes"
    tags = ok(api("tag_list"))
    assert {"GP practices", "health", "schools", "education"} <= set(tags)
    assert "libraries" not in tags  # only on the draft and the private dataset
    assert "libraries" in ok(api("tag_list", token=hub.token))
    assert ok(api("tag_list", {"query": "PRACT"})) == ["GP practices"]
    assert ok(api("tag_list", {"query": "pract", "all_fields": True}))[0]["vocabulary_id"] \
        is None


# --- datastore_search -----------------------------------------------------------------------

def _search(api, hub, dataset=None, **data):
    resource = hub.resource(dataset or hub.schools)
    return api("datastore_search", {"resource_id": str(resource.id), **data})


def test_datastore_search_defaults(api, hub, schools_rows):
    result = ok(_search(api, hub))
    resource = hub.resource(hub.schools)
    assert result["resource_id"] == str(resource.id)
    assert result["total"] == len(schools_rows) == 125
    assert result["total_was_estimated"] is False
    assert result["limit"] == 100 and len(result["records"]) == 100
    assert result["records_format"] == "objects" and result["include_total"] is True
    fields = {f["id"]: f["type"] for f in result["fields"]}
    assert result["fields"][0] == {"id": "_id", "type": "int"}
    assert fields["urn"] == "int" and fields["establishment_name"] == "text"
    assert fields["percentage_fsm"] == "numeric"
    assert "_row" not in fields and "_geometry" not in fields
    assert fields["_lsoa21"] == "text"  # area codes are columns too
    first = result["records"][0]
    assert first["_id"] == 1 and first["urn"] == int(schools_rows[0]["urn"])
    assert first["establishment_name"] == schools_rows[0]["establishment_name"]
    assert first["_lsoa21"].startswith("E01")  # the LSOA the school was placed in
    assert list(first) == list(fields)
    assert result["_links"] == {
        "start": f"/api/3/action/datastore_search?resource_id={resource.id}",
        "next": f"/api/3/action/datastore_search?resource_id={resource.id}&offset=100"}


def test_datastore_search_filters(api, hub, schools_rows):
    phases = Counter(r["education_phase"] for r in schools_rows)
    primary = ok(_search(api, hub, filters={"education_phase": "Primary"}))
    assert primary["total"] == phases["Primary"] == 90
    assert primary["filters"] == {"education_phase": "Primary"}
    assert {r["education_phase"] for r in primary["records"]} == {"Primary"}
    either = ok(_search(api, hub, filters={"education_phase": ["Primary", "Secondary"]}))
    assert either["total"] == phases["Primary"] + phases["Secondary"]
    one = ok(_search(api, hub, filters={"urn": schools_rows[5]["urn"]}))
    assert one["total"] == 1 and one["records"][0]["establishment_name"] == \
        schools_rows[5]["establishment_name"]
    posted = ok(api("datastore_search", {"resource_id": str(hub.resource(hub.schools).id),
                                         "filters": {"education_phase": "Nursery"}},
                    method="post"))
    assert posted["total"] == phases["Nursery"]


def test_datastore_search_q(api, hub, schools_rows):
    anywhere = sum(any("nursery" in v.lower() for v in r.values()) for r in schools_rows)
    assert ok(_search(api, hub, q="Nursery"))["total"] == anywhere
    named = sum("academy" in r["establishment_name"].lower() for r in schools_rows)
    assert ok(_search(api, hub, q={"establishment_name": "academy"}))["total"] == named
    assert ok(_search(api, hub, q=json.dumps({"establishment_name": "academy"})))["total"] \
        == named


def test_datastore_search_fields_sort_paging(api, hub, schools_rows):
    result = ok(_search(api, hub, fields="urn,establishment_name", sort="number_of_pupils desc",
                        limit=3))
    assert [f["id"] for f in result["fields"]] == ["urn", "establishment_name"]
    biggest = max((r for r in schools_rows if r["number_of_pupils"]),
                  key=lambda r: int(r["number_of_pupils"]))
    assert result["records"][0] == {"urn": int(biggest["urn"]),
                                    "establishment_name": biggest["establishment_name"]}
    page = ok(_search(api, hub, limit=10, offset=20, fields=["_id"]))
    assert [r["_id"] for r in page["records"]] == list(range(21, 31))
    assert page["offset"] == 20
    assert page["_links"]["next"].endswith("&offset=30")
    assert page["_links"]["prev"].endswith("&offset=10")
    by_name = ok(_search(api, hub, sort='"establishment_name" asc', fields="establishment_name",
                         limit=125))
    names = [r["establishment_name"] for r in by_name["records"]]
    assert names == sorted(names)


def test_datastore_search_limits_and_formats(api, hub, schools_rows):
    capped = ok(_search(api, hub, limit=50_000))
    assert capped["limit"] == 32_000 and len(capped["records"]) == 125
    assert "total" not in ok(_search(api, hub, include_total=False, limit=1))
    lists = ok(_search(api, hub, fields="urn,education_phase", limit=2,
                       records_format="lists"))
    assert lists["records"] == [[int(r["urn"]), r["education_phase"]] for r in schools_rows[:2]]
    text = ok(_search(api, hub, fields="urn,education_phase", limit=2, records_format="csv"))
    assert text["records"] == "".join(f"{r['urn']},{r['education_phase']}\n"
                                      for r in schools_rows[:2])


def test_datastore_search_on_geojson_hides_geometry(api, hub, data_dir):
    features = json.loads((data_dir / "points" / GP_PRACTICES).read_text())["features"]
    result = ok(_search(api, hub, dataset=hub.gp, limit=0))
    assert result["total"] == len(features) == 28
    names = [f["id"] for f in result["fields"]]
    assert "_geometry" not in names and "org_code" in names and "_easting" in names


@pytest.mark.parametrize(("data", "key", "message"), [
    ({"filters": {"nope": 1}}, "filters", 'invalid value "nope"'),
    ({"fields": "urn,nope"}, "fields", 'invalid value "nope"'),
    ({"fields": "_geometry"}, "fields", 'invalid value "_geometry"'),
    ({"sort": "nope desc"}, "sort", 'invalid value "nope desc"'),
    ({"q": {"nope": "x"}}, "q", 'invalid value "nope"'),
    ({"limit": -5}, "limit", "Must be a natural number"),
])
def test_datastore_search_validation_errors(api, hub, data, key, message):
    assert error(_search(api, hub, **data), 409, "Validation Error")[key] == [message]


def test_datastore_search_of_a_missing_or_hidden_resource_is_not_found(api, hub):
    missing = "11111111-2222-3333-4444-555555555555"
    assert error(api("datastore_search", {"resource_id": missing}), 404, "Not Found Error") == {
        "__type": "Not Found Error", "message": f'Not found: Resource "{missing}" was not found.'}
    assert error(api("datastore_search"), 409, "Validation Error")["resource_id"] == [
        "Missing value"]
    draft = str(hub.resource(hub.draft).id)
    error(api("datastore_search", {"resource_id": draft}), 404, "Not Found Error")
    assert ok(api("datastore_search", {"id": draft}, token=hub.token))["total"] > 0


# --- datastore_search_sql -------------------------------------------------------------------

def test_datastore_search_sql(api, hub, schools_rows):
    rid = hub.resource(hub.schools).id
    sql = (f'SELECT education_phase, count(*) AS schools FROM "{rid}" '
           "GROUP BY education_phase ORDER BY education_phase")
    result = ok(api("datastore_search_sql", {"sql": sql}))
    phases = Counter(r["education_phase"] for r in schools_rows)
    assert result["records"] == [{"education_phase": p, "schools": n}
                                 for p, n in sorted(phases.items())]
    assert result["fields"] == [{"id": "education_phase", "type": "text"},
                                {"id": "schools", "type": "int"}]
    assert result["records_truncated"] is False and result["sql"] == sql
    # Two resources joined by area.
    gp = hub.resource(hub.gp).id
    joined = ok(api("datastore_search_sql", {"sql": (
        f'SELECT count(*) AS n FROM "{rid}" s JOIN "{gp}" g ON s._ward = g._ward')}))
    assert joined["records"][0]["n"] > 0


@pytest.mark.parametrize("sql", [
    'DROP TABLE "{rid}"',
    "SELECT * FROM read_csv('/etc/passwd')",
    'SELECT 1; SELECT * FROM "{rid}"',
    'SELECT * FROM "00000000-0000-0000-0000-000000000000"',
    "SELECT nonsense FROM",
])
def test_datastore_search_sql_refuses(api, hub, sql):
    rid = hub.resource(hub.schools).id
    assert error(api("datastore_search_sql", {"sql": sql.format(rid=rid)}), 409,
                 "Validation Error")["query"]


def test_datastore_search_sql_permissions_and_time_limit(api, hub, settings):
    draft = hub.resource(hub.draft).id
    sql = f'SELECT count(*) AS n FROM "{draft}"'
    assert error(api("datastore_search_sql", {"sql": sql}), 409, "Validation Error")["query"][
        0].startswith(f'there is no table "{draft}" here')
    assert ok(api("datastore_search_sql", {"sql": sql}, token=hub.token))["records"][0]["n"] > 0
    assert error(api("datastore_search_sql"), 409, "Validation Error")["sql"] == [
        "Missing value"]
    settings.COMMONGROUND_SQL_TIMEOUT = 0.2
    slow = "SELECT count(*) FROM range(100000000000) a"
    assert error(api("datastore_search_sql", {"sql": slow}), 409, "Validation Error") == {
        "__type": "Validation Error", "query": ["Query took too long"]}


def test_datastore_search_sql_streams_records_in_batches_that_join_to_the_whole(
        api, hub, client, schools_rows, monkeypatch):
    from commonground.catalogue.ckan import datastore_actions

    rid = hub.resource(hub.schools).id
    sql = f'SELECT * FROM "{rid}" ORDER BY _id'
    whole = ok(api("datastore_search_sql", {"sql": sql}))
    monkeypatch.setattr(datastore_actions, "SQL_BATCH_BYTES", 2000)  # a few rows a batch
    assert ok(api("datastore_search_sql", {"sql": sql})) == whole
    assert len(whole["records"]) == len(schools_rows) and not whole["records_truncated"]
    assert [r["urn"] for r in whole["records"]] == [int(r["urn"]) for r in schools_rows]
    # Sent as it was encoded, with its length, in CKAN's envelope.
    response = client.get("/api/3/action/datastore_search_sql", {"sql": sql})
    assert response.streaming
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    assert list(json.loads(body)) == ["help", "success", "result"]
    # The row limit still holds.
    capped = ok(api("datastore_search_sql", {"sql": "SELECT range AS n FROM range(40000)"}))
    assert [r["n"] for r in capped["records"]] == list(range(32000))
    assert capped["records_truncated"] is True


def test_datastore_search_sql_refuses_a_result_larger_than_the_cap_before_holding_it(
        api, hub, settings):
    import tracemalloc

    settings.COMMONGROUND_SQL_MAX_BYTES = 8 << 20
    huge = "SELECT repeat('x', 16000) FROM range(32000)"  # 512 MB of JSON
    tracemalloc.start()
    try:
        answer = api("datastore_search_sql", {"sql": huge})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error(answer, 409, "Validation Error")["query"] == [
        "the result is larger than 8 MB: add a LIMIT or select fewer columns"]
    # Python held the capped part and one batch, not the result (nor twice the answer).
    assert peak < 2 * settings.COMMONGROUND_SQL_MAX_BYTES, f"peak {peak >> 20} MB"
    # Within the cap the same statement answers.
    small = ok(api("datastore_search_sql", {"sql": huge.replace("32000", "100")}))
    assert small["records"] == [{"repeat('x', 16000)": "x" * 16000}] * 100


# --- the real ckanapi client over HTTP ------------------------------------------------------

@pytest.mark.live
def test_ckanapi_client_against_a_live_hub(live_server, transactional_db, data_dir,
                                          load_city_again):
    import ckanapi

    load_city_again(data_dir)  # live_server tests start from an empty database
    hub = build_hub(data_dir / "points")
    anonymous = ckanapi.RemoteCKAN(live_server.url, user_agent="commonground-tests")
    member = ckanapi.RemoteCKAN(live_server.url, apikey=hub.token,
                                user_agent="commonground-tests")
    schools = str(hub.resource(hub.schools).id)

    found = anonymous.action.package_search(q="schools", fq=f"organization:{ORG}",
                                            facet_field=["tags", "res_format"])
    assert [p["name"] for p in found["results"]] == ["schools"]
    assert found["facets"]["res_format"] == {"CSV": 1}
    assert anonymous.action.package_show(id="gp-practices")["num_resources"] == 1

    rows = anonymous.action.datastore_search(resource_id=schools,
                                             filters={"education_phase": "Secondary"})
    assert rows["total"] == 12 and len(rows["records"]) == 12

    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.NotFound):
        anonymous.action.package_show(id="library-visits")
    assert member.action.package_show(id="library-visits")["private"] is True
    with pytest.raises(ckanapi.ValidationError) as bad_field:
        anonymous.action.datastore_search(resource_id=schools, filters={"nope": 1})
    assert bad_field.value.error_dict["filters"] == ['invalid value "nope"']
    with pytest.raises(ckanapi.SearchQueryError):
        anonymous.action.package_search(fq="author:someone")
    with pytest.raises(ckanapi.SearchQueryError):
        anonymous.action.package_search(sort="popularity desc")

    # GET-only clients (query parameters) get the same answers.
    getter = ckanapi.RemoteCKAN(live_server.url, get_only=True, user_agent="commonground-tests")
    assert getter.action.package_list() == ["gp-practices", "schools"]
    assert getter.action.datastore_search(resource_id=schools, limit=1)["total"] == 125
    for client in (anonymous, member, getter):
        client.close()  # no kept-alive connection outlives the live server
