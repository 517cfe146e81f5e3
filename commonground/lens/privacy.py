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
(energy's "who signs up", on every request) does not pay again. A table too large to decide
on a page request (a region, a country) is decided once in the background and stored
(``catalogue.services.disclosure.decision``): until then a page gets ``withheld`` — every
count hidden, ``pending`` set — never a partial answer. ``decision_key`` names a decision by
what it depends on; ``pack_groups``/``pack_hidden`` store its input and answer as bytes.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
import zlib
from dataclasses import dataclass

import numpy as np

from . import disclosure
from .deprivation import GROUPINGS, groups_of
from .inputs import City

_MEMO_SIZE = 32
_CITIES = 4  # cities whose published aggregates are remembered
_cities: list[tuple[weakref.ref, tuple]] = []
_digests: list[tuple[list, bytes]] = []  # the aggregates' digests, by the list itself
_withheld: list[tuple[weakref.ref, int, CitySuppression]] = []
_memo: dict[str, disclosure.Suppression] = {}
_memo_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class CitySuppression:
    """What to hide: base areas (``cells``), named aggregates, and the city total."""

    threshold: int
    cells: np.ndarray  # (n_base,) bool
    hidden: frozenset[tuple[str, str]]  # ("imd-decile@iod2025", "3"), ("ward", "E05..."), ...
    city_total: bool
    pending: bool = False  # not decided yet: every count hidden (``withheld``)

    def group_hidden(self, edition: str, grouping: str, group: int) -> bool:
        return (f"{grouping}@{edition}", str(group)) in self.hidden

    def area_hidden(self, geography: str, code: str) -> bool:
        return (geography, code) in self.hidden


def published_aggregates(city: City) -> tuple[list[tuple[str, str]], list[np.ndarray]]:
    """Every sum of base-area counts that some page, export or API shows, with its name.
    Remembered for the last few cities (a country's are built in a tenth of a second or so,
    and a page waiting for a stored decision asks on every request)."""
    with _memo_lock:
        for ref, value in _cities:
            if ref() is city:
                return value
    value = _published_aggregates(city)
    with _memo_lock:
        _cities.append((weakref.ref(city), value))
        del _cities[:-_CITIES]
    return value


def _published_aggregates(city: City) -> tuple[list[tuple[str, str]], list[np.ndarray]]:
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
    return from_result(city, names, _suppress(np.asarray(counts, dtype=float), groups, threshold))


def from_result(city: City, names: list[tuple[str, str]],
                result: disclosure.Suppression) -> CitySuppression:
    """The city's view of ``result``, a suppression over ``published_aggregates(city)``."""
    flags = np.array(result.groups, dtype=bool)  # copies: the result is remembered
    hidden = {name for name, flag in zip(names, flags, strict=True) if flag}
    cells = np.array(result.cells, dtype=bool)
    hidden |= {(city.base_geography, code)
               for code, flag in zip(city.area_codes, cells, strict=True) if flag}
    return CitySuppression(threshold=int(result.threshold), cells=cells,
                           hidden=frozenset(hidden), city_total=bool(flags[0]))


def withheld(city: City, threshold: int) -> CitySuppression:
    """Fail closed: every cell and every published aggregate hidden (a decision not made yet,
    or one that failed), ``pending`` set so that pages can say why."""
    with _memo_lock:
        for ref, at, value in _withheld:
            if ref() is city and at == threshold:
                return value
    names, _ = published_aggregates(city)
    hidden = set(names) | {(city.base_geography, code) for code in city.area_codes}
    cells = np.ones(len(city.area_codes), dtype=bool)
    cells.flags.writeable = False
    value = CitySuppression(threshold=threshold, cells=cells, hidden=frozenset(hidden),
                            city_total=True, pending=True)
    with _memo_lock:
        _withheld.append((weakref.ref(city), threshold, value))
        del _withheld[:-_CITIES]
    return value


def decision_key(counts: np.ndarray, groups: list[np.ndarray], threshold: int) -> str:
    """A name for the decision on these counts, aggregates and threshold (hex, 40 digits)."""
    counts = np.ascontiguousarray(counts, dtype=float)
    digest = hashlib.blake2b(f"{threshold}:{len(counts)}:{len(groups)}:".encode(), digest_size=20)
    digest.update(counts.tobytes())
    digest.update(_groups_digest(groups))
    return digest.hexdigest()


def _groups_digest(groups: list[np.ndarray]) -> bytes:
    with _memo_lock:
        for seen, value in _digests:
            if seen is groups:  # the same list (``published_aggregates`` remembers it)
                return value
    indptr, indices = _csr(groups)
    value = hashlib.blake2b(indptr.tobytes() + indices.tobytes(), digest_size=20).digest()
    with _memo_lock:
        _digests.append((groups, value))
        del _digests[:-_CITIES]
    return value


def _csr(groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    indices = (np.concatenate([np.asarray(g, dtype=np.int64).ravel() for g in groups])
               if groups else np.zeros(0, dtype=np.int64))
    return indptr, indices


def pack_groups(groups: list[np.ndarray]) -> bytes:
    """The aggregates as bytes (zlib of int64 indptr then indices), for ``unpack_groups``."""
    indptr, indices = _csr(groups)
    return zlib.compress(np.int64(len(indptr)).tobytes() + indptr.tobytes() + indices.tobytes(),
                         1)  # fastest: the first request of a national table pays for it


def unpack_groups(data: bytes) -> list[np.ndarray]:
    raw = np.frombuffer(zlib.decompress(data), dtype=np.int64)
    k = int(raw[0])
    indptr, indices = raw[1:1 + k], raw[1 + k:]
    return [indices[indptr[i]:indptr[i + 1]] for i in range(k - 1)]


def pack_hidden(result: disclosure.Suppression) -> bytes:
    """One bit per cell then per aggregate, True = hidden."""
    return np.packbits(np.concatenate([result.cells, result.groups]).astype(bool)).tobytes()


def unpack_hidden(data: bytes, cells: int, groups: int, threshold: int) -> disclosure.Suppression:
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), count=cells + groups).astype(bool)
    return disclosure.Suppression(cells=bits[:cells], groups=bits[cells:], threshold=threshold)


def _suppress(counts: np.ndarray, groups: list[np.ndarray], threshold: int):
    """``disclosure.suppress``, remembered for the last ``_MEMO_SIZE`` inputs."""
    key = decision_key(counts, groups, threshold)
    with _memo_lock:
        if key in _memo:
            return _memo[key]
    result = disclosure.suppress(counts, groups, threshold=threshold)
    with _memo_lock:
        _memo[key] = result
        while len(_memo) > _MEMO_SIZE:
            del _memo[next(iter(_memo))]
    return result
