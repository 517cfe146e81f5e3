"""A home's heat and a heat pump for it, checked by hand against the published figures they
rest on: Ofgem's typical gas use, the Energy Saving Trust's hot-water measurement, SAP 2012's
climate table, hplib's heat pumps and the Electrification of Heat project's measured SPF."""

from __future__ import annotations

import pytest

from commonground.heat.demand import degree_days, heat_demand, hot_water_kwh
from commonground.heat.heatpump import EOH_SPF, heat_pump, machine_scop, size_kw
from commonground.solar import sap


def test_a_typical_semi_needs_the_heat_of_ofgems_medium_gas_user():
    """Ofgem's medium user burns 11,500 kWh of gas a year; at 84% that is 9,660 kWh of heat,
    of which hot water (EST, 2008: 122 l/day heated 42 K) is 122 x 4.18 x 42 / 3600 x 365 =
    2,172 kWh. Tolerance: 1 kWh (rounding only)."""
    semi = heat_demand("semi-detached", "gas")
    assert hot_water_kwh() == pytest.approx(122 * 4.18 * 42 / 3600 * 365)
    assert semi.hot_water_kwh == pytest.approx(2172, abs=1)
    assert semi.total_kwh == pytest.approx(11_500 * 0.84, abs=1)
    assert semi.space_kwh == pytest.approx(9660 - 2172, abs=1)
    assert "11,500 kWh" in semi.working and "Ofgem" in semi.sources["typical_use"]


def test_bigger_homes_need_more_heat_and_a_bill_replaces_the_typical_figure():
    kinds = ["flat", "bungalow", "terraced", "semi-detached", "detached"]
    totals = [heat_demand(kind, "gas").total_kwh for kind in kinds]
    assert totals == sorted(totals)
    # a flat's space heat is the semi's per m², over 60.3 m² rather than 99.1 m²
    assert heat_demand("flat", "gas").space_kwh == pytest.approx(
        heat_demand("semi-detached", "gas").space_kwh * 60.3 / 99.1)
    own = heat_demand("flat", "electric_storage", annual_fuel_kwh=5000)
    assert own.from_bills and own.total_kwh == pytest.approx(5000)  # electric heat is 100%
    assert heat_demand("flat", "oil", annual_fuel_kwh=5000).total_kwh == pytest.approx(4200)


def test_degree_days_and_the_design_day_load_worked_by_hand():
    temps = sap.external_temperature_c("Thames")
    expected = sum(max(0.0, 15.5 - t) * d for t, d in zip(temps, sap.MONTH_DAYS, strict=True))
    assert degree_days() == pytest.approx(expected) == pytest.approx(1773.5, abs=0.1)
    semi = heat_demand("semi-detached", "gas")
    h = 7488.0 / (24 * 1773.5)  # kW per kelvin
    assert semi.heat_loss_kw_per_k == pytest.approx(h, rel=1e-3)
    assert semi.design_load_kw == pytest.approx(h * 18.5, rel=1e-3)  # 15.5 - (-3) = 18.5 K
    assert size_kw(semi.design_load_kw) == 4.0 and size_kw(0.4) == 3.0 and size_kw(5.0) == 5.0


def test_hplib_gives_seasonal_efficiencies_a_uk_home_can_expect():
    """hplib's generic inverter heat pumps at a 50 °C design flow, weather compensated, with
    hot water at 55 °C: the machine does better than British homes measured (2.80, the
    Electrification of Heat median) and ground source better than air; both stay within the
    range heat pumps are sold on (2.8 to 5)."""
    air, ground = machine_scop("air"), machine_scop("ground")
    assert EOH_SPF < air < ground < 5.0
    # more hot water (made at 55 °C) lowers the season's efficiency
    assert machine_scop("air", hot_water_share=0.5) < air


def test_an_air_source_heat_pumps_running_cost_for_a_semi_against_the_measured_spf():
    """9,660 kWh of heat / 2.80 (median SPF measured in 742 British homes, Energy Systems
    Catapult 2023) = 3,450 kWh of electricity x 26.11 p (Ofgem cap, July-September 2026) =
    £901 a year. Tolerance £1. The gas it replaces: 11,500 kWh x 7.33 p = £843."""
    semi = heat_demand("semi-detached", "gas")
    air = heat_pump("air", semi, "gas")
    assert air.scop[0] == EOH_SPF
    assert air.running_cost_gbp[1] == pytest.approx(9660 / 2.80 * 0.2611, abs=1)
    assert air.running_cost_gbp[1] == pytest.approx(901, abs=1)
    assert air.running_cost_gbp[0] == pytest.approx(9660 / air.scop[1] * 0.2611, abs=1)
    assert air.current_cost_gbp[1] == pytest.approx(11_500 * 0.0733, abs=1)
    assert air.saving_gbp == pytest.approx((843 - 901, 843 - air.running_cost_gbp[0]), abs=1)
    assert air.gas_standing_saved_gbp == pytest.approx(29.04 * 365 / 100)
    # carbon (DESNZ 2025): 11,500 kWh x 0.18296 of gas against 3,450 kWh x 0.177 of electricity
    assert air.co2_now_kg == pytest.approx(11_500 * 0.18296, abs=1)
    assert air.co2_heat_pump_kg == pytest.approx(9660 / 2.8 * 0.177, abs=1)
    assert "hplib" in air.sources["machine_scop"] and "2.80" in air.sources["in_home_spf"]


def test_a_heat_pump_saves_most_against_electric_heaters():
    flat = heat_demand("flat", "electric_storage")
    pump = heat_pump("air", flat, "electric_storage")
    # electric heaters: 1 kWh of electricity per kWh of heat; the heat pump: 1 / 2.8
    assert pump.current_cost_gbp[1] == pytest.approx(flat.total_kwh * 0.2611)
    assert pump.saving_gbp[0] == pytest.approx(flat.total_kwh * 0.2611 * (1 - 1 / 2.8))
    assert pump.saving_gbp[0] > 0 and pump.gas_standing_saved_gbp == 0
    ground = heat_pump("ground", flat, "electric_storage")
    assert ground.scop[0] > EOH_SPF and ground.install_cost_gbp[0] > pump.install_cost_gbp[1]
