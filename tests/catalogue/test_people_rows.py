"""Records about people are never read row by row outside the catalogue's own pages.

A council publishes a list of home visits — records about people — that looks exactly like a
list of community buildings: each row named, with a position and a roof-sized number, the
dataset tagged ``buildings`` and themed health, community and education. A community group
cited it in an evidence pack before the council marked it as holding records about people.

Every page and API that could list, rank or draw the rows (energy's community buildings,
evidence packs and their maps, place pages, search, the rows map, the lens, feeds, the
catalogue's own record endpoints) answers sensibly to someone signed out and to a member of
another organisation, and none of them shows a row's name or position. The same rows in a
dataset about places (a hall) are listed, so the walk does reach pages that show rows.
"""

from __future__ import annotations

import io
import json

import pypdf
import pytest
import shapely
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import IngestJob, Tag, Theme
from commonground.datastore import query
from commonground.evidence import services as packs
from commonground.evidence.document import NOW_ABOUT_PEOPLE
from commonground.evidence.maps import window
from commonground.evidence.models import PackItem

pytestmark = pytest.mark.django_db

#: Milton Keynes 030B (LSOA 2021), around Bletchley Library: the pack's place
LSOA = "E01016714"
#: In every row's name of the dataset about people, and nowhere else
SURNAME = "Quillfeather"
#: The one row of the dataset about places
HALL = "Hazelmere Community Hall"


def _csv(path, rows: list[tuple[str, float, float]]):
    lines = ["name,easting,northing,footprint_area_m2"]
    lines += [f"{name},{x:.0f},{y:.0f},450" for name, x, y in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _tagged(dataset):
    for name in ("buildings", "community-building"):
        dataset.tags.add(Tag.objects.get_or_create(name=name)[0])
    for name in ("health", "community", "education"):
        dataset.themes.add(Theme.objects.get_or_create(name=name,
                                                       defaults={"title": name.title()})[0])


@pytest.fixture
def walk(loaded, council, make_dataset, ingest_path, tmp_path, django_user_model):
    """The home visits (about people, one row in each neighbourhood around the pack's place),
    the hall (about places), a group's published pack citing the visits, and the group's
    member, who belongs to another organisation than the council."""
    state = loaded
    around = window(state, state.base, LSOA)
    codes = [state.by_geography[state.base][i].code for i in around]
    points = shapely.get_coordinates(shapely.point_on_surface(
        state.geometries(state.base)[around]))
    visits = make_dataset("home-visits", title="Community health visits")
    _tagged(visits)
    people = [(f"Ada {SURNAME} (client {i})", x, y) for i, (x, y) in enumerate(points, 1)]
    job = ingest_path(visits, _csv(tmp_path / "visits.csv", people), name="Visits 2025")
    assert job.status == IngestJob.Status.DONE, job.error
    version = job.version
    with query.reading(version.parquet_path) as (table, params):
        found = query.connection().execute(
            f"SELECT _id, _easting, _northing FROM {table} WHERE _easting IS NOT NULL",
            params).fetchall()
    assert len(found) == len(people) > 5  # every row is placed

    hall = make_dataset("halls", title="Community halls")
    hall.tags.add(Tag.objects.get_or_create(name="community-building")[0])
    x, y = points[0]
    assert ingest_path(hall, _csv(tmp_path / "halls.csv", [(HALL, x + 40, y + 40)])
                       ).status == IngestJob.Status.DONE

    group = Organisation.objects.create(slug="bletchley-green", name="Bletchley Green",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    editor = django_user_model.objects.create_user("green-editor", password="pw-ed-1")
    member = django_user_model.objects.create_user("green-member", password="pw-me-1")
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    Membership.objects.create(user=member, organisation=group, role=Membership.Role.MEMBER)
    pack = packs.create_pack(editor, group, title="Visits here", place=LSOA,
                             question="Who is visited?")
    before = packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=visits)
    assert before.snapshot["map"]["dots"] > 0  # taken while the rows were public

    visits.about_people = True  # the council realises what the list is
    visits.save()
    packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=visits)
    packs.add_item(editor, pack, PackItem.Kind.LENS, dataset=visits)
    packs.publish(editor, pack)
    return {"dataset": visits, "version": version, "rows": found, "base": state.base,
            "codes": codes, "pack": pack, "member": member}


