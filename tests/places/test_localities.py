"""Find a locality by the name the package's own addresses use (``geography.localities``).

The real Milton Keynes package has no gazetteer, but its point files carry open addresses:
OpenStreetMap tags (``addr:suburb``: "Netherfield"), GP practices' address lines ("FARTHING
GR, NETHERFIELD"), charge points' street and town. Read through the manifest at load time,
each locality they name becomes a place the search finds — one result "around" the
neighbourhoods where those points lie, saying where the name comes from — while a town or
county that ends addresses across the city ("MILTON KEYNES", "BUCKINGHAMSHIRE") is never
made one. What each test expects is worked out from the real files here, never written in.

"Fenny Stratford" is named by no file of this package (no address, area or lookup holds it),
so nothing here can find it: ``test_search_names`` holds that the search then says so."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from commonground.geography.localities import (
    SOURCE,
    _names_in,
    address_localities,
    display_name,
    key,
)
from commonground.geography.manifest import load_manifest


def features_naming(data_dir: Path, words: str) -> list[tuple[str, float, float]]:
    """(file title, latitude, longitude) of every feature, in any ``points`` GeoJSON the
    manifest lists, whose properties mention ``words`` (any case); an outline by a point on
    its surface."""
    import shapely.geometry

    manifest = load_manifest(data_dir)
    out = []
    for r in manifest.by_role("points"):
        if r.format != "geojson":
            continue
        for feature in json.loads(manifest.path_of(r).read_text(encoding="utf-8"))["features"]:
            if words.upper() in json.dumps(feature["properties"]).upper():
                point = shapely.geometry.shape(feature["geometry"]).representative_point()
                out.append((r.title, point.y, point.x))
    return out


def test_netherfield_is_found_around_the_neighbourhoods_its_addresses_lie_in(loaded, data_dir, client):
    from commonground.places import names, search
    from commonground.places.lookup import search_from_database

    named = features_naming(data_dir, "Netherfield")
    assert len({title for title, *_ in named}) >= 2, "named by more than one of the package's files"
    held = Counter(search.areas_at(lat, lon, loaded)["base"]["code"] for _, lat, lon in named)
    most = sorted(held, key=lambda code: (-held[code], code))

    found = search.search_areas("Netherfield", loaded)
    assert len(found.areas) == 1, "one result per place"
    listed = found.areas[0]
    assert (listed["geography"], listed["code"]) == (loaded.base, most[0])  # the current boundaries
    assert [a["code"] for a in listed["place"]["areas"]] == most
    assert listed["name"].startswith("Netherfield — a locality around ")
    assert all(a["name"] in listed["name"] for a in listed["place"]["areas"])
    titles = sorted({title for title, *_ in named})
    assert listed["place"]["source"].startswith(f"named in {len(named)} addresses in ")
    assert all(title in listed["place"]["source"] for title in titles)

    # a typo and the start of the name find it; the command line's search says the same
    typo = search.search_areas("netherfeild", loaded)
    assert typo.corrected == "netherfield" and typo.areas == found.areas
    assert search.search_areas("nether", loaded).areas[0] == listed
    for query in ("Netherfield", "netherfeild", "nether"):
        assert search_from_database(query) == search.search_areas(query, loaded)

    # every form reads it as the neighbourhood most of its addresses lie in
    assert names.check_places("netherfield") == [most[0]]
    page = client.get("/places/search", {"q": "Netherfield"}).content.decode()
    assert listed["place"]["source"] in page
    api = client.get("/api/places/search", {"q": "Netherfield"}).json()["areas"]
    assert [(a["code"], a["name"], a["place"]) for a in api] == [(listed["code"], listed["name"], listed["place"])]


def test_every_locality_the_osm_suburb_tags_name_is_found_where_its_point_is(loaded, data_dir):
    """Each ``addr:suburb`` of the OpenStreetMap files is either an area's name (found as that
    area) or a locality whose places include the neighbourhood holding its point (a shop's
    outline: a point on its surface)."""
    import shapely.geometry

    from commonground.places import search

    manifest = load_manifest(data_dir)
    suburbs = []
    for r in manifest.by_role("points"):
        if r.format != "geojson":
            continue
        for feature in json.loads(manifest.path_of(r).read_text(encoding="utf-8"))["features"]:
            tags = json.loads(feature["properties"].get("other") or "{}")
            if tags.get("addr:suburb") and feature["geometry"]:
                point = shapely.geometry.shape(feature["geometry"]).representative_point()
                suburbs.append((tags["addr:suburb"], point.y, point.x))
    assert len(suburbs) >= 10
    as_locality = 0
    for suburb, lat, lon in suburbs:
        found = search.search_areas(suburb, loaded).areas
        assert found, f"{suburb} is found"
        places = [a for a in found if a.get("place", {}).get("name") == suburb]
        if places:
            as_locality += 1
            at = search.areas_at(lat, lon, loaded)["base"]["code"]
            assert at in [a["code"] for a in places[0]["place"]["areas"]], suburb
            assert found[0] == places[0], f"{suburb}: the place by its whole name comes first"
        else:
            assert any(suburb.casefold() in a["name"].casefold() for a in found), suburb
    assert as_locality >= 5


def test_the_city_and_its_county_are_never_localities(loaded, data_dir):
    from commonground.places.models import Area, PlaceName

    for wide in ("Milton Keynes", "Buckinghamshire"):
        assert len(features_naming(data_dir, wide)) >= 5, f"{wide} ends many of the package's addresses"
        assert not PlaceName.objects.filter(name__iexact=wide).exists()
    localities = set(PlaceName.objects.filter(source__startswith=f"{SOURCE}:").values_list("name", flat=True))
    assert localities, "the package's addresses name localities"
    area_names = {key(n) for pair in Area.objects.values_list("name", "friendly_name") for n in pair if n}
    assert not {key(n) for n in localities} & area_names, "an area's name is that area, not a locality too"
    assert all(not n.isupper() for n in localities), "upper-case addresses are shown in title case"


@pytest.mark.parametrize(("props", "expected"), [
    # a GP practice's address lines: building, "street, locality", post town, county
    ({"name": "THE GROVE SURGERY", "address1": "THE GROVE SURGERY", "address2": "FARTHING GR, NETHERFIELD",
      "address3": "MILTON KEYNES", "address4": "BUCKINGHAMSHIRE", "postcode": "MK6 4NG"}, ["NETHERFIELD"]),
    # no thoroughfare: the part before the post town (a charge point's street); misspelt town
    ({"name": "X", "street": "Blacklands", "town": "Milton Keyenes", "postcode": "MK1 1AA"}, ["Blacklands"]),
    # a building's words and a street are never localities
    ({"name": "X", "street": "Travelodge extension", "town": "Milton Keynes", "postcode": "MK1 1AA"}, []),
    ({"name": "X", "address1": "Westfield Road", "address2": "Milton Keynes", "postcode": "MK2 2RA"}, []),
    # without a postcode there is no address
    ({"name": "X", "address1": "Farthing Grove", "address2": "Netherfield"}, []),
    # OpenStreetMap: the tags in a JSON property, the city among them
    ({"name": "Budgens", "other": json.dumps({"addr:suburb": "Downs Barn", "addr:city": "Milton Keynes",
                                              "addr:county": "Bucks"})}, ["Downs Barn", "Milton Keynes"]),
])
def test_the_rule_reads_messy_addresses(props, expected):
    names, regions = _names_in(props, "name", {key("Milton Keynes")})
    assert names == expected
    assert ("Bucks" in regions) == ("other" in props)


def test_a_name_in_capitals_is_shown_in_title_case():
    assert display_name(Counter({"SHENLEY CHURCH END": 1})) == "Shenley Church End"
    assert display_name(Counter({"WOUGHTON ON THE GREEN": 1})) == "Woughton on the Green"
    assert display_name(Counter({"NETHERFIELD": 2, "Netherfield": 1})) == "Netherfield"


def test_a_package_without_points_still_loads_and_a_bad_points_file_is_reported(db, city, data_dir, tmp_path):
    """A second package: the real one without its point files, and one points file that is
    not a vector file. It loads; the bad file is a mismatch; no locality is named."""
    from commonground.places import cache
    from commonground.places.loading import load_places
    from commonground.places.models import PlaceName

    folder = tmp_path / "package"
    folder.mkdir()
    for entry in data_dir.iterdir():
        if entry.is_dir():
            (folder / entry.name).symlink_to(entry)
    raw = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    raw["resources"] = [r for r in raw["resources"] if r["role"] != "points"]
    (folder / "broken.geojson").write_text("{not json", encoding="utf-8")
    raw["resources"].append({"name": "broken-points", "path": "broken.geojson", "title": "Broken points",
                             "role": "points", "name_field": "name", "format": "geojson"})
    (folder / "datapackage.json").write_text(json.dumps(raw), encoding="utf-8")

    try:
        run = load_places(folder).run
        assert run.summary["address_localities"] == 0
        assert not PlaceName.objects.exists()
        assert [m["resource"] for m in run.mismatches if m["against"] == "addresses"] == ["broken-points"]
    finally:
        cache.clear()


def test_each_locality_is_placed_once_in_each_base_area_holding_its_points(city):
    """The pure rule on the real city: a locality's rows are distinct base areas, each at
    the mean of its points there."""
    found = address_localities(city)
    base = set(city.layers[city.base_geography].codes)
    assert found and all(p.area_code in base for p in found)
    assert len({(p.name, p.area_code) for p in found}) == len(found)
    assert all(p.kind == "locality" and p.source.startswith(f"{SOURCE}: named in ") for p in found)
