"""Use case for one command: an area's profile, read from the database without loading the
whole city.

``commonground places profile`` would spend seconds and hundreds of megabytes building the
loaded city (``cache.CityState``: every geography's areas, memberships and boundaries) to
print one area. ``DatabaseCity`` is a ``CityState`` that reads only what it is asked, when it
is asked, and never a boundary: one area's record, the areas one base area counts in (its
parents), the listed areas, and whole only what a profile compares against — a geography's
codes, memberships and indicator table (the area's own geography for its peers' ranks, the
geography a deprivation source is published on, the authorities). ``profiles.area_profile``
runs on it unchanged, so the answer is the pages' (a test holds the two together). Pages
and the API, which answer many areas, use the loaded city.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType

import numpy as np
from django.db.models import Count

from . import profiles
from .cache import CityState
from .models import Area, AreaMembership, Indicator, LoadRun
from .records import AreaRecord, NotLoaded

RECORD_FIELDS = ("id", "geography", "code", "name", "friendly_name", "easting", "northing")
#: Area codes asked for in one query (SQLite's oldest limit is 999 parameters).
CHUNK = 500


def area_profile_from_database(geography: str, code: str) -> dict:
    """``profiles.area_profile`` of one area, read from the database. Raises ``AreaNotFound``
    or ``NotLoaded``."""
    return profiles.area_profile(geography, code, DatabaseCity.latest())


class DatabaseCity(CityState):
    """The latest load, read from the database as the profile asks (one command, one thread:
    what is read is kept in plain dictionaries)."""

    def __init__(self, run: LoadRun, counts: dict[str, int]):
        indicators = {i.key: i for i in Indicator.objects.select_related("source", "denominator")}
        super().__init__(run=run, areas=_Areas(self),
                         by_geography={g: _Records(self, g, n) for g, n in counts.items()},
                         indicators=indicators, base=run.base_geography)
        self._codes: dict[str, tuple[np.ndarray, list[str]]] = {}
        self._parents_of: dict[int, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
        self._records: dict[tuple[str, int], AreaRecord] = {}  # by geography and position

    @classmethod
    def latest(cls) -> DatabaseCity:
        # not its mismatches: a national load's list is a megabyte of JSON
        run = LoadRun.objects.order_by("-started", "-id").defer("mismatches").first()
        if run is None:
            raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
        # geographies in the loaded city's order (its areas are read ordered by geography)
        counts = dict(Area.objects.values("geography").annotate(n=Count("id")).order_by("geography")
                      .values_list("geography", "n"))
        return cls(run, counts)

    def id_codes(self, geography: str) -> tuple[np.ndarray, list[str]]:
        """The geography's area ids and codes, in ``by_geography`` order (by code)."""
        if geography not in self._codes:
            rows = list(Area.objects.filter(geography=geography).order_by("code").values_list("id", "code"))
            self._codes[geography] = (np.array([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows])
        return self._codes[geography]

    def _ids(self, geography: str) -> np.ndarray:
        return self.id_codes(geography)[0]

    def position(self, geography: str) -> Mapping[str, int]:
        return self.derived("positions", lambda: MappingProxyType(
            {code: i for i, code in enumerate(self.id_codes(geography)[1])}), key=geography)

    def values(self, geography: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        if geography not in self._values:
            self._values[geography] = self._read_values(geography)
        return self._values[geography]

    def members(self, geography: str):
        if geography not in self._members:
            from .cache import _read_only_sparse

            self._members[geography] = _read_only_sparse(self._read_members(geography))
        return self._members[geography]

    def member_column(self, geography: str, j: int) -> tuple[np.ndarray, np.ndarray]:
        """Read from base area ``j``'s own memberships (every geography's at once), not from
        the geography's matrix; a parent's position is the number of codes before its own."""
        if j not in self._parents_of:
            links: dict[str, tuple[list[int], list[float]]] = {}
            child = int(self._ids(self.base)[j])
            for *fields, weight in AreaMembership.objects.filter(child_id=child).exclude(weight=0) \
                    .order_by("parent__geography", "parent__code") \
                    .values_list(*(f"parent__{f}" for f in RECORD_FIELDS), "weight"):
                parent = AreaRecord(*fields)
                at = Area.objects.filter(geography=parent.geography, code__lt=parent.code).count()
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
            codes = self.id_codes(geography)[1]
            at = {codes[i]: i for i in wanted}
            for start in range(0, len(wanted), CHUNK):
                for row in Area.objects.filter(geography=geography, code__in=list(at)[start:start + CHUNK]) \
                        .values_list(*RECORD_FIELDS):
                    self._records[(geography, at[row[2]])] = AreaRecord(*row)
        return [self._records[(geography, i)] for i in positions]

    def index(self, geography: str) -> _BoxIndex:
        return _BoxIndex(self, geography)

    def geometries(self, geography: str) -> np.ndarray:
        raise NotImplementedError("a profile read from the database reads no boundaries whole")


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
            for code in self._city.id_codes(geography)[1]:
                yield geography, code

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
