"""A dataset version's measure per base area, read from its Parquet file with DuckDB.

Only the columns the lens needs are read (the base area code, the weight or value column and
the row positions ``_easting``/``_northing``), so a million-row version is read in a fraction
of a second. Column names follow ``commonground.datastore.layout``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from commonground.datastore import query

from .inputs import Measure


class MeasureError(ValueError):
    """The measure asked for does not fit the dataset (unknown or non-numeric column...)."""


def read_measure(parquet: Path, area_codes: tuple[str, ...], base_geography: str, *,
                 kind: str = "count", column: str | None = None, label: str = "rows",
                 columns: list[dict] | None = None) -> Measure:
    """The measure per base area (in ``area_codes`` order) and every row's position.

    kind ``count``: rows per area; ``weight``: sum of ``column`` per area (empty cells count
    0); ``value``: mean of ``column`` per area (datasets with one row per area; NaN where an
    area has no row).
    """
    con = query.connection()
    path = str(parquet)
    if columns is None:  # the file's footer only: no need to load the version into the cache
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [path]).fetchall()
        columns = [{"name": name, "type": query.TYPES_BY_DUCKDB.get(kind, kind.lower())}
                   for name, kind, *_ in described]
    types = {c["name"]: c["type"] for c in columns}
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
    q = query.quote(column or "")
    value = {"count": "count(*)", "weight": f"coalesce(sum({q}), 0)", "value": f"avg({q})"}[kind]
    square = f"coalesce(sum({q} * {q}), 0)" if kind == "weight" else "count(*)"
    if kind == "weight":
        negative = con.execute(f"SELECT count(*) FROM read_parquet(?) WHERE {q} < 0",
                               [path]).fetchone()[0]
        if negative:
            raise MeasureError(f"column {column!r} has {negative:,} negative values; a weight "
                               "must be zero or more (choose it as a value per area instead)")
    rows = con.execute(
        f"SELECT {query.quote(area_column)}::VARCHAR, {value}, count(*), {square} "
        "FROM read_parquet(?) GROUP BY 1", [path]).fetchall()
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
    if "_easting" in types and "_northing" in types:
        got = con.execute("SELECT _easting::DOUBLE AS x, _northing::DOUBLE AS y "
                          "FROM read_parquet(?) WHERE _easting IS NOT NULL AND _northing IS NOT NULL",
                          [path]).fetchnumpy()
        xy = np.column_stack([np.asarray(got["x"]), np.asarray(got["y"])])
    else:
        xy = np.empty((0, 2))
    return Measure(kind=kind, label=label, unit="rows" if kind == "count" else column,
                   per_area=per_area, points_xy=xy.astype(float), rows_total=int(total),
                   rows_in_areas=int(in_areas), column=column, per_area_sq=per_area_sq)
