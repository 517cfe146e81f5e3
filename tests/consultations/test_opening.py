"""Opening and editing a consultation: only editors of the organisation (and site staff);
every field checked, with the field named; the list shows each stage and filters by
organisation and place. Anyone reads, without an account."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from commonground.activity.models import Event, Follow, Notification
from commonground.consultations.models import Consultation, OfficialResponse

pytestmark = pytest.mark.django_db


def _form(council, **extra):
    today = timezone.localdate()
    return {"organisation": council.pk, "title": "EV chargers in Bletchley",
            "easy_read": "We want to put car chargers in Bletchley. Tell us where.",
            "text": "We have funding for **new chargers**.",
            "places": "Bletchley East, Bletchley Park, Bletchley West",
            "opens": today.isoformat(),
            "closes": (today + datetime.timedelta(days=30)).isoformat(),
            "questions": "Which streets need chargers?\n\nWhat would stop you using them?",
            **extra}


def test_an_editor_opens_a_consultation_and_followers_of_its_places_hear(
        client, loaded, council, cast):
    Follow.objects.create(user=cast["resident"], kind="place", key="E05009406")
    client.force_login(cast["officer"])
    assert client.get(reverse("consultations:new")).status_code == 200
    response = client.post(reverse("consultations:new"), _form(council))
    c = Consultation.objects.get()
    assert response.status_code == 302 and response["Location"] == c.get_absolute_url()
    assert c.area_codes == ["E05009406", "E05009407", "E05009408"]
    assert [q.text for q in c.questions.all()] == ["Which streets need chargers?",
                                                  "What would stop you using them?"]
    assert c.created_by == cast["officer"] and c.is_open()
    assert Event.objects.filter(targets__kind="consultation", targets__key=str(c.pk)).exists()
    assert Notification.objects.filter(user=cast["resident"], url=c.get_absolute_url()).exists()


def test_staff_open_for_any_organisation(client, loaded, council, cast):
    client.force_login(cast["staff"])
    assert client.post(reverse("consultations:new"), _form(council)).status_code == 302


@pytest.mark.parametrize("who", ["resident", "member", "admin-of-nothing", "other"])
def test_no_one_else_opens_one_for_the_council(client, loaded, council, cast, who,
                                              django_user_model):
    user = cast.get(who) or django_user_model.objects.create_user(who)
    client.force_login(user)
    response = client.post(reverse("consultations:new"), _form(council))
    assert response.status_code == 403
    assert not Consultation.objects.exists()


def test_people_with_no_organisation_are_not_offered_the_form(client, cast):
    client.force_login(cast["resident"])
    assert client.get(reverse("consultations:new")).status_code == 403
    page = client.get(reverse("consultations:list")).content.decode()
    assert "Open a consultation" not in page


def test_signing_in_comes_first(client, council):
    response = client.get(reverse("consultations:new"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("consultations:new"), _form(council)).status_code == 302
    assert not Consultation.objects.exists()


@pytest.mark.parametrize("extra, words", [
    ({"title": " "}, "Title"),
    ({"easy_read": ""}, "In short"),
    ({"text": ""}, "Details"),
    ({"organisation": ""}, "Organisation"),
    ({"organisation": "²"}, "Organisation"),  # a digit to str.isdigit, not to int
    ({"organisation": "١"}, "Organisation"),  # Arabic-Indic one: int reads it as 1
    ({"organisation": "9" * 40}, "Organisation"),
    ({"places": "Atlantis"}, "“Atlantis” is not a place"),
    ({"opens": "next week"}, "Opens"),
    ({"closes": "2001-01-01"}, "Closes"),
    ({"questions": "\n".join(f"Question {i}?" for i in range(11))}, "Questions"),
])
def test_bad_input_names_the_field_and_stores_nothing(client, loaded, council, cast, extra,
                                                      words):
    client.force_login(cast["officer"])
    response = client.post(reverse("consultations:new"), _form(council, **extra))
    page = response.content.decode()
    assert response.status_code == 400 and words in page
    assert '<div class="error-summary" role="alert">' in page
    assert not Consultation.objects.exists()


def test_editors_edit_but_questions_stay_once_people_have_commented(
        client, loaded, cast, make_consultation):
    c = make_consultation()
    url = reverse("consultations:edit", args=[c.pk])
    for who in ("resident", "member", "other"):
        client.force_login(cast[who])
        assert client.get(url).status_code == 403, who
        assert client.post(url, {"title": "Taken over"}).status_code == 403, who
    client.logout()
    assert client.get(url).status_code == 302
    client.force_login(cast["officer"])
    form = client.get(url).context["values"]
    form = {**form, "title": "EV chargers: where in Bletchley?", "places": "Bletchley East"}
    assert client.post(url, form).status_code == 302
    c.refresh_from_db()
    assert c.title == "EV chargers: where in Bletchley?" and c.area_codes == ["E05009406"]
    client.force_login(cast["resident"])
    client.post(reverse("consultations:comment", args=[c.pk]), {"text": "Near the station."})
    client.force_login(cast["officer"])
    changed = client.post(url, {**form, "questions": "A different question?"})
    assert changed.status_code == 400 and "Questions" in changed.content.decode()
    assert client.post(url, {**form, "title": "Same questions"}).status_code == 302


def test_anyone_reads_the_list_by_stage_organisation_and_place(
        client, loaded, council, cast, make_consultation):
    make_consultation(title="Open one", area_codes=["E05009406"])
    make_consultation(opens=5, closes=20, title="Coming one")
    make_consultation(opens=-30, closes=-1, title="Closed one")
    answered = make_consultation(opens=-30, closes=-2, title="Answered one")
    OfficialResponse.objects.create(consultation=answered, text="We heard you.")
    page = client.get(reverse("consultations:list")).content.decode()
    for title in ("Open one", "Coming one", "Closed one", "Answered one"):
        assert title in page
    for status, title in (("open", "Open one"), ("upcoming", "Coming one"),
                          ("closed", "Closed one"), ("responded", "Answered one")):
        only = client.get(reverse("consultations:list"), {"status": status}).content.decode()
        assert title in only and only.count("<article") == 1, status
    here = client.get(reverse("consultations:list"), {"place": "E05009406"}).content.decode()
    assert "Open one" in here and "Coming one" not in here
    assert "Bletchley East" in here  # the place filter offers the places consultations cover
    by_org = client.get(reverse("consultations:list"), {"organisation": council.slug})
    assert by_org.content.decode().count("<article") == 4
    assert client.get(reverse("consultations:list"), {"organisation": "nobody"}) \
        .content.decode().count("<article") == 0


def test_once_people_have_commented_it_cannot_open_later_than_today(
        client, loaded, cast, make_consultation):
    c = make_consultation()
    url = reverse("consultations:edit", args=[c.pk])
    client.force_login(cast["officer"])
    values = client.get(url).context["values"]
    today = timezone.localdate()
    tomorrow = (today + datetime.timedelta(days=1)).isoformat()
    assert client.post(url, {**values, "opens": tomorrow}).status_code == 302  # nobody yet
    c.refresh_from_db()
    assert c.opens == today + datetime.timedelta(days=1)
    c.opens = today - datetime.timedelta(days=3)
    c.save()
    client.force_login(cast["resident"])
    client.post(reverse("consultations:comment", args=[c.pk]), {"text": "Near the station."})
    client.force_login(cast["officer"])
    moved = client.post(url, {**values, "opens": tomorrow})
    assert moved.status_code == 400
    assert "Opens: people have already commented, so it cannot open later than today" in \
        moved.content.decode()
    c.refresh_from_db()
    assert c.opens == today - datetime.timedelta(days=3) and c.is_open()
    for opens in (today, today - datetime.timedelta(days=5)):  # today or earlier is fine
        assert client.post(url, {**values, "opens": opens.isoformat()}).status_code == 302


def test_editors_see_the_reading_age_of_the_easy_read_summary(client, cast, make_consultation):
    plain = make_consultation()
    dense = make_consultation(easy_read=(
        "The authority is undertaking a consultation regarding the prioritisation of electric "
        "vehicle charging infrastructure deployment, considering accessibility, affordability "
        "and the distributional implications for residents lacking off-street parking."))
    client.force_login(cast["officer"])
    assert "fine for easy read" in client.get(plain.get_absolute_url()).content.decode()
    page = client.get(dense.get_absolute_url()).content.decode()
    assert "use shorter sentences" in page
    client.force_login(cast["resident"])  # guidance for editors only
    assert "reads at about age" not in client.get(dense.get_absolute_url()).content.decode()
