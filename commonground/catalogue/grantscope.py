"""A scope of restricted data: what an access request asks for, a counter-offer offers, and
a grant gives. Stored as JSON on those rows; read and checked here (no Django).

``{"columns": [...] | null, "places": [area codes] | null, "period": {"from": "YYYY-MM-DD" |
null, "to": ...} | null, "detail": "exact" | <geography>, "months": n}``

* ``columns``: data columns (null: all of them);
* ``places``: area codes of the city, any geography (null: the whole city);
* ``period``: days of the dataset's period column (null: all time); ``column`` keeps the
  column the period was granted on, so a later change of the dataset's period column
  cannot widen a grant (no such column in the file: no rows);
* ``detail``: the finest places the rows may show: ``exact`` (coordinates and every area
  code) or a geography (coordinates and finer area codes withheld);
* ``months``: how long a grant lasts, 1 to :data:`MAX_MONTHS`.

:func:`check` refuses a bad scope naming the field; :func:`within` says whether an offer is
no wider than what was asked; :func:`row_scope` turns a scope into the datastore's
:class:`~commonground.datastore.scope.RowScope`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from commonground.datastore.scope import LOCATION_COLUMNS, RowScope

EXACT = "exact"
MAX_MONTHS = 24


class ScopeError(ValueError):
    """A scope that cannot be granted; ``field`` names the form field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Scope:
    columns: tuple[str, ...] | None = None
    places: tuple[str, ...] | None = None
    period_from: date | None = None
    period_to: date | None = None
    period_column: str = ""
    detail: str = EXACT
    months: int = 12

    def to_json(self) -> dict:
        period = None
        if self.period_from or self.period_to:
            period = {"from": self.period_from.isoformat() if self.period_from else None,
                      "to": self.period_to.isoformat() if self.period_to else None}
            if self.period_column:
                period["column"] = self.period_column
        return {"columns": list(self.columns) if self.columns is not None else None,
                "places": list(self.places) if self.places is not None else None,
                "period": period, "detail": self.detail, "months": self.months}


@dataclass(frozen=True)
class DatasetShape:
    """What a scope is checked against: the dataset's data columns, its period column, the
    city's area codes and its geographies (name -> number of areas)."""

    columns: Sequence[str]
    period_column: str
    area_codes: frozenset[str]
    geographies: Mapping[str, int]


