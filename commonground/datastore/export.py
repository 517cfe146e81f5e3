"""Stream a dataset version out as CSV, GeoJSON, XLSX or Parquet.

A version is one immutable Parquet file laid out as ``_id``, ``_row``, the user's data
columns, then system columns (names starting with ``_``): area codes (``_lsoa21``,
``_msoa21``, ``_ward``, ... varying by city), ``_linked_by``, ``_easting``, ``_northing``
(British National Grid, EPSG:27700, metres) and, for geographic sources only, ``_geometry``
(WKB, EPSG:4326 lon/lat).

Every export reads the file in record batches of :data:`BATCH_ROWS` rows and turns each
batch into text with pyarrow compute kernels (DuckDB for JSON objects), so memory stays
bounded whatever the number of rows. The streaming functions validate their arguments when
called and return a generator of ``bytes`` chunks of :data:`CHUNK_SIZE` (the last shorter).

A reader with part of the rows (a :class:`~.scope.RowScope`) downloads a copy of the version
holding only that part: :func:`scoped_parquet` writes it (the columns the scope shows, the
rows it covers), and every format streams from the copy as from the version itself.

Area names: given ``area_names`` (``{"_lsoa21": (codes, names)}``, from the loaded places),
CSV and XLSX put a ``<column>_name`` column right after each such area-code column they
write, and GeoJSON a ``<column>_name`` property after the code; a code the places do not
hold (an area outside the city) has an empty name.

Spreadsheet formula injection (OWASP "CSV Injection",
https://owasp.org/www-community/attacks/CSV_Injection) is neutralised in CSV and XLSX: a
text value (or column name) starting with ``=``, ``+``, ``-``, ``@``, tab or carriage
return gets a leading ``'``. Numbers in numeric columns are written as numbers, so a
negative number stays ``-3``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from openpyxl import Workbook

from commonground.geography.projection import bng_to_lonlat

from . import storage
from .errors import IngestError
from .layout import area_code_columns, data_columns, tabular_columns
from .scope import RowScope, visible_columns, where_literal
from .sqlquote import identifier, literal

#: Size of each yielded chunk (bytes).
CHUNK_SIZE = 64 * 1024
#: Rows read from the Parquet file at a time.
BATCH_ROWS = 16_384
#: Rows in one Excel sheet, header included ("Excel specifications and limits", Microsoft).
XLSX_MAX_ROWS = 1_048_576
#: Characters in one Excel cell (same source); longer text is cut to this length.
XLSX_MAX_CELL_CHARS = 32_767
#: Decimal places of GeoJSON coordinates: 1e-7 degree is about 1 cm (RFC 7946 §11.2).
GEOJSON_DECIMALS = 7
#: Content type and file extension of each download format.
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "geojson": ("application/geo+json", "geojson"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "parquet": ("application/vnd.apache.parquet", "parquet"),
}

UTF8_BOM = b"\xef\xbb\xbf"
#: A text value starting with one of these is read as a formula by spreadsheets (OWASP).
FORMULA_START = r"^[=+\-@\t\r]"
#: Characters XML 1.0 forbids; openpyxl refuses them, so they become U+FFFD in XLSX.
XML_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
# Public API --------------------------------------------------------------------------------

#: Suffix of the name column written beside an area-code column (``_lsoa21_name``).
NAME_SUFFIX = "_name"
#: Area-code column -> (codes, names) of its geography's areas.
AreaNames = dict[str, tuple[list[str], list[str]]]
#: The data columns that gave the rows' coordinates: ``("lonlat", longitude, latitude)``
#: (WGS84 degrees) or ``("grid", easting, northing)`` (EPSG:27700 metres).
Coordinates = tuple[str, str, str]


def csv_chunks(parquet_path: Path | str, columns: list[str] | None = None, *,
               bom: bool = False, area_names: AreaNames | None = None) -> Iterator[bytes]:
    """The version as RFC 4180 CSV: UTF-8, header row, CRLF line ends.

    columns: which columns, in this order (default :func:`tabular_columns`); ``_geometry``
             is refused (download GeoJSON for geometry).
    bom:     start with a UTF-8 byte order mark. Off by default (as CKAN); Excel needs it to
             read non-ASCII text correctly when a CSV is opened by double-clicking.
    area_names: a ``<column>_name`` column after each area-code column it covers.

    Fields are quoted only when they hold ``"``, ``,``, CR or LF, or are empty text (``""``,
    told apart from NULL, which is an empty field, as DuckDB does). Text is neutralised
    against formula injection; numbers are plain (``-3``, ``1.5``, ``1e+20``; NaN is
    empty); booleans ``true``/``false``; dates ``2024-01-31``; timestamps
    ``2024-01-31T12:00:00`` (fraction of a second only when there is one); NULL empty.
    """
    path = _source(parquet_path)
    names = _choose(pq.read_schema(path, filesystem=storage.filesystem_for(path)), columns)
    return _rechunk(_csv_pieces(path, names, bom, area_names or {}))


def geojson_chunks(parquet_path: Path | str, properties: list[str] | None = None, *,
                   area_names: AreaNames | None = None,
                   coordinates: Coordinates | None = None) -> Iterator[bytes]:
    """The version as an RFC 7946 GeoJSON FeatureCollection, one Feature per row.

    Feature ``id`` is ``_id``. Geometry is the row's ``_geometry`` (WKB, lon/lat) when it
    has one, else a Point from ``_easting``/``_northing`` converted to lon/lat, else
    the row's own ``coordinates`` columns (a row outside the city has no ``_easting``: it
    keeps its place; ignored when the file lacks them, as a reader's copy without exact
    places does; degrees out of range are none), else ``null``; coordinates are rounded
    to :data:`GEOJSON_DECIMALS` places. Properties are
    ``properties`` (default the data columns then the area codes; ``_geometry`` refused),
    each area code followed by its name when ``area_names`` covers it: dates and timestamps
    as ISO strings, NaN and infinities as ``null``.
    """
    path = _source(parquet_path)
    schema = pq.read_schema(path, filesystem=storage.filesystem_for(path))
    names = schema.names
    if properties is None:
        properties = data_columns(names) + area_code_columns(names)
    elif properties:
        properties = _choose(schema, properties)
    if coordinates and not set(coordinates[1:]) <= set(names):
        coordinates = None
    return _rechunk(_geojson_pieces(path, names, properties, area_names or {}, coordinates))


def xlsx_file(parquet_path: Path | str, dest: Path | str, sheet_name: str = "data", *,
              columns: list[str] | None = None, area_names: AreaNames | None = None) -> Path:
    """Write the version to an Excel workbook at ``dest`` (one sheet) and return ``dest``.

    Uses openpyxl's write-only mode, so memory stays constant. Raises :class:`IngestError`
    before writing anything if the rows and the header do not fit in one sheet
    (:data:`XLSX_MAX_ROWS`). Text is neutralised against formula injection as in CSV (so
    openpyxl never stores it as a formula), stripped of characters XML forbids and cut to
    :data:`XLSX_MAX_CELL_CHARS`; dates and timestamps are real Excel dates; NaN is empty.
    """
    path, dest = _source(parquet_path), Path(dest)
    names = _choose(pq.read_schema(path, filesystem=storage.filesystem_for(path)), columns)
    rows = pq.read_metadata(path, filesystem=storage.filesystem_for(path)).num_rows
    if rows + 1 > XLSX_MAX_ROWS:
        raise IngestError(f"too many rows for a spreadsheet: {rows}; download CSV or Parquet")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(sheet_name)
    area_names = area_names or {}
    sheet.append(_xlsx_values(pa.array(_named(names, area_names), pa.string())))
    with pq.ParquetFile(path, filesystem=storage.filesystem_for(path)) as parquet:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names):
            columns = _with_names(batch, names, area_names)
            # openpyxl takes one row at a time: the only per-row loop, and unavoidable.
            for row in zip(*(_xlsx_values(column) for column in columns), strict=True):
                sheet.append(row)
    partial = dest.with_name(dest.name + ".partial")
    try:
        book.save(partial)
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def parquet_chunks(parquet_path: Path | str) -> Iterator[bytes]:
    """The Parquet file itself, as it is stored."""
    path = _source(parquet_path)
    if not storage.exists(path):
        raise FileNotFoundError(path)

    def pieces() -> Iterator[bytes]:
        with storage.open_input(path) as f:
            yield from iter(lambda: f.read(CHUNK_SIZE), b"")

    return pieces()


def table_schema(parquet_path: Path | str, columns: list[str]) -> dict:
    """A Frictionless Table Schema (https://specs.frictionlessdata.io/table-schema/) of the
    CSV :func:`csv_chunks` writes for ``columns``: each field's name and type (``integer``,
    ``number``, ``boolean``, ``date``, ``datetime`` or ``string``), in the CSV's formats
    (empty cells are missing values)."""
    path = _source(parquet_path)
    schema = pq.read_schema(path, filesystem=storage.filesystem_for(path))
    fields = []
    for name in _choose(schema, columns):
        kind = schema.field(name).type
        if pa.types.is_dictionary(kind):
            kind = kind.value_type
        field = {"name": name, "type": _table_schema_type(kind)}
        if field["type"] == "datetime":  # 2024-01-31T12:00:00[.ffffff], as _iso_timestamps
            field["format"] = "any"
        fields.append(field)
    return {"fields": fields, "missingValues": [""]}


def _table_schema_type(kind: pa.DataType) -> str:
    if pa.types.is_integer(kind) or (pa.types.is_decimal(kind) and kind.scale <= 0):
        return "integer"
    if pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    if pa.types.is_boolean(kind):
        return "boolean"
    if pa.types.is_date(kind):
        return "date"
    if pa.types.is_timestamp(kind):
        return "datetime"
    return "string"


def scoped_parquet(parquet_path: Path | str, scope: RowScope, dest: Path | str) -> Path:
    """Write the part of the version ``scope`` covers to a Parquet file at ``dest`` (the
    columns it shows, in file order; the rows its condition keeps, in ``_id`` order) and
    return ``dest``. Written beside ``dest`` first and renamed, so a reader never sees half a
    file."""
    path, dest = _source(parquet_path), Path(dest)
    names = pq.read_schema(path, filesystem=storage.filesystem_for(path)).names
    columns = ", ".join(identifier(c) for c in visible_columns(scope, names))
    condition = where_literal(scope, names)
    partial = dest.with_name(f"{dest.name}.{uuid.uuid4().hex}.partial")  # one per writer
    try:
        with storage.connect(threads=1) as con:  # the version may be in an object store
            con.execute(f"COPY (SELECT {columns} FROM read_parquet({literal(str(path))})"
                        f"{' WHERE ' + condition if condition else ''} ORDER BY _id) "
                        f"TO {literal(str(partial))} (FORMAT parquet, COMPRESSION zstd)")
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return dest


def _source(parquet_path: Path | str) -> storage.Location:
    """A version's location as given: a path, or an ``s3://`` URL (:mod:`.storage`)."""
    return parquet_path if storage.is_remote(parquet_path) else Path(parquet_path)


