"""Bringing the register in and out, on the real register file: one transaction that changes
nothing on bad input, re-imports that update in place, exports (JSON, CSV tables, a zip)
that import back to the same records, the import page and the management command."""

from __future__ import annotations

import copy
import csv
import io
import json

import pytest
import shapely
from django.core.management import CommandError, call_command
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.geography.projection import lonlat_to_bng
from commonground.projects import registercsv
from commonground.projects.importing import import_register
from commonground.projects.models import (
    CollectedData,
    Funding,
    PartnerOrganisation,
    Partnership,
    Project,
    ProjectPlace,
)

PASSWORD = "pw-import-1"


def records() -> dict:
    """Everything the register holds, without database ids or timestamps."""
    projects = {}
    for p in Project.objects.select_related("owner").order_by("slug"):
        projects[p.slug] = {
            "fields": {f: getattr(p, f) for f in (
                "title", "summary", "status", "start", "end", "start_on", "end_on", "themes",
                "technologies", "champion", "links", "sources", "uncertain", "people_reached",
                "social_difference_notes", "city_wide", "state")},
            "owner": p.owner.slug,
            "partners": list(p.partnerships.order_by("pk").values_list("organisation__slug",
                                                                         "role")),
            "funding": list(p.funding.order_by("pk").values_list(
                "funder__slug", "programme", "amount_gbp", "source")),
            "data": list(p.data.order_by("pk").values_list("description", "dataset_id")),
            "places": [(x.description, x.kind, x.area_code, x.names,
                        bytes(x.geometry) if x.geometry is not None else None)
                       for x in p.places.order_by("pk")]}
    organisations = {o.slug: (o.name, o.kind, o.url, o.sources, o.hub_organisation_id)
                     for o in PartnerOrganisation.objects.order_by("slug")}
    return {"projects": projects, "organisations": organisations}


def forget_register() -> None:
    Project.objects.all().delete()
    PartnerOrganisation.objects.all().delete()


def project_of(document: dict, slug: str) -> dict:
    return next(p for p in document["projects"] if p["id"] == slug)


# ---------------------------------------------------------------- the real register

def test_the_real_register_is_imported_published_and_kept_by_the_council(real_register):
    document, council = real_register.document, real_register.owner
    assert real_register.report.added["projects"] == [p["id"] for p in document["projects"]]
    assert real_register.report.added["organisations"] == [
        o["id"] for o in document["organisations"]]
    assert Project.objects.count() == 25
    assert set(Project.objects.values_list("state", "owner")) == {("published", council.pk)}
    assert PartnerOrganisation.objects.count() == 89
    assert Partnership.objects.count() == sum(len(p["partners"]) for p in document["projects"])
    assert Funding.objects.count() == sum(len(p["funding"]) for p in document["projects"])
    assert CollectedData.objects.count() == sum(len(p["data_collected"])
                                                for p in document["projects"])


def test_fields_come_from_the_file_with_nulls_as_blanks(real_register):
    raw = project_of(real_register.document, "mk-future-cities-feasibility-2012")
    project = Project.objects.get(slug=raw["id"])
    assert (project.title, project.status, project.start, project.end) == (
        raw["title"], raw["status"], "2012-07", "2012")
    assert (project.start_on.isoformat(), project.end_on.isoformat()) == ("2012-07-01",
                                                                          "2012-12-31")
    assert raw["people_involved_or_affected"] is None and project.people_reached == ""
    assert raw["social_difference_notes"] is None and project.social_difference_notes == ""
    raw = project_of(real_register.document, "mk-smart")
    project = Project.objects.get(slug="mk-smart")
    assert project.people_reached == raw["people_involved_or_affected"] != ""
    assert project.sources == raw["sources"] and project.uncertain == raw["uncertain"]
    assert [(f.funder.slug, f.amount_gbp, f.programme) for f in project.funding.all()] == [
        (f["funder"], f["amount_gbp"], f["programme"]) for f in raw["funding"]]


def test_coordinates_become_points_on_the_national_grid(real_register):
    raw = project_of(real_register.document, "mk5g-create")
    stadium = raw["places"][0]
    (point,) = ProjectPlace.objects.filter(project__slug="mk5g-create", kind="point",
                                           description=stadium["description"])
    stored = shapely.from_wkb(bytes(point.geometry))
    x, y = lonlat_to_bng([stadium["lon"]], [stadium["lat"]])
    assert (stored.x, stored.y) == pytest.approx((x[0], y[0]), abs=0.01)


