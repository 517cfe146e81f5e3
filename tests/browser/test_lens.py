"""A resident looks at who the real GP practices reach, through a dataset's difference lens."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from commonground.accounts.models import Organisation

GP_FILE = ("points", "mk_gp_practices_epraccur_2020-01.geojson")
LENS_LINK = "Who it reaches: deprivation, Census groups and distance"
PHONE_WIDTH = 390
# The outermost elements, outside a .table-wrap scroll region, whose right edge passes `limit`.
OVERFLOWING = """limit => [...document.querySelectorAll("body *")]
  .filter(el => el.getBoundingClientRect().right > limit && !el.closest(".table-wrap")
                && el.parentElement.getBoundingClientRect().right <= limit)
  .map(el => `<${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}> ending at `
             + `${Math.round(el.getBoundingClientRect().right)} px`
             + ` ("${el.textContent.trim().replace(/\\s+/g, " ").slice(0, 50)}")`)"""


@pytest.fixture
def gp_practices(hub, data_dir):
    """A published "GP practices" dataset with the real practices ingested (after ``hub``
    has loaded the city, so the rows link to its neighbourhoods)."""
    from commonground.catalogue.models import Dataset, IngestJob, Resource
    from commonground.catalogue.services import ingest

    nhs = Organisation.objects.create(slug="nhs-england", name="NHS England",
                                      kind=Organisation.Kind.NATIONAL_BODY)
    dataset = Dataset.objects.create(name="gp-practices", title="GP practices", organisation=nhs,
                                     state=Dataset.State.PUBLISHED)
    path = data_dir.joinpath(*GP_FILE)
    resource = Resource.objects.create(dataset=dataset, name="Practices")
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                  filename=path.name)
    job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset


def _section(page, heading):
    """The <section> labelled by the h2 ``heading`` (text or pattern)."""
    return page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=heading)).first


def test_resident_follows_the_lens_from_a_dataset_and_reads_charts_maps_and_tables(
        hub, gp_practices, page, phone_page, artifact_path):
    page.goto(hub + "/datasets/")
    page.get_by_role("link", name="GP practices", exact=True).click()
    expect(page.locator("h1")).to_contain_text("GP practices")
    page.get_by_role("link", name=LENS_LINK).click()
    expect(page).to_have_url(re.compile(r"/datasets/gp-practices/lens/$"))
    expect(page.locator("h1")).to_have_text("Who it reaches: GP practices")

    # The chart: an image named by its <title>, which names the measure.
    chart = page.locator("svg.lens-chart")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator(":scope > title")).to_have_text(re.compile(r"^GP practices by national IMD decile"))
    expect(page.get_by_role("img", name=re.compile("GP practices by"))).to_be_visible()

    # Plain words: 3 to 5 sentences, the first about the GP practices.
    words = _section(page, "In plain words").locator("p")
    assert 3 <= words.count() <= 5
    expect(words.first).to_contain_text("GP practices")

    deprivation = _section(page, "1. By deprivation")
    expect(deprivation.locator("table tbody tr")).to_have_count(10)
    for heading in ("2. Slope and relative index of inequality", "3. Who lives where it lands",
                    "4. How far people live from the nearest", "Method",
                    "Download the tables"):
        expect(_section(page, heading)).to_be_visible()

    # Both maps are drawn.
    maps = _section(page, "5. Where").locator("figure.map > svg")
    expect(maps).to_have_count(2)
    for i in range(2):
        expect(maps.nth(i)).to_be_visible()

    page.screenshot(path=str(artifact_path("lens.png")), full_page=True)

    # Keyboard: from the Measure select, Tab reaches the "Show" button; Enter submits.
    form = page.locator("form.lens-choices")
    form.get_by_label("Chart by").select_option(label="national IMD quintile")
    form.get_by_label("Measure").focus()
    show = form.get_by_role("button", name="Show")
    for _ in range(8):
        page.keyboard.press("Tab")
        if show.evaluate("b => b === document.activeElement"):
            break
    expect(show).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]by=imd-quintile"))
    expect(form.get_by_label("Chart by")).to_have_value("imd-quintile")
    deprivation = _section(page, "1. By deprivation")
    expect(deprivation.locator("table tbody tr")).to_have_count(5)
    expect(chart.locator(":scope > title")).to_have_text(re.compile(r"by national IMD quintile"))

    # The national decile table as CSV, through the page's own link.
    downloads = _section(page, "Download the tables")
    expect(downloads.get_by_role("link", name="Everything (JSON)")).to_be_visible()
    with page.expect_download() as download:
        downloads.get_by_role("link", name="imd-decile (CSV)", exact=True).click()
    assert download.value.suggested_filename == "gp-practices-lens-imd-decile.csv"
    text = open(download.value.path(), encoding="utf-8").read()
    reader = csv.DictReader(io.StringIO(text))
    table = list(reader)
    assert {"group", "value"} <= set(reader.fieldnames or ())
    assert len(table) == 10
    assert [int(float(r["group"])) for r in table] == list(range(1, 11))

    # On a phone the page fits the screen: wide tables scroll inside their own regions.
    phone_page.goto(page.url)
    expect(phone_page.locator("svg.lens-chart")).to_be_visible()
    phone_page.screenshot(path=str(artifact_path("lens-phone.png")), full_page=True)
    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH + 1, (
        f"the page scrolls sideways ({scroll_width} px) because of "
        f"{phone_page.evaluate(OVERFLOWING, PHONE_WIDTH + 1)}")
