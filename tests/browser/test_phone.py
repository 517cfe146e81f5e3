"""Common Ground on a cheap phone (issue 22): each main page at 360 x 740 in Chromium fits the
screen (nothing scrolls sideways but a table in its own box) and has no axe-core violations;
the navigation folds into a menu that works by keyboard and without JavaScript; a form's
results are scrolled into view; chart and map text is at least 12 px; a map's areas are big
enough to tap (24 x 24 px) or listed beside it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import DEFAULT_TIMEOUT_MS

WIDTH = 360
PHONE_360 = {"viewport": {"width": WIDTH, "height": 740}, "device_scale_factor": 2,
             "is_mobile": True, "has_touch": True}
LSOA = "E01016710"  # Milton Keynes 030A, in Bletchley East
WARD = "E05009406"  # Bletchley East
POSTCODE = "MK2 2HB"
# The outermost elements, outside any box of their own that scrolls or clips (a wide table's,
# a chart's), whose right edge passes `limit`: what makes a page wider than the screen.
OVERFLOWING = """limit => {
  const boxed = el => { for (let a = el.parentElement; a && a !== document.body;
                             a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") return true; } return false; };
  return [...document.querySelectorAll("body *")]
    .filter(el => el.getBoundingClientRect().right > limit + 0.5 && !boxed(el)
                  && el.parentElement.getBoundingClientRect().right <= limit + 0.5)
    .map(el => `<${el.tagName.toLowerCase()} class="${el.getAttribute("class") || ""}">`
               + ` ending at ${Math.round(el.getBoundingClientRect().right)} px`
               + ` ("${el.textContent.trim().replace(/\\s+/g, " ").slice(0, 50)}")`); }"""
# Text in the page's SVG charts and maps drawn smaller than 12 CSS pixels on this screen.
SMALL_SVG_TEXT = """() => [...document.querySelectorAll("main svg text")]
  .filter(t => t.getClientRects().length && t.textContent.trim())
  .map(t => [t.textContent.trim().slice(0, 30), t.getBoundingClientRect().height,
             parseFloat(getComputedStyle(t).fontSize)
             * (t.getScreenCTM() ? Math.abs(t.getScreenCTM().d) : 1)])
  .filter(([, , px]) => px < 12)"""

# Links on a map drawn smaller than 24 x 24 px (WCAG 2.2's least target size) whose place is
# not also linked outside the map on the page (a list beside it, perhaps folded).
SMALL_MAP_LINKS = """() => {
  const url = a => new URL(a.getAttribute("href"), location.href).href;
  const listed = new Set([...document.querySelectorAll("main a[href]")]
    .filter(a => !a.closest("svg")).map(url));
  return [...document.querySelectorAll("main svg a[href]")]
    .filter(a => { const r = a.getBoundingClientRect();
                   return r.width < 24 || r.height < 24; })
    .filter(a => !listed.has(url(a)))
    .map(a => a.textContent.trim().slice(0, 40)); }"""


@pytest.fixture
def phone(chromium_browser):
    """A page on a 360 x 740 phone screen (touch, mobile)."""
    context = chromium_browser.new_context(**PHONE_360)
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def _catalogue(again, data_dir):
    """The demo's datasets (``seed_catalogue``; a worker seeds once, then copies them back:
    ``load_city_again``); the first published one."""
    from commonground.catalogue.models import Dataset

    again(data_dir, seeded=("seed_catalogue",))
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED).order_by("name").first()


def _community(settings, again, data_dir):
    settings.DEBUG = True  # the demo's known passwords
    again(data_dir, seeded=("seed_catalogue", "seed_community"))


def _first(model, **where):
    row = model.objects.filter(**where).order_by("pk").first()
    assert row is not None, f"the demo has a {model.__name__}"
    return row


def _feeds():
    from django.utils import timezone

    from commonground.accounts.models import Organisation
    from commonground.feeds.models import Feed, Observation
    from tests.feeds.read_world import MK, make_stream, make_thing

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    feed = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                               state=Feed.State.PUBLISHED)
    stream = make_stream(make_thing(feed, "cp1", "Centre car park", *MK))
    now = timezone.now()
    Observation.objects.bulk_create(
        [Observation(datastream=stream, time=now - timedelta(minutes=10 * i), number=100 + i)
         for i in range(1, 30)])
    return "/feeds/"


def _projects(data_dir):
    from commonground.accounts.models import Organisation
    from commonground.projects.importing import load_register

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    assert load_register(data_dir, owner=council).ok
    return "/projects/"


def _path(where: str, settings, data_dir, again) -> str:
    """Make the demo-like data the page needs and return its address."""
    from commonground.places.models import Area

    if where == "msoa":
        return f"/places/msoa21/{_first(Area, geography='msoa21').code}/"
    if where in ("datasets", "dataset", "lens"):
        name = _catalogue(again, data_dir).name
        return {"datasets": "/datasets/", "dataset": f"/datasets/{name}/",
                "lens": f"/datasets/{name}/lens/"}[where]
    if where in ("requests", "consultations", "consultation", "packs", "pack", "groups"):
        _community(settings, again, data_dir)
        from commonground.consultations.models import Consultation
        from commonground.evidence.models import EvidencePack

        return {"requests": "/requests/", "consultations": "/consultations/",
                "consultation": _first(Consultation).get_absolute_url(), "packs": "/packs/",
                "pack": f"/packs/{_first(EvidencePack).pk}/", "groups": "/groups/"}[where]
    if where in ("options", "solar", "heat-options", "left-out"):
        call_command("seed_energy", verbosity=0)
        return {"options": f"/energy/options/?postcode={POSTCODE}&tenure=rent&home=flat",
                "solar": f"/energy/home/?postcode={POSTCODE}&home_type=semi-detached",
                "heat-options": f"/energy/heat/options/?postcode={POSTCODE}&home_type=flat"
                                "&heating=electric_storage&tenure=private_renter",
                "left-out": "/energy/left-out/"}[where]
    if where == "feeds":
        return _feeds()
    if where == "projects":
        return _projects(data_dir)
    return {"home": "/", "search": "/places/search?q=Bletchley",
            "lsoa": f"/places/lsoa21/{LSOA}/", "ward": f"/places/ward/{WARD}/",
            "sign-in": "/accounts/login/", "heat": "/energy/heat/",
            "heat-area": f"/energy/heat/lsoa21/{LSOA}/",
            "campaign": "/energy/heat/campaign/?geography=ward"}[where]


PAGES = ["home", "search", "lsoa", "msoa", "ward", "datasets", "dataset", "lens", "requests",
         "consultations", "consultation", "packs", "pack", "options", "solar", "groups",
         "projects", "feeds", "sign-in", "heat", "heat-area", "heat-options", "campaign",
         "left-out"]


@pytest.mark.parametrize("where", PAGES)
def test_each_main_page_fits_a_360_pixel_phone_and_is_accessible(
        hub, phone, settings, data_dir, where, artifact_path, load_city_again):
    from axe_playwright_python.sync_playwright import Axe

    path = _path(where, settings, data_dir, load_city_again)
    settings.DEBUG = False
    page = phone
    response = page.goto(hub + path)
    assert response.ok, (path, response.status)
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=str(artifact_path(f"phone/{where}.png")), full_page=True)
    problems = []  # every problem of the page at once, not only the first
    # Against the screen's 360 px: a phone zooms out to show a page that is too wide, and
    # then its window.innerWidth grows to match.
    widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth,"
                           " inner: window.innerWidth})")
    overflowing = page.evaluate(OVERFLOWING, WIDTH)
    if max(widths.values()) > WIDTH or overflowing:
        problems.append(("wider than the screen", widths, overflowing[:5]))
    small = page.evaluate(SMALL_SVG_TEXT)
    if small:
        problems.append(("chart or map text under 12 px", small[:5]))
    results = Axe().run(page)
    if results.violations_count:
        problems.append(("axe-core", results.generate_report()))
    assert not problems, "\n".join([path, *(repr(p) for p in problems)])


MAP_PAGES = ["home", "lsoa", "msoa", "ward", "lens", "pack", "solar", "heat"]


@pytest.mark.parametrize("where", MAP_PAGES)
def test_a_maps_areas_are_big_enough_to_tap_on_a_phone_or_listed_beside_it(
        hub, phone, settings, data_dir, where, load_city_again):
    path = _path(where, settings, data_dir, load_city_again)
    settings.DEBUG = False
    page = phone
    page.goto(hub + path)
    expect(page.locator("main svg a[href]").first).to_be_attached()  # a map with links
    untappable = page.evaluate(SMALL_MAP_LINKS)
    assert not untappable, (path, f"{len(untappable)} map areas too small to tap and not "
                            "linked elsewhere on the page", untappable[:5])

def test_the_menu_folds_on_a_phone_and_opens_by_keyboard_without_javascript(
        live_server, transactional_db, chromium_browser):
    context = chromium_browser.new_context(**PHONE_360, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    nav = page.get_by_role("navigation", name="Main")
    datasets = nav.get_by_role("link", name="Datasets")
    expect(datasets).to_be_hidden()  # folded: the page starts near the top of the screen
    page.screenshot(path="test-artifacts/phone/menu-folded.png")
    assert page.locator("header.site").bounding_box()["height"] <= 120  # unfolded: 300 px
    for _ in range(3):  # the skip link, the site's name, then the menu's button
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Menu", focused
    page.keyboard.press("Enter")
    expect(datasets).to_be_visible()
    page.screenshot(path="test-artifacts/phone/menu-open.png")
    box = datasets.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= WIDTH and box["height"] >= 44, box
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # "Find a place", then "Datasets"
    page.keyboard.press("Enter")
    page.wait_for_url("**/datasets/")
    context.close()


def test_the_menu_is_open_on_a_wide_screen(live_server, transactional_db, page):
    page.goto(live_server.url + "/accounts/login/")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Datasets")).to_be_visible()
    expect(nav.get_by_role("link", name="Sign in")).to_be_visible()
    expect(nav.locator("summary")).to_be_hidden()


def _solar_form(page):
    page.get_by_label("Postcode").fill(POSTCODE)
    page.get_by_label("Semi-detached house").check()
    page.get_by_role("button", name="Estimate", exact=True).click()
    return page.get_by_role("heading", name="Your estimate")


def _options_form(page):
    page.get_by_label("Postcode").fill(POSTCODE)
    page.get_by_label("I rent it").check()
    page.get_by_label("A flat").check()
    page.get_by_role("button", name="Show my options").click()
    return page.get_by_role("heading", name=re.compile(r"options? for"))


def _search_form(page):
    page.get_by_label("Place name, area code or postcode").fill("Bletchley")
    page.get_by_role("button", name="Search").click()
    return page.get_by_role("heading", name=re.compile(r"match .Bletchley"))


@pytest.mark.parametrize("start, fill", [("/energy/home/", _solar_form),
                                         ("/energy/options/", _options_form),
                                         ("/", _search_form)],
                         ids=["solar estimate", "energy options", "place search"])
def test_a_forms_results_are_scrolled_into_view_on_a_phone(hub, phone, start, fill):
    call_command("seed_energy", verbosity=0)
    page = phone
    page.goto(hub + start)
    heading = fill(page)
    page.wait_for_load_state("load")
    expect(heading).to_be_visible()
    box = heading.bounding_box()  # relative to the screen as scrolled
    assert -1 <= box["y"] and box["y"] + box["height"] <= 740, (page.url, box)


def test_the_lens_brings_its_results_into_view_after_its_choices_on_a_phone(
        hub, phone, data_dir, load_city_again):
    page = phone
    page.goto(hub + f"/datasets/{_catalogue(load_city_again, data_dir).name}/lens/")
    page.get_by_role("button", name="Show", exact=True).click()
    page.wait_for_load_state("load")
    heading = page.get_by_role("heading", name="In plain words")
    expect(heading).to_be_visible()
    box = heading.bounding_box()  # relative to the screen as scrolled
    assert -1 <= box["y"] and box["y"] + box["height"] <= 740, (page.url, box)
