"""The partnerships pages (/projects/network/, its JSON and CSV, /projects/organisations/<id>/):
published projects only, for every reader alike; a draft is never drawn, counted or named;
the picture is an SVG of links with a table twin; the filters are a plain GET form."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from django.templatetags.static import static
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.projects.models import Funding, PartnerOrganisation, Partnership, Project

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def register(council, django_user_model):
    """Two published projects and a draft, owned by the council; an officer of the council
    and a member of another organisation."""
    make = PartnerOrganisation.objects.create
    orgs = {
        "mkc": make(slug="mkc", name="Milton Keynes Council", kind="council",
                    hub_organisation=council),
        "ou": make(slug="ou", name="Open University", kind="university",
                   url="https://www.open.ac.uk", sources=["https://example.org/ou-facts"]),
        "acme": make(slug="acme", name="=Acme Sensors", kind="business",
                     url="javascript:alert(1)"),
        "food": make(slug="food", name="Food Bank", kind="community"),
        "grants": make(slug="grants", name="Grants Board", kind="funder"),
        "hidden": make(slug="hidden", name="Hidden Robotics", kind="startup"),
    }
    project = Project.objects.create
    sensors = project(slug="parking-sensors", title="Parking sensors", owner=council,
                      state="published", status="ended", start="2014", end="2015",
                      start_on=date(2014, 1, 1), end_on=date(2015, 12, 31),
                      themes=["mobility", "data"])
    app = project(slug="energy-app", title="Energy app", owner=council, state="published",
                  status="live", start="2016", start_on=date(2016, 1, 1), themes=["energy"])
    draft = project(slug="secret-pilot", title="Secret pilot", owner=council, state="draft",
                    start="2017", start_on=date(2017, 1, 1), themes=["mobility", "secrets"])
    tie = Partnership.objects.create
    tie(project=sensors, organisation=orgs["mkc"], role="lead")
    tie(project=sensors, organisation=orgs["acme"], role="supplier")
    tie(project=app, organisation=orgs["ou"], role="lead")
    tie(project=app, organisation=orgs["mkc"], role="partner")
    tie(project=app, organisation=orgs["food"], role="community-partner")
    tie(project=draft, organisation=orgs["mkc"], role="lead")
    tie(project=draft, organisation=orgs["hidden"], role="partner")
    tie(project=draft, organisation=orgs["ou"], role="evaluator")
    Funding.objects.create(project=sensors, funder=orgs["grants"], amount_gbp=50000,
                           programme="Smart Streets Fund", source="https://example.org/award")
    Funding.objects.create(project=draft, funder=orgs["ou"], amount_gbp=999,
                           programme="Secret Fund")
    users = django_user_model.objects.create_user
    officer = users("officer", email="officer@example.org", password="pw-officer-1")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    other = Organisation.objects.create(slug="residents", name="Residents Forum",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    outsider = users("outsider", email="outsider@example.org", password="pw-outsider-1")
    Membership.objects.create(user=outsider, organisation=other, role="admin")
    return {"orgs": orgs, "officer": officer, "outsider": outsider}


def readers(client, register):
    """The same client as an anonymous reader, another organisation's member, the owner's."""
    yield "anonymous"
    client.force_login(register["outsider"])
    yield "another organisation's member"
    client.force_login(register["officer"])
    yield "the owner's editor"


def picture(html: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", html, re.S).group(0))


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_a_draft_is_never_drawn_counted_or_named_whoever_reads(client, register):
    for who in readers(client, register):
        page = client.get(reverse("projects:network")).content.decode()
        data = client.get(reverse("projects:network_json")).json()
        edges = client.get(reverse("projects:network_csv")).content.decode()
        for text in (page, str(data), edges):
            assert "Secret pilot" not in text and "secret-pilot" not in text, who
            assert "Hidden Robotics" not in text and "secrets" not in text, who
        assert "Parking sensors" in page and "Energy app" in page, who
        assert data["counts"] == {"projects": 2, "organisations": 5, "ties": 6}, who


def test_the_picture_is_an_svg_of_links_named_for_people_who_cannot_see_it(client, register):
    html = client.get(reverse("projects:network")).content.decode()
    svg = picture(html)
    assert svg.get("role") == "group" and svg.get("viewBox").startswith("0 0 ")
    assert svg.find(f"{SVG}title").get("id") == svg.get("aria-labelledby")
    assert svg.find(f"{SVG}desc").get("id") == svg.get("aria-describedby")
    assert "2 projects and 5 organisations" in svg.find(f"{SVG}desc").text
    links = {a.get("href"): a for a in svg.iter(f"{SVG}a")}
    for slug in ("mkc", "ou", "acme", "food", "grants"):
        a = links[reverse("projects:organisation", args=[slug])]
        name = PartnerOrganisation.objects.get(slug=slug).name
        assert a.get("aria-label").startswith(f"{name}: ")
        assert a.find(f"{SVG}text").text == name  # a visible label, not colour alone
    for slug in ("parking-sensors", "energy-app"):
        assert reverse("projects:project", args=[slug]) in links
    assert len(links) == 7
    kinds = [t.text for t in svg.iter(f"{SVG}text") if t.text and t.text.endswith(")")]
    assert kinds == ["Council (1)", "Community group (1)", "University (1)", "Business (1)",
                     "Funder (1)"]  # each kind is named in words beside its shape
    # No script draws the picture: the only script is the site's own file that makes wide
    # boxes keyboard-scrollable on a phone (base.html), nothing of this page's.
    assert re.findall(r"<script[^>]*>", html) == [
        f'<script src="{static("commonground/scrollboxes.js")}" defer>']


def test_the_table_twin_lists_each_organisation_with_its_projects_roles_and_partners(
        client, register):
    html = client.get(reverse("projects:network")).content.decode()
    table = html[html.index('id="organisations-h"'):]
    row = re.search(r"<tr><th scope=\"row\"><a href=\"/projects/organisations/mkc/\">"
                    r"Milton Keynes Council</a></th>(.*?)</tr>", table, re.S).group(1)
    assert "<td class=\"n\">2</td>" in row
    assert "Parking sensors</a> <span class=\"meta\">(lead)" in row
    assert "Energy app</a> <span class=\"meta\">(partner)" in row
    assert "=Acme Sensors <span class=\"meta\">(1 project)" in row


def test_the_measures_count_what_the_register_says(client, register):
    data = client.get(reverse("projects:network_json")).json()
    assert "Milton Keynes Council is in 2 of 2 projects." in data["in_words"]
    assert "1 of 2 projects name a community partner." in data["in_words"]
    assert data["without_community_partner"] == ["parking-sensors"]
    counted = {o["id"]: len(o["projects"]) for o in data["organisations"]}
    published = Project.objects.filter(state="published")
    for org in PartnerOrganisation.objects.exclude(slug="hidden"):
        named = {p.project_id for p in Partnership.objects.filter(organisation=org,
                                                                   project__in=published)}
        named |= {f.project_id for f in Funding.objects.filter(funder=org, project__in=published)}
        assert counted[org.slug] == len(named), org.slug
    kinds = {k["kind"]: (k["organisations"], k["projects"]) for k in data["kinds"]}
    assert kinds["council"] == (1, 2) and kinds["community"] == (1, 1)


def test_the_filters_are_a_get_form_that_works_without_javascript(client, register):
    html = client.get(reverse("projects:network")).content.decode()
    form = re.search(r"<form method=\"get\"[^>]*>.*?</form>", html, re.S).group(0)
    for field in ("theme", "from", "to"):
        assert f'<label for="{field}">' in form and f'name="{field}"' in form
    assert '<button type="submit">Show</button>' in form
    energy = client.get(reverse("projects:network"), {"theme": "energy"}).content.decode()
    titles = [t.text for t in picture(energy).iter(f"{SVG}text")]
    assert "Energy app" in titles and "Parking sensors" not in titles
    assert 'href="/projects/network.csv?theme=energy"' in energy  # downloads keep the filter
    data = client.get(reverse("projects:network_json"), {"from": "2016", "to": "2020"}).json()
    assert [p["id"] for p in data["projects"]] == ["energy-app"]  # live: runs on
    assert data["filters"] == {"theme": None, "from": 2016, "to": 2020}
    rows = csv_rows(client.get(reverse("projects:network_csv"), {"to": "2015"}))
    assert {r["project"] for r in rows} == {"parking-sensors"}


@pytest.mark.parametrize(("query", "field", "words"), [
    ({"from": "20x6"}, "from", "From year: write a year as four digits"),
    ({"from": "2018", "to": "2015"}, "to", "To year: 2015 comes before the from year 2018"),
    ({"theme": "secrets"}, "theme", "Theme: no published project has the theme"),
])
def test_a_bad_filter_gets_an_error_naming_the_field(client, register, query, field, words):
    page = client.get(reverse("projects:network"), query)
    html = page.content.decode()
    assert page.status_code == 400 and words in html and "<svg" not in html
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html)
    answer = client.get(reverse("projects:network_json"), query)
    assert answer.status_code == 400 and words in answer.json()["errors"][field]
    assert client.get(reverse("projects:network_csv"), query).status_code == 400


def test_the_csv_has_one_row_per_organisation_role_and_project(client, register):
    response = client.get(reverse("projects:network_csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert [(r["organisation"], r["project"], r["role"]) for r in rows] == [
        ("food", "energy-app", "community-partner"), ("mkc", "energy-app", "partner"),
        ("ou", "energy-app", "lead"), ("acme", "parking-sensors", "supplier"),
        ("grants", "parking-sensors", "funder"),  # named as a funder only
        ("mkc", "parking-sensors", "lead")]
    acme = next(r for r in rows if r["organisation"] == "acme")
    assert acme["organisation_name"] == "'=Acme Sensors"  # not a formula in a spreadsheet


def test_an_organisations_page_shows_its_projects_partners_funding_and_sources(
        client, register):
    for who in readers(client, register):
        html = client.get(reverse("projects:organisation", args=["ou"])).content.decode()
        assert "<h1>Open University</h1>" in html and "University" in html, who
        assert 'href="https://www.open.ac.uk"' in html, who
        assert 'href="https://example.org/ou-facts"' in html, who
        assert "Energy app</a></th><td class=\"n\">2016</td><td>Lead</td>" in html, who
        assert "Milton Keynes Council</a></th><td>Council</td><td class=\"n\">1</td>" in html
        for hidden in ("Secret pilot", "Hidden Robotics", "Secret Fund", "999"):
            assert hidden not in html, (who, hidden)


def test_a_funder_named_only_in_funding_shows_what_it_gave(client, register):
    html = client.get(reverse("projects:organisation", args=["grants"])).content.decode()
    assert "Funding it gave" in html and "Smart Streets Fund" in html and "£50,000" in html
    assert 'href="https://example.org/award"' in html
    data = client.get(reverse("projects:organisation_json", args=["grants"])).json()
    assert data["funding_given"][0]["amount_gbp"] == 50000
    assert [p["id"] for p in data["projects"]] == ["parking-sensors"]
    assert data["projects"][0]["roles"] == ["funder"]


def test_an_organisation_links_to_its_group_on_the_hub_when_it_has_one(client, register):
    html = client.get(reverse("projects:organisation", args=["mkc"])).content.decode()
    assert f'href="{reverse("community:group", args=["mk-council"])}"' in html
    food = client.get(reverse("projects:organisation", args=["food"])).content.decode()
    assert "is on Common Ground" not in food and "Community group" in food


def test_an_organisation_only_in_drafts_or_with_a_bad_address_tells_nothing_more(
        client, register):
    # only drafts name it: not acknowledged, but to the draft organisation's members
    assert client.get(reverse("projects:organisation", args=["hidden"])).status_code == 404
    client.force_login(register["outsider"])
    assert client.get(reverse("projects:organisation", args=["hidden"])).status_code == 404
    client.force_login(register["officer"])
    html = client.get(reverse("projects:organisation", args=["hidden"])).content.decode()
    assert "No published project names Hidden Robotics." in html
    assert "Secret pilot" not in html and "Milton Keynes Council" not in html
    client.logout()
    acme = client.get(reverse("projects:organisation", args=["acme"])).content.decode()
    assert "javascript:" not in acme  # an address that is not the web is not linked
    assert client.get(reverse("projects:organisation", args=["nobody"])).status_code == 404


def test_with_nothing_published_the_page_says_so(client, register):
    Project.objects.update(state="draft")
    html = client.get(reverse("projects:network")).content.decode()
    assert "No projects match: there is nothing to count." in html and "<svg" not in html


def test_on_the_real_register_the_measures_match_counts_made_from_the_file(client,
                                                                           real_register):
    document = real_register.document
    total = len(document["projects"])
    in_projects: dict[str, set[str]] = {}  # organisation id -> projects naming it, by hand
    edges = set()
    for p in document["projects"]:
        named = [(x["organisation"], x["role"]) for x in p["partners"]]
        named += [(f["funder"], "funder") for f in p["funding"]]
        for organisation, role in named:
            in_projects.setdefault(organisation, set()).add(p["id"])
            edges.add((organisation, p["id"], role))
    data = client.get(reverse("projects:network_json")).json()
    assert data["counts"] == {"projects": total, "organisations": len(in_projects),
                              "ties": len(edges)}
    assert {o["id"]: len(o["projects"]) for o in data["organisations"]} == {
        slug: len(projects) for slug, projects in in_projects.items()}
    most = max(in_projects, key=lambda slug: len(in_projects[slug]))
    name = next(o["name"] for o in document["organisations"] if o["id"] == most)
    assert f"{name} is in {len(in_projects[most])} of {total} projects." in data["in_words"]
    community = sum(any(x["role"] == "community-partner" for x in p["partners"])
                    for p in document["projects"])
    assert f"{community} of {total} projects name a community partner." in data["in_words"]
    rows = csv_rows(client.get(reverse("projects:network_csv")))
    assert len(rows) == len(edges)
    assert {(r["organisation"], r["project"], r["role"]) for r in rows} == edges
    page = client.get(reverse("projects:network"))
    assert page.status_code == 200
    assert len(list(picture(page.content.decode()).iter(f"{SVG}a"))) == total + len(in_projects)
    mine = client.get(reverse("projects:organisation_json", args=[most])).json()
    assert {p["id"] for p in mine["projects"]} == in_projects[most]
