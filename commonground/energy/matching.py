"""Which energy offers fit a resident, ranked, with the reasons in plain words.

Pure Python (no Django): the service turns database rows into ``OfferFacts`` and a postcode
into ``Circumstances``. An offer fits when the resident's tenure, home type and income meet
its eligibility and their neighbourhood is in the areas it serves (no areas: the whole city).
Ranking puts first what the resident can act on themselves: their own roof for owners of a
house; shares and community buildings for renters and people in flats; grants for people on a
low income. An offer for the resident's own neighbourhood comes before a city-wide one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = {
    "own_roof": "Own-roof installation",
    "group_purchase": "Group purchase scheme",
    "community_shares": "Community share offer",
    "community_building": "Community building project",
    "grant": "Grant or support scheme",
}

#: What an offer is for (``Offer.measures``): the work or the thing it pays for, installs or
#: sells. ``KINDS`` says how (a grant, a group purchase); this says what. An offer with none
#: does not say (offers made before it was asked): never guessed.
MEASURES = {
    "solar_pv": "Solar panels",
    "battery": "Home battery",
    "air_source_heat_pump": "Air-source heat pump",
    "ground_source_heat_pump": "Ground-source heat pump",
    "loft_insulation": "Loft insulation",
    "cavity_wall_insulation": "Cavity wall insulation",
    "solid_wall_insulation": "Solid wall insulation",
    "draught_proofing": "Draught-proofing",
}
#: The measures that make electricity (the solar pages), not heat.
SOLAR_MEASURES = frozenset({"solar_pv", "battery"})


def measures_words(keys) -> str:
    """What an offer is for, in words ("solar panels and a home battery"); "" if not said."""
    labels = [MEASURES[k].lower() for k in MEASURES if k in set(keys)]
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " and " + labels[-1]


#: An offer's heating condition, as the reason it does not fit (a resident whose heating was
#: not asked is told it instead: ``match``).
HEATING_ONLY = {"mains_gas": "only for homes heated by mains gas",
                "off_gas": "only for homes not on mains gas"}


@dataclass(frozen=True)
class Circumstances:
    tenure: str  # "own" or "rent"
    home: str  # "house" or "flat"
    low_income: bool
    area_codes: frozenset[str] = field(default_factory=frozenset)  # LSOA, MSOA, ward codes
    heating: str | None = None  # "mains_gas" or "off_gas"; None: not asked (never disqualifies)


@dataclass(frozen=True)
class OfferFacts:
    id: int
    kind: str
    title: str
    organisation: str
    tenure: str = "any"  # any / own / rent
    home: str = "any"  # any / house / flat
    low_income_only: bool = False
    area_codes: frozenset[str] = field(default_factory=frozenset)  # empty: the whole city
    minimum_gbp: float | None = None
    building: str = ""  # the community building it is about, if any
    heating: str = ""  # "" (not stated) / any / mains_gas / off_gas
    measures: frozenset[str] = field(default_factory=frozenset)  # MEASURES; empty: not stated


@dataclass(frozen=True)
class Match:
    offer: OfferFacts
    score: int
    reasons: tuple[str, ...]


def fits(c: Circumstances, o: OfferFacts) -> tuple[bool, str]:
    """Whether the offer is open to the resident, and if not, why not."""
    if o.tenure != "any" and o.tenure != c.tenure:
        return False, "only for people who " + ("own" if o.tenure == "own" else "rent") + \
            " their home"
    if o.home != "any" and o.home != c.home:
        return False, f"only for people who live in a {o.home}"
    if o.low_income_only and not c.low_income:
        return False, "only for households on a low income"
    if o.area_codes and not (o.area_codes & c.area_codes):
        return False, "not offered where you live"
    if o.heating in HEATING_ONLY and c.heating is not None and o.heating != c.heating:
        return False, HEATING_ONLY[o.heating]
    return True, ""


def _reason(c: Circumstances, o: OfferFacts) -> str:
    on = f" on the {o.building} roof" if o.building else ""
    money = f" from £{o.minimum_gbp:,.0f}" if o.minimum_gbp else ""
    what = measures_words(o.measures)
    solar_only = bool(o.measures) and o.measures <= SOLAR_MEASURES
    if o.kind == "community_shares":
        who = "you rent" if c.tenure == "rent" else "you live in a flat" if c.home == "flat" \
            else "you do not need a roof of your own"
        project = "a solar project" if solar_only else f"a project for {what}" if what \
            else "a community energy project"
        return f"{who}: community shares{money} let you own part of {project}{on}"
    if o.kind == "community_building":
        return f"a project{on} near you: its electricity and any surplus serve the community"
    if o.kind == "own_roof":
        if solar_only:
            return "you own a house, so panels can go on your own roof"
        return "you own a house, so you can have " + (f"{what} put in" if what else
                                                      "the work done on it")
    if o.kind == "group_purchase":
        if solar_only:
            return "neighbours buying together get a lower price per panel"
        return "neighbours buying together get a lower price" + (f" for {what}" if what else "")
    if o.kind == "grant":
        return "help with the cost" + (f" of {what}" if what else "") + (
            " for households on a low income" if o.low_income_only else "")
    return KINDS.get(o.kind, o.kind)


def _score(c: Circumstances, o: OfferFacts) -> int:
    own_roof = c.tenure == "own" and c.home == "house"
    order = (["grant"] if c.low_income else []) + (
        ["own_roof", "group_purchase", "community_shares", "community_building", "grant"]
        if own_roof else
        ["community_shares", "community_building", "grant", "group_purchase", "own_roof"])
    rank = order.index(o.kind) if o.kind in order else len(order)
    local = 1 if o.area_codes else 0
    return (len(order) - rank) * 10 + local


def match(c: Circumstances, offers: list[OfferFacts]) -> list[Match]:
    """The offers open to the resident, best first, each with its reasons."""
    found = []
    for o in offers:
        ok, _ = fits(c, o)
        if not ok:
            continue
        reasons = [_reason(c, o)]
        if o.area_codes:
            reasons.append("offered in your neighbourhood")
        if o.heating in HEATING_ONLY and c.heating is None:
            reasons.append(HEATING_ONLY[o.heating] + ": check how yours is heated")
        found.append(Match(offer=o, score=_score(c, o), reasons=tuple(reasons)))
    return sorted(found, key=lambda m: (-m.score, m.offer.title))
