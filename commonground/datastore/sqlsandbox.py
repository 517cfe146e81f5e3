"""Run a user's SQL read-only over dataset tables: CKAN's ``datastore_search_sql``.

Each call gets a fresh in-memory DuckDB connection that can see exactly the Parquet files it
is given, each behind a view named after its table (a CKAN resource id such as
``"5f0c...-uuid"``), and nothing else. Three layers, each enough against file access on its
own:

1. **One SELECT only.** ``duckdb.extract_statements`` must yield exactly one statement of type
   SELECT: no COPY, ATTACH, INSTALL, LOAD, SET, PRAGMA, CREATE, PIVOT-as-statement, ...
2. **A checked parse tree.** The statement's parse tree (``json_serialize_sql``) may name only
   the given tables and its own CTEs (no schema- or catalog-qualified names, so no
   ``information_schema``/``pg_catalog``, and no catalog views such as ``duckdb_views``); table
   functions are limited to :data:`ALLOWED_TABLE_FUNCTIONS` (so no ``read_csv``, ``read_text``,
   ``read_blob``, ``glob``, ``query``, ``duckdb_settings()``, ...); and the scalar functions in
   :data:`DENIED_FUNCTIONS` (``current_setting``, ``getenv``) are refused. This stops the
   statement from learning file paths or running SQL text the first layer never saw.
3. **A locked-down engine.** After the views are created: ``allowed_paths`` = the given files,
   ``enable_external_access=false`` (no other file, no network, no extension install or load),
   extension autoloading off, Python replacement scans off, no spilling to disk
   (``temp_directory=''``), ``memory_limit``, ``threads``, then ``lock_configuration=true``
   so the statement cannot change any of it.

A table may carry a :class:`~.scope.RowScope` (a grant's part of the rows): its view is then
``SELECT <the columns the scope shows> FROM read_parquet(...) WHERE <the scope's condition>``,
so to the statement the table has only those columns and rows (DESCRIBE, ``SELECT *``,
joins, subqueries and CTEs all read the view; the file itself is reachable only through it,
by the second layer).

Guardrails: ``timeout`` (seconds; a :class:`threading.Timer` calls ``con.interrupt()``, which
stops the query at its next check, within milliseconds for scans and joins), ``max_rows``
(rows returned; ``truncated`` says more existed), ``memory_limit`` (a DuckDB size string;
exceeding it fails the query instead of spilling to disk).

Results stream: :func:`open_readonly_sql` hands the caller an open result to fetch in
batches (DuckDB computes it a chunk at a time, as it is fetched), so a caller can stop at a
size it chooses before a large result is ever in memory; the time limit covers the fetching.
:func:`run_readonly_sql` fetches everything, for small results.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from . import storage
from .errors import public_message
from .scope import RowScope, visible_columns, where_literal
from .sqlquote import identifier, literal

log = logging.getLogger(__name__)

# Table functions a statement may call in FROM: pure row generators that touch no file or
# catalog. Everything else (read_*, glob, query, duckdb_*(), parquet_metadata, ...) is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})

# Scalar functions refused anywhere: they reveal configuration (file paths in allowed_paths)
# or the environment.
DENIED_FUNCTIONS = frozenset({"current_setting", "getenv"})

# Kinds of FROM item (``TableRef`` types in DuckDB's parse tree) a statement may use.
# DESCRIBE/SUMMARIZE of a query are SHOW_REFs with a query and are allowed; SHOW TABLES etc.
# (SHOW_REF without a query) are not.
_ALLOWED_REFS = frozenset(
    {"BASE_TABLE", "JOIN", "SUBQUERY", "TABLE_FUNCTION", "EXPRESSION_LIST", "EMPTY", "PIVOT",
     "SHOW_REF"}
)

_GLOB_CHARACTERS = set("*?[]{}")


class SQLError(Exception):
    """Base class: the statement did not produce a result. The message is for the user."""


class SQLRejected(SQLError):
    """The statement is not allowed (the message says why), or exceeded the memory limit."""


class SQLTimeout(SQLError):
    """The statement ran longer than the time limit and was stopped."""


class SQLInvalid(SQLError):
    """The statement is allowed but wrong: a syntax error, an unknown column, a bad cast..."""


@dataclass(frozen=True)
class SQLResult:
    """columns: (name, DuckDB type such as 'BIGINT' or 'DECIMAL(18,3)') in order;
    rows: Python values (int, float, str, Decimal, datetime, list, dict, None, ...) for the
    caller to serialise; truncated: True when the statement had more than ``max_rows`` rows."""

    columns: list[tuple[str, str]]
    rows: list[tuple]
    truncated: bool


class SQLRows:
    """An open result of :func:`open_readonly_sql`, fetched in batches.

    columns:   (name, DuckDB type such as 'BIGINT' or 'DECIMAL(18,3)') in order.
    truncated: True when the statement had more than ``max_rows`` rows; known once
               :meth:`fetch` has returned an empty list.
    """

    def __init__(self, cursor: duckdb.DuckDBPyConnection, max_rows: int,
                 errors: _ErrorTranslation):
        self.columns: list[tuple[str, str]] = [(column[0], str(column[1]))
                                               for column in cursor.description]
        self.truncated = False
        self._cursor = cursor
        self._left = max_rows
        self._errors = errors

    def fetch(self, rows: int) -> list[tuple]:
        """The next ``rows`` rows at most (Python values); an empty list at the end."""
        if rows < 1:
            raise ValueError("rows must be at least 1")
        with self._errors:
            if self._left <= 0:
                self.truncated = self.truncated or self._cursor.fetchone() is not None
                return []
            batch = self._cursor.fetchmany(min(rows, self._left))
        self._left -= len(batch)
        return batch


@contextmanager
def open_readonly_sql(sql: str, tables: dict[str, Path], *, timeout: float = 5.0,
                      max_rows: int = 32000, memory_limit: str = "512MB",
                      threads: int = 1, scopes: dict[str, RowScope] | None = None
                      ) -> Iterator[SQLRows]:
    """Run one SELECT over ``tables`` (name -> Parquet file); yield its result to fetch.

    scopes:       table name -> the part of its rows the statement may read (a table not
                  named here is read whole).

    timeout:      seconds from the start of the statement to the end of fetching before it
                  is interrupted (:class:`SQLTimeout`, raised by the statement or a fetch).
    max_rows:     rows returned at most; ``truncated`` tells the caller more existed.
    memory_limit: DuckDB memory limit, e.g. "512MB"; a statement needing more is refused.
    threads:      DuckDB worker threads for this statement.

    Raises :class:`SQLRejected`, :class:`SQLTimeout` or :class:`SQLInvalid` for problems with
    the statement (from the ``with`` or from :meth:`SQLRows.fetch`);
    ``ValueError``/``FileNotFoundError`` for problems with ``tables`` (the caller's, not the
    user's). The connection is closed when the ``with`` block ends.
    """
    if timeout <= 0 or max_rows < 0 or threads < 1:
        raise ValueError("timeout must be positive, max_rows >= 0 and threads >= 1")
    files = _checked_tables(tables)
    _check_statement_type(sql)
    con = storage.register(duckdb.connect(":memory:"))  # versions in an object store too
    try:
        for name, path in files.items():
            con.execute(f"CREATE VIEW {identifier(name)} AS "
                        + _view(con, name, path, (scopes or {}).get(name)))
        catalog_names = {row[0].casefold() for row in con.execute(
            "SELECT view_name FROM duckdb_views() UNION SELECT table_name FROM duckdb_tables()"
        ).fetchall()}
        _check_parse_tree(con, sql, {n.casefold() for n in files}, catalog_names)
        _lock_down(con, list(files.values()), memory_limit, threads)
        errors = _ErrorTranslation(timeout, memory_limit)
        timer = threading.Timer(timeout, con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            with errors:
                cursor = con.execute(sql)  # a streaming result: computed as it is fetched
            yield SQLRows(cursor, max_rows, errors)
        finally:
            timer.cancel()
            timer.join()  # never interrupt (or touch) the connection after it is closed
    finally:
        con.close()


def run_readonly_sql(sql: str, tables: dict[str, Path], *, timeout: float = 5.0,
                     max_rows: int = 32000, memory_limit: str = "512MB",
                     threads: int = 1, scopes: dict[str, RowScope] | None = None) -> SQLResult:
    """Run one SELECT over ``tables`` and return at most ``max_rows`` rows, all in memory.

    The parameters and errors are :func:`open_readonly_sql`'s; use that for results that
    may be large.
    """
    with open_readonly_sql(sql, tables, timeout=timeout, max_rows=max_rows,
                           memory_limit=memory_limit, threads=threads,
                           scopes=scopes) as result:
        rows: list[tuple] = []
        while batch := result.fetch(2048):
            rows.extend(batch)
        return SQLResult(columns=result.columns, rows=rows, truncated=result.truncated)


def _view(con: duckdb.DuckDBPyConnection, name: str, path: Path,
          scope: RowScope | None) -> str:
    """The SELECT behind a table's view: the whole file, or the part ``scope`` covers
    (:class:`SQLRejected` when that is no column at all: a view needs one)."""
    source = f"read_parquet({literal(str(path))})"
    if scope is None or scope.is_everything:
        return f"SELECT * FROM {source}"
    names = [row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
    shown = visible_columns(scope, names)
    if not shown:
        raise SQLRejected(f'table "{name}" has no columns you may read')
    condition = where_literal(scope, names)
    return (f"SELECT {', '.join(identifier(c) for c in shown)} FROM {source}"
            + (f" WHERE {condition}" if condition else ""))


def _checked_tables(tables: dict[str, Path]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    seen: set[str] = set()
    for name, path in tables.items():
        if not name or name.casefold() in seen:
            # DuckDB identifiers are case-insensitive even when quoted.
            raise ValueError(f"table names must be non-empty and distinct ignoring case: {name!r}")
        seen.add(name.casefold())
        resolved = path if storage.is_remote(path) else Path(path).resolve()
        if _GLOB_CHARACTERS & set(str(resolved)):
            raise ValueError(f"table {name!r}: path {resolved} contains glob characters")
        if not (storage.exists(resolved) if storage.is_remote(resolved) else resolved.is_file()):
            raise FileNotFoundError(f"table {name!r}: no Parquet file at {resolved}")
        files[name] = resolved
    return files


def _check_statement_type(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise SQLInvalid(_first_line(exc)) from None
    if len(statements) != 1:
        raise SQLRejected(f"exactly one SQL statement is allowed; this has {len(statements)}")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise SQLRejected(f"only SELECT statements are allowed, not {kind.name}")


def _check_parse_tree(con: duckdb.DuckDBPyConnection, sql: str, table_names: set[str],
                      catalog_names: set[str]) -> None:
    """Refuse names and functions outside the sandbox, reading DuckDB's own parse tree."""
    refs, functions, cte_names = _tree_parts(_parse_tree(con, sql))
    for ref in refs:
        _check_from_item(ref, table_names, cte_names, catalog_names)
    for function in functions:
        if function["function_name"].casefold() in DENIED_FUNCTIONS:
            raise SQLRejected(f"the function {function['function_name']}() is not allowed")


def _parse_tree(con: duckdb.DuckDBPyConnection, sql: str) -> dict:
    """DuckDB's parse tree of ``sql`` (``json_serialize_sql``); ``SQLInvalid`` if it cannot
    be parsed, ``SQLRejected`` if it is too deep to read."""
    try:
        [(serialized,)] = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()
        tree = json.loads(serialized)
    except RecursionError:
        raise SQLRejected("the statement is nested too deeply") from None
    if tree.get("error"):
        raise SQLInvalid(public_message(tree.get("error_message")
                                        or "the statement cannot be parsed"))
    return tree


def _tree_parts(tree: dict) -> tuple[list[dict], list[dict], set[str]]:
    """Every FROM item, every function call and every WITH name (casefolded) in a parse
    tree, at any depth."""
    cte_names: set[str] = set()
    refs: list[dict] = []
    functions: list[dict] = []
    stack: list[object] = [tree["statements"]]
    while stack:  # iterative walk: the tree can be ~1000 expressions deep
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, dict):
            continue
        if "class" in node:  # an expression
            if "function_name" in node:
                functions.append(node)
        elif "alias" in node and isinstance(node.get("type"), str):
            # A FROM item: every TableRef carries its type and alias (query nodes and
            # modifiers carry no alias).
            refs.append(node)
        if isinstance(node.get("cte_map"), dict):
            cte_names.update(entry["key"].casefold() for entry in node["cte_map"].get("map", []))
        stack.extend(node.values())
    return refs, functions, cte_names


