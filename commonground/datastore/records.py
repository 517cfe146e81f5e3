"""Stage record files — Parquet and JSON — into ``raw`` with DuckDB.

``_row`` is the 1-based record number.

Parquet is typed: every column is rendered as text by DuckDB's own CAST (so casting back is
exact) and its type is declared.

JSON holds records as an array of objects (``[{...}, {...}]``), an object wrapping one
(``{"data": [...]}`` or ``{"records": [...]}``), or one object per line (JSON Lines).
Columns are the keys in the order they are first seen across records; nested objects and
arrays are kept as JSON text; a key whose values are all numbers or all booleans gets a
declared type (text that looks like a date stays text: JSON has no date type). DuckDB
parses the file, holding at most one document of the file's size (bounded by
``Limits.max_bytes``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .errors import IngestError, Limits, public_message
from .rawtable import (
    RAW_TABLE,
    StagedTable,
    blank_cells_to_null,
    check_column_count,
    clean_column_names,
    declared_type,
    describe,
    first_row,
    insertion_order_kept,
    number_rows,
    row_count,
    run,
    text_sql,
)
from .sqlquote import identifier, literal

RECORD_LISTS = ("data", "records")  # keys of a wrapping object that may hold the records
JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson")
JSON_TYPE_WORDS = {"VARCHAR": "text", "BIGINT": "a number", "UBIGINT": "a number",
                   "DOUBLE": "a number", "ARRAY": "a list", "BOOLEAN": "true/false",
                   "NULL": "null", "OBJECT": "an object"}
EXPECTED = 'the JSON must be a list of records like [{"name": "...", "count": 1}, ...]'
RECORDS = "cg_records"


def stage_parquet(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str,
                  limits: Limits) -> StagedTable:
    """Stage a Parquet file; see the module docstring."""
    source = f"read_parquet({literal(str(path))})"
    try:
        types = describe(con, f"SELECT * FROM {source}")
    except duckdb.Error as error:
        raise IngestError(f"the file is not a readable Parquet file ({public_message(error, file=filename)})",
                          file=filename) from error
    check_column_count(len(types), limits, file=filename)
    columns = clean_column_names([name for name, _ in types])
    values = ", ".join(f"{text_sql(name, kind)} AS {identifier(column)}"
                       for (name, kind), column in zip(types, columns, strict=True))
    with insertion_order_kept(con):
        run(con, f"CREATE OR REPLACE TABLE {RAW_TABLE} AS "
                    f"SELECT NULL::BIGINT AS _row, {values} FROM {source}")
    number_rows(con, 1)
    if row_count(con) == 0:
        raise IngestError("the file has columns but no records", file=filename)
    blank_cells_to_null(con, [column for (_, kind), column in zip(types, columns, strict=True)
                              if kind in ("VARCHAR", "JSON")])
    declared = {column: declared_type(kind)
                for (_, kind), column in zip(types, columns, strict=True)}
    return StagedTable(format="parquet", columns=columns, row_count=row_count(con),
                       row_label="record", geometry_type=None, declared_types=declared)


def stage_json(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str,
               limits: Limits) -> StagedTable:
    """Stage a JSON file of records; see the module docstring."""
    notes = []
    try:
        with insertion_order_kept(con):
            wrapper = _load_records(con, path, filename)
        if wrapper:
            notes.append(f"Read the records in the {wrapper!r} list")
        _refuse_non_objects(con, filename)
        keys = [key for (key,) in run(
            con, "SELECT key FROM (SELECT unnest(json_keys(record)) AS key, rowid AS r, "
                 f"generate_subscripts(json_keys(record), 1) AS i FROM {RECORDS}) "
                 "GROUP BY key ORDER BY min({'r': r, 'i': i})")]  # first seen first
        check_column_count(len(keys), limits, file=filename)
        if not keys:
            raise IngestError("the records have no keys (every record is {})", file=filename)
        columns = clean_column_names(keys)
        kinds = _json_types(con, keys)
        values = ", ".join(f"{_value_sql(key)} AS {identifier(column)}"
                           for key, column in zip(keys, columns, strict=True))
        with insertion_order_kept(con):
            run(con, f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT rowid + 1 AS _row, "
                     f"{values} FROM {RECORDS} ORDER BY rowid")
        blank_cells_to_null(con, columns)
    except duckdb.Error as error:
        raise IngestError(f"the file is not valid JSON ({public_message(error, file=filename)})",
                          file=filename) from error
    finally:
        run(con, f"DROP TABLE IF EXISTS {RECORDS}")
    declared = {column: kind for column, kind in zip(columns, kinds, strict=True) if kind}
    return StagedTable(format="json", columns=columns, row_count=row_count(con),
                       row_label="record", geometry_type=None, declared_types=declared,
                       notes=notes)


def _load_records(con, path: Path, filename: str) -> str | None:
    """Put each record's JSON text in the temp table cg_records(record), in file order.

    Returns the key of the wrapping object the records came from, or None.
    """
    start = _first_character(path)
    file = literal(str(path))
    size = Path(path).stat().st_size + 1
    if start == "[":
        source = f"read_json_objects({file}, format = 'array', maximum_object_size = {size})"
        run(con, f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT json AS record "
                 f"FROM {source}")
        _refuse_empty(con, filename)
        return None
    if start != "{":
        raise IngestError(f"the file is not JSON records: it starts with {start!r}; {EXPECTED}",
                          file=filename)
    lines = Path(filename).suffix.lower() in JSON_LINES_EXTENSIONS
    layout = "newline_delimited" if lines else "unstructured"
    source = f"read_json_objects({file}, format = '{layout}', maximum_object_size = {size})"
    run(con, f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT json AS record FROM {source}")
    if lines or first_row(con, f"SELECT count(*) FROM {RECORDS}")[0] > 1:
        return None  # one object per line (JSON Lines)
    kinds = dict(run(con, "SELECT unnest(json_keys(record)) AS k, json_type(record, '/' || k) "
                          f"FROM {RECORDS}"))
    wrapper = next((key for key in RECORD_LISTS if kinds.get(key) == "ARRAY"), None)
    if wrapper is None:
        found = ", ".join(repr(key) for key in kinds) or "none"
        raise IngestError(f"the JSON is one object without a \"data\" or \"records\" list "
                          f"(its keys: {found}); {EXPECTED}", file=filename)
    run(con, f"CREATE OR REPLACE TEMP TABLE {RECORDS} AS SELECT unnest(from_json("
             f"record->{literal('/' + wrapper)}, '[\"JSON\"]')) AS record FROM {RECORDS}")
    _refuse_empty(con, filename)
    return wrapper


def _first_character(path: Path) -> str:
    with Path(path).open("rb") as f:
        head = f.read(4096)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    return text[:1].decode("latin-1")


def _refuse_empty(con, filename: str) -> None:
    if first_row(con, f"SELECT count(*) FROM {RECORDS}")[0] == 0:
        raise IngestError("the JSON list of records is empty", file=filename)


def _refuse_non_objects(con, filename: str) -> None:
    first = first_row(con, "SELECT rowid + 1, json_type(record), left(CAST(record AS VARCHAR), "
                           f"40) FROM {RECORDS} WHERE json_type(record) <> 'OBJECT' "
                           "ORDER BY rowid LIMIT 1")
    if first:
        number, kind, text = first
        raise IngestError(f"record {number} is {JSON_TYPE_WORDS.get(kind, kind)} ({text}), not an "
                          f"object; {EXPECTED}", file=filename)


def _pointer(key: str) -> str:
    """A JSON Pointer (RFC 6901) to a top-level key, as a SQL literal: any key works."""
    return literal("/" + key.replace("~", "~0").replace("/", "~1"))


def _value_sql(key: str) -> str:
    """SQL: the value of ``key`` as text — strings unquoted, the rest as JSON text."""
    p = _pointer(key)
    return (f"CASE json_type(record, {p}) WHEN 'VARCHAR' THEN record->>{p} "
            f"WHEN 'NULL' THEN NULL ELSE CAST(record->{p} AS VARCHAR) END")


def _json_types(con, keys: list[str]) -> list[str | None]:
    """The declared type of each key: "integer", "number", "boolean", or None (text/mixed)."""
    lists = ", ".join(f"list(DISTINCT json_type(record, {_pointer(key)}))" for key in keys)
    found = first_row(con, f"SELECT {lists} FROM {RECORDS}")
    kinds: list[str | None] = []
    for values in found:
        present = {v for v in values if v not in (None, "NULL")}
        if present and present <= {"BIGINT", "UBIGINT"}:
            kinds.append("integer")
        elif present and present <= {"BIGINT", "UBIGINT", "DOUBLE"}:
            kinds.append("number")
        elif present == {"BOOLEAN"}:
            kinds.append("boolean")
        else:
            kinds.append(None)
    return kinds
