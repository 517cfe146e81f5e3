"""Infer each column's type from a staged upload, and validate every value against it.

An upload arrives staged as a DuckDB table ``raw``: ``_row BIGINT`` (the row number the user
sees, header = row 1), the data columns as VARCHAR (empty cells already NULL), and optionally
``_geometry BLOB``. This module decides a type per data column (one of
:data:`.typesql.TYPES`) and reports the values that do not fit, as a
:class:`.report.ValidationReport`; :func:`cast_select_list` then turns ``raw`` into typed
columns.

All work is SQL over whole columns, never a Python loop over rows:

1. one aggregate pass per group of :data:`COLUMNS_PER_QUERY` columns counts, for every column,
   the values that fit each candidate type and format (``count(<typed expression>)``);
2. for the columns that end up with bad values, one more pass fetches the first
   ``Limits.max_error_rows`` offending rows (``min_by(..., _row, n)``). Their exact number is
   already known from pass 1.

The value -> typed-value expression (:func:`.typesql.typed_sql`) is the single definition of
"fits": pass 1 counts it, pass 2 filters on it and :func:`cast_select_list` selects it, so the
report and the typed table cannot disagree. A value that does not fit becomes NULL in the
typed table. :mod:`.typesql` lists the text each type accepts.

Rules, in the order they apply to a column:

- :data:`.typesql.NULL_TOKENS` ("NA", "..", "-", ...) are nulls in non-string columns, not
  bad values.
- A column declared by a typed source (Parquet, GeoJSON) keeps its declared type; a user's
  override (any column, any type) wins over both. Either way every value is still checked.
- Otherwise the column gets the narrowest type that every value fits, trying integer, number,
  boolean, date, datetime. If none does, but at least :data:`MIXED_TYPE_SHARE` of the values
  fit one type, it gets that type and the rest are bad values ("mixed types"); else string.
- Whole numbers written with leading zeros ("007", "01908") make the column string: they are
  identifiers, phone numbers or codes. "0" alone is a number.
- Whole numbers beyond BIGINT in an all-whole-number column make it string (identifiers;
  DOUBLE would silently round them).
- Dates: the format that fits most values wins; ties go to the earlier of
  :data:`.typesql.DATE_FORMATS`, so day-first beats month-first and the note says when both
  fit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from commonground.datastore.errors import IngestError, Limits
from commonground.datastore.report import BadValue, ColumnReport, ValidationReport
from commonground.datastore.typesql import (
    INTEGER_RE,
    ISO_8601,
    ISO_ZONED_RE,
    SQL_TYPES,
    TYPES,
    clean_sql,
    cleaned_raw,
    matches_sql,
    quote_identifier,
    type_formats,
    typed_sql,
)

__all__ = [
    "COLUMNS_PER_QUERY",
    "MIXED_TYPE_SHARE",
    "TYPES",
    "BadValue",
    "ColumnReport",
    "ValidationReport",
    "cast_select_list",
    "declared_type",
    "infer_and_validate",
]

# Share of a column's (non-null) values that must fit a narrower type for the column to get
# that type although some values do not ("mixed types": a count column with a few "approx 5"
# cells). The rest are reported as bad values; the user sees them and can override to string.
MIXED_TYPE_SHARE = 0.95

# Below this share of values fitting a narrower type, a text column gets no note about it.
_NEAR_MISS_SHARE = 0.5

# Columns per aggregate query. Storage is columnar, so several groups cost about the same as
# one scan; the bound only keeps each SQL statement a reasonable size (Limits.max_columns
# allows 1,000 columns, each with ~16 aggregates).
COLUMNS_PER_QUERY = 64

# Whole numbers written with leading zeros ("007"): identifiers, so the column stays string.
_LEADING_ZERO_RE = r"[+-]?0[0-9]+"
# Longest whole number, in characters, that always fits BIGINT (max 9223372036854775807).
_BIGINT_SAFE_LENGTH = 18

# Type names a typed source may declare (DuckDB, Arrow, Parquet spellings), by base name:
# the upper-cased name up to any "(", "[" or space ("DECIMAL(10,2)", "timestamp[us, tz=UTC]").
_DECLARED_NAMES = {
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                "UINTEGER", "UBIGINT", "UHUGEINT", "INT", "INT1", "INT2", "INT4", "INT8",
                "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "LONG",
                "SHORT"),
    "number": ("DOUBLE", "FLOAT", "FLOAT4", "FLOAT8", "FLOAT16", "FLOAT32", "FLOAT64", "REAL",
               "HALF_FLOAT", "DECIMAL", "DECIMAL128", "DECIMAL256", "NUMERIC"),
    "boolean": ("BOOLEAN", "BOOL", "LOGICAL"),
    "date": ("DATE", "DATE32", "DATE64"),
    "datetime": ("TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
                 "TIMESTAMP_US", "DATETIME"),
}


# --- the typed table -------------------------------------------------------------------------


def cast_select_list(report: ValidationReport) -> str:
    """The select-list that turns ``raw`` into typed columns, every column in order.

    Use as ``CREATE TABLE typed AS SELECT <list> FROM raw ORDER BY _row``. Null tokens and
    values that do not fit (the report's bad values) become NULL; string columns are copied
    unchanged.
    """
    items = ['"_row"']
    for col in report.columns:
        quoted = quote_identifier(col.name)
        if col.type == "string":
            items.append(quoted)
        else:
            typed = typed_sql(clean_sql(quoted), col.type, col.format)
            items.append(f"CAST({typed} AS {SQL_TYPES[col.type]}) AS {quoted}")
    if report.has_geometry:
        items.append('"_geometry"')
    return ", ".join(items)


# --- inference -------------------------------------------------------------------------------


def declared_type(source_type: str) -> str:
    """Our type for a typed source's declared type (ours, or a DuckDB/Arrow spelling).

    Types we cannot store natively (TIME, INTERVAL, BLOB, lists, ...) become string.
    """
    if source_type in TYPES:
        return source_type
    base = re.split(r"[(\[ ]", source_type.strip().upper(), maxsplit=1)[0]
    for ours, names in _DECLARED_NAMES.items():
        if base in names:
            return ours
    return "string"


@dataclass
class _Counts:
    """Pass-1 results for one column: how many values fit each (type, format)."""

    present: int  # non-NULL cells, null tokens included
    values: int  # cells that are neither NULL nor a null token
    fits: dict[tuple[str, str | None], int] = field(default_factory=dict)
    leading_zeros: int = 0
    too_big: int = 0  # whole numbers outside BIGINT
    zoned: int = 0  # ISO date-times with a UTC offset


def _best_format(counts: _Counts, type_: str) -> str | None:
    """The format of ``type_`` that fits most values; ties go to the earlier (preferred) one."""
    formats = type_formats(type_)
    return max(formats, key=lambda f: (counts.fits.get((type_, f), 0), -formats.index(f)))


def _infer(counts: _Counts) -> tuple[str, str | None, str | None]:
    """The (type, format, note) the counts suggest; see the module docstring for the rules."""
    n = counts.values
    if n == 0:
        return "string", None, None
    candidates = [(t, _best_format(counts, t)) for t in TYPES[:-1]]
    fit = {t: counts.fits.get((t, f), 0) for t, f in candidates}
    exact = [(t, f) for t, f in candidates if fit[t] == n]
    if exact:
        type_, fmt = exact[0]
        note = None
    else:
        type_, fmt = max(candidates, key=lambda c: fit[c[0]])  # first of equals: narrowest
        share = fit[type_] / n
        if share < MIXED_TYPE_SHARE:
            note = None
            if share >= _NEAR_MISS_SHARE:
                note = (f"kept as text: only {fit[type_]:,} of {n:,} values "
                        f"({share:.0%}) are {type_}")
            return "string", None, note
        bad = n - fit[type_]
        note = (f"mostly {type_}: {bad:,} value{'s' if bad != 1 else ''} that "
                f"{'do' if bad != 1 else 'does'} not fit {'are' if bad != 1 else 'is'} "
                f"listed; override to string to keep the column as text")
    if type_ in ("integer", "number") and counts.leading_zeros:
        return "string", None, "kept as text: values have leading zeros (identifiers)"
    whole = counts.fits.get(("integer", None), 0) + counts.too_big
    if type_ == "number" and counts.too_big and whole == counts.fits.get(("number", None), 0):
        return "string", None, "kept as text: whole numbers too large for a 64-bit integer"
    return type_, fmt, note


def _format_note(counts: _Counts, type_: str, fmt: str | None) -> str | None:
    """Tell the user how dates were read: day-first (and whether month-first also fits)."""
    if fmt is None or fmt == ISO_8601:
        if fmt == ISO_8601 and counts.zoned:
            return "times with a UTC offset converted to UTC"
        return None
    if fmt.startswith("%d"):
        note = "dates read as day/month/year"
        swapped = "%m" + fmt[2:3] + "%d" + fmt[5:]
        mine = counts.fits.get((type_, fmt), 0)
        if mine and counts.fits.get((type_, swapped), 0) >= mine:
            note += " (month/day/year would also fit every value)"
        return note
    if fmt.startswith("%m"):
        return "dates read as month/day/year"
    return None


def _check_overrides(columns: list[str], overrides: dict[str, str]) -> None:
    known = set(columns)
    for name, type_ in overrides.items():
        if name not in known:
            raise IngestError(f"cannot set the type of {name!r}: there is no such column",
                              column=name)
        if type_ not in TYPES:
            raise IngestError(f"unknown type {type_!r}; use one of {', '.join(TYPES)}",
                              column=name)


def _count_columns(con, columns: list[str], wanted: list[list[tuple[str, str | None]]],
                   infer: list[bool]) -> tuple[int, list[_Counts]]:
    """Pass 1: one aggregate query per group of columns. Returns (row count, counts)."""
    row_count = 0
    results: list[_Counts] = []
    for start in range(0, max(len(columns), 1), COLUMNS_PER_QUERY):
        group = range(start, min(start + COLUMNS_PER_QUERY, len(columns)))
        aggs = ["count(*)"]
        layout = []  # per column: list of keys in the order of its aggregates
        for i in group:
            c, x = f"c{i}", f"x{i}"
            keys = ["present", "values"]
            aggs += [f"count({c})", f"count({x})"]
            for type_, fmt in wanted[i]:
                keys.append((type_, fmt))
                typed = typed_sql(x, type_, fmt)
                if type_ in ("date", "datetime"):
                    typed = f"CASE WHEN d{i} THEN {typed} END"
                aggs.append(f"count({typed})")
            if infer[i]:
                keys += ["leading_zeros", "too_big", "zoned"]
                aggs += [
                    f"count_if({matches_sql(x, _LEADING_ZERO_RE)})",
                    f"count_if(strlen({x}) > {_BIGINT_SAFE_LENGTH} "
                    f"AND {matches_sql(x, INTEGER_RE)} "
                    f"AND TRY_CAST(replace({x}, ',', '') AS BIGINT) IS NULL)",
                    f"count_if(d{i} AND {matches_sql(x, ISO_ZONED_RE)})",
                ]
            layout.append(keys)
        row = con.execute(f"SELECT {', '.join(aggs)} FROM {cleaned_raw(columns, list(group))}"
                          ).fetchone()
        row_count = row[0]
        pos = 1
        for keys in layout:
            values = dict(zip(keys, row[pos:pos + len(keys)], strict=True))
            pos += len(keys)
            counts = _Counts(present=values.pop("present"), values=values.pop("values"))
            counts.leading_zeros = values.pop("leading_zeros", 0)
            counts.too_big = values.pop("too_big", 0)
            counts.zoned = values.pop("zoned", 0)
            counts.fits = values
            results.append(counts)
    return row_count, results


def _first_bad_values(con, columns: list[str], reports: list[ColumnReport],
                      limit: int) -> None:
    """Pass 2: fill ``bad_values`` of the columns with bad values, one query for all."""
    bad = [i for i, r in enumerate(reports) if r.bad_count and r.type != "string"]
    if not bad or limit <= 0:
        return
    aggs = []
    for i in bad:
        c, x = f"c{i}", f"x{i}"
        typed = typed_sql(x, reports[i].type, reports[i].format)
        aggs.append(f"min_by(struct_pack(r := _r, v := {c}), _r, {int(limit)}) "
                    f"FILTER (WHERE {x} IS NOT NULL AND ({typed}) IS NULL)")
    source = cleaned_raw(columns, bad, with_row=True)
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {source}").fetchone()
    for i, found in zip(bad, row, strict=True):
        values = sorted(found or [], key=lambda s: s["r"])
        reports[i].bad_values = [BadValue(row=int(s["r"]), value=s["v"]) for s in values]


def infer_and_validate(
    con,
    columns: list[str],
    *,
    declared_types: dict[str, str] | None = None,
    overrides: dict[str, str] | None = None,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
) -> ValidationReport:
    """Infer a type for each of ``columns`` of the staged table ``raw`` and validate it.

    con:            DuckDB connection holding ``raw`` (see the module docstring).
    columns:        the data columns, in order (not ``_row`` or ``_geometry``).
    declared_types: column -> type from a typed source (our names or DuckDB/Arrow names);
                    trusted (used as the inferred type), but every value is still checked.
    overrides:      column -> one of :data:`TYPES`, chosen by the user; wins over both.
    limits:         ``max_error_rows`` bounds the bad values listed per column.

    Raises IngestError for an override naming an unknown column or type.
    """
    declared = {k: declared_type(v) for k, v in (declared_types or {}).items()}
    overrides = dict(overrides or {})
    _check_overrides(columns, overrides)

    wanted: list[list[tuple[str, str | None]]] = []
    infer: list[bool] = []
    for name in columns:
        if name in declared:
            types = {declared[name], overrides.get(name, declared[name])}
            infer.append(False)
        else:
            types = set(TYPES)
            infer.append(True)
        wanted.append([(t, f) for t in TYPES if t in types and t != "string"
                       for f in type_formats(t)])

    row_count, all_counts = _count_columns(con, columns, wanted, infer)
    has_geometry = bool(con.execute(
        "SELECT count(*) FROM (DESCRIBE raw) WHERE column_name = '_geometry'").fetchone()[0])

    reports = []
    for name, counts in zip(columns, all_counts, strict=True):
        if name in declared:
            inferred = declared[name]
            inferred_fmt = _best_format(counts, inferred)
            note = "type declared by the source file"
        else:
            inferred, inferred_fmt, note = _infer(counts)
        type_ = overrides.get(name, inferred)
        fmt = inferred_fmt if type_ == inferred else _best_format(counts, type_)
        format_note = _format_note(counts, type_, fmt)
        if type_ != inferred:
            note = format_note
        elif format_note:
            note = f"{note}; {format_note}" if note else format_note
        if type_ == "string":
            non_null, bad_count = counts.present, 0
        else:
            non_null = counts.values
            bad_count = counts.values - counts.fits[(type_, fmt)]
        reports.append(ColumnReport(
            name=name, inferred=inferred, type=type_, overridden=name in overrides,
            non_null=non_null, nulls=row_count - non_null, bad_count=bad_count,
            bad_values=[], note=note, format=fmt,
        ))
    _first_bad_values(con, columns, reports, limits.max_error_rows)
    return ValidationReport(columns=reports, row_count=row_count, has_geometry=has_geometry)
