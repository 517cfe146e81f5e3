"""Who a project reaches, on the real city: the footprint lens on the project page, as JSON
and CSV, on place pages; a footprint of one neighbourhood has that neighbourhood's own
Census shares and the city's own boundary the city's; city-wide projects and projects with
no footprint say so; a burst of first requests builds a footprint's lens once."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import shapely
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from commonground.catalogue.services.lens import census_tables, lens_city
from commonground.lens import footprint as lens_footprint
from commonground.projects.footprint_lens import project_lens
from commonground.projects.models import Project, ProjectPlace

from .footprint_rows import client_for, draft, people, published  # noqa: F401

# ruff: noqa: F811 (the fixtures people, published and draft come from footprint_rows)

AREA = 20  # the neighbourhood (position among the base areas) the one-area footprints use


def area_part(project: Project, code: str) -> ProjectPlace:
    return ProjectPlace.objects.create(project=project, kind="area", area_code=code)


def point_part(project: Project, point) -> ProjectPlace:
    return ProjectPlace.objects.create(project=project, kind="point", description="A point",
                                       geometry=shapely.to_wkb(point))


def lens_json(project: Project, client=None, query: str = ""):
    return (client or Client()).get(f"/projects/{project.slug}/lens.json{query}")


def test_a_footprint_of_one_neighbourhood_has_its_own_census_shares(published, loaded):
    area = loaded.base_areas[AREA]
    area_part(published, area.code)
    result = project_lens(published)
    city = lens_city(loaded)
    assert result["reach"]["neighbourhoods"] == 1
    assert result["reach"]["areas"][0]["code"] == area.code
    assert result["reach"]["residents"] == round(city.population[AREA], -1)
    own = result["groups"][:len(city.groups)]
    assert [t["key"] for t in own] == [t.key for t in city.groups]
    for shown, table in zip(own, city.groups, strict=True):
        for j, row in enumerate(shown["rows"]):
            if row["suppressed"]:
                assert row["share"] is None and row["count_shown"].startswith("fewer than 10")
            else:
                assert row["share"] == pytest.approx(table.counts[AREA, j] / table.totals[AREA],
                                                     abs=1e-4)
    # sexual orientation, published by MSOA only: the MSOA's own shares, shared out
    msoa = loaded.parents("msoa21")[AREA]
    orientation = next(t for t in census_tables(loaded, "msoa21")
                       if t.key == "census21-sexual-orientation")
    shown = next(t for t in result["groups"] if t["key"] == orientation.key)
    assert shown["apportioned"] and shown["geography"] == "msoa21"
    for j, row in enumerate(shown["rows"]):
        if not row["suppressed"]:
            assert row["share"] == pytest.approx(
                orientation.counts[msoa, j] / orientation.totals[msoa], abs=1e-4)
    words = " ".join(result["words"])
    assert "The footprint lies in one neighbourhood" in words
    assert "Sexual orientation is published only for the city's 35 MSOAs" in words


def test_the_citys_own_boundary_has_the_citys_shares(published, loaded):
    area_part(published, loaded.by_geography["lad"][0].code)
    result = project_lens(published)
    assert result["reach"]["neighbourhoods"] == len(loaded.base_areas)
    assert result["reach"]["share_of_city"] == pytest.approx(1, abs=1e-3)
    for table in result["groups"]:
        for row in table["rows"]:
            if row["share"] is not None:
                assert row["share"] == pytest.approx(row["city_share"], abs=5e-4), row
    for row in result["deprivation"]["rows"]:
        assert row["share"] == pytest.approx(row["city_share"], abs=5e-4)


def test_the_section_on_the_project_page(published, people, loaded):
    area_part(published, loaded.base_areas[AREA].code)
    point_part(published, shapely.point_on_surface(loaded.geometries(loaded.base)[AREA + 5]))
    page = Client().get(f"/projects/{published.slug}/").content.decode()
    assert '<h2 id="reach-h">Who it reaches</h2>' in page
    result = project_lens(published)
    assert result["words"][0] in page.replace("&#x27;", "'")
    assert 'id="footprintmap"' in page and "Residents reached" in page
    for table in result["groups"]:
        assert table["title"] in page
    assert f'href="/projects/{published.slug}/lens.json"' in page
    assert f"/projects/{published.slug}/lens.csv?table=groups" in page
    assert "Change the footprint" not in page  # only for its editors
    officer_page = client_for(people.officer).get(f"/projects/{published.slug}/")
    assert "Change the footprint" in officer_page.content.decode()
    # polygons may also reach the people near their edges, when asked
    near = Client().get(f"/projects/{published.slug}/?near=polygons").content.decode()
    assert "Count only those inside" in near
    wider = project_lens(published, near_polygons=True)
    assert wider["reach"]["residents"] > result["reach"]["residents"]


def test_json_and_csv_say_the_same_with_their_sources(published, loaded):
    area_part(published, loaded.base_areas[AREA].code)
    result = lens_json(published).json()
    city = lens_city(loaded)
    assert result["kind"] == "footprint" and result["project"]["slug"] == published.slug
    sources = result["sources"]
    assert {t["key"] for t in sources["census"]} == (
        {t.key for t in city.groups} | {"census21-sexual-orientation"})
    assert sources["deprivation"]["key"] == city.edition(None).key
    assert sources["load"]["run"] == loaded.run.pk
    assert {n["title"] for n in result["method"]} >= {"The footprint's reach",
                                                       "Residents in the reach"}
    assert result["map"]["svg"].startswith("<svg")

    response = Client().get(f"/projects/{published.slug}/lens.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == sum(len(t["rows"]) for t in result["groups"])
    first = result["groups"][0]["rows"][0]
    assert rows[0]["table"] == result["groups"][0]["title"]
    assert rows[0]["group"] == first["group"] and rows[0]["count_shown"] == first["count_shown"]
    deciles = Client().get(f"/projects/{published.slug}/lens.csv?table=deprivation")
    assert len(list(csv.DictReader(io.StringIO(deciles.content.decode())))) == len(
        result["deprivation"]["rows"])
    unknown = Client().get(f"/projects/{published.slug}/lens.csv?table=nope")
    assert unknown.status_code == 400
    assert unknown.json()["tables"] == ["areas", "deprivation", "groups"]


def test_a_draft_projects_lens_is_not_visible_anonymously(draft, people, loaded):
    area_part(draft, loaded.base_areas[AREA].code)
    for fmt in ("json", "csv"):
        address = f"/projects/{draft.slug}/lens.{fmt}"
        assert Client().get(address).status_code == 404
        assert client_for(people.resident).get(address).status_code == 404
        assert client_for(people.other).get(address).status_code == 404
        assert client_for(people.member).get(address).status_code == 200


def test_a_city_wide_project_says_its_footprint_is_the_city(published, loaded):
    published.city_wide = True
    published.save()
    area_part(published, loaded.base_areas[AREA].code)  # kept, but the lens uses the city
    result = lens_json(published).json()
    assert result["kind"] == "city-wide"
    assert result["words"][0] == ("This project works across the whole city; its footprint "
                                  "is the city.")
    assert "groups" not in result and "reach" not in result
    page = Client().get(f"/projects/{published.slug}/").content.decode().replace("&#x27;", "'")
    assert "This project works across the whole city; its footprint is the city." in page
    response = Client().get(f"/projects/{published.slug}/lens.csv")
    assert response.status_code == 404
    assert "its footprint is the city" in response.json()["error"]


def test_a_project_with_no_footprint_says_so(published, loaded):
    ProjectPlace.objects.create(project=published, kind="words",
                                description="lamp columns at key junctions")
    result = lens_json(published).json()
    assert result["kind"] == "none"
    assert result["words"] == [
        "This project has no footprint yet, so we cannot say who lives where it works.",
        "Its places are described only in words: lamp columns at key junctions."]


def test_the_place_page_lists_published_projects_whose_footprint_reaches_it(
        published, draft, loaded):
    area = loaded.base_areas[AREA]
    area_part(published, area.code)
    area_part(draft, area.code)
    wide = Project.objects.create(slug="data-hub", title="City data hub", owner=published.owner,
                                  state=Project.State.PUBLISHED, city_wide=True)
    page = Client().get(f"/places/{area.geography}/{area.code}/").content.decode()
    assert '<h2 id="projects-h">Smart-city projects here</h2>' in page
    assert f'href="/projects/{published.slug}/"' in page
    assert draft.title not in page
    assert "Working across the whole city, so here too" in page and wide.title in page
    # a neighbourhood the footprint does not reach lists only the city-wide project
    far = next(a for i, a in enumerate(loaded.base_areas)
               if not shapely.intersects(loaded.geometries(loaded.base)[i],
                                         loaded.geometries(loaded.base)[AREA]))
    elsewhere = Client().get(f"/places/{far.geography}/{far.code}/").content.decode()
    assert published.title not in elsewhere and wide.title in elsewhere


def test_concurrent_first_requests_build_a_footprints_lens_once(published, loaded,
                                                               monkeypatch):
    # a footprint no other test uses, so that its lens is not in the load's memo yet
    centre = shapely.point_on_surface(loaded.geometries(loaded.base)[AREA + 11])
    point_part(published, shapely.Point(centre.x + 1.25, centre.y - 0.75))
    builds = []
    real = lens_footprint.footprint_lens
    started = threading.Event()

    def counted(*args, **kwargs):
        builds.append(threading.get_ident())
        started.set()
        threading.Event().wait(0.3)  # the others ask while it builds
        return real(*args, **kwargs)

    monkeypatch.setattr(lens_footprint, "footprint_lens", counted)
    shared = connections[DEFAULT_DB_ALIAS]
    threads = 8
    barrier = threading.Barrier(threads)

    def ask(i: int):
        connections[DEFAULT_DB_ALIAS] = shared
        barrier.wait()
        if i % 2:
            response = lens_json(published)
            return ("page", response.status_code, response.json()["reach"]["residents"])
        return ("lens", project_lens(published))

    shared.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(ask, range(threads)))
    finally:
        shared.dec_thread_sharing()
    assert len(builds) == 1
    lenses = [r[1] for r in results if r[0] == "lens"]
    assert len({id(r["reach"]) for r in lenses}) == 1  # one result, shared
    pages = [r for r in results if r[0] == "page"]
    assert {r[1] for r in pages} == {200}
    assert {r[2] for r in pages} == {lenses[0]["reach"]["residents"]}


def test_every_project_of_the_real_register_has_a_lens_or_says_why_not(real_register):
    kinds = {}
    for project in Project.objects.filter(state=Project.State.PUBLISHED):
        response = lens_json(project)
        assert response.status_code == 200, project.slug
        result = response.json()
        kinds[project.slug] = result["kind"]
        if project.city_wide:
            assert result["kind"] == "city-wide"
        elif result["kind"] == "footprint":
            assert result["reach"]["neighbourhoods"] >= 1 and result["words"]
        else:
            assert result["words"][0].startswith("This project has no footprint yet")
    assert len(kinds) == len(real_register.document["projects"])
    assert "footprint" in kinds.values()  # the register places some projects on the map
