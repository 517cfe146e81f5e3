"""A published, public feed is a dataset of the catalogue: found in search, listed in DCAT
and the CKAN API with a resource of format "feed" pointing at the feed; the catalogue's file
paths (rows, downloads, the lens, the DataStore) say where the feed is read instead of
failing; a draft or private feed never makes a public dataset."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from commonground.accounts.models import Membership
from commonground.catalogue.models import Dataset, Resource
from commonground.feeds import catalogue_entry
from commonground.feeds.models import Feed

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(council):
    user = User.objects.create_user("feed-editor")
    Membership.objects.create(user=user, organisation=council, role=Membership.Role.EDITOR)
    return user


def _feed(council, slug="mk-parking", **fields) -> Feed:
    return Feed.objects.create(organisation=council, slug=slug, title="MK parking bays",
                               description="Occupancy of parking bays", **fields)


def _publish(client, editor, feed, state="published"):
    client.force_login(editor)
    answer = client.post(f"/feeds/{feed.slug}/publish", {"state": state})
    assert answer.status_code == 302
    client.logout()


def test_publishing_a_feed_makes_its_dataset_with_a_feed_resource(client, council, editor):
    feed = _feed(council)
    assert catalogue_entry.entry(feed) is None  # a draft is not in the catalogue
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    assert dataset.organisation == council and dataset.state == Dataset.State.PUBLISHED
    assert dataset.title == "MK parking bays" and not dataset.private
    (resource,) = dataset.resources.all()
    assert (resource.format, resource.kind) == ("feed", "feed")
    assert resource.url.endswith("/feeds/mk-parking/") and resource.current_version is None
    _publish(client, editor, feed)  # publishing again updates, never duplicates
    assert Resource.objects.filter(url=resource.url).count() == 1


def test_the_feed_is_found_in_search_dcat_and_the_ckan_api(client, council, editor):
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    found = client.get("/api/3/action/package_search", {"q": "parking bays"}).json()
    assert dataset.name in [p["name"] for p in found["result"]["results"]]
    shown = client.get("/api/3/action/package_show", {"id": dataset.name}).json()["result"]
    (res,) = shown["resources"]
    assert res["format"] == "feed" and res["url"] == catalogue_entry.feed_url(feed)
    assert res["datastore_active"] is False
    catalog = client.get("/catalog.jsonld").json()
    (entry,) = [d for d in catalog["dcat:dataset"] if d["dct:title"] == "MK parking bays"]
    (dist,) = entry["dcat:distribution"]
    assert dist["dct:format"] == "feed"
    assert dist["dcat:accessURL"]["@id"] == catalogue_entry.feed_url(feed)


def test_file_paths_say_where_a_feed_is_read(client, council, editor):
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    resource = dataset.resources.get()
    url = catalogue_entry.feed_url(feed)
    page = client.get(resource.get_absolute_url())
    assert page.status_code == 200 and "This resource is a live feed" in page.content.decode()
    assert url in client.get(dataset.get_absolute_url()).content.decode()
    rows = client.get(f"/api/catalogue/resources/{resource.id}/rows")
    assert rows.status_code == 404 and url in rows.json()["detail"]
    search = client.get("/api/3/action/datastore_search", {"resource_id": str(resource.id)})
    assert search.status_code == 404
    assert "live feed" in search.json()["error"]["message"] and url in search.content.decode()
    lens = client.get(f"/datasets/{dataset.name}/lens/")
    assert lens.status_code == 200 and f"{url}lens/" in lens.content.decode()
    download = client.get(f"/datasets/{dataset.name}/resources/{resource.id}/v1/download.csv")
    assert download.status_code == 404


def test_a_draft_or_private_feed_never_makes_a_public_dataset(client, council, editor):
    private = _feed(council, slug="private-air", private=True)
    _publish(client, editor, private)
    assert catalogue_entry.entry(private) is None
    assert not Dataset.objects.filter(title="MK parking bays").exists()
    feed = _feed(council)
    _publish(client, editor, feed)
    _publish(client, editor, feed, state="draft")  # back to a draft: withdrawn
    dataset = catalogue_entry.entry(feed)
    assert dataset.state == Dataset.State.DRAFT
    shown = client.get("/api/3/action/package_show", {"id": dataset.name})
    assert shown.status_code == 404
    assert "MK parking bays" not in client.get("/catalog.jsonld").content.decode()


def test_a_recorded_feed_replayed_is_in_the_catalogue(council, data_dir):
    from commonground.feeds import replay

    recorded = replay.recorded_feeds(data_dir)[0]
    feed = replay.ensure_feed(recorded, council)
    dataset = catalogue_entry.entry(feed)
    assert dataset.state == Dataset.State.PUBLISHED and dataset.organisation == council
    assert dataset.resources.get().format == "feed"
