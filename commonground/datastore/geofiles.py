"""Stage a geographic file — GeoJSON, GeoPackage or zipped Shapefile — into ``raw``.

Files are read with pyogrio (GDAL) as Arrow. Attributes become the data columns (typed
values rendered as text by DuckDB, their types declared); geometries are parsed by shapely,
checked, reprojected to EPSG:4326 (longitude, latitude) with pyproj when the source CRS
differs, and stored as 2-D WKB in ``_geometry``. ``_row`` is the 1-based feature number.

A feature without a geometry is kept (``_geometry`` NULL). A geometry that cannot be parsed
or is invalid (``shapely.is_valid``) stops the ingest with the feature number and the
reason, since every later spatial step would go wrong on it.

A Shapefile without a .prj has no CRS: British National Grid (EPSG:27700) is assumed when
the coordinates fit its extent in metres, WGS84 when they fit longitude/latitude, with a
note either way.

A GeoJSON's (2008-style) ``"crs"`` member must name a CRS that exists and is horizontal
(geographic or projected): GDAL would silently read an unknown one as WGS84. Coordinates
that contradict the CRS stop the ingest with the feature and a suggestion: values outside
longitude/latitude ranges under WGS84 (British National Grid metres, most likely), or only
longitude/latitude-sized values under British National Grid.
"""

from __future__ import annotations

import json
import mmap
import re
import warnings
from pathlib import Path, PurePosixPath

import duckdb
import numpy as np
import pyarrow as pa
import pyogrio
import pyogrio.errors
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from .archives import extract as extract_members
from .archives import open_zip
from .errors import IngestError, Limits, public_message
from .rawtable import (
    RAW_TABLE,
    StagedTable,
    blank_cells_to_null,
    check_column_count,
    clean_column_names,
    declared_type,
    describe,
    insertion_order_kept,
    run,
    text_sql,
)
from .sqlquote import identifier

WGS84 = CRS.from_epsg(4326)
BNG = CRS.from_epsg(27700)
#: How a GeoJSON names British National Grid in its "crs" member (for messages).
BNG_GEOJSON_CRS = '"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}'
# Extent of British National Grid coordinates in metres: the EPSG:27700 projected bounds
# (EPSG registry, area of use "United Kingdom (UK) - offshore to boundary of UKCS"),
# rounded outwards: x -104,000 .. 653,000, y -17,000 .. 1,250,000.
BNG_EXTENT = (-104_000.0, -17_000.0, 653_000.0, 1_250_000.0)

GEOMETRY_TYPES = {0: "Point", 1: "LineString", 2: "LinearRing", 3: "Polygon", 4: "MultiPoint",
                  5: "MultiLineString", 6: "MultiPolygon", 7: "GeometryCollection"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
               pyogrio.errors.FieldError, pyogrio.errors.GeometryError, OSError)


def stage_geojson(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str,
                  limits: Limits) -> StagedTable:
    """Stage a GeoJSON FeatureCollection (or single Feature).

    Property values that look like dates stay text (GDAL's DATE_AS_STRING): GeoJSON has no
    date type, so only numbers and booleans get declared types.
    """
    declared = _geojson_crs(path, filename)
    layer = _read(path, None, filename, limits, DATE_AS_STRING="YES")
    if declared is None:
        layer.crs_said = ("the file has no \"crs\" member, so its coordinates are WGS84 "
                          "longitude/latitude (GeoJSON's rule)")
    elif layer.crs is None or not declared.equals(CRS.from_user_input(layer.crs),
                                                  ignore_axis_order=True):
        layer.crs = declared  # a name PROJ knows and GDAL did not (it fell back to WGS84)
    # numpy's stubs leave out None as an operand; an object array compares with it fine
    dropped = np.flatnonzero(np.equal(layer.wkb, None))  # type: ignore[call-overload]
    if len(dropped):
        layer.unreadable = _geometries_gdal_dropped(con, path, dropped)
    return _stage(con, layer, "geojson", filename, numbers_only=True)


#: A JSON string or bracket: enough to follow a document's nesting without decoding it.
_JSON_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|[{}\[\]]')


