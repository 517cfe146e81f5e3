"""One ingest: file → staged text table → validated types → place links → Parquet version.

The steps, each in its own module:

1. :mod:`.readers` stages the file (any supported format) into a DuckDB table of text;
   problems with the file as a whole raise :class:`IngestError` and stop here.
2. :mod:`.inference` infers each column's type and lists the cells that break it (the
   validation report). If any cell breaks its column's type the ingest stops *before
   writing anything*: the user reads the report, overrides types, and runs it again.
   :mod:`.personal` scans a sample of the rows for columns that look like personal data
   (postcodes, emails, phone numbers, names, dates of birth): a warning in the report,
   never a reason to stop.
3. :mod:`.linking` places every row in the city's areas.
4. The typed rows, their link columns and any geometry are written to ONE Parquet file
   (zstd), first under a temporary name and renamed when complete, so a reader never sees
   half a version.

The result is a self-contained Parquet file with this layout (the *version layout*, relied
on by previews, downloads, the API and the lens):

``_id`` (1..n) · ``_row`` (source row) · the data columns, typed · ``_<geography>`` code
per geography (base first) · ``_linked_by`` · ``_easting``, ``_northing`` (metres,
EPSG:27700) · ``_geometry`` (WKB, EPSG:4326; geographic sources only).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from . import inference, linkdetect, linking, personal, readers
from .errors import IngestError, Limits, public_message
from .sqlquote import identifier, literal

Progress = Callable[[float, str], None]

#: Rows per Parquet row group: big enough for fast scans, small enough for paging.
ROW_GROUP_SIZE = 122_880
#: DuckDB type of each of our type names.
DUCKDB_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "date": "DATE",
                "datetime": "TIMESTAMP", "string": "VARCHAR"}


@dataclass
class IngestOutcome:
    """What happened: always the report; the Parquet file only when ``ok``."""

    ok: bool
    staged: readers.StagedTable
    report: inference.ValidationReport
    personal: list[personal.Finding] = field(default_factory=list)
    links: linking.LinkReport | None = None
    parquet: Path | None = None
    sha256: str | None = None
    size: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def row_count(self) -> int:
        return self.report.row_count

    @property
    def schema(self) -> list[dict]:
        return [{"name": c.name, "type": c.type} for c in self.report.columns]

    def to_dict(self) -> dict:
        s = self.staged
        return {
            "ok": self.ok, "rows": self.row_count,
            "file": {"format": s.format, "encoding": s.encoding, "delimiter": s.delimiter,
                     "sheet": s.sheet, "sheets": s.sheets, "geometry_type": s.geometry_type,
                     "row_label": s.row_label, "notes": s.notes},
            "validation": self.report.to_dict(),
            "personal": [f.to_dict() for f in self.personal],
            "links": self.links.to_dict() if self.links else None,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


def ingest_file(source: Path, *, filename: str, dest: Path, workdir: Path,
                gazetteer: linking.Gazetteer | None, overrides: dict[str, str] | None = None,
                sheet: str | None = None, limits: Limits = Limits(),
                progress: Progress | None = None) -> IngestOutcome:
    """Ingest ``source`` into the Parquet file ``dest`` (written only if the data is valid).

    ``filename`` is the name the user gave the file (format detection, messages);
    ``workdir`` an empty scratch directory the caller removes afterwards. Raises
    :class:`IngestError` for a file that cannot be read at all.
    """
    say = progress or (lambda fraction, message: None)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[step] = now - clock
        clock = now

    con = duckdb.connect(config={"temp_directory": str(workdir / "duckdb.tmp")})
    con.execute("SET enable_progress_bar = true")  # measured (for QueryProgress) ...
    con.execute("SET enable_progress_bar_print = false")  # ... but never printed
    try:
        say(0.02, f"Reading {filename}")
        with QueryProgress(con, say, 0.02, 0.40, f"Reading {filename}"):
            staged = readers.stage(con, source, filename=filename, workdir=workdir, sheet=sheet,
                                   limits=limits)
        lap("read")
        say(0.40, f"Checking {staged.row_count:,} rows")
        with QueryProgress(con, say, 0.40, 0.55, f"Checking {staged.row_count:,} rows"):
            # Also builds the table `typed` (in _row order) when every value fits.
            report = inference.infer_validate_and_cast(con, staged.columns,
                                                       declared_types=staged.declared_types,
                                                       overrides=overrides, limits=limits)
        lap("validate+cast")
        findings = personal.scan(con, staged.columns)  # on `raw`: a sample, as text
        lap("personal")
        outcome = IngestOutcome(ok=report.ok, staged=staged, report=report, personal=findings,
                                seconds=seconds)
        if not report.ok:
            say(1.0, f"{report.bad_count:,} values do not fit their column's type")
            return outcome
        con.execute("DROP TABLE raw")  # free memory: `typed` holds every column, geometry too
        say(0.55, "Linking rows to places")
        types = {c.name: c.type for c in report.columns}
        if gazetteer is not None:
            plan = linkdetect.detect(con, "typed", types, gazetteer, report.has_geometry)
            links, outcome.links = linking.link(con, "typed", plan, gazetteer)
        else:
            links = pa.table({"_row": con.execute("SELECT _row FROM typed").fetchnumpy()["_row"]})
        lap("link")
        say(0.75, "Writing the version")
        with QueryProgress(con, say, 0.75, 0.99, "Writing the version"):
            outcome.parquet, outcome.sha256, outcome.size = _write(con, report, links, dest)
        lap("write")
        say(1.0, f"{report.row_count:,} rows ingested")
        return outcome
    except duckdb.Error as exc:  # a reader or query failed on something unforeseen
        raise IngestError(f"could not be read: {public_message(exc, file=filename)}", file=filename) from exc
    finally:
        con.close()


class QueryProgress:
    """Report DuckDB's own progress through long statements, from a helper thread.

    While the block runs, every ``interval`` seconds the connection's
    ``query_progress()`` (0–100 % of the running statement, -1 between statements) is mapped
    onto ``start``–``end`` and passed to ``say``, so a 1,000,000-row read moves the
    progress bar instead of sitting still. ``say`` is therefore called from another thread.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, say: Progress, start: float, end: float,
                 message: str, interval: float = 0.5):
        self.con, self.say, self.start, self.end = con, say, start, end
        self.message, self.interval = message, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ingest-progress", daemon=True)
        self._best = 0.0

    def __enter__(self) -> QueryProgress:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                percent = self.con.query_progress()
            except duckdb.Error:
                return
            if percent >= 0:
                self._best = max(self._best, percent)  # each statement restarts at 0
                self.say(self.start + (self.end - self.start) * self._best / 100, self.message)


