"""Whether one point lies in or on a polygon given as WKB, in plain Python.

``commonground places lookup`` answers one point in a fresh process: importing shapely (and
NumPy with it) to test the few boundaries whose box holds the point cost more CPU than the
test. This is the same test as ``shapely.intersects_xy`` on a polygon or multipolygon (GEOS's
point location): a point in the interior or on the boundary (a vertex, an edge) intersects;
a point in a hole does not, unless on the hole's edge. Rings are read by GEOS's ray-crossing
rule (``RayCrossingCounter``), whose one numerical step, the side of an edge the point is on,
is computed exactly (``fractions``) as GEOS computes it robustly.

``intersects_xy`` gives None for WKB other than (multi)polygons and collections of them, so a
caller can ask shapely instead.
"""

from __future__ import annotations

import struct
from fractions import Fraction

POLYGON, MULTIPOLYGON, COLLECTION = 3, 6, 7


class _Unsupported(ValueError):
    pass


def intersects_xy(wkb: bytes, x: float, y: float) -> bool | None:
    """Whether the point (x, y) is in or on the (multi)polygon ``wkb``; None for another kind
    of geometry (or WKB this does not read)."""
    try:
        polygons, _ = _read(memoryview(wkb), 0)
    except (_Unsupported, struct.error):
        return None
    return any(_in_polygon(rings, x, y) for rings in polygons)


def _read(wkb: memoryview, at: int) -> tuple[list[list[list[tuple[float, float]]]], int]:
    """The polygons (each its rings, each its points) of the geometry at byte ``at``, and the
    byte after it."""
    order = "<" if wkb[at] == 1 else ">"
    (kind,) = struct.unpack_from(order + "I", wkb, at + 1)
    at += 5
    dims = 2
    if kind & 0x20000000:  # extended WKB with an SRID
        at += 4
    dims += bool(kind & 0x80000000) + bool(kind & 0x40000000)  # extended WKB's Z and M
    kind &= 0x0FFFFFFF
    dims += {0: 0, 1: 1, 2: 1, 3: 2}.get(kind // 1000, 0)  # ISO WKB's Z, M, ZM
    base = kind % 1000
    if base == POLYGON:
        rings, at = _polygon(wkb, at, order, dims)
        return [rings], at
    if base in (MULTIPOLYGON, COLLECTION):
        (count,) = struct.unpack_from(order + "I", wkb, at)
        at += 4
        polygons = []
        for _ in range(count):
            parts, at = _read(wkb, at)
            polygons.extend(parts)
        return polygons, at
    raise _Unsupported(kind)


def _polygon(wkb: memoryview, at: int, order: str, dims: int) -> tuple[list[list[tuple[float, float]]], int]:
    (count,) = struct.unpack_from(order + "I", wkb, at)
    at += 4
    rings = []
    for _ in range(count):
        (n,) = struct.unpack_from(order + "I", wkb, at)
        at += 4
        values = struct.unpack_from(f"{order}{n * dims}d", wkb, at)
        at += 8 * n * dims
        rings.append(list(zip(values[0::dims], values[1::dims], strict=True)))
    return rings, at


def _in_polygon(rings: list[list[tuple[float, float]]], x: float, y: float) -> bool:
    """In or on the polygon (its shell first, then its holes), as GEOS locates a point."""
    if not rings or not rings[0]:
        return False  # empty
    where = _locate_in_ring(rings[0], x, y)
    if where != "interior":
        return where == "boundary"
    for hole in rings[1:]:
        inside_hole = _locate_in_ring(hole, x, y)
        if inside_hole == "boundary":
            return True
        if inside_hole == "interior":
            return False
    return True


def _locate_in_ring(ring: list[tuple[float, float]], x: float, y: float) -> str:
    """"interior", "boundary" or "exterior": GEOS's ``RayCrossingCounter`` (a ray from the
    point towards +x; an upward edge holds its start and not its end, a downward one its
    end and not its start, a horizontal one is never crossed)."""
    crossings = 0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if x1 < x and x2 < x:
            continue  # wholly to the left
        if x == x2 and y == y2:
            return "boundary"  # a vertex
        if y1 == y and y2 == y:  # horizontal, at the point's height
            if min(x1, x2) <= x <= max(x1, x2):
                return "boundary"
            continue
        if (y1 > y and y2 <= y) or (y2 > y and y1 <= y):
            side = _orientation(x1, y1, x2, y2, x, y)
            if side == 0:
                return "boundary"
            if y2 < y1:
                side = -side  # as if the edge went upwards
            if side > 0:
                crossings += 1
    return "interior" if crossings % 2 else "exterior"


def _orientation(x1: float, y1: float, x2: float, y2: float, x: float, y: float) -> int:
    """1 when (x, y) is left of the edge from (x1, y1) to (x2, y2), -1 right, 0 on its line:
    the sign of a determinant, exact (the floats as fractions) when rounding could flip it."""
    left, right = (x2 - x1) * (y - y2), (y2 - y1) * (x - x2)
    det = left - right
    if abs(det) > 1e-12 * (abs(left) + abs(right)):
        return 1 if det > 0 else -1
    fx1, fy1, fx2, fy2, fx, fy = map(Fraction, (x1, y1, x2, y2, x, y))
    exact = (fx2 - fx1) * (fy - fy2) - (fy2 - fy1) * (fx - fx2)
    return (exact > 0) - (exact < 0)
