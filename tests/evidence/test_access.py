"""Who may see and change evidence packs, each rule with its negative: anyone reads published
packs; only the group's members read drafts (404 to others, so nothing is revealed); only the
group's editors build and publish; only public datasets can be cited; CSRF is enforced."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from commonground.activity.models import Follow, Notification
from commonground.evidence import services
from commonground.evidence.models import EvidencePack, PackItem

from .conftest import LSOA

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(group, people, loaded):
    pack = services.create_pack(people["editor"], group, title="Draft pack",
                                question="Secret question?", place=LSOA)
    services.add_item(people["editor"], pack, PackItem.Kind.PROFILE, source="summary")
    return pack


@pytest.fixture
def published(group, people, loaded):
    pack = services.create_pack(people["editor"], group, title="Published pack",
                                question="Open question?", place=LSOA)
    services.add_item(people["editor"], pack, PackItem.Kind.PROFILE, source="summary")
    return services.publish(people["editor"], pack)


def _urls(pack):
    return [reverse(name, args=[pack.pk]) for name in ("evidence:pack", "evidence:pdf",
                                                       "evidence:json")]


def test_anyone_reads_a_published_pack_and_its_pdf(client, published):
    for url in _urls(published):
        assert client.get(url).status_code == 200, url


def test_a_draft_is_not_found_by_anyone_outside_the_group(client, draft, people):
    for user in (None, people["outsider"], people["council_editor"]):
        if user:
            client.force_login(user)
        for url in _urls(draft) + [reverse("evidence:edit", args=[draft.pk])]:
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert "Secret question?" not in response.content.decode()
    assert "Draft pack" not in client.get(reverse("evidence:packs")).content.decode()


def test_a_member_reads_the_draft_but_cannot_edit_it(client, draft, people):
    client.force_login(people["member"])
    for url in _urls(draft):
        assert client.get(url).status_code == 200, url
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "Secret question?" in page and "Edit this pack" not in page
    edit = reverse("evidence:edit", args=[draft.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, {"action": "publish"}).status_code == 403
    assert client.post(edit, {"action": "add", "kind": "text", "text": "x"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft" and draft.items.count() == 1
    assert client.get(reverse("evidence:new", args=[draft.organisation.slug])).status_code == 403


def test_an_editor_of_another_organisation_cannot_edit_a_published_pack(client, published,
                                                                        people):
    client.force_login(people["council_editor"])
    edit = reverse("evidence:edit", args=[published.pk])
    assert client.get(edit).status_code == 403
    item = published.items.get()
    assert client.post(edit, {"action": "remove", "item": item.pk}).status_code == 403
    assert published.items.count() == 1
    with pytest.raises(PermissionDenied):
        services.add_item(people["council_editor"], published, PackItem.Kind.TEXT, text="x")
    response = client.get(reverse("evidence:new", args=[published.organisation.slug]))
    assert response.status_code == 403


def test_signing_in_is_asked_before_building_a_pack(client, group):
    response = client.get(reverse("evidence:new", args=[group.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(reverse("evidence:new", args=["no-such-group"])).status_code == 404


def test_the_group_page_lists_drafts_only_for_members(draft, published, people):
    group = draft.organisation
    assert set(services.packs_for_group(people["member"], group)) == {draft, published}
    assert set(services.packs_for_group(people["editor"], group)) == {draft, published}
    for user in (people["outsider"], people["council_editor"], None):
        assert list(services.packs_for_group(user, group)) == [published]


def test_a_private_or_draft_dataset_cannot_be_cited(client, group, people, libraries,
                                                    make_dataset, ingest_path, data_dir):
    dataset, _ = libraries
    hidden = {"private": make_dataset("private-libraries", private=True),
              "draft": make_dataset("draft-libraries", state="draft")}
    for d in hidden.values():
        ingest_path(d, data_dir / "points" / "mk_public_libraries_dcms_2023.geojson")
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]),
                {"title": "Citing", "question": "What may we cite?", "place": LSOA})
    pack = EvidencePack.objects.get()
    edit = reverse("evidence:edit", args=[pack.pk])
    page = client.get(edit).content.decode()
    assert str(dataset.pk) in page  # offered
    for kind in ("dataset", "lens"):
        for d in hidden.values():
            assert str(d.pk) not in page  # not offered…
            response = client.post(edit, {"action": "add", "kind": kind, "dataset": d.pk})
            body = response.content.decode()  # …and refused when asked for anyway
            assert response.status_code == 400 and 'class="error-summary" role="alert"' in body
            assert "Dataset: a pack can only cite a published, public dataset" in body
    assert pack.items.count() == 0
    response = client.post(edit, {"action": "add", "kind": "dataset", "dataset": "not-an-id"})
    assert response.status_code == 400 and "Dataset: choose one from the list" in \
        response.content.decode()


def test_a_dataset_made_private_after_citing_blocks_publishing(group, people, libraries):
    dataset, _ = libraries
    pack = services.create_pack(people["editor"], group, title="T", question="Q?", place=LSOA)
    services.add_item(people["editor"], pack, PackItem.Kind.DATASET, dataset=dataset)
    dataset.private = True
    dataset.save()
    with pytest.raises(services.PackError) as caught:
        services.publish(people["editor"], pack)
    assert caught.value.field == "items" and "no longer public" in str(caught.value)


def test_markdown_is_rendered_safely(client, group, people, loaded):
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]), {
        "title": "Safe", "question": "Is it safe?", "place": LSOA,
        "intro": "**Bold** <script>alert('intro')</script> [x](javascript:alert(1))"})
    pack = EvidencePack.objects.get()
    client.post(reverse("evidence:edit", args=[pack.pk]), {
        "action": "add", "kind": "text", "text": "<img src=x onerror=alert(2)> *own words*"})
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "<strong>Bold</strong>" in page and "<em>own words</em>" in page
    assert "<script>alert" not in page and "onerror" not in page
    assert "javascript:" not in page


@pytest.mark.parametrize("place, message", [
    ("Atlantis", "Place: “Atlantis” is not a place in Milton Keynes"),
    ("Milton Keynes", "is not a neighbourhood (LSOA), area (MSOA) or ward"),  # the whole city
    ("Olney, Bletchley East", "Place: name one neighbourhood (LSOA), area (MSOA) or ward"),
    ("", "Place: name one neighbourhood (LSOA), area (MSOA) or ward"),
])
def test_a_bad_place_is_named_in_the_error(client, group, people, loaded, place, message):
    client.force_login(people["editor"])
    response = client.post(reverse("evidence:new", args=[group.slug]),
                           {"title": "T", "question": "Q?", "place": place})
    body = response.content.decode()
    assert response.status_code == 400
    assert '<div class="error-summary" role="alert">' in body and message in body
    assert 'href="#place"' in body and not EvidencePack.objects.exists()


@pytest.mark.parametrize("field, words", [("title", "Title:"), ("question", "Question:")])
def test_a_missing_title_or_question_is_named(client, group, people, loaded, field, words):
    client.force_login(people["editor"])
    data = {"title": "T", "question": "Q?", "place": LSOA, field: "  "}
    response = client.post(reverse("evidence:new", args=[group.slug]), data)
    assert response.status_code == 400 and words in response.content.decode()


def test_forms_need_the_csrf_token(group, people, draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["editor"])
    assert client.post(reverse("evidence:new", args=[group.slug]),
                       {"title": "T", "question": "Q?", "place": LSOA}).status_code == 403
    assert client.post(reverse("evidence:edit", args=[draft.pk]),
                       {"action": "publish"}).status_code == 403
    draft.refresh_from_db()
    assert draft.state == "draft"


def test_publishing_tells_followers_of_the_group_and_the_place(draft, people,
                                                              django_user_model):
    neighbour = django_user_model.objects.create_user("neighbour", password="pw-ne-1")
    Follow.objects.create(user=neighbour, kind="place", key=LSOA)
    Follow.objects.create(user=people["member"], kind="group", key=draft.organisation.slug)
    with pytest.raises(services.PackError):
        services.publish(people["editor"], services.create_pack(
            people["editor"], draft.organisation, title="Empty", question="?", place=LSOA))
    services.publish(people["editor"], draft)
    for user in (neighbour, people["member"]):
        note = Notification.objects.get(user=user)
        assert "Draft pack" in note.text and note.url == draft.get_absolute_url()
    assert not Notification.objects.filter(user=people["editor"]).exists()  # not the actor


def test_counts_of_records_about_people_stay_hidden_in_a_pack(group, people, make_dataset,
                                                              ingest_path, data_dir, loaded):
    """A public dataset about people may be cited, but only as the catalogue shows it: counts
    below the disclosure threshold (and any that would give one away) are not in the pack."""
    clients = make_dataset("library-visitors", title="Library visitors", about_people=True)
    ingest_path(clients, data_dir / "points" / "mk_public_libraries_dcms_2023.geojson")
    pack = services.create_pack(people["editor"], group, title="T", question="Q?", place=LSOA)
    item = services.add_item(people["editor"], pack, PackItem.Kind.DATASET, dataset=clients)
    rows, per = item.snapshot["figures"]
    assert rows["number"] is None and rows["value"] == "hidden (records about people)"
    assert per["number"] is None
    assert all(p["value"] is None for p in item.snapshot["comparison"]["places"])
