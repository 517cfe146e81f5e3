"""Stage a delimited text file (CSV, TSV, TXT) into ``raw`` with DuckDB.

Steps: the text is checked and made UTF-8 (:mod:`.textfiles`); the delimiter and header are
found from a sample with Python's csv module; then DuckDB reads the whole file with explicit
options — never its sniffer, which can silently return no rows for a ragged file — in
strict mode, storing rejected rows instead of stopping, so the first bad row and the number
of bad rows can both be reported.

Row numbers (``_row``) follow a spreadsheet: the header is row 1 and the first data row is
row 2. A quoted value spanning several lines is one row, as a spreadsheet shows it, so
``_row`` is the record number + 1 (blank lines before and between records count as rows,
as they do when the file is opened in a spreadsheet). DuckDB's own rejected-row numbers
count the same way.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from array import array
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from .errors import IngestError, Limits, public_message
from .rawtable import (
    RAW_TABLE,
    StagedTable,
    blank_cells_to_null,
    check_column_count,
    clean_column_names,
    first_row,
    insertion_order_kept,
    number_rows,
    row_count,
    run,
)
from .sqlquote import identifier, literal
from .textfiles import ENCODING_NAMES, Utf8Text, as_utf8

CANDIDATE_DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SAMPLE_BYTES = 1 << 20  # the delimiter and header are found in the first MiB
SNIFF_RECORDS = 50  # ... from the field counts of the first 50 records
MAX_FIELD_CHARS = 1 << 30  # Python's csv module refuses longer fields (default 131,072)

RAGGED = ("MISSING COLUMNS", "TOO MANY COLUMNS")


def stage_csv(con: duckdb.DuckDBPyConnection, path: Path, *, filename: str, workdir: Path,
              limits: Limits) -> StagedTable:
    """Stage a delimited text file; see the module docstring."""
    text = as_utf8(path, filename=filename, workdir=workdir)
    sample = _read_sample(text.path)
    delimiter = sniff_delimiter(sample, prefer="\t" if filename.lower().endswith(".tsv") else ",")
    header, lines_before = _header(sample, delimiter, filename)
    check_column_count(len(header), limits, file=filename)
    columns = clean_column_names(header)

    with insertion_order_kept(con):
        _read_into_raw(con, text.path, columns, delimiter, lines_before, filename)
    if row_count(con) == 0:
        raise IngestError("the file has a header row but no data rows", file=filename)
    notes = _number_rows(con, text, delimiter, len(columns), lines_before)
    notes += _drop_empty_rows(con, columns, filename)
    columns, dropped = _drop_unnamed_empty_columns(con, columns, header)
    notes += dropped
    if text.encoding in ("cp1252", "latin-1"):
        notes.insert(0, f"Detected {ENCODING_NAMES[text.encoding]} encoding")
    if delimiter != ",":
        notes.insert(0, f"Detected delimiter {DELIMITER_NAMES[delimiter]} ({delimiter!r})")
    return StagedTable(format="csv", columns=columns, row_count=row_count(con), row_label="row",
                       geometry_type=None, declared_types={}, encoding=text.encoding,
                       delimiter=delimiter, notes=notes)


def _read_sample(path: Path) -> str:
    """The first :data:`SAMPLE_BYTES` of a UTF-8 file, cut after its last whole line."""
    with path.open("rb") as f:
        data = f.read(SAMPLE_BYTES + 1)
    if len(data) > SAMPLE_BYTES:
        data = data[:SAMPLE_BYTES]
        cut = max(data.rfind(b"\n"), data.rfind(b"\r"))
        data = data[:cut + 1] if cut > 0 else data
    return data.decode("utf-8-sig", errors="replace")


def _records(lines, delimiter: str):
    """csv.reader over a file or a string, with the quoting DuckDB is told to use."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
    if isinstance(lines, str):
        lines = io.StringIO(lines, newline="")
    return csv.reader(lines, delimiter=delimiter, quotechar='"', doublequote=True, strict=False)


