"""What changed between two versions of a dataset: columns, then rows.

Only the user's columns are compared; system columns (``_id``, ``_row``, area codes,
``_easting``, ...) are derived by the datastore and left out. Everything runs as DuckDB SQL
over the two Parquet files; the answer is a JSON-safe dict:

``columns``          ``added`` and ``removed`` column names, and ``type_changed``:
                     ``[{"name", "old", "new"}]`` in our type names. A renamed column shows as
                     one removed and one added.
``key``              the column rows were matched on, or None; ``key_source`` is ``"given"``,
                     ``"detected"`` or None.
``compared``         the columns present in both versions whose values were compared (in
                     the new version's order, without the key).
``rows``             ``old`` and ``new`` row counts and ``added``, ``removed``, ``changed``,
                     ``unchanged``.
``changed_columns``  with a key: how many matched rows differ in each compared column
                     (columns with none left out); None without a key.
``examples``         with a key: up to :data:`EXAMPLES` keys (smallest first) of rows
                     ``added``, ``removed`` and ``changed``; None without a key.
``notes``            sentences a reader needs to interpret the numbers.

With a key, rows are matched on it: a key only in the new version is added, only in the
old one removed; a matched row is changed when any compared column differs, NULL-safely
(``IS DISTINCT FROM``: NULL equals NULL, NULL differs from any value).

Key detection (when ``key`` is not given): a candidate is a column present in both
versions with the same type, integer or string. Candidates are tried in this order, each
group in the new version's column order: names that normalise (lower case, runs of other
characters to ``_``) to one of :data:`KEY_NAMES`; names ending in one of
:data:`KEY_SUFFIXES`; then any other string column. Integer columns with other names are
never detected (they are usually measures that are unique by chance). The first candidate
with no NULL and no repeated value in either version is the key.

Without a key, whole rows (over the compared columns) are compared as multisets via a
64-bit hash of each row: ``added`` counts rows of the new version beyond the copies of the
same row in the old one, ``removed`` the reverse, ``unchanged`` the rows in both;
``changed`` is None because an edited row cannot be told from one row removed and another
added. Two different rows share a hash with probability about n²/2⁶⁵ (3·10⁻⁸ for a
million rows).

When a column changed type, its values are compared as numbers if it went between integer
and number, otherwise as their text (``CAST AS VARCHAR``).
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

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


def diff_versions(old_parquet: Path | str, new_parquet: Path | str, *,
                  key: str | None = None) -> dict:
    """Compare two versions of a dataset (see the module docstring for the answer's shape).

    key: a column present in both versions to match rows on; it must have no NULL and no
         repeated value in either (``ValueError`` otherwise). Default: detect one.
    """
    with duckdb.connect() as con:
        old = _user_columns(version_types(con, old_parquet, "old"))
        new = _user_columns(version_types(con, new_parquet, "new"))
        common = [n for n in new if n in old]
        notes = []
        key_source: str | None
        if key is not None:
            _check_key(con, key, old, new)
            key_source = "given"
        else:
            key = _detect_key(con, {n: new[n] for n in common if old[n] == new[n]})
            key_source = "detected" if key else None
        compared = [n for n in common if n != key]
        expressions = [_comparable(n, old[n], new[n]) for n in compared]
        counts = {"old": _count(con, "old"), "new": _count(con, "new")}
        if key is not None:
            rows, changed_columns, examples = _keyed(con, _comparable(key, old[key], new[key]),
                                                     compared, expressions)
        else:
            rows, changed_columns, examples = _whole_rows(con, expressions, counts), None, None
            notes.append(NO_KEY_NOTE)
        if not compared:
            notes.append("No data columns" + (" other than the key" if key else "") +
                         " are in both versions, so no values were compared.")
        if any(old[n] != new[n] for n in compared):
            notes.append("Columns that changed type were compared as numbers (integer ↔ "
                         "number) or as text.")
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
        "notes": notes,
    }


def _user_columns(types: dict[str, str]) -> dict[str, str]:
    return {name: kind for name, kind in types.items() if not is_system_column(name)}


def _count(con, view: str) -> int:
    return con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]


def _comparable(name: str, old_kind: str, new_kind: str) -> str:
    """SQL reading column ``name`` so that its old and new values can be compared."""
    if old_kind == new_kind:
        return identifier(name)
    if {old_kind, new_kind} <= {"integer", "number"}:
        return f"{identifier(name)}::DOUBLE"
    return f"{identifier(name)}::VARCHAR"


# Keys --------------------------------------------------------------------------------------

def _check_key(con, key: str, old: dict[str, str], new: dict[str, str]) -> None:
    if key not in old or key not in new:
        raise ValueError(f"key column {key!r} is not a data column of both versions")
    expression = _comparable(key, old[key], new[key])
    for view in ("old", "new"):
        nulls, repeated = con.execute(
            f"SELECT count(*) - count({expression}), count({expression}) - "
            f"count(DISTINCT {expression}) FROM {view}").fetchone()
        if nulls or repeated:
            raise ValueError(f"key column {key!r} does not identify rows of the {view} version: "
                             f"{nulls} empty, {repeated} repeated values")


def _detect_key(con, types: dict[str, str]) -> str | None:
    """The first candidate, in order of preference, with no NULL or repeat in either version.

    types: the columns in both versions with the same type, and that type.
    """
    candidates = sorted((n for n, kind in types.items()
                         if kind == "string" or (kind == "integer" and _key_rank(n) < 2)),
                        key=_key_rank)
    if not candidates:
        return None
    checks = ", ".join(f"count(*) = count({identifier(c)}) AND count(*) = count(DISTINCT {identifier(c)})"
                       for c in candidates)
    in_old = con.execute(f"SELECT {checks} FROM old").fetchone()
    in_new = con.execute(f"SELECT {checks} FROM new").fetchone()
    return next((c for c, a, b in zip(candidates, in_old, in_new, strict=True) if a and b), None)


def _key_rank(name: str) -> int:
    """0: a key name, 1: a key-name ending, 2: other (string) columns."""
    normal = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")
    if normal in KEY_NAMES:
        return 0
    if normal.endswith(KEY_SUFFIXES):
        return 1
    return 2


# Row comparisons ---------------------------------------------------------------------------

def _keyed(con, key: str, compared: list[str], expressions: list[str]
           ) -> tuple[dict, dict, dict]:
    """Rows matched on the key: added, removed, changed, unchanged, per column, examples."""
    values = "".join(f", {e} AS c{i}" for i, e in enumerate(expressions))
    differs = [f"o.c{i} IS DISTINCT FROM n.c{i}" for i in range(len(expressions))]
    flags = "".join(f", {d} AS d{i}" for i, d in enumerate(differs))
    both = "old_key IS NOT NULL AND new_key IS NOT NULL"
    per_column = "".join(f", count(*) FILTER (WHERE {both} AND d{i})"
                         for i in range(len(expressions)))
    sql = f"""
        WITH o AS (SELECT {key} AS k{values} FROM old),
             n AS (SELECT {key} AS k{values} FROM new),
             j AS (SELECT o.k AS old_key, n.k AS new_key,
                          {' OR '.join(differs) or 'false'} AS changed{flags}
                   FROM o FULL JOIN n ON o.k = n.k)
        SELECT count(*) FILTER (WHERE old_key IS NULL),
               count(*) FILTER (WHERE new_key IS NULL),
               count(*) FILTER (WHERE {both} AND changed),
               count(*) FILTER (WHERE {both} AND NOT changed),
               min(new_key, {EXAMPLES}) FILTER (WHERE old_key IS NULL),
               min(old_key, {EXAMPLES}) FILTER (WHERE new_key IS NULL),
               min(old_key, {EXAMPLES}) FILTER (WHERE {both} AND changed){per_column}
        FROM j"""
    row = con.execute(sql).fetchone()
    added, removed, changed, unchanged = row[:4]
    examples = {name: [json_value(k) for k in keys or []]
                for name, keys in zip(("added", "removed", "changed"), row[4:7], strict=True)}
    changed_columns = {name: n for name, n in zip(compared, row[7:], strict=True) if n}
    rows = {"added": added, "removed": removed, "changed": changed, "unchanged": unchanged}
    return rows, changed_columns, examples


def _whole_rows(con, expressions: list[str], counts: dict) -> dict:
    """Rows compared whole as multisets of row hashes: added, removed, unchanged."""
    if not expressions:
        return {"added": counts["new"], "removed": counts["old"], "changed": None,
                "unchanged": 0}
    row_hash = f"hash({', '.join(expressions)})"
    sql = f"""
        WITH o AS (SELECT {row_hash} AS h, count(*) AS n FROM old GROUP BY h),
             n AS (SELECT {row_hash} AS h, count(*) AS n FROM new GROUP BY h)
        SELECT coalesce(sum(greatest(coalesce(n.n, 0) - coalesce(o.n, 0), 0)), 0),
               coalesce(sum(greatest(coalesce(o.n, 0) - coalesce(n.n, 0), 0)), 0),
               coalesce(sum(least(coalesce(o.n, 0), coalesce(n.n, 0))), 0)
        FROM o FULL JOIN n ON o.h = n.h"""
    added, removed, unchanged = con.execute(sql).fetchone()
    return {"added": int(added), "removed": int(removed), "changed": None,
            "unchanged": int(unchanged)}
