"""The best-fit parent rule (``geography.parents``): the one larger area a base area counts in."""

from __future__ import annotations

import numpy as np
import shapely
from scipy import sparse

from commonground.geography.parents import best_fit, containing_parents, surface_points


def test_the_best_fit_is_the_largest_weight_the_first_on_a_tie_and_none_without_weight():
    members = np.array([  # 3 parent areas × 4 base areas
        [0.0, 0.5, 0.0, 0.2],
        [1.0, 0.5, 0.0, 0.8],
        [0.0, 0.0, 0.0, 0.0],
    ])
    assert best_fit(members).tolist() == [1, 0, -1, 1]


def test_a_geography_with_no_areas_is_no_base_area_s_parent():
    assert best_fit(np.zeros((0, 3))).tolist() == [-1, -1, -1]


def test_the_best_fit_of_a_sparse_membership_matrix_follows_the_same_rule():
    rng = np.random.default_rng(20)
    # 40 parents × 300 base areas: a few weights per column, many ties (quarters), empty columns
    dense = np.where(rng.random((40, 300)) < 0.05, rng.integers(0, 5, (40, 300)) / 4, 0.0)
    expected = np.where(dense.max(axis=0) > 0, dense.argmax(axis=0), -1)  # the dense rule
    for matrix in (sparse.csr_array(dense), sparse.csc_array(dense), sparse.coo_array(dense)):
        assert best_fit(matrix).tolist() == expected.tolist()
    assert best_fit(sparse.csr_array((0, 3))).tolist() == [-1, -1, -1]


def test_a_shape_is_placed_by_a_point_inside_it_even_where_its_centroid_is_outside():
    # a U: its centroid falls in the gap between the arms, outside the shape
    u = shapely.Polygon([(0, 0), (30, 0), (30, 30), (20, 30), (20, 10), (10, 10), (10, 30),
                         (0, 30)])
    assert not u.contains(u.centroid)
    assert u.contains(surface_points(np.array([u]))[0])


def test_a_child_s_parent_holds_its_point_on_surface_and_a_child_outside_every_parent_has_none():
    left, right = shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)
    children = np.array([shapely.box(10, 10, 20, 20), shapely.box(150, 10, 160, 20),
                         shapely.box(500, 500, 510, 510)])
    assert containing_parents(children, np.array([left, right])).tolist() == [0, 1, -1]
