"""Each heating's price and carbon, checked against the published figures they are taken
from: DESNZ's 2025 conversion factors (by the workbook's row ID), Ofgem's cap and the reported
heating-oil prices of 2026."""

from __future__ import annotations

import pytest

from commonground.heat.fuels import ELECTRICITY_P_PER_KWH, FUELS, GAS_STANDING_P_PER_DAY
from commonground.solar import Assumptions

#: DESNZ, 'Greenhouse gas reporting: conversion factors 2025', flat file, kgCO2e per kWh
#: (gross CV): row ID -> factor
DESNZ_2025 = {"gas": ("1_100_1004_6_1", 0.18296), "oil": ("1_101_1010_6_1", 0.24677),
              "lpg": ("1_100_1003_6_1", 0.2145), "solid_fuel": ("1_102_1027_6_1", 0.34721),
              "electric_direct": ("7_400_4000_5_1", 0.177)}


@pytest.mark.parametrize("heating", sorted(DESNZ_2025))
def test_carbon_factors_are_desnz_2025_by_row(heating):
    row, factor = DESNZ_2025[heating]
    fuel = FUELS[heating]
    assert fuel.kgco2e_per_kwh == factor
    assert row in fuel.sources["carbon"] and "10 June 2025" in fuel.sources["carbon"]
    assert "not confirmed" not in fuel.sources["carbon"]


def test_gas_and_electricity_are_one_quarters_cap_and_say_which():
    """Ofgem's cap for July-September 2026: 26.11 p/kWh and 7.33 p/kWh, standing charges
    57.19 and 29.04 p/day; the source says the current quarter's rates were not found."""
    gas, electric = FUELS["gas"], FUELS["electric_direct"]
    assert (ELECTRICITY_P_PER_KWH, gas.price_p_per_kwh) == (26.11, 7.33)
    assert GAS_STANDING_P_PER_DAY == 29.04
    for fuel in (gas, electric):
        assert "1 July - 30 September 2026" in fuel.sources["price"]
        assert "1 October - 31 December 2026, were not found" in fuel.sources["price"]


def test_heating_oils_range_reaches_the_march_2026_price_spike():
    """A quote of £985 for 1,000 litres (End Fuel Poverty Coalition, March 2026) at 10.35 kWh
    a litre is 9.5 p/kWh: the top of the range; January's 54-62 p/litre gives the rest."""
    oil = FUELS["oil"]
    assert oil.price_high == pytest.approx(98.5 / 10.35, abs=0.05)
    assert oil.price_low == pytest.approx(54 / 10.35, abs=0.05)
    assert oil.price_low < oil.price_p_per_kwh < oil.price_high
    assert "March 2026" in oil.sources["price"] and "£985" in oil.sources["price"]


def test_unpublished_prices_keep_their_honest_label():
    for heating in ("lpg", "solid_fuel"):
        assert FUELS[heating].sources["price"].startswith("Common Ground estimate")
        assert "No published" in FUELS[heating].sources["price"]


def test_solar_and_heat_price_and_weigh_grid_electricity_alike():
    """One household, one electricity price: the solar estimate's default price and carbon
    factor are the heat options' electricity figures, each with the very same source."""
    solar = Assumptions.defaults()
    for heating in ("electric_direct", "none"):
        electric = FUELS[heating]
        assert solar.retail_p_per_kwh == electric.price_p_per_kwh == ELECTRICITY_P_PER_KWH
        assert solar.sources["retail_p_per_kwh"] == electric.sources["price"]
        assert solar.grid_kgco2_per_kwh == electric.kgco2e_per_kwh
        assert solar.sources["grid_kgco2_per_kwh"] == electric.sources["carbon"]
    # storage heaters: the same price and source, with the night-rate caveat after it
    storage = FUELS["electric_storage"]
    assert storage.price_p_per_kwh == solar.retail_p_per_kwh
    assert storage.sources["price"].startswith(solar.sources["retail_p_per_kwh"])
    # each source states the figure it is the source of
    assert f"electricity unit rate {solar.retail_p_per_kwh} p/kWh" in solar.sources[
        "retail_p_per_kwh"]
    assert f"UK electricity generated {solar.grid_kgco2_per_kwh} " in solar.sources[
        "grid_kgco2_per_kwh"]
