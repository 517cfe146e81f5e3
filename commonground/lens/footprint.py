"""Who a project reaches: the residents in and near its footprint against the whole city.

A project's **footprint** is one geometry in British National Grid metres (EPSG:27700): the
areas it works in and any boundary drawn for it (polygons), bus routes (lines), car parks and
stations (points). The lens compares the people who live there with the city's people, by
national deprivation decile and by every Census table the city holds.

The reach
    Polygons count the residents **inside** them; with ``near_polygons`` also those within
    ``near_m`` of their edge. Points and lines count the residents within ``near_m`` of them
    (``NEAR_M`` = 800 m, about ten minutes' walk at 80 m a minute: the middle band of the
    dataset lens's access section, ``lens.access.THRESHOLDS_M``), straight-line distance.

Who lives in the reach
    Residents stand at the city's population points (``City.people``: output-area points
    sharing their neighbourhood's residents equally). A neighbourhood's share ``s_t`` of its
    residents in the reach is the sum of the shares of its points inside the reach. A
    neighbourhood the reach cuts through with **none** of its points inside takes the share of
    its **area** inside the reach instead (residents spread evenly over the ground), so a
    small footprint between two points still reaches someone, however small it is. Only a
    boundary sliver counts nothing: an overlap under ``SLIVER`` (1%) of a neighbourhood's
    area that reaches no more than ``EDGE_M`` (10 m) inside its boundary (two boundary files
    drawn a little differently, or a reach that grazes a neighbour).

The figures
    Residents reached ``R = Σ s_t·pop_t``. Each group ``v`` of a Census table: ``F_v = Σ s_t
    count_{t,v}`` of ``U = Σ s_t universe_t``, its share ``F_v / U`` against the city's
    ``Σ count_{t,v} / Σ universe_t``: the difference in percentage points and the ratio of the
    two shares. A neighbourhood's people are taken to have its make-up wherever they live in
    it. Deprivation: residents reached per national decile of the newest edition against the
    city's residents per decile, the same way. A table published only for larger areas
    (sexual orientation, by MSOA) is shared out by each larger area's fraction of residents
    reached: ``F_v = Σ_m f_m count_{m,v}``, ``f_m = Σ_{t in m} s_t pop_t / Σ_{t in m} pop_t``.

What the figures may claim
    Census 2021 counts everyone, so nothing here is a sample: there are no p-values and no
    sampling intervals. The counts are **estimates** only because residents are placed at
    points, so counts are rounded to the nearest ``ROUND_TO`` (10) and a group of fewer than
    ``SMALL`` (10) people or households in the footprint is shown as "fewer than 10", with no
    share. A footprint in one or two neighbourhoods describes those neighbourhoods, and the
    words say so.

Pure Python, NumPy and shapely: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely

from .compute import jsonable
from .inputs import City, CoarseTable, GroupTable

#: The "near" distance for points and lines (and for polygons when asked), metres.
NEAR_M = 800.0
#: Segments per quarter circle when growing points and lines: a circle's area to 0.2%.
QUAD_SEGS = 32
#: Counts are rounded to the nearest this many people or households.
ROUND_TO = 10
#: Groups with fewer than this many people (or households) in the footprint are not shown.
SMALL = 10
#: A neighbourhood overlapped by less than this share of its area, no further than
#: ``EDGE_M`` inside its boundary, counts nothing (a boundary sliver).
SLIVER = 0.01
#: How far inside a neighbourhood's boundary (metres) a small overlap must reach to count:
#: the register's "reaches inside a place" distance (``projects.footprint_lens.TOUCH_M``).
EDGE_M = 10.0
#: A footprint in at most this many neighbourhoods speaks for those neighbourhoods only.
NARROW = 2
#: A group whose share differs from the city's by less than this (points) is not called out.
NOTABLE_PP = 1.0

_POLYGONAL = (3, 6)  # Polygon, MultiPolygon
_MULTI = (4, 5, 6, 7)  # Multi*, GeometryCollection


@dataclass(frozen=True)
class Reach:
    """Where the footprint reaches and how much of each neighbourhood's residents live there.

    ``share``: (n_base,) 0..1; ``by_overlap``: (n_base,) True where the share is the area
    overlap (no population point inside the reach)."""

    region: object  # shapely geometry, EPSG:27700
    share: np.ndarray
    by_overlap: np.ndarray
    kinds: dict


def simple_parts(geometry) -> np.ndarray:
    """The footprint's single parts (Polygons, LineStrings, Points), empty ones dropped."""
    parts = np.asarray([geometry], dtype=object)
    while parts.size and np.isin(shapely.get_type_id(parts), _MULTI).any():
        parts = shapely.get_parts(parts)
    return parts[~shapely.is_empty(parts)] if parts.size else parts


