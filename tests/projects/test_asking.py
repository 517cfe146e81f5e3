"""Asking for a project's data: the project page's link fills in the request (its
organisation, "Data from <project>"), and the page lists the requests linked to it or asked
of its organisation naming it. An organisation's projects and roles as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from commonground.community.models import DataRequest
from commonground.projects.models import PartnerOrganisation, Partnership, Project

from .register_rows import cast_fixture, places_fixture, register_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_a_resident_asks_for_a_projects_data_from_its_page_and_the_page_lists_it(
        client, register, cast, council):
    client.force_login(cast["resident"])
    record = client.get("/projects/parking-sensors/project.json").json()
    form = client.get(record["ask_for_data"])
    assert form.context["values"]["title"] == "Data from Parking bay sensors"
    assert form.context["values"]["organisation"] == "mk-council"
    answer = client.post("/requests/new", {**form.context["values"],
                                           "organisation": council.pk,
                                           "description": "Bay occupancy by hour, please."})
    assert answer.status_code == 302
    made = DataRequest.objects.get()
    assert (made.title, made.organisation) == ("Data from Parking bay sensors", council)
    listed = client.get("/projects/parking-sensors/project.json").json()["data_requests"]
    assert [(r["id"], r["linked"]) for r in listed] == [(made.pk, False)]
    page = client.get("/projects/parking-sensors/").content.decode()
    assert f'href="{made.get_absolute_url()}"' in page and "it names this project" in page


def test_only_requests_linked_or_asked_of_its_organisation_naming_it_are_listed(
        client, register, cast, council):
    def ask(title, organisation, description="d"):
        return DataRequest.objects.create(title=title, description=description,
                                          organisation=organisation,
                                          requester=cast["resident"])

    in_text = ask("Occupancy by hour", council, "As the parking bay sensors measure it")
    elsewhere = ask("Data from Parking bay sensors", cast["group"])  # not asked of the council
    unrelated = ask("Bin collection days", council)
    linked = ask("Bus counts", cast["group"])
    register.sensors.data_requests.add(linked)
    listed = client.get("/projects/parking-sensors/project.json").json()["data_requests"]
    assert sorted((r["id"], r["linked"]) for r in listed) == sorted(
        [(in_text.pk, False), (linked.pk, True)])
    assert elsewhere.pk not in {r["id"] for r in listed}
    assert unrelated.pk not in {r["id"] for r in listed}


# ---------------------------------------------------------------- an organisation's CSV

def csv_rows(client, slug: str) -> list[dict]:
    answer = client.get(f"/projects/organisations/{slug}.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(answer.content.decode())))


def test_an_organisations_csv_lists_its_published_projects_with_each_role(client, register):
    Project.objects.filter(pk=register.hub.pk).update(title="=HYPERLINK(1)")
    for organisation in (register.council_partner, register.university, register.funder):
        published = {(s.project.slug, s.role) for s in organisation.partnerships.filter(
            project__state="published").select_related("project")}
        published |= {(f.project.slug, "funder") for f in organisation.funding_given.filter(
            project__state="published").select_related("project")}
        rows = csv_rows(client, organisation.slug)
        assert {(r["project"], r["role"]) for r in rows} == published, organisation.slug
        assert len(rows) == len(published)
        assert {r["organisation"] for r in rows} == {organisation.slug}
    council_rows = {r["project"]: r for r in csv_rows(client, "milton-keynes-council")}
    assert "secret-trial" not in council_rows  # the council's draft
    assert council_rows["data-hub"]["project_title"] == "'=HYPERLINK(1)"
    assert council_rows["parking-sensors"]["start_year"] == "2016"
    assert council_rows["parking-sensors"]["project_url"].endswith("/projects/parking-sensors/")
    page = client.get("/projects/organisations/open-university/").content.decode()
    assert 'href="/projects/organisations/open-university.csv"' in page


def test_an_organisation_only_a_draft_names_has_no_csv(client, register):
    hidden = PartnerOrganisation.objects.create(slug="robot-maker", name="Robot Maker",
                                                kind="startup")
    Partnership.objects.create(project=register.secret, organisation=hidden, role="supplier")
    assert client.get("/projects/organisations/robot-maker.csv").status_code == 404
