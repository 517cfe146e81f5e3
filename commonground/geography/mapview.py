"""Which areas a map draws, and how finely: what the page is about, its neighbours, never a
whole country of paths.

A page's map is about some areas (a profile's place, a pack's place) or about the whole
package (the home page, a dataset's rows, the lens). ``around`` picks the focus and the areas
that intersect the focus's bounding box grown by a margin, nearest first, at most
``MAX_PATHS`` of them; ``whole`` draws every area while there are at most ``MAX_PATHS``, and
beyond that says to draw a ``mosaic``: cells a few pixels wide, each coloured as the area at
its centre, one path per class — what the eye can see at that size, in a few hundred KB
whatever the number of areas. Both give the simplification tolerance that keeps a path's
detail near one pixel: metres per pixel of the SVG's width.

Pure numpy + shapely: no Django. Geometries are in British National Grid metres (EPSG:27700).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from .palettes import NO_DATA_LABEL
from .svgmap import MapClass, MapShape

#: The most areas one map draws as paths: about 300 bytes each with their link and tooltip,
#: so a map stays under about half a megabyte.
MAX_PATHS = 1500
#: The margin around the focus's bounding box, as a share of its larger side, and at least
#: ``MIN_REACH_M`` metres.
REACH = 0.5
MIN_REACH_M = 500.0
#: Paths are simplified to this many pixels of the SVG's width (a map is drawn at most that
#: wide, so finer detail cannot be seen).
TOLERANCE_PX = 0.5
#: A mosaic's cell, px of the SVG's width.
CELL_PX = 3.0


Locate = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class View:
    """What a map draws: ``drawn`` are positions in the geometries, the focus first then the
    nearest (for a mosaic: the areas it covers); ``box`` is their ground extent (minx, miny, maxx, maxy,
    metres); ``tolerance_m`` the simplification; ``left_out`` the areas in the window the cap
    left out; ``cell_m`` the mosaic's cell (metres) when there are too many areas to draw
    one by one, else None."""

    drawn: np.ndarray
    box: tuple[float, float, float, float]
    tolerance_m: float
    total: int
    left_out: int = 0
    cell_m: float | None = None

    @property
    def is_mosaic(self) -> bool:
        return self.cell_m is not None

    def note(self, plural: str = "areas") -> str:
        """One sentence for the map's description saying what is drawn ("" for every area)."""
        if self.cell_m is not None:
            return (f"The {self.total:,} {plural} are too many to draw one by one at this size, "
                    f"so the map is a mosaic of {CELL_PX:g}-pixel cells (about "
                    f"{_distance(self.cell_m)} across), each coloured as the area at its centre; "
                    "a place's own page maps it among its neighbours.")
        if self.left_out:
            return (f"The {len(self.drawn):,} {plural} nearest are drawn; {self.left_out:,} "
                    "more in the window are left out.")
        return ""


