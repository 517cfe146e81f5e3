"""The column layout of a version's Parquet file: one definition for every module.

``_id`` (1..n) · ``_row`` (source row) · the user's data columns · ``_<geography>`` area
codes (base first) · ``_linked_by`` · ``_easting``, ``_northing`` (EPSG:27700 metres) ·
``_geometry`` (WKB, EPSG:4326; geographic sources only). Every column the datastore adds
starts with ``_``; readers rename a user's ``_x`` to ``c_x``.
"""

from __future__ import annotations

from collections.abc import Iterable

#: System columns that are not area codes.
BOOKKEEPING = ("_id", "_row", "_linked_by", "_easting", "_northing", "_geometry")
#: Columns never written to CSV or XLSX: the source row number and binary WKB geometry.
NOT_TABULAR = ("_row", "_geometry")


def is_system_column(name: str) -> bool:
    """True for columns the datastore adds (``_id``, area codes, ...): names starting ``_``."""
    return name.startswith("_")


def data_columns(names: Iterable[str]) -> list[str]:
    """The user's columns, in file order."""
    return [n for n in names if not is_system_column(n)]


def area_code_columns(names: Iterable[str]) -> list[str]:
    """The area-code columns (``_lsoa21``, ``_ward``, ...), in file order."""
    return [n for n in names if is_system_column(n) and n not in BOOKKEEPING]


def tabular_columns(names: Iterable[str]) -> list[str]:
    """Default CSV/XLSX columns: ``_id``, data, area codes, ``_linked_by``, ``_easting``,
    ``_northing`` (file order without ``_row`` and ``_geometry``)."""
    return [n for n in names if n not in NOT_TABULAR]
