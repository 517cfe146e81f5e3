"""Whose the register's entries are: an import changes only the partner organisations that
are its owner's to change, and a draft's new partner organisation stays as hidden as the
draft (pages, forms, the list's partner filter, the import's messages, the follow link)."""

from __future__ import annotations

import copy
import datetime
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Max

from commonground.accounts.models import Organisation
from commonground.activity.models import Event
from commonground.community.models import DataRequest
from commonground.consultations.models import Consultation
from commonground.projects.importing import import_register
from commonground.projects.models import Funding, PartnerOrganisation, Partnership

from .register_rows import cast_fixture, places_fixture, register_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def organisation_rows() -> dict:
    return {o.slug: (o.name, o.kind, o.url, o.sources, o.hub_organisation_id)
            for o in PartnerOrganisation.objects.order_by("slug")}


def entry_of(document: dict, slug: str) -> dict:
    return copy.deepcopy(next(o for o in document["organisations"] if o["id"] == slug))


def a_file(*organisations, projects=()) -> dict:
    return {"organisations": list(organisations), "projects": list(projects)}


def wheres(report) -> list[str]:
    return [p.where for p in report.problems]


# ---------------------------------------------------------------- who may change an entry

def test_another_organisations_import_may_not_rewrite_a_partner_the_councils_projects_name(
        real_register, register_document):
    other = Organisation.objects.create(slug="other-org", name="Other Org",
                                        kind=Organisation.Kind.BUSINESS)
    university = entry_of(register_document, "open-university")
    before = organisation_rows()
    report = import_register(a_file({**university, "name": "Evil Corp", "kind": "business"}),
                             owner=other)
    assert wheres(report) == ['organisations[1] "open-university" name',
                              'organisations[1] "open-university" kind']
    assert "other organisations' projects name this entry" in report.problems[0].message
    assert organisation_rows() == before
    # the entry as it stands changes nothing: their own project may still name it
    trial = {"id": "other-trial", "title": "Other trial",
             "partners": [{"organisation": "open-university", "role": "partner"}]}
    assert import_register(a_file(university, projects=[trial]), owner=other).ok
    assert organisation_rows() == before


def test_once_two_organisations_projects_name_an_entry_neither_import_changes_it(
        real_register, register_document):
    other = Organisation.objects.create(slug="other-org", name="Other Org",
                                        kind=Organisation.Kind.BUSINESS)
    university = entry_of(register_document, "open-university")
    trial = {"id": "other-trial", "title": "Other trial",
             "partners": [{"organisation": "open-university", "role": "partner"}]}
    assert import_register(a_file(university, projects=[trial]), owner=other).ok
    register_document["organisations"][0]["url"] = "https://example.org/not-the-ou"
    report = import_register(register_document, owner=real_register.owner)
    assert wheres(report) == ['organisations[1] "open-university" url']
    assert PartnerOrganisation.objects.get(slug="open-university").url == university["url"]
    # linked to the council on the hub, the entry is the council's to change
    PartnerOrganisation.objects.filter(slug="open-university").update(
        hub_organisation=real_register.owner)
    assert import_register(register_document, owner=real_register.owner).ok
    assert (PartnerOrganisation.objects.get(slug="open-university").url
            == "https://example.org/not-the-ou")


def test_an_entry_only_the_owners_projects_name_is_the_owners_to_change(real_register):
    other = Organisation.objects.create(slug="other-org", name="Other Org",
                                        kind=Organisation.Kind.BUSINESS)
    theirs = {"id": "other-partner", "name": "Other Partner", "kind": "business"}
    trial = {"id": "other-trial", "title": "Other trial",
             "partners": [{"organisation": "other-partner", "role": "lead"}]}
    assert import_register(a_file(theirs, projects=[trial]), owner=other).ok
    report = import_register(a_file({**theirs, "name": "Other Partner Ltd"},
                                    projects=[trial]), owner=other)
    assert report.updated["organisations"] == ["other-partner"]
    assert PartnerOrganisation.objects.get(slug="other-partner").name == "Other Partner Ltd"


