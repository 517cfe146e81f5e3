"""A resident signs up with an email address, confirms it through the emailed link, and can
then sign in; bad input is named; sign-ups are rate-limited; emails are never shown."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

pytestmark = pytest.mark.django_db

NEW = {"username": "sam", "email": "Sam@Example.org", "password": "a-long-pass-phrase-42"}


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()


def _link() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def test_a_resident_signs_up_confirms_and_signs_in(client):
    response = client.post(reverse("signup"), NEW)
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    user = get_user_model().objects.get(username="sam")
    assert not user.is_active and user.email == "sam@example.org"
    assert not client.login(username="sam", password=NEW["password"])  # not yet confirmed
    assert mail.outbox[-1].to == ["sam@example.org"]
    confirmed = client.get(_link())
    assert confirmed.status_code == 200 and "Your email is confirmed" in confirmed.content.decode()
    assert client.login(username="sam", password=NEW["password"])


def test_a_tampered_or_foreign_link_confirms_nothing(client):
    client.post(reverse("signup"), NEW)
    bad = client.get(_link().rstrip("/") + "x/")
    assert bad.status_code == 400 and "does not work" in bad.content.decode()
    assert not get_user_model().objects.get(username="sam").is_active


@pytest.mark.parametrize("change, words", [
    ({"username": "a"}, "User name"), ({"email": "nope"}, "Email"),
    ({"password": "password"}, "too common"), ({"password": "sam"}, "too short"),
])
def test_bad_sign_ups_say_what_is_wrong(client, change, words):
    response = client.post(reverse("signup"), {**NEW, **change})
    assert response.status_code == 400 and words in response.content.decode()
    assert not get_user_model().objects.exists() and not mail.outbox


def test_names_and_addresses_are_not_taken_twice(client):
    client.post(reverse("signup"), NEW)
    again = client.post(reverse("signup"), {**NEW, "username": "SAM"})
    assert again.status_code == 400 and "taken" in again.content.decode()
    other = client.post(reverse("signup"), {**NEW, "username": "sammy",
                                            "email": "SAM@example.ORG"})
    assert other.status_code == 400 and "already uses this address" in other.content.decode()


def test_sign_ups_are_rate_limited(client, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS, "sign up": (2, 3600)}
    for i in range(2):
        assert client.post(reverse("signup"), {**NEW, "username": f"person{i}",
                                               "email": f"p{i}@example.org"}).status_code == 200
    limited = client.post(reverse("signup"), {**NEW, "username": "person9",
                                              "email": "p9@example.org"})
    assert limited.status_code == 429
    assert get_user_model().objects.count() == 2


def test_a_user_name_cannot_be_an_email_address(client):
    response = client.post(reverse("signup"), {**NEW, "username": "sam@example.org"})
    assert response.status_code == 400 and "not an email address" in response.content.decode()


def test_a_lost_or_expired_link_can_be_sent_again(client):
    client.post(reverse("signup"), NEW)
    assert len(mail.outbox) == 1
    page = client.post(reverse("resend_link"), {"email": "SAM@example.org"})
    assert page.status_code == 200 and "sent it a new link" in page.content.decode()
    assert len(mail.outbox) == 2 and mail.outbox[-1].to == ["sam@example.org"]
    assert "Your email is confirmed" in client.get(_link()).content.decode()
    # Once confirmed (or for an unknown address) nothing is sent, and the page says the same.
    for email in ("sam@example.org", "nobody@example.org"):
        again = client.post(reverse("resend_link"), {"email": email})
        assert "sent it a new link" in again.content.decode()
    assert len(mail.outbox) == 2
