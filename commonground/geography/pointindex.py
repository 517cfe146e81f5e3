"""Vectorised point-in-polygon lookup: which area (LSOA, ward, ...) holds each point?

All coordinates are projected metres, British National Grid (EPSG:27700); nothing here
reprojects. Pure numpy + shapely 2, no Django.

Algorithm
---------
A regular grid of ``ny × nx`` cells covers the areas' total bounds. Every cell is
classified once, when the index is built:

* **empty**: no area meets the cell, so every point in it answers -1;
* **inside**: no area's edge comes near the cell, so every area holds all of it or none
  of it, and every point in it answers the lowest area holding it;
* **boundary**: an edge comes near the cell. The cell keeps the list of areas that meet it
  (its candidates, in ascending index order).

``locate`` turns each point into a cell by arithmetic, reads the answer of empty and
inside cells straight from an integer array, and only for points in boundary cells runs
exact tests (``shapely.intersects_xy`` with prepared geometries), grouped by cell and in
rounds: a point is tested against its next candidate only while it has no hit. Where only
edges shared by two areas come near a cell (no coast, no gap: 94 % of England's boundary
cells) its candidates cover it, so a point that reaches the last candidate needs no test.
There is no Python loop over points; large arrays are shared out between threads.

The build is arithmetic on the areas' ring segments, with no geometry test: each segment
is cut into pieces no longer than a cell, and the cells a piece's box comes near are its
area's edge cells; scanlines through each row of cell centres give, by the even-odd rule,
the cells whose centre each area holds. Cell boxes are enlarged by a tiny margin, so
rounding in the point → cell arithmetic can never put a point outside the box its cell
was classified with; the answers are therefore exact, not approximate. For England's
33,755 LSOA 2021 polygons (390,000 vertices) the build takes about 1 s of CPU, against 5–7 s
for the earlier coarse-to-fine build with box tests.

Grid size
---------
Locating a point in an empty or inside cell costs a few array operations; in a boundary
cell it costs exact tests against ~2 polygons. The cell size is chosen so that about
``TARGET_BOUNDARY_FRACTION`` (2 %) of the cells are boundary cells: a line of length ``L``
crosses about ``(4/π)·L/s`` cells of side ``s``, and every shared edge is counted twice in
the summed perimeters ``P`` of the areas, so boundary cells ≈ ``(2/π)·P/s`` out of
``A/s²`` cells (``A`` = area of the bounding box), i.e. ``s = f·π·A / (2·P)``. The grid is
capped at about ``MAX_CELLS`` cells (4 bytes each). For Milton Keynes' 166 LSOA 2021
polygons this gives 18 m cells, a 1119 × 1396 grid (6 MB, built in 0.06 s); for England's LSOAs the cap
binds: 297 m cells, 2188 × 1918 (17 MB), 11 % boundary cells, holding 70 % of points placed
like addresses (finer cells help little: 150 m leaves 53 % of points to test, for 4× the
memory). ``cell_size=`` overrides the choice.

Answers
-------
A point belongs to an area when the area's *closed* polygon covers it (interior or
boundary, ``shapely.intersects_xy`` semantics), so points on the outer edge of the city
still belong to the edge area. When several areas cover a point (a shared edge or vertex,
or an overlap in the source data) the LOWEST index wins. Points in no area, outside the
bounds, or with NaN/infinite coordinates answer -1.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely

TARGET_BOUNDARY_FRACTION = 0.02  # wanted share of boundary cells (see module docstring)
MAX_CELLS = 1 << 22  # about 4 million cells, 16 MB of int32
POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon
TILE = 16  # boundary cells are numbered in tiles of TILE × TILE cells (locality of tests)
CHUNK = 1 << 20  # points per slice of the grid lookup (a few MB per array, in cache)


class AreaIndex:
    """Find, for many points at once, the area each lies in.

    ``codes[i]`` names ``geometries[i]``, a shapely Polygon or MultiPolygon in EPSG:27700
    metres. ``cell_size`` (metres) overrides the data-driven grid choice; it changes speed,
    never answers.

    Threads: the index prepares copies of the geometries (``shapely.prepare``) and leaves the
    given ones untouched, so other threads may keep reading them. GEOS builds a prepared
    geometry's point locator lazily, on first use, and that first use is not thread-safe
    (https://github.com/libgeos/geos/issues/825); the constructor therefore makes that first
    use itself, once per area. A built index only reads, and ``locate`` may be called from
    any number of threads at once.
    """

    def __init__(
        self,
        codes: Sequence[str],
        geometries: Sequence[shapely.Geometry] | np.ndarray,
        *,
        cell_size: float | None = None,
    ) -> None:
        geoms = np.asarray(geometries, dtype=object).ravel()
        if len(codes) != len(geoms):
            raise ValueError(f"{len(codes)} codes but {len(geoms)} geometries")
        if len(geoms) == 0:
            raise ValueError("AreaIndex needs at least one area")
        if not np.isin(shapely.get_type_id(geoms), POLYGONAL).all():
            raise TypeError("every geometry must be a shapely Polygon or MultiPolygon")
        geoms = shapely.from_wkb(shapely.to_wkb(geoms))  # our own copies (WKB is exact)
        shapely.prepare(geoms)
        self._geoms = geoms
        # one extra slot: index -1 (no area) picks None in codes_for
        self._codes = np.array([*codes, None], dtype=object)
        xmin, ymin, xmax, ymax = (float(v) for v in shapely.total_bounds(geoms))
        self._bounds = (xmin, ymin, xmax, ymax)
        width, height = max(xmax - xmin, 1e-9), max(ymax - ymin, 1e-9)

        if cell_size is None:
            perimeter = float(shapely.length(geoms).sum())
            cell_size = TARGET_BOUNDARY_FRACTION * math.pi * width * height / (2 * perimeter)
        cell_size = max(float(cell_size), math.sqrt(width * height / MAX_CELLS))
        self._nx = max(1, math.ceil(width / cell_size))
        self._ny = max(1, math.ceil(height / cell_size))
        self._dx, self._dy = width / self._nx, height / self._ny
        # enlarge cell boxes by far more than any rounding error of the point → cell step
        scale = max(abs(xmin), abs(xmax), abs(ymin), abs(ymax))
        self._margin = 1e-6 * min(self._dx, self._dy) + 16 * float(np.spacing(scale))
        self._build()
        # the first use of each prepared geometry, here on one thread (see the class docstring)
        inside = shapely.get_coordinates(shapely.point_on_surface(geoms))
        shapely.intersects_xy(geoms, inside[:, 0], inside[:, 1])

    # -- build -------------------------------------------------------------------------

    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every ring segment of every area: start points, end points (n × 2) and area index,
        each ring turned so that its area lies on the left of every segment."""
        oriented = shapely.orient_polygons(self._geoms)  # shells anticlockwise, holes clockwise
        parts, part_area = shapely.get_parts(oriented, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
        same = coord_ring[1:] == coord_ring[:-1]  # consecutive vertices of one ring
        return xy[:-1][same], xy[1:][same], part_area[ring_part[coord_ring[:-1][same]]]

    def _shared(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Whether each segment a → b also occurs as b → a (exactly): an edge between two
        areas, one on each side, so not part of the outline of all the areas together.

        Only for valid polygons (then each area lies left of its own segments); otherwise no
        segment counts as shared, which only costs exact tests."""
        if not shapely.is_valid(self._geoms).all():
            return np.zeros(len(a), dtype=bool)
        rows = np.concatenate([np.hstack([a, b]), np.hstack([b, a])])  # forward, then reversed
        # sort by a hash of the coordinates' bits (one int64 sort, 4× faster than lexsort):
        # equal rows end up together; a collision can only part them, losing a match
        bits = rows.view(np.uint64)
        key = bits[:, 0] ^ (bits[:, 1] * np.uint64(0x9E3779B97F4A7C15))
        key ^= (bits[:, 2] * np.uint64(0xC2B2AE3D27D4EB4F)) ^ (bits[:, 3] * np.uint64(0x165667B19E3779F9))
        order = np.argsort(key)
        rows = rows[order]
        group = np.cumsum(np.concatenate([[True], (rows[1:] != rows[:-1]).any(axis=1)])) - 1
        forward = order < len(a)
        has_forward = np.zeros(group[-1] + 1, dtype=bool)
        has_forward[group[forward]] = True
        shared = np.empty(len(a), dtype=bool)
        shared[order[~forward] - len(a)] = has_forward[group[~forward]]
        return shared

    def _edge_pairs(self, a: np.ndarray, b: np.ndarray, area: np.ndarray,
                    shared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Keys ``cell · n_areas + area`` (unique, sorted) of the cells each area's edges meet,
        and the cells that segments not ``shared`` meet (the outline's cells).

        Each segment is cut into pieces no longer than a cell in x and in y; a piece's box,
        enlarged by twice the margin, overlaps at most 3 × 3 cells, and every cell it overlaps
        is kept. So a cell whose (enlarged) box an edge comes anywhere near is an edge cell of
        that area; cells kept needlessly only cost exact tests, never change answers.
        """
        nx, ny, dx, dy, m = self._nx, self._ny, self._dx, self._dy, 2 * self._margin
        x0, y0 = self._bounds[:2]
        d = b - a
        pieces = np.maximum(1, np.ceil(np.maximum(np.abs(d[:, 0]) / dx, np.abs(d[:, 1]) / dy)))
        pieces = pieces.astype(np.intp)
        seg = np.repeat(np.arange(len(a)), pieces)
        step = np.arange(len(seg)) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        t0 = (step / pieces[seg])[:, None]
        t1 = ((step + 1) / pieces[seg])[:, None]
        p, q = a[seg] + d[seg] * t0, a[seg] + d[seg] * t1
        lo, hi = np.minimum(p, q) - m, np.maximum(p, q) + m
        ix0 = np.clip(np.floor((lo[:, 0] - x0) / dx), 0, nx - 1).astype(np.int64)
        ix1 = np.clip(np.floor((hi[:, 0] - x0) / dx), 0, nx - 1).astype(np.int64)
        iy0 = np.clip(np.floor((lo[:, 1] - y0) / dy), 0, ny - 1).astype(np.int64)
        iy1 = np.clip(np.floor((hi[:, 1] - y0) / dy), 0, ny - 1).astype(np.int64)
        seg_area, seg_open = area[seg].astype(np.int64), ~shared[seg]
        keys, open_cells = [], []
        for oy in range(int((iy1 - iy0).max()) + 1):
            for ox in range(int((ix1 - ix0).max()) + 1):
                ok = (iy0 + oy <= iy1) & (ix0 + ox <= ix1)
                cell = (iy0[ok] + oy) * nx + ix0[ok] + ox
                keys.append(cell * len(self._geoms) + seg_area[ok])
                open_cells.append(cell[seg_open[ok]])
        return _distinct(np.concatenate(keys)), np.concatenate(open_cells)

    def _interior_pairs(self, a: np.ndarray, b: np.ndarray, area: np.ndarray) -> np.ndarray:
        """Keys ``cell · n_areas + area`` of the cells whose centre lies inside each area.

        Scanlines: along the horizontal line through each row's cell centres, an area's
        rings cross the line at points that, sorted, pair into the stretches inside the area
        (even-odd rule; a vertex counts on the side above the line, so a line through a
        vertex or along an edge is crossed an even number of times). Cells whose centre lies
        in a stretch are inside. Rounding can only misplace a centre lying within a hair of an
        edge, and such a cell is an edge cell of that area, tested exactly.
        """
        nx, ny, dx, dy = self._nx, self._ny, self._dx, self._dy
        x0, y0 = self._bounds[:2]
        lo_y, hi_y = np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1])
        first = np.clip(np.floor((lo_y - y0) / dy - 0.5), 0, ny - 1).astype(np.intp)
        last = np.clip(np.floor((hi_y - y0) / dy - 0.5) + 1, 0, ny - 1).astype(np.intp)
        rows = last - first + 1  # a row or so either side; the exact test follows
        seg = np.repeat(np.arange(len(a)), rows)
        row = first[seg] + np.arange(len(seg)) - np.repeat(np.cumsum(rows) - rows, rows)
        yc = y0 + (row + 0.5) * dy
        ay, by = a[seg, 1], b[seg, 1]
        crosses = (ay > yc) != (by > yc)
        seg, row, yc = seg[crosses], row[crosses], yc[crosses]
        ax, ay, bx, by = a[seg, 0], a[seg, 1], b[seg, 0], b[seg, 1]
        x = ax + (yc - ay) * (bx - ax) / (by - ay)
        seg_area = area[seg]
        order = np.lexsort((x, row, seg_area))
        x, row, seg_area = x[order], row[order], seg_area[order]
        # crossings pair up within each (area, row): starts at even positions, ends at odd
        if len(x) % 2 or (seg_area[0::2] != seg_area[1::2]).any() or (row[0::2] != row[1::2]).any():
            raise ValueError("an area has a ring that is not closed")
        start = np.ceil((x[0::2] - x0) / dx - 0.5)
        stop = np.floor((x[1::2] - x0) / dx - 0.5)
        start, stop = np.clip(start, 0, nx), np.clip(stop, -1, nx - 1)
        count = np.maximum(stop - start + 1, 0).astype(np.intp)
        cells = np.repeat(row[0::2] * nx + start.astype(np.int64), count)
        cells += np.arange(len(cells)) - np.repeat(np.cumsum(count) - count, count)
        return cells * len(self._geoms) + np.repeat(seg_area[0::2].astype(np.int64), count)

    def _build(self) -> None:
        """Classify every cell; fills ``_grid`` and the candidate lists.

        ``_grid[iy, ix]`` holds an area index (inside cell), -1 (empty cell) or, for the
        b-th boundary cell, ``-2 - b``; that cell's candidates are
        ``_candidates[_start[b]:_start[b + 1]]``, in ascending area index.

        A cell no edge comes near lies wholly inside or wholly outside each area, so the
        areas holding its centre hold all of it: the lowest of them is its answer. A cell an
        edge comes near is a boundary cell; its candidates are the areas whose edges come
        near it and the areas holding its centre (the latter matters only where areas
        overlap: an area may then hold the whole cell without an edge in it). Together they
        are every area meeting the cell.
        """
        n_areas, n_cells = len(self._geoms), self._nx * self._ny
        a, b, area = self._edges()
        edge_keys, open_cells = self._edge_pairs(a, b, area, self._shared(a, b))
        inner_keys = self._interior_pairs(a, b, area)
        edge_cell = np.zeros(n_cells, dtype=bool)
        edge_cell[edge_keys // n_areas] = True
        inner_cell, inner_area = np.divmod(inner_keys, n_areas)
        grid = np.full(n_cells, n_areas, dtype=np.int32)
        np.minimum.at(grid, inner_cell, inner_area.astype(np.int32))
        grid[grid == n_areas] = -1
        # boundary cells: candidates are the edges' areas and the areas holding the centre
        keys = _distinct(np.concatenate([edge_keys, inner_keys[edge_cell[inner_cell]]]))
        cell, area = np.divmod(keys, n_areas)  # sorted by cell, then area
        # boundary cells numbered tile by tile (TILE × TILE cells), row by row in a tile
        boundary = np.flatnonzero(edge_cell)
        by, bx = np.divmod(boundary, self._nx)
        boundary = boundary[np.lexsort((bx, by, bx // TILE, by // TILE))]
        centre_inside = grid[boundary] >= 0
        grid[boundary] = -2 - np.arange(len(boundary), dtype=np.int32)
        number = -2 - grid[cell].astype(np.int64)
        order = np.lexsort((area, number))
        self._candidates = area[order].astype(np.int32)  # area indices fit: the grid is int32
        self._start = np.concatenate([[0], np.cumsum(np.bincount(number, minlength=len(boundary)))])
        self._start = self._start.astype(np.int32 if len(area) < 2**31 else np.int64)
        # covered: no edge of the outline of all areas together comes near the cell (only
        # edges between two areas), so the cell is wholly inside that outline or wholly
        # outside, and its centre says which. A point in a covered cell is in some candidate:
        # one that no other candidate holds is in the last, without a test. (Cells are kept
        # near edges generously, so an edge cell may have no edge in it at all: hence the
        # centre. A centre misplaced by rounding lies on an edge between two areas, inside.)
        is_open = np.zeros(n_cells, dtype=bool)
        is_open[open_cells] = True
        self._covered = ~is_open[boundary] & centre_inside
        self._grid = grid.reshape(self._ny, self._nx)

    # -- queries -----------------------------------------------------------------------

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index into ``codes`` of the area holding each point, -1 where none does.

        ``x`` (eastings) and ``y`` (northings) are metres in EPSG:27700, arrays of any
        (broadcastable) shape; the result is int64 of that shape. Points on a shared
        boundary get the lowest index among the areas whose closed polygon covers them;
        points in no area, outside ``bounds`` or with NaN coordinates get -1.

        Large arrays are shared out between the CPUs this process may use, on threads (numpy
        and GEOS release Python's lock while they work): the grid lookup in slices of
        ``CHUNK`` points, the exact tests in one contiguous share per thread.
        """
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        shape, x, y = x.shape, x.ravel(), y.ravel()
        out = np.empty(x.size, dtype=np.int64)
        found = _map(lambda s: self._lookup(x, y, s, out), _slices(x.size, CHUNK))
        pts = np.concatenate([f[0] for f in found])  # at least one slice, even for no points
        cells = np.concatenate([f[1] for f in found])
        del found
        if len(pts):
            self._resolve(x, y, pts, cells, out)
        return out.reshape(shape)

    def _lookup(self, x, y, part: slice, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Grid answers for the points ``x[part]``, ``y[part]`` (into ``out``); returns the
        points left for exact tests (indices into ``x``) and their boundary cell numbers."""
        x, y, answer = x[part], y[part], out[part]
        answer[:] = -1
        xmin, ymin, xmax, ymax = self._bounds
        pts = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))  # NaN fails
        px, py = x[pts], y[pts]
        ix = np.minimum(((px - xmin) / self._dx).astype(np.intp), self._nx - 1)
        iy = np.minimum(((py - ymin) / self._dy).astype(np.intp), self._ny - 1)
        value = self._grid.ravel().take(iy * self._nx + ix)  # flat take: faster than [iy, ix]
        answer[pts] = np.maximum(value, -1)
        edge = value < -1
        # point numbers as int32 where they fit: half the memory for 10 million points
        number = np.int32 if part.stop < 2**31 else np.intp
        return (pts[edge] + part.start).astype(number), -2 - value[edge]

    def _resolve(self, x, y, pts: np.ndarray, cells: np.ndarray, out: np.ndarray) -> None:
        """Exact answers for points ``pts`` lying in boundary cells ``cells`` (into ``out``).

        The points are grouped by cell first, so that consecutive tests use the same few
        prepared polygons: in random order GEOS's point locators miss the CPU caches and each
        test costs 6× more (2.6 µs against 0.4 µs for England's LSOAs). Boundary cells are
        numbered tile by tile, so neighbouring numbers are neighbouring places, and a 16-bit
        key (the number's high bits) groups them well enough; numpy sorts it in linear time.
        """
        shift = max(0, len(self._start).bit_length() - 16)
        order = np.argsort((cells >> shift).astype(np.uint16), kind="stable")
        pts, cells = pts[order], cells[order]
        del order
        shares = _slices(len(pts), -(-len(pts) // _workers()) if len(pts) >= CHUNK else len(pts))
        _map(lambda s: self._test(x[pts[s]], y[pts[s]], pts[s], cells[s], out), shares)

    def _test(self, x, y, pts: np.ndarray, cells: np.ndarray, out: np.ndarray) -> None:
        """Test the points (``x``, ``y``, numbered ``pts`` in ``out``) against their cells'
        candidates in rounds: each against its first candidate, those missed against the
        next one, and so on. A point stops at its first hit, its lowest covering index
        (candidates ascend); one that runs out of candidates stays -1. In a covered cell
        (see ``_build``) a point that reaches the last candidate is in it: no test."""
        start, end = self._start[cells], self._start[cells + 1]
        covered = self._covered[cells]
        while len(pts):
            area = self._candidates[start]
            hit = covered & (start == end - 1)  # no other candidate holds it: the last one does
            test = np.flatnonzero(~hit)
            hit[test] = shapely.intersects_xy(self._geoms[area[test]], x[test], y[test])
            out[pts[hit]] = area[hit]
            start += 1
            more = ~hit & (start < end)
            x, y, pts, start, end, covered = (v[more] for v in (x, y, pts, start, end, covered))

    def codes_for(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Code of the area holding each point (EPSG:27700 metres), None where none does."""
        return self._codes[self.locate(x, y)]

    # -- description -------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of areas."""
        return len(self._geoms)

    @property
    def codes(self) -> tuple[str, ...]:
        """Area codes, in index order."""
        return tuple(self._codes[:-1])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) of all areas, metres EPSG:27700; the grid covers exactly this."""
        return self._bounds

    @property
    def grid_shape(self) -> tuple[int, int]:
        """(rows, columns) of the lookup grid."""
        return self._ny, self._nx

    @property
    def cell_size(self) -> tuple[float, float]:
        """(width, height) of a grid cell in metres."""
        return self._dx, self._dy

    @property
    def boundary_fraction(self) -> float:
        """Share of grid cells that need exact tests (0..1)."""
        return (len(self._start) - 1) / self._grid.size

    def __repr__(self) -> str:
        ny, nx = self.grid_shape
        return (
            f"<AreaIndex {len(self)} areas, grid {ny}×{nx} of {self._dx:.1f}×{self._dy:.1f} m, "
            f"{self.boundary_fraction:.1%} boundary cells>"
        )


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (``np.unique`` hashes, 20× slower here)."""
    keys = np.sort(keys)
    return keys[np.concatenate([[True], keys[1:] != keys[:-1]])]


def _slices(n: int, size: int) -> list[slice]:
    """``range(n)`` in consecutive slices of at most ``size`` (at least one slice)."""
    size = max(1, size)
    return [slice(i, min(i + size, n)) for i in range(0, n, size)] or [slice(0, 0)]


def _workers() -> int:
    """The CPUs this process may run on (not the machine's: a container may have fewer)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _forget_pool() -> None:
    """In a forked child (a web server's worker) the parent's threads do not exist."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def _map(task: Callable, parts: list) -> list:
    """``[task(p) for p in parts]``, on a small pool of threads when there are several parts.

    The tasks are numpy and shapely calls, which release Python's lock, so the threads run
    on separate cores. Tasks never submit to the pool themselves, so concurrent ``locate``
    calls sharing it cannot deadlock.
    """
    if len(parts) < 2 or _workers() < 2:
        return [task(p) for p in parts]
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(_workers(), thread_name_prefix="areaindex")
    return list(_pool.map(task, parts))
