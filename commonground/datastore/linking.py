"""Tie every row of a dataset to the city's places: its base area (LSOA) and larger areas.

A row is placed by the first of these that works, in this order:

1. **coordinates**: a WGS84 latitude/longitude pair of columns, or a British National Grid
   easting/northing pair (metres, EPSG:27700);
2. **geometry**: the file's own geometry (GeoJSON, GeoPackage, Shapefile), by a point on
   its surface, so a car park polygon counts in the LSOA that holds it;
3. **postcode**: a postcode column, looked up in the city's postcode file (ONS lookup: the
   postcode's LSOA, and its centroid where published);
4. **area code**: a column of GSS codes of the base geography (the row gets every larger
   area too) or of a larger one (the row gets that area only).

Larger areas come from the base area through the official lookups, best fit (the same rule
as the places layer uses for profiles), so a row's ward is the ward of its LSOA.

Which columns to use is decided by :mod:`.linkdetect` (by name, checked by content), so
nothing here knows Milton Keynes. Coordinates are located with :class:`AreaIndex` in NumPy
(England's 33,755 LSOAs: 10 million points in about 5 s of CPU, build included; see
``benchmarks/point_in_area.py --national``); postcodes are joined to the city's lookup in
DuckDB (a hash join) and area codes are looked up with Arrow's hash lookups, so no step
runs Python once per row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from commonground.geography.parents import surface_points
from commonground.geography.pointindex import AreaIndex
from commonground.geography.projection import lonlat_to_bng

from .sqlquote import identifier

#: How many unplaced rows the report lists (all are counted).
MAX_LISTED = 50


class PlacementMethod(IntEnum):
    """How a row was placed, in the order the methods are tried.

    ``label`` is the row's ``_linked_by`` text in version files and the key of the report's
    ``by_method``; the value is its position in that column's dictionary. Both are stored:
    never renumber or rename.
    """

    COORDINATES = 0, "coordinates"
    GEOMETRY = 1, "geometry"
    POSTCODE = 2, "postcode"
    AREA_CODE = 3, "area code"

    label: str

    def __new__(cls, value: int, label: str) -> PlacementMethod:
        member = int.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class UnplacedReason(IntEnum):
    """Why a row is not placed: the first reason a method found, else no location at all."""

    NO_LOCATION = 0
    OUTSIDE_CITY = 1
    POSTCODE_NOT_IN_CITY = 2
    AREA_CODE_NOT_IN_CITY = 3
    POSTCODE_WITHOUT_AREA = 4  # in the lookup, with no area and no position (terminated, its area split)
    DEGREES_OUT_OF_RANGE = 5  # a latitude beyond ±90 or a longitude beyond ±180

    def describe(self, city_name: str, plan: LinkPlan) -> str:
        """The reason in the words of the ingest report."""
        if self is UnplacedReason.NO_LOCATION:
            return "no location: " + ("no coordinates, postcode or area code in this row"
                                      if plan.any else
                                      "no column holds coordinates, postcodes or area codes")
        if self is UnplacedReason.OUTSIDE_CITY:
            return f"outside {city_name}"
        if self is UnplacedReason.POSTCODE_NOT_IN_CITY:
            return f"postcode not in {city_name}'s postcode lookup"
        if self is UnplacedReason.DEGREES_OUT_OF_RANGE:
            return ("latitude/longitude out of range (latitude -90 to 90, "
                    "longitude -180 to 180)")
        if self is UnplacedReason.POSTCODE_WITHOUT_AREA:
            return f"postcode in {city_name}'s postcode lookup without an area or a position"
        return f"area code not in {city_name}"


@dataclass
class Gazetteer:
    """The city's places as the linker needs them (built by the places layer).

    base:         the base geography, e.g. ``"lsoa21"``
    base_codes:   base area codes, in ``index`` order
    index:        point index over the base areas (British National Grid)
    parent_codes: for each larger geography, the best-fit parent code of every base area
                  ("" where none), e.g. ``{"msoa21": [...], "ward": [...]}``
    codes:        every geography's codes, for area-code columns
    postcodes:    compact postcode (upper case, no spaces) → (base area position or -1,
                  easting, northing); NaN coordinates where the lookup has none
    postcode_rows: the same lookup already as the Arrow table ``postcode_table`` gives
                  (the places layer builds England's 2.2 million so, never as a dict)
    city_name:    for messages ("outside Milton Keynes")
    """

    base: str
    base_codes: list[str]
    index: AreaIndex
    parent_codes: dict[str, list[str]]
    codes: dict[str, set[str]]
    postcodes: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    city_name: str = "the city"
    postcode_rows: pa.Table | None = field(default=None, repr=False, compare=False)
    _postcode_table: pa.Table | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def has_postcodes(self) -> bool:
        return bool(self.postcodes) or (self.postcode_rows is not None and self.postcode_rows.num_rows > 0)

    @property
    def geographies(self) -> list[str]:
        """The link columns' geographies: the base first, then the larger ones."""
        return [self.base, *self.parent_codes]

    def postcode_table(self) -> pa.Table:
        """The postcode lookup as an Arrow table (compact, base, e, n) for DuckDB to hash
        join against; made once per gazetteer (2.2 million postcodes for England: ~1 s)."""
        if self.postcode_rows is not None:
            return self.postcode_rows
        if self._postcode_table is None or self._postcode_table.num_rows != len(self.postcodes):
            values = np.array(list(self.postcodes.values()), dtype=float).reshape(-1, 3)
            self._postcode_table = pa.table({
                "compact": pa.array(list(self.postcodes), type=pa.string()),
                "base": values[:, 0].astype(np.int32), "e": values[:, 1], "n": values[:, 2]})
        return self._postcode_table


@dataclass
class LinkPlan:
    """Which columns place the rows (names of the typed table's columns, or None)."""

    lat: str | None = None
    lon: str | None = None
    easting: str | None = None
    northing: str | None = None
    geometry: bool = False
    postcode: str | None = None
    area_codes: dict[str, str] = field(default_factory=dict)  # column -> geography
    #: plain-English warnings about columns that contradict their names (see linkdetect)
    warnings: list[str] = field(default_factory=list)

    @property
    def any(self) -> bool:
        return bool(self.lat or self.easting or self.geometry or self.postcode or self.area_codes)

    def placed_by(self) -> dict:
        """The data columns that place the rows, by what they give: ``exact`` (coordinates,
        postcodes) and ``areas`` (column -> geography of its area codes)."""
        exact = [c for c in (self.lat, self.lon, self.easting, self.northing, self.postcode) if c]
        return {"exact": exact, "areas": dict(self.area_codes)}

    def describe(self) -> list[str]:
        out = []
        if self.lat:
            out.append(f"latitude/longitude from columns {self.lat!r} and {self.lon!r} (WGS84)")
        if self.easting:
            out.append(f"British National Grid from columns {self.easting!r} and {self.northing!r}")
        if self.geometry:
            out.append("the file's geometry (a point on each shape's surface)")
        if self.postcode:
            out.append(f"postcodes in column {self.postcode!r}")
        for column, geography in self.area_codes.items():
            out.append(f"area codes ({geography}) in column {column!r}")
        return out


@dataclass
class LinkReport:
    plan: LinkPlan
    rows: int
    linked: int
    by_method: dict[str, int]
    unmatched_by_reason: dict[str, int]
    unmatched_rows: list[dict]  # [{"row": 17, "reason": "..."}], first MAX_LISTED in row order
    partial: dict[str, int]  # rows placed only in a larger geography, by geography
    #: rows not placed because their latitude/longitude is out of range, with the values
    #: and their likely cause: [{"row": 7, "reason": "latitude 52041 is not ..."}]
    out_of_range_rows: list[dict] = field(default_factory=list)

    @property
    def unmatched(self) -> int:
        return self.rows - self.linked

    def to_dict(self) -> dict:
        return {"columns_used": self.plan.describe(), "placed_by": self.plan.placed_by(),
                "warnings": list(self.plan.warnings),
                "rows": self.rows, "linked": self.linked,
                "unmatched": self.unmatched, "by_method": self.by_method,
                "unmatched_by_reason": self.unmatched_by_reason,
                "unmatched_rows": self.unmatched_rows, "partial": self.partial,
                "out_of_range_rows": self.out_of_range_rows}


def link(con: duckdb.DuckDBPyConnection, table: str, plan: LinkPlan, gazetteer: Gazetteer,
         geometry_column: str = "_geometry") -> tuple[pa.Table, LinkReport]:
    """Place every row of ``table`` (which has a unique ``_row``); returns link columns.

    The returned Arrow table has ``_row``, one ``_<geography>`` code column per geography
    (base first), ``_linked_by``, ``_easting`` and ``_northing`` (metres, EPSG:27700, the
    row's point where it has one), in ``_row`` order. Each method places only the rows the
    ones before it left unplaced.
    """
    rows = con.execute(f"SELECT _row FROM {table} ORDER BY _row").fetchnumpy()["_row"]
    placement = _Placement.empty(len(rows))
    if plan.lat or plan.easting:
        _place_by_coordinates(con, table, plan, gazetteer, placement)
    if plan.geometry:
        _place_by_geometry(con, table, geometry_column, gazetteer, placement)
    if plan.postcode and gazetteer.has_postcodes:
        _place_by_postcode(con, table, plan.postcode, gazetteer, placement)
    for column in plan.area_codes:
        _place_by_area_codes(con, table, column, gazetteer, placement)
    return _link_columns(rows, placement, gazetteer), _report(rows, placement, plan, gazetteer)


@dataclass
class _Placement:
    """Where :func:`link` has placed each row so far (arrays in ``_row`` order).

    base:   position of the row's base area in ``Gazetteer.base_codes`` (-1: none)
    east, north: the row's point, EPSG:27700 metres (NaN: none)
    method: the :class:`PlacementMethod` that placed the row (-1: not placed)
    reason: why a row is not placed (:class:`UnplacedReason`; the first found is kept)
    larger: per larger geography, the code of rows placed in that geography only (else None)
    degrees: the latitude/longitude columns' values (NaN: none), for the report's reasons
    """

    base: np.ndarray
    east: np.ndarray
    north: np.ndarray
    method: np.ndarray
    reason: np.ndarray
    larger: dict[str, np.ndarray] = field(default_factory=dict)
    degrees: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def empty(cls, n: int) -> _Placement:
        return cls(base=np.full(n, -1, dtype=np.int32), east=np.full(n, np.nan),
                   north=np.full(n, np.nan), method=np.full(n, -1, dtype=np.int8),
                   reason=np.full(n, UnplacedReason.NO_LOCATION, dtype=np.int8))

    @property
    def placed(self) -> np.ndarray:
        return self.method >= 0

    def locate(self, index: AreaIndex, x: np.ndarray, y: np.ndarray, candidates: np.ndarray,
               method: PlacementMethod) -> None:
        """Place the unplaced ``candidates`` by their points ``x``, ``y`` (metres)."""
        where = np.flatnonzero(candidates & (self.base < 0))
        px, py = (x, y) if len(where) == len(x) else (x[where], y[where])
        found = index.locate(px, py)
        ok = found >= 0
        self.base[where] = found
        placed = where[ok]
        self.method[placed] = method
        self.east[placed], self.north[placed] = px[ok], py[ok]
        self.reason[where[~ok]] = UnplacedReason.OUTSIDE_CITY


def _place_by_coordinates(con, table: str, plan: LinkPlan, gazetteer: Gazetteer,
                          placement: _Placement) -> None:
    """WGS84 latitude/longitude columns, then British National Grid easting/northing ones."""
    n = len(placement.base)
    if plan.lat and plan.lon:
        got = con.execute(f'SELECT CAST({identifier(plan.lat)} AS DOUBLE) AS lat, '
                          f'CAST({identifier(plan.lon)} AS DOUBLE) AS lon FROM {table} ORDER BY _row'
                          ).fetchnumpy()
        lat, lon = _float(got["lat"]), _float(got["lon"])
        present = np.isfinite(lat) & np.isfinite(lon)
        valid = present & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        # never placed (a wrong spot is worse than none): said per row in the report
        placement.reason[present & ~valid] = UnplacedReason.DEGREES_OUT_OF_RANGE
        placement.degrees = (lat, lon)
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        if valid.any():
            x[valid], y[valid] = lonlat_to_bng(lon[valid], lat[valid])
        placement.locate(gazetteer.index, x, y, valid, PlacementMethod.COORDINATES)
    if plan.easting and plan.northing:
        got = con.execute(f'SELECT CAST({identifier(plan.easting)} AS DOUBLE) AS e, '
                          f'CAST({identifier(plan.northing)} AS DOUBLE) AS n FROM {table} ORDER BY _row'
                          ).fetchnumpy()
        x, y = _float(got["e"]), _float(got["n"])
        placement.locate(gazetteer.index, x, y, np.isfinite(x) & np.isfinite(y),
                         PlacementMethod.COORDINATES)


def _place_by_geometry(con, table: str, geometry_column: str, gazetteer: Gazetteer,
                       placement: _Placement) -> None:
    """The file's own geometry (WKB, WGS84), by a point on each shape's surface."""
    n = len(placement.base)
    wkb = con.sql(f"SELECT {geometry_column} FROM {table} ORDER BY _row").to_arrow_table()
    geoms = shapely.from_wkb(_column(wkb, 0).to_numpy(zero_copy_only=False))
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    if present.any():
        points = surface_points(geoms[present])
        lon, lat = shapely.get_x(points), shapely.get_y(points)
        x[present], y[present] = lonlat_to_bng(lon, lat)
    placement.locate(gazetteer.index, x, y, present, PlacementMethod.GEOMETRY)


def _place_by_postcode(con, table: str, column: str, gazetteer: Gazetteer,
                       placement: _Placement) -> None:
    """A postcode column, joined in DuckDB to the city's postcode lookup (compact form)."""
    con.register("_cg_postcodes", gazetteer.postcode_table())
    got = con.execute(
        f'SELECT t._row, p.base, p.e, p.n, t.pc IS NOT NULL AS has_pc, p.compact IS NOT NULL AS known FROM ('
        f'  SELECT _row, upper(replace(trim({identifier(column)}), \' \', \'\')) AS pc'
        f'  FROM {table}) t LEFT JOIN _cg_postcodes p ON p.compact = t.pc ORDER BY t._row'
    ).fetchnumpy()
    con.unregister("_cg_postcodes")
    base = _int(got["base"])
    has = np.asarray(got["has_pc"], dtype=bool)
    todo = placement.base < 0
    hit = todo & (base >= 0)
    placement.base[hit] = base[hit]
    placement.method[hit] = PlacementMethod.POSTCODE
    placement.east[hit], placement.north[hit] = _float(got["e"])[hit], _float(got["n"])[hit]
    unknown = todo & has & (base < 0) & (placement.reason == UnplacedReason.NO_LOCATION)
    placement.reason[unknown] = UnplacedReason.POSTCODE_NOT_IN_CITY
    placement.reason[unknown & np.asarray(got["known"], dtype=bool)] = UnplacedReason.POSTCODE_WITHOUT_AREA


def _place_by_area_codes(con, table: str, column: str, gazetteer: Gazetteer,
                         placement: _Placement) -> None:
    """A column of area codes: a base area code places the row completely; a code of a
    larger linked geography gives that geography only. A column may mix them (a table of
    LSOAs and wards). Codes are looked up with Arrow's hash lookups (``index_in``,
    ``is_in``): no Python step per row."""
    got = con.sql(f'SELECT trim({identifier(column)}) AS code FROM {table} ORDER BY _row'
                  ).to_arrow_table()
    codes = _column(got, 0).cast(pa.string())
    found = np.asarray(pc.fill_null(pc.index_in(
        codes, value_set=pa.array(gazetteer.base_codes, type=pa.string())), -1), dtype=np.int32)
    todo = placement.base < 0
    hit = todo & (found >= 0)
    placement.base[hit] = found[hit]
    placement.method[hit] = PlacementMethod.AREA_CODE
    known = found >= 0
    for geography, valid_codes in gazetteer.codes.items():
        if geography == gazetteer.base or geography not in gazetteer.parent_codes:
            continue
        valid = pc.is_in(codes, value_set=pa.array(sorted(valid_codes), type=pa.string()))
        valid = np.asarray(pc.fill_null(valid, False), dtype=bool) & ~known
        known |= valid
        todo = (placement.base < 0) & valid & (placement.method < 0)
        if todo.any():
            larger = placement.larger.setdefault(
                geography, np.full(len(placement.base), None, dtype=object))
            rows = np.flatnonzero(todo)
            larger[rows] = codes.take(rows).to_numpy(zero_copy_only=False)
            placement.method[todo] = PlacementMethod.AREA_CODE
    present = np.asarray(pc.fill_null(pc.not_equal(codes, ""), False), dtype=bool)
    unknown = ((placement.base < 0) & (placement.method < 0) & ~known & present
               & (placement.reason == UnplacedReason.NO_LOCATION))
    placement.reason[unknown] = UnplacedReason.AREA_CODE_NOT_IN_CITY


def _link_columns(rows: np.ndarray, placement: _Placement, gazetteer: Gazetteer) -> pa.Table:
    """``_row``, the ``_<geography>`` codes, ``_linked_by``, ``_easting``, ``_northing``.

    Code columns are dictionary-encoded: an index per row into the (small) list of codes,
    never a million Python strings.
    """
    columns = {"_row": pa.array(rows)}
    base = placement.base
    for geography in gazetteer.geographies:
        if geography == gazetteer.base:
            index = base
            dictionary = list(gazetteer.base_codes)
        else:
            dictionary, parent_of = _parent_index(gazetteer.parent_codes[geography])
            index = np.where(base >= 0, parent_of[np.maximum(base, 0)], -1)
        column = _dictionary_column(index, dictionary)
        if geography in placement.larger:  # rows placed by a code of this geography only
            larger = pa.array(placement.larger[geography], type=pa.string())
            column = pc.if_else(pc.is_valid(larger), larger, column.cast(pa.string()))
        columns[f"_{geography}"] = column
    columns["_linked_by"] = _dictionary_column(placement.method.astype(np.int32),
                                               [m.label for m in PlacementMethod])
    for name, values in (("_easting", placement.east), ("_northing", placement.north)):
        columns[name] = pa.array(np.where(np.isfinite(values), np.round(values, 1), np.nan),
                                 from_pandas=True)
    return pa.table(columns)


def _report(rows: np.ndarray, placement: _Placement, plan: LinkPlan,
            gazetteer: Gazetteer) -> LinkReport:
    """Rows placed by each method; rows not placed, counted by reason and the first listed."""
    method, placed = placement.method, placement.placed
    unplaced_reason = np.where(placed, -1, placement.reason)
    describe = {r: r.describe(gazetteer.city_name, plan) for r in UnplacedReason}
    return LinkReport(
        plan=plan, rows=len(rows), linked=int(placed.sum()),
        by_method={m.label: int((method == m).sum()) for m in PlacementMethod
                   if (method == m).any()},
        unmatched_by_reason={describe[r]: int((unplaced_reason == r).sum())
                             for r in UnplacedReason if (unplaced_reason == r).any()},
        unmatched_rows=[{"row": int(rows[i]), "reason": _row_reason(placement, i, describe, gazetteer)}
                        for i in np.flatnonzero(~placed)[:MAX_LISTED]],
        partial={g: int((v != None).sum()) for g, v in placement.larger.items()},  # noqa: E711
        out_of_range_rows=[
            {"row": int(rows[i]), "reason": _row_reason(placement, i, describe, gazetteer)}
            for i in np.flatnonzero(unplaced_reason == UnplacedReason.DEGREES_OUT_OF_RANGE
                                    )[:MAX_LISTED]],
    )


def _row_reason(placement: _Placement, i: int, describe: dict, gazetteer: Gazetteer) -> str:
    """Why row ``i`` is not placed; for degrees out of range, which value, and "looks like a
    decimal comma" when :func:`decimal_comma_reading` gives a value that a comma can explain:
    one of 1,000 or more ("52,041"), or a smaller one ("-0,755" read as -755) whose reading
    puts the row in the city."""
    reason = UnplacedReason(placement.reason[i])
    if reason is not UnplacedReason.DEGREES_OUT_OF_RANGE or placement.degrees is None:
        return describe[reason]
    values = {"latitude": (float(placement.degrees[0][i]), 90),
              "longitude": (float(placement.degrees[1][i]), 180)}
    meant = {name: decimal_comma_reading(v, limit) for name, (v, limit) in values.items()}
    read = [m if (m := meant[n]) is not None else v for n, (v, _) in values.items()]
    in_city = False
    if abs(read[0]) <= 90 and abs(read[1]) <= 180:
        x, y = lonlat_to_bng(np.array([read[1]]), np.array([read[0]]))
        in_city = bool(gazetteer.index.locate(x, y)[0] >= 0)
    said = []
    for name, (value, limit) in values.items():
        if abs(value) > limit:
            hint = meant[name] is not None and (abs(value) >= 1000 or in_city)
            said.append(f"{name} {value:.10g} is not between -{limit} and {limit}"
                        + (f" (looks like a decimal comma: {meant[name]:.10g}?)" if hint
                           else ""))
    return "; ".join(said)


def decimal_comma_reading(value: float, limit: float) -> float | None:
    """``value`` as it was most likely meant if it was written with a decimal comma that
    was read as a thousands separator ("52,041" -> 52041, meant 52.041), when that reading
    is within ±``limit`` and this one is not; else None. (A number is read with commas
    only between groups of three digits, so such a value is whole and the comma sat
    three, six, ... digits from its end.)"""
    if not np.isfinite(value) or abs(value) <= limit or value != np.trunc(value):
        return None
    meant = float(value)
    while abs(meant) > limit:
        meant /= 1000
    return meant


def _dictionary_column(index: np.ndarray, dictionary: list[str]) -> pa.DictionaryArray:
    """``dictionary[index]`` per row as a dictionary-encoded string column; -1 is null."""
    index = np.asarray(index, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(index, mask=index < 0),
                                          pa.array(dictionary, type=pa.string()))


def _parent_index(parents: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct parent codes, and each base area's position among them (-1: none)."""
    dictionary = sorted({p for p in parents if p})
    position = {code: i for i, code in enumerate(dictionary)}
    return dictionary, np.array([position.get(p, -1) for p in parents], dtype=np.int32)


def _column(result, i: int) -> pa.ChunkedArray:
    """Column ``i`` of a DuckDB ``.arrow()`` result (a Table or a RecordBatchReader)."""
    table = result.read_all() if hasattr(result, "read_all") else result
    return table.column(i)


def _float(values) -> np.ndarray:
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.filled(values.astype(float), np.nan)
    return np.asarray(values, dtype=float)


def _int(values) -> np.ndarray:
    if isinstance(values, np.ma.MaskedArray):
        return np.ma.filled(values.astype(np.int32), -1)
    return np.asarray(values, dtype=np.int32)
