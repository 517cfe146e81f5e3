"""A home's yearly heat: space heating and hot water, kWh of useful heat a year, and the
heat-loss rate a heat pump is sized from.

Working
-------
Ofgem's typical domestic consumption value for a medium gas user is 11,500 kWh of gas a year
(in use from 1 April 2024; Ofgem's 2026 review sets new values from 1 July 2026, not read
here). At the 84% seasonal efficiency of a typical boiler (Energy Systems Catapult, 2023) that
is 11,500 x 0.84 = 9,660 kWh of heat. Cooking on gas is a small share and is left in.

Hot water: the Energy Saving Trust's measurement of 120 homes ("Measurement of domestic hot
water consumption in dwellings", EST for Defra, 2008) found 122 litres a day on average, at a
delivered temperature near 52 °C. Heating 122 litres from 10 °C to 52 °C takes
122 x 4.18 x 42 / 3600 = 5.95 kWh a day, 2,172 kWh a year (tank and pipe losses left out).

Space heating for the medium user is the rest: 9,660 - 2,172 = 7,488 kWh. Ofgem's medium user
is taken to live in a typical semi-detached house (99.1 m², ``commonground.solar.homes``), a
Common Ground assumption, so space heat is 7,488 / 99.1 = 75.6 kWh per m² of floor a year.
Other kinds of home scale by floor area. This ignores how many walls a home shares: it errs
high for flats and mid-terraces and low for detached houses and bungalows. The English Housing
Survey energy report and the NEED consumption tables by property type and age would say more;
neither was read here, so no age band is offered. A household's own yearly use from its bills
(``annual_fuel_kwh``) replaces all of this and is better.

Heat-loss rate and the coldest day: with D degree-days a year (base 15.5 °C, the UK
convention; CIBSE TM41, 2006), space heat Q kWh means a heat-loss rate of
H = Q / (24 x D) kW per kelvin, and the heat needed on a design day at T_d is
H x (15.5 - T_d) kW. D is worked from SAP 2012 Table U1's monthly mean temperatures for the
region (``commonground.solar.sap``): Thames (Milton Keynes) 1,774 K·day. Monthly means
understate degree-days (cold snaps are averaged away), so H errs high - which sizes a heat
pump on the safe side. T_d = -3 °C is a Common Ground assumption close to the 99.6% design
temperatures MCS uses for southern England (MCS MIS 3005-D's table not read here).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commonground.solar import sap
from commonground.solar.homes import HOME_KINDS

from .fuels import FUELS

TDCV_GAS_KWH = 11_500.0
TDCV_SOURCE = ("Ofgem, typical domestic consumption values: medium gas user 11,500 kWh a year, "
               "in use from 1 April 2024 (new values from 1 July 2026 not read here)")
BOILER_EFFICIENCY = 0.84
HOT_WATER_LITRES_PER_DAY = 122.0
HOT_WATER_SOURCE = ("Energy Saving Trust for Defra, 'Measurement of domestic hot water "
                    "consumption in dwellings' (2008): 122 litres a day on average across 120 "
                    "homes, delivered near 52 °C; mains water taken at 10 °C")
HOT_WATER_RISE_K = 52.0 - 10.0
WATER_KWH_PER_LITRE_K = 4.18 / 3600.0
REFERENCE_KIND = "semi-detached"
DEGREE_DAY_BASE_C = 15.5
DEGREE_DAY_SOURCE = ("Degree-days above a 15.5 °C base (CIBSE TM41, 2006) from SAP 2012 Table "
                     "U1 monthly mean external temperatures")
DESIGN_TEMPERATURE_C = -3.0
DESIGN_SOURCE = ("Common Ground assumption: -3 °C outside on the design day, close to the 99.6% "
                 "design temperatures MCS uses for southern England (not confirmed here)")
REGION = "Thames"


def hot_water_kwh() -> float:
    """Useful heat for hot water a year, kWh: 122 l x 4.18 kJ/(kg K) x 42 K / 3600 x 365."""
    return HOT_WATER_LITRES_PER_DAY * WATER_KWH_PER_LITRE_K * HOT_WATER_RISE_K * 365.0


def space_heat_per_m2() -> float:
    """Space heat per m² of floor, kWh/(m² yr), from the medium gas user (module docstring)."""
    heat = TDCV_GAS_KWH * BOILER_EFFICIENCY - hot_water_kwh()
    return heat / HOME_KINDS[REFERENCE_KIND].floor_area_m2


def degree_days(region: str = REGION) -> float:
    """Heating degree-days a year above 15.5 °C from SAP 2012 Table U1's monthly means, K·day."""
    temps = sap.external_temperature_c(region)
    days = np.array(sap.MONTH_DAYS, dtype=float)
    return float(np.sum(np.maximum(0.0, DEGREE_DAY_BASE_C - temps) * days))