def test_names_of_areas_become_areas_and_the_others_stay_words_and_are_reported(real_register,
                                                                               loaded):
    wards = {a.name: a.code for a in loaded.by_geography["ward"]}
    places = ProjectPlace.objects.filter(project__slug="our-mk").order_by("pk")
    lakes = places.get(description__startswith="Lakes Estate")
    assert (lakes.kind, lakes.names) == ("words", ["Lakes Estate", "Serpentine Court"])
    assert ('projects[10] "our-mk" places[2].areas: "Lakes Estate", "Serpentine Court" are not '
            "areas of Milton Keynes: kept as words") in real_register.report.notes
    broughton = ProjectPlace.objects.get(project__slug="mk-smart-water", kind="area")
    assert (broughton.area_code, broughton.names) == (wards["Broughton"], ["Broughton"])
    station = ProjectPlace.objects.filter(project__slug="lutz-pathfinder").order_by("pk")
    assert [(p.kind, p.area_code) for p in station] == [
        ("point", ""), ("area", wards["Central Milton Keynes"])]


@pytest.mark.parametrize("slug, city_wide, why", [
    ("mk-smart", True, "its one place says city-wide, with no coordinates or areas"),
    # its Lakes Estate is not an area of the city, but Beanhill is found (a locality the
    # package's addresses name, "Wastel Beanhill", places.search): it names an area
    ("our-mk", False, "says city-wide but names Beanhill, found in the city's addresses"),
    ("mk-go-ultra-low-city", False, "a point (the Experience Centre)"),
    ("mk-iot-network", False, "says city-wide but names an area, Central Milton Keynes"),
    ("mk-futures-2050", False, "'Milton Keynes borough' does not say city- or borough-wide"),
])
def test_a_project_is_city_wide_by_the_documented_rule(real_register, slug, city_wide, why):
    assert Project.objects.get(slug=slug).city_wide is city_wide, why


def test_the_file_may_say_city_wide_itself_and_a_place_naming_the_whole_city_says_it(
        real_register, register_document):
    project_of(register_document, "mk-futures-2050")["places"][0]["areas"] = ["Milton Keynes"]
    project_of(register_document, "mk-smart")["city_wide"] = False
    report = import_register(register_document, owner=real_register.owner)
    assert report.ok and sorted(report.updated["projects"]) == ["mk-futures-2050", "mk-smart"]
    assert Project.objects.get(slug="mk-futures-2050").city_wide is True
    assert Project.objects.get(slug="mk-smart").city_wide is False
    # the whole city's name is kept as the file's words, not as an area of the footprint
    assert not ProjectPlace.objects.filter(project__slug="mk-futures-2050", kind="area")


# ---------------------------------------------------------------- bad input changes nothing

def test_bad_input_changes_nothing_and_every_problem_is_reported(real_register,
                                                                 register_document):
    before = records()
    d = register_document
    d["projects"][0]["title"] = "A new title that must not be saved"
    d["organisations"][0]["name"] = "A new name that must not be saved"
    d["projects"][2]["partners"][0]["organisation"] = "foo"
    d["projects"][4]["places"][0] |= {"lat": -0.7741, "lon": 52.0344}
    d["projects"].append(copy.deepcopy(d["projects"][1]))
    report = import_register(d, owner=real_register.owner)
    assert not report.ok
    assert [p.where for p in report.problems] == [
        'projects[3] "mk-smart" partners[1].organisation',
        'projects[5] "mk-iot-network" places[1].lat/lon',
        'projects[26] "mk-wireless-electric-bus-route-7" id']
    assert report.summary() == "3 problems found: nothing was changed."
    assert records() == before


def test_bad_input_into_an_empty_register_adds_nothing(loaded, council, register_document):
    register_document["organisations"].append(copy.deepcopy(
        register_document["organisations"][2]))
    report = import_register(register_document, owner=council)
    assert [str(p) for p in report.problems] == [
        'organisations[90] "coventry-university" id: duplicate id: also organisations[3]']
    assert not Project.objects.exists() and not PartnerOrganisation.objects.exists()


