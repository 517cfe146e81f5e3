"""Residents may describe themselves when they sign up, comment, ask for data or register
interest: every question optional, answers checked, kept apart from the account, and never
shown to anyone — organisers, site staff, the admin pages and the API included."""

from __future__ import annotations

import json
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commonground.activity.inputs import FieldError
from commonground.community.models import DataRequest
from commonground.consultations.models import Comment
from commonground.energy.models import Interest, Offer
from commonground.participation import services
from commonground.participation.lens import _city
from commonground.participation.models import Description, TakingPart
from commonground.participation.questions import NO_SAY, QUESTIONS
from commonground.places.search import postcode_lookup

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

POSTCODE = "MK2 2HB"
ABOUT = {"about_age_band": "65+", "about_sex": "female", "about_ethnic_group": "black",
         "about_disability": "yes", "about_tenure": "social", "about_place": POSTCODE}


def signed_in(user) -> Client:
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    return client


def test_every_question_is_set_against_the_citys_census(loaded):
    city = _city()
    for q in QUESTIONS:
        shares = city["census"][q.field]
        assert set(shares) == set(q.labels()) and sum(shares.values()) == pytest.approx(1,
                                                                                       abs=0.01)
    assert sum(city["fifth_shares"].values()) == pytest.approx(1, abs=0.01)


def test_every_question_may_be_skipped_or_declined(loaded):
    blank = services.read_answers({})
    assert set(blank.values()) == {""}
    declined = services.read_answers({f"about_{q.field}": NO_SAY for q in QUESTIONS})
    assert {declined[q.field] for q in QUESTIONS} == {NO_SAY}


@pytest.mark.parametrize(("field", "value", "says"), [
    ("about_ethnic_group", "purple", "What is your ethnic group?"),
    ("about_place", "Narnia", "Where you live: “Narnia” is not a postcode or a place"),
    ("about_place", "MK99 9ZZ", "Where you live: we do not know the postcode MK99 9ZZ"),
])
def test_a_bad_answer_is_refused_naming_its_question(loaded, field, value, says):
    with pytest.raises(FieldError) as refused:
        services.read_answers({field: value})
    assert refused.value.field == field and str(refused.value).startswith(says)


def test_a_postcode_is_kept_only_as_its_neighbourhood(loaded):
    lsoa = postcode_lookup(POSTCODE)["area"]["code"]
    assert services.read_answers({"about_place": POSTCODE})["lsoa_code"] == lsoa
    assert services.read_answers({"about_place": "Bletchley East"})["lsoa_code"] == ""  # a ward


def test_sign_up_keeps_the_answers_apart_from_the_account(loaded, django_user_model):
    response = Client().post(reverse("signup"), {
        "username": "sam", "email": "sam@example.org", "password": "a-long-pass-phrase-42",
        **ABOUT})
    assert response.status_code == 200
    user = django_user_model.objects.get(username="sam")
    kept = Description.objects.get()
    assert (kept.ethnic_group, kept.tenure) == ("black", "social")
    assert kept.lsoa_code.startswith("E01")
    # nothing in the rows names the account, the postcode or a time
    row = json.dumps([list(r.values()) for r in Description.objects.values()]
                     + [list(r.values()) for r in TakingPart.objects.values()], default=str)
    for secret in (user.username, user.email, POSTCODE, POSTCODE.replace(" ", "")):
        assert secret.lower() not in row.lower()
    assert f'"{user.pk}"' not in row and f", {user.pk}," not in row
    # and no table of the app refers to another, nor another to it
    for model in apps.get_app_config("participation").get_models():
        assert not [f for f in model._meta.get_fields() if f.is_relation]
    assert TakingPart.objects.filter(thing="signup:hub").count() == 1


def test_a_bad_answer_saves_no_comment(loaded, cast, make_consultation):
    c = make_consultation()
    response = signed_in(cast["resident"]).post(
        reverse("consultations:comment", args=[c.pk]),
        {"text": "Chargers on my street", **ABOUT, "about_sex": "robot"})
    assert response.status_code == 400 and "What is your sex?" in response.content.decode()
    assert not Comment.objects.exists() and not TakingPart.objects.exists()
    assert not Description.objects.exists()