def reach_region(geometry, near_m: float = NEAR_M, near_polygons: bool = False):
    """The ground the footprint reaches: its polygons (grown by ``near_m`` when
    ``near_polygons``) and everything within ``near_m`` of its lines and points. A new
    geometry (the footprint itself is never changed or prepared)."""
    if not near_m > 0:
        raise ValueError(f"the near distance must be more than 0 metres, not {near_m!r}")
    parts = simple_parts(geometry)
    if parts.size == 0:
        raise ValueError("the footprint is empty")
    polygonal = np.isin(shapely.get_type_id(parts), _POLYGONAL)
    grown = shapely.buffer(parts[~polygonal], near_m, quad_segs=QUAD_SEGS)
    polygons = (shapely.buffer(parts[polygonal], near_m, quad_segs=QUAD_SEGS) if near_polygons
                else parts[polygonal])
    return shapely.union_all(np.concatenate([polygons, grown]))


def _kinds(geometry) -> dict:
    types = shapely.get_type_id(simple_parts(geometry))
    return {"polygons": int((types == 3).sum()), "lines": int(np.isin(types, (1, 2)).sum()),
            "points": int((types == 0).sum())}


def reach(city: City, geometry, near_m: float = NEAR_M, near_polygons: bool = False) -> Reach:
    """Each base area's share of residents in the footprint's reach (see the module's
    "Who lives in the reach")."""
    region = reach_region(geometry, near_m, near_polygons)
    shapely.prepare(region)  # our own geometry: the city's polygons are never prepared
    people = city.people
    inside = shapely.contains_xy(region, people.xy[:, 0], people.xy[:, 1])
    n = len(city.area_codes)
    share = np.bincount(people.area[inside], weights=people.share[inside],
                        minlength=n).astype(float)  # (no points inside: NumPy gives integers)
    has_point = np.bincount(people.area[inside], minlength=n) > 0
    cut = shapely.intersects(region, city.geometries) & ~has_point
    by_overlap = np.zeros(n, dtype=bool)
    if cut.any():
        geoms = city.geometries[cut]
        fraction = np.minimum(shapely.area(shapely.intersection(geoms, region))
                              / shapely.area(geoms), 1.0)
        small = np.flatnonzero(fraction < SLIVER)
        if small.size:  # a small overlap counts when it reaches inside, not along the edge
            inner = shapely.buffer(geoms[small], -EDGE_M)
            fraction[small[~shapely.intersects(inner, region)]] = 0.0
        share[cut] = fraction
        by_overlap[cut] = fraction > 0
    return Reach(region=region, share=np.minimum(share, 1.0), by_overlap=by_overlap,
                 kinds=_kinds(geometry))


# ------------------------------------------------------------------------------ numbers

def rounded(x: float) -> int | None:
    """A count as the lens shows it: to the nearest ``ROUND_TO``, None below ``SMALL``."""
    return None if x < SMALL else int(ROUND_TO * round(x / ROUND_TO))


def _shown(x: float, noun: str) -> str:
    n = rounded(x)
    return f"fewer than {SMALL} {noun}" if n is None else f"about {n:,} {noun}"


def _row(label: str, reached: float, total: float, city_count: float, city_total: float,
         noun: str) -> dict:
    """One group: its count in the footprint and its share there against the city's."""
    city_share = city_count / city_total if city_total > 0 else None
    row = {"group": label, "count": rounded(reached), "count_shown": _shown(reached, noun),
           "share": None, "city_share": _r(city_share, 4), "difference_pp": None,
           "ratio": None, "suppressed": reached < SMALL}
    if not row["suppressed"] and total > 0:
        share = reached / total
        row["share"] = _r(share, 4)
        if city_share is not None:
            row["difference_pp"] = _r(100 * (share - city_share), 2)
            row["ratio"] = _r(share / city_share, 2) if city_share > 0 else None
    return row