def _geojson_crs_member(path: Path) -> tuple[bool, object]:
    """(whether the top-level object has a "crs" member, its decoded value).

    The file is not decoded: it is scanned (memory-mapped) only if the bytes ``"crs"``
    occur at all, following strings and brackets to the first ``"crs"`` key at the top
    level. GDAL/QGIS write it before the features, so the scan stops early.
    """
    with open(path, "rb") as f:
        if f.seek(0, 2) == 0:
            return False, None
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(b'"crs"') < 0:
                return False, None
            depth = 0
            for match in _JSON_TOKEN.finditer(data):
                token = match.group()
                if token in (b"{", b"["):
                    depth += 1
                elif token in (b"}", b"]"):
                    depth -= 1
                elif depth == 1 and token == b'"crs"':
                    rest = data[match.end():match.end() + 65536].decode("utf-8", "replace")
                    colon = rest.lstrip()
                    if not colon.startswith(":"):
                        continue  # a value "crs", not the key
                    try:
                        return True, json.JSONDecoder().raw_decode(colon[1:].lstrip())[0]
                    except ValueError:
                        return True, colon[1:].lstrip()[:60]
    return False, None


def _geojson_crs(path: Path, filename: str) -> CRS | None:
    """The CRS the GeoJSON's "crs" member names; None when it has none (or null).

    Refused: a "crs" member naming nothing, an unknown CRS, or one that is not a horizontal
    (geographic or projected) coordinate system.
    """
    present, member = _geojson_crs_member(path)
    if not present or member is None:
        return None
    name = None
    if isinstance(member, dict):
        properties = member.get("properties")
        if not isinstance(properties, dict):
            properties = {}
        kind = str(member.get("type", "")).lower()
        if kind == "name" and isinstance(properties.get("name"), str):
            name = properties["name"].strip()
        elif kind == "epsg" and str(properties.get("code", "")).isdigit():
            name = f"EPSG:{properties['code']}"
    advice = ("name a known one, such as urn:ogc:def:crs:EPSG::27700 (British National Grid), "
              "or remove the \"crs\" member if the coordinates are WGS84 longitude/latitude")
    if not name:
        shown = json.dumps(member)
        shown = shown if len(shown) <= 120 else shown[:119] + "…"
        raise IngestError(f"the \"crs\" member {shown} does not name a coordinate reference "
                          f"system by name or EPSG code; {advice}", file=filename)
    try:
        crs = CRS.from_user_input(name)
    except CRSError:
        raise IngestError(f"the coordinate reference system {name!r} in the \"crs\" member is "
                          f"unknown; {advice}", file=filename) from None
    if not (crs.is_geographic or crs.is_projected):
        raise IngestError(f"the \"crs\" member names {crs.name} ({name}), which is not a "
                          f"map coordinate system (latitude/longitude or a grid); {advice}",
                          file=filename)
    return crs


def stage_gpkg(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str,
               limits: Limits) -> StagedTable:
    """Stage the first layer of a GeoPackage (the others are named in a note)."""
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except READ_ERRORS as error:
        raise IngestError(f"the file is not a readable GeoPackage ({public_message(error, file=filename)})",
                          file=filename) from error
    if not layers:
        raise IngestError("the GeoPackage has no layers", file=filename)
    notes = []
    if len(layers) > 1:
        others = ", ".join(repr(name) for name in layers[1:])
        notes.append(f"Read layer {layers[0]!r}, the first of {len(layers)} (others: {others})")
    layer = _read(path, layers[0], filename, limits)
    return _stage(con, layer, "gpkg", filename, notes=notes)


def stage_shapefile_zip(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str,
                        workdir: Path, limits: Limits) -> StagedTable:
    """Stage a Shapefile from a zip holding its .shp, .shx, .dbf (and ideally .prj)."""
    with open_zip(path, filename=filename, limits=limits) as archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        shapes = sorted((info.filename for info in members
                         if info.filename.lower().endswith(".shp") and not _is_mac_metadata(
                             info.filename)), key=lambda name: (name.count("/"), name))
        if not shapes:
            found = ", ".join(info.filename for info in members[:10])
            more = f" and {len(members) - 10} more" if len(members) > 10 else ""
            raise IngestError(f"the zip has no .shp file (found: {found or 'nothing'}{more})",
                              file=filename)
        stem = shapes[0][:-4]
        parts = {info.filename[len(stem):].lower(): info for info in members
                 if info.filename[:len(stem)].lower() == stem.lower()
                 and info.filename[len(stem):].lower() in SHAPEFILE_PARTS}
        for needed in (".shx", ".dbf"):
            if needed not in parts:
                raise IngestError(f"the Shapefile {shapes[0]!r} is incomplete: the zip has no "
                                  f"{PurePosixPath(stem).name}{needed}", file=filename)
        target = Path(workdir) / "shapefile"
        extract_members(archive, {f"layer{ext}": info for ext, info in parts.items()}, target,
                        filename=filename, limits=limits)
    notes = []
    if len(shapes) > 1:
        notes.append(f"Read {shapes[0]!r}, the first of {len(shapes)} Shapefiles in the zip")
    layer = _read(target / "layer.shp", None, filename, limits)
    if ".prj" not in parts:
        layer.crs_missing_note = "the zip has no .prj file"
    return _stage(con, layer, "shapefile", filename, notes=notes)


