"""Stage an uploaded file into the DuckDB table ``raw``, whatever its format.

``stage`` is the first step of an ingest: later steps (type inference, place linking,
Parquet writing) all work on the one shape described in :mod:`.rawtable`. This module finds
the format and hands the file to the reader for it:

========== ================================= ==========================================
format     files                             reader
========== ================================= ==========================================
csv        .csv .tsv .txt                    :mod:`.delimited` (DuckDB read_csv)
xlsx       .xlsx .xlsm                       :mod:`.spreadsheets` (openpyxl)
geojson    .geojson (and GeoJSON in .json)   :mod:`.geofiles` (pyogrio)
gpkg       .gpkg                             :mod:`.geofiles`
shapefile  .zip holding .shp .shx .dbf .prj  :mod:`.geofiles` after :mod:`.archives`
parquet    .parquet                          :mod:`.records` (DuckDB read_parquet)
json       .json .jsonl .ndjson              :mod:`.records` (DuckDB JSON functions)
========== ================================= ==========================================
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from .archives import human_size
from .delimited import stage_csv
from .errors import IngestError, Limits
from .geofiles import stage_geojson, stage_gpkg, stage_shapefile_zip
from .rawtable import StagedTable
from .records import stage_json, stage_parquet
from .spreadsheets import stage_xlsx

__all__ = ["FORMATS", "StagedTable", "detect_format", "stage"]

FORMATS = ("csv", "xlsx", "geojson", "gpkg", "shapefile", "parquet", "json")

HEAD_BYTES = 64 << 10  # how much of the file detect_format is shown

EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".geojson": "geojson",
    ".gpkg": "gpkg",
    ".zip": "shapefile",
    ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
}

NOT_SUPPORTED = {
    ".xls": "old Excel .xls files are not supported; save it as .xlsx or CSV and upload again",
    ".ods": "OpenDocument spreadsheets are not supported; save it as .xlsx or CSV and upload "
            "again",
    ".shp": "a Shapefile needs its .shx, .dbf and .prj files too; upload all of them in one "
            ".zip",
}

# File signatures (magic bytes) of the binary formats.
ZIP_MAGIC = b"PK\x03\x04"
PARQUET_MAGIC = b"PAR1"
SQLITE_MAGIC = b"SQLite format 3\x00"  # a GeoPackage is an SQLite database
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old binary Office files (.xls)

TEXT_FORMATS = ("csv", "json", "geojson")


def detect_format(filename: str, head: bytes) -> str:
    """The format of an upload, from its name first, then from its first bytes.

    ``head`` is the start of the file (a few KiB is plenty). The extension decides, except
    that a text extension (.csv, .json, ...) on a file that starts with a binary format's
    signature — an .xlsx renamed .csv, say — goes by the signature. A .json file holding a
    GeoJSON FeatureCollection or Feature is "geojson". Without a known extension the
    signature decides, then the text: JSON if it starts with { or [, else CSV.

    Raises :class:`IngestError` for formats that are known but not supported (.xls, .ods,
    a lone .shp) and for files that are neither.
    """
    extension = Path(filename).suffix.lower()
    if extension in NOT_SUPPORTED:
        raise IngestError(NOT_SUPPORTED[extension], file=filename)
    signature = _format_from_signature(head, filename)
    by_name = EXTENSIONS.get(extension)
    if by_name is not None and not (by_name in TEXT_FORMATS and signature):
        if by_name == "json" and _looks_like_geojson(head):
            return "geojson"
        return by_name
    if signature:
        return signature
    if b"\x00" not in head and head.strip():
        start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if start in (b"{", b"["):
            return "geojson" if _looks_like_geojson(head) else "json"
        if _is_text(head):
            return "csv"
    kind = f"'{extension}' files" if extension else "files like this one"
    raise IngestError(f"{kind} are not a supported format; upload CSV, Excel (.xlsx), GeoJSON, "
                      "GeoPackage, a zipped Shapefile, Parquet or JSON", file=filename)


def _format_from_signature(head: bytes, filename: str) -> str | None:
    if head.startswith(ZIP_MAGIC):
        # An .xlsx is a zip whose first entries are "[Content_Types].xml" and "xl/..." parts.
        return "xlsx" if b"[Content_Types].xml" in head or b"xl/" in head else "shapefile"
    if head.startswith(PARQUET_MAGIC):
        return "parquet"
    if head.startswith(SQLITE_MAGIC):
        return "gpkg"
    if head.startswith(OLE2_MAGIC):
        raise IngestError(NOT_SUPPORTED[".xls"], file=filename)
    return None


def _looks_like_geojson(head: bytes) -> bool:
    compact = head.replace(b" ", b"").replace(b"\n", b"").replace(b"\r", b"").replace(b"\t", b"")
    return b'"type":"FeatureCollection"' in compact or b'"type":"Feature"' in compact


def _is_text(head: bytes) -> bool:
    """True if the start of a file decodes as UTF-8 or is mostly printable single-byte text."""
    try:
        head.decode("utf-8")
        return True
    except UnicodeDecodeError as error:
        if error.start >= len(head) - 3:  # a character cut by the end of the head
            return True
    printable = sum(32 <= b < 127 or b in (9, 10, 13) or b >= 160 for b in head)
    return printable >= 0.95 * len(head)


def stage(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str, workdir: Path,
          sheet: str | None = None, limits: Limits = Limits()) -> StagedTable:
    """Stage the upload at ``path`` into the table ``raw`` of ``con`` (CREATE OR REPLACE).

    filename: the name the user gave the file (its extension picks the format; messages
              name it).
    workdir:  a scratch directory for transcoded text and unzipped files; the caller
              deletes it.
    sheet:    for an .xlsx, the sheet to read (default: the first that is not empty).
    limits:   bounds on size, unpacked size, zip ratio and width.

    Raises :class:`IngestError` when the file cannot be staged at all; the message names
    the file and, where known, the row (or feature or record) and column.
    """
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        raise IngestError("the file is empty", file=filename)
    if size > limits.max_bytes:
        raise IngestError(f"the file is {human_size(size)}; the largest accepted is "
                          f"{human_size(limits.max_bytes)}", file=filename)
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    fmt = detect_format(filename, head)
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        return stage_csv(con, path, filename=filename, workdir=workdir, limits=limits)
    if fmt == "xlsx":
        return stage_xlsx(con, path, filename=filename, sheet=sheet, limits=limits)
    if fmt == "geojson":
        return stage_geojson(con, path, filename=filename, limits=limits)
    if fmt == "gpkg":
        return stage_gpkg(con, path, filename=filename, limits=limits)
    if fmt == "shapefile":
        return stage_shapefile_zip(con, path, filename=filename, workdir=workdir, limits=limits)
    if fmt == "parquet":
        return stage_parquet(con, path, filename=filename, limits=limits)
    return stage_json(con, path, filename=filename, limits=limits)

