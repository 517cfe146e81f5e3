"""The community journey in a real browser: a resident signs up and joins a group, files a
data request; the council officer answers it by publishing a dataset; the resident is
notified; the group builds an evidence pack for a neighbourhood and downloads its PDF."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

LIBRARIES = "points/mk_public_libraries_dcms_2023.geojson"
LSOA = "E01016714"  # Milton Keynes 030B, around Bletchley library
LSOA_NAME = "Milton Keynes 030B"


@pytest.fixture
def cast(hub, data_dir, django_user_model, ingest_path):
    """The council with an officer and a draft dataset of libraries; a group with an admin."""
    from commonground.accounts.models import Membership, Organisation
    from commonground.catalogue.models import Dataset

    make = django_user_model.objects.create_user
    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    group = Organisation.objects.create(slug="bletchley-action", name="Bletchley Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    officer = make("officer", password="pw-officer-1")
    admin = make("group-admin", password="pw-admin-1")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    Membership.objects.create(user=admin, organisation=group, role="admin")
    libraries = Dataset.objects.create(name="public-libraries", title="Public libraries",
                                       organisation=council, state=Dataset.State.DRAFT)
    ingest_path(libraries, data_dir / LIBRARIES, user=officer)
    return {"council": council, "group": group}


def _sign_in(page, hub, username, password):
    page.goto(hub + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _sign_out(page):
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.wait_for_load_state()


def test_a_request_answered_by_publishing_and_an_evidence_pack(hub, page, cast, artifact_path):
    # A resident signs up and confirms the address through the emailed link.
    page.goto(hub + "/accounts/signup/")
    page.get_by_label("User name").fill("amina")
    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_label("Password").fill("a-long-passphrase-9")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("h1")).to_contain_text("Check your email")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link)
    _sign_in(page, hub, "amina", "a-long-passphrase-9")

    # She asks to join the group; its admin accepts.
    page.goto(hub + "/groups/bletchley-action/")
    page.get_by_label("Ask to join Bletchley Action").fill("I live on Queensway.")
    page.get_by_role("button", name="Ask to join").click()
    expect(page.get_by_text("You asked to join")).to_be_visible()
    _sign_out(page)
    _sign_in(page, hub, "group-admin", "pw-admin-1")
    page.goto(hub + "/groups/bletchley-action/members")
    expect(page.get_by_text("I live on Queensway.")).to_be_visible()
    page.get_by_role("button", name="Accept amina").click()
    _sign_out(page)

    # As a member, she files a data request on the group's behalf.
    _sign_in(page, hub, "amina", "a-long-passphrase-9")
    page.goto(hub + "/groups/bletchley-action/")
    expect(page.get_by_text("You are member of Bletchley Action")).to_be_visible()
    page.get_by_role("link", name="Ask for data on behalf of Bletchley Action").click()
    page.get_by_label("What data").fill("Libraries and their opening hours")
    page.get_by_label("Why it matters").fill("Where can people without internet at home "
                                             "get online?")
    page.get_by_label("Who you are asking").select_option(label="Milton Keynes City Council")
    expect(page.get_by_label("On behalf of")).to_have_value("bletchley-action")
    page.get_by_label("Places").fill("Bletchley Park")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.locator("h1")).to_have_text("Libraries and their opening hours")
    request_url = page.url
    _sign_out(page)

    # The council officer publishes the dataset and answers the request with it.
    _sign_in(page, hub, "officer", "pw-officer-1")
    page.goto(hub + "/datasets/public-libraries/")
    page.get_by_role("button", name="Publish", exact=True).click()
    page.goto(request_url)
    page.get_by_label("Status").select_option(label="Published")
    page.get_by_label("Your answer (public)").fill("Here are the libraries; hours to follow.")
    page.get_by_label("Dataset published").select_option(label="Public libraries")
    page.get_by_role("button", name="Answer on the record").click()
    expect(page.get_by_text("Published: Public libraries")).to_be_visible()
    _sign_out(page)

    # She is notified.
    _sign_in(page, hub, "amina", "a-long-passphrase-9")
    expect(page.get_by_role("link", name=re.compile(r"Notifications \(\d+\)"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_role("link", name=re.compile(
        "answered “Libraries and their opening hours”: published"))).to_be_visible()
    page.screenshot(path=str(artifact_path("community-notified.png")), full_page=True)
    _sign_out(page)

    # The group builds an evidence pack for the neighbourhood and downloads its PDF.
    _sign_in(page, hub, "group-admin", "pw-admin-1")
    page.goto(hub + "/groups/bletchley-action/")
    page.get_by_role("link", name="Build an evidence pack").click()
    page.get_by_label("Title").fill("Getting online around Bletchley library")
    page.get_by_label("The question").fill("Is the library where people need it?")
    page.get_by_label("Place").fill(LSOA_NAME)
    page.get_by_role("button", name="Create the draft").click()
    page.get_by_role("button", name="Add profile figures").click()
    page.get_by_label(re.compile("A dataset's figures")).select_option(
        label="Public libraries (Milton Keynes City Council)")
    page.get_by_role("button", name="Add the dataset's figures").click()
    page.get_by_role("button", name="Publish the pack").click()
    page.goto(hub + "/packs/")
    page.get_by_role("link", name="Getting online around Bletchley library").click()
    expect(page.locator("h1")).to_contain_text("Getting online around Bletchley library")
    expect(page.get_by_text(re.compile("Source: Public libraries, version 1")).first)\
        .to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download the PDF")).click()
    download = download_info.value
    pdf_path = artifact_path("evidence-pack.pdf")
    download.save_as(pdf_path)

    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in
                             PdfReader(io.BytesIO(pdf_path.read_bytes())).pages).split())
    assert LSOA_NAME in text
    cited = re.search(r"(\d[\d,.]*) .{0,200}?Source: Public libraries, version 1 \(sha256", text)
    assert cited, text[:2000]


@pytest.fixture
def demo_community(hub, settings, data_dir, load_city_again):
    """The demo's community (``seed_community``; a worker seeds once, then copies it back)."""
    settings.DEBUG = True  # the demo's known passwords
    load_city_again(data_dir, seeded=("seed_community",))


