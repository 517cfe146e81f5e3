"""The money, carbon and household assumptions behind an estimate: every default with its
publisher and date, every one editable, every one checked.

Prices and carbon factors date quickly: each source says which period it is for. Edit with
``Assumptions.defaults().updated(retail_p_per_kwh=30)``; the edited field's source then reads
"edited".
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

from .errors import SolarInputError
from .roof import PANEL_W_PER_M2, USABLE_ROOF_FRACTION

# Self-consumption anchor: McKenna, Pless & Darby, "Solar photovoltaic self-consumption in the
# UK residential sector: new estimates from a smart grid demonstration project", Energy Policy
# 118 (2018) 482-491 (summarised by the University of Oxford Environmental Change Institute,
# 30 October 2019): households with a typical 2.9 kW system and 4,000 kWh/year demand used 37%
# of their generation themselves and took 24% less from the grid. So self-consumed energy is
# 24% of demand when generation is 0.24 / 0.37 = 0.65 of demand.
SELF_CONSUMPTION_ANCHOR = 0.37
SELF_SUPPLY_ANCHOR = 0.24

# Grid electricity: the one price and the one carbon factor of every estimate, this one and
# commonground.heat's (heat imports them from here; heat may import solar, never the reverse),
# so the same household is never shown two electricity prices. Change them here only.
PRICE_CAP_SOURCE = (
    "Ofgem, energy price cap for 1 July - 30 September 2026 (confirmed by Ofgem on 27 May "
    "2026), as relayed by EnergyPlus, 'UK Energy Price Cap explained: the July 2026 cap' "
    "(https://www.energyplus.co.uk/GuidesFAQs/EnergyPriceCap, read 7 December 2026); the "
    "electricity rate also by Particle News, 'Ofgem raises UK energy price cap 13% for "
    "July-September' (26.11p, up from 24.67p). Direct Debit, Great Britain average, incl. 5% "
    "VAT. The rates for the current period, 1 October - 31 December 2026, were not found in "
    "the pages read: replace with them"
)
#: Grid electricity unit rate, p/kWh, and standing charge, p/day (``PRICE_CAP_SOURCE``)
GRID_P_PER_KWH = 26.11
GRID_STANDING_P_PER_DAY = 57.19
GRID_PRICE_SOURCE = (
    f"{PRICE_CAP_SOURCE}: electricity unit rate {GRID_P_PER_KWH} p/kWh, standing charge "
    f"{GRID_STANDING_P_PER_DAY} p/day"
)
CONVERSION_FACTORS_SOURCE = (
    "DESNZ, 'Greenhouse gas reporting: conversion factors 2025', version 1 (10 June 2025; "
    "https://www.gov.uk/government/publications/greenhouse-gas-reporting-conversion-factors-"
    "2025), flat file, 'Factors by Category', read 7 December 2026 from a copy of the "
    "publisher's workbook: kgCO2e per kWh, gross calorific value, combustion only (no "
    "well-to-tank). The 2026 edition (June 2026) was not read for fuels; its UK electricity "
    "factor is 0.13096 as relayed by several users of it, partly from a change of method, so "
    "the 2025 set is kept whole, for electricity and every fuel alike"
)
#: Carbon intensity of UK grid electricity, kgCO2e/kWh (``CONVERSION_FACTORS_SOURCE``)
GRID_KGCO2E_PER_KWH = 0.177
GRID_CARBON_SOURCE = (
    f"{CONVERSION_FACTORS_SOURCE}: UK electricity generated {GRID_KGCO2E_PER_KWH} (ID "
    "7_400_4000_5_1; 2024: 0.20705). Held constant, so as the grid decarbonises a solar "
    "array's lifetime carbon saving is overstated and a heat pump's saving understated"
)

DEFAULT_SOURCES: dict[str, str] = {
    "cost_per_kwp_gbp": (
        "DESNZ, 'Solar PV cost data' (Official Statistics), financial year 2024/25, published "
        "May 2025: median installed cost £1,876 per kW for 0-4 kW systems (£1,780 for 4-10 kW), "
        "from the MCS Installation Database; as reported by pv magazine, May 2025"
    ),
    "seg_export_p_per_kwh": (
        "Solar Energy UK, 'Smart Export Guarantee league table', updated 17 July 2025: 15 p/kWh "
        "is the usual flat rate for a supplier's own import customers (Octopus Outgoing Fixed, "
        "EDF Export 12m, Good Energy Solar Savings, OVO), still Octopus's headline rate in "
        "May 2026; open-market SEG tariffs pay as little as 1-8 p/kWh"
    ),
    "retail_p_per_kwh": GRID_PRICE_SOURCE,
    "grid_kgco2_per_kwh": GRID_CARBON_SOURCE,
    "degradation_per_year": (
        "Jordan & Kurtz (NREL), 'Photovoltaic Degradation Rates - an Analytical Review', "
        "Progress in Photovoltaics 21(1), 2013: median loss 0.5% of output a year"
    ),
    "lifetime_years": (
        "Module performance warranties are typically 25 years (Jordan & Kurtz, NREL, 2013); "
        "used as the appraisal period. An inverter replacement (usually one in 25 years) is "
        "not costed"
    ),
    "annual_demand_kwh": (
        "Ofgem typical domestic consumption value, medium electricity user (Profile Class 1): "
        "2,700 kWh/year, in use from 1 April 2024"
    ),
    "self_consumption_fraction": (
        "Blank: worked out from generation / demand with a saturating curve through McKenna, "
        "Pless & Darby, Energy Policy 118, 2018 (37% self-consumed at generation = 0.65 x "
        "demand; University of Oxford ECI summary, 30 October 2019), capped by "
        "max_direct_use_share"
    ),
    "max_direct_use_share": (
        "Common Ground assumption, November 2026 (not a published figure): without a battery "
        "or load shifting, at most 40% of a household's annual use can coincide with PV output"
    ),
    "panel_w_per_m2": (
        "Fraunhofer ISE, 'Photovoltaics Report', 2022 edition: average crystalline-silicon "
        "module efficiency 20.4% (Q4 2021), so about 200 W per m² of module"
    ),
    "usable_roof_fraction": (
        "Common Ground assumption, November 2026: 0.4 m clear at every edge of a typical "
        "7.5 m x 4 m roof plane leaves 71%; whole modules and vents bring it to about 70%"
    ),
    "generation_range_fraction": (
        "Thevenard & Pelland, 'Estimating the uncertainty in long-term photovoltaic yield "
        "predictions', Solar Energy 91, 2013: combined first-year uncertainty about 8.7% (one "
        "standard deviation), of which year-to-year weather 3.9%; rounded to +/-10%"
    ),
}

EDITED = "edited (not a default)"


@dataclass(frozen=True)
class Assumptions:
    """Money, carbon and household assumptions, with sources.

    cost_per_kwp_gbp : installed cost, £ per kWp (incl. VAT, which is 0% on residential solar
        until March 2027)
    seg_export_p_per_kwh : Smart Export Guarantee payment for exported electricity, p/kWh
    retail_p_per_kwh : price of electricity bought from the grid, p/kWh
    grid_kgco2_per_kwh : carbon intensity of grid electricity displaced, kgCO2e/kWh
    degradation_per_year : fraction of output lost each year, 0-0.2
    lifetime_years : years of generation counted, 1-60
    annual_demand_kwh : household electricity use, kWh/year
    self_consumption_fraction : share of generation used at home, 0-1; ``None`` to work it out
        from generation and demand (``self_consumption``)
    max_direct_use_share : most of the annual demand PV can supply directly, 0-1
    panel_w_per_m2 : module rated power per m², W/m²
    usable_roof_fraction : share of the roof plane modules can cover, 0-1
    generation_range_fraction : half-width of the generation range, as a fraction of the
        central figure (0.1 = +/-10%)
    sources : publisher and date of each value (``DEFAULT_SOURCES``), "edited" once changed
    """

    cost_per_kwp_gbp: float = 1876.0
    seg_export_p_per_kwh: float = 15.0
    retail_p_per_kwh: float = GRID_P_PER_KWH
    grid_kgco2_per_kwh: float = GRID_KGCO2E_PER_KWH
    degradation_per_year: float = 0.005
    lifetime_years: int = 25
    annual_demand_kwh: float = 2700.0
    self_consumption_fraction: float | None = None
    max_direct_use_share: float = 0.40
    panel_w_per_m2: float = PANEL_W_PER_M2
    usable_roof_fraction: float = USABLE_ROOF_FRACTION
    generation_range_fraction: float = 0.10
    sources: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SOURCES), compare=False)

    # (field, lowest, highest, unit for messages); lowest may equal 0, highest is inclusive
    _LIMITS = (
        ("cost_per_kwp_gbp", 0.0, 20_000.0, "£ per kWp"),
        ("seg_export_p_per_kwh", 0.0, 200.0, "pence per kWh"),
        ("retail_p_per_kwh", 0.0, 200.0, "pence per kWh"),
        ("grid_kgco2_per_kwh", 0.0, 2.0, "kgCO2e per kWh"),
        ("degradation_per_year", 0.0, 0.2, "fraction a year"),
        ("lifetime_years", 1, 60, "years"),
        ("annual_demand_kwh", 1.0, 1_000_000.0, "kWh a year"),
        ("self_consumption_fraction", 0.0, 1.0, "fraction"),
        ("max_direct_use_share", 0.25, 1.0, "fraction"),
        ("panel_w_per_m2", 50.0, 300.0, "W per m²"),
        ("usable_roof_fraction", 0.01, 1.0, "fraction"),
        ("generation_range_fraction", 0.0, 0.9, "fraction"),
    )

    def __post_init__(self) -> None:
        for name, low, high, unit in self._LIMITS:
            value = getattr(self, name)
            if value is None and name == "self_consumption_fraction":
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SolarInputError(name, f"must be a number ({unit}); got {value!r}")
            if not math.isfinite(value):
                raise SolarInputError(name, f"must be a finite number ({unit}); got {value!r}")
            if value < 0:
                raise SolarInputError(name, f"cannot be negative ({unit}); got {value:g}")
            if not low <= value <= high:
                raise SolarInputError(
                    name, f"must be between {low:g} and {high:g} ({unit}); got {value:g}"
                )
        if self.lifetime_years != int(self.lifetime_years):
            raise SolarInputError(
                "lifetime_years", f"must be a whole number of years; got {self.lifetime_years}"
            )

    @classmethod
    def defaults(cls) -> Assumptions:
        """The published defaults, each with its source."""
        return cls()

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The editable fields, in order."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name != "sources")

    def updated(self, **changes) -> Assumptions:
        """A copy with ``changes`` applied (numbers, or numeric text from a form; "" or None
        for ``self_consumption_fraction`` means "work it out"). Each changed field's source
        becomes "edited". Unknown names or bad values raise ``SolarInputError``."""
        values = {}
        for name, raw in changes.items():
            if name not in self.field_names():
                raise SolarInputError(name, "is not an assumption that can be edited")
            values[name] = _parse(name, raw)
        sources = dict(self.sources)
        for name, value in values.items():
            if value != getattr(self, name):
                sources[name] = EDITED
        return dataclasses.replace(self, **values, sources=sources)

    def values(self) -> dict[str, float | int | None]:
        """The assumptions as plain values, JSON-ready."""
        return {name: getattr(self, name) for name in self.field_names()}

    def as_dict(self) -> dict:
        """Values with their sources: ``{name: {"value": ..., "source": ...}}``."""
        return {
            name: {"value": value, "source": self.sources.get(name, "")}
            for name, value in self.values().items()
        }


def _parse(name: str, raw):
    """A form value as a number (or None for a blank self-consumption fraction)."""
    if name == "self_consumption_fraction" and (raw is None or str(raw).strip() == ""):
        return None
    if isinstance(raw, str):
        try:
            number = float(raw.strip())
        except ValueError:
            raise SolarInputError(name, f"must be a number; got {raw.strip()!r}") from None
    else:
        number = raw
    if name == "lifetime_years" and isinstance(number, float) and number.is_integer():
        number = int(number)
    return number


def self_consumption(
    generation_kwh: float, demand_kwh: float, max_direct_use_share: float = 0.40
) -> float:
    """Share of annual generation used in the home (0-1), from generation and demand.

    Self-consumed energy S saturates as the array grows: with r = generation / demand and
    d = ``max_direct_use_share``, S / demand = d (1 - exp(-c r / d)), so the share of
    generation used is S / generation = d (1 - exp(-c r / d)) / r. c (the share used by a very
    small array) is chosen so the curve passes through McKenna, Pless & Darby's measurement:
    S / demand = 0.24 at r = 0.24 / 0.37 (37% self-consumed). With d = 0.40, c = 0.565: 2,700
    kWh of generation on 2,700 kWh of demand gives 30%; 3,700 kWh gives 25%.
    """
    if generation_kwh < 0 or not math.isfinite(generation_kwh):
        raise SolarInputError("generation_kwh", f"must be zero or more; got {generation_kwh}")
    if demand_kwh <= 0 or not math.isfinite(demand_kwh):
        raise SolarInputError("annual_demand_kwh", f"must be more than 0; got {demand_kwh}")
    d = max_direct_use_share
    if not SELF_SUPPLY_ANCHOR < d <= 1.0:
        raise SolarInputError(
            "max_direct_use_share",
            f"must be above {SELF_SUPPLY_ANCHOR} (the measured share) and at most 1; got {d}",
        )
    ratio_anchor = SELF_SUPPLY_ANCHOR / SELF_CONSUMPTION_ANCHOR
    c = -d * math.log(1.0 - SELF_SUPPLY_ANCHOR / d) / ratio_anchor
    r = generation_kwh / demand_kwh
    if r == 0:
        return c
    return d * (1.0 - math.exp(-c * r / d)) / r
