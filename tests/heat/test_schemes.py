"""National schemes as dated rules: each rule's yes and no, and the reason a household reads."""

from __future__ import annotations

from datetime import date

import pytest

from commonground.heat import household
from commonground.heat.schemes import (
    CLOSED,
    LANDLORD,
    MAY,
    NO,
    boiler_upgrade_scheme,
    eco4,
    great_british_insulation_scheme,
    warm_home_discount,
)

BEFORE_ECO_ENDED = date(2026, 1, 15)
NOW = date(2026, 12, 6)


def home(**answers):
    base = {"home_type": "semi-detached", "heating": "gas", "tenure": "owner"}
    return household(**{**base, **answers})


def test_boiler_upgrade_scheme_is_for_owners_replacing_fossil_or_electric_heating():
    for heating in ("gas", "oil", "lpg", "solid_fuel", "electric_storage", "electric_direct"):
        assert boiler_upgrade_scheme(home(heating=heating), NOW).status == MAY
    result = boiler_upgrade_scheme(home(), NOW)
    assert "£7,500" in result.offer and result.link.startswith("https://www.gov.uk/")
    assert "£9,000" not in result.offer
    assert any("Energy Performance Certificate" in c for c in result.conditions)


def test_boiler_upgrade_scheme_pays_more_to_replace_oil_or_lpg_off_the_gas_grid():
    """gov.uk's notice of grant values from 21 July 2026: £9,000 for an air-to-water heat
    pump in an off-gas-grid home replacing oil or LPG, £7,500 on the gas grid."""
    for heating in ("oil", "lpg"):
        result = boiler_upgrade_scheme(home(heating=heating), NOW)
        assert "£9,000" in result.offer and "off the gas grid" in result.offer
        assert "21 July 2026" in result.offer and "grant_values" in result.sources
    electric = boiler_upgrade_scheme(home(heating="electric_storage"), NOW)
    assert "£9,000" not in electric.offer and "not read" in electric.offer


@pytest.mark.parametrize("answers, status, words", [
    ({"tenure": "social_renter"}, NO, "Social housing"),
    ({"tenure": "private_renter"}, LANDLORD, "your landlord can apply"),
    ({"heating": "heat_network"}, NO, "heat network"),
    ({"heating": "none"}, NO, "no central heating"),
])
def test_boiler_upgrade_scheme_says_why_not(answers, status, words):
    result = boiler_upgrade_scheme(home(**answers), NOW)
    assert result.status == status and words in " ".join(result.reasons)


def test_boiler_upgrade_scheme_closes_in_2028():
    assert boiler_upgrade_scheme(home(), date(2028, 4, 1)).status == CLOSED


def test_great_british_insulation_scheme_general_and_low_income_groups():
    assert great_british_insulation_scheme(
        home(epc_band="D", council_tax_band="C", benefits="none"), BEFORE_ECO_ENDED).status == MAY
    assert great_british_insulation_scheme(
        home(epc_band="E", council_tax_band="F", benefits=["universal_credit"]),
        BEFORE_ECO_ENDED).status == MAY
    no = great_british_insulation_scheme(home(epc_band="C", council_tax_band="A"),
                                         BEFORE_ECO_ENDED)
    assert no.status == NO and "EPC band C" in no.reasons[0]
    no = great_british_insulation_scheme(home(epc_band="D", council_tax_band="E", benefits=[]),
                                         BEFORE_ECO_ENDED)
    assert no.status == NO and "above D" in no.reasons[0]
    renter = great_british_insulation_scheme(
        home(tenure="private_renter", epc_band="F", council_tax_band="B"), BEFORE_ECO_ENDED)
    assert renter.status == NO and "D or E" in renter.reasons[0]


def test_eco4_needs_a_benefit_and_a_low_epc_band():
    assert eco4(home(epc_band="E", benefits=["housing_benefit"]), BEFORE_ECO_ENDED).status == MAY
    assert eco4(home(epc_band="E", benefits="none"), BEFORE_ECO_ENDED).status == NO
    renter = eco4(home(tenure="private_renter", epc_band="D", benefits=["universal_credit"]),
                  BEFORE_ECO_ENDED)
    assert renter.status == NO and "E-G" in renter.reasons[0]
    assert eco4(home(tenure="social_renter", epc_band="F"), BEFORE_ECO_ENDED).status == MAY


def test_schemes_that_ended_in_march_2026_say_so_and_what_their_rules_would_have_said():
    closed = eco4(home(epc_band="E", benefits=["housing_benefit"]), NOW)
    assert closed.status == CLOSED and "31 March 2026" in closed.reasons[0]
    assert "would have fitted" in closed.reasons[0]
    closed = great_british_insulation_scheme(home(epc_band="B"), NOW)
    assert closed.status == CLOSED and "would not have fitted" in closed.reasons[0]
    # each points to what runs now, with its source
    assert "Warm Homes: Local Grant" in closed.reasons[0]
    assert "Warm Homes: Local Grant" in eco4(home(), NOW).reasons[0]
    assert "£36,000" in closed.sources["successor"]


def test_warm_home_discount_needs_a_means_tested_benefit_and_the_bill_in_your_name():
    yes = warm_home_discount(home(benefits=["universal_credit"], name_on_electricity_bill="yes"),
                             BEFORE_ECO_ENDED)
    assert yes.status == MAY and "Universal Credit" in yes.reasons[0] and "£150" in yes.offer
    no = warm_home_discount(home(benefits=["child_benefit"]), BEFORE_ECO_ENDED)
    assert no.status == NO and "Child Benefit" in no.reasons[0]
    no = warm_home_discount(home(benefits=["housing_benefit"], name_on_electricity_bill="no"),
                            BEFORE_ECO_ENDED)
    assert no.status == NO and "electricity bill" in no.reasons[-1]
    unknown = warm_home_discount(home(), BEFORE_ECO_ENDED)
    assert unknown.status == MAY and "not answered" in unknown.reasons[0]

def test_warm_home_discount_keeps_its_rules_to_winter_2030_to_2031():
    """DESNZ's consultation outcome (January 2026) continued the scheme for five winters with
    the same eligibility in England and Wales: this winter a bill payer on Universal Credit
    may qualify, and the answer says the rules were kept; after March 2031 it says they were
    not found."""
    now = warm_home_discount(home(benefits=["universal_credit"]), NOW)
    assert now.status == MAY and "2030 to 2031" in now.rules_as_of
    assert any("kept the winter 2025 to 2026 rules" in c for c in now.conditions)
    assert not any("not found" in c for c in now.conditions)
    assert "continued" in now.sources
    later = warm_home_discount(home(benefits=["universal_credit"]), date(2031, 4, 1))
    assert any("later winters were not found" in c for c in later.conditions)