def test_a_project_another_organisation_keeps_is_not_theirs_to_change(real_register,
                                                                      register_document):
    other = Organisation.objects.create(slug="other-org", name="Other Org",
                                        kind=Organisation.Kind.BUSINESS)
    before = records()
    report = import_register(register_document, owner=other)
    assert len(report.problems) == 25
    assert str(report.problems[2]) == ('projects[3] "mk-smart" id: already on the hub, kept by '
                                       f"{real_register.owner.name}: only its editors may "
                                       "change it")
    assert records() == before


def test_an_organisation_linked_to_another_hub_organisation_is_theirs_to_change(
        real_register, register_document):
    university = Organisation.objects.create(slug="ou", name="The Open University",
                                             kind=Organisation.Kind.UNIVERSITY)
    PartnerOrganisation.objects.filter(slug="open-university").update(
        hub_organisation=university)
    register_document["organisations"][0]["url"] = "https://example.org/not-the-ou"
    before = records()
    report = import_register(register_document, owner=real_register.owner)
    assert [p.where for p in report.problems] == ['organisations[1] "open-university" url']
    assert "kept by The Open University on the hub" in report.problems[0].message
    assert records() == before
    # the same entry as it stands is no change, so the council's file still imports
    register_document["organisations"][0]["url"] = real_register.document[
        "organisations"][0]["url"]
    assert import_register(register_document, owner=real_register.owner).ok


# ---------------------------------------------------------------- re-import

def test_importing_the_same_file_again_changes_nothing(real_register, register_document):
    before = records()
    place_ids = list(ProjectPlace.objects.order_by("pk").values_list("pk", flat=True))
    stamps = dict(Project.objects.values_list("slug", "updated"))
    report = import_register(register_document, owner=real_register.owner)
    assert report.ok
    assert report.counts("projects") == {"added": 0, "updated": 0, "unchanged": 25}
    assert report.counts("organisations") == {"added": 0, "updated": 0, "unchanged": 89}
    assert records() == before
    assert list(ProjectPlace.objects.order_by("pk").values_list("pk", flat=True)) == place_ids
    assert dict(Project.objects.values_list("slug", "updated")) == stamps


def test_a_changed_file_updates_its_projects_in_place(real_register, register_document):
    pk = Project.objects.get(slug="mk-smart").pk
    mk_smart = project_of(register_document, "mk-smart")
    mk_smart["title"] = "MK:Smart (renamed)"
    mk_smart["partners"][0]["role"] = "delivery"
    register_document["organisations"][1]["name"] = "University of Bedfordshire"
    report = import_register(register_document, owner=real_register.owner)
    assert report.updated == {"projects": ["mk-smart"],
                              "organisations": ["university-of-bedfordshire"]}
    project = Project.objects.get(slug="mk-smart")
    assert (project.pk, project.title) == (pk, "MK:Smart (renamed)")
    assert project.partnerships.order_by("pk").first().role == "delivery"


def test_a_reimport_keeps_the_dataset_a_collected_item_is_linked_to(real_register,
                                                                    register_document,
                                                                    make_dataset):
    dataset = make_dataset("parking-occupancy")
    item = CollectedData.objects.filter(project__slug="mk-smart-parking-sensor-pilot").first()
    CollectedData.objects.filter(pk=item.pk).update(dataset=dataset)
    project_of(register_document, "mk-smart-parking-sensor-pilot")["data_collected"].append(
        "time of arrival")
    assert import_register(register_document, owner=real_register.owner).ok
    data = CollectedData.objects.filter(project__slug="mk-smart-parking-sensor-pilot")
    assert data.get(description=item.description).dataset == dataset
    assert data.get(description="time of arrival").dataset is None


def test_a_new_project_is_published_and_an_existing_one_keeps_its_state(real_register,
                                                                        register_document):
    Project.objects.filter(slug="mk-smart").update(state=Project.State.DRAFT)
    register_document["projects"].append({"id": "new-trial", "title": "A new trial"})
    report = import_register(register_document, owner=real_register.owner)
    assert report.added["projects"] == ["new-trial"]
    assert Project.objects.get(slug="new-trial").state == "published"
    assert Project.objects.get(slug="mk-smart").state == "draft"


