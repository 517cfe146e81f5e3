"""The lens's results as flat tables: one definition for CSV downloads, the CLI and JSON.

``tables(result)`` → ``{name: (columns, rows)}``; names are stable URL parts
(``imd-decile``, ``disparity``, ``access``, ``areas`` ...).
"""

from __future__ import annotations

import csv
import json
import re

from commonground.datastore.export import FORMULA_START

from .deprivation import GROUPINGS

GROUP_COLUMNS = ["group", "label", "areas", "residents", "measure", "value", "low", "high",
                 "low_998", "high_998", "phe_low", "phe_high", "phe_low_998", "phe_high_998",
                 "dispersion", "effective", "dispersion_from", "suppressed"]
#: PHE's slope indices from its own intervals (every row an independent event), beside the
#: clustering-aware ones the sentences follow.
PHE_SLOPE = ["sii", "sii_low", "sii_high", "rii", "rii_low", "rii_high"]
SLOPE_COLUMNS = ["grouping", "sii", "sii_low", "sii_high", "rii", "rii_low", "rii_high",
                 "concentration", "concentration_low", "concentration_high", "sii_low_998",
                 "sii_high_998", "rii_low_998", "rii_high_998", "concentration_low_998",
                 "concentration_high_998", "intercept", "transform", "transform_reason",
                 "rii_note", "left_out", "draws", *(f"phe_{k}" for k in PHE_SLOPE)]


def table_names(result: dict) -> list[str]:
    """The names ``tables(result)`` would give, in its order, without building any row (a
    national result's per-area tables run to hundreds of thousands of rows)."""
    names = []
    dep = result.get("deprivation")
    if dep:
        names += [g for g in GROUPINGS if dep["tables"].get(g)] + ["slope"]
    if result.get("disparity"):
        names += ["disparity", "disparity-areas"]
    names += [name for name in ("access", "where") if result.get(name)]
    return [("areas" if name == "where" else name) for name in names]


def tables(result: dict) -> dict[str, tuple[list[str], list[dict]]]:
    out: dict[str, tuple[list[str], list[dict]]] = {}
    dep = result.get("deprivation")
    if dep:
        for grouping in GROUPINGS:
            table = dep["tables"].get(grouping)
            if table:
                out[grouping] = (GROUP_COLUMNS, table["rows"])
        out["slope"] = (SLOPE_COLUMNS, [
            {"grouping": g, **(t["slope"] or {}),
             **{f"phe_{k}": (t.get("slope_phe") or {}).get(k) for k in PHE_SLOPE}}
            for g, t in dep["tables"].items()])
    disparity = result.get("disparity")
    if disparity:
        columns = ["table", "universe", "group", "data_share", "city_share", "difference_pp",
                   "low_pp", "high_pp", "null_low_pp", "null_high_pp", "p_value", "q_value"]
        rows = [{"table": t["title"], "universe": t["universe"], **g}
                for t in disparity["tables"] for g in t["groups"]]
        out["disparity"] = (columns, rows)
        area_rows = []
        for t in disparity["tables"]:
            for a in t["areas"]:
                base = {k: a.get(k) for k in ("code", "name", "points", "data_share",
                                              "population_share", "difference_pp", "low_pp",
                                              "high_pp", "p_value", "q_value")}
                for group, diff in (a.get("groups") or {"": None}).items():
                    area_rows.append({"table": t["title"], **base, "group": group,
                                      "group_difference_pp": diff})
        out["disparity-areas"] = (["table", "code", "name", "points", "data_share",
                                   "population_share", "difference_pp", "low_pp", "high_pp",
                                   "p_value", "q_value", "group", "group_difference_pp"],
                                  area_rows)
    access = result.get("access")
    if access:
        bands = [str(int(t)) for t in access["thresholds_m"]]
        columns = ["table", "group", "residents", *[f"within_{b}m" for b in bands],
                   "mean_distance_m"]
        rows = [_access_row("All residents", access["all"], bands)]
        rows += [_access_row(t["title"], g, bands) for t in access["tables"] for g in t["groups"]]
        out["access"] = (columns, rows)
    where = result.get("where")
    if where:
        out["areas"] = (["code", "name", "residents", "measure", "value", "class", "spot",
                         "suppressed"], where["areas"])
    used = "; ".join((result.get("measure") or {}).get("filters") or [])
    if used:  # every table says which rows it counts, wherever it is taken
        out = {name: ([*columns, "filters"], [{**row, "filters": used} for row in rows])
               for name, (columns, rows) in out.items()}
    return out


def _access_row(table: str, g: dict, bands: list[str]) -> dict:
    row = {"table": table, "group": g["group"], "residents": g["residents"],
           "mean_distance_m": g["mean_distance_m"]}
    for b in bands:
        row[f"within_{b}m"] = g["within"].get(b)
    return row


def write_csv(out, columns: list[str], rows: list[dict]) -> None:
    """One table as CSV to the text stream ``out``: empty for None, nested values as JSON,
    and text a spreadsheet would run as a formula prefixed with ``'`` (the rule of
    ``datastore.export``; Census labels such as "-1 (overcrowded)" would otherwise be one)."""
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in columns})


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value
