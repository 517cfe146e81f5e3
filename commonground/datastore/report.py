"""The validation report of one staged upload: per column, its type and the values that break it.

:func:`commonground.datastore.inference.infer_and_validate` builds a :class:`ValidationReport`;
``to_dict``/``from_dict`` turn it into JSON-safe form and back, for storage and the API.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class BadValue:
    """A cell that does not fit its column's type: its ``_row`` and its text as uploaded."""

    row: int
    value: str


@dataclass
class ColumnReport:
    """What was found in one column and what will be stored.

    inferred:   the type the data suggests (a typed source's declared type, if it has one).
    type:       the type that will be used: the override if given, else ``inferred``.
    non_null:   values present; in non-string columns null tokens do not count as present.
    nulls:      NULLs, plus null tokens in non-string columns.
    bad_count:  values that do not fit ``type`` (exact); they become NULL in the typed table.
    bad_values: the first ``Limits.max_error_rows`` of them, in row order.
    note:       plain-English remark for the user, e.g. "dates read as day/month/year".
    format:     date/datetime format used (strptime, or :data:`.typesql.ISO_8601`), else None.
    emptied:    a date column's impossible dates ("0000-00-00", "2021-02-30": written as its
                format writes dates, naming no day): left empty (NULL) and counted here, not
                in ``bad_count`` or ``non_null``, so they do not stop the file.
    emptied_values: the first ``Limits.max_error_rows`` of them, in row order.
    blank:      the user chose to keep ``type`` and leave the values that do not fit it
                empty (an override ``"<type>:blank"``, see :mod:`.inference`).
    blanked:    with ``blank``, the values that did not fit ``type``: left empty (NULL) in
                the version and counted here, not in ``bad_count`` or ``non_null``; the
                original upload keeps them.
    blanked_values: the first ``Limits.max_error_rows`` of them, in row order.
    """

    name: str
    inferred: str
    type: str
    overridden: bool
    non_null: int
    nulls: int
    bad_count: int
    bad_values: list[BadValue]
    note: str | None
    format: str | None
    emptied: int = 0
    emptied_values: list[BadValue] = field(default_factory=list)
    blank: bool = False
    blanked: int = 0
    blanked_values: list[BadValue] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Per-column findings for one staged upload; ``has_geometry`` if ``raw`` has ``_geometry``."""

    columns: list[ColumnReport]
    row_count: int
    has_geometry: bool = False

    @property
    def ok(self) -> bool:
        return all(c.bad_count == 0 for c in self.columns)

    @property
    def bad_count(self) -> int:
        return sum(c.bad_count for c in self.columns)

    @property
    def emptied(self) -> list[dict]:
        """Every listed impossible date left empty: {"row", "column", "value"}, by row."""
        return sorted(({"row": b.row, "column": c.name, "value": b.value}
                       for c in self.columns for b in c.emptied_values),
                      key=lambda e: (e["row"], e["column"]))

    @property
    def blanked(self) -> list[dict]:
        """Every listed value left empty by a ``blank`` override: {"row", "column",
        "value"}, by row."""
        return sorted(({"row": b.row, "column": c.name, "value": b.value}
                       for c in self.columns for b in c.blanked_values),
                      key=lambda e: (e["row"], e["column"]))

    def to_dict(self) -> dict:
        """JSON-safe form, for storage and the API (``ok`` and ``bad_count`` included)."""
        d = asdict(self)
        d["ok"] = self.ok
        d["bad_count"] = self.bad_count
        d["emptied"] = self.emptied
        d["blanked"] = self.blanked
        return d

    @classmethod
    def from_dict(cls, d: dict) -> ValidationReport:
        columns = []
        for c in d["columns"]:
            c = dict(c)
            c["bad_values"] = [BadValue(row=b["row"], value=b["value"]) for b in c["bad_values"]]
            c["emptied_values"] = [BadValue(row=b["row"], value=b["value"])
                                   for b in c.get("emptied_values", [])]
            c["blanked_values"] = [BadValue(row=b["row"], value=b["value"])
                                   for b in c.get("blanked_values", [])]
            columns.append(ColumnReport(**c))
        return cls(columns=columns, row_count=d["row_count"],
                   has_geometry=d.get("has_geometry", False))