@pytest.mark.parametrize("path", ["/consultations/", "/groups/", "/requests/", "/packs/"])
def test_community_pages_fit_a_phone_and_need_no_account(hub, phone_page, demo_community, path,
                                                         artifact_path):
    page = phone_page
    page.goto(hub + path)
    page.wait_for_load_state("load")
    link = page.locator("#main").locator(
        "ul.results li a, article h2 a, article h3 a, tbody th a").first
    expect(link).to_be_visible()
    link.click()  # the first consultation, group, request or pack, signed out
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth,"
                           " inner: window.innerWidth})")
    assert widths["doc"] <= widths["inner"] + 1, (page.url, widths)
    name = path.strip("/") or "home"
    page.screenshot(path=str(artifact_path(f"community-{name}-phone.png")), full_page=True)


def test_a_consultation_can_be_read_and_commented_on_by_keyboard(hub, page, demo_community):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("kb-user", password="pw-keyboard-1")
    _sign_in(page, hub, "kb-user", "pw-keyboard-1")
    page.goto(hub + "/consultations/")
    page.get_by_role("link", name=re.compile("EV chargers")).first.click()
    expect(page.get_by_text("In short")).to_be_visible()
    box = page.get_by_label("Your answer to question 1")
    box.focus()
    page.keyboard.type("Please put one by the station car park.")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.tagName + ' ' +"
                            " document.activeElement.textContent")
    while not focused.startswith("BUTTON"):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.tagName + ' ' +"
                                " document.activeElement.textContent")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_text("Please put one by the station car park.")).to_be_visible()
