"""Disclosure control: primary and secondary cell suppression, and the linear audit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.lens.disclosure import Suppression, recoverable, suppress


def assert_no_single_hidden_cell(groups, result: Suppression):
    """Brute force: for every shown aggregate, the hidden cells' total (the aggregate minus its
    shown cells) is never the value of a single hidden cell — not even a zero."""
    for g, members in enumerate(groups):
        if not result.groups[g]:
            assert sum(1 for i in set(members) if result.cells[i]) != 1, (g, members)


def test_single_small_cell_and_the_next_smallest():
    cells = [3, 15, 12, 20]
    result = suppress(cells, [[0, 1, 2, 3]])
    assert result.hidden_cells() == [0, 2]  # 3 is small; 12 is the next smallest
    assert result.hidden_groups() == []  # the total (50) is shown
    assert_no_single_hidden_cell([[0, 1, 2, 3]], result)
    assert result.mask_cells(cells) == [None, 15, None, 20]
    assert result.as_dict() == {"threshold": 10, "hidden_cells": [0, 2], "hidden_groups": []}


def test_none_is_hidden_like_a_few():
    # presence is not disclosed: an empty cell is hidden as a small one is, and protected the
    # same way, so the published table is the same whether the small cell holds 0 or 3
    for small in (0, 3):
        result = suppress([small, 15, 12, 20], [[0, 1, 2, 3]])
        assert result.hidden_cells() == [0, 2]
    assert suppress([0, 0, 15, 20], [[0, 1, 2, 3]]).hidden_cells() == [0, 1]  # each hides each
    result = suppress([0, 3, 0, 15, 20], [[0, 1, 2, 3, 4]])
    assert result.hidden_cells() == [0, 1, 2]  # three hidden: none needs a partner


def test_small_aggregate_is_hidden():
    result = suppress([2, 0, 40], [[0, 1], [0, 1, 2]])
    assert result.groups.tolist() == [True, False]
    # the city (42) is shown: it minus cell 2 would give the decile {0, 1}, so cell 2 is
    # hidden too
    assert result.hidden_cells() == [0, 1, 2]
    assert not any(a.any() for a in recoverable([2, 0, 40], [[0, 1], [0, 1, 2]], result))


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
    assert not any(a.any() for a in recoverable(cells, groups, result))


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
    assert not any(a.any() for a in recoverable(cells, NESTED, result))


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


def test_overlapping_groups_need_the_audit():
    # a + b, b + c and a + c together give each of a, b, c
    cells = [3, 15, 12, 20]
    groups = [[0, 1], [1, 2], [0, 2]]
    naive = suppress(cells, groups, audit=False)
    assert naive.hidden_cells() == [0, 1, 2] and not naive.groups.any()
    exposed_cells, _ = recoverable(cells, groups, naive)
    assert exposed_cells.tolist() == [True, True, True, False]
    audited = suppress(cells, groups)
    assert not any(a.any() for a in recoverable(cells, groups, audited))
    assert_no_single_hidden_cell(groups, audited)


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
    # and nothing hidden is recoverable from all the relations together
    exposed_cells, exposed_groups = recoverable(cells, groups, result)
    assert not exposed_cells.any() and not exposed_groups.any()
