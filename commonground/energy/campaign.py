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

A larger area's counts are its neighbourhoods' summed (membership weights), as the heat
picture does. The weighting is ``commonground.heat.campaign`` (pure).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from functools import partial

import numpy as np

from commonground.geography.codes import geography_label
from commonground.heat.campaign import (
    BANDS,
    DEFAULT_WEIGHTS,
    FACTORS,
    MAX_WEIGHT,
    RANK_STEP,
    WeightError,
    parse_weights,
    rank,
)
from commonground.places.cache import city_state

from .heat_picture import FUEL_POVERTY_CAVEAT, NoHeatData, family_of, heat_data

__all__ = ["DEFAULT_WEIGHTS", "FACTORS", "MAX_WEIGHT", "NoHeatData", "WeightError",
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


def geographies() -> list[str]:
    """The geographies that can be ranked: the neighbourhoods, MSOAs of the same census and
    wards (those the city has)."""
    state = city_state()
    year = state.base[-2:] if state.base[-2:].isdigit() else ""
    return [g for g in (state.base, f"msoa{year}", "ward") if g in state.profiled]


def weights_query(weights: Mapping[str, int]) -> str:
    """``fuel_poverty=40&heating=25&...``: the weights as a query (links, a pack item)."""
    return "&".join(f"{f.key}={int(weights[f.key])}" for f in FACTORS)


def campaign(given: Mapping[str, object] | None = None, geography: str = "") -> dict:
    """The ranking with the weights ``given`` (missing ones: defaults). Raises ``WeightError``
    (bad weight, naming it), ``ValueError`` naming ``geography``, ``NoHeatData``."""
    weights = parse_weights(given or {})
    state = city_state()
    geography = (geography or "").strip() or state.base
    choices = geographies()
    if geography not in choices:
        raise WeightError("geography", f"choose one of {', '.join(choices)}, not "
                          f"“{geography[:20]}”")
    data = _factors(geography)
    result = rank(data["values"], weights)
    total = sum(weights.values())
    rows = [_row(data, result, int(i)) for i in result.order]
    return {
        "city": data["city"], "geography": geography,
        "geography_label": geography_label(geography), "areas_label": data["label_plural"],
        "geographies": choices,
        "geography_choices": [{"key": g, "label": _upper_first(_plural(g, state.base))}
                              for g in choices],
        "weights": weights, "weights_query": weights_query(weights),
        "defaults": dict(DEFAULT_WEIGHTS), "max_weight": MAX_WEIGHT,
        "factors": [{"key": f.key, "label": f.label, "unit": f.unit, "meaning": f.meaning,
                     "weight": weights[f.key],
                     "share_of_weight": round(100 * weights[f.key] / total, 1),
                     "source": data["sources"][f.key]} for f in FACTORS],
        "areas": len(rows), "ranked": int((result.rank > 0).sum()),
        "caveat": FUEL_POVERTY_CAVEAT, "approximate": APPROXIMATE, "method": METHOD,
        "words": _words(data, result, rows, weights),
        "rows": rows,
    }


def _row(data: dict, result, i: int) -> dict:
    rank_, band = int(result.rank[i]), int(result.band[i])
    area = data["areas"][i]
    factors = []
    for f in FACTORS:
        value = data["values"][f.key][i]
        score = result.scores[f.key][i]
        factors.append({"key": f.key, "value": _num(value, 1), "unit": f.unit,
                        "score": _num(score, 2), "weight": result.weights[f.key],
                        "contribution": _num(result.contributions[f.key][i], 1)})
    return {"code": area.code, "name": area.display_name,
            "url": f"/energy/heat/{area.geography}/{area.code}/",
            "rank": rank_ or None, "tied": bool(result.tied[i]),
            "place": (("=" if result.tied[i] else "") + str(rank_)) if rank_ else "not ranked",
            "band": band or None, "band_label": BAND_WORDS.get(band, "not ranked"),
            "priority": _num(result.priority[i], 0),
            "households": _int(data["households"][i]), "fuel_poor": _int(data["fuel_poor"][i]),
            "factors": factors}


def _words(data: dict, result, rows: list[dict], weights: Mapping[str, int]) -> list[str]:
    total = sum(weights.values())
    parts = [f"{f.label.lower()} {round(100 * weights[f.key] / total)}%" for f in FACTORS
             if weights[f.key]]
    out = [f"{len(rows)} {data['label_plural']} of {data['city']} ranked for a warm-homes "
           f"campaign, weighted: {', '.join(parts)}."]
    first = [r for r in rows if r["band"] == 1]
    if first:
        homes = sum(r["households"] or 0 for r in first)
        poor = sum(r["fuel_poor"] or 0 for r in first)
        out.append(f"The first fifth to knock ({len(first)} {data['label_plural']}) holds about "
                   f"{homes:,} households, of whom about {poor:,} are estimated to be in fuel "
                   f"poverty.")
    ties = int(result.tied.sum())
    if ties:
        out.append(f"{ties} of them share their place with another: their priorities round to "
                   f"the same whole point.")
    return out


def _num(x, digits: int) -> float | int | None:
    if x is None or not np.isfinite(x):
        return None
    return int(round(float(x))) if digits == 0 else round(float(x), digits)


def _int(x) -> int | None:
    return int(round(float(x))) if np.isfinite(x) else None


# -------------------------------------------------------------------------------- figures

def _factors(geography: str) -> dict:
    state = city_state()
    return state.derived("warm homes campaign", partial(_build, state, geography), key=geography)


def _deprivation(state) -> tuple[np.ndarray, str]:
    """The newest IMD score on the neighbourhoods and its source, in words."""
    found = [i for i in state.indicators.values()
             if i.source.role == DEPRIVATION_ROLE and i.column == DEPRIVATION_COLUMN
             and i.source.geography == state.base]
    if not found:
        raise NoHeatData("the city's data needs an Index of Multiple Deprivation with scores "
                         "on its neighbourhoods for the campaign ranking")
    newest = max(found, key=lambda i: i.source.vintage)
    s = newest.source
    licence = s.licence_title or s.licence_name
    return (np.asarray(state.column(newest.key), dtype=float),
            f"{s.title} ({s.vintage})" + (f"; {licence}" if licence else ""))


def _build(state, geography: str) -> dict:
    heat = heat_data()
    base, labels = heat["_base"], heat["_labels"]
    costly = np.isin(np.array([family_of(x) for x in labels["heating"]]), COSTLY_HEATING)
    private = np.array([x.lower().startswith(PRIVATE_RENT) for x in labels["tenure"]])
    if not private.any():
        raise NoHeatData("the Census tenure table (TS054) needs its private rented categories "
                         "for the campaign ranking")
    imd, imd_source = _deprivation(state)
    counts = {"poor": base["poor"], "households": base["households"],
              "costly": base["heating"][:, costly].sum(axis=1),
              "heating_total": base["heating_total"],
              "private": base["tenure"][:, private].sum(axis=1),
              "tenure_total": base["tenure_total"]}
    known = np.isfinite(imd)
    weighted_imd = np.where(known, imd, 0.0) * base["households"]
    imd_households = np.where(known, base["households"], 0.0)
    if geography == state.base:
        v, imd_value = counts, imd
        areas = state.base_areas
    else:
        W = state.members(geography)
        v = {k: W @ np.asarray(a, dtype=float) for k, a in counts.items()}
        with np.errstate(divide="ignore", invalid="ignore"):
            imd_value = np.where((W @ imd_households) > 0,
                                 (W @ weighted_imd) / (W @ imd_households), np.nan)
        areas = state.by_geography[geography]
        imd_source += "; an area's score is the households-weighted mean of its neighbourhoods'"
    fp = heat["sources"]["fuel_poverty"]
    return {"city": heat["city"], "areas": areas,
            "label_plural": _plural(geography, state.base),
            "households": np.asarray(v["households"], float),
            "fuel_poor": np.asarray(v["poor"], float),
            "values": {"fuel_poverty": _share(v["poor"], v["households"]),
                       "heating": _share(v["costly"], v["heating_total"]),
                       "tenure": _share(v["private"], v["tenure_total"]),
                       "deprivation": np.asarray(imd_value, float)},
            "sources": {"fuel_poverty": f"{fp['title']} ({fp['period']}), {fp['publisher']}; "
                                        f"modelled",
                        "heating": heat["sources"]["heating"],
                        "tenure": heat["sources"]["tenure"],
                        "deprivation": imd_source}}


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
    notes += [result["caveat"], result["approximate"], result["method"]]
    for note in notes:  # comment lines (e.g. pandas.read_csv(comment="#")), one line each
        out.write("# " + " ".join(note.split()) + "\n")
    header = ["place", "band (fifth, 1 = knock first)", "code", "name",
              "priority (0-100)", "households", "fuel-poor households (modelled)"]
    for f in result["factors"]:
        header += [f"{f['key']} value ({f['unit']})", f"{f['key']} score (0-1)",
                   f"{f['key']} contribution (priority points, weight {f['weight']})"]
    w.writerow(header)
    for r in result["rows"]:
        line = [r["place"], r["band"] or "", r["code"], r["name"], _blank(r["priority"]),
                _blank(r["households"]), _blank(r["fuel_poor"])]
        for f in r["factors"]:
            line += [_blank(f["value"]), _blank(f["score"]), _blank(f["contribution"])]
        w.writerow(line)
    return out.getvalue()


def _blank(x) -> object:
    return "" if x is None else x
