"""A household's answers, checked: the kind of home, its heating, its tenure, and what the
schemes ask about (benefits, EPC band, council tax band). Nothing else is asked.

Heating uses the categories of Census 2021 table TS046 "Central heating" (ONS, 2022), so a
neighbourhood's picture and a home's options speak the same words. TS046 also counts
"renewable energy" and "two or more types"; a household with those is asked which one heats
most of the home. Electric heating is split into storage and direct heaters because their
running costs differ (TS046 has one "electric only" category).

Tenure follows Census 2021 TS054 in three groups: owns (outright, with a mortgage or shared
ownership), social renter (council or housing association), private renter (landlord,
letting agency, or lives rent free).

Unknown answers (``None``) are allowed for what the schemes ask: the rules then say "may
qualify if ..." rather than guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from commonground.solar.errors import SolarInputError
from commonground.solar.homes import HOME_KINDS, home_kind

from .errors import HeatInputError

#: Census 2021 TS046 heating, as this package names it: key -> what the household reads.
HEATING = {
    "gas": "Mains gas",
    "electric_storage": "Electric storage heaters",
    "electric_direct": "Electric heaters or electric boiler (not storage)",
    "oil": "Oil",
    "lpg": "Tank or bottled gas (LPG)",
    "solid_fuel": "Wood, coal or other solid fuel",
    "heat_network": "Heat network (district or communal heating)",
    "none": "No central heating",
}
_HEATING_ALIASES = {
    "mains gas": "gas", "electric": "electric_direct", "electric only": "electric_direct",
    "storage": "electric_storage", "storage heaters": "electric_storage", "tank or bottled gas":
    "lpg", "bottled gas": "lpg", "wood": "solid_fuel", "coal": "solid_fuel", "district":
    "heat_network", "communal": "heat_network", "district or communal heat networks":
    "heat_network", "no central heating": "none",
}

TENURES = {
    "owner": "Owns the home (outright, mortgage or shared ownership)",
    "social_renter": "Rents from the council or a housing association",
    "private_renter": "Rents from a private landlord or letting agency",
}
_TENURE_ALIASES = {"own": "owner", "owns": "owner", "owner-occupier": "owner",
                   "social": "social_renter", "council": "social_renter",
                   "housing association": "social_renter", "private": "private_renter",
                   "rent": "private_renter", "private rented": "private_renter"}

#: Benefits the schemes name (gov.uk Warm Home Discount, Ofgem ECO4 / Great British Insulation
#: Scheme guidance): key -> name. "none" means the household gets none of them.
BENEFITS = {
    "pension_credit_guarantee": "Pension Credit (Guarantee Credit)",
    "pension_credit_savings": "Pension Credit (Savings Credit)",
    "universal_credit": "Universal Credit",
    "housing_benefit": "Housing Benefit",
    "income_support": "Income Support",
    "jsa_income_based": "income-based Jobseeker's Allowance",
    "esa_income_related": "income-related Employment and Support Allowance",
    "child_tax_credit": "Child Tax Credit",
    "working_tax_credit": "Working Tax Credit",
    "child_benefit": "Child Benefit (ECO: only under an income threshold)",
}

EPC_BANDS = tuple("ABCDEFG")
COUNCIL_TAX_BANDS = tuple("ABCDEFGH")

#: Most a home's heat can plausibly be, kWh a year: five times the 18,600 kWh of heat this
#: package gives a typical detached house; past this a typing mistake is likelier.
MAX_ANNUAL_KWH = 100_000.0


@dataclass(frozen=True)
class Household:
    """The answers, checked.

    home_type : key of ``commonground.solar.homes.HOME_KINDS``
    heating : key of ``HEATING``
    tenure : key of ``TENURES``
    benefits : keys of ``BENEFITS`` the household gets; empty = none; None = not said
    epc_band : "A".."G", or None (not known)
    council_tax_band : "A".."H", or None
    name_on_electricity_bill : True/False, or None
    annual_fuel_kwh : the household's own yearly use of its heating fuel from its bills, kWh
        (gas, oil, LPG, solid fuel; electricity for electric heating); None to use the typical
        figure for its kind of home
    """

    home_type: str
    heating: str
    tenure: str
    benefits: frozenset[str] | None = None
    epc_band: str | None = None
    council_tax_band: str | None = None
    name_on_electricity_bill: bool | None = None
    annual_fuel_kwh: float | None = None

    @property
    def floor_area_m2(self) -> float:
        return HOME_KINDS[self.home_type].floor_area_m2

    def as_dict(self) -> dict:
        return {"home_type": self.home_type, "home_label": HOME_KINDS[self.home_type].label,
                "heating": self.heating, "heating_label": HEATING[self.heating],
                "tenure": self.tenure, "tenure_label": TENURES[self.tenure],
                "benefits": None if self.benefits is None else sorted(self.benefits),
                "epc_band": self.epc_band, "council_tax_band": self.council_tax_band,
                "name_on_electricity_bill": self.name_on_electricity_bill,
                "annual_fuel_kwh": self.annual_fuel_kwh}


def _key(value) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_") if isinstance(value, str) \
        else ""


def _choice(field: str, value, choices: dict, aliases: dict) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    key = aliases.get(text, _key(value))
    if key not in choices:
        raise HeatInputError(field, f"must be one of {', '.join(choices)}; "
                                    f"got {str(value).strip()[:40]!r}")
    return key


def _band(field: str, value, bands: tuple[str, ...]) -> str | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "unknown")):
        return None
    text = value.strip().upper() if isinstance(value, str) else ""
    if text not in bands:
        raise HeatInputError(field, f"must be a band from {bands[0]} to {bands[-1]} or blank "
                                    f"(not known); got {str(value).strip()[:10]!r}")
    return text


def _benefits(value) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    keys = set()
    for item in items:
        key = _key(item)
        if key in ("", "none"):
            continue
        if key not in BENEFITS:
            raise HeatInputError("benefits", f"{str(item)[:40]!r} is not one of "
                                             f"{', '.join(BENEFITS)} (or none)")
        keys.add(key)
    return frozenset(keys)


def _yes_no(field: str, value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    raise HeatInputError(field, f"must be yes, no or blank; got {text[:20]!r}")


def _kwh(value) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise HeatInputError("annual_fuel_kwh", f"must be a number of kWh; got {value!r}")
    try:
        number = float(value.replace(",", "") if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise HeatInputError("annual_fuel_kwh",
                             f"must be a number of kWh a year; got {str(value)[:30]!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_ANNUAL_KWH:
        raise HeatInputError("annual_fuel_kwh", f"must be more than 0 and at most "
                                                f"{MAX_ANNUAL_KWH:,.0f} kWh a year; got {number:g}")
    return number


def household(home_type, heating, tenure, benefits=None, epc_band=None, council_tax_band=None,
              name_on_electricity_bill=None, annual_fuel_kwh=None) -> Household:
    """Check a household's answers (as a form sends them) and return a ``Household``.

    Bad answers raise ``HeatInputError`` naming the field; nothing is guessed."""
    try:
        kind = home_kind(home_type)
    except SolarInputError as error:
        raise HeatInputError("home_type", error.message) from None
    return Household(
        home_type=kind,
        heating=_choice("heating", heating, HEATING, _HEATING_ALIASES),
        tenure=_choice("tenure", tenure, TENURES, _TENURE_ALIASES),
        benefits=_benefits(benefits),
        epc_band=_band("epc_band", epc_band, EPC_BANDS),
        council_tax_band=_band("council_tax_band", council_tax_band, COUNCIL_TAX_BANDS),
        name_on_electricity_bill=_yes_no("name_on_electricity_bill", name_on_electricity_bill),
        annual_fuel_kwh=_kwh(annual_fuel_kwh),
    )
