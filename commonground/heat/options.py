"""A home's options in one object: its heat, each measure, the heat pumps and the schemes,
with every assumption and source - what a page, the API and the CLI all render."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .demand import HeatDemand, heat_demand
from .fuels import FUELS, Fuel
from .heatpump import HeatPumpOption, heat_pump
from .household import Household, household
from .measures import Measure, measures
from .schemes import SchemeResult, schemes


@dataclass(frozen=True)
class Options:
    """Everything ``options`` worked out for one household, JSON-ready with ``as_dict``.

    household : the checked answers; on : the date scheme rules were applied for
    fuel : the current heating's price, carbon and efficiency
    demand : the home's yearly heat; measures : insulation and draught-proofing
    heat_pumps : air- and ground-source (none for a home on a heat network: it has no boiler
        of its own to replace)
    schemes : the national schemes' answers
    notes : what the figures leave out, in plain words
    """

    household: Household
    on: date
    fuel: Fuel
    demand: HeatDemand
    measures: tuple[Measure, ...]
    heat_pumps: tuple[HeatPumpOption, ...]
    schemes: tuple[SchemeResult, ...]
    notes: tuple[str, ...]

    def scheme(self, key: str) -> SchemeResult:
        return next(result for result in self.schemes if result.key == key)

    def measure(self, key: str) -> Measure:
        return next(result for result in self.measures if result.key == key)

    def as_dict(self) -> dict:
        return {"household": self.household.as_dict(), "on": self.on.isoformat(),
                "current_heating": self.fuel.as_dict(), "demand": self.demand.as_dict(),
                "measures": [m.as_dict() for m in self.measures],
                "heat_pumps": [h.as_dict() for h in self.heat_pumps],
                "schemes": [s.as_dict() for s in self.schemes], "notes": list(self.notes)}


def options(home: Household | None = None, on: date | None = None, **answers) -> Options:
    """A household's options: ``options(household(...))`` or ``options(home_type=...,
    heating=..., tenure=..., ...)`` with the answers ``household`` takes. ``on`` is the date the
    scheme rules are applied for (today if not given). Bad answers raise ``HeatInputError``."""
    if home is None:
        home = household(**answers)
    on = on or date.today()
    demand = heat_demand(home.home_type, home.heating, home.annual_fuel_kwh)
    pumps: tuple[HeatPumpOption, ...] = ()
    notes = [
        "Typical figures for the kind of home: a survey (or your own bills) is better.",
        "Prices are one quarter's; carbon factors one year's. Each figure says which.",
    ]
    if home.heating == "heat_network":
        notes.append("A home on a heat network has no boiler of its own to replace, so no heat "
                     "pump is costed; ask the network about its own plans.")
    else:
        pumps = tuple(heat_pump(kind, demand, home.heating) for kind in ("air", "ground"))
    if home.home_type == "flat":
        notes.append("In a flat, a heat pump needs somewhere outside for its unit and usually "
                     "the freeholder's or landlord's consent; ground source needs land.")
    if home.tenure != "owner":
        notes.append("As a tenant, changes to the building are your landlord's decision; "
                     "draught-proofing and the Warm Home Discount are yours.")
    return Options(household=home, on=on, fuel=FUELS[home.heating], demand=demand,
                   measures=tuple(measures(home.home_type, home.heating, home.tenure,
                                           demand.space_kwh)),
                   heat_pumps=pumps, schemes=tuple(schemes(home, on)), notes=tuple(notes))
