"""Three to five sentences a volunteer can read aloud, generated from the lens's numbers.

Every comparison is said with its 95% interval, and a difference is only claimed when the
interval excludes "no difference" (a ratio of 1, a slope of 0). When it does not, the sentence
says we cannot tell. Numbers hidden by disclosure control are never quoted.
"""

from __future__ import annotations

import numpy as np

from . import compare


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


def bh_adjust(p_values: list[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (false discovery rate), in the input order."""
    n = len(p_values)
    order = sorted(range(n), key=lambda i: p_values[i])
    adjusted = [1.0] * n
    running = 1.0
    for rank in range(n, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * n / rank)
        adjusted[i] = running
    return adjusted


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def summarise(result: dict) -> list[str]:
    sentences = [_overview(result)]
    for part in (_deprivation_gap, _gradient, _disparity, _access):
        sentence = part(result)
        if sentence:
            sentences.append(sentence)
    return sentences[:5]


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
    noun = m["label"] if inside != 1 else "row"
    if m["kind"] == "weight":
        text = (f"The data places {inside:,} rows of {m['label']} in {where}, with "
                f"{_n(m['total'])} {m['unit']} in all")
    else:
        text = f"The data places {inside:,} {noun} in {where}"
    if m.get("rate") is not None:
        per = "per 1,000 residents" if m["kind"] == "count" else f"{m['unit']} per 1,000 residents"
        text += f": {_n(m['rate'])} {per}"
    return text + "."


def _subject(m: dict) -> tuple[str, str, str]:
    """(what is compared, verb, 'per resident' or 'on average') for a measure."""
    if m["kind"] == "count":
        return _cap(m["label"]), "are", "per resident"
    if m["kind"] == "weight":
        return f"{_cap(m['label'])} (counted in {m['unit']})", "are", "per resident"
    return _cap(m["label"]), "is", "on average"


def _low(text: str) -> str:
    """Lower-case the first letter unless it starts an acronym ("GP practices")."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _quintiles(result: dict) -> tuple[dict, dict, str] | None:
    tables = result.get("deprivation", {}).get("tables", {})
    for grouping, where in (("imd-quintile", "neighbourhoods in England"),
                            ("city-quintile", f"neighbourhoods in {result['city']['name']}")):
        rows = tables.get(grouping, {}).get("rows", [])
        if len(rows) == 5 and rows[0]["residents"] and rows[4]["residents"]:
            if not rows[0]["suppressed"] and not rows[4]["suppressed"]:
                return rows[4], rows[0], where
    return None


def _deprivation_gap(result: dict) -> str | None:
    found = _quintiles(result)
    if not found:
        return None
    least, most, where = found
    m = result["measure"]
    if m["kind"] == "count":
        ratio = compare.count_rate_ratio(least["measure"], least["residents"], most["measure"],
                                         most["residents"])
    else:
        ratio = compare.lognormal_ratio(least["value"], least["low"], least["high"],
                                        most["value"], most["low"], most["high"])
    subject, verb, per = _subject(m)
    if ratio.clear:
        if ratio.ratio >= 1:
            return _ratio_sentence(subject, verb, per, ratio, "least", "most", where, m)
        inverse = compare.Ratio(_inverse(ratio.ratio), _inverse(ratio.high),
                                _inverse(ratio.low))
        return _ratio_sentence(subject, verb, per, inverse, "most", "least", where, m)
    interval = (f"the 95% interval for the ratio, {_n(ratio.low)} to {_limit(ratio.high)}, "
                "includes no difference" if np.isfinite(ratio.low) else
                "there are too few to compare" if m["kind"] != "value" else
                "the values cannot be compared as a ratio")
    more = "higher or lower" if m["kind"] == "value" else "more or less common"
    return (f"We cannot say that {_low(subject)} {verb} {more} {per} in "
            f"the most deprived fifth of {where} than in the least deprived fifth: {interval}.")


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


def _disparity(result: dict) -> str | None:
    section = result.get("disparity")
    if not section or not section["points"]:
        return None
    candidates = [g for table in section["tables"] if table["universe"] == "residents"
                  for g in table["groups"]
                  if g["p_value"] is not None and g["low_pp"] is not None]
    adjusted = bh_adjust([g["p_value"] for g in candidates])
    best = None
    for g, q in zip(candidates, adjusted, strict=True):
        clear = q < 0.05 and (g["low_pp"] > 0 or g["high_pp"] < 0)
        if clear and (best is None or abs(g["difference_pp"]) > abs(best["difference_pp"])):
            best = g
    label = result["measure"]["label"]
    if best is None:
        return (f"No group of residents counted by the Census has a share where {label} are "
                f"that clearly differs from its share across the city, once we allow for testing "
                f"{len(candidates)} groups.")
    more = "more" if best["difference_pp"] > 0 else "fewer"
    return (f"Where {label} are, {_pct(best['data_share'])} of residents are in the group "
            f"“{best['group']}”, against {_pct(best['city_share'])} across the city: "
            f"{abs(best['difference_pp']):.1f} percentage points {more} (95% interval "
            f"{best['low_pp']:+.1f} to {best['high_pp']:+.1f}; clear after allowing for testing "
            f"{len(candidates)} groups).")


def _access(result: dict) -> str | None:
    section = result.get("access")
    if not section:
        return None
    everyone = section["all"]["within"].get("800")
    residents = section["all"].get("residents") or 0
    if everyone is None:
        return None
    worst = None
    for table in section["tables"]:
        if table["universe"] != "residents":
            continue
        for g in table["groups"]:
            share = g["within"].get("800")
            big_enough = g["residents"] and g["residents"] >= 0.01 * residents
            if share is not None and big_enough and (worst is None or share < worst[1]):
                worst = (g["group"], share)
    label = result["measure"]["label"]
    text = (f"{_pct(everyone)} of residents live within 800 metres, in a straight line, of the "
            f"nearest of the {label}")
    if worst and everyone - worst[1] >= 0.02:  # a gap of 2 points or more is worth saying
        text += (f"; for the group “{worst[0]}” it is {_pct(worst[1])}, the lowest of the "
                 "groups that make up at least 1% of residents")
    return text + "."
