"""Insulation and draught-proofing: what each saves, costs and takes to pay back, as ranges.

Savings are worked from the heat each measure stops, the way SAP and BREDEM do:

    heat saved (kWh/yr) = change in U-value (W/m²K) x area (m²) x 24 x degree-days / 1000
    for draught-proofing: 0.33 Wh/(m³K) x volume (m³) x change in air changes an hour x 24 x DD

then fuel saved = heat saved / the heating's efficiency, and £ = fuel saved x its unit price.
The range runs from half the calculated saving (measured savings often fall well short of
calculated ones: Sanders & Phillipson, 'Review of differences between measured and
theoretical energy savings for insulation measures', CRICH, 2006, cited in Hansard, 23 October
2008; the factor of one half is a Common Ground assumption) to the full calculated saving.

Geometry, from the kind of home (``commonground.solar.homes``): the ground floor is taken as a
square (footprint = floor area / floors); the loft is the footprint; walls are 2.5 m a storey
(Common Ground assumption) round the exposed share of the perimeter - all four sides for a
detached house or bungalow, three for a semi, two and a half for a terrace (between a mid- and
an end-terrace), two for a flat of one storey - less 20% for windows and doors (assumption).

U-values (W/m²K) are SAP's reduced-data defaults as commonly quoted (SAP 10.2 Appendix S,
Tables S6 and S9; not confirmed against the tables here): a loft with 120 mm of mineral wool
about 0.35, with 270 mm about 0.16; an unfilled cavity wall about 1.5, filled about 0.5; solid
brick about 2.1, insulated to 0.30 (the Building Regulations Approved Document L 2021 limit
for a renovated wall). Draught-proofing every window and door cuts SAP's window infiltration
term from 0.25 to 0.05 air changes an hour (SAP worksheet line 15: 0.25 - 0.2 x share
draught-proofed); the range takes 0.1 to 0.2.

No measure saves more than the share of a home's space heat that leaves the way it stops:
about a quarter through the roof, a third through the walls (Energy Saving Trust, as reported
in 2018 and 2012) and 12% through draughts and gaps (Energy4All's figures for an uninsulated
house); the calculated saving is capped at that share of the home's space heat.

Costs are the Energy Saving Trust's published typical unsubsidised professional prices where
found (undated pages, as stored; prices have risen since, so the top of each range is 1.5
times the figure, a Common Ground assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from commonground.solar.homes import HOME_KINDS

from .demand import degree_days
from .fuels import FUELS

STOREY_HEIGHT_M = 2.5
GLAZED_SHARE = 0.20
EXPOSED_SIDES = {"detached": 4.0, "semi-detached": 3.0, "terraced": 2.5, "bungalow": 4.0,
                 "flat": 2.0}
MEASURED_SHARE = 0.5
PRICE_RISE = 1.5
AIR_HEAT_WH_PER_M3K = 0.33
#: Largest share of the space heat each measure can save (module docstring)
SHARE_CAP = {"loft_top_up": 0.25, "cavity_wall": 1 / 3, "solid_wall": 1 / 3,
             "draught_proofing": 0.12}
CAP_SOURCE = ("Energy Saving Trust via Hemel Today (2012) and the Press Association (2018): in an "
              "uninsulated home about a third of heat goes through the walls and a quarter "
              "through the roof; Energy4All: 12% through ventilation and gaps")

EST_LOFT = ("Energy Saving Trust, 'Roof and loft insulation' (energysavingtrust.org.uk/"
            "domestic/roof-and-loft, undated page as stored): loft insulation top-up 120 to "
            "270 mm, typical installation cost detached £310, semi £250, mid-terrace £240, "
            "detached bungalow £295; saving 55 kgCO2/yr for a gas-heated semi")
EST_LOFT_COST = {"detached": 310.0, "semi-detached": 250.0, "terraced": 240.0,
                 "bungalow": 295.0}
EST_CAVITY = ("Energy Saving Trust cavity wall insulation figures as quoted by Tring in "
              "Transition (undated): £450-£500 unsubsidised for a 3-bedroom semi; scaled here by "
              "wall area")
EST_SOLID = ("Energy Saving Trust figures as quoted by Chimney Sheep / passionforfreshideas.com "
             "(undated): internal wall insulation about £8,750, external about £15,000, averaged "
             "over house types; scaled here by wall area relative to a semi")
DRAUGHT_COST = ("Checkatrade, as reported by The British Insider (2025): about £180 to have a "
                "whole house draught-proofed professionally; EcoFrenzy: £120 DIY, about £350 "
                "professionally. Range £120-£350")


@dataclass(frozen=True)
class Measure:
    """One measure for one home, as ranges (low, high).

    key, label : what it is
    applies : False when it does not fit this home or heating (``why_not`` says why)
    heat_saved_kwh : useful heat saved a year, kWh
    fuel_saved_kwh : the current fuel saved a year, kWh (None when the price is unknown)
    saving_gbp : £ a year at the current fuel's price (None when the price is unknown)
    cost_gbp : installed cost, £
    payback_years : cost / saving, years (None when there is no saving to divide by)
    co2_saved_kg : kgCO2e a year
    who_decides : whose permission the work needs
    working, sources : the arithmetic and what it rests on
    """

    key: str
    label: str
    applies: bool
    why_not: str
    heat_saved_kwh: tuple[float, float]
    fuel_saved_kwh: tuple[float, float]
    saving_gbp: tuple[float, float] | None
    cost_gbp: tuple[float, float]
    payback_years: tuple[float, float] | None
    co2_saved_kg: tuple[float, float]
    who_decides: str
    working: str
    sources: dict[str, str]

    def as_dict(self) -> dict:
        def rounded(pair, digits=0):
            return None if pair is None else [round(pair[0], digits), round(pair[1], digits)]
        return {"key": self.key, "label": self.label, "applies": self.applies,
                "why_not": self.why_not, "heat_saved_kwh": rounded(self.heat_saved_kwh),
                "fuel_saved_kwh": rounded(self.fuel_saved_kwh),
                "saving_gbp_per_year": rounded(self.saving_gbp),
                "cost_gbp": rounded(self.cost_gbp), "payback_years": rounded(self.payback_years, 1),
                "co2_saved_kg_per_year": rounded(self.co2_saved_kg),
                "who_decides": self.who_decides, "working": self.working,
                "sources": dict(self.sources)}


@dataclass(frozen=True)
class Geometry:
    """The parts of a typical home a measure touches: loft (m²), net wall (m²), volume (m³)."""

    loft_m2: float
    wall_m2: float
    volume_m3: float


def geometry(home_type: str) -> Geometry:
    """The module's geometry for a kind of home. A semi: 49.55 m² footprint, side 7.04 m,
    3 of 4 sides x 7.04 m x 5 m high x 0.8 = 84.5 m² of wall, 247.75 m³ inside."""
    home = HOME_KINDS[home_type]
    storeys = 1 if home.shared_roof else home.storeys
    footprint = home.floor_area_m2 / storeys
    side = math.sqrt(footprint)
    wall = EXPOSED_SIDES[home_type] * side * STOREY_HEIGHT_M * storeys * (1.0 - GLAZED_SHARE)
    return Geometry(loft_m2=footprint, wall_m2=wall,
                    volume_m3=home.floor_area_m2 * STOREY_HEIGHT_M)


def _measure(key, label, home_type, heating, heat_high, cost, who, working, sources,
             applies=True, why_not="", space_kwh=None) -> Measure:
    fuel = FUELS[heating]
    if space_kwh is not None and heat_high > SHARE_CAP[key] * space_kwh:
        heat_high = SHARE_CAP[key] * space_kwh
        working += (f" Capped at {SHARE_CAP[key]:.0%} of this home's {space_kwh:,.0f} kWh of "
                    f"space heat: {heat_high:,.0f} kWh.")
        sources = {**sources, "cap": CAP_SOURCE}
    heat = (heat_high * MEASURED_SHARE, heat_high)
    fuel_kwh = (heat[0] / fuel.efficiency, heat[1] / fuel.efficiency)
    saving = payback = None
    if fuel.price_low is not None and fuel.price_high is not None:
        saving = (fuel_kwh[0] * fuel.price_low / 100.0, fuel_kwh[1] * fuel.price_high / 100.0)
        if saving[0] > 0:
            payback = (cost[0] / saving[1], cost[1] / saving[0])
    co2 = (fuel_kwh[0] * fuel.kgco2e_per_kwh, fuel_kwh[1] * fuel.kgco2e_per_kwh)
    sources = {**sources, "price": fuel.sources["price"], "carbon": fuel.sources["carbon"],
               "measured_share": "Sanders & Phillipson (CRICH, 2006) via Hansard 23 October "
               "2008; one half is a Common Ground assumption"}
    return Measure(key, label, applies, why_not, heat, fuel_kwh, saving, cost, payback, co2,
                   who, working, sources)


def _who(tenure: str, home_type: str) -> str:
    if tenure == "owner" and home_type != "flat":
        return "You decide (you own the home)."
    if tenure == "owner":
        return "The building's walls and roof usually belong to the freeholder: ask them."
    if tenure == "social_renter":
        return "Your council or housing association decides: ask them."
    return "Your landlord decides and must agree before any work: ask them."


def measures(home_type: str, heating: str, tenure: str,
             space_kwh: float | None = None) -> list[Measure]:
    """Loft top-up, cavity wall, solid wall and draught-proofing for this home, as ranges;
    ``space_kwh`` (the home's space heat a year) caps each saving (module docstring)."""
    g = geometry(home_type)
    dd = degree_days()
    kh = 24.0 * dd / 1000.0  # kWh per (W/K) a year
    who = _who(tenure, home_type)
    out = []

    loft_heat = (0.35 - 0.16) * g.loft_m2 * kh
    loft_cost = EST_LOFT_COST.get(home_type, EST_LOFT_COST["terraced"])
    is_flat = home_type == "flat"
    out.append(_measure(
        "loft_top_up", "Loft insulation top-up (120 mm to 270 mm)", home_type, heating,
        loft_heat, (loft_cost, loft_cost * PRICE_RISE), who,
        f"(0.35 - 0.16) W/m²K x {g.loft_m2:.1f} m² of loft x 24 h x {dd:,.0f} degree-days = "
        f"{loft_heat:,.0f} kWh of heat a year at most.", {"cost": EST_LOFT}, space_kwh=space_kwh,
        applies=not is_flat,
        why_not="Only a top-floor flat has a loft above it, and it is the building's: ask the "
                "freeholder or landlord." if is_flat else ""))

    cavity_heat = (1.5 - 0.5) * g.wall_m2 * kh
    scale = g.wall_m2 / geometry("semi-detached").wall_m2
    out.append(_measure(
        "cavity_wall", "Cavity wall insulation (unfilled cavity)", home_type, heating,
        cavity_heat, (450.0 * scale, 500.0 * scale * PRICE_RISE), who,
        f"(1.5 - 0.5) W/m²K x {g.wall_m2:.1f} m² of outside wall x 24 h x {dd:,.0f} degree-days "
        f"= {cavity_heat:,.0f} kWh a year at most. Only for walls with an empty cavity (most "
        "homes built from the 1930s to the 1990s; an EPC or installer can tell).",
        {"cost": EST_CAVITY}, space_kwh=space_kwh))

    solid_heat = (2.1 - 0.30) * g.wall_m2 * kh
    out.append(_measure(
        "solid_wall", "Solid wall insulation (internal or external)", home_type, heating,
        solid_heat, (8750.0 * scale, 15000.0 * scale * PRICE_RISE), who,
        f"(2.1 - 0.30) W/m²K x {g.wall_m2:.1f} m² of outside wall x 24 h x {dd:,.0f} "
        f"degree-days = {solid_heat:,.0f} kWh a year at most. Only for solid walls (most homes "
        "built before the 1930s).", {"cost": EST_SOLID}, space_kwh=space_kwh))

    draught_heat = AIR_HEAT_WH_PER_M3K * g.volume_m3 * 0.2 * kh
    out.append(_measure(
        "draught_proofing", "Draught-proofing windows, doors and gaps", home_type, heating,
        draught_heat, (120.0, 350.0),
        "You can do most of it yourself, renting or owning; fixed seals in a rented home need "
        "the landlord's agreement.",
        f"0.33 Wh/m³K x {g.volume_m3:.0f} m³ x 0.2 air changes an hour x 24 h x {dd:,.0f} "
        f"degree-days = {draught_heat:,.0f} kWh a year at most.", {"cost": DRAUGHT_COST}, space_kwh=space_kwh))
    return out
