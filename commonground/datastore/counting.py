"""The SQL passes behind type inference: count, per column, the values that fit each type.

:mod:`.inference` decides types from these counts; this module only counts, always with
whole-column SQL (one aggregate query per group of :data:`COLUMNS_PER_QUERY` columns):

- :func:`count_candidates`: every candidate type and format of every column, over ``raw`` or
  over a sample of it (:func:`sample_source`). About 16 regex-gated expressions a column.
- :func:`check_hypotheses`: only one (type, format) per column, the narrowest that every
  sampled value fits, plus the few counts the rules need besides it (leading zeros, whole
  numbers, UTC offsets, the other reading of a day/month date). Counts that can come from
  the typed table, already built with the same expression, are read from it.
- :func:`first_bad_values`: the first offending rows of the columns that have any.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commonground.datastore.report import BadValue
from commonground.datastore.sqlquote import identifier
from commonground.datastore.typesql import (
    BLANKS,
    INTEGER_RE,
    ISO_ZONED_RE,
    clean_matches_sql,
    clean_sql,
    cleaned_raw,
    could_fit_sql,
    date_shaped_sql,
    first_is,
    is_value_sql,
    matches_sql,
    typed_from_text_sql,
    typed_sql,
)

# Columns per aggregate query. Storage is columnar, so several groups cost about the same as
# one scan; the bound only keeps each SQL statement a reasonable size (Limits.max_columns
# allows 1,000 columns, each with ~16 aggregates).
COLUMNS_PER_QUERY = 64

# The sample types are first inferred on: the first SAMPLE_HEAD_ROWS rows and about
# SAMPLE_SPREAD_ROWS more spread over the rest, picked by a hash of the row number (the same
# rows every time). A table no larger than both together is its own sample. Its size changes
# only the speed, never a result: counting every candidate costs ~3 us a row on 2 cores
# (plus ~35 ms to plan the query), and a column the sample misreads costs one confirming
# pass and then the full count for that column.
SAMPLE_HEAD_ROWS = 10_000
SAMPLE_SPREAD_ROWS = 20_000
_SAMPLE_SEED = 2021

# Whole numbers written with leading zeros ("007"): identifiers, so the column stays string.
LEADING_ZERO_RE = r"[+-]?0[0-9]+"
_LEADING_ZERO_FIRSTS = "+-0"  # what a text matching it begins with
# Longest whole number, in characters, that always fits BIGINT (max 9223372036854775807).
_BIGINT_SAFE_LENGTH = 18


@dataclass
class Counts:
    """One column's counts: how many values fit each (type, format), and the rules' extras."""

    present: int  # non-NULL cells, null tokens included
    values: int  # cells that are neither NULL nor a null token
    fits: dict[tuple[str, str | None], int] = field(default_factory=dict)
    leading_zeros: int = 0
    too_big: int = 0  # whole numbers outside BIGINT
    zoned: int = 0  # ISO date-times with a UTC offset
    could_fit: int = 0  # values that might fit some type (:func:`.typesql.could_fit_sql`)


@dataclass(frozen=True)
class Hypothesis:
    """What one column is expected to be, and which counts confirm it on the whole column.

    type "string": a text column, confirmed by ``could_fit`` when ``could_fit`` is set (a
    declared string column needs no confirming). Else ``(type, format)`` must fit every
    value; ``also`` lists other formats of the type to count.
    """

    type: str
    format: str | None = None
    also: tuple[str, ...] = ()
    leading_zeros: bool = False
    whole: bool = False  # count integers and too-big whole numbers
    zoned: bool = False
    could_fit: bool = False


def _too_big_sql(x: str) -> str:
    return (f"strlen({x}) > {_BIGINT_SAFE_LENGTH} AND {matches_sql(x, INTEGER_RE)} "
            f"AND TRY_CAST(replace({x}, ',', '') AS BIGINT) IS NULL")


def _groups(indexes: list[int]) -> list[list[int]]:
    return [indexes[s:s + COLUMNS_PER_QUERY] for s in range(0, len(indexes), COLUMNS_PER_QUERY)]


def sample_source(con) -> tuple[int, str | None]:
    """The number of rows in ``raw``, and SQL for the sample of it to infer on (None when the
    whole table is small enough). Rows are picked by ``_row``: a data column may be called
    ``rowid``, which hides DuckDB's own."""
    rows, first = con.execute("SELECT count(*), min(_row) FROM raw").fetchone()
    if rows <= SAMPLE_HEAD_ROWS + SAMPLE_SPREAD_ROWS:
        return rows, None
    every = max(1, (rows - SAMPLE_HEAD_ROWS) // SAMPLE_SPREAD_ROWS)
    return rows, (f"(SELECT * FROM raw WHERE _row < {first + SAMPLE_HEAD_ROWS} "
                  f"OR hash(_row + {_SAMPLE_SEED}) % {every} = 0)")


def count_candidates(con, columns: list[str], indexes: list[int],
                     wanted: list[list[tuple[str, str | None]]], infer: list[bool],
                     source: str = "raw") -> dict[int, Counts]:
    """Count, for each column in ``indexes``, the values fitting each of its ``wanted``
    (type, format) candidates, plus the rules' extras where ``infer``. Over ``source``."""
    results: dict[int, Counts] = {}
    for group in _groups(indexes):
        aggs, layout = [], []  # layout: per column, the keys of its aggregates in order
        for i in group:
            c, x = f"c{i}", f"x{i}"
            keys: list[str | tuple[str, str | None]] = ["present", "values"]
            aggs += [f"count({c})", f"count({x})"]
            for type_, fmt in wanted[i]:
                keys.append((type_, fmt))
                typed = typed_sql(x, type_, fmt)
                if type_ in ("date", "datetime"):
                    typed = f"CASE WHEN d{i} THEN {typed} END"
                aggs.append(f"count({typed})")
            if infer[i]:
                keys += ["leading_zeros", "too_big", "zoned"]
                aggs += [f"count_if({matches_sql(x, LEADING_ZERO_RE)})",
                         f"count_if({_too_big_sql(x)})",
                         f"count_if(d{i} AND {matches_sql(x, ISO_ZONED_RE)})"]
            layout.append((i, keys))
        sql = f"SELECT {', '.join(aggs)} FROM {cleaned_raw(columns, group, source=source)}"
        results.update(_unpack(con.execute(sql).fetchone(), layout))
    return results


def _unpack(row, layout) -> dict[int, Counts]:
    results, pos = {}, 0
    for i, keys in layout:
        values = dict(zip(keys, row[pos:pos + len(keys)], strict=True))
        pos += len(keys)
        counts = Counts(present=values.pop("present"), values=values.pop("values"))
        for extra in ("leading_zeros", "too_big", "zoned", "could_fit"):
            setattr(counts, extra, values.pop(extra, 0))
        counts.fits = values
        results[i] = counts
    return results


def check_hypotheses(con, columns: list[str], hypotheses: dict[int, Hypothesis],
                     in_typed: set[int]) -> dict[int, Counts]:
    """Count, over the whole of ``raw``, what confirms or refutes each column's hypothesis.

    For the columns in ``in_typed`` the table ``typed`` already holds the hypothesis' typed
    values (NULL where a value does not fit), so its fits are counted there, not computed.
    """
    in_typed = {i for i in in_typed if i in hypotheses and hypotheses[i].type != "string"}
    results: dict[int, Counts] = {}
    for group in _groups(sorted(hypotheses)):
        inner, aggs, layout = [], [], []
        for i in group:
            h, c = hypotheses[i], f"c{i}"
            inner.append(f"{identifier(columns[i])} AS {c}")
            keys: list[str | tuple[str, str | None]] = ["present", "values"]
            aggs += [f"count({c})", f"count_if({is_value_sql(c)})"]
            probes = [] if h.type == "string" else [(h.type, f) for f in (h.format, *h.also)]
            probes += [("integer", None)] if h.whole else []
            for k, (type_, fmt) in enumerate(probes):
                if k == 0 and i in in_typed:
                    continue  # counted from the typed table below
                inner.append(f"{typed_sql(c, type_, fmt)} AS a{i}_{k}")
                keys.append((type_, fmt))
                aggs.append(f"count({typed_from_text_sql(c, f'a{i}_{k}', type_, fmt)})")
            extras = {  # CASE, not AND: only CASE skips the costly test for most rows
                "leading_zeros": (h.leading_zeros,
                                  f"CASE WHEN {first_is(c, BLANKS + _LEADING_ZERO_FIRSTS)} "
                                  f"THEN {clean_matches_sql(c, LEADING_ZERO_RE)} END"),
                "too_big": (h.whole, f"CASE WHEN strlen({c}) > {_BIGINT_SAFE_LENGTH} "
                            f"THEN {_too_big_sql(clean_sql(c))} END"),
                "zoned": (h.zoned, clean_matches_sql(c, ISO_ZONED_RE)),
                "could_fit": (h.could_fit, could_fit_sql(c)),
            }
            for key, (wanted, condition) in extras.items():
                if wanted:
                    keys.append(key)
                    aggs.append(f"count_if({condition})")
            layout.append((i, keys))
        row = con.execute(f"SELECT {', '.join(aggs)} FROM (SELECT {', '.join(inner)} FROM raw)"
                          ).fetchone()
        results.update(_unpack(row, layout))
    for group in _groups(sorted(in_typed)):
        aggs = [f"count({identifier(columns[i])})" for i in group]
        row = con.execute(f"SELECT {', '.join(aggs)} FROM typed").fetchone()
        for i, fits in zip(group, row, strict=True):
            h = hypotheses[i]
            results[i].fits[(h.type, h.format)] = fits
    return results


def first_bad_values(con, columns: list[str], bad: dict[int, tuple[str, str | None]],
                     limit: int) -> dict[int, list[BadValue]]:
    """The first ``limit`` values (in row order) of each column in ``bad`` that do not fit its
    (type, format), with their rows: one query for all. A date column's impossible dates
    (:func:`impossible_dates`) are not among them."""
    if not bad or limit <= 0:
        return {}
    indexes = sorted(bad)
    aggs = []
    for i in indexes:
        c, x = f"c{i}", f"x{i}"
        typed = typed_sql(x, *bad[i])
        not_a_day = (f" AND NOT coalesce({date_shaped_sql(x, *bad[i])}, false)"
                     if bad[i][0] in ("date", "datetime") else "")
        aggs.append(f"min_by(struct_pack(r := _r, v := {c}), _r, {int(limit)}) "
                    f"FILTER (WHERE {x} IS NOT NULL AND ({typed}) IS NULL{not_a_day})")
    source = cleaned_raw(columns, indexes, with_row=True)
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {source}").fetchone()
    found = {}
    for i, values in zip(indexes, row, strict=True):
        values = sorted(values or [], key=lambda s: s["r"])
        found[i] = [BadValue(row=int(s["r"]), value=s["v"]) for s in values]
    return found


def impossible_dates(con, columns: list[str], dates: dict[int, tuple[str, str]],
                     limit: int) -> dict[int, tuple[int, list[BadValue]]]:
    """Per date or date-time column in ``dates`` (index -> (type, format)): how many values are
    written as its format writes a date but name no day (:func:`.typesql.date_shaped_sql`:
    "0000-00-00", "2021-02-30"), and the first ``limit`` of them with their rows. One query."""
    if not dates:
        return {}
    indexes = sorted(dates)
    aggs = []
    for i in indexes:
        c, x = f"c{i}", f"x{i}"
        where = (f"{x} IS NOT NULL AND ({typed_sql(x, *dates[i])}) IS NULL "
                 f"AND coalesce({date_shaped_sql(x, *dates[i])}, false)")
        aggs += [f"count(*) FILTER (WHERE {where})",
                 f"min_by(struct_pack(r := _r, v := {c}), _r, {max(int(limit), 1)}) "
                 f"FILTER (WHERE {where})"]
    source = cleaned_raw(columns, indexes, with_row=True)
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {source}").fetchone()
    found = {}
    for n, i in enumerate(indexes):
        count, values = row[2 * n], sorted(row[2 * n + 1] or [], key=lambda s: s["r"])
        found[i] = (int(count), [BadValue(row=int(s["r"]), value=s["v"])
                                 for s in values[:max(int(limit), 0)]])
    return found
