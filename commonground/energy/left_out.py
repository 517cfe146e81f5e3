"""Use case: who each scheme leaves out — for every energy offer in the hub and each national
scheme, the households its eligibility excludes, by neighbourhood and by deprivation decile,
in plain words, so an organisation sees whom a scheme does not reach before it launches.

What is counted, and from what (Census 2021, per LSOA, found by their categories as the heat
picture finds them, never by file name):

* **tenure** (TS054): owner-occupiers ("Owned: …"), shared owners, private renters, social
  renters, those living rent free;
* **the kind of home** (TS044): houses (detached, semi-detached, terraced), flats (every
  other building type but caravans), caravans and other mobile homes;
* **central heating** (TS046): grouped as the heat picture groups it (``family_of``).

Each condition of a scheme sorts a table's categories into *left out*, *unclear* (it depends
on something the Census does not say: a landlord's consent, whether a shared owner counts)
and *open*. One condition's households left out are counted exactly, as published; the
unclear ones give a range ``[out, out + unclear]``.

**Two conditions together are never cross-tabulated.** The Census does not publish tenure by
kind of home (or by heating) for neighbourhoods, so a scheme for owner-occupiers in houses
leaves out *at least* the larger of the two groups it excludes and *at most* their sum
(capped at the households there): Fréchet's bounds on a union, ``max(a, b) ≤ |A ∪ B| ≤
min(N, a + b)``. They are worked out per neighbourhood and summed, so a ward's range is no
wider than its neighbourhoods'. The three tables are each published with small
ONS perturbations, so their totals differ by a few households; ``N`` is the largest.

**What the data cannot count** is said, not guessed: no table carries household income,
savings, EPC band or council-tax band per neighbourhood. Where a scheme needs a low income,
the nearest published figure is shown as a guide, with what it measures: the Indices of
Deprivation income domain (the share of *residents* on means-tested benefits or low-income
tax credits, the domain's ``income_score``), never turned into households.

Closed offers (``active`` off) are seen only by those who see the offer itself
(``access.can_see_offer``): the page and the API answer 404 to anyone else, as for a missing
offer. The tables are read once per city load (``CityState.derived``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import partial

import numpy as np

from commonground.catalogue.services.lens import lens_city
from commonground.heat import schemes as national
from commonground.heat.household import Household
from commonground.lens.deprivation import groups_of
from commonground.places.cache import city_state
from commonground.places.records import AreaNotFound
from commonground.solar.homes import HOME_KINDS
from commonground.solar.neighbourhoods import HOUSE_TYPES, OWNER_PREFIX

from .heat_picture import family_of
from .matching import MEASURES, measures_words


class NoLeftOutData(LookupError):
    """The city's data lacks a Census table the view needs."""


#: The Census tables a condition can be on: (key, what it is called in the sentence "The
#: Census does not publish X by Y").
TABLE_NAMES = {"tenure": "tenure", "homes": "the kind of home", "heating": "central heating"}

#: Tenure categories (TS054), by the start of the published label, and how to say them.
TENURE_KEYS = (("owner", OWNER_PREFIX), ("shared", "Shared ownership"),
               ("private", "Private rented"), ("social", "Social rented"),
               ("free", "Lives rent free"))
TENURE_WORDS = {"owner": "own their home", "shared": "part-own their home (shared ownership)",
                "private": "rent privately", "social": "rent from the council or a housing "
                "association", "free": "live rent free", "other": "have another tenure"}
HOME_WORDS = {"house": "live in a house", "flat": "live in a flat, maisonette or bedsit",
              "caravan": "live in a caravan or other mobile home"}
HEATING_WORDS = {"none": "have no central heating", "two_or_more": "have two or more kinds "
                 "of central heating", "mains_gas": "heat with mains gas",
                 "gas": "heat with tank or bottled gas", "electric": "heat with "
                 "electricity only", "oil": "heat with oil", "solid": "heat with wood or solid "
                 "fuel", "heat_network": "are heated by a heat network",
                 "renewable": "already have renewable heating (such as a heat pump)",
                 "other": "have another kind of central heating"}
WORDS = {"tenure": TENURE_WORDS, "homes": HOME_WORDS, "heating": HEATING_WORDS}

