"""One best-fit-parent rule for the whole loaded city (``CityState.parents``).

Each base area (LSOA) counts in one area of every larger geography: the one it is linked to
with the largest weight by the loaded memberships (the official lookups, or its point on
surface), the first by code on a tie. The point lookup, the row linker's gazetteer and the
lens all use that one rule, so a row's ward, a point's ward and a lens group's ward agree.
"""

from __future__ import annotations

import numpy as np
import pytest

from commonground.catalogue.gazetteer import gazetteer
from commonground.catalogue.services.lens import lens_city
from commonground.geography.parents import containing_parents
from commonground.geography.projection import bng_to_lonlat
from commonground.places.models import AreaMembership
from commonground.places.search import areas_at


def larger(state) -> list[str]:
    return [g for g in state.profiled if g != state.base]


def test_each_base_area_s_parent_is_its_heaviest_loaded_membership(loaded):
    state = loaded
    assert larger(state), "the real city has larger geographies"
    for g in larger(state):
        weights: dict[str, list[tuple[float, str]]] = {}
        for parent, child, weight in AreaMembership.objects.filter(
                parent__geography=g).values_list("parent__code", "child__code", "weight"):
            weights.setdefault(child, []).append((weight, parent))
        codes = [a.code for a in state.by_geography[g]]
        got = state.parents(g)
        for j, base in enumerate(state.base_areas):
            linked = [(w, p) for w, p in weights.get(base.code, []) if w > 0]
            if not linked:
                assert got[j] == -1, (g, base.code)
                continue
            heaviest = max(w for w, _ in linked)
            expected = min(p for w, p in linked if w == heaviest)
            assert codes[got[j]] == expected, (g, base.code)


def test_geographies_without_a_lookup_get_the_area_holding_the_point_on_surface(loaded):
    state = loaded
    by_point = [g for g in larger(state) if AreaMembership.objects.filter(
        parent__geography=g, method__startswith="best fit").exists()]
    for g in by_point:
        expected = containing_parents(state.geometries(state.base), state.geometries(g))
        assert np.array_equal(state.parents(g), expected), g


def test_the_point_lookup_the_linker_and_the_lens_use_the_one_rule(loaded):
    state = loaded
    gaz, city = gazetteer(state), lens_city(state)
    assert gaz.parent_codes
    published = {(g, code): set(members.tolist()) for g, code, members in city.published_areas}
    for g in larger(state):
        parent = state.parents(g)
        codes = [a.code for a in state.by_geography[g]]
        if g in gaz.parent_codes:  # the linked ones (a geography of one area is not)
            assert gaz.parent_codes[g] == [codes[p] if p >= 0 else "" for p in parent], g
        for i, code in enumerate(codes):
            assert published[(g, code)] == set(np.flatnonzero(parent == i).tolist())
    for j in range(0, len(state.base_areas), 25):
        base = state.base_areas[j]
        lon, lat = bng_to_lonlat([base.easting], [base.northing])
        found = areas_at(float(lat[0]), float(lon[0]), state)
        assert found["base"]["code"] == base.code
        for g in larger(state):
            p = int(state.parents(g)[j])
            assert found["areas"].get(g, {}).get("code") == (
                state.by_geography[g][p].code if p >= 0 else None), (g, base.code)


@pytest.mark.parametrize("geography", ["ward", "msoa21"])
def test_the_parents_are_read_only(loaded, geography):
    if geography not in loaded.by_geography:
        pytest.skip(f"no {geography} in this city")
    with pytest.raises(ValueError):
        loaded.parents(geography)[0] = 0
