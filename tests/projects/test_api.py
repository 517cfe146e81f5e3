"""/api/projects: the list with the page's filters and one project, as the pages say them;
bad filters answered 400 naming the parameter; drafts only for their organisation."""

from __future__ import annotations

import pytest

from commonground.api import api

from .register_rows import cast_fixture, places_fixture, register_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_the_api_lists_what_the_page_lists_with_the_same_filters(client, register, places):
    for params in ({}, {"theme": "mobility"}, {"status": ["ended", "pilot"]},
                   {"partner": "open-university"}, {"q": "food bank"},
                   {"place": places.lsoa.code}, {"from": "2018", "to": "2020"}):
        api_ids = [p["id"] for p in client.get("/api/projects/", params).json()["projects"]]
        page_ids = [p["id"] for p in
                    client.get("/projects/projects.json", params).json()["projects"]]
        assert api_ids == page_ids, params
    found = client.get("/api/projects/", {"theme": "mobility", "limit": 1, "offset": 1}).json()
    assert found["total"] == 2 and [p["id"] for p in found["projects"]] == ["parking-sensors"]


def test_one_project_is_its_page_as_data(client, register):
    answer = client.get("/api/projects/parking-sensors")
    assert answer.status_code == 200
    assert answer.json() == client.get("/projects/parking-sensors/project.json").json()


@pytest.mark.parametrize(("params", "parameter", "words"), [
    ({"status": "finished"}, "status", "“finished” is not one of"),
    ({"place": "Atlantis"}, "place", "“Atlantis” is not a place"),
    ({"partner": "acme-ltd"}, "partner", "is not an organisation in the register"),
    ({"from": "2019", "to": "2015"}, "to", "2015 is before 2019"),
])
def test_a_filter_that_cannot_be_used_answers_400_naming_it(client, register, params,
                                                             parameter, words):
    answer = client.get("/api/projects/", params)
    assert answer.status_code == 400
    assert words in answer.json()["detail"]
    assert answer.json()["detail"].endswith(f"(parameter: {parameter})")


def test_a_year_out_of_range_does_not_fit_the_document(client, register):
    answer = client.get("/api/projects/", {"from": "20x6"})
    assert answer.status_code == 422 and "from (query)" in answer.json()["detail"]


def test_a_draft_is_not_found_outside_its_organisation(client, register, cast):
    assert client.get("/api/projects/secret-trial").status_code == 404
    client.force_login(cast["other"])
    assert client.get("/api/projects/secret-trial").status_code == 404
    client.force_login(cast["member"])
    assert client.get("/api/projects/secret-trial").json()["state"] == "draft"


def test_the_document_declares_the_projects_operations_and_their_errors():
    paths = api.get_openapi_schema()["paths"]
    assert set(paths["/api/projects/"]["get"]["responses"]) >= {200, 400, 422, 503}
    assert set(paths["/api/projects/{slug}"]["get"]["responses"]) >= {200, 404, 422}
    names = {p["name"] for p in paths["/api/projects/"]["get"]["parameters"]}
    assert {"q", "theme", "technology", "status", "partner", "place", "from", "to"} <= names
