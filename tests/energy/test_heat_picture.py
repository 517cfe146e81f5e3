"""A neighbourhood's heat picture on the real Milton Keynes data: fuel poverty (DESNZ's
modelled LILEE estimates, read by the manifest's role), central heating (Census TS046),
homes and tenure, for every LSOA, ward and the authority; the lens by deprivation decile; the
page, the API and the command line giving the same figures."""

from __future__ import annotations

import csv
import json
from html import unescape

import numpy as np
import pytest

from commonground.cli import main

pytestmark = pytest.mark.django_db


def _rows(data_dir, role: str, title_word: str = "") -> dict[str, dict]:
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    resource = next(r for r in package["resources"]
                    if r.get("role") == role and title_word in r.get("title", ""))
    with open(data_dir / resource["path"], newline="", encoding="utf-8") as f:
        return {r[resource["code_field"]]: r for r in csv.DictReader(f)}


def _authority(state) -> str:
    return next(g for g in state.profiled if len(state.by_geography[g]) == 1)


def test_every_lsoa_ward_and_the_authority_has_the_published_fuel_poverty(client, loaded, data_dir):
    from commonground.energy.heat_picture import area_picture

    fuel = _rows(data_dir, "fuel-poverty")
    state = loaded
    assert {a.code for a in state.base_areas} == set(fuel)
    for a in state.base_areas:
        p = area_picture(state.base, a.code)["fuel_poverty"]
        assert p["fuel_poor"] == int(fuel[a.code]["fuel_poor_households"])
        assert p["households"] == int(fuel[a.code]["households"])
        assert p["share"] == pytest.approx(float(fuel[a.code]["fuel_poor_pct"]), abs=0.06)
        assert "modelled" in p["caveat"] and "over time" in p["caveat"]
    for geography in ("ward", _authority(state)):
        for i, area in enumerate(state.by_geography[geography]):
            at, weights = state.member_row(geography, i)
            codes = [state.base_areas[j].code for j in at]
            expected = sum(w * int(fuel[c]["fuel_poor_households"]) for c, w in zip(codes, weights, strict=True))
            p = area_picture(geography, area.code)["fuel_poverty"]
            assert p["fuel_poor"] == round(expected), area.code
    city = area_picture(_authority(state), state.by_geography[_authority(state)][0].code)
    assert city["fuel_poverty"]["fuel_poor"] == sum(int(r["fuel_poor_households"]) for r in fuel.values())


def test_fuel_poverty_reaches_the_indicators_by_its_role(loaded):
    kinds = {i.column: (i.kind, i.unit) for i in loaded.indicators.values()
             if i.source.role == "fuel-poverty"}
    assert kinds["households"][0] == "total"
    assert kinds["fuel_poor_households"] == ("count", "households")
    assert kinds["fuel_poor_pct"] == ("value", "%")


def test_central_heating_shares_are_the_census_table_s(loaded, data_dir):
    from commonground.energy.heat_picture import area_picture

    code = "E01016710"
    row = _rows(data_dir, "census", "TS046")[code]
    total = int(row["total_households"])
    picture = area_picture(loaded.base, code)["heating"]
    assert picture["households"] == total
    by_label = {c["label"]: c for c in picture["categories"]}
    assert by_label["Electric only"]["count"] == int(row["Electric only"])
    assert by_label["Electric only"]["share"] == round(100 * int(row["Electric only"]) / total, 1)
    assert by_label["No central heating"]["share"] == round(
        100 * int(row["No central heating"]) / total, 1)
    families = {f["key"]: f for f in picture["families"]}
    gas = int(row["Mains gas only"]) + int(row["Tank or bottled gas only"])
    assert families["gas"]["share"] == round(100 * gas / total, 1)
    assert sum(f["count"] for f in picture["families"]) == total


