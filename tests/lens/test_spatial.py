"""Where: map classes, queen neighbours and hot/cold spots on a synthetic grid."""

from __future__ import annotations

import json
import warnings

import mapclassify
import numpy as np
import pytest
import shapely

from commonground.lens import spatial
from commonground.lens.spatial import classify, hot_spots, queen_neighbours

SIDE = 6


def cell(row: int, col: int) -> int:
    return row * SIDE + col


def grid(shrink: float = 0.0) -> list:
    """6 × 6 unit squares, row-major, optionally shrunk by ``shrink`` on every side."""
    return [shapely.box(c + shrink, r + shrink, c + 1 - shrink, r + 1 - shrink)
            for r in range(SIDE) for c in range(SIDE)]


@pytest.fixture(scope="module")
def neighbours():
    return queen_neighbours(grid())


def test_queen_neighbour_counts(neighbours):
    edge = {0, SIDE - 1}
    for r in range(SIDE):
        for c in range(SIDE):
            on_edge = (r in edge) + (c in edge)
            expected = {2: 3, 1: 5, 0: 8}[on_edge]  # corner, edge, interior
            assert len(neighbours[cell(r, c)]) == expected, (r, c)
    assert neighbours[cell(0, 0)] == [cell(0, 1), cell(1, 0), cell(1, 1)]
    assert all(i not in js for i, js in neighbours.items())
    assert all(i in neighbours[j] for i, js in neighbours.items() for j in js)


def test_generalised_boundaries_need_a_tolerance():
    shrunk = grid(shrink=0.01)  # 0.02 gaps between neighbours
    assert all(js == [] for js in queen_neighbours(shrunk).values())
    snapped = queen_neighbours(shrunk, tolerance_m=0.05)
    assert snapped == queen_neighbours(grid())


def test_missing_geometry_has_no_neighbours():
    geoms = grid()[:2] + [None]
    assert queen_neighbours(geoms) == {0: [1], 1: [0], 2: []}


def clustered_values() -> np.ndarray:
    """High values in the 3 × 3 top-left corner, low in the bottom-right, middling elsewhere."""
    values = np.full(SIDE * SIDE, 5.0)
    for r in range(3):
        for c in range(3):
            values[cell(r, c)] = 10.0
            values[cell(r + 3, c + 3)] = 0.0
    return values + np.random.default_rng(1).normal(0, 0.3, SIDE * SIDE)


def test_hot_and_cold_corners(neighbours):
    spots = hot_spots(clustered_values(), neighbours, permutations=999, seed=0)
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        assert spots.labels[cell(r, c)] == "hot"
        assert spots.labels[cell(SIDE - 1 - r, SIDE - 1 - c)] == "cold"
    assert "cold" not in [spots.labels[cell(r, c)] for r in range(3) for c in range(3)]
    assert spots.global_i > 0.5 and spots.global_p < 0.01
    assert 0 < spots.fdr_threshold <= spots.alpha
    significant = [p for p, lab in zip(spots.p_values, spots.labels, strict=True)
                   if lab in ("hot", "cold", "high among low", "low among high")]
    assert max(significant) <= spots.fdr_threshold


def test_random_values_mostly_not_significant(neighbours):
    values = np.random.default_rng(7).normal(size=SIDE * SIDE)
    spots = hot_spots(values, neighbours, permutations=499, seed=0)
    assert spots.labels.count("not significant") >= 32


def test_seeded(neighbours):
    values = np.random.default_rng(3).normal(size=SIDE * SIDE)
    first = hot_spots(values, neighbours, permutations=199, seed=5)
    assert first == hot_spots(values, neighbours, permutations=199, seed=5)


def test_missing_values_and_islands(neighbours):
    values = clustered_values()
    values[cell(0, 0)] = np.nan
    # an island: an area with no neighbours at all, appended after the grid
    nb = {**neighbours, SIDE * SIDE: []}
    values = np.append(values, 3.0)
    spots = hot_spots(values, nb, permutations=199, seed=0)
    assert spots.labels[cell(0, 0)] == "no value"
    assert spots.labels[SIDE * SIDE] == "no neighbours"
    assert np.isnan(spots.moran_i[SIDE * SIDE]) and np.isnan(spots.p_values[cell(0, 0)])
    assert spots.labels[cell(1, 1)] == "hot"
    d = spots.as_dict()
    assert d["moran_i"][cell(0, 0)] is None
    json.dumps(d, allow_nan=False)


def test_only_neighbour_without_value_makes_an_island():
    values = [1.0, np.nan, 2.0, 3.0, 4.0]
    nb = {0: [1], 1: [0], 2: [3], 3: [2, 4], 4: [3]}
    spots = hot_spots(values, nb, permutations=99)
    assert spots.labels[:2] == ["no neighbours", "no value"]
    assert spots.labels[2:] == ["not significant"] * 3