# CSV ---------------------------------------------------------------------------------------

def _csv_pieces(path: Path | str, names: list[str], bom: bool,
                area_names: AreaNames) -> Iterator[bytes | pa.Buffer]:
    if bom:
        yield UTF8_BOM
    header = _quote(_neutralise(pa.array(_named(names, area_names), pa.string())))
    yield (",".join(header.to_pylist()) + "\r\n").encode()
    with pq.ParquetFile(path, filesystem=storage.filesystem_for(path)) as parquet:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=names):
            if not batch.num_rows:
                continue
            fields = [_csv_field(column) for column in _with_names(batch, names, area_names)]
            rows = pc.binary_join_element_wise(*fields, ",", null_handling="replace",
                                               null_replacement="")
            yield _join(rows, "\r\n")
            yield b"\r\n"


def _csv_field(values: pa.Array) -> pa.Array:
    """A column as CSV field text (null where the value is NULL)."""
    kind = values.type
    if _is_exact_number(kind) or pa.types.is_boolean(kind) or pa.types.is_date(kind):
        return pc.cast(values, pa.string())  # digits, true/false, YYYY-MM-DD: never quoted
    if pa.types.is_floating(kind):
        return pc.cast(_finite_or_null(values, keep_infinity=True), pa.string())
    if pa.types.is_timestamp(kind):
        return _iso_timestamps(values)
    return _quote(_neutralise(pc.cast(values, pa.string())))