def _write(con, report: inference.ValidationReport, links: pa.Table, dest: Path
           ) -> tuple[Path, str, int]:
    """Write the version: ``_id``, the typed rows (table ``typed``, in ``_row`` order) and
    their place links, in one Parquet file (:func:`write_parquet`).

    The rows stream out of DuckDB as Arrow record batches of one row group each, the link
    columns are put beside them there (no copy), and DuckDB writes the stream: memory stays
    bounded by a few row groups however big the version. (A POSITIONAL JOIN with the links,
    or a join on ``_row``, inside DuckDB would run on one thread and cost as much as the
    write itself. Gathering the whole version in Arrow first, then writing, saves under
    0.1 s per million rows but holds all of it in memory.)
    """
    link_rows = links.column("_row").to_numpy()
    link_names = [n for n in links.column_names if n != "_row"]
    link_columns = {n: links.column(n).combine_chunks() for n in link_names}
    data = [c.name for c in report.columns] + (["_geometry"] if report.has_geometry else [])
    cursor = con.cursor()  # a second connection to the same database, for the reader
    reader = cursor.sql("SELECT * FROM typed").to_arrow_reader(ROW_GROUP_SIZE)
    fields = [pa.field("_id", pa.int64()), reader.schema.field("_row"),
              *(reader.schema.field(n) for n in data if n != "_geometry"),
              *(pa.field(n, c.type) for n, c in link_columns.items()),
              *([reader.schema.field("_geometry")] if report.has_geometry else [])]
    names = [f.name for f in fields]

    def batches():
        offset = 0
        for batch in reader:
            n = batch.num_rows
            if not np.array_equal(batch.column("_row").to_numpy(), link_rows[offset:offset + n]):
                raise RuntimeError("place links are misaligned with the rows")
            by_name = {"_id": pa.array(np.arange(offset + 1, offset + n + 1)),
                       **{name: batch.column(name) for name in ["_row", *data]},
                       **{name: c.slice(offset, n) for name, c in link_columns.items()}}
            yield pa.RecordBatch.from_arrays([by_name[name] for name in names],
                                             schema=pa.schema(fields))
            offset += n
        if offset != len(link_rows):
            raise RuntimeError("place links are misaligned with the rows")

    stream = pa.RecordBatchReader.from_batches(pa.schema(fields), batches())
    dictionaries = {n: c.dictionary.to_pylist() for n, c in link_columns.items()
                    if pa.types.is_dictionary(c.type)}
    try:
        return write_parquet(con, stream, dest, enums=dictionaries)
    finally:
        cursor.close()


def write_parquet(con, rows: pa.Table | pa.RecordBatchReader, dest: Path, *,
                  enums: dict[str, list] | None = None) -> tuple[Path, str, int]:
    """Write Arrow ``rows`` to ``dest`` as zstd Parquet; (path, sha256, bytes).

    Written under a temporary name and renamed when complete, so a reader never sees half a
    file. Columns named in ``enums`` (dictionary-encoded text, such as the place links: name
    → the dictionary's values) are written as DuckDB ENUMs, whose Parquet dictionary is their
    own: 4× faster than encoding the strings again. They read back as text.
    """
    types: list[str] = []
    select = []
    for name in rows.schema.names:
        values = (enums or {}).get(name)
        if values and None not in values and len(set(values)) == len(values):
            enum = identifier(f"cg_enum{len(types)}")
            literals = ", ".join(literal(str(v)) for v in values)
            con.execute(f"CREATE TYPE {enum} AS ENUM ({literals})")
            types.append(enum)
            select.append(f"CAST({identifier(name)} AS {enum}) AS {identifier(name)}")
        else:
            select.append(identifier(name))
    con.register("cg_version", rows)
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        con.execute(f"COPY (SELECT {', '.join(select)} FROM cg_version) "
                    f"TO {literal(str(partial))} (FORMAT parquet, COMPRESSION zstd, "
                    f"ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    finally:
        con.unregister("cg_version")
        for enum in types:
            con.execute(f"DROP TYPE IF EXISTS {enum}")
    digest = file_sha256(partial)
    os.replace(partial, dest)
    return dest, digest, dest.stat().st_size


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
