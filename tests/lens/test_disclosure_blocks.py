"""Deciding a national table part by part (``lens.disclosure``, ``blocks``) keeps the guarantee
of deciding it whole: given everything shown — every authority's own tables and the deciles,
quintiles and totals that cross authorities — every hidden count below the threshold, zero
included, can still be anything from 0 to threshold - 1 (the reader's linear programme,
``intervals``). Checked on generated authorities with nested areas and crossing deciles, on
random tables cut into random blocks, and on Milton Keynes' own published tables."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.lens import disclosure
from commonground.lens.disclosure import suppress

from .test_disclosure import assert_no_single_hidden_cell, assert_protected


def authorities(seed: int, sizes=(30, 24, 36, 18, 6), mean: float = 4.0):
    """Generated authorities: MSOAs of 6 neighbourhoods, wards of 8 that cross them, each
    authority's total; quintiles of two deprivation indices across authorities (correlated,
    as editions are), and the country. Counts: Poisson, most below 10."""
    rng = np.random.default_rng(seed)
    groups, start = [], 0
    for m in sizes:
        ids = np.arange(start, start + m)
        start += m
        groups.append(ids)
        groups += [ids[k:k + 6] for k in range(0, m, 6)]
        perm = rng.permutation(ids)
        groups += [np.sort(perm[k:k + 8]) for k in range(0, m, 8)]
    n = start
    score = rng.normal(size=n) + np.repeat(rng.normal(size=len(sizes)), sizes)
    for index in (score, score + rng.normal(scale=0.5, size=n)):
        quintile = np.argsort(np.argsort(index)) * 5 // n
        groups += [np.flatnonzero(quintile == q) for q in range(5)]
    groups.append(np.arange(n))
    cells = rng.poisson(mean * np.exp(0.5 * rng.normal(size=n))).astype(float)
    return cells, groups, np.repeat(np.arange(len(sizes)), sizes)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_authorities_decided_one_by_one_leave_every_small_count_its_whole_range(seed):
    cells, groups, authority = authorities(seed)
    result = suppress(cells, groups, threshold=10, blocks=authority)
    assert result.cells[cells < 10].all(), "every small count is hidden, none included"
    assert_no_single_hidden_cell(groups, result)
    assert_protected(cells, groups, result)


def test_an_authority_whose_own_total_is_small_is_protected_across_the_country():
    """An authority of six neighbourhoods with three rows in all: decided on its own, its
    small total is hidden and protected against its own tables; the country's total and the
    deciles then relate it to the others, and the whole-table pass protects it there too."""
    cells, groups, authority = authorities(3)
    cells[authority == 4] = [1, 0, 2, 0, 0, 0]
    result = suppress(cells, groups, threshold=10, blocks=authority)
    small_total = next(g for g, m in enumerate(groups)
                       if list(m) == list(np.flatnonzero(authority == 4)))
    assert result.groups[small_total]
    assert_protected(cells, groups, result)


def test_blocks_found_from_the_aggregates_are_the_authorities():
    """Without labels, the cells are tied into blocks by the aggregates no larger than a
    twentieth of the table: each generated authority's areas, not the quintiles."""
    cells, groups, authority = authorities(0, sizes=(60, 48, 72, 36, 24, 50, 40, 30, 66, 54,
                                                     45, 35, 28, 32, 44, 56, 38, 26, 58, 42))
    found = disclosure._blocks(disclosure._tables(cells, groups))
    assert len(np.unique(found)) == len(np.unique(authority))
    assert all(len(np.unique(found[authority == a])) == 1 for a in np.unique(authority))


def test_blocks_of_the_wrong_length_are_refused():
    cells, groups, authority = authorities(0)
    with pytest.raises(ValueError, match="one label per cell"):
        suppress(cells, groups, blocks=authority[:-1])


@st.composite
def tables_in_blocks(draw):
    """Random counts, random published sums over them and the whole, and a random cut of the
    cells into blocks (aggregates may lie in one block or cross several)."""
    n = draw(st.integers(3, 10))
    cells = draw(st.lists(st.integers(0, 30), min_size=n, max_size=n))
    groups = draw(st.lists(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True),
                           min_size=1, max_size=6))
    blocks = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    return cells, [*groups, list(range(n))], blocks, draw(st.integers(2, 12))


