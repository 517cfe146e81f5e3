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
The per-area rows (each disparity table's ``areas``, ``where``'s ``areas``) are kept as
columns and read as a sequence of dicts built on demand (``rows``); write the result as JSON
with ``rows.iter_json`` (or ``json.dumps(..., default=rows.json_default)``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from . import access, clustering, disparity, privacy, spatial, stats, words
from .deprivation import GROUPINGS, groups_of
from .inputs import City, Measure
from .method import method_note
from .rows import DisparityAreas, LazyRows, WhereAreas

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
    today: date | None = None  # the day the data's age is counted to; None = today
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


def run_lens(city: City, measure: Measure, options: LensOptions = LensOptions(), *,
             suppression: privacy.CitySuppression | None = None) -> dict:
    """The lens (see the module). ``suppression``: the disclosure decision for the measure's
    counts when the caller has it already (a stored one, ``catalogue.services.disclosure``);
    otherwise, with ``options.threshold``, it is made here."""
    if len(measure.per_area) != len(city.area_codes):
        raise ValueError("the measure must have one value per base area")
    threshold = options.threshold
    people = threshold is not None
    if people and measure.kind != "count":
        raise MeasureNotAllowed(
            "this dataset holds records about people, so the lens shows only counts of rows: "
            "a sum or a value per area could reveal one person's figures")
    dep = city.edition(options.edition) if city.deprivation else None
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    m = np.asarray(measure.per_area, dtype=float)
    privacy_result = None
    hidden_areas = np.zeros(len(m), dtype=bool)
    if threshold is not None:
        privacy_result = (suppression if suppression is not None
                          else privacy.city_suppression(city, m, threshold))
        hidden_areas = privacy_result.cells
    result: dict = {
        "city": {"name": city.name, "base_geography": city.base_geography,
                 "areas": len(city.area_codes), "residents": _num(pop.sum()),
                 "population_source": city.population_source},
        "measure": _measure_summary(measure, pop, privacy_result, options.today),
    }
    if privacy_result is not None:
        below = privacy_result.threshold - 1
        result["disclosure"] = {
            "threshold": privacy_result.threshold, "hidden_areas": int(hidden_areas.sum()),
            "rule": (f"Counts from 0 to {below} are hidden (none is not told "
                     "apart from a few), and so are as few other counts as it takes for each "
                     f"small one to stay anywhere from 0 to {below} whatever "
                     "is worked out from the totals shown, across every view of this dataset "
                     "(the lens for each deprivation index, place pages, the API) at once. "
                     "Areas with hidden counts are left out of "
                     "the disparity scores and the hot spots; where the rows are is not used "
                     "for distances.")}
    shown = ~hidden_areas
    spread = None
    if measure.kind != "value":
        spread = _city_dispersion(measure, dep, pop, shown)
        result["units"] = _units(measure, spread, dep, people)
    if "deprivation" in options.sections and dep is not None:
        result["deprivation"] = _deprivation(city, measure, dep, pop, options, privacy_result,
                                             shown)
        headline = words.gap(result)
        if headline is not None:
            result["deprivation"]["gap"] = headline
        if not people and measure.kind != "value":
            result["influence"] = _influence(city, measure, dep, pop, options, shown)
    if "disparity" in options.sections and measure.kind != "value":
        result["disparity"] = _disparity(city, measure, options, hidden_areas, spread,
                                         privacy_result)
    if "access" in options.sections and len(measure.points_xy) and not people:
        result["access"] = _access(city, measure)
    if "where" in options.sections:
        result["where"] = _where(city, measure, pop, options, hidden_areas)
    result["words"] = words.summarise(result)
    result["method"] = method_note(result, city, measure, dep, options)
    return _json_result(result)


def _json_result(result: dict) -> dict:
    """:func:`jsonable` of the result, except the per-area rows (areas × Census tables: 300,000
    rows for England), which are kept as columns and built JSON-ready when read
    (``lens.rows``: Python numbers, None for NaN)."""
    rows = [t.pop("areas") for t in result.get("disparity", {}).get("tables", [])]
    where_rows = result["where"].pop("areas") if "where" in result else None
    out = jsonable(result)
    for table, table_rows in zip(out.get("disparity", {}).get("tables", []), rows, strict=True):
        table["areas"] = table_rows
    if where_rows is not None:
        out["where"]["areas"] = where_rows
    return out


_PLAIN = frozenset({str, int, bool, type(None)})


def jsonable(obj):
    """The result with NumPy scalars as Python numbers and NaN/infinity as None (valid JSON).

    Values of the plain types, and finite floats, are kept without a call each: a national
    result holds millions of them (England: 5 million, 45 s one call at a time)."""
    t = type(obj)
    if t is dict:
        return {(k if type(k) is str else str(k)):
                (v if type(v) in _PLAIN or (type(v) is float and v - v == 0) else jsonable(v))
                for k, v in obj.items()}
    if t is list or t is tuple:
        return [v if type(v) in _PLAIN or (type(v) is float and v - v == 0) else jsonable(v)
                for v in obj]
    if isinstance(obj, LazyRows):  # per-area rows kept as columns: built JSON-ready
        return list(obj)
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


def _measure_summary(measure: Measure, pop: np.ndarray, hidden, today: date | None) -> dict:
    """What is measured and how it is named; ``as_of``/``age_years``: the day the data
    describes and its age in years on ``today``; ``filters``: the row filters used."""
    today = today or date.today()
    out = {"kind": measure.kind, "label": measure.label, "singular": measure.singular or None,
           "unit": measure.unit, "column": measure.column, "nature": measure.nature,
           "filters": list(measure.filters),
           "as_of": measure.as_of.isoformat() if measure.as_of else None,
           "age_years": (today - measure.as_of).days / 365.25 if measure.as_of else None,
           "rows": measure.rows_total, "rows_in_areas": measure.rows_in_areas,
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


# ------------------------------------------------------------------ units and clustering

def _city_dispersion(measure: Measure, dep, pop: np.ndarray, shown: np.ndarray):
    """The measure's spread between areas within national IMD deciles (the groups the lens
    compares; the whole city as one group when it has no deprivation index), over the areas
    whose counts are shown: the scale behind the effective number of points."""
    m = np.where(shown, np.nan_to_num(np.asarray(measure.per_area, dtype=float)), 0.0)
    sq = m if measure.kind == "count" else np.where(shown, _weight_squares(measure), 0)
    if dep is not None:  # areas with no decile make a group of their own
        decile = np.asarray(dep.national_decile, dtype=float)
        groups, n = np.where(np.isfinite(decile), decile - 1, 10), 11
    else:
        groups, n = np.zeros(len(m)), 1
    groups = np.where(shown, groups, -1)
    return clustering.group_dispersion(m, sq, np.where(shown, pop, 0.0), groups, n)


def _weight_squares(measure: Measure) -> np.ndarray:
    """A weight measure's sum of squared weights per area (NaN read as 0)."""
    if measure.per_area_sq is None:
        raise ValueError("a weight measure needs per_area_sq")
    return np.nan_to_num(measure.per_area_sq)


def _units(measure: Measure, spread, dep, people: bool) -> dict:
    """What the lens counts: rows (devices), the sites they stand at, and how many
    independent points they are worth once their clustering between areas is allowed for."""
    total = float(spread.total.sum())
    out = {"rows": None if people else measure.rows_in_areas,
           "singular": measure.singular or None, "plural": measure.label,
           "sites": None if people else measure.sites_in_areas,
           "sites_rule": None if people else measure.site_rule,
           "largest_site": None if people else measure.largest_site,
           "dispersion": _num(spread.pooled),
           "dispersion_within": "national IMD deciles" if dep is not None else "the city",
           "effective_points": clustering.effective_points(total, spread)}
    return out


def _influence(city: City, measure: Measure, dep, pop: np.ndarray, options: LensOptions,
               shown: np.ndarray) -> dict | None:
    """The area holding the largest share of the measure and, when it holds more than
    ``clustering.INFLUENCE_SHARE`` (a fifth), the headline figures without it: the quintile
    ratio the words quote and the slope index over national deciles."""
    m = np.nan_to_num(np.asarray(measure.per_area, dtype=float))
    i, share = clustering.largest_area(np.where(shown, m, 0.0))
    if i < 0:
        return None
    out: dict[str, object] = {
        "code": city.area_codes[i], "name": city.area_names[i], "measure": _num(m[i]),
        "share": share, "threshold": clustering.INFLUENCE_SHARE,
        "flagged": share > clustering.INFLUENCE_SHARE}
    if not out["flagged"]:
        return out
    exclude = np.zeros(len(m), dtype=bool)
    exclude[i] = True
    tables = {grouping: _grouping_table(grouping, groups_of(dep, grouping), measure, pop,
                                        options, None, dep.key, shown, exclude=exclude)
              for grouping in ("imd-quintile", "city-quintile", "imd-decile")}
    without = {"city": {"name": city.name},
               "measure": {"kind": measure.kind, "label": measure.label},
               "deprivation": {"tables": tables}}
    headline = words.gap(without)
    slope = tables["imd-decile"]["slope"] or {}
    out["without"] = {"gap": headline,
                      "slope": {k: slope.get(k) for k in ("sii", "sii_low", "sii_high",
                                                          "transform")},
                      "unit": tables["imd-decile"]["unit"]}
    return out


# ---------------------------------------------------------------------------- deprivation

def _deprivation(city: City, measure: Measure, dep, pop: np.ndarray, options: LensOptions,
                 hidden, shown: np.ndarray) -> dict:
    tables = {grouping: _grouping_table(grouping, groups_of(dep, grouping), measure, pop,
                                        options, hidden, dep.key, shown)
              for grouping in GROUPINGS}
    return {"edition": {"key": dep.key, "title": dep.title, "year": dep.year,
                        "geography": dep.geography, "bridge": dep.bridge,
                        "bridged": dep.geography != city.base_geography,
                        "own_decile_counts": {str(k): v for k, v in dep.own_decile_counts.items()},
                        "split_areas": dep.split_areas},
            "editions": [{"key": d.key, "title": d.title, "year": d.year}
                         for d in city.deprivation],
            "tables": tables}


def _grouping_table(grouping: str, g: np.ndarray, measure: Measure, pop: np.ndarray,
                    options: LensOptions, hidden, edition: str, shown: np.ndarray,
                    exclude: np.ndarray | None = None) -> dict:
    """One grouping's table: each group's value with its interval at 95% and 99.8%
    (``stats.LEVELS``) and the slope indices. For a count or a weighted sum, ``low``/``high``
    are the clustering-aware interval (PHE's interval on the group's effective count,
    ``clustering``) and ``phe_low``/``phe_high`` PHE's own, which takes every row as an
    independent event. ``shown``: areas whose counts are published (the spread is measured
    on those only, so it reveals nothing about a hidden count); ``exclude``: areas left out
    altogether (the influence check)."""
    label, n = GROUPINGS[grouping]
    unit, per = _rate_scale(measure)
    known = ~np.isnan(g)
    if exclude is not None:
        known &= ~exclude
    idx = np.where(known, g, 0).astype(int)

    def by_group(values):
        return np.bincount(idx, weights=np.where(known, values, 0.0), minlength=n + 1)[1:]

    areas, residents = by_group(np.ones(len(g))), by_group(pop)
    n_areas = spread = None
    phe = None
    if measure.kind == "value":
        vals = np.where(known, measure.per_area, np.nan)
        (y, low, high, n_areas), (_, low998, high998, _) = (
            stats.value_with_interval(vals, pop, idx - 1, n, c) for c in stats.LEVELS)
        totals = np.full(n, np.nan)
        scale = "linear"
    else:
        m = np.nan_to_num(np.asarray(measure.per_area, dtype=float))
        totals = by_group(m)
        sq = m if measure.kind == "count" else _weight_squares(measure)
        use = known & shown
        spread = clustering.group_dispersion(np.where(use, m, 0.0), np.where(use, sq, 0.0),
                                             np.where(use, pop, 0.0),
                                             np.where(use, idx - 1, -1), n)
        phi = spread.phi
        if measure.kind == "weight":
            squares = by_group(sq)
            (y, low, high), (_, low998, high998) = (
                stats.weighted_rate_with_interval(totals, squares * phi, residents, per=per,
                                                  confidence=c) for c in stats.LEVELS)
            phe = [stats.weighted_rate_with_interval(totals, squares, residents, per=per,
                                                     confidence=c)[1:] for c in stats.LEVELS]
            with np.errstate(divide="ignore", invalid="ignore"):
                effective = np.where(squares > 0, totals ** 2 / (phi * squares), 0.0)
        else:  # exact Poisson limits below 10, Byar's from 10 (PHE phe_rate), on O/φ
            (y, low, high), (_, low998, high998) = (
                stats.rate_with_interval(totals / phi, residents / phi, per=per, confidence=c)
                for c in stats.LEVELS)
            phe = [stats.rate_with_interval(totals, residents, per=per, confidence=c)[1:]
                   for c in stats.LEVELS]
            effective = totals / phi
        scale = "log"
    hide = np.array([hidden is not None and hidden.group_hidden(edition, grouping, k)
                     for k in range(1, n + 1)], dtype=bool)
    spread_rows = spread.as_rows() if spread is not None else None
    rows = []
    for k in range(n):
        secret = bool(hide[k])

        def shown_value(x, secret=secret):
            return None if secret else _num(x)

        row = {"group": k + 1, "label": _group_label(grouping, k + 1, n),
               "areas": int(areas[k]), "residents": _num(residents[k]),
               "measure": None if secret or measure.kind == "value" else _num(totals[k]),
               "value": shown_value(y[k]), "low": shown_value(low[k]),
               "high": shown_value(high[k]), "low_998": shown_value(low998[k]),
               "high_998": shown_value(high998[k])}
        if phe is not None and spread_rows is not None:
            row.update(phe_low=shown_value(phe[0][0][k]), phe_high=shown_value(phe[0][1][k]),
                       phe_low_998=shown_value(phe[1][0][k]),
                       phe_high_998=shown_value(phe[1][1][k]))
            # the group's whole count as the independent events it is worth (its interval's)
            row.update({key: None if secret else v for key, v in spread_rows[k].items()},
                       effective=shown_value(effective[k]))
        row["suppressed"] = secret
        rows.append(row)
    table: dict[str, object] = {"grouping": grouping, "label": label, "unit": unit, "rows": rows}
    if spread is not None:
        table["dispersion"] = {"pooled": _num(spread.pooled),
                               "interval": "clustering-aware (effective events)",
                               "phe_interval": "PHE's, each row an independent event"}
    if hide.any():
        table["slope"] = table["slope_phe"] = None
        table["slope_withheld"] = ("not shown: a group's figure is hidden to protect "
                                   "people's privacy, and the indices would reveal it")
        return table
    table["slope"] = _slope(y, low, high, residents, scale, options, rows, n_areas)
    if phe is not None:
        table["slope_phe"] = _slope(y, phe[0][0], phe[0][1], residents, scale, options, rows,
                                    n_areas)
    return table


def _slope(y, low, high, residents, scale: str, options: LensOptions, rows: list[dict],
           n_areas) -> dict:
    slope = stats.slope_index(y, low, high, residents, scale=scale,
                              draws=options.repetitions, seed=options.seed)
    out = {k: (_num(v) if isinstance(v, float) else v) for k, v in slope.as_dict().items()}
    out["left_out"] = [
        {"group": i + 1, "label": rows[i]["label"],
         "reason": "one area only, so no 95% interval"
         if n_areas is not None and n_areas[i] == 1 else reason}
        for i, reason in slope.left_out]
    return out


def _group_label(grouping: str, k: int, n: int) -> str:
    word = "decile" if n == 10 else "quintile"
    if k == 1:
        return f"{word} {k} (most deprived)"
    if k == n:
        return f"{word} {k} (least deprived)"
    return f"{word} {k}"


# ------------------------------------------------------------------------------ disparity

@dataclass(frozen=True)
class _Level:
    """The areas one set of Census tables is compared over: the base areas, or the larger
    areas (MSOAs) a table is published for only. ``m``: the measure per area with hidden
    areas' counts left out; ``points``: the effective points redrawn over them."""

    geography: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    m: np.ndarray
    hidden: np.ndarray
    population: np.ndarray
    points: int
    tables: tuple  # GroupTable, ...
    note: str | None = None  # why the tables are compared on these areas


def geography_word(geography: str) -> str:
    """A geography as said in words: "msoa21" → "MSOA"."""
    return re.sub(r"\d+$", "", geography).upper()


def _coarse_levels(city: City, measure: Measure, per_point: float,
                   suppression: privacy.CitySuppression | None) -> list[_Level]:
    """The larger areas Census tables are published for only (``City.coarse``), one level
    per geography: the measure added up over each larger area's base areas (best fit), never
    the tables shared out to base areas. With disclosure control an area's count is the
    one its place page and the API show, and a larger area whose count is hidden there (or
    that is not among the published areas at all) is left out, as a hidden base area is:
    every figure used is one already published."""
    raw = np.nan_to_num(np.asarray(measure.per_area, dtype=float))
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    published = {(g, code) for g, code, _ in city.published_areas}
    by_geography: dict[str, list] = {}
    for c in city.coarse:
        by_geography.setdefault(c.geography, []).append(c)
    levels = []
    for geography, coarse in by_geography.items():
        first = coarse[0]
        n = len(first.table.totals)
        parent = np.asarray(first.parent, dtype=np.intp)
        inside = parent >= 0
        codes = first.codes or tuple(f"{geography} {i + 1}" for i in range(n))
        names = first.names or codes
        if suppression is None:
            hidden = np.zeros(n, dtype=bool)
        else:
            hidden = np.array([(geography, code) not in published
                               or suppression.area_hidden(geography, code) for code in codes],
                              dtype=bool)
        m = np.where(hidden, 0.0, np.bincount(parent[inside], weights=raw[inside], minlength=n))
        word = geography_word(geography)
        levels.append(_Level(
            geography=geography, codes=codes, names=names, m=m, hidden=hidden,
            population=np.bincount(parent[inside], weights=pop[inside], minlength=n),
            points=max(1, round(per_point * m.sum())) if m.sum() > 0 and per_point > 0 else 0,
            tables=tuple(c.table for c in coarse),
            note=(f"Published for {word}s only: compared at that level, the data added up to "
                  f"{city.name}'s {n:,} {word}s (each neighbourhood in the one it lies in), "
                  "never shared out to neighbourhoods.")))
    return levels


def _disparity(city: City, measure: Measure, options: LensOptions, hidden: np.ndarray,
               spread, suppression: privacy.CitySuppression | None = None) -> dict:
    """Every Census table against the data. The Monte Carlo redraws are made once and shared:
    the data's points redrawn in proportion to the data, and under the null in proportion to
    each universe's baseline (residents: the population; households: the first households
    table's totals), so eight tables cost little more than one. Shared null draws are centred
    on their own expectation, so each table's null stays centred exactly on its city share.

    The points redrawn are the measure's effective number of independent points
    (``clustering.effective_points``: N/φ for a count, Kish's (Σw)²/Σw² over φ for a weighted
    sum), so charge points that stand together are not redrawn as if each were placed on its
    own; the per-area tests use the same number. Every p-value shown gets a Benjamini–Hochberg
    q-value: the groups' over every group of every table, the areas' over every area test.

    A table published only for larger areas (``City.coarse``: sexual orientation by MSOA) is
    compared over those areas (``_coarse_levels``): the data added up to them, its own
    redraws over them, the same effective points per row."""
    m = np.where(hidden, 0.0, np.nan_to_num(np.asarray(measure.per_area, dtype=float)))
    points = clustering.effective_points(float(m.sum()), spread)
    seeds = np.random.SeedSequence(options.seed).spawn(2)
    levels = [_Level(geography=city.base_geography, codes=tuple(city.area_codes),
                     names=tuple(city.area_names), m=m, hidden=np.asarray(hidden, dtype=bool),
                     population=city.population, points=points, tables=tuple(city.groups))]
    levels += _coarse_levels(city, measure, points / m.sum() if m.sum() > 0 else 0.0,
                             suppression)
    tables: list[dict] = []
    methods = []
    for level in levels:
        level_tables, method = _level_tables(level, options, seeds)
        tables += level_tables
        methods.append(method)
    rows = [r for t in tables for r in t["groups"]]
    tested = [r for r in rows if r.get("p_value") is not None]
    q = stats.bh_adjust([r["p_value"] for r in tested])
    for r in rows:
        r["q_value"] = None
    for r, value in zip(tested, q, strict=True):
        r["q_value"] = float(value)
    # the areas' q-values over every area test of every table, as the groups' (in one array)
    areas = [t["areas"] for t in tables]
    q = stats.bh_adjust(np.concatenate([a.p_value[a.tested] for a in areas] or [[]]))
    start = 0
    for table, a in zip(tables, areas, strict=True):
        q_value = np.full(len(a), np.nan)
        q_value[a.tested] = q[start:start + int(a.tested.sum())]
        start += int(a.tested.sum())
        table["areas"] = a.with_q_values(q_value)
    coarse = [{"geography": level.geography, "word": geography_word(level.geography),
               "areas": len(level.codes), "hidden_areas": int(level.hidden.sum()),
               "points": level.points, "tables": [t.title for t in level.tables]}
              for level in levels[1:]]
    return {"points": points, "rows": int(round(m.sum())) if measure.kind == "count" else None,
            "dispersion": _num(spread.pooled), "draws": options.draws,
            "redraws": methods[0],
            "tests": sum(len(t["groups"]) for t in tables), "coarse": coarse, "tables": tables}


def _level_tables(level: _Level, options: LensOptions, seeds) -> tuple[list[dict], str | None]:
    """The disparity tables of one level's Census tables, their redraws shared, and how
    those were drawn (``Redraws.method``; None when there was nothing to redraw)."""
    m, points = level.m, level.points
    boot = None
    baselines: dict[str, tuple[disparity.Redraws, np.ndarray]] = {}
    if points > 0 and m.sum() > 0:
        boot = disparity.redraws(points, m / m.sum(), options.draws, seed=seeds[0])
    tables: list[dict] = []
    for t in level.tables:
        shared_null = null_probs = None
        if boot is not None:
            if t.universe not in baselines:
                base = level.population if t.universe == "residents" else t.totals
                base = np.nan_to_num(np.asarray(base, dtype=float))
                probs = disparity.sampling_probabilities(base / base.sum())
                baselines[t.universe] = (disparity.redraws(points, probs, options.draws,
                                                           seed=seeds[1]), probs)
            shared_null, null_probs = baselines[t.universe]
        groups = disparity.disparity_table(m, t.counts, t.totals, list(t.labels), points=points,
                                           draws=options.draws, seed=options.seed, boot=boot,
                                           null=shared_null, null_probs=null_probs)
        columns = disparity.area_columns(m, t.counts, t.totals, list(t.labels),
                                         list(level.codes), points=points)
        v = columns.values
        per_area = DisparityAreas(  # kept as columns: rows are built when read (lens.rows)
            codes=level.codes, names=level.names, labels=tuple(columns.names),
            points=v["points"], data_share=v["data_share"],
            population_share=v["population_share"], difference_pp=v["difference_pp"],
            low_pp=v["low_pp"], high_pp=v["high_pp"], p_value=v["p_value"],
            groups=columns.groups, hidden=level.hidden,
            q_value=np.full(len(level.codes), np.nan))
        tables.append({"key": t.key, "title": t.title, "universe": t.universe,
                       "period": t.period, "geography": level.geography,
                       "areas_compared": len(level.codes), "points": points,
                       "level": level.note, "groups": [g.as_dict() for g in groups],
                       "areas": per_area})
    return tables, boot.method if boot is not None else None


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
    neighbours = city.neighbours
    spots = spatial.hot_spots(shown, neighbours, permutations=options.permutations,
                              alpha=options.alpha, seed=options.seed)
    spot = spots.as_dict()
    hidden = np.asarray(hidden, dtype=bool)
    per_area = np.asarray(measure.per_area, dtype=float)
    rows = WhereAreas(  # kept as columns: rows are built when read (lens.rows)
        codes=city.area_codes, names=city.area_names,
        measure=np.where(hidden | (measure.kind == "value"), np.nan, per_area),
        value=np.asarray(shown, dtype=float), residents=np.asarray(pop, dtype=float),
        classes=classes["classes"], spots=spot["labels"], suppressed=hidden)
    return {"unit": unit, "classification": {k: v for k, v in classes.items() if k != "classes"},
            "hot_spots": {k: v for k, v in spot.items()
                          if k not in ("labels", "moran_i", "p_values")},
            "areas": rows}
