"""One call gives a household its options with every assumption and source; bad answers are
refused naming the field."""

from __future__ import annotations

import json
from datetime import date

import pytest

from commonground.heat import HeatInputError, household, options
from commonground.heat.schemes import CLOSED, LANDLORD, MAY


def test_a_private_renter_in_a_flat_on_electric_heating_gets_options_that_fit():
    found = options(home_type="flat", heating="electric storage", tenure="private",
                    benefits=["universal_credit"], name_on_electricity_bill=True,
                    on=date(2026, 12, 6))
    assert found.household.heating == "electric_storage"
    assert found.household.tenure == "private_renter"
    # what is theirs to do: draught-proofing and the Warm Home Discount
    assert found.measure("draught_proofing").applies
    assert found.scheme("warm_home_discount").status == MAY
    # what is the landlord's: the heat pump grant, the walls; not the loft above a flat
    assert found.scheme("boiler_upgrade_scheme").status == LANDLORD
    assert "landlord" in found.measure("cavity_wall").who_decides
    assert not found.measure("loft_top_up").applies
    assert found.scheme("eco4").status == CLOSED
    # a heat pump would cost less to run than storage heaters at the same price per kWh
    air = next(pump for pump in found.heat_pumps if pump.kind == "air")
    assert air.saving_gbp[0] > 0
    assert any("freeholder" in note for note in found.notes)


def test_every_figure_comes_with_its_source_and_the_whole_is_json():
    found = options(home_type="semi-detached", heating="gas", tenure="owner")
    data = json.loads(json.dumps(found.as_dict()))
    assert data["current_heating"]["sources"]["price"].startswith("Ofgem")
    assert data["demand"]["sources"] and data["demand"]["working"]
    for measure in data["measures"]:
        assert measure["sources"]["cost"] and measure["sources"]["price"]
    for pump in data["heat_pumps"]:
        assert {"machine_scop", "in_home_spf", "electricity_price", "install_cost"} <= set(
            pump["sources"])
    for scheme in data["schemes"]:
        assert scheme["link"].startswith("https://") and scheme["rules_as_of"]


def test_a_heat_network_home_gets_no_heat_pump_and_is_told_why():
    found = options(home_type="flat", heating="heat_network", tenure="social_renter")
    assert found.heat_pumps == ()
    assert any("heat network" in note for note in found.notes)


@pytest.mark.parametrize("answers, field", [
    ({"home_type": "castle"}, "home_type"),
    ({"heating": "nuclear"}, "heating"),
    ({"heating": ""}, "heating"),
    ({"tenure": "squatter"}, "tenure"),
    ({"epc_band": "H"}, "epc_band"),
    ({"council_tax_band": "Z"}, "council_tax_band"),
    ({"benefits": ["lottery"]}, "benefits"),
    ({"name_on_electricity_bill": "maybe"}, "name_on_electricity_bill"),
    ({"annual_fuel_kwh": "lots"}, "annual_fuel_kwh"),
    ({"annual_fuel_kwh": -5}, "annual_fuel_kwh"),
    ({"annual_fuel_kwh": 5_000_000}, "annual_fuel_kwh"),
    ({"annual_fuel_kwh": float("nan")}, "annual_fuel_kwh"),
])
def test_bad_answers_are_refused_naming_the_field(answers, field):
    base = {"home_type": "flat", "heating": "gas", "tenure": "owner"}
    with pytest.raises(HeatInputError) as error:
        options(**{**base, **answers})
    assert error.value.field == field and str(error.value).startswith(f"{field}:")


def test_answers_people_type_are_understood():
    found = household("Semi detached", "Mains gas", "own", epc_band=" d ",
                      council_tax_band="", annual_fuel_kwh="12,000")
    assert (found.home_type, found.heating, found.tenure) == ("semi-detached", "gas", "owner")
    assert found.epc_band == "D" and found.council_tax_band is None
    assert found.annual_fuel_kwh == 12_000
    assert options(found).demand.from_bills
