"""Evidence packs on the real Milton Keynes data: a group builds a pack for a neighbourhood,
every figure cites its dataset version or published table, the PDF carries the same figures,
and a published pack does not change when the data does."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from commonground.evidence.models import EvidencePack, PackItem
from commonground.places.cache import city_state
from commonground.places.models import IndicatorTable

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db


def _residents(code: str) -> float:
    key = city_state().run.population_indicator
    return IndicatorTable.objects.get(geography="lsoa21").values_of(key)[code]


def _build(client, group, dataset, place="Milton Keynes 030B") -> EvidencePack:
    """What the group's editor does on the pages: create, add a profile and a dataset, publish."""
    response = client.post(reverse("evidence:new", args=[group.slug]), {
        "title": "Libraries and Bletchley", "question": "Is Bletchley Library needed here?",
        "place": place, "intro": "We use **official** figures."})
    pack = EvidencePack.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("evidence:edit",
                                                                          args=[pack.pk])
    edit = reverse("evidence:edit", args=[pack.pk])
    for data in ({"kind": "profile", "source": "summary"},
                 {"kind": "dataset", "dataset": dataset.pk},
                 {"kind": "text", "text": "Keep the library open."}):
        response = client.post(edit, {"action": "add", **data})
        assert response.status_code == 302, response.content.decode()[:2000]
    assert client.post(edit, {"action": "publish"}).status_code == 302
    pack.refresh_from_db()
    return pack


def test_the_group_builds_a_pack_for_an_lsoa_and_downloads_its_pdf(client, group, people,
                                                                   libraries, features):
    dataset, version = libraries
    client.force_login(people["editor"])
    pack = _build(client, group, dataset)
    assert (pack.geography, pack.code, pack.state) == ("lsoa21", LSOA, "published")
    assert [i.kind for i in pack.items.all()] == ["profile", "dataset", "text"]

    here = sum(1 for f in features if f["properties"]["LSOA21CD"] == LSOA)
    residents = _residents(LSOA)
    rate = f"{1000 * here / residents:.2f}"
    citation = f"Public libraries, version 1 (sha256 {version.sha256[:8]}…"

    page = client.get(pack.get_absolute_url()).content.decode()
    assert "Milton Keynes 030B" in page and "Is Bletchley Library needed here?" in page
    assert f"{residents:,.0f}" in page and "Census 2021" in page  # residents, cited
    assert rate in page and citation in page
    assert "method: rows placed in the neighbourhood (LSOA) by" in page

    response = client.get(reverse("evidence:pdf", args=[pack.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="libraries-and-bletchley.pdf"'
    text = pdf_text(response.content)
    flat = " ".join(text.split())
    assert "Milton Keynes 030B" in flat and "Is Bletchley Library needed here?" in flat
    assert f"Per 1,000 residents {rate}" in flat  # the figure itself…
    assert citation in flat  # …and, under it, the dataset version it came from
    assert f"{residents:,.0f}" in flat and "Keep the library open." in flat


def test_dataset_figures_match_an_independent_count(client, group, people, libraries, features):
    dataset, _ = libraries
    client.force_login(people["editor"])
    pack = _build(client, group, dataset)
    data = client.get(reverse("evidence:json", args=[pack.pk])).json()
    item = next(i for i in data["items"] if i["kind"] == "dataset")
    here = sum(1 for f in features if f["properties"]["LSOA21CD"] == LSOA)
    assert here == 1  # Bletchley Library
    rows, per = item["figures"]
    assert rows["number"] == here
    assert per["number"] == pytest.approx(1000 * here / _residents(LSOA), rel=1e-9)
    places = item["comparison"]["places"]
    assert [p["label"] for p in places] == ["Milton Keynes 030B", "Bletchley Park ward",
                                            "Milton Keynes"]
    assert places[-1]["rows"] == str(len(features))  # every library lies in the city
    city_residents = sum(IndicatorTable.objects.get(geography="lsoa21").values_of(
        city_state().run.population_indicator).values())
    assert places[-1]["value"] == pytest.approx(1000 * len(features) / city_residents)
    assert item["cites"][0]["sha256"] and item["cites"][0]["version"] == 1


def test_a_new_dataset_version_does_not_change_a_published_pack(client, group, people, libraries,
                                                                features, ingest_path, tmp_path):
    dataset, version = libraries
    client.force_login(people["editor"])
    pack = _build(client, group, dataset)
    before = client.get(reverse("evidence:json", args=[pack.pk])).json()

    fewer = {"type": "FeatureCollection", "features": [
        f for f in features if f["properties"]["LSOA21CD"] != LSOA]}
    path = tmp_path / "libraries.geojson"
    path.write_text(json.dumps(fewer), encoding="utf-8")
    job = ingest_path(dataset, path, resource=version.resource)
    assert job.version.number == 2

    after = client.get(reverse("evidence:json", args=[pack.pk])).json()
    figures = [i.get("figures") for i in after["items"]]
    assert figures == [i.get("figures") for i in before["items"]]  # nothing moved
    dataset_item = next(i for i in after["items"] if i["kind"] == "dataset")
    assert dataset_item["newer"] == "Newer data exists (version 2)"
    page = client.get(pack.get_absolute_url()).content.decode()
    assert "Newer data exists (version 2)" in page and "version 1 (sha256" in page
    assert "Newer data exists (version 2)" in " ".join(pdf_text(
        client.get(reverse("evidence:pdf", args=[pack.pk])).content).split())

    # an editor takes the figures again, explicitly: now they cite version 2
    item = pack.items.get(kind=PackItem.Kind.DATASET)
    edit = reverse("evidence:edit", args=[pack.pk])
    assert client.post(edit, {"action": "refresh", "item": item.pk}).status_code == 302
    item.refresh_from_db()
    assert item.snapshot["figures"][0]["number"] == 0
    assert "version 2 (sha256" in item.snapshot["figures"][0]["citation"]
    assert "Newer data exists" not in client.get(pack.get_absolute_url()).content.decode()


def test_the_lens_findings_are_cited_with_the_version(client, group, people, libraries):
    dataset, version = libraries
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]), {
        "title": "Who lives near libraries", "question": "Who is far from one?",
        "place": LSOA})
    pack = EvidencePack.objects.get()
    response = client.post(reverse("evidence:edit", args=[pack.pk]),
                           {"action": "add", "kind": "lens", "dataset": dataset.pk})
    assert response.status_code == 302
    item = pack.items.get()
    assert item.snapshot["sentences"][0].startswith("The data places 9 ")
    assert f"version 1 (sha256 {version.sha256[:8]}" in item.snapshot["citation"]
    assert item.snapshot["figures"][0]["label"] == "Per 1,000 residents in this neighbourhood"
    page = client.get(pack.get_absolute_url()).content.decode()
    assert item.snapshot["sentences"][0] in page and "How these findings are made" in page