def _check_from_item(ref: dict, table_names: set[str], cte_names: set[str],
                     catalog_names: set[str]) -> None:
    """Refuse a FROM item of a kind not in ``_ALLOWED_REFS``, then apply its kind's own check
    (``_FROM_ITEM_CHECKS``), if it has one."""
    kind = ref["type"]
    if kind not in _ALLOWED_REFS:
        raise SQLRejected(f"{kind.lower().replace('_', ' ')} is not allowed in FROM")
    check = _FROM_ITEM_CHECKS.get(kind)
    if check is not None:
        check(ref, table_names, cte_names, catalog_names)


def _check_show(ref: dict, *_names: set[str]) -> None:
    """DESCRIBE / SUMMARIZE (a SHOW_REF with a query) only: SHOW TABLES etc. are refused."""
    if ref.get("query") is None:
        raise SQLRejected("SHOW is not allowed; DESCRIBE or SUMMARIZE a table instead")


def _check_table_function(ref: dict, *_names: set[str]) -> None:
    """Only the table functions in ``ALLOWED_TABLE_FUNCTIONS``."""
    name = (ref.get("function") or {}).get("function_name") or "this"
    if name.casefold() not in ALLOWED_TABLE_FUNCTIONS:
        raise SQLRejected(
            f"the table function {name}() is not allowed; only "
            f"{', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))} and the dataset's tables"
        )


