"""The lens: one dataset's measure against the city's people, section by section.

``run_lens(city, measure, options)`` returns one JSON-ready dictionary that the web page, the
API, the CLI and the CSV/JSON exports all render, so they always agree. Sections:

* ``deprivation`` – the measure per 1,000 residents (or the area value) per IMD decile and
  quintile, national and within the city, with 95% intervals, slope and relative indices of
  inequality and the concentration index (``stats``);
* ``disparity`` – Census groups' share where the data lands against the city (``disparity``);
* ``access`` – residents of each group within 400 m / 800 m / 1.6 km (``access``);
* ``where`` – the measure per area with map classes and hot and cold spots (``spatial``);
* ``words`` – three to five sentences from the numbers (``words``); ``method`` – the note.

Datasets about people get disclosure control (``disclosure``) before anything is returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import access, disparity, privacy, spatial, stats, words
from .deprivation import GROUPINGS, groups_of
from .inputs import City, Measure
from .method import method_note

SECTIONS = ("deprivation", "disparity", "access", "where")


@dataclass(frozen=True)
class LensOptions:
    """Choices a user can make; defaults are what the page shows first."""

    edition: str | None = None  # IoD edition key or year; None = newest
    classification: str = "fisher_jenks"  # or "quantiles"
    classes: int = 5
    draws: int = 10_000  # Monte Carlo draws for the disparity intervals
    repetitions: int = 100_000  # Monte Carlo draws for the slope indices (PHE phe_sii's default)
    permutations: int = 999  # local Moran's I
    alpha: float = 0.05  # false discovery rate for hot and cold spots
    seed: int = 0
    threshold: int | None = None  # disclosure threshold; None = not about people
    sections: tuple[str, ...] = field(default=SECTIONS)


def _num(x) -> float | None:
    x = float(x)
    return x if np.isfinite(x) else None


def _rate_scale(measure: Measure) -> tuple[str, float]:
    """(unit text, multiplier) for rates per resident."""
    if measure.kind == "count":
        return "per 1,000 residents", 1000.0
    if measure.kind == "weight":
        return f"{measure.unit} per 1,000 residents", 1000.0
    return measure.unit, 1.0


class MeasureNotAllowed(ValueError):
    """The measure asked for cannot be shown for this dataset (said in plain words)."""


def run_lens(city: City, measure: Measure, options: LensOptions = LensOptions()) -> dict:
    if len(measure.per_area) != len(city.area_codes):
        raise ValueError("the measure must have one value per base area")
    people = options.threshold is not None
    if people and measure.kind != "count":
        raise MeasureNotAllowed(
            "this dataset holds records about people, so the lens shows only counts of rows: "
            "a sum or a value per area could reveal one person's figures")
    dep = city.edition(options.edition) if city.deprivation else None
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    m = np.asarray(measure.per_area, dtype=float)
    privacy_result = None
    hidden_areas = np.zeros(len(m), dtype=bool)
    if people:
        privacy_result = privacy.city_suppression(city, m, options.threshold)
        hidden_areas = privacy_result.cells
    result: dict = {
        "city": {"name": city.name, "base_geography": city.base_geography,
                 "areas": len(city.area_codes), "residents": _num(pop.sum()),
                 "population_source": city.population_source},
        "measure": _measure_summary(measure, pop, privacy_result),
    }
    if privacy_result is not None:
        result["disclosure"] = {
            "threshold": options.threshold, "hidden_areas": int(hidden_areas.sum()),
            "rule": (f"Counts from 0 to {options.threshold - 1} are hidden (none is not told "
                     "apart from a few), and so is the next "
                     "smallest count wherever a total would otherwise give a hidden one away, "
                     "across every view of this dataset (the lens for each deprivation index, "
                     "place pages, the API) at once. Areas with hidden counts are left out of "
                     "the disparity scores and the hot spots; where the rows are is not used "
                     "for distances.")}
    if "deprivation" in options.sections and dep is not None:
        result["deprivation"] = _deprivation(city, measure, dep, pop, options, privacy_result)
    if "disparity" in options.sections and measure.kind != "value":
        result["disparity"] = _disparity(city, measure, options, hidden_areas)
    if "access" in options.sections and len(measure.points_xy) and not people:
        result["access"] = _access(city, measure)
    if "where" in options.sections:
        result["where"] = _where(city, measure, pop, options, hidden_areas)
    result["words"] = words.summarise(result)
    result["method"] = method_note(result, city, measure, dep, options)
    return jsonable(result)


def jsonable(obj):
    """The result with NumPy scalars as Python numbers and NaN/infinity as None (valid JSON)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    return obj


