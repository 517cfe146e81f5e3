"""A published pack is public; a dataset it cites may stop being public (unpublished, made
private, deleted). Then the items resting on it show only "Figures withheld: the dataset
this cited is no longer public." to everyone, members too: no title, organisation, figures,
checksum or notice of newer versions, on the page, in the JSON and in the PDF. When the
dataset is public again, the frozen figures show again."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from commonground.catalogue.models import Dataset
from commonground.evidence import services
from commonground.evidence.document import WITHHELD
from commonground.evidence.models import EvidencePack, PackItem

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def cited(group, people, libraries, features, ingest_path, tmp_path):
    """A published pack citing the libraries dataset (its figures and the lens's findings),
    then a second version of the dataset, so the pack would say newer data exists."""
    dataset, version = libraries
    editor = people["editor"]
    pack = services.create_pack(editor, group, title="Our neighbourhood", place=LSOA,
                                question="What is here?")
    services.add_item(editor, pack, PackItem.Kind.PROFILE, source="summary")
    services.add_item(editor, pack, PackItem.Kind.DATASET, dataset=dataset)
    services.add_item(editor, pack, PackItem.Kind.LENS, dataset=dataset)
    services.add_item(editor, pack, PackItem.Kind.TEXT, text="Our own words.")
    services.publish(editor, pack)
    path = tmp_path / "fewer.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features[1:]}),
                    encoding="utf-8")
    assert ingest_path(dataset, path, resource=version.resource).version.number == 2
    return pack, dataset, version


def _hide(dataset, how: str) -> None:
    if how == "private":
        dataset.private = True
        dataset.save()
    elif how == "unpublished":
        dataset.state = Dataset.State.DRAFT
        dataset.save()
    else:
        dataset.delete()


def _readers(people):
    return {"anyone": None, "member": people["member"], "editor": people["editor"]}


def _get(user, url):
    browser = Client()
    if user is not None:
        browser.force_login(user)
    response = browser.get(url)
    assert response.status_code == 200, url
    return response


@pytest.mark.parametrize("how", ["private", "unpublished", "deleted"])
def test_a_dataset_no_longer_public_is_withheld_from_the_pack(cited, people, how):
    pack, dataset, version = cited
    secrets = [dataset.title, dataset.organisation.name, version.sha256[:8], "Newer data"]
    _hide(dataset, how)
    for who, user in _readers(people).items():
        data = _get(user, reverse("evidence:json", args=[pack.pk])).json()
        assert [i["kind"] for i in data["items"]] == ["profile", "dataset", "lens", "text"]
        profile, figures, lens, text = data["items"]
        for item in (figures, lens):
            assert item["withheld"] == WITHHELD
            assert set(item) == {"id", "kind", "order", "text", "taken", "taken_day",
                                 "newer", "withheld", "refreshable"}, who
            assert item["newer"] is None and item["text"] == ""
            assert item["refreshable"] is False  # nothing public to take the figures from
        assert profile.get("figures") and "withheld" not in profile  # the rest is as it was
        assert text["text"] == "Our own words."
        raw = json.dumps(data, ensure_ascii=False)
        page = _get(user, pack.get_absolute_url()).content.decode()
        printed = " ".join(pdf_text(_get(user, reverse("evidence:pdf", args=[pack.pk]))
                                    .content).split())
        for shown in (page, printed):
            assert shown.count(WITHHELD) == 2, who
        for shown in (raw, page, printed):
            for secret in secrets:
                assert secret not in shown, (who, secret)


def test_the_frozen_figures_show_again_when_the_dataset_is_public_again(cited, people):
    pack, dataset, version = cited
    url = reverse("evidence:json", args=[pack.pk])
    before = Client().get(url).json()
    dataset.private = True
    dataset.save()
    assert WITHHELD in Client().get(url).content.decode()
    dataset.private = False
    dataset.save()
    after = Client().get(url).json()
    assert after == before and WITHHELD not in json.dumps(after, ensure_ascii=False)
    item = after["items"][1]
    assert item["newer"] == "Newer data exists (version 2)"
    assert f"version 1 (sha256 {version.sha256[:8]}" in item["figures"][0]["citation"]


def test_the_editor_sees_the_withheld_item_and_can_remove_it(client, cited, people):
    pack, dataset, _ = cited
    dataset.private = True
    dataset.save()
    client.force_login(people["editor"])
    edit = reverse("evidence:edit", args=[pack.pk])
    page = client.get(edit).content.decode()
    assert page.count(WITHHELD) == 2 and dataset.title not in page
    assert page.count('name="action" value="refresh"') == 1  # the profile's figures only
    withheld = pack.items.get(kind=PackItem.Kind.DATASET)
    assert client.post(edit, {"action": "remove", "item": withheld.pk}).status_code == 302
    assert not pack.items.filter(pk=withheld.pk).exists()


def test_a_draft_citing_a_deleted_dataset_cannot_be_published(group, people, libraries):
    dataset, _ = libraries
    pack = services.create_pack(people["editor"], group, title="T", question="Q?", place=LSOA)
    services.add_item(people["editor"], pack, PackItem.Kind.DATASET, dataset=dataset)
    dataset.delete()
    with pytest.raises(services.PackError) as caught:
        services.publish(people["editor"], pack)
    assert caught.value.field == "items" and "was deleted" in str(caught.value)
    pack.refresh_from_db()
    assert pack.state == EvidencePack.State.DRAFT


def _arabic_indic(digits: str) -> str:
    """The same number in Arabic-Indic digits: ``str.isdigit`` is true, ``int`` reads it."""
    return "".join(chr(0x660 + int(d)) if d.isdigit() else d for d in digits)


def test_item_and_dataset_ids_are_ascii(client, group, people, libraries):
    dataset, _ = libraries
    client.force_login(people["editor"])
    pack = services.create_pack(people["editor"], group, title="T", question="Q?", place=LSOA)
    item = services.add_item(people["editor"], pack, PackItem.Kind.TEXT, text="Kept")
    edit = reverse("evidence:edit", args=[pack.pk])
    for value in ("²", _arabic_indic(str(item.pk)), "9" * 40, ""):
        response = client.post(edit, {"action": "remove", "item": value})
        assert response.status_code == 400, value
        assert "Item: that item is not in this pack" in response.content.decode()
    assert pack.items.count() == 1
    for value in ("²", _arabic_indic(str(dataset.pk))):
        response = client.post(edit, {"action": "add", "kind": "dataset", "dataset": value})
        assert response.status_code == 400, value
        assert "Dataset: choose one from the list" in response.content.decode()
    assert pack.items.count() == 1
