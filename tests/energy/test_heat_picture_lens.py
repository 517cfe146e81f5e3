"""The heat picture through the lens, on the real Milton Keynes data: who lives in the fifth of
neighbourhoods with the most homes on electric heating or none, against the city, counted
from the published Census tables (TS046 for heating, TS054 for tenure, found by the
manifest); said in plain words as a comparison of places, not people (ecological), made only
of published counts; the same on the page and in the API."""

from __future__ import annotations

import csv
import json
from html import unescape

import pytest

pytestmark = pytest.mark.django_db


def census_rows(data_dir, table: str) -> dict[str, dict]:
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"]
                    if r.get("role") == "census" and f"{table}:" in r.get("title", ""))
    with open(data_dir / resource["path"], newline="", encoding="utf-8") as f:
        return {r[resource["code_field"]]: r for r in csv.DictReader(f)}


def most_electric_or_none(data_dir) -> tuple[set[str], float]:
    """The neighbourhoods (a fifth, ties at the cut kept in) with the highest shares of
    households on electric heating only or none, and the share at the cut, by hand."""
    heating = census_rows(data_dir, "TS046")
    share = {code: 100 * (int(r["Electric only"]) + int(r["No central heating"])) / int(r["total_households"])
             for code, r in heating.items() if int(r["total_households"])}
    ranked = sorted(share.values(), reverse=True)
    cut = ranked[round(len(ranked) / 5) - 1]
    return {code for code, s in share.items() if s >= cut}, cut


def test_who_lives_where_most_homes_are_on_electric_heating_or_none(loaded, data_dir):
    from commonground.energy.heat_picture import overview

    high = overview()["high_electric"]
    codes, cut = most_electric_or_none(data_dir)
    heating = census_rows(data_dir, "TS046")
    assert high["areas"] == len(codes) and high["of"] == len(heating)
    assert high["from_share"] == pytest.approx(cut, abs=0.05)

    def electric_or_none(rows):
        return 100 * sum(int(r["Electric only"]) + int(r["No central heating"]) for r in rows) \
            / sum(int(r["total_households"]) for r in rows)

    assert high["share"] == pytest.approx(electric_or_none([heating[c] for c in codes]), abs=0.05)
    assert high["city_share"] == pytest.approx(electric_or_none(heating.values()), abs=0.05)
    assert high["share"] > high["city_share"]

    tenure = census_rows(data_dir, "TS054")
    table = next(t for t in high["tables"] if "TS054" in t["title"])
    there = sum(int(tenure[c]["total_households"]) for c in codes)
    city = sum(int(r["total_households"]) for r in tenure.values())
    assert table["total"] == there
    for row in table["rows"]:
        count = sum(int(tenure[c][row["group"]]) for c in codes)
        city_count = sum(int(r[row["group"]]) for r in tenure.values())
        assert row["count"] == count
        assert row["share"] == pytest.approx(100 * count / there, abs=0.05)
        assert row["city_share"] == pytest.approx(100 * city_count / city, abs=0.05)
        assert row["difference_pp"] == pytest.approx(100 * (count / there - city_count / city), abs=0.1)
    # heating itself is what picks the places: it is not one of the groups compared
    assert not any("central heating" in t["title"].lower() for t in high["tables"])
    titles = " ".join(t["title"].lower() for t in high["tables"])
    for topic in ("age", "disability", "ethnic", "tenure"):
        assert topic in titles


def test_the_plain_words_name_the_clearest_groups_and_say_it_compares_places(loaded):
    from commonground.energy.heat_picture import GROUP_WORDS_PP, overview
    from commonground.geography.plain import plain_name, topic

    result = overview()
    high = result["high_electric"]
    sentence = next(w for w in result["words"] if w.startswith(f"In the {high['areas']} neighbourhoods "))
    assert f"({high['share']}% of their households, against {high['city_share']}% across the city)" in sentence
    said = [(r, t) for t in high["tables"] for r in t["rows"] if f"“{plain_name(r['group'])}” make up" in sentence]
    assert said
    for r, t in said:
        assert r["difference_pp"] >= GROUP_WORDS_PP
        assert f"“{plain_name(r['group'])}” make up {r['share']}% of {t['universe']}, against {r['city_share']}%" in sentence
    clearest = max((r for t in high["tables"] for r in t["rows"]), key=lambda r: r["difference_pp"])
    assert clearest in [r for r, _ in said]
    assert result["words"][result["words"].index(sentence) + 1] == "This compares neighbourhoods, not people."
    # the weighted view's sentences name each group and table in plain words too
    weighted = [w for w in result["words"] if w.startswith("Where homes are heated by electricity only")]
    assert weighted
    for t in result["groups"]:
        for r in t["rows"]:
            if f"“{plain_name(r['group'])}” makes up {r['share']}%" in " ".join(weighted):
                assert r["clear"] and f"({topic(t['title'])})" in " ".join(weighted)
    assert not any("“0 (ideal)”" in w or "Census 2021 TS" in w for w in weighted)
    note = result["groups_note"]
    assert "neighbourhoods, not people" in note and "ecological" in note and "published" in note


def test_the_page_and_the_api_show_the_places_not_people_comparison(client, loaded):
    from commonground.energy.heat_picture import overview

    result = overview()
    api = client.get("/api/energy/heat").json()
    assert api["high_electric"] == json.loads(json.dumps(result["high_electric"]))
    assert api["groups_note"] == result["groups_note"]
    html = unescape(client.get("/energy/heat/").content.decode())
    assert result["groups_note"] in html
    assert f"The {result['high_electric']['areas']} neighbourhoods with the most homes on electric heating or none" in html
    tenure = next(t for t in result["high_electric"]["tables"] if "TS054" in t["title"])
    assert f"{tenure['title']}: % of {tenure['universe']} in these neighbourhoods and in the city" in html