def test_fuel_poverty_by_deprivation_decile_adds_up_to_the_city(loaded, data_dir):
    from commonground.energy.heat_picture import overview

    result = overview()
    fuel = _rows(data_dir, "fuel-poverty")
    dep = result["deprivation"]
    rows = dep["rows"]
    assert len(rows) == 10
    assert (sum(r["fuel_poor"] for r in rows) + dep["unknown"]["fuel_poor"]
            == sum(int(r["fuel_poor_households"]) for r in fuel.values()))
    assert sum(r["areas"] for r in rows) + dep["unknown"]["areas"] == len(fuel)
    for r in rows:
        if r["share"] is not None:
            assert r["low_998"] <= r["low"] <= r["share"] <= r["high"] <= r["high_998"]
            assert r["share"] == pytest.approx(100 * r["fuel_poor"] / r["households"], abs=0.06)
        if r["areas"] and r["areas"] < 3:
            assert r["few"]
    # the most deprived tenth has more fuel poverty than the least deprived
    shown = [r for r in rows if r["share"] is not None]
    assert shown[0]["share"] > shown[-1]["share"]
    # which groups live where heating is electric or absent: each table's shares are the city's
    tenure = next(t for t in result["groups"] if "enure" in t["title"])
    assert sum(r["city_share"] for r in tenure["rows"]) == pytest.approx(100, abs=0.2)
    assert sum(r["share"] for r in tenure["rows"]) == pytest.approx(100, abs=0.2)
    assert not any("central heating" in t["title"].lower() for t in result["groups"])


def test_the_page_the_api_and_the_command_line_give_the_same_figures(client, loaded, capsys):
    ward = loaded.by_geography["ward"][0]
    api = client.get("/api/energy/heat", {"geography": "ward", "code": ward.code})
    assert api.status_code == 200
    body = api.json()
    assert main(["energy", "heat", ward.code]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert cli["fuel_poverty"] == body["fuel_poverty"] and cli["heating"] == body["heating"]
    page = unescape(client.get(f"/energy/heat/ward/{ward.code}/").content.decode())
    assert f"{body['fuel_poverty']['fuel_poor']:,}" in page
    assert f"{body['fuel_poverty']['share']}%" in page
    assert all(w[:40] in page for w in body["words"])
    city = client.get("/api/energy/heat").json()
    overview = client.get("/energy/heat/")
    assert overview.status_code == 200
    html = unescape(overview.content.decode())
    assert 'id="fuelpoor-' in html and 'id="elecnone-' in html
    assert f"{city['fuel_poverty']['fuel_poor']:,}" in html
    assert all(w[:40] in html for w in city["words"])
    assert len(city["areas"]) == len(loaded.base_areas)
    assert np.isclose(sum(a["fuel_poor"] for a in city["areas"]), city["fuel_poverty"]["fuel_poor"])


def test_an_unknown_area_is_refused_by_name(client, loaded, capsys):
    response = client.get("/api/energy/heat", {"geography": "lsoa21", "code": "E01999999"})
    assert response.status_code == 404 and "E01999999" in response.json()["detail"]
    response = client.get("/api/energy/heat", {"geography": "county", "code": "E01016710"})
    assert response.status_code == 404 and "county" in response.json()["detail"]
    assert client.get("/api/energy/heat", {"geography": "lsoa21"}).status_code == 400
    assert client.get("/api/energy/heat", {"code": "E01016710"}).json()["geography"] == "lsoa21"
    assert client.get("/energy/heat/lsoa21/E01999999/").status_code == 404
    assert main(["energy", "heat", "E01999999"]) == 3
    assert "E01999999" in capsys.readouterr().err


def test_a_place_page_opens_its_heat_picture(client, loaded):
    from commonground.energy.heat_picture import area_picture

    html = unescape(client.get("/places/lsoa21/E01016710/").content.decode())
    assert 'href="/energy/heat/lsoa21/E01016710/"' in html
    assert area_picture("lsoa21", "E01016710")["words"][0][:40] in html


def test_a_code_alone_is_read_as_the_current_neighbourhood(client, loaded, capsys):
    # E01016710 is an LSOA of 2011 and of 2021: the code alone means the 2021 one
    assert main(["energy", "heat", "E01016710"]) == 0
    assert json.loads(capsys.readouterr().out)["geography"] == loaded.base


def test_the_energy_pages_lead_to_the_heat_picture(client, loaded):
    assert 'href="/energy/heat/"' in client.get("/energy/").content.decode()
