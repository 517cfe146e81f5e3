"""England at national scale, in one cheap test: a package of a few national files (every
LSOA 2021 and MSOA 2021 boundary, the LSOA > MSOA lookup, IoD 2025: all 33,755
neighbourhoods) loads, each neighbourhood is in one derived authority, profiles show the
published deciles, a point is found, and the pages stay small.

The full England package is measured in ``benchmarks/england.py``, not here. The load runs in
this test's transaction; afterwards the session's city comes back (rolled back) and its state
is read again.
"""

from __future__ import annotations

import numpy as np
import pytest
from national import available, build_national, read_published

MB = 1_000_000
CORNWALL, NORTHUMBERLAND = "E06000052", "E06000057"
MANCHESTER_TOWN_HALL = (53.47944, -2.24444)  # lat, lon (WGS84)

pytestmark = pytest.mark.skipif(not available(), reason="the national package is not at ../shared/data-england")


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    return build_national(tmp_path_factory.mktemp("england"))


@pytest.fixture(scope="module")
def published(package):
    return read_published(package)


@pytest.fixture
def england(db, package):
    from commonground.places import cache
    from commonground.places.loading import load_places

    run = load_places(package).run
    yield run, cache.city_state()
    cache.clear()


def _middle(codes):
    codes = sorted(codes)
    return codes[len(codes) // 2]


def test_england_loads_and_serves_every_neighbourhood(england, published, client):
    from commonground.places import authorities, profiles, search

    run, state = england
    assert run.authority_codes == ["E92000001"] and run.city_name == "England"
    base = state.base
    assert base == published.lsoa_geography
    assert len(state.by_geography[base]) == len(published.authority) == 33_755

    # each neighbourhood in exactly one authority, the one the national file gives it
    lad = authorities.authority_geography(state)
    assert lad == "lad"  # derived from the codes the neighbourhoods carry: the package has no such file
    W = state.members(lad)
    assert np.diff(W.tocsc().indptr).tolist() == [1] * len(state.base_areas)
    assert np.all(W.data == 1.0)
    derived, parent = state.by_geography[lad], state.parents(lad)
    assert {r.code: derived[parent[i]].code for i, r in enumerate(state.by_geography[base])} \
        == published.authority

    # a neighbourhood in Cornwall and one in Northumberland: their published IMD decile
    for authority in (CORNWALL, NORTHUMBERLAND):
        lsoa = _middle(c for c, a in published.authority.items() if a == authority)
        p = profiles.area_profile(base, lsoa, state)
        assert p["area"]["name"] == published.names[lsoa]
        [iod] = p["deprivation"]  # the package's one deprivation file
        imd = next(row for row in iod["rows"] if row["domain"] == "Index of Multiple Deprivation")
        assert imd["decile"] == published.imd_decile[lsoa]
        assert p["compared_with"]["authority"]["code"] == authority

    # a point: Manchester town hall's neighbourhood and MSOA
    lat, lon = MANCHESTER_TOWN_HALL
    lsoa = published.lsoa_at(lat, lon)
    at = search.areas_at(lat, lon, state)
    assert at["base"]["code"] == lsoa
    assert at["areas"][published.msoa_geography]["code"] == published.msoa[lsoa]
    assert at["areas"][lad]["code"] == published.authority[lsoa]

    # what a browser gets: the profile and the home page, each under 1 MB
    page = client.get(f"/places/{base}/{lsoa}/")
    assert page.status_code == 200 and len(page.content) < MB
    assert published.names[lsoa] in page.content.decode()
    home = client.get("/")
    assert home.status_code == 200 and len(home.content) < MB
