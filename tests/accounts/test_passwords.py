"""A member who forgot their password sets a new one through an emailed link; a signed-in
member changes theirs. Nothing says whether an address has an account; links work once;
asking is rate-limited."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db

OLD, NEW = "a-long-pass-phrase-42", "another-long-phrase-17"


@pytest.fixture
def member():
    return get_user_model().objects.create_user("jo", "jo@example.org", OLD)


def _link() -> str:
    return re.search(r"https?://\S+", mail.outbox[-1].body).group(0)


def _set_password(client, link: str, password: str):
    """Follow the emailed link (Django swaps the token for a session) and set ``password``."""
    form = client.get(link, follow=True)
    return form, client.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                             {"new_password1": password, "new_password2": password})


def test_a_member_sets_a_new_password_through_the_emailed_link(client, member):
    login = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login  # the way in is on the sign-in page
    sent = client.post(reverse("password_reset"), {"email": "JO@example.org"}, follow=True)
    assert "Check your email" in sent.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["jo@example.org"]
    assert "three days" in mail.outbox[0].body and "jo" in mail.outbox[0].body
    form, done = _set_password(client, _link(), NEW)
    assert "Choose a new password" in form.content.decode()
    assert done.status_code == 302 and done.url == reverse("password_reset_complete")
    client.logout()
    assert not client.login(username="jo", password=OLD)
    assert client.login(username="jo", password=NEW)


def test_a_link_works_once(client, member):
    client.post(reverse("password_reset"), {"email": "jo@example.org"})
    link = _link()
    _set_password(client, link, NEW)
    again = client.get(link, follow=True).content.decode()
    assert "does not work any more" in again


@pytest.mark.parametrize("email", ["nobody@example.org", "pending@example.org"])
def test_no_link_for_unknown_or_unconfirmed_addresses_and_the_page_does_not_say(client, email):
    get_user_model().objects.create_user("pending", "pending@example.org", OLD, is_active=False)
    sent = client.post(reverse("password_reset"), {"email": email}, follow=True)
    page = sent.content.decode()
    assert sent.status_code == 200 and "If an account has that email address" in page
    assert reverse("resend_link") in page  # the way for accounts never confirmed
    assert mail.outbox == []


def test_weak_new_passwords_are_refused_and_named(client, member):
    client.post(reverse("password_reset"), {"email": "jo@example.org"})
    _, refused = _set_password(client, _link(), "password")
    assert refused.status_code == 200 and "too common" in refused.content.decode()
    assert get_user_model().objects.get(username="jo").check_password(OLD)


def test_asking_for_links_is_rate_limited(client, member, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "reset a password": (2, 3600)}
    for _ in range(2):
        assert client.post(reverse("password_reset"), {"email": "jo@example.org"}).status_code == 302
    refused = client.post(reverse("password_reset"), {"email": "jo@example.org"})
    assert refused.status_code == 429 and "Too many" in refused.content.decode()
    assert len(mail.outbox) == 2


def test_a_signed_in_member_changes_their_password_with_the_current_one(client, member):
    assert client.get(reverse("password_change")).status_code == 302  # sign in first
    client.force_login(member)
    assert reverse("password_change") in client.get(reverse("activity:notifications")).content.decode()
    wrong = client.post(reverse("password_change"), {
        "old_password": "not-it", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200 and "incorrect" in wrong.content.decode()
    changed = client.post(reverse("password_change"), {
        "old_password": OLD, "new_password1": NEW, "new_password2": NEW}, follow=True)
    assert "Your password is changed" in changed.content.decode()
    client.logout()
    assert client.login(username="jo", password=NEW)


def test_the_forms_need_the_csrf_token(member):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post(reverse("password_reset"), {"email": "jo@example.org"}).status_code == 403
    assert mail.outbox == []


def test_every_field_description_the_forms_point_to_is_on_the_page(client, member):
    client.post(reverse("password_reset"), {"email": "jo@example.org"})
    pages = [client.get(reverse("password_reset")), client.get(_link(), follow=True)]
    client.force_login(member)
    pages.append(client.get(reverse("password_change")))
    for page in pages:
        html = page.content.decode()
        described = re.findall(r'aria-describedby="([^"]+)"', html)
        assert all(f'id="{name}"' in html for ids in described for name in ids.split())
    assert "aria-describedby" in html  # the change form has descriptions to check


def test_nobody_floods_one_address_with_links_from_many_places(client, member, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "reset a password": (2, 3600)}
    for n in range(2):
        asked = client.post(reverse("password_reset"), {"email": "jo@example.org"},
                            REMOTE_ADDR=f"192.0.2.{n}")
        assert asked.status_code == 302
    refused = client.post(reverse("password_reset"), {"email": " JO@example.org"},
                          REMOTE_ADDR="192.0.2.99")
    assert refused.status_code == 429 and len(mail.outbox) == 2
