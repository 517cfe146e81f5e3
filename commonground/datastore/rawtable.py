"""The one shape every reader stages an upload into: the DuckDB table ``raw``.

``raw`` has ``_row BIGINT`` (where the row sits in the source, for messages), then every data
column as VARCHAR in source order, then — for geographic formats only — ``_geometry BLOB``
(WKB, EPSG:4326 longitude/latitude). Names starting with ``_`` are reserved for such system
columns, so data columns never start with one. :class:`StagedTable` describes what was staged.

This module holds what the readers share: the description, column-name cleaning, blank
cells to NULL, row numbering, the declared type of a typed source's column and the SQL that
renders its values as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from .errors import IngestError, Limits
from .sqlquote import identifier, literal

RAW_TABLE = "raw"

# Characters that make a cell blank when it holds nothing else: ASCII whitespace and the
# no-break space (U+00A0) that copying from web pages leaves behind.
BLANK_CHARACTERS = " \t\n\r\f\v\u00a0"


@dataclass(frozen=True)
class StagedTable:
    """What :func:`commonground.datastore.readers.stage` put in the ``raw`` table."""

    format: str  # "csv", "xlsx", "geojson", "gpkg", "shapefile", "parquet", "json"
    columns: list[str]  # data column names, in source order, cleaned and unique
    row_count: int
    row_label: str  # what `_row` counts: "row" (CSV/XLSX, header = row 1), "feature", "record"
    geometry_type: str | None  # "Point", "Polygon", ..., "mixed"; None when no geometry
    declared_types: dict[str, str]  # typed sources: column -> "integer", "number", "boolean",
    #                                  "date", "datetime" or "string"; {} for CSV/XLSX
    encoding: str | None = None  # CSV: "utf-8", "utf-8-sig", "cp1252" or "latin-1"
    delimiter: str | None = None  # CSV: the detected delimiter
    sheet: str | None = None  # XLSX: the sheet read
    sheets: list[str] = field(default_factory=list)  # XLSX: every sheet name, for a choice
    notes: list[str] = field(default_factory=list)  # plain-English remarks for the report


def is_blank(value: str) -> bool:
    """True when a cell holds only whitespace (or nothing): such cells are staged as NULL."""
    return not value.strip(BLANK_CHARACTERS)


def clean_column_names(names: Sequence[str | None]) -> list[str]:
    """Source header → unique column names, one per position.

    Surrounding whitespace is stripped; a blank name becomes ``column_N`` (N = 1-based
    position); a name starting with ``_`` gets a ``c`` prefix (``_id`` → ``c_id``) because
    such names are reserved for system columns; a repeated name becomes ``name_2``,
    ``name_3``, ... Repeats are found ignoring case, since DuckDB's identifiers ignore case.
    ``rowid`` counts as taken (``rowid_2``): it would hide DuckDB's own row-number column.
    """
    cleaned, taken = [], {"rowid"}
    for position, name in enumerate(names, start=1):
        base = (name or "").strip(BLANK_CHARACTERS) or f"column_{position}"
        if base.startswith("_"):
            base = "c" + base
        candidate, suffix = base, 1
        while candidate.lower() in taken:
            suffix += 1
            candidate = f"{base}_{suffix}"
        taken.add(candidate.lower())
        cleaned.append(candidate)
    return cleaned


def check_column_count(count: int, limits: Limits, *, file: str) -> None:
    """Refuse a table wider than ``limits.max_columns``."""
    if count > limits.max_columns:
        raise IngestError(f"the table has {count:,} columns; the most accepted is "
                          f"{limits.max_columns:,}", file=file)


def _may_be_blank_sql(column: str) -> str:
    """SQL: a cheap test true for every blank text (and for few others).

    Blank text is empty or starts with a space or a control character (``< '!'``) or with
    a no-break space (between U+00A0 and U+00A1). Such prefix comparisons are fast, and
    DuckDB can often answer them from a column's min/max statistics alone.
    """
    c = identifier(column)
    return f"({c} < '!' OR ({c} >= '\u00a0' AND {c} < '\u00a1'))"


def blank_cells_to_null(con: duckdb.DuckDBPyConnection, columns: list[str]) -> None:
    """Set every empty or whitespace-only value of these ``raw`` columns to NULL.

    Done after loading rather than while reading: one cheap query finds the columns that
    may hold blanks at all, and only those are updated. (A CASE expression in the load
    costs every value a comparison; this costs about a tenth of the load on a 1-million-row
    CSV.)
    """
    if not columns:
        return
    tests = ", ".join(f"bool_or({_may_be_blank_sql(c)})" for c in columns)
    flags = first_row(con, f"SELECT {tests} FROM {RAW_TABLE}")
    blank = literal(BLANK_CHARACTERS)
    for column, flagged in zip(columns, flags, strict=True):
        if flagged:
            c = identifier(column)
            run(con, f"UPDATE {RAW_TABLE} SET {c} = NULL "
                     f"WHERE {_may_be_blank_sql(column)} AND trim({c}, {blank}) = ''")


_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                  "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT"}


def declared_type(duckdb_type: str) -> str:
    """A typed source's column type (DuckDB's name for it) → the type we declare."""
    if duckdb_type in _INTEGER_TYPES:
        return "integer"
    if duckdb_type in ("FLOAT", "DOUBLE") or duckdb_type.startswith("DECIMAL"):
        return "number"
    if duckdb_type == "BOOLEAN":
        return "boolean"
    if duckdb_type == "DATE":
        return "date"
    if duckdb_type.startswith("TIMESTAMP"):
        return "datetime"
    return "string"


def text_sql(column: str, duckdb_type: str) -> str:
    """SQL rendering a typed column as the text staged in ``raw``.

    Numbers, dates and booleans use DuckDB's own CAST, which casts back exactly;
    timestamps are written ISO 8601 style with a ``T``; nested values (lists, structs,
    maps) become JSON text; text is kept as it is (blanks are made NULL afterwards, by
    :func:`blank_cells_to_null`).
    """
    name = identifier(column)
    if duckdb_type == "VARCHAR":
        return name
    if duckdb_type.startswith("TIMESTAMP"):
        return f"replace(CAST({name} AS VARCHAR), ' ', 'T')"
    if re.search(r"\[\]$|\[\d+\]$|^STRUCT|^MAP|^UNION", duckdb_type):
        return f"CAST(to_json({name}) AS VARCHAR)"
    return f"CAST({name} AS VARCHAR)"


def run(con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None) -> list:
    """Execute one statement and fetch its whole result, leaving ``con`` free for more work.

    (DuckDB keeps a statement's result pending until it is fetched; registering or
    unregistering a Python object meanwhile is refused.)
    """
    result = con.execute(sql) if parameters is None else con.execute(sql, parameters)
    return result.fetchall()


def first_row(con: duckdb.DuckDBPyConnection, sql: str, parameters: list | None = None):
    """The first row of a query's result (None if it has none), fetching all of it."""
    rows = run(con, sql, parameters)
    return rows[0] if rows else None


def describe(con: duckdb.DuckDBPyConnection, relation_sql: str) -> list[tuple[str, str]]:
    """(column name, DuckDB type) of every column a query returns, without running it."""
    return [(row[0], row[1]) for row in con.execute(f"DESCRIBE {relation_sql}").fetchall()]


def number_rows(con: duckdb.DuckDBPyConnection, first: int) -> None:
    """Fill ``raw._row`` with first, first + 1, ... in the order the rows were inserted.

    A table built by one CREATE TABLE AS from an ordered scan keeps the scan's order in its
    ``rowid`` as long as ``preserve_insertion_order`` is on (:func:`insertion_order_kept`).
    """
    run(con, f"UPDATE {RAW_TABLE} SET _row = rowid + {int(first)}")


@contextmanager
def insertion_order_kept(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Turn DuckDB's ``preserve_insertion_order`` on for the block, then restore it."""
    before = first_row(con, "SELECT current_setting('preserve_insertion_order')")[0]
    if not before:
        run(con, "SET preserve_insertion_order = true")
    try:
        yield
    finally:
        if not before:
            run(con, "SET preserve_insertion_order = false")


def row_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many rows ``raw`` holds."""
    return first_row(con, f"SELECT count(*) FROM {RAW_TABLE}")[0]
