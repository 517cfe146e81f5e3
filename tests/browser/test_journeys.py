"""Resident journeys through the real site, in a real browser (Playwright + Chromium).

Each test loads the real Milton Keynes data itself: ``live_server`` tests are
transactional and the database is flushed after every one of them.
"""

from __future__ import annotations

import csv
import re

import pytest
from playwright.sync_api import expect

LSOA = "E01016710"  # Milton Keynes 030A, in Bletchley East; same code in 2011 and 2021
LSOA_NAME = "Milton Keynes 030A"
POSTCODE = "MK2 2HB"  # live (no termination date), has coordinates, lies in E01016710


def _search(page, text: str) -> None:
    box = page.get_by_label("Place name, area code or postcode")
    box.fill(text)
    box.press("Enter")
    page.wait_for_load_state()


def _folded(page, summary_pattern):
    """An area page's folded table (a ``details.figures``) whose summary matches, opened."""
    details = page.locator("details.figures").filter(
        has=page.locator("summary", has_text=summary_pattern)).first
    details.locator("summary").first.click()
    expect(details).to_have_attribute("open", "")
    return details


def _section(page, heading_pattern):
    """The <section> labelled by an h2 matching ``heading_pattern``."""
    return (
        page.locator("section")
        .filter(has=page.get_by_role("heading", level=2, name=heading_pattern))
        .first
    )


def test_resident_searches_for_bletchley_and_reads_the_ward_profile(hub, page, artifact_path):
    page.goto(hub + "/")
    expect(page.locator("#q")).to_be_visible()
    _search(page, "Bletchley")

    expect(page).to_have_url(re.compile(r"/places/search\?q=Bletchley"))
    results = page.locator("ul.results")
    for ward in ("Bletchley East", "Bletchley Park", "Bletchley West"):
        expect(results.get_by_role("link", name=ward, exact=True)).to_be_visible()
    # Wards come first: a resident typing a town name wants the ward.
    expect(results.locator("li").first).to_contain_text("Ward")

    results.get_by_role("link", name="Bletchley East", exact=True).click()
    expect(page).to_have_url(re.compile(r"/places/ward/E05009406/$"))
    expect(page.locator("h1")).to_contain_text("Bletchley East")

    # Plain words first: the summary opens the page, before any table.
    expect(_section(page, "In short")).to_contain_text("people live here.")

    # Indices of Deprivation 2025, folded, with the overall IMD row once opened.
    iod25 = _folded(page, re.compile(r"Indices of Deprivation 2025"))
    expect(iod25).to_be_visible()
    imd_row = iod25.locator("table tbody tr").filter(
        has=page.locator("th", has_text=re.compile(r"Index of Multiple Deprivation|IMD"))
    )
    expect(imd_row.first).to_be_visible()
    expect(_folded(page, re.compile(r"Indices of Deprivation 2019"))).to_be_visible()

    # At least one Census table comparing with the whole city.
    tenure = _folded(page, "Owning or renting a home")
    census_col = tenure.locator("thead th", has_text="Share in Milton Keynes")
    expect(census_col.first).to_be_visible()
    assert census_col.count() >= 1

    # Sources and licences.
    sources = page.locator("ul.sources")
    expect(page.get_by_role("heading", name="Sources and licences")).to_be_visible()
    expect(sources).to_contain_text("Open Government Licence")

    # The map, with the ward outlined.
    svg = page.locator("svg#areamap")
    expect(svg).to_be_visible()
    expect(svg.locator("#areamap-outline path").first).to_be_attached()
    expect(svg.locator("#areamap-legend")).to_be_attached()

    page.screenshot(path=str(artifact_path("profile-ward-bletchley-east.png")), full_page=True)

    # Follow a neighbourhood from the ward's member list to its LSOA profile.
    members = _section(page, re.compile(r"Neighbourhoods in this area"))
    first = members.locator("ul.columns a").first
    name = first.inner_text().strip()
    href = first.get_attribute("href")
    assert href and re.fullmatch(r"/places/lsoa21/E01\d{6}/", href), href
    first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator("h1")).to_contain_text(name)
    # The LSOA is itself highlighted on the map, and its ward is linked as a parent.
    expect(page.locator("svg#areamap #areamap-highlight")).to_be_attached()
    expect(
        page.locator("ul.chips").get_by_role("link", name="Bletchley East", exact=True)
    ).to_be_visible()
    page.screenshot(path=str(artifact_path("profile-lsoa.png")), full_page=True)


