"""Find the columns that place a table's rows: by name first, then checked by content.

A latitude column must hold latitudes and an easting column British National Grid metres;
a postcode column must mostly look like UK postcodes; an area-code column must mostly hold
the city's own codes (of the base geography or a larger linked one, possibly mixed). The
result is a :class:`~commonground.datastore.linking.LinkPlan` for :func:`linking.link`.

Coordinates that contradict their columns' names become warnings in the plan (and so in the
report): latitude/longitude columns with values outside those ranges (their rows cannot be
placed by them; grid metres, most likely), or easting/northing columns holding only
degree-sized values.
"""

from __future__ import annotations

import re

import duckdb

from .linking import Gazetteer, LinkPlan, decimal_comma_reading
from .sqlquote import identifier

#: Share of a column's non-null values that must look right for it to be used (0–1).
DETECTION_SHARE = 0.8
#: British National Grid extent (metres): true origin to the north of Shetland.
BNG_EAST = (0.0, 700_000.0)
BNG_NORTH = (0.0, 1_300_000.0)

NUMERIC = ("integer", "number")
LAT_NAME = re.compile(r"^(lat|latitude|y_?lat|lat_?(wgs84|dd|deg))$|latitude", re.I)
LON_NAME = re.compile(r"^(lon|lng|long|longitude|x_?lon|lon_?(wgs84|dd|deg))$|longitude", re.I)
EAST_NAME = re.compile(r"^(x|easting|eastings|east|bng_?x|os_?x|x_?coord(inate)?|grid_?ref_?east)$|easting",
                       re.I)
NORTH_NAME = re.compile(r"^(y|northing|northings|north|bng_?y|os_?y|y_?coord(inate)?|grid_?ref_?north)$"
                        r"|northing", re.I)
POSTCODE_NAME = re.compile(r"post\s*_?code|^pcds?$|^pcd\d?$|^postal", re.I)
#: A UK postcode, spaces optional (compact form compared upper case without spaces).
POSTCODE_SQL_PATTERN = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"


def detect(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], gazetteer: Gazetteer,
           has_geometry: bool) -> LinkPlan:
    """Find the columns that place rows, by name then by content."""
    plan = LinkPlan(geometry=has_geometry)
    numeric = [c for c, t in types.items() if t in NUMERIC]
    lat = _first(numeric, LAT_NAME)
    lon = _first(numeric, LON_NAME)
    if lat and lon and _share_in(con, table, lat, -90, 90) >= DETECTION_SHARE \
            and _share_in(con, table, lon, -180, 180) >= DETECTION_SHARE:
        plan.lat, plan.lon = lat, lon
    if lat and lon:
        plan.warnings += _degrees_out_of_range(con, table, lat, lon)
    east = _first([c for c in numeric if c not in (lat, lon)], EAST_NAME)
    north = _first([c for c in numeric if c not in (lat, lon)], NORTH_NAME)
    if east and north and _share_in(con, table, east, *BNG_EAST) >= DETECTION_SHARE \
            and _share_in(con, table, north, *BNG_NORTH) >= DETECTION_SHARE:
        plan.easting, plan.northing = east, north
    if east and north and not plan.lat:
        plan.warnings += _grid_in_degrees(con, table, east, north)

    strings = [c for c, t in types.items() if t == "string"]
    if gazetteer.has_postcodes:
        named = [c for c in strings if POSTCODE_NAME.search(c)]
        for column in named + [c for c in strings if c not in named]:
            if _postcode_share(con, table, column) >= DETECTION_SHARE:
                plan.postcode = column
                break
    for column in strings:
        if column == plan.postcode:
            continue
        geography = _code_geography(con, table, column, gazetteer)
        if geography:
            plan.area_codes[column] = geography
    # The base geography's codes first: they place a row completely.
    plan.area_codes = dict(sorted(plan.area_codes.items(),
                                  key=lambda kv: kv[1] != gazetteer.base))
    return plan


def _first(columns: list[str], pattern: re.Pattern) -> str | None:
    for column in columns:
        if pattern.search(column.strip()):
            return column
    return None


def _share_in(con, table: str, column: str, low: float, high: float) -> float:
    count, inside = con.execute(
        f'SELECT count({identifier(column)}), count(*) FILTER (WHERE CAST({identifier(column)} AS DOUBLE) '
        f"BETWEEN ? AND ?) FROM {table}", [low, high]).fetchone()
    return inside / count if count else 0.0


