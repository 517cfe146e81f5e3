"""What solar on a roof would mean for a household: size, generation, money and carbon.

``appraise`` does the arithmetic from a system size and its annual generation (pure, checked
by hand in the tests); ``estimate`` models the generation for a roof and appraises it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .assumptions import Assumptions, self_consumption
from .errors import SolarInputError
from .generation import model_assumptions, specific_yield
from .roof import Roof, system_size_kwp
from .site import MILTON_KEYNES, Site
from .weather import Weather

DEFAULT_ASSUMPTIONS = Assumptions.defaults()

TENURES = ("own", "rent")

# Largest inverter connectable to a home without the network operator's prior approval:
# 16 A per phase at 230 V = 3.68 kW (Energy Networks Association, Engineering Recommendation
# G98, Issue 1, 2018). Larger systems are applied for under G99.
G98_LIMIT_KW = 3.68


@dataclass(frozen=True)
class Appraisal:
    """Money and carbon for a system of ``kwp`` generating ``annual_kwh`` in its first year.

    Energies in kWh, money in £, carbon in tonnes CO2e. ``simple_payback_years`` is installed
    cost / first-year benefit (bill saving + export income), ignoring price changes,
    degradation and borrowing; ``None`` if there is no benefit.
    """

    kwp: float
    annual_kwh: float
    annual_kwh_low: float
    annual_kwh_high: float
    self_consumption_fraction: float
    self_consumed_kwh: float
    exported_kwh: float
    bill_saving_gbp_per_year: float
    export_income_gbp_per_year: float
    installed_cost_gbp: float
    simple_payback_years: float | None
    lifetime_kwh: float
    lifetime_co2_avoided_tonnes: float
    assumptions: Assumptions

    @property
    def benefit_gbp_per_year(self) -> float:
        """Bill saving plus export income in the first year, £."""
        return self.bill_saving_gbp_per_year + self.export_income_gbp_per_year


def lifetime_generation(annual_kwh: float, degradation_per_year: float, years: int) -> float:
    """Total generation over ``years``, kWh: sum over y = 0..years-1 of annual x (1 - d)^y,
    = annual x (1 - (1 - d)^years) / d (annual x years when d = 0)."""
    if degradation_per_year == 0:
        return annual_kwh * years
    keep = 1.0 - degradation_per_year
    return annual_kwh * (1.0 - keep**years) / degradation_per_year


def appraise(
    kwp: float, annual_kwh: float, assumptions: Assumptions = DEFAULT_ASSUMPTIONS
) -> Appraisal:
    """The money and carbon arithmetic.

    self-consumed = generation x self-consumption fraction (given, or ``self_consumption``),
    never more than the household's demand; exported = the rest;
    bill saving = self-consumed x retail price; export income = exported x SEG rate;
    installed cost = kWp x cost per kWp; lifetime CO2 = lifetime generation (with degradation)
    x grid carbon intensity. Range = annual x (1 +/- generation_range_fraction).
    """
    a = assumptions
    for name, value in (("kwp", kwp), ("annual_kwh", annual_kwh)):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SolarInputError(name, f"must be a number; got {value!r}")
        if not math.isfinite(value) or value < 0:
            raise SolarInputError(name, f"must be zero or more; got {value}")
    if a.self_consumption_fraction is None:
        fraction = self_consumption(annual_kwh, a.annual_demand_kwh, a.max_direct_use_share)
    else:
        fraction = a.self_consumption_fraction
    self_consumed = min(annual_kwh * fraction, a.annual_demand_kwh)
    exported = annual_kwh - self_consumed
    bill_saving = self_consumed * a.retail_p_per_kwh / 100.0
    export_income = exported * a.seg_export_p_per_kwh / 100.0
    cost = kwp * a.cost_per_kwp_gbp
    benefit = bill_saving + export_income
    lifetime_kwh = lifetime_generation(annual_kwh, a.degradation_per_year, int(a.lifetime_years))
    return Appraisal(
        kwp=kwp,
        annual_kwh=annual_kwh,
        annual_kwh_low=annual_kwh * (1.0 - a.generation_range_fraction),
        annual_kwh_high=annual_kwh * (1.0 + a.generation_range_fraction),
        self_consumption_fraction=self_consumed / annual_kwh if annual_kwh > 0 else fraction,
        self_consumed_kwh=self_consumed,
        exported_kwh=exported,
        bill_saving_gbp_per_year=bill_saving,
        export_income_gbp_per_year=export_income,
        installed_cost_gbp=cost,
        simple_payback_years=cost / benefit if benefit > 0 else None,
        lifetime_kwh=lifetime_kwh,
        lifetime_co2_avoided_tonnes=lifetime_kwh * a.grid_kgco2_per_kwh / 1000.0,
        assumptions=a,
    )


@dataclass(frozen=True)
class Estimate(Appraisal):
    """An ``Appraisal`` for a real roof, with how it was modelled.

    roof : the roof plane
    site : where
    monthly_kwh : first-year generation January..December, kWh
    specific_yield_kwh_per_kwp : annual generation per kWp, kWh/kWp
    weather_source : where the weather came from
    tenure : "own" or "rent"
    notes : plain-language caveats for this roof, to show with the numbers
    """

    roof: Roof
    site: Site
    monthly_kwh: tuple[float, ...]
    specific_yield_kwh_per_kwp: float
    weather_source: str
    tenure: str
    notes: tuple[str, ...]

    def as_dict(self) -> dict:
        """JSON-ready: results, the roof, and every assumption with its source."""

        def r(value: float | None, places: int) -> float | None:
            return None if value is None else round(value, places)

        return {
            "roof": {
                "area_m2": r(self.roof.area_m2, 1),
                "azimuth_deg": r(self.roof.azimuth_deg, 1),
                "compass": self.roof.compass,
                "pitch_deg": r(self.roof.pitch_deg, 1),
                "shading": self.roof.shading,
                "shading_factor": self.roof.shading_factor,
            },
            "site": {
                "name": self.site.name,
                "latitude": self.site.latitude,
                "longitude": self.site.longitude,
                "sap_region": self.site.sap_region,
            },
            "tenure": self.tenure,
            "kwp": r(self.kwp, 2),
            "specific_yield_kwh_per_kwp": r(self.specific_yield_kwh_per_kwp, 1),
            "annual_kwh": r(self.annual_kwh, 0),
            "annual_kwh_range": [r(self.annual_kwh_low, 0), r(self.annual_kwh_high, 0)],
            "monthly_kwh": [r(v, 1) for v in self.monthly_kwh],
            "self_consumption_fraction": r(self.self_consumption_fraction, 3),
            "self_consumed_kwh": r(self.self_consumed_kwh, 0),
            "exported_kwh": r(self.exported_kwh, 0),
            "bill_saving_gbp_per_year": r(self.bill_saving_gbp_per_year, 2),
            "export_income_gbp_per_year": r(self.export_income_gbp_per_year, 2),
            "benefit_gbp_per_year": r(self.benefit_gbp_per_year, 2),
            "installed_cost_gbp": r(self.installed_cost_gbp, 2),
            "simple_payback_years": r(self.simple_payback_years, 1),
            "lifetime_years": int(self.assumptions.lifetime_years),
            "lifetime_kwh": r(self.lifetime_kwh, 0),
            "lifetime_co2_avoided_tonnes": r(self.lifetime_co2_avoided_tonnes, 2),
            "weather_source": self.weather_source,
            "notes": list(self.notes),
            "assumptions": self.assumptions.as_dict(),
            "model": model_assumptions(),
        }


def _notes(roof: Roof, kwp: float, tenure: str) -> tuple[str, ...]:
    notes = []
    if tenure == "rent":
        notes.append(
            "You rent: panels need the landlord's written permission, and usually the landlord "
            "pays for them. A community energy scheme or share offer may suit you better."
        )
    if kwp < 1.0:
        notes.append(
            f"Only {kwp:.2f} kWp fits: most installers' minimum is around 1-2 kWp, so this "
            "roof alone may not be worth it."
        )
    if kwp > G98_LIMIT_KW:
        notes.append(
            f"{kwp:.1f} kWp is more than {G98_LIMIT_KW} kW: the installer will either limit "
            "the inverter to 3.68 kW (ENA G98) or apply to the network operator under G99."
        )
    if roof.shading != "none":
        notes.append(
            f"Shading '{roof.shading}' keeps {roof.shading_factor:.0%} of the output (SAP "
            "overshading factor); an installer's shade survey will refine this."
        )
    notes.append(
        "This is a typical-year estimate, not a guarantee: output varies from year to year."
    )
    return tuple(notes)


def estimate(
    roof: Roof,
    assumptions: Assumptions = DEFAULT_ASSUMPTIONS,
    site: Site = MILTON_KEYNES,
    *,
    weather: Weather | None = None,
    tenure: str = "own",
) -> Estimate:
    """Size, generation, money and carbon for solar on ``roof``.

    The system fills the usable roof (``system_size_kwp`` with the assumptions' panel density
    and usable fraction); generation is its kWp x the roof's specific yield
    (``specific_yield``, SAP weather unless a TMY ``weather`` is given); the rest is
    ``appraise``. ``tenure`` is "own" or "rent" (renting adds a note; the numbers are the
    same). Fast after the first call for a site: the clear-sky year and each roof's per-kWp
    yield are cached.
    """
    tenure_key = tenure.strip().lower() if isinstance(tenure, str) else None
    if tenure_key not in TENURES:
        raise SolarInputError("tenure", f"must be 'own' or 'rent'; got {tenure!r}")
    kwp = system_size_kwp(
        roof,
        panel_w_per_m2=assumptions.panel_w_per_m2,
        usable_fraction=assumptions.usable_roof_fraction,
    )
    per_kwp = specific_yield(roof, site, weather)
    monthly = tuple(kwp * v for v in per_kwp.kwh_per_kwp)
    appraisal = appraise(kwp, sum(monthly), assumptions)
    return Estimate(
        **{name: getattr(appraisal, name) for name in Appraisal.__dataclass_fields__},
        roof=roof,
        site=site,
        monthly_kwh=monthly,
        specific_yield_kwh_per_kwp=per_kwp.annual_kwh_per_kwp,
        weather_source=per_kwp.weather_source,
        tenure=tenure_key,
        notes=_notes(roof, kwp, tenure_key),
    )
