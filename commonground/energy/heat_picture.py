"""Use case: a neighbourhood's heat picture — households in fuel poverty, how homes are heated,
the kind of home and tenure — per area of any profiled geography (LSOA, MSOA, ward, the
authority), on a map and through the lens. Built once per city load (``CityState.derived``).

Sources, found by their role and categories, never by file name:

* fuel poverty: the resource with role ``fuel-poverty`` (DESNZ sub-regional Low Income Low
  Energy Efficiency estimates, households), loaded as indicators (``geography.indicators``).
  They are *modelled*: DESNZ says to use them for general patterns, not to rank single
  neighbourhoods or to follow one over time (:data:`FUEL_POVERTY_CAVEAT`). A larger area's
  count is the sum of its neighbourhoods' (membership weights), its share that sum over their
  households;
* central heating, accommodation type and tenure: the Census 2021 tables (TS046, TS044, TS054)
  among the lens's groups, found by their categories.

A package may lack any of these (England's has no fuel poverty estimates and no TS046): that
part is None, named with the reason in ``missing_parts`` and ``missing_note``, and the rest is
shown (the lens's parts that need it are left out). Only a package with none of the four has no
picture: ``NoHeatPicture`` says what it lacks and why.

The lens: fuel poverty by IMD decile (households, with PHE's interval on the count: exact
Poisson below 10, Byar's from 10), and which groups of residents or households live where homes
are heated by electricity only or have no central heating, two ways:

* ``groups``: each group's share among the residents (or households) of every neighbourhood
  weighted by its homes on electric heating or none (``lens.disparity``, with intervals);
* ``high_electric``: the group mix of the fifth of neighbourhoods with the highest shares of
  such homes (``HIGH_FRACTION``; ties at the cut kept in), against the whole city's.

Both compare neighbourhoods, not people (ecological: :data:`GROUPS_NOTE`), and both are made
only of Census counts ONS has published, with its own disclosure control, for every
neighbourhood: they add no risk of picking anyone out.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from commonground.catalogue.services.lens import lens_city
from commonground.geography import mapview
from commonground.geography.census_homes import HOUSE_TYPES, OWNER_PREFIX
from commonground.geography.palettes import sequential
from commonground.geography.plain import plain_name, topic
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth
from commonground.lens import disparity
from commonground.lens.deprivation import groups_of
from commonground.lens.spatial import classify
from commonground.places.cache import city_state
from commonground.places.profiles import FUEL_POVERTY, FUEL_POVERTY_CAVEAT
from commonground.places.records import AreaNotFound

FUEL_POVERTY_ROLE = FUEL_POVERTY  # the role, and its caveat, are the area profiles' own
INTERVAL_NOTE = ("The intervals treat the estimated households as if counted: they show how "
                 "small the numbers are, not the model's own error.")
#: A decile with fewer neighbourhoods or fuel-poor households than this is said to be small.
FEW_AREAS, FEW_HOUSEHOLDS = 3, 10
DRAWS = 2000  # Monte Carlo draws for the groups' intervals (lens.disparity)
#: The plain words name the groups most over-represented where heating is electric or absent:
#: at most this many, each at least this many percentage points above its city share.
GROUP_WORDS, GROUP_WORDS_PP = 3, 2.0

#: The fifth of neighbourhoods with the highest shares of homes on electric heating or none.
HIGH_FRACTION = 0.2
GROUPS_NOTE = ("These figures compare neighbourhoods, not people: they show who lives in the "
               "places where more homes have electric heating or none, not that those people "
               "are the ones in such homes (an ecological comparison). They are made only from "
               "Census counts already published for every neighbourhood, so they reveal "
               "nothing new about anyone.")

#: Families of the Census heating categories, in the order shown: (key, plain label, test on
#: the published category's lower-cased label). The first match wins.
HEATING_FAMILIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("none", "no central heating", ("no central heating",)),
    ("two_or_more", "two or more types", ("two or more",)),
    ("gas", "gas (mains or bottled)", ("gas",)),
    ("electric", "electric only", ("electric",)),
    ("oil", "oil", ("oil",)),
    ("solid", "wood or solid fuel", ("wood", "solid fuel")),
    ("heat_network", "heat network (district or communal)", ("heat network", "district")),
    ("renewable", "renewable energy (e.g. heat pump)", ("renewable",)),
    ("other", "other", ("",)),
)
#: Families counted as "heated by electricity only or not at all" in the lens.
ELECTRIC_OR_NONE = ("electric", "none")


class NoHeatData(LookupError):
    """The city's data lacks a table of the heat picture (one part: the rest is shown, the
    part named in ``missing_parts``)."""


class NoHeatPicture(NoHeatData):
    """The city's data holds none of the heat picture's tables: there is no picture (the
    message says what it lacks and why). A 404 on the pages and API, exit status 4."""


#: The picture's parts, in the order shown: (key, what a hub without it lacks).
PARTS: tuple[tuple[str, str], ...] = (
    ("fuel_poverty", "no fuel poverty estimates (the government's sub-regional fuel poverty "
                     "statistics)"),
    ("heating", "no Census table of central heating (TS046)"),
    ("accommodation", "no Census table of accommodation type (TS044)"),
    ("tenure", "no Census table of tenure (TS054)"),
)
REST = "; the rest of the picture is below."  # ends the note on a part the data lacks
PART_LABELS = {"fuel_poverty": "Fuel poverty", "heating": "How homes are heated",
               "accommodation": "Kinds of home", "tenure": "Tenure"}


def family_of(label: str) -> str:
    lowered = label.lower()
    return next(key for key, _, words in HEATING_FAMILIES if any(w in lowered for w in words))


def heat_data() -> dict:
    """The city's heat figures per base area, found once per load (no lens, no map: what one
    area's picture needs). Raises ``NoHeatData``."""
    state = city_state()
    return state.derived("heat picture", partial(_build, state))