def _day(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ScopeError(field, f"{field.replace('_', ' ').capitalize()}: “{str(value)[:20]}” "
                                "is not a date (YYYY-MM-DD)") from None


def from_json(data: Mapping) -> Scope:
    """A stored scope (already checked when it was stored)."""
    period = data.get("period") or {}
    return Scope(columns=tuple(data["columns"]) if data.get("columns") is not None else None,
                 places=tuple(data["places"]) if data.get("places") is not None else None,
                 period_from=_day(period.get("from"), "period_from"),
                 period_to=_day(period.get("to"), "period_to"),
                 period_column=str(period.get("column") or ""),
                 detail=data.get("detail") or EXACT, months=int(data.get("months") or 12))


def check(scope: Scope, shape: DatasetShape) -> Scope:
    """The scope if it can be granted on a dataset of this shape; else :class:`ScopeError`."""
    if scope.columns is not None:
        if not scope.columns:
            raise ScopeError("columns", "Columns: choose at least one column")
        unknown = [c for c in scope.columns if c not in shape.columns]
        if unknown:
            raise ScopeError("columns", f"Columns: “{unknown[0][:60]}” is not a column of "
                                        "this dataset")
    if scope.places is not None:
        if not scope.places:
            raise ScopeError("places", "Places: name at least one place, or leave it empty "
                                       "for the whole city")
        unknown = [c for c in scope.places if c not in shape.area_codes]
        if unknown:
            raise ScopeError("places", f"Places: “{unknown[0][:20]}” is not an area of the city")
    if scope.period_from or scope.period_to:
        if not shape.period_column:
            raise ScopeError("period_from", "Period: this dataset has no date column a period "
                                            "applies to; leave it empty")
        if scope.period_from and scope.period_to and scope.period_from > scope.period_to:
            raise ScopeError("period_to", "Period: the last day is before the first")
    if scope.detail != EXACT and scope.detail not in shape.geographies:
        raise ScopeError("detail", f"Detail: “{scope.detail[:20]}” is not a geography of the "
                                   "city")
    if not 1 <= scope.months <= MAX_MONTHS:
        raise ScopeError("months", f"How long: between 1 and {MAX_MONTHS} months")
    return scope


def within(offer: Scope, asked: Scope, geographies: Mapping[str, int]) -> str | None:
    """Why ``offer`` is wider than ``asked`` in some part (None when it is not): a
    counter-offer may only narrow."""
    if asked.columns is not None and (offer.columns is None
                                      or set(offer.columns) - set(asked.columns)):
        return "Columns: a counter-offer can only offer columns that were asked for"
    if asked.places is not None and (offer.places is None
                                     or set(offer.places) - set(asked.places)):
        return "Places: a counter-offer can only offer places that were asked for"
    if asked.period_from and (offer.period_from is None or offer.period_from < asked.period_from):
        return "Period: a counter-offer cannot start earlier than asked"
    if asked.period_to and (offer.period_to is None or offer.period_to > asked.period_to):
        return "Period: a counter-offer cannot end later than asked"
    for detail in (asked.detail, offer.detail):
        if detail != EXACT and detail not in geographies:
            return f"Detail: “{detail[:20]}” is not a geography of the city"
    if _areas(asked.detail, geographies) < _areas(offer.detail, geographies):
        return "Detail: a counter-offer cannot offer finer places than asked"
    if offer.months > asked.months:
        return "How long: a counter-offer cannot last longer than asked"
    return None


def _areas(detail: str, geographies: Mapping[str, int]) -> float:
    """How fine a detail is: the number of areas (exact locations: infinitely fine)."""
    return float("inf") if detail == EXACT else geographies[detail]


def row_scope(scope: Scope, *, period_column: str, geographies: Mapping[str, int],
              geography_of: Mapping[str, Sequence[str]] | None = None,
              placing: Placing | None = None) -> RowScope:
    """The datastore's scope for a grant of ``scope``.

    geography_of: area code -> the geographies it is a code of; lets the row condition test
                  each place on its own geography's column only
    placing:      the data columns that place the rows: at a detail coarser than exact,
                  those giving exact places and area codes of finer geographies are hidden
                  with the system columns (a postcode column would give the place away)
    """
    hidden: frozenset[str] = frozenset()
    if scope.detail != EXACT:
        coarsest = geographies.get(scope.detail, 0)
        finer = {f"_{g}" for g, count in geographies.items() if count > coarsest}
        if placing is not None:
            finer |= set(placing.exact)
            # an area-code column of a geography we cannot rank is hidden too
            finer |= {c for c, g in placing.areas.items()
                      if geographies.get(g, coarsest + 1) > coarsest}
        hidden = LOCATION_COLUMNS | finer
    elif placing is not None and scope.columns is not None and \
            not set(placing.exact) <= set(scope.columns):
        # exact detail without a column that placed the rows (a postcode): the coordinates
        # made from it would give it back
        hidden = LOCATION_COLUMNS
    period = None
    if scope.period_from or scope.period_to:
        # the column granted on; none at all (cleared since): no row is in the period
        period = (scope.period_column or period_column, scope.period_from, scope.period_to)
    area_columns = None
    if scope.places is not None and geography_of is not None:
        by_column: dict[str, set[str]] = {}
        for code in scope.places:
            for geography in geography_of.get(code, ()):
                by_column.setdefault(f"_{geography}", set()).add(code)
        area_columns = tuple((c, frozenset(codes)) for c, codes in sorted(by_column.items()))
    return RowScope(columns=frozenset(scope.columns) if scope.columns is not None else None,
                    hidden=hidden,
                    areas=frozenset(scope.places) if scope.places is not None else None,
                    area_columns=area_columns, period=period)


def open_columns_scope(columns: Sequence[str], withheld: Sequence[str],
                       placing: Placing | None = None) -> RowScope:
    """What everyone reads of a dataset whose named columns are withheld: the other
    columns, without the rows' exact locations (the system coordinates, and the data
    columns that placed the rows exactly: coordinates, postcodes)."""
    exact = frozenset(placing.exact) if placing is not None else frozenset()
    return RowScope(columns=frozenset(c for c in columns if c not in set(withheld)),
                    hidden=LOCATION_COLUMNS | exact)


@dataclass(frozen=True)
class Placing:
    """The data columns that placed a dataset's rows (its live versions' link reports):
    ``exact`` ones (coordinates, postcodes) and ``areas`` (column -> geography)."""

    exact: frozenset[str] = frozenset()
    areas: Mapping[str, str] = field(default_factory=dict)
