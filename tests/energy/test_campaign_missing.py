"""Where to knock first on a hub whose data package lacks a factor (England's has no fuel
poverty estimates; another city's may lack a Census table or the IoD): the ranking uses the
factors the data holds, reweighted in their proportions, and says which factor is missing and
why on the page, in the CSV's first lines, the API (``missing_factors``) and the command line;
a weight given for the missing factor is not used, said so. Only data with none of the four
cannot be ranked: 404 (page, API, CSV) saying why, exit status 4 on the command line.

The package without a resource is the real city's load with that resource's indicators left
out (as a load of such a package holds), on a fresh memo so nothing built from the whole
load is reused."""

from __future__ import annotations

import csv
import dataclasses
import json
from html import unescape

import pytest

from commonground.cli import main
from commonground.places.once import Once

pytestmark = pytest.mark.django_db

HELD = ("heating", "tenure", "deprivation")


def _without(monkeypatch, state, *, roles=(), titles=()):
    """The loaded city as a package without the resources of ``roles`` or whose titles hold
    one of ``titles`` would load, served to the campaign."""
    kept = {k: i for k, i in state.indicators.items()
            if i.source.role not in roles and not any(t in i.source.title for t in titles)}
    reduced = dataclasses.replace(state, indicators=kept, _derived=Once())
    monkeypatch.setattr("commonground.energy.campaign.city_state", lambda: reduced)
    return reduced


def test_without_fuel_poverty_the_others_rank_reweighted_and_every_answer_says_so(
        client, loaded, monkeypatch, capsys):
    full = client.get("/api/energy/heat/campaign").json()
    _without(monkeypatch, loaded, roles=("fuel-poverty",))
    response = client.get("/api/energy/heat/campaign")
    assert response.status_code == 200, response.content  # was 503
    body = response.json()
    assert [m["key"] for m in body["missing_factors"]] == ["fuel_poverty"]
    assert "no fuel poverty estimates" in body["missing_factors"][0]["reason"]
    assert "'fuel-poverty'" in body["missing_factors"][0]["reason"]  # why: the role it needs
    assert body["missing_note"].startswith(
        "This hub has no fuel poverty estimates; the ranking uses the other three factors, "
        "reweighted: costly or no heating 42%, renting privately 25%, deprivation 33%.")
    assert body["missing_note"] in body["words"]
    assert body["weights"] == {"heating": 25, "tenure": 15, "deprivation": 20}
    assert [f["key"] for f in body["factors"]] == list(HELD) and body["caveat"] == ""
    assert body["ranked"] == full["ranked"] and "TS054" in body["households_source"]
    # each row: the same figures as with fuel poverty, its priority their weighted mean over 60
    before = {r["code"]: r for r in full["rows"]}
    for row in body["rows"][:5] + body["rows"][-5:]:
        assert row["fuel_poor"] is None and [f["key"] for f in row["factors"]] == list(HELD)
        old = {f["key"]: f for f in before[row["code"]]["factors"]}
        for f in row["factors"]:
            assert f["value"] == old[f["key"]]["value"] and f["score"] == old[f["key"]]["score"]
            assert f["contribution"] == pytest.approx(100 * f["weight"] * f["score"] / 60,
                                                      abs=0.25)
        assert row["priority"] == pytest.approx(sum(f["contribution"] for f in row["factors"]),
                                                abs=0.6)
    # the page: the notice, no field for the missing weight, its row in the factors' table
    page = client.get("/energy/heat/campaign/")
    html = unescape(page.content.decode())
    assert page.status_code == 200 and body["missing_note"] in html
    assert 'name="fuel_poverty"' not in html and 'name="heating"' in html
    assert "not used" in html and body["rows"][0]["name"] in html
    # the CSV: a line saying it, no fuel poverty columns
    text = client.get("/energy/heat/campaign.csv").content.decode()
    notes = [line for line in text.splitlines() if line.startswith("#")]
    assert any(n.startswith("# fuel_poverty: Fuel poverty: not used. This hub has no fuel "
                            "poverty estimates") for n in notes)
    assert any(n == "# " + body["missing_note"] for n in notes)
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) == body["areas"] and not any("fuel" in c for c in rows[0])
    assert rows[0]["code"] == body["rows"][0]["code"]
    # the command line: exit 0, a note on stderr, the API's answer
    capsys.readouterr()
    assert main(["energy", "campaign"]) == 0
    out = capsys.readouterr()
    assert out.err.startswith("note: This hub has no fuel poverty estimates")
    assert json.loads(out.out)["rows"] == body["rows"]
    # an evidence pack's item says it too, and cites no fuel poverty caveat
    from commonground.evidence import campaign_items

    item = campaign_items.snapshot(loaded.base, body["rows"][0]["code"], "")
    notes = {n["title"]: n["text"] for n in item["notes"]}
    assert notes["Factors this hub lacks"] == body["missing_note"]
    assert "Fuel poverty is modelled" not in notes