# ---------------------------------------------------------------- a draft's new partner

@pytest.fixture
def draft_partner(register) -> PartnerOrganisation:
    """A partner and funder only the council's draft (``register.secret``) names."""
    secret = PartnerOrganisation.objects.create(slug="secret-partner-ltd",
                                                name="Secret Partner Ltd", kind="business")
    Partnership.objects.create(project=register.secret, organisation=secret, role="supplier")
    Funding.objects.create(project=register.secret, funder=secret, programme="Own money")
    return secret


def as_(client, cast, who):
    if who != "anonymous":
        client.force_login(cast[who])
    return client


@pytest.mark.parametrize("who", ["anonymous", "resident", "other"])
def test_a_partner_only_a_draft_names_has_no_page_for_others(client, cast, draft_partner, who):
    as_(client, cast, who)
    for address in ("/projects/organisations/secret-partner-ltd/",
                    "/projects/organisations/secret-partner-ltd.json"):
        assert client.get(address).status_code == 404, address
    assert client.get("/projects/organisations/open-university/").status_code == 200


def test_the_draft_organisations_members_see_its_new_partners_page(client, cast,
                                                                   draft_partner):
    client.force_login(cast["member"])
    answer = client.get("/projects/organisations/secret-partner-ltd.json")
    assert answer.status_code == 200
    assert answer.json()["name"] == "Secret Partner Ltd"
    assert answer.json()["projects"] == []  # the page draws published projects only


def test_an_organisation_no_project_names_has_no_page(client, cast, register):
    PartnerOrganisation.objects.create(slug="left-over", name="Left Over", kind="business")
    client.force_login(cast["member"])
    assert client.get("/projects/organisations/left-over/").status_code == 404


def test_other_editors_are_not_offered_a_drafts_new_partner(client, cast, draft_partner):
    client.force_login(cast["other"])
    form = client.get("/projects/new").content.decode()
    assert 'value="open-university"' in form and "secret-partner-ltd" not in form
    answer = client.post("/projects/new", {
        "owner": "bletchley-action", "title": "Their trial", "status": "pilot",
        **formset("partners", {"organisation": "secret-partner-ltd", "role": "partner"}),
        **formset("funding", {"funder": "secret-partner-ltd", "programme": "Grant"})})
    assert answer.status_code == 400
    assert answer.context["partners"].forms[0].errors["organisation"] == [
        "That is not an organisation in the register"]
    assert answer.context["funding"].forms[0].errors["funder"] == [
        "That is not an organisation in the register"]
    assert not Partnership.objects.filter(project__title="Their trial").exists()
    client.force_login(cast["officer"])
    form = client.get("/projects/new").content.decode()
    assert 'value="secret-partner-ltd"' in form  # their own draft's partner


def test_a_name_only_a_draft_holds_does_not_stop_another_organisations_new_partner(
        client, cast, draft_partner):
    client.force_login(cast["other"])
    answer = client.post("/projects/new", {
        "owner": "bletchley-action", "title": "Their trial", "status": "pilot",
        **formset("partners", {"new_name": "Secret Partner Ltd", "new_kind": "business",
                               "role": "partner"}),
        **formset("funding")})
    assert answer.status_code == 302, answer.content.decode()[:3000]
    theirs = Partnership.objects.get(project__title="Their trial").organisation
    assert theirs != draft_partner and theirs.name == "Secret Partner Ltd"
    assert list(draft_partner.partnerships.values_list("project__slug", flat=True)) == [
        "secret-trial"]


def formset(prefix: str, *items: dict) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(items)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, item in enumerate(items):
        data.update({f"{prefix}-{i}-{k}": v for k, v in item.items()})
    return data