def test_constant_values_are_not_significant(neighbours):
    spots = hot_spots(np.ones(SIDE * SIDE), neighbours, permutations=99)
    assert set(spots.labels) == {"not significant"}
    assert np.isnan(spots.global_i)


@pytest.mark.filterwarnings("ignore:Numba not installed")
@pytest.mark.parametrize("method, cls, name", [
    ("fisher_jenks", mapclassify.FisherJenks, "Fisher-Jenks"),
    ("quantiles", mapclassify.Quantiles, "Quantiles"),
])
def test_classify_matches_mapclassify(method, cls, name):
    values = np.random.default_rng(11).gamma(2.0, 10.0, size=166)
    result = classify(values, method=method, k=5)
    expected = cls(values, k=5)
    assert result["method"] == name and result["k"] == 5
    assert result["sample"] == result["values"] == 166  # exact: every value
    np.testing.assert_allclose(result["bins"], expected.bins)
    assert result["classes"] == expected.yb.tolist()


@pytest.mark.filterwarnings("ignore::UserWarning")  # no numba; tied quantiles merged
@pytest.mark.parametrize("case", ["gamma", "ties", "national", "rounded"])
def test_map_breaks_are_mapclassify_s_to_the_last_bit(case):
    rng = np.random.default_rng(3)
    values = {"gamma": rng.gamma(2.0, 10.0, 166), "ties": rng.integers(0, 6, 300) * 1.5,
              "national": rng.lognormal(3.0, 0.8, 1200),
              "rounded": np.round(rng.normal(size=80), 1)}[case]
    for k in (2, 5, 7):
        for method, cls in (("fisher_jenks", mapclassify.FisherJenks),
                            ("quantiles", mapclassify.Quantiles)):
            data = values
            if method == "fisher_jenks" and len(values) > spatial.FISHER_JENKS_EXACT_MAX:
                data = spatial._order_statistics(values, spatial.FISHER_JENKS_SAMPLE)
            used = min(k, len(np.unique(data)))
            assert classify(values, method=method, k=k)["bins"] == cls(data, k=used).bins.tolist()


