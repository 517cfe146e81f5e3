"""National schemes a household may qualify for, as dated rules over its answers.

Each rule says "may qualify" (never "will": suppliers, installers, budgets and surveys decide
in the end), "does not qualify" with the reason, "your landlord may apply", or "closed". An
unknown answer (``None``) never disqualifies: the rule says what would have to be true.

What was checked, and how (December 2026, through stored copies of public pages; the live
pages could not be opened):

* Boiler Upgrade Scheme - gov.uk "Apply for the Boiler Upgrade Scheme": "Check if you're
  eligible" (own the property, including one rented out; replacing fossil fuel heating such as
  oil, gas, electric or LPG; a valid EPC, valid 10 years; not social housing, not most new
  builds, not a property already funded for a heat pump) and "What you can get" (£7,500 air
  source, £7,500 ground source, £2,500 air-to-air, £5,000 biomass; one grant per property).
  Confirmed; the eligibility page no longer asks for an EPC free of loft or cavity insulation
  recommendations (dropped from 8 May 2024, as reported by The Eco Experts). gov.uk "Notice of
  approved grant categories and values for the Boiler Upgrade Scheme (from 21 July 2026)"
  (updated 9 June 2026): its categories tell off-gas-grid homes apart by the heating replaced
  (coal, LPG, oil, a fossil hybrid, electric, other) - read; its values as relayed by Cucumber
  Eco ("Off gas grid heat pump grants 2026", quoting the notice) and Vector Heat: £9,000 for an
  air-to-water heat pump in an off-gas-grid home replacing oil or LPG; £7,500 air-to-water and
  £7,500 ground source, £2,500 air-to-air, in a home on the gas grid; £5,000 biomass. The
  values for off-gas-grid homes replacing coal or electric heating were NOT read. The scheme
  runs to 31 March 2028 (as reported July 2026, not confirmed on gov.uk).
* Great British Insulation Scheme - Ofgem "Great British Insulation Scheme: homeowners and
  tenants": general group = council tax band A-D in England and EPC D-G; low-income group =
  qualifying benefits; tenants need the landlord's permission. Ofgem's "Great British
  Insulation Scheme Supplier Administration Guidance" page: the ECO4A Order "commenced on 25
  July 2023 and runs until 31 March 2026" - confirmed. Private renters limited to EPC D-E
  (installer pages, not confirmed on Ofgem's).
* ECO4 - council and installer pages (Leicestershire County Council; not Ofgem's own):
  qualifying benefits and EPC D-G for owners, E-G for private tenants; social housing E-G (D
  for some measures; not confirmed); local councils' "flexible eligibility" for low-income
  households without benefits. Ended 31 March 2026 and not renewed (Autumn Budget 2025, as
  reported by Construction Magazine and others). The Warm Homes Plan (published 21 January
  2026: the Secretary of State's statement, Hansard; The Independent, 21 January 2026) puts
  about £5 billion into fully funded upgrades for low-income households, delivered with
  councils and mayors; the grant already running through councils in England is the Warm
  Homes: Local Grant (gov.uk; Energy Saving Trust guide, 11 November 2024): low income
  (household income £36,000 or less, a means-tested benefit, or a deprived area), EPC D-G,
  owner-occupied or privately rented, from April 2025 for three to five years.
* Warm Home Discount - gov.uk "If you're on a low income in England and Wales" (winter 2023
  to 2024 text) and the Warm Home Discount (Amendment) Regulations 2025 as reported (Energy
  Efficiency Association, 7 October 2025; MoneySavingExpert, June 2025): for winter 2025 to
  2026, £150 off the electricity bill for a bill payer getting Pension Credit Guarantee Credit
  (core group 1) or a means-tested benefit (core group 2: Housing Benefit, income-related ESA,
  income-based JSA, Income Support, Pension Credit Savings Credit, Universal Credit); the
  "high cost to heat" test removed; the household must be supplied directly by an electricity
  supplier. For winters 2026 to 2027 up to 2030 to 2031: gov.uk consultation outcome
  "Continuing the Warm Home Discount Scheme" (January 2026): the scheme continues for five
  years, in England and Wales with the same eligibility and core groups 1 and 2 merged into one;
  the regulations were to be laid "in due course" and were not read. £150 for winter 2026 to
  2027 as reported (calchub.uk, "Warm Home Discount 2026/27"), not confirmed on gov.uk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .household import BENEFITS, Household

MAY = "may qualify"
NO = "does not qualify"
LANDLORD = "your landlord may apply"
CLOSED = "closed"

WHD_BENEFITS = frozenset({"pension_credit_guarantee", "pension_credit_savings",
                          "universal_credit", "housing_benefit", "income_support",
                          "jsa_income_based", "esa_income_related"})
ECO_BENEFITS = frozenset(BENEFITS)  # ECO4 / GBIS: all listed, Child Benefit under a threshold
FOSSIL_OR_ELECTRIC = frozenset({"gas", "oil", "lpg", "solid_fuel", "electric_storage",
                                "electric_direct"})


@dataclass(frozen=True)
class SchemeResult:
    """What one scheme means for this household.

    key, name : the scheme; status : ``MAY``, ``NO``, ``LANDLORD`` or ``CLOSED``
    reasons : why, in plain words, one sentence each
    conditions : what else must be true that we did not ask (EPC valid, supplier...)
    offer : what it gives; link : the published guidance; rules_as_of : its date
    """

    key: str
    name: str
    status: str
    reasons: tuple[str, ...]
    conditions: tuple[str, ...]
    offer: str
    link: str
    rules_as_of: str
    sources: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "status": self.status,
                "reasons": list(self.reasons), "conditions": list(self.conditions),
                "offer": self.offer, "link": self.link, "rules_as_of": self.rules_as_of,
                "sources": dict(self.sources)}


def _benefit_names(keys) -> str:
    return ", ".join(BENEFITS[k] for k in sorted(keys))


BUS_LINK = "https://www.gov.uk/apply-boiler-upgrade-scheme"
BUS_CLOSES = date(2028, 3, 31)
BUS_VALUES_LINK = ("https://www.gov.uk/government/publications/boiler-upgrade-scheme-regulations-"
                   "approved-standards/notice-of-approved-grant-categories-and-values-for-the-"
                   "boiler-upgrade-scheme")
BUS_BASE_OFFER = ("£7,500 off an air-to-water or ground-source heat pump (£2,500 off an "
                  "air-to-air one)")


def _bus_offer(heating: str) -> str:
    """The grant for this heating, from 21 July 2026 (module docstring)."""
    if heating in ("oil", "lpg"):
        return ("£9,000 off an air-to-water heat pump for a home off the gas grid replacing "
                f"oil or LPG heating (from 21 July 2026); otherwise {BUS_BASE_OFFER}")
    if heating in ("solid_fuel", "electric_storage", "electric_direct"):
        return (f"{BUS_BASE_OFFER}; a home off the gas grid replacing coal or electric heating "
                "has its own grant from 21 July 2026, whose value was not read here")
    return BUS_BASE_OFFER


def boiler_upgrade_scheme(home: Household, on: date) -> SchemeResult:
    """Boiler Upgrade Scheme (England and Wales): a grant to the property's owner."""
    reasons: list[str] = []
    status = MAY
    if on > BUS_CLOSES:
        status = CLOSED
        reasons.append("The scheme was due to close on 31 March 2028.")
    if home.tenure == "social_renter":
        status = NO
        reasons.append("Social housing cannot get a Boiler Upgrade grant.")
    elif home.tenure == "private_renter" and status != CLOSED:
        status = LANDLORD
        reasons.append("The grant goes to the property's owner: your landlord can apply (private "
                       "landlords are eligible); you cannot apply yourself.")
    if home.heating not in FOSSIL_OR_ELECTRIC:
        status = NO
        reasons.append("It only pays to replace fossil fuel or electric heating; a home on a heat "
                       "network or with no central heating is not replacing one."
                       if home.heating in ("heat_network", "none") else
                       "The current heating is not one the scheme replaces.")
    elif status == MAY:
        reasons.append("You own the home and it has heating the scheme replaces "
                       f"({home.heating.replace('_', ' ')}).")
    return SchemeResult(
        "boiler_upgrade_scheme", "Boiler Upgrade Scheme", status, tuple(reasons),
        ("The home needs a valid Energy Performance Certificate (under 10 years old).",
         "An MCS-certified installer applies for the grant and takes it off the price.",
         "Not for most new builds, or a home already funded for a heat pump."),
        _bus_offer(home.heating), BUS_LINK,
        "gov.uk guidance and the notice of grant values from 21 July 2026 (updated 9 June "
        "2026), read December 2026; runs to 31 March 2028",
        {"rules": "gov.uk 'Apply for the Boiler Upgrade Scheme': check if you're eligible; "
                  "what you can get",
         "grant_values": f"{BUS_VALUES_LINK} (categories read; values as relayed by Cucumber "
                         "Eco and Vector Heat, 2026)"})


