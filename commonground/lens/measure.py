"""A dataset version's measure per base area, read from its Parquet file with DuckDB.

Only the columns the lens needs are read (the base area code, the weight or value column and
the row positions ``_easting``/``_northing``), so a million-row version is read in a fraction
of a second. Column names follow ``commonground.datastore.layout``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from commonground.datastore import query

from .inputs import Measure


class MeasureError(ValueError):
    """The measure asked for does not fit the dataset (unknown or non-numeric column...)."""


def read_measure(parquet: Path, area_codes: tuple[str, ...], base_geography: str, *,
                 kind: str = "count", column: str | None = None, label: str = "rows",
                 columns: list[dict] | None = None, filters: Sequence[query.Filter] = (),
                 site_column: str | None = None) -> Measure:
    """The measure per base area (in ``area_codes`` order) and every row's position.

    kind ``count``: rows per area; ``weight``: sum of ``column`` per area (empty cells count
    0); ``value``: mean of ``column`` per area (datasets with one row per area; NaN where an
    area has no row). ``filters``: only the rows that pass every one are read (``lens.filters``;
    an unknown column or a value of the wrong type is a ``MeasureError`` naming it).
    ``site_column``: rows with the same value there stand at one site; without it, rows at the
    same coordinates (to the metre) do. A row with neither is a site of its own.
    """
    con = query.connection()
    types = (column_types(parquet) if columns is None
             else {c["name"]: c["type"] for c in columns})
    area_column = _check_measure(types, base_geography, kind, column, site_column)
    rows_of, args = _filtered_rows(str(parquet), types, filters)
    q = query.quote(column or "")
    value = {"count": "count(*)", "weight": f"coalesce(sum({q}), 0)", "value": f"avg({q})"}[kind]
    square = f"coalesce(sum({q} * {q}), 0)" if kind == "weight" else "count(*)"
    if kind == "weight":
        _refuse_negative_weights(con, rows_of, args, column)
    rows = con.execute(
        f"SELECT {query.quote(area_column)}::VARCHAR, {value}, count(*), {square} "
        f"FROM {rows_of} GROUP BY 1", args).fetchall()
    per_area, per_area_sq, total, in_areas = _per_area(rows, area_codes, kind)
    located = "_easting" in types and "_northing" in types
    xy = _row_positions(con, rows_of, args) if located else np.empty((0, 2))
    sites, sites_in_areas, largest = _sites(con, rows_of, args, area_column, area_codes,
                                            site_column, located)
    rule = (f"rows with the same “{site_column}”" if site_column else
            "rows at the same coordinates (to the metre)" if located else "each row")
    return Measure(kind=kind, label=label, unit=column if kind != "count" and column else "rows",
                   per_area=per_area, points_xy=xy.astype(float), rows_total=int(total),
                   rows_in_areas=int(in_areas), column=column, per_area_sq=per_area_sq,
                   sites=sites, sites_in_areas=sites_in_areas, largest_site=largest,
                   site_rule=rule)


def _check_measure(types: dict[str, str], base_geography: str, kind: str, column: str | None,
                   site_column: str | None) -> str:
    """The base area column of a file with these column ``types``, after checking that the
    measure asked for fits it (a ``MeasureError`` saying what does not)."""
    area_column = f"_{base_geography}"
    if area_column not in types:
        raise MeasureError(f"this version is not linked to {base_geography} areas, so the lens "
                           "cannot place its rows")
    if kind not in ("count", "weight", "value"):
        raise MeasureError("measure must be count, weight or value")
    if kind != "count":
        if not column:
            raise MeasureError(f"a {kind} measure needs a column")
        if column not in types or column.startswith("_"):
            raise MeasureError(f"unknown column {column!r}")
        if types[column] not in ("integer", "number"):
            raise MeasureError(f"column {column!r} holds {types[column]} values, not numbers")
    if site_column and (site_column not in types or site_column.startswith("_")):
        raise MeasureError(f"the site column {site_column!r} is not a column of this file")
    return area_column


def _filtered_rows(path: str, types: dict[str, str],
             filters: Sequence[query.Filter]) -> tuple[str, list]:
    """The rows that pass every filter, as a DuckDB subquery, and its bound parameters."""
    try:
        conditions, params = query.conditions(list(filters), None, types)
    except query.QueryError as exc:
        raise MeasureError(f"row filter: {exc}") from None
    where = (" WHERE " + " AND ".join(conditions)) if conditions else ""
    return f"(SELECT * FROM read_parquet(?){where})", [path, *params]


def _refuse_negative_weights(con, rows_of: str, args: list, column: str | None) -> None:
    """A ``MeasureError`` if any row's weight ``column`` is below zero."""
    q = query.quote(column or "")
    [(negative,)] = con.execute(f"SELECT count(*) FROM {rows_of} WHERE {q} < 0",
                                args).fetchall()
    if negative:
        raise MeasureError(f"column {column!r} has {negative:,} negative values; a weight "
                           "must be zero or more (choose it as a value per area instead)")


