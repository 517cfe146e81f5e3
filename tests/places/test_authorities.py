"""A package naming two authorities serves both: each is an area with a profile, a
neighbourhood is ranked within its authority and within the package, search and point
lookup reach both.

The package is built at test time from the national package (``../shared/data-england``),
read through its manifest and cut down to Milton Keynes and Bedford: LSOA 2021, MSOA 2021
and ward boundaries, IoD 2025, one Census table and the LSOA > MSOA > ward lookup. It has no
boundary file of the authorities: they are derived from the authority code the lookup gives
each neighbourhood.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import shapely

from commonground.geography.city import load_city
from commonground.geography.codes import looks_like
from commonground.geography.manifest import load_manifest
from commonground.geography.projection import bng_to_lonlat
from commonground.geography.tables import read_table

REPO = Path(__file__).resolve().parents[2]
# beside the city package (COMMONGROUND_DATA, default ../shared/data), unless named
CITY = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))
ENGLAND = Path(os.environ.get("COMMONGROUND_ENGLAND_DATA", CITY.parent / "data-england"))
MK, BEDFORD = "E06000042", "E06000055"
PACKAGE_NAME = "Bedford and Milton Keynes"


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def _filter_csv(source: Path, target: Path, column: str, keep: set[str]) -> None:
    with open(source, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        at = header.index(column)
        rows = [row for row in reader if row[at] in keep]
    _write_csv(target, header, rows)


def build_two_authorities(target: Path, codes=(MK, BEDFORD), outline: tuple[str, str] | None = None) -> Path:
    """A data package of the authorities ``codes``, cut from the national package; with
    ``outline`` (geography, code), it names that wider area instead and carries its outline
    (the union of the neighbourhoods), as the national package carries England's."""
    source = load_manifest(ENGLAND)
    raw = json.loads((ENGLAND / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["name"]: r for r in raw["resources"]}
    lookup = next(r for r in source.by_role("lookup")
                  if r.geography_chain[0] == "lsoa21" and {"msoa21", "ward"} <= set(r.geography_chain))
    table = read_table(source, lookup)
    authority = next(n for n in table.names if codes[0] in set(table.columns[n]))
    rows = [i for i, code in enumerate(table.columns[authority]) if code in codes]
    keep: dict[str, set[str]] = {}
    for g in lookup.geography_chain:  # each geography's column, found by what it holds
        column = next(n for n in table.names
                      if all(looks_like(str(table.columns[n][i]), g) for i in rows))
        keep[g] = {table.columns[column][i] for i in rows}
    chosen = [lookup]
    _write_csv(target / lookup.path, table.names,
               [[table.columns[n][i] for n in table.names] for i in rows])
    for g in ("lsoa21", "msoa21", "ward"):
        r = next(r for r in source.by_role("boundaries") if r.geography == g)
        collection = json.loads(source.path_of(r).read_text(encoding="utf-8"))
        collection["features"] = [f for f in collection["features"]
                                  if f["properties"][r.code_field] in keep[g]]
        (target / r.path).parent.mkdir(parents=True, exist_ok=True)
        (target / r.path).write_text(json.dumps(collection), encoding="utf-8")
        chosen.append(r)
    iod = max((r for r in source.by_role("deprivation") if r.geography == "lsoa21"), key=lambda r: r.year or 0)
    census = next(r for r in source.by_role("census") if r.geography == "lsoa21")
    for r in (iod, census):
        _filter_csv(source.path_of(r), target / r.path, r.code_field, keep["lsoa21"])
        chosen.append(r)
    resources = [described[r.name] for r in chosen]
    if outline:
        lsoa = next(r for r in chosen if r.geography == "lsoa21")
        features = json.loads((target / lsoa.path).read_text(encoding="utf-8"))["features"]
        union = shapely.union_all([shapely.from_geojson(json.dumps(f["geometry"])) for f in features])
        (target / "outline.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"CODE": outline[1], "NAME": PACKAGE_NAME},
             "geometry": json.loads(shapely.to_geojson(union))}]}), encoding="utf-8")
        resources.append({"name": "outline", "path": "outline.geojson", "role": "boundaries",
                          "geography": outline[0], "code_field": "CODE", "name_field": "NAME",
                          "crs": "EPSG:4326"})
    manifest = {"profile": raw.get("profile", "data-package"), "name": "bedford-and-milton-keynes",
                "title": f"{PACKAGE_NAME}: a shared service", "licenses": raw.get("licenses", []),
                "city": {"name": PACKAGE_NAME, "codes": [outline[1]] if outline else list(codes)},
                "resources": resources}
    (target / "datapackage.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def two_authorities(tmp_path_factory) -> Path:
    if not (ENGLAND / "datapackage.json").is_file():
        pytest.skip(f"the national package is not at {ENGLAND}")
    return build_two_authorities(tmp_path_factory.mktemp("bedford-and-mk"))


@pytest.fixture(scope="module")
def published(two_authorities):
    """What the package's own files say, read independently of the loader: each
    neighbourhood's authority (the lookup) and national IMD rank (IoD 2025)."""
    manifest = load_manifest(two_authorities)
    lookup = manifest.by_role("lookup")[0]
    table = read_table(manifest, lookup)
    base_col = lookup.code_field
    lad_col = next(n for n in table.names if MK in set(table.columns[n]))
    authority = dict(zip(table.columns[base_col], table.columns[lad_col], strict=True))
    iod = manifest.by_role("deprivation")[0]
    ranks = read_table(manifest, iod)
    rank = dict(zip(ranks.columns[iod.code_field], ranks.columns["imd_rank"], strict=True))
    return authority, rank


def test_the_package_derives_its_two_authorities_from_the_lookup(two_authorities, published):
    city = load_city(two_authorities)
    authority_of, _rank = published
    assert city.manifest.authority_codes == (MK, BEDFORD)
    layer = city.layers["lad"]
    assert sorted(layer.codes) == sorted({MK, BEDFORD})
    names = dict(zip(layer.codes, layer.names, strict=True))
    assert names == {MK: "Milton Keynes", BEDFORD: "Bedford"}  # from "Milton Keynes 001A", "Bedford 001A"
    base = city.layers[city.base_geography]
    links = [m for m in city.memberships if m.parent_geography == "lad"]
    # every neighbourhood in exactly one authority, the one the lookup gives it, whole
    assert Counter(m.child for m in links) == Counter(set(base.codes))
    assert {m.child: m.parent for m in links} == {c: authority_of[c] for c in base.codes}
    assert all(m.weight == 1.0 for m in links)
    # each authority is its neighbourhoods' union: same area, and holds each one's inside point
    for i, code in enumerate(layer.codes):
        members = np.isin(base.codes, [m.child for m in links if m.parent == code])
        assert shapely.area(layer.geometries[i]) == pytest.approx(shapely.area(base.geometries[members]).sum(),
                                                                  rel=1e-6)
        assert shapely.contains(layer.geometries[i], shapely.point_on_surface(base.geometries[members])).all()
    assert not [m for m in city.mismatches if m.against == "lad"]


def test_a_boundary_file_of_the_authorities_must_hold_every_code_the_city_names(two_authorities, tmp_path):
    """With its own file of authorities, the package is checked against it (not derived)."""
    import shutil

    from commonground.geography.errors import DataError

    folder = tmp_path / "package"
    shutil.copytree(two_authorities, folder)
    raw = json.loads((folder / "datapackage.json").read_text())
    lsoa = next(r for r in raw["resources"] if r["role"] == "boundaries" and r["geography"] == "lsoa21")
    features = json.loads((folder / lsoa["path"]).read_text())["features"]
    lookup = load_manifest(folder).by_role("lookup")[0]
    table = read_table(load_manifest(folder), lookup)
    lad_col = next(n for n in table.names if MK in set(table.columns[n]))
    in_mk = {c for c, lad in zip(table.columns[lookup.code_field], table.columns[lad_col], strict=True) if lad == MK}
    outline = shapely.union_all([shapely.from_geojson(json.dumps(f["geometry"])) for f in features
                                 if f["properties"][lsoa["code_field"]] in in_mk])
    (folder / "lad.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LADCD": MK}, "geometry": json.loads(shapely.to_geojson(outline))}]}))
    raw["resources"].append({"name": "lad-boundary", "path": "lad.geojson", "role": "boundaries",
                             "geography": "lad", "code_field": "LADCD", "crs": "EPSG:4326"})
    (folder / "datapackage.json").write_text(json.dumps(raw))
    with pytest.raises(DataError) as failure:
        load_city(folder)
    assert f"the city code {BEDFORD} from the manifest is not in this file" in str(failure.value)
    assert "lad.geojson" in str(failure.value)


