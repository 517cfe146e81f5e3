"""The register's pages on the real register (imported through the manifest): every project
listed, findable and shown, the filters agreeing with what the file says."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from commonground.projects.dates import day_range

pytestmark = pytest.mark.django_db


def listed(client, **params) -> list[str]:
    answer = client.get("/projects/projects.json", params)
    assert answer.status_code == 200, answer.content
    return sorted(p["id"] for p in answer.json()["projects"])


def test_every_project_in_the_file_is_listed_with_its_status(client, real_register):
    projects = real_register.document["projects"]
    found = client.get("/projects/projects.json").json()
    assert found["total"] == len(projects)
    assert {f["name"]: f["count"] for f in found["facets"]["status"]} == dict(
        Counter(p["status"] for p in projects))


def test_a_partner_filter_lists_the_projects_the_file_names_it_in(client, real_register):
    projects = real_register.document["projects"]
    partners = Counter(s["organisation"] for p in projects for s in p["partners"])
    busiest = partners.most_common(1)[0][0]
    assert listed(client, partner=busiest) == sorted(
        p["id"] for p in projects if any(s["organisation"] == busiest for s in p["partners"]))


def _ran_in(p: dict, first: int, last: int) -> bool:
    """The period rule (periods.py) read straight off the file: known dates overlap; no end
    is the start year only, or to today when live; no start, in no period."""
    start, end = day_range(p["start"] or ""), day_range(p["end"] or "")
    if start is None:
        return False
    if end is not None:
        last_year = end[1].year
    else:
        last_year = datetime.date.today().year if p["status"] == "live" else start[0].year
    return last_year >= first and start[0].year <= last


@pytest.mark.parametrize(("first", "last"), [(2019, 2020), (2014, 2014), (2020, 2020),
                                             (2023, 2025)])
def test_a_period_lists_the_projects_that_ran_in_it(client, real_register, first, last):
    projects = real_register.document["projects"]
    assert listed(client, **{"from": str(first), "to": str(last)}) == sorted(
        p["id"] for p in projects if _ran_in(p, first, last))


def test_an_ended_project_with_no_end_is_placed_in_its_start_year_only(client, real_register):
    (pilot,) = [p for p in real_register.document["projects"]
                if p["id"] == "mk-smart-parking-sensor-pilot"]
    assert (pilot["status"], pilot["start"], pilot["end"]) == ("ended", "2014", None)
    assert pilot["id"] in listed(client, **{"from": "2014", "to": "2014"})
    assert pilot["id"] not in listed(client, **{"from": "2015"})
    assert pilot["id"] not in listed(client, **{"from": "2023", "to": "2025"})


@pytest.mark.parametrize(("first", "last"), [("2010", "2012"), ("2014", ""), ("2015", "2015"),
                                             ("2020", "2020"), ("", "2016"), ("2023", "2025")])
def test_the_list_and_the_network_place_the_same_projects_in_a_period(client, real_register,
                                                                      first, last):
    period = {k: v for k, v in (("from", first), ("to", last)) if v}
    listing = client.get("/projects/projects.json", period).json()
    net = client.get("/projects/network.json", period).json()
    assert sorted(p["id"] for p in listing["projects"]) == sorted(p["id"] for p in net["projects"])
    undated = sum(not p["start"] for p in real_register.document["projects"])
    assert undated and listing["undated_left_out"] == net["undated_left_out"] == undated
    sentence = f"{undated} project{'s' if undated > 1 else ''} with no known start"
    for url in ("/projects/", "/projects/network/"):
        assert sentence in client.get(url, period).content.decode(), url


def test_central_milton_keynes_holds_the_projects_placed_there(client, real_register):
    projects = real_register.document["projects"]
    there = listed(client, place="Central Milton Keynes")
    placed = [p["id"] for p in projects
              if any("Central Milton Keynes" in (place["areas"] or []) for place in p["places"])]
    assert placed and set(placed) <= set(there)


def test_every_project_page_shows_its_title_and_what_is_uncertain(client, real_register):
    for project in real_register.document["projects"]:
        answer = client.get(f"/projects/{project['id']}/")
        assert answer.status_code == 200, project["id"]
        page = answer.content.decode()
        record = client.get(f"/projects/{project['id']}/project.json").json()
        assert record["title"] == project["title"]
        assert record["uncertain"] == (project["uncertain"] or [])
        if project["uncertain"]:
            assert "These facts are uncertain:" in page
