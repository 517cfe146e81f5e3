"""How a new app plugs into the activity kernel without the kernel importing it: it registers
the kinds of things it owns (followable, with feeds; news of a thing that is not public is left
out) and the sections it adds to the group and place pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commonground.activity import events, sections, things
from commonground.activity.models import Follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(monkeypatch):
    """A kind of thing an app registers: notices, "a" public and "b" withdrawn."""
    monkeypatch.setitem(things._KINDS, "notice", None)  # restored (removed) afterwards
    return things.register("notice", "Notice", page=lambda key: f"/notices/{key}/",
                           public_keys=lambda: ["a"])


def test_a_registered_kind_is_followed_and_its_hidden_things_leave_feeds(client, notices,
                                                                        django_user_model):
    reader = django_user_model.objects.create_user("reader", password="pw-rea-1")
    client.force_login(reader)
    client.post(reverse("activity:follow"), {"kind": "notice", "key": "b"})
    assert Follow.objects.get().kind_label == "Notice"
    events.record("A notice went up", "/notices/b/", [("notice", "b")])
    assert reader.notifications.count() == 1
    assert not events.about("notice", "b").exists()  # "b" is not public
    events.record("Another notice went up", "/notices/a/", [("notice", "a")])
    assert [e.text for e in events.about("notice", "a")] == ["Another notice went up"]
    assert client.get(reverse("activity:feed_page", args=["notice", "a"])).url == "/notices/a/"
    assert "notice a" in client.get(reverse("activity:feed_atom", args=["notice", "a"])
                                    ).content.decode()


def test_a_kind_no_app_registers_is_refused(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("reader", password="pw-rea-1"))
    refused = client.post(reverse("activity:follow"), {"kind": "notice", "key": "a"})
    assert refused.status_code == 400
    said = refused.content.decode()
    assert "Give a kind (" in said
    for kind in things.kinds():  # every kind the apps register is named, and only those
        assert kind.name in said
    assert "notice" not in said
    with pytest.raises(ValueError, match="notice"):
        events.record("A notice went up", "/notices/a/", [("notice", "a")])


def test_a_page_shows_its_registered_sections_in_order_and_skips_empty_ones(monkeypatch, rf):
    monkeypatch.setattr(sections, "_SECTIONS", {})
    sections.register("group", order=20, template="b.html",
                      context=lambda request, *, organisation: {"who": organisation})
    sections.register("group", order=10, template="a.html",
                      context=lambda request, *, organisation: None)  # nothing to show
    sections.register("group", order=5, template="c.html",
                      context=lambda request, *, organisation: {"first": True})
    sections.register("place", order=1, template="p.html", context=lambda request, **_: {})
    shown = sections.for_page("group", rf.get("/"), organisation="g")
    assert shown == [{"template": "c.html", "section": {"first": True}},
                     {"template": "b.html", "section": {"who": "g"}}]
    with pytest.raises(ValueError, match="no page takes sections"):
        sections.register("person", order=1, template="x.html", context=lambda request: {})
