"""A resident on a cheap phone (360 × 740) goes from a postcode to the plain-words profile of
their neighbourhood, to a solar estimate without a tape measure, to registering interest in
an offer that fits them: every step fits the screen."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

CHEAP_PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
               "is_mobile": True, "has_touch": True}


@pytest.fixture
def small_phone(chromium_browser):
    context = chromium_browser.new_context(**CHEAP_PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def offers(hub, settings):
    settings.DEBUG = False
    settings.COMMONGROUND_SITE_URL = hub
    call_command("seed_energy", verbosity=0)


def fits_the_screen(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide on a 360 px screen"


def test_postcode_to_profile_to_solar_to_registering_interest(hub, offers, small_phone):
    page = small_phone
    page.goto(hub + "/")
    page.get_by_role("searchbox").first.fill("MK2 2HB")
    page.get_by_role("searchbox").first.press("Enter")
    expect(page).to_have_url(re.compile(r"/places/lsoa21/E01\d+/"))
    in_short = page.get_by_role("region", name=re.compile("In short"))
    expect(in_short).to_be_visible()
    words = in_short.locator(".area-words").inner_text()
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z])", words.strip())
    assert 5 <= len(sentences) <= 8, sentences
    expect(page.locator("details[open] table")).to_have_count(0)  # the tables are folded
    fits_the_screen(page)

    page.goto(hub + "/energy/home/")
    page.get_by_label("Postcode").fill("MK2 2HB")
    page.get_by_label("Semi-detached house").check()
    page.get_by_label("I own my home").check()
    page.get_by_role("button", name="Estimate").click()
    result = page.get_by_role("region", name="Your estimate")
    expect(result).to_be_visible()
    expect(result).to_contain_text("kWp")
    fits_the_screen(page)

    page.get_by_role("link", name="See the solar offers open to you").click()
    expect(page.locator("main")).to_contain_text("Your answers")
    expect(page.get_by_label("Postcode").first).to_be_hidden()  # not asked again (folded)
    # each offer's registration form is folded under its own "Register interest in …" summary
    # (its optional "About you" questions, folded inside, are left unanswered)
    register = page.locator("summary", has_text="Register interest in")
    first = page.locator("article").filter(has=register).first
    first.locator("summary", has_text="Register interest in").click()
    first.get_by_label("Your name").fill("Sam Resident")
    first.get_by_label("Email").fill("sam@example.org")
    first.get_by_label(re.compile("may contact me about this offer")).check()
    fits_the_screen(page)
    first.get_by_role("button", name="Register interest").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    fits_the_screen(page)
