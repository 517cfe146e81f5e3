"""Units and clustering: rows that stand together are not independent events.

The spread of each group's count between its areas gives a quasi-Poisson scale φ; PHE's
interval on the effective count O/φ is the clustering-aware interval. Simulations with a known
truth show that it keeps its 95% promise where PHE's interval, which takes every row as an
independent event, does not."""

from __future__ import annotations

import time

import numpy as np
import pytest

from commonground.lens import clustering, compare, stats


def test_a_scale_by_hand_for_a_group_whose_rows_stand_together():
    # group 0: three areas of 1,000 residents with 10, 0 and 2 rows; group 1: Poisson-like
    y = np.array([10.0, 0.0, 2.0, 3.0, 4.0, 3.0])
    pop = np.full(6, 1000.0)
    groups = np.array([0, 0, 0, 1, 1, 1])
    spread = clustering.group_dispersion(y, y, pop, groups, 2)
    # r_0 = 12 / 3000; residuals 6, -4, -2; V = 3/2 · (36 + 16 + 4) = 84; B = 12; φ = 7
    assert spread.robust[0] == pytest.approx(84.0)
    assert spread.phi[0] == pytest.approx(7.0) and spread.effective[0] == pytest.approx(12 / 7)
    # group 1 varies less than a Poisson count would: φ is never below 1 (PHE's interval)
    assert spread.robust[1] < spread.assumed[1] and spread.phi[1] == 1.0
    assert spread.pooled == pytest.approx((84.0 + spread.robust[1]) / 22.0)
    assert spread.as_rows()[0]["dispersion_from"] == "its areas"


def test_groups_that_cannot_show_their_own_spread_take_the_pooled_scale():
    y = np.array([10.0, 0.0, 2.0, 0.0, 0.0, 5.0])
    pop = np.full(6, 1000.0)
    groups = np.array([0, 0, 0, 1, 1, 2])  # group 1 has no rows, group 2 one area
    spread = clustering.group_dispersion(y, y, pop, groups, 3)
    assert spread.phi[1] == spread.pooled == spread.phi[2] == pytest.approx(7.0)
    assert [r["dispersion_from"] for r in spread.as_rows()] == ["its areas", "pooled", "pooled"]
    # areas outside every group (no decile) are left out
    outside = clustering.group_dispersion(np.append(y, 99.0), np.append(y, 99.0),
                                          np.append(pop, 10.0), np.append(groups, -1), 3)
    assert np.array_equal(outside.phi, spread.phi)


def test_the_scale_does_not_depend_on_the_order_of_areas():
    rng = np.random.default_rng(4)
    y = rng.poisson(3, 200).astype(float) * rng.integers(1, 6, 200)
    pop = rng.integers(1000, 2000, 200).astype(float)
    groups = rng.integers(0, 10, 200)
    order = rng.permutation(200)
    a = clustering.group_dispersion(y, y, pop, groups, 10)
    b = clustering.group_dispersion(y[order], y[order], pop[order], groups[order], 10)
    assert np.array_equal(a.phi, b.phi) and a.pooled == b.pooled


def test_effective_points_for_counts_and_weighted_sums():
    y = np.array([10.0, 0.0, 2.0, 3.0, 4.0, 3.0])
    pop = np.full(6, 1000.0)
    groups = np.array([0, 0, 0, 1, 1, 1])
    counts = clustering.group_dispersion(y, y, pop, groups, 2)
    # 12 rows worth 12/7 events, 10 rows worth 10: round(22² / (7·12 + 10))
    assert clustering.effective_points(22.0, counts) == round(22 ** 2 / 94)
    # weights all 1 with no clustering: Kish's effective number is the number of rows
    flat = np.ones(6)
    weights = clustering.group_dispersion(flat, flat, pop, groups, 2)
    assert clustering.effective_points(6.0, weights) == 6
    assert clustering.effective_points(0.0, weights) == 0


def test_the_largest_area_and_its_share():
    assert clustering.largest_area([1.0, 91.0, 8.0]) == (1, pytest.approx(0.91))
    assert clustering.largest_area([0.0, 0.0]) == (-1, 0.0)


def test_a_ratio_of_effective_counts_keeps_the_rates_and_widens_the_interval():
    phe = compare.count_rate_ratio(40, 10_000, 20, 10_000)
    wide = compare.count_rate_ratio(40, 10_000, 20, 10_000, phi1=8.0, phi2=8.0)
    assert wide.ratio == pytest.approx(phe.ratio) == pytest.approx(2.0)
    assert wide.low < phe.low and wide.high > phe.high
    assert phe.clear and not wide.clear
    with pytest.raises(ValueError, match="at least 1"):
        compare.count_rate_ratio(4, 10, 2, 10, phi1=0.5)


# --- coverage: simulations with a known truth ----------------------------------------------

AREAS = 100
RUNS = 500


def _city(seed: int):
    """100 areas in five deprivation groups of twenty, 1,200 to 2,400 residents each."""
    rng = np.random.default_rng(seed)
    pop = rng.integers(1200, 2400, AREAS).astype(float)
    group = np.arange(AREAS) % 5  # 0 = most deprived
    return rng, pop, group


