"""Access by distance: nearest facility and each group's share within walking bands."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.spatial.distance import cdist

from commonground.lens.access import THRESHOLDS_M, access_by_group, nearest_distance

E0, N0 = 485_000.0, 238_000.0  # central Milton Keynes, British National Grid metres
FACILITIES = np.array([[E0, N0], [E0 + 1_000, N0]])
ORIGINS = np.array([
    [E0 + 300, N0 + 400],    # 3-4-5 triangle: sqrt(300² + 400²) = 500 m to the first
    [E0 + 1_000, N0 + 600],  # due north of the second: 600 m
    [E0 + 500, N0 + 1_200],  # midway: sqrt(500² + 1200²) = 1300 m to either
])


def test_hand_checked_distances():
    assert nearest_distance(ORIGINS, FACILITIES) == pytest.approx([500.0, 600.0, 1_300.0])


def test_hand_checked_access_by_group():
    distances = np.array([500.0, 600.0, 1_300.0])
    weights = np.array([[10.0, 5.0], [0.0, 5.0], [30.0, 0.0]])
    a, b = access_by_group(distances, weights, ["A", "B"])
    assert a.residents == 40 and b.residents == 10
    assert a.within == {400.0: 0.0, 800.0: pytest.approx(10 / 40), 1600.0: 1.0}
    assert b.within == {400.0: 0.0, 800.0: 1.0, 1600.0: 1.0}
    assert a.mean_distance_m == pytest.approx((10 * 500 + 30 * 1_300) / 40)  # 1100
    assert b.mean_distance_m == pytest.approx((5 * 500 + 5 * 600) / 10)  # 550
    assert a.as_dict() == {"group": "A", "residents": 40.0,
                           "within": {"400": 0.0, "800": 0.25, "1600": 1.0},
                           "mean_distance_m": pytest.approx(1_100.0)}


def test_band_includes_its_limit_and_fractional_weights():
    (g,) = access_by_group([400.0, 400.5], [[0.25], [0.75]], ["all"], thresholds=(400.0,))
    assert g.within == {400.0: 0.25}
    assert g.residents == 1.0


def test_kdtree_matches_brute_force():
    rng = np.random.default_rng(42)
    origins = rng.uniform([480_000, 230_000], [495_000, 245_000], size=(500, 2))
    facilities = rng.uniform([480_000, 230_000], [495_000, 245_000], size=(2_000, 2))
    expected = cdist(origins, facilities).min(axis=1)
    np.testing.assert_allclose(nearest_distance(origins, facilities), expected, rtol=1e-12)


def test_facility_across_a_boundary_counts():
    # the origin's area ends at easting E0 + 50; the facility lies in the next area, 100 m away;
    # a facility inside the origin's own area is further off
    origin = np.array([[E0, N0]])
    facilities = np.array([[E0 + 100, N0], [E0 - 700, N0]])
    assert nearest_distance(origin, facilities) == pytest.approx([100.0])


def test_no_facilities():
    distances = nearest_distance(ORIGINS, np.empty((0, 2)))
    assert distances.shape == (3,) and np.all(np.isinf(distances))
    (g,) = access_by_group(distances, np.ones((3, 1)), ["all"])
    assert g.within == {t: 0.0 for t in THRESHOLDS_M}
    assert math.isinf(g.mean_distance_m)
    d = g.as_dict()
    assert d["mean_distance_m"] is None and d["within"] == {"400": 0.0, "800": 0.0, "1600": 0.0}
    json.dumps(d, allow_nan=False)


def test_no_origins_and_empty_group():
    assert nearest_distance(np.empty((0, 2)), FACILITIES).shape == (0,)
    (g,) = access_by_group([100.0, 200.0], [[0.0], [0.0]], ["nobody"])
    assert g.residents == 0 and math.isnan(g.mean_distance_m)
    assert g.as_dict()["mean_distance_m"] is None


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        nearest_distance([[1.0, 2.0, 3.0]], FACILITIES)
    with pytest.raises(ValueError):
        nearest_distance(ORIGINS, [[np.nan, 0.0]])
    with pytest.raises(ValueError):
        access_by_group([1.0, 2.0], [[1.0]], ["a"])
    with pytest.raises(ValueError):
        access_by_group([np.nan], [[1.0]], ["a"])
