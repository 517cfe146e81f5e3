"""Deprivation groups for the lens: national deciles and quintiles, and deciles within the city.

The Index of Multiple Deprivation ranks every neighbourhood in England (rank 1 = most
deprived) and publishes national deciles (decile 1 = most deprived 10%). Quintiles pair the
deciles (1–2 → 1, …, 9–10 → 5). Deciles *within the city* sort the city's own neighbourhoods
by national rank and cut them into ten groups of (nearly) equal count, as local authorities
do for "local deciles".

An edition published on older boundaries (IoD 2019 on 2011 LSOAs) is bridged to the base
areas (2021 LSOAs) with the official lookup: a 2021 LSOA made by **splitting** a 2011 LSOA
**inherits** its parent's rank and deciles (the parent's figures describe the same people);
an unchanged LSOA keeps its own. City deciles are cut on the edition's own areas first, then
bridged, so the 152 2011 LSOAs of Milton Keynes fall into ten groups of 15–16.
"""

from __future__ import annotations

import numpy as np

from .groupings import GROUPINGS
from .inputs import Deprivation


def city_groups(national_rank: np.ndarray, n_groups: int = 10) -> np.ndarray:
    """Group 1..n_groups of each area by its national rank among the city's areas.

    ``national_rank``: 1 = most deprived in England; NaN = unknown (group NaN). The i-th
    most deprived of n areas (0-based) is in group ``floor(i * n_groups / n) + 1``; ties keep
    file order (stable sort).
    """
    rank = np.asarray(national_rank, dtype=float)
    out = np.full(rank.shape, np.nan)
    known = np.flatnonzero(~np.isnan(rank))
    if known.size == 0:
        return out
    order = known[np.argsort(rank[known], kind="stable")]
    out[order] = np.floor(np.arange(order.size) * n_groups / order.size) + 1
    return out


def quintile(decile: np.ndarray) -> np.ndarray:
    """Quintile 1..5 from decile 1..10 (NaN stays NaN)."""
    return np.ceil(np.asarray(decile, dtype=float) / 2)


def bridge(own_values: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Values on the base areas from values on the edition's own areas.

    ``parent[i]``: index of the own area base area ``i`` lies in, or -1 (NaN result).
    """
    own = np.asarray(own_values, dtype=float)
    parent = np.asarray(parent, dtype=int)
    out = np.full(parent.shape, np.nan)
    has = parent >= 0
    out[has] = own[parent[has]]
    return out


def edition(key: str, title: str, year: int | None, geography: str, own_decile: np.ndarray,
            own_rank: np.ndarray, parent: np.ndarray | None, merged: int = 0) -> Deprivation:
    """A :class:`Deprivation` on the base areas from one edition's own figures.

    ``parent`` is None when the edition is published on the base geography itself.
    ``merged``: base areas made from several of the edition's areas; they take the figures of
    the one that contributes most (said in the bridge text).
    """
    own_decile = np.asarray(own_decile, dtype=float)
    own_city = city_groups(own_rank, 10)
    values, counts = np.unique(own_decile[~np.isnan(own_decile)], return_counts=True)
    own_counts = {int(v): int(n) for v, n in zip(values, counts, strict=True)}
    if parent is None:
        return Deprivation(key=key, title=title, year=year, geography=geography,
                           national_decile=own_decile, city_decile=own_city,
                           bridge="direct: published on the base areas themselves.",
                           own_decile_counts=own_counts)
    parent = np.asarray(parent, dtype=int)
    children = np.bincount(parent[parent >= 0], minlength=len(own_decile))
    split = int(np.sum((parent >= 0) & (children[np.maximum(parent, 0)] > 1)))
    how = (f"published on {geography} areas; each base area takes the figures of the "
           f"{geography} area it lies in (official lookup). {split} base areas come from a split "
           "area and inherit their parent's decile.")
    if merged:
        how += (f" {merged} base areas merge several {geography} areas and take the figures of "
                "the one that contributes most.")
    return Deprivation(key=key, title=title, year=year, geography=geography,
                       national_decile=bridge(own_decile, parent),
                       city_decile=bridge(own_city, parent), bridge=how,
                       own_decile_counts=own_counts, split_areas=split)


def groups_of(dep: Deprivation, grouping: str) -> np.ndarray:
    """Group number (1 = most deprived) of every base area for a grouping in ``GROUPINGS``."""
    if grouping == "imd-decile":
        return dep.national_decile
    if grouping == "imd-quintile":
        return quintile(dep.national_decile)
    if grouping == "city-decile":
        return dep.city_decile
    if grouping == "city-quintile":
        return quintile(dep.city_decile)
    raise ValueError(f"unknown grouping {grouping!r}; choose from {', '.join(GROUPINGS)}")