def _banks(rng, sites: np.ndarray, mean_bank: float) -> np.ndarray:
    """Rows per area when each site holds a bank of 1 + NegBin rows (mean ``mean_bank``)."""
    total = int(sites.sum())
    sizes = 1 + rng.negative_binomial(1, 1 / mean_bank, total)
    area = np.repeat(np.arange(len(sites)), sites)
    return np.bincount(area, weights=sizes, minlength=len(sites)).astype(float)


def _intervals(y, pop, group):
    """(rate, low, high) per group at 95%, clustering-aware and PHE's, per 1,000 residents."""
    spread = clustering.group_dispersion(y, y, pop, group, 5)
    totals = np.bincount(group, y, 5)
    residents = np.bincount(group, pop, 5)
    robust = stats.rate_with_interval(totals / spread.phi, residents / spread.phi)
    phe = stats.rate_with_interval(totals, residents)
    return totals, residents, spread.phi, robust, phe


def _coverage(seed: int, gradient: float, hub: float, mean_bank: float = 3.0):
    """Share of runs whose interval holds the true quintile ratio and the true group rates.

    Sites fall in each area as a Poisson count (``gradient`` times as many per resident in
    the most deprived fifth as in the least), each with a bank of rows; ``hub``: one more
    site of that many rows, always in the same area of the most deprived fifth (a city-centre
    car park), part of the truth like everything else."""
    rng, pop, group = _city(seed)
    site_rate = np.linspace(gradient, 1.0, 5)[group] / 1500  # sites per resident
    expected = site_rate * pop * mean_bank  # rows per area
    expected[0] += hub  # area 0 is in group 0, the most deprived fifth
    true_rate = 1000 * np.bincount(group, expected, 5) / np.bincount(group, pop, 5)
    true_ratio = true_rate[4] / true_rate[0]
    hits = {"ratio": 0, "ratio_phe": 0, "rate": 0, "rate_phe": 0}
    for _ in range(RUNS):
        y = _banks(rng, rng.poisson(site_rate * pop), mean_bank)
        y[0] += hub
        totals, residents, phi, robust, phe = _intervals(y, pop, group)
        ratio = compare.count_rate_ratio(totals[4], residents[4], totals[0], residents[0],
                                         phi1=phi[4], phi2=phi[0])
        plain = compare.count_rate_ratio(totals[4], residents[4], totals[0], residents[0])
        hits["ratio"] += ratio.low <= true_ratio <= ratio.high
        hits["ratio_phe"] += plain.low <= true_ratio <= plain.high
        hits["rate"] += np.mean((robust[1] <= true_rate) & (true_rate <= robust[2]))
        hits["rate_phe"] += np.mean((phe[1] <= true_rate) & (true_rate <= phe[2]))
    return {k: v / RUNS for k, v in hits.items()}


@pytest.mark.parametrize("scenario, gradient, hub", [
    ("a known true gradient: twice the sites in the most deprived fifth", 2.0, 0.0),
    ("one dominating site of 80 rows on top of the banks", 1.0, 80.0),
])
def test_the_clustering_aware_interval_keeps_its_95_percent_promise(scenario, gradient, hub):
    started = time.perf_counter()
    covered = _coverage(seed=11, gradient=gradient, hub=hub)
    assert time.perf_counter() - started < 20, "the simulation must run in seconds"
    # over 500 runs: at least 90% for a 95% interval (binomial sd of the estimate ~1%)
    assert covered["ratio"] >= 0.90, (scenario, covered)
    assert covered["rate"] >= 0.90, (scenario, covered)
    # PHE's interval, which takes every row as an independent event, falls far short
    assert covered["ratio_phe"] < 0.80 and covered["rate_phe"] < 0.80, (scenario, covered)


def test_with_independent_rows_the_interval_is_phes():
    rng, pop, group = _city(3)
    hits = 0
    for _ in range(200):
        y = rng.poisson(pop / 1000).astype(float)
        totals, residents, phi, robust, phe = _intervals(y, pop, group)
        hits += np.all(np.isclose(robust[1], phe[1]) == (phi == 1.0))
    # Poisson counts: most groups keep φ = 1 and PHE's interval exactly
    assert hits == 200


def test_the_slope_index_from_clustering_aware_intervals_covers_the_true_gradient():
    """The straight-line SII (transform off) of the true group rates, from 500 runs whose
    group intervals are clustering-aware, each with 2,000 Monte Carlo draws."""
    rng, pop, group = _city(21)
    mean_bank = 3.0
    site_rate = np.linspace(2.0, 1.0, 5)[group] / 1500
    true_rate = 1000 * np.bincount(group, site_rate * pop * mean_bank, 5) / \
        np.bincount(group, pop, 5)
    residents = np.bincount(group, pop, 5)
    true_sii = stats.fit_slope_index(true_rate, residents)[1]
    hits = hits_phe = 0
    started = time.perf_counter()
    for run in range(RUNS):
        y = _banks(rng, rng.poisson(site_rate * pop), mean_bank)
        _, _, _, robust, phe = _intervals(y, pop, group)
        for got, interval in ((robust, "robust"), (phe, "phe")):
            s = stats.slope_index(*got, residents, transform=False, draws=2000, seed=run,
                                  levels=(0.95,))
            ok = s.sii_low <= true_sii <= s.sii_high
            if interval == "robust":
                hits += ok
            else:
                hits_phe += ok
    assert time.perf_counter() - started < 30
    assert hits / RUNS >= 0.90 and hits_phe / RUNS < 0.80, (hits, hits_phe)