#: The IoD column read as the income guide, and what it measures.
INCOME_COLUMN = "income_score"
#: Said wherever counts from two tables stand side by side.
TOTALS_NOTE = ("ONS publishes each Census table with small adjustments to protect privacy, so "
               "the tables' totals of households differ by a few.")
INCOME_GUIDE = ("residents who are income deprived (Indices of Deprivation income domain: "
                "people on means-tested benefits or low-income tax credits)")


def tenure_key(label: str) -> str:
    return next((k for k, start in TENURE_KEYS if label.startswith(start)), "other")


def heating_key(label: str) -> str:
    """The heat picture's families (``family_of``), mains gas told apart from tank gas."""
    return "mains_gas" if label.lower().startswith("mains gas") else family_of(label)


def home_key(label: str) -> str:
    if label in HOUSE_TYPES:
        return "house"
    return "caravan" if "caravan" in label.lower() else "flat"


# ---------------------------------------------------------------------------- eligibility

@dataclass(frozen=True)
class Rule:
    """One condition on one Census table: the category keys it leaves out, and those it may
    (``why_unclear`` says on what it depends)."""

    table: str  # "tenure", "homes" or "heating"
    out: frozenset[str]
    unclear: frozenset[str] = frozenset()
    why_unclear: str = ""


@dataclass(frozen=True)
class Uncounted:
    """A condition the data cannot count; ``income_guide``: show the income domain beside it."""

    what: str
    why: str
    income_guide: bool = False


@dataclass(frozen=True)
class Eligibility:
    kind: str  # "offer" or "scheme"
    key: str  # the offer's id or the scheme's key
    title: str
    open_to: str  # one sentence
    by: str = ""  # the offering organisation, or who runs the scheme
    rules: tuple[Rule, ...] = ()
    uncounted: tuple[Uncounted, ...] = ()
    area_codes: tuple[str, ...] = ()  # empty: the whole city
    status: str = "open"  # "open", "closed" (an offer not published), "ended" (a scheme)
    status_words: str = ""
    link: str = ""
    rules_as_of: str = ""
    extra: dict = field(default_factory=dict)


#: An offer's heating condition as (left out, unclear, words) over ``heating_key``'s keys.
OFFER_HEATING = {
    "mains_gas": (frozenset({"gas", "electric", "oil", "solid", "heat_network", "renewable"}),
                  frozenset({"none", "two_or_more", "other"}), "heated by mains gas"),
    "off_gas": (frozenset({"mains_gas"}), frozenset({"none", "two_or_more", "other"}),
                "not on mains gas"),
}

LOW_INCOME = Uncounted(
    "a low income", "The data has no count of households by income, so those it leaves out "
    "for their income cannot be counted.", income_guide=True)


def offer_eligibility(offer) -> Eligibility:
    """An energy offer's stated eligibility (its tenure, home, income, money and areas)."""
    rules, who, uncounted = [], [], []
    if offer.tenure == "own":
        rules.append(Rule("tenure", frozenset({"private", "social", "free"}),
                          frozenset({"shared"}), "whether a shared owner counts as owning"))
        who.append("owner-occupiers")
    elif offer.tenure == "rent":
        rules.append(Rule("tenure", frozenset({"owner"}), frozenset({"shared", "free"}),
                          "whether shared owners and those living rent free count as "
                          "renting"))
        who.append("people who rent")
    else:
        who.append("households of any tenure")
    if offer.home in ("house", "flat"):
        out = {"house": {"flat", "caravan"}, "flat": {"house", "caravan"}}[offer.home]
        rules.append(Rule("homes", frozenset(out)))
        who.append("in houses" if offer.home == "house" else "in flats")
    if offer.heating in OFFER_HEATING:
        out, unclear, words = OFFER_HEATING[offer.heating]
        rules.append(Rule("heating", out, unclear, "what heats their home besides its "
                                                   "central heating, which is all the Census "
                                                   "says"))
        who.append(words)
    if offer.low_income_only:
        who.append("on a low income")
        uncounted.append(LOW_INCOME)
    if offer.minimum_gbp:
        who.append(f"who can pay at least £{float(offer.minimum_gbp):,.0f}")
        uncounted.append(Uncounted(
            f"£{float(offer.minimum_gbp):,.0f} up front",
            "The data has no count of households without savings, so those it leaves out "
            "for the money it needs cannot be counted."))
    areas = tuple(offer.area_codes or ())
    what = measures_words(offer.measures or ())
    return Eligibility(
        kind="offer", key=str(offer.pk), title=offer.title, by=offer.organisation.name,
        open_to=f"“{offer.title}” " + (f"is for {what} and is" if what else
                                       "does not say what it is for; it is")
                + f" open to {' '.join(who)}"
                + (" in some neighbourhoods only." if areas else "."),
        rules=tuple(rules), uncounted=tuple(uncounted), area_codes=areas,
        status="open" if offer.active else "closed",
        status_words="" if offer.active else "This offer is not published: only its "
                                             "organisation sees it.",
        extra={"kind_label": offer.get_kind_display(), "id": offer.pk,
               "measures": [k for k in MEASURES if k in set(offer.measures or ())],
               "what": what})


