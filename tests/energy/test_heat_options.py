"""A home's heat options (issue 23): from the kind of home, its heating and tenure a resident
gets, on a page, through the API and the CLI alike, what fits their home, whose decision each
thing is, which national schemes may help and which of the hub's offers match; a bad answer is
refused naming the field and changes nothing."""

from __future__ import annotations

import json
from html import escape

import pytest
from django.core.management import call_command
from django.urls import reverse

from commonground.cli import main as cli_main
from commonground.energy.heat_forms import HeatOptionsForm
from commonground.energy.heat_options import ANSWERS, NOT_HEAT
from commonground.energy.models import Interest, Offer
from commonground.heat import HEATING, TENURES
from commonground.solar.homes import HOME_KINDS

pytestmark = pytest.mark.django_db

RENTER = {"home_type": "flat", "heating": "electric_storage", "tenure": "private_renter"}
RENTER_CLI = ["energy", "heat-options", "--home", "flat", "--heating", "electric_storage",
              "--tenure", "private_renter"]
PAGE = "/energy/heat/options/"
API = "/api/energy/heat/options"


@pytest.fixture
def offers(loaded):
    call_command("seed_energy", verbosity=0)
    return {o.kind: o for o in Offer.objects.all()}


def _cli(capsys, argv) -> tuple[int, str, str]:
    status = cli_main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_a_private_renter_in_a_flat_on_electric_heating_sees_what_is_theirs(client, offers):
    body = client.get(API, RENTER).json()
    assert body["household"]["heating_label"] == "Electric storage heaters"
    assert body["words"][0] == ("Your home: a flat or maisonette, heated by electric storage "
                                "heaters. You rent it from a private landlord or letting agency.")
    # theirs: draught-proofing and the Warm Home Discount
    assert "draught_proofing" in body["whose"]["measures"]["yours"]
    assert "warm_home_discount" in body["whose"]["schemes"]["yours"]
    # the landlord's: the heat pump grant and the walls; the loft above a flat: not open
    assert "boiler_upgrade_scheme" in body["whose"]["schemes"]["landlord"]
    assert "cavity_wall" in body["whose"]["measures"]["landlord"]
    assert "loft_top_up" in body["whose"]["measures"]["not_open"]
    page = client.get(PAGE, RENTER)
    assert page.status_code == 200
    html = page.content.decode()
    assert "You can do this: draught-proofing windows, doors and gaps." in html
    assert "You may qualify for: Warm Home Discount." in html
    assert "Your landlord may apply for: Boiler Upgrade Scheme." in html
    # every scheme's status, reasons and link, and every measure's sources, are on the page
    for scheme in body["schemes"]:
        assert f"{scheme['name']}: {scheme['status']}" in html
        assert escape(scheme["link"]) in html
    for measure in (m for m in body["measures"] if m["applies"]):
        for source in measure["sources"].values():
            assert escape(source) in html
    # solar: the estimate with the same kind of home
    assert body["solar"]["link"] == reverse("energy:home") + "?home_type=flat&tenure=rent"
    assert escape(body["solar"]["link"]) in html


def test_the_page_the_api_and_the_cli_give_the_same_answer(client, offers, capsys):
    api = client.get(API, {**RENTER, "benefits": ["universal_credit"],
                           "postcode": "MK2 2HB"}).json()
    status, out, err = _cli(capsys, [*RENTER_CLI, "--benefit", "universal_credit",
                                     "--postcode", "MK2 2HB"])
    assert status == 0, err
    assert json.loads(out) == api
    html = client.get(PAGE, {**RENTER, "benefits": "universal_credit",
                             "postcode": "MK2 2HB"}).content.decode()
    for line in api["words"]:
        assert escape(line) in html
    for offer in api["local"]["offers"]:
        assert escape(offer["title"]) in html
    # the ranges are the package's: the first measure that fits, as shown
    draught = next(m for m in api["measures"] if m["key"] == "draught_proofing")
    low, high = draught["cost_gbp"]
    assert f"£{low:,.0f} to £{high:,.0f}" in html