def _quote(text: pa.Array) -> pa.Array:
    """RFC 4180: enclose in double quotes (doubled inside) fields holding ``"``, ``,``, CR,
    LF; and empty text, so that it differs from NULL (an empty field)."""
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(pc.match_substring_regex(text, r'^$|[",\r\n]'), quoted, text)


def _neutralise(text: pa.Array) -> pa.Array:
    """Prefix ``'`` to text a spreadsheet would read as a formula (OWASP CSV injection)."""
    return pc.if_else(pc.match_substring_regex(text, FORMULA_START),
                      pc.binary_join_element_wise("'", text, ""), text)


def _finite_or_null(values: pa.Array, *, keep_infinity: bool = False) -> pa.Array:
    bad = pc.is_nan(values) if keep_infinity else pc.invert(pc.is_finite(values))
    return pc.if_else(bad, pa.scalar(None, values.type), values)


def _iso_timestamps(values: pa.Array) -> pa.Array:
    """ISO 8601 text like Python's ``isoformat``: ``2024-01-31T12:00:00[.ffffff]``."""
    whole = pc.cast(values, pa.timestamp("s", values.type.tz), safe=False)
    seconds = pc.strftime(whole, "%Y-%m-%dT%H:%M:%S")
    fraction = pc.strftime(values, "%Y-%m-%dT%H:%M:%S")  # %S carries the fraction here
    return pc.if_else(pc.equal(pc.subsecond(values), 0), seconds, fraction)


