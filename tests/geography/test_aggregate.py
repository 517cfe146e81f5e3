"""Aggregation rules, checked by hand."""

import numpy as np
from scipy import sparse

from commonground.geography import aggregate

W = np.array([[1.0, 1.0, 0.0], [0.0, 0.5, 1.0]])


def test_counts_are_summed_with_membership_weights():
    counts = np.array([10.0, 20.0, 30.0])
    assert aggregate.weighted_sum(W, counts).tolist() == [30.0, 40.0]


def test_missing_counts_are_skipped_and_all_missing_is_nan():
    counts = np.array([10.0, np.nan, np.nan])
    out = aggregate.weighted_sum(W, counts)
    assert out[0] == 10.0 and np.isnan(out[1])


def test_scores_are_population_weighted_means():
    scores = np.array([10.0, 20.0, 40.0])
    population = np.array([100.0, 300.0, 100.0])
    # area 0: (10·100 + 20·300) / 400 = 17.5; area 1: (20·150 + 40·100) / 250 = 28
    assert aggregate.population_weighted_mean(W, scores, population).tolist() == [17.5, 28.0]


def test_a_sparse_membership_matrix_aggregates_as_the_dense_one():
    counts = np.array([[10.0, 1.0], [np.nan, 2.0], [30.0, np.nan]])
    population = np.array([100.0, 300.0, np.nan])
    for values in (counts, counts[:, 0]):
        assert np.allclose(aggregate.weighted_sum(sparse.csr_array(W), values),
                           aggregate.weighted_sum(W, values), equal_nan=True)
        assert np.allclose(aggregate.population_weighted_mean(sparse.csr_array(W), values, population),
                           aggregate.population_weighted_mean(W, values, population), equal_nan=True)


def test_ranks_put_the_highest_score_first_and_share_ties():
    assert aggregate.rank_descending(np.array([3.0, 1.0, 3.0, np.nan, 5.0])).tolist() == [2, 4, 2, 0, 1]
    assert aggregate.rank_ascending(np.array([3.0, 1.0, 3.0, np.nan, 5.0])).tolist() == [2, 1, 2, 0, 4]


def test_one_value_s_rank_among_its_peers_is_its_rank_of_all_of_them():
    """An area's rank (1 = the smallest, ties shared, no rank for no value) among every
    ranked peer or only those of its group (its authority), and how many are ranked."""
    values = np.array([3.0, 1.0, 3.0, np.nan, 5.0, 2.0])
    group = np.array([True, False, True, True, True, False])
    everyone, in_group = aggregate.rank_ascending(values), aggregate.rank_ascending(values[group])
    for k, value in enumerate(values):
        assert aggregate.rank_among(values, value) == (everyone[k], 5)
        if group[k]:
            assert aggregate.rank_among(values, value, group) == (in_group[group[:k].sum()], 3)
    assert aggregate.rank_among(values, 2.5, group) == (1, 3)  # a value none of them has


def test_every_area_s_distribution_at_once_is_each_area_s_distribution():
    categories, population = np.array([1, 2, 1]), np.array([100.0, 300.0, np.nan])
    for matrix in (W, sparse.csr_array(W)):
        total, residents, members = aggregate.distributions(matrix, categories, population, [1, 2])
        for i in range(len(W)):
            one = aggregate.distribution(W[i], categories, population, [1, 2])
            assert [d["areas"] for d in one] == members[i].tolist()
            assert [d["residents"] for d in one] == [round(r) for r in residents[i]]
            assert [d["share"] for d in one] == [r / total[i] for r in residents[i]]


def test_distribution_counts_members_and_residents_per_level():
    dist = aggregate.distribution(np.array([1.0, 1.0, 0.0]), np.array([1, 2, 1]), np.array([100.0, 300.0, 50.0]), [1, 2])
    assert dist == [{"level": 1, "areas": 1, "residents": 100, "share": 0.25},
                    {"level": 2, "areas": 1, "residents": 300, "share": 0.75}]


def test_one_area_s_distribution_from_its_members_is_exactly_its_row_of_every_area_s():
    """``row_distribution`` (one area, its members alone) gives bit for bit its row of
    ``distributions`` (every area at once, a sparse product): the same sums in the same order."""
    rng = np.random.default_rng(20)
    n_areas, n_base, levels = 40, 3000, list(range(1, 11))
    rows = rng.integers(0, n_areas, 9000)
    cols = rng.integers(0, n_base, 9000)
    weights = np.where(rng.random(9000) < 0.8, 1.0, rng.random(9000))
    matrix = sparse.coo_array((weights, (rows, cols)), shape=(n_areas, n_base)).tocsr()
    matrix.sum_duplicates()
    matrix.sort_indices()
    categories = np.where(rng.random(n_base) < 0.05, np.nan, rng.integers(1, 11, n_base).astype(float))
    population = np.where(rng.random(n_base) < 0.02, np.nan, rng.random(n_base) * 2000)
    total, residents, members = aggregate.distributions(matrix, categories, population, levels)
    for i in range(n_areas):
        span = slice(matrix.indptr[i], matrix.indptr[i + 1])
        base = matrix.indices[span]
        one_total, one_residents, one_members = aggregate.row_distribution(
            matrix.data[span], categories[base], population[base], levels)
        assert one_total == total[i]
        assert one_residents.tolist() == residents[i].tolist()
        assert one_members.tolist() == members[i].tolist()


def test_several_categories_distributions_at_once_are_each_alone_bit_for_bit():
    """``row_distributions`` (every decile of a source in one pass) gives, for each category,
    exactly ``row_distribution`` of it alone; levels in any order, NaN and values outside
    the levels counted in none."""
    rng = np.random.default_rng(21)
    n = 2500
    weights = np.where(rng.random(n) < 0.7, 1.0, rng.random(n))
    weights[::11] = 0.0
    categories = rng.integers(0, 13, (n, 6)).astype(float)
    categories[rng.random((n, 6)) < 0.05] = np.nan
    population = np.where(rng.random(n) < 0.02, np.nan, rng.random(n) * 2000)
    for levels in (list(range(1, 11)), [7, 2, 5], []):
        total, residents, members = aggregate.row_distributions(weights, categories, population, levels)
        assert residents.shape == members.shape == (6, len(levels))
        for j in range(6):
            one_total, one_residents, one_members = aggregate.row_distribution(
                weights, categories[:, j], population, levels)
            assert one_total == total
            assert one_residents.tolist() == residents[j].tolist()
            assert one_members.tolist() == members[j].tolist()
            # and by definition: the residents and members at each level
            for k, level in enumerate(levels):
                at = categories[:, j] == level
                assert members[j, k] == np.count_nonzero(at & (weights > 0))
                assert np.isclose(residents[j, k], (weights * np.nan_to_num(population))[at].sum())
