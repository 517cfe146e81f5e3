"""The lens's results as flat tables: one definition for CSV downloads, the CLI and JSON.

``tables(result)`` → ``{name: (columns, rows)}``; names are stable URL parts
(``imd-decile``, ``disparity``, ``access``, ``areas`` ...). The per-area tables' rows are
``rows.LazyRows``, built a chunk at a time when read; :func:`csv_chunks` streams any table.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Sequence

import numpy as np

from commonground.datastore.export import FORMULA_START

from .deprivation import GROUPINGS
from .rows import CHUNK_ROWS, DisparityAreas, LazyRows, optional

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


def tables(result: dict) -> dict[str, tuple[list[str], Sequence[dict]]]:
    out: dict[str, tuple[list[str], Sequence[dict]]] = {}
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
        columns = ["table", "universe", "geography", "group", "data_share", "city_share", "difference_pp",
                   "low_pp", "high_pp", "null_low_pp", "null_high_pp", "p_value", "q_value"]
        rows = [{"table": t["title"], "universe": t["universe"],
                 "geography": t.get("geography"), **g}
                for t in disparity["tables"] for g in t["groups"]]
        out["disparity"] = (columns, rows)
        out["disparity-areas"] = (["table", *AREA_KEYS, "group", "group_difference_pp"],
                                  AreaGroupRows([(t["title"], t["areas"])
                                                 for t in disparity["tables"]]))
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
        out = {name: ([*columns, "filters"],
                      WithFilters(rows, used) if isinstance(rows, LazyRows)
                      else [{**row, "filters": used} for row in rows])
               for name, (columns, rows) in out.items()}
    return out


#: The columns of an area's disparity row repeated on each of its groups' rows.
AREA_KEYS = ("code", "name", "points", "data_share", "population_share", "difference_pp",
             "low_pp", "high_pp", "p_value", "q_value")


class AreaGroupRows(LazyRows):
    """The ``disparity-areas`` table: for each Census table (title, its per-area rows), one
    row per area and group (one row, group "", for an area whose figures are hidden), built
    a few thousand at a time: England's is 2 million rows, 356 MB of CSV."""

    def __init__(self, tables: list[tuple[str, Sequence[dict]]]):
        self.tables = tables

    def __len__(self) -> int:
        return sum(_group_rows(areas) for _, areas in self.tables)

    def chunks(self) -> Iterator[list[dict]]:
        for title, areas in self.tables:
            for chunk in _area_chunks(areas):
                yield self._rows(title, chunk)

    def cell_chunks(self, columns: list[str]) -> Iterator[list[list]]:
        """CSV cells (:func:`_cell`) of ``columns``, built column by column from the kept
        columns (the rows :meth:`chunks` gives, written as :func:`write_csv` writes them)."""
        for title, areas in self.tables:
            if not isinstance(areas, DisparityAreas):
                for chunk in _area_chunks(areas):
                    yield [[_cell(r.get(k)) for k in columns]
                           for r in self._rows(title, chunk)]
                continue
            step = max(1, CHUNK_ROWS // max(len(areas.labels), 1))
            for start in range(0, len(areas), step):
                yield _disparity_cells(title, areas, start, min(start + step, len(areas)),
                                       columns)

    @staticmethod
    def _rows(title: str, chunk: list[dict]) -> list[dict]:
        return [{"table": title, **{k: a.get(k) for k in AREA_KEYS}, "group": group,
                 "group_difference_pp": diff}
                for a in chunk for group, diff in (a.get("groups") or {"": None}).items()]


def _group_rows(areas: Sequence[dict]) -> int:
    """Rows of the ``disparity-areas`` table for one Census table's areas."""
    if isinstance(areas, DisparityAreas):
        one = areas.hidden | (len(areas.labels) == 0)
        return int(one.sum()) + int((~one).sum()) * len(areas.labels)
    return sum(len(a.get("groups") or {"": None}) for a in areas)


def _area_chunks(areas: Sequence[dict]) -> Iterator[list[dict]]:
    if isinstance(areas, DisparityAreas):  # a chunk of areas: CHUNK_ROWS rows or so
        step = max(1, CHUNK_ROWS // max(len(areas.labels), 1))
        for start in range(0, len(areas), step):
            yield areas.build(start, min(start + step, len(areas)))
    else:
        for start in range(0, len(areas), CHUNK_ROWS):
            yield list(areas[start:start + CHUNK_ROWS])


def _disparity_cells(title: str, a: DisparityAreas, start: int, stop: int,
                     columns: list[str]) -> list[list]:
    """Areas ``start:stop`` of one table's rows as ``disparity-areas`` CSV cells."""
    s = slice(start, stop)
    n_groups = len(a.labels)
    one = a.hidden[s] | (n_groups == 0)  # one row, group "": hidden figures or no groups
    counts = np.where(one, 1, n_groups)
    area = np.repeat(np.arange(stop - start), counts)  # each row's area in the chunk
    within = np.arange(len(area)) - np.repeat(np.cumsum(counts) - counts, counts)
    single = one[area]
    hidden = a.hidden[s]

    def per_area(values) -> list:
        column = np.empty(stop - start, dtype=object)
        column[:] = values
        return column[area].tolist()

    def shown(x: np.ndarray) -> list:  # None where the area's figures are hidden
        return per_area([None if h else v for h, v in zip(hidden.tolist(), optional(x),
                                                             strict=True)])

    groups = np.empty((stop - start, max(n_groups, 1)), dtype=object)
    if n_groups:
        groups[:, :n_groups] = np.array(optional(a.groups[s]), dtype=object).reshape(
            stop - start, n_groups)
    difference = groups[area, np.where(single, 0, within)]
    difference[single] = None
    labels = np.array([_cell(str(label)) for label in a.labels] + [""], dtype=object)
    cells = {"table": [_cell(title)] * len(area),
             "code": per_area([_cell(str(c)) for c in a.codes[s]]),
             "name": per_area([_cell(str(c)) for c in a.names[s]]),
             "points": per_area([None if h else n for h, n in
                                 zip(hidden.tolist(), a.points[s].astype(int).tolist(),
                                     strict=True)]),
             "data_share": shown(a.data_share[s]),
             "population_share": per_area(optional(a.population_share[s])),
             "difference_pp": shown(a.difference_pp[s]), "low_pp": shown(a.low_pp[s]),
             "high_pp": shown(a.high_pp[s]), "p_value": shown(a.p_value[s]),
             "q_value": per_area(optional(a.q_value[s])),
             "group": labels[np.where(single, n_groups, within)].tolist(),
             "group_difference_pp": difference.tolist()}
    empty = [None] * len(area)
    return [list(row) for row in zip(*(cells.get(k, empty) for k in columns), strict=True)]


class WithFilters(LazyRows):
    """Lazy rows with a ``filters`` column: the row filters the lens counted with."""

    def __init__(self, rows: LazyRows, used: str):
        self.rows, self.used = rows, used

    def __len__(self) -> int:
        return len(self.rows)

    def chunks(self) -> Iterator[list[dict]]:
        for chunk in self.rows.chunks():
            yield [{**row, "filters": self.used} for row in chunk]

    def cell_chunks(self, columns: list[str]) -> Iterator[list[list]]:
        if columns[-1:] != ["filters"] or "filters" in columns[:-1]:
            yield from _dict_cells(self, columns)
            return
        used = _cell(self.used)
        for cells in _cell_chunks(columns[:-1], self.rows):
            yield [[*row, used] for row in cells]


def _dict_cells(rows, columns: list[str]) -> Iterator[list[list]]:
    chunks = (rows.chunks() if isinstance(rows, LazyRows)
              else (rows[i:i + CHUNK_ROWS] for i in range(0, len(rows), CHUNK_ROWS)))
    for chunk in chunks:
        yield [[_cell(row.get(k)) for k in columns] for row in chunk]


def _cell_chunks(columns: list[str], rows) -> Iterator[list[list]]:
    cell_chunks = getattr(rows, "cell_chunks", None)
    return cell_chunks(columns) if cell_chunks is not None else _dict_cells(rows, columns)


def _access_row(table: str, g: dict, bands: list[str]) -> dict:
    row = {"table": table, "group": g["group"], "residents": g["residents"],
           "mean_distance_m": g["mean_distance_m"]}
    for b in bands:
        row[f"within_{b}m"] = g["within"].get(b)
    return row


def write_csv(out, columns: list[str], rows: Sequence[dict]) -> None:
    """One table as CSV to the text stream ``out``: empty for None, nested values as JSON,
    and text a spreadsheet would run as a formula prefixed with ``'`` (the rule of
    ``datastore.export``; Census labels such as "-1 (overcrowded)" would otherwise be one)."""
    for text in csv_chunks(columns, rows):
        out.write(text)


def csv_chunks(columns: list[str], rows: Sequence[dict]) -> Iterator[str]:
    """:func:`write_csv`'s text a few thousand rows at a time (to stream a long table)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    for cells in _cell_chunks(columns, rows):
        writer.writerows(cells)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value