def _check_table_name(ref: dict, table_names: set[str], cte_names: set[str],
                      catalog_names: set[str]) -> None:
    name = ref["table_name"]
    qualified = ".".join(p for p in (ref.get("catalog_name"), ref.get("schema_name"), name) if p)
    if ref.get("catalog_name") or ref.get("schema_name"):
        raise SQLRejected(f"{qualified}: only the dataset's tables may be queried, "
                          f'by their bare names (e.g. "{next(iter(table_names), "table")}")')
    key = name.casefold()
    if key in table_names:
        return
    if key in cte_names and key not in catalog_names:
        # A CTE name that is no catalog object: even if referenced out of the CTE's scope, it
        # cannot reach a system view (it would fail to bind instead).
        return
    if key in cte_names:
        raise SQLRejected(f"{name}: a WITH name may not be the name of a system table or view")
    raise SQLRejected(f'there is no table "{name}" here; the tables are: '
                      + ", ".join(f'"{n}"' for n in sorted(table_names)))


# The further check of each kind of FROM item that needs one (the other allowed kinds hold
# only other FROM items and expressions, checked in their own right).
_FROM_ITEM_CHECKS: dict[str, Callable[[dict, set[str], set[str], set[str]], None]] = {
    "SHOW_REF": _check_show,
    "TABLE_FUNCTION": _check_table_function,
    "BASE_TABLE": _check_table_name,
}


