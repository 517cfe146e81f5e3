"""Errors raised while reading a city's data folder."""

from __future__ import annotations


class DataError(Exception):
    """A data file is missing, unreadable or wrong.

    The message always names the file and, where known, the row (1-based, counting the
    header as row 1 as a spreadsheet does) and the column, so a data officer can find it.
    """

    def __init__(self, problem: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.problem = problem
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.problem}" if where else self.problem
