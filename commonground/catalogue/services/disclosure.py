"""Use case: which per-area counts of a dataset about people may be shown.

Rows per area are published on place pages and by the ``aggregate`` API for every geography
(LSOA, MSOA, ward, the city, 2011 areas). Each larger area's count is the sum of its base
areas' counts (every row's larger areas follow from its base area, best fit), so hiding a
small LSOA count is not enough: its MSOA's count minus its other LSOAs' would give it away.
``commonground.lens.privacy.city_suppression`` hides the small counts and then whatever
would reveal them, across every geography and every lens grouping at once, so the lens, the
place pages and the API hide the same cells. Cached per version (versions are immutable).
"""

from __future__ import annotations

import threading

import numpy as np
from django.conf import settings

from commonground.lens.privacy import city_suppression
from commonground.places.cache import city_state

from ..models import Version
from .lens import lens_city

_lock = threading.Lock()
_cache: dict[tuple, frozenset] = {}


def hidden_area_counts(version: Version) -> frozenset[tuple[str, str]]:
    """``(geography, code)`` of every area whose row count must not be shown."""
    state = city_state()
    threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
    key = (state.run.pk, str(version.parquet_path), version.sha256, threshold)
    with _lock:
        if key in _cache:
            return _cache[key]
    city = lens_city(state)
    position = {code: i for i, code in enumerate(city.area_codes)}
    cells = np.zeros(len(position))
    for code, rows in version.areas.filter(geography=city.base_geography).values_list(
            "code", "rows"):
        if code in position:
            cells[position[code]] = rows
    result = city_suppression(city, cells, threshold)
    hidden = set(result.hidden)
    if result.city_total:
        hidden.add(("city", ""))
    frozen = frozenset(hidden)
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = frozen
    return frozen
