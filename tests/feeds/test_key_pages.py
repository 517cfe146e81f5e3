"""The keys page: a feed's editors make a key (label, scope, expiry) and see its secret once,
on the page that made it; the list names keys by prefix only; a revoked key stops working.
Nobody else reaches the page, and a bad expiry makes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from commonground.accounts.models import Membership
from commonground.feeds import keys
from commonground.feeds.models import Feed, FeedKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(council):
    return Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                               state="published")


@pytest.fixture
def editor(council):
    user = User.objects.create_user("editor")
    Membership.objects.create(organisation=council, user=user, role="editor")
    return user


def test_an_editor_makes_a_key_and_sees_its_secret_only_once(client, feed, editor):
    client.force_login(editor)
    expires = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")
    made = client.post("/feeds/car-parks/keys",
                       {"label": "gateway", "scope": "write", "expires": expires})
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    key = FeedKey.objects.get()
    secret = made.context["made"].secret
    assert keys.find(secret) == key and key.label == "gateway" and key.scope == "write"
    assert key.expires is not None and key.created_by == editor
    assert secret in made.content.decode()
    again = client.get("/feeds/car-parks/keys").content.decode()
    assert secret not in again and f"{key.prefix}…" in again and "gateway" in again


def test_an_editor_revokes_a_key_and_it_stops_working(client, feed, editor):
    made = keys.make_key(feed, "write")
    client.force_login(editor)
    response = client.post(f"/feeds/car-parks/keys/{made.key.prefix}/revoke")
    assert response.status_code == 302
    made.key.refresh_from_db()
    assert made.key.revoked is not None
    assert "revoked" in keys.problem(keys.find(made.secret), feed, "write")
    assert "Revoked" in client.get("/feeds/car-parks/keys").content.decode()


def test_an_expiry_in_the_past_makes_no_key(client, feed, editor):
    client.force_login(editor)
    response = client.post("/feeds/car-parks/keys", {"scope": "write",
                                                      "expires": "2020-01-01 00:00"})
    assert response.status_code == 400 and "expiry must be in the future" in \
        response.content.decode()
    assert not FeedKey.objects.exists()


@pytest.mark.parametrize("role", [None, "member"])
def test_only_editors_reach_the_keys_page(client, feed, council, role):
    user = User.objects.create_user("someone")
    if role:
        Membership.objects.create(organisation=council, user=user, role=role)
    client.force_login(user)
    assert client.get("/feeds/car-parks/keys").status_code == 403
    assert client.post("/feeds/car-parks/keys", {"scope": "write"}).status_code == 403
    made = keys.make_key(feed, "read")
    assert client.post(f"/feeds/car-parks/keys/{made.key.prefix}/revoke").status_code == 403
    assert FeedKey.objects.get().revoked is None


def test_a_draft_feeds_keys_page_is_not_acknowledged_to_outsiders(client, feed):
    Feed.objects.filter(pk=feed.pk).update(state="draft")
    client.force_login(User.objects.create_user("outsider"))
    assert client.get("/feeds/car-parks/keys").status_code == 404
    client.logout()
    assert client.get("/feeds/car-parks/keys").status_code == 302  # to sign in


def test_a_summer_expiry_is_read_and_shown_in_utc_as_the_form_says(client, feed, editor):
    """The form asks for the expiry in UTC: 2099-07-01 12:00 is 12:00 UTC (13:00 in London),
    stored as such and listed as such."""
    client.force_login(editor)
    made = client.post("/feeds/car-parks/keys", {"scope": "write", "expires": "2099-07-01 12:00"})
    assert made.status_code == 201
    key = FeedKey.objects.get()
    assert key.expires == datetime(2099, 7, 1, 12, 0, tzinfo=UTC)
    assert "expires 2099-07-01 12:00 UTC" in made.content.decode()
    assert "2099-07-01 12:00" in client.get("/feeds/car-parks/keys").content.decode()