EPC = Uncounted("an EPC band", "The data has no home's Energy Performance Certificate band, "
                "so those it leaves out for their EPC cannot be counted.")


def scheme_eligibilities(on: date) -> dict[str, Eligibility]:
    """The national schemes of ``commonground.heat.schemes``, as conditions on the Census
    tables (the same published rules: their links, dates and whether they have closed are
    read from there, for a neutral household, so they are written once)."""
    neutral = Household(home_type=next(iter(HOME_KINDS)), heating="gas", tenure="owner")
    said = {r.key: r for r in national.schemes(neutral, on)}

    def ended(key: str, words: str) -> dict:
        closed = said[key].status == national.CLOSED
        return {"status": "ended" if closed else "open", "status_words": words if closed
                else "", "link": said[key].link, "rules_as_of": said[key].rules_as_of}

    bus = Eligibility(
        kind="scheme", key="boiler_upgrade_scheme", title="Boiler Upgrade Scheme",
        by="the government (Ofgem runs it)",
        open_to="The Boiler Upgrade Scheme is open to owners — landlords too — of homes "
                "heated by fossil fuel or electricity, not to social housing.",
        rules=(Rule("tenure", frozenset({"social"}), frozenset({"private", "shared", "free"}),
                    "their landlord or the home's owner applying"),
               Rule("heating", frozenset({"none", "heat_network", "renewable"}),
                    frozenset({"two_or_more", "other"}),
                    "which of their kinds of heating the heat pump replaces")),
        uncounted=(Uncounted("a valid EPC, not a new build", "The data cannot say which "
                             "homes have a valid EPC or are new builds."),),
        **ended("boiler_upgrade_scheme", "The scheme has closed: today it reaches no one. "
                                         "Below is whom its rules left out."))
    gbis = Eligibility(
        kind="scheme", key="great_british_insulation_scheme",
        title="Great British Insulation Scheme", by="energy suppliers (Ofgem)",
        open_to="The Great British Insulation Scheme was open to owners and tenants (with "
                "their landlord's permission) in homes with an EPC band of D to G, in council "
                "tax bands A to D or getting a qualifying benefit.",
        rules=(Rule("tenure", frozenset(), frozenset({"private", "social", "shared", "free"}),
                    "their landlord's permission"),),
        uncounted=(EPC, Uncounted("a council tax band A to D, or a qualifying benefit",
                                  "The data has no home's council tax band and no count of "
                                  "households on benefits.", income_guide=True)),
        **ended("great_british_insulation_scheme", "It has closed and was not renewed: today "
                "it leaves everyone out. Below is whom its rules left out."))
    eco4 = Eligibility(
        kind="scheme", key="eco4", title="Energy Company Obligation (ECO4)",
        by="energy suppliers (Ofgem)",
        open_to="ECO4 was open to households on a qualifying means-tested benefit (social "
                "housing through its landlord) in homes with a low EPC band.",
        rules=(Rule("tenure", frozenset(), frozenset({"private", "social", "shared", "free"}),
                    "their landlord's permission"),),
        uncounted=(EPC, LOW_INCOME),
        **ended("eco4", "It has ended and was not renewed: today it leaves everyone out. "
                        "Below is whom its rules left out."))
    whd = Eligibility(
        kind="scheme", key="warm_home_discount", title="Warm Home Discount",
        by="energy suppliers (the government sets the rules)",
        open_to="The Warm Home Discount is open to bill payers getting Pension Credit or a "
                "means-tested benefit, in any home and any tenure.",
        rules=(Rule("heating", frozenset(), frozenset({"heat_network"}),
                    "buying their electricity directly from a supplier"),),
        uncounted=(Uncounted("Pension Credit or a means-tested benefit", LOW_INCOME.why,
                             income_guide=True),),
        **ended("warm_home_discount", "These rules have run out; the next were not found."))
    return {e.key: e for e in (bus, gbis, eco4, whd)}