def overview() -> dict:
    """The city's heat picture with its maps and the lens (built once per load): what the
    page and the API's city answer show."""
    state = city_state()
    return state.derived("heat picture overview", partial(_build_overview, state))


def area_picture(geography: str, code: str) -> dict:
    """One area's heat picture. ``AreaNotFound`` names an unknown geography or code."""
    data = heat_data()
    state = data["_state"]
    geography, code = (geography or "").strip(), (code or "").strip()
    if geography not in state.profiled:
        raise AreaNotFound(f"unknown geography {geography!r}: choose from "
                           f"{', '.join(state.profiled)}")
    i = state.position(geography).get(code)
    if i is None:
        raise AreaNotFound(f"no area {code!r} in geography {geography!r} of {state.run.city_name}")
    return _picture(data, geography, i)


def find_geography(code: str) -> str:
    """The geography of the area ``code``: the base geography's first (an LSOA 2011 whose
    code 2021 kept is the 2021 one), then the others. ``AreaNotFound`` otherwise."""
    state = heat_data()["_state"]
    code = (code or "").strip()
    for geography in sorted(state.profiled, key=lambda g: g != state.base):
        if code in state.position(geography):
            return geography
    raise AreaNotFound(f"no area {code!r} in {state.run.city_name}")


# --------------------------------------------------------------------------------- building

def _fuel_poverty(state) -> tuple[np.ndarray, np.ndarray, object]:
    """Fuel-poor households and all households per base area, and the source."""
    inds = [i for i in state.indicators.values()
            if i.source.role == FUEL_POVERTY_ROLE and i.source.geography == state.base]
    if not inds:
        raise NoHeatData("the city's data needs a resource with role 'fuel-poverty' on its "
                         "neighbourhoods for this page")
    newest = max({i.source.pk: i.source for i in inds}.values(), key=lambda s: s.vintage)
    total = next((i for i in inds if i.source_id == newest.pk and i.kind == "total"), None)
    count = next((i for i in inds if i.source_id == newest.pk and i.kind == "count"), None)
    if total is None or count is None:
        raise NoHeatData(f"{newest.title} needs a households column and a count of them")
    return state.column(count.key), state.column(total.key), newest


