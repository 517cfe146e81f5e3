"""Load a whole city's data folder into plain Python objects, checking as it goes.

``load_city(data_dir)`` reads the manifest, the boundaries of every geography, the lookups
between them, every statistical table, the postcode list and any gazetteer's place names, and returns a
:class:`CityData`. Files that cannot be read, or that are wrong in themselves (bad codes,
broken geometry, cells that are not numbers), raise :class:`DataError` naming the file and
row. Files that are fine but disagree with each other (a code in a table with no boundary,
vintages that changed codes) do not stop the load: each mismatch is recorded in
``CityData.mismatches`` and the rows that agree are used.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyogrio.raw import read as read_vector

from .boundaries import BoundaryLayer, boundary_candidates, read_boundaries
from .codes import authority_geography, family, looks_like
from .errors import DataError
from .indicators import INDICATOR_ROLES, IndicatorDef, indicators_from_table
from .manifest import Manifest, Resource, load_manifest
from .parents import containing_parents
from .tables import NotFast, arrow_batches, read_table


@dataclass(frozen=True)
class Mismatch:
    """Two files disagree: ``code`` from ``resource`` (at ``row``) has no match in ``against``."""

    resource: str
    row: int | None
    code: str
    against: str
    problem: str


@dataclass(frozen=True)
class Membership:
    """Base area ``child`` belongs to ``parent`` with a population ``weight`` (0–1)."""

    parent: str
    parent_geography: str
    child: str
    weight: float
    method: str


@dataclass(frozen=True)
class PostcodeRecord:
    postcode: str
    lon: float | None
    lat: float | None
    area_code: str | None  # base-geography area
    terminated: bool


@dataclass
class PostcodeTable:
    """The package's postcodes as columns, never one object per row (England's 2.2 million
    took 25 s and 3 GB read that way): ``postcode`` as published and ``area_code`` (the
    base area, null where the row names none) as Arrow string arrays, ``lon``/``lat`` (NaN
    where none) and ``terminated`` as NumPy arrays. Iterating gives ``PostcodeRecord``s."""

    postcode: Any = None  # pa.Array of strings
    area_code: Any = None  # pa.Array of strings
    lon: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lat: np.ndarray = field(default_factory=lambda: np.zeros(0))
    terminated: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __len__(self) -> int:
        return len(self.lon)

    def __iter__(self) -> Iterator[PostcodeRecord]:
        return (PostcodeRecord(*row) for row in self.rows())

    def rows(self, size: int = 10_000) -> Iterator[tuple[str, float | None, float | None, str | None, bool]]:
        """(postcode, lon, lat, area_code, terminated) a row at a time, made ``size`` at a time."""
        for start in range(0, len(self), size):
            stop = min(start + size, len(self))
            postcodes = self.postcode.slice(start, stop - start).to_pylist()
            areas = self.area_code.slice(start, stop - start).to_pylist()
            lons = [None if x != x else x for x in self.lon[start:stop].tolist()]
            lats = [None if y != y else y for y in self.lat[start:stop].tolist()]
            yield from zip(postcodes, lons, lats, areas, self.terminated[start:stop].tolist(), strict=True)

    def where(self, keep: np.ndarray) -> PostcodeTable:
        import pyarrow as pa

        mask = pa.array(keep, type=pa.bool_())
        return PostcodeTable(self.postcode.filter(mask), self.area_code.filter(mask), self.lon[keep],
                             self.lat[keep], self.terminated[keep])

    def extend(self, other: PostcodeTable) -> PostcodeTable:
        if not len(self):
            return other
        import pyarrow as pa

        return PostcodeTable(pa.concat_arrays([self.postcode, other.postcode]),
                             pa.concat_arrays([self.area_code, other.area_code]),
                             np.concatenate([self.lon, other.lon]), np.concatenate([self.lat, other.lat]),
                             np.concatenate([self.terminated, other.terminated]))


@dataclass(frozen=True)
class PlaceName:
    """A name people use for a place (an estate, suburb, village or hamlet) from a gazetteer
    (role ``place-names``) or named in the package's addresses (``localities``): its point,
    British National Grid metres, the base area holding it, and where the name comes from
    (``source``: empty for a gazetteer's)."""

    name: str
    kind: str
    area_code: str
    easting: float
    northing: float
    source: str = ""


@dataclass
class ValueTable:
    """Every indicator value published on one geography: a column of floats per indicator
    (NaN where a file gives none), rows the geography's areas in code order, and the text
    of category columns. Held as arrays, never as one object per value: England's LSOAs
    alone carry millions of values."""

    codes: list[str]
    keys: list[str] = field(default_factory=list)
    columns: list[np.ndarray] = field(default_factory=list)
    text: dict[str, dict[str, str]] = field(default_factory=dict)  # key → {code: text}

    def matrix(self) -> np.ndarray:
        """(areas × indicators) float64."""
        if not self.columns:
            return np.zeros((len(self.codes), 0))
        return np.column_stack(self.columns)

    def values_of(self, key: str) -> dict[str, float | str]:
        """The values one indicator has, by area code (text for a category)."""
        if key in self.text:
            return dict(self.text[key])
        column = self.columns[self.keys.index(key)]
        return {self.codes[i]: float(column[i]) for i in np.flatnonzero(~np.isnan(column))}


@dataclass
class CityData:
    manifest: Manifest
    layers: dict[str, BoundaryLayer]
    base_geography: str
    friendly_names: dict[str, str] = field(default_factory=dict)
    memberships: list[Membership] = field(default_factory=list)
    indicators: list[IndicatorDef] = field(default_factory=list)
    values: dict[str, ValueTable] = field(default_factory=dict)  # by geography
    postcodes: PostcodeTable = field(default_factory=PostcodeTable)
    place_names: list[PlaceName] = field(default_factory=list)
    mismatches: list[Mismatch] = field(default_factory=list)
    population_indicator: str = ""

    def area_geography(self) -> dict[str, str]:
        return {code: g for g, layer in self.layers.items() for code in layer.codes}


def load_city(data_dir) -> CityData:
    manifest = load_manifest(data_dir)
    problems: list[Mismatch] = []
    layers = _read_layers(manifest, problems)
    city = CityData(manifest, layers, _base_geography(manifest, layers), mismatches=problems)
    _check_city_outline(city)
    for r in manifest.resources:
        if r.role in INDICATOR_ROLES and r.format == "csv" and r.geography in layers:
            _add_indicators(city, r)
        elif r.role in INDICATOR_ROLES:
            city.mismatches.append(Mismatch(r.name, None, "", r.geography or "?",
                                            f"no boundaries for geography {r.geography!r}; file not loaded"))
    for r in manifest.by_role("area-names"):
        _add_names(city, r)
    _add_memberships(city)
    _add_authorities(city)
    for r in manifest.by_role("postcodes"):
        _add_postcodes(city, r)
    for r in manifest.by_role("place-names"):
        _add_place_names(city, r)
    city.population_indicator = _population_indicator(city)
    return city


def _read_layers(manifest: Manifest, problems: list[Mismatch]) -> dict[str, BoundaryLayer]:
    """One boundary layer per geography. A file that cannot be read, or is wrong in itself,
    is skipped with a report and the geography's next file (another generalisation) is
    tried; a geography none of whose files reads is left out. Only the primary geography,
    the one the package's tables are published on, stops the load: its error is raised."""
    candidates = boundary_candidates(manifest)
    if not candidates:
        raise DataError("the manifest lists no boundaries with a geography and code_field",
                        file=str(manifest.root / "datapackage.json"))
    primary = _primary_geography(manifest, candidates)
    layers = {}
    skipped: list[str] = []
    for g, resources in candidates.items():
        for n, r in enumerate(resources):
            try:
                layer = read_boundaries(manifest, r)
            except DataError as exc:
                if g == primary and n == len(resources) - 1:
                    raise
                fallback = "the next file of this geography is used" if n < len(resources) - 1 \
                    else f"no {g} areas are loaded"
                problems.append(Mismatch(r.name, exc.row, "", "", f"file skipped: {exc}; {fallback}"))
                skipped.append(str(exc))
                continue
            problems.extend(Mismatch(r.name, fix.row, fix.code, "", fix.reason) for fix in layer.repairs)
            layers[g] = layer
            break
    if not layers:
        raise DataError("no boundary file listed here could be read: " + "; ".join(skipped),
                        file=str(manifest.root / "datapackage.json"))
    return layers


def _primary_geography(manifest: Manifest, candidates: dict) -> str | None:
    """The geography most statistical tables are published on, from the manifest alone."""
    counts = Counter(r.geography for r in manifest.resources
                     if r.role in INDICATOR_ROLES and r.geography in candidates)
    return max(counts, key=counts.__getitem__) if counts else None


def _base_geography(manifest: Manifest, layers: dict[str, BoundaryLayer]) -> str:
    """The geography most statistical tables are published on (ties: the most areas)."""
    counts = Counter(r.geography for r in manifest.resources
                     if r.role in INDICATOR_ROLES and r.geography in layers)
    if not counts:
        return max(layers, key=lambda g: len(layers[g]))
    return max(counts, key=lambda g: (counts[g], len(layers[g])))


def _check_city_outline(city: CityData) -> None:
    """Every code the manifest's ``city`` names is an area of the boundary file of its kind,
    when the package has one: its districts in the ``lad`` file, its country in the
    ``country`` outline."""
    for g, layer in city.layers.items():
        named = [c for c in city.manifest.authority_codes if authority_geography(c) == family(g)]
        missing = sorted(set(named) - set(layer.codes))
        if missing:
            several = len(missing) > 1
            raise DataError(f"the city code{'s' if several else ''} {', '.join(missing)} from the manifest "
                            f"{'are' if several else 'is'} not in this file",
                            file=str(city.manifest.path_of(layer.resource)))


def _add_indicators(city: CityData, r: Resource) -> None:
    table = read_table(city.manifest, r, required=(r.code_field,))
    known = set(city.layers[r.geography].codes)
    keep = []
    seen: dict[str, int] = {}
    for i, code in enumerate(table.columns[r.code_field]):
        row = i + 2
        if code is None or (code not in known and not looks_like(str(code), r.geography)):
            raise DataError(f"{code!r} is not a {r.geography} area code", file=str(city.manifest.path_of(r)),
                            row=row, column=r.code_field)
        if code in seen:
            raise DataError(f"area {code} appears twice (also row {seen[code]})",
                            file=str(city.manifest.path_of(r)), row=row, column=r.code_field)
        seen[code] = row
        if code in known:
            keep.append(i)
        else:
            city.mismatches.append(Mismatch(r.name, row, code, city.layers[r.geography].resource.name,
                                            f"no {r.geography} boundary has this code; row not loaded"))
    for code in sorted(known - set(seen)):
        city.mismatches.append(Mismatch(r.name, None, code, city.layers[r.geography].resource.name,
                                        "area has a boundary but no row in this file"))
    codes = table.columns[r.code_field]
    values = city.values.setdefault(r.geography, ValueTable(sorted(known)))
    rows = {code: i for i, code in enumerate(values.codes)}
    at = np.array([rows[codes[i]] for i in keep], dtype=np.intp)
    kept_rows = np.array(keep, dtype=np.intp)
    for column in indicators_from_table(table):
        city.indicators.append(column.definition)
        key = column.definition.key
        floats = np.full(len(values.codes), np.nan)
        if column.definition.kind == "category":
            values.text[key] = {codes[i]: str(column.values[i]) for i in keep if column.values[i] is not None}
        else:
            column_floats = np.array(column.values, dtype=float)  # None → NaN
            floats[at] = column_floats[kept_rows]
        values.keys.append(key)
        values.columns.append(floats)


def _add_names(city: CityData, r: Resource) -> None:
    table = read_table(city.manifest, r, required=(r.code_field, r.name_field))
    all_codes = city.area_geography()
    for i, (code, name) in enumerate(zip(table.columns[r.code_field], table.columns[r.name_field], strict=True)):
        if code in all_codes and name:
            city.friendly_names[code] = name
        elif name:
            city.mismatches.append(Mismatch(r.name, i + 2, str(code), "boundaries",
                                            "no area has this code; name not used"))
    # A friendly name given for an older vintage also names the newer area with the same code.


def _column_for(table, codes: set[str], exclude: set[str]) -> str | None:
    """The column whose values best match ``codes`` (by content, not by name)."""
    best, best_hits = None, 0
    for name, values in table.columns.items():
        if name in exclude:
            continue
        hits = sum(1 for v in values if v in codes)
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _add_memberships(city: CityData) -> None:
    base = city.base_geography
    base_layer = city.layers[base]
    base_codes = set(base_layer.codes)
    linked: set[str] = {base}
    for r in city.manifest.by_role("lookup"):
        chain = r.geography_chain
        if base not in chain:
            continue
        table = read_table(city.manifest, r)
        base_col = _column_for(table, base_codes, set())
        if base_col is None:
            continue
        for g in chain:
            if g == base or g not in city.layers or g in linked:
                continue
            g_col = _column_for(table, set(city.layers[g].codes), {base_col})
            if g_col is None:
                continue
            _memberships_from_pairs(city, r, g, table.columns[g_col], table.columns[base_col])
            linked.add(g)
    for g in city.layers:
        _place_by_points(city, g, by_lookup=g in linked)


def _place_by_points(city: CityData, g: str, *, by_lookup: bool) -> None:
    """Memberships in ``g`` of the base areas no lookup placed there, by their point on
    surface: all of them when no lookup links ``g``, some when the lookup is of another
    vintage (2024 ward codes against 2022 ward boundaries)."""
    base = city.base_geography
    base_layer, layer = city.layers[base], city.layers[g]
    if g == base or len(layer) > len(base_layer):
        return  # finer geographies (output areas) are not built from base areas
    placed = {m.child for m in city.memberships if m.parent_geography == g}
    unplaced = np.array([i for i, code in enumerate(base_layer.codes) if code not in placed], dtype=np.intp)
    if not len(unplaced):
        return
    method = "best fit: the base area's point on surface lies in this area"
    if by_lookup:
        method += " (the lookup gives it no area of this file)"
    parent = containing_parents(base_layer.geometries[unplaced], layer.geometries)
    for c, p in zip(unplaced, parent, strict=True):
        if p >= 0:
            city.memberships.append(Membership(str(layer.codes[p]), g, str(base_layer.codes[c]), 1.0, method))
        else:
            city.mismatches.append(Mismatch(layer.resource.name, None, str(base_layer.codes[c]), base,
                                            f"this {base} area lies in no {g} area"))


def _memberships_from_pairs(city: CityData, r: Resource, g: str, parents: list, children: list) -> None:
    base_codes = set(city.layers[city.base_geography].codes)
    parent_codes = set(city.layers[g].codes)
    pairs = sorted({(p, c) for p, c in zip(parents, children, strict=True)
                    if p in parent_codes and c in base_codes})
    parents_of = Counter(c for _p, c in pairs)
    for i, (p, c) in enumerate(zip(parents, children, strict=True)):
        if p not in parent_codes or c not in base_codes:
            bad = p if p not in parent_codes else c
            city.mismatches.append(Mismatch(r.name, i + 2, str(bad), "boundaries",
                                            "code in the lookup has no boundary; pair not used"))
    for p, c in pairs:
        n = parents_of[c]
        method = "lookup" if n == 1 else f"lookup; shared equally among {n} areas it was made from"
        city.memberships.append(Membership(p, g, c, 1.0 / n, f"{r.title} ({method})"))


AUTHORITY = "lad"
#: An LSOA or MSOA name is its authority's name and a number: "Milton Keynes 001A".
_NUMBERED_NAME = re.compile(r"\s+\d{3}[A-Z]?$")


def _add_authorities(city: CityData) -> None:
    """The package's local authorities as a geography (``"lad"``) when it has no boundary
    file of them but its base areas carry their authority's code (a lookup's ``LAD24CD``
    column, or such a property of the base boundary file, taken from an area's first feature
    when it is published in parts): each authority is the union of its base areas, named as
    ONS names those areas, and every base area is a member of exactly one. A package of several authorities (a shared service, a combined authority,
    a country) then has a page, a profile and a comparison for each."""
    if any(family(g) == AUTHORITY for g in city.layers):
        return
    found = _authority_column(city)
    if found is None:
        return
    resource, column, lad_of = found
    base = city.layers[city.base_geography]
    layer = authority_layer(base, lad_of, resource)
    city.layers[AUTHORITY] = layer
    method = f"{resource.title} (its {column} column names each area's authority)"
    city.memberships.extend(Membership(str(lad), AUTHORITY, str(code), 1.0, method)
                            for code, lad in zip(base.codes, lad_of, strict=True) if lad)
    city.mismatches.extend(Mismatch(resource.name, None, str(code), AUTHORITY,
                                    f"no authority code for this {city.base_geography} area; it is in no authority")
                           for code, lad in zip(base.codes, lad_of, strict=True) if not lad)
    absent = [c for c in city.manifest.authority_codes
              if authority_geography(c) == AUTHORITY and c not in set(layer.codes)]
    city.mismatches.extend(Mismatch("datapackage.json", None, c, resource.name,
                                    "the manifest names this authority but no area carries its code")
                           for c in absent)


def _authority_column(city: CityData) -> tuple[Resource, str, np.ndarray] | None:
    """Each base area's authority code ("" for none) and where it comes from: a lookup of
    the base geography with a column of local authority codes (one that starts from the
    base geography first: an older vintage's lookup may name older authorities), else such
    a property of the base boundary file. None when neither has one."""
    base = city.layers[city.base_geography]
    position = {code: i for i, code in enumerate(base.codes)}
    lookups = [r for r in city.manifest.by_role("lookup")
               if city.base_geography in r.geography_chain and r.format == "csv"]
    for r in sorted(lookups, key=lambda r: r.geography_chain[0] != city.base_geography):
        table = read_table(city.manifest, r)
        base_col = _column_for(table, set(position), set())
        lad_col = next((n for n in table.names if n != base_col and _all_authorities(table.columns[n])), None)
        if base_col and lad_col:
            lad_of = np.full(len(base), "", dtype=object)
            for code, lad in zip(table.columns[base_col], table.columns[lad_col], strict=True):
                if code in position and lad:
                    lad_of[position[code]] = lad
            return r, lad_col, lad_of
    meta, _fids, _geometry, field_data = read_vector(city.manifest.path_of(base.resource), read_geometry=False)
    fields = list(meta["fields"])
    feature_codes = field_data[fields.index(base.resource.code_field)]
    for name, values in zip(fields, field_data, strict=True):
        if name != base.resource.code_field and _all_authorities(values):
            lad_by_code: dict[str, str] = {}
            for code, lad in zip(feature_codes, values, strict=True):
                lad_by_code.setdefault(code, lad or "")
            return base.resource, str(name), np.asarray([lad_by_code.get(c, "") for c in base.codes], dtype=object)
    return None


def _all_authorities(values) -> bool:
    """A column of local authority district codes: some, and nothing else but blanks."""
    present = [v for v in values if v not in (None, "")]
    return bool(present) and all(looks_like(v, AUTHORITY) for v in present)


def authority_layer(base: BoundaryLayer, lad_of: np.ndarray, resource: Resource) -> BoundaryLayer:
    """One area per authority code in ``lad_of`` (parallel to ``base``; "" for none): the
    union of its base areas (``shapely.coverage_union_all``, exact and fast where the base
    areas share their edges; ``union_all`` where a generalised file's edges do not meet),
    named by the prefix of its base areas' ONS names ("Milton Keynes 001A" → "Milton
    Keynes"; the code when they have none). Codes in sorted order."""
    lad_of = np.asarray(lad_of, dtype=object)
    placed = np.flatnonzero(lad_of != "")
    order = placed[np.argsort(lad_of[placed].astype(str), kind="stable")]
    codes, starts = np.unique(lad_of[order].astype(str), return_index=True)
    groups = np.split(order, starts[1:]) if len(order) else []
    geometries = np.array([_dissolve(base.geometries[g]) for g in groups], dtype=object)
    names = np.array([_authority_name(base.names[g], code) for g, code in zip(groups, codes, strict=True)],
                     dtype=object)
    return BoundaryLayer(AUTHORITY, resource, codes.astype(object), names, geometries)


def _dissolve(geometries: np.ndarray):
    try:
        union = shapely.coverage_union_all(geometries)
        if shapely.is_valid(union) and shapely.get_type_id(union) in (3, 6):
            return union
    except shapely.errors.GEOSException:
        pass  # edges that do not meet exactly: the general union below
    return shapely.union_all(geometries)


def _authority_name(names: np.ndarray, code: str) -> str:
    prefixes = Counter(_NUMBERED_NAME.sub("", str(n)) for n in names if n and _NUMBERED_NAME.search(str(n)))
    return prefixes.most_common(1)[0][0] if prefixes else code


def _add_postcodes(city: CityData, r: Resource) -> None:
    base_codes = city.layers[city.base_geography].codes
    try:
        table = _postcodes_by_arrow(arrow_batches(city.manifest, r, required=(r.code_field,)), r,
                                    base_codes)
    except NotFast:  # read_table names the bad cell, or reads what Arrow would not
        table = _postcodes_from(read_table(city.manifest, r, required=(r.code_field,)), r, set(base_codes))
    named = table.postcode.is_valid().to_numpy(zero_copy_only=False)
    city.postcodes = city.postcodes.extend(table if named.all() else table.where(named))  # no blank postcodes


def _postcode_columns(names) -> tuple[str | None, str | None, str | None]:
    lower = {n.lower(): n for n in names}
    return (next((lower[n] for n in ("lon", "long", "longitude") if n in lower), None),
            next((lower[n] for n in ("lat", "latitude") if n in lower), None), lower.get("doterm"))


def _postcodes_by_arrow(batches, r: Resource, base_codes) -> PostcodeTable:
    """The postcode file a block at a time: its postcodes, coordinates, whether terminated,
    and the column that holds most base area codes (by content, as ``_column_for``), kept
    only where a cell is a base area code."""
    import pyarrow as pa
    import pyarrow.compute as pc

    codes = set(base_codes)
    postcodes: list = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    terms: list[np.ndarray] = []
    lengths: list[int] = []
    hits: dict[str, int] = {}
    areas: dict[str, dict[int, pa.Array]] = {}  # column → {block: cells that are base codes}
    for b, columns in enumerate(_regrouped(batches)):
        n = len(columns[r.code_field])
        lengths.append(n)
        lon_col, lat_col, term_col = _postcode_columns(columns)
        postcodes.append(columns[r.code_field].cast(pa.string()))
        for out, name in ((lons, lon_col), (lats, lat_col)):
            out.append(np.full(n, np.nan) if name is None else
                       pc.fill_null(columns[name].cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False))
        terms.append(np.zeros(n, dtype=bool) if term_col is None else
                     columns[term_col].is_valid().to_numpy(zero_copy_only=False))
        for name, column in columns.items():
            if name == r.code_field or not pa.types.is_string(column.type):
                continue
            counts = pc.value_counts(column)  # a block's distinct cells: a few thousand at most
            present = [(v, k) for v, k in zip(counts.field("values").to_pylist(),
                                               counts.field("counts").to_pylist(), strict=True) if v in codes]
            hits[name] = hits.get(name, 0) + sum(k for _, k in present)
            if present:
                found = pc.is_in(column, value_set=pa.array([v for v, _ in present], type=pa.string()))
                areas.setdefault(name, {})[b] = pc.if_else(found, column, pa.scalar(None, pa.string()))
    best, best_hits = None, 0
    for name, count in hits.items():  # header order; the first of equals, as _column_for
        if count > best_hits:
            best, best_hits = name, count
    kept = areas.get(best, {}) if best else {}
    area_code = pa.concat_arrays([kept.get(b, pa.nulls(n, pa.string())) for b, n in enumerate(lengths)]
                                 or [pa.array([], pa.string())])
    return PostcodeTable(pa.concat_arrays(postcodes or [pa.array([], pa.string())]), area_code,
                         np.concatenate(lons or [np.zeros(0)]), np.concatenate(lats or [np.zeros(0)]),
                         np.concatenate(terms or [np.zeros(0, dtype=bool)]))


def _regrouped(batches, rows: int = 100_000):
    """Blocks joined into about ``rows`` rows: each column is then looked at once per
    100,000 rows, not per small block."""
    import pyarrow as pa

    def joined(group: list[dict]) -> dict:
        return {name: pa.concat_arrays([g[name] for g in group]) for name in group[0]}

    group: list[dict] = []
    held = 0
    for columns in batches:
        group.append(columns)
        held += len(next(iter(columns.values())))
        if held >= rows:
            yield joined(group)
            group, held = [], 0
    if group:
        yield joined(group)


def _postcodes_from(table, r: Resource, base_codes: set[str]) -> PostcodeTable:
    """A postcode file read row by row (``read_table``), as columns."""
    import pyarrow as pa

    lon_col, lat_col, term_col = _postcode_columns(table.names)
    area_col = _column_for(table, base_codes, {r.code_field})
    n = len(table)

    def floats(name):
        return np.array([np.nan if v is None else float(v) for v in table.columns[name]] if name else
                        np.full(n, np.nan), dtype=float)

    areas = table.columns[area_col] if area_col else [None] * n
    return PostcodeTable(
        pa.array([None if code is None else str(code) for code in table.columns[r.code_field]],
                 type=pa.string()),
        pa.array([a if a in base_codes else None for a in areas], type=pa.string()),
        floats(lon_col), floats(lat_col),
        np.array([v is not None for v in table.columns[term_col]] if term_col else np.zeros(n), dtype=bool))


#: Column names a place-names file's point is read from (its schema declares them, as other
#: point files do): British National Grid metres, or WGS84 degrees.
EASTING_NAMES = ("easting", "geometry_x", "x")
NORTHING_NAMES = ("northing", "geometry_y", "y")
LONGITUDE_NAMES = ("longitude", "lon", "long", "lng")
LATITUDE_NAMES = ("latitude", "lat")
#: Column names of a place's kind (suburb, village, estate, hamlet; OS Open Names: LOCAL_TYPE).
KIND_NAMES = ("kind", "local_type", "type")
#: The British National Grid's extent, metres (easting, northing).
GRID_EXTENT = ((0.0, 700_000.0), (0.0, 1_300_000.0))


def _add_place_names(city: CityData, r: Resource) -> None:
    """A gazetteer's names, each placed in the base area holding its point. A row whose name
    or point is missing or not a coordinate is a ``DataError`` naming the file, row and
    column (nothing is loaded); a point outside the city is a mismatch (the row is skipped);
    a name repeated in one base area is kept once."""
    from .pointindex import AreaIndex
    from .projection import lonlat_to_bng

    where = str(city.manifest.path_of(r))
    x_col, y_col, grid, kind_col = _place_name_columns(r, where)
    table = read_table(city.manifest, r, required=(r.name_field, x_col, y_col))
    names, xs, ys = table.columns[r.name_field], table.columns[x_col], table.columns[y_col]
    points = []
    for i, (name, x, y) in enumerate(zip(names, xs, ys, strict=True)):
        if name is None or not str(name).strip():
            raise DataError("no name", file=where, row=i + 2, column=r.name_field)
        points.append(_checked_point(x, y, x_col, y_col, grid, where, i + 2))
    if not points:
        return
    x, y = np.array(points, dtype=float).T
    if not grid:
        x, y = lonlat_to_bng(x, y)
    base = city.layers[city.base_geography]
    at = AreaIndex(list(base.codes), base.geometries).locate(x, y)
    kinds = table.columns[kind_col] if kind_col else [None] * len(table)
    seen: set[tuple[str, str]] = set()
    for i, (name, kind, a) in enumerate(zip(names, kinds, at.tolist(), strict=True)):
        name = " ".join(str(name).split())
        if a < 0:
            city.mismatches.append(Mismatch(r.name, i + 2, name, "boundaries",
                                            f"this place lies outside {city.manifest.city_name or 'the city'}; "
                                            "name not used"))
            continue
        code = str(base.codes[a])
        if (name.casefold(), code) not in seen:
            seen.add((name.casefold(), code))
            city.place_names.append(PlaceName(name, " ".join(str(kind or "").split()), code,
                                              float(x[i]), float(y[i])))


def _place_name_columns(r: Resource, where: str) -> tuple[str, str, bool, str | None]:
    """A place-names file's point columns as its schema declares them (x, y, whether grid
    metres) and its kind column (or None)."""
    if r.format != "csv":
        raise DataError(f"a place-names file must be a CSV, not {r.format!r}", file=where)
    if not r.name_field:
        raise DataError("a place-names resource must give name_field, the column of the names", file=where)
    declared = {f["name"].lower(): f["name"] for f in r.fields}

    def column(names: tuple[str, ...]) -> str | None:
        return next((declared[n] for n in names if n in declared), None)

    east, north = column(EASTING_NAMES), column(NORTHING_NAMES)
    lon, lat = column(LONGITUDE_NAMES), column(LATITUDE_NAMES)
    if east and north:
        return east, north, True, column(KIND_NAMES)
    if lon and lat:
        return lon, lat, False, column(KIND_NAMES)
    raise DataError("a place-names file's schema must declare its point: easting and northing "
                    "(British National Grid metres) or longitude and latitude (degrees)", file=where)


def _checked_point(x, y, x_col: str, y_col: str, grid: bool, where: str, row: int) -> tuple[float, float]:
    """(x, y) as numbers (a column declared as text may hold them), or a ``DataError`` naming
    the row and column unless they are a point of Great Britain: grid metres within the
    grid, or degrees where the grid is defined."""
    from .projection import BNG_AREA_OF_USE, bng_area_words

    numbers = []
    for col, v in ((x_col, x), (y_col, y)):
        if v is None or (isinstance(v, str) and not v.strip()):
            raise DataError("no coordinate", file=where, row=row, column=col)
        try:
            number = float(v)
        except (TypeError, ValueError):
            number = float("nan")
        if isinstance(v, bool) or not np.isfinite(number):
            raise DataError(f"{v!r} is not a coordinate", file=where, row=row, column=col)
        numbers.append(number)
    x, y = numbers
    if grid:
        for col, v, (low, high) in ((x_col, x, GRID_EXTENT[0]), (y_col, y, GRID_EXTENT[1])):
            if not low <= v <= high:
                raise DataError(f"{v:g} is outside the British National Grid ({low:g} to {high:g} "
                                "metres)", file=where, row=row, column=col)
        return x, y
    west, south, east, north = BNG_AREA_OF_USE
    if not west <= x <= east:
        raise DataError(f"longitude {x:g} is not in {bng_area_words()}", file=where, row=row, column=x_col)
    if not south <= y <= north:
        raise DataError(f"latitude {y:g} is not in {bng_area_words()}", file=where, row=row, column=y_col)
    return x, y


def _population_indicator(city: CityData) -> str:
    """Key of the residents total on the base geography used to weight averages."""
    for d in city.indicators:
        r = city.manifest.resource(d.source)
        if d.kind == "total" and r.geography == city.base_geography and "resident" in d.unit:
            return d.key
    for d in city.indicators:
        if d.kind == "total" and city.manifest.resource(d.source).geography == city.base_geography:
            return d.key
    return ""
