"""The register's pages on the real register (imported through the manifest): every project
listed, findable and shown, the filters agreeing with what the file says."""

from __future__ import annotations

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


def test_a_period_lists_the_projects_whose_dates_overlap_it(client, real_register):
    def overlaps(p, first: int, last: int) -> bool:
        start, end = day_range(p["start"] or ""), day_range(p["end"] or "")
        return ((end is None or end[1].year >= first)
                and (start is None or start[0].year <= last))

    projects = real_register.document["projects"]
    assert listed(client, **{"from": "2019", "to": "2020"}) == sorted(
        p["id"] for p in projects if overlaps(p, 2019, 2020))


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