@dataclass(frozen=True)
class HeatDemand:
    """A home's yearly heat, kWh of useful heat (what the radiators and taps deliver).

    space_kwh, hot_water_kwh : the two parts, kWh/yr
    from_bills : True when worked back from the household's own fuel use
    heat_loss_kw_per_k : H, kW per kelvin of inside-outside difference
    design_load_kw : heat needed on the design day, kW
    working : the arithmetic in words
    sources : what each number rests on
    """

    space_kwh: float
    hot_water_kwh: float
    from_bills: bool
    heat_loss_kw_per_k: float
    design_load_kw: float
    working: str
    sources: dict[str, str]

    @property
    def total_kwh(self) -> float:
        return self.space_kwh + self.hot_water_kwh

    def as_dict(self) -> dict:
        return {"space_kwh": round(self.space_kwh), "hot_water_kwh": round(self.hot_water_kwh),
                "total_kwh": round(self.total_kwh), "from_bills": self.from_bills,
                "heat_loss_w_per_k": round(self.heat_loss_kw_per_k * 1000),
                "design_load_kw": round(self.design_load_kw, 1), "working": self.working,
                "sources": dict(self.sources)}


def heat_demand(home_type: str, heating: str, annual_fuel_kwh: float | None = None,
                region: str = REGION) -> HeatDemand:
    """The yearly heat of a kind of home (see the module's working).

    home_type : key of ``HOME_KINDS``; heating : key of ``fuels.FUELS``
    annual_fuel_kwh : the household's own fuel use a year, kWh; heat = fuel x the heating's
        efficiency, of which hot water is the typical 2,172 kWh (at most half)
    """
    water = hot_water_kwh()
    floor = HOME_KINDS[home_type].floor_area_m2
    sources = {"hot_water": HOT_WATER_SOURCE, "degree_days": DEGREE_DAY_SOURCE,
               "design_temperature": DESIGN_SOURCE}
    if annual_fuel_kwh is not None:
        efficiency = FUELS[heating].efficiency
        heat = annual_fuel_kwh * efficiency
        water = min(water, heat / 2.0)
        space = heat - water
        working = (f"{annual_fuel_kwh:,.0f} kWh of fuel a year from the bills x "
                   f"{efficiency:.0%} efficiency = {heat:,.0f} kWh of heat, of which "
                   f"{water:,.0f} kWh hot water and {space:,.0f} kWh space heating.")
        sources["efficiency"] = FUELS[heating].sources["efficiency"]
    else:
        intensity = space_heat_per_m2()
        space = intensity * floor
        working = (f"Ofgem's medium gas user, {TDCV_GAS_KWH:,.0f} kWh x "
                   f"{BOILER_EFFICIENCY:.0%} = {TDCV_GAS_KWH * BOILER_EFFICIENCY:,.0f} kWh of "
                   f"heat; less {water:,.0f} kWh for hot water leaves "
                   f"{intensity:.1f} kWh per m² over a typical semi's "
                   f"{HOME_KINDS[REFERENCE_KIND].floor_area_m2:g} m²; this home's "
                   f"{floor:g} m² makes {space:,.0f} kWh of space heating.")
        sources["typical_use"] = TDCV_SOURCE
        sources["efficiency"] = FUELS["gas"].sources["efficiency"]
    dd = degree_days(region)
    h = space / (24.0 * dd)
    load = h * (DEGREE_DAY_BASE_C - DESIGN_TEMPERATURE_C)
    working += (f" Spread over {dd:,.0f} degree-days that is {h * 1000:,.0f} W per kelvin, "
                f"{load:.1f} kW on a {DESIGN_TEMPERATURE_C:g} °C day.")
    return HeatDemand(space_kwh=space, hot_water_kwh=water, from_bills=annual_fuel_kwh is not None,
                      heat_loss_kw_per_k=h, design_load_kw=load, working=working,
                      sources=sources)
