"""The city's places in the form the row linker needs, built once per places load."""

from __future__ import annotations

from functools import partial

import numpy as np

from commonground.datastore.linking import Gazetteer
from commonground.geography.projection import lonlat_to_bng
from commonground.places.cache import CityState, city_state
from commonground.places.models import Postcode


def gazetteer(state: CityState | None = None) -> Gazetteer:
    """The gazetteer of the current places load (raises ``NotLoaded`` before any load)."""
    state = state or city_state()
    return state.derived("gazetteer", partial(build, state))


def link_geographies(state: CityState) -> list[str]:
    """Geographies every row is linked to: the base and each larger one with several areas."""
    return [g for g in state.profiled if g == state.base or len(state.by_geography[g]) > 1]


def build(state: CityState) -> Gazetteer:
    base_codes = [a.code for a in state.base_areas]
    parents: dict[str, list[str]] = {}
    for geography in link_geographies(state):
        if geography == state.base:
            continue
        codes = np.array([a.code for a in state.by_geography[geography]] + [""], dtype=object)
        parents[geography] = list(codes[state.parents(geography)])  # -1 (none): ""
    position = {code: i for i, code in enumerate(base_codes)}
    rows = list(Postcode.objects.values_list("compact", "area__code", "longitude", "latitude"))
    postcodes: dict[str, tuple[int, float, float]] = {}
    if rows:
        lon = np.array([r[2] if r[2] is not None else np.nan for r in rows], dtype=float)
        lat = np.array([r[3] if r[3] is not None else np.nan for r in rows], dtype=float)
        x, y = np.full(len(rows), np.nan), np.full(len(rows), np.nan)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if ok.any():
            x[ok], y[ok] = lonlat_to_bng(lon[ok], lat[ok])
        for (compact, code, _, _), e, n in zip(rows, x, y, strict=True):
            postcodes[compact] = (position.get(code, -1), float(e), float(n))
    return Gazetteer(
        base=state.base, base_codes=base_codes, index=state.index(state.base),
        parent_codes=parents,
        codes={g: {a.code for a in areas} for g, areas in state.by_geography.items()},
        postcodes=postcodes, city_name=state.run.city_name)