def _table(city, test):
    return next((t for t in city.groups if test(t.labels)), None)


#: Why a Census part is missing: the categories its table is found by.
CENSUS_WHY = {"heating": "its data package has no Census resource on its neighbourhoods whose "
                         "categories name central heating",
              "accommodation": "its data package has no Census resource on its neighbourhoods "
                               "with the categories " + ", ".join(f"“{x}”" for x in HOUSE_TYPES),
              "tenure": "its data package has no Census resource on its neighbourhoods with "
                        f"categories “{OWNER_PREFIX}…”"}


def _build(state) -> dict:
    """The figures of the parts the data holds, and why each other part is missing. Raises
    ``NoHeatPicture`` when it holds none."""
    city = lens_city(state)
    base, sources, labels, why = {}, {}, {}, {}
    try:
        poor, households, source = _fuel_poverty(state)
    except NoHeatData as exc:
        why["fuel_poverty"] = (str(exc).removesuffix(" for this page")
                               .replace("the city's data needs a ", "its data package has no "))
    else:
        base["poor"], base["households"] = np.nan_to_num(poor), np.nan_to_num(households)
        sources["fuel_poverty"] = {
            "title": source.title, "period": source.vintage, "caveat": FUEL_POVERTY_CAVEAT,
            "publisher": source.publisher,
            "licence": source.licence_title or source.licence_name}
    tables = {"heating": _table(city, lambda ls: any("central heating" in x.lower() for x in ls)),
              "accommodation": _table(city, lambda ls: set(HOUSE_TYPES) <= set(ls)),
              "tenure": _table(city, lambda ls: any(x.startswith(OWNER_PREFIX) for x in ls))}
    prefix = {"heating": "heating", "accommodation": "homes", "tenure": "tenure"}
    for key, table in tables.items():
        if table is None:
            why[key] = CENSUS_WHY[key]
            continue
        base[prefix[key]], base[prefix[key] + "_total"] = table.counts, table.totals
        sources[key] = f"{table.title} ({table.period})"
        labels[prefix[key]] = table.labels
    missing = [{"key": key, "part": PART_LABELS[key], "lacks": lacks, "reason": why[key]}
               for key, lacks in PARTS if key in why]
    if len(missing) == len(PARTS):
        raise NoHeatPicture("This hub has no heat picture: it has " + _lacks(missing) + ". "
                            + " ".join(f"{m['part']}: {m['reason']}." for m in missing))
    heating = tables["heating"]
    electric = None
    if heating is not None:
        families = np.array([family_of(x) for x in heating.labels])
        electric = heating.counts[:, np.isin(families, ELECTRIC_OR_NONE)].sum(axis=1)
    return {"city": city.name, "sources": sources, "missing": missing,
            "missing_note": "This hub has " + _lacks(missing) + REST if missing else "",
            "_state": state, "_lens_city": city,
            "_heating_key": heating.key if heating is not None else None, "_base": base,
            "_city": {k: v.sum(axis=0) for k, v in base.items()},
            "_electric_or_none": electric, "_labels": labels}


def _lacks(missing: list[dict]) -> str:
    """``no fuel poverty estimates (…) and no Census table of …``."""
    parts = [m["lacks"] for m in missing]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def missing_parts(data: dict) -> list[dict]:
    """The parts the data lacks: key, part (in words), reason (what it lacks, and why)."""
    return [{"key": m["key"], "part": m["part"],
             "reason": f"This hub has {m['lacks']}: {m['reason']}."} for m in data["missing"]]


