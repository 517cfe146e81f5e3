"""Three to seven sentences a volunteer can read aloud, generated from the lens's numbers.

Every comparison is said with its 95% interval, and a difference is only claimed when the
interval excludes "no difference" (a ratio of 1, a slope of 0). For point data that interval is
the clustering-aware one (``clustering``): rows that stand together are not counted as
independent events. When it does not exclude no difference, the sentence says we cannot tell
(and gives PHE's narrower interval, saying what it assumes). The measure is named as the
dataset's editor names it, in the singular and plural; services are said as what people reach,
incidents as where things happen; old data and the row filters used are said. Numbers hidden
by disclosure control are never quoted.
"""

from __future__ import annotations

import numpy as np

from . import compare, stats


def _n(x: float, digits: int = 2) -> str:
    """A number as people write it: 1,234 / 12.3 / 0.12."""
    if x is None:
        return "unknown"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.{digits}g}" if abs(x) < 1 else f"{x:.2f}".rstrip("0").rstrip(".")


def _pct(share: float) -> str:
    if share is None:
        return "unknown"
    return f"{100 * share:.0f}%" if share >= 0.095 else f"{100 * share:.1f}%"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def summarise(result: dict) -> list[str]:
    """Three to seven sentences: what the data holds, how old it is (when more than three
    years), the gap between the least and most deprived fifths, the gradient, the influence of
    one neighbourhood (when it holds more than a fifth of the measure), the group that stands
    out, and distance."""
    sentences = [_overview(result)]
    for part in (_age, _deprivation_gap, _gradient, _influence, _disparity, _access):
        sentence = part(result)
        if sentence:
            sentences.append(sentence)
    return sentences


def _incident(m: dict) -> bool:
    """Events or incidents (the lens asks where they happen), not services (who they reach)."""
    return m.get("nature") == "incident"


def _noun(m: dict, n: float) -> str:
    """The rows' name for a number of them: the editor's singular for one (else "row")."""
    return (m.get("singular") or "row") if n == 1 else m["label"]


def _unit(m: dict) -> str:
    """A weighted sum's unit in words: the editor's name for the column ("connectors"), else
    the column itself, quoted."""
    if m.get("unit") and m.get("unit") != m.get("column"):
        return m["unit"]
    return f"in the column “{m.get('column')}”"


def _overview(result: dict) -> str:
    m, city = result["measure"], result["city"]
    where = f"the {city['areas']} neighbourhoods of {city['name']}"
    if m["kind"] == "value":
        return (f"{_cap(m['label'])} has a value for {m['areas_with_value']} of {where}; "
                f"weighted by residents it averages {_n(m.get('mean'))}.")
    if m.get("total_hidden"):
        return (f"This dataset holds records about people, and there are too few of them in "
                f"{where} to show how many.")
    inside = m["rows_in_areas"]
    verb = "records" if _incident(m) else "places"
    text = f"The data {verb} {inside:,} {_noun(m, inside)}"
    sites = (result.get("units") or {}).get("sites")
    if sites is not None and sites != inside:
        word = "place" if _incident(m) else "site"
        text += f" at {sites:,} {word}{'' if sites == 1 else 's'}"
    text += f" in {where}"
    if m["kind"] == "weight":
        text += f", with {_n(m['total'])} {_unit(m)} in all"
    if m.get("rate") is not None:
        per = ("per 1,000 residents" if m["kind"] == "count" or not m.get("unit")
               or m["unit"] == m.get("column") else f"{m['unit']} per 1,000 residents")
        text += f": {_n(m['rate'])} {per}"
    if m.get("filters"):
        text += f" (counting only rows where {'; '.join(m['filters'])})"
    return text + "."


#: Data older than this many years gets a sentence saying so (issue 16: "more than three").
OLD_AFTER_YEARS = 3


def _age(result: dict) -> str | None:
    """A warning when the data describes a day more than three years ago."""
    m = result["measure"]
    age, as_of = m.get("age_years"), m.get("as_of")
    if age is None or as_of is None or age <= OLD_AFTER_YEARS:
        return None
    year, month, day = (int(x) for x in as_of.split("-"))
    months = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
    since = ("where they happen may have changed since" if _incident(m) else
             f"some {m['label']} may have opened, closed or moved since")
    return (f"This data describes {day} {months[month - 1]} {year}, more than "
            f"{int(age)} years ago: {since}, so check newer figures before relying on it.")