def test_a_national_map_imports_neither_mapclassify_nor_esda():
    """Map classes and the hot spots of thousands of areas import none of mapclassify, esda,
    libpysal or scikit-learn (which they import): about 130 MB of a web process."""
    import subprocess
    import sys

    side = 80  # 6,400 areas on a grid, each with its rook neighbours
    assert side * side > spatial.ESDA_LOCAL_MAX_AREAS
    code = ("import sys, numpy as np; from commonground.lens.spatial import classify, hot_spots\n"
            f"s = {side}; v = np.random.default_rng(1).gamma(2, 10, s * s)\n"
            "classify(v); classify(v, method='quantiles')\n"
            "nb = {i: [j for j in (i - 1, i + 1, i - s, i + s) if 0 <= j < s * s and "
            "(j // s == i // s or j % s == i % s)] for i in range(s * s)}\n"
            "spots = hot_spots(v, nb, permutations=19)\n"
            "assert spots.shared_permutations\n"
            "print(sorted(m for m in ('mapclassify', 'esda', 'libpysal', 'sklearn') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_the_false_discovery_cut_off_is_esda_s(alpha):
    import esda

    rng = np.random.default_rng(2)
    for p in (rng.uniform(0, 1, 500), rng.uniform(0, 0.002, 40), np.full(10, 0.5),
              np.concatenate([rng.uniform(0, 0.001, 20), rng.uniform(0, 1, 300)])):
        assert spatial.fdr(p, alpha) == esda.fdr(p, alpha)


@pytest.mark.filterwarnings("ignore:Numba not installed")
def test_many_values_get_fisher_jenks_breaks_from_an_order_statistics_sample():
    # above the exact limit the breaks come from evenly spaced order statistics (exact Fisher-Jenks
    # on them), so a national map stays fast; every value is still classified
    n = spatial.FISHER_JENKS_EXACT_MAX * 4
    values = np.random.default_rng(5).lognormal(3.0, 0.8, size=n)
    values[7] = np.nan
    result = classify(values, k=5)
    finite = values[np.isfinite(values)]
    assert result["method"] == "Fisher-Jenks" and result["k"] == 5
    assert result["values"] == n - 1 and result["sample"] == spatial.FISHER_JENKS_SAMPLE
    ordered = np.sort(finite)
    sample = ordered[np.rint(np.linspace(0, len(ordered) - 1, spatial.FISHER_JENKS_SAMPLE))
                     .astype(int)]
    np.testing.assert_allclose(result["bins"], mapclassify.FisherJenks(sample, k=5).bins)
    bins = np.asarray(result["bins"])
    assert np.all(np.diff(bins) > 0) and bins[-1] == finite.max()
    assert result["classes"][7] is None
    for value, c in zip(values.tolist(), result["classes"], strict=True):
        if c is not None:  # in the first class whose upper bound it does not exceed
            assert value <= bins[c] and (c == 0 or value > bins[c - 1])
    assert len({c for c in result["classes"] if c is not None}) == 5
    assert classify(values, k=5) == result  # no random sample: the same map every time


def test_lens_method_says_when_map_breaks_were_sampled():
    from types import SimpleNamespace

    from commonground.lens.method import method_note

    city = SimpleNamespace(base_geography="lsoa21", population_source="Census 2021")
    measure = SimpleNamespace(kind="count", column=None, rows_in_areas=10, rows_total=10)
    where = {"classification": {"method": "Fisher-Jenks", "k": 5, "bins": [1.0] * 5,
                                "sample": 500, "values": 33755},
             "hot_spots": {"permutations": 99, "alpha": 0.05}}

    def map_note():
        notes = method_note({"where": where}, city, measure, None, None)
        return next(n["text"] for n in notes if n["title"] == "Map and hot spots")

    assert "computed on 500 evenly spaced values of the 33,755" in map_note()
    where["classification"].update(sample=166, values=166)
    assert "evenly spaced" not in map_note()


def test_classify_nan_and_few_values():
    result = classify([1.0, np.nan, 2.0, 2.0, np.inf, 9.0], k=5)
    assert result["k"] == 3  # three distinct finite values
    assert result["bins"] == [1.0, 2.0, 9.0]
    assert result["classes"] == [0, None, 1, 1, None, 2]
    same = classify([4.0, 4.0, np.nan], method="quantiles", k=5)
    assert same == {"method": "Quantiles", "k": 1, "bins": [4.0], "classes": [0, 0, None],
                    "sample": 2, "values": 2}
    empty = classify([np.nan, np.nan])
    assert empty["k"] == 0 and empty["bins"] == [] and empty["classes"] == [None, None]
    with pytest.raises(ValueError):
        classify([1.0], method="equal_interval")


def test_p_values_match_esda_without_ties(neighbours):
    import esda
    from libpysal.weights import W

    values = clustered_values()
    spots = hot_spots(values, neighbours, permutations=199, seed=2)
    w = W(neighbours, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = esda.Moran_Local(values, w, transformation="r", permutations=199, seed=2)
    np.testing.assert_allclose(spots.moran_i, expected.Is)
    np.testing.assert_allclose(spots.p_values, expected.p_sim)


def test_area_at_the_mean_is_never_significant():
    # the middle area sits exactly at the mean: I = 0 under every permutation
    spots = hot_spots([2.0, 3.0, 4.0], {0: [1], 1: [0, 2], 2: [1]}, permutations=99)
    assert spots.p_values[1] == 1.0 and spots.labels[1] == "not significant"


def test_many_areas_share_permutations_and_agree_with_esda(monkeypatch):
    # esda permutes area by area in Python (25-40 s for England's 33,755 LSOAs); above
    # ESDA_LOCAL_MAX_AREAS the areas with the same number of neighbours share their draws
    import esda
    from libpysal.weights import W

    side = 20
    boxes = [shapely.box(c, r, c + 1, r + 1) for r in range(side) for c in range(side)]
    nb = queen_neighbours(boxes)
    rng = np.random.default_rng(3)
    values = rng.normal(0.0, 1.0, side * side)
    for r in range(5):
        for c in range(5):
            values[r * side + c] += 3.0  # a hot corner
            values[(side - 1 - r) * side + (side - 1 - c)] -= 3.0  # a cold one
    monkeypatch.setattr(spatial, "ESDA_LOCAL_MAX_AREAS", 100)
    spots = hot_spots(values, nb, permutations=999, seed=1)
    assert spots.shared_permutations and spots.as_dict()["shared_permutations"]
    w = W(nb, silence_warnings=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        expected = esda.Moran_Local(values, w, transformation="r", permutations=999, seed=1)
        glob = esda.Moran(values, w, transformation="r", permutations=0)
    np.testing.assert_allclose(spots.moran_i, expected.Is)  # the statistic itself is exact
    difference = np.abs(np.asarray(spots.p_values) - expected.p_sim)
    # two Monte Carlo estimates of each p-value (999 draws each: standard error up to 0.016)
    assert difference.max() < 0.1 and difference.mean() < 0.03
    assert spots.global_p == pytest.approx(glob.p_rand) and spots.global_i == pytest.approx(glob.I)
    assert spots.labels[0] == "hot" and spots.labels[side * side - 1] == "cold"
    quadrant = {1: "hot", 2: "low among high", 3: "cold", 4: "high among low"}
    for label, q in zip(spots.labels, expected.q, strict=True):
        assert label in ("not significant", quadrant[int(q)])