# GeoJSON -----------------------------------------------------------------------------------

def _geojson_pieces(path: Path | str, names: list[str], properties: list[str], area_names: AreaNames,
                    coordinates: Coordinates | None) -> Iterator[bytes | pa.Buffer]:
    located: list[str] = [n for n in ("_geometry", "_easting", "_northing") if n in names]
    located += [c for c in (coordinates or ())[1:] if c not in properties]
    yield b'{"type":"FeatureCollection","features":[\n'
    first = True
    with (pq.ParquetFile(path, filesystem=storage.filesystem_for(path)) as parquet,
          duckdb.connect(config={"threads": 1}) as con):
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS,
                                          columns=list(dict.fromkeys(["_id", *properties,
                                                                      *located]))):
            if not batch.num_rows:
                continue
            shown = (pa.RecordBatch.from_arrays(_with_names(batch, properties, area_names),
                                                _named(properties, area_names))
                     if area_names.keys() & set(properties) else batch.select(properties))
            features = pc.binary_join_element_wise(
                '{"type":"Feature","id":', pc.cast(batch.column("_id"), pa.string()),
                ',"geometry":', _geometry_json(batch, coordinates),
                ',"properties":', _json_objects(con, shown), "}", "")
            if not first:
                yield b",\n"
            first = False
            yield _join(features, ",\n")
    yield b"\n]}\n"


def _json_objects(con: duckdb.DuckDBPyConnection, table: pa.RecordBatch) -> pa.Array:
    """Each row of ``table`` as a JSON object text, keys in column order (DuckDB ``to_json``)."""
    if not table.num_columns:
        return pa.array(["{}"] * table.num_rows, pa.string())
    columns = []
    for column in table.columns:
        if pa.types.is_floating(column.type):
            column = _finite_or_null(column)
        elif pa.types.is_timestamp(column.type):
            column = _iso_timestamps(column)
        columns.append(column)
    rows = pa.table({"p": pa.StructArray.from_arrays(columns, names=table.schema.names)})
    # A plain projection on one thread: DuckDB keeps the rows in order.
    return con.from_arrow(rows).project("to_json(p)").to_arrow_table().column(0).combine_chunks()


