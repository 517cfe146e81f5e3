"""Turn a city's statistical tables into indicators: *indicator × area × period*.

Each table column that holds a figure becomes an :class:`IndicatorDef` carrying what a
reader needs to trust it: source, definition, unit, polarity (is higher better or worse),
licence and period. How a column is read depends on the resource's ``role``:

* ``census`` – the first ``total…`` column is the table's universe (residents, households);
  every other column is a count of that universe, in the categories' natural order
  (``plain.natural_order``: "−2, −1, 0, +1, +2", not the file's alphabetical "+1, +2, −1…");
* ``deprivation`` – ``<domain>_score|rank|decile`` columns of the Indices of Deprivation;
* ``deprivation-indicators``, ``deprivation-aggregate`` – published underlying values;
* ``population`` – a total and single-year-of-age counts, summarised into broad age bands;
* ``classification`` – text categories (e.g. the rural–urban classification);
* ``fuel-poverty`` (``SHARE_ROLES``) – counts of a universe (households) and published %.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import iod
from .manifest import Resource
from .plain import natural_order
from .tables import Table

#: Broad age bands for single-year population tables, in years (inclusive bounds).
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("Aged 0 to 15", 0, 15),
    ("Aged 16 to 64", 16, 64),
    ("Aged 65 and over", 65, 200),
)

INDICATOR_ROLES = ("census", "deprivation", "deprivation-indicators", "deprivation-aggregate",
                   "population", "classification", "fuel-poverty")

#: Roles read as counts of a universe and their published percentages (``share_indicators``),
#: with whether more is worse.
SHARE_ROLES = {"fuel-poverty": "higher_worse"}


@dataclass(frozen=True)
class IndicatorDef:
    key: str  # "<resource>.<column>", unique across the city
    source: str  # resource name
    column: str
    label: str
    topic: str  # table title or IoD domain family
    kind: str  # total | count | score | rank | decile | value | category
    unit: str
    polarity: str  # higher_worse | higher_better | neutral
    definition: str
    period: str
    denominator: str = ""  # key of the total a count is a share of
    order: int = 0


@dataclass(frozen=True)
class IndicatorColumn:
    """An indicator and its values, one per table row (same order as the code column)."""

    definition: IndicatorDef
    values: list


def _label(column: str) -> str:
    text = column.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _period(resource: Resource) -> str:
    return str(resource.year) if resource.year else resource.vintage


def _make(resource: Resource, column: str, order: int, **fields) -> IndicatorDef:
    return IndicatorDef(key=f"{resource.name}.{column}", source=resource.name, column=column,
                        period=_period(resource), order=order, **fields)


def census_indicators(table: Table) -> list[IndicatorColumn]:
    r = table.resource
    numeric = [c for c in table.names if r.field_types.get(c) in ("integer", "number")]
    total = next((c for c in numeric if c.lower().startswith("total")), None)
    universe = total.lower().removeprefix("total").strip("_ ").replace("_", " ") if total else "people"
    out = []
    if total:
        d = _make(r, total, 0, label=f"All {universe}", topic=r.title, kind="total",
                  unit=universe, polarity="neutral",
                  definition=f"Number of {universe} counted ({r.title}).")
        out.append(IndicatorColumn(d, table.columns[total]))
    # categories in their natural order (ONS's, or by the number each carries), not the file's
    for i, column in enumerate(natural_order([c for c in numeric if c != total])):
        d = _make(r, column, i + 1, label=column, topic=r.title, kind="count", unit=universe,
                  polarity="neutral", denominator=f"{r.name}.{total}" if total else "",
                  definition=f"{universe.capitalize()} in the category “{column}” ({r.title}).")
        out.append(IndicatorColumn(d, table.columns[column]))
    return out


def deprivation_indicators(table: Table) -> list[IndicatorColumn]:
    r = table.resource
    edition = r.year
    out = []
    domains = []
    for column in table.names:
        parts = iod.split_column(column)
        if parts and parts[0] not in domains:
            domains.append(parts[0])
    for column in table.names:
        parts = iod.split_column(column)
        if not parts:
            continue
        domain, measure = parts
        kind = measure
        polarity = "higher_worse" if measure == "score" else "higher_better"
        label = iod.domain_label(domain)
        d = _make(r, column, domains.index(domain) * 3 + iod.MEASURES.index(measure),
                  label=label, topic=f"Indices of Deprivation {edition or ''}".strip(), kind=kind,
                  unit=iod.unit_for(domain, measure, edition), polarity=polarity,
                  definition=f"{label}: {measure} ({r.title}).")
        out.append(IndicatorColumn(d, table.columns[column]))
    return out


def value_indicators(table: Table) -> list[IndicatorColumn]:
    r = table.resource
    out = []
    numeric = [c for c in table.names
               if c not in (r.code_field, r.name_field) and r.field_types.get(c) in ("integer", "number")]
    for i, column in enumerate(numeric):
        kind = "score" if r.role == "deprivation-aggregate" else "value"
        d = _make(r, column, i, label=_label(column), topic=r.title, kind=kind, unit=_unit_hint(column),
                  polarity="higher_worse" if kind == "score" else "neutral",
                  definition=f"{_label(column)} as published in {r.title}.")
        out.append(IndicatorColumn(d, table.columns[column]))
    return out


def _unit_hint(column: str) -> str:
    lowered = column.lower()
    if lowered.endswith("_km"):
        return "km"
    if "rate_per_1000" in lowered or "rate_per_1_000" in lowered:
        return "rate per 1,000"
    if "numerator" in lowered:
        return "people"
    if "percent" in lowered:
        return "%"
    return "value"


def population_indicators(table: Table) -> list[IndicatorColumn]:
    r = table.resource
    ages = {}
    for column in table.names:
        match = re.fullmatch(r"(\d+)\+?", column.strip())
        if match:
            ages[column] = int(match.group(1))
    total = next((c for c in table.names if c.lower().startswith("total")), None)
    out = []
    if total:
        d = _make(r, total, 0, label="All residents (estimate)", topic=r.title, kind="total",
                  unit="people", polarity="neutral", definition=f"Estimated usual residents ({r.title}).")
        out.append(IndicatorColumn(d, table.columns[total]))
    for i, (label, low, high) in enumerate(AGE_BANDS):
        columns = [c for c, age in ages.items() if low <= age <= high]
        if not columns:
            continue
        sums = [sum(table.columns[c][row] or 0 for c in columns) for row in range(len(table))]
        key = label.lower().replace(" ", "_")
        d = _make(r, key, i + 1, label=label, topic=r.title, kind="count", unit="people",
                  polarity="neutral", denominator=f"{r.name}.{total}" if total else "",
                  definition=f"Estimated residents {label.lower()} years, summed from single years of age ({r.title}).")
        out.append(IndicatorColumn(d, sums))
    return out


def classification_indicators(table: Table) -> list[IndicatorColumn]:
    r = table.resource
    columns = [c for c in table.names if c not in (r.code_field, r.name_field)]
    out = []
    for i, column in enumerate(columns):
        d = _make(r, column, i, label=_label(column), topic=r.title, kind="category", unit="category",
                  polarity="neutral", definition=f"{_label(column)} ({r.title}).")
        out.append(IndicatorColumn(d, table.columns[column]))
    return out


def share_indicators(table: Table) -> list[IndicatorColumn]:
    """Counts of a universe and their published percentages (e.g. DESNZ fuel poverty:
    ``households``, ``fuel_poor_households``, ``fuel_poor_pct``). The universe is the integer
    column the other integer columns' names end with (else the first); each other integer
    column is a count of it; each ``number`` column a value in % (``…_pct``/``percent``)."""
    r = table.resource
    numeric = [c for c in table.names
               if c not in (r.code_field, r.name_field) and r.field_types.get(c) in ("integer", "number")]
    integers = [c for c in numeric if r.field_types.get(c) == "integer"]
    if not integers:
        return value_indicators(table)
    total = next((c for c in integers if any(o != c and o.endswith(c) for o in integers)), integers[0])
    universe = _label(total).lower()
    polarity = SHARE_ROLES.get(r.role, "neutral")
    out = [IndicatorColumn(_make(r, total, 0, label=f"All {universe}", topic=r.title, kind="total",
                                 unit=universe, polarity="neutral",
                                 definition=f"Number of {universe} ({r.title})."),
                           table.columns[total])]
    for i, column in enumerate(c for c in numeric if c != total):
        if column in integers:
            d = _make(r, column, i + 1, label=_label(column), topic=r.title, kind="count",
                      unit=universe, polarity=polarity, denominator=f"{r.name}.{total}",
                      definition=f"{_label(column)}, of all {universe} ({r.title}).")
        else:
            unit = "%" if column.lower().endswith("pct") or "percent" in column.lower() else _unit_hint(column)
            d = _make(r, column, i + 1, label=_label(column), topic=r.title, kind="value",
                      unit=unit, polarity=polarity,
                      definition=f"{_label(column)} as published in {r.title}.")
        out.append(IndicatorColumn(d, table.columns[column]))
    return out


READERS = {
    "census": census_indicators,
    "deprivation": deprivation_indicators,
    "deprivation-indicators": value_indicators,
    "deprivation-aggregate": value_indicators,
    "population": population_indicators,
    "classification": classification_indicators,
    **{role: share_indicators for role in SHARE_ROLES},
}


def indicators_from_table(table: Table) -> list[IndicatorColumn]:
    """The indicators a table holds, by its resource's role (empty for other roles)."""
    reader = READERS.get(table.resource.role)
    return reader(table) if reader else []