# ---------------------------------------------------------------- export, and back

def test_the_json_export_is_the_file_and_imports_back_to_the_same_records(client,
                                                                          real_register):
    before = records()
    response = client.get(reverse("projects:register_json"))
    assert response.status_code == 200
    exported = response.json()
    assert exported["organisations"] == real_register.document["organisations"]
    extra = {"champion": None, "links": []}
    assert [{k: v for k, v in p.items() if k != "city_wide"} for p in exported["projects"]] \
        == [p | extra for p in real_register.document["projects"]]
    forget_register()
    report = import_register(exported, owner=real_register.owner)
    assert report.ok and len(report.added["projects"]) == 25
    assert records() == before


def test_the_csv_tables_import_back_to_the_same_records(client, real_register):
    before = records()
    response = client.get(reverse("projects:register_zip"))
    assert response["Content-Type"] == "application/zip"
    document, locate, problems = registercsv.read_upload({"register.zip": response.content})
    assert problems == []
    forget_register()
    assert import_register(document, owner=real_register.owner, locate=locate).ok
    assert records() == before


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_register_csv_tables_neutralise_formulas_and_keep_numbers(client, real_register):
    Project.objects.filter(slug="mk-smart").update(title='=HYPERLINK("http://evil","x")')
    rows = read_csv(client.get(reverse("projects:register_csv")))
    assert len(rows) == 25
    assert next(r for r in rows if r["id"] == "mk-smart")["title"] == \
        "'=HYPERLINK(\"http://evil\",\"x\")"
    places = read_csv(client.get(reverse("projects:register_csv") + "?table=places"))
    station = next(r for r in places if r["project"] == "lutz-pathfinder" and r["lat"])
    assert (station["lat"], station["lon"]) == ("52.0344", "-0.7741")  # no ' before a number
    organisations = read_csv(client.get(reverse("projects:register_csv"),
                                        {"table": "organisations"}))
    assert len(organisations) == 89
    response = client.get(reverse("projects:register_csv"), {"table": "secrets"})
    assert response.status_code == 400 and b"table: no table" in response.content


def test_the_export_holds_published_projects_only_and_no_one_elses_drafts(client,
                                                                          real_register):
    document = real_register.document
    Project.objects.filter(slug="mk-smart").update(state=Project.State.DRAFT)
    named = {slug for p in document["projects"] if p["id"] != "mk-smart"
             for slug in [x["organisation"] for x in p["partners"]]
             + [f["funder"] for f in p["funding"]]}
    only_mk_smart = {o["id"] for o in document["organisations"]} - named
    assert only_mk_smart  # MK:Smart names partners no other project names
    exported = client.get(reverse("projects:register_json")).json()
    assert "mk-smart" not in {p["id"] for p in exported["projects"]}
    assert not only_mk_smart & {o["id"] for o in exported["organisations"]}
    rows = read_csv(client.get(reverse("projects:register_csv")))
    assert "mk-smart" not in {r["id"] for r in rows}


# ---------------------------------------------------------------- the import page

@pytest.fixture
def people(council, django_user_model):
    make = django_user_model.objects.create_user
    cast = {"editor": make("import-editor", password=PASSWORD),
            "member": make("import-member", password=PASSWORD)}
    Membership.objects.create(user=cast["editor"], organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=cast["member"], organisation=council,
                              role=Membership.Role.MEMBER)
    return cast


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_an_editor_imports_the_register_file_on_the_page(client, loaded, council, people,
                                                         register_path):
    client.force_login(people["editor"])
    page = client.get(reverse("projects:import"))
    assert page.status_code == 200
    assert f'<option value="{council.slug}" selected>' in page.content.decode()
    response = client.post(reverse("projects:import"), {
        "organisation": council.slug,
        "file": upload("register.json", register_path.read_bytes())})
    assert response.status_code == 200
    text = response.content.decode()
    assert "projects: 25 added, 0 updated, 0 unchanged" in text
    assert "Lakes Estate" in text  # the names kept as words are reported
    assert set(Project.objects.values_list("owner", "created_by")) == {
        (council.pk, people["editor"].pk)}


