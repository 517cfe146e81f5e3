"""ONS Government Statistical Service (GSS) area codes and the geographies they name.

A GSS code is a letter for the nation (E England, W Wales, S Scotland, N Northern Ireland,
K for cross-nation areas), two digits for the entity type and six for the area, e.g.
``E01016710`` (an English LSOA). Source: ONS, *Code History Database user guide* (entity
codes E00 output area, E01 LSOA, E02 MSOA, E05 electoral ward, E06-E09 local authority
districts and unitary authorities, E10 county, E11 metropolitan county, E12 region, E47
combined authority, E92 country). The digits mean different things in each nation: the local
authorities are W06 in Wales, S12 in Scotland (council areas) and N09 in Northern Ireland
(local government districts), so kinds of authority are keyed by nation letter and digits.
"""

from __future__ import annotations

import functools
import re

GSS_PATTERN = re.compile(r"^[EWSNK]\d{8}$")

#: Entity-type digits by geography key used in manifests. ``lsoa11``/``lsoa21`` share a type.
ENTITY_TYPES: dict[str, tuple[str, ...]] = {
    "oa": ("00",),
    "lsoa": ("01",),
    "msoa": ("02",),
    "ward": ("05",),
}

#: Entity codes (nation letter and type digits) of each kind of authority.
AUTHORITY_ENTITIES: dict[str, tuple[str, ...]] = {
    "lad": ("E06", "E07", "E08", "E09", "W06", "S12", "N09"),
    "county": ("E10", "E11"),
    "cauth": ("E47",),
    "region": ("E12",),
    "country": ("E92", "W92", "S92", "N92"),
}

#: Geographies a data package may be "the city" of: one or more authorities, a county, a
#: combined authority, a region or the country (smallest first).
AUTHORITY_GEOGRAPHIES: tuple[str, ...] = ("lad", "county", "cauth", "region", "country")

#: Plain-English names of geography families, for pages.
GEOGRAPHY_LABELS: dict[str, str] = {
    "oa": "Output Area",
    "lsoa": "Neighbourhood (LSOA)",
    "msoa": "Area (MSOA)",
    "ward": "Ward",
    "lad": "Local authority",
    "county": "County",
    "cauth": "Combined authority",
    "region": "Region",
    "country": "Country",
}


@functools.lru_cache(maxsize=256)
def family(geography: str) -> str:
    """Strip the census year: ``"lsoa21"`` → ``"lsoa"``, ``"ward"`` → ``"ward"``."""
    return re.sub(r"\d+$", "", geography)


def vintage_year(geography: str) -> int | None:
    """The census year of a geography key: ``"lsoa11"`` → 2011, ``"ward"`` → None."""
    match = re.search(r"(\d\d)$", geography)
    return 2000 + int(match.group(1)) if match else None


def geography_label(geography: str) -> str:
    label = GEOGRAPHY_LABELS.get(family(geography), geography.upper())
    year = vintage_year(geography)
    return f"{label}, {year} boundaries" if year else label


def looks_like(code: str, geography: str) -> bool:
    """True when ``code`` is a well-formed GSS code of the entity type ``geography`` expects.

    Geographies Common Ground does not know are accepted when the code is well formed.
    """
    if not isinstance(code, str) or not GSS_PATTERN.match(code):
        return False
    kind = family(geography)
    if kind in AUTHORITY_ENTITIES:
        return code[:3] in AUTHORITY_ENTITIES[kind]
    types = ENTITY_TYPES.get(kind)
    return types is None or code[1:3] in types


def authority_geography(code: str) -> str | None:
    """Which kind of authority a GSS code names (``"E06000042"`` and ``"S12000036"`` → ``"lad"``,
    ``"E92000001"`` → ``"country"``), None when it names none (an LSOA, a malformed code)."""
    if not isinstance(code, str) or not GSS_PATTERN.match(code):
        return None
    return next((g for g in AUTHORITY_GEOGRAPHIES if code[:3] in AUTHORITY_ENTITIES[g]), None)
