"""Use case: which per-area counts of a dataset about people may be shown.

Rows per area are published on place pages and by the ``aggregate`` API for every geography
(LSOA, MSOA, ward, the city, 2011 areas). Each larger area's count is the sum of its base
areas' counts (every row's larger areas follow from its base area, best fit), so hiding a
small LSOA count is not enough: its MSOA's count minus its other LSOAs' would give it away.
``commonground.lens.disclosure.suppress`` hides the small counts and then whatever would
reveal them, across every geography at once. Results are cached per version (immutable).
"""

from __future__ import annotations

import threading

import numpy as np
from django.conf import settings

from commonground.lens.disclosure import suppress
from commonground.places.cache import city_state

from ..models import Version

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
    base = state.base
    position = state.position(base)
    cells = np.zeros(len(position))
    for code, rows in version.areas.filter(geography=base).values_list("code", "rows"):
        if code in position:
            cells[position[code]] = rows
    names: list[tuple[str, str]] = [("city", "")]
    groups: list[np.ndarray] = [np.arange(len(cells))]
    for geography in state.profiled:
        if geography == base:
            continue
        W = state.members(geography)  # (areas × base areas): each base area's best fit
        parent = np.where(W.max(axis=0) > 0, W.argmax(axis=0), -1)
        for i, area in enumerate(state.by_geography[geography]):
            names.append((geography, area.code))
            groups.append(np.flatnonzero(parent == i))
    result = suppress(cells, groups, threshold=threshold)
    hidden = {(base, a.code) for a, h in zip(state.base_areas, result.cells, strict=True) if h}
    hidden |= {name for name, h in zip(names, result.groups, strict=True) if h}
    frozen = frozenset(hidden)
    with _lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = frozen
    return frozen
