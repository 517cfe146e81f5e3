"""A neighbourhood's profile with England loaded, in a real browser.

The live server's database holds a package of a few national files (every LSOA 2021 of
England, MSOA 2021, the lookup between them, IoD 2025; ``tests/national.py``). The page shows
the neighbourhood, its published IMD decile and a map of it and its neighbours (never the
whole country's paths), with no error in the browser's console.
"""

from __future__ import annotations

import pytest
from national import available, build_national, read_published
from playwright.sync_api import expect

NORTHUMBERLAND = "E06000057"
MAX_PATHS = 2_000  # a map draws the place and its neighbours, not 33,755 areas

pytestmark = pytest.mark.skipif(not available(), reason="the national package is not at ../shared/data-england")


@pytest.fixture
def england(live_server, transactional_db, tmp_path):
    """The live server with the national package loaded; afterwards the city state is read
    again (the next test's ``hub`` loads Milton Keynes into the flushed database)."""
    from commonground.places import cache
    from commonground.places.loading import load_places

    package = build_national(tmp_path)
    load_places(package, force=True)
    yield live_server.url, read_published(package)
    cache.clear()


def test_a_neighbourhood_profile_with_england_loaded(england, page):
    hub, published = england
    lsoa = sorted(c for c, lad in published.authority.items() if lad == NORTHUMBERLAND)[0]
    problems, failed = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error"
            and not m.text.startswith("Failed to load resource") else None)  # those: by address below
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)

    answer = page.goto(f"{hub}/places/{published.lsoa_geography}/{lsoa}/")
    assert answer.status == 200
    expect(page.locator("h1")).to_have_text(published.names[lsoa])

    # the published IMD decile, in the deprivation table's "Tenth of England" column
    column = "Tenth of England (1 = most deprived)"
    table = page.locator("table").filter(has=page.locator("th", has_text=column)).first
    headers = [t.strip() for t in table.locator("thead th").all_text_contents()]
    imd = table.locator("tbody tr").filter(
        has=page.locator("th", has_text="Index of Multiple Deprivation")).first
    cells = [t.strip() for t in imd.locator("th, td").all_text_contents()]
    assert cells[headers.index(column)] == str(published.imd_decile[lsoa])

    # the map is drawn: the neighbourhood highlighted among its neighbours, a bounded number of paths
    svg = page.locator("svg#areamap")
    expect(svg).to_be_visible()
    expect(svg.locator(f'path.areamap-highlight[data-code="{lsoa}"]')).to_be_attached()
    drawn = svg.locator("path[data-code]").evaluate_all("paths => paths.map(p => p.dataset.code)")
    assert len(set(drawn)) > 1 and set(drawn) <= set(published.authority)  # neighbourhoods only
    assert svg.locator("path").count() < MAX_PATHS

    page.wait_for_load_state("networkidle")
    assert problems == []
    assert failed == []  # nothing the page asks for fails, its icon included