def _r(x: float | None, digits: int) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), digits) + 0.0  # no -0.0


def _noun(universe: str) -> str:
    return "households" if universe.startswith("household") else "people"


def _table(table: GroupTable, share_of_each: np.ndarray, geography: str,
           apportioned: bool) -> dict:
    """A Census table in the footprint: ``share_of_each`` is the fraction of each row of
    ``table`` (base areas, or larger areas for a coarse table) that the footprint reaches."""
    counts = np.nan_to_num(np.asarray(table.counts, dtype=float))
    totals = np.nan_to_num(np.asarray(table.totals, dtype=float))
    reached, total = share_of_each @ counts, float(share_of_each @ totals)
    city_counts, city_total = counts.sum(axis=0), float(totals.sum())
    noun = _noun(table.universe)
    return {"key": table.key, "title": table.title, "universe": table.universe,
            "noun": noun, "period": table.period, "geography": geography,
            "geography_label": _geography(geography),
            "apportioned": apportioned, "total": rounded(total),
            "total_shown": _shown(total, noun),
            "rows": [_row(label, reached[j], total, city_counts[j], city_total, noun)
                     for j, label in enumerate(table.labels)]}


def _coarse_fraction(coarse: CoarseTable, reached: np.ndarray, pop: np.ndarray) -> np.ndarray:
    """Each larger area's fraction of residents reached (``f_m``)."""
    n = len(coarse.table.totals)
    ok = coarse.parent >= 0
    got = np.bincount(coarse.parent[ok], weights=reached[ok], minlength=n)
    of = np.bincount(coarse.parent[ok], weights=pop[ok], minlength=n)
    return np.divide(got, of, out=np.zeros(n), where=of > 0)


def _deprivation(city: City, reached: np.ndarray, pop: np.ndarray) -> dict | None:
    if not city.deprivation:
        return None
    dep = city.edition(None)
    decile = np.asarray(dep.national_decile, dtype=float)
    total, city_total = float(reached.sum()), float(pop.sum())
    rows = []
    for d in range(1, 11):
        where = decile == d
        label = {1: "1 (most deprived 10%)", 10: "10 (least deprived 10%)"}.get(d, str(d))
        rows.append({"decile": d, **_row(label, reached[where].sum(), total,
                                         pop[where].sum(), city_total, "people")})
    unknown = np.isnan(decile)
    if unknown.any():
        rows.append({"decile": None, **_row("no decile", reached[unknown].sum(), total,
                                            pop[unknown].sum(), city_total, "people")})
    fifths = {}
    for name, deciles in (("most", (1, 2)), ("least", (9, 10))):
        where = np.isin(decile, deciles)
        fifths[name] = _row(f"{name} deprived fifth", reached[where].sum(), total,
                            pop[where].sum(), city_total, "people")
    return {"edition": {"key": dep.key, "title": dep.title, "year": dep.year,
                        "geography": dep.geography, "bridge": dep.bridge},
            "rows": rows, "fifths": fifths}


# ------------------------------------------------------------------------------ the lens