def _is_mac_metadata(name: str) -> bool:
    """macOS zips carry "__MACOSX/._name" resource forks that are not Shapefiles."""
    return name.startswith("__MACOSX/") or PurePosixPath(name).name.startswith("._")


class _Layer:
    """One layer as read: attributes (Arrow), geometries (WKB, object array) and CRS."""

    def __init__(self, attributes: pa.Table, wkb: np.ndarray, crs: str | None):
        self.attributes, self.wkb = attributes, wkb
        self.crs: str | CRS | None = crs  # as GDAL reads it; a CRS when the file names a better one
        self.crs_missing_note = "the layer has no coordinate reference system"
        self.crs_said: str | None = None  # how the file came to be in its CRS, for messages
        self.unreadable: dict[int, str] = {}  # 0-based feature -> why its geometry was lost


def _read(path: Path, layer: str | None, filename: str, limits: Limits, **options) -> _Layer:
    try:
        info = pyogrio.read_info(path, layer=layer, **options)
        check_column_count(len(info["fields"]), limits, file=filename)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # GDAL's warnings: problems are checked below
            meta, table = pyogrio.read_arrow(path, layer=layer, **options)
    except READ_ERRORS as error:
        raise IngestError(f"the file could not be read ({public_message(error, file=filename)})",
                          file=filename) from error
    geometry = meta.get("geometry_name") or "wkb_geometry"
    if geometry in table.column_names:
        wkb = table.column(geometry).to_numpy(zero_copy_only=False)
        table = table.drop_columns([geometry])
    else:
        wkb = np.full(table.num_rows, None, dtype=object)
    return _Layer(_without_extension_types(table), wkb, meta.get("crs"))


def _without_extension_types(table: pa.Table) -> pa.Table:
    """Replace Arrow extension columns (GDAL's arrow.json) by their plain storage."""
    for i, field in enumerate(table.schema):
        if isinstance(field.type, pa.ExtensionType):
            column = pa.chunked_array([chunk.storage for chunk in table.column(i).chunks],
                                      type=field.type.storage_type)
            table = table.set_column(i, field.name, column)
    return table


def _stage(con, layer: _Layer, fmt: str, filename: str, *, notes: list[str] | None = None,
           numbers_only: bool = False) -> StagedTable:
    notes = list(notes or [])
    if layer.attributes.num_rows == 0:
        raise IngestError("the file has no features", file=filename)
    geometries = _parse(layer.wkb, layer.unreadable, filename)
    crs, crs_note = _source_crs(layer, geometries, filename)
    if crs_note:
        notes.append(crs_note)
    else:
        _check_coordinates_fit(crs, geometries, layer.crs_said, fmt, filename)
    if shapely.has_z(geometries).any():
        notes.append("Dropped the geometries' Z (height) coordinates")
    if not _is_wgs84(crs):
        geometries = _reproject(geometries, crs)
        notes.append(f"Reprojected from {crs.name} ({_crs_code(crs)}) to WGS84 "
                     "longitude/latitude (EPSG:4326)")
    wkb = shapely.to_wkb(geometries, output_dimension=2)
    columns, declared = _write_raw(con, layer.attributes, wkb)
    if numbers_only:
        declared = {c: t for c, t in declared.items() if t in ("integer", "number", "boolean")}
    return StagedTable(format=fmt, columns=columns, row_count=len(wkb), row_label="feature",
                       geometry_type=_geometry_type(geometries), declared_types=declared,
                       notes=notes)


