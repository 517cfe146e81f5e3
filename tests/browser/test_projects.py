"""The smart-city register in a real browser (issue 17's "Done means"): a council officer adds
a project with its partners, draws its footprint from a GeoJSON file, sees who it reaches,
publishes it and its impact assessment; a resident follows the project and reads the
assessment's PDF. The partnerships network, a project page and the list, with the real register
loaded, have no axe-core accessibility violations on a phone-sized screen."""

from __future__ import annotations

import io
import json
import re

import pytest
from playwright.sync_api import expect

TITLE = "Fishermead smart bins"
# A small square in Central Milton Keynes, WGS84 longitude first, drawn anticlockwise.
SQUARE = [[-0.765, 52.035], [-0.755, 52.035], [-0.755, 52.045], [-0.765, 52.045],
          [-0.765, 52.035]]


@pytest.fixture
def people(hub, django_user_model):
    """The council with an officer (an editor), a partner organisation already in the
    register (named by a published project), and a resident who belongs to no organisation."""
    from commonground.accounts.models import Membership, Organisation
    from commonground.projects.models import PartnerOrganisation, Partnership, Project

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    officer = django_user_model.objects.create_user("officer", password="pw-officer-1")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    django_user_model.objects.create_user("resident", password="pw-resident-1")
    university = PartnerOrganisation.objects.create(
        slug="open-university", name="The Open University",
        kind=PartnerOrganisation.Kind.UNIVERSITY)
    # A partner is offered once a published project names it (drafts' partners stay hidden).
    earlier = Project.objects.create(slug="mk-smart", title="MK:Smart", owner=council,
                                     state=Project.State.PUBLISHED, status="ended")
    Partnership.objects.create(project=earlier, organisation=university, role="partner")
    return council


def _sign_in(page, hub, username, password):
    page.goto(hub + "/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("button", name=f"Sign out ({username})")).to_be_visible()


def _sign_out(page):
    page.get_by_role("button", name=re.compile("Sign out")).press("Enter")
    page.wait_for_load_state()


def _section(page, heading):
    """The <section> labelled by the h2 ``heading``."""
    return page.locator("section").filter(
        has=page.get_by_role("heading", level=2, name=heading)).first


def _partner(page, number, *, role, organisation=None, new_name=None, new_kind=None):
    row = page.get_by_role("group", name=f"Partner {number}", exact=True)
    if organisation:
        row.get_by_label("Organisation in the register").select_option(label=organisation)
    if new_name:
        row.get_by_label("Or a new one: its name").fill(new_name)
        row.get_by_label("Its kind").select_option(label=new_kind)
    row.get_by_label("Role").select_option(label=role)


def test_an_officer_registers_and_assesses_a_project_and_a_resident_follows_it(
        hub, people, page, tmp_path, artifact_path):
    footprint = tmp_path / "fishermead.geojson"
    footprint.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "Bin round"},
        "geometry": {"type": "Polygon", "coordinates": [SQUARE]}}]}), encoding="utf-8")

    # The officer adds the project as a draft, with two partners in their roles.
    _sign_in(page, hub, "officer", "pw-officer-1")
    page.goto(hub + "/projects/")
    page.get_by_role("link", name="Add a project").press("Enter")
    expect(page.locator("h1")).to_have_text("Add a project")
    page.get_by_label("Organisation keeping the record").select_option(
        label="Milton Keynes City Council")
    page.get_by_label("Title", exact=True).fill(TITLE)
    page.get_by_label("Summary").fill("Bins that report when they are full, tried in "
                                      "Fishermead.")
    page.get_by_label("Status", exact=True).select_option(label="Pilot")
    page.get_by_label("Started").fill("2019-05")
    page.get_by_label("Themes").fill("waste, environment")
    page.get_by_label("Technologies").fill("sensors")
    _partner(page, 1, organisation="The Open University", role="Evaluator")
    _partner(page, 2, new_name="Fishermead Residents' Association", new_kind="Community group",
             role="Community partner")
    page.get_by_role("button", name="Add as a draft").press("Enter")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.get_by_text("Project added as a draft")).to_be_visible()
    partners = _section(page, "Partners")
    expect(partners.get_by_role("heading", name="Evaluator")).to_be_visible()
    expect(partners.get_by_role("link", name="The Open University")).to_be_visible()
    expect(partners.get_by_role("heading", name="Community partner")).to_be_visible()
    expect(partners.get_by_text("Fishermead Residents' Association")).to_be_visible()
    expect(partners.get_by_text("(Community group)")).to_be_visible()
    project_url = page.url

    # It has no footprint yet; the officer uploads one from a GeoJSON file.
    reach = _section(page, "Who it reaches")
    expect(reach).to_contain_text("no footprint yet")
    reach.get_by_role("link", name="Change the footprint").press("Enter")
    expect(page.locator("h1")).to_have_text("Where the project works: its footprint")
    page.get_by_label("A GeoJSON file").set_input_files(str(footprint))
    page.get_by_role("button", name="Add the file's features").press("Enter")
    expect(page.get_by_text("Added 1 part from the GeoJSON.")).to_be_visible()
    expect(_section(page, "The footprint now")).to_contain_text("Bin round")

    # The project page now shows who lives in and near it, against the city.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=TITLE)\
        .press("Enter")
    reach = _section(page, "Who it reaches")
    expect(reach.get_by_text(re.compile(r"About [\d,]+ residents live in"))).to_be_visible()
    expect(reach.get_by_role("heading", name="Census groups")).to_be_visible()
    first_table = reach.locator("details[open] table").first
    expect(first_table.get_by_role("rowheader").first).to_be_visible()
    expect(first_table.get_by_role("columnheader", name="Share of the city")).to_be_visible()
    page.screenshot(path=str(artifact_path("projects-footprint-lens.png")), full_page=True)

    # The officer publishes it and starts its impact assessment.
    page.get_by_role("button", name="Publish", exact=True).press("Enter")
    expect(page.get_by_text("Published: anyone can now find it")).to_be_visible()
    _section(page, "Social-difference impact assessment").get_by_role(
        "button", name="Start an assessment").press("Enter")
    expect(page.locator("h1")).to_have_text("Draft impact assessment")
    page.get_by_label("Have you built relationships with community representatives from the "
                      "start?").fill("We met the residents' association before the trial.")
    page.get_by_label("Are you over-estimating how technical your audience is?").fill(
        "Nobody needs an app: the bins report themselves.")
    disability = page.get_by_role("group", name="Disability", exact=True)
    disability.get_by_label("Likely impact").select_option(label="Negative")
    disability.get_by_label("Evidence").fill("Sensor lids are heavier to lift.")
    disability.get_by_label("Mitigation").fill("Assisted collection on request.")
    page.get_by_role("button", name="Save and publish as version 1").press("Enter")
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.get_by_text(re.compile(r"^Version 1 by Milton Keynes City Council"))).to_be_visible()
    expect(page.get_by_role("rowheader", name="Disability")).to_be_visible()
    expect(page.get_by_role("cell", name="Assisted collection on request.")).to_be_visible()
    _sign_out(page)

    # A resident finds the project, follows it and reads the assessment's PDF.
    _sign_in(page, hub, "resident", "pw-resident-1")
    page.goto(hub + "/projects/")
    page.get_by_role("link", name=TITLE).press("Enter")
    expect(page).to_have_url(project_url)
    expect(page.get_by_role("link", name="Edit the project")).to_have_count(0)
    page.get_by_role("button", name="Follow", exact=True).press("Enter")
    expect(page.get_by_role("button", name="Stop following")).to_be_visible()
    assessment = _section(page, "Social-difference impact assessment")
    expect(assessment).to_contain_text("Version 1, published")
    assessment.get_by_role("link", name="Read the assessment").press("Enter")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Download the PDF")).press("Enter")
    pdf_path = artifact_path("project-assessment.pdf")
    download_info.value.save_as(pdf_path)
    body = pdf_path.read_bytes()
    assert body.startswith(b"%PDF"), body[:40]

    from pypdf import PdfReader

    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
                    .split())
    assert TITLE in text, text[:1000]
    assert "Assisted collection on request." in text, text[:3000]

    from commonground.activity.models import Follow

    assert Follow.objects.filter(user__username="resident", kind="project").count() == 1


