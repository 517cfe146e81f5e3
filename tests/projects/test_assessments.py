"""A project's organisation assesses it and publishes numbered versions: a draft is written
by its editors (seen only by its members), published as version 1 with the footprint's lens
frozen into it, never changed afterwards, and followed by version 2 started from version 1.
Anyone reads published versions of a published project as a page, JSON and PDF; a project
with an algorithmic tool exports an ATRS-shaped record; the project page says plainly what
was and was not assessed."""

from __future__ import annotations

import datetime
import io
import shutil
import sqlite3
import threading

import pypdf
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.activity import events, sections
from commonground.consultations.models import Consultation
from commonground.projects import assessment as q
from commonground.projects import assessments
from commonground.projects.assessment import AssessmentError, field_name
from commonground.projects.models import Assessment, PartnerOrganisation, Partnership, Project

PASSWORD = "pw-assess-1"
TITLE = "Smart parking sensors"


@pytest.fixture
def people(council, django_user_model):
    """The council's editor (officer) and plain member, an editor of another organisation,
    and a resident who belongs to nothing."""
    def make(name):
        return django_user_model.objects.create_user(name, password=PASSWORD)

    cast = {name: make(name) for name in ("officer", "member", "other", "resident")}
    Membership.objects.create(user=cast["officer"], organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=cast["member"], organisation=council,
                              role=Membership.Role.MEMBER)
    group = Organisation.objects.create(slug="bletchley-action", name="Bletchley Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=cast["other"], organisation=group,
                              role=Membership.Role.EDITOR)
    return cast


@pytest.fixture
def consultation(council):
    today = datetime.date.today()
    return Consultation.objects.create(
        organisation=council, title="Sensors in the car parks", text="What we propose.",
        easy_read="Sensors count free spaces.", opens=today - datetime.timedelta(days=30),
        closes=today - datetime.timedelta(days=1))


@pytest.fixture
def project(council, consultation):
    """A published project with an algorithmic tool and a supplier, its consultation linked."""
    made = Project.objects.create(
        slug="mk-parking-sensors", title=TITLE, owner=council, status=Project.Status.LIVE,
        summary="Sensors in car parks tell drivers where spaces are. They report each minute.",
        technologies=["sensors", "ai-or-algorithm"], champion="Head of Parking",
        state=Project.State.PUBLISHED)
    made.consultations.add(consultation)
    supplier = PartnerOrganisation.objects.create(slug="sensor-co", name="Sensor Co",
                                                  kind=PartnerOrganisation.Kind.BUSINESS)
    Partnership.objects.create(project=made, organisation=supplier,
                               role=Partnership.Role.SUPPLIER)
    return made


class FakeLens:
    """The footprint lens as a seam (the shape of ``footprint_lens.project_lens``): figures
    read from data that can change later."""

    def __init__(self):
        self.share = 31.5
        self.run = 3

    def __call__(self, project):
        return {"kind": "footprint",
                "words": [f"{self.share}% of people in the footprint live in the most "
                          f"deprived tenth of neighbourhoods"],
                "method": [{"title": "Residents in the reach",
                            "text": "Residents placed at output-area points."}],
                "sources": {"census": [{"title": "TS001 Residents", "period": "2021",
                                        "geography": "lsoa21"}],
                            "deprivation": {"title": "English IoD", "year": 2019},
                            "load": {"run": self.run, "fingerprint": "abc123def456",
                                     "started": datetime.datetime(2026, 1, 5, 12, 0)}}}


@pytest.fixture
def lens(monkeypatch):
    fake = FakeLens()
    monkeypatch.setattr(assessments, "frozen_lens", fake)
    return fake


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


ANSWERS = {
    field_name("pointer", "businesses-1"): "We met the Fishermead residents' association.",
    field_name("pointer", "visual-2"): "Our leaflet shows the real car park.",
    field_name("impact", "disability"): "negative",
    field_name("evidence", "disability"): "Blue badge bays have no sensors.",
    field_name("mitigation", "disability"): "Sensors in every blue badge bay by 2027.",
    field_name("impact", "age"): "unknown",
    field_name("data", "personal-data"): "None: the sensors see only a car's shadow.",
    field_name("atrs", "contact_email"): "parking@example.org",
    field_name("atrs", "risks_and_mitigations"): "Wrong counts in snow: drivers told so.",
    field_name("engagement", "1", "who"): "Fishermead residents' association",
    field_name("engagement", "1", "when"): "2024-05",
    field_name("engagement", "1", "changed"): "Sensors moved away from the play area",
}