def _build_overview(state) -> dict:
    data = heat_data()
    city, base = data["_lens_city"], data["_base"]
    n = len(state.base_areas)
    has_fp, electric = "poor" in base, data["_electric_or_none"]
    nothing = np.full(n, np.nan)
    poor_share = _share(base["poor"], base["households"]) if has_fp else nothing
    electric_share = _share(electric, base["heating_total"]) if electric is not None else nothing
    totals = _figures(data, data["_city"])
    maps = {}
    if has_fp:
        maps["fuel_poverty"] = _map(state, poor_share, "fuelpoor",
                                    "Households in fuel poverty (modelled)",
                                    "Share of each neighbourhood's households in fuel poverty "
                                    "(DESNZ modelled estimates, LILEE)")
    if electric is not None:
        maps["electric_or_none"] = _map(state, electric_share, "elecnone",
                                        "Homes heated by electricity only or not at all",
                                        "Share of each neighbourhood's households whose central "
                                        "heating is electric only, or who have none (Census 2021)")
    result = {
        "city": data["city"], "sources": data["sources"],
        "base": state.base, "geographies": list(state.profiled), "totals": totals,
        "deprivation": _by_decile(city, base["poor"], base["households"]) if has_fp else None,
        "groups": (_groups(city, electric, data["_heating_key"])
                   if electric is not None else None),
        "high_electric": (_high_electric(city, electric, base["heating_total"],
                                         data["_heating_key"]) if electric is not None else None),
        "groups_note": GROUPS_NOTE if electric is not None else None,
        "maps": maps,
    }
    result["words"] = _words(totals, data["city"], result["deprivation"], result["groups"],
                             is_city=True, high=result["high_electric"])
    poor = base["poor"] if has_fp else nothing
    households = base["households"] if has_fp else nothing
    result["areas"] = [{"code": a.code, "name": a.display_name,
                        "fuel_poor": _int(poor[i]), "households": _int(households[i]),
                        "fuel_poor_share": _num(poor_share[i]),
                        "electric_or_none_share": _num(electric_share[i])}
                       for i, a in enumerate(state.base_areas)]
    return result


def _share(count, total) -> np.ndarray:
    count, total = np.asarray(count, float), np.asarray(total, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 100 * count / total, np.nan)


def _int(x) -> int | None:
    return int(round(float(x))) if np.isfinite(x) else None


def _num(x) -> float | None:
    return round(float(x), 1) if x is not None and np.isfinite(x) else None


def _rows(labels, counts, total, city_counts=None, city_total=None) -> list[dict]:
    rows = []
    for j, label in enumerate(labels):
        row = {"label": label, "count": _int(counts[j]),
               "share": _num(_share(counts[j], total))}
        if city_counts is not None:
            row["city_share"] = _num(_share(city_counts[j], city_total))
        rows.append(row)
    return rows


def _figures(data: dict, v: dict) -> dict:
    """The heat picture's figures from summed counts ``v`` (one area's, or the city's)."""
    c = data["_city"]
    labels = data["_labels"]
    out = {key: None for key, _ in PARTS}  # a part the data lacks: None (``missing_parts``)
    if "poor" in v:
        out["fuel_poverty"] = {"households": _int(v["households"]), "fuel_poor": _int(v["poor"]),
                               "share": _num(_share(v["poor"], v["households"])),
                               "city_share": _num(_share(c["poor"], c["households"])),
                               "unit": "households", **data["sources"]["fuel_poverty"]}
    if "heating" in v:
        fam = np.array([family_of(x) for x in labels["heating"]])
        families = []
        for key, label, _ in HEATING_FAMILIES:
            held = fam == key
            if held.any():
                families.append({
                    "key": key, "label": label, "count": _int(v["heating"][held].sum()),
                    "share": _num(_share(v["heating"][held].sum(), v["heating_total"])),
                    "city_share": _num(_share(c["heating"][held].sum(), c["heating_total"]))})
        out["heating"] = {"households": _int(v["heating_total"]), "families": families,
                          "categories": _rows(labels["heating"], v["heating"], v["heating_total"],
                                              c["heating"], c["heating_total"]),
                          "source": data["sources"]["heating"]}
    for key, prefix in (("accommodation", "homes"), ("tenure", "tenure")):
        if prefix in v:
            out[key] = {"households": _int(v[prefix + "_total"]),
                        "categories": _rows(labels[prefix], v[prefix], v[prefix + "_total"],
                                            c[prefix], c[prefix + "_total"]),
                        "source": data["sources"][key]}
    out["missing_parts"] = missing_parts(data)
    out["missing_note"] = data["missing_note"]
    return out


