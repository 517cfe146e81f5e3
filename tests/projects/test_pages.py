"""Browsing the register: /projects/ with its words, filters, facets and period, the same
list as JSON and CSV, and a project's page with everything the issue lists."""

from __future__ import annotations

import csv
import io

import pytest

from commonground.activity import readability
from commonground.projects.models import Project

from .register_rows import HIDDEN_DATASET_WORDS, cast_fixture, places_fixture, register_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def ids(client, **params) -> list[str]:
    answer = client.get("/projects/projects.json", params)
    assert answer.status_code == 200, answer.content
    return [p["id"] for p in answer.json()["projects"]]


def test_the_list_shows_published_projects_by_title(client, register):
    page = client.get("/projects/").content.decode()
    assert ids(client) == ["data-hub", "bus-trial", "energy-homes", "parking-sensors"]
    for project in (register.sensors, register.energy, register.hub, register.bus):
        assert project.title in page
        assert project.get_absolute_url() in page
    assert "4 projects" in page


def test_the_list_is_in_the_site_navigation_and_its_lead_is_plain(client, register):
    page = client.get("/").content.decode()
    assert '<a href="/projects/">Smart-city projects</a>' in page
    lead = client.get("/projects/").content.decode().split('class="lead">', 1)[1]
    lead = lead.split("</p>", 1)[0]
    assert readability.measure(lead).reading_age <= readability.EASY_READ_AGE, lead


def test_words_are_found_in_titles_summaries_and_partner_names(client, register):
    assert ids(client, q="bay sensors") == ["parking-sensors"]  # title
    assert ids(client, q="electricity") == ["energy-homes"]  # summary
    assert ids(client, q="food bank") == ["bus-trial", "energy-homes"]  # a partner's name
    assert ids(client, q="open university sensors") == ["parking-sensors"]  # every word
    assert ids(client, q="nowhere-at-all") == []


def test_facets_filter_and_count_the_matching_projects(client, register):
    assert ids(client, theme="mobility") == ["bus-trial", "parking-sensors"]
    assert ids(client, theme=["mobility", "energy"]) == ["bus-trial", "energy-homes",
                                                         "parking-sensors"]  # OR within
    assert ids(client, theme="mobility", technology="sensors") == ["parking-sensors"]  # AND
    assert ids(client, status="ended") == ["data-hub", "energy-homes"]
    assert ids(client, partner="open-university") == ["energy-homes", "parking-sensors"]
    facets = client.get("/projects/projects.json", {"theme": "mobility"}).json()["facets"]
    assert {f["name"]: f["count"] for f in facets["technology"]} == {"app": 2, "sensors": 1}
    assert {f["name"]: f["count"] for f in facets["status"]} == {"live": 1, "pilot": 1}
    partners = {f["name"]: (f["display_name"], f["count"]) for f in facets["partner"]}
    assert partners["food-bank-mk"] == ("MK Food Bank", 1)


def test_a_facet_link_adds_its_value_and_a_chosen_one_removes_it(client, register):
    page = client.get("/projects/", {"theme": "mobility"}).content.decode()
    assert 'href="?theme=mobility&amp;technology=sensors"' in page
    assert 'href="?" aria-current="true"' in page  # mobility, chosen: the link clears it


def test_a_place_holds_the_projects_reaching_inside_it_and_the_city_wide_ones(
        client, register, places):
    # the ward: its own project, and the point in a neighbourhood inside it; the hub is
    # city-wide; the bus trial is in another ward
    found = client.get("/projects/projects.json", {"place": places.ward.name}).json()
    assert [p["id"] for p in found["projects"]] == ["data-hub", "energy-homes",
                                                    "parking-sensors"]
    assert found["place"]["code"] == places.ward.code
    assert [p["city_wide"] for p in found["projects"]] == [True, False, False]
    # the neighbourhood, by code: the point in it, and the ward's project holding it
    assert ids(client, place=places.lsoa.code) == ["data-hub", "energy-homes",
                                                   "parking-sensors"]
    assert ids(client, place=places.other_ward.code) == ["data-hub", "bus-trial"]
    # a ward sharing only an edge with the first: the ward's own project is not there
    assert "energy-homes" not in ids(client, place=places.neighbour.code)
    page = client.get("/projects/", {"place": places.ward.code}).content.decode()
    assert "City-wide" in page and "City-wide projects are in every place" in page


