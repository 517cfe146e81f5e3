"""Find a locality by the name people use, from a gazetteer the data package provides (role
``place-names``): each name is placed in the neighbourhood (base area) holding its point, found
by the search (whole name, start, typo) as "Netherfield — a locality in <ward> (neighbourhood
<name>)", and read by every form as that neighbourhood; a name outside the city is reported
and skipped, a bad coordinate stops the load naming its file, row and column.

The real Milton Keynes package has no gazetteer, so these tests build one beside a copy of
its manifest, with points taken from the real data: the GP practices whose addresses name
Netherfield ("FARTHING GR, NETHERFIELD") and Stony Stratford ("MARKET SQ,STONY STRATFORD")."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

from commonground.geography.city import _add_place_names
from commonground.geography.errors import DataError
from commonground.geography.manifest import load_manifest

OUTSIDE = ("Covent Garden", "suburb", 51.5117, -0.1240)  # central London: not in the city


def address_point(data_dir: Path, words: str) -> tuple[float, float]:
    """(latitude, longitude) of the first point feature, of any ``points`` file the manifest
    lists, whose properties mention ``words``."""
    manifest = load_manifest(data_dir)
    for r in manifest.by_role("points"):
        if r.format != "geojson":
            continue
        for feature in json.loads(manifest.path_of(r).read_text(encoding="utf-8"))["features"]:
            if words in json.dumps(feature["properties"]).upper():
                lon, lat = feature["geometry"]["coordinates"][:2]
                return lat, lon
    raise AssertionError(f"no point of the real data mentions {words}")


def package_with_gazetteer(data_dir: Path, folder: Path, rows: list[tuple], *, types=("number", "number")) -> Path:
    """A copy of the real package's manifest (its folders linked, not copied) with a
    place-names CSV of ``rows`` (name, kind, latitude, longitude)."""
    folder.mkdir()
    raw = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    for entry in data_dir.iterdir():
        if entry.is_dir():
            (folder / entry.name).symlink_to(entry)
    with open(folder / "places.csv", "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["name", "local_type", "latitude", "longitude"])
        out.writerows(rows)
    raw["resources"].append({
        "name": "place-names", "path": "places.csv", "title": "Places people name (test extract)",
        "role": "place-names", "name_field": "name", "format": "csv",
        "schema": {"fields": [{"name": "name", "type": "string"}, {"name": "local_type", "type": "string"},
                              {"name": "latitude", "type": types[0]}, {"name": "longitude", "type": types[1]}]}})
    (folder / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def real_points(data_dir):
    return {"Netherfield": address_point(data_dir, "NETHERFIELD"),
            "Stony Stratford": address_point(data_dir, "STONY STRATFORD"),
            "Olney": address_point(data_dir, "OLNEY")}


@pytest.fixture
def gazetteer(data_dir, real_points, tmp_path):
    rows = [("Netherfield", "", *real_points["Netherfield"]),
            ("Stony Stratford", "Suburban Area", *real_points["Stony Stratford"]),
            OUTSIDE,
            # one name, two places (as "Chapel End" is in many villages)
            ("Chapel End", "hamlet", *real_points["Netherfield"]),
            ("Chapel End", "hamlet", *real_points["Olney"])]
    return package_with_gazetteer(data_dir, tmp_path / "package", rows)


@pytest.fixture
def loaded_gazetteer(db, gazetteer):
    """The package with its gazetteer loaded in this test's transaction; afterwards the
    session's city comes back (rolled back) and its state is read again."""
    from commonground.places import cache
    from commonground.places.loading import load_places

    result = load_places(gazetteer)
    yield result.run, cache.city_state()
    cache.clear()


def test_a_locality_is_found_placed_in_its_neighbourhood_and_read_by_every_form(loaded_gazetteer, real_points,
                                                                              client):
    from commonground.places import names, search
    from commonground.places.lookup import search_from_database
    from commonground.places.models import PlaceName

    run, state = loaded_gazetteer
    lat, lon = real_points["Netherfield"]
    at = search.areas_at(lat, lon, state)  # the neighbourhood and best-fit ward holding the point
    base, ward = at["base"], at["areas"]["ward"]
    assert PlaceName.objects.get(name="Netherfield").area.code == base["code"]

    found = search.search_areas("Netherfield", state)
    assert [(a["geography"], a["code"]) for a in found.areas] == [(state.base, base["code"])]
    listed = found.areas[0]
    assert listed["name"] == f"Netherfield — a locality in {ward['name']} (neighbourhood {base['name']})"
    assert listed["ward"]["code"] == ward["code"] and listed["url"] == base["url"]
    api = client.get("/api/places/search", {"q": "Netherfield"}).json()["areas"][0]
    assert api["place"]["name"] == "Netherfield" and api["ward"]["code"] == ward["code"]

    # a typo and a start of the name find it too; the command line's search says the same
    typo = search.search_areas("netherfeild", state)
    assert typo.corrected == "netherfield" and typo.areas == found.areas
    assert search.search_areas("nether", state).areas[0] == listed
    for query in ("Netherfield", "netherfeild", "nether"):
        assert search_from_database(query) == search.search_areas(query, state)

    # every form reads it as its neighbourhood, typo or not
    assert names.check_places("Netherfield") == [base["code"]]
    assert names.check_places("netherfeild, MK6 3")[0] == base["code"]

    # a locality named as an area is that area: one result per place
    stony = search.search_areas("Stony Stratford", state)
    assert not [a for a in stony.areas if "place" in a]
    assert [a["geography"] for a in stony.areas][:1] == ["ward"]

    # the place outside the city is reported by file and row, and not kept
    assert not PlaceName.objects.filter(name=OUTSIDE[0]).exists()
    outside = [m for m in run.mismatches if m["resource"] == "place-names"]
    assert outside == [{"resource": "place-names", "row": 4, "code": OUTSIDE[0], "against": "boundaries",
                        "problem": f"this place lies outside {run.city_name}; name not used"}]

    # a name two places share: the search lists both, a form asks which
    both = search.search_areas("chapel end", state)
    assert len(both.areas) == 2 and all(a["name"].startswith("Chapel End — a hamlet in ") for a in both.areas)
    assert {a["code"] for a in both.areas} == {
        search.areas_at(*real_points[p], state)["base"]["code"] for p in ("Netherfield", "Olney")}
    with pytest.raises(names.PlaceError, match="could be 2 places"):
        names.check_places("Chapel End")
    assert run.summary["place_names"] == 4