def sniff_delimiter(sample: str, *, prefer: str = ",") -> str:
    """The delimiter that splits the sample's first records most consistently.

    For each candidate (, ; tab |), the sample is split respecting quotes and the share of
    the first :data:`SNIFF_RECORDS` non-blank records with as many fields as the first one
    is measured; candidates giving a single field are out. The most consistent wins, then
    ``prefer``, then the one giving more fields. A file no candidate splits has one column
    (the delimiter returned is then ``prefer``).
    """
    best, best_key = prefer, None
    for delimiter in CANDIDATE_DELIMITERS:
        counts = []
        for record in _records(sample, delimiter):
            if any(field.strip() for field in record):
                counts.append(len(record))
            if len(counts) == SNIFF_RECORDS:
                break
        if not counts or counts[0] < 2:
            continue
        consistency = sum(count == counts[0] for count in counts) / len(counts)
        key = (consistency, delimiter == prefer, counts[0])
        if best_key is None or key > best_key:
            best, best_key = delimiter, key
    return best


def _header(sample: str, delimiter: str, filename: str) -> tuple[list[str], int]:
    """The header record and how many lines (blank or whitespace-only) come before it."""
    reader = _records(sample, delimiter)
    lines_before = 0
    for record in reader:
        if any(field.strip() for field in record):
            return record, lines_before
        lines_before = reader.line_num
    raise IngestError("the file has no text: it holds only blank lines", file=filename)


def _read_into_raw(con, path: Path, columns: list[str], delimiter: str, lines_before: int,
                   filename: str) -> None:
    """CREATE OR REPLACE raw from the file; raise for rejected rows (ragged, bad quotes)."""
    rejects = f"cg_rejects_{uuid.uuid4().hex[:12]}"
    spec = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
    options = (f"header = true, skip = {lines_before}, delim = {literal(delimiter)}, "
               "quote = '\"', escape = '\"', strict_mode = true, null_padding = false, "
               f"auto_detect = false, columns = {{{spec}}}, store_rejects = true, "
               f"rejects_table = '{rejects}', rejects_scan = '{rejects}_scans'")
    try:
        run(con, f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT NULL::BIGINT AS _row, * "
                 f"FROM read_csv({literal(str(path))}, {options})")
        _raise_for_rejects(con, rejects, delimiter, len(columns), filename)
        blank_cells_to_null(con, columns)
    except duckdb.Error as error:
        raise IngestError(f"the file could not be read as delimited text: "
                          f"{public_message(error, file=filename)}",
                          file=filename) from error
    finally:
        run(con, f"DROP TABLE IF EXISTS {rejects}")
        run(con, f"DROP TABLE IF EXISTS {rejects}_scans")


def _raise_for_rejects(con, rejects: str, delimiter: str, width: int, filename: str) -> None:
    """Raise for the first row DuckDB rejected, saying how many rows it rejected."""
    first = first_row(con, "SELECT line, error_type::VARCHAR, error_message, "
                           f"left(csv_line, 100000) FROM {rejects} "
                           "ORDER BY line, byte_position LIMIT 1")
    if first is None:
        return
    line, kind, message, raw_line = first
    ragged, bad = first_row(con, "SELECT count(DISTINCT line) FILTER (WHERE "
                                 f"error_type::VARCHAR IN {RAGGED}), count(DISTINCT line) "
                                 f"FROM {rejects}")
    if kind in RAGGED:
        found = _field_count(raw_line, delimiter, message)
        name = DELIMITER_NAMES[delimiter]
        raise IngestError(
            f"this row has {found} fields but the header has {width} ({ragged:,} "
            f"{'row has' if ragged == 1 else 'rows have'} the wrong number of fields, this is "
            f"the first); a value may hold an unquoted {name} ({delimiter!r}), or one may be "
            "missing", file=filename, row=line)
    problems = {
        "UNQUOTED VALUE": "a quote mark is not closed, or text follows a closing quote; quote "
                          "the whole value and double any quote marks inside it",
        "LINE SIZE OVER MAXIMUM": "the row is too long",
        "INVALID ENCODING": "undecodable bytes (not UTF-8)",
    }
    problem = problems.get(kind, "the row could not be read")
    others = f" ({bad:,} rows have problems, this is the first)" if bad > 1 else ""
    raise IngestError(f"{problem}{others} [{message}]", file=filename, row=line)