@pytest.fixture
def loaded_two(db, two_authorities):
    """The two-authority package loaded in this test's transaction; afterwards the session's
    city comes back (rolled back) and its state is read again."""
    from commonground.places import cache
    from commonground.places.loading import load_places

    result = load_places(two_authorities)
    yield result.run, cache.city_state()
    cache.clear()


def test_a_package_naming_two_authorities_serves_both(loaded_two, published, client):
    from commonground.places import authorities, profiles, search

    run, state = loaded_two
    authority_of, national = published
    assert (run.city_name, run.lad_code, run.authority_codes) == (PACKAGE_NAME, MK, [MK, BEDFORD])
    assert authorities.authority_geography(state) == "lad"

    # both authorities are areas with profiles, listed on the home page, compared against the package
    home = client.get("/").content.decode()
    assert f'href="/places/lad/{MK}/"' in home and f'href="/places/lad/{BEDFORD}/"' in home
    residents = 0.0
    for code in (MK, BEDFORD):
        p = profiles.area_profile("lad", code, state)
        assert p["area"]["geography_label"] == "Local authority"
        assert p["population"] > 0 and p["tables"] and p["deprivation"]
        assert p["compared_with"]["authority"] is None
        assert p["compared_with"]["sentence"].endswith(f"compared against {PACKAGE_NAME}.")
        residents += p["population"]
        assert client.get(f"/places/lad/{code}/").status_code == 200
    assert residents == pytest.approx(np.nansum(state.population))

    # a neighbourhood in each: ranked within its authority and within the package
    for code in (MK, BEDFORD):
        mine = sorted(c for c, lad in authority_of.items() if lad == code)
        lsoa = mine[len(mine) // 2]
        p = profiles.area_profile(state.base, lsoa, state)
        compared = p["compared_with"]
        assert compared["authority"]["code"] == code
        assert compared["package"] == {"name": PACKAGE_NAME, "codes": [MK, BEDFORD]}
        imd = next(r for d in compared["deprivation"] for r in d["rows"] if r["rank"] == national[lsoa])
        assert imd["authority_rank"] == 1 + sum(national[c] < national[lsoa] for c in mine)
        assert imd["authority_of"] == len(mine)
        assert imd["package_rank"] == 1 + sum(r < national[lsoa] for r in national.values())
        assert imd["package_of"] == len(national)
        name = state.areas[("lad", code)].name
        page = client.get(f"/places/{state.base}/{lsoa}/").content.decode()
        assert f"Rank in {name}" in page and f"Rank in {PACKAGE_NAME}" in page
        assert f"{imd['authority_rank']} of {imd['authority_of']}" in page

    # search finds places in both; a point in Bedford is found, with its authority
    for code in (MK, BEDFORD):
        name = state.areas[("lad", code)].name
        found = search.search_areas(name, state)
        assert ("lad", code) in {(a["geography"], a["code"]) for a in found.areas}
        assert any(a["geography"] == state.base and authority_of[a["code"]] == code for a in found.areas)
    bedford_lsoa = state.areas[(state.base, sorted(c for c, lad in authority_of.items() if lad == BEDFORD)[0])]
    lon, lat = bng_to_lonlat([bedford_lsoa.easting], [bedford_lsoa.northing])
    at = search.areas_at(float(lat[0]), float(lon[0]), state)
    assert at["base"]["code"] == bedford_lsoa.code
    assert at["areas"]["lad"]["code"] == BEDFORD
    with pytest.raises(search.OutsideCity, match=f"outside {PACKAGE_NAME}"):
        search.areas_at(51.5074, -0.1278, state)  # central London



def test_a_package_of_a_wider_area_profiles_its_outline_and_each_authority(db, tmp_path, published):
    """A package that names one wider area (a combined authority here; England in the
    national package) with its outline: the outline is an area with a profile of the whole
    package, and the authorities are still derived, each compared against it."""
    from commonground.places import cache, profiles
    from commonground.places.loading import load_places

    wider = "E47000099"  # a combined authority's code (made up: these two have none)
    folder = build_two_authorities(tmp_path, outline=("cauth", wider))
    try:
        run = load_places(folder).run
        state = cache.city_state()
        assert (run.lad_code, run.authority_codes) == (wider, [wider])
        whole = profiles.area_profile("cauth", wider, state)
        assert whole["area"]["geography_label"] == "Combined authority"
        assert whole["compared_with"] is None  # it is the package
        assert len(whole["members"]) == len(state.base_areas)
        assert whole["population"] == pytest.approx(np.nansum(state.population))
        assert {a.code for a in state.by_geography["lad"]} == {MK, BEDFORD}
        authority_of, _national = published
        lsoa = sorted(c for c, lad in authority_of.items() if lad == BEDFORD)[0]
        compared = profiles.area_profile(state.base, lsoa, state)["compared_with"]
        assert compared["sentence"] == f"This neighbourhood is compared against Bedford, and against {PACKAGE_NAME}."
    finally:
        cache.clear()