# ------------------------------------------------------------------------------- the data

def tables() -> dict:
    """The Census tables per base area, keyed, the IMD decile and the income guide: read once
    per load. Raises ``NoLeftOutData``."""
    state = city_state()
    return state.derived("left out tables", partial(_tables, state))


def _find(city, test, what: str):
    table = next((t for t in city.groups if test(t.labels)), None)
    if table is None:
        raise NoLeftOutData(f"the city's data needs the Census {what} table for this page")
    return table


def _tables(state) -> dict:
    city = lens_city(state)
    found = {
        "tenure": (_find(city, lambda ls: any(x.startswith(OWNER_PREFIX) for x in ls),
                         "tenure (TS054)"), tenure_key),
        "homes": (_find(city, lambda ls: set(HOUSE_TYPES) <= set(ls),
                        "accommodation type (TS044)"), home_key),
        "heating": (_find(city, lambda ls: any("central heating" in x.lower() for x in ls),
                          "central heating (TS046)"), heating_key),
    }
    out = {}
    for name, (t, key_of) in found.items():
        out[name] = {"labels": t.labels, "keys": np.array([key_of(x) for x in t.labels]),
                     "counts": np.asarray(t.counts, float), "totals": np.asarray(t.totals, float),
                     "source": f"{t.title} ({t.period})" if t.period else t.title,
                     "title": t.title}
    decile, edition = None, None
    if city.deprivation:
        dep = city.edition(None)
        decile, edition = groups_of(dep, "imd-decile"), dep.title
    return {"state": state, "city": city.name, "tables": out, "decile": decile,
            "edition": edition, "population": np.asarray(city.population, float),
            "income": _income(state)}


def _income(state) -> dict | None:
    """The newest IoD income domain score on the base areas (share of residents), if any."""
    found = [i for i in state.indicators.values()
             if i.column == INCOME_COLUMN and i.source.geography == state.base]
    if not found:
        return None
    newest = max(found, key=lambda i: i.source.vintage)
    return {"share": np.asarray(state.column(newest.key), float),
            "source": f"{newest.source.title}, income domain score"}


# ------------------------------------------------------------------------------ counting

def per_base(e: Eligibility, data: dict) -> dict:
    """Per base area: each rule's households left out and unclear, the households, the
    served mask and the bounds of those left out in all (the module's rule)."""
    state, t = data["state"], data["tables"]
    counted = []
    for r in e.rules:
        table = t[r.table]
        counted.append({"rule": r, "out": table["counts"][:, np.isin(table["keys"], list(r.out))]
                        .sum(axis=1), "unclear": table["counts"][
                            :, np.isin(table["keys"], list(r.unclear))].sum(axis=1),
                        "total": table["totals"]})
    used = [c["total"] for c in counted] or [t["tenure"]["totals"]]
    households = np.max(np.vstack(used), axis=0)
    served, unknown = served_mask(state, e.area_codes)
    if counted:
        low = np.max(np.vstack([c["out"] for c in counted]), axis=0)
        high = np.minimum(households, np.sum(np.vstack([c["out"] + c["unclear"]
                                                        for c in counted]), axis=0))
    else:
        low = high = np.zeros_like(households)
    low = np.where(served, low, households)
    high = np.where(served, high, households)
    return {"rules": counted, "households": households, "served": served, "low": low,
            "high": high, "unknown_codes": unknown}


def served_mask(state, codes) -> tuple[np.ndarray, list[str]]:
    """Which base areas an offer's area codes (of any geography) cover; codes the city does
    not have are returned to be said."""
    n = len(state.base_areas)
    if not codes:
        return np.ones(n, bool), []
    mask, unknown = np.zeros(n, bool), []
    for code in codes:
        geography = next((g for g in sorted(state.profiled, key=lambda g: g != state.base)
                          if code in state.position(g)), None)
        if geography is None:
            unknown.append(code)
            continue
        i = state.position(geography)[code]
        if geography == state.base:
            mask[i] = True
        else:
            at, weights = state.member_row(geography, i)
            mask[np.asarray(at)[np.asarray(weights) > 0]] = True
    return mask, unknown


