"""Use case: where to knock first. A council or a co-op ranks the city's neighbourhoods (LSOAs;
or MSOAs, or wards) for a warm-homes campaign by fuel poverty, heating, tenure and
deprivation, with weights it can change, each row explaining its place; the same answer as a
page, JSON, CSV and an evidence pack item.

The figures per area (each with its unit and source):

* fuel poverty: % of households, DESNZ's modelled Low Income Low Energy Efficiency estimates
  (the ``fuel-poverty`` role, via ``heat_picture``): **modelled**, for patterns, not exact
  places (:data:`heat_picture.FUEL_POVERTY_CAVEAT`), so ranks are ties on whole points and
  fifths (``commonground.heat.campaign``);
* costly or no heating: % of households whose central heating is electric only, oil, wood or
  solid fuel, or who have none (Census 2021 TS046);
* renting privately: % of households (Census 2021 TS054);
* deprivation: the newest Index of Multiple Deprivation score on the neighbourhoods; a ward's
  or MSOA's is the households-weighted mean of its neighbourhoods' scores.

A city's data package may lack any of them (another city's, or England's without fuel poverty
estimates): the ranking then uses the factors it holds, reweighted in their proportions, and
says which factor is missing and why (``missing_factors``, ``missing_note``); a weight given
for a missing factor is not used, said so. Only a package with none of the four cannot be
ranked (``NoFactors``).

A larger area's counts are its neighbourhoods' summed (membership weights), as the heat
picture does. The weighting is ``commonground.heat.campaign`` (pure).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

import numpy as np

from commonground.catalogue.services.lens import census_tables
from commonground.geography.codes import geography_label
from commonground.heat.campaign import (
    BANDS,
    DEFAULT_WEIGHTS,
    FACTORS,
    MAX_WEIGHT,
    RANK_STEP,
    WeightError,
    not_used,
    parse_weights,
    rank,
)
from commonground.places.cache import city_state
from commonground.solar.neighbourhoods import OWNER_PREFIX

from . import heat_picture
from .heat_picture import FUEL_POVERTY_CAVEAT, NoHeatData, family_of

__all__ = ["DEFAULT_WEIGHTS", "FACTORS", "MAX_WEIGHT", "NoFactors", "WeightError",
           "campaign", "csv_text", "geographies", "weights_query"]

#: Central heating families counted as costly to run or absent (``heat_picture``'s families).
COSTLY_HEATING = ("electric", "oil", "solid", "none")
PRIVATE_RENT = "private rented"  # TS054 categories whose label starts so
DEPRIVATION_ROLE, DEPRIVATION_COLUMN = "deprivation", "imd_score"
BAND_WORDS = {1: "first fifth", 2: "second fifth", 3: "third fifth", 4: "fourth fifth",
              5: "last fifth"}
APPROXIMATE = (f"Places are approximate: neighbourhoods are ranked on their priority rounded to "
               f"whole points ({RANK_STEP:g} of 100), equal ones share a place (shown “=”), and "
               f"they are put in {BANDS} fifths. A few places apart is not a real difference; "
               f"read the fifths, and check on the ground.")
METHOD = ("Each factor's score puts its value on 0–1 across the areas ranked: (value − lowest) "
          "÷ (highest − lowest), 1 for the most in need. Priority = 100 × Σ weight × score ÷ Σ "
          "weights, so the contributions add up to it (OECD/JRC, Handbook on Constructing "
          "Composite Indicators, 2008).")


class NoFactors(LookupError):
    """The city's data holds none of the ranking's four factors: nothing can be ranked (the
    message says what each lacks)."""


def geographies() -> list[str]:
    """The geographies that can be ranked: the neighbourhoods, MSOAs of the same census and
    wards (those the city has)."""
    state = city_state()
    year = state.base[-2:] if state.base[-2:].isdigit() else ""
    return [g for g in (state.base, f"msoa{year}", "ward") if g in state.profiled]


def weights_query(weights: Mapping[str, int]) -> str:
    """``fuel_poverty=40&heating=25&...``: the weights as a query (links, a pack item), of
    the factors ranked on."""
    return "&".join(f"{f.key}={int(weights[f.key])}" for f in FACTORS if f.key in weights)


def campaign(given: Mapping[str, object] | None = None, geography: str = "") -> dict:
    """The ranking with the weights ``given`` (missing ones: defaults), on the factors the
    city's data holds. Raises ``WeightError`` (bad weight, naming it), ``ValueError`` naming
    ``geography``, ``NoFactors`` (the data holds none of the four)."""
    given = given or {}
    state = city_state()
    base = _base_figures(state)
    weights = parse_weights(given, base["available"])
    unused = not_used(given, base["available"])
    geography = (geography or "").strip() or state.base
    choices = geographies()
    if geography not in choices:
        raise WeightError("geography", f"choose one of {', '.join(choices)}, not "
                          f"“{geography[:20]}”")
    data = _factors(geography)
    result = rank(data["values"], weights)
    total = sum(weights.values())
    held = [f for f in FACTORS if f.key in weights]
    rows = _rows(data, result, held)
    missing = [{"key": f.key, "label": f.label, "unit": f.unit,
                "reason": f"This hub has {m.lacks}: {m.why}.",
                "weight_given": unused.get(f.key)}
               for f in FACTORS if (m := data["missing"].get(f.key))]
    return {
        "city": data["city"], "geography": geography,
        "geography_label": geography_label(geography), "areas_label": data["label_plural"],
        "geographies": choices,
        "geography_choices": [{"key": g, "label": _upper_first(_plural(g, state.base))}
                              for g in choices],
        "weights": weights, "weights_query": weights_query(weights),
        "defaults": {f.key: f.default_weight for f in held}, "max_weight": MAX_WEIGHT,
        "factors": [{"key": f.key, "label": f.label, "unit": f.unit, "meaning": f.meaning,
                     "weight": weights[f.key],
                     "share_of_weight": round(100 * weights[f.key] / total, 1),
                     "source": data["sources"][f.key]} for f in held],
        "missing_factors": missing,
        "missing_note": _missing_note(data, weights, unused),
        "households_source": data["households_source"],
        "areas": len(rows), "ranked": int((result.rank > 0).sum()),
        "caveat": FUEL_POVERTY_CAVEAT if "fuel_poverty" in weights else "",
        "approximate": APPROXIMATE, "method": METHOD,
        "words": _words(data, result, rows, weights, unused),
        "rows": rows,
    }


NUMBER_WORDS = {1: "one", 2: "two", 3: "three"}


def _missing_note(data: dict, weights: Mapping[str, int], unused: Mapping[str, int]) -> str:
    """``This hub has no fuel poverty estimates (why); the ranking uses the other three
    factors, reweighted: …``, and which weights given are not used; "" when none missing."""
    missing = [data["missing"][f.key] for f in FACTORS if f.key in data["missing"]]
    if not missing:
        return ""
    total = sum(weights.values())
    held = [f for f in FACTORS if f.key in weights]
    shares = ", ".join(f"{f.label.lower()} {round(100 * weights[f.key] / total)}%" for f in held)
    uses = (f"the other {NUMBER_WORDS[len(held)]} factors, reweighted: {shares}" if len(held) > 1
            else f"the one factor it holds, {shares}")
    lacks, why = _lacking(missing)
    note = f"This hub has {lacks}; the ranking uses {uses}. {why}"
    labels = {f.key: f.label for f in FACTORS}
    given = [f"“{labels[k]}” ({w})" for k, w in unused.items()]
    if given:
        note += (f" The weight given for {' and '.join(given)} is not used: the hub has no "
                 f"figures for it.")
    return note


def _rows(data: dict, result, held) -> list[dict]:
    """One dict per area, first to knock first: columns taken out of the arrays once (lists
    in ``result.order``), not one NumPy scalar at a time (England: 33,755 rows)."""
    order = result.order

    def column(x, digits: int) -> list:
        return _rounded(np.asarray(x, dtype=float)[order].tolist(), digits)

    factors = [(f, column(data["values"][f.key], 1), column(result.scores[f.key], 2),
                column(result.contributions[f.key], 1)) for f in held]
    ranks, bands = result.rank[order].tolist(), result.band[order].tolist()
    tied = result.tied[order].tolist()
    priority, households = column(result.priority, 0), column(data["households"], 0)
    fuel_poor = column(data["fuel_poor"], 0)
    rows = []
    for j, i in enumerate(order.tolist()):
        area, rank_, band = data["areas"][i], ranks[j], bands[j]
        rows.append({
            "code": area.code, "name": area.display_name,
            "url": f"/energy/heat/{area.geography}/{area.code}/",
            "rank": rank_ or None, "tied": tied[j],
            "place": (("=" if tied[j] else "") + str(rank_)) if rank_ else "not ranked",
            "band": band or None, "band_label": BAND_WORDS.get(band, "not ranked"),
            "priority": priority[j], "households": households[j], "fuel_poor": fuel_poor[j],
            "factors": [{"key": f.key, "value": value[j], "unit": f.unit, "score": score[j],
                         "weight": result.weights[f.key], "contribution": points[j]}
                        for f, value, score, points in factors]})
    return rows


def _rounded(values: list[float], digits: int) -> list:
    """Each value rounded (``digits`` 0: a whole number), None where not finite."""
    if digits == 0:
        return [int(round(x)) if math.isfinite(x) else None for x in values]
    return [round(x, digits) if math.isfinite(x) else None for x in values]


def _words(data: dict, result, rows: list[dict], weights: Mapping[str, int],
           unused: Mapping[str, int]) -> list[str]:
    total = sum(weights.values())
    parts = [f"{f.label.lower()} {round(100 * weights[f.key] / total)}%" for f in FACTORS
             if weights.get(f.key)]
    out = [f"{len(rows)} {data['label_plural']} of {data['city']} ranked for a warm-homes "
           f"campaign, weighted: {', '.join(parts)}."]
    note = _missing_note(data, weights, unused)
    if note:
        out.append(note)
    first = [r for r in rows if r["band"] == 1]
    if first:
        homes = sum(r["households"] or 0 for r in first)
        text = (f"The first fifth to knock ({len(first)} {data['label_plural']}) holds about "
                f"{homes:,} households")
        if "fuel_poverty" in data["available"]:
            poor = sum(r["fuel_poor"] or 0 for r in first)
            text += f", of whom about {poor:,} are estimated to be in fuel poverty"
        out.append(text + ".")
    ties = int(result.tied.sum())
    if ties:
        out.append(f"{ties} of them share their place with another: their priorities round to "
                   f"the same whole point.")
    return out


# -------------------------------------------------------------------------------- figures

@dataclass(frozen=True)
class Missing:
    """A factor the city's data lacks: what it lacks (``lacks``, after "This hub has") and
    why (what the package would need)."""

    key: str
    lacks: str
    why: str


def _factors(geography: str) -> dict:
    state = city_state()
    return state.derived("warm homes campaign", partial(_build, state, geography), key=geography)


def _base_figures(state) -> dict:
    """Each factor's counts per neighbourhood and its source, or why the data lacks it (built
    once per load). Raises ``NoFactors`` when it lacks all four."""
    return state.derived("warm homes campaign figures", partial(_build_base, state))


def _build_base(state) -> dict:
    counts, sources, missing = {}, {}, {}
    try:
        poor, households, fp = heat_picture._fuel_poverty(state)
        counts["poor"], counts["households"] = np.nan_to_num(poor), np.nan_to_num(households)
        sources["fuel_poverty"] = f"{fp.title} ({fp.vintage}), {fp.publisher}; modelled"
    except NoHeatData as exc:
        missing["fuel_poverty"] = Missing("fuel_poverty", "no fuel poverty estimates",
                                          _why(exc))
    tables = census_tables(state, state.base)
    heating = next((t for t in tables if any("central heating" in x.lower() for x in t.labels)),
                   None)
    if heating is None:
        missing["heating"] = Missing("heating", "no Census table of central heating (TS046)",
                                     "its data package has no Census resource on its "
                                     "neighbourhoods whose categories name central heating")
    else:
        costly = np.isin(np.array([family_of(x) for x in heating.labels]), COSTLY_HEATING)
        counts["costly"] = heating.counts[:, costly].sum(axis=1)
        counts["heating_total"] = heating.totals
        sources["heating"] = f"{heating.title} ({heating.period})"
    tenure = next((t for t in tables if any(x.startswith(OWNER_PREFIX) for x in t.labels)), None)
    private = (np.array([x.lower().startswith(PRIVATE_RENT) for x in tenure.labels])
               if tenure is not None else np.zeros(0, dtype=bool))
    if not private.any():
        missing["tenure"] = Missing("tenure", "no Census table of tenure (TS054) with private "
                                    "renting", "its data package has no Census resource on its "
                                    "neighbourhoods with categories “Owned…” and “Private "
                                    "rented…”")
    else:
        counts["private"] = tenure.counts[:, private].sum(axis=1)
        counts["tenure_total"] = tenure.totals
        sources["tenure"] = f"{tenure.title} ({tenure.period})"
    found = [i for i in state.indicators.values()
             if i.source.role == DEPRIVATION_ROLE and i.column == DEPRIVATION_COLUMN
             and i.source.geography == state.base]
    if not found:
        missing["deprivation"] = Missing("deprivation", "no Index of Multiple Deprivation "
                                         "scores", "its data package has no resource with the "
                                         f"role '{DEPRIVATION_ROLE}' and a column "
                                         f"'{DEPRIVATION_COLUMN}' on its neighbourhoods")
    else:
        newest = max(found, key=lambda i: i.source.vintage)
        s = newest.source
        licence = s.licence_title or s.licence_name
        counts["imd"] = np.asarray(state.column(newest.key), dtype=float)
        sources["deprivation"] = f"{s.title} ({s.vintage})" + (f"; {licence}" if licence else "")
    if len(missing) == len(FACTORS):
        lacks, why = _lacking(list(missing.values()))
        raise NoFactors(f"This hub cannot rank neighbourhoods for a warm-homes campaign: it "
                        f"has {lacks}. {why}")
    # households: DESNZ's count with the fuel poverty estimates, else the Census's
    for key, source in (("households", sources.get("fuel_poverty")),
                        ("tenure_total", sources.get("tenure")),
                        ("heating_total", sources.get("heating"))):
        if key in counts:
            counts["households"], households_source = counts[key], source
            break
    else:
        counts["households"] = np.full(len(state.base_areas), np.nan)
        households_source = "not held: the hub has no count of households"
    return {"counts": counts, "sources": sources, "missing": missing,
            "households_source": households_source,
            "available": tuple(f.key for f in FACTORS if f.key not in missing)}


def _why(exc: Exception) -> str:
    """A ``NoHeatData`` message as the reason a factor is missing."""
    text = str(exc).removesuffix(" for this page")
    return text.replace("the city's data needs a ", "its data package has no ")


def _lacking(missing: list[Missing]) -> tuple[str, str]:
    """``no fuel poverty estimates and no …``, then each one's reason:
    ``Fuel poverty: its data package has no …``."""
    parts = [m.lacks for m in missing]
    labels = {f.key: f.label for f in FACTORS}
    lacks = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return lacks, " ".join(f"{labels[m.key]}: {m.why}." for m in missing)


def _build(state, geography: str) -> dict:
    base = _base_figures(state)
    counts = base["counts"]
    households = counts["households"]
    if "imd" in counts:
        imd = counts["imd"]
        known = np.isfinite(imd) & np.isfinite(households)
        weighted_imd = np.where(known, imd * np.nan_to_num(households), 0.0)
        imd_households = np.where(known, households, 0.0)
    sources = dict(base["sources"])
    if geography == state.base:
        v = dict(counts)
        areas = state.base_areas
    else:
        W = state.members(geography)
        v = {k: W @ np.asarray(a, dtype=float) for k, a in counts.items() if k != "imd"}
        if "imd" in counts:
            with np.errstate(divide="ignore", invalid="ignore"):
                v["imd"] = np.where((W @ imd_households) > 0,
                                    (W @ weighted_imd) / (W @ imd_households), np.nan)
            sources["deprivation"] += ("; an area's score is the households-weighted mean of "
                                       "its neighbourhoods'")
        areas = state.by_geography[geography]
    n = len(areas)
    shares = {"fuel_poverty": ("poor", "households"), "heating": ("costly", "heating_total"),
              "tenure": ("private", "tenure_total")}
    values = {key: _share(v[count], v[total]) for key, (count, total) in shares.items()
              if key in base["available"]}
    if "imd" in v:
        values["deprivation"] = np.asarray(v["imd"], float)
    return {"city": state.run.city_name, "areas": areas,
            "label_plural": _plural(geography, state.base),
            "households": np.asarray(v["households"], float),
            "fuel_poor": np.asarray(v["poor"], float) if "poor" in v else np.full(n, np.nan),
            "values": values, "sources": sources, "missing": base["missing"],
            "available": base["available"], "households_source": base["households_source"]}


def _plural(geography: str, base: str) -> str:
    if geography == base:
        return "neighbourhoods (LSOAs)"
    return "wards" if geography == "ward" else "areas (MSOAs)"


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _share(count, total) -> np.ndarray:
    count, total = np.asarray(count, float), np.asarray(total, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 100 * count / total, np.nan)


# ------------------------------------------------------------------------------------ CSV

def csv_text(result: dict) -> str:
    """The ranking as CSV: lines starting ``#`` first (the weights, each factor's unit and
    source, the caveats), then one row per area; every column named with its unit."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    notes = [f"Where to knock first: {result['geography_label']}, {result['city']}; weights "
             f"{result['weights_query']}"]
    notes += [f"{f['key']}: {f['label']} ({f['unit']}): {f['meaning']}. Source: {f['source']}"
              for f in result["factors"]]
    notes += [f"{m['key']}: {m['label']}: not used. {m['reason']}"
              for m in result["missing_factors"]]
    notes += [n for n in (result["missing_note"], result["caveat"]) if n]
    notes += [f"Households: {result['households_source']}", result["approximate"],
              result["method"]]
    for note in notes:  # comment lines (e.g. pandas.read_csv(comment="#")), one line each
        out.write("# " + " ".join(note.split()) + "\n")
    header = ["place", "band (fifth, 1 = knock first)", "code", "name",
              "priority (0-100)", "households", "fuel-poor households (modelled)"]
    fuel_poor = "fuel_poverty" in result["weights"]
    if not fuel_poor:
        header.pop()
    for f in result["factors"]:
        header += [f"{f['key']} value ({f['unit']})", f"{f['key']} score (0-1)",
                   f"{f['key']} contribution (priority points, weight {f['weight']})"]
    w.writerow(header)
    for r in result["rows"]:
        line = [r["place"], r["band"] or "", r["code"], r["name"], _blank(r["priority"]),
                _blank(r["households"])] + ([_blank(r["fuel_poor"])] if fuel_poor else [])
        for f in r["factors"]:
            line += [_blank(f["value"]), _blank(f["score"]), _blank(f["contribution"])]
        w.writerow(line)
    return out.getvalue()


def _blank(x) -> object:
    return "" if x is None else x