def _picture(data: dict, geography: str, i: int) -> dict:
    state, base = data["_state"], data["_base"]
    area = state.by_geography[geography][i]
    if geography == state.base:
        v = {k: arr[i] for k, arr in base.items()}
    else:
        at, weights = state.member_row(geography, i)
        v = {k: weights @ arr[at] for k, arr in base.items()}
    figures = _figures(data, v)
    return {"geography": geography, "code": area.code, "name": area.display_name,
            "city": data["city"], **figures,
            "words": _words(figures, area.display_name, None, None),
            "neighbourhoods": None if geography == state.base else len(state.member_row(geography, i)[0])}


# ------------------------------------------------------------------------------------- lens

def _by_decile(city, poor: np.ndarray, households: np.ndarray) -> dict | None:
    """Fuel-poor households per national IMD decile of the newest edition, with intervals."""
    from commonground.lens import stats  # here: SciPy's stats, which an area's picture needs not

    if not city.deprivation:
        return None
    dep = city.edition(None)
    g = groups_of(dep, "imd-decile")
    known = ~np.isnan(g)
    idx = np.where(known, g, 0).astype(int)

    def by(values):
        return np.bincount(idx, weights=values, minlength=11)

    count, total, areas = by(poor), by(households), by(np.ones(len(g)))
    (y, low, high), (_, low998, high998) = (
        stats.rate_with_interval(count[1:], total[1:], per=100.0, confidence=c)
        for c in stats.LEVELS)
    rows = []
    for k in range(10):
        few = areas[k + 1] < FEW_AREAS or count[k + 1] < FEW_HOUSEHOLDS
        rows.append({"decile": k + 1, "label": _decile_label(k + 1),
                     "areas": int(areas[k + 1]), "households": _int(total[k + 1]),
                     "fuel_poor": _int(count[k + 1]), "share": _num(y[k]),
                     "low": _num(low[k]), "high": _num(high[k]),
                     "low_998": _num(low998[k]), "high_998": _num(high998[k]),
                     "few": bool(few and areas[k + 1] > 0)})
    return {"edition": dep.title, "unit": "% of households", "rows": rows,
            "unknown": {"areas": int(areas[0]), "households": _int(total[0]),
                        "fuel_poor": _int(count[0])},
            "note": INTERVAL_NOTE}


def _decile_label(k: int) -> str:
    return {1: "decile 1 (most deprived)", 10: "decile 10 (least deprived)"}.get(k, f"decile {k}")


def _groups(city, measure: np.ndarray, heating_key: str) -> list[dict]:
    """Each Census table's groups: their share among people (or households) living where homes
    are heated by electricity only or not at all, against their share of the city."""
    out = []
    n_points = int(round(float(np.nansum(measure))))
    boot = disparity.redraws(n_points, measure, DRAWS, seed=0) if n_points else None
    for t in city.groups:
        if t.key == heating_key:
            continue
        rows = disparity.disparity_table(measure, t.counts, t.totals, t.labels, points=n_points,
                                         draws=DRAWS, seed=0, boot=boot)
        out.append({"key": t.key, "title": t.title, "universe": t.universe,
                    "rows": [{"group": r.group, "share": _num(100 * r.data_share),
                              "city_share": _num(100 * r.city_share),
                              "difference_pp": _num(r.difference_pp), "low_pp": _num(r.low_pp),
                              "high_pp": _num(r.high_pp),
                              "clear": bool(r.low_pp > 0 or r.high_pp < 0)} for r in rows]})
    return out