def test_map_click_and_keyboard(hub, page):
    page.goto(hub + "/")
    link = page.locator(f'svg#citymap a:has(path[data-code="{LSOA}"])')
    expect(link).to_have_count(1)
    assert link.get_attribute("href") == f"/places/lsoa21/{LSOA}/"
    link.scroll_into_view_if_needed()
    try:
        link.click(timeout=5_000)
    except Exception:  # a neighbour's outline may overlap the target: go via the link itself
        link.dispatch_event("click")
    expect(page).to_have_url(re.compile(rf"/places/lsoa21/{LSOA}/$"))
    expect(page.locator("h1")).to_contain_text(LSOA_NAME)

    iod19 = _folded(page, re.compile(r"Indices of Deprivation 2019"))
    expect(iod19.locator("p.note")).to_contain_text("kept the same boundary and code")

    # Keyboard: the skip link is the first stop and moves focus to <main>.
    page.goto(hub + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => [document.activeElement.className, document.activeElement.textContent]"
    )
    assert focused[0] == "skip" and "Skip to main content" in focused[1], focused
    expect(page.locator("a.skip")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # From the search box, Tab reaches the Search button, and later a map link.
    page.locator("#q").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Search"
    for _ in range(5):
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('svg#citymap')"):
            break
    else:
        pytest.fail("Tab from the search form never reached a map link")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert re.fullmatch(r"/places/lsoa21/E01\d{6}/", href or ""), href


def test_code_postcode_nonsense_and_bad_point(hub, page, data_dir):
    # A live postcode goes straight to the neighbourhood it lies in.
    with open(data_dir / "lookups" / "mk_postcode_lookup.csv", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["pcds"] == POSTCODE)
    assert not row["doterm"] and row["lat"] and row["lon"] and row["lsoa21cd"] == LSOA, row
    page.goto(hub + "/")
    _search(page, POSTCODE.lower().replace(" ", ""))  # how people often type it
    expect(page).to_have_url(re.compile(rf"/places/lsoa21/{LSOA}/$"))
    expect(page.locator("h1")).to_contain_text(LSOA_NAME)

    # Nonsense: a helpful message, a 404 status and the search box to try again.
    page.goto(hub + "/")
    with page.expect_response(lambda r: "/places/search" in r.url) as info:
        _search(page, "zzzz")
    assert info.value.status == 404
    notice = page.get_by_role("status")
    expect(notice).to_contain_text("No place in Milton Keynes matches")
    expect(notice).to_contain_text("Bletchley")
    expect(page.locator("#q")).to_have_value("zzzz")

    # A point that is not a number.
    response = page.goto(hub + "/places/lookup?lat=abc&lon=1")
    assert response.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("There is a problem")
    expect(alert).to_contain_text("Latitude must be a number")
    expect(page.get_by_label("Latitude")).to_have_value("abc")

    # An exact area code goes straight to its profile: a ward code ...
    page.goto(hub + "/")
    _search(page, "E05009406")
    expect(page).to_have_url(re.compile(r"/places/ward/E05009406/$"))
    expect(page.locator("h1")).to_contain_text("Bletchley East")
    # ... and a neighbourhood code, even though the unchanged 2011 LSOA shares it:
    # the current (2021) neighbourhood is the one a resident means.
    page.goto(hub + "/")
    _search(page, LSOA)
    expect(page).to_have_url(re.compile(rf"/places/lsoa21/{LSOA}/$"))
    expect(page.locator("h1")).to_contain_text(LSOA_NAME)


def test_profile_on_a_phone(hub, phone_page, artifact_path):
    page = phone_page
    page.goto(hub + f"/places/lsoa21/{LSOA}/")
    expect(page.locator("h1")).to_contain_text(LSOA_NAME)
    page.wait_for_load_state("load")
    page.screenshot(path=str(artifact_path("profile-phone.png")), full_page=True)

    # The layout below depends on the site's stylesheet being served.
    css = page.locator('link[rel="stylesheet"]').first.get_attribute("href")
    response = page.request.get(hub + css)
    assert response.status == 200 and "text/css" in response.headers.get("content-type", ""), (
        f"stylesheet {css} not served: HTTP {response.status}"
    )

    widths = page.evaluate(
        "() => ({doc: document.documentElement.scrollWidth, body: document.body.scrollWidth,"
        " inner: window.innerWidth})"
    )
    assert widths["doc"] <= widths["inner"] + 1, widths
    assert widths["body"] <= widths["inner"] + 1, widths

    # Wide tables scroll inside their wrapper, never the page (opened: they come folded).
    page.evaluate("() => document.querySelectorAll('details').forEach(d => { d.open = true; })")
    wraps = page.locator(".table-wrap")
    assert wraps.count() >= 2
    info = page.evaluate(
        """() => [...document.querySelectorAll('.table-wrap')].map(w => ({
            overflowX: getComputedStyle(w).overflowX,
            right: w.getBoundingClientRect().right,
            scroll: w.scrollWidth, client: w.clientWidth}))"""
    )
    inner = widths["inner"]
    for w in info:
        assert w["overflowX"] in ("auto", "scroll"), w
        assert w["right"] <= inner + 1, w
    # On a phone the Census tables are wider than the screen: they must scroll in place.
    assert any(w["scroll"] > w["client"] + 1 for w in info), info
    # The map's figure fits the screen too; the map keeps its size (its text readable, its
    # areas big enough to tap) and scrolls sideways inside it.
    figure = page.locator("figure:has(> svg#areamap)")
    box = figure.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= inner + 1, box
    assert figure.evaluate("f => getComputedStyle(f).overflowX") in ("auto", "scroll")
