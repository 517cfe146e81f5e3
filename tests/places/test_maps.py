"""The place pages' maps draw what the page is about and its neighbours (``geography.mapview``),
never every neighbourhood of a big package: a profile's map is the place among the areas
around it, and the home map past the cap is a mosaic that says so."""

import re

import numpy as np
import pytest
import shapely

from commonground.geography import mapview

LSOA = "E01016710"
WARD = "E05009406"


@pytest.fixture
def web(client, loaded):
    return client


def drawn_codes(html: str, map_id: str) -> list[str]:
    svg = re.search(rf'<svg[^>]*id="{map_id}".*?</svg>', html, re.S).group(0)
    return re.findall(r'data-code="([^"]+)"', svg)


def touching(state, code: str) -> set[str]:
    """The base areas sharing a boundary or a corner with ``code``'s."""
    geoms = state.geometries(state.base)
    at = state.position(state.base)[code]
    near = np.flatnonzero(shapely.distance(geoms, geoms[at]) < 1e-6)
    return {state.base_areas[i].code for i in near} - {code}


def test_a_profile_map_draws_the_area_and_its_neighbours_not_every_lsoa(web, loaded):
    codes = drawn_codes(web.get(f"/places/lsoa21/{LSOA}/").content.decode(), "areamap")
    assert LSOA in codes and touching(loaded, LSOA) <= set(codes)
    assert len(set(codes)) < len(loaded.base_areas) / 2


def test_with_the_cap_lowered_a_profile_map_draws_the_area_and_its_nearest_neighbours(
        web, loaded, monkeypatch):
    neighbours = touching(loaded, LSOA)
    monkeypatch.setattr(mapview, "MAX_PATHS", len(neighbours) + 1)
    html = web.get(f"/places/lsoa21/{LSOA}/").content.decode()
    assert set(drawn_codes(html, "areamap")) == neighbours | {LSOA}
    assert "more in the window are left out" in html


def test_a_ward_map_draws_every_neighbourhood_in_the_ward_with_the_ward_outlined(web, loaded):
    html = web.get(f"/places/ward/{WARD}/").content.decode()
    codes = set(drawn_codes(html, "areamap"))
    ward = loaded.geometries("ward")[loaded.position("ward")[WARD]]
    geoms = loaded.geometries(loaded.base)
    inside = {loaded.base_areas[i].code for i in
              np.flatnonzero(shapely.area(shapely.intersection(geoms, ward))
                             > 0.5 * shapely.area(geoms))}
    assert inside and inside <= codes and len(codes) < len(loaded.base_areas)
    assert 'id="areamap-outline"' in html


def test_past_the_cap_the_home_map_is_a_mosaic_that_says_what_it_draws(web, loaded,
                                                                        monkeypatch):
    monkeypatch.setattr(mapview, "MAX_PATHS", 20)
    html = web.get("/").content.decode()
    svg = re.search(r'<svg[^>]*id="citymap".*?</svg>', html, re.S).group(0)
    assert svg.count('<a href="/places/lsoa21/') == 0
    assert 0 < svg.count('class="citymap-area') <= 11  # a path per decile (and no data)
    assert f"The {len(loaded.base_areas):,} neighbourhoods are too many to draw" in svg
    assert "Select any neighbourhood" not in html  # the page does not offer what it cannot do
