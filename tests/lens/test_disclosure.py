"""Disclosure control: primary and secondary cell suppression, audited by linear programming
(the smallest and largest value of every hidden count given everything shown)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.lens.disclosure import Suppression, intervals, suppress


def assert_no_single_hidden_cell(groups, result: Suppression):
    """Brute force: for every shown aggregate, the hidden cells' total (the aggregate minus its
    shown cells) is never the value of a single hidden cell — not even a zero."""
    for g, members in enumerate(groups):
        if not result.groups[g]:
            assert sum(1 for i in set(members) if result.cells[i]) != 1, (g, members)


def assert_protected(cells, groups, result: Suppression, *, integer: bool = False):
    """Every hidden count below the threshold, zero included, can be anything from 0 to
    threshold - 1 given what is shown (the reader's smallest and largest values, by linear
    programming over every table); and every hidden count's range starts at 0 or at the
    threshold or above, so no range says "a few are there"."""
    t = result.threshold
    audit = intervals(cells, groups, result, integer=integer)
    sums = np.array([np.asarray(cells)[list(g)].sum() for g in groups])
    for values, hidden, low, high in (
            (np.asarray(cells), result.cells, audit.cells_low, audit.cells_high),
            (sums, result.groups, audit.groups_low, audit.groups_high)):
        small = hidden & (values < t)
        assert np.all(low[small] <= 0) and np.all(high[small] >= t - 1), (low, high)
        assert np.all((low[hidden] == 0) | (low[hidden] >= t)), low
    assert not audit.cells_exposed.any() and not audit.groups_exposed.any()
    return audit


def test_a_decile_of_25_with_11_and_12_shown_does_not_pin_its_hidden_cells():
    # the example of issue 16: two hidden cells next to shown 11 and 12 in a decile of 25
    # sum to 2, so each is 0, 1 or 2 — "hidden" would tell that they are fewer than 3 (and,
    # were zeros shown, that both are 1)
    cells, decile = [1, 1, 11, 12], [[0, 1, 2, 3]]
    pair = Suppression(cells=np.array([True, True, False, False]), groups=np.array([False]),
                       threshold=10)
    narrow = intervals(cells, decile, pair)
    assert narrow.cells_low[:2].tolist() == [0, 0] and narrow.cells_high[:2].tolist() == [2, 2]
    assert narrow.cells_exposed.tolist() == [True, True, False, False]
    result = suppress(cells, decile)
    assert result.hidden_cells() == [0, 1, 2]  # 11 too: now each can be 0 to 13
    audit = assert_protected(cells, decile, result, integer=True)
    assert audit.cells_high[:3].tolist() == [13, 13, 13]


def test_single_small_cell_and_the_next_smallest():
    cells = [3, 15, 12, 20]
    result = suppress(cells, [[0, 1, 2, 3]])
    assert result.hidden_cells() == [0, 2]  # 3 is small; 12 is the next smallest
    assert result.hidden_groups() == []  # the total (50) is shown
    assert_no_single_hidden_cell([[0, 1, 2, 3]], result)
    assert result.mask_cells(cells) == [None, 15, None, 20]
    assert result.as_dict() == {"threshold": 10, "hidden_cells": [0, 2], "hidden_groups": []}
    assert_protected(cells, [[0, 1, 2, 3]], result)


def test_none_is_hidden_like_a_few():
    # presence is not disclosed: an empty cell is hidden as a small one is, and protected the
    # same way, so the published table is the same whether the small cell holds 0 or 3
    for small in (0, 3):
        result = suppress([small, 15, 12, 20], [[0, 1, 2, 3]])
        assert result.hidden_cells() == [0, 2]
    # two hidden zeros beside a shown total would both be known to be 0 (their sum is),
    # three small ones beside it known to be at most 3: each needs a partner of its own size
    assert suppress([0, 0, 15, 20], [[0, 1, 2, 3]]).hidden_cells() == [0, 1, 2]
    result = suppress([0, 3, 0, 15, 20], [[0, 1, 2, 3, 4]])
    assert result.hidden_cells() == [0, 1, 2, 3]
    assert_protected([0, 3, 0, 15, 20], [[0, 1, 2, 3, 4]], result)


def test_small_aggregate_is_hidden():
    result = suppress([2, 0, 40], [[0, 1], [0, 1, 2]])
    assert result.groups.tolist() == [True, False]
    # the city (42) is shown: it minus cell 2 would give the decile {0, 1}, so cell 2 is
    # hidden too
    assert result.hidden_cells() == [0, 1, 2]
    assert_protected([2, 0, 40], [[0, 1], [0, 1, 2]], result)


def test_an_area_of_no_cells_is_hidden_but_needs_no_partner():
    # group 1 contains no cell (an area no base area falls in): zero whatever the data
    result = suppress([15, 20], [[0, 1], []])
    assert result.groups.tolist() == [False, True] and result.hidden_cells() == []


def test_a_hidden_zero_is_protected_like_any_hidden_count():
    # cell 1 (12) is hidden to protect cell 0; then cell 2 (0) would follow from group {1, 2}
    # (12) and the city, so more is hidden until nothing follows
    cells = [3, 12, 0, 40]
    groups = [[0, 1], [1, 2], [0, 1, 2, 3]]
    result = suppress(cells, groups)
    assert result.cells[[0, 1, 2]].all()
    assert_no_single_hidden_cell(groups, result)
    assert_protected(cells, groups, result)


def test_the_reader_knows_the_rule():
    # all three cells hidden, the city hidden, {0, 2} = 21 and {1, 2} = 12 shown: cell 0 is
    # at least 9, so (the rule never leaves a small count's range above 0) it is not small:
    # at least 10; then cell 2 is at most 11 and cell 1 at least 1 — someone is there
    cells, groups = [15, 6, 6], [[0, 2], [1, 2], [0, 1, 2]]
    pattern = Suppression(cells=np.array([True, True, True]),
                          groups=np.array([False, False, True]), threshold=10)
    audit = intervals(cells, groups, pattern)
    assert audit.cells_low.tolist() == [10, 1, 0] and audit.cells_exposed.tolist() == [
        False, True, False]
    assert_protected(cells, groups, suppress(cells, groups))


# ten deciles of two cells each; quintiles are pairs of deciles; then the city
DECILES = [[2 * d, 2 * d + 1] for d in range(10)]
QUINTILES = [DECILES[2 * q] + DECILES[2 * q + 1] for q in range(5)]
CITY = [list(range(20))]
NESTED = DECILES + QUINTILES + CITY


def test_small_decile_hides_a_sibling_decile():
    cells = np.array([3, 4, 20, 30] + [25] * 16)
    result = suppress(cells, NESTED)
    assert result.groups[0]  # decile 0 sums to 7: primary
    assert result.groups[1]  # its sibling in quintile 0, else decile 0 = quintile 0 - decile 1
    assert not result.groups[10]  # quintile 0 (57) is shown
    assert not result.groups[2:10].any() and not result.groups[11:].any()
    assert result.cells[[0, 1]].all()
    assert result.cells[2]  # decile 1 hidden while its cells are shown would give it away
    assert_no_single_hidden_cell(NESTED, result)
    assert_protected(cells, NESTED, result)


def test_a_few_small_counts_in_crossing_tables_hide_a_few_more_not_most():
    # a hundred counts summed three ways (rows, columns and a shuffled family crossing both,
    # like wards, MSOAs and deciles) and in all, six of them small: each small count needs
    # partners in each family it is in, and a handful per small count is enough — the
    # one-relation rule with the exact-recovery audit hid 42 here
    rng = np.random.default_rng(0)
    cells = rng.integers(12, 60, 100).astype(float)
    small = rng.choice(100, 6, replace=False)
    cells[small] = rng.integers(0, 10, 6)
    i = np.arange(100)
    shuffled = rng.permutation(100)
    groups = ([i[i // 10 == k] for k in range(10)] + [i[i % 10 == k] for k in range(10)]
              + [shuffled[10 * k:10 * k + 10] for k in range(10)] + [i])
    result = suppress(cells, groups)
    assert result.cells[small].all() and not result.groups.any()
    assert result.cells.sum() <= len(small) * 5
    assert_protected(cells, groups, result)


def test_threshold_configurable():
    cells = [4, 6, 30, 40]
    assert suppress(cells, [[0, 1, 2, 3]], threshold=5).hidden_cells() == [0, 1]
    assert suppress(cells, [[0, 1, 2, 3]], threshold=3).hidden_cells() == []
    assert suppress(cells, [[0, 1, 2, 3]], threshold=7).threshold == 7
    with pytest.raises(ValueError):
        suppress(cells, [[0, 1, 2, 3]], threshold=0)


def test_identical_groups_share_fate():
    result = suppress([3, 4, 20], [[0, 1], [1, 0]])
    assert result.groups.tolist() == [True, True]


def test_overlapping_groups_are_read_together():
    # a + b, b + c and a + c together give each of a, b, c, though no total has one hidden
    # term alone
    cells = [3, 15, 12, 20]
    groups = [[0, 1], [1, 2], [0, 2]]
    pairs = Suppression(cells=np.array([True, True, True, False]),
                        groups=np.array([False, False, False]), threshold=10)
    assert_no_single_hidden_cell(groups, pairs)
    audit = intervals(cells, groups, pairs)
    assert audit.cells_low.tolist() == audit.cells_high.tolist() == cells
    assert audit.cells_exposed.tolist() == [True, False, False, False]  # 15, 12 are not small
    result = suppress(cells, groups)
    assert_protected(cells, groups, result)
    assert_no_single_hidden_cell(groups, result)


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        suppress([-1, 2], [[0, 1]])
    with pytest.raises(ValueError):
        suppress([1, 2], [[0, 5]])


@st.composite
def nested_tables(draw):
    """Random counts; cells shuffled into leaves, leaves paired into parents, then the city;
    sometimes an extra aggregate overlapping the hierarchy."""
    n = draw(st.integers(2, 16))
    cells = draw(st.lists(st.integers(0, 25), min_size=n, max_size=n))
    order = draw(st.permutations(range(n)))
    cuts = sorted(draw(st.sets(st.integers(1, n - 1), max_size=n - 1)))
    leaves = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    parents = [leaves[i] + leaves[i + 1] if i + 1 < len(leaves) else leaves[i]
               for i in range(0, len(leaves), 2)]
    groups = leaves + parents + [list(range(n))]
    families = [(len(leaves) + p, [2 * p, 2 * p + 1]) for p in range(len(parents))
                if 2 * p + 1 < len(leaves)]
    families.append((len(groups) - 1, list(range(len(leaves), len(leaves) + len(parents)))))
    if draw(st.booleans()):
        groups.append(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    threshold = draw(st.integers(2, 12))
    return cells, groups, families, threshold


@settings(max_examples=150, deadline=None)
@given(nested_tables())
def test_property_nothing_follows_by_subtraction(table):
    cells, groups, families, threshold = table
    result = suppress(cells, groups, threshold=threshold)
    cells = np.array(cells)
    # primary suppression, none included
    assert result.cells[cells < threshold].all()
    sums = np.array([cells[g].sum() for g in groups])
    assert result.groups[sums < threshold].all()
    # no shown aggregate with exactly one hidden cell
    assert_no_single_hidden_cell(groups, result)
    # no shown parent with exactly one hidden child aggregate
    for parent, children in families:
        if len(children) > 1 and not result.groups[parent]:
            hidden_children = [c for c in children if result.groups[c]]
            assert len(hidden_children) != 1, (parent, children)
    # and every small hidden count can be anything from 0 to threshold - 1, all the
    # relations and the bounds read together
    assert_protected(cells, groups, result)


@st.composite
def crossing_tables(draw):
    """Random counts and random published sums over them (each a random set of cells, plus
    the whole): tables that cross each other as deciles of two indices, wards and MSOAs do."""
    n = draw(st.integers(2, 10))
    cells = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    groups = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True),
                           min_size=1, max_size=6))
    return cells, [*groups, list(range(n))], draw(st.integers(2, 12))


@settings(max_examples=60, deadline=None)
@given(crossing_tables())
def test_property_every_small_count_keeps_its_whole_range(table):
    cells, groups, threshold = table
    result = suppress(cells, groups, threshold=threshold)
    assert result.cells[np.array(cells) < threshold].all()
    assert_no_single_hidden_cell(groups, result)
    assert_protected(cells, groups, result)