def _parse(wkb: np.ndarray, unreadable: dict[int, str], filename: str) -> np.ndarray:
    """WKB → shapely geometries; refuse any that cannot be parsed or are invalid.

    ``unreadable`` adds geometries the reader already lost (feature index → reason).
    """
    geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    # numpy's stubs leave out None as an operand; an object array compares with it fine
    has_wkb = ~np.equal(wkb, None)  # type: ignore[call-overload]
    unparsed = set(np.flatnonzero(has_wkb & shapely.is_missing(geometries)).tolist())
    unparsed |= set(unreadable)
    if unparsed:
        first = min(unparsed)
        reason = unreadable.get(first) or _wkb_problem(wkb[first])
        count = f"{len(unparsed):,} such feature{'s' if len(unparsed) > 1 else ''}"
        raise IngestError(f"feature {first + 1} has a geometry that cannot be read: {reason} "
                          f"({count})", file=filename)
    invalid = np.flatnonzero(~shapely.is_missing(geometries) & ~shapely.is_valid(geometries))
    if len(invalid):
        first = invalid[0]
        raise IngestError(
            f"feature {first + 1} has an invalid geometry: "
            f"{shapely.is_valid_reason(geometries[first])} ({len(invalid):,} invalid "
            f"{'feature' if len(invalid) == 1 else 'features'}); fix the geometries (e.g. QGIS "
            "\"Fix geometries\") and upload again", file=filename)
    return geometries


def _wkb_problem(wkb: bytes) -> str:
    try:
        shapely.from_wkb(wkb, on_invalid="raise")
    except shapely.errors.ShapelyError as error:
        return str(error)
    return "unreadable WKB"


def _geometries_gdal_dropped(con, path: Path, dropped: np.ndarray) -> dict[int, str]:
    """GeoJSON features GDAL returned without a geometry although the file has one.

    GDAL replaces a geometry it cannot read by NULL with only a warning. ``dropped`` holds
    the 0-based numbers of the features GDAL returned without geometry; the file is read
    again as JSON by DuckDB and those whose "geometry" member is not null are returned,
    with the reason shapely gives (or the geometry's text).
    """
    size = Path(path).stat().st_size + 1
    rows = con.execute(
        """
        WITH doc AS (SELECT json FROM read_json_objects(?, format = 'unstructured',
                                                        maximum_object_size = ?)),
        lists AS (SELECT CASE WHEN (json->>'type') = 'Feature' THEN [json]
                              ELSE from_json(json->'features', '["JSON"]') END AS features
                  FROM doc),
        numbered AS (SELECT unnest(features) AS feature,
                            generate_subscripts(features, 1) AS number FROM lists)
        SELECT number, CAST(feature->'geometry' AS VARCHAR) FROM numbered
        WHERE list_contains(?, number) AND (feature->'geometry') IS NOT NULL
          AND json_type(feature->'geometry') <> 'NULL'
        """, [str(path), size, [int(i) + 1 for i in dropped]]).fetchall()
    return {number - 1: _geojson_problem(text) for number, text in rows}


def _geojson_problem(text: str) -> str:
    try:
        shapely.from_geojson(text, on_invalid="raise")
    except shapely.errors.ShapelyError as error:
        return f"{error} in {text[:80]}"
    return f"GDAL could not read {text[:80]}"


def _source_crs(layer: _Layer, geometries: np.ndarray, filename: str) -> tuple[CRS, str | None]:
    if layer.crs:
        return CRS.from_user_input(layer.crs), None
    present = geometries[~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)]
    if len(present) == 0:
        return WGS84, None
    x0, y0, x1, y1 = shapely.total_bounds(present)
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        return WGS84, (f"{layer.crs_missing_note[0].upper()}{layer.crs_missing_note[1:]}: the "
                       "coordinates look like longitude/latitude, so WGS84 (EPSG:4326) was "
                       "assumed")
    bx0, by0, bx1, by1 = BNG_EXTENT
    if bx0 <= x0 and x1 <= bx1 and by0 <= y0 and y1 <= by1:
        return CRS.from_epsg(27700), (
            f"{layer.crs_missing_note[0].upper()}{layer.crs_missing_note[1:]}: the coordinates "
            "look like British National Grid metres, so EPSG:27700 was assumed")
    raise IngestError(f"{layer.crs_missing_note}, and its coordinates (x {x0:,.0f} to "
                      f"{x1:,.0f}, y {y0:,.0f} to {y1:,.0f}) are neither longitude/latitude nor "
                      "British National Grid metres; include the .prj file", file=filename)


