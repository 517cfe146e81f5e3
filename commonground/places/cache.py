"""The loaded city held in memory: areas, membership matrices, indicator matrices, indexes.

Built once per process from the database on first use and rebuilt when a newer
``LoadRun`` appears (another process reloaded the data), so pages and the API answer from
arrays rather than re-querying thousands of rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import shapely

from commonground.geography.pointindex import AreaIndex

from .models import Area, AreaMembership, Indicator, IndicatorValue, LoadRun

_lock = threading.Lock()
_state: CityState | None = None


class NotLoaded(Exception):
    """No city data has been loaded into the database yet."""


@dataclass(frozen=True)
class AreaRecord:
    id: int
    geography: str
    code: str
    name: str
    friendly_name: str
    easting: float
    northing: float

    @property
    def display_name(self) -> str:
        f, n = self.friendly_name, self.name
        return f"{f} — {n}" if f and f != n else n


@dataclass
class CityState:
    run: LoadRun
    areas: dict[tuple[str, str], AreaRecord]
    by_geography: dict[str, list[AreaRecord]]
    indicators: dict[str, Indicator]
    base: str
    _values: dict = field(default_factory=dict)
    _members: dict = field(default_factory=dict)
    _geometries: dict = field(default_factory=dict)
    _index: dict = field(default_factory=dict)

    @property
    def base_areas(self) -> list[AreaRecord]:
        return self.by_geography[self.base]

    @cached_property
    def profiled(self) -> list[str]:
        """Geographies no finer than the base: those with profiles (not output areas)."""
        return [g for g, areas in self.by_geography.items() if len(areas) <= len(self.base_areas)]

    def position(self, geography: str) -> dict[str, int]:
        return {a.code: i for i, a in enumerate(self.by_geography[geography])}

    def values(self, geography: str) -> tuple[list[str], np.ndarray, list[list]]:
        """Indicator keys, a (areas × indicators) float matrix and text values for a geography."""
        if geography not in self._values:
            keys = [k for k, ind in self.indicators.items() if ind.source.geography == geography]
            col = {k: j for j, k in enumerate(keys)}
            pos = self.position(geography)
            matrix = np.full((len(pos), len(keys)), np.nan)
            text: list[list] = [[None] * len(keys) for _ in range(len(pos))]
            rows = IndicatorValue.objects.filter(area__geography=geography).values_list(
                "indicator__key", "area__code", "value", "text")
            for key, code, value, txt in rows:
                if key in col and code in pos:
                    if value is not None:
                        matrix[pos[code], col[key]] = value
                    text[pos[code]][col[key]] = txt or None
            self._values[geography] = (keys, matrix, text)
        return self._values[geography]

    def column(self, key: str) -> np.ndarray:
        geography = self.indicators[key].source.geography
        keys, matrix, _ = self.values(geography)
        return matrix[:, keys.index(key)]

    def members(self, geography: str) -> np.ndarray:
        """Membership matrix W (areas of ``geography`` × base areas)."""
        if geography not in self._members:
            pos = self.position(geography)
            base_pos = self.position(self.base)
            W = np.zeros((len(pos), len(base_pos)))
            if geography == self.base:
                W = np.eye(len(base_pos))
            else:
                links = AreaMembership.objects.filter(parent__geography=geography).values_list(
                    "parent__code", "child__code", "weight")
                for parent, child, weight in links:
                    W[pos[parent], base_pos[child]] = weight
            self._members[geography] = W
        return self._members[geography]

    @cached_property
    def population(self) -> np.ndarray:
        """Residents per base area (the load's population indicator), NaN when unknown."""
        key = self.run.population_indicator
        if key in self.indicators:
            return self.column(key)
        return np.ones(len(self.base_areas))

    def geometries(self, geography: str) -> np.ndarray:
        if geography not in self._geometries:
            rows = dict(Area.objects.filter(geography=geography).values_list("code", "geometry_wkb"))
            self._geometries[geography] = shapely.from_wkb(
                [bytes(rows[a.code]) for a in self.by_geography[geography]])
        return self._geometries[geography]

    def index(self, geography: str) -> AreaIndex:
        if geography not in self._index:
            codes = [a.code for a in self.by_geography[geography]]
            self._index[geography] = AreaIndex(codes, self.geometries(geography))
        return self._index[geography]


def city_state() -> CityState:
    """The current city, rebuilt when the database holds a newer load. Raises ``NotLoaded``."""
    global _state
    latest = LoadRun.objects.order_by("-started", "-id").only("id").first()
    if latest is None:
        raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
    with _lock:
        if _state is None or _state.run.pk != latest.pk:
            _state = _build(LoadRun.objects.get(pk=latest.pk))
        return _state


def clear() -> None:
    global _state
    with _lock:
        _state = None


def _build(run: LoadRun) -> CityState:
    areas = {}
    by_geography: dict[str, list[AreaRecord]] = {}
    for row in Area.objects.order_by("geography", "code").values_list(
            "id", "geography", "code", "name", "friendly_name", "easting", "northing"):
        record = AreaRecord(*row)
        areas[(record.geography, record.code)] = record
        by_geography.setdefault(record.geography, []).append(record)
    indicators = {i.key: i for i in Indicator.objects.select_related("source", "denominator")}
    return CityState(run=run, areas=areas, by_geography=by_geography, indicators=indicators,
                     base=run.base_geography)