def _lock_down(con: duckdb.DuckDBPyConnection, files: list[Path], memory_limit: str,
               threads: int) -> None:
    allowed = "[" + ", ".join(literal(str(p)) for p in files) + "]"
    for statement in (
        f"SET allowed_paths = {allowed}",
        "SET allowed_directories = []",
        "SET temp_directory = ''",  # no spilling: a disk-sized query fails at memory_limit
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
        "SET allow_community_extensions = false",
        "SET python_enable_replacements = false",
        f"SET memory_limit = {literal(memory_limit)}",
        f"SET threads = {int(threads)}",
        "SET enable_external_access = false",
        "SET lock_configuration = true",
    ):
        con.execute(statement)


class _ErrorTranslation:
    """Turns DuckDB's exceptions while running or fetching into this module's."""

    def __init__(self, timeout: float, memory_limit: str):
        self.timeout = timeout
        self.memory_limit = memory_limit

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> Literal[False]:
        if exc is None or not isinstance(exc, duckdb.Error):
            return False
        if isinstance(exc, duckdb.InterruptException):
            raise SQLTimeout(f"the query took longer than the limit of {self.timeout:g} s and "
                             "was stopped; add a WHERE clause or a LIMIT") from None
        if isinstance(exc, duckdb.OutOfMemoryException):
            raise SQLRejected(f"the query needs more memory than the limit of "
                              f"{self.memory_limit}; select fewer columns or rows") from None
        if isinstance(exc, duckdb.PermissionException):
            log.info("sandboxed SQL refused by the engine: %s", exc)
            raise SQLRejected("only the dataset's tables may be read: no files, network or "
                              "settings") from None
        raise SQLInvalid(_first_line(exc)) from None


def _first_line(exc: BaseException) -> str:
    """DuckDB's message in plain words, without its internals or paths (logged in full)."""
    log.info("sandboxed SQL failed: %s", exc)
    return public_message(exc)