def _subject(m: dict) -> tuple[str, str, str]:
    """(what is compared, verb, 'per resident' or 'on average') for a measure."""
    if m["kind"] == "count":
        return _cap(m["label"]), "are", "per resident"
    if m["kind"] == "weight":
        unit = _unit(m)
        counted = f"counted {unit}" if unit.startswith("in the column") else f"counted in {unit}"
        return f"{_cap(m['label'])} ({counted})", "are", "per resident"
    return _cap(m["label"]), "is", "on average"


def _low(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym ("GP practices")."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _quintiles(result: dict) -> tuple[dict, dict, str, str] | None:
    tables = result.get("deprivation", {}).get("tables", {})
    for grouping, where in (("imd-quintile", "neighbourhoods in England"),
                            ("city-quintile", f"neighbourhoods in {result['city']['name']}")):
        rows = tables.get(grouping, {}).get("rows", [])
        if len(rows) == 5 and rows[0]["residents"] and rows[4]["residents"]:
            if not rows[0]["suppressed"] and not rows[4]["suppressed"]:
                return rows[4], rows[0], where, grouping
    return None


def _ratios(least: dict, most: dict, kind: str) -> tuple[compare.Ratio, compare.Ratio | None]:
    """The least over the most deprived fifth: the clustering-aware ratio (each count taken
    as the effective events it is worth, ``dispersion``) and PHE's, which takes every row as
    an independent event (None for values, which have one interval only)."""
    if kind == "count":
        phe = compare.count_rate_ratio(least["measure"], least["residents"], most["measure"],
                                       most["residents"])
        robust = compare.count_rate_ratio(
            least["measure"], least["residents"], most["measure"], most["residents"],
            phi1=least.get("dispersion") or 1.0, phi2=most.get("dispersion") or 1.0)
        return robust, phe
    robust = compare.lognormal_ratio(least["value"], least["low"], least["high"],
                                     most["value"], most["low"], most["high"])
    if kind == "weight" and least.get("phe_low") is not None:
        phe = compare.lognormal_ratio(least["value"], least["phe_low"], least["phe_high"],
                                      most["value"], most["phe_low"], most["phe_high"])
        return robust, phe
    return robust, None


def _gap(result: dict) -> tuple[compare.Ratio, compare.Ratio | None, str, str] | None:
    found = _quintiles(result)
    if not found:
        return None
    least, most, where, grouping = found
    robust, phe = _ratios(least, most, result["measure"]["kind"])
    return robust, phe, where, grouping


def gap(result: dict) -> dict | None:
    """The headline comparison the words make: the least against the most deprived fifth
    (national quintiles, else quintiles within the city), as ``ratio`` (clustering-aware,
    what the sentence follows) and ``phe`` (PHE's, every row independent)."""
    found = _gap(result)
    if not found:
        return None
    robust, phe, where, grouping = found
    return {"grouping": grouping, "where": where, "compares": "least / most deprived fifth",
            "ratio": robust.as_dict(), "phe": phe.as_dict() if phe is not None else None}


def _ratio(d: dict | None) -> compare.Ratio | None:
    """A ratio back from its JSON form (None for a missing limit becomes NaN)."""
    if d is None:
        return None
    return compare.Ratio(*(np.nan if d[k] is None else d[k] for k in ("ratio", "low", "high")))


def _deprivation_gap(result: dict) -> str | None:
    found = _gap(result)
    if not found:
        return None
    ratio, phe, where, _ = found
    m = result["measure"]
    subject, verb, per = _subject(m)
    if ratio.clear:
        if ratio.ratio >= 1:
            return _ratio_sentence(subject, verb, per, ratio, "least", "most", where, m)
        return _ratio_sentence(subject, verb, per, _inverted(ratio), "most", "least", where, m)
    if not np.isfinite(ratio.low):
        interval = ("there are too few to compare" if m["kind"] != "value" else
                    "the values cannot be compared as a ratio")
    else:
        flip = 0 < ratio.ratio < 1  # said the way round that gives a ratio above 1
        said = _inverted(ratio) if flip else ratio
        ends = ("most", "least") if flip else ("least", "most")
        interval = (f"the ratio of the {ends[0]} to the {ends[1]} deprived fifth, "
                    f"{_n(said.ratio)}, has a 95% interval of {_n(said.low)} to "
                    f"{_limit(said.high)}, which includes no difference")
        if phe is not None and phe.clear:
            other = _inverted(phe) if flip else phe
            interval += (f" once we allow for {m['label']} that stand together (it would be "
                         f"{_n(other.low)} to {_limit(other.high)} if each were placed on "
                         "its own)")
    more = "higher or lower" if m["kind"] == "value" else "more or less common"
    return (f"We cannot say that {_low(subject)} {verb} {more} {per} in "
            f"the most deprived fifth of {where} than in the least deprived fifth: {interval}.")


def _inverted(ratio: compare.Ratio) -> compare.Ratio:
    """The same comparison the other way round: 1/r with its limits swapped."""
    return compare.Ratio(_inverse(ratio.ratio), _inverse(ratio.high), _inverse(ratio.low))


def _inverse(x: float) -> float:
    """1/x, with 1/0 = infinity and 1/infinity = 0."""
    return np.inf if x == 0 else 0.0 if not np.isfinite(x) else 1 / x


def _limit(x: float) -> str:
    return "infinity" if not np.isfinite(x) else _n(x)


def _ratio_sentence(subject: str, verb: str, per: str, ratio, high_end: str, low_end: str,
                    where: str, m: dict) -> str:
    """"<subject> are R times as common <per> in the <high_end> deprived fifth ... (interval)"."""
    size = "high" if m["kind"] == "value" else "common"
    if not np.isfinite(ratio.ratio):  # none at all in the other fifth
        return (f"There are {m['label']} in the {high_end} deprived fifth of {where} but none in "
                f"the {low_end} deprived fifth; {per} they are at least {_n(ratio.low)} times as "
                f"{size} there (95% lower limit).")
    return (f"{subject} {verb} {_n(ratio.ratio)} times as {size} {per} in the {high_end} "
            f"deprived fifth of {where} as in the {low_end} deprived fifth (95% interval "
            f"{_n(ratio.low)} to {_limit(ratio.high)}).")


def _gradient(result: dict) -> str | None:
    table = result.get("deprivation", {}).get("tables", {}).get("imd-decile")
    if not table or not table.get("slope"):
        return None
    s = table["slope"]
    if s.get("sii") is None or s.get("sii_low") is None:
        return None
    unit = table["unit"]
    span = f"{_n(s['sii_low'])} to {_n(s['sii_high'])}"
    subject, verb, per = _subject(result["measure"])
    if s["sii_low"] > 0 or s["sii_high"] < 0:
        where = "less" if s["sii"] > 0 else "more"
        size = "higher" if result["measure"]["kind"] == "value" else "more common"
        return (f"Across the ten national deprivation deciles, {_low(subject)} {verb} {size} "
                f"{per} in {where} deprived neighbourhoods: the slope "
                f"index of inequality is {_n(s['sii'])} {unit} from the most to the least "
                f"deprived end (95% interval {span}).")
    return (f"Across the ten national deprivation deciles there is no clear gradient: the slope "
            f"index of inequality, {_n(s['sii'])} {unit}, has a 95% interval ({span}) that "
            "includes zero.")


def _influence(result: dict) -> str | None:
    """"One neighbourhood, N, holds 30% of the charge points; without it ..." when one area
    holds more than a fifth of the measure (``clustering.INFLUENCE_SHARE``)."""
    found = result.get("influence")
    if not found or not found.get("flagged"):
        return None
    m = result["measure"]
    text = (f"One neighbourhood, {found['name']}, holds {_pct(found['share'])} of the "
            f"{m['label'] if m['kind'] == 'count' else m['unit']}")
    without = found.get("without") or {}
    parts = []
    ratio = _ratio((without.get("gap") or {}).get("ratio"))
    full = _ratio((result.get("deprivation", {}).get("gap") or {}).get("ratio"))
    if ratio is not None and np.isfinite(ratio.ratio) and ratio.ratio > 0:
        # the same way round as the headline sentence (the ratio above 1 in the full data)
        flip = full is not None and 0 < full.ratio < 1
        said = _inverted(ratio) if flip else ratio
        ends = ("most", "least") if flip else ("least", "most")
        parts.append(f"the {ends[0]} deprived fifth would have {_n(said.ratio)} times the rate "
                     f"of the {ends[1]} deprived fifth (95% interval {_n(said.low)} to "
                     f"{_limit(said.high)})")
    slope = without.get("slope") or {}
    if slope.get("sii") is not None and slope.get("sii_low") is not None:
        parts.append(f"the slope index of inequality would be {_n(slope['sii'])} "
                     f"{without.get('unit', '')} ({_n(slope['sii_low'])} to "
                     f"{_n(slope['sii_high'])})".replace("  ", " "))
    if parts:
        text += "; without it, " + " and ".join(parts)
    return text + "."


def _disparity(result: dict) -> str | None:
    section = result.get("disparity")
    if not section or not section["points"]:
        return None
    # the q-values the tables show: Benjamini–Hochberg over every group of every table
    tested = [(table["universe"], g) for table in section["tables"] for g in table["groups"]
              if g["p_value"] is not None]
    q_values = [g.get("q_value") for _, g in tested]
    if None in q_values:
        q_values = list(stats.bh_adjust([g["p_value"] for _, g in tested]))
    best = None
    for (universe, g), q in zip(tested, q_values, strict=True):
        if universe != "residents" or g["low_pp"] is None:
            continue
        clear = q < 0.05 and (g["low_pp"] > 0 or g["high_pp"] < 0)
        if clear and (best is None or abs(g["difference_pp"]) > abs(best["difference_pp"])):
            best = g
    label = result["measure"]["label"]
    are = "happen" if _incident(result["measure"]) else "are"
    if best is None:
        return (f"No group of residents counted by the Census has a share where {label} {are} "
                f"that clearly differs from its share across the city, once we allow for testing "
                f"{len(tested)} groups.")
    more = "more" if best["difference_pp"] > 0 else "fewer"
    return (f"Where {label} {are}, {_pct(best['data_share'])} of residents are in the group "
            f"“{best['group']}”, against {_pct(best['city_share'])} across the city: "
            f"{abs(best['difference_pp']):.1f} percentage points {more} (95% interval "
            f"{best['low_pp']:+.1f} to {best['high_pp']:+.1f}; clear after allowing for testing "
            f"{len(tested)} groups).")


def _access(result: dict) -> str | None:
    """Services: the share of residents within 800 m of the nearest, and the group that is
    least often that close (who it reaches). Incidents: the share living within 800 m of one,
    and the group most often that close (where it happens)."""
    section = result.get("access")
    if not section:
        return None
    everyone = section["all"]["within"].get("800")
    residents = section["all"].get("residents") or 0
    if everyone is None:
        return None
    incident = _incident(result["measure"])
    furthest = None
    for table in section["tables"]:
        if table["universe"] != "residents":
            continue
        for g in table["groups"]:
            share = g["within"].get("800")
            big_enough = g["residents"] and g["residents"] >= 0.01 * residents
            if share is None or not big_enough:
                continue
            if furthest is None or (share > furthest[1] if incident else share < furthest[1]):
                furthest = (g["group"], share)
    m = result["measure"]
    if incident:
        text = (f"{_pct(everyone)} of residents live within 800 metres, in a straight line, of "
                f"at least one of the {m['label']}")
    else:
        text = (f"{_pct(everyone)} of residents live within 800 metres, in a straight line, of "
                f"the nearest {m.get('singular') or 'of the ' + m['label']}")
    if furthest and abs(everyone - furthest[1]) >= 0.02:  # a gap of 2 points is worth saying
        text += (f"; for the group “{furthest[0]}” it is {_pct(furthest[1])}, the "
                 f"{'highest' if incident else 'lowest'} of the groups that make up at least "
                 "1% of residents")
    return text + "."
