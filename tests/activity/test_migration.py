"""Follows, events, notifications and digest preferences moved from ``community`` to
``activity`` with their tables and rows: a database migrated before the move keeps every row,
now read through ``activity``'s models, and permissions on them keep pointing at them.

The test migrates the test database back to before the move and forward again (Django's
migration executor), so it flushes the database afterwards and runs with the other tests that
do (last); it runs on whichever database the suite runs on, beside whatever the database
already holds.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from commonground.activity.models import Event, Follow, Notification, Preferences

BEFORE = [("community", "0005_digest_preferences")]


def _migrate(targets=None):
    """Migrate to ``targets`` (else to the latest); the apps as they are then."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return executor.loader.project_state(list(executor.loader.applied_migrations)).apps


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it():
    old = _migrate(BEFORE)
    assert not old.is_installed("activity")
    User = old.get_model("auth", "User")
    resident = User.objects.create(username="moving-resident")
    officer = User.objects.create(username="moving-officer")
    follow = old.get_model("community", "Follow").objects
    follows = [follow.create(user=resident, kind="group", key="mk-council"),
               follow.create(user=resident, kind="place", key="E05009394")]
    event = old.get_model("community", "Event").objects.create(
        text="New data request to the council", url="/requests/1/", actor=officer)
    old.get_model("community", "EventTarget").objects.create(event=event, kind="group",
                                                             key="mk-council")
    notification = old.get_model("community", "Notification").objects.create(
        user=resident, text=event.text, url=event.url, emailed=True)
    old.get_model("community", "Preferences").objects.create(user=resident, digest="weekly")
    content_type = old.get_model("contenttypes", "ContentType")
    follow_type = content_type.objects.get(app_label="community", model="follow")
    permission = old.get_model("auth", "Permission").objects.get(
        content_type=follow_type, codename="add_follow")
    resident.user_permissions.add(permission)

    _migrate()

    mine = Follow.objects.filter(user__username="moving-resident").order_by("pk")
    assert list(mine.values_list("pk", "kind", "key")) == [(f.pk, f.kind, f.key) for f in follows]
    moved = Event.objects.get(pk=event.pk)
    assert (moved.text, moved.url, moved.actor.username) == (event.text, event.url,
                                                             "moving-officer")
    assert list(moved.targets.values_list("kind", "key")) == [("group", "mk-council")]
    assert Notification.objects.get(pk=notification.pk).user.username == "moving-resident"
    assert Notification.objects.get(pk=notification.pk).emailed
    assert Preferences.objects.get(user__username="moving-resident").digest == "weekly"
    assert ContentType.objects.get_for_model(Follow).pk == follow_type.pk  # renamed, kept
    assert get_user_model().objects.get(username="moving-resident").has_perm(
        "activity.add_follow")
    assert not ContentType.objects.filter(app_label="community", model="follow").exists()