def _distance(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def tolerance(box: Sequence[float], width: int) -> float:
    """Simplification tolerance (metres) for a map of ``box`` (metres) drawn ``width`` px wide:
    ``TOLERANCE_PX`` of the metres per pixel."""
    return TOLERANCE_PX * max(box[2] - box[0], box[3] - box[1], 1.0) / max(width, 1)


def whole(geoms: np.ndarray, *, width: int = 640, cap: int | None = None) -> View:
    """Every area while there are at most ``cap`` (default ``MAX_PATHS``); beyond, a mosaic
    of the package."""
    cap = MAX_PATHS if cap is None else cap
    box = _bounds(geoms)
    n = len(geoms)
    if n <= cap:
        return View(np.arange(n), box, tolerance(box, width), n)
    cell = CELL_PX * max(box[2] - box[0], box[3] - box[1], 1.0) / max(width, 1)
    return View(np.arange(n), box, tolerance(box, width), n, cell_m=cell)


def around(geoms: np.ndarray, focus: Sequence[int] | object, *, width: int = 640,
           cap: int | None = None, reach: float = REACH, min_reach_m: float = MIN_REACH_M
           ) -> View:
    """The focus and the areas intersecting its bounding box grown by ``reach`` of its larger
    side (at least ``min_reach_m``), nearest to the focus first, at most ``cap`` (default
    ``MAX_PATHS``).

    ``focus`` is positions in ``geoms`` (always drawn, first) or a geometry of another
    geography (an outline: the areas nearest it come first). A focus of more than ``cap``
    areas gives ``whole``'s mosaic, and an outline touching more than ``cap`` areas a mosaic
    of its grown box."""
    cap = MAX_PATHS if cap is None else cap
    if isinstance(focus, shapely.Geometry):
        target, first = focus, np.empty(0, dtype=int)
    else:
        first = np.unique(np.asarray(focus, dtype=int))
        if len(first) > cap:
            return whole(geoms, width=width, cap=cap)
        target = shapely.GeometryCollection(list(geoms[first]))
    minx, miny, maxx, maxy = shapely.bounds(target).tolist()
    grow = max(min_reach_m, reach * max(maxx - minx, maxy - miny))
    window = shapely.box(minx - grow, miny - grow, maxx + grow, maxy + grow)
    b = shapely.bounds(geoms)
    near = np.flatnonzero((b[:, 0] <= maxx + grow) & (b[:, 2] >= minx - grow)
                          & (b[:, 1] <= maxy + grow) & (b[:, 3] >= miny - grow))
    near = near[shapely.intersects(geoms[near], window)]
    others = np.setdiff1d(near, first)
    if not len(first):  # an outline: are the areas it touches too many to draw?
        outline = shapely.from_wkb(shapely.to_wkb(target))  # our own copy, to prepare
        shapely.prepare(outline)
        if np.count_nonzero(shapely.intersects(outline, geoms[others])) > cap:  # prepared first
            box = _bounds(geoms[near])
            cell = CELL_PX * max(box[2] - box[0], box[3] - box[1], 1.0) / max(width, 1)
            return View(near, box, tolerance(box, width), len(near), cell_m=cell)
    order = np.argsort(shapely.distance(geoms[others], target), kind="stable")
    ranked = np.concatenate([first, others[order]]).astype(int)
    drawn = ranked[:max(cap, len(first))]
    box = _bounds(geoms[drawn]) if len(drawn) else tuple(shapely.bounds(window).tolist())
    return View(drawn, box, tolerance(box, width), len(geoms), left_out=len(ranked) - len(drawn))


def mosaic(geoms: np.ndarray, classes: np.ndarray, view: View, locate: Locate | None = None
           ) -> list[tuple[int, object, int]]:
    """A mosaic of ``view``'s box: ``(class, MultiPolygon of cells, areas in the class)`` per
    class present, in class order. ``classes[i]`` is area ``i``'s class (an int, -1 = no
    data); a cell takes the class of the area its centre is in (cells outside every area are
    left out). Adjacent cells of one class are merged into rectangles (runs along a row, and a
    run repeated in the rows below). ``locate(x, y)`` (an
    ``AreaIndex.locate`` over ``geoms``: position of the area holding each point, -1 for none)
    finds the areas; without one an STRtree is built."""
    cell = float(view.cell_m or 1.0)
    minx, miny, maxx, maxy = view.box
    nx, ny = max(1, int(np.ceil((maxx - minx) / cell))), max(1, int(np.ceil((maxy - miny) / cell)))
    cx = minx + (np.arange(nx) + 0.5) * cell
    cy = maxy - (np.arange(ny) + 0.5) * cell
    gx, gy = np.meshgrid(cx, cy)  # rows from the top
    grid = np.full(nx * ny, -2, dtype=np.int64)  # -2: outside every area
    k_of = np.asarray(classes, dtype=np.int64)
    if locate is not None:
        area = np.asarray(locate(gx.ravel(), gy.ravel()))
        grid[area >= 0] = k_of[area[area >= 0]]
    else:
        hit, area = shapely.STRtree(geoms).query(shapely.points(gx.ravel(), gy.ravel()),
                                                 predicate="intersects")
        grid[hit[::-1]] = k_of[area[::-1]]  # the first area wins
    cells = grid.reshape(ny, nx)
    # runs of one class along each row: starts where the class changes
    change = np.ones((ny, nx), dtype=bool)
    change[:, 1:] = cells[:, 1:] != cells[:, :-1]
    row, start = np.nonzero(change)
    ends = np.r_[start[1:], 0]
    ends[np.r_[row[1:] != row[:-1], True]] = nx
    k = cells[row, start]
    keep = k != -2
    row, start, ends, k = row[keep], start[keep], ends[keep], k[keep]
    # one run repeated in the rows below it (same columns, same class) is one taller rectangle
    order = np.lexsort((row, k, ends, start))
    row, start, ends, k = row[order], start[order], ends[order], k[order]
    same = np.r_[False, (start[1:] == start[:-1]) & (ends[1:] == ends[:-1]) & (k[1:] == k[:-1])
                 & (row[1:] == row[:-1] + 1)]
    first = np.flatnonzero(~same)
    last = np.r_[first[1:], len(row)] - 1
    top, bottom, start, ends, k = row[first], row[last], start[first], ends[first], k[first]
    boxes = shapely.box(minx + start * cell, maxy - (bottom + 1) * cell,
                        minx + ends * cell, maxy - top * cell)
    counts = np.asarray(classes, dtype=np.int64)
    out = []
    for c in np.unique(k).tolist():
        out.append((c, shapely.MultiPolygon(list(boxes[k == c])), int(np.sum(counts == c))))
    return out


def mosaic_shapes(geoms: np.ndarray, class_index: Sequence[int | None], view: View,
                  classes: Sequence[MapClass], plural: str = "areas",
                  locate: Locate | None = None) -> tuple[list[MapShape], list[tuple[str, int]]]:
    """``mosaic`` as ``svgmap`` shapes (one per class, its tooltip the number of areas) and
    the areas per class as ``svgmap.summarise_classes`` gives them, of the areas the mosaic
    covers (``view.drawn``): ``class_index[i]`` is area ``i``'s index into ``classes``, None
    for no data."""
    k = np.array([-1 if i is None else int(i) for i in class_index], dtype=np.int64)
    if len(view.drawn) < len(geoms):  # a mosaic of a window: its areas only
        geoms, k, locate = geoms[view.drawn], k[view.drawn], None
    shapes = []
    for c, geometry, n in mosaic(geoms, k, view, locate):
        label = classes[c].label if c >= 0 else NO_DATA_LABEL
        shapes.append(MapShape(code=f"class-{c + 1}", label=label, geometry=geometry,
                               class_index=None if c < 0 else c,
                               value_text=f"{n:,} {plural}"))
    counts = [(cl.label, int(np.sum(k == c))) for c, cl in enumerate(classes)]
    missing = int(np.sum(k < 0))
    return shapes, counts + [(NO_DATA_LABEL, missing)] if missing else counts


def _bounds(geoms: np.ndarray) -> tuple[float, float, float, float]:
    box = shapely.total_bounds(geoms) if len(geoms) else np.full(4, np.nan)
    if not np.all(np.isfinite(box)):
        return (0.0, 0.0, 1.0, 1.0)
    x0, y0, x1, y1 = (float(v) for v in box)
    return (x0, y0, x1, y1)