def _measure_summary(measure: Measure, pop: np.ndarray, hidden) -> dict:
    out = {"kind": measure.kind, "label": measure.label, "unit": measure.unit,
           "column": measure.column, "rows": measure.rows_total,
           "rows_in_areas": measure.rows_in_areas,
           "rows_with_coordinates": int(len(measure.points_xy))}
    if measure.kind == "value":
        values = measure.per_area
        ok = ~np.isnan(values) & (pop > 0)
        out["areas_with_value"] = int((~np.isnan(values)).sum())
        out["mean"] = _num(np.average(values[ok], weights=pop[ok])) if ok.any() else None
    else:
        total = float(np.nansum(measure.per_area))
        out["total"] = total
        out["rate"] = _num(1000 * total / pop.sum()) if pop.sum() > 0 else None
    if hidden is not None:
        # records about people: rows outside the city are a small count of their own, and
        # the city's total is shown only when it is itself safe to show
        out.update(rows=None, rows_with_coordinates=None)
        if hidden.city_total:
            out.update(rows_in_areas=None, total=None, rate=None, total_hidden=True)
    return out


# ---------------------------------------------------------------------------- deprivation

def _deprivation(city: City, measure: Measure, dep, pop: np.ndarray, options: LensOptions,
                 hidden) -> dict:
    tables = {}
    unit, per = _rate_scale(measure)
    for grouping, (label, n) in GROUPINGS.items():
        g = groups_of(dep, grouping)
        known = ~np.isnan(g)
        idx = np.where(known, g, 0).astype(int)
        areas = np.bincount(idx, weights=known.astype(float), minlength=n + 1)[1:]
        residents = np.bincount(idx, weights=np.where(known, pop, 0), minlength=n + 1)[1:]
        # each group's value with its interval at 95% and at 99.8% (stats.LEVELS)
        n_areas = None
        if measure.kind == "value":
            vals = np.where(known, measure.per_area, np.nan)
            (y, low, high, n_areas), (_, low998, high998, _) = (
                stats.value_with_interval(vals, pop, idx - 1, n, c) for c in stats.LEVELS)
            totals = np.full(n, np.nan)
            scale = "linear"
        else:
            totals = np.bincount(idx, weights=np.where(known, measure.per_area, 0),
                                 minlength=n + 1)[1:]
            if measure.kind == "weight":
                squares = np.bincount(idx, weights=np.where(known, measure.per_area_sq, 0),
                                      minlength=n + 1)[1:]
                (y, low, high), (_, low998, high998) = (
                    stats.weighted_rate_with_interval(totals, squares, residents, per=per,
                                                      confidence=c) for c in stats.LEVELS)
            else:  # exact Poisson limits below 10, Byar's from 10 (PHE phe_rate)
                (y, low, high), (_, low998, high998) = (
                    stats.rate_with_interval(totals, residents, per=per, confidence=c)
                    for c in stats.LEVELS)
            scale = "log"
        hide = np.array([hidden is not None and hidden.group_hidden(dep.key, grouping, k)
                         for k in range(1, n + 1)], dtype=bool)
        rows = []
        for k in range(n):
            secret = bool(hide[k])
            rows.append({"group": k + 1, "label": _group_label(grouping, k + 1, n),
                         "areas": int(areas[k]), "residents": _num(residents[k]),
                         "measure": None if secret or measure.kind == "value" else _num(totals[k]),
                         "value": None if secret else _num(y[k]),
                         "low": None if secret else _num(low[k]),
                         "high": None if secret else _num(high[k]),
                         "low_998": None if secret else _num(low998[k]),
                         "high_998": None if secret else _num(high998[k]),
                         "suppressed": secret})
        table = {"grouping": grouping, "label": label, "unit": unit, "rows": rows}
        if hide.any():
            table["slope"] = None
            table["slope_withheld"] = ("not shown: a group's figure is hidden to protect "
                                       "people's privacy, and the indices would reveal it")
        else:
            slope = stats.slope_index(y, low, high, residents, scale=scale,
                                      draws=options.repetitions, seed=options.seed)
            table["slope"] = {k: (_num(v) if isinstance(v, float) else v)
                              for k, v in slope.as_dict().items()}
            table["slope"]["left_out"] = [
                {"group": i + 1, "label": rows[i]["label"],
                 "reason": "one area only, so no 95% interval"
                 if n_areas is not None and n_areas[i] == 1 else reason}
                for i, reason in slope.left_out]
        tables[grouping] = table
    return {"edition": {"key": dep.key, "title": dep.title, "year": dep.year,
                        "geography": dep.geography, "bridge": dep.bridge,
                        "bridged": dep.geography != city.base_geography,
                        "own_decile_counts": {str(k): v for k, v in dep.own_decile_counts.items()},
                        "split_areas": dep.split_areas},
            "editions": [{"key": d.key, "title": d.title, "year": d.year}
                         for d in city.deprivation],
            "tables": tables}


def _group_label(grouping: str, k: int, n: int) -> str:
    word = "decile" if n == 10 else "quintile"
    if k == 1:
        return f"{word} {k} (most deprived)"
    if k == n:
        return f"{word} {k} (least deprived)"
    return f"{word} {k}"


