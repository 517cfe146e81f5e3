"""A feed's live map and a datastream's chart in a real browser (issue 18's "Done means"):
the feed is found from the site's navigation, its city map draws the thing in Milton Keynes
and lists the one in Bath, a new observation appears without a reload (the hub's own script,
under the CSP that allows only self scripts), the chart draws the chosen period, and neither
page has axe-core accessibility violations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect


@pytest.fixture
def car_parks(hub):
    from django.utils import timezone

    from commonground.accounts.models import Organisation
    from commonground.feeds.models import Feed, Observation
    from tests.feeds.read_world import BATH, MK, make_stream, make_thing

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    feed = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                               state=Feed.State.PUBLISHED)
    centre = make_stream(make_thing(feed, "cp1", "Centre car park", *MK))
    make_stream(make_thing(feed, "bath-sb", "SouthGate, Bath", *BATH))
    now = timezone.now()
    Observation.objects.bulk_create(
        [Observation(datastream=centre, time=now - timedelta(minutes=10 * i), number=100 + i)
         for i in range(1, 30)])
    return centre


def test_the_live_map_refreshes_and_the_chart_draws(hub, car_parks, page):
    from axe_playwright_python.sync_playwright import Axe
    from django.utils import timezone

    from commonground.feeds.models import Observation

    refused = []
    page.on("console", lambda m: refused.append(m.text)
            if "Content Security Policy" in m.text else None)
    page.clock.install()
    page.goto(hub + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Live feeds").click()
    page.get_by_role("link", name="Car parks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Car parks")
    expect(page.locator("figure.map svg circle")).to_have_count(1)
    expect(page.locator("ul.outside")).to_contain_text("SouthGate, Bath")
    cell = page.locator(f'[data-stream="{car_parks.pk}"]')
    expect(cell).to_have_text("101")
    assert Axe().run(page).violations_count == 0

    Observation.objects.create(datastream=car_parks, time=timezone.now(), number=42.5)
    page.clock.run_for(61_000)  # the script asks for the latest values every minute
    expect(cell).to_have_text("42.5")
    expect(page.locator("#refresh-status")).to_contain_text("Latest values")

    page.get_by_role("link", name="Centre car park occupancy").click()
    page.get_by_label("Last week").check()
    page.get_by_role("button", name="Show").click()
    expect(page.locator("svg.chart polyline")).to_have_count(1)
    expect(page.locator("svg.chart desc")).to_contain_text("30 values from")
    page.get_by_label("Hourly means").check()
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("columnheader", name="Mean")).to_be_visible()
    assert Axe().run(page).violations_count == 0
    assert refused == []
