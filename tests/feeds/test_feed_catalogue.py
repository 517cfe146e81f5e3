"""A published, public feed is a dataset of the catalogue: found in search, listed in DCAT
and the CKAN API with a resource of kind and format "feed" pointing at the feed; the
catalogue's file paths (rows, downloads, the lens, the DataStore) say where the feed is read
instead of failing, and the URL-refresh worker never fetches it; a draft or private feed
never makes a public dataset. An editor renames a feed (the dataset follows) or deletes it
(the dataset is withdrawn); nobody else can."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Follow
from commonground.catalogue.models import Dataset, Resource
from commonground.feeds import aggregates, catalogue_entry, keys, pulling
from commonground.feeds.models import (
    Aggregate,
    Datastream,
    Feed,
    FeedKey,
    Observation,
    PullRun,
    Thing,
    ThingLocation,
)

from .read_world import MK, make_stream, make_thing

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
    assert dist["dct:format"]["@id"].endswith("/file-type/HTML")  # the feed's page
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


def test_a_feeds_resource_is_of_kind_feed_and_the_url_worker_never_fetches_it(
        client, council, editor):
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    resource = dataset.resources.get()
    assert resource.kind == Resource.Kind.FEED
    assert resource.get_kind_display() == "A live feed (read at its URL)"
    # the same URL as a "url" resource of this continuously updated dataset would be due
    fetched = Resource.objects.create(dataset=dataset, name="A file", kind=Resource.Kind.URL,
                                      url=resource.url)
    due = pulling.due_resources(timezone.now() + timedelta(days=400))
    assert fetched in due and resource not in due


def _details(feed, **changes) -> dict:
    fields = {"title": feed.title, "description": feed.description, "licence": feed.licence,
              "source": feed.source, **changes}
    if fields.pop("private", feed.private):
        fields["private"] = "on"
    return {f"details-{name}": value for name, value in fields.items()}


def test_an_editor_renames_a_feed_and_search_dcat_and_ckan_follow(client, council, editor):
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    client.force_login(editor)
    assert "Details" in client.get(f"/feeds/{feed.slug}/manage").content.decode()
    answer = client.post(f"/feeds/{feed.slug}/details", _details(
        feed, title="Milton Keynes free spaces", description="Free spaces in each car park",
        licence="CC-BY-4.0"))
    assert answer.status_code == 302
    client.logout()
    found = client.get("/api/3/action/package_search", {"q": "free spaces"}).json()
    assert dataset.name in [p["name"] for p in found["result"]["results"]]
    old = client.get("/api/3/action/package_search", {"q": "parking bays"}).json()
    assert dataset.name not in [p["name"] for p in old["result"]["results"]]
    shown = client.get("/api/3/action/package_show", {"id": dataset.name}).json()["result"]
    assert (shown["title"], shown["notes"], shown["license_id"]) == (
        "Milton Keynes free spaces", "Free spaces in each car park", "CC-BY-4.0")
    assert shown["resources"][0]["name"].startswith("Milton Keynes free spaces")
    catalog = client.get("/catalog.jsonld").content.decode()
    assert "Milton Keynes free spaces" in catalog and "MK parking bays" not in catalog
    assert Dataset.objects.filter(title="Milton Keynes free spaces").count() == 1


def test_a_feed_made_private_takes_its_dataset_back_to_a_draft(client, council, editor):
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    client.force_login(editor)
    assert client.post(f"/feeds/{feed.slug}/details",
                       _details(feed, private=True)).status_code == 302
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT
    client.logout()
    assert client.get("/api/3/action/package_show", {"id": dataset.name}).status_code == 404
    client.force_login(editor)  # public again: published again
    assert client.post(f"/feeds/{feed.slug}/details", _details(feed)).status_code == 302
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.PUBLISHED


@pytest.mark.parametrize(("changes", "field"), [
    ({"title": ""}, "title"), ({"licence": "free-for-all"}, "licence"),
    ({"title": "x" * 301}, "title")])
def test_bad_details_are_named_and_change_nothing(client, council, editor, changes, field):
    feed = _feed(council)
    _publish(client, editor, feed)
    client.force_login(editor)
    answer = client.post(f"/feeds/{feed.slug}/details", _details(feed, **changes))
    assert answer.status_code == 400
    assert f'href="#id_details-{field}"' in answer.content.decode()
    assert "Manage “MK parking bays”" in answer.content.decode()
    feed.refresh_from_db()
    assert (feed.title, feed.licence) == ("MK parking bays", "OGL-UK-3.0")
    assert catalogue_entry.entry(feed).title == "MK parking bays"


def _outsider(council):
    other = Organisation.objects.create(slug="other-org", name="Other organisation",
                                        kind="business")
    user = User.objects.create_user("outsider")
    Membership.objects.create(user=user, organisation=other, role=Membership.Role.ADMIN)
    return user


def _full_feed(council, slug="mk-parking", **fields):
    """A feed holding one of everything a feed holds."""
    feed = _feed(council, slug=slug, **fields)
    thing = make_thing(feed, "cp1", "Centre car park", *MK)
    ThingLocation.objects.create(thing=thing, time=datetime(2024, 5, 1, tzinfo=UTC),
                                 lat=thing.lat, lon=thing.lon, easting=thing.easting,
                                 northing=thing.northing)
    stream = make_stream(thing)
    Observation.objects.bulk_create([Observation(
        datastream=stream, time=datetime(2024, 5, 1, h, tzinfo=UTC), number=h)
        for h in range(5)])
    aggregates.store_aggregates(stream, aggregates.HOUR, datetime(2024, 5, 1, tzinfo=UTC),
                                datetime(2024, 5, 2, tzinfo=UTC))
    keys.make_key(feed, "write")
    PullRun.objects.create(feed=feed, status=PullRun.Status.DONE)
    return feed


def _holdings(feed) -> dict:
    return {"things": Thing.objects.filter(feed=feed).count(),
            "locations": ThingLocation.objects.filter(thing__feed=feed).count(),
            "datastreams": Datastream.objects.filter(thing__feed=feed).count(),
            "observations": Observation.objects.filter(datastream__thing__feed=feed).count(),
            "aggregates": Aggregate.objects.filter(datastream__thing__feed=feed).count(),
            "keys": FeedKey.objects.filter(feed=feed).count(),
            "pull runs": PullRun.objects.filter(feed=feed).count()}


def test_an_editor_deletes_a_feed_with_all_it_holds_and_its_dataset_is_withdrawn(
        client, council, editor):
    feed = _full_feed(council)
    kept = _full_feed(council, slug="kept-feed")
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    Follow.objects.create(user=editor, kind="feed", key=feed.slug)
    before = _holdings(feed)
    assert all(before.values()), before
    client.force_login(editor)
    wrong = client.post(f"/feeds/{feed.slug}/delete", {"delete-confirm": "mk-parkin"})
    assert wrong.status_code == 400 and "nothing was deleted" in wrong.content.decode()
    assert _holdings(feed) == before
    answer = client.post(f"/feeds/{feed.slug}/delete", {"delete-confirm": feed.slug})
    assert answer.status_code == 302 and answer["Location"] == "/feeds/"
    assert not Feed.objects.filter(slug="mk-parking").exists()
    assert set(_holdings(feed).values()) == {0}
    assert all(_holdings(kept).values())  # another feed keeps all it holds
    assert not Follow.objects.filter(kind="feed", key="mk-parking").exists()
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT and not dataset.resources.exists()
    client.logout()
    assert client.get("/feeds/mk-parking/").status_code == 404
    found = client.get("/api/3/action/package_search", {"q": "parking bays"}).json()
    assert dataset.name not in [p["name"] for p in found["result"]["results"]]
    assert client.get("/api/3/action/package_show", {"id": dataset.name}).status_code == 404
    assert "MK parking bays" not in client.get("/catalog.jsonld").content.decode()


def test_only_the_feeds_editors_delete_it_or_change_its_details(client, council, editor):
    feed = _full_feed(council)
    private = _full_feed(council, slug="private-air", private=True)
    _publish(client, editor, feed)
    _publish(client, editor, private)
    before = _holdings(feed)
    member = User.objects.create_user("member")
    Membership.objects.create(user=member, organisation=council, role=Membership.Role.MEMBER)
    for user, public_status, private_status in ((_outsider(council), 403, 404),
                                                (member, 403, 403)):
        client.force_login(user)
        for target, status in ((feed, public_status), (private, private_status)):
            assert client.post(f"/feeds/{target.slug}/delete",
                               {"delete-confirm": target.slug}).status_code == status
            assert client.post(f"/feeds/{target.slug}/details",
                               _details(target, title="Taken over")).status_code == status
    client.logout()
    anonymous = client.post(f"/feeds/{feed.slug}/delete", {"delete-confirm": feed.slug})
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    client.force_login(editor)
    assert client.get(f"/feeds/{feed.slug}/delete").status_code == 405
    forged = Client(enforce_csrf_checks=True)
    forged.force_login(editor)
    assert forged.post(f"/feeds/{feed.slug}/delete",
                       {"delete-confirm": feed.slug}).status_code == 403
    assert _holdings(feed) == before and Feed.objects.filter(slug="private-air").exists()
    feed.refresh_from_db()
    assert feed.title == "MK parking bays"
    assert catalogue_entry.entry(feed).state == Dataset.State.PUBLISHED


def test_fixing_a_feeds_details_leaves_its_dataset_as_the_catalogue_left_it(
        client, council, editor):
    """The catalogue's editors unpublish the feed's dataset (or make it private): a typo
    fixed on the feed renames the dataset and does not make it public again; only
    publishing the feed does."""
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    client.force_login(editor)
    assert client.post(f"/datasets/{dataset.name}/publish",
                       {"state": "draft"}).status_code == 302
    assert client.post(f"/feeds/{feed.slug}/details", _details(
        feed, title="MK parking spaces", description="Free spaces",
        source="The council's car park sensors")).status_code == 302
    dataset.refresh_from_db()
    assert (dataset.title, dataset.notes, dataset.source) == (
        "MK parking spaces", "Free spaces", "The council's car park sensors")
    assert dataset.state == Dataset.State.DRAFT and not dataset.is_public
    Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.PUBLISHED, private=True)
    assert client.post(f"/feeds/{feed.slug}/details", _details(
        feed, title="MK parking bays", licence="CC-BY-4.0")).status_code == 302
    dataset.refresh_from_db()
    assert dataset.private and (dataset.title, dataset.licence) == ("MK parking bays",
                                                                    "CC-BY-4.0")
    client.logout()
    assert client.get("/api/3/action/package_show", {"id": dataset.name}).status_code == 404
    _publish(client, editor, feed)  # publishing the feed publishes its dataset
    dataset.refresh_from_db()
    assert dataset.is_public


def test_a_feed_made_again_at_a_deleted_feeds_address_takes_back_its_dataset(
        client, council, editor):
    """A deleted feed's dataset (a draft without the feed's resource, named after the
    address) is the dataset of the next feed its organisation publishes at that address:
    one dataset, one name, not a second "feed-<slug>"; another organisation's feed at the
    address makes its own."""
    feed = _feed(council)
    _publish(client, editor, feed)
    dataset = catalogue_entry.entry(feed)
    assert dataset.name == "mk-parking"
    client.force_login(editor)
    assert client.post(f"/feeds/{feed.slug}/delete",
                       {"delete-confirm": feed.slug}).status_code == 302
    again = _feed(council)
    assert catalogue_entry.entry(again) is None  # a draft: not in the catalogue yet
    _publish(client, editor, again)
    assert catalogue_entry.entry(again) == dataset
    dataset.refresh_from_db()
    assert dataset.is_public and dataset.name == "mk-parking"
    assert dataset.resources.get().url == catalogue_entry.feed_url(again)
    assert Dataset.objects.filter(title="MK parking bays").count() == 1
    assert client.get("/api/3/action/package_show", {"id": "mk-parking"}).json()[
        "result"]["resources"][0]["format"] == "feed"
    # deleted again, and made at the address by another organisation: its own dataset
    client.force_login(editor)
    assert client.post(f"/feeds/{again.slug}/delete",
                       {"delete-confirm": again.slug}).status_code == 302
    other = Organisation.objects.create(slug="other-org", name="Other organisation",
                                        kind="business")
    theirs = _feed(other)
    theirs.state = Feed.State.PUBLISHED
    theirs.save()
    made = catalogue_entry.sync(theirs)
    assert made != dataset and made.organisation == other and made.name == "feed-mk-parking"
    dataset.refresh_from_db()
    assert dataset.state == Dataset.State.DRAFT and not dataset.resources.exists()
