"""Ask a version's rows a question: filters, full-text ``q``, sort, fields, paging, aggregates.

Every query is one read of an immutable Parquet file by DuckDB, so answers never change
under a reader's feet and paging by cursor is exact. Values from the user are always bound
as parameters, and column names are checked against the version's schema before they are
quoted into SQL, so nothing a user types becomes SQL.

Filters (``Filter.op``): ``eq``, ``ne``, ``lt``, ``lte``, ``gt``, ``gte``, ``in`` (a list),
``contains`` (case-insensitive text search in one column), ``null`` (true/false).
``q`` matches rows where every word occurs (case-insensitively) in some text column.

Paging: ``limit``/``offset``, or ``cursor``: an opaque token holding the last row's sort
key, so the next page starts right after it (keyset paging; NULLs sort last).

A ``scope`` (:class:`~.scope.RowScope`, a grant's part of the rows) narrows every query: a
column outside it is unknown to the query, exactly as a column the file does not have (the
same error, so nobody learns that a withheld column exists), and its row condition is ANDed
to every other, totals included. It reads the same cached table as everyone else (no copy).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import json
import logging
import math
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from . import storage
from .errors import public_message
from .layout import area_code_columns
from .scope import RowScope, visible_columns
from .scope import where as scope_where
from .sqlquote import LIKE_ESCAPE, identifier, like_pattern

log = logging.getLogger(__name__)

OPS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "null")
SQL_OPS = {"eq": "=", "ne": "IS DISTINCT FROM", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
MAX_LIMIT = 32_000
#: The name :mod:`commonground.lens.measure` still uses for :func:`.sqlquote.identifier`.
quote = identifier
#: Columns never returned as row values (binary); downloads carry geometry instead.
HIDDEN = ("_geometry",)
TYPES_BY_DUCKDB = {"BIGINT": "integer", "INTEGER": "integer", "HUGEINT": "integer",
                   "DOUBLE": "number", "FLOAT": "number", "BOOLEAN": "boolean", "DATE": "date",
                   "TIMESTAMP": "datetime", "TIMESTAMP WITH TIME ZONE": "datetime",
                   "VARCHAR": "string", "BLOB": "binary"}

#: Memory the process may use to hold queried versions as DuckDB tables (bytes).
CACHE_BYTES = int(os.environ.get("COMMONGROUND_QUERY_CACHE_MB", "1024")) << 20
#: Memory a version takes per byte of its (zstd) Parquet file, for the cache's budget: about
#: 5 for typical tables (numbers and short repeated text), measured on the benchmark data.
MEMORY_PER_PARQUET_BYTE = 5

_cache_lock = threading.RLock()  # guards the two below and every CREATE and DROP of a table
_cache: OrderedDict[str, _Held] = OrderedDict()  # by path, least recently used first
_loads = itertools.count(1)  # each table a name of its own (a version may be loaded again)
_database: duckdb.DuckDBPyConnection | None = None


class QueryError(ValueError):
    """A query names an unknown column, an unknown operator or a value of the wrong type."""

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: object


@dataclass
class RowQuery:
    filters: list[Filter] = field(default_factory=list)
    q: str | None = None
    sort: list[tuple[str, bool]] = field(default_factory=list)  # (column, descending)
    fields: list[str] | None = None
    limit: int = 100
    offset: int = 0
    cursor: str | None = None
    total: bool = True


@dataclass
class RowPage:
    columns: list[dict]  # [{"name", "type"}]
    rows: list[dict]
    total: int | None
    next_cursor: str | None
    limit: int
    offset: int


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the process's DuckDB database (one database, so cached versions are shared
    by every thread; each caller gets its own cursor, as DuckDB requires across threads)."""
    global _database
    with _cache_lock:
        if _database is None:
            _database = duckdb.connect(config={"threads": 2})
    storage.register(_database)  # versions in an object store (s3://) read like files
    with _cache_lock:
        return _database.cursor()


@dataclass
class _Held:
    """A version loaded as a DuckDB table, and how many readers are using it."""

    table: str
    size: int  # bytes, estimated
    readers: int = 0
    evicted: bool = False  # out of the cache: dropped when its last reader finishes


