"""The heat picture of a hub whose data package lacks a part of it (England's has no fuel
poverty estimates and no Census TS046; another city's may lack any of its tables): each part
the data holds is shown, each it lacks is named with the reason on the pages, in the API
(``missing_parts``, ``missing_note``) and on the command line (a note, exit 0); a place's page
says so in its heat section. Only data with none of the parts has no picture: 404 saying why
(exit status 4), and a place's page leaves its heat section out — never a 500 or 503.

The package without a resource is the real city's load with that resource's indicators left
out (as a load of such a package holds), on a fresh memo so nothing built from the whole load
is reused."""

from __future__ import annotations

import dataclasses
import json
from html import unescape

import pytest

from commonground.cli import main
from commonground.places.once import Once

pytestmark = pytest.mark.django_db

FUEL_NOTE = ("This hub has no fuel poverty estimates (the government's sub-regional fuel "
             "poverty statistics); the rest of the picture is below.")


def _without(monkeypatch, state, *, roles=(), titles=()):
    """The loaded city as a package without the resources of ``roles`` or whose titles hold
    one of ``titles`` would load, served to the heat picture."""
    kept = {k: i for k, i in state.indicators.items()
            if i.source.role not in roles and not any(t in i.source.title for t in titles)}
    reduced = dataclasses.replace(state, indicators=kept, _derived=Once())
    monkeypatch.setattr("commonground.energy.heat_picture.city_state", lambda: reduced)
    return reduced


def test_without_fuel_poverty_the_rest_of_the_picture_is_shown_and_every_answer_says_so(
        client, loaded, monkeypatch, capsys):
    ward = loaded.by_geography["ward"][0]
    query = {"geography": "ward", "code": ward.code}
    full = client.get("/api/energy/heat", query).json()
    assert full["missing_parts"] == [] and full["missing_note"] == ""
    _without(monkeypatch, loaded, roles=("fuel-poverty",))
    response = client.get("/api/energy/heat", query)
    assert response.status_code == 200, response.content  # was 503
    body = response.json()
    assert body["missing_note"] == FUEL_NOTE
    assert [m["key"] for m in body["missing_parts"]] == ["fuel_poverty"]
    reason = body["missing_parts"][0]["reason"]
    assert reason.startswith("This hub has no fuel poverty estimates") and "'fuel-poverty'" in reason
    assert body["fuel_poverty"] is None
    for part in ("heating", "accommodation", "tenure"):  # the rest: the same figures
        assert body[part] == full[part], part
    assert not any("fuel poverty" in w for w in body["words"])
    assert body["words"] == [w for w in full["words"] if "fuel poverty" not in w]
    # the area's page: the notice and the parts held, no fuel poverty section
    page = client.get(f"/energy/heat/ward/{ward.code}/")
    html = unescape(page.content.decode())
    assert page.status_code == 200 and FUEL_NOTE in html and reason in html
    assert 'id="fp-h"' not in html and 'id="heat-h"' in html and 'id="homes-h"' in html
    assert all(w[:40] in html for w in body["words"])
    # the city's page and answer: no fuel poverty map, no decile table; heating's still there
    city = client.get("/api/energy/heat").json()
    assert city["missing_note"] == FUEL_NOTE and city["fuel_poverty"] is None
    assert city["deprivation"] is None and city["groups"]
    assert all(a["fuel_poor"] is None and a["fuel_poor_share"] is None for a in city["areas"])
    overview = client.get("/energy/heat/")
    html = unescape(overview.content.decode())
    assert overview.status_code == 200 and FUEL_NOTE in html
    assert 'id="fuelpoor-' not in html and 'id="elecnone-' in html and 'id="dep-h"' not in html
    # the command line: a note on stderr, exit 0, the API's answer
    capsys.readouterr()
    assert main(["energy", "heat", ward.code]) == 0
    out = capsys.readouterr()
    assert out.err.strip() == f"note: {FUEL_NOTE}"
    cli = json.loads(out.out)
    assert {k: cli[k] for k in body if k in cli} == {k: body[k] for k in cli}
    # a place's page: its section says what the hub lacks, with no fuel poverty caveat
    lsoa = loaded.base_areas[0].code
    place = client.get(f"/places/{loaded.base}/{lsoa}/")
    html = unescape(place.content.decode())
    assert place.status_code == 200 and 'id="heat-place-h"' in html
    assert ("This hub has no fuel poverty estimates (the government's sub-regional fuel "
            "poverty statistics).") in html
    assert "Fuel poverty figures are modelled" not in html


