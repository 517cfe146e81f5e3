"""Commenting through the JSON API asks the same optional questions as the comment form: a
bad answer saves nothing and names its field; answers are counted as the form's are."""

from __future__ import annotations

import pytest

from commonground.accounts import tokens
from commonground.consultations.models import Comment
from commonground.participation.models import TakingPart

from .test_forms import ABOUT

pytestmark = pytest.mark.django_db


def _comment(client, c, user, body: dict):
    secret = tokens.make(user).secret
    return client.post(f"/api/consultations/{c.pk}/comments", body,
                       content_type="application/json",
                       headers={"Authorization": f"Bearer {secret}"})


def test_a_comment_through_the_api_counts_who_took_part(loaded, cast, make_consultation,
                                                         client):
    c = make_consultation()
    answer = _comment(client, c, cast["resident"], {"text": "Chargers, please", "about": ABOUT})
    assert answer.status_code == 201, answer.content
    took_part = TakingPart.objects.get(thing=f"consultation:{c.pk}")
    assert (took_part.ethnic_group, took_part.age_band) == ("black", "65+")
    assert "about" not in answer.json() and "black" not in answer.content.decode()


def test_the_api_names_a_bad_answer_and_saves_no_comment(loaded, cast, make_consultation,
                                                         client):
    c = make_consultation()
    answer = _comment(client, c, cast["resident"],
                      {"text": "Chargers, please", "about": {**ABOUT, "about_sex": "robot"}})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["loc"] == ["body", "body", "about_sex"]
    assert not Comment.objects.exists() and not TakingPart.objects.exists()


def test_answers_are_optional_through_the_api_too(loaded, cast, make_consultation, client):
    c = make_consultation()
    assert _comment(client, c, cast["resident"], {"text": "No answers"}).status_code == 201
    assert Comment.objects.count() == 1