def test_the_place_filter_agrees_with_the_place_pages_projects(client, register, loaded):
    from commonground.projects.footprint_lens import projects_touching

    for area in loaded.by_geography["ward"][:6]:
        touching, wide = projects_touching("ward", area.code)
        found = client.get("/projects/projects.json", {"place": area.code}).json()["projects"]
        assert sorted(p["id"] for p in found) == sorted(p.slug for p in touching + wide)


def test_a_place_the_city_does_not_have_is_named_as_the_error(client, register):
    answer = client.get("/projects/", {"place": "Atlantis"})
    assert answer.status_code == 400
    assert "“Atlantis” is not a place" in answer.content.decode()
    answer = client.get("/projects/projects.json", {"place": "Atlantis"})
    assert answer.status_code == 400 and answer.json()["field"] == "place"


def test_a_period_keeps_projects_that_ran_in_it_and_says_who_has_no_start(client, register):
    # sensors live 2016-03 to now; energy 2014-2017; hub 2014 to 2019-06; bus: no dates
    assert ids(client, **{"from": "2018"}) == ["data-hub", "parking-sensors"]
    assert ids(client, to="2015") == ["data-hub", "energy-homes"]
    assert ids(client, **{"from": "2020", "to": "2021"}) == ["parking-sensors"]
    assert ids(client, **{"from": "2016", "to": "2016"}) == ["data-hub", "energy-homes",
                                                             "parking-sensors"]
    assert "bus-trial" in ids(client)  # no period: every project, dated or not
    data = client.get("/projects/projects.json", {"from": "2016"}).json()
    assert data["undated_left_out"] == 1
    page = client.get("/projects/", {"from": "2016"}).content.decode()
    assert "1 project with no known start is left out: it cannot be placed in a period." in page
    assert "left out" not in client.get("/projects/").content.decode().split("</form>")[1]
    assert client.get("/api/projects/", {"from": "2016"}).json()["undated_left_out"] == 1


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"from": "20x6"}, "from", "is not a year"),
    ({"to": "1066"}, "to", "give a year from 1900"),
    ({"from": "2019", "to": "2015"}, "to", "2015 is before 2019"),
    ({"status": "finished"}, "status", "“finished” is not one of"),
    ({"partner": "acme-ltd"}, "partner", "“acme-ltd” is not an organisation"),
    ({"sort": "cost"}, "sort", "“cost” is not one of"),
])
def test_a_filter_that_cannot_be_used_is_named_everywhere(client, register, params, field,
                                                          words):
    page = client.get("/projects/", params)
    assert page.status_code == 400 and words in page.content.decode()
    assert "No projects listed" in page.content.decode()
    answer = client.get("/projects/projects.json", params)
    assert answer.status_code == 400
    assert answer.json()["field"] == field and words in answer.json()["detail"]
    answer = client.get("/projects/projects.csv", params)
    assert answer.status_code == 400 and words in answer.content.decode()


def test_the_csv_is_the_same_list_with_formulas_neutralised(client, register):
    register.bus.title = "=HYPERLINK(\"http://evil.example\")"
    register.bus.save()
    answer = client.get("/projects/projects.csv", {"theme": "mobility"})
    assert answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
    assert [r["id"] for r in rows] == ids(client, theme="mobility")
    bus = next(r for r in rows if r["id"] == "bus-trial")
    assert bus["title"].startswith("'=HYPERLINK")
    sensors = next(r for r in rows if r["id"] == "parking-sensors")
    assert sensors["partners"] == ("Innovate UK (funder); Milton Keynes Council (lead); "
                                   "The Open University (partner)")
    assert sensors["themes"] == "mobility; data" and sensors["city_wide"] == "no"


def test_sorting_by_start_puts_unknown_starts_last(client, register):
    assert ids(client, sort="-start") == ["parking-sensors", "data-hub", "energy-homes",
                                          "bus-trial"]
    assert ids(client, sort="start") == ["data-hub", "energy-homes", "parking-sensors",
                                         "bus-trial"]


