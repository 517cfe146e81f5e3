"""AreaIndex: vectorised point-in-polygon lookup. Pure Python, no Django.

Run with ``.venv/bin/python -m pytest -p no:django tests/geography/test_pointindex.py``.

The rules under test: a point belongs to the area whose closed polygon covers it; on a
shared edge or vertex the lowest index wins; a point in no area, outside the bounds or
with NaN coordinates gets -1. The grid is a speed-up only: every rule must hold for any
cell size, so the hand-made cases run with the automatic grid, a fine and a coarse one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box

from commonground.geography.pointindex import AreaIndex

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))

# Areas 0 (A), 1 (B) and 2 (C) are unit squares; the square B would complete is empty.
#
#   y=2 +-----+
#       |  C  |   (empty)
#   y=1 +-----+-----+
#       |  A  |  B  |
#   y=0 +-----+-----+
#      x=0   x=1   x=2
SQUARES = {"A": box(0, 0, 1, 1), "B": box(1, 0, 2, 1), "C": box(0, 1, 1, 2)}
CELL_SIZES = [None, 0.01, 0.3, 10.0]  # automatic, fine, cells not aligned with edges, one cell


@pytest.fixture(params=CELL_SIZES, ids=lambda s: f"cell={s}")
def squares(request) -> AreaIndex:
    return AreaIndex(list(SQUARES), list(SQUARES.values()), cell_size=request.param)


def brute_force(geoms, x, y) -> np.ndarray:
    """Reference answer: test every area in order, the first whose closed polygon covers wins."""
    answer = np.full(len(x), -1, dtype=np.int64)
    for i, geom in enumerate(geoms):
        todo = np.flatnonzero(answer == -1)
        answer[todo[shapely.intersects_xy(geom, x[todo], y[todo])]] = i
    return answer


def locate1(index: AreaIndex, x: float, y: float) -> int:
    return int(index.locate(np.array([x]), np.array([y]))[0])


# -- hand-made squares -----------------------------------------------------------------


def test_point_inside_an_area_gets_its_index(squares):
    assert squares.locate(np.array([0.5, 1.5, 0.5]), np.array([0.5, 0.5, 1.5])).tolist() == [
        0,
        1,
        2,
    ]


def test_point_in_no_area_gets_minus_one(squares):
    inside_bounds_but_empty = (1.5, 1.5)
    outside_bounds = (5.0, -3.0)
    assert locate1(squares, *inside_bounds_but_empty) == -1
    assert locate1(squares, *outside_bounds) == -1


@pytest.mark.parametrize("x, y", [(np.nan, 0.5), (0.5, np.nan), (np.nan, np.nan), (np.inf, 0.5)])
def test_nan_or_infinite_coordinates_get_minus_one(squares, x, y):
    assert locate1(squares, x, y) == -1


def test_point_on_shared_edge_gets_the_lower_index(squares):
    assert locate1(squares, 1.0, 0.5) == 0  # A | B
    assert locate1(squares, 0.5, 1.0) == 0  # A / C


def test_lower_index_rule_follows_the_order_given():
    index = AreaIndex(["B", "A"], [SQUARES["B"], SQUARES["A"]])
    assert locate1(index, 1.0, 0.5) == 0  # now B comes first
    assert index.codes_for(np.array([1.0]), np.array([0.5])).tolist() == ["B"]


def test_point_on_outer_edge_belongs_to_that_area(squares):
    assert locate1(squares, 0.0, 0.5) == 0  # west edge of A (xmin of the bounds)
    assert locate1(squares, 2.0, 0.5) == 1  # east edge of B (xmax of the bounds)
    assert locate1(squares, 1.5, 0.0) == 1  # south edge of B
    assert locate1(squares, 0.5, 2.0) == 2  # north edge of C (ymax of the bounds)
    assert locate1(squares, 1.5, 1.0) == 1  # north edge of B, facing the empty square


def test_point_on_a_vertex(squares):
    assert locate1(squares, 1.0, 1.0) == 0  # shared by A, B and C
    assert locate1(squares, 0.0, 0.0) == 0  # corner of A only
    assert locate1(squares, 2.0, 1.0) == 1  # corner of B at (xmax, ...)
    assert locate1(squares, 0.0, 2.0) == 2  # corner of C at (xmin, ymax)
    assert locate1(squares, 2.0, 2.0) == -1  # corner of the bounds, no area


@pytest.mark.parametrize("cell_size", CELL_SIZES)
def test_polygon_with_a_hole(cell_size):
    ring = Polygon([(0, 0), (3, 0), (3, 3), (0, 3)], holes=[[(1, 1), (2, 1), (2, 2), (1, 2)]])
    alone = AreaIndex(["ring"], [ring], cell_size=cell_size)
    assert locate1(alone, 1.5, 1.5) == -1  # in the hole
    assert locate1(alone, 0.5, 1.5) == 0  # in the ring
    assert locate1(alone, 1.0, 1.5) == 0  # on the hole's edge: the closed ring covers it

    filled = AreaIndex(["ring", "core"], [ring, box(1, 1, 2, 2)], cell_size=cell_size)
    assert locate1(filled, 1.5, 1.5) == 1  # the area filling the hole
    assert locate1(filled, 1.0, 1.5) == 0  # shared edge: lower index
    assert filled.codes_for(np.array([1.5, 0.5, 9.0]), np.array([1.5, 0.5, 9.0])).tolist() == [
        "core",
        "ring",
        None,
    ]


def test_multipolygon_parts_all_belong_to_the_area():
    index = AreaIndex(
        ["two", "mid"], [MultiPolygon([box(0, 0, 1, 1), box(4, 0, 5, 1)]), box(2, 0, 3, 1)]
    )
    assert index.locate(np.array([0.5, 4.5, 2.5, 1.5]), np.full(4, 0.5)).tolist() == [0, 0, 1, -1]


@pytest.mark.parametrize("cell_size", CELL_SIZES)
def test_overlapping_areas_lowest_index_wins_inside_and_beside_the_overlap(cell_size):
    # a small area inside a big one (source data that overlaps): every cell near the small
    # area's edge lies wholly inside the big one, with none of the big one's edges in it
    small, big = box(2, 2, 3, 3), box(0, 0, 10, 10)
    small_first = AreaIndex(["small", "big"], [small, big], cell_size=cell_size)
    x, y = np.array([2.5, 3.005, 1.995, 2.5, 3.0, 9.0]), np.array([2.5, 2.5, 2.5, 3.003, 2.5, 9.0])
    assert small_first.locate(x, y).tolist() == [0, 1, 1, 1, 0, 1]
    big_first = AreaIndex(["big", "small"], [big, small], cell_size=cell_size)
    assert big_first.locate(x, y).tolist() == [0] * 6


@pytest.mark.parametrize("cell_size", [None, 0.05, 0.3, 0.7])
def test_overlapping_areas_agree_with_brute_force_on_a_lattice(cell_size):
    geoms = [box(2, 2, 3, 3), box(0, 0, 10, 10), Polygon([(1, 1), (6, 1.5), (4, 5)]),
             box(2.5, 0.5, 7, 2)]
    index = AreaIndex(["a", "b", "c", "d"], geoms, cell_size=cell_size)
    x, y = (v.ravel() for v in np.meshgrid(np.arange(-1, 11, 0.125), np.arange(-1, 11, 0.125)))
    rng = np.random.default_rng(7)
    x, y = np.concatenate([x, rng.uniform(-1, 11, 20_000)]), np.concatenate([y, rng.uniform(-1, 11, 20_000)])
    assert (index.locate(x, y) == brute_force(geoms, x, y)).all()


@pytest.mark.parametrize("cell_size", [None, 0.05, 0.3])
def test_an_edge_two_areas_share_from_the_same_side_is_still_an_outline(cell_size):
    # Q overlaps P and they share P's bottom edge, Q's ring given clockwise: the same edge
    # run the other way, but with both areas above it. Below it there is no area, however
    # the rings run; a third area puts that strip inside the bounds.
    p = box(0, 0, 1, 1)
    q = Polygon([(0, 0), (0, 0.5), (1, 0.5), (1, 0)])  # clockwise
    far = box(-1, -1, -0.5, -0.5)
    index = AreaIndex(["P", "Q", "far"], [p, q, far], cell_size=cell_size)
    x = np.array([0.5, 0.5, 0.25, 0.5, 0.5])
    y = np.array([-0.001, -1e-9, -0.02, 0.25, 0.0])
    assert index.locate(x, y).tolist() == [-1, -1, -1, 0, 0]
    assert (index.locate(x, y) == brute_force([p, q, far], x, y)).all()


@pytest.mark.parametrize("cell_size", [None, 0.23, 0.5, 1.0, 1.7])
def test_triangles_with_gaps_agree_with_brute_force(cell_size):
    # a 6 × 6 lattice of unit squares, each cut into two triangles along a diagonal that
    # the two share, with a third of the triangles left out: gaps everywhere, next to edges
    # shared by two areas (cells near those are not all inside the areas)
    rng = np.random.default_rng(2021)
    triangles = []
    for i in range(6):
        for j in range(6):
            a, b, c, d = (i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)
            pair = [[a, b, c], [a, c, d]] if (i + j) % 2 else [[a, b, d], [b, c, d]]
            triangles += [Polygon(t) for t in pair if rng.random() > 1 / 3]
    index = AreaIndex([str(k) for k in range(len(triangles))], triangles, cell_size=cell_size)
    x, y = (v.ravel() for v in np.meshgrid(np.arange(-0.5, 6.6, 0.125), np.arange(-0.5, 6.6, 0.125)))
    x = np.concatenate([x, rng.uniform(0, 6, 30_000)])
    y = np.concatenate([y, rng.uniform(0, 6, 30_000)])
    assert (index.locate(x, y) == brute_force(triangles, x, y)).all()


@pytest.mark.parametrize("cell_size", [None, 0.2, 0.35, 0.5, 0.8])
def test_a_coast_of_voronoi_areas_with_gaps_agrees_with_brute_force(cell_size):
    # 40 Voronoi areas (edges shared exactly) clipped to a ragged coast, a quarter of them
    # left out: sea and holes next to long shared edges at every angle. Seed 12 at 0.5 m
    # cells has cells near a shared edge that lie wholly at sea with no coast near them.
    rng = np.random.default_rng(12)
    seeds = shapely.multipoints(rng.uniform(0, 10, (40, 2)))
    cells = shapely.get_parts(shapely.voronoi_polygons(seeds, extend_to=box(0, 0, 10, 10)))
    circle = shapely.get_coordinates(shapely.buffer(shapely.Point(5, 5), 4.5, quad_segs=3))
    coast = shapely.make_valid(Polygon(circle + rng.uniform(-0.8, 0.8, (13, 2))))
    areas = [g for g in shapely.intersection(cells, coast)
             if shapely.get_type_id(g) in (3, 6) and not g.is_empty]
    areas = [g for g in areas if rng.random() > 0.25]
    x, y = rng.uniform(0, 10, 40_000), rng.uniform(0, 10, 40_000)
    index = AreaIndex([str(k) for k in range(len(areas))], areas, cell_size=cell_size)
    assert (index.locate(x, y) == brute_force(areas, x, y)).all()


def test_agrees_with_brute_force_on_a_lattice_through_every_edge(squares):
    # quarter steps hit every edge and vertex of the squares exactly, and points outside
    x, y = (v.ravel() for v in np.meshgrid(np.arange(-1, 3.01, 0.25), np.arange(-1, 3.01, 0.25)))
    assert (squares.locate(x, y) == brute_force(list(SQUARES.values()), x, y)).all()


def test_codes_for_gives_codes_or_none(squares):
    codes = squares.codes_for(np.array([0.5, 1.5, 1.5, np.nan]), np.array([0.5, 0.5, 1.5, 0.0]))
    assert codes.dtype == object
    assert codes.tolist() == ["A", "B", None, None]


def test_result_keeps_the_input_shape_and_dtype(squares):
    x = np.array([[0.5, 1.5], [1.5, 9.0]])
    y = np.array([[0.5, 0.5], [1.5, 9.0]])
    result = squares.locate(x, y)
    assert result.dtype == np.int64
    assert result.tolist() == [[0, 1], [-1, -1]]
    assert squares.locate(0.5, 1.5).shape == ()  # scalars broadcast too
    assert squares.locate(np.array([]), np.array([])).shape == (0,)


def test_len_bounds_and_codes(squares):
    assert len(squares) == 3
    assert squares.bounds == (0.0, 0.0, 2.0, 2.0)
    assert squares.codes == ("A", "B", "C")


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        AreaIndex(["A", "B"], [SQUARES["A"]])
    with pytest.raises(ValueError):
        AreaIndex([], [])
    with pytest.raises(TypeError):
        AreaIndex(["line"], [shapely.LineString([(0, 0), (1, 1)])])


# -- real data: Milton Keynes LSOA 2021 --------------------------------------------------


def lsoa21_boundaries() -> tuple[list[str], np.ndarray]:
    """Codes and EPSG:27700 polygons of the resource with role boundaries, geography lsoa21."""
    manifest = DATA / "datapackage.json"
    if not manifest.exists():
        pytest.skip(f"no data package at {DATA} (set COMMONGROUND_DATA)")
    package = json.loads(manifest.read_text(encoding="utf-8"))
    [resource] = [
        r
        for r in package["resources"]
        if r.get("role") == "boundaries" and r.get("geography") == "lsoa21"
    ]
    features = json.loads((DATA / resource["path"]).read_text(encoding="utf-8"))["features"]
    codes = [f["properties"][resource["code_field"]] for f in features]
    lonlat = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    return codes, shapely.transform(
        lonlat, lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1]))
    )


@pytest.fixture(scope="module")
def lsoa():
    codes, geoms = lsoa21_boundaries()
    return codes, geoms, AreaIndex(codes, geoms)


def test_real_lsoa_representative_points_land_in_their_own_lsoa(lsoa):
    codes, geoms, index = lsoa
    assert len(index) == len(codes) > 100
    rep = shapely.get_coordinates(shapely.point_on_surface(geoms))
    assert index.locate(rep[:, 0], rep[:, 1]).tolist() == list(range(len(codes)))
    assert index.codes_for(rep[:, 0], rep[:, 1]).tolist() == codes


def test_real_lsoa_random_points_match_brute_force_exactly(lsoa):
    codes, geoms, index = lsoa
    xmin, ymin, xmax, ymax = index.bounds
    rng = np.random.default_rng(20210321)
    x = rng.uniform(xmin, xmax, 200_000)
    y = rng.uniform(ymin, ymax, 200_000)
    # plus every polygon vertex: exactly on boundaries, many shared by two or more LSOAs
    vertices = shapely.get_coordinates(geoms)
    x, y = np.concatenate([x, vertices[:, 0]]), np.concatenate([y, vertices[:, 1]])
    expected = brute_force(geoms, x, y)
    assert (expected >= 0).mean() > 0.3  # the test really exercises areas, not just -1
    assert (index.locate(x, y) == expected).all()


def test_real_lsoa_point_far_outside_the_city_gets_minus_one(lsoa):
    _, _, index = lsoa
    xmin, ymin, xmax, ymax = index.bounds
    mid_y = (ymin + ymax) / 2
    assert index.locate(
        np.array([xmax + 10_000, xmin - 10_000]), np.array([mid_y, mid_y])
    ).tolist() == [-1, -1]
    assert index.codes_for(np.array([xmax + 10_000]), np.array([mid_y])).tolist() == [None]