def test_a_weight_for_the_missing_factor_is_said_not_used_and_a_bad_one_is_refused(
        client, loaded, monkeypatch, capsys):
    _without(monkeypatch, loaded, roles=("fuel-poverty",))
    plain = client.get("/api/energy/heat/campaign").json()
    body = client.get("/api/energy/heat/campaign", {"fuel_poverty": "50"}).json()
    assert body["missing_factors"][0]["weight_given"] == 50
    assert "The weight given for “Fuel poverty” (50) is not used" in body["missing_note"]
    assert body["rows"] == plain["rows"] and body["weights"] == plain["weights"]
    assert body["weights_query"] == "heating=25&tenure=15&deprivation=20"
    # not a whole number: refused naming it, as on any hub
    bad = client.get("/api/energy/heat/campaign", {"fuel_poverty": "lots"})
    assert bad.status_code == 400 and bad.json()["detail"].startswith("fuel_poverty:")
    # weight only on the missing factor: nothing to rank with, the factors held named
    only = {"fuel_poverty": "100", "heating": "0", "tenure": "0", "deprivation": "0"}
    refused = client.get("/api/energy/heat/campaign", only)
    assert refused.status_code == 400 and refused.json()["detail"].startswith("heating:")
    assert "“Renting privately”" in refused.json()["detail"]
    assert client.get("/energy/heat/campaign/", only).status_code == 400
    capsys.readouterr()
    assert main(["energy", "campaign", "--fuel-poverty=100", "--heating=0", "--tenure=0",
                 "--deprivation=0"]) == 2


def test_a_census_table_missing_too_leaves_two_factors_named_in_plain_words(
        client, loaded, monkeypatch):
    _without(monkeypatch, loaded, roles=("fuel-poverty",), titles=("TS046",))
    body = client.get("/api/energy/heat/campaign", {"geography": "ward"}).json()
    assert [m["key"] for m in body["missing_factors"]] == ["fuel_poverty", "heating"]
    assert body["missing_note"].startswith(
        "This hub has no fuel poverty estimates and no Census table of central heating "
        "(TS046); the ranking uses the other two factors, reweighted: renting privately 43%, "
        "deprivation 57%.")
    assert body["rows"] and all(len(r["factors"]) == 2 for r in body["rows"])


def test_with_none_of_the_four_factors_every_answer_says_why_not_a_server_failure(
        client, loaded, monkeypatch, capsys):
    _without(monkeypatch, loaded, roles=("fuel-poverty", "census", "deprivation"))
    api = client.get("/api/energy/heat/campaign")
    assert api.status_code == 404
    detail = api.json()["detail"]
    assert detail.startswith("This hub cannot rank neighbourhoods for a warm-homes campaign: "
                             "it has no fuel poverty estimates, no Census table of central "
                             "heating (TS046), no Census table of tenure (TS054) with private "
                             "renting and no Index of Multiple Deprivation scores.")
    page = client.get("/energy/heat/campaign/")
    assert page.status_code == 404 and detail in unescape(page.content.decode())
    assert client.get("/energy/heat/campaign.csv").status_code == 404
    capsys.readouterr()
    assert main(["energy", "campaign"]) == 4
    assert capsys.readouterr().err.strip() == f"error: {detail}"
