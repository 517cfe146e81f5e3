"""Email digests: people who chose daily or weekly get one email of what is new, each
notification at most once; people who chose never get none."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from commonground.activity import events
from commonground.activity.models import Notification, Preferences

pytestmark = pytest.mark.django_db


def test_a_daily_digest_sends_each_notification_once(client, django_user_model):
    keen = django_user_model.objects.create_user("keen", email="keen@example.org",
                                                 password="pw-keen-1")
    quiet = django_user_model.objects.create_user("quiet", email="quiet@example.org",
                                                  password="pw-quiet-1")
    client.force_login(keen)
    assert client.post(reverse("activity:following"), {"digest": "sometimes"}).status_code \
        == 400
    client.post(reverse("activity:following"), {"digest": "daily"})
    assert Preferences.objects.get(user=keen).digest == "daily"
    for person in (keen, quiet):
        events.follow(person, "place", "E05009394")
    events.record("New data in “Public libraries”: version 2", "/datasets/libraries/",
                  [("place", "E05009394")])
    call_command("send_digests", "--period", "weekly")
    assert mail.outbox == []
    call_command("send_digests", "--period", "daily", "--site-url", "https://hub.example")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["keen@example.org"]
    assert "Public libraries" in mail.outbox[0].body
    assert "https://hub.example/datasets/libraries/" in mail.outbox[0].body
    call_command("send_digests", "--period", "daily")
    assert len(mail.outbox) == 1  # nothing new, nothing sent
    assert not Notification.objects.filter(user=quiet, emailed=True).exists()