def members(state, code: str) -> tuple[str, str, str, np.ndarray, np.ndarray]:
    """(geography, code, name, base positions, weights) of an area; no code: the whole
    package. ``AreaNotFound`` names an unknown code."""
    code = (code or "").strip()
    if not code:
        n = len(state.base_areas)
        return "", "", state.run.city_name, np.arange(n), np.ones(n)
    for geography in sorted(state.profiled, key=lambda g: g != state.base):
        i = state.position(geography).get(code)
        if i is None:
            continue
        name = state.by_geography[geography][i].display_name
        if geography == state.base:
            return geography, code, name, np.array([i]), np.ones(1)
        at, weights = state.member_row(geography, i)
        return geography, code, name, np.asarray(at), np.asarray(weights, float)
    raise AreaNotFound(f"area: no area {code[:40]!r} in {state.run.city_name} (give an LSOA, "
                       "MSOA, ward or authority code)")


def _sum(values: np.ndarray, at, weights) -> float:
    return float(weights @ values[at])


def _int(x: float) -> int:
    return int(round(x))


def _pct(count: float, total: float) -> float | None:
    return round(100 * count / total, 1) if total > 0 else None


# ------------------------------------------------------------------------------- answers

def left_out(e: Eligibility, area: str = "", *, data: dict | None = None,
             detail: bool = True) -> dict:
    """Who ``e`` leaves out in ``area`` (a code of any geography; empty: the whole city):
    counts with their source, the range in all, what cannot be counted, the decile lens,
    the areas within, and the plain words (``detail=False``: without the lens and the areas
    within, for a list of schemes)."""
    data = data or tables()
    state = data["state"]
    geography, code, name, at, w = members(state, area)
    base = per_base(e, data)
    n = _sum(base["households"], at, w)
    low, high = _sum(base["low"], at, w), _sum(base["high"], at, w)
    outside = _sum(np.where(base["served"], 0.0, base["households"]), at, w)
    conditions = []
    for c in base["rules"]:
        table = data["tables"][c["rule"].table]
        total = _sum(c["total"], at, w)
        cats = []
        for j, label in enumerate(table["labels"]):
            key = table["keys"][j]
            status = ("left out" if key in c["rule"].out else
                      "unclear" if key in c["rule"].unclear else "open")
            cats.append({"label": label, "count": _int(w @ table["counts"][at, j]),
                         "status": status})
        conditions.append({
            "table": c["rule"].table, "table_name": TABLE_NAMES[c["rule"].table],
            "source": table["source"], "table_title": table["title"],
            "households": _int(total),
            "out": _int(_sum(c["out"], at, w)), "unclear": _int(_sum(c["unclear"], at, w)),
            "out_share": _pct(_sum(c["out"], at, w), total),
            "out_groups": _groups(c["rule"].table, c["rule"].out, table["keys"]),
            "unclear_groups": _groups(c["rule"].table, c["rule"].unclear, table["keys"]),
            "why_unclear": c["rule"].why_unclear, "categories": cats})
    guide = _income_guide(data, at, w)
    uncounted = [{"what": u.what, "why": u.why,
                  "guide": guide if u.income_guide else None} for u in e.uncounted]
    exact = len(base["rules"]) <= 1 and not any(c["unclear"] for c in conditions)
    result = {
        "kind": e.kind, "key": e.key, "title": e.title, "by": e.by, "open_to": e.open_to,
        "status": e.status, "status_words": e.status_words, "link": e.link,
        "rules_as_of": e.rules_as_of, **e.extra,
        "area": {"geography": geography, "code": code, "name": name},
        "households": _int(n),
        "left_out": {"low": _int(low), "high": _int(high), "low_share": _pct(low, n),
                     "high_share": _pct(high, n), "exact": exact},
        "outside_areas": _int(outside) if e.area_codes else None,
        "unknown_area_codes": base["unknown_codes"],
        "conditions": conditions, "uncounted": uncounted,
        "not_published": _not_published(e), "note": TOTALS_NOTE,
        "deprivation": _by_decile(data, base, at, w) if detail else None,
        "areas": _within(state, base, geography, code) if detail else [],
    }
    result["words"] = words(result)
    return result


