"""A Census table published only for larger areas of another kind than the neighbourhoods
(the manifest's census table on ``msoa21``: sexual orientation, which ONS publishes for MSOAs
and nothing smaller) is never invented below them. A neighbourhood's profile has no figures
and points to its MSOA; an MSOA reads its published whole numbers; the authority, made of
whole MSOAs, sums them; a ward gets the sums only when it is made of whole MSOAs, else the
MSOAs it overlaps. Nothing here names the table: the manifest's role and geography decide."""

from __future__ import annotations

import csv
import json

import pytest

from commonground.places import profiles
from commonground.places.profile_from_database import area_profile_from_database

LSOA = "E01016710"


def read_csv(data_dir, relative):
    with open(data_dir / relative, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def msoa_table(data_dir):
    """The manifest's census tables published on MSOAs only: (name, code field, rows)."""
    manifest = json.loads((data_dir / "datapackage.json").read_text())
    found = [r for r in manifest["resources"] if r.get("role") == "census" and r.get("geography") == "msoa21"]
    assert found, "the data package has a census table published for MSOAs only"
    r = found[0]
    return r["name"], r["code_field"], read_csv(data_dir, r["path"])


@pytest.fixture(scope="module")
def lookup(data_dir):
    return read_csv(data_dir, "lookups/mk_lsoa21_msoa21_ward24_lookup.csv")


def table_of(profile, name):
    return next(t for t in profile["tables"] if t["source"]["name"] == name)


def test_a_neighbourhood_has_no_figures_and_points_to_its_msoa(loaded, msoa_table, lookup):
    name, _field, _rows = msoa_table
    msoa = next(r["MSOA21CD"] for r in lookup if r["LSOA21CD"] == LSOA)
    for lsoa in [LSOA, *(r["LSOA21CD"] for r in lookup[::20])]:
        table = table_of(profiles.area_profile("lsoa21", lsoa), name)
        assert table["rows"] == [] and table["total"] is None and not table["bridged"]
        expected = next(r["MSOA21CD"] for r in lookup if r["LSOA21CD"] == lsoa)
        assert [a["code"] for a in table["published_for"]["areas"]] == [expected]
    table = table_of(profiles.area_profile("lsoa21", LSOA), name)
    to = table["published_for"]
    assert to["kind"] == "MSOAs" and to["geography"] == "msoa21"
    assert to["areas"][0]["url"] == f"/places/msoa21/{msoa}/" and to["areas"][0]["name"]


def test_an_msoa_reads_its_published_whole_numbers(loaded, msoa_table):
    name, field, rows = msoa_table
    assert len(rows) == len(loaded.by_geography["msoa21"])
    for r in rows:
        table = table_of(profiles.area_profile("msoa21", r[field]), name)
        assert table["published_for"] is None and not table["bridged"]
        assert table["rows"]
        for row in table["rows"]:
            assert row["count"] == int(r[row["label"]])  # exactly, not shared out and summed back
        total = next(k for k in r if k.startswith("total"))
        assert table["total"] == int(r[total])


def test_the_authority_sums_the_published_figures(loaded, msoa_table):
    name, _field, rows = msoa_table
    table = table_of(profiles.area_profile("lad", loaded.run.lad_code), name)
    assert table["published_for"] is None and not table["bridged"] and table["rows"]
    for row in table["rows"]:
        assert row["count"] == sum(int(r[row["label"]]) for r in rows)
        assert row["city_count"] == row["count"] and row["difference_pp"] == pytest.approx(0)
    total = next(k for k in rows[0] if k.startswith("total"))
    assert table["total"] == table["city_total"] == sum(int(r[total]) for r in rows)


def test_a_ward_has_sums_only_when_made_of_whole_msoas(loaded, msoa_table, lookup):
    name, field, rows = msoa_table
    by_code = {r[field]: r for r in rows}
    msoa_lsoas: dict[str, set] = {}
    for r in lookup:
        msoa_lsoas.setdefault(r["MSOA21CD"], set()).add(r["LSOA21CD"])
    kinds = set()
    for ward in loaded.by_geography["ward"]:
        lsoas = {r["LSOA21CD"] for r in lookup if r["WD24CD"] == ward.code}
        msoas = sorted({r["MSOA21CD"] for r in lookup if r["LSOA21CD"] in lsoas})
        table = table_of(profiles.area_profile("ward", ward.code), name)
        if all(msoa_lsoas[m] <= lsoas for m in msoas):  # a union of whole MSOAs
            kinds.add("sum")
            for row in table["rows"]:
                assert row["count"] == sum(int(by_code[m][row["label"]]) for m in msoas)
        else:
            kinds.add("overlaps")
            assert table["rows"] == [] and table["total"] is None
            assert [a["code"] for a in table["published_for"]["areas"]] == msoas
    assert "overlaps" in kinds  # Milton Keynes' wards cut across its MSOAs


def test_tables_on_older_neighbourhoods_are_still_shared_out(loaded):
    """The mid-2020 estimates on 2011 LSOAs (the same kind of area) keep their bridge."""
    p = profiles.area_profile("lsoa21", LSOA)
    older = [t for t in p["tables"] if t["source"]["name"] in
             {s.name for s in profiles._table_sources(loaded) if s.geography == "lsoa11"}]
    assert older and all(t["bridged"] and t["rows"] and t["published_for"] is None for t in older)


def test_the_page_says_where_the_figures_are_and_never_shares_them_out(client, loaded, msoa_table, lookup):
    name, _field, _rows = msoa_table
    msoa = next(r["MSOA21CD"] for r in lookup if r["LSOA21CD"] == LSOA)
    table = table_of(profiles.area_profile("lsoa21", LSOA), name)
    html = client.get(f"/places/lsoa21/{LSOA}/").content.decode()
    assert "Published for MSOAs only" in html and f'href="/places/msoa21/{msoa}/"' in html
    assert table["source"]["title"] in html  # still listed, with its source
    page = client.get(f"/places/msoa21/{msoa}/").content.decode()
    title = table_of(profiles.area_profile("msoa21", msoa), name)["title"]
    section = page[page.index(title):]
    section = section[:section.index("</details>")]
    assert "shared out" not in section and "Published for MSOAs only" not in section


def test_the_command_gives_the_same_figures(loaded, msoa_table, lookup):
    msoa = next(r["MSOA21CD"] for r in lookup if r["LSOA21CD"] == LSOA)
    ward = loaded.by_geography["ward"][0].code
    for geography, code in [("lsoa21", LSOA), ("msoa21", msoa), ("ward", ward), ("lad", loaded.run.lad_code)]:
        assert area_profile_from_database(geography, code) == profiles.area_profile(geography, code, loaded)
