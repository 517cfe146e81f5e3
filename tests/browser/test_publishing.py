"""A council officer publishes a CSV through the web pages, end to end, in Chromium."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from commonground.accounts.models import Membership, Organisation


@pytest.fixture
def officer(hub, django_user_model):
    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    user = django_user_model.objects.create_user("officer", password="a-long-pass-phrase")
    Membership.objects.create(user=user, organisation=council, role=Membership.Role.EDITOR)
    return user


def test_officer_uploads_checks_overrides_publishes_and_a_resident_downloads(
        hub, officer, page, tmp_path, artifact_path):
    # A food bank list, exported from a spreadsheet in Windows-1252 with ';' separators,
    # where one of 25 visit counts is text.
    path = tmp_path / "food_banks.csv"
    postcodes = ["MK2 2HB", "MK12 5BN", "MK9 3EJ"]
    rows = [(f"Food bank {i}", postcodes[i % 3], str(10 * i)) for i in range(1, 25)]
    rows.append(("Café on the Green", "MK9 3EJ", "about 40"))
    path.write_bytes(("name;postcode;visits\n" + "".join(";".join(r) + "\n" for r in rows))
                     .encode("cp1252"))

    page.goto(hub + "/datasets/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("User name").fill("officer")
    page.get_by_label("Password").fill("a-long-pass-phrase")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Publish a dataset").click()
    page.get_by_label("Title").fill("Food banks")
    page.get_by_label("Publisher").select_option(label="Milton Keynes City Council")
    page.get_by_label("Tags").fill("food, poverty")
    page.get_by_role("button", name="Create draft").click()

    page.get_by_label("Name", exact=True).fill("Food bank sites")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and check").click()

    # The validation report: encoding and delimiter found, the bad value named by row.
    expect(page.get_by_role("heading", name="Some values don't fit their column's type")).to_be_visible()
    report = page.locator("table.report")
    expect(report).to_contain_text("row 26 “about 40”")
    page.screenshot(path=str(artifact_path("publishing-report.png")), full_page=True)
    page.get_by_label("Type of visits").select_option("string")
    page.get_by_role("button", name="Check again with these types").click()

    expect(page.get_by_role("status")).to_contain_text("Version 1 is live: 25 rows")
    page.get_by_role("link", name="publish it").click()
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: anyone can now find and download it.")).to_be_visible()

    # A resident (signed out) finds it and downloads the CSV.
    page.get_by_role("button", name=re.compile("Sign out")).click()
    page.goto(hub + "/datasets/")
    page.get_by_label("Search datasets").fill("food bank")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Food banks").click()
    page.get_by_role("link", name="Food bank sites").click()
    expect(page.locator("table.rows")).to_contain_text("Café on the Green")
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    text = open(download.value.path(), encoding="utf-8").read()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in table] == [r[0] for r in rows]
    assert [r["visits"] for r in table] == [r[2] for r in rows]
    assert not [c for c in table[0] if c.startswith("_")]  # the hub's columns when asked for
    page.get_by_role("link", name="Show the columns the hub added").first.click()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    text = open(download.value.path(), encoding="utf-8").read()
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0]["_lsoa21"].startswith("E01") and table[0]["_lsoa21_name"]  # by postcode
    page.screenshot(path=str(artifact_path("publishing-resource.png")), full_page=True)