def _high_electric(city, count: np.ndarray, total: np.ndarray, heating_key: str) -> dict | None:
    """The group mix of the neighbourhoods with the highest shares of households on electric
    heating only or none (``count`` of ``total`` households per base area): the top
    ``HIGH_FRACTION`` of those with households, any tied with the last one kept in; each
    Census table's groups there (counts summed, over the table's summed universe) against the
    city's."""
    share = _share(count, total)
    known = np.isfinite(share)
    if not known.any():
        return None
    ranked = np.sort(share[known])[::-1]
    cut = float(ranked[max(1, round(HIGH_FRACTION * len(ranked))) - 1])
    high = known & (share >= cut)
    tables = []
    for t in city.groups:
        if t.key == heating_key:
            continue
        here, there = t.counts[high].sum(axis=0), t.counts.sum(axis=0)
        here_total, city_total = t.totals[high].sum(), t.totals.sum()
        tables.append({"key": t.key, "title": t.title, "universe": t.universe,
                       "total": _int(here_total),
                       "rows": [{"group": label, "count": _int(here[j]),
                                 "share": _num(_share(here[j], here_total)),
                                 "city_share": _num(_share(there[j], city_total)),
                                 "difference_pp": _num(_share(here[j], here_total)
                                                       - _share(there[j], city_total))}
                                for j, label in enumerate(t.labels)]})
    return {"areas": int(high.sum()), "of": int(known.sum()), "from_share": _num(cut),
            "share": _num(_share(count[high].sum(), total[high].sum())),
            "city_share": _num(_share(count.sum(), total.sum())), "tables": tables}


# ------------------------------------------------------------------------------------ words

def _about(x) -> str:
    return f"{x:,.0f}" if x is not None else "an unknown number of"


def _words(figures: dict, name: str, deprivation: dict | None, groups: list[dict] | None,
           *, is_city: bool = False, high: dict | None = None) -> list[str]:
    """A sentence per figure, in plain words; a part of the city is set against the city."""
    fp, heating = figures["fuel_poverty"], figures["heating"]
    out = []
    if fp and fp["share"] is not None:
        city = "" if is_city else f", against {fp['city_share']}% across the city"
        out.append(f"About {fp['share']}% of households in {name} are estimated to be in fuel "
                   f"poverty ({_about(fp['fuel_poor'])} of {_about(fp['households'])}){city}: "
                   f"on a low income in a home that is costly to heat.")
    families = heating["families"] if heating else []
    fams = {f["key"]: f for f in families}
    top = max(families, key=lambda f: f["count"] or 0, default=None)
    if top is not None and top["share"] is not None:
        most = "Most homes" if top["share"] > 50 else "The largest group of homes"
        out.append(f"{most} ({top['share']}% of {_about(heating['households'])} households in "
                   f"the 2021 Census) are heated by {top['label']}.")
    e, n = fams.get("electric"), fams.get("none")
    if e or n:
        out.append(f"{e['share'] if e else 0}% have electric heating only and "
                   f"{n['share'] if n else 0}% have no central heating"
                   + ("." if is_city else
                      f" (across the city: {e['city_share'] if e else 0}% and "
                      f"{n['city_share'] if n else 0}%)."))
    homes, tenure = figures["accommodation"], figures["tenure"]
    if homes and homes["households"]:
        flats = sum(r["count"] or 0 for r in homes["categories"]
                    if "flat" in r["label"].lower() or "apartment" in r["label"].lower())
        out.append(f"About {round(100 * flats / homes['households'])}% of households live in "
                   f"a flat.")
    if tenure and tenure["households"]:
        rent = sum(r["count"] or 0 for r in tenure["categories"] if "rent" in r["label"].lower())
        out.append(f"About {round(100 * rent / tenure['households'])}% rent their home.")
    if deprivation:
        rows = [r for r in deprivation["rows"] if r["share"] is not None]
        if len(rows) >= 2:
            most, least = rows[0], rows[-1]
            out.append(f"In {name}'s neighbourhoods in {_tenth(most['decile'], 'most')}, about "
                       f"{most['share']}% of households are in fuel poverty; in those in "
                       f"{_tenth(least['decile'], 'least')}, about {least['share']}%.")
    shown = sorted(((r, t) for t in groups or [] for r in t["rows"]
                    if r["clear"] and (r["difference_pp"] or 0) >= GROUP_WORDS_PP),
                   key=lambda rt: -rt[0]["difference_pp"])[:GROUP_WORDS]
    for r, t in shown:
        out.append(f"Where homes are heated by electricity only or not at all, the group "
                   f"“{plain_name(r['group'])}” makes up {r['share']}% of {t['universe']}, "
                   f"against {r['city_share']}% across the city ({topic(t['title'])}).")
    out += _high_words(high)
    return out


