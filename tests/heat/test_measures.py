"""Insulation and draught-proofing as ranges, worked by hand and set beside the Energy Saving
Trust's published figure."""

from __future__ import annotations

import pytest

from commonground.heat.demand import degree_days, heat_demand
from commonground.heat.measures import geometry, measures


def _by_key(items):
    return {item.key: item for item in items}


def test_a_semis_geometry_worked_by_hand():
    g = geometry("semi-detached")
    side = (99.1 / 2) ** 0.5  # 7.04 m
    assert g.loft_m2 == pytest.approx(49.55)
    assert g.wall_m2 == pytest.approx(3 * side * 2.5 * 2 * 0.8)  # 3 of 4 sides, 2 storeys
    assert g.volume_m3 == pytest.approx(99.1 * 2.5)


def test_a_loft_top_up_in_a_gas_heated_semi_matches_the_energy_saving_trust():
    """(0.35 - 0.16) W/m²K x 49.55 m² x 24 h x 1,773.5 degree-days = 400.7 kWh of heat, half
    to all of it saved; / 0.84 = 239-477 kWh of gas. EST publishes 55 kgCO2/yr for the same
    top-up in a gas-heated semi: at 0.184 kg/kWh (the gas factor of its day) that is 299 kWh,
    inside the range. Cost: EST's £250, up to 1.5 times for prices since."""
    loft = _by_key(measures("semi-detached", "gas", "owner"))["loft_top_up"]
    heat = 0.19 * 49.55 * 24 * degree_days() / 1000
    assert loft.heat_saved_kwh == pytest.approx((heat / 2, heat))
    assert loft.fuel_saved_kwh[0] < 55 / 0.184 < loft.fuel_saved_kwh[1]
    assert loft.saving_gbp == pytest.approx((heat / 2 / 0.84 * 0.0733, heat / 0.84 * 0.0733))
    assert loft.cost_gbp == (250.0, 375.0)
    assert loft.payback_years == pytest.approx((250 / loft.saving_gbp[1], 375 / loft.saving_gbp[0]))
    assert "Energy Saving Trust" in loft.sources["cost"] and loft.applies


def test_no_measure_saves_more_than_the_heat_that_leaves_its_way():
    """A solid wall (2.1 to 0.30 W/m²K) over a semi's walls would save 6,470 kWh by the
    formula, nearly all its space heat; a third goes through the walls (EST), so it is capped."""
    space = heat_demand("semi-detached", "gas").space_kwh
    found = _by_key(measures("semi-detached", "gas", "owner", space))
    assert found["solid_wall"].heat_saved_kwh[1] == pytest.approx(space / 3)
    assert "Capped" in found["solid_wall"].working and "cap" in found["solid_wall"].sources
    assert found["loft_top_up"].heat_saved_kwh[1] < space / 4  # under its cap: the formula's
    for measure in found.values():
        low, high = measure.saving_gbp
        assert 0 < low <= high and measure.cost_gbp[0] <= measure.cost_gbp[1]
        assert measure.payback_years[0] <= measure.payback_years[1]


def test_a_renter_in_a_flat_is_told_who_decides_and_that_a_loft_is_not_theirs():
    found = _by_key(measures("flat", "electric_direct", "private_renter"))
    assert not found["loft_top_up"].applies and "top-floor" in found["loft_top_up"].why_not
    assert "landlord" in found["cavity_wall"].who_decides
    assert "yourself" in found["draught_proofing"].who_decides
    # electric heat costs 26.11 p a kWh: the same heat saved is worth more than on gas
    gas = _by_key(measures("flat", "gas", "private_renter"))
    assert found["draught_proofing"].saving_gbp[1] > gas["draught_proofing"].saving_gbp[1]


def test_a_heat_network_home_gets_heat_savings_but_no_price():
    found = _by_key(measures("terraced", "heat_network", "social_renter"))
    assert found["cavity_wall"].heat_saved_kwh[1] > 0
    assert found["cavity_wall"].saving_gbp is None and found["cavity_wall"].payback_years is None
    assert "council or housing association" in found["cavity_wall"].who_decides