def test_the_project_page_says_everything_the_register_knows(client, register, places):
    page = client.get("/projects/parking-sensors/").content.decode()
    for words in ("Parking bay sensors", "Sensors in car park bays report free spaces",
                  "Live", "2016-03", "Head of Transport Innovation",
                  "Drivers using the central car parks",
                  "These facts are uncertain:", "end: the last news of the sensors is from 2019",
                  "Lead", "Milton Keynes Council", "Funder", "Innovate UK", "Partner",
                  "The Open University", "Smart cities fund", "£400,000",
                  "Bay occupancy every minute", "Car park B4", 'href="https://example.org/parking"',
                  "https://example.org/news/parking-sensors",
                  "Ask Milton Keynes City Council for this project's data",
                  'href="/requests/new?organisation=mk-council&amp;title=Data+from+Parking+bay'
                  '+sensors"', "Sensors", "App"):
        assert words in page, words
    assert 'href="/datasets/car-park-occupancy/"' in page
    assert page.index(">Lead<") < page.index(">Partner<") < page.index(">Funder<")
    energy = client.get("/projects/energy-homes/").content.decode()
    assert f'href="/places/ward/{places.ward.code}/"' in energy  # its area, linked
    assert "Community partner" in energy and "MK Food Bank" in energy
    hub = client.get("/projects/data-hub/").content.decode()
    assert "It works across the whole city" in hub


def test_the_page_lists_its_consultations_and_requests(client, register, council, cast):
    import datetime

    from commonground.community.models import DataRequest
    from commonground.consultations.models import Consultation

    today = datetime.date.today()
    consultation = Consultation.objects.create(
        organisation=council, title="Where should sensors go next?", text="t", easy_read="e",
        opens=today, closes=today + datetime.timedelta(days=9))
    asked = DataRequest.objects.create(title="Publish the bay sensor data", description="d",
                                       organisation=council, requester=cast["resident"])
    register.sensors.consultations.add(consultation)
    register.sensors.data_requests.add(asked)
    page = client.get("/projects/parking-sensors/").content.decode()
    assert f'href="{consultation.get_absolute_url()}"' in page
    assert f'href="{asked.get_absolute_url()}"' in page
    record = client.get("/projects/parking-sensors/project.json").json()
    assert [c["title"] for c in record["consultations"]] == [consultation.title]
    assert [r["title"] for r in record["data_requests"]] == [asked.title]


def test_a_published_project_can_be_followed_and_a_draft_cannot(client, register, cast):
    client.force_login(cast["member"])
    page = client.get("/projects/parking-sensors/").content.decode()
    assert 'name="kind" value="project"' in page and 'value="parking-sensors"' in page
    draft = client.get("/projects/secret-trial/").content.decode()
    assert 'name="kind" value="project"' not in draft
    assert "Draft: only Milton Keynes City Council's members can see it" in draft


def test_the_project_json_is_the_page_as_data(client, register):
    record = client.get("/projects/parking-sensors/project.json").json()
    assert record["id"] == "parking-sensors" and record["status"] == "live"
    assert record["start"] == "2016-03" and record["end"] == ""
    assert [g["role"] for g in record["partners_by_role"]] == ["lead", "partner", "funder"]
    assert record["funding"] == [{"funder": {
        "id": "innovate-uk", "name": "Innovate UK", "kind": "funder", "kind_label": "Funder",
        "url": "/projects/organisations/innovate-uk/"}, "programme": "Smart cities fund",
        "amount_gbp": 400000, "source": "https://example.org/grant"}]
    assert [d["name"] for d in record["datasets"]] == ["car-park-occupancy"]
    assert record["uncertain"] == ["end: the last news of the sensors is from 2019"]
    shown = [d["dataset"]["name"] if d["dataset"] else None for d in record["data_collected"]]
    assert shown == ["car-park-occupancy", None, None, None]
    for words in HIDDEN_DATASET_WORDS:
        assert words not in str(record)


def test_sections_other_parts_register_appear_on_the_project_page(client, register,
                                                                 monkeypatch):
    from commonground.activity import sections

    seen = {}

    def context(request, project):
        seen["project"] = project.slug
        return {"consultations": [project]}

    monkeypatch.setattr(sections, "_SECTIONS", dict(sections._SECTIONS))
    sections.register("project", order=99, template="consultations/_group_consultations.html",
                      context=context)
    page = client.get("/projects/energy-homes/").content.decode()
    assert seen == {"project": "energy-homes"}
    assert 'id="consultations-h"' in page  # the section, rendered with its own dictionary
    assert page.count('href="/projects/energy-homes/"') == 1


def test_a_project_id_that_does_not_exist_is_not_found(client, register):
    assert client.get("/projects/no-such-project/").status_code == 404
    assert client.get("/projects/no-such-project/project.json").status_code == 404
    assert Project.objects.filter(slug="no-such-project").count() == 0