def _high_words(high: dict | None) -> list[str]:
    """The groups most over-represented in the neighbourhoods with the most homes on electric
    heating or none (one per table, at most ``GROUP_WORDS - 1``), and that it compares places."""
    if not high or not high["tables"]:
        return []
    best = {}
    for t in high["tables"]:
        rows = [r for r in t["rows"] if (r["difference_pp"] or 0) >= GROUP_WORDS_PP]
        if rows:
            best[t["key"]] = (max(rows, key=lambda r: r["difference_pp"]), t)
    shown = sorted(best.values(), key=lambda rt: -rt[0]["difference_pp"])[:GROUP_WORDS - 1]
    if not shown:
        return []
    parts = "; ".join(f"“{plain_name(r['group'])}” make up {r['share']}% of {t['universe']}, against "
                      f"{r['city_share']}% across the city" for r, t in shown)
    return [f"In the {high['areas']} neighbourhoods with the most homes on electric heating or "
            f"none ({high['share']}% of their households, against {high['city_share']}% across "
            f"the city): {parts}.",
            "This compares neighbourhoods, not people."]


def _tenth(decile: int, end: str) -> str:
    if decile in (1, 10):
        return f"the {end} deprived tenth of England's"
    return f"decile {decile} of deprivation (the {end} deprived here)"


# -------------------------------------------------------------------------------------- map

def _map(state, share: np.ndarray, prefix: str, title: str, what: str) -> dict:
    classes = classify(share, method="quantiles", k=5)
    colours = sequential(len(classes["bins"]), "viridis")
    legend, low = [], None
    for i, upper in enumerate(classes["bins"]):
        legend.append(MapClass(f"{low:.0f}–{upper:.0f}%" if low is not None
                               else f"up to {upper:.0f}%", colours[i]))
        low = upper
    geometries = state.geometries(state.base)
    view = mapview.whole(geometries)
    if view.is_mosaic:
        shapes, _ = mapview.mosaic_shapes(geometries, classes["classes"], view, legend,
                                          "neighbourhoods",
                                          locate=state.index(state.base).locate)
    else:
        shapes = [MapShape(code=a.code, label=a.display_name, geometry=geometries[i],
                           class_index=classes["classes"][i],
                           href=f"/energy/heat/{a.geography}/{a.code}/",
                           value_text=f"{share[i]:.0f}% of households")
                  for i, a in ((i, state.base_areas[i]) for i in view.drawn.tolist())]
    description = what + "; five classes of equal count (quantiles)."
    if note := view.note("neighbourhoods"):
        description += " " + note
    svg = render_choropleth(shapes, legend, title=title, description=description,
                            legend_title="% of households", id_prefix=prefix,
                            simplify_m=view.tolerance_m, edges=not view.is_mosaic)
    return {"svg": svg, "description": description}