@pytest.mark.parametrize("who", ["anonymous", "other"])
def test_the_partner_filter_knows_a_drafts_new_partner_no_better_than_an_unknown_one(
        client, cast, draft_partner, who):
    as_(client, cast, who)
    secret = client.get("/projects/projects.json", {"partner": "secret-partner-ltd"})
    unknown = client.get("/projects/projects.json", {"partner": "secret-partner-ltc"})
    assert secret.status_code == unknown.status_code == 400
    assert (secret.json()["detail"].replace("secret-partner-ltd", "X")
            == unknown.json()["detail"].replace("secret-partner-ltc", "X"))
    assert client.get("/projects/", {"partner": "secret-partner-ltd"}).status_code == 400


def test_the_draft_organisations_members_filter_by_its_new_partner(client, cast,
                                                                   draft_partner):
    client.force_login(cast["member"])
    answer = client.get("/projects/projects.json", {"partner": "secret-partner-ltd"})
    assert [p["id"] for p in answer.json()["projects"]] == ["secret-trial"]


def test_an_import_names_a_drafts_ids_only_as_taken(client, cast, draft_partner):
    document = {"organisations": [{"id": "secret-partner-ltd", "name": "Guess",
                                   "kind": "business"}],
                "projects": [{"id": "secret-trial", "title": "Guess"},
                             {"id": "parking-sensors", "title": "Guess"}]}
    report = import_register(document, owner=cast["group"])
    assert [str(p) for p in report.problems] == [
        'projects[1] "secret-trial" id: this id is taken: choose another id',
        'projects[2] "parking-sensors" id: already on the hub, kept by Milton Keynes City '
        "Council: only its editors may change it",
        'organisations[1] "secret-partner-ltd" id: this id is taken: choose another id']
    client.force_login(cast["other"])
    page = client.post("/projects/import", {
        "organisation": "bletchley-action",
        "file": SimpleUploadedFile("register.json", json.dumps(document).encode())})
    assert page.status_code == 400
    text = page.content.decode()
    assert text.count("this id is taken") == 2 and "Secret" not in text


def test_a_draft_is_not_followed_to_its_page(client, register):
    assert client.get("/follows/project/secret-trial/").status_code == 404
    assert client.get("/follows/project/no-such-trial/").status_code == 404
    answer = client.get("/follows/project/parking-sensors/")
    assert answer.status_code == 302 and answer["Location"] == "/projects/parking-sensors/"


# ---------------------------------------------------------------- links: the owner's own

def test_a_project_links_only_its_organisations_own_consultations_and_requests(
        client, register, cast, council):
    today = datetime.date.today()
    theirs = Consultation.objects.create(
        organisation=cast["group"], title="Bletchley buses: tell us", text="t", easy_read="e",
        opens=today, closes=today + datetime.timedelta(days=5))
    asked_of_them = DataRequest.objects.create(title="Bus counts", description="d",
                                               organisation=cast["group"],
                                               requester=cast["resident"])
    on_our_behalf = DataRequest.objects.create(title="Bus counts for the council",
                                               description="d", organisation=cast["group"],
                                               group=council, requester=cast["officer"])
    client.force_login(cast["officer"])
    first = Event.objects.aggregate(newest=Max("pk"))["newest"] or 0
    for kind, thing, words in (
            ("consultation", theirs, "only Milton Keynes City Council's own consultations"),
            ("request", asked_of_them, "neither asked of Milton Keynes City Council nor made "
                                       "on its behalf")):
        answer = client.post("/projects/energy-homes/links", {"kind": kind, "key": thing.pk})
        assert answer.status_code == 400
        (error,) = answer.context["link_form"].errors["key"]
        assert words in error and str(thing.pk) in error
    assert not register.energy.consultations.exists()
    assert not register.energy.data_requests.exists()
    assert not Event.objects.filter(pk__gt=first).exists()  # followers hear of nothing
    answer = client.post("/projects/energy-homes/links",
                         {"kind": "request", "key": on_our_behalf.pk})
    assert answer.status_code == 302
    assert list(register.energy.data_requests.all()) == [on_our_behalf]
