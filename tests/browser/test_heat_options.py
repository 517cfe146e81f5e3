"""A home's heat options in a real browser on a small phone (360 x 740, issue 23's "Done
means"): a private renter in a flat on electric storage heaters fills in the form and gets the
options that fit them - draught-proofing and the Warm Home Discount theirs, the heat pump grant
their landlord's - with nothing wider than the screen and no axe-core accessibility
violations."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

SMALL_PHONE = {"width": 360, "height": 740}


@pytest.fixture
def offers(hub):
    call_command("seed_energy", verbosity=0)


def test_a_renter_in_a_flat_on_electric_heating_gets_options_that_fit(
        hub, offers, phone_page, artifact_path):
    from axe_playwright_python.sync_playwright import Axe

    page = phone_page
    page.set_viewport_size(SMALL_PHONE)
    page.goto(hub + "/energy/")
    page.get_by_role("link", name="Keeping my home warm").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("h1")).to_have_text("Keeping your home warm: your options")
    page.get_by_role("group", name="What kind of home is it?").get_by_label(
        "Flat or maisonette").check()
    page.get_by_label("Electric storage heaters").check()
    page.get_by_label("I rent from a private landlord or letting agency").check()
    page.get_by_text("More about you").click()
    page.get_by_label("Universal Credit").check()
    page.get_by_label("Postcode (to find offers near you)").fill("MK2 2HB")
    page.get_by_role("button", name="Show my options").click()
    page.wait_for_load_state()

    result = page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name="Your options"))
    expect(result).to_contain_text("You can do this: draught-proofing")
    expect(result).to_contain_text("You may qualify for: Warm Home Discount.")
    expect(result).to_contain_text("Your landlord may apply for: Boiler Upgrade Scheme.")
    expect(result).to_contain_text("Loft insulation top-up (120 mm to 270 mm): does not fit")
    expect(result.get_by_role("heading", level=4,
                              name="Community shares: Bletchley library roof")).to_be_visible()
    # every assumption is a click away, with its source
    draught = result.locator("article").filter(has=page.get_by_role(
        "heading", name="Draught-proofing windows, doors and gaps"))
    draught.get_by_text("How we worked this out, and the sources").click()
    expect(draught).to_contain_text("Checkatrade")
    page.screenshot(path=str(artifact_path("heat-options-phone.png")), full_page=True)

    widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth,"
                           " inner: window.innerWidth})")
    assert widths["inner"] == SMALL_PHONE["width"]
    assert widths["doc"] <= widths["inner"] + 1, widths
    for fold in page.locator("details").all():  # open every fold: still nothing too wide
        fold.evaluate("d => d.open = true")
    widths = page.evaluate("() => document.documentElement.scrollWidth")
    assert widths <= SMALL_PHONE["width"] + 1
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
