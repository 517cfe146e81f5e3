"""Disparity: each group's share of the data against its share of the city."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binom, binomtest

from commonground.lens.disparity import area_disparities, disparity_table

# Three areas, two groups (A, B) that make up each area's residents.
UNIVERSE = np.array([100.0, 200.0, 100.0])
COUNTS = np.array([[80.0, 20.0], [40.0, 160.0], [20.0, 80.0]])
LABELS = ["A", "B"]
MEASURE = np.array([5.0, 3.0, 2.0])  # ten points
CODES = ["E01000001", "E01000002", "E01000003"]


def test_hand_computed_three_areas():
    # d_t = 5/10, 3/10, 2/10
    # p_{t,A} = 80/100, 40/200, 20/100 = 0.8, 0.2, 0.2;  p_{t,B} = 0.2, 0.8, 0.8
    # D_A = 0.5*0.8 + 0.3*0.2 + 0.2*0.2 = 0.40 + 0.06 + 0.04 = 0.50
    # D_B = 0.5*0.2 + 0.3*0.8 + 0.2*0.8 = 0.10 + 0.24 + 0.16 = 0.50
    # S_A = (80 + 40 + 20) / 400 = 0.35;  S_B = (20 + 160 + 80) / 400 = 0.65
    a, b = disparity_table(MEASURE, COUNTS, UNIVERSE, LABELS, draws=2_000)
    assert a.group == "A" and b.group == "B"
    assert a.data_share == pytest.approx(0.50)
    assert b.data_share == pytest.approx(0.50)
    assert a.city_share == pytest.approx(0.35)
    assert b.city_share == pytest.approx(0.65)
    assert a.difference_pp == pytest.approx(15.0)
    assert b.difference_pp == pytest.approx(-15.0)
    # the bootstrap interval brackets the estimate; the null is centred on zero
    assert a.low_pp <= a.difference_pp <= a.high_pp
    assert a.null_low_pp < 0 < a.null_high_pp
    assert 0 < a.p_value <= 1
    # A and B are complements, so their differences mirror each other draw by draw
    assert a.p_value == pytest.approx(b.p_value)
    assert a.low_pp == pytest.approx(-b.high_pp)


def test_points_proportional_to_population_show_no_difference():
    rng = np.random.default_rng(5)
    universe = rng.integers(800, 3_000, size=40).astype(float)
    share_a = rng.uniform(0.05, 0.6, size=40)
    counts = np.column_stack([universe * share_a, universe * (1 - share_a)])
    measure = universe / 10  # exactly in proportion to residents
    rows = disparity_table(measure, counts, universe, LABELS, draws=2_000)
    for r in rows:
        assert r.difference_pp == pytest.approx(0.0, abs=1e-9)
        assert r.p_value > 0.5


def test_points_where_group_a_lives_show_positive_difference():
    rng = np.random.default_rng(6)
    universe = rng.integers(800, 3_000, size=40).astype(float)
    share_a = rng.uniform(0.05, 0.3, size=40)
    share_a[17] = 0.9
    counts = np.column_stack([universe * share_a, universe * (1 - share_a)])
    measure = np.zeros(40)
    measure[17] = 50
    a, b = disparity_table(measure, counts, universe, LABELS, draws=2_000)
    assert a.difference_pp > 0
    assert a.p_value < 0.01
    assert a.low_pp > 0  # the whole interval is above zero
    assert b.difference_pp == pytest.approx(-a.difference_pp)


def test_deterministic_with_seed():
    first = disparity_table(MEASURE, COUNTS, UNIVERSE, LABELS, draws=500, seed=3)
    again = disparity_table(MEASURE, COUNTS, UNIVERSE, LABELS, draws=500, seed=3)
    other = disparity_table(MEASURE * 10, COUNTS, UNIVERSE, LABELS, draws=500, seed=4)
    assert first == again
    assert [r.as_dict() for r in first] != [r.as_dict() for r in other]


def test_chunking_does_not_bound_draws():
    rows = disparity_table(MEASURE, COUNTS, UNIVERSE, LABELS, draws=4_500, seed=1)
    # the p-value has denominator draws + 1
    assert (rows[0].p_value * 4_501) == pytest.approx(round(rows[0].p_value * 4_501))


def test_no_points_gives_nan_without_crashing():
    rows = disparity_table(np.zeros(3), COUNTS, UNIVERSE, LABELS, draws=100)
    for r in rows:
        assert math.isnan(r.data_share) and math.isnan(r.difference_pp)
        assert math.isnan(r.p_value) and math.isnan(r.low_pp) and math.isnan(r.null_high_pp)
        assert r.as_dict()["p_value"] is None
    assert rows[0].city_share == pytest.approx(0.35)
    areas = area_disparities(np.zeros(3), COUNTS, UNIVERSE, LABELS, CODES)
    assert areas[0]["points"] == 0
    assert areas[0]["data_share"] is None and areas[0]["p_value"] is None
    assert areas[0]["population_share"] == pytest.approx(0.25)


def test_weighted_measure_uses_points_for_the_null():
    weights = MEASURE * 2.7  # e.g. floor area: the shares are unchanged
    weighted = disparity_table(weights, COUNTS, UNIVERSE, LABELS, points=10, draws=500, seed=2)
    counted = disparity_table(MEASURE, COUNTS, UNIVERSE, LABELS, draws=500, seed=2)
    for w, c in zip(weighted, counted, strict=True):
        assert w.difference_pp == pytest.approx(c.difference_pp)
        assert w.p_value == pytest.approx(c.p_value)
        assert w.null_low_pp == pytest.approx(c.null_low_pp)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        disparity_table([-1.0, 2.0, 3.0], COUNTS, UNIVERSE, LABELS)
    with pytest.raises(ValueError):
        disparity_table(MEASURE, COUNTS, UNIVERSE[:2], LABELS)
    with pytest.raises(ValueError):
        disparity_table(MEASURE, COUNTS, UNIVERSE, ["A"])


def test_area_disparities_hand_checked():
    rows = area_disparities(MEASURE, COUNTS, UNIVERSE, LABELS, CODES)
    assert [r["code"] for r in rows] == CODES
    assert set(rows[0]) == {"code", "points", "data_share", "population_share", "difference_pp",
                            "low_pp", "high_pp", "p_value", "groups"}
    first = rows[0]
    # d_1 = 5/10; beta_1 = 100/400 = 0.25; difference 25 pp
    assert first["points"] == 5
    assert first["data_share"] == pytest.approx(0.5)
    assert first["population_share"] == pytest.approx(0.25)
    assert first["difference_pp"] == pytest.approx(25.0)
    # group baselines: beta_{1,A} = 80/140, beta_{1,B} = 20/260
    assert first["groups"]["A"] == pytest.approx(100 * (0.5 - 80 / 140))
    assert first["groups"]["B"] == pytest.approx(100 * (0.5 - 20 / 260))
    # area 2: d = 0.3, beta = 0.5 -> -20 pp; area 3: d = 0.2, beta = 0.25 -> -5 pp
    assert rows[1]["difference_pp"] == pytest.approx(-20.0)
    assert rows[2]["difference_pp"] == pytest.approx(-5.0)
    assert rows[1]["groups"]["A"] == pytest.approx(100 * (0.3 - 40 / 140))

    for row, k, beta in zip(rows, (5, 3, 2), (0.25, 0.5, 0.25), strict=True):
        expected = binomtest(k, 10, beta)
        ci = expected.proportion_ci(confidence_level=0.95, method="exact")
        # exact two-sided central p-value: twice the smaller tail, at most 1
        tails = min(binom.cdf(k, 10, beta), binom.sf(k - 1, 10, beta))
        assert row["p_value"] == pytest.approx(min(1.0, 2 * tails))
        assert row["p_value"] >= expected.pvalue - 1e-12  # never less conservative
        assert row["low_pp"] == pytest.approx(100 * (ci.low - beta))
        assert row["high_pp"] == pytest.approx(100 * (ci.high - beta))
        assert row["low_pp"] <= row["difference_pp"] <= row["high_pp"]


def test_area_disparities_weighted_points():
    rows = area_disparities(MEASURE * 0.37, COUNTS, UNIVERSE, LABELS, CODES, points=10)
    assert [r["points"] for r in rows] == [5, 3, 2]
    tails = min(binom.cdf(5, 10, 0.25), binom.sf(4, 10, 0.25))
    assert rows[0]["p_value"] == pytest.approx(min(1.0, 2 * tails))


@settings(max_examples=25, deadline=None)
@given(
    counts=st.lists(st.integers(0, 30), min_size=3, max_size=3).filter(lambda c: sum(c) > 0),
    k=st.floats(0.001, 1_000.0, allow_nan=False, allow_infinity=False),
)
def test_scaling_the_measure_changes_nothing(counts, k):
    measure = np.array(counts, dtype=float)
    n = int(measure.sum())
    base = disparity_table(measure, COUNTS, UNIVERSE, LABELS, points=n, draws=200, seed=9)
    scaled = disparity_table(measure * k, COUNTS, UNIVERSE, LABELS, points=n, draws=200, seed=9)
    for b, s in zip(base, scaled, strict=True):
        assert s.group == b.group
        for key, value in b.as_dict().items():
            if key != "group":
                assert s.as_dict()[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_many_areas_use_the_normal_approximation_with_the_multinomials_moments():
    # England's 33,755 areas × 10,000 multinomial draws took ~100 s and 2.7 GB per distribution;
    # above EXACT_REDRAW_CELLS the redraws are the normal approximation with the exact mean and
    # covariance of D* (a mean over N points), so intervals and p-values agree with exact draws
    from commonground.lens import disparity

    rng = np.random.default_rng(4)
    areas, n_points = 400, 300
    universe = rng.integers(200, 2_000, areas).astype(float)
    share_a = rng.beta(2, 5, areas)
    counts = np.column_stack([universe * share_a, universe * (1 - share_a)])
    measure = rng.poisson(universe * share_a / universe.mean() * 2).astype(float)
    probs = measure / measure.sum()
    small = disparity.redraws(n_points, probs, 4_000, seed=1)
    assert small.method == "multinomial" and 4_000 * areas <= disparity.EXACT_REDRAW_CELLS
    approx = disparity.Redraws(n_points=n_points, probs=small.probs, draws=4_000, seed=1)
    assert approx.method == "normal approximation"
    p = counts / universe[:, None]
    exact_shares, normal_shares = small.shares(p), approx.shares(p)
    np.testing.assert_allclose(normal_shares.mean(axis=0), exact_shares.mean(axis=0), atol=2e-3)
    np.testing.assert_allclose(normal_shares.std(axis=0), exact_shares.std(axis=0), rtol=0.08)
    table = {}
    for name, boot in (("exact", small), ("normal", approx)):
        table[name] = disparity_table(measure, counts, universe, ["A", "B"], points=n_points,
                                      draws=4_000, boot=boot)
    for e, n in zip(table["exact"], table["normal"], strict=True):
        assert n.difference_pp == e.difference_pp  # the observed value is never approximated
        assert abs(n.low_pp - e.low_pp) < 0.6 and abs(n.high_pp - e.high_pp) < 0.6
    big = disparity.redraws(n_points, np.full(disparity.EXACT_REDRAW_CELLS // 1_000 + 1, 1.0),
                            1_000, seed=1)
    assert big.method == "normal approximation" and big.exact is None


def test_the_method_note_says_when_the_redraws_were_approximated():
    from types import SimpleNamespace

    from commonground.lens.method import method_note

    city = SimpleNamespace(base_geography="lsoa21", population_source="Census 2021")
    measure = SimpleNamespace(kind="count", column=None, rows_in_areas=10, rows_total=10)
    result = {"city": {"areas": 33755},
              "disparity": {"points": 5000, "draws": 10000, "redraws": "normal approximation"}}
    options = SimpleNamespace(draws=10000)

    def note():
        notes = method_note(result, city, measure, None, options)
        return next(n["text"] for n in notes if n["title"] == "Demographic disparity")

    assert "With 33,755 areas the multinomial redraws are replaced by their normal" in note()
    result["disparity"]["redraws"] = "multinomial"
    assert "normal approximation" not in note()


def test_area_dicts_are_the_records_as_dicts_nan_as_none():
    from commonground.lens.disparity import area_disparity_records

    measure = np.array([5.0, 0.0, 2.0])
    counts = np.array([[80.0, 20.0], [0.0, 0.0], [20.0, 80.0]])
    universe = np.array([100.0, 0.0, 100.0])  # an empty area: NaN proportions
    records = area_disparity_records(measure, counts, universe, LABELS, CODES)
    dicts = area_disparities(measure, counts, universe, LABELS, CODES)
    assert dicts == [r.as_dict() for r in records]
    assert list(dicts[0]) == ["code", "points", "data_share", "population_share",
                              "difference_pp", "low_pp", "high_pp", "p_value", "groups"]
    assert all(type(v) in (str, int, float, type(None)) for d in dicts for k, v in d.items()
               if k != "groups")