GBIS_LINK = ("https://www.ofgem.gov.uk/environmental-and-social-schemes/great-british-"
             "insulation-scheme/great-british-insulation-scheme-homeowners-and-tenants")
ECO_CLOSED = date(2026, 3, 31)
WARM_HOMES_LOCAL_GRANT = (
    "Warm Homes: Local Grant, run by councils in England from April 2025 "
    "(https://www.gov.uk/government/publications/warm-homes-local-grant; Energy Saving Trust, "
    "'Warm Homes: Local Grant - a guide for local authorities', 11 November 2024): household "
    "income £36,000 or less, a means-tested benefit or a deprived area; EPC D-G; owner-occupied "
    "or privately rented. Part of the Warm Homes Plan, published 21 January 2026 (about £5 "
    "billion for fully funded upgrades for low-income households, as reported by The "
    "Independent, 21 January 2026)"
)


def _would(fits: bool, unknown: bool) -> str:
    """What a closed scheme's rules would have said, for the "who is left out" view."""
    if not fits:
        return " Under its rules you would not have fitted either."
    return (" Under its rules you might have fitted (some answers were not given)." if unknown
            else " Under its rules you would have fitted.")


def _epc_in(home: Household, bands: str) -> bool | None:
    return None if home.epc_band is None else home.epc_band in bands