@settings(max_examples=40, deadline=None)
@given(tables_in_blocks())
def test_property_any_cut_into_blocks_keeps_every_small_count_its_whole_range(table):
    cells, groups, blocks, threshold = table
    result = suppress(cells, groups, threshold=threshold, blocks=np.array(blocks))
    assert result.cells[np.array(cells) < threshold].all()
    assert_no_single_hidden_cell(groups, result)
    assert_protected(cells, groups, result)


@pytest.mark.django_db
def test_milton_keynes_tables_decided_in_parts_keep_the_guarantee(loaded):
    """The city's real published aggregates (neighbourhoods, MSOAs, wards, 2011 areas, every
    decile and quintile, the city), cut into parts found from its smaller areas; counts of a
    sparse synthetic dataset."""
    from commonground.catalogue.services.lens import lens_city
    from commonground.lens.privacy import published_aggregates

    city = lens_city(loaded)
    _, groups = published_aggregates(city)
    rng = np.random.default_rng(7)
    cells = rng.poisson(6 * np.exp(0.5 * rng.normal(size=len(city.area_codes)))).astype(float)
    parts = disclosure._blocks(disclosure._tables(cells, groups))
    assert len(np.unique(parts)) > 1, "the city falls into several parts"
    result = suppress(cells, groups, threshold=10, blocks=parts)
    assert result.cells[cells < 10].all()
    assert_protected(cells, groups, result)


#: Thirty authorities of 8 to 24 neighbourhoods (445 in all), as ``authorities`` makes them.
MANY = (19, 21, 8, 21, 15, 16, 18, 12, 24, 8, 12, 14, 17, 14, 10, 8, 8, 8, 10, 24, 11, 19, 20,
        11, 12, 15, 12, 24, 11, 23)


@pytest.mark.parametrize("seed", [1, 2])
def test_after_the_authorities_no_programme_ranges_over_the_whole_country(seed, monkeypatch):
    """The whole-table pass proves each authority's counts protected by programmes over that
    authority and the few largest ones (where a count moved across a decile can be moved back),
    every other count held at its value: a table found so is a table a reader cannot rule
    out. None ranges over every hidden count of the country (what kept England's pass from
    finishing); a programme over everything is only the fallback when an authority's own would
    hide a crossing total. The result keeps the guarantee, audited over every table at once."""
    cells, groups, authority = authorities(seed, sizes=MANY)
    sizes = []
    solve = disclosure._solve
    monkeypatch.setattr(disclosure, "_solve", lambda c, *a, **k: sizes.append(len(c))
                        or solve(c, *a, **k))
    result = suppress(cells, groups, threshold=10, blocks=authority)
    monkeypatch.undo()
    assert sizes and max(sizes) < len(cells), "no programme has a variable per cell"
    assert result.cells[cells < 10].all()
    assert_protected(cells, groups, result)


def test_a_table_kept_as_a_witness_is_dropped_when_a_known_bound_rules_it_out():
    """A witness found within a part is kept as its changes from the published table; when
    the rule later says a hidden count is at least the threshold, a witness that put it lower
    proves nothing any more, and nothing it reached counts as reached."""
    cells = np.array([12.0, 3.0, 0.0, 20.0])
    t = disclosure._tables(cells, [[0, 1, 2], [0, 1, 2, 3]])
    search = disclosure._Search(t, 10, start=np.array([True, True, True, False, False, False]))
    search.keep(np.array([0.0, 9.0, 6.0, 20.0]))  # 12 moved: 0 to the first, 9 and 6 beside
    assert search.reached(np.array([0, 1]), 0.0).tolist() == [True, False]
    assert search.reached(np.array([1]), 9.0).tolist() == [True]
    assert search.known_large(every=True)  # the hidden 12 is at least 10 to a reader
    assert search.lifted.shape[0] == 0
    assert search.reached(np.array([0, 1]), 0.0).tolist() == [False, False]
