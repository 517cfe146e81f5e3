"""Read and validate area boundaries named by a city's manifest.

A boundary layer is the codes, names and polygons of one geography (LSOA 2021, ward, ...),
reprojected to British National Grid (EPSG:27700, metres). Validation fails with a
:class:`DataError` naming the file and the feature (row) that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import shapely
from pyogrio.errors import DataSourceError
from pyogrio.raw import read

from .codes import looks_like
from .errors import DataError
from .manifest import Manifest, Resource
from .projection import WGS84, to_bng


@dataclass(frozen=True)
class Repair:
    """An area the file gets wrong and how it was put right: a polygon made valid with
    ``shapely.make_valid`` (keeping its polygonal parts), or parts joined into one area."""

    code: str
    row: int  # feature number in the file, from 1
    reason: str  # what was wrong and what was done, for the load's report


@dataclass(frozen=True)
class BoundaryLayer:
    """The areas of one geography: parallel arrays of codes, names and BNG polygons."""

    geography: str
    resource: Resource
    codes: np.ndarray  # object array of str
    names: np.ndarray  # object array of str ("" when the file has no names)
    geometries: np.ndarray  # shapely Polygon/MultiPolygon, EPSG:27700 metres
    repairs: tuple[Repair, ...] = ()  # invalid polygons made valid while reading

    def __len__(self) -> int:
        return len(self.codes)


def read_boundaries(manifest: Manifest, resource: Resource) -> BoundaryLayer:
    """Read one boundaries resource, check its codes and geometries, project to BNG."""
    path = manifest.path_of(resource)
    try:
        meta, _fids, wkb, field_data = read(path)
    except DataSourceError as exc:
        raise DataError(f"cannot read as {resource.format or 'a vector file'}: {exc}", file=str(path)) from exc
    fields = list(meta["fields"])
    if resource.code_field not in fields:
        raise DataError(f"the manifest's code_field {resource.code_field!r} is not a property here "
                        f"(properties: {', '.join(fields)})", file=str(path))
    codes = np.asarray(field_data[fields.index(resource.code_field)], dtype=object)
    if resource.name_field and resource.name_field in fields:
        names = np.asarray(field_data[fields.index(resource.name_field)], dtype=object)
    else:
        names = np.full(len(codes), "", dtype=object)
    geometries = shapely.from_wkb(wkb)
    _check(path, resource, codes, geometries)
    repairs = _repair(path, codes, geometries)
    codes, names, geometries, joined = _join_parts(codes, names, geometries)
    repairs += joined
    crs = meta.get("crs") or resource.crs or WGS84
    projected = to_bng(geometries, crs)
    bad = np.flatnonzero(~shapely.is_valid(projected))
    if len(bad):  # rounding in the projection can pinch a ring: repaired silently
        projected[bad] = [_polygonal(g) for g in shapely.make_valid(projected[bad])]
    return BoundaryLayer(resource.geography, resource, codes, names, projected, tuple(repairs))


def _repair(path, codes: np.ndarray, geometries: np.ndarray) -> list[Repair]:
    """Make invalid polygons valid in place (real boundary files carry self-intersecting
    rings and nested shells); return what was repaired. An area whose repair leaves no
    polygon (a ring collapsed to a line) fails naming its feature."""
    repairs = []
    for i in np.flatnonzero(~shapely.is_valid(geometries)):
        reason = shapely.is_valid_reason(geometries[i])
        fixed = _polygonal(shapely.make_valid(geometries[i]))
        if fixed is None:
            raise DataError(f"area {codes[i]} has an invalid geometry ({reason}) that has no area "
                            "once repaired", file=str(path), row=int(i) + 1)
        geometries[i] = fixed
        repairs.append(Repair(str(codes[i]), int(i) + 1, f"invalid geometry ({reason}) repaired with "
                              "shapely.make_valid; its polygonal parts are kept"))
    return repairs


def _join_parts(codes: np.ndarray, names: np.ndarray, geometries: np.ndarray):
    """One area per code. A code on several features is one area published in parts (ONS
    ward files split a ward that crosses an authority boundary: "Hunmanby & Sherburn (part
    Scarborough)"): the parts are joined into one polygon, named without "(part ...)", and
    reported."""
    unique, first, counts = np.unique(codes.astype(str), return_index=True, return_counts=True)
    if (counts == 1).all():
        return codes, names, geometries, []
    keep = np.sort(first)
    codes, names, geometries = codes.copy(), names.copy(), geometries.copy()
    repairs = []
    for code in unique[counts > 1]:
        rows = np.flatnonzero(codes == code)
        at = rows[0]
        geometries[at] = _polygonal(shapely.make_valid(shapely.union_all(geometries[rows])))
        names[at] = re.sub(r"\s*\(part [^)]*\)\s*$", "", str(names[at])) or names[at]
        features = ", ".join(str(r + 1) for r in rows)
        repairs.append(Repair(str(code), int(at) + 1,
                              f"one area published in {len(rows)} parts (features {features}); "
                              "the parts are joined"))
    return codes[keep], names[keep], geometries[keep], repairs


def _polygonal(geometry):
    """The polygonal parts of a repaired geometry as one (Multi)Polygon, or None if none."""
    if shapely.get_type_id(geometry) in (3, 6):
        return geometry
    parts = shapely.get_parts(geometry)
    polygons = [p for part in parts for p in shapely.get_parts(part) if shapely.get_type_id(p) == 3]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.multipolygons(polygons)


def _check(path, resource: Resource, codes: np.ndarray, geometries: np.ndarray) -> None:
    """Codes well formed; every geometry present and polygonal."""
    seen: dict[str, int] = {}
    for i, code in enumerate(codes):
        feature = i + 1
        if not looks_like(code, resource.geography):
            raise DataError(f"{code!r} is not a {resource.geography} area code", file=str(path),
                            row=feature, column=resource.code_field)
        seen.setdefault(code, feature)
    missing = np.flatnonzero(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    if len(missing):
        i = int(missing[0])
        raise DataError(f"area {codes[i]} has no geometry", file=str(path), row=i + 1)
    types = shapely.get_type_id(geometries)
    not_polygonal = np.flatnonzero(~np.isin(types, (3, 6)))
    if len(not_polygonal):
        i = int(not_polygonal[0])
        raise DataError(f"area {codes[i]} is a {shapely.get_type_id(geometries[i])} geometry, "
                        "not a polygon", file=str(path), row=i + 1)


def boundary_candidates(manifest: Manifest) -> dict[str, list[Resource]]:
    """The boundaries resources of each geography, most detailed (largest file) first.

    The finest available outline gives the most accurate point-in-area answers (pages
    simplify it for display); the others stand in when it cannot be read.
    """
    candidates: dict[str, list[Resource]] = {}
    for r in manifest.by_role("boundaries"):
        if r.geography and r.code_field:
            candidates.setdefault(r.geography, []).append(r)
    for resources in candidates.values():
        resources.sort(key=lambda r: manifest.path_of(r).stat().st_size, reverse=True)
    return candidates


def choose_boundary_resources(manifest: Manifest) -> dict[str, Resource]:
    """One boundaries resource per geography: the most detailed (largest file) when several."""
    return {g: resources[0] for g, resources in boundary_candidates(manifest).items()}
