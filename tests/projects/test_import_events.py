"""An import is news: one activity event about the importing organisation's group (and the
published projects it added or changed), so their followers hear of it; an import that
changes nothing, or is refused, is news to nobody."""

from __future__ import annotations

import pytest
from django.db.models import Max

from commonground.activity import events
from commonground.activity.models import Event, Notification
from commonground.projects.importing import import_register, load_register

pytestmark = pytest.mark.django_db

def newest_event() -> int:
    """The newest event's number now (0 when none): a test counts only the events after it."""
    return Event.objects.aggregate(newest=Max("pk"))["newest"] or 0



def test_an_import_tells_the_groups_and_projects_followers_once(loaded, council, data_dir,
                                                                register_document,
                                                                django_user_model):
    officer = django_user_model.objects.create_user("officer", password="pw-officer-1")
    fan = django_user_model.objects.create_user("fan", password="pw-fan-1")
    events.follow(fan, "group", council.slug)
    first = newest_event()
    report = load_register(data_dir, owner=council, user=officer)
    added = report.added["projects"]
    assert report.ok and added
    (event,) = Event.objects.filter(pk__gt=first)
    assert event.text == (f"{council.name}: {len(added)} projects added, 0 updated from the "
                          "register")
    assert event.actor == officer
    assert set(event.targets.values_list("kind", "key")) == {
        ("group", council.slug), *(("project", slug) for slug in added)}
    assert list(Notification.objects.filter(user=fan).values_list("text", flat=True)) == [
        event.text]

    assert import_register(register_document, owner=council, user=officer).ok
    assert Event.objects.filter(pk__gt=first).count() == 1  # the same file again: nothing new

    project = register_document["projects"][0]
    events.follow(fan, "project", project["id"])
    project["title"] += " (renamed)"
    assert import_register(register_document, owner=council, user=officer).ok
    latest = Event.objects.latest("pk")
    assert latest.text == f"{council.name}: 0 projects added, 1 updated from the register"
    assert set(latest.targets.values_list("kind", "key")) == {("group", council.slug),
                                                              ("project", project["id"])}
    assert Notification.objects.filter(user=fan).count() == 2  # once, though it follows both


def test_a_refused_import_is_news_to_nobody(loaded, council, register_document):
    register_document["projects"][0]["status"] = "sideways"
    first = newest_event()
    assert not import_register(register_document, owner=council).ok
    assert not Event.objects.filter(pk__gt=first).exists()