@contextmanager
def reading(parquet: Path) -> Iterator[tuple[str, list]]:
    """What to read a version from in SQL, and its parameters, for the ``with`` block.

    Versions never change, so a version that is queried is loaded once into an in-memory
    DuckDB table (native storage: no Parquet decompression per query) and kept while the
    cache has room (``CACHE_BYTES``, least recently used dropped first). Files too big for
    the cache are read from Parquet each time. A table is dropped only when no ``with`` block
    is reading it: one evicted while others read goes when the last of them finishes (it
    holds its memory until then, outside the budget).
    """
    path = str(parquet)
    held = _hold(path) if CACHE_BYTES > 0 else None
    if held is None:
        yield "read_parquet(?)", [path]
        return
    try:
        yield held.table, []
    finally:
        with _cache_lock:
            held.readers -= 1
            if held.evicted and not held.readers:
                _drop(held)


def _hold(path: str) -> _Held | None:
    """The version's table with one more reader, loaded when it is not (None: too big)."""
    with _cache_lock:
        held = _cache.get(path)
        if held is None:
            need = storage.size(path) * MEMORY_PER_PARQUET_BYTE
            if need > CACHE_BYTES:
                return None
            while _cache and sum(h.size for h in _cache.values()) + need > CACHE_BYTES:
                _, old = _cache.popitem(last=False)
                old.evicted = True
                if not old.readers:
                    _drop(old)
            table = f"version_{hashlib.sha256(path.encode()).hexdigest()[:20]}_{next(_loads)}"
            connection().execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [path])
            held = _cache[path] = _Held(table, need)
        _cache.move_to_end(path)
        held.readers += 1
        return held


def _drop(held: _Held) -> None:
    connection().execute(f"DROP TABLE IF EXISTS {held.table}")


def schema(parquet: Path) -> list[dict]:
    """The version's columns as ``[{"name", "type"}]`` in file order (our type names)."""
    with reading(parquet) as (table, params):  # the cached table when there is one
        rows = connection().execute(f"DESCRIBE SELECT * FROM {table}", params).fetchall()
    return [{"name": name, "type": TYPES_BY_DUCKDB.get(kind, kind.lower())} for name, kind, *_ in rows]


def scoped(parquet: Path, columns: list[dict] | None, scope: RowScope | None
           ) -> tuple[list[dict], list[str], list]:
    """The columns a reader within ``scope`` may name (of ``columns``, default the file's),
    and the scope's row condition (``[]`` or one SQL condition) with its parameters.

    The condition is built over the file's own columns (an area-code column the scope hides
    still decides which rows are in it)."""
    if scope is None or scope.is_everything:
        return columns or schema(parquet), [], []
    every = schema(parquet)
    columns = columns or every
    shown = set(visible_columns(scope, [c["name"] for c in every]))
    condition, params = scope_where(scope, [c["name"] for c in every])
    return ([c for c in columns if c["name"] in shown],
            [f"({condition})"] if condition else [], params)


def run(parquet: Path, query: RowQuery, columns: list[dict] | None = None, *,
        scope: RowScope | None = None) -> RowPage:
    """One page of rows (and the exact total of matching rows unless ``query.total`` is off),
    within ``scope`` when one is given."""
    columns, where_scope, params_scope = scoped(parquet, columns, scope)
    types = {c["name"]: c["type"] for c in columns}
    if not 0 <= query.limit <= MAX_LIMIT:
        raise QueryError(f"limit must be between 0 and {MAX_LIMIT}", field="limit")
    if query.offset < 0:
        raise QueryError("offset must not be negative", field="offset")
    selected = _fields(query.fields, types)
    where, params = conditions(query.filters, query.q, types)
    where, params = where_scope + where, params_scope + params
    sort = [(c, d) for c, d in query.sort if c != "_id"] + [("_id", False)]
    for name, _ in sort:
        _check(name, types, "sort")
    order = ", ".join(f"{identifier(c)} {'DESC' if d else 'ASC'} NULLS LAST" for c, d in sort)
    page_where, page_params = list(where), list(params)
    offset = query.offset
    if query.cursor:
        key = [_typed(v, types[name], name) if v is not None else None
               for v, (name, _) in zip(_decode(query.cursor, sort), sort, strict=True)]
        after, after_params = _after(key, sort)
        page_where.append(after)
        page_params += after_params
        offset = 0
    sort_names = [c for c, _ in sort]
    wanted = selected + [c for c in sort_names if c not in selected]
    con = connection()
    try:
        with reading(parquet) as (table, table_params):
            names, raw = _page(con, table, table_params, wanted, page_where, page_params,
                               order, query.limit, offset)
            total = None
            if query.total:
                [(total,)] = con.execute(f"SELECT count(*) FROM {table}{_where(where)}",
                                         [*table_params, *params]).fetchall()
    except duckdb.Error as exc:  # a value DuckDB could not compare, or one out of its range
        log.info("row query on %s failed: %s", parquet, exc)
        raise QueryError(f"a value does not fit its column: {public_message(exc)}",
                         field="filters") from None
    rows = [dict(zip(names, r, strict=True)) for r in raw]
    next_cursor = None
    if raw and len(raw) == query.limit:
        next_cursor = _encode([rows[-1][c] for c in sort_names])
    out = [{c: json_value(r[c]) for c in selected} for r in rows]
    return RowPage(columns=[{"name": c, "type": types[c]} for c in selected], rows=out,
                   total=total, next_cursor=next_cursor, limit=query.limit, offset=offset)


