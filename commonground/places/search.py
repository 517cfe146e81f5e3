"""Use cases: find areas by name, code or postcode, and find the areas at a point."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from commonground.geography.projection import lonlat_to_bng

from .cache import AreaRecord, CityState, city_state
from .models import Postcode
from .profiles import area_ref

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
    state = state or city_state()
    q = " ".join(query.split())
    if not q:
        return SearchResult(query, [])
    postcode = _postcode(state, q)
    needle = q.casefold()
    profiled = set(state.profiled)
    hits = []
    for record in state.areas.values():
        if record.geography not in profiled:
            continue
        if needle == record.code.casefold() or needle in (record.name.casefold(), record.friendly_name.casefold()):
            score = 0  # its code or its whole name: "Bedford" lists the authority before "Bedford 001A"
        elif needle in record.name.casefold() or needle in record.friendly_name.casefold():
            starts = record.name.casefold().startswith(needle) or record.friendly_name.casefold().startswith(needle)
            score = 1 if starts else 2
        else:
            continue
        hits.append((score, _family_rank(record), record.geography != state.base, record.name, record))
    hits.sort(key=lambda h: h[:4])
    return SearchResult(q, [area_ref(h[-1]) for h in hits[:MAX_RESULTS]], postcode)


def postcode_lookup(q: str, state: CityState | None = None) -> dict | None:
    """A postcode's position and neighbourhood: None when ``q`` is not shaped like a
    postcode; ``found`` False when the city's lookup does not have it."""
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