def _viewers(member):
    signed_out, other_org = Client(), Client()
    other_org.force_login(member)
    return {"signed out": signed_out, "member of another organisation": other_org}


def _pages(w) -> dict[str, int]:
    """Every page and API that could show the rows, with the status it should answer."""
    d, v, pack = w["dataset"], w["version"], w["pack"]
    r = f"/datasets/{d.name}/resources/{v.resource_id}/"
    api = f"/api/catalogue/resources/{v.resource_id}"
    base = w["base"]
    pages = {
        "/energy/": 200, "/energy/buildings/": 200, "/energy/buildings/?by=generation": 200,
        f"/energy/buildings/?dataset={d.name}": 200, "/api/energy/buildings": 200,
        "/api/energy/buildings?by=generation": 200,
        "/packs/": 200, f"/packs/{pack.pk}/": 200, f"/packs/{pack.pk}/pack.json": 200,
        f"/packs/{pack.pk}/pack.pdf": 200,
        "/datasets/": 200, "/datasets/?q=visits": 200, "/datasets/?tags=buildings": 200,
        "/api/catalogue/datasets?q=visits": 200, "/api/3/action/package_search?q=visits": 200,
        f"/datasets/{d.name}/": 200, r: 200, f"/datasets/{d.name}/lens/": 200,
        f"/datasets/{d.name}/lens.json": 200, f"/api/catalogue/datasets/{d.name}/lens": 200,
        f"{api}/aggregate?geography={base}": 200,
        f"{api}/rows": 403, f"{api}/profile": 403, f"{api}/changes": 403,
        f"{r}v{v.number}/download.csv": 403, f"{r}v{v.number}/download.geojson": 403,
        f"/api/3/action/datastore_search?resource_id={v.resource_id}": 403,
        f"/feeds/dataset/{d.name}.atom": 200, f"/feeds/place/{LSOA}.atom": 200,
    }
    for code in w["codes"]:
        pages[f"/places/{base}/{code}/"] = 200
        pages[f"/api/places/areas/{base}/{code}"] = 200
    for row_id, _, _ in w["rows"]:
        pages[f"/energy/buildings/{d.name}/{row_id}/"] = 404
    return pages


def _text(response) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        return "\n".join(p.extract_text() for p in pypdf.PdfReader(
            io.BytesIO(response.content)).pages)
    return response.content.decode()


def test_no_page_or_api_shows_a_row_of_records_about_people(walk):
    positions = {(round(x), round(y)) for _, x, y in walk["rows"]}
    for who, browser in _viewers(walk["member"]).items():
        for url, status in _pages(walk).items():
            response = browser.get(url)
            assert response.status_code == status, (who, url, response.status_code)
            shown = _text(response)
            assert SURNAME not in shown, (who, url)
            assert "<circle" not in shown, (who, url)  # no row drawn as a dot on any map

        listed = browser.get("/api/energy/buildings").json()["buildings"]
        assert [b["name"] for b in listed if b["dataset"] == "halls"] == [HALL]
        assert not [b for b in listed if b["dataset"] == walk["dataset"].name]
        assert not positions & {(round(b["easting"]), round(b["northing"])) for b in listed}
        hall = next(b for b in listed if b["dataset"] == "halls")
        assert HALL in browser.get(f"/energy/buildings/halls/{hall['id']}/").content.decode()

        items = browser.get(f"/packs/{walk['pack'].pk}/pack.json").json()["items"]
        frozen, figures, lens = items  # the first taken before the council said what it was
        assert frozen["withheld"] == NOW_ABOUT_PEOPLE and "map" not in frozen
        assert "withheld" not in figures and figures["map"]["dots"] == 0
        assert "withheld" not in lens and lens["sentences"]
        assert json.dumps(items).count(SURNAME) == 0
