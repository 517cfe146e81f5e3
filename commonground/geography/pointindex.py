"""Vectorised point-in-polygon lookup: which area (LSOA, ward, ...) holds each point?

All coordinates are projected metres, British National Grid (EPSG:27700); nothing here
reprojects. Pure numpy + shapely 2, no Django.

Algorithm
---------
A regular grid of ``ny × nx`` cells covers the areas' total bounds. Every cell is
classified once, when the index is built:

* **empty**: no area meets the cell, so every point in it answers -1;
* **inside**: exactly one area meets the cell and that area contains the whole cell, so
  every point in it answers that area;
* **boundary**: anything else. The cell keeps the list of areas that meet it (its
  candidates, in ascending index order).

``locate`` turns each point into a cell by arithmetic, reads the answer of empty and
inside cells straight from an integer array, and only for points in boundary cells runs
exact tests: one ``shapely.intersects_xy`` call over all (point, candidate area) pairs,
with prepared geometries. There is no Python loop over points.

The classification is built coarse-to-fine: a coarse grid is classified with an STRtree
query, and only boundary cells are split into 2 × 2 children, whose candidates are the
parent's candidates that meet the child. Cell boxes are enlarged by a tiny margin, so
rounding in the point → cell arithmetic can never put a point outside the box its cell
was classified with; the answers are therefore exact, not approximate.

Grid size
---------
Locating a point in an empty or inside cell costs a few array operations; in a boundary
cell it costs exact tests against ~2 polygons. The cell size is chosen so that about
``TARGET_BOUNDARY_FRACTION`` (2 %) of the cells are boundary cells: a line of length ``L``
crosses about ``(4/π)·L/s`` cells of side ``s``, and every shared edge is counted twice in
the summed perimeters ``P`` of the areas, so boundary cells ≈ ``(2/π)·P/s`` out of
``A/s²`` cells (``A`` = area of the bounding box), i.e. ``s = f·π·A / (2·P)``. The grid is
capped at about ``MAX_CELLS`` cells (4 bytes each). For Milton Keynes' 166 LSOA 2021
polygons this gives 18 m cells, a 1408 × 1120 grid (6 MB), 2.2 % of them boundary cells.
Coarser cells trade lookup speed for build time (35 m cells: build about 2× faster,
locate about 20 % slower); ``cell_size=`` overrides the choice.

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
from collections.abc import Sequence

import numpy as np
import shapely

TARGET_BOUNDARY_FRACTION = 0.02  # wanted share of boundary cells (see module docstring)
MAX_CELLS = 1 << 22  # about 4 million cells, 16 MB of int32
COARSE_CELLS = 64  # cells along the long side of the coarsest level of the build
POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


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
        # levels of 2 × 2 refinement between the coarse grid and the final grid
        self._levels = max(0, round(math.log2(max(width, height) / cell_size / COARSE_CELLS)))
        coarse = cell_size * (1 << self._levels)
        nx0, ny0 = math.ceil(width / coarse), math.ceil(height / coarse)
        self._nx, self._ny = nx0 << self._levels, ny0 << self._levels
        self._dx, self._dy = width / self._nx, height / self._ny
        # enlarge cell boxes by far more than any rounding error of the point → cell step
        scale = max(abs(xmin), abs(xmax), abs(ymin), abs(ymax))
        self._margin = 1e-6 * min(self._dx, self._dy) + 16 * float(np.spacing(scale))
        self._build(nx0, ny0)
        # the first use of each prepared geometry, here on one thread (see the class docstring)
        inside = shapely.get_coordinates(shapely.point_on_surface(geoms))
        shapely.intersects_xy(geoms, inside[:, 0], inside[:, 1])

    # -- build -------------------------------------------------------------------------

    def _boxes(self, iy: np.ndarray, ix: np.ndarray, block: int) -> np.ndarray:
        """Boxes of the cells (iy, ix) of a level whose cells span ``block`` final cells."""
        x0, y0 = self._bounds[:2]
        dx, dy, m = self._dx * block, self._dy * block, self._margin
        return shapely.box(
            x0 + ix * dx - m, y0 + iy * dy - m, x0 + (ix + 1) * dx + m, y0 + (iy + 1) * dy + m
        )

    def _build(self, nx0: int, ny0: int) -> None:
        """Classify every cell, coarse to fine; fills ``_grid`` and the candidate lists.

        ``_grid[iy, ix]`` holds an area index (inside cell), -1 (empty cell) or, for the
        b-th boundary cell, ``-2 - b``; that cell's candidates are
        ``_candidates[_start[b]:_start[b + 1]]``.
        """
        grid = np.full((self._ny, self._nx), -1, dtype=np.int32)
        iy, ix = np.divmod(np.arange(nx0 * ny0), nx0)
        boxes = self._boxes(iy, ix, 1 << self._levels)
        # (cell, area) pairs: the areas meeting each cell
        cell, area = shapely.STRtree(self._geoms).query(boxes, predicate="intersects")
        for level in range(self._levels + 1):
            block = 1 << (self._levels - level)
            count = np.bincount(cell, minlength=len(iy))
            owner = np.full(len(iy), -1)
            single = count[cell] == 1
            owner[cell[single]] = area[single]
            inside = owner >= 0
            inside[inside] = shapely.contains(self._geoms[owner[inside]], boxes[inside])
            done = inside | (count == 0)
            # write the answer over the block of final cells each resolved cell spans
            blocks = grid.reshape(self._ny // block, block, self._nx // block, block)
            blocks[iy[done], :, ix[done], :] = np.where(inside, owner, -1)[done, None, None]
            todo = ~done
            keep = todo[cell]
            cell, area = (np.cumsum(todo) - 1)[cell[keep]], area[keep]
            iy, ix = iy[todo], ix[todo]
            if level == self._levels:
                break
            # split each remaining cell into 2 × 2 children, keeping candidates that meet them
            iy = (2 * iy[:, None] + np.array([0, 0, 1, 1])).ravel()
            ix = (2 * ix[:, None] + np.array([0, 1, 0, 1])).ravel()
            cell = (4 * cell[:, None] + np.arange(4)).ravel()
            area = np.repeat(area, 4)
            boxes = self._boxes(iy, ix, block // 2)
            meets = shapely.intersects(self._geoms[area], boxes[cell])
            cell, area = cell[meets], area[meets]
        grid[iy, ix] = -2 - np.arange(len(iy), dtype=np.int32)
        order = np.lexsort((area, cell))  # by boundary cell, then ascending area index
        self._candidates = area[order].astype(np.int64)
        self._start = np.concatenate([[0], np.cumsum(np.bincount(cell, minlength=len(iy)))])
        self._grid = grid

    # -- queries -----------------------------------------------------------------------

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Index into ``codes`` of the area holding each point, -1 where none does.

        ``x`` (eastings) and ``y`` (northings) are metres in EPSG:27700, arrays of any
        (broadcastable) shape; the result is int64 of that shape. Points on a shared
        boundary get the lowest index among the areas whose closed polygon covers them;
        points in no area, outside ``bounds`` or with NaN coordinates get -1.
        """
        x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
        shape, x, y = x.shape, x.ravel(), y.ravel()
        out = np.full(x.size, -1, dtype=np.int64)
        xmin, ymin, xmax, ymax = self._bounds
        pts = np.flatnonzero((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))  # NaN fails
        px, py = x[pts], y[pts]
        ix = np.minimum(((px - xmin) / self._dx).astype(np.intp), self._nx - 1)
        iy = np.minimum(((py - ymin) / self._dy).astype(np.intp), self._ny - 1)
        value = self._grid.ravel().take(iy * self._nx + ix)  # flat take: faster than [iy, ix]
        out[pts] = np.maximum(value, -1)
        edge = value < -1
        if edge.any():
            self._resolve(x, y, pts[edge], -2 - value[edge].astype(np.int64), out)
        return out.reshape(shape)

    def _resolve(self, x, y, pts: np.ndarray, cells: np.ndarray, out: np.ndarray) -> None:
        """Exact answers for points ``pts`` lying in boundary cells ``cells`` (into ``out``)."""
        start = self._start[cells]
        count = self._start[cells + 1] - start
        ends = np.cumsum(count)
        # one pair per (point, candidate area), grouped by point, areas ascending
        pair_pt = np.repeat(pts, count)
        offset = np.arange(ends[-1]) - np.repeat(ends - count, count)
        pair_area = self._candidates[np.repeat(start, count) + offset]
        hit = shapely.intersects_xy(self._geoms[pair_area], x[pair_pt], y[pair_pt])
        pair_pt, pair_area = pair_pt[hit], pair_area[hit]
        first = np.ones(len(pair_pt), dtype=bool)  # first hit of each point = lowest index
        first[1:] = pair_pt[1:] != pair_pt[:-1]
        out[pair_pt[first]] = pair_area[first]

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
