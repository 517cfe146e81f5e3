"""A heat pump for a home: its size, its seasonal efficiency, what it would cost to run
against the current heating, and its carbon.

Seasonal efficiency, two ways, both shown:

* The machine's, from ``hplib`` 1.9 (RE-Lab, Hochschule Emden/Leer; MIT licence; fitted to the
  Heat Pump Keymark test results of 500+ models): its "Generic" average regulated (inverter)
  air/water heat pump (group 1) or brine/water heat pump (group 2). Each SAP 2012 month
  (Table U1 mean temperature, Thames region) gets a COP at the flow temperature a
  weather-compensated system needs that month (hplib's ``HeatingSystem``, DIN V 4701-10:
  50 °C flow at -3 °C outside, exponent 1.3 for radiators) and, for hot water, at 55 °C.
  Ground source takes hplib's brine temperature from the month's air temperature (Fraunhofer
  ISE "WP Monitor", 2014). SCOP = heat over the year / electricity, weighting each month by
  its share of space heat (degree-days) and hot water (days).
* Homes', from Energy Systems Catapult's Electrification of Heat Demonstration Project for
  DESNZ (interim findings, March 2023; final report 2023): a median in-use seasonal
  performance factor (SPF) of 2.80 for air-source heat pumps in 742 British homes (boundary H4:
  including the backup heater and hot water). The project had too few ground-source heat pumps
  to say; for them the machine's SCOP is scaled by the same in-use ratio (Common Ground
  assumption).

The lab figure is the top of the range, the in-use figure its bottom and the central figure
(what a household should plan on): a well-designed installation can reach towards the top.

Size: the design-day heat load (``demand``), rounded up to the next whole kW, at least 3 kW
(no smaller units are commonly sold; Common Ground assumption). Hot water is reheated between
heating cycles and adds nothing to the size here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from commonground.solar import sap

from .demand import DESIGN_TEMPERATURE_C, REGION, HeatDemand, degree_days
from .fuels import (
    ELECTRICITY_CARBON,
    ELECTRICITY_KGCO2E_PER_KWH,
    ELECTRICITY_P_PER_KWH,
    ELECTRICITY_PRICE,
    FUELS,
    GAS_STANDING_P_PER_DAY,
)

HPLIB_SOURCE = ("hplib 1.9 (RE-Lab, Hochschule Emden/Leer, 2022; fitted to Heat Pump Keymark "
                "test data), 'Generic' regulated {kind} heat pump, COP per SAP 2012 month")
EOH_SPF = 2.80
EOH_SOURCE = ("Energy Systems Catapult for DESNZ, Electrification of Heat Demonstration "
              "Project, interim findings March 2023: median in-use SPF 2.80 for air-source heat "
              "pumps (742 homes; boundary H4, with backup heater and hot water)")
DESIGN_FLOW_C = 50.0
HOT_WATER_FLOW_C = 55.0
FLOW_SOURCE = ("Common Ground assumption: radiators sized for 50 °C flow at -3 °C, weather "
               "compensated (hplib HeatingSystem, DIN V 4701-10 curve, exponent 1.3); hot "
               "water at 55 °C")
MIN_SIZE_KW = 3.0
COST_SOURCE = ("The Eco Experts news on the Boiler Upgrade Scheme (February and May 2024): air "
               "source about £10,000-£13,000 installed, ground source about £24,000 on average. "
               "Range £10,000-£14,000 air, £18,000-£30,000 ground (Common Ground's widening)")
INSTALL_COST = {"air": (10_000.0, 14_000.0), "ground": (18_000.0, 30_000.0)}
GROUP = {"air": 1, "ground": 2}


@lru_cache(maxsize=8)
def machine_scop(kind: str, region: str = REGION, hot_water_share: float = 0.22) -> float:
    """Seasonal COP of hplib's generic regulated heat pump (module docstring), space heating
    and hot water together; ``hot_water_share`` is hot water's share of the year's heat."""
    from hplib import hplib as hpl  # imported here: loading it reads its CSV database

    group = GROUP[kind]
    params = hpl.get_parameters("Generic", group_id=group, t_in=-7 if group == 1 else 0,
                                t_out=52, p_th=8000)
    pump = hpl.HeatPump(params)
    system = hpl.HeatingSystem(t_outside_min=DESIGN_TEMPERATURE_C, t_inside_set=20.0,
                               t_hs_set=[DESIGN_FLOW_C, DESIGN_FLOW_C - 10.0], f_hs_exp=1.3)
    temps = np.asarray(sap.external_temperature_c(region), dtype=float)
    days = np.asarray(sap.MONTH_DAYS, dtype=float)
    flows = np.array([system.calc_heating_dist_temp(t)[0] for t in temps])
    source = temps if kind == "air" else np.array([system.calc_brine_temp(t) for t in temps])
    # hplib heats the water 5 K above the inlet it is given
    cop_space = np.asarray(pump.simulate(t_in_primary=source, t_in_secondary=flows - 5.0,
                                         t_amb=temps)["COP"], dtype=float)
    cop_water = np.asarray(pump.simulate(t_in_primary=source,
                                         t_in_secondary=np.full(12, HOT_WATER_FLOW_C - 5.0),
                                         t_amb=temps)["COP"], dtype=float)
    space = np.maximum(0.0, 15.5 - temps) * days
    space = (1.0 - hot_water_share) * space / space.sum()
    water = hot_water_share * days / days.sum()
    return float((space.sum() + water.sum()) / (space / cop_space + water / cop_water).sum())


@dataclass(frozen=True)
class HeatPumpOption:
    """An air- or ground-source heat pump for this home.

    kind : "air" or "ground"; size_kw : rated heat output, kW
    scop : (in homes, machine) seasonal efficiency; central is the first
    electricity_kwh : (at the machine's SCOP, at the in-use SPF), kWh/yr
    running_cost_gbp : (low, central, high) £/yr at the cap's electricity price
    current_cost_gbp : (low, central, high) £/yr of the current heating; None if unknown
    saving_gbp : current - heat pump, (low, high), £/yr; None if unknown. Excludes the gas
        standing charge a home that leaves gas altogether saves (``gas_standing_saved_gbp``)
    co2_now_kg, co2_heat_pump_kg : kgCO2e/yr (central)
    install_cost_gbp : (low, high) before any grant
    """

    kind: str
    size_kw: float
    scop: tuple[float, float]
    electricity_kwh: tuple[float, float]
    running_cost_gbp: tuple[float, float, float]
    current_cost_gbp: tuple[float, float, float] | None
    saving_gbp: tuple[float, float] | None
    gas_standing_saved_gbp: float
    co2_now_kg: float | None
    co2_heat_pump_kg: float
    install_cost_gbp: tuple[float, float]
    working: str
    sources: dict[str, str]

    def as_dict(self) -> dict:
        def r(values, digits=0):
            return None if values is None else [round(v, digits) for v in values]
        return {"kind": self.kind, "size_kw": self.size_kw,
                "scop": {"in_homes": round(self.scop[0], 2), "machine": round(self.scop[1], 2)},
                "electricity_kwh": r(self.electricity_kwh),
                "running_cost_gbp": dict(zip(("low", "central", "high"),
                                             r(self.running_cost_gbp), strict=True)),
                "current_cost_gbp": None if self.current_cost_gbp is None else dict(
                    zip(("low", "central", "high"), r(self.current_cost_gbp), strict=True)),
                "saving_gbp_per_year": r(self.saving_gbp),
                "gas_standing_saved_gbp": round(self.gas_standing_saved_gbp),
                "co2_now_kg": None if self.co2_now_kg is None else round(self.co2_now_kg),
                "co2_heat_pump_kg": round(self.co2_heat_pump_kg),
                "install_cost_gbp": r(self.install_cost_gbp), "working": self.working,
                "sources": dict(self.sources)}


def size_kw(design_load_kw: float) -> float:
    """The heat pump's size: the design-day load rounded up to a whole kW, at least 3 kW."""
    return max(MIN_SIZE_KW, float(math.ceil(design_load_kw - 1e-9)))


def heat_pump(kind: str, demand: HeatDemand, heating: str) -> HeatPumpOption:
    """Size, efficiency, running cost against the current heating, and carbon."""
    if kind not in GROUP:
        raise ValueError(f"kind must be 'air' or 'ground'; got {kind!r}")
    share = round(demand.hot_water_kwh / demand.total_kwh, 3)
    machine = machine_scop(kind, hot_water_share=share)
    in_homes = EOH_SPF if kind == "air" else \
        machine * EOH_SPF / machine_scop("air", hot_water_share=share)
    in_homes = min(in_homes, machine)
    heat = demand.total_kwh
    elec_best, elec_typical = heat / machine, heat / in_homes
    price = ELECTRICITY_P_PER_KWH / 100.0
    running = (elec_best * price, elec_typical * price, elec_typical * price)
    fuel = FUELS[heating]
    current: tuple[float, float, float] | None = None
    saving: tuple[float, float] | None = None
    co2_now: float | None = None
    if fuel.price_p_per_kwh is not None and fuel.price_low is not None \
            and fuel.price_high is not None:
        fuel_kwh = heat / fuel.efficiency
        current = (fuel_kwh * fuel.price_low / 100.0, fuel_kwh * fuel.price_p_per_kwh / 100.0,
                   fuel_kwh * fuel.price_high / 100.0)
        saving = (current[0] - running[1], current[2] - running[0])
        co2_now = fuel_kwh * fuel.kgco2e_per_kwh
    standing = GAS_STANDING_P_PER_DAY * 365 / 100.0 if heating == "gas" else 0.0
    size = size_kw(demand.design_load_kw)
    working = (f"{heat:,.0f} kWh of heat a year / SCOP {in_homes:.2f} (in homes) to "
               f"{machine:.2f} (the machine) = {elec_typical:,.0f} to {elec_best:,.0f} kWh of "
               f"electricity, x {ELECTRICITY_P_PER_KWH} p = £{running[1]:,.0f} to "
               f"£{running[0]:,.0f} a year. Sized {size:g} kW for {demand.design_load_kw:.1f} kW "
               f"on a {DESIGN_TEMPERATURE_C:g} °C day ({degree_days():,.0f} degree-days).")
    sources = {"machine_scop": HPLIB_SOURCE.format(kind="air/water" if kind == "air"
                                                   else "brine/water"),
               "in_home_spf": EOH_SOURCE + ("" if kind == "air" else
                                            "; ground source scaled by the same ratio"),
               "flow_temperature": FLOW_SOURCE, "electricity_price": ELECTRICITY_PRICE,
               "electricity_carbon": ELECTRICITY_CARBON, "install_cost": COST_SOURCE,
               "current_price": fuel.sources["price"], "current_carbon": fuel.sources["carbon"]}
    return HeatPumpOption(kind=kind, size_kw=size, scop=(in_homes, machine),
                          electricity_kwh=(elec_best, elec_typical), running_cost_gbp=running,
                          current_cost_gbp=current, saving_gbp=saving,
                          gas_standing_saved_gbp=standing, co2_now_kg=co2_now,
                          co2_heat_pump_kg=elec_typical * ELECTRICITY_KGCO2E_PER_KWH,
                          install_cost_gbp=INSTALL_COST[kind], working=working, sources=sources)
