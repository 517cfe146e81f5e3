"""Aggregate base-area figures to larger areas, correctly for each kind of figure.

A larger area (MSOA, ward, the city, an old-vintage LSOA) is a weighted set of base areas
(LSOA 2021): row ``i`` of the membership matrix ``W`` (areas × base areas) holds each base
area's weight in area ``i`` (1 when it lies wholly within, a fraction when apportioned).

* counts are summed: ``W @ counts``;
* rates and scores are population-weighted means: ``(W·p) @ v / (W·p) @ 1`` over base areas
  with a value, as MHCLG's "average score" for larger areas (IoD 2019 technical report §3.6);
* ranks within the city: 1 = the area with the most deprived (highest) score.

Missing values (NaN) are skipped; an area with no member holding a value gets NaN.
"""

from __future__ import annotations

import numpy as np


def weighted_sum(W, values: np.ndarray) -> np.ndarray:
    """Sum of member counts. ``W`` dense or sparse; ``values`` is (base,) or (base, k); NaN
    when no member has a value."""
    present = ~np.isnan(values)
    total = W @ np.where(present, values, 0.0)
    has_any = (W @ present.astype(float)) > 0
    return np.where(has_any, total, np.nan)


def population_weighted_mean(W, values: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Mean of member values weighted by ``population`` × membership weight. ``W`` dense or
    sparse; ``values`` is (base,) or (base, k)."""
    present = ~np.isnan(values)
    people = np.nan_to_num(population)
    if values.ndim == 2:
        people = people[:, None]
    # (W · p) @ v computed as W @ (p · v): no (areas × base) product is formed
    numerator = W @ (people * np.where(present, values, 0.0))
    denominator = W @ (people * present)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def rank_descending(values: np.ndarray) -> np.ndarray:
    """Competition ranks, 1 = largest value; ties share the best rank; NaN → 0 (unranked)."""
    values = np.asarray(values, float)
    ranks = np.zeros(len(values), dtype=int)
    ok = ~np.isnan(values)
    v = values[ok]
    # rank = 1 + number of values strictly greater
    sorted_desc = np.sort(v)[::-1]
    ranks[ok] = 1 + np.searchsorted(-sorted_desc, -v, side="left")
    return ranks


def rank_among(values: np.ndarray, value: float, among: np.ndarray | None = None) -> tuple[int, int]:
    """``value``'s competition rank among ``values`` (NaN left out; only where ``among`` is
    true, when given), 1 = the smallest, 0 for NaN (unranked), and how many it is ranked
    among: ``rank_ascending``'s rank of one value, found by counting, without sorting (one
    area's rank reads its peers once)."""
    ranked = ~np.isnan(values) if among is None else among & ~np.isnan(values)
    peers = int(np.count_nonzero(ranked))
    if np.isnan(value):
        return 0, peers
    return 1 + int(np.count_nonzero(ranked & (values < value))), peers


def rank_ascending(values: np.ndarray) -> np.ndarray:
    """Competition ranks, 1 = smallest value (e.g. national rank 1 = most deprived); NaN → 0."""
    values = np.asarray(values, float)
    return rank_descending(np.where(np.isnan(values), np.nan, -values))


def distributions(W, categories: np.ndarray, population: np.ndarray,
                  levels: list) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every area at once (``W`` dense or sparse, areas × base areas): its residents,
    and per category level its residents and its members (base areas with a weight) there:
    arrays (areas,), (areas × levels) and (areas × levels), read-only. Row ``i`` gives what
    ``distribution(W[i], ...)`` lists for area ``i``."""
    onehot = (categories[:, None] == np.asarray(levels)[None, :]).astype(float)  # base × levels
    people = np.nan_to_num(population)
    total = W @ people
    residents = W @ (people[:, None] * onehot)
    members = ((W > 0).astype(float) @ onehot).round().astype(int)
    for array in (total, residents, members):
        array.flags.writeable = False
    return total, residents, members


def row_distribution(weights: np.ndarray, categories: np.ndarray, population: np.ndarray,
                     levels: list) -> tuple[float, np.ndarray, np.ndarray]:
    """For one area, given only its members (``weights`` > 0, in base order, with their
    ``categories`` and ``population``): its residents, and per level its residents and
    members — exactly its row of ``distributions`` (the same products summed in the same
    order, as a sparse row product sums them), in time growing with its members alone."""
    total, residents, members = row_distributions(weights, categories[:, None], population, levels)
    return total, residents[0], members[0]


def row_distributions(weights: np.ndarray, categories: np.ndarray, population: np.ndarray,
                      levels: list) -> tuple[float, np.ndarray, np.ndarray]:
    """``row_distribution`` of several categories at once (``categories``: members ×
    categories; ``levels`` distinct numbers): its residents, and per category (rows) and level
    (columns) residents and members, each sum added in the same order as one category's alone."""
    products = weights * np.nan_to_num(population)
    m, d, width = len(weights), categories.shape[1], len(levels) + 1
    # each member's level by category (past the last: none), found by bisection
    values = np.asarray(levels, dtype=float)
    order = np.argsort(values, kind="stable")
    by_category = np.ascontiguousarray(categories.T, dtype=float)
    at = np.searchsorted(values[order], by_category).clip(max=max(len(levels) - 1, 0))
    level_of = np.where(values[order][at] == by_category, order[at], len(levels)) if len(levels) \
        else np.zeros((d, m), dtype=np.intp)
    # bincount adds its weights one by one, in order: the sparse product's sums; a
    # category's bins follow the previous one's, its members in base order within them
    bins = (level_of + (np.arange(d) * width)[:, None]).ravel()
    total = np.bincount(np.zeros(m, dtype=np.intp), weights=products, minlength=1)[0]
    residents = np.bincount(bins, weights=np.tile(products, d), minlength=d * width)
    members = np.bincount(bins[np.tile(weights > 0, d)], minlength=d * width)
    return (float(total), residents.reshape(d, width)[:, :len(levels)],
            members.reshape(d, width)[:, :len(levels)])


def distribution(W_row: np.ndarray, categories: np.ndarray, population: np.ndarray,
                 levels: list) -> list[dict]:
    """For one area: how many members, and how many residents, fall in each category level."""
    members = W_row > 0
    pop = np.nan_to_num(population) * W_row
    total = pop[members].sum()
    out = []
    for level in levels:
        hit = members & (categories == level)
        people = float(pop[hit].sum())
        out.append({"level": level, "areas": int(hit.sum()), "residents": round(people),
                    "share": people / total if total else None})
    return out