def footprint_lens(city: City, geometry, *, near_m: float = NEAR_M,
                   near_polygons: bool = False, coarse: tuple[CoarseTable, ...] = ()) -> dict:
    """Who lives in and near ``geometry`` (EPSG:27700) against ``city``, as one JSON-ready
    dictionary: ``footprint``, ``reach`` (residents, neighbourhoods, each one's share),
    ``deprivation`` (national deciles of the newest edition), ``groups`` (every Census table,
    the city's own then the ``coarse`` ones shared out), ``words`` and ``method``."""
    r = reach(city, geometry, near_m, near_polygons)
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    reached = r.share * pop
    total = float(reached.sum())
    touched = np.flatnonzero(r.share > 0)
    areas = [{"code": city.area_codes[i], "name": city.area_names[i],
              "share": _r(r.share[i], 4), "residents": rounded(reached[i]),
              "residents_shown": _shown(reached[i], "people"),
              "how": "area overlap" if r.by_overlap[i] else "population points"}
             for i in touched[np.argsort(-reached[touched], kind="stable")]]
    groups = [_table(t, r.share, city.base_geography, False) for t in city.groups]
    for c in coarse:
        groups.append(_table(c.table, _coarse_fraction(c, reached, pop), c.geography, True))
    result: dict[str, object] = {
        "kind": "footprint",
        "city": _city(city, pop),
        "footprint": {**r.kinds, "near_m": near_m, "near_polygons": near_polygons,
                      "reach_km2": _r(shapely.area(r.region) / 1e6, 2)},
        "reach": {"residents": rounded(total), "residents_shown": _shown(total, "people"),
                  "share_of_city": _r(total / pop.sum(), 4) if pop.sum() > 0 else None,
                  "neighbourhoods": int(len(touched)),
                  "whole": int((r.share >= 0.999).sum()),
                  "by_overlap": int(r.by_overlap.sum()), "areas": areas},
        "deprivation": _deprivation(city, reached, pop),
        "groups": groups,
        "coarse": [{"key": c.table.key, "geography": c.geography,
                    "areas": int(len(c.table.totals)),
                    "reached": int((_coarse_fraction(c, reached, pop) > 0).sum())}
                   for c in coarse],
        "people_method": city.people.method,
    }
    result["words"] = summarise(result)
    result["method"] = method_note(result)
    return jsonable(result)


def _city(city: City, pop: np.ndarray) -> dict:
    return {"name": city.name, "base_geography": city.base_geography,
            "areas": len(city.area_codes), "residents": rounded(float(pop.sum())),
            "population_source": city.population_source}


def city_wide_lens(city: City) -> dict:
    """A project that works across the whole city: its footprint is the city, so there is
    nothing to compare with the city."""
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    everyone = _city(city, pop)
    return jsonable({"kind": "city-wide", "city": everyone, "words": [
        "This project works across the whole city; its footprint is the city.",
        f"The people it may reach are all {everyone['residents'] or 0:,} residents of "
        f"{city.name}, so there is no part of the city to compare with the whole: the city's "
        "own make-up is on its place page."]})


def no_footprint_lens(city: City, described: list[str]) -> dict:
    """A project with no footprint drawn: say so (and what its places are called)."""
    pop = np.nan_to_num(np.asarray(city.population, dtype=float))
    words = ["This project has no footprint yet, so we cannot say who lives where it works."]
    if described:
        words.append("Its places are described only in words: " + "; ".join(described) + ".")
    return jsonable({"kind": "none", "city": _city(city, pop), "words": words})


# ------------------------------------------------------------------------------ words

def _pct(share: float | None) -> str:
    """A share as a percentage in words: whole numbers from about 10%, one decimal below,
    and "under 0.1%" for a share that is more than nothing but would print as 0.0%."""
    if share is None:
        return "unknown"
    if 0 < share < 0.001:
        return "under 0.1%"
    return f"{100 * share:.0f}%" if share >= 0.095 or share == 0 else f"{100 * share:.1f}%"


def _where(f: dict) -> str:
    """"inside", "within 800 metres of" or "in or within 800 metres of" the footprint."""
    near = f"within {f['near_m']:,.0f} metres of"
    if not f["polygons"]:
        return near
    if f["near_polygons"] or f["lines"] or f["points"]:
        return f"in or {near}"
    return "inside"


def summarise(result: dict) -> list[str]:
    """Plain sentences: who lives there, how narrow the footprint is, deprivation, the
    groups that differ most from the city, what the numbers are, and tables shared out."""
    reach, city = result["reach"], result["city"]
    where = _where(result["footprint"])
    if reach["residents"] is None:
        return [f"Fewer than {SMALL} residents live {where} this project's footprint, too few "
                f"to compare with the rest of {city['name']}."]
    n = reach["neighbourhoods"]
    wholly = f" ({reach['whole']} of them wholly)" if reach["whole"] and n > 1 else ""
    words = [f"About {reach['residents']:,} residents live {where} this project's footprint "
             f"({_pct(reach['share_of_city'])} of the people of {city['name']}), in "
             f"{n} of its {city['areas']} neighbourhoods{wholly}."]
    if n <= NARROW:
        words.append(_narrow(reach["areas"]))
    if result.get("deprivation"):
        words.append(_deprivation_words(result["deprivation"]))
    words += [s for s in (_largest(result["groups"], noun) for noun in ("people", "households"))
              if s]
    words.append("These are estimates, not samples: the Census counts everyone, so there is no "
                 "sampling error to test, but where residents live within a neighbourhood is "
                 f"known only from output-area points, so counts are rounded to the nearest "
                 f"{ROUND_TO} and groups of fewer than {SMALL} are not shown.")
    words += [_coarse_words(c, result["groups"]) for c in result.get("coarse", [])]
    return words