def _page(con, table: str, table_params: list, wanted: list[str], where: list[str],
          params: list, order: str, limit: int, offset: int) -> tuple[list[str], list[tuple]]:
    """The page's rows (columns ``wanted``), in order, in two steps: the ``_id`` of each row
    of the page, then those rows by ``_id``.

    In one step DuckDB reads every wanted column of every matching row before it keeps the
    top ``limit``; the first step reads only the columns the filters and the sort need. (On
    the 1,000,000-row benchmark version, held in memory: a filtered page of 100 sorted by
    amount, 21 ms in one step and 14 ms in two; the first page with no filter, 13 ms and
    3.5 ms.)
    """
    ids = [i for (i,) in con.execute(
        f"SELECT _id FROM {table}{_where(where)} ORDER BY {order} LIMIT ? OFFSET ?",
        [*table_params, *params, limit, offset]).fetchall()]
    columns = ", ".join(identifier(c) for c in wanted)
    result = con.execute(f"SELECT _id AS _cg_page_id, {columns} FROM {table} "
                         "WHERE _id IN (SELECT unnest(?::BIGINT[]))", [*table_params, ids])
    names = [d[0] for d in result.description][1:]
    position = {row_id: k for k, row_id in enumerate(ids)}
    rows = sorted(result.fetchall(), key=lambda row: position[row[0]])
    return names, [row[1:] for row in rows]


def aggregate(parquet: Path, geography: str, *, measure: str = "count", column: str | None = None,
              filters: list[Filter] | None = None, q: str | None = None,
              columns: list[dict] | None = None, scope: RowScope | None = None) -> list[dict]:
    """Rows per area of ``geography``: count, or sum/mean of a numeric column (of the rows
    within ``scope``, by a geography and a column it shows, when one is given).

    Returns ``[{"code", "count", "value"}]`` ordered by code; rows with no area of that
    geography are one entry with code ``None``.
    """
    columns, where_scope, params_scope = scoped(parquet, columns, scope)
    types = {c["name"]: c["type"] for c in columns}
    area_column = f"_{geography}"
    if area_column not in types:
        known = sorted(c[1:] for c in area_code_columns(types))
        raise QueryError(f"unknown geography {geography!r}; this dataset is linked to: "
                         f"{', '.join(known) or 'none'}", field="geography")
    if measure not in ("count", "sum", "mean"):
        raise QueryError("measure must be count, sum or mean", field="measure")
    value = "NULL"
    if measure != "count":
        if not column:
            raise QueryError(f"measure {measure} needs a column", field="column")
        _check(column, types, "column")
        if types[column] not in ("integer", "number"):
            raise QueryError(f"column {column!r} is {types[column]}, not a number", field="column")
        value = f"{'sum' if measure == 'sum' else 'avg'}({identifier(column)})"
    where, params = conditions(filters or [], q, types)
    where, params = where_scope + where, params_scope + params
    try:
        with reading(parquet) as (table, table_params):
            sql = (f"SELECT {identifier(area_column)} AS code, count(*) AS n, {value} AS value "
                   f"FROM {table}{_where(where)} GROUP BY 1 ORDER BY 1 NULLS LAST")
            rows = connection().execute(sql, [*table_params, *params]).fetchall()
    except duckdb.Error as exc:  # as in run
        log.info("aggregate on %s failed: %s", parquet, exc)
        raise QueryError(f"a value does not fit its column: {public_message(exc)}",
                         field="filters") from None
    return [{"code": code, "count": n, "value": json_value(v) if measure != "count" else n}
            for code, n, v in rows]


