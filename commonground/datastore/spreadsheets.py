"""Stage one sheet of an Excel workbook (.xlsx) into ``raw`` with openpyxl.

The workbook is a zip, so it passes the zip-bomb checks of :mod:`.archives` before openpyxl
opens it (read-only, streaming). The sheet is the one asked for, else the first that holds
a value. The header is the sheet's first non-empty row; ``_row`` is the real spreadsheet
row number of each data row, so messages point at the row the user sees. Empty rows are
skipped; columns that have neither a header nor a value are left out.

Cells holding formulas are refused: their cached results may be stale or missing, so the
user is asked to paste values. Dates become ISO 8601 text (YYYY-MM-DD, or
YYYY-MM-DDTHH:MM:SS when there is a time of day).
"""

from __future__ import annotations

import datetime as dt
import zipfile

import duckdb
import pyarrow as pa
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.utils.exceptions import InvalidFileException

from .archives import open_zip
from .errors import IngestError, Limits, public_message
from .rawtable import RAW_TABLE, StagedTable, check_column_count, clean_column_names, is_blank, run


def stage_xlsx(con: duckdb.DuckDBPyConnection, path, *, filename: str, sheet: str | None,
               limits: Limits) -> StagedTable:
    """Stage a sheet of an .xlsx workbook; see the module docstring."""
    open_zip(path, filename=filename, limits=limits, kind="Excel (.xlsx)").close()
    try:
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise IngestError(f"the file is not a valid Excel (.xlsx) workbook "
                          f"({public_message(error, file=filename)})",
                          file=filename) from error
    try:
        sheets = list(workbook.sheetnames)
        name = _choose_sheet(workbook, sheet, filename)
        rows = _read_rows(workbook[name], name, filename, limits)
    finally:
        workbook.close()

    header_row, header = rows[0]
    data = rows[1:]
    if not data:
        raise IngestError(f"sheet {name!r} has a header row but no data rows", file=filename)
    width = max(len(values) for _, values in rows)
    header = header + [None] * (width - len(header))
    used = {i for _, values in data for i, value in enumerate(values) if value is not None}
    keep = [i for i in range(width) if header[i] is not None or i in used]
    check_column_count(len(keep), limits, file=filename)
    # A blank header is named after its position in the sheet (column_3 for column C).
    columns = clean_column_names([header[i] or f"column_{i + 1}" for i in keep])
    _write_raw(con, columns, keep, data)

    notes = []
    if len(sheets) > 1:
        notes.append(f"Read sheet {name!r} of {len(sheets)}")
    if header_row > 1:
        notes.append(f"The header is on row {header_row}; the rows above it are empty")
    if len(keep) < width:
        left_out = width - len(keep)
        notes.append(f"Left out {left_out} empty column{'s' if left_out > 1 else ''} without "
                     "a header")
    return StagedTable(format="xlsx", columns=columns, row_count=len(data), row_label="row",
                       geometry_type=None, declared_types={}, sheet=name, sheets=sheets,
                       notes=notes)


def _choose_sheet(workbook, sheet: str | None, filename: str) -> str:
    names = list(workbook.sheetnames)
    listed = ", ".join(repr(n) for n in names)
    if sheet is not None:
        if sheet not in names:
            raise IngestError(f"the workbook has no sheet {sheet!r}; its sheets are {listed}",
                              file=filename)
        if not hasattr(workbook[sheet], "iter_rows"):
            raise IngestError(f"sheet {sheet!r} is a chart, not a table", file=filename)
        return sheet
    for name in names:
        worksheet = workbook[name]
        if hasattr(worksheet, "iter_rows") and _has_values(worksheet):
            return name
    raise IngestError(f"every sheet of the workbook is empty ({listed})", file=filename)


def _has_values(worksheet) -> bool:
    worksheet.reset_dimensions()  # the stored dimensions may be wrong; read what is there
    for row in worksheet.iter_rows(values_only=True):
        if any(value is not None and not (isinstance(value, str) and is_blank(value))
               for value in row):
            return True
    return False


def _read_rows(worksheet, name: str, filename: str, limits: Limits) -> list[tuple[int, list]]:
    """(spreadsheet row number, cell texts) of each non-empty row; refuse formulas."""
    worksheet.reset_dimensions()
    rows: list[tuple[int, list[str | None]]] = []
    formulas, first_formula = 0, None
    for number, cells in enumerate(worksheet.iter_rows(), start=1):
        values: list[str | None] = [None] * len(cells)
        for i, cell in enumerate(cells):
            if cell.value is None:
                continue
            if cell.data_type == "f":
                formulas += 1
                if first_formula is None:
                    first_formula = (f"{get_column_letter(i + 1)}{number}", _formula(cell.value))
                continue
            values[i] = cell_text(cell.value)
        while values and values[-1] is None:
            values.pop()
        if values and not rows:
            check_column_count(len(values), limits, file=filename)
        if values:
            rows.append((number, values))
    if formulas and first_formula is not None:
        where, formula = first_formula
        raise IngestError(
            f"the sheet contains {formulas:,} formula{'s' if formulas > 1 else ''}, first at "
            f"{quote_sheetname(name)}!{where} ({formula}); paste values and upload again", file=filename)
    if not rows:
        raise IngestError(f"sheet {name!r} is empty", file=filename)
    return rows


def _formula(value) -> str:
    """The text of a formula cell's value (array formulas are objects with a ``text``)."""
    return str(getattr(value, "text", value))


def cell_text(value) -> str | None:
    """A cell's value as the text staged in ``raw`` (None for a blank cell).

    Booleans are "true"/"false"; whole numbers have no decimal point; other numbers are
    Python's shortest round-trip form; dates are ISO 8601, times of day HH:MM:SS, rounded
    to the second (Excel stores them as fractions of a day).
    """
    if isinstance(value, str):
        return None if is_blank(value) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.datetime):
        value = _round_to_second(value)
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.replace(tzinfo=None).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return str(value)


def _round_to_second(value: dt.datetime) -> dt.datetime:
    if value.microsecond >= 500_000:
        value += dt.timedelta(seconds=1)
    return value.replace(microsecond=0)


def _write_raw(con, columns: list[str], keep: list[int], data: list[tuple[int, list]]) -> None:
    arrays = {"_row": pa.array([number for number, _ in data], type=pa.int64())}
    for column, i in zip(columns, keep, strict=True):
        arrays[column] = pa.array([values[i] if i < len(values) else None for _, values in data],
                                  type=pa.string())
    table = pa.table(arrays)
    con.register("cg_sheet", table)
    try:
        run(con, f"CREATE OR REPLACE TABLE {RAW_TABLE} AS SELECT * FROM cg_sheet")
    finally:
        con.unregister("cg_sheet")