@pytest.mark.parametrize("bad, field", [
    ({"heating": "nuclear"}, "heating"),
    ({"tenure": "squatter"}, "tenure"),
    ({"home_type": "castle"}, "home_type"),
    ({"epc_band": "H"}, "epc_band"),
    ({"annual_fuel_kwh": "lots"}, "annual_fuel_kwh"),
    ({"annual_fuel_kwh": "-5"}, "annual_fuel_kwh"),
    ({"benefits": "lottery"}, "benefits"),
    ({"postcode": "not a postcode"}, "postcode"),
])
def test_a_bad_answer_names_the_field_and_changes_nothing(client, offers, capsys, bad, field):
    before = (Offer.objects.count(), Interest.objects.count())
    page = client.get(PAGE, {**RENTER, **bad})
    assert page.status_code == 400
    html = page.content.decode()
    assert 'class="error-summary"' in html and "Your options</h2>" not in html
    assert f'href="#{field}"' in html
    api = client.get(API, {**RENTER, **bad})
    if field == "annual_fuel_kwh":  # the document says it is a number: refused before use
        assert api.status_code == 422
        assert [e["loc"] for e in api.json()["errors"]] == [["query", field]]
    else:
        assert api.status_code == 400 and f"(field: {field})" in api.json()["detail"]
    flag = {"home_type": "--home", "annual_fuel_kwh": "--fuel-kwh",
            "benefits": "--benefit"}.get(field, "--" + field.replace("_", "-"))
    argv = [a for a in RENTER_CLI]
    if flag in argv:
        argv[argv.index(flag) + 1] = next(iter(bad.values()))
    else:
        argv += [flag, next(iter(bad.values()))]
    status, out, err = _cli(capsys, argv)
    assert status == 2 and out == "" and f"(field: {field})" in err
    assert (Offer.objects.count(), Interest.objects.count()) == before


def test_the_answers_are_required_and_named_when_missing(client, offers):
    answer = client.get(API, {"home_type": "flat", "heating": "gas"})
    assert answer.status_code == 422  # the document says tenure is required
    page = client.get(PAGE, {"home_type": "flat", "heating": "gas"})
    assert page.status_code == 400 and 'href="#tenure"' in page.content.decode()


def test_local_offers_that_match_the_household_and_whether_they_are_about_heat(client, offers):
    owner = {"home_type": "semi-detached", "heating": "gas", "tenure": "owner"}
    city_wide = client.get(API, owner).json()["local"]
    titles = {o["title"] for o in city_wide["offers"]}
    assert offers["own_roof"].title in titles  # an owner of a house: the city-wide roof offer
    assert offers["group_purchase"].title not in titles  # Bletchley only: needs the postcode
    assert offers["grant"].title not in titles  # low income only; no benefit said
    assert any("postcode" in note for note in city_wide["notes"])
    roof = next(o for o in city_wide["offers"] if o["kind"] == "own_roof")
    assert roof["for_heat"] is False and roof["heat"] == NOT_HEAT

    in_bletchley = client.get(API, {**owner, "postcode": "MK2 2HB",
                                    "benefits": "universal_credit"}).json()["local"]
    found = {o["kind"]: o for o in in_bletchley["offers"]}
    if "group_purchase" not in found:
        pytest.skip("MK2 2HB is not in a Bletchley ward in this data")
    assert found["group_purchase"]["for_heat"] and found["group_purchase"]["local"]
    assert found["grant"]["for_heat"]  # on a benefit: the low-income grant is open
    assert in_bletchley["place"]["postcode"] == "MK2 2HB"
    # registering interest: the offers page, not asked again what was answered here
    assert in_bletchley["register_link"] == (
        reverse("energy:options") + "?postcode=MK2+2HB&tenure=own&home=house&low_income=1")

    renter = client.get(API, RENTER).json()["local"]
    assert {o["kind"] for o in renter["offers"]} == {"community_shares"}


def test_an_offer_of_a_kind_the_heat_options_do_not_know_says_so(client, offers):
    Offer.objects.create(organisation=offers["grant"].organisation, kind="heat_pump_club",
                         title="Heat pump club", summary="Neighbours share a surveyor.")
    found = {o["title"]: o for o in client.get(API, RENTER).json()["local"]["offers"]}
    assert "does not map to heating" in found["Heat pump club"]["heat"]
    assert found["Heat pump club"]["for_heat"] is False


def test_the_energy_pages_lead_to_the_heat_options(client, loaded):
    html = client.get(reverse("energy:index")).content.decode()
    assert f'href="{PAGE}"' in html
    first = client.get(PAGE)
    html = first.content.decode()
    assert first.status_code == 200 and "Your options</h2>" not in html
    # every answer the package takes is asked, every heating of TS046 and tenure offered
    assert tuple(HeatOptionsForm.base_fields) == ANSWERS
    for name, choices in (("heating", HEATING), ("tenure", TENURES), ("home_type", HOME_KINDS)):
        for key in choices:
            assert f'name="{name}" value="{key}"' in html


@pytest.mark.parametrize("heating", list(HEATING))
def test_every_heating_gets_a_page_and_an_answer_in_the_documented_shape(client, loaded,
                                                                          heating):
    for tenure, home_type in (("owner", "detached"), ("social_renter", "flat")):
        answers = {"home_type": home_type, "heating": heating, "tenure": tenure}
        page = client.get(PAGE, answers)
        assert page.status_code == 200 and "Your options</h2>" in page.content.decode()
        body = client.get(API, answers).json()  # the response schema checked it on the way
        assert body["household"]["heating"] == heating
        assert body["words"][0].startswith("Your home: a ")
        assert (body["heat_pumps"] == []) == (heating == "heat_network")
