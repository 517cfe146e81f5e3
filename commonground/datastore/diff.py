"""What changed between two versions of a dataset: columns, then rows.

Only the user's columns are compared; system columns (``_id``, ``_row``, area codes,
``_easting``, ...) are derived by the datastore and left out. Everything runs as DuckDB SQL
over the two Parquet files; the answer is a JSON-safe dict:

``columns``          ``added`` and ``removed`` column names, and ``type_changed``:
                     ``[{"name", "old", "new"}]`` in our type names. A renamed column shows as
                     one removed and one added.
``key``              the column rows were matched on (``_row``: the row's place in the source
                     file), or None; ``key_source`` is ``"given"``, ``"detected"``, ``"row"``
                     (no data column identifies rows, so ``_row`` was used) or None.
``compared``         the columns present in both versions whose values were compared (in
                     the new version's order, without the key).
``rows``             ``old`` and ``new`` row counts and ``added``, ``removed``, ``changed``,
                     ``unchanged``.
``changed_columns``  with a key: how many matched rows differ in each compared column
                     (columns with none left out); None without a key.
``examples``         with a key: up to :data:`EXAMPLES` keys (smallest first) of rows
                     ``added``, ``removed`` and ``changed``; None without a key.
``changed_cells``    with a key: the first :data:`EXAMPLES` changed rows (smallest key first)
                     as ``{"key", "cells": [{"column", "old", "new"}]}``, only the cells that
                     differ, values as stored; None without a key.
``notes``            sentences a reader needs to interpret the numbers, among them one per
                     column whose type changed.

With a key, rows are matched on it: a key only in the new version is added, only in the
old one removed; a matched row is changed when any compared column differs, NULL-safely
(``IS DISTINCT FROM``: NULL equals NULL, NULL differs from any value).

Key detection (when ``key`` is not given): a candidate is a column present in both
versions that is integer or string in each (possibly one in one, the other in the other). Candidates are tried in this order, each
group in the new version's column order: names that normalise (lower case, runs of other
characters to ``_``) to one of :data:`KEY_NAMES`; names ending in one of
:data:`KEY_SUFFIXES`; then any other string column. Integer columns with other names are
never detected (they are usually measures that are unique by chance). The first candidate
with no NULL and no repeated value in either version (after normalising, below) is the
key. When none is, rows are matched on ``_row``, their place in the source file.

Without a key (only for versions without ``_row``), whole rows (over the compared columns) are compared as multisets via a
64-bit hash of each row: ``added`` counts rows of the new version beyond the copies of the
same row in the old one, ``removed`` the reverse, ``unchanged`` the rows in both;
``changed`` is None because an edited row cannot be told from one row removed and another
added. Two different rows share a hash with probability about n²/2⁶⁵ (3·10⁻⁸ for a
million rows).

When a column changed type, its values are normalised before being compared, so that a
change of type alone changes no row: between integer and number, as numbers; between a
number and text, text that reads as a number (``TRY_CAST(trim(text) AS DOUBLE)``: "12" and
" 12.0") is that number, written the same way as the other side's numbers; between text and
another type T (date, boolean, ...), text that reads as a T is written as that T; all else
as its text (``CAST AS VARCHAR``).
"""

from __future__ import annotations

import re
from pathlib import Path

from . import storage
from .layout import is_system_column
from .profile import version_types
from .query import json_value
from .sqlquote import identifier

#: Example keys listed for each of added, removed and changed rows.
EXAMPLES = 20
#: Normalised column names taken as a key first, in this order of preference.
KEY_NAMES = ("id", "ref", "reference", "code", "urn", "uprn", "usrn", "key", "identifier")
#: Normalised column-name endings taken as a key next (``school_urn``, ``site_id``).
KEY_SUFFIXES = ("_id", "_ref", "_reference", "_code", "_urn", "_uprn", "_key")
NO_KEY_NOTE = ("No key column: rows were compared whole, so a changed row counts as one "
               "removed and one added.")
ROW_KEY = "_row"
ROW_NOTE = ("No column has a different value in every row of both versions, so rows were "
            "matched by their place in the file (_row): a row inserted or deleted shifts the "
            "rows after it.")
#: Our type names read as numbers.
NUMERIC = ("integer", "number")