def test_without_a_gazetteer_the_only_places_named_are_those_its_addresses_name(loaded):
    """(``test_localities``: the localities the package's own addresses name.)"""
    from commonground.places.models import PlaceName

    assert PlaceName.objects.exists()
    assert not PlaceName.objects.filter(source="").exists()


@pytest.mark.parametrize(("cell", "column", "types", "problem"), [
    ("north", "latitude", ("string", "number"), "'north' is not a coordinate"),
    ("", "latitude", ("number", "number"), "no coordinate"),
    ("95", "latitude", ("number", "number"), "latitude 95 is not in Great Britain"),
])
def test_a_bad_coordinate_is_named_by_file_row_and_column(city, data_dir, real_points, tmp_path, cell,
                                                          column, types, problem):
    lat, lon = real_points["Netherfield"]
    folder = package_with_gazetteer(data_dir, tmp_path / "package",
                                    [("Netherfield", "", lat, lon), ("Fenny Stratford", "", cell, lon)],
                                    types=types)
    manifest = load_manifest(folder)
    fresh = dataclasses.replace(city, manifest=manifest, place_names=[], mismatches=[])
    with pytest.raises(DataError) as failure:
        _add_place_names(fresh, manifest.by_role("place-names")[0])
    assert (failure.value.file, failure.value.row, failure.value.column) == (
        str(folder / "places.csv"), 3, column)
    assert problem in failure.value.problem
    assert fresh.place_names == []


def test_a_number_that_is_not_one_is_named_by_the_table_reader(city, data_dir, real_points, tmp_path):
    lat, lon = real_points["Netherfield"]
    folder = package_with_gazetteer(data_dir, tmp_path / "package", [("Netherfield", "", lat, "east")])
    manifest = load_manifest(folder)
    fresh = dataclasses.replace(city, manifest=manifest, place_names=[], mismatches=[])
    with pytest.raises(DataError) as failure:
        _add_place_names(fresh, manifest.by_role("place-names")[0])
    assert (failure.value.row, failure.value.column) == (2, "longitude")


def test_a_bad_gazetteer_changes_nothing(loaded, data_dir, real_points, tmp_path):
    from commonground.places.loading import load_places
    from commonground.places.models import LoadRun, PlaceName

    lat, lon = real_points["Netherfield"]
    folder = package_with_gazetteer(data_dir, tmp_path / "package", [("Netherfield", "", 95, lon)])
    before = list(LoadRun.objects.values_list("id", "fingerprint"))
    names_before = list(PlaceName.objects.values_list("id", "name"))  # those the addresses name
    with pytest.raises(DataError, match="row 2, column 'latitude'"):
        load_places(folder)
    assert list(LoadRun.objects.values_list("id", "fingerprint")) == before
    assert list(PlaceName.objects.values_list("id", "name")) == names_before


def test_a_gazetteer_in_grid_metres_places_the_same_names(city, data_dir, real_points, tmp_path):
    """Easting and northing (as OS Open Names gives them) place a name as its degrees do."""
    from commonground.geography.projection import lonlat_to_bng

    lat, lon = real_points["Netherfield"]
    folder = package_with_gazetteer(data_dir, tmp_path / "degrees", [("Netherfield", "", lat, lon)])
    x, y = (float(v[0]) for v in lonlat_to_bng([lon], [lat]))
    grid = tmp_path / "grid"
    grid.mkdir()
    raw = json.loads((folder / "datapackage.json").read_text())
    for entry in data_dir.iterdir():
        if entry.is_dir():
            (grid / entry.name).symlink_to(entry)
    (grid / "places.csv").write_text(f"NAME1,LOCAL_TYPE,GEOMETRY_X,GEOMETRY_Y\nNetherfield,Suburban Area,{x},{y}\n")
    raw["resources"][-1].update(name_field="NAME1", schema={"fields": [
        {"name": "NAME1", "type": "string"}, {"name": "LOCAL_TYPE", "type": "string"},
        {"name": "GEOMETRY_X", "type": "number"}, {"name": "GEOMETRY_Y", "type": "number"}]})
    (grid / "datapackage.json").write_text(json.dumps(raw))
    placed = []
    for package in (folder, grid):
        manifest = load_manifest(package)
        fresh = dataclasses.replace(city, manifest=manifest, place_names=[], mismatches=[])
        _add_place_names(fresh, manifest.by_role("place-names")[0])
        placed.append(fresh.place_names)
    assert [p.area_code for p in placed[0]] == [p.area_code for p in placed[1]]
    assert placed[1][0].kind == "Suburban Area"
