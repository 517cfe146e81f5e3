"""A group withdraws a published evidence pack with a public reason: the pack stays at its
address as it was (page, JSON, PDF) under a notice, leaves the list of packs, cannot be changed
again, and followers hear of it. Drafts are not withdrawn; only the group's editors do it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from commonground.activity import events
from commonground.evidence import services
from commonground.evidence.models import EvidencePack

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db

WHY = "The bus figures were for the wrong year; see our new pack."


@pytest.fixture
def published(client, group, people, loaded):
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]),
                {"title": "Buses in Bletchley", "question": "Are buses enough?", "place": LSOA})
    pack = EvidencePack.objects.get()
    edit = reverse("evidence:edit", args=[pack.pk])
    client.post(edit, {"action": "add", "kind": "text", "text": "Buses come once an hour."})
    client.post(edit, {"action": "publish"})
    pack.refresh_from_db()
    return pack


def _withdraw(client, pack, reason=WHY):
    return client.post(reverse("evidence:edit", args=[pack.pk]),
                       {"action": "withdraw", "reason": reason})


def test_a_withdrawn_pack_stays_as_it_was_under_a_notice_and_leaves_the_lists(
        client, group, people, published, django_user_model):
    follower = django_user_model.objects.create_user("follower", password="pw-fo-1")
    events.follow(follower, "group", group.slug)
    assert "Withdraw the pack" in client.get(reverse("evidence:edit",
                                                     args=[published.pk])).content.decode()
    assert _withdraw(client, published).status_code == 302
    published.refresh_from_db()
    assert published.is_withdrawn and published.withdrawn_reason == WHY

    public = Client()
    page = public.get(published.get_absolute_url()).content.decode()
    assert "Withdrawn" in page and WHY in page and "Buses come once an hour." in page
    data = public.get(reverse("evidence:json", args=[published.pk])).json()
    assert data["withdrawn"]["reason"] == WHY and data["items"][0]["text"].startswith("Buses")
    pdf = pdf_text(public.get(reverse("evidence:pdf", args=[published.pk])).content)
    assert "WITHDRAWN" in pdf and "wrong year" in pdf
    assert published.title not in public.get(reverse("evidence:packs")).content.decode()
    assert "(withdrawn)" in public.get(f"/groups/{group.slug}/").content.decode()
    assert any("withdrew" in n.text for n in follower.notifications.all())


def test_a_withdrawn_pack_cannot_be_changed_again(client, people, published):
    _withdraw(client, published)
    edit = reverse("evidence:edit", args=[published.pk])
    assert client.get(edit)["Location"] == published.get_absolute_url()
    client.post(edit, {"action": "details", "title": "New title", "question": "?", "intro": ""})
    published.refresh_from_db()
    assert published.title == "Buses in Bletchley"
    with pytest.raises(services.PackError, match="withdrawn"):
        services.update_pack(people["editor"], published, title="New", question="?", intro="")
    assert "Edit this pack" not in client.get(published.get_absolute_url()).content.decode()


def test_withdrawing_needs_a_reason(client, published):
    response = _withdraw(client, published, reason="  ")
    assert response.status_code == 400 and "Reason" in response.content.decode()
    published.refresh_from_db()
    assert not published.is_withdrawn


def test_a_draft_is_not_withdrawn(client, group, people, loaded):
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]),
                {"title": "Draft", "question": "?", "place": LSOA})
    draft = EvidencePack.objects.get()
    with pytest.raises(services.PackError, match="Only a published pack"):
        services.withdraw(people["editor"], draft, reason=WHY)


@pytest.mark.parametrize("who", ["member", "council_editor", "outsider"])
def test_only_the_groups_editors_withdraw(client, people, published, who):
    client.force_login(people[who])
    assert _withdraw(client, published).status_code in (403, 404)
    published.refresh_from_db()
    assert not published.is_withdrawn


def test_a_change_racing_a_withdrawal_does_not_undo_it(people, published):
    stale = EvidencePack.objects.get(pk=published.pk)  # loaded before the withdrawal
    services.withdraw(people["editor"], published, reason=WHY)
    with pytest.raises(services.PackError, match="withdrawn"):
        services.update_pack(people["editor"], stale, title="New", question="?", intro="")
    with pytest.raises(services.PackError, match="withdrawn"):
        services.add_item(people["editor"], stale, "text", text="One more thing")
    with pytest.raises(services.PackError, match="withdrawn"):
        services.remove_item(people["editor"], stale.items.get())
    published.refresh_from_db()
    assert published.withdrawn_reason == WHY and published.title == "Buses in Bletchley"
    assert [i.text for i in published.items.all()] == ["Buses come once an hour."]