def test_an_editor_imports_the_csv_tables_chosen_together(client, real_register, people):
    zipped = client.get(reverse("projects:register_zip")).content
    import zipfile

    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        files = [upload(name, archive.read(name)) for name in archive.namelist()]
    before = records()
    forget_register()
    client.force_login(people["editor"])
    response = client.post(reverse("projects:import"), {
        "organisation": real_register.owner.slug, "file": files})
    assert response.status_code == 200, response.content.decode()[:2000]
    assert records() == before


def test_the_page_lists_every_problem_and_changes_nothing(client, real_register, people,
                                                         register_document):
    register_document["projects"][2]["partners"][0]["organisation"] = "foo"
    register_document["projects"][3]["start"] = "soon"
    before = records()
    client.force_login(people["editor"])
    response = client.post(reverse("projects:import"), {
        "organisation": real_register.owner.slug,
        "file": upload("register.json", json.dumps(register_document).encode())})
    assert response.status_code == 400
    text = response.content.decode()
    assert "2 problems found: nothing was changed." in text
    assert "projects[3] &quot;mk-smart&quot; partners[1].organisation" in text
    assert "unknown organisation &quot;foo&quot;" in text
    assert "projects[4] &quot;mk-data-hub&quot; start" in text
    assert records() == before


def test_the_page_refuses_a_file_over_the_limit_before_reading_it(client, real_register,
                                                                  people):
    before = records()
    client.force_login(people["editor"])
    huge = b"{" + b" " * (11 << 20)  # not JSON: had it been read, it would say so
    response = client.post(reverse("projects:import"), {
        "organisation": real_register.owner.slug, "file": upload("footprint.geojson", huge)})
    assert response.status_code == 400
    assert "the file is 11.0 MB; the largest register accepted is 10.0 MB" in \
        response.content.decode()
    assert records() == before


def test_the_page_is_for_editors_only(client, council, people, register_path):
    page = reverse("projects:import")
    assert client.get(page).status_code == 302  # anonymous: sign in first
    response = client.post(page, {"organisation": council.slug,
                                  "file": upload("register.json", register_path.read_bytes())})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(people["member"])
    assert client.get(page).status_code == 403
    response = client.post(page, {"organisation": council.slug,
                                  "file": upload("register.json", register_path.read_bytes())})
    assert response.status_code == 403
    assert not Project.objects.exists()


def test_an_editor_imports_only_for_an_organisation_they_edit(client, loaded, council, people,
                                                              register_path):
    other = Organisation.objects.create(slug="other-org", name="Other Org",
                                        kind=Organisation.Kind.BUSINESS)
    client.force_login(people["editor"])
    response = client.post(reverse("projects:import"), {
        "organisation": other.slug, "file": upload("register.json", register_path.read_bytes())})
    assert response.status_code == 400
    assert "choose the organisation that keeps these projects" in response.content.decode()
    assert not Project.objects.exists()


# ---------------------------------------------------------------- the command and the demo

def test_the_command_loads_the_register_for_the_hubs_one_council(loaded, council):
    out = io.StringIO()
    call_command("load_register", stdout=out)  # as scripts/demo.sh runs it
    assert f"register kept by {council.name}: projects: 25 added" in out.getvalue()
    assert set(Project.objects.values_list("owner", flat=True)) == {council.pk}
    out = io.StringIO()
    call_command("load_register", owner=council.slug, stdout=out)
    assert "projects: 0 added, 0 updated, 25 unchanged" in out.getvalue()


def test_the_command_says_which_owner_it_needs(loaded, council):
    Organisation.objects.create(slug="second-council", name="Second Council",
                                kind=Organisation.Kind.COUNCIL)
    with pytest.raises(CommandError, match="--owner SLUG"):
        call_command("load_register")
    with pytest.raises(CommandError, match="No organisation 'nobody'"):
        call_command("load_register", owner="nobody")
    assert not Project.objects.exists()


def test_the_projects_list_links_the_register_files_and_the_import_page(client, real_register,
                                                                        people):
    text = client.get(reverse("projects:list")).content.decode()
    for name in ("register_json", "register_csv", "register_zip"):
        assert f'href="{reverse(f"projects:{name}")}"' in text
    assert reverse("projects:import") not in text  # only for those who may add projects
    client.force_login(people["editor"])
    assert f'href="{reverse("projects:import")}"' in client.get(
        reverse("projects:list")).content.decode()