def test_without_the_census_heating_table_fuel_poverty_homes_and_tenure_are_shown(
        client, loaded, monkeypatch, capsys):
    full = client.get("/api/energy/heat").json()
    _without(monkeypatch, loaded, titles=("TS046",))
    response = client.get("/api/energy/heat")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [m["key"] for m in body["missing_parts"]] == ["heating"]
    assert body["missing_note"] == ("This hub has no Census table of central heating (TS046); "
                                    "the rest of the picture is below.")
    assert "central heating" in body["missing_parts"][0]["reason"]
    assert body["heating"] is None and body["fuel_poverty"] == full["fuel_poverty"]
    assert body["tenure"] == full["tenure"] and body["deprivation"] == full["deprivation"]
    # who lives where heating is electric or absent needs the heating table: not shown
    assert body["groups"] is None and body["high_electric"] is None
    assert all(a["electric_or_none_share"] is None for a in body["areas"])
    assert [a["fuel_poor"] for a in body["areas"]] == [a["fuel_poor"] for a in full["areas"]]
    html = unescape(client.get("/energy/heat/").content.decode())
    assert body["missing_note"] in html and 'id="fuelpoor-' in html
    assert 'id="elecnone-' not in html and 'id="groups-h"' not in html
    assert 'id="heat-h"' not in html and 'id="fp-h"' in html
    code = loaded.base_areas[0].code
    capsys.readouterr()
    assert main(["energy", "heat", code]) == 0
    out = capsys.readouterr()
    assert out.err.startswith("note: This hub has no Census table of central heating")
    assert json.loads(out.out)["heating"] is None
    place = client.get(f"/places/{loaded.base}/{code}/")
    html = unescape(place.content.decode())
    assert place.status_code == 200 and "no Census table of central heating (TS046)." in html
    assert "Fuel poverty figures are modelled" in html


def test_england_s_case_fuel_poverty_and_heating_both_missing_named_together(
        client, loaded, monkeypatch):
    _without(monkeypatch, loaded, roles=("fuel-poverty",), titles=("TS046",))
    body = client.get("/api/energy/heat").json()
    assert [m["key"] for m in body["missing_parts"]] == ["fuel_poverty", "heating"]
    assert body["missing_note"] == (
        "This hub has no fuel poverty estimates (the government's sub-regional fuel poverty "
        "statistics) and no Census table of central heating (TS046); the rest of the picture "
        "is below.")
    assert body["accommodation"]["categories"] and body["tenure"]["categories"]
    page = client.get("/energy/heat/")
    html = unescape(page.content.decode())
    assert page.status_code == 200 and body["missing_note"] in html
    assert 'id="areas-h"' not in html  # no per-neighbourhood figure to list
    assert all(w[:40] in html for w in body["words"]) and body["words"]


def test_with_none_of_its_parts_there_is_no_picture_and_every_answer_says_why(
        client, loaded, monkeypatch, capsys):
    _without(monkeypatch, loaded, roles=("fuel-poverty", "census"))
    api = client.get("/api/energy/heat")
    assert api.status_code == 404  # was 503: a hub without the data, not a server failure
    detail = api.json()["detail"]
    assert detail.startswith(
        "This hub has no heat picture: it has no fuel poverty estimates (the government's "
        "sub-regional fuel poverty statistics), no Census table of central heating (TS046), no "
        "Census table of accommodation type (TS044) and no Census table of tenure (TS054).")
    assert "Fuel poverty: its data package has no resource with role 'fuel-poverty'" in detail
    code = loaded.base_areas[0].code
    assert client.get("/api/energy/heat", {"code": code}).json()["detail"] == detail
    for url in ("/energy/heat/", f"/energy/heat/{loaded.base}/{code}/"):
        page = client.get(url)
        assert page.status_code == 404 and detail in unescape(page.content.decode()), url
    capsys.readouterr()
    assert main(["energy", "heat", code]) == 4
    assert capsys.readouterr().err.strip() == f"error: {detail}"
    # a place's page opens, without a heat section
    place = client.get(f"/places/{loaded.base}/{code}/")
    assert place.status_code == 200 and 'id="heat-place-h"' not in place.content.decode()
