"""A feed is a thing people follow: its page is the feed's page; only published, non-private
feeds are public, so news of a draft or private feed reaches no one outside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from commonground.activity import things
from commonground.activity.models import Follow
from commonground.feeds.models import Feed

pytestmark = pytest.mark.django_db


def test_a_published_feed_is_followed_from_its_page(client, council):
    Feed.objects.create(organisation=council, slug="air", title="Air", state="published")
    Feed.objects.create(organisation=council, slug="draft", title="Draft")
    Feed.objects.create(organisation=council, slug="private", title="Private",
                        state="published", private=True)
    assert things.label("feed") == "Live feed"
    assert things.page_of("feed", "air") == "/feeds/air/"
    assert things.page_of("feed", "nowhere") is None
    (kind,) = [k for k in things.kinds() if k.name == "feed"]
    assert sorted(kind.public_keys()) == ["air"]
    client.force_login(User.objects.create_user("resident"))
    response = client.post(reverse("activity:follow"), {"kind": "feed", "key": "air",
                                                        "next": "/feeds/air/"})
    assert response.status_code == 302
    assert Follow.objects.filter(kind="feed", key="air").exists()