def test_a_comment_counts_its_author_once_with_their_earlier_answers(loaded, cast,
                                                                     make_consultation):
    c = make_consultation()
    services.save_answers(services.read_answers(ABOUT), person=("user", cast["resident"].pk),
                          thing=("signup", "hub"))
    client = signed_in(cast["resident"])
    for text in ("First thought", "Second thought"):
        assert client.post(reverse("consultations:comment", args=[c.pk]),
                           {"text": text}).status_code == 302
    took_part = TakingPart.objects.get(thing=f"consultation:{c.pk}")
    assert (took_part.ethnic_group, took_part.age_band) == ("black", "65+")
    # a later answer replaces an earlier one; a blank one keeps it
    client.post(reverse("consultations:comment", args=[c.pk]),
                {"text": "Third", "about_age_band": NO_SAY})
    took_part.refresh_from_db()
    assert (took_part.ethnic_group, took_part.age_band) == ("black", NO_SAY)


def test_no_one_sees_a_self_description(loaded, cast, make_consultation):
    """Not the organisers, not site staff, not the admin pages, not the API: not even that
    the author of a comment described themselves."""
    c = make_consultation()
    signed_in(cast["resident"]).post(reverse("consultations:comment", args=[c.pk]),
                                     {"text": "Chargers on my street", **ABOUT})
    assert Comment.objects.count() == 1 and TakingPart.objects.count() == 1
    for model in apps.get_app_config("participation").get_models():
        assert model not in admin.site._registry
    cast["staff"].is_superuser = True
    cast["staff"].save()
    for who in ("officer", "admin", "staff"):
        client = signed_in(cast[who])
        page = client.get(c.get_absolute_url()).content.decode()
        page = re.sub(r"<select.*?</select>", "", page, flags=re.S)  # their own questions
        assert "Chargers on my street" in page and "Too few to show" in page
        for answer in ("Black, Black British", "Rents from the council", "65 or over",
                       "Disabled"):
            assert answer not in page
        api = client.get(f"/api/consultations/{c.pk}/comments").content.decode()
        assert "black" not in api.lower() and "social" not in api and "65+" not in api
    assert client.get("/admin/").status_code == 200  # site staff, in the admin
    assert client.get("/admin/participation/").status_code == 404
    assert client.get("/admin/participation/description/").status_code == 404
    assert client.get("/admin/participation/takingpart/").status_code == 404


def test_a_request_records_who_asked(loaded, cast, council):
    response = signed_in(cast["resident"]).post(reverse("community:request_new"), {
        "title": "Bus stops without shelters", "description": "Which stops have none?",
        "organisation": str(council.pk), **ABOUT})
    assert response.status_code == 302 and DataRequest.objects.count() == 1
    # among everyone who asks for data (a request has one asker)
    assert TakingPart.objects.get(thing="requests:hub").ethnic_group == "black"


def test_a_bad_answer_asks_for_no_data(loaded, cast, council):
    response = signed_in(cast["resident"]).post(reverse("community:request_new"), {
        "title": "Bus stops", "description": "Which stops have none?",
        "organisation": str(council.pk), **ABOUT, "about_place": "Narnia"})
    assert response.status_code == 400 and "Where you live" in response.content.decode()
    assert not DataRequest.objects.exists() and not TakingPart.objects.exists()


def test_registering_interest_records_the_neighbourhood_of_the_registration(loaded,
                                                                           settings):
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    shares = Offer.objects.get(kind="community_shares")
    data = {"postcode": POSTCODE, "tenure": "rent", "home": "flat", "name": "Sam",
            "email": "sam@example.org", "consent": "1", "about_ethnic_group": "asian"}
    assert Client().post(reverse("energy:register", args=[shares.pk]),
                         data).status_code == 302
    took_part = TakingPart.objects.get(thing=f"offer:{shares.pk}")
    assert took_part.ethnic_group == "asian"
    assert took_part.lsoa_code == Interest.objects.get().lsoa_code
    # registering again with other answers changes nothing
    Client().post(reverse("energy:register", args=[shares.pk]),
                  {**data, "about_ethnic_group": "white"})
    took_part.refresh_from_db()
    assert took_part.ethnic_group == "asian"
    assert TakingPart.objects.filter(thing=f"offer:{shares.pk}").count() == 1
    # and the person counts once towards everyone registering, by neighbourhood only
    counted = TakingPart.objects.get(thing="registrations:energy")
    assert counted.lsoa_code == took_part.lsoa_code and counted.ethnic_group == ""


def test_deleting_the_account_forgets_the_description(loaded, cast, make_consultation):
    c = make_consultation()
    signed_in(cast["resident"]).post(reverse("consultations:comment", args=[c.pk]),
                                     {"text": "Chargers on my street", **ABOUT})
    assert Description.objects.count() == 1
    cast["resident"].delete()
    assert not Description.objects.exists()
    assert TakingPart.objects.count() == 1  # published figures do not change