def great_british_insulation_scheme(home: Household, on: date) -> SchemeResult:
    """Great British Insulation Scheme: one insulation measure, general or low-income group."""
    reasons: list[str] = []
    conditions = ["The home must need insulation a retrofit assessment recommends.",
                  "Tenants need their landlord's (or housing association's) permission."]
    bands = "DE" if home.tenure == "private_renter" else "DEFG"
    epc = _epc_in(home, bands)
    benefits = None if home.benefits is None else bool(home.benefits & ECO_BENEFITS)
    tax = None if home.council_tax_band is None else home.council_tax_band in "ABCD"
    if epc is False:
        fits = False
        reasons.append(f"The home's EPC band {home.epc_band} is outside {bands[0]}-{bands[-1]}"
                       + (" (private rented homes: D or E)." if bands == "DE" else "."))
    elif benefits or tax:
        fits = True
        reasons.append("You get a qualifying benefit (low-income group)." if benefits else
                       f"The home is in council tax band {home.council_tax_band} (A-D: "
                       "general group).")
    elif benefits is False and tax is False:
        fits = False
        reasons.append(f"No qualifying benefit, and council tax band {home.council_tax_band} is "
                       "above D.")
    else:
        fits = True
        reasons.append("It depends on answers not given: a qualifying benefit, or council tax "
                       "band A-D.")
    if epc is None:
        conditions.insert(0, f"The home's EPC band must be {bands[0]}-{bands[-1]}.")
    status = MAY if fits else NO
    if on > ECO_CLOSED:
        status = CLOSED
        reasons.insert(0, "The scheme closed on 31 March 2026 and was not renewed; ask the "
                          "council about the Warm Homes: Local Grant (owners and private "
                          "renters on a low income, EPC D-G)."
                       + _would(fits, epc is None or not (benefits or tax)))
    return SchemeResult(
        "great_british_insulation_scheme", "Great British Insulation Scheme", status,
        tuple(reasons), tuple(conditions), "One insulation measure, free or part-funded",
        GBIS_LINK, "Ofgem guidance as stored; scheme ran April 2023 to 31 March 2026",
        {"rules": "Ofgem 'Great British Insulation Scheme: homeowners and tenants'",
         "end": "Ofgem 'Great British Insulation Scheme Supplier Administration Guidance': the "
                "ECO4A Order runs until 31 March 2026",
         "successor": WARM_HOMES_LOCAL_GRANT})


ECO4_LINK = ("https://www.ofgem.gov.uk/environmental-and-social-schemes/energy-company-"
             "obligation-eco")


