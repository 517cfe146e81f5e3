"""A renter in Milton Keynes finds a community share offer, registers interest with consent
(the link to the registration arrives by email), and the co-operative sees it; then the
renter deletes their details through that link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from commonground.accounts.models import Membership


@pytest.fixture
def coop_member(hub, django_user_model, settings):
    from commonground.energy.models import Offer

    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    coop = Offer.objects.get(kind="community_shares").organisation
    user = django_user_model.objects.create_user("coop", password="a-long-pass-phrase")
    Membership.objects.create(user=user, organisation=coop, role=Membership.Role.MEMBER)
    return user


def test_a_renter_registers_interest_in_community_shares_and_the_coop_sees_it(
        hub, coop_member, page, artifact_path, settings):
    settings.COMMONGROUND_SITE_URL = hub  # links in emails point at this server
    page.goto(hub + "/energy/home/")
    page.get_by_role("link", name="who can have solar on their own roof").click()
    expect(page.locator("h1")).to_have_text("Who can have solar panels on their own roof")
    page.goto(hub + "/energy/options/")
    page.get_by_label("Postcode").fill("MK2 2HB")
    page.get_by_label("I rent it").check()
    page.get_by_label("A flat").check()
    page.get_by_role("button", name="Show my options").click()
    offer = page.locator("article").filter(has_text="Community shares: Bletchley library roof")
    expect(offer).to_contain_text("You rent: community shares from £50 let you own part")
    expect(page.locator("article").filter(has_text="Panels for your roof")).to_have_count(0)
    # the offer's own register form opens by its summary (the "About you" questions inside
    # it are optional and left folded and empty)
    offer.locator("summary", has_text="Register interest in").click()
    expect(offer.locator("details.about-you")).not_to_have_attribute("open", "")
    offer.get_by_label("Your name").fill("Sam Resident")
    offer.get_by_label("Email").fill("sam@example.org")
    offer.get_by_role("button", name="Register interest").click()
    # without consent nothing is stored, and the form says why
    expect(page.get_by_role("alert")).to_contain_text("Consent")
    offer = page.locator("article").filter(has_text="Community shares: Bletchley library roof")
    offer.get_by_label("Your name").fill("Sam Resident")
    offer.get_by_label("Email").fill("sam@example.org")
    offer.get_by_label(re.compile("may contact me about this offer")).check()
    offer.get_by_role("button", name="Register interest").click()
    expect(page.locator("h1")).to_have_text("Check your email")
    expect(page.locator("main")).to_contain_text("We have emailed you a link")
    expect(page.locator("main a[href*='/energy/interest/']")).to_have_count(0)  # never shown
    own_link = re.search(r"https?://\S+/energy/interest/\S+/", mail.outbox[-1].body).group(0)
    assert mail.outbox[-1].to == ["sam@example.org"] and own_link.startswith(hub)
    page.screenshot(path=artifact_path("energy-registered.png"), full_page=True)

    page.goto(hub + "/energy/provider/")
    page.get_by_label("User name").fill("coop")
    page.get_by_label("Password").fill("a-long-pass-phrase")
    page.get_by_role("button", name="Sign in").click()
    table = page.get_by_role("region", name=re.compile("Registrations for Community shares"))
    expect(table).to_contain_text("Sam Resident")
    expect(table).to_contain_text("sam@example.org")

    page.goto(own_link)  # the link in the email
    page.get_by_role("button", name="Delete my details").click()
    expect(page.locator("h1")).to_have_text("Your details are deleted")
    page.goto(hub + "/energy/provider/")
    expect(page.get_by_text("sam@example.org")).to_have_count(0)