def test_a_ward_or_an_msoa_can_be_the_place(client, group, people, loaded):
    client.force_login(people["editor"])
    for place, geography in (("Bletchley East", "ward"), ("E02003488", "msoa21")):
        client.post(reverse("evidence:new", args=[group.slug]),
                    {"title": f"Pack for {place}", "question": "Why?", "place": place})
        pack = EvidencePack.objects.get(title=f"Pack for {place}")
        assert pack.geography == geography
        response = client.post(reverse("evidence:edit", args=[pack.pk]), {
            "action": "add", "kind": "profile", "source": "deprivation:iod2025"})
        assert response.status_code == 302
        figure = pack.items.get().snapshot["figures"][0]
        assert figure["label"] == "Index of Multiple Deprivation"
        assert figure["value"].startswith("score ")  # residents-weighted over its LSOAs
        assert "weighted by residents" in figure["citation"]


def test_items_are_reordered_and_removed(client, group, people, loaded):
    client.force_login(people["editor"])
    client.post(reverse("evidence:new", args=[group.slug]),
                {"title": "Order", "question": "Which first?", "place": LSOA})
    pack = EvidencePack.objects.get()
    edit = reverse("evidence:edit", args=[pack.pk])
    for words in ("first", "second", "third"):
        client.post(edit, {"action": "add", "kind": "text", "text": words})
    third = pack.items.get(text="third")
    client.post(edit, {"action": "up", "item": third.pk})
    assert [i.text for i in pack.items.all()] == ["first", "third", "second"]
    client.post(edit, {"action": "remove", "item": pack.items.get(text="first").pk})
    assert [i.text for i in pack.items.all()] == ["third", "second"]


def test_the_list_shows_published_packs_filtered_by_place_and_group(client, group, people,
                                                                    libraries):
    client.force_login(people["editor"])
    pack = _build(client, group, libraries[0])
    client.post(reverse("evidence:new", args=[group.slug]),
                {"title": "Unfinished draft", "question": "?", "place": "Bletchley East"})
    client.logout()
    listing = client.get(reverse("evidence:packs")).content.decode()
    assert pack.title in listing and "Unfinished draft" not in listing
    assert pack.title in client.get(reverse("evidence:packs"),
                                    {"place": "Milton Keynes 030B"}).content.decode()
    assert pack.title not in client.get(reverse("evidence:packs"),
                                        {"place": "Olney"}).content.decode()
    assert pack.title not in client.get(reverse("evidence:packs"),
                                        {"group": "someone-else"}).content.decode()
    response = client.get(reverse("evidence:packs"), {"place": "Atlantis"})
    assert response.status_code == 400 and "error-summary" in response.content.decode()
