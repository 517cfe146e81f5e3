"""The method note: formulas, data versions and choices, in plain paragraphs."""

from __future__ import annotations


def method_note(result: dict, city, measure, dep, options) -> list[dict]:
    """Titled paragraphs saying exactly how every number in ``result`` was made."""
    notes = []
    what = {"count": "the number of rows",
            "weight": f"the sum of the column “{measure.column}” (empty cells count 0)",
            "value": f"the published value in the column “{measure.column}” (mean of the rows "
                     "for an area)"}[measure.kind]
    notes.append({"title": "Measure", "text": (
        f"The measure is {what} in each {city.base_geography.upper()} neighbourhood, placed by "
        f"the catalogue's place linking; {measure.rows_in_areas:,} of {measure.rows_total:,} rows "
        f"lie inside the city's neighbourhoods. Residents: {city.population_source}.")})
    if dep is not None:
        notes.append({"title": "Deprivation", "text": (
            f"{dep.title}: national deciles as published (1 = most deprived 10% in England); "
            "quintiles pair deciles (1–2, …, 9–10); deciles within the city cut the city's own "
            f"{dep.geography.upper()}s, ordered by national rank, into ten groups of nearly equal "
            f"count. Bridging: {dep.bridge}")})
    if "deprivation" in result:
        if measure.kind == "value":
            rate = ("Per group: the residents-weighted mean of the areas' values, with a 95% "
                    "interval mean ± t(0.975, n−1)·se, se = √Σw²(x−mean)² / Σw.")
        else:
            rate = ("Per group: 1,000 × measure ÷ residents. A count's interval is the exact "
                    "Poisson interval (from the chi-square distribution) below 10 events and "
                    "Byar's approximation to it from 10, as Public Health England's phe_rate; "
                    "a weighted sum gets a log-normal interval from its compound-Poisson "
                    "variance (the sum of the squared weights), so it does not depend on the "
                    "column's unit.")
        rate += (" Limits at 95% and, in the tables and downloads, at 99.8% (Public Health "
                 "England's two levels).")
        notes.append({"title": "Rates and intervals", "text": rate})
        if "units" in result:
            notes.append({"title": "Units and clustering", "text": _units(result)})
        notes.append({"title": "Slope and relative index of inequality", "text": (
            "As Public Health England's Fingertips and its phe_sii: population shares a_j, "
            "mid-point cumulative ranks b_j (from the most deprived), weighted regression "
            "√a·y = β0·√a + β1·b·√a with no intercept; SII = β1 (the fitted difference from the "
            "most to the least deprived end), RII = (β0+β1)/β0, the fitted least deprived end "
            "over the fitted most deprived end (England's definition; Scotland defines RII "
            "differently). Where that straight line, or its 99.8% interval, falls to zero or "
            "below at either end (its RII would be negative or infinite), the line is fitted "
            "to the logarithm of the rates instead (phe_sii's transform) and read back in the "
            "measure's units: SII = exp(β0+β1) − exp(β0), RII = exp(β1); when a group has none, "
            "that fit cannot be made and the RII is not given. Concentration index "
            f"C = (2/μ)·Σ a_j y_j b_j − 1. Limits: {options.repetitions:,} Monte Carlo draws "
            "of each group's value (rates on the log scale, values on the linear scale, from "
            "each group's 95% interval: for point data the clustering-aware one, with the "
            "indices from PHE's own intervals given beside them in the downloads), refitted; "
            "the limits are the draws in phe_sii's "
            "positions (the 2,500th and 97,500th of 100,000 for 95%, the 100th and 99,900th for "
            f"99.8%; seed {options.seed}). Groups with no residents, no value or no interval "
            "are left out of the fit and listed with the reason." + _fits(result))})
    if "disparity" in result:
        notes.append({"title": "Demographic disparity", "text": (
            "After the Urban Institute's Spatial Equity Data Tool: each area's share of the data "
            "d_t, each group's share of the area's residents (or households) p_{t,v}; the "
            "data-weighted share D_v = Σ d_t·p_{t,v} against the city's share S_v, in percentage "
            "points. Census 2021 is a full count, so instead of survey margins the test places "
            "points in proportion to the table's population "
            f"(multinomial, {options.draws:,} draws): the null interval and two-sided p-value come "
            "from that; the 95% interval of the difference re-draws the observed points over "
            "areas in proportion to the data. The points redrawn are the data's effective "
            "number of independent points (see Units and clustering: "
            f"{result['disparity']['points']:,} here), not its rows, so rows that stand "
            "together are not redrawn as if each were placed on its own; a weighted measure "
            "starts from Kish's effective number, (Σw)²/Σw². Per area: d_t − β_t against each "
            "baseline, with an exact binomial test (two-sided, central) on the same effective "
            "points. Every p-value shown has a q-value beside it: the Benjamini–Hochberg false "
            "discovery rate adjustment over every group of every table (and, for the areas, "
            "over every area test); the summary sentence claims a group difference only where "
            "q < 0.05." + _normal_redraws(result) + _coarse(result))})
    if "access" in result:
        a = result["access"]
        notes.append({"title": "Access by distance", "text": (
            "Straight-line distance in metres on the British National Grid from where residents "
            f"live to the nearest of all {a['facilities']:,} rows with coordinates (including any "
            "outside the city's boundary), found with a k-d tree. Residents: "
            f"{a['people_method']}. Bands: 400 m, 800 m and 1.6 km (about 5, 10 and 20 minutes' "
            "walk); mean distance weighted by residents.")})
    if "where" in result:
        c = result["where"]["classification"]
        h = result["where"]["hot_spots"]
        sampled = ""
        if c.get("sample") and c.get("values") and c["sample"] < c["values"]:
            sampled = (f" The breaks were computed on {c['sample']:,} evenly spaced values of the "
                       f"{c['values']:,} in order (smallest and largest included), since exact "
                       "natural breaks grow with the square of the areas; every area is then "
                       "placed in those classes.")
        notes.append({"title": "Map and hot spots", "text": (
            f"Map classes: {c.get('method')} with {c.get('k')} classes (mapclassify).{sampled} "
            "Hot and cold "
            f"spots: local Moran's I (esda) with queen contiguity, row-standardised weights, "
            f"{h.get('permutations')} conditional permutations and a false discovery rate of "
            f"{h.get('alpha')} (Benjamini–Hochberg)." + (
                " With this many areas each area's permutations are drawn once for all areas "
                "with the same number of neighbours (from every area's value, with "
                "replacement) and the global Moran's I is tested under randomisation "
                "(analytic), since permuting area by area grows with the areas times the "
                "permutations." if h.get("shared_permutations") else ""))})
    if "disclosure" in result:
        notes.append({"title": "Privacy", "text": result["disclosure"]["rule"] + (
            " Slope indices are withheld for a grouping with a hidden group.")})
    return notes


