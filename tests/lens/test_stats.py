"""Inequality statistics of the difference lens, checked by hand and against independent sources.

Convention throughout: groups run from the MOST deprived (first) to the LEAST deprived (last).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps

from commonground.lens import stats

pytestmark = pytest.mark.filterwarnings("error")  # no RuntimeWarning from log(0) or 0/0


Z = 1.959963984540054
FEW = settings(max_examples=50, deadline=None)

# Ten deprivation deciles, most deprived first: made-up populations and rates per 1,000.
DECILE_POP = np.array([12000, 10000, 9500, 11000, 10500, 9800, 10200, 9900, 8700, 8400.0])
DECILE_RATE = np.array([31.0, 29.5, 27.0, 26.2, 24.0, 22.9, 21.0, 20.4, 18.8, 17.1])


# --- Byar's interval for a count ----------------------------------------------------------------


def byar_by_hand(o: float, z: float = Z) -> tuple[float, float]:
    """Breslow & Day (1987): the two cube formulas, written out with the math module."""
    if o == 0:
        lower = 0.0
    else:
        lower = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    upper = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * math.sqrt(o + 1))) ** 3
    return lower, upper


@pytest.mark.parametrize("o", [1, 10, 100])
def test_byar_limits_are_the_two_cube_formulas(o):
    low, high = stats.byar_interval(np.array([o]))
    assert (low[0], high[0]) == pytest.approx(byar_by_hand(o), rel=1e-12)


def test_byar_limits_for_ten_events_pinned():
    # Byar for O = 10: 4.7874 to 18.3915 (by hand: 10·(1 - 1/90 - 1.96/(3√10))³ etc.).
    low, high = stats.byar_interval(10)
    assert float(low) == pytest.approx(4.7874, abs=5e-5)
    assert float(high) == pytest.approx(18.3915, abs=5e-5)
    # The exact (chi-square) limits for O = 10 are 4.7954 to 18.3904: Byar is within 0.2%.
    assert sps.chi2.ppf(0.025, 20) / 2 == pytest.approx(4.7954, abs=5e-5)
    assert sps.chi2.ppf(0.975, 22) / 2 == pytest.approx(18.3904, abs=5e-5)


def test_byar_is_within_one_percent_of_the_exact_poisson_limits_from_ten_events():
    o = np.arange(10, 1001, dtype=float)
    low, high = stats.byar_interval(o)
    exact_low = sps.chi2.ppf(0.025, 2 * o) / 2
    exact_high = sps.chi2.ppf(0.975, 2 * o + 2) / 2
    assert np.all(np.abs(low / exact_low - 1) < 0.01)
    assert np.all(np.abs(high / exact_high - 1) < 0.01)


def test_byar_for_zero_events_has_lower_limit_zero_and_nan_for_missing_counts():
    low, high = stats.byar_interval(np.array([0.0, np.nan, -1.0]))
    assert low[0] == 0.0 and high[0] == pytest.approx(byar_by_hand(0)[1])
    assert np.isnan(low[1:]).all() and np.isnan(high[1:]).all()


def exact_by_hand(o: int, confidence: float = 0.95) -> tuple[float, float]:
    """The exact Poisson limits by their definition: the means at which P(X >= o) and
    P(X <= o) are each (1 - confidence) / 2 (Garwood 1936), solved numerically."""
    from scipy.optimize import brentq

    tail = (1 - confidence) / 2
    lower = 0.0 if o == 0 else brentq(lambda m: sps.poisson.sf(o - 1, m) - tail, 1e-12, 100)
    upper = brentq(lambda m: sps.poisson.cdf(o, m) - tail, 1e-12, 100)
    return lower, upper


@pytest.mark.parametrize("o", range(10))
def test_counts_below_ten_get_the_exact_poisson_limits(o):
    low, high = stats.poisson_interval(np.array([float(o)]))
    assert (low[0], high[0]) == pytest.approx(exact_by_hand(o), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("o", [10, 11, 50, 1000])
def test_counts_from_ten_get_byars_limits(o):
    assert np.array(stats.poisson_interval(o)) == pytest.approx(byar_by_hand(o), rel=1e-12)


def test_byar_would_put_the_lower_limit_for_one_event_48_percent_too_low():
    # the measurement: Byar 0.0131 against the exact 0.0253 for one event
    exact_low = stats.poisson_interval(1)[0]
    byar_low = stats.byar_interval(1)[0]
    assert exact_low == pytest.approx(0.0253178, abs=1e-7)
    assert 1 - byar_low / exact_low == pytest.approx(0.48, abs=0.005)


def test_99_8_percent_limits_are_wider_and_use_z_3_09():
    assert stats.z_for(0.998) == pytest.approx(sps.norm.ppf(0.999), rel=1e-12)
    counts = np.array([0.0, 3.0, 9.0, 10.0, 250.0])
    low95, high95 = stats.poisson_interval(counts)
    low998, high998 = stats.poisson_interval(counts, confidence=0.998)
    assert np.all(low998 <= low95) and np.all(high998 > high95)
    assert high998[0] == pytest.approx(-math.log(0.001), rel=1e-9)  # P(X = 0 | m) = 0.001
    assert np.array([low998[-1], high998[-1]]) == pytest.approx(byar_by_hand(250, 3.090232306))


def test_rates_scale_the_count_interval_by_the_population():
    rate, low, high = stats.rate_with_interval([10, 5, 3], [2000, 0, -4], per=1000.0)
    assert rate[0] == 5.0
    assert (low[0], high[0]) == pytest.approx(np.array(byar_by_hand(10)) / 2)
    assert np.isnan([rate[1:], low[1:], high[1:]]).all()


# --- Wilson's interval for a proportion ---------------------------------------------------------


def test_wilson_matches_newcombes_worked_example():
    # Newcombe (1998), Stat Med 17:857, example 81/263: Wilson score interval 0.2553 to 0.3662.
    low, high = stats.wilson_interval(81, 263)
    assert float(low) == pytest.approx(0.2553, abs=5e-5)
    assert float(high) == pytest.approx(0.3662, abs=5e-5)


def test_wilson_edges_none_and_all():
    n = 20.0
    low, high = stats.wilson_interval([0, n], [n, n])
    # p = 0: exactly 0 to z²/(n + z²); p = 1: the mirror image.
    assert low[0] == 0.0 and high[0] == pytest.approx(Z**2 / (n + Z**2))
    assert high[1] == 1.0 and low[1] == pytest.approx(n / (n + Z**2))


def test_proportions_are_nan_without_trials():
    p, low, high = stats.proportion_with_interval([3, 1], [12, 0])
    assert p[0] == 0.25 and low[0] < 0.25 < high[0]
    assert np.isnan([p[1], low[1], high[1]]).all()


# --- ranks and the slope index ------------------------------------------------------------------


def test_relative_ranks_are_cumulative_midpoints_as_in_the_phe_guide():
    # PHE example: a decile with 12% of the population sits at 0.06, the next (10%) at 0.17.
    a, b = stats.cumulative_midpoints([12, 10, 78])
    assert a.tolist() == pytest.approx([0.12, 0.10, 0.78])
    assert b.tolist() == pytest.approx([0.06, 0.17, 0.61])


def normal_equations_by_hand(y, pop):
    """beta0, beta1 of sqrt(a) y = beta0 sqrt(a) + beta1 b sqrt(a), through the origin.

    Normal equations:  [Σa   Σab ] [beta0]   [Σay ]
                       [Σab  Σab²] [beta1] = [Σaby]
    """
    total = sum(pop)
    a = [p / total for p in pop]
    b, before = [], 0.0
    for share in a:
        b.append(before + share / 2)
        before += share
    s_a = sum(a)
    s_ab = sum(ai * bi for ai, bi in zip(a, b, strict=True))
    s_abb = sum(ai * bi * bi for ai, bi in zip(a, b, strict=True))
    s_ay = sum(ai * yi for ai, yi in zip(a, y, strict=True))
    s_aby = sum(ai * bi * yi for ai, bi, yi in zip(a, b, y, strict=True))
    det = s_a * s_abb - s_ab**2
    return (s_abb * s_ay - s_ab * s_aby) / det, (s_a * s_aby - s_ab * s_ay) / det


def test_slope_index_solves_phes_weighted_regression():
    beta0, beta1 = stats.fit_slope_index(DECILE_RATE, DECILE_POP)
    hand0, hand1 = normal_equations_by_hand(DECILE_RATE.tolist(), DECILE_POP.tolist())
    assert beta0 == pytest.approx(hand0, abs=1e-9)
    assert beta1 == pytest.approx(hand1, abs=1e-9)
    # The same regression with numpy's least squares on the sqrt(a)-scaled design.
    a, b = stats.cumulative_midpoints(DECILE_POP)
    design = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    coef = np.linalg.lstsq(design, DECILE_RATE * np.sqrt(a), rcond=None)[0]
    assert (beta0, beta1) == pytest.approx(tuple(coef), abs=1e-9)


def test_signs_rates_falling_towards_the_least_deprived_give_negative_sii_and_rii_below_one():
    beta0, beta1 = stats.fit_slope_index(DECILE_RATE, DECILE_POP)
    result = stats.slope_index(DECILE_RATE, DECILE_RATE * 0.9, DECILE_RATE * 1.1, DECILE_POP)
    assert beta1 < 0 and result.sii == beta1
    # RII (England/PHE): fitted least deprived end over fitted most deprived end.
    assert result.rii == pytest.approx((beta0 + beta1) / beta0) and result.rii < 1
    assert result.concentration < 0  # concentrated in the more deprived deciles


def test_missing_values_leave_the_ranks_of_all_populated_groups_unchanged():
    y = DECILE_RATE.copy()
    y[4] = np.nan
    a, b = stats.cumulative_midpoints(DECILE_POP)  # over all ten deciles
    keep = np.isfinite(y)
    sa = np.sqrt(a[keep])
    coef = np.linalg.lstsq(np.column_stack([sa, b[keep] * sa]), y[keep] * sa, rcond=None)[0]
    assert stats.fit_slope_index(y, DECILE_POP) == pytest.approx(tuple(coef), abs=1e-9)


def test_fewer_than_two_usable_groups_give_nan():
    assert np.isnan(stats.fit_slope_index([5.0, np.nan, 3.0], [10, 10, 0])).all()
    result = stats.slope_index([5.0, np.nan], [4.0, 1.0], [6.0, 2.0], [10, 10])
    numbers = {k: v for k, v in result.as_dict().items()
               if k.startswith(("sii", "rii", "concentration", "intercept")) and k != "rii_note"}
    assert len(numbers) == 16 and all(v is None for v in numbers.values())
    assert result.left_out == ((1, "no value"),) and result.rii_note


# --- Monte Carlo intervals ----------------------------------------------------------------------


def test_intervals_are_deterministic_for_a_seed_and_bracket_the_estimate():
    rate, low, high = stats.rate_with_interval(DECILE_RATE * DECILE_POP / 1000, DECILE_POP)
    first = stats.slope_index(rate, low, high, DECILE_POP, seed=7)
    again = stats.slope_index(rate, low, high, DECILE_POP, seed=7)
    other = stats.slope_index(rate, low, high, DECILE_POP, seed=8)
    assert first == again and first != other
    assert first.draws == 100_000 and first.scale == "log"  # PHE phe_sii's repetitions
    assert [lim.level for lim in first.limits] == [0.95, 0.998]
    wide = first.at(0.998)
    assert wide.sii_low < first.sii_low < first.sii_high < wide.sii_high
    assert first.sii_low < first.sii < first.sii_high
    assert first.rii_low < first.rii < first.rii_high
    assert first.concentration_low < first.concentration < first.concentration_high


def test_groups_left_out_are_listed_with_their_reason_and_left_out_of_the_estimate():
    y, low, high = DECILE_RATE.copy(), 0.9 * DECILE_RATE, 1.1 * DECILE_RATE
    pop = DECILE_POP.copy()
    y[2], low[5], pop[7] = np.nan, np.nan, 0.0
    result = stats.slope_index(y, low, high, pop, draws=500)
    assert result.left_out == ((2, "no value"), (5, "no 95% interval"), (7, "no residents"))
    assert result.as_dict()["left_out"][1] == {"index": 5, "reason": "no 95% interval"}
    kept = np.ones(10, dtype=bool)
    kept[[2, 5, 7]] = False
    a, b = stats.cumulative_midpoints(pop)
    sa = np.sqrt(a[kept])
    coef = np.linalg.lstsq(np.column_stack([sa, b[kept] * sa]), y[kept] * sa, rcond=None)[0]
    assert result.sii == pytest.approx(coef[1], rel=1e-12)


def test_phes_limits_are_order_statistics_of_the_draws():
    draws = np.arange(1.0, 100_001.0)[::-1]  # 100,000 draws: the 2,500th and 97,500th
    assert stats.order_limits(draws, 0.95) == [2500.0, 97500.0]
    assert stats.order_limits(draws, 0.95, 0.998) == [2500.0, 97500.0, 100.0, 99900.0]
    assert stats.order_limits(np.array([np.nan, 3.0]), 0.95) == [3.0, 3.0]


# A rate falling steeply towards the least deprived deciles: the straight line fitted to it
# reaches zero before the least deprived end, as the EV charge points' line does.
STEEP_COUNTS = np.array([40.0, 30, 18, 12, 9, 6, 5, 4, 3, 2])


def test_a_straight_line_below_zero_switches_to_phes_log_fit_and_the_rii_stays_positive():
    rate, low, high = stats.rate_with_interval(STEEP_COUNTS, DECILE_POP)
    beta0, beta1 = stats.fit_slope_index(rate, DECILE_POP)
    assert beta0 + beta1 < 0  # the straight line: a negative RII, (beta0 + beta1) / beta0
    result = stats.slope_index(rate, low, high, DECILE_POP, seed=2)
    assert result.transform == "log"
    assert "falls to zero or below at the least deprived end" in result.transform_reason
    t0, t1 = stats.fit_slope_index(np.log(rate), DECILE_POP)
    assert result.rii == pytest.approx(math.exp(t1), rel=1e-12)
    assert result.sii == pytest.approx(math.exp(t0 + t1) - math.exp(t0), rel=1e-12)
    assert result.intercept == pytest.approx(math.exp(t0), rel=1e-12)
    for lim in result.limits:
        assert 0 < lim.rii_low < result.rii < lim.rii_high < 1
        assert lim.sii_low < result.sii < lim.sii_high < 0
    # asked for the straight line (PHE's transform = FALSE), the negative RII is what it is
    plain = stats.slope_index(rate, low, high, DECILE_POP, transform=False, draws=1000)
    assert plain.transform == "none" and plain.rii < 0 and plain.sii == pytest.approx(beta1)


def test_a_line_that_stays_positive_keeps_the_straight_fit():
    rate, low, high = stats.rate_with_interval(DECILE_RATE * DECILE_POP / 1000, DECILE_POP)
    result = stats.slope_index(rate, low, high, DECILE_POP, draws=2000)
    assert result.transform == "none" and result.transform_reason is None
    assert result.sii == pytest.approx(stats.fit_slope_index(rate, DECILE_POP)[1], rel=1e-12)


def test_an_interval_that_reaches_zero_also_switches_to_the_log_fit():
    # few events everywhere: the straight line stays positive, its interval does not
    counts = np.array([4.0, 3, 3, 2, 2, 1, 1, 1, 1, 1])
    rate, low, high = stats.rate_with_interval(counts, DECILE_POP)
    beta0, beta1 = stats.fit_slope_index(rate, DECILE_POP)
    assert beta0 > 0 and beta0 + beta1 > 0
    linear = stats.slope_index(rate, low, high, DECILE_POP, transform=False, seed=4)
    assert linear.at(0.998).rii_low <= 0
    result = stats.slope_index(rate, low, high, DECILE_POP, seed=4)
    assert result.transform == "log" and "99.8% interval" in result.transform_reason
    assert all(lim.rii_low > 0 and math.isfinite(lim.rii_high) for lim in result.limits)


def test_without_a_log_fit_the_rii_is_withheld_and_the_note_names_the_end():
    counts = STEEP_COUNTS.copy()
    counts[-1] = 0  # no events in the least deprived decile: ln 0 rules out the log fit
    rate, low, high = stats.rate_with_interval(counts, DECILE_POP)
    result = stats.slope_index(rate, low, high, DECILE_POP, draws=2000)
    assert result.transform == "none" and math.isnan(result.rii)
    assert all(math.isnan(lim.rii_low) and math.isnan(lim.rii_high) for lim in result.limits)
    assert "at the least deprived end" in result.rii_note and "value of 0" in result.rii_note
    assert result.sii == pytest.approx(stats.fit_slope_index(rate, DECILE_POP)[1], rel=1e-12)
    assert result.as_dict()["rii"] is None


def test_values_whose_line_crosses_zero_have_no_rii():
    y = np.linspace(4.0, -3.0, 10)  # a value that changes sign: no ratio of ends means anything
    result = stats.slope_index(y, y - 1, y + 1, DECILE_POP, scale="linear", draws=500)
    assert math.isnan(result.rii) and "least deprived end" in result.rii_note
    mirrored = stats.slope_index(-y, -y - 1, -y + 1, DECILE_POP, scale="linear", draws=500)
    assert "most deprived end" in mirrored.rii_note


def test_proportions_use_the_logit_scale():
    share = np.linspace(0.30, 0.10, 10)
    n = np.full(10, 400.0)
    p, low, high = stats.proportion_with_interval(share * n, n)
    result = stats.slope_index(p, low, high, n, scale="logit", transform=True, draws=2000)
    t0, t1 = stats.fit_slope_index(np.log(p / (1 - p)), n)
    expit = 1 / (1 + np.exp(-np.array([t0, t0 + t1])))
    assert result.rii == pytest.approx(expit[1] / expit[0], rel=1e-12)
    assert result.transform == "logit" and 0 < result.rii_low < result.rii < result.rii_high


def test_linear_scale_interval_matches_the_analytic_standard_error():
    se = np.full(10, 0.8)
    y = DECILE_RATE
    result = stats.slope_index(
        y, y - Z * se, y + Z * se, DECILE_POP, scale="linear", draws=20_000, seed=1
    )
    # beta1 is linear in y: beta1 = Σ c_j y_j, so its standard error is sqrt(Σ c_j² se_j²).
    a, b = stats.cumulative_midpoints(DECILE_POP)
    c = a * (b - a @ b) / (a @ (b - a @ b) ** 2)
    half = Z * math.sqrt(np.sum(c**2 * se**2))
    assert result.sii_low == pytest.approx(result.sii - half, abs=0.03 * half)
    assert result.sii_high == pytest.approx(result.sii + half, abs=0.03 * half)


def test_a_decile_with_no_events_is_drawn_on_the_linear_scale_without_warnings():
    counts = np.array([30, 22, 19, 12, 10, 8, 5, 3, 1, 0.0])
    rate, low, high = stats.rate_with_interval(counts, DECILE_POP)
    result = stats.slope_index(rate, low, high, DECILE_POP, seed=3)
    assert math.isfinite(result.sii_low) and math.isfinite(result.sii_high)
    assert result.sii_low < result.sii < result.sii_high < 0


def test_unknown_scale_level_or_transform_is_refused():
    with pytest.raises(ValueError, match="scale"):
        stats.slope_index([1, 2], [0, 1], [2, 3], [1, 1], scale="sqrt")
    with pytest.raises(ValueError, match="confidence"):
        stats.slope_index([1, 2], [0, 1], [2, 3], [1, 1], levels=(0.95, 0.5))
    with pytest.raises(ValueError, match="transformed"):
        stats.slope_index([1, 2], [0, 1], [2, 3], [1, 1], scale="linear", transform=True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stats.slope_index([0.2, 1.5], [0.1, 1], [0.3, 2], [1, 1], scale="logit")


def test_95_percent_intervals_cover_a_known_slope_about_95_percent_of_the_time():
    rng = np.random.default_rng(2024)
    pop = rng.integers(3_000, 9_000, size=10).astype(float)
    _, b = stats.cumulative_midpoints(pop)
    true_sii = -12.0
    true_rate = 25.0 + true_sii * b  # per 1,000, exactly linear in the relative rank
    assert stats.fit_slope_index(true_rate, pop)[1] == pytest.approx(true_sii, abs=1e-9)

    replicates, covered = 300, 0
    for _ in range(replicates):
        counts = rng.poisson(true_rate * pop / 1000.0)
        rate, low, high = stats.rate_with_interval(counts, pop)
        result = stats.slope_index(rate, low, high, pop, draws=2000, seed=int(rng.integers(1e9)))
        covered += result.sii_low <= true_sii <= result.sii_high
    assert 0.88 <= covered / replicates <= 0.995


# --- concentration index ------------------------------------------------------------------------


def test_concentration_index_by_hand_for_three_groups():
    # a = (1/4, 1/4, 1/2), b = (1/8, 3/8, 3/4), y = (4, 2, 1):
    # mu = 1 + 1/2 + 1/2 = 2; Σ a y b = 1/8 + 3/16 + 3/8 = 11/16; C = (2/2)(11/16) - 1 = -5/16.
    assert stats.concentration_index([4.0, 2.0, 1.0], [1, 1, 2]) == pytest.approx(-0.3125)
    # Reversed, the burden sits with the least deprived and the sign flips to positive.
    assert stats.concentration_index([1.0, 2.0, 4.0], [2, 1, 1]) == pytest.approx(0.3125)


def test_concentration_index_is_zero_when_everyone_has_the_same_value():
    assert stats.concentration_index(np.full(10, 7.5), DECILE_POP) == pytest.approx(0, abs=1e-12)


# --- properties ---------------------------------------------------------------------------------

populations = st.lists(st.integers(100, 100_000), min_size=10, max_size=10).map(
    lambda v: np.array(v, dtype=float)
)


@FEW
@given(
    counts=st.lists(st.integers(0, 400), min_size=10, max_size=10),
    pop=populations,
    k=st.floats(0.01, 100.0),
)
def test_scaling_y_scales_the_sii_and_leaves_the_rii_alone(counts, pop, k):
    rate, low, high = stats.rate_with_interval(np.array(counts, dtype=float), pop)
    one = stats.slope_index(rate, low, high, pop, draws=300)
    scaled = stats.slope_index(k * rate, k * low, k * high, pop, draws=300)
    for field in ("sii", "sii_low", "sii_high"):
        assert getattr(scaled, field) == pytest.approx(k * getattr(one, field), rel=1e-9, abs=1e-9)
    for field in ("rii", "rii_low", "rii_high", "concentration"):
        np.testing.assert_allclose(
            getattr(scaled, field), getattr(one, field), rtol=1e-9, atol=1e-12
        )


@FEW
@given(rate=st.floats(0.1, 1000.0), pop=populations)
def test_a_uniform_rate_has_no_slope(rate, pop):
    y = np.full(10, rate)
    result = stats.slope_index(y, 0.9 * y, 1.1 * y, pop, draws=0)
    assert abs(result.sii) < 1e-9
    assert result.rii == pytest.approx(1.0, abs=1e-12)
    assert abs(result.concentration) < 1e-12


@FEW
@given(data=st.data(), n_areas=st.integers(10, 60))
def test_the_order_of_areas_within_deciles_does_not_matter(data, n_areas):
    decile = np.array(data.draw(st.lists(st.integers(0, 9), min_size=n_areas, max_size=n_areas)))
    pop = np.array(data.draw(st.lists(st.integers(50, 3000), min_size=n_areas, max_size=n_areas)))
    counts = np.array(data.draw(st.lists(st.integers(0, 80), min_size=n_areas, max_size=n_areas)))
    order = np.array(data.draw(st.permutations(range(n_areas))))

    def by_decile(decile, counts, pop):
        rate, low, high = stats.rate_with_interval(
            np.bincount(decile, weights=counts, minlength=10),
            np.bincount(decile, weights=pop, minlength=10),
        )
        return stats.slope_index(rate, low, high, np.bincount(decile, pop, 10), draws=200)

    shuffled = by_decile(decile[order], counts[order], pop[order])
    assert by_decile(decile, counts, pop).as_dict() == shuffled.as_dict()  # NaN as None


# --- area-level values --------------------------------------------------------------------------


def test_value_interval_by_hand_for_three_areas():
    # Group 0: values 1, 2, 4 with weights 1, 1, 2. Σw = 4, mean = (1 + 2 + 8)/4 = 2.75.
    # Residuals -1.75, -0.75, 1.25; Σ w²r² = 3.0625 + 0.5625 + 6.25 = 9.875; se = √9.875 / 4.
    # Group 1: one area -> mean, no interval. Group 2: only a missing value -> nothing.
    mean, low, high, n = stats.value_with_interval(
        values=[1.0, 2.0, 4.0, 7.0, np.nan],
        weights=[1.0, 1.0, 2.0, 3.0, 1.0],
        groups=[0, 0, 0, 1, 2],
        n_groups=3,
    )
    half = sps.t.ppf(0.975, 2) * math.sqrt(9.875) / 4
    assert n.tolist() == [3, 1, 0]
    assert mean[0] == 2.75 and mean[1] == 7.0 and np.isnan(mean[2])
    assert (low[0], high[0]) == pytest.approx((2.75 - half, 2.75 + half))
    assert (low[0], high[0]) == pytest.approx((-0.630219, 6.130219), abs=1e-6)
    assert np.isnan([low[1], high[1], low[2], high[2]]).all()


def test_weighted_rate_intervals_do_not_depend_on_the_unit():
    """Connectors in kW or in W: the same relative interval (compound Poisson, not Byar)."""
    kw = np.array([50.0, 7.0, 22.0])
    rate_kw, low_kw, high_kw = stats.weighted_rate_with_interval([kw.sum()], [(kw ** 2).sum()],
                                                           [1000.0])
    w = kw * 1000
    rate_w, low_w, high_w = stats.weighted_rate_with_interval([w.sum()], [(w ** 2).sum()], [1000.0])
    assert rate_w[0] == pytest.approx(1000 * rate_kw[0])
    assert low_w[0] / rate_w[0] == pytest.approx(low_kw[0] / rate_kw[0])
    assert high_w[0] / rate_w[0] == pytest.approx(high_kw[0] / rate_kw[0])


def test_weights_of_one_give_an_interval_close_to_byar():
    n = 40
    _, low, high = stats.weighted_rate_with_interval([float(n)], [float(n)], [1000.0], per=1000.0)
    b_low, b_high = stats.byar_interval(np.array([float(n)]))
    assert low[0] == pytest.approx(b_low[0], rel=0.08)
    assert high[0] == pytest.approx(b_high[0], rel=0.08)


def test_a_group_with_no_weight_gets_a_finite_upper_limit():
    _, low, high = stats.weighted_rate_with_interval([0.0, 30.0], [0.0, 300.0], [500.0, 500.0])
    assert low[0] == 0 and 0 < high[0] < np.inf


def test_benjamini_hochberg_q_values_match_scipy_and_keep_the_input_order():
    from scipy.stats import false_discovery_control

    p = np.array([0.04, 0.001, 0.5, 0.03, 0.02, 0.8, 0.0101])
    q = stats.bh_adjust(p)
    assert q == pytest.approx(false_discovery_control(p, method="bh"), rel=1e-12)
    # by hand: the smallest, 0.001, becomes 0.001·7/1; the largest stays itself
    assert q[1] == pytest.approx(0.007) and q[5] == pytest.approx(0.8)
    assert np.all(q >= p) and stats.bh_adjust([]).size == 0