def diff_versions(old_parquet: Path | str, new_parquet: Path | str, *,
                  key: str | None = None) -> dict:
    """Compare two versions of a dataset (see the module docstring for the answer's shape).

    key: a column present in both versions to match rows on, or ``_row``; it must have no
         NULL and no repeated value in either (``ValueError`` otherwise). Default: detect one,
         else ``_row``.
    """
    with storage.connect() as con:  # the versions may be in an object store
        old_all = version_types(con, old_parquet, "old")
        new_all = version_types(con, new_parquet, "new")
        old, new = _user_columns(old_all), _user_columns(new_all)
        common = [n for n in new if n in old]
        notes = []
        key_source: str | None
        if key is not None:
            _check_key(con, key, old_all if key == ROW_KEY else old,
                       new_all if key == ROW_KEY else new)
            key_source = "given"
        else:
            key = _detect_key(con, {n: (old[n], new[n]) for n in common})
            key_source = "detected" if key else None
            if key is None and ROW_KEY in old_all and ROW_KEY in new_all:
                key, key_source = ROW_KEY, "row"
                notes.append(ROW_NOTE)
        compared = [n for n in common if n != key]
        expressions = [_comparable(n, old[n], new[n]) for n in compared]
        counts = {"old": _count(con, "old"), "new": _count(con, "new")}
        if key is not None:
            key_kinds = (old_all[key], new_all[key])
            rows, changed_columns, examples, cells = _keyed(
                con, key, _comparable(key, *key_kinds), compared, expressions)
        else:
            rows, changed_columns, examples, cells = (_whole_rows(con, expressions, counts),
                                                      None, None, None)
            notes.append(NO_KEY_NOTE)
        if not compared:
            notes.append("No data columns" + (" other than the key" if key else "") +
                         " are in both versions, so no values were compared.")
        notes += [type_change_note(n, old[n], new[n]) for n in common if old[n] != new[n]]
    return {
        "columns": {
            "added": [n for n in new if n not in old],
            "removed": [n for n in old if n not in new],
            "type_changed": [{"name": n, "old": old[n], "new": new[n]}
                             for n in common if old[n] != new[n]],
        },
        "key": key,
        "key_source": key_source,
        "compared": compared,
        "rows": counts | rows,
        "changed_columns": changed_columns,
        "examples": examples,
        "changed_cells": cells,
        "notes": notes,
    }


def _user_columns(types: dict[str, str]) -> dict[str, str]:
    return {name: kind for name, kind in types.items() if not is_system_column(name)}


def _count(con, view: str) -> int:
    return con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]


def type_change_note(name: str, old_kind: str, new_kind: str) -> str:
    """The one sentence that reports a column's change of type."""
    return (f"The type of column “{name}” changed from {old_kind} to {new_kind}; its values "
            "were compared after converting both to the same type, so the change of type "
            "alone changes no row.")


def _comparable(name: str, old_kind: str, new_kind: str) -> tuple[str, str]:
    """SQL reading column ``name`` in the old and in the new version so that the two can be
    compared (see the module docstring for the normalisation)."""
    column = identifier(name)
    if old_kind == new_kind:
        return column, column
    if old_kind in NUMERIC and new_kind in NUMERIC:
        return f"{column}::DOUBLE", f"{column}::DOUBLE"
    return _as_text(column, old_kind, new_kind), _as_text(column, new_kind, old_kind)


def _as_text(column: str, kind: str, other: str) -> str:
    """``column`` (of type ``kind``) as text written as the other version's type writes it."""
    if kind in NUMERIC:
        return f"CAST({column}::DOUBLE AS VARCHAR)"
    if kind == "string" and other in NUMERIC:
        return f"coalesce(CAST(TRY_CAST(trim({column}) AS DOUBLE) AS VARCHAR), {column})"
    if kind == "string" and other in TEXT_READS_AS:
        return (f"coalesce(CAST(TRY_CAST(trim({column}) AS {TEXT_READS_AS[other]}) AS VARCHAR), "
                f"{column})")
    return f"{column}::VARCHAR"


#: Our type names that text is read as (DuckDB type) when the other version has that type.
TEXT_READS_AS = {"boolean": "BOOLEAN", "date": "DATE", "datetime": "TIMESTAMP", "time": "TIME"}


# Keys --------------------------------------------------------------------------------------

def _check_key(con, key: str, old: dict[str, str], new: dict[str, str]) -> None:
    if key not in old or key not in new:
        raise ValueError(f"key column {key!r} is not a data column of both versions")
    expressions = _comparable(key, old[key], new[key])
    for view, expression in zip(("old", "new"), expressions, strict=True):
        nulls, repeated = con.execute(
            f"SELECT count(*) - count({expression}), count({expression}) - "
            f"count(DISTINCT {expression}) FROM {view}").fetchone()
        if nulls or repeated:
            raise ValueError(f"key column {key!r} does not identify rows of the {view} version: "
                             f"{nulls} empty, {repeated} repeated values")


def _detect_key(con, types: dict[str, tuple[str, str]]) -> str | None:
    """The first candidate, in order of preference, with no NULL or repeat in either version.

    types: the columns in both versions, and their old and new type.
    """
    def candidate(name: str, kinds: tuple[str, str]) -> bool:
        return all(k == "string" or (k == "integer" and _key_rank(name) < 2) for k in kinds)

    candidates = sorted((n for n, kinds in types.items() if candidate(n, kinds)), key=_key_rank)
    if not candidates:
        return None
    found = []
    for view, side in (("old", 0), ("new", 1)):
        expressions = [_comparable(c, *types[c])[side] for c in candidates]
        checks = ", ".join(f"count(*) = count({e}) AND count(*) = count(DISTINCT {e})"
                           for e in expressions)
        found.append(con.execute(f"SELECT {checks} FROM {view}").fetchone())
    return next((c for c, a, b in zip(candidates, *found, strict=True) if a and b), None)