def _narrow(areas: list[dict]) -> str:
    """A footprint in one or two neighbourhoods speaks for them only."""
    names = " and ".join(a["name"] for a in areas)
    if len(areas) == 1:
        return (f"The footprint lies in one neighbourhood ({names}), so these figures describe "
                "that neighbourhood and no more: they say nothing about the rest of the city.")
    return (f"The footprint lies in two neighbourhoods ({names}), so these figures describe "
            "those two and no more: they say nothing about the rest of the city.")


def _deprivation_words(dep: dict) -> str:
    """The most and least deprived fifths among the people reached against the city's (and,
    when neither has anyone shown, the decile that holds the largest part of them)."""
    edition = dep["edition"]["title"].split(":")[0]
    most, least = dep["fifths"]["most"], dep["fifths"]["least"]
    said = []
    for row, where in ((most, "the most deprived fifth of neighbourhoods in England"),
                       (least, "the least deprived fifth")):
        share = f"fewer than {SMALL}" if row["share"] is None else _pct(row["share"])
        said.append(f"{share} live in {where} (against {_pct(row['city_share'])} of the "
                    "city's residents)")
    text = f"Of the people reached, {said[0]} and {said[1]}"
    shown = [r for r in dep["rows"] if r["share"] is not None and r["decile"] is not None]
    top = max(shown, key=lambda r: r["share"], default=None)
    if top and most["share"] is None and least["share"] is None:
        text += (f"; the largest part, {_pct(top['share'])}, live in national decile "
                 f"{top['decile']} (against {_pct(top['city_share'])})")
    return f"{text}, by the {edition}'s national deciles."


def _geography(name: str) -> str:
    """A geography as said in words: "msoa21" → "MSOA"."""
    return re.sub(r"\d+$", "", name).upper()


def _short(title: str) -> str:
    """A Census table's title as said in a sentence: "Census 2021 TS054: tenure" → "tenure"."""
    title = re.sub(r"\s*\(.*?\)\s*$", "", title.split(":", 1)[-1]).strip()
    return title or "the Census"


def _coarse_words(c: dict, groups: list[dict]) -> str:
    table = next(g for g in groups if g["key"] == c["key"])
    geo = _geography(c["geography"])
    what = _short(table["title"])
    return (f"{what[:1].upper() + what[1:]} is published only for the city's {c['areas']} "
            f"{geo}s: each one's counts are shared out by the share of its residents the "
            f"footprint reaches, so those figures describe the {c['reached']} {geo}"
            f"{'' if c['reached'] == 1 else 's'} the footprint lies in, not the footprint's "
            "own people.")


def _largest(groups: list[dict], noun: str) -> str | None:
    """The group (of the city's own tables, counted in ``noun``) whose share in the footprint
    differs most from its share of the city, in points."""
    best: dict | None = None
    best_table: dict = {}
    for table in groups:
        if table["noun"] != noun or table["apportioned"]:
            continue
        for row in table["rows"]:
            if row["difference_pp"] is None:
                continue
            if best is None or abs(row["difference_pp"]) > abs(best["difference_pp"]):
                best, best_table = row, table
    if best is None:
        return None
    if abs(best["difference_pp"]) < NOTABLE_PP:
        return (f"No group of {noun} counted by the Census makes up a share of those reached "
                f"that differs from its share of the city by {NOTABLE_PP:g} percentage point "
                "or more.")
    more = "higher" if best["difference_pp"] > 0 else "lower"
    times = ""
    if best["ratio"] is not None and best["difference_pp"] > 0:
        ratio = f"{best['ratio']:.2f}".rstrip("0").rstrip(".")  # 1.03, not "1"
        times = f", {ratio} times the city's share" if ratio != "1" else ""
    return (f"The largest difference from the city among the {noun} reached: "
            f"{_pct(best['share'])} are in the group “{best['group']}” "
            f"({_short(best_table['title'])}), against {_pct(best['city_share'])} across the "
            f"city: {abs(best['difference_pp']):.1f} percentage points {more}{times}.")