# ------------------------------------------------------------------------------ disparity

def _disparity(city: City, measure: Measure, options: LensOptions, hidden: np.ndarray) -> dict:
    """Every Census table against the data. The Monte Carlo redraws are made once and shared:
    the data's points redrawn in proportion to the data, and under the null in proportion to
    each universe's baseline (residents: the population; households: the first households
    table's totals), so eight tables cost little more than one. Shared null draws are centred
    on their own expectation, so each table's null stays centred exactly on its city share."""
    m = np.where(hidden, 0.0, np.nan_to_num(np.asarray(measure.per_area, dtype=float)))
    if measure.kind == "weight":
        # Kish's effective number of points, (Σw)²/Σw²: redrawing unweighted points would
        # understate how much a few heavy rows move the shares
        squares = np.where(hidden, 0.0, np.nan_to_num(measure.per_area_sq)).sum()
        points = int(round(m.sum() ** 2 / squares)) if squares > 0 else 0
    else:
        points = int(round(m.sum()))
    seeds = np.random.SeedSequence(options.seed).spawn(2)
    boot = None
    baselines: dict[str, np.ndarray] = {}
    if points > 0 and m.sum() > 0:
        boot = disparity.redraw(points, m / m.sum(), options.draws, seed=seeds[0])
    tables = []
    for t in city.groups:
        shared_null = null_probs = None
        if boot is not None:
            if t.universe not in baselines:
                base = city.population if t.universe == "residents" else t.totals
                base = np.nan_to_num(np.asarray(base, dtype=float))
                probs = disparity.sampling_probabilities(base / base.sum())
                baselines[t.universe] = (disparity.redraw(points, probs, options.draws,
                                                          seed=seeds[1]), probs)
            shared_null, null_probs = baselines[t.universe]
        groups = disparity.disparity_table(m, t.counts, t.totals, list(t.labels), points=points,
                                           draws=options.draws, seed=options.seed, boot=boot,
                                           null=shared_null, null_probs=null_probs)
        per_area = disparity.area_disparities(m, t.counts, t.totals, list(t.labels),
                                              list(city.area_codes), points=points)
        for i, row in enumerate(per_area):
            row["name"] = city.area_names[i]
            if hidden[i]:
                row.update(points=None, data_share=None, difference_pp=None, low_pp=None,
                           high_pp=None, p_value=None, groups={}, suppressed=True)
        tables.append({"key": t.key, "title": t.title, "universe": t.universe,
                       "period": t.period, "groups": [g.as_dict() for g in groups],
                       "areas": per_area})
    return {"points": points, "draws": options.draws, "tables": tables}


# --------------------------------------------------------------------------------- access

def _access(city: City, measure: Measure) -> dict:
    people = city.people
    distance = access.nearest_distance(people.xy, measure.points_xy)
    share = people.share[:, None]
    tables = []
    everyone = access.access_by_group(distance, (city.population[people.area] * people.share)[:, None],
                                      ["All residents"])
    for t in city.groups:
        weights = t.counts[people.area] * share
        groups = access.access_by_group(distance, weights, list(t.labels))
        tables.append({"key": t.key, "title": t.title, "universe": t.universe,
                       "groups": [g.as_dict() for g in groups]})
    return {"thresholds_m": list(access.THRESHOLDS_M), "origins": int(len(people.xy)),
            "people_method": people.method, "facilities": int(len(measure.points_xy)),
            "all": everyone[0].as_dict(), "tables": tables}


# ---------------------------------------------------------------------------------- where

def _where(city: City, measure: Measure, pop: np.ndarray, options: LensOptions,
           hidden: np.ndarray) -> dict:
    unit, per = _rate_scale(measure)
    if measure.kind == "value":
        values = np.asarray(measure.per_area, dtype=float)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.where(pop > 0, per * measure.per_area / pop, np.nan)
    shown = np.where(hidden, np.nan, values)
    classes = spatial.classify(shown, method=options.classification, k=options.classes)
    neighbours = spatial.queen_neighbours(city.geometries, tolerance_m=1.0)
    spots = spatial.hot_spots(shown, neighbours, permutations=options.permutations,
                              alpha=options.alpha, seed=options.seed)
    rows = []
    spot = spots.as_dict()
    for i, code in enumerate(city.area_codes):
        rows.append({"code": code, "name": city.area_names[i],
                     "measure": None if hidden[i] or measure.kind == "value"
                     else _num(measure.per_area[i]),
                     "value": _num(shown[i]), "residents": _num(pop[i]),
                     "class": classes["classes"][i], "spot": spot["labels"][i],
                     "suppressed": bool(hidden[i])})
    return {"unit": unit, "classification": {k: v for k, v in classes.items() if k != "classes"},
            "hot_spots": {k: v for k, v in spot.items()
                          if k not in ("labels", "moran_i", "p_values")},
            "areas": rows}
