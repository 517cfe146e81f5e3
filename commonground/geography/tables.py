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
    """Read a CSV resource; every cell is parsed by its declared type or the load fails."""
    path = manifest.path_of(resource)
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