def method_note(result: dict) -> list[dict]:
    """Titled paragraphs saying how every number was made."""
    f = result["footprint"]
    near = f"{f['near_m']:,.0f} m"
    notes = [
        {"title": "The footprint's reach", "text": (
            "Polygons (areas and drawn boundaries) reach the residents inside them"
            + (f" and within {near} of their edge" if f["near_polygons"] else "")
            + f"; points and lines reach those within {near} in a straight line (about ten "
            "minutes' walk at 80 m a minute, the middle band of the dataset lens's distances). "
            f"Here: {f['polygons']} polygons, {f['lines']} lines, {f['points']} points; the "
            f"reach covers {f['reach_km2']} km².")},
        {"title": "Residents in the reach", "text": (
            f"Residents: {result['city']['population_source']}. Where they live: "
            f"{result['people_method']}. A neighbourhood's share of its residents in the reach "
            "is the share of its points inside it; a neighbourhood the reach cuts through with "
            "none of its points inside takes the share of its area inside the reach instead "
            f"(residents spread evenly; {result['reach']['by_overlap']} neighbourhoods here), "
            f"and an overlap under {SLIVER:.0%} of a neighbourhood's area reaching no more "
            f"than {EDGE_M:g} m inside its boundary is a boundary sliver and counts nothing. "
            "Everyone in a neighbourhood is taken to share its make-up.")},
        {"title": "Shares and differences", "text": (
            "For each Census group: its count in the reach (each neighbourhood's count times "
            "its share reached, summed) over the table's people or households in the reach, "
            "against the group's share of the whole city; the difference in percentage points "
            "and the ratio of the two shares (above 1: more common among those reached). "
            "Census 2021 counts everyone, so these are not samples: no p-values or sampling "
            "intervals are given, and a difference is a difference between the neighbourhoods "
            "reached and the city, not evidence about anyone else.")},
        {"title": "Rounding and small groups", "text": (
            f"Counts are estimates (residents are placed at points), rounded to the nearest "
            f"{ROUND_TO}; a group of fewer than {SMALL} people or households in the reach is "
            "shown as such, without a share.")},
    ]
    dep = result.get("deprivation")
    if dep:
        notes.append({"title": "Deprivation", "text": (
            f"{dep['edition']['title']}: national deciles as published (1 = the most deprived "
            "10% of neighbourhoods in England); residents reached in each decile against the "
            f"city's residents in it. Bridging: {dep['edition']['bridge']}")})
    for c in result.get("coarse", []):
        geo = _geography(c["geography"])
        notes.append({"title": f"Tables by {geo}", "text": (
            f"“{c['key']}” is published for {geo}s only. Each {geo}'s counts are multiplied "
            "by the fraction of its residents "
            "in the reach (the residents reached in its neighbourhoods over all of its "
            "residents), so the group's make-up is the larger area's, not the footprint's.")})
    return notes


# ------------------------------------------------------------------------------ tables

def tables(result: dict) -> dict[str, tuple[list[str], list[dict]]]:
    """The lens as flat tables for CSV: ``areas``, ``deprivation`` and ``groups``."""
    if result.get("kind") != "footprint":
        return {}
    out = {"areas": (["code", "name", "share", "residents", "residents_shown", "how"],
                     result["reach"]["areas"])}
    row_columns = ["group", "count", "count_shown", "share", "city_share", "difference_pp",
                   "ratio", "suppressed"]
    if result.get("deprivation"):
        out["deprivation"] = (["decile", *row_columns], result["deprivation"]["rows"])
    out["groups"] = (["table", "universe", "geography", "apportioned", *row_columns],
                     [{"table": t["title"], "universe": t["universe"],
                       "geography": t["geography"], "apportioned": t["apportioned"], **row}
                      for t in result["groups"] for row in t["rows"]])
    return out
