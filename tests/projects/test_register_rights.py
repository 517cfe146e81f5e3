"""Whose the register's entries are: an import changes only the partner organisations that
are its owner's to change, and a draft's new partner organisation stays as hidden as the
draft (pages, forms, the list's partner filter, the import's messages, the follow link)."""

from __future__ import annotations

import copy

import pytest

from commonground.accounts.models import Organisation
from commonground.projects.importing import import_register
from commonground.projects.models import PartnerOrganisation

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
