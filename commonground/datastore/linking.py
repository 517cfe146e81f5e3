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
and postcodes are joined in DuckDB; area codes are looked up in a dict (the one per-row
Python step, used only for files that carry codes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from commonground.geography.pointindex import AreaIndex
from commonground.geography.projection import lonlat_to_bng

from .sqlquote import identifier

#: How many unplaced rows the report lists (all are counted).
MAX_LISTED = 50

METHODS = ("coordinates", "geometry", "postcode", "area code")


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
    city_name:    for messages ("outside Milton Keynes")
    """

    base: str
    base_codes: list[str]
    index: AreaIndex
    parent_codes: dict[str, list[str]]
    codes: dict[str, set[str]]
    postcodes: dict[str, tuple[int, float, float]] = field(default_factory=dict)
    city_name: str = "the city"

    @property
    def geographies(self) -> list[str]:
        """The link columns' geographies: the base first, then the larger ones."""
        return [self.base, *self.parent_codes]

    def postcode_table(self) -> pa.Table:
        keys = list(self.postcodes)
        values = np.array([self.postcodes[k] for k in keys], dtype=float).reshape(-1, 3)
        return pa.table({"compact": keys, "base": values[:, 0].astype(np.int32),
                         "e": values[:, 1], "n": values[:, 2]})


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

    @property
    def unmatched(self) -> int:
        return self.rows - self.linked

    def to_dict(self) -> dict:
        return {"columns_used": self.plan.describe(), "warnings": list(self.plan.warnings),
                "rows": self.rows, "linked": self.linked,
                "unmatched": self.unmatched, "by_method": self.by_method,
                "unmatched_by_reason": self.unmatched_by_reason,
                "unmatched_rows": self.unmatched_rows, "partial": self.partial}


def link(con: duckdb.DuckDBPyConnection, table: str, plan: LinkPlan, gazetteer: Gazetteer,
         geometry_column: str = "_geometry") -> tuple[pa.Table, LinkReport]:
    """Place every row of ``table`` (which has a unique ``_row``); returns link columns.

    The returned Arrow table has ``_row``, one ``_<geography>`` code column per geography
    (base first), ``_linked_by``, ``_easting`` and ``_northing`` (metres, EPSG:27700, the
    row's point where it has one), in ``_row`` order.
    """
    rows = con.execute(f"SELECT _row FROM {table} ORDER BY _row").fetchnumpy()["_row"]
    n = len(rows)
    base_idx = np.full(n, -1, dtype=np.int32)
    east = np.full(n, np.nan)
    north = np.full(n, np.nan)
    method = np.full(n, -1, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)  # 0 none, see REASONS
    extra: dict[str, np.ndarray] = {}

    def locate(x, y, candidates, method_no):
        todo = candidates & (base_idx < 0)
        found = gazetteer.index.locate(x[todo], y[todo])
        where = np.flatnonzero(todo)
        base_idx[where] = found
        ok = found >= 0
        method[where[ok]] = method_no
        east[where] = np.where(ok, x[todo], east[where])
        north[where] = np.where(ok, y[todo], north[where])
        reason[where[~ok]] = 1  # outside the city

    if plan.lat:
        got = con.execute(f'SELECT CAST({identifier(plan.lat)} AS DOUBLE) AS lat, '
                          f'CAST({identifier(plan.lon)} AS DOUBLE) AS lon FROM {table} ORDER BY _row'
                          ).fetchnumpy()
        lat, lon = _float(got["lat"]), _float(got["lon"])
        valid = np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180)
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        if valid.any():
            x[valid], y[valid] = lonlat_to_bng(lon[valid], lat[valid])
        locate(x, y, valid, 0)
    if plan.easting:
        got = con.execute(f'SELECT CAST({identifier(plan.easting)} AS DOUBLE) AS e, '
                          f'CAST({identifier(plan.northing)} AS DOUBLE) AS n FROM {table} ORDER BY _row'
                          ).fetchnumpy()
        x, y = _float(got["e"]), _float(got["n"])
        locate(x, y, np.isfinite(x) & np.isfinite(y), 0)
    if plan.geometry:
        wkb = con.sql(f"SELECT {geometry_column} FROM {table} ORDER BY _row").to_arrow_table()
        geoms = shapely.from_wkb(_column(wkb, 0).to_numpy(zero_copy_only=False))
        present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
        x, y = np.full(n, np.nan), np.full(n, np.nan)
        if present.any():
            points = shapely.point_on_surface(geoms[present])
            lon, lat = shapely.get_x(points), shapely.get_y(points)
            x[present], y[present] = lonlat_to_bng(lon, lat)
        locate(x, y, present, 1)
    if plan.postcode and gazetteer.postcodes:
        con.register("_cg_postcodes", gazetteer.postcode_table())
        got = con.execute(
            f'SELECT t._row, p.base, p.e, p.n, t.pc IS NOT NULL AS has_pc FROM ('
            f'  SELECT _row, upper(replace(trim({identifier(plan.postcode)}), \' \', \'\')) AS pc'
            f'  FROM {table}) t LEFT JOIN _cg_postcodes p ON p.compact = t.pc ORDER BY t._row'
        ).fetchnumpy()
        con.unregister("_cg_postcodes")
        pbase = _int(got["base"])
        has = np.asarray(got["has_pc"], dtype=bool)
        todo = base_idx < 0
        hit = todo & (pbase >= 0)
        base_idx[hit] = pbase[hit]
        method[hit] = 2
        east[hit], north[hit] = _float(got["e"])[hit], _float(got["n"])[hit]
        reason[todo & has & (pbase < 0) & (reason == 0)] = 2  # postcode not in the city lookup
    base_position = {c: i for i, c in enumerate(gazetteer.base_codes)}
    for column in plan.area_codes:
        got = con.execute(
            f'SELECT trim({identifier(column)}) AS code FROM {table} ORDER BY _row').fetchnumpy()
        codes = np.asarray(got["code"], dtype=object)
        # A base area code places the row completely; another geography's code gives
        # that geography only. A column may mix them (a table of LSOAs and wards).
        found = np.fromiter((base_position.get(c, -1) for c in codes), dtype=np.int32, count=n)
        todo = base_idx < 0
        hit = todo & (found >= 0)
        base_idx[hit] = found[hit]
        method[hit] = 3
        known = found >= 0
        for geography, valid_codes in gazetteer.codes.items():
            if geography == gazetteer.base or geography not in gazetteer.parent_codes:
                continue
            valid = np.isin(codes, list(valid_codes)) & ~known
            known |= valid
            todo = (base_idx < 0) & valid & (method < 0)
            if todo.any():
                column_codes = extra.setdefault(geography, np.full(n, None, dtype=object))
                column_codes[todo] = codes[todo]
                method[todo] = 3
        reason[(base_idx < 0) & (method < 0) & ~known & _present(codes) & (reason == 0)] = 3

    columns = {"_row": pa.array(rows)}
    # Code columns are dictionary-encoded: an index per row into the (small) list of codes,
    # never a million Python strings.
    for geography in gazetteer.geographies:
        if geography == gazetteer.base:
            index = base_idx
            dictionary = list(gazetteer.base_codes)
        else:
            dictionary, parent_of = _parent_index(gazetteer.parent_codes[geography])
            index = np.where(base_idx >= 0, parent_of[np.maximum(base_idx, 0)], -1)
        column = _dictionary_column(index, dictionary)
        if geography in extra:  # rows placed by a code of this larger geography only
            decoded = np.asarray(column.to_pylist(), dtype=object)
            column = pa.array(np.where(extra[geography] != None, extra[geography], decoded),  # noqa: E711
                              type=pa.string())
        columns[f"_{geography}"] = column
    columns["_linked_by"] = _dictionary_column(method.astype(np.int32), list(METHODS))
    columns["_easting"] = pa.array(np.where(np.isfinite(east), np.round(east, 1), np.nan),
                                   from_pandas=True)
    columns["_northing"] = pa.array(np.where(np.isfinite(north), np.round(north, 1), np.nan),
                                    from_pandas=True)
    links = pa.table(columns)

    placed = method >= 0
    unmatched = np.flatnonzero(~placed)
    reasons = _reasons(gazetteer, plan)
    report = LinkReport(
        plan=plan, rows=n, linked=int(placed.sum()),
        by_method={METHODS[m]: int((method == m).sum()) for m in range(len(METHODS))
                   if (method == m).any()},
        unmatched_by_reason={reasons[r]: int(((reason == r) & ~placed).sum())
                             for r in range(len(reasons)) if ((reason == r) & ~placed).any()},
        unmatched_rows=[{"row": int(rows[i]), "reason": reasons[reason[i]]}
                        for i in unmatched[:MAX_LISTED]],
        partial={g: int((v != None).sum()) for g, v in extra.items()},  # noqa: E711
    )
    return links, report


def _reasons(gazetteer: Gazetteer, plan: LinkPlan) -> list[str]:
    return [
        "no location: " + ("no coordinates, postcode or area code in this row"
                           if plan.any else "no column holds coordinates, postcodes or area codes"),
        f"outside {gazetteer.city_name}",
        f"postcode not in {gazetteer.city_name}'s postcode lookup",
        f"area code not in {gazetteer.city_name}",
    ]


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
    if np.ma.isMaskedArray(values):
        return values.astype(float).filled(np.nan)
    return np.asarray(values, dtype=float)


def _int(values) -> np.ndarray:
    if np.ma.isMaskedArray(values):
        return values.astype(np.int32).filled(-1)
    return np.asarray(values, dtype=np.int32)


def _present(codes: np.ndarray) -> np.ndarray:
    return (codes != None) & (codes != "")  # noqa: E711 (elementwise on an object array)
