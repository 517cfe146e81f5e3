"""What each way of heating costs and emits per kWh, and how much of its fuel becomes heat:
every figure with its publisher, its date and what we could not confirm.

Prices and carbon factors date quickly: each source says which period it is for. Figures we
could not check against the publisher's own table in the session that wrote them say so
("not confirmed"); replace them when the next edition is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from commonground.solar.assumptions import (
    CONVERSION_FACTORS_SOURCE,
    GRID_CARBON_SOURCE,
    GRID_KGCO2E_PER_KWH,
    GRID_P_PER_KWH,
    GRID_PRICE_SOURCE,
    PRICE_CAP_SOURCE,
)

# Grid electricity's price and carbon factor are commonground.solar's, so a home's heat options
# and its solar estimate price the same electricity the same way; gas shares the cap's source.
CAP_SOURCE = PRICE_CAP_SOURCE
ELECTRICITY_PRICE = GRID_PRICE_SOURCE
GAS_PRICE = (
    f"{CAP_SOURCE}: gas unit rate 7.33 p/kWh, standing charge 29.04 p/day (the gas figures "
    "from EnergyPlus alone)"
)
OIL_PRICE = (
    "Central and low: OilCompare, 'Heating oil prices UK' guide, updated January 2026: 1,000 "
    "litres of kerosene at 54-62 p/litre (58 p central), incl. 5% VAT. High: after the Middle "
    "East strikes of March 2026 the End Fuel Poverty Coalition reported a quote of £985 for "
    "1,000 litres that cost £670 in January (PA, via the Shropshire Star, 5 March 2026, "
    "https://www.shropshirestar.com/uk-news/2026/03/05/households-on-heating-oil-already-"
    "grappling-with-soaring-prices/; Which?, 12 March 2026, reported the same spike): 98.5 "
    "p/litre. At 10.35 kWh per litre (kerosene, gross calorific value; not confirmed against "
    "DESNZ's Digest of UK Energy Statistics annex A here) that is 5.2-9.5 p/kWh. No published "
    "average for October - December 2026 was found: a household's own delivery price is better"
)
LPG_PRICE = (
    "Common Ground estimate, December 2026: 9 p/kWh (7-11). No published LPG price for 2026 "
    "was found (searched 7 December 2026); LPG, like heating oil, is outside the price cap and "
    "rose with it in 2026 (Which?, 12 March 2026). A household's own supplier quote is better"
)
SOLID_FUEL_PRICE = (
    "Common Ground estimate, December 2026: 8 p/kWh (6-10) for bagged smokeless fuel or "
    "seasoned logs. No published price was found (searched 7 December 2026)"
)
HEAT_NETWORK_PRICE = (
    "Heat network tariffs are set by each network and were not regulated by the price cap; "
    "no typical figure is used, so running costs are not compared"
)

CARBON_SOURCE = CONVERSION_FACTORS_SOURCE
ELECTRICITY_CARBON = GRID_CARBON_SOURCE
GAS_CARBON = f"{CARBON_SOURCE}: natural gas 0.18296 (ID 1_100_1004_6_1)"
OIL_CARBON = f"{CARBON_SOURCE}: burning oil (kerosene) 0.24677 (ID 1_101_1010_6_1)"
LPG_CARBON = f"{CARBON_SOURCE}: LPG 0.2145 (ID 1_100_1003_6_1)"
SOLID_CARBON = (f"{CARBON_SOURCE}: coal (domestic) 0.34721 (ID 1_102_1027_6_1); wood logs "
                "are 0.0115 combustion-only (ID 2_104_1043_5_1), so a wood-heated home's "
                "figure errs high")

BOILER_EFFICIENCY = (
    "Energy Systems Catapult for DESNZ, Electrification of Heat Demonstration Project final "
    "report (2023), as reported by the Heat Pump Association and Electrotechnical News: 'a "
    "typical fossil fuel heating system efficiency of 84%'"
)
ELECTRIC_EFFICIENCY = (
    "Electric resistance heating turns all the electricity it takes into heat in the home "
    "(SAP 10.2 Table 4a gives 100% for storage and direct electric heaters)"
)
SOLID_EFFICIENCY = (
    "Common Ground assumption, December 2026: 65%, between an open fire with back boiler and a "
    "closed room heater with boiler in SAP 10.2 Table 4a (the table's figures not confirmed here)"
)


@dataclass(frozen=True)
class Fuel:
    """One way of heating.

    label : what the household reads
    price_p_per_kwh : central unit price of the fuel, p/kWh (None when not compared)
    price_low, price_high : the range, p/kWh
    kgco2e_per_kwh : combustion (or generation) carbon per kWh of fuel, kgCO2e/kWh
    efficiency : useful heat out per kWh of fuel in, 0-1
    sources : field -> where the figure comes from
    """

    label: str
    price_p_per_kwh: float | None
    price_low: float | None
    price_high: float | None
    kgco2e_per_kwh: float
    efficiency: float
    sources: dict[str, str]

    def as_dict(self) -> dict:
        return {"label": self.label, "price_p_per_kwh": self.price_p_per_kwh,
                "price_range_p_per_kwh": [self.price_low, self.price_high],
                "kgco2e_per_kwh": self.kgco2e_per_kwh, "efficiency": self.efficiency,
                "sources": dict(self.sources)}


ELECTRICITY_P_PER_KWH = GRID_P_PER_KWH
GAS_STANDING_P_PER_DAY = 29.04
ELECTRICITY_KGCO2E_PER_KWH = GRID_KGCO2E_PER_KWH

_ELECTRIC = {"price": ELECTRICITY_PRICE, "carbon": ELECTRICITY_CARBON,
             "efficiency": ELECTRIC_EFFICIENCY}

FUELS: dict[str, Fuel] = {
    "gas": Fuel("Mains gas boiler", 7.33, 7.33, 7.33, 0.18296, 0.84,
                {"price": GAS_PRICE, "carbon": GAS_CARBON, "efficiency": BOILER_EFFICIENCY}),
    "electric_storage": Fuel(
        "Electric storage heaters", ELECTRICITY_P_PER_KWH, ELECTRICITY_P_PER_KWH,
        ELECTRICITY_P_PER_KWH, ELECTRICITY_KGCO2E_PER_KWH, 1.0,
        {**_ELECTRIC, "price": ELECTRICITY_PRICE + ". Storage heaters usually charge on a "
         "cheaper night rate (Economy 7), which the cap publishes by region only: this errs "
         "high for them"}),
    "electric_direct": Fuel("Electric heaters", ELECTRICITY_P_PER_KWH, ELECTRICITY_P_PER_KWH,
                            ELECTRICITY_P_PER_KWH, ELECTRICITY_KGCO2E_PER_KWH, 1.0, _ELECTRIC),
    "oil": Fuel("Oil boiler", 5.6, 5.2, 9.5, 0.24677, 0.84,
                {"price": OIL_PRICE, "carbon": OIL_CARBON, "efficiency": BOILER_EFFICIENCY}),
    "lpg": Fuel("LPG boiler", 9.0, 7.0, 11.0, 0.2145, 0.84,
                {"price": LPG_PRICE, "carbon": LPG_CARBON, "efficiency": BOILER_EFFICIENCY}),
    "solid_fuel": Fuel("Solid fuel", 8.0, 6.0, 10.0, 0.34721, 0.65,
                       {"price": SOLID_FUEL_PRICE, "carbon": SOLID_CARBON,
                        "efficiency": SOLID_EFFICIENCY}),
    "heat_network": Fuel("Heat network", None, None, None, 0.0, 1.0,
                         {"price": HEAT_NETWORK_PRICE,
                          "carbon": "Depends on the network's heat source: not estimated",
                          "efficiency": "Heat is metered as delivered"}),
    # No central heating: the household heats rooms with plug-in electric heaters (a Common
    # Ground assumption; some use bottled gas heaters, which cost more per kWh of heat).
    "none": Fuel("Plug-in electric heaters (no central heating)", ELECTRICITY_P_PER_KWH,
                 ELECTRICITY_P_PER_KWH, ELECTRICITY_P_PER_KWH, ELECTRICITY_KGCO2E_PER_KWH, 1.0,
                 {**_ELECTRIC, "assumption": "A home without central heating is taken to heat "
                  "its rooms with plug-in electric heaters (Common Ground assumption)"}),
}
