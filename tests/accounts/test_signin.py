"""Signing in is limited per account and per client address: a flood of wrong passwords gets
HTTP 429 without a password being hashed, from one address or from many; a member who types
the right password within the limit gets in."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-pass-phrase-42"


@pytest.fixture(autouse=True)
def production_hasher(settings):
    """The test settings hash with MD5 for speed; sign-in's costs are counted in PBKDF2's
    hashes, the production hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]


@pytest.fixture
def member():
    return get_user_model().objects.create_user("jo", "jo@example.org", PASSWORD)


@pytest.fixture
def counted_hashes(monkeypatch):
    """How many passwords the server hashed (each sign-in try hashes one)."""
    calls = []
    real = PBKDF2PasswordHasher.encode

    def encode(self, password, salt, iterations=None):
        calls.append(1)
        return real(self, password, salt, iterations)

    monkeypatch.setattr(PBKDF2PasswordHasher, "encode", encode)
    return calls


def _try(client, name, password, address="203.0.113.7"):
    return client.post(reverse("login"), {"username": name, "password": password},
                       REMOTE_ADDR=address)


def test_a_member_signs_in_with_the_right_password(client, member):
    answer = _try(client, "jo", PASSWORD)
    assert answer.status_code == 302
    assert client.session.get("_auth_user_id") == str(member.pk)


def test_wrong_guesses_at_one_account_are_stopped_from_any_number_of_addresses(
        client, member, settings, counted_hashes):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "sign in": (3, 900)}
    for n in range(3):
        assert _try(client, "jo", f"guess-{n}", address=f"198.51.100.{n}").status_code == 200
    hashed = len(counted_hashes)
    assert hashed >= 3  # each wrong guess was checked against the stored hash
    stopped = _try(client, "JO", PASSWORD, address="198.51.100.99")
    assert stopped.status_code == 429
    assert "Too many at once" in stopped.content.decode()
    assert len(counted_hashes) == hashed  # refused before any password was checked
    assert "_auth_user_id" not in client.session


def test_a_flood_from_one_address_is_stopped_whatever_the_accounts(client, member, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "sign in from an address": (5, 900)}
    answers = [_try(client, f"someone-{n}", "guess").status_code for n in range(8)]
    assert answers == [200] * 5 + [429] * 3
    assert _try(client, "jo", PASSWORD, address="192.0.2.1").status_code == 302


def test_the_sign_in_form_still_needs_its_csrf_token(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("login"), {"username": "jo", "password": PASSWORD}
                       ).status_code == 403