def _check_coordinates_fit(crs: CRS, geometries: np.ndarray, said: str | None, fmt: str,
                           filename: str) -> None:
    """Refuse coordinates that contradict the file's CRS, naming the first such feature.

    Under a geographic CRS (WGS84 and the like) every coordinate must be a longitude
    (-180..180) and latitude (-90..90). Under British National Grid, coordinates that are
    all that small are degrees, not metres: in metres they would all lie within 200 m of the
    grid's false origin, in the Atlantic south-west of the Isles of Scilly.
    """
    present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
    if not present.any():
        return
    said = said or f"the file declares {crs.name} ({_crs_code(crs)})"
    x0, y0, x1, y1 = shapely.bounds(geometries).T
    if crs.is_geographic:
        outside = present & ((x0 < -180) | (x1 > 180) | (y0 < -90) | (y1 > 90))
        if not outside.any():
            return
        first = int(np.flatnonzero(outside)[0])
        x, y = shapely.get_coordinates(geometries[first])[0]
        bx0, by0, bx1, by1 = BNG_EXTENT
        ax0, ay0, ax1, ay1 = shapely.total_bounds(geometries[present])
        if bx0 <= ax0 and ax1 <= bx1 and by0 <= ay0 and ay1 <= by1:
            fix = (f"declare it by adding {BNG_GEOJSON_CRS}" if fmt == "geojson" else
                   "set the layer's coordinate reference system to EPSG:27700")
            hint = (f"they look like British National Grid metres (EPSG:27700): {fix}, or "
                    "export the file as WGS84 longitude/latitude")
        else:
            hint = "check the coordinate reference system the file was exported with"
        count = int(outside.sum())
        raise IngestError(
            f"feature {first + 1} has the coordinates ({x:,.1f}, {y:,.1f}), outside "
            f"longitude/latitude ranges ({count:,} feature{'s' if count > 1 else ''} like "
            f"it), but {said}; {hint}", file=filename)
    if crs.equals(BNG, ignore_axis_order=True):
        ax0, ay0, ax1, ay1 = shapely.total_bounds(geometries[present])
        if -180 <= ax0 and ax1 <= 180 and -90 <= ay0 and ay1 <= 90:
            fix = ("remove the \"crs\" member (GeoJSON coordinates are WGS84 by default)"
                   if fmt == "geojson" else
                   "set the layer's coordinate reference system to WGS84 (EPSG:4326)")
            raise IngestError(
                f"{said}, but every coordinate is within longitude/latitude ranges (x {ax0:g} "
                f"to {ax1:g}, y {ay0:g} to {ay1:g}): they look like degrees, which as metres "
                f"would all lie in the sea off the Isles of Scilly; {fix}",
                file=filename)


def _is_wgs84(crs: CRS) -> bool:
    return crs.equals(WGS84, ignore_axis_order=True) or crs.equals(CRS("OGC:CRS84"))


def _crs_code(crs: CRS) -> str:
    authority = crs.to_authority()
    return ":".join(authority) if authority else "custom CRS"


def _reproject(geometries: np.ndarray, crs: CRS) -> np.ndarray:
    """Geometries from ``crs`` to WGS84 longitude/latitude (2-D), all coordinates at once."""
    transformer = Transformer.from_crs(crs, WGS84, always_xy=True)

    def transform(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometries, transform)


def _geometry_type(geometries: np.ndarray) -> str | None:
    present = geometries[~shapely.is_missing(geometries)]
    kinds = np.unique(shapely.get_type_id(present))
    if len(kinds) == 0:
        return None
    return GEOMETRY_TYPES[int(kinds[0])] if len(kinds) == 1 else "mixed"


def _write_raw(con, attributes: pa.Table, wkb: np.ndarray) -> tuple[list[str], dict[str, str]]:
    """raw = _row, attributes as text, _geometry; return (columns, declared types)."""
    columns = clean_column_names(attributes.column_names)
    table = attributes.rename_columns(columns)
    table = table.append_column("_row", pa.array(np.arange(1, len(wkb) + 1), pa.int64()))
    table = table.append_column("_geometry", pa.array(wkb, pa.binary()))
    con.register("cg_layer", table)
    try:
        types = dict(describe(con, "SELECT * FROM cg_layer"))
        values = ", ".join(f"{text_sql(c, types[c])} AS {identifier(c)}" for c in columns)
        with insertion_order_kept(con):
            run(con, f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT _row, "
                        f"{values + ', ' if values else ''}_geometry FROM cg_layer")
        blank_cells_to_null(con, [c for c in columns if types[c] in ("VARCHAR", "JSON")])
    finally:
        con.unregister("cg_layer")
    return columns, {c: declared_type(types[c]) for c in columns}
