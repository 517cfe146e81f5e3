"""Officers add, edit, publish and link projects: what each step records, who may take it,
and bad input answered beside its field with nothing changed."""

from __future__ import annotations

import datetime

import pytest
from django.db.models import Max

from commonground.activity import events
from commonground.activity.models import Event, Notification
from commonground.community.models import DataRequest
from commonground.consultations.models import Consultation
from commonground.projects.models import Funding, PartnerOrganisation, Partnership, Project

from .register_rows import cast_fixture, places_fixture, register_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

def newest_event() -> int:
    """The newest event's number now (0 when none): a test counts only the events after it."""
    return Event.objects.aggregate(newest=Max("pk"))["newest"] or 0



def rows(prefix: str, items: list[dict], initial: int = 0) -> dict:
    data = {f"{prefix}-TOTAL_FORMS": str(len(items)), f"{prefix}-INITIAL_FORMS": str(initial),
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for i, item in enumerate(items):
        data.update({f"{prefix}-{i}-{k}": v for k, v in item.items()})
    return data


def new_project(partners=None, funding=None, **fields) -> dict:
    data = {"owner": "mk-council", "slug": "", "title": "Autonomous pods at the station",
            "summary": "Self-driving pods carry people from the station.", "status": "pilot",
            "start": "2017-10", "end": "2018", "themes": "Mobility, autonomous vehicles",
            "technologies": "autonomous vehicles, app", "champion": "Transport lead",
            "links": "Trial site | https://example.org/pods\nhttps://example.org/more",
            "sources": "https://example.org/news/pods", "uncertain": "end: no news after 2018",
            "data_collected": "Journeys made | car-park-occupancy\nRider survey",
            "people_reached": "", "social_difference_notes": "", **fields}
    partners = partners if partners is not None else [
        {"organisation": "milton-keynes-council", "role": "lead"},
        {"new_name": "Pod Makers Ltd", "new_kind": "business", "role": "supplier"},
        {}]
    funding = funding if funding is not None else [
        {"funder_name": "Pod Makers Ltd", "programme": "Own investment", "amount_gbp": "",
         "source": ""},
        {"funder": "innovate-uk", "programme": "Pathfinder", "amount_gbp": "250000",
         "source": "https://example.org/grant"}]
    return {**data, **rows("partners", partners), **rows("funding", funding)}


def counts() -> tuple:
    return (Project.objects.count(), PartnerOrganisation.objects.count(),
            Partnership.objects.count(), Funding.objects.count(), Event.objects.count())


def test_an_officer_adds_a_draft_project_with_partners_and_funding(client, register, cast):
    client.force_login(cast["officer"])
    first = newest_event()
    answer = client.post("/projects/new", new_project())
    made = Project.objects.get(slug="autonomous-pods-at-the-station")
    assert answer.status_code == 302 and answer["Location"] == made.get_absolute_url()
    assert made.state == Project.State.DRAFT and made.owner.slug == "mk-council"
    assert made.created_by == cast["officer"]
    assert (made.start_on, made.end_on) == (datetime.date(2017, 10, 1),
                                            datetime.date(2018, 12, 31))
    assert made.themes == ["mobility", "autonomous-vehicles"]
    assert made.technologies == ["autonomous-vehicles", "app"]
    assert made.links == [{"title": "Trial site", "url": "https://example.org/pods"},
                          {"title": "https://example.org/more",
                           "url": "https://example.org/more"}]
    pods = PartnerOrganisation.objects.get(name="Pod Makers Ltd")
    assert pods.kind == "business" and pods.slug == "pod-makers-ltd"
    assert sorted((s.organisation.slug, s.role) for s in made.partnerships.all()) == [
        ("milton-keynes-council", "lead"), ("pod-makers-ltd", "supplier")]
    assert sorted((f.funder.slug, f.amount_gbp) for f in made.funding.all()) == [
        ("innovate-uk", 250000), ("pod-makers-ltd", None)]
    assert [(d.description, d.dataset) for d in made.data.all()] == [
        ("Journeys made", register.public), ("Rider survey", None)]
    assert not Event.objects.filter(pk__gt=first).exists()  # a draft is news to nobody
    client.logout()
    assert client.get(made.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(("fields", "partners", "funding", "field", "words"), [
    ({"start": "2017-13"}, None, None, "start", "is not a date of the calendar"),
    ({"end": "last year"}, None, None, "end", "is not a date: write 2014"),
    ({"start": "2019", "end": "2018"}, None, None, "end", "cannot end before it started"),
    ({"slug": "network"}, None, None, "slug", "is an address of the register"),
    ({"slug": "parking-sensors"}, None, None, "slug", "exists already"),
    ({"links": "Site | javascript:alert(1)"}, None, None, "links", "is not a web address"),
    ({"data_collected": "Raw | sensor-raw-feed"}, None, None, "data_collected",
     "“sensor-raw-feed” is not a published, public dataset"),
    ({"owner": "bletchley-action"}, None, None, "owner", "Select a valid choice"),
    ({}, [{"organisation": "milton-keynes-council"}], None, "partners-0-role",
     "Choose the organisation&#x27;s role"),
    ({}, [{"new_name": "Pod Makers Ltd", "role": "lead"}], [], "partners-0-new_kind",
     "Say what kind of organisation it is"),
    ({}, [{"new_name": "innovate uk", "new_kind": "funder", "role": "funder"}], [],
     "partners-0-new_name", "is in the register already"),
    ({}, [{"organisation": "acme", "role": "lead"}], [], "partners-0-organisation",
     "That is not an organisation in the register"),
    ({}, None, [{"funder_name": "Nobody Trust", "programme": "x"}], "funding-0-funder_name",
     "“Nobody Trust” is not one of the partners named above"),
    ({}, None, [{"programme": "x", "amount_gbp": "-5"}], "funding-0-amount_gbp",
     "greater than or equal to 0"),
])
def test_bad_input_is_named_beside_its_field_and_nothing_is_made(
        client, register, cast, fields, partners, funding, field, words):
    client.force_login(cast["officer"])
    before = counts()
    answer = client.post("/projects/new", new_project(partners, funding, **fields))
    page = answer.content.decode()
    assert answer.status_code == 400
    assert words in page, page[page.find("error-summary"):][:1500]
    block = page[page.index(f'for="id_{field}"'):]
    assert 'class="field-error"' in block[:block.index("</div>")]  # beside that field
    assert counts() == before


def test_editing_changes_the_record_and_tells_followers_of_a_published_project(
        client, register, cast):
    events.follow(cast["resident"], "project", "parking-sensors")
    client.force_login(cast["officer"])
    form = client.get("/projects/parking-sensors/edit").content.decode()
    assert "Head of Transport Innovation" in form and 'value="milton-keynes-council" selected' \
        in form
    data = new_project(title="Parking bay sensors (phase 2)", partners=[
        {"organisation": "milton-keynes-council", "role": "lead"},
        {"organisation": "open-university", "role": "evaluator"}], funding=[])
    del data["owner"], data["slug"]
    answer = client.post("/projects/parking-sensors/edit", data)
    assert answer.status_code == 302
    project = Project.objects.get(slug="parking-sensors")
    assert project.title == "Parking bay sensors (phase 2)" and project.status == "pilot"
    assert sorted(project.partnerships.values_list("organisation__slug", "role")) == [
        ("milton-keynes-council", "lead"), ("open-university", "evaluator")]
    assert not project.funding.exists()
    assert project.places.count() == 1  # the footprint is not the form's
    note = Notification.objects.get(user=cast["resident"])
    assert "Parking bay sensors (phase 2)" in note.text and note.url == "/projects/parking-sensors/"
    assert not Notification.objects.filter(user=cast["officer"]).exists()


def test_a_bad_edit_changes_nothing(client, register, cast):
    client.force_login(cast["officer"])
    before = counts()
    data = new_project(title="Renamed", end="2015", funding=[
        {"funder_name": "Nobody Trust", "programme": "x"}])
    del data["owner"], data["slug"]
    answer = client.post("/projects/parking-sensors/edit", data)
    assert answer.status_code == 400 and "Nobody Trust" in answer.content.decode()
    project = Project.objects.get(slug="parking-sensors")
    assert project.title == "Parking bay sensors" and project.end == ""
    assert not PartnerOrganisation.objects.filter(name="Pod Makers Ltd").exists()
    assert counts() == before


def test_publishing_shows_the_project_to_everyone_and_tells_followers(client, register, cast,
                                                                     council):
    events.follow(cast["resident"], "group", council.slug)
    client.force_login(cast["officer"])
    answer = client.post("/projects/secret-trial/publish", {"state": "published"})
    assert answer.status_code == 302
    assert Project.objects.get(slug="secret-trial").is_published
    note = Notification.objects.get(user=cast["resident"])
    assert "published a smart-city project: “Secret robot trial”" in note.text
    assert [e.url for e in events.about("project", "secret-trial")] == [
        "/projects/secret-trial/"]
    client.logout()
    assert client.get("/projects/secret-trial/").status_code == 200
    client.force_login(cast["officer"])
    client.post("/projects/secret-trial/publish", {"state": "draft"})
    client.logout()
    assert client.get("/projects/secret-trial/").status_code == 404


@pytest.mark.parametrize("who", [None, "resident", "member", "other"])
def test_only_the_organisations_editors_change_a_project(client, register, cast, who):
    if who:
        client.force_login(cast[who])
    before = (counts(), list(Project.objects.values_list("slug", "title", "state")))
    expected = {None: 302, "resident": 403, "member": 403, "other": 403}[who]
    data = new_project()
    assert client.get("/projects/new").status_code == (expected if who != "other" else 200)
    if who != "other":
        assert client.post("/projects/new", data).status_code == expected
    del data["owner"], data["slug"]
    assert client.get("/projects/parking-sensors/edit").status_code == expected
    assert client.post("/projects/parking-sensors/edit", data).status_code == expected
    assert client.post("/projects/parking-sensors/publish",
                       {"state": "draft"}).status_code == expected
    assert client.post("/projects/parking-sensors/links",
                       {"kind": "consultation", "key": "1"}).status_code == expected
    assert (counts(), list(Project.objects.values_list("slug", "title", "state"))) == before


def test_another_organisations_editor_adds_projects_only_for_their_own(client, register, cast):
    client.force_login(cast["other"])
    answer = client.post("/projects/new", new_project())
    assert answer.status_code == 400 and "Select a valid choice" in answer.content.decode()
    answer = client.post("/projects/new", new_project(owner="bletchley-action", slug="pods"))
    assert answer.status_code == 302
    assert Project.objects.get(slug="pods").owner == cast["group"]


def test_an_editor_links_a_public_dataset_a_consultation_and_a_request(client, register,
                                                                      cast, council):
    today = datetime.date.today()
    consultation = Consultation.objects.create(
        organisation=council, title="Pods: tell us", text="t", easy_read="e", opens=today,
        closes=today + datetime.timedelta(days=5))
    asked = DataRequest.objects.create(title="Pod journeys", description="d",
                                       organisation=council, requester=cast["resident"])
    client.force_login(cast["officer"])
    for kind, key in (("dataset", "car-park-occupancy"), ("consultation", consultation.pk),
                      ("request", asked.pk)):
        answer = client.post("/projects/energy-homes/links", {"kind": kind, "key": key})
        assert answer.status_code == 302, answer.content.decode()
    project = register.energy
    assert list(project.datasets.all()) == [register.public]
    assert list(project.consultations.all()) == [consultation]
    assert list(project.data_requests.all()) == [asked]
    answer = client.post("/projects/energy-homes/links",
                         {"kind": "consultation", "key": consultation.pk, "remove": "on"})
    assert answer.status_code == 302 and not project.consultations.exists()


@pytest.mark.parametrize(("kind", "key", "words"), [
    ("dataset", "sensor-raw-feed", "is not a published, public dataset you can link"),
    ("dataset", "driver-survey-answers", "records about people cannot be linked"),
    ("dataset", "draft-bay-counts", "is not a published, public dataset you can link"),
    ("dataset", "no-such-data", "is not a published, public dataset you can link"),
    ("consultation", "99999", "no consultation number “99999”"),
    ("request", "abc", "no data request number “abc”"),
    ("dataset", "car-park-occupancy", "is linked already"),
    ("map", "x", "Select a valid choice"),
])
def test_a_link_that_cannot_be_made_is_named_and_nothing_changes(client, register, cast, kind,
                                                                 key, words):
    client.force_login(cast["officer"])
    before = sorted(register.sensors.datasets.values_list("name", flat=True))
    first = newest_event()
    answer = client.post("/projects/parking-sensors/links", {"kind": kind, "key": key})
    assert answer.status_code == 400 and words in answer.content.decode()
    assert sorted(register.sensors.datasets.values_list("name", flat=True)) == before
    assert not Event.objects.filter(pk__gt=first).exists()