def _degrees_out_of_range(con, table: str, lat: str, lon: str) -> list[str]:
    """A warning if rows of latitude/longitude columns hold values outside those ranges."""
    la, lo = f'CAST({identifier(lat)} AS DOUBLE)', f'CAST({identifier(lon)} AS DOUBLE)'
    bad = f"NOT ({la} BETWEEN -90 AND 90 AND {lo} BETWEEN -180 AND 180)"
    grid = f"{lo} BETWEEN {BNG_EAST[0]} AND {BNG_EAST[1]} AND {la} BETWEEN {BNG_NORTH[0]} " \
           f"AND {BNG_NORTH[1]}"
    count, in_grid, present = con.execute(
        f"SELECT count(*) FILTER (WHERE {bad}), count(*) FILTER (WHERE {bad} AND {grid}), "
        f"count(*) FROM {table} WHERE {la} IS NOT NULL AND {lo} IS NOT NULL").fetchone()
    if not count:
        return []
    row, y, x = con.execute(f"SELECT _row, {la}, {lo} FROM {table} WHERE {bad} ORDER BY _row "
                            "LIMIT 1").fetchone()
    which = f"all {count:,} rows" if count == present else f"{count:,} of {present:,} rows"
    advice = ("they look like British National Grid metres (EPSG:27700): name the columns "
              "northing and easting, or give WGS84 degrees" if in_grid == count else
              "check that they are WGS84 degrees")
    for name, value, limit in ((lat, y, 90), (lon, x, 180)):
        meant = decimal_comma_reading(value, limit)
        if meant is not None and abs(value) >= 1000 and in_grid != count:
            advice = (f"{name} {value:.10g} looks like a decimal comma ({meant:.10g}?): write "
                      "the values with decimal points")
            break
    return [f"Columns {lat!r} and {lon!r} are named as latitude/longitude (WGS84), but {which} "
            f"have values outside latitude/longitude ranges (first: row {row}, {lat} {y:.10g}, "
            f"{lon} {x:.10g}), so those rows cannot be placed by them; {advice}."]


def _grid_in_degrees(con, table: str, east: str, north: str) -> list[str]:
    """A warning if easting/northing columns hold only values the size of degrees."""
    e, n = f'CAST({identifier(east)} AS DOUBLE)', f'CAST({identifier(north)} AS DOUBLE)'
    present, degrees = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE {e} BETWEEN -180 AND 180 AND {n} BETWEEN -90 "
        f"AND 90) FROM {table} WHERE {e} IS NOT NULL AND {n} IS NOT NULL").fetchone()
    if not present or degrees < present:
        return []
    row, x, y = con.execute(f"SELECT _row, {e}, {n} FROM {table} WHERE {e} IS NOT NULL AND "
                            f"{n} IS NOT NULL ORDER BY _row LIMIT 1").fetchone()
    return [f"Columns {east!r} and {north!r} are named as British National Grid "
            f"easting/northing (metres), but every value is within longitude/latitude ranges "
            f"(first: row {row}, {east} {x:.10g}, {north} {y:.10g}), so the rows cannot be "
            "placed by them; they look like WGS84 degrees (EPSG:4326): name the columns "
            "longitude and latitude."]


def _postcode_share(con, table: str, column: str) -> float:
    count, matching = con.execute(
        f'SELECT count(v), count(*) FILTER (WHERE regexp_matches(v, ?)) FROM ('
        f'  SELECT upper(replace(trim({identifier(column)}), \' \', \'\')) AS v FROM {table}'
        f'  USING SAMPLE 10000 ROWS)', [POSTCODE_SQL_PATTERN]).fetchone()
    return matching / count if count else 0.0


def _code_geography(con, table: str, column: str, gazetteer: Gazetteer) -> str | None:
    """The main geography of a column whose distinct values are mostly the city's area codes.

    Codes of the base geography and of the larger linked ones count (a column may mix LSOAs
    and wards); None if under ``DETECTION_SHARE`` of the values are such codes."""
    values = [v for (v,) in con.execute(
        f'SELECT DISTINCT trim({identifier(column)}) FROM {table} WHERE {identifier(column)} IS NOT NULL '
        f"LIMIT 20000").fetchall()]
    if not values or not any(isinstance(v, str) and v[:1].isalpha() and v[1:3].isdigit()
                             for v in values[:50]):
        return None
    linkable = [gazetteer.base, *gazetteer.parent_codes]
    known = set().union(*(gazetteer.codes.get(g, set()) for g in linkable))
    if sum(v in known for v in values) / len(values) < DETECTION_SHARE:
        return None
    # Name the column by the geography most of its codes belong to (the base on a tie).
    return max(linkable, key=lambda g: (sum(v in gazetteer.codes.get(g, ()) for v in values),
                                        g == gazetteer.base))
