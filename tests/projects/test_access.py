"""Who sees what: a draft project only its organisation's members; a private, draft or
records-about-people dataset linked to a project never named, to anyone, on any page, list,
download or API answer; edits only by the organisation's editors (and staff)."""

from __future__ import annotations

import pytest

from commonground.projects import access

from .register_rows import (  # noqa: F401 (fixtures)
    HIDDEN_DATASET_WORDS,
    SECRET_WORDS,
    cast_fixture,
    places_fixture,
    register_fixture,
)

pytestmark = pytest.mark.django_db

#: Every address that lists projects or shows one (the draft's own page among them).
LISTS = ["/projects/", "/projects/?q=trial", "/projects/?theme=mobility",
         "/projects/?status=pilot", "/projects/?partner=milton-keynes-council",
         "/projects/projects.json", "/projects/projects.json?q=robot",
         "/projects/projects.csv", "/projects/projects.csv?technology=robots",
         "/api/projects/", "/api/projects/?q=secret", "/api/projects/?status=pilot"]
PROJECT_PAGES = ["/projects/parking-sensors/", "/projects/parking-sensors/project.json",
                 "/api/projects/parking-sensors"]
DRAFT_PAGES = ["/projects/secret-trial/", "/projects/secret-trial/project.json",
               "/api/projects/secret-trial", "/projects/secret-trial/edit"]


def _login(client, cast, who):
    if who:
        client.force_login(cast[who])


@pytest.mark.parametrize("who", [None, "resident", "other"])
def test_a_draft_is_never_shown_outside_its_organisation(client, register, cast, places, who):
    _login(client, cast, who)
    for address in LISTS + [f"/projects/?place={places.ward.code}",
                            f"/api/projects/?place={places.ward.code}"]:
        answer = client.get(address)
        assert answer.status_code == 200, address
        for words in SECRET_WORDS:
            assert words not in answer.content.decode(), (address, words)
    for address in DRAFT_PAGES[:3]:
        assert client.get(address).status_code == 404, address


@pytest.mark.parametrize("who", ["member", "officer", "staff"])
def test_the_organisations_members_see_its_draft_marked_as_one(client, register, cast, who):
    _login(client, cast, who)
    page = client.get("/projects/?theme=mobility").content.decode()
    assert "Secret robot trial" in page and '<span class="tag">Draft</span>' in page
    assert client.get("/projects/secret-trial/").status_code == 200
    found = client.get("/api/projects/", {"q": "robot"}).json()
    assert [(p["id"], p["state"]) for p in found["projects"]] == [("secret-trial", "draft")]


@pytest.mark.parametrize("who", [None, "resident", "other", "member", "officer"])
def test_a_hidden_dataset_linked_to_a_project_is_never_named(client, register, cast, who):
    """Private, draft and records-about-people datasets stay off the project's page, JSON
    and API answer for everyone, the council's own members included (the page is public,
    and it says one thing to all)."""
    _login(client, cast, who)
    for address in PROJECT_PAGES + LISTS:
        text = client.get(address).content.decode()
        for words in HIDDEN_DATASET_WORDS:
            assert words not in text, (address, words)
    page = client.get("/projects/parking-sensors/").content.decode()
    assert "Car park occupancy" in page  # the public one is shown
    assert "Raw sensor readings" in page  # what the project collects, without the dataset


def test_the_rules_for_changing_a_project(register, cast):
    project = register.sensors
    assert [who for who in ("resident", "member", "officer", "admin", "other", "staff")
            if access.can_edit(cast[who], project)] == ["officer", "admin", "staff"]
    assert [who for who in ("resident", "member", "officer", "other")
            if access.can_create(cast[who])] == ["officer", "other"]
    assert list(access.owning_organisations(cast["other"])) == [cast["group"]]


def test_only_datasets_whose_rows_are_public_can_be_linked(register, cast):
    names = set(access.linkable_datasets(cast["officer"]).values_list("name", flat=True))
    assert "car-park-occupancy" in names
    assert names.isdisjoint({"sensor-raw-feed", "driver-survey-answers", "draft-bay-counts"})
