"""Use case for one command: an area's profile, read from the database without loading the
whole city.

``commonground places profile`` would spend seconds and hundreds of megabytes building the
loaded city (``cache.CityState``: every geography's areas, memberships and boundaries) to
print one area. ``DatabaseCity`` is a ``CityState`` that reads only what it is asked, when it
is asked, and never a boundary: one area's record, the areas one base area counts in (its
parents) and the listed areas by query; what a profile compares against (codes, indicator
tables, memberships, peers' ranks, the city's totals and decile mixes, authorities) from the
load's ``profile_store``, the pages of it the area indexes. Without a store (a load made
before stores were kept) it builds one first, or, when it cannot write one, reads those
from the database whole. ``profiles.area_profile`` runs on it unchanged, so the answer is
the pages' (a test holds the two together). Pages and the API, which answer many areas, use
the loaded city.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterator, Mapping, Sequence
from functools import partial
from types import MappingProxyType

import numpy as np
from django.db.models import Count

from . import profile_store, profiles
from .cache import CityState
from .models import Area, AreaMembership, Indicator, LoadRun
from .profile_store import Store
from .records import AreaRecord, NotLoaded

log = logging.getLogger(__name__)

RECORD_FIELDS = ("id", "geography", "code", "name", "friendly_name", "easting", "northing")
#: Area codes asked for in one query (SQLite's oldest limit is 999 parameters).
CHUNK = 500


def area_profile_from_database(geography: str, code: str) -> dict:
    """``profiles.area_profile`` of one area, read from the database. Raises ``AreaNotFound``
    or ``NotLoaded``."""
    return profiles.area_profile(geography, code, DatabaseCity.latest())


class DatabaseCity(CityState):
    """The latest load, read from the database as the profile asks (one command, one thread:
    what is read is kept in plain dictionaries). With the load's ``profile_store.Store``,
    what it compares against is read from there (memory-mapped: the pages of the rows it
    indexes); without one, from the database, whole."""

    def __init__(self, run: LoadRun, counts: dict[str, int], store: Store | None = None,
                 record: bool = False):
        indicators = {i.key: i for i in Indicator.objects.select_related("source", "denominator")}
        super().__init__(run=run, areas=_Areas(self),
                         by_geography={g: _Records(self, g, n) for g, n in counts.items()},
                         indicators=indicators, base=run.base_geography)
        self.store = store
        #: what was derived, by kind and key (for ``profile_store.build``), when ``record``
        self.recorded: dict[tuple[str, Hashable], object] | None = {} if record else None
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._parents_of: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._records: dict[tuple[str, int], AreaRecord] = {}  # by geography and position

    @classmethod
    def latest(cls) -> DatabaseCity:
        # not its mismatches: a national load's list is a megabyte of JSON
        run = LoadRun.objects.order_by("-started", "-id").defer("mismatches").first()
        if run is None:
            raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
        store = Store.open(run)
        if store is None:  # a load made before stores were kept, or on another machine
            try:
                store = profile_store.build(run)
            except OSError:
                log.warning("The profile store of load %s could not be written: profiles read "
                            "the database whole.", run.pk, exc_info=True)
        return cls.read(run, store)

    @classmethod
    def read(cls, run: LoadRun, store: Store | None, record: bool = False) -> DatabaseCity:
        if store is not None:
            counts = {g: entry["count"] for g, entry in store.meta["geographies"].items()}
        else:  # geographies in the loaded city's order (its areas are read ordered by geography)
            counts = dict(Area.objects.values("geography").annotate(n=Count("id")).order_by("geography")
                          .values_list("geography", "n"))
        return cls(run, counts, store, record)

    def derived(self, kind, build, *, key=None, keep=None):
        if self.store is not None and self.store.has_derived(kind, key):
            build = partial(self.store.derived, kind, key)
        value = super().derived(kind, build, key=key, keep=keep)
        if self.recorded is not None:
            self.recorded[(kind, key)] = value
        return value

    def _stored(self, geography: str) -> dict | None:
        return self.store.meta["geographies"].get(geography) if self.store is not None else None

    def codes(self, geography: str) -> Sequence[str]:
        """The geography's area codes, in ``by_geography`` order."""
        stored = self._stored(geography)
        return self.store.array(stored["codes"]) if stored else self.id_codes(geography)[1]

    def id_codes(self, geography: str) -> tuple[np.ndarray, list[str]]:
        """The geography's area ids and codes, in ``by_geography`` order (by code)."""
        if geography not in self._codes:
            rows = list(Area.objects.filter(geography=geography).order_by("code").values_list("id", "code"))
            self._codes[geography] = (np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows])
        return self._codes[geography]

    def _ids(self, geography: str) -> np.ndarray:
        return self.id_codes(geography)[0]

    def position(self, geography: str) -> Mapping[str, int]:
        stored = self._stored(geography)
        if stored:
            return self.derived("stored positions", lambda: _Positions(
                self.store.array(stored["codes"]),
                self.store.array(stored["sorted"]) if stored["sorted"] else None), key=geography)
        return self.derived("positions", lambda: MappingProxyType(
            {code: i for i, code in enumerate(self.id_codes(geography)[1])}), key=geography)

    def values(self, geography: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        if geography not in self._values:
            stored = self._stored(geography)
            if stored:
                self._values[geography] = (stored["keys"], self.store.array(stored["values"]),
                                           _Text(self, geography))
            else:
                self._values[geography] = self._read_values(geography)
        return self._values[geography]

    def members(self, geography: str):
        if geography not in self._members:
            from .cache import _read_only_sparse

            self._members[geography] = _read_only_sparse(self._read_members(geography))
        return self._members[geography]

    def member_row(self, geography: str, i: int) -> tuple[np.ndarray, np.ndarray]:
        stored = self._stored(geography)
        if geography == self.base:
            return np.array([i], dtype=np.intp), np.ones(1)
        if not stored:
            return super().member_row(geography, i)
        indptr, indices, data = (self.store.array(array) for array in stored["members"])
        span = slice(int(indptr[i]), int(indptr[i + 1]))
        held = data[span] != 0
        return np.asarray(indices[span][held]), np.asarray(data[span][held])

    def member_column(self, geography: str, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Read from base area ``j``'s own memberships (every geography's at once), not from
        the geography's matrix."""
        if j not in self._parents_of:
            links: dict[str, tuple[list[int], list[float]]] = {}
            for *fields, weight in AreaMembership.objects.filter(
                    child__geography=self.base, child__code=str(self.codes(self.base)[j])) \
                    .exclude(weight=0).order_by("parent__geography", "parent__code") \
                    .values_list(*(f"parent__{f}" for f in RECORD_FIELDS), "weight"):
                parent = AreaRecord(*fields)
                at = self.position(parent.geography)[parent.code]
                self._records[(parent.geography, at)] = parent
                links.setdefault(parent.geography, ([], []))[0].append(at)
                links[parent.geography][1].append(weight)
            self._parents_of[j] = {g: (np.array(at, dtype=np.intp), np.array(weights, dtype=float))
                                   for g, (at, weights) in links.items()}
        return self._parents_of[j].get(geography, (np.zeros(0, dtype=np.intp), np.zeros(0)))

    def records(self, geography: str, positions) -> list[AreaRecord]:
        positions = [int(i) for i in positions]
        wanted = [i for i in positions if (geography, i) not in self._records]
        if wanted:
            codes = self.codes(geography)
            at = {str(codes[i]): i for i in wanted}
            for start in range(0, len(wanted), CHUNK):
                for row in Area.objects.filter(geography=geography, code__in=list(at)[start:start + CHUNK]) \
                        .values_list(*RECORD_FIELDS):
                    self._records[(geography, at[row[2]])] = AreaRecord(*row)
        return [self._records[(geography, i)] for i in positions]

    def index(self, geography: str) -> _BoxIndex:
        return _BoxIndex(self, geography)

    def geometries(self, geography: str) -> np.ndarray:
        raise NotImplementedError("a profile read from the database reads no boundaries whole")


class _Positions(Mapping):
    """``CityState.position`` from a stored array of codes: an area's position found by
    bisection (``sorted``: the codes' order by value, None when they are in it)."""

    def __init__(self, codes: np.ndarray, order: np.ndarray | None):
        self._codes, self._order = codes, order

    def __getitem__(self, code: str) -> int:
        ordered = self._codes if self._order is None else self._codes[self._order]
        k = int(np.searchsorted(ordered, code))
        if k == len(ordered) or ordered[k] != code:
            raise KeyError(code)
        return k if self._order is None else int(self._order[k])

    def __iter__(self) -> Iterator[str]:
        return (str(code) for code in self._codes)

    def __len__(self) -> int:
        return len(self._codes)


class _Text(Mapping):
    """A stored geography's category texts (``CityState.values``' third part), read from the
    database whole if ever asked (the store holds what profiles derive from them)."""

    def __init__(self, city: DatabaseCity, geography: str):
        self._city, self._geography, self._text = city, geography, None

    def _read(self) -> dict[str, np.ndarray]:
        if self._text is None:
            self._text = self._city._read_values(self._geography)[2]
        return self._text

    def __getitem__(self, key: str) -> np.ndarray:
        return self._read()[key]

    def __iter__(self):
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


class _Areas(Mapping):
    """``CityState.areas``: an area's record by (geography, code), read when asked."""

    def __init__(self, city: DatabaseCity):
        self._city = city

    def __getitem__(self, key: tuple[str, str]) -> AreaRecord:
        geography, code = key
        row = Area.objects.filter(geography=geography, code=code).values_list(*RECORD_FIELDS).first()
        if row is None:
            raise KeyError(key)
        return AreaRecord(*row)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        for geography in self._city.by_geography:
            for code in self._city.codes(geography):
                yield geography, str(code)

    def __len__(self) -> int:
        return sum(len(areas) for areas in self._city.by_geography.values())


class _Records(Sequence):
    """``CityState.by_geography[geography]``: its length known, an area read when asked."""

    def __init__(self, city: DatabaseCity, geography: str, n: int):
        self._city, self._geography, self._n = city, geography, n

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._city.records(self._geography, range(self._n)[i])
        return self._city.records(self._geography, [range(self._n)[i]])[0]


class _BoxIndex:
    """``CityState.index``'s ``locate`` for a few points: the first area in code order whose
    boundary holds the point, found by its bounding box (one indexed query a point), as
    ``pointindex.AreaIndex`` answers (the lowest position on a shared edge)."""

    def __init__(self, city: DatabaseCity, geography: str):
        self._city, self._geography = city, geography

    def locate(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import shapely

        out = np.full(len(x), -1, dtype=np.int64)
        for k, (px, py) in enumerate(zip(np.asarray(x, float), np.asarray(y, float), strict=True)):
            for code, wkb in Area.objects.filter(
                    geography=self._geography, min_easting__lte=px, max_easting__gte=px,
                    min_northing__lte=py, max_northing__gte=py).order_by("code").values_list("code", "geometry_wkb"):
                if shapely.intersects_xy(shapely.from_wkb(bytes(wkb)), px, py):
                    out[k] = self._city.position(self._geography)[code]
                    break
        return out
