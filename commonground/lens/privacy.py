"""One disclosure decision per dataset version, over everything Common Ground publishes.

A dataset about people shows row counts in many places: the lens's deprivation groups (every
IoD edition, national and within the city, deciles and quintiles), its map, place pages and
the ``aggregate`` API for every geography, and the city total. Suppressing each view on its
own is not enough: hidden cells chosen differently in two views can be recovered by putting
the views together. So ``city_suppression`` runs :func:`disclosure.suppress` once over the
union of all those published aggregates, and every view applies the same result.

The decision takes linear programming over every table (a second or two for a sparse dataset
on a city of 170 neighbourhoods), so the last few are remembered by what they depend on (the
counts, the published aggregates, the threshold): a page that asks again for the same counts
(energy's "who signs up", on every request) does not pay again.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass

import numpy as np

from . import disclosure
from .deprivation import GROUPINGS, groups_of
from .inputs import City

_MEMO_SIZE = 32
_memo: dict[bytes, disclosure.Suppression] = {}
_memo_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class CitySuppression:
    """What to hide: base areas (``cells``), named aggregates, and the city total."""

    threshold: int
    cells: np.ndarray  # (n_base,) bool
    hidden: frozenset[tuple[str, str]]  # ("imd-decile@iod2025", "3"), ("ward", "E05..."), ...
    city_total: bool

    def group_hidden(self, edition: str, grouping: str, group: int) -> bool:
        return (f"{grouping}@{edition}", str(group)) in self.hidden

    def area_hidden(self, geography: str, code: str) -> bool:
        return (geography, code) in self.hidden


def published_aggregates(city: City) -> tuple[list[tuple[str, str]], list[np.ndarray]]:
    """Every sum of base-area counts that some page, export or API shows, with its name."""
    names: list[tuple[str, str]] = [("city", "")]
    groups: list[np.ndarray] = [np.arange(len(city.area_codes))]
    for dep in city.deprivation:
        for grouping, (_, n) in GROUPINGS.items():
            g = groups_of(dep, grouping)
            for k in range(1, n + 1):
                names.append((f"{grouping}@{dep.key}", str(k)))
                groups.append(np.flatnonzero(g == k))
    for geography, code, members in city.published_areas:
        names.append((geography, code))
        groups.append(np.asarray(members, dtype=int))
    return names, groups


def city_suppression(city: City, counts: np.ndarray, threshold: int) -> CitySuppression:
    """Hide counts from 0 to ``threshold - 1`` (none is not told apart from a few: the presence
    policy, ``docs/DISCLOSURE.md``) and whatever would reveal them, everywhere."""
    names, groups = published_aggregates(city)
    result = _suppress(np.asarray(counts, dtype=float), groups, threshold)
    flags = np.array(result.groups, dtype=bool)  # copies: the result is remembered
    hidden = {name for name, flag in zip(names, flags, strict=True) if flag}
    cells = np.array(result.cells, dtype=bool)
    hidden |= {(city.base_geography, code)
               for code, flag in zip(city.area_codes, cells, strict=True) if flag}
    return CitySuppression(threshold=threshold, cells=cells, hidden=frozenset(hidden),
                           city_total=bool(flags[0]))


def _suppress(counts: np.ndarray, groups: list[np.ndarray], threshold: int):
    """``disclosure.suppress``, remembered for the last ``_MEMO_SIZE`` inputs."""
    digest = hashlib.blake2b(f"{threshold}:{len(counts)}:".encode(), digest_size=20)
    digest.update(counts.tobytes())
    for g in groups:
        digest.update(np.asarray(g, dtype=np.int64).tobytes() + b"/")
    key = digest.digest()
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    result = disclosure.suppress(counts, groups, threshold=threshold)
    with _memo_lock:
        _memo[key] = result
        while len(_memo) > _MEMO_SIZE:
            del _memo[next(iter(_memo))]
    return result