def conditions(filters: list[Filter], q: str | None, types: dict[str, str]
               ) -> tuple[list[str], list]:
    """SQL conditions (ANDed) and their parameters for filters and ``q``."""
    where, params = [], []
    for f in filters:
        _check(f.column, types, "filters")
        column, kind = identifier(f.column), types[f.column]
        if f.op not in OPS:
            raise QueryError(f"unknown operator {f.op!r}; use one of {', '.join(OPS)}",
                             field="filters")
        if f.op == "null":
            wanted = _boolean(f.value, f.column)
            where.append(f"{column} IS {'' if wanted else 'NOT '}NULL")
        elif f.op == "contains":
            where.append(f"CAST({column} AS VARCHAR) ILIKE ? {LIKE_ESCAPE}")
            params.append(f"%{like_pattern(str(f.value))}%")
        elif f.op == "in":
            values = f.value if isinstance(f.value, list | tuple) else str(f.value).split(",")
            if not values:
                where.append("FALSE")
                continue
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += [_typed(v, kind, f.column) for v in values]
        else:
            where.append(f"{column} {SQL_OPS[f.op]} ?")
            params.append(_typed(f.value, kind, f.column))
    words = (q or "").split()
    text = [c for c, t in types.items() if t == "string" and c not in HIDDEN]
    for word in words:
        if not text:
            where.append("FALSE")
            break
        where.append("(" + " OR ".join(f"{identifier(c)} ILIKE ? {LIKE_ESCAPE}" for c in text) + ")")
        params += [f"%{like_pattern(word)}%"] * len(text)
    return where, params


def json_value(value):
    """A DuckDB value as JSON-safe Python: dates ISO, NaN/inf None, decimals float."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return None
    return value


def _fields(fields: list[str] | None, types: dict[str, str]) -> list[str]:
    if not fields:
        return [c for c in types if c not in HIDDEN and c != "_row"]
    for name in fields:
        _check(name, types, "fields")
    return list(dict.fromkeys(fields))


def _check(name: str, types: dict[str, str], where: str) -> None:
    if name not in types:
        raise QueryError(f"unknown column {name!r} in {where}", field=where)


def _where(conditions: list[str]) -> str:
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def _boolean(value, column: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise QueryError(f"{value!r} is not true or false (column {column!r})", field="filters")


def _typed(value, kind: str, column: str):
    """A filter value converted to the column's type, or a clear error."""
    if value is None:
        return None
    try:
        if kind == "integer":
            if isinstance(value, bool):
                raise ValueError
            try:
                number = int(str(value).strip())
                # Exact within 64 bits; beyond, no BIGINT equals it: compare as a number.
                return number if abs(number) < 2**63 else float(number)
            except ValueError:
                real = float(value)  # "2.5" or "1e3": compare as a number
                return int(real) if real.is_integer() else real
        if kind == "number":
            return float(value)
        if kind == "boolean":
            return _boolean(value, column)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "datetime":
            return value if isinstance(value, dt.datetime) else \
                dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        raise QueryError(f"{value!r} is not a valid {kind} for column {column!r}",
                         field="filters") from None
    return str(value)


def _after(key: list, sort: list[tuple[str, bool]]) -> tuple[str, list]:
    """Rows strictly after ``key`` in the sort order (NULLS LAST), as SQL + parameters."""
    ors, params = [], []
    for i, (name, descending) in enumerate(sort):
        parts, part_params = [], []
        for (prev, _), value in zip(sort[:i], key[:i], strict=True):
            if value is None:
                parts.append(f"{identifier(prev)} IS NULL")
            else:
                parts.append(f"{identifier(prev)} = ?")
                part_params.append(value)
        value = key[i]
        if value is None:
            continue  # nothing sorts after NULL in this column (NULLS LAST)
        parts.append(f"({identifier(name)} {'<' if descending else '>'} ? OR {identifier(name)} IS NULL)")
        part_params.append(value)
        ors.append("(" + " AND ".join(parts) + ")")
        params += part_params
    return ("(" + " OR ".join(ors) + ")") if ors else "FALSE", params


def _encode(key: list) -> str:
    payload = [[type(v).__name__, json_value(v)] for v in key]
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


def _decode(cursor: str, sort: list[tuple[str, bool]]) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        values = []
        for kind, value in payload:
            if value is not None and kind == "date":
                value = dt.date.fromisoformat(value)
            elif value is not None and kind == "datetime":
                value = dt.datetime.fromisoformat(value)
            values.append(value)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise QueryError("the cursor is not valid; start again without it", field="cursor") from None
    if len(values) != len(sort):
        raise QueryError("the cursor belongs to a different sort order", field="cursor")
    return values