def _groups(table: str, keys, present) -> list[str]:
    order = list(WORDS[table])
    return [WORDS[table][k] for k in sorted(set(keys) & set(present.tolist()),
                                            key=order.index)]


def _income_guide(data: dict, at, w) -> dict | None:
    income = data["income"]
    if income is None:
        return None
    share, people = income["share"][at], data["population"][at] * w
    known = np.isfinite(share)
    if not people[known].sum():
        return None
    value = float((share[known] * people[known]).sum() / people[known].sum())
    return {"share": round(100 * value, 1), "unit": "% of residents", "measures": INCOME_GUIDE,
            "source": income["source"]}


def _not_published(e: Eligibility) -> str | None:
    tables_used = sorted({r.table for r in e.rules}, key=list(TABLE_NAMES).index)
    if len(tables_used) < 2:
        return None
    first, *rest = (TABLE_NAMES[t] for t in tables_used)
    return (f"The Census does not publish {first} by {' or '.join(rest)} for neighbourhoods, "
            "so the households left out in all are given as a range, never a made-up count: "
            "at least the largest group any one condition leaves out, at most all of them "
            "together.")


def _by_decile(data: dict, base: dict, at, w) -> dict | None:
    if data["decile"] is None:
        return None
    g = data["decile"][at]
    idx = np.where(np.isnan(g), 0, g).astype(int)

    def by(values):
        return np.bincount(idx, weights=values[at] * w, minlength=11)

    areas = np.bincount(idx, minlength=11)
    n, low, high = by(base["households"]), by(base["low"]), by(base["high"])
    rows = [{"decile": k, "label": _decile_label(k), "areas": int(areas[k]),
             "households": _int(n[k]), "low": _int(low[k]), "high": _int(high[k]),
             "low_share": _pct(low[k], n[k]), "high_share": _pct(high[k], n[k])}
            for k in range(1, 11) if areas[k]]
    return {"edition": data["edition"], "rows": rows, "unknown_areas": int(areas[0])}


def _decile_label(k: int) -> str:
    return {1: "1 (most deprived tenth of England)",
            10: "10 (least deprived tenth)"}.get(k, str(k))


def _within(state, base: dict, geography: str, code: str) -> list[dict]:
    """The areas listed under the answer: the wards of the whole city, the neighbourhoods
    (base areas) of a larger area, none under a base area."""
    if geography == state.base:
        return []
    if not geography:
        kind = "ward" if "ward" in state.by_geography else state.base
    else:
        kind = state.base
    rows = []
    if kind == state.base:
        at = (np.arange(len(state.base_areas)) if not geography
              else members(state, code)[3])
        for i in at.tolist():
            rows.append(_row(state.base_areas[i], base, np.array([i]), np.ones(1)))
    else:  # every ward at once: the membership matrix (wards x base areas) times the counts
        weights = state.members(kind)
        sums = {k: weights @ base[k] for k in ("households", "low", "high")}
        for i, a in enumerate(state.by_geography[kind]):
            rows.append(_sums_row(a, sums["households"][i], sums["low"][i], sums["high"][i]))
    return rows


def _row(area, base: dict, at, w) -> dict:
    return _sums_row(area, *(_sum(base[k], at, w) for k in ("households", "low", "high")))


def _sums_row(area, n: float, low: float, high: float) -> dict:
    return {"geography": area.geography, "code": area.code, "name": area.display_name,
            "households": _int(n), "low": _int(low), "high": _int(high),
            "low_share": _pct(low, n), "high_share": _pct(high, n)}


# ---------------------------------------------------------------------------------- words

def in_ten(share: float | None) -> str:
    """A share of 100 as "about 4 in 10" (0: "none"; under 5%: "fewer than 1 in 20"; 95% on:
    "nearly all")."""
    if share is None:
        return "an unknown share"
    if share == 0:
        return "none"
    if share < 5:
        return "fewer than 1 in 20"
    if share >= 95:
        return "nearly all"
    return f"about {round(share / 10)} in 10"


