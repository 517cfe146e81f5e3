"""Read a CSV resource into typed columns, with errors that name file, row and column.

Types come from the manifest's Table Schema (``integer``, ``number``, ``string``, ...).
Blank cells and the usual missing markers become ``None``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

from .errors import DataError
from .manifest import Manifest, Resource

MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", ".."})


@dataclass(frozen=True)
class Table:
    resource: Resource
    columns: dict[str, list]  # column name → values (int, float, str or None)

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()), []))


def _parser(kind: str):
    if kind == "integer":
        return lambda s: int(float(s)) if "." in s or "e" in s.lower() else int(s)
    if kind == "number":
        return float
    return str


def read_table(manifest: Manifest, resource: Resource, *, required: tuple[str, ...] = ()) -> Table:
    """Read a CSV resource; every cell is parsed by its declared type or the load fails.

    Arrow's CSV reader reads a well-formed file in one pass; anything it will not take (a
    bad cell, a short row, bad UTF-8) is read again cell by cell, which gives the same
    values or the error naming the file, row and column."""
    path = manifest.path_of(resource)
    fast = _read_with_arrow(path, resource, required)
    return fast if fast is not None else _read_cell_by_cell(path, resource, required)


class NotFast(Exception):
    """Arrow would not read the file as declared: ``read_table`` reads it (or names the cell)."""


def arrow_batches(manifest: Manifest, resource: Resource, *, required: tuple[str, ...] = ()):
    """The CSV as typed Arrow columns, one block (about 1 MB) at a time: a national file
    (2.2 million postcodes, 348 MB) is never whole in memory, nor one Python object per cell.
    Yields ``{column: pa.Array}`` with the same types and missing markers as ``read_table``.
    Raises ``NotFast`` for anything Arrow will not take (a bad cell, a short or empty line,
    bad UTF-8), possibly after some blocks: the caller starts again with ``read_table``,
    which gives the same values or the error naming the file, row and column."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    path = manifest.path_of(resource)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader([handle.readline()]), None)
        if not header or len(set(header)) != len(header) or any(
                name and name not in header for name in (resource.code_field, *required)):
            raise NotFast
        types = resource.field_types
        reader = pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(column_names=header, skip_rows=1,
                                                 block_size=1 << 20),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, null_values=sorted(MISSING),
                strings_can_be_null=True, quoted_strings_can_be_null=True))
        for batch in reader:
            columns = {}
            for name in header:
                column = batch.column(name)
                kind = types.get(name, "string")
                if kind in ("integer", "number"):
                    column = column.cast(pa.int64() if kind == "integer" else pa.float64())
                columns[name] = column
            yield columns
    except (pa.ArrowException, UnicodeDecodeError, OSError, ValueError, StopIteration) as exc:
        raise NotFast from exc


def _read_with_arrow(path, resource: Resource, required: tuple[str, ...]) -> Table | None:
    """The table read by pyarrow with the same types and missing markers, or None."""
    import pyarrow as pa
    from pyarrow import csv as pacsv

    try:
        data = path.read_bytes()
        if b"\n\n" in data or b"\n\r\n" in data:  # an empty line: the row-by-row reader names it
            return None
        header = next(csv.reader([data.split(b"\n", 1)[0].decode("utf-8-sig")]), None)
        if not header or len(set(header)) != len(header) or any(
                name and name not in header for name in (resource.code_field, *required)):
            return None
        table = pacsv.read_csv(
            pa.BufferReader(data), read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header}, null_values=sorted(MISSING),
                strings_can_be_null=True, quoted_strings_can_be_null=True))
        types = resource.field_types
        columns = {}
        for name in header:
            column = table.column(name)
            kind = types.get(name, "string")
            if kind in ("integer", "number"):
                column = column.cast(pa.int64() if kind == "integer" else pa.float64())
            columns[name] = column.to_pylist()
    except (pa.ArrowException, UnicodeDecodeError, OSError, ValueError):
        return None
    return Table(resource, columns)


def _read_cell_by_cell(path, resource: Resource, required: tuple[str, ...]) -> Table:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if not header:
                raise DataError("the file is empty (no header row)", file=str(path))
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise DataError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=str(path)) from exc
    except csv.Error as exc:
        raise DataError(f"not a readable CSV file ({exc})", file=str(path)) from exc
    for name in (resource.code_field, *required):
        if name and name not in header:
            raise DataError(f"expected a column {name!r}; the header has {', '.join(header)}",
                            file=str(path))
    types = resource.field_types
    parsers = [_parser(types.get(name, "string")) for name in header]
    columns: dict[str, list] = {name: [] for name in header}
    lists = list(columns.values())
    for line, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(f"has {len(row)} cells but the header has {len(header)}", file=str(path), row=line)
        for j, cell in enumerate(row):
            if cell in MISSING:
                lists[j].append(None)
                continue
            try:
                lists[j].append(parsers[j](cell))
            except ValueError:
                raise DataError(f"{cell!r} is not a valid {types.get(header[j])}", file=str(path),
                                row=line, column=header[j]) from None
    return Table(resource, columns)