def publish_version(client, project, answers=ANSWERS, **extra):
    """Start (or reopen) the draft, fill it in and publish it through the pages."""
    start = client.post(reverse("projects:assessments", args=[project.slug]))
    assert start.status_code == 302, start.content
    draft_url = reverse("projects:assessment_draft", args=[project.slug])
    assert start["Location"] == draft_url
    response = client.post(draft_url, {**answers, **extra, "action": "publish"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


pytestmark = pytest.mark.django_db


def test_an_editor_writes_a_draft_and_publishes_version_1_that_anyone_reads(
        people, project, consultation, lens, django_user_model):
    follower = django_user_model.objects.create_user("follower", password=PASSWORD)
    events.follow(follower, "project", project.slug)
    officer = signed_in(people["officer"])
    answers = {**ANSWERS, field_name("engagement", "1", "consultation"): str(consultation.pk)}
    response = publish_version(officer, project, answers)
    page = reverse("projects:assessment", args=[project.slug, 1])
    assert response["Location"] == page

    published = Assessment.objects.get(project=project)
    assert (published.version, published.state) == (1, Assessment.State.PUBLISHED)
    assert published.answers["businesses-1"] == ANSWERS["pointer-businesses-1"]
    assert list(published.consultations.all()) == [consultation]

    anyone = Client()
    html = anyone.get(page).content.decode()
    assert "Fishermead residents" in html and "Blue badge bays have no sensors." in html
    assert "2 of 12 pointers answered" in html and "Not assessed:" in html
    assert "Sensors in the car parks" in html  # the engagement row's consultation
    assert "The toolkit says" in html and "engagingsmartcities.org/businesses.html" in html
    assert "31.5% of people in the footprint" in html
    assert "Deprivation: English IoD (2019)" in html and "Data load 3 of 2026-01-05" in html
    data = anyone.get(reverse("projects:assessment_json", args=[project.slug, 1])).json()
    assert data["version"] == 1 and data["state"] == "published"
    assert data["lens"]["sources"]["deprivation"] == {"title": "English IoD", "year": 2019}
    assert data["lens"]["sources"]["load"]["started"] == "2026-01-05T12:00:00"
    assert data["engagement"][0]["consultation"]["title"] == "Sensors in the car parks"
    assert any(n.url == page and "version 1" in n.text
               for n in follower.notifications.all())


def test_the_pdf_is_a_pdf_with_the_title_and_the_answers(people, project, lens):
    publish_version(signed_in(people["officer"]), project)
    response = Client().get(reverse("projects:assessment_pdf", args=[project.slug, 1]))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert f"Social-difference impact assessment: {TITLE}" in text
    assert "Version 1, published" in text and "2 of 12 pointers answered" in text
    assert "Blue badge bays have no sensors." in text
    assert "31.5% of people in the footprint" in text


def test_a_published_version_never_changes(people, project, lens):
    officer = signed_in(people["officer"])
    publish_version(officer, project)
    published = Assessment.objects.get(project=project)
    with pytest.raises(AssessmentError, match="Version 1 is published"):
        assessments.save_answers(people["officer"], published,
                                 {field_name("pointer", "visual-1"): "changed"})
    with pytest.raises(AssessmentError, match="Version 1 is published"):
        assessments.publish(people["officer"], published)
    published.refresh_from_db()
    assert "visual-1" not in published.answers and published.version == 1
    # No draft now: the draft page sends an editor to start one, anyone else away.
    draft_url = reverse("projects:assessment_draft", args=[project.slug])
    assert officer.get(draft_url)["Location"] == reverse("projects:assessments",
                                                         args=[project.slug])
    assert signed_in(people["member"]).get(draft_url).status_code == 404


def test_version_2_starts_from_version_1_and_leaves_it_as_it_was(people, project, lens):
    officer = signed_in(people["officer"])
    publish_version(officer, project)
    draft = assessments.start_draft(people["officer"], project)
    assert draft.version is None and draft.answers == Assessment.objects.get(
        version=1).answers
    page = officer.get(reverse("projects:assessment_draft", args=[project.slug])).content
    assert "Our leaflet shows the real car park." in page.decode()  # the form, filled in
    changed = {**ANSWERS, field_name("pointer", "visual-2"): "New photographs, taken here."}
    publish_version(officer, project, changed)
    one, two = Assessment.objects.filter(project=project).order_by("version")
    assert (one.version, two.version) == (1, 2)
    assert one.answers["visual-2"] == "Our leaflet shows the real car park."
    assert two.answers["visual-2"] == "New photographs, taken here."
    listing = Client().get(reverse("projects:assessments_json", args=[project.slug])).json()
    assert [v["version"] for v in listing["versions"]] == [2, 1]
    csv = Client().get(reverse("projects:assessments_csv", args=[project.slug])).content
    assert csv.decode().splitlines()[0].startswith("project,version,published")
    old = Client().get(reverse("projects:assessment", args=[project.slug, 1])).content
    assert "a newer version exists" in old.decode()


def test_the_lens_is_frozen_when_published_and_stays_when_the_data_changes(
        people, project, lens):
    officer = signed_in(people["officer"])
    publish_version(officer, project)
    lens.share, lens.run = 12.0, 4  # the data moves on
    one = Client().get(reverse("projects:assessment_json", args=[project.slug, 1])).json()
    assert one["lens"]["words"][0].startswith("31.5%")
    assert one["lens"]["sources"]["load"]["run"] == 3
    page = Client().get(reverse("projects:assessment", args=[project.slug, 1])).content
    assert "31.5%" in page.decode() and "12.0%" not in page.decode()
    publish_version(officer, project)  # version 2 freezes the lens as it is now
    two = Client().get(reverse("projects:assessment_json", args=[project.slug, 2])).json()
    assert two["lens"]["words"][0].startswith("12.0%")
    assert Assessment.objects.get(version=1).lens["sources"]["load"]["run"] == 3


def test_without_a_footprint_lens_the_assessment_says_so(people, project, monkeypatch):
    monkeypatch.setattr(assessments, "frozen_lens",
                        lambda project: {"available": False, "reason": "No footprint."})
    publish_version(signed_in(people["officer"]), project)
    html = Client().get(reverse("projects:assessment", args=[project.slug, 1])).content
    assert "No footprint." in html.decode()


def test_publishing_freezes_the_real_footprint_lens(people, project, loaded):
    """Through the seam to ``footprint_lens``: a city-wide project's lens says so, with what
    it rests on, and no map (a drawing of the figures) is kept."""
    pytest.importorskip("commonground.projects.footprint_lens")
    project.city_wide = True
    project.save()
    publish_version(signed_in(people["officer"]), project)
    frozen = Assessment.objects.get().lens
    assert frozen["kind"] == "city-wide" and "map" not in frozen
    assert any("whole city" in w for w in frozen["words"])
    assert frozen["sources"]["load"]["run"] == loaded.run.pk
    html = Client().get(reverse("projects:assessment", args=[project.slug, 1])).content
    assert "its footprint is the city" in html.decode()


def test_drafts_are_seen_only_by_the_organisations_members(people, project, lens):
    draft = assessments.start_draft(people["officer"], project)
    assessments.save_answers(people["officer"], draft, ANSWERS)
    draft_url = reverse("projects:assessment_draft", args=[project.slug])
    assert Client().get(draft_url).status_code == 404
    assert signed_in(people["other"]).get(draft_url).status_code == 404
    assert signed_in(people["resident"]).get(draft_url).status_code == 404
    listing = signed_in(people["other"]).get(reverse("projects:assessments",
                                                     args=[project.slug])).content.decode()
    assert draft_url not in listing and "Not yet assessed" in listing
    # A member who is not an editor reads the draft but cannot change it.
    member = signed_in(people["member"])
    seen = member.get(draft_url)
    assert seen.status_code == 200 and "Blue badge bays have no sensors." in seen.content.decode()
    assert "Save the draft" not in seen.content.decode()
    assert member.post(draft_url, {**ANSWERS, "action": "publish"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == Assessment.State.DRAFT and draft.version is None
    assert Client().get(reverse("projects:assessment", args=[project.slug, 1])).status_code \
        == 404


def test_only_the_owners_editors_start_save_and_publish(people, project, lens):
    start = reverse("projects:assessments", args=[project.slug])
    assert signed_in(people["member"]).post(start).status_code == 403
    assert signed_in(people["other"]).post(start).status_code == 403
    anonymous = Client().post(start)
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    assert not Assessment.objects.exists()
    draft = assessments.start_draft(people["officer"], project)
    for who in ("member", "other", "resident"):
        with pytest.raises(PermissionDenied):
            assessments.save_answers(people[who], draft, ANSWERS)
        with pytest.raises(PermissionDenied):
            assessments.publish(people[who], draft)
    draft.refresh_from_db()
    assert draft.answers == {} and draft.state == Assessment.State.DRAFT


def test_the_assessments_of_a_draft_project_are_hidden_with_it(people, project, lens):
    publish_version(signed_in(people["officer"]), project)
    project.state = Project.State.DRAFT
    project.save()
    for client in (Client(), signed_in(people["other"])):
        for name, args in (("assessment", [project.slug, 1]),
                           ("assessment_json", [project.slug, 1]),
                           ("assessment_pdf", [project.slug, 1]),
                           ("assessments", [project.slug]),
                           ("assessments_json", [project.slug]),
                           ("atrs", [project.slug])):
            assert client.get(reverse(f"projects:{name}", args=args)).status_code == 404
    member = signed_in(people["member"])
    assert member.get(reverse("projects:assessment", args=[project.slug, 1])).status_code \
        == 200


def test_publishing_a_draft_projects_assessment_tells_no_follower(
        people, project, lens, django_user_model):
    project.state = Project.State.DRAFT
    project.save()
    follower = django_user_model.objects.create_user("follower", password=PASSWORD)
    events.follow(follower, "project", project.slug)
    publish_version(signed_in(people["officer"]), project)
    assert Assessment.objects.get().version == 1
    assert not follower.notifications.exists()


def test_bad_answers_are_refused_naming_the_field_and_change_nothing(people, project, lens):
    officer = signed_in(people["officer"])
    officer.post(reverse("projects:assessments", args=[project.slug]))
    draft_url = reverse("projects:assessment_draft", args=[project.slug])
    officer.post(draft_url, {**ANSWERS, "action": "save"})
    bad = {**ANSWERS, field_name("pointer", "visual-1"): "Drawn, not photographed.",
           field_name("impact", "sex"): "catastrophic", "action": "publish"}
    response = officer.post(draft_url, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'href="#impact-sex"' in html and "Sex: the likely impact is one of" in html
    assert "Drawn, not photographed." in html  # what was typed is kept in the form
    draft = Assessment.objects.get()
    assert draft.state == Assessment.State.DRAFT and "visual-1" not in draft.answers
    assert draft.answers == {"businesses-1": ANSWERS["pointer-businesses-1"],
                             "visual-2": ANSWERS["pointer-visual-2"]}


def test_a_stale_second_publish_of_the_same_draft_is_refused(people, project, lens):
    """Two editors press "publish" on the same draft: the second finds it published (read
    again under the lock) and is refused, instead of publishing it again as version 2."""
    draft = assessments.start_draft(people["officer"], project)
    second_editor_copy = Assessment.objects.get(pk=draft.pk)
    assessments.publish(people["officer"], draft)
    with pytest.raises(AssessmentError, match="Version 1 is published"):
        assessments.publish(people["officer"], second_editor_copy)
    assert list(Assessment.objects.values_list("version", flat=True)) == [1]


def _publish_two_at_once(officer, drafts) -> list[Exception]:
    """Publish ``drafts`` from threads of their own (a connection each), all at once."""
    barrier, errors = threading.Barrier(len(drafts)), []

    def run(draft):
        try:
            barrier.wait()
            assessments.publish(officer, draft)
        except Exception as exc:  # noqa: BLE001 (the test reports it)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(d,)) for d in drafts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def _in_thread(work):
    out = {}

    def run():
        try:
            out["value"] = work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out["value"]


@pytest.fixture(scope="module")
def hub_file(django_db_setup, django_db_blocker, tmp_path_factory):
    """The test database copied to a SQLite file (the in-memory one refuses a second writer
    outright), so threads meet the project's own SQLite settings: immediate transactions
    and a busy timeout, as a deployment on the default database does."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's file locking: PostgreSQL has the test below")
    path = tmp_path_factory.mktemp("assessments") / "hub.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
    return path


def test_two_publishes_at_once_take_distinct_versions_on_sqlite(hub_file, tmp_path,
                                                                 monkeypatch, lens):
    """Two drafts of one project published at the same moment become versions 1 and 2,
    each whole (the highest version is read and the next written in one transaction)."""
    path = tmp_path / hub_file.name
    shutil.copyfile(hub_file, path)
    monkeypatch.setitem(connections.settings, "default",
                        {**connections.settings["default"], "NAME": str(path)})

    def make():
        owner = Organisation.objects.create(slug="mk", name="MK Council",
                                            kind=Organisation.Kind.COUNCIL)
        officer = get_user_model().objects.create_user("officer", password=PASSWORD)
        Membership.objects.create(user=officer, organisation=owner,
                                  role=Membership.Role.EDITOR)
        project = Project.objects.create(slug="sensors", title=TITLE, owner=owner,
                                         state=Project.State.PUBLISHED)
        return officer, [Assessment.objects.create(project=project,
                                                   answers={"visual-1": f"draft {n}"})
                         for n in (1, 2)]

    officer, drafts = _in_thread(make)
    assert _publish_two_at_once(officer, drafts) == []
    rows = _in_thread(lambda: sorted(Assessment.objects.values_list("version", "state",
                                                                    "answers", "lens")))
    assert [(v, s) for v, s, _, _ in rows] == [(1, "published"), (2, "published")]
    assert {a["visual-1"] for _, _, a, _ in rows} == {"draft 1", "draft 2"}
    assert all(lens["sources"]["load"]["run"] == 3 for *_, lens in rows)


@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_once_take_distinct_versions_on_postgresql(project, people, lens):
    """As above, on PostgreSQL: the project's row (SELECT ... FOR UPDATE) is the lock."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks: SQLite has the test above")
    drafts = [Assessment.objects.create(project=project, answers={"visual-1": f"draft {n}"})
              for n in (1, 2)]
    assert _publish_two_at_once(people["officer"], drafts) == []
    rows = sorted(Assessment.objects.values_list("version", "state", "answers"))
    assert [(v, s) for v, s, _ in rows] == [(1, "published"), (2, "published")]
    assert {a["visual-1"] for _, _, a in rows} == {"draft 1", "draft 2"}


def test_the_atrs_record_takes_the_published_answers_and_the_register(people, project,
                                                                     lens):
    url = reverse("projects:atrs", args=[project.slug])
    before = Client().get(url).json()  # algorithmic, not yet assessed: the register's part
    assert before["assessment"] is None
    assert before["tier_1"]["name"] == TITLE and before["tier_1"]["contact_email"] is None
    assert "contact_email" in before["missing_required"]
    publish_version(signed_in(people["officer"]), project)
    record = Client().get(url).json()
    assert record["standard"] == "Algorithmic Transparency Recording Standard"
    assert record["standard_version"] == q.ATRS_VERSION
    assert set(record["tier_1"]) == {"name", "description", "website_url", "contact_email"}
    assert record["tier_1"]["contact_email"] == "parking@example.org"
    assert record["tier_1"]["website_url"].endswith(project.get_absolute_url())
    assert set(record["tier_2"]) == {"owner_and_responsibility", "description_and_rationale",
                                     "decision_making_process", "tool_specification",
                                     "data_specification",
                                     "risks_mitigations_and_impact_assessments"}
    owner = record["tier_2"]["owner_and_responsibility"]
    assert owner["organisation_or_department"] == project.owner.name
    assert owner["senior_responsible_owner"] == "Head of Parking"
    assert owner["external_supplier"] == "Sensor Co"
    assert record["metadata"]["phase"] == "Production"
    assert record["metadata"]["one_sentence_description"] == ("Sensors in car parks tell "
                                                               "drivers where spaces are.")
    risks = record["tier_2"]["risks_mitigations_and_impact_assessments"]
    assert risks["risks_and_mitigations"] == "Wrong counts in snow: drivers told so."
    assert "version 1" in risks["impact_assessment"]
    assert "contact_email" not in record["missing_required"]
    assert "team" in record["missing_required"]
    assert record["assessment"]["version"] == 1


def test_a_project_without_algorithms_has_no_atrs_record(people, project, lens):
    project.technologies = ["sensors"]
    project.save()
    assert Client().get(reverse("projects:atrs", args=[project.slug])).status_code == 404
    publish_version(signed_in(people["officer"]), project)  # its answers fill ATRS fields
    assert Client().get(reverse("projects:atrs", args=[project.slug])).status_code == 200


def _section(user, project) -> str:
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get(project.get_absolute_url())
    request.user = user
    shown = [s for s in sections.for_page("project", request, project=project)
             if s["template"] == "projects/_assessments.html"]
    assert len(shown) == 1
    return " ".join(render_to_string(shown[0]["template"], {"section": shown[0]["section"]},
                                     request=request).split())


def test_the_project_page_says_not_yet_assessed_then_what_was_and_was_not(
        people, project, lens):
    from django.contrib.auth.models import AnonymousUser

    assert "Not yet assessed." in _section(AnonymousUser(), project)
    publish_version(signed_in(people["officer"]), project)
    said = _section(AnonymousUser(), project)
    assert "Version 1, published" in said
    assert "2 of 12 pointers answered" in said
    assert "1 of 11 characteristics assessed" in said
    assert "Impact recorded as not known: age" in said
    assert "Not assessed: gender reassignment" in said
    assert "algorithmic transparency record" in said
    assert "score" not in said.lower()
    assert "Start version 2 from version 1" in _section(people["officer"], project)
    assert "Start" not in said


def test_the_project_page_shows_the_section(people, project, lens):
    publish_version(signed_in(people["officer"]), project)
    html = " ".join(Client().get(project.get_absolute_url()).content.decode().split())
    assert "Social-difference impact assessment" in html and "2 of 12 pointers answered" in html


def test_the_real_registers_algorithmic_projects_export_atrs_records(real_register, people):
    """On the real register: exactly the projects whose technologies name an algorithm
    export an ATRS record before any assessment, and one of them, assessed and published,
    freezes its real footprint lens and fills its record."""
    pytest.importorskip("commonground.projects.footprint_lens")
    projects = real_register.document["projects"]
    algorithmic = sorted(p["id"] for p in projects if "ai-or-algorithm" in p["technologies"])
    assert algorithmic  # the file names some
    anyone = Client()
    for p in projects:
        expected = 200 if p["id"] in algorithmic else 404
        assert anyone.get(reverse("projects:atrs", args=[p["id"]])).status_code == expected
    project = Project.objects.get(slug=algorithmic[0])
    publish_version(signed_in(people["officer"]), project)
    frozen = Assessment.objects.get(project=project).lens
    assert frozen["kind"] in ("footprint", "city-wide", "none") and frozen["words"]
    assert frozen["sources"]["load"]["fingerprint"]
    record = anyone.get(reverse("projects:atrs", args=[project.slug])).json()
    assert record["tier_1"]["name"] == project.title
    assert record["tier_1"]["contact_email"] == "parking@example.org"
    assert record["metadata"]["region"]


# ------------------------------------------------ what a published version was published with

NO_ATRS = {k: v for k, v in ANSWERS.items() if not k.startswith("atrs-")}


def test_what_was_assessed_stays_as_published_when_the_projects_technologies_change(
        people, project, lens):
    project.technologies = ["sensors"]  # no algorithmic tool when version 1 is published
    project.save()
    publish_version(signed_in(people["officer"]), project, NO_ATRS)
    url = reverse("projects:assessment_json", args=[project.slug, 1])
    before = Client().get(url).json()
    assert before["algorithmic"] is False
    assert not any("Algorithmic transparency" in line for line in before["coverage"]["lines"])

    project.technologies = ["sensors", "ai-or-algorithm"]  # the register learns more later
    project.save()
    after = Client().get(url).json()
    assert after["coverage"] == before["coverage"] and after["algorithmic"] is False
    assert after["technologies_when_published"] == ["sensors"]
    versions = Client().get(reverse("projects:assessments_json", args=[project.slug])).json()
    assert versions["versions"][0]["lines"] == before["coverage"]["lines"]
    assert "Algorithmic transparency record:" not in _section(people["resident"], project)
    # a new draft is the project's as it is now
    draft = assessments.start_draft(people["officer"], project)
    assert assessments.algorithmic_of(draft) is True


def test_a_published_version_says_plainly_when_the_footprint_has_changed_since(
        people, project, lens):
    from commonground.projects.assessment_document import FOOTPRINT_CHANGED
    from commonground.projects.models import ProjectPlace

    ProjectPlace.objects.create(project=project, kind=ProjectPlace.Kind.AREA,
                                area_code="E05009412", description="Central Milton Keynes")
    ProjectPlace.objects.create(project=project, kind=ProjectPlace.Kind.WORDS,
                                description="Car parks near the station")
    publish_version(signed_in(people["officer"]), project)
    json_url = reverse("projects:assessment_json", args=[project.slug, 1])
    page_url = reverse("projects:assessment", args=[project.slug, 1])
    pdf_url = reverse("projects:assessment_pdf", args=[project.slug, 1])

    def pdf_text() -> str:
        reader = pypdf.PdfReader(io.BytesIO(Client().get(pdf_url).content))
        return " ".join(" ".join(p.extract_text().split()) for p in reader.pages)

    data = Client().get(json_url).json()
    described = data["footprint"]["as_published"]
    assert [(p["kind"], p["area_code"]) for p in described["parts"]] == [
        ("area", "E05009412"), ("words", "")]
    assert described["city_wide"] is False and len(described["key"]) == 64
    assert described["reach_rule"] == {"near_m": 800.0, "near_polygons": False}
    assert data["footprint"]["changed_since"] is False and data["footprint"]["note"] == ""
    assert assessments.PUBLISHED_WITH not in data["lens"]  # the lens is the lens
    ProjectPlace.objects.create(project=project, kind=ProjectPlace.Kind.WORDS,
                                description="More words change no place")
    assert Client().get(json_url).json()["footprint"]["changed_since"] is False
    assert FOOTPRINT_CHANGED not in pdf_text()

    ProjectPlace.objects.create(project=project, kind=ProjectPlace.Kind.AREA,
                                area_code="E05009400", description="Another ward")
    data = Client().get(json_url).json()
    assert data["footprint"]["changed_since"] is True
    assert data["footprint"]["note"] == FOOTPRINT_CHANGED
    assert len(data["footprint"]["as_published"]["parts"]) == 2  # as it was
    assert FOOTPRINT_CHANGED.replace("'", "&#x27;") in Client().get(page_url).content.decode()
    assert FOOTPRINT_CHANGED in pdf_text()
    project.places.filter(area_code="E05009400").delete()
    project.city_wide = True  # city-wide is another footprint too
    project.save()
    assert Client().get(json_url).json()["footprint"]["changed_since"] is True


def test_save_and_publish_saves_nothing_when_publishing_is_refused(people, project, lens,
                                                                    monkeypatch):
    officer = signed_in(people["officer"])
    officer.post(reverse("projects:assessments", args=[project.slug]))
    draft_url = reverse("projects:assessment_draft", args=[project.slug])
    officer.post(draft_url, {**ANSWERS, "action": "save"})
    saved = Assessment.objects.get()
    before = (saved.answers, saved.characteristics, saved.engagement, saved.updated)

    def not_loaded(project):
        raise AssessmentError("action", "The city's data is not loaded, so the footprint's "
                                        "lens cannot be frozen into the assessment")

    monkeypatch.setattr(assessments, "frozen_lens", not_loaded)
    changed = {**ANSWERS, field_name("pointer", "visual-1"): "Drawn, not photographed.",
               "action": "publish"}
    response = officer.post(draft_url, changed)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The city&#x27;s data is not loaded" in html
    assert "Nothing was saved or published" in html
    assert "Drawn, not photographed." in html  # kept in the form
    draft = Assessment.objects.get()
    assert draft.state == Assessment.State.DRAFT and draft.version is None
    assert (draft.answers, draft.characteristics, draft.engagement, draft.updated) == before