def eco4(home: Household, on: date) -> SchemeResult:
    """ECO4: whole-house insulation and heating for low-income households."""
    reasons: list[str] = []
    conditions = ["Or your council's 'flexible eligibility' (LA Flex) route for low-income "
                  "households without benefits."]
    bands = {"owner": "DEFG", "private_renter": "EFG", "social_renter": "EFG"}[home.tenure]
    epc = _epc_in(home, bands)
    benefits = None if home.benefits is None else bool(home.benefits & ECO_BENEFITS)
    fits = True
    if epc is False:
        fits = False
        reasons.append(f"The home's EPC band {home.epc_band} is outside {bands[0]}-{bands[-1]} "
                       f"for {home.tenure.replace('_', ' ')}s.")
    if benefits is False and home.tenure != "social_renter":
        fits = False
        reasons.append("No qualifying means-tested benefit.")
    if fits:
        reasons.append("You get a qualifying benefit." if benefits else
                       "Social housing qualifies through the landlord." if
                       home.tenure == "social_renter" else
                       "It depends on a qualifying benefit (not answered).")
    if epc is None:
        conditions.insert(0, f"The home's EPC band must be {bands[0]}-{bands[-1]}.")
    status = MAY if fits else NO
    if on > ECO_CLOSED:
        status = CLOSED
        reasons.insert(0, "ECO4 ended on 31 March 2026 and was not renewed; the Warm Homes Plan "
                          "(January 2026) funds low-income upgrades through councils instead: "
                          "ask yours about the Warm Homes: Local Grant."
                       + _would(fits, epc is None or (benefits is None
                                                      and home.tenure != "social_renter")))
    return SchemeResult("eco4", "Energy Company Obligation (ECO4)", status, tuple(reasons),
                        tuple(conditions), "Insulation and heating upgrades, usually free",
                        ECO4_LINK, "Council and installer summaries as stored; ran to 31 March "
                        "2026", {"rules": "Leicestershire County Council, 'Energy Company "
                                          "Obligation - home energy efficiency'",
                                 "successor": WARM_HOMES_LOCAL_GRANT})


WHD_LINK = "https://www.gov.uk/the-warm-home-discount-scheme"
#: The 2025 to 2026 rules, kept to the end of winter 2030 to 2031 (module docstring)
WHD_RULES_END = date(2031, 3, 31)
WHD_WINTER_2025_ENDS = date(2026, 3, 31)
WHD_CONTINUED = ("DESNZ, 'Continuing the Warm Home Discount Scheme', consultation outcome "
                 "(January 2026, https://www.gov.uk/government/consultations/continuing-the-warm-"
                 "home-discount-scheme): continued to winter 2030 to 2031 with the same "
                 "eligibility in England and Wales")


def warm_home_discount(home: Household, on: date) -> SchemeResult:
    """Warm Home Discount (England and Wales): the winter 2025 to 2026 rules, which the
    government kept for the five winters to 2030 to 2031."""
    reasons: list[str] = []
    conditions = ["Your electricity supplier must be in the scheme (the large ones are)."]
    status = MAY
    if home.heating == "heat_network":
        conditions.append("You must buy electricity directly from a supplier (not through a "
                          "landlord or a heat network's operator).")
    if home.benefits is not None and not home.benefits & WHD_BENEFITS:
        status = NO
        reasons.append("It needs Pension Credit or a means-tested benefit (Housing Benefit, "
                       "Universal Credit, income-related ESA, income-based JSA, Income "
                       "Support); " + ("none was named." if not home.benefits else
                                       f"{_benefit_names(home.benefits)} do not count."))
    elif home.benefits:
        reasons.append(f"You get {_benefit_names(home.benefits & WHD_BENEFITS)}.")
    else:
        reasons.append("It depends on getting Pension Credit or a means-tested benefit (not "
                       "answered).")
    if home.name_on_electricity_bill is False:
        status = NO
        reasons.append("Your name (or your partner's) must be on the electricity bill.")
    elif home.name_on_electricity_bill is None:
        conditions.append("Your name (or your partner's) must be on the electricity bill.")
    if status == MAY:
        reasons.append("Since winter 2025 to 2026 there is no 'high cost to heat' test: renters "
                       "and people in flats qualify on the same terms.")
    if on > WHD_RULES_END:
        conditions.append("These are the rules to winter 2030 to 2031; the rules for later "
                          "winters were not found. Check gov.uk.")
    elif on > WHD_WINTER_2025_ENDS:
        conditions.append("The government kept the winter 2025 to 2026 rules for the winters "
                          "to 2030 to 2031 (January 2026); the new regulations were not read "
                          "here. Check gov.uk.")
    return SchemeResult("warm_home_discount", "Warm Home Discount", status, tuple(reasons),
                        tuple(conditions), "£150 off the electricity bill in winter", WHD_LINK,
                        "Rules for winter 2025 to 2026 (Warm Home Discount (Amendment) "
                        "Regulations 2025, as reported October 2025), kept to winter 2030 to "
                        "2031 (consultation outcome, January 2026)",
                        {"rules": "gov.uk 'The Warm Home Discount Scheme'; Energy Efficiency "
                                  "Association, 7 October 2025",
                         "continued": WHD_CONTINUED,
                         "amount": "£150 for winter 2026 to 2027 as reported by calchub.uk, "
                                   "'Warm Home Discount 2026/27' (not confirmed on gov.uk)"})


RULES = (boiler_upgrade_scheme, great_british_insulation_scheme, eco4, warm_home_discount)


def schemes(home: Household, on: date) -> list[SchemeResult]:
    """Every national scheme's answer for this household on date ``on``."""
    return [rule(home, on) for rule in RULES]
