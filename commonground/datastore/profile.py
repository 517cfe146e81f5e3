"""Profile a version's columns: counts, distinct values, range, mean, histogram, top values.

Everything is exact and computed by DuckDB over the Parquet file: one scan for the counts,
ranges and means of all columns, one scan for all histograms, and one small ``GROUP BY``
per text or boolean column for its top values (each reads only its own column, Parquet
being columnar).

Each column's profile is a JSON-safe dict:

``name``, ``type``  our type name: integer, number, boolean, date, datetime, string (other
                    DuckDB types are given in lower case, with counts only).
``count``           non-null values; ``count + nulls`` is the number of rows.
``nulls``           NULL values. Non-finite numbers (NaN, ±infinity) count as NULL: JSON
                    cannot carry them and no statistic can use them.
``distinct``        distinct non-null values (exact ``count(DISTINCT)``).
``min``, ``max``    smallest and largest value (dates ISO; text in byte order); null if no
                    values.
``mean``            integer and number only (null if no values).
``histogram``       integer, number: ``bins`` equal-width bins from min to max, each
                    ``{"from", "to", "count"}`` with edges ``min + (max - min) * i / bins``
                    (computed exactly, then rounded once to a float). A value ``x`` is in the
                    bin with ``from <= x < to``; the last bin also holds the max. Every
                    non-null value is in one bin, so the counts add up to ``count``. If
                    min == max there is one bin from min to max. Integers are compared as
                    floats, exact up to 2**53.
                    date, datetime: calendar periods from the min's to the max's, empty ones
                    included, ``from``/``to`` the ISO dates starting this period and the
                    next; ``period`` says which: ``"month"`` when that spans at most
                    :data:`MONTHLY_UP_TO` months, else ``"year"``.
                    No values: an empty list.
``top``             string, boolean: the ``top`` most frequent values ``{"value", "count"}``,
                    by count descending, ties by value ascending (byte order; false before
                    true); NULL is not a value here (see ``nulls``).
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from itertools import pairwise
from pathlib import Path

import duckdb

from . import storage
from .layout import area_code_columns, data_columns
from .query import TYPES_BY_DUCKDB, json_value
from .sqlquote import identifier

#: Date histograms go by month when min to max spans at most this many calendar months.
MONTHLY_UP_TO = 24
NUMERIC = ("integer", "number")
TEMPORAL = ("date", "datetime")
COUNTED = ("string", "boolean")


def column_type(duckdb_type: str) -> str:
    """Our type name for a DuckDB type name (``BIGINT`` → ``integer``, ``DECIMAL(9,2)`` →
    ``number``); an unknown type comes back in lower case."""
    if duckdb_type.startswith("DECIMAL"):
        return "number"
    return TYPES_BY_DUCKDB.get(duckdb_type, duckdb_type.lower())


def version_types(con: duckdb.DuckDBPyConnection, parquet_path: Path | str,
                  view: str) -> dict[str, str]:
    """Create view ``view`` over a version's Parquet file; return its columns' type names."""
    con.read_parquet(str(parquet_path)).create_view(view)
    return {name: column_type(kind) for name, kind, *_ in con.execute(f"DESCRIBE {view}").fetchall()}


def profile_columns(parquet_path: Path | str, columns: list[str] | None = None, *,
                    bins: int = 10, top: int = 10) -> list[dict]:
    """Profile ``columns`` (default: the data columns, then the area-code columns).

    bins: number of equal-width bins of a numeric histogram (at least 1).
    top:  number of most frequent values listed for text and boolean columns.
    See the module docstring for what each profile holds and the exact rules.
    """
    if bins < 1 or top < 0:
        raise ValueError("bins must be at least 1 and top at least 0")
    with storage.connect() as con:  # the version may be in an object store
        types = version_types(con, parquet_path, "version")
        if columns is None:
            columns = data_columns(types) + area_code_columns(types)
        unknown = [c for c in columns if c not in types]
        if unknown:
            raise ValueError(f"unknown column(s) {', '.join(map(repr, unknown))}")
        columns = list(dict.fromkeys(columns))
        if not columns:
            return []
        # Column i is read as c{i}, numbers with NaN and infinities made NULL.
        values = ", ".join(f"{_value(name, types[name])} AS c{i}" for i, name in enumerate(columns))
        con.execute(f"CREATE VIEW v AS SELECT {values} FROM version")
        profiles = _counts_and_ranges(con, columns, types)
        _add_histograms(con, profiles, bins)
        for i, profile in enumerate(profiles):
            if profile["type"] in COUNTED:
                profile["top"] = _top_values(con, f"c{i}", top)
    return profiles


def _value(name: str, kind: str) -> str:
    if kind == "number":
        return f"CASE WHEN isfinite({identifier(name)}::DOUBLE) THEN {identifier(name)}::DOUBLE END"
    return identifier(name)


def _counts_and_ranges(con, columns: list[str], types: dict[str, str]) -> list[dict]:
    """One scan: count, nulls, distinct, min, max (and mean) of every column."""
    parts = ["count(*)"]
    for i, name in enumerate(columns):
        c = f"c{i}"
        ranged = types[name] in NUMERIC + TEMPORAL + COUNTED
        parts += [f"count({c})", f"count(DISTINCT {c})",
                  f"min({c})" if ranged else "NULL", f"max({c})" if ranged else "NULL",
                  f"avg({c})" if types[name] in NUMERIC else "NULL"]
    row = con.execute(f"SELECT {', '.join(parts)} FROM v").fetchone()
    rows, profiles = row[0], []
    for i, name in enumerate(columns):
        count, distinct, low, high, mean = row[1 + 5 * i: 6 + 5 * i]
        profile = {"name": name, "type": types[name], "count": count, "nulls": rows - count,
                   "distinct": distinct, "min": low, "max": high}
        if types[name] in NUMERIC:
            profile["mean"] = json_value(mean)
        profiles.append(profile)
    return profiles


def _add_histograms(con, profiles: list[dict], bins: int) -> None:
    """One scan: the histogram of every numeric and date column; then min/max to JSON."""
    parts, params = [], []
    plans: list[tuple[dict, list[dict[str, float | str]]]] = []  # (profile, histogram)
    for i, profile in enumerate(profiles):
        kind, low, high = profile["type"], profile["min"], profile["max"]
        if kind not in NUMERIC + TEMPORAL:
            continue
        if low is None:
            profile["histogram"] = []
            if kind in TEMPORAL:
                profile["period"] = None
            continue
        if kind in NUMERIC:
            edges = _edges(low, high, bins) if low < high else [float(low), float(high)]
            inner = edges[1:-1]
            # The bin of x is how many inner edges are <= x (0 without inner edges).
            index = " + ".join(f"(c{i} >= ?::DOUBLE)::INTEGER" for _ in inner) or "0"
            params += inner
            plans.append((profile, [{"from": a, "to": b} for a, b in pairwise(edges)]))
        else:
            period, starts = _periods(low, high)
            profile["period"] = period
            if period == "month":
                index = f"(year(c{i}) - ?) * 12 + month(c{i}) - ?"
                params += [starts[0].year, starts[0].month]
            else:
                index = f"year(c{i}) - ?"
                params += [starts[0].year]
            plans.append((profile, [{"from": a.isoformat(), "to": b.isoformat()}
                                    for a, b in pairwise(starts)]))
        parts.append(f"histogram(CASE WHEN c{i} IS NOT NULL THEN {index} END)")
    if parts:
        counts = con.execute(f"SELECT {', '.join(parts)} FROM v", params).fetchone()
        for (profile, histogram), found in zip(plans, counts, strict=True):
            for b, entry in enumerate(histogram):
                entry["count"] = found.get(b, 0)
            profile["histogram"] = histogram
    for profile in profiles:
        profile["min"], profile["max"] = json_value(profile["min"]), json_value(profile["max"])


def _edges(low, high, bins: int) -> list[float]:
    """``bins + 1`` equal-width edges from low to high, each exact then rounded once."""
    low_f, span = Fraction(low), Fraction(high) - Fraction(low)
    return [float(low_f + span * i / bins) for i in range(bins + 1)]


def _periods(low: dt.date, high: dt.date) -> tuple[str, list[dt.date]]:
    """Calendar months (or years) from low's to high's, as their first days plus the next."""
    months = (high.year - low.year) * 12 + high.month - low.month + 1
    if months <= MONTHLY_UP_TO:
        starts = [dt.date(low.year + (low.month - 1 + k) // 12, (low.month - 1 + k) % 12 + 1, 1)
                  for k in range(months + 1)]
        return "month", starts
    return "year", [dt.date(y, 1, 1) for y in range(low.year, high.year + 2)]


def _top_values(con, column: str, top: int) -> list[dict]:
    rows = con.execute(f"SELECT {column}, count(*) AS n FROM v WHERE {column} IS NOT NULL "
                       f"GROUP BY {column} ORDER BY n DESC, {column} LIMIT ?", [top]).fetchall()
    return [{"value": json_value(value), "count": n} for value, n in rows]