def _geometry_json(batch: pa.RecordBatch, coordinates: Coordinates | None = None) -> pa.Array:
    """GeoJSON geometry text per row: WKB if any, else the BNG point in lon/lat, else the
    row's own ``coordinates``, else null."""
    names = batch.schema.names
    geometry = np.full(batch.num_rows, None, dtype=object)
    if "_geometry" in names:
        wkb = batch.column("_geometry").to_numpy(zero_copy_only=False)
        # Unreadable WKB (never written by ingest) is treated as missing, not a broken download.
        geometry = shapely.from_wkb(wkb, on_invalid="ignore")
    if "_easting" in names and "_northing" in names:
        east = batch.column("_easting").to_numpy(zero_copy_only=False).astype(float)
        north = batch.column("_northing").to_numpy(zero_copy_only=False).astype(float)
        wanted = shapely.is_missing(geometry) & np.isfinite(east) & np.isfinite(north)
        if wanted.any():
            lon, lat = bng_to_lonlat(east[wanted], north[wanted])
            geometry[wanted] = shapely.points(lon, lat)
    if coordinates:
        kind, x_column, y_column = coordinates
        x, y = (pc.cast(batch.column(c), pa.float64()).to_numpy(zero_copy_only=False)
                for c in (x_column, y_column))
        wanted = shapely.is_missing(geometry) & np.isfinite(x) & np.isfinite(y)
        if kind == "lonlat":
            wanted &= (np.abs(x) <= 180) & (np.abs(y) <= 90)
        if wanted.any():
            lon, lat = (x[wanted], y[wanted]) if kind == "lonlat" else \
                bng_to_lonlat(x[wanted], y[wanted])
            geometry[wanted] = shapely.points(lon, lat)
    geometry = shapely.transform(geometry, lambda xy: np.round(xy, GEOJSON_DECIMALS))
    return pc.fill_null(pa.array(shapely.to_geojson(geometry), pa.string()), "null")


# XLSX --------------------------------------------------------------------------------------

def _xlsx_values(values: pa.Array) -> list:
    """A column as Python values openpyxl writes with the right cell type."""
    kind = values.type
    if pa.types.is_floating(kind):
        values = _finite_or_null(values)
    elif not (_is_exact_number(kind) or pa.types.is_boolean(kind)
              or pa.types.is_date(kind) or pa.types.is_timestamp(kind)):
        text = pc.replace_substring_regex(pc.cast(values, pa.string()), XML_ILLEGAL, "\ufffd")
        values = pc.utf8_slice_codeunits(_neutralise(text), 0, XLSX_MAX_CELL_CHARS)
    return values.to_pylist()


# Shared ------------------------------------------------------------------------------------

def _named(names: list[str], area_names: AreaNames) -> list[str]:
    """Output column names: each area-code column ``area_names`` covers, then its name."""
    return [out for name in names
            for out in ((name, name + NAME_SUFFIX) if name in area_names else (name,))]


def _with_names(batch: pa.RecordBatch, names: list[str], area_names: AreaNames) -> list[pa.Array]:
    """The columns ``names`` of ``batch``, each covered area code followed by its names (null
    for a code the places do not hold), in the order of :func:`_named`."""
    out = []
    for name in names:
        column = batch.column(name)
        out.append(column)
        if name in area_names:
            codes, labels = area_names[name]
            where = pc.index_in(pc.cast(column, pa.string()), value_set=pa.array(codes, pa.string()))
            out.append(pc.take(pa.array(labels, pa.string()), where))
    return out


def _is_exact_number(kind: pa.DataType) -> bool:
    return pa.types.is_integer(kind) or pa.types.is_decimal(kind)


def _choose(schema: pa.Schema, columns: list[str] | None) -> list[str]:
    if columns is None:
        return tabular_columns(schema.names)
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(map(repr, unknown))}")
    if "_geometry" in columns:
        raise ValueError("column '_geometry' is binary: download GeoJSON for geometry")
    if not columns:
        raise ValueError("no columns chosen")
    return list(dict.fromkeys(columns))


def _join(text: pa.Array, separator: str) -> pa.Buffer:
    """All of a string array as one UTF-8 buffer, values separated by ``separator``."""
    text = pc.fill_null(text, "")
    one_list = pa.ListArray.from_arrays(pa.array([0, len(text)], pa.int32()), text)
    return pc.binary_join(one_list, separator)[0].as_buffer()


def _rechunk(pieces: Iterable[bytes | pa.Buffer], size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Regroup byte pieces of any length into chunks of exactly ``size`` (the last shorter)."""
    pending = b""
    for piece in pieces:
        view = memoryview(piece)
        if pending:
            take = size - len(pending)
            pending += bytes(view[:take])
            view = view[take:]
            if len(pending) < size:
                continue
            yield pending
            pending = b""
        whole = len(view) - len(view) % size
        for start in range(0, whole, size):
            yield bytes(view[start:start + size])
        pending = bytes(view[whole:])
    if pending:
        yield pending
