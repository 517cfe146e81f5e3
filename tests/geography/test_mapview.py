"""Which areas a map draws (``geography.mapview``): the focus and its neighbours, at most a
cap of paths, simplified to the drawn extent's pixels, and a mosaic past the cap.

Pure: run with ``.venv/bin/python -m pytest -p no:django tests/geography/test_mapview.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from commonground.geography import mapview
from commonground.geography.svgmap import MapClass, render_choropleth

SIDE = 100.0  # metres: the grid's cells
N = 40  # cells per side: 1,600 areas


def grid() -> np.ndarray:
    """A 40 × 40 grid of 100 m squares, row by row from the south-west (EPSG:27700 metres)."""
    ix, iy = np.meshgrid(np.arange(N), np.arange(N))
    x, y = ix.ravel() * SIDE, iy.ravel() * SIDE
    return shapely.box(x, y, x + SIDE, y + SIDE)


def at(col: int, row: int) -> int:
    return row * N + col


def test_a_map_draws_the_focus_first_then_every_area_in_its_grown_box_nearest_first():
    geoms = grid()
    focus = at(20, 20)
    view = mapview.around(geoms, [focus], cap=10_000)
    # the focus box [2000, 2100]² grown by the minimum reach (500 m: half of 100 m is less)
    lo, hi = 2000 - mapview.MIN_REACH_M, 2100 + mapview.MIN_REACH_M
    x0, y0, x1, y1 = shapely.bounds(geoms).T
    expected = np.flatnonzero((x0 <= hi) & (x1 >= lo) & (y0 <= hi) & (y1 >= lo))
    assert view.drawn[0] == focus
    assert sorted(view.drawn.tolist()) == expected.tolist()
    assert len(view.drawn) < len(geoms) and view.left_out == 0 and not view.is_mosaic
    distance = shapely.distance(geoms[view.drawn], geoms[focus])
    assert np.all(np.diff(distance) >= 0)  # nearest first
    assert view.note() == ""


def test_the_cap_keeps_the_nearest_and_says_how_many_are_left_out():
    geoms = grid()
    whole_window = mapview.around(geoms, [at(20, 20)], cap=10_000)
    view = mapview.around(geoms, [at(20, 20)], cap=25)
    assert len(view.drawn) == 25 and view.drawn[0] == at(20, 20)
    assert view.left_out == len(whole_window.drawn) - 25
    out = np.setdiff1d(whole_window.drawn, view.drawn)
    d = shapely.distance(geoms, geoms[at(20, 20)])
    assert d[view.drawn].max() <= d[out].min()
    assert f"{view.left_out:,} more" in view.note()


def test_the_cap_is_the_module_default(monkeypatch):
    monkeypatch.setattr(mapview, "MAX_PATHS", 7)
    assert len(mapview.around(grid(), [at(3, 3)]).drawn) == 7
    assert mapview.whole(grid()).is_mosaic


def test_a_focus_from_another_geography_draws_the_areas_under_and_around_it():
    geoms = grid()
    outline = shapely.box(1000, 1000, 1300, 1200)  # 3 × 2 cells
    view = mapview.around(geoms, outline, cap=10_000)
    under = np.flatnonzero(shapely.within(geoms, outline))
    assert len(under) == 6 and set(under) <= set(view.drawn.tolist())
    assert np.all(np.diff(shapely.distance(geoms[view.drawn], outline)) >= 0)


def test_the_tolerance_is_a_fraction_of_a_pixel_of_the_drawn_extent():
    geoms = grid()
    near = mapview.around(geoms, [at(20, 20)], width=500)
    everything = mapview.whole(geoms, width=500, cap=10_000)
    for view in (near, everything):
        box = view.box
        extent = max(box[2] - box[0], box[3] - box[1])
        assert view.tolerance_m == pytest.approx(mapview.TOLERANCE_PX * extent / 500)
    assert everything.tolerance_m > 2 * near.tolerance_m  # a bigger map: coarser paths


def test_the_whole_package_is_drawn_area_by_area_up_to_the_cap():
    geoms = grid()
    view = mapview.whole(geoms, cap=len(geoms))
    assert sorted(view.drawn.tolist()) == list(range(len(geoms))) and not view.is_mosaic


def test_past_the_cap_the_whole_package_is_a_mosaic_of_its_classes():
    geoms = grid()
    left = (shapely.bounds(geoms)[:, 0] < N * SIDE / 2)  # the western half is class 0
    k = np.where(left, 0, 1)
    k[at(39, 39)] = -1  # one area without data
    view = mapview.whole(geoms, width=400, cap=100)
    assert view.is_mosaic and len(view.drawn) == len(geoms) and view.tolerance_m < view.cell_m
    cells = mapview.mosaic(geoms, k, view)
    by_class = {c: (g, n) for c, g, n in cells}
    assert by_class[0][1] == int(left.sum()) and by_class[1][1] == len(geoms) - int(left.sum()) - 1
    half = N * SIDE / 2
    west, east = by_class[0][0], by_class[1][0]
    assert shapely.bounds(west)[2] <= half + view.cell_m  # class 0 stays in the west
    assert shapely.bounds(east)[0] >= half - view.cell_m
    covered = sum(shapely.area(g) for g, _ in by_class.values())
    assert covered == pytest.approx((N * SIDE) ** 2, rel=0.05)
    assert "1,600 areas are too many" in view.note()


def test_a_mosaic_is_one_path_per_class_sized_by_the_picture_not_the_areas():
    classes = [MapClass(str(c), "#000000") for c in range(5)]
    sizes = {}
    for n in (40, 160):  # 1,600 then 25,600 areas over the same 4 km square
        ix, iy = np.meshgrid(np.arange(n), np.arange(n))
        side = 4000 / n
        geoms = shapely.box(ix.ravel() * side, iy.ravel() * side, (ix.ravel() + 1) * side,
                            (iy.ravel() + 1) * side)
        k = (ix.ravel() * 5 // n).tolist()  # five bands west to east
        view = mapview.whole(geoms, cap=100)
        shapes, counts = mapview.mosaic_shapes(geoms, k, view, classes, "squares")
        assert len(shapes) == 5 and counts == [(str(c), n * n // 5) for c in range(5)]
        svg = render_choropleth(shapes, classes, title="t", description=view.note("squares"),
                                simplify_m=view.tolerance_m, edges=False)
        assert svg.count("<path") == 5 and f"{n * n // 5:,} squares" in svg
        assert 'stroke="none" shape-rendering="crispEdges"' in svg  # cells show no seams
        sizes[n] = len(svg)
    assert sizes[160] < 1.1 * sizes[40]  # 16 times the areas, the same picture
    assert sizes[160] < 25_600 * 10  # under 10 bytes an area


def test_an_outline_over_more_areas_than_the_cap_is_a_mosaic_of_its_window():
    geoms = grid()
    outline = shapely.box(0, 0, 1000, 1000)  # 10 × 10 cells, grown to 15 × 15
    view = mapview.around(geoms, outline, cap=50)
    assert view.is_mosaic
    x0, y0 = shapely.bounds(geoms)[:, 0], shapely.bounds(geoms)[:, 1]
    assert sorted(view.drawn.tolist()) == np.flatnonzero((x0 <= 1500) & (y0 <= 1500)).tolist()
    classes = [MapClass("in", "#000000")]
    shapes, counts = mapview.mosaic_shapes(geoms, [0] * len(geoms), view, classes)
    assert counts == [("in", len(view.drawn))]  # the window's areas, not the package's
    assert shapely.bounds(shapes[0].geometry)[2] <= 1600 + view.cell_m  # the window's areas