def _key_rank(name: str) -> int:
    """0: a key name, 1: a key-name ending, 2: other (string) columns."""
    normal = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    if normal in KEY_NAMES:
        return 0
    if normal.endswith(KEY_SUFFIXES):
        return 1
    return 2


# Row comparisons ---------------------------------------------------------------------------

def _keyed(con, key_column: str, key: tuple[str, str], compared: list[str],
           expressions: list[tuple[str, str]]) -> tuple[dict, dict, dict, list]:
    """Rows matched on the key: added, removed, changed, unchanged, per column, examples and
    the changed cells of the first changed rows (keys as stored, the new version's when in
    both, ordered by the normalised key).

    key_column: its name; key, expressions: the key and compared columns as read in the old
    and the new version for comparing.
    """
    def values(side: int) -> str:
        return "".join(f", {e[side]} AS c{i}, {identifier(n)} AS v{i}"
                       for i, (n, e) in enumerate(zip(compared, expressions, strict=True)))

    differs = [f"o.c{i} IS DISTINCT FROM n.c{i}" for i in range(len(expressions))]
    flags = "".join(f", {d} AS d{i}, o.v{i} AS old{i}, n.v{i} AS new{i}"
                    for i, d in enumerate(differs))
    both = "old_key IS NOT NULL AND new_key IS NOT NULL"
    per_column = "".join(f", count(*) FILTER (WHERE {both} AND d{i})"
                         for i in range(len(expressions)))
    con.execute(f"""
        CREATE OR REPLACE TEMP VIEW matched AS
        WITH o AS (SELECT {key[0]} AS k, {identifier(key_column)} AS stored{values(0)} FROM old),
             n AS (SELECT {key[1]} AS k, {identifier(key_column)} AS stored{values(1)} FROM new)
        SELECT o.k AS old_key, n.k AS new_key, o.stored AS old_stored, n.stored AS new_stored,
               {' OR '.join(differs) or 'false'} AS changed{flags}
        FROM o FULL JOIN n ON o.k = n.k""")
    row = con.execute(f"""
        SELECT count(*) FILTER (WHERE old_key IS NULL),
               count(*) FILTER (WHERE new_key IS NULL),
               count(*) FILTER (WHERE {both} AND changed),
               count(*) FILTER (WHERE {both} AND NOT changed),
               arg_min(new_stored, new_key, {EXAMPLES}) FILTER (WHERE old_key IS NULL),
               arg_min(old_stored, old_key, {EXAMPLES}) FILTER (WHERE new_key IS NULL),
               arg_min(new_stored, old_key, {EXAMPLES}) FILTER (WHERE {both} AND changed)
               {per_column}
        FROM matched""").fetchone()
    added, removed, changed, unchanged = row[:4]
    examples = {name: [json_value(k) for k in keys or []]
                for name, keys in zip(("added", "removed", "changed"), row[4:7], strict=True)}
    changed_columns = {name: n for name, n in zip(compared, row[7:], strict=True) if n}
    rows = {"added": added, "removed": removed, "changed": changed, "unchanged": unchanged}
    cells = []
    if changed:
        picked = "".join(f", d{i}, old{i}, new{i}" for i in range(len(expressions)))
        for found in con.execute(f"SELECT new_stored{picked} FROM matched WHERE {both} AND changed "
                                 f"ORDER BY old_key LIMIT {EXAMPLES}").fetchall():
            cells.append({"key": json_value(found[0]), "cells": [
                {"column": name, "old": json_value(found[2 + 3 * i]),
                 "new": json_value(found[3 + 3 * i])}
                for i, name in enumerate(compared) if found[1 + 3 * i]]})
    return rows, changed_columns, examples, cells


def _whole_rows(con, expressions: list[tuple[str, str]], counts: dict) -> dict:
    """Rows compared whole as multisets of row hashes: added, removed, unchanged."""
    if not expressions:
        return {"added": counts["new"], "removed": counts["old"], "changed": None,
                "unchanged": 0}

    def row_hash(side: int) -> str:
        return f"hash({', '.join(e[side] for e in expressions)})"

    sql = f"""
        WITH o AS (SELECT {row_hash(0)} AS h, count(*) AS n FROM old GROUP BY h),
             n AS (SELECT {row_hash(1)} AS h, count(*) AS n FROM new GROUP BY h)
        SELECT coalesce(sum(greatest(coalesce(n.n, 0) - coalesce(o.n, 0), 0)), 0),
               coalesce(sum(greatest(coalesce(o.n, 0) - coalesce(n.n, 0), 0)), 0),
               coalesce(sum(least(coalesce(o.n, 0), coalesce(n.n, 0))), 0)
        FROM o FULL JOIN n ON o.h = n.h"""
    added, removed, unchanged = con.execute(sql).fetchone()
    return {"added": int(added), "removed": int(removed), "changed": None,
            "unchanged": int(unchanged)}
