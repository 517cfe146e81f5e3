"""Fuel poverty in the area profiles, on the real Milton Keynes data: DESNZ's modelled
sub-regional estimates (the manifest's role ``fuel-poverty``, on 2021 LSOAs) as a table of
every profile, a larger area's share the sum of its neighbourhoods' fuel-poor households over
the sum of their households (never an average of percentages), with the caveat that they are
modelled; the same from the database in a fresh command; one plain sentence when an area
differs clearly from the city."""

from __future__ import annotations

import csv
import json
import re
from html import unescape

import pytest

from commonground.places import profiles, summary
from commonground.places.profile_from_database import area_profile_from_database

pytestmark = pytest.mark.django_db


def published(data_dir) -> dict[str, dict]:
    """The fuel poverty rows by LSOA code, found by the manifest's role."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"] if r.get("role") == "fuel-poverty")
    with open(data_dir / resource["path"], newline="", encoding="utf-8") as f:
        return {r[resource["code_field"]]: r for r in csv.DictReader(f)}


def fuel_table(profile: dict) -> dict:
    return next(t for t in profile["tables"] if t["role"] == "fuel-poverty")


def test_every_neighbourhood_shows_its_published_fuel_poverty_with_the_caveat(loaded, data_dir):
    fuel = published(data_dir)
    city_share = (sum(int(r["fuel_poor_households"]) for r in fuel.values())
                  / sum(int(r["households"]) for r in fuel.values()))
    assert {a.code for a in loaded.base_areas} == set(fuel)
    for area in loaded.base_areas:
        table = fuel_table(profiles.area_profile(loaded.base, area.code, loaded))
        row = fuel[area.code]
        assert table["unit"] == "households" and table["total"] == int(row["households"])
        [poor] = table["rows"]  # the published percentage is not a row: a share is worked out
        assert poor["count"] == int(row["fuel_poor_households"])
        assert poor["share"] * 100 == pytest.approx(float(row["fuel_poor_pct"]), abs=0.06)
        assert poor["city_share"] == pytest.approx(city_share)
        assert "modelled" in table["caveat"] and "over time" in table["caveat"]
    census = next(t for t in profiles.area_profile(loaded.base, loaded.base_areas[0].code, loaded)["tables"]
                  if t["role"] == "census")
    assert census["caveat"] == ""


@pytest.mark.parametrize("geography", ["msoa21", "ward", "lad"])
def test_a_larger_area_adds_up_households_never_averages_percentages(loaded, data_dir, geography):
    fuel = published(data_dir)
    averaging_would_differ = 0
    for i, area in enumerate(loaded.by_geography[geography]):
        at, weights = loaded.member_row(geography, i)
        members = [fuel[loaded.base_areas[j].code] for j in at]
        poor = sum(w * int(r["fuel_poor_households"]) for w, r in zip(weights, members, strict=True))
        households = sum(w * int(r["households"]) for w, r in zip(weights, members, strict=True))
        table = fuel_table(profiles.area_profile(geography, area.code, loaded))
        [row] = table["rows"]
        assert table["total"] == pytest.approx(households) and row["count"] == pytest.approx(poor)
        assert row["share"] == pytest.approx(poor / households), area.code
        mean_pct = sum(float(r["fuel_poor_pct"]) for r in members) / len(members)
        averaging_would_differ += abs(mean_pct - 100 * row["share"]) > 0.05
    # the areas tell a sum of households from an average of percentages (the authority,
    # one area, may happen to give the same)
    assert averaging_would_differ > 0 or len(loaded.by_geography[geography]) == 1


def test_a_command_reads_the_same_fuel_poverty_from_the_database(loaded):
    for geography in ("lsoa21", "msoa21", "ward", "lad"):
        code = loaded.by_geography[geography][-1].code
        cold = area_profile_from_database(geography, code)
        assert cold == profiles.area_profile(geography, code, loaded)
        assert fuel_table(cold)["rows"][0]["count"] > 0


def test_the_area_page_shows_fuel_poverty_folded_with_its_caveat(client, loaded):
    html = unescape(client.get("/places/ward/E05009406/").content.decode())
    table = fuel_table(profiles.area_profile("ward", "E05009406", loaded))
    assert "Fuel poverty (a modelled estimate)" in html
    assert table["caveat"] in html
    assert "In fuel poverty: a low income and a home costly to heat" in html
    assert '<span class="technical">Fuel poor households</span>' in html
    assert "Households in fuel poverty (modelled estimate)" in html  # a key figure


# -- the sentence (pure, on small profiles) ---------------------------------------------------

def _profile(poor: int, households: int, city_poor: int, city_households: int, code="E01000001"):
    share, city_share = poor / households, city_poor / city_households
    census = {"title": "Census 2021 TS054: tenure", "unit": "households", "total": 800, "bridged": False,
              "role": "census", "caveat": "", "rows": []}
    fuel = {"title": "Sub-regional fuel poverty", "unit": "households", "total": households,
            "bridged": False, "role": "fuel-poverty", "caveat": profiles.FUEL_POVERTY_CAVEAT,
            "rows": [{"label": "Fuel poor households", "count": poor, "share": share,
                      "city_count": city_poor, "city_share": city_share,
                      "difference_pp": (share - city_share) * 100}]}
    return {"area": {"geography": "lsoa21", "code": code, "name": "Somewhere 001A"},
            "city": {"name": "Town", "code": "E06000000"}, "members_total": 0, "parents": [],
            "population": 2345.0, "deprivation": [], "tables": [census, fuel]}


def test_fuel_poverty_is_said_as_a_modelled_estimate_only_when_clearly_unlike_the_city():
    above = summary.describe(_profile(250, 1000, 1000, 10000))
    assert ("By a modelled estimate, more homes here are in fuel poverty (25%) than in all of "
            "Town (10%).") in above["sentences"]
    below = summary.describe(_profile(40, 1000, 1500, 10000))["sentences"]
    assert "By a modelled estimate, fewer homes here are in fuel poverty (4%) than in all of Town (15%)." in below
    close = summary.describe(_profile(130, 1000, 1000, 10000))["sentences"]  # 3 points apart
    assert not any("fuel poverty" in s for s in close)
    figure = next(f for f in above["key_figures"] if "fuel poverty" in f["label"])
    assert figure == {"label": "Households in fuel poverty (modelled estimate)", "value": "25%",
                      "city": "10% in Town"}
    # the modelled households are not the Census's: the key figure of households stays Census's
    assert next(f for f in above["key_figures"] if f["label"] == "Households")["value"] == "about 800"


def test_the_city_says_its_fuel_poverty_as_a_key_figure_not_against_itself():
    city = summary.describe(_profile(1000, 10000, 1000, 10000, code="E06000000"))
    assert not any("fuel poverty" in s for s in city["sentences"])
    assert next(f for f in city["key_figures"] if "fuel poverty" in f["label"])["city"] == ""


def test_each_neighbourhood_s_fuel_poverty_sentence_is_a_clear_difference(loaded):
    said = 0
    for area in loaded.base_areas:
        profile = profiles.area_profile(loaded.base, area.code, loaded)
        row = fuel_table(profile)["rows"][0]
        described = summary.describe(profile)
        figure = next(f for f in described["key_figures"] if "fuel poverty" in f["label"])
        assert figure["value"] == summary.percent(row["share"])
        for sentence in described["sentences"]:
            found = re.fullmatch(r"By a modelled estimate, (more|fewer) homes here are in fuel poverty "
                                 r"\((\d+)%\) than in all of Milton Keynes \((\d+)%\)\.", sentence)
            if found:
                assert (found.group(1) == "more") == (row["share"] > row["city_share"]), area.code
                assert abs(row["difference_pp"]) >= summary.CLEAR_POINTS, area.code
                said += 1
    assert said > 0


def test_an_evidence_pack_cites_fuel_poverty_with_its_caveat(loaded):
    from commonground.evidence import profile_items

    ward = "E05009406"
    table = fuel_table(profiles.area_profile("ward", ward, loaded))
    key = f"table:{table['source']['name']}"
    assert key in dict(profile_items.choices("ward", ward))
    [figure] = profile_items.snapshot("ward", ward, key)["figures"]
    assert figure["number"] == table["rows"][0]["count"]
    assert table["caveat"] in figure["citation"]
