"""What part of a version's rows someone may read: columns, places and a period.

A :class:`RowScope` is the datastore's half of an access grant (the catalogue decides who
holds which scope). It never widens what a file holds; it only narrows:

* ``columns``: the data columns readable (``None``: all of them);
* ``hidden``: system columns withheld (``_easting``, ``_northing``, ``_geometry`` when
  exact locations are withheld, finer area-code columns for a coarser geography);
* ``areas``: area codes (of any geography) a row must be linked to, in any of its area-code
  columns (``None``: everywhere; an empty set: no row);
* ``area_columns``: optionally, which of ``areas`` each area-code column can hold
  (``(("_ward", {ward codes}), ...)``), when the caller knows each code's geography: the
  same rows, tested on those columns only (one column a geography, not every column
  against every code);
* ``period``: ``(column, first day, last day)``, either day open; rows with no date there
  are outside every period.

:func:`visible_columns` and :func:`where` turn a scope into what a reader selects and the
condition it adds: as SQL with parameters (the row API), or with literals for a view in the
SQL sandbox (which cannot bind parameters in a view's definition). Values are always quoted
by :mod:`.sqlquote`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .layout import area_code_columns, is_system_column
from .sqlquote import identifier, literal

#: System columns that give a row's exact place.
LOCATION_COLUMNS = frozenset({"_easting", "_northing", "_geometry"})


@dataclass(frozen=True)
class RowScope:
    columns: frozenset[str] | None = None
    hidden: frozenset[str] = frozenset()
    areas: frozenset[str] | None = None
    area_columns: tuple[tuple[str, frozenset[str]], ...] | None = None
    period: tuple[str, date | None, date | None] | None = None

    @property
    def is_everything(self) -> bool:
        """True when the scope narrows nothing (an open dataset, its own members)."""
        return (self.columns is None and not self.hidden and self.areas is None
                and self.period is None)


EVERYTHING = RowScope()


def visible_columns(scope: RowScope, names: Iterable[str]) -> list[str]:
    """The file's columns the scope lets a reader see, in file order."""
    out = []
    for name in names:
        if name in scope.hidden:
            continue
        if not is_system_column(name) and scope.columns is not None and name not in scope.columns:
            continue
        out.append(name)
    return out


def where(scope: RowScope, names: Iterable[str]) -> tuple[str, list]:
    """The scope's row condition over a file with columns ``names``: SQL text with ``?``
    parameters, and the parameters. ``("", [])`` when every row is in scope."""
    parts, params = _conditions(scope, list(names), inline=False)
    return " AND ".join(parts), params


def where_literal(scope: RowScope, names: Iterable[str]) -> str:
    """The same condition with the values written in as quoted literals (for a view)."""
    parts, _ = _conditions(scope, list(names), inline=True)
    return " AND ".join(parts)


def _conditions(scope: RowScope, names: list[str], *, inline: bool) -> tuple[list[str], list]:
    parts: list[str] = []
    params: list = []
    if scope.areas is not None:
        present = area_code_columns(names)
        if scope.area_columns is not None:
            tests = [(c, sorted(codes & scope.areas)) for c, codes in scope.area_columns
                     if c in present]
        else:
            tests = [(c, sorted(scope.areas)) for c in present]
        ors = []
        for column, codes in tests:
            if not codes:
                continue
            listed = ", ".join(literal(c) if inline else "?" for c in codes)
            ors.append(f"CAST({identifier(column)} AS VARCHAR) IN ({listed})")
            if not inline:
                params.extend(codes)
        parts.append("(" + " OR ".join(ors) + ")" if ors else "FALSE")
    if scope.period is not None:
        column, first, last = scope.period
        if column not in names:
            parts.append("FALSE")
        else:
            day = f"TRY_CAST({identifier(column)} AS DATE)"
            parts.append(f"{day} IS NOT NULL")
            for bound, op in ((first, ">="), (last, "<=")):
                if bound is None:
                    continue
                if inline:
                    parts.append(f"{day} {op} DATE {literal(bound.isoformat())}")
                else:
                    parts.append(f"{day} {op} CAST(? AS DATE)")
                    params.append(bound.isoformat())
    return parts, params
