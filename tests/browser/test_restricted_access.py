"""Restricted data in Chromium: a resident asks for part of the council's restricted charge
points, the council counter-offers fewer columns, the resident accepts and downloads exactly
the columns granted."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from commonground.geography.manifest import load_manifest

PURPOSE = "Map which estates lack home charging for our transport plan"
SAFES = {"Safe projects": "A community transport plan, for the public good",
         "Safe people": "Two volunteers trained by the hub",
         "Safe settings": "A locked laptop, never a shared drive",
         "Safe data": "Only the columns needed to place each charger",
         "Safe outputs": "Counts per ward only, none below ten"}


@pytest.fixture
def chargers(hub, data_dir, django_user_model, ingest_path):
    """The manifest's charge points, published by the council, restricted as a whole."""
    from commonground.accounts.models import Membership, Organisation
    from commonground.catalogue.models import Dataset

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    officer = django_user_model.objects.create_user("officer", password="pw-officer-1")
    django_user_model.objects.create_user("resident", password="pw-resident-1")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    source = next(r for r in load_manifest(data_dir).resources if r.name == "ev-chargepoints")
    dataset = Dataset.objects.create(name="ev-chargepoints", title="Charge points",
                                     organisation=council, state=Dataset.State.PUBLISHED,
                                     restricted=True)
    job = ingest_path(dataset, data_dir / source.path, user=officer)
    columns = [c["name"] for c in job.version.schema]
    return {"dataset": dataset, "columns": columns}


def _sign_in(page, hub, username, password):
    page.goto(hub + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_resident_asks_the_council_counter_offers_and_the_resident_downloads_the_grant(
        hub, chargers, page, chromium_browser, artifact_path):
    asked, offered = chargers["columns"][:4], chargers["columns"][:2]

    # A resident finds the restricted dataset (not a 404) and asks for four columns.
    _sign_in(page, hub, "resident", "pw-resident-1")
    page.goto(hub + "/datasets/ev-chargepoints/")
    expect(page.get_by_role("heading", name="Access")).to_be_visible()
    page.get_by_role("link", name="Ask for access").click()
    for name in chargers["columns"]:  # every column is ticked to start with
        page.locator(f"input[name=columns][value='{name}']").set_checked(name in asked)
    page.get_by_label("Purpose").fill(PURPOSE)
    for label, answer in SAFES.items():
        page.get_by_label(label, exact=True).fill(answer)
    page.get_by_label("I accept these terms").check()
    page.get_by_role("button", name="Ask for access").click()
    expect(page.locator("h1")).to_contain_text("Access request")
    request_url = page.url
    request_id = re.search(r"/(\d+)/?$", request_url).group(1)

    # The council's officer, in another browser, offers two of the four columns.
    officer = chromium_browser.new_context()
    try:
        council = officer.new_page()
        _sign_in(council, hub, "officer", "pw-officer-1")
        council.goto(hub + "/datasets/ev-chargepoints/")
        council.get_by_role("link", name=re.compile("Access requests and grants")).click()
        council.get_by_role("link", name=request_id, exact=True).click()
        for name in asked[len(offered):]:
            council.locator(f"input[name=columns][value='{name}']").uncheck()
        council.get_by_label("Note").fill("The other columns identify households.")
        council.get_by_role("button", name="Send the counter-offer").click()
        expect(council.locator("body")).to_contain_text("Counter-offer made")
        council.screenshot(path=str(artifact_path("restricted-counter-offer.png")),
                           full_page=True)
    finally:
        officer.close()

    # The resident sees the offer, accepts it and downloads the live version as CSV.
    page.goto(request_url)
    expect(page.locator("body")).to_contain_text("The other columns identify households.")
    page.get_by_role("button", name="Accept the counter-offer").click()
    expect(page.locator("body")).to_contain_text("Granted")
    page.goto(hub + "/datasets/ev-chargepoints/")
    page.get_by_role("link", name=re.compile("Charge|ev-chargepoints", re.I)).last.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    body = download_info.value.path().read_text(encoding="utf-8-sig")
    header = next(csv.reader(io.StringIO(body)))
    data_columns = [name for name in header if not name.startswith("_")]
    assert data_columns == offered
    assert not set(asked[len(offered):]) & set(header)
    page.screenshot(path=str(artifact_path("restricted-granted.png")), full_page=True)