def _per_area(rows: list, area_codes: tuple[str, ...],
              kind: str) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The value and sum of squares per base area (in ``area_codes`` order) from rows of
    (area code, value, row count, sum of squares), and the rows in all and in the areas."""
    position = {code: i for i, code in enumerate(area_codes)}
    per_area = np.full(len(area_codes), np.nan if kind == "value" else 0.0)
    per_area_sq = np.zeros(len(area_codes))
    total = in_areas = 0
    for code, v, n, sq in rows:
        total += n
        if code in position:
            in_areas += n
            per_area[position[code]] = np.nan if v is None else float(v)
            per_area_sq[position[code]] = float(sq or 0)
    return per_area, per_area_sq, total, in_areas


def _row_positions(con, rows_of: str, args: list) -> np.ndarray:
    """(easting, northing) of every row that has both, shape (rows, 2)."""
    got = con.execute("SELECT _easting::DOUBLE AS x, _northing::DOUBLE AS y "
                      f"FROM {rows_of} WHERE _easting IS NOT NULL AND _northing IS NOT NULL",
                      args).fetchnumpy()
    return np.column_stack([np.asarray(got["x"]), np.asarray(got["y"])])


def column_types(parquet: Path) -> dict[str, str]:
    """Every column of a version's file (the lens's own ``_`` columns too) → its type, as
    ``datastore.query`` names types; read from the file's footer only, so the version need
    not be loaded into the query cache."""
    described = query.connection().execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                            [str(parquet)]).fetchall()
    return {name: query.TYPES_BY_DUCKDB.get(kind, kind.lower()) for name, kind, *_ in described}


def _sites(con, rows_of: str, args: list, area_column: str, area_codes: tuple[str, ...],
           site_column: str | None, located: bool) -> tuple[int, int, int]:
    """(sites, sites with a row in the city's areas, rows at the largest of those)."""
    if site_column:
        key = f"{query.quote(site_column)}::VARCHAR"
    elif located:
        key = ("CASE WHEN _easting IS NOT NULL AND _northing IS NOT NULL THEN "
               "round(_easting::DOUBLE)::BIGINT::VARCHAR || ' ' || "
               "round(_northing::DOUBLE)::BIGINT::VARCHAR END")
    else:
        key = "NULL"
    # a row with no site key is a site of its own: its row number stands in for the key. One
    # pass, grouped by site; the city's areas as a hashed IN list (33,755 for England)
    one = (f"SELECT coalesce({key}, '#' || row_number() OVER ()::VARCHAR) AS site, "
           f"coalesce({query.quote(area_column)}::VARCHAR IN (SELECT unnest(?::VARCHAR[])), "
           f"false) AS inside FROM {rows_of}")
    sites, inside, largest = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE n_inside > 0), max(n_inside) FROM "
        f"(SELECT site, count(*) FILTER (WHERE inside) AS n_inside FROM ({one}) GROUP BY site)",
        [list(area_codes), *args]).fetchone()
    return int(sites or 0), int(inside or 0), int(largest or 0)
