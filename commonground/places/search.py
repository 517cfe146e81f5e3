"""Use cases: find areas by name, code or postcode, and find the areas at a point."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from .models import Postcode
from .records import AreaRecord, area_ref

if TYPE_CHECKING:
    from .cache import CityState

# NumPy, pyproj and the loaded city (``cache``: SciPy, shapely) are imported by the functions
# that use them: a command reading only this module's definitions (``lookup``) starts faster.

POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")
MAX_RESULTS = 50

#: Search results list larger areas first: a resident typing "Bletchley" wants the ward.
GEOGRAPHY_ORDER = {"ward": 0, "msoa": 1, "lsoa": 2, "lad": 3}


class OutsideCity(ValueError):
    pass


@dataclass(frozen=True)
class SearchResult:
    query: str
    areas: list[dict]
    postcode: dict | None = None

    @property
    def best(self) -> dict | None:
        """Where to send someone straight away: an exact code or postcode match."""
        if self.postcode and self.postcode.get("area"):
            return self.postcode["area"]
        exact = [a for a in self.areas if a["code"].upper() == self.query.strip().upper()]
        return exact[0] if exact else None  # a code shared by two vintages: the newest (listed first)


def _family_rank(record: AreaRecord) -> int:
    return GEOGRAPHY_ORDER.get(re.sub(r"\d+$", "", record.geography), 9)


def search_areas(query: str, state: CityState | None = None) -> SearchResult:
    """Areas whose code, name or friendly name contains ``query`` (case-insensitive)."""
    import numpy as np

    from .cache import city_state

    state = state or city_state()
    q = " ".join(query.split())
    if not q:
        return SearchResult(query, [])
    postcode = _postcode(state, q)
    needle = q.casefold()
    index = state.derived("area search", partial(_SearchIndex, state))
    name_at, friendly_at = np.strings.find(index.names, needle), np.strings.find(index.friendly, needle)
    # 0: its code or its whole name ("Bedford" lists the authority before "Bedford 001A");
    # 1: a name starting with the query; 2: a name containing it
    score = np.where((index.codes == needle) | (index.names == needle) | (index.friendly == needle), 0,
                     np.where((name_at == 0) | (friendly_at == 0), 1, 2))
    hits = np.flatnonzero((score == 0) | (name_at >= 0) | (friendly_at >= 0))
    # larger areas first, then the base geography's, then by name (ties: the load's order)
    order = np.lexsort((index.name_order[hits], index.not_base[hits], index.family[hits], score[hits]))
    best = hits[order[:MAX_RESULTS]]
    return SearchResult(q, [area_ref(index.records[i]) for i in best], postcode)


class _SearchIndex:
    """The profiled areas' codes and names, casefolded, as arrays searched whole (built once
    per load): a search is a few vectorised passes, not a Python loop over every area."""

    def __init__(self, state: CityState) -> None:
        import numpy as np

        profiled = set(state.profiled)
        self.records = [r for r in state.areas.values() if r.geography in profiled]
        self.codes = np.array([r.code.casefold() for r in self.records], dtype=str)
        self.names = np.array([r.name.casefold() for r in self.records], dtype=str)
        self.friendly = np.array([r.friendly_name.casefold() for r in self.records], dtype=str)
        self.family = np.array([_family_rank(r) for r in self.records], dtype=int)
        self.not_base = np.array([r.geography != state.base for r in self.records])
        by_name = sorted(range(len(self.records)), key=lambda i: self.records[i].name)
        self.name_order = np.empty(len(self.records), dtype=np.intp)
        self.name_order[by_name] = np.arange(len(self.records))


def postcode_lookup(q: str, state: CityState | None = None) -> dict | None:
    """A postcode's position and neighbourhood: None when ``q`` is not shaped like a
    postcode; ``found`` False when the city's lookup does not have it."""
    from .cache import city_state

    return _postcode(state or city_state(), q.strip())


def _postcode(state: CityState, q: str) -> dict | None:
    upper = q.upper()
    if not POSTCODE.match(upper):
        return None
    row = Postcode.objects.filter(compact=upper.replace(" ", "")).select_related("area").first()
    if row is None:
        return {"postcode": upper, "found": False, "area": None}
    area = state.areas.get((row.area.geography, row.area.code)) if row.area else None
    return {"postcode": row.postcode, "found": True, "terminated": row.terminated,
            "latitude": row.latitude, "longitude": row.longitude, "area": area_ref(area) if area else None}


def areas_at(lat: float, lon: float, state: CityState | None = None) -> dict:
    """The base area and every larger area containing a WGS84 point. Raises ``OutsideCity``."""
    import numpy as np

    from commonground.geography.projection import lonlat_to_bng

    from .cache import city_state

    state = state or city_state()
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("Latitude must be between -90 and 90 and longitude between -180 and 180.")
    x, y = lonlat_to_bng([lon], [lat])
    i = int(state.index(state.base).locate(np.asarray(x), np.asarray(y))[0])
    if i < 0:
        raise OutsideCity(f"The point {lat:.5f}, {lon:.5f} is outside {state.run.city_name}.")
    base = state.base_areas[i]
    # Larger areas: each the base area's best fit, as every profile and the linker use.
    found = {base.geography: area_ref(base)}
    for g in state.profiled:
        parent = int(state.parents(g)[i]) if g != state.base else -1
        if parent >= 0:
            found[g] = area_ref(state.by_geography[g][parent])
    return {"latitude": lat, "longitude": lon, "easting": round(float(x[0]), 1),
            "northing": round(float(y[0]), 1), "base": found[state.base], "areas": found}