def _or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def words(r: dict) -> list[str]:
    """The answer in plain words: what it is open to, who each condition leaves out (counted,
    with the table), the range in all, what cannot be counted, and the lens."""
    name = r["area"]["name"]
    out = [r["open_to"]]
    if r["status_words"]:
        out.append(r["status_words"])
    if r["outside_areas"] and r["outside_areas"] == r["households"]:
        out.append(f"{name} is outside the neighbourhoods it is offered in: all its "
                   f"{r['households']:,} households are left out.")
        return out
    for c in r["conditions"]:
        out.extend(_condition_words(c, name))
    if r["outside_areas"]:
        out.append(f"It is offered in some neighbourhoods only: {r['outside_areas']:,} "
                   f"households of {name} live outside them and are left out.")
    lo = r["left_out"]
    if r["conditions"] or r["outside_areas"]:
        if r["not_published"]:
            out.append(r["not_published"])
        if lo["low"] == lo["high"]:
            out.append(f"In all, {lo['low']:,} of about {r['households']:,} households in "
                       f"{name} are left out ({in_ten(lo['low_share'])}).")
        else:
            low, high = in_ten(lo["low_share"]), in_ten(lo["high_share"])
            out.append(f"In all, between {lo['low']:,} and {lo['high']:,} of about "
                       f"{r['households']:,} households in {name} are left out ("
                       + (low if low == high else f"between {low} and {high}") + ").")
    elif not r["uncounted"]:
        out.append(f"Its stated conditions leave out no household in {name} that the Census "
                   "can tell apart.")
    for u in r["uncounted"]:
        sentence = f"It needs {u['what']}. {u['why']}"
        if u["guide"]:
            sentence += (f" As a guide, {u['guide']['share']}% of residents of {name} are "
                         f"income deprived ({u['guide']['source']}).")
        out.append(sentence)
    dep = r["deprivation"]
    rows = [x for x in (dep or {}).get("rows", []) if x["households"]]
    if len(rows) >= 2 and (r["conditions"] or r["outside_areas"]):
        most, least = rows[0], rows[-1]
        out.append(f"Through the lens: in {name}'s neighbourhoods in decile {most['label']} "
                   f"of deprivation, {_range(most)} of households are left out; in decile "
                   f"{least['label']}, {_range(least)}.")
    return out


def _condition_words(c: dict, name: str) -> list[str]:
    out = []
    if c["out"] and c["out_groups"]:
        out.append(f"{in_ten(c['out_share']).capitalize()} households in {name} "
                   f"{_or(c['out_groups'])}, and are left out ({c['out']:,} of "
                   f"{c['households']:,}; {c['table_title']}).")
    if c["unclear"] and c["unclear_groups"]:
        who = "Another" if out else f"In {name},"
        out.append(f"{who} {c['unclear']:,} households {_or(c['unclear_groups'])}: whether "
                   f"they can take part depends on {c['why_unclear']}.")
    return out


def _range(row: dict) -> str:
    if row["low_share"] == row["high_share"]:
        return f"{row['low_share']}%"
    return f"between {row['low_share']}% and {row['high_share']}%"


# ------------------------------------------------------------------------------- listing

def offer_for(user, offer_id: int):
    """The offer, if ``user`` may see it (``access.can_see_offer``), else None: a closed
    offer is as missing to everyone else."""
    from . import access
    from .models import Offer

    offer = Offer.objects.select_related("organisation").filter(pk=offer_id).first()
    if offer is None or not access.can_see_offer(user, offer):
        return None
    return offer


def visible_offers(user) -> list:
    from . import access
    from .models import Offer

    return [o for o in Offer.objects.select_related("organisation")
            .order_by("organisation__name", "title", "pk") if access.can_see_offer(user, o)]


def index(user, area: str = "") -> dict:
    """Every offer ``user`` may see and every national scheme, each with the households it
    leaves out in ``area`` (the whole city by default)."""
    data = tables()
    rows = []
    for e in [offer_eligibility(o) for o in visible_offers(user)] + list(
            scheme_eligibilities(date.today()).values()):
        r = left_out(e, area, data=data, detail=False)
        rows.append({**{k: r[k] for k in ("kind", "key", "title", "by", "open_to", "status",
                                          "status_words", "households", "left_out",
                                          "uncounted", "area")},
                     "what": r.get("what", "")})
    geography, code, name, _, _ = members(data["state"], area)
    return {"area": {"geography": geography, "code": code, "name": name}, "rows": rows,
            "note": TOTALS_NOTE}