def _coarse(result: dict) -> str:
    """Say at which level each table published only for larger areas was compared."""
    said = []
    for level in result["disparity"].get("coarse") or []:
        word = level["word"]
        hidden = (f", {level['hidden_areas']:,} of them left out because their counts are "
                  "hidden" if level["hidden_areas"] else "")
        said.append(
            f" {'; '.join(level['tables'])}: published for {word}s only, so compared at that "
            f"level: the rows are added up to the {level['areas']:,} {word}s (each "
            f"neighbourhood counted in the {word} it lies in{hidden}), and d_t, p_{{t,v}}, the "
            f"redraws ({level['points']:,} effective points) and the tests run over the "
            f"{word}s; the table is never shared out to neighbourhoods.")
    return "".join(said)


def _normal_redraws(result: dict) -> str:
    """Say so when the redraws were the normal approximation (many areas)."""
    if result["disparity"].get("redraws") != "normal approximation":
        return ""
    return (f" With {result['city']['areas']:,} areas the multinomial redraws are replaced by "
            "their normal approximation (the central limit theorem: D_v is a mean over the "
            "points), with the multinomial's exact mean and covariance, "
            f"{result['disparity']['draws']:,} draws from it: drawing them one by one grows "
            "with the number of areas times the draws.")


def _fits(result: dict) -> str:
    """A sentence naming each grouping whose line was fitted on the log scale, or whose RII
    is not given, and why ("" when none)."""
    said = []
    for table in result["deprivation"]["tables"].values():
        slope = table.get("slope") or {}
        why = slope.get("transform_reason") or slope.get("rii_note")
        if why:
            said.append(f"{table['label']}: {why}")
    return (" Here, " + "; ".join(said) + ".") if said else ""


def _units(result: dict) -> str:
    """How the rows were counted as sites and independent events, and the influence check."""
    u = result["units"]
    text = ""
    if u.get("sites") is not None:
        text += (f"{u['rows']:,} rows stand at {u['sites']:,} sites ({u['sites_rule']} count "
                 "as one site")
        text += (f"; the largest has {u['largest_site']:,} rows). " if u.get("largest_site")
                 else "). ")
    text += (
        "PHE's intervals take every row as an independent event. Rows that stand together "
        "(a bank of charge points, sites in one retail park) vary far more between "
        "neighbourhoods than that, so for each group of neighbourhoods the lens measures the "
        "spread of its count between them: the cluster-robust variance of a ratio, each "
        "neighbourhood a cluster, V = m/(m−1)·Σ(y_i − r·n_i)², against the variance PHE "
        "assumes (the count; for a weighted sum Σw²). Their ratio φ (never below 1) is the "
        "group's quasi-Poisson scale, and the group's interval is PHE's interval for its "
        "effective count O/φ (exact below 10 effective events, Byar's from 10), scaled back; "
        "a group with no rows or one neighbourhood takes the scale pooled over the others. "
        "The ratio of two groups uses the exact conditional interval on effective counts. "
        "The sentences follow these intervals; PHE's own are given beside them, labelled. "
        f"Within {u['dispersion_within']} the pooled scale is {u['dispersion']:.3g}, so the "
        f"data is worth about {u['effective_points']:,} independent points.")
    influence = result.get("influence")
    if influence:
        text += (f" Influence: the neighbourhood with the largest share, {influence['name']} "
                 f"({influence['code']}), holds {100 * influence['share']:.0f}% of the measure")
        text += ("; above a fifth, so the headline ratio and slope index are also given "
                 "without it." if influence["flagged"] else " (a fifth or less).")
    return text