# Captions (of tables shown) whose right edge is past the screen's: partly out of sight.
CAPTIONS_CUT = """limit => [...document.querySelectorAll("caption")]
  .filter(c => c.getClientRects().length && c.getBoundingClientRect().right > limit + 1)
  .map(c => c.textContent.trim().slice(0, 60) + " ends at "
            + Math.round(c.getBoundingClientRect().right) + " px")"""
# How many lines each project (with its roles) in the "Each organisation" table takes.
LINES_PER_ITEM = """() => [...document.querySelectorAll("td .network-list li")]
  .filter(li => li.querySelector("a"))
  .map(li => [li.textContent.trim().replace(/\\s+/g, " "),
              Math.round(li.getBoundingClientRect().height
                         / parseFloat(getComputedStyle(li).lineHeight))])"""


@pytest.fixture
def real_register(hub, data_dir):
    """The real register imported for the council (tests/projects' fixture of the same name
    needs the session's loaded city, which the live server's flushed database does not
    keep)."""
    from commonground.accounts.models import Organisation
    from commonground.projects.importing import load_register

    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    report = load_register(data_dir, owner=council)
    assert report.ok, [str(p) for p in report.problems]
    return council


def _project_with_footprint() -> str:
    from commonground.projects.models import Project

    project = Project.objects.filter(state=Project.State.PUBLISHED, city_wide=False,
                                     places__isnull=False).order_by("slug").first()
    assert project is not None, "the real register has a project with places"
    return project.get_absolute_url()


@pytest.mark.parametrize("where", ["network", "project", "list"])
def test_register_pages_on_a_phone_have_no_accessibility_violations(
        hub, real_register, phone_page, where, artifact_path):
    from axe_playwright_python.sync_playwright import Axe

    path = {"network": "/projects/network/", "list": "/projects/",
            "project": _project_with_footprint()}[where]
    page = phone_page
    page.goto(hub + path)
    page.wait_for_load_state("load")
    expect(page.locator("h1")).to_be_visible()
    page.screenshot(path=str(artifact_path(f"projects-{where}-phone.png")), full_page=True)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    widths = page.evaluate("() => ({doc: document.documentElement.scrollWidth,"
                           " inner: window.innerWidth})")
    assert widths["doc"] <= widths["inner"] + 1, (path, widths)
    # A table wider than the phone scrolls sideways in its box; its caption stays readable.
    cut = page.evaluate(CAPTIONS_CUT, widths["inner"])
    assert not cut, (path, cut)


def test_the_network_table_reads_on_a_phone(hub, real_register, phone_page):
    """Each organisation's projects and roles get room to be read: no project's name and
    role wraps onto more than four lines (squeezed, they took a word a line)."""
    page = phone_page
    page.goto(hub + "/projects/network/")
    lines = page.evaluate(LINES_PER_ITEM)
    assert lines, "the table lists each organisation's projects"
    assert max(n for _, n in lines) <= 4, sorted(lines, key=lambda item: -item[1])[:5]