def _field_count(line: str, delimiter: str, message: str) -> int:
    """Fields in a rejected line, counted as DuckDB split them (its message says "Found: n")."""
    found = re.search(r"Found: (\d+)", message or "")
    if found:
        return int(found.group(1))
    record: list[str] = next(_records(line.strip("\r\n"), delimiter), [])
    return len(record)


def _number_rows(con, text: Utf8Text, delimiter: str, width: int, lines_before: int) -> list[str]:
    """Fill ``_row`` (see the module docstring); return notes for the report.

    DuckDB skips blank lines, so when some come before a line of content the rows are
    numbered by a second, Python pass over the file (slower, and rare); otherwise the
    row number is simply the record number + 1 + the lines before the header.
    """
    first = lines_before + 2
    if not text.inner_blank_lines or width == 1:  # DuckDB keeps a 1-column file's blank lines
        number_rows(con, first)
        return []
    numbers = _spreadsheet_rows(text.path, delimiter, lines_before)
    if len(numbers) != row_count(con):
        number_rows(con, first)
        return ["Row numbers count records only: blank lines between rows could not be "
                "matched to them"]
    mapping = pa.table({"i": np.arange(len(numbers), dtype=np.int64), "n": numbers})
    con.register("cg_row_numbers", mapping)
    try:
        run(con, f"UPDATE {RAW_TABLE} SET _row = m.n FROM cg_row_numbers m "
                 f"WHERE {RAW_TABLE}.rowid = m.i")
    finally:
        con.unregister("cg_row_numbers")
    return []


def _spreadsheet_rows(path: Path, delimiter: str, lines_before: int) -> np.ndarray:
    """Spreadsheet row number of every data record of a file with blank lines among them.

    Python's csv module returns an empty record for a blank line; each record, blank or not,
    is one spreadsheet row. Lines before the header were skipped and are counted by number.
    """
    numbers = array("q")
    with path.open(encoding="utf-8-sig", newline="") as f:
        for _ in range(lines_before):
            f.readline()
        records = _records(f, delimiter)
        next(records, None)  # the header
        for number, record in enumerate(records, start=lines_before + 2):
            if record:
                numbers.append(number)
    return np.frombuffer(numbers, dtype=np.int64)


def _drop_empty_rows(con, columns: list[str], filename: str) -> list[str]:
    """Delete rows with no value at all (a line of delimiters, as spreadsheets export)."""
    where = " AND ".join(f"{identifier(c)} IS NULL" for c in columns)
    deleted = first_row(con, f"DELETE FROM {RAW_TABLE} WHERE {where}")[0]
    if deleted == 0:
        return []
    if row_count(con) == 0:
        raise IngestError("the file has a header row but no data rows (only empty ones)",
                          file=filename)
    return [f"Skipped {deleted:,} empty {'row' if deleted == 1 else 'rows'} (no values)"]


def _drop_unnamed_empty_columns(con, columns: list[str], header: list[str]):
    """Drop columns with neither a header nor any value (a trailing delimiter on every line)."""
    unnamed = [c for c, h in zip(columns, header, strict=True) if not h.strip()]
    if not unnamed:
        return columns, []
    counts = first_row(con, "SELECT " + ", ".join(f"count({identifier(c)})"
                                                  for c in unnamed) + f" FROM {RAW_TABLE}")
    empty = [c for c, n in zip(unnamed, counts, strict=True) if n == 0]
    for column in empty:
        run(con, f"ALTER TABLE {RAW_TABLE} DROP COLUMN {identifier(column)}")
    kept = [c for c in columns if c not in empty]
    if not empty:
        return kept, []
    positions = ", ".join(str(columns.index(c) + 1) for c in empty)
    return kept, [f"Dropped {len(empty)} empty column{'s' if len(empty) > 1 else ''} without "
                  f"a header (position {positions})"]
