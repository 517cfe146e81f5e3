"""The loaded city held in memory: areas, membership matrices, indicator matrices, indexes.

Built once per process from the database on first use and rebuilt when a newer
``LoadRun`` appears (another process reloaded the data), so pages and the API answer from
arrays rather than re-querying thousands of rows.

Threads: a ``CityState`` is read by every request at once. It is built by one thread
(``once.Once``) and reads the database only while it is built: the areas, indicator values,
membership matrices and geometries of every geography, checked to be of one load. Its arrays
are read-only and its geometries are never prepared (``AreaIndex`` prepares copies). What is
derived from it (point indexes, best-fit parents, the lens's city, the gazetteer, disclosure
counts, energy tables) is built on first use, once, by one thread, and kept in the state's
one memo (``CityState.derived``), so it lives and dies with its load. A reload builds a new
``CityState``; requests holding the old one keep it and everything derived from it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from .models import Area, AreaMembership, Indicator, IndicatorTable, LoadRun
from .once import Once
from .records import AreaRecord, NotLoaded

if TYPE_CHECKING:  # SciPy, shapely and the point index are imported where used: a command
    # reading one area's profile (``profile_from_database``) needs none of them
    from scipy import sparse

    from commonground.geography.pointindex import AreaIndex

T = TypeVar("T")
S = TypeVar("S", "sparse.csr_array", "sparse.csc_array")

_states: Once[CityState] = Once(keep=2)  # by CityState.key: the current load and the one before


class _Superseded(Exception):
    """A newer load replaced the one being read while it was read."""


@dataclass
class CityState:
    run: LoadRun
    areas: dict[tuple[str, str], AreaRecord]
    by_geography: dict[str, list[AreaRecord]]
    indicators: dict[str, Indicator]
    base: str
    # per geography, read by _build before anyone sees the state, read-only after
    _values: dict = field(default_factory=dict)
    _members: dict = field(default_factory=dict)
    _geometries: dict = field(default_factory=dict)
    _derived: Once[Once] = field(default_factory=Once)  # by kind: a Once by key (derived)

    @property
    def key(self) -> tuple:
        """Names this load among all loads, for caches of what is built from it: the LoadRun's
        id and start time (an id alone comes back after a rolled-back load)."""
        return (self.run.pk, self.run.started)

    @property
    def base_areas(self) -> list[AreaRecord]:
        return self.by_geography[self.base]

    @cached_property
    def profiled(self) -> list[str]:
        """Geographies no finer than the base: those with profiles (not output areas)."""
        return [g for g, areas in self.by_geography.items() if len(areas) <= len(self.base_areas)]

    def position(self, geography: str) -> Mapping[str, int]:
        """Each area's position in ``by_geography[geography]``, by code (built once per load)."""
        return self.derived("positions", lambda: MappingProxyType(
            {a.code: i for i, a in enumerate(self.by_geography[geography])}), key=geography)

    def values(self, geography: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """Indicator keys, a (areas × indicators) float matrix and, for category indicators,
        their text per area (an object array by key, None where none) for a geography."""
        return self._values[geography]

    def column(self, key: str) -> np.ndarray:
        geography = self.indicators[key].source.geography
        keys, matrix, _ = self.values(geography)
        return matrix[:, keys.index(key)]

    def members(self, geography: str) -> sparse.csr_array:
        """Membership matrix W (areas of ``geography`` × base areas), sparse (CSR): row ``i``
        holds the weights of area ``i``'s base areas, in base order; memory grows with the
        memberships, not with areas × base areas. Read-only."""
        return self._members[geography]

    def member_row(self, geography: str, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Area ``i`` of ``geography``'s base areas (positions, in base order) and their
        weights, those with a weight only: its row of ``members(geography)``."""
        W = self.members(geography)
        span = slice(W.indptr[i], W.indptr[i + 1])
        held = W.data[span] != 0
        return W.indices[span][held], W.data[span][held]

    def member_columns(self, geography: str) -> sparse.csc_array:
        """``members(geography)`` by column (CSC, built once per load): column ``j`` holds
        the areas of ``geography`` base area ``j`` counts in, in order, with their weights."""
        return self.derived("member columns",
                            lambda: _read_only_sparse(self.members(geography).tocsc()),
                            key=geography)

    def member_column(self, geography: str, j: int) -> tuple[np.ndarray, np.ndarray]:
        """The areas of ``geography`` base area ``j`` counts in (positions, in order) and
        their weights, those with a weight only."""
        C = self.member_columns(geography)
        span = slice(C.indptr[j], C.indptr[j + 1])
        held = C.data[span] != 0
        return C.indices[span][held], C.data[span][held]

    def records(self, geography: str, positions) -> list[AreaRecord]:
        """The areas at ``positions`` of ``by_geography[geography]``, in that order."""
        areas = self.by_geography[geography]
        return [areas[int(i)] for i in positions]

    @cached_property
    def population(self) -> np.ndarray:
        """Residents per base area (the load's population indicator), NaN when unknown."""
        key = self.run.population_indicator
        if key in self.indicators:
            return self.column(key)
        return _read_only(np.ones(len(self.base_areas)))

    def geometries(self, geography: str) -> np.ndarray:
        """The areas' polygons (EPSG:27700), in ``by_geography`` order. Shared by every
        thread: read them, never prepare or change them."""
        return self._geometries[geography]

    def index(self, geography: str) -> AreaIndex:
        """Point index over the geography's areas, built on first use (by one thread)."""
        def build():
            from commonground.geography.pointindex import AreaIndex

            return AreaIndex([a.code for a in self.by_geography[geography]], self.geometries(geography))
        return self.derived("point index", build, key=geography)

    def parents(self, geography: str) -> np.ndarray:
        """Each base area's best-fit parent in ``geography`` (``geography.parents.best_fit``
        of the loaded memberships): positions in ``by_geography[geography]``, -1 for none."""
        def build():
            from commonground.geography.parents import best_fit

            return _read_only(best_fit(self.members(geography)))
        return self.derived("best-fit parents", build, key=geography)

    def derived(self, kind: str, build: Callable[[], T], *, key: Hashable = None,
                keep: int | None = None) -> T:
        """What is built from this load (its point indexes, the lens's city, the gazetteer,
        disclosure counts, energy tables): ``build()`` run once, by one thread while others
        asking wait, and kept as long as this load is (a reload builds a new ``CityState``).
        ``key`` tells values of one kind apart (a geography, a dataset version); ``keep``
        bounds how many of the kind are kept, the newest (None: all). Values must not be
        changed once built."""
        return self._derived.get(kind, partial(Once, keep)).get(key, build)

    def _read_values(self, geography: str) -> tuple[list[str], np.ndarray, dict[str, np.ndarray]]:
        """The geography's stored indicator table, its rows put in ``by_geography`` order."""
        codes = list(self.position(geography))  # in by_geography order
        stored = IndicatorTable.objects.filter(geography=geography).first()
        if stored is None:
            return [], _read_only(np.zeros((len(codes), 0))), {}
        keys = [k for k in stored.keys if k in self.indicators]
        columns = [stored.keys.index(k) for k in keys]
        matrix = stored.matrix()  # read-only, over the stored bytes
        if columns != list(range(matrix.shape[1])):
            matrix = matrix[:, columns]
        if stored.codes != codes:
            row = {code: i for i, code in enumerate(stored.codes)}
            at = np.array([row.get(code, -1) for code in codes], dtype=np.intp)
            matrix = np.where((at >= 0)[:, None], matrix[at], np.nan)
        text = {}
        position = self.position(geography)
        for key in keys:
            if key in stored.text:
                column = np.full(len(codes), None, dtype=object)
                for code, value in stored.text[key].items():
                    if code in position and value:
                        column[position[code]] = value
                text[key] = _read_only(column)
        return keys, _read_only(np.ascontiguousarray(matrix)), text

    def _read(self, geography: str) -> None:
        """Read the geography's indicator values, memberships and geometries (by _build)."""
        import shapely

        self._values[geography] = self._read_values(geography)

        self._members[geography] = _read_only_sparse(self._read_members(geography))

        wkb = dict(Area.objects.filter(geography=geography).values_list("code", "geometry_wkb"))
        self._geometries[geography] = _read_only(shapely.from_wkb(
            [bytes(wkb[a.code]) for a in self.by_geography[geography]]))

    def _ids(self, geography: str) -> np.ndarray:
        """The geography's area ids, in ``by_geography`` order."""
        return np.array([a.id for a in self.by_geography[geography]], dtype=np.int64)

    def _read_members(self, geography: str) -> sparse.csr_array:
        """The geography's memberships as a sparse (areas × base areas) matrix, read as
        arrays of area ids; the base geography's is the identity. An id of another load
        raises KeyError (as the rest of ``_read`` does)."""
        from scipy import sparse

        n, base = len(self.by_geography[geography]), len(self.base_areas)
        if geography == self.base:
            return sparse.eye_array(base, format="csr")
        links = np.array(AreaMembership.objects.filter(parent__geography=geography).values_list(
            "parent_id", "child_id", "weight"), dtype=float).reshape(-1, 3)
        rows = _positions_of(self._ids(geography), links[:, 0])
        cols = _positions_of(self._ids(self.base), links[:, 1])
        W = sparse.coo_array((links[:, 2], (rows, cols)), shape=(n, base)).tocsr()
        W.eliminate_zeros()
        W.sort_indices()
        return W


def city_state() -> CityState:
    """The current city, rebuilt when the database holds a newer load. Raises ``NotLoaded``."""
    for _ in range(3):  # a reload may replace the load while it is read: read the new one
        latest = LoadRun.objects.order_by("-started", "-id").values_list("id", "started").first()
        if latest is None:
            raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
        try:
            return _states.get(latest, partial(_build, *latest))
        except _Superseded:
            continue
    raise NotLoaded("The city's data is being reloaded: try again in a moment.")


def clear() -> None:
    """Forget the city held in memory: the next ``city_state()`` reads the database again."""
    _states.clear()


def _build(run_id: int, started) -> CityState:
    """Everything a ``CityState`` reads from the database, all of one load: a reload deletes
    the load it replaces, so the load still being there after the last read proves it."""
    run = LoadRun.objects.filter(pk=run_id, started=started).first()
    if run is None:
        raise _Superseded(run_id)
    areas = {}
    by_geography: dict[str, list[AreaRecord]] = {}
    for row in Area.objects.order_by("geography", "code").values_list(
            "id", "geography", "code", "name", "friendly_name", "easting", "northing"):
        record = AreaRecord(*row)
        areas[(record.geography, record.code)] = record
        by_geography.setdefault(record.geography, []).append(record)
    indicators = {i.key: i for i in Indicator.objects.select_related("source", "denominator")}
    state = CityState(run=run, areas=areas, by_geography=by_geography, indicators=indicators,
                      base=run.base_geography)
    try:
        for geography in by_geography:
            state._read(geography)
    except KeyError:  # an area unknown to this load: of the next one, or a real fault
        if LoadRun.objects.filter(pk=run_id).exists():
            raise
    if not LoadRun.objects.filter(pk=run_id).exists():
        raise _Superseded(run_id)
    return state


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def _read_only_sparse(matrix: S) -> S:
    """A sparse matrix whose arrays cannot be changed (canonical: sorted, no duplicates)."""
    matrix.sum_duplicates()
    for array in (matrix.data, matrix.indices, matrix.indptr):
        array.flags.writeable = False
    return matrix


def _positions_of(own: np.ndarray, ids) -> np.ndarray:
    """Positions in ``own`` (area ids) of ``ids``. Raises KeyError for an unknown id."""
    order = np.argsort(own)
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ids):
        return np.zeros(0, dtype=np.intp)
    at = np.searchsorted(own[order], ids).clip(max=len(own) - 1) if len(own) else None
    if at is None or (own[order][at] != ids).any():
        raise KeyError("a membership of an area outside this load")
    return order[at]
