"""Follows, notifications and feeds: follow a place, dataset, request, group or consultation;
what happens to it reaches followers in the site and in RSS/Atom feeds; news of a dataset
never leaks while it is a draft or private, nor says where records about people are."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from commonground.accounts.models import Membership
from commonground.activity import events
from commonground.activity.models import Follow, Notification

pytestmark = pytest.mark.django_db

LIBRARIES = "points/mk_public_libraries_dcms_2023.geojson"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def resident(django_user_model):
    return django_user_model.objects.create_user("resident", password="pw-res-1")


@pytest.fixture
def officer(council, django_user_model):
    user = django_user_model.objects.create_user("officer", password="pw-off-1")
    Membership.objects.create(user=user, organisation=council, role=Membership.Role.EDITOR)
    return user


def test_follow_and_stop_from_any_page(client, council, resident):
    follow = {"kind": "group", "key": council.slug, "next": "/groups/mk-council/"}
    assert client.post(reverse("activity:follow"), follow).status_code == 302
    assert not Follow.objects.exists()  # signed out: sent to sign in
    client.force_login(resident)
    assert client.post(reverse("activity:follow"), follow)["Location"] == "/groups/mk-council/"
    client.post(reverse("activity:follow"), follow)  # twice is once
    assert Follow.objects.get().key == council.slug
    page = client.get(reverse("activity:following")).content.decode()
    assert "Group: mk-council" in page
    client.post(reverse("activity:follow"), {**follow, "stop": "1"})
    assert not Follow.objects.exists()


@pytest.mark.parametrize("post", [
    {"kind": "person", "key": "x"}, {"kind": "place", "key": " "},
])
def test_following_something_that_is_not_followable_is_refused(client, resident, post):
    client.force_login(resident)
    assert client.post(reverse("activity:follow"), post).status_code == 400


def test_next_never_leads_off_the_site(client, council, resident):
    client.force_login(resident)
    response = client.post(reverse("activity:follow"), {
        "kind": "group", "key": council.slug, "next": "https://evil.example/"})
    assert response["Location"] == "/following/"


def test_events_notify_followers_once_but_not_whoever_acted(django_user_model, resident):
    other = django_user_model.objects.create_user("other", password="pw-oth-1")
    events.follow(resident, "place", "E05009394")
    events.follow(resident, "group", "g")
    events.follow(other, "group", "g")
    events.record("Something happened", "/x/", [("place", "E05009394"), ("group", "g")],
                  actor=other)
    assert list(Notification.objects.values_list("user__username", flat=True)) == ["resident"]


def test_news_about_thousands_of_places_reaches_each_follower_once(django_user_model,
                                                                   resident):
    # a national version has rows in thousands of neighbourhoods: one OR clause per place made
    # SQLite refuse the query ("Expression tree is too large") and the publication failed
    places = [("place", f"E01{n:06d}") for n in range(2000)]
    near, far = django_user_model.objects.create_user("near", password="pw-near-1"), \
        django_user_model.objects.create_user("far", password="pw-far-1")
    events.follow(resident, "place", "E01000000")
    events.follow(resident, "place", "E01001999")
    events.follow(near, "place", "E01001234")
    events.follow(far, "place", "E02000001")  # not among them
    events.follow(far, "group", "E01000001")  # same key, another kind
    event = events.record("A national dataset", "/x/", places)
    assert event.targets.count() == 2000
    assert sorted(Notification.objects.values_list("user__username", flat=True)) == [
        "near", "resident"]


def test_each_thing_has_atom_and_rss_feeds(client, council):
    events.record("Council opened a consultation", "/consultations/1/",
                  [("group", council.slug)])
    atom = client.get(reverse("activity:feed_atom", args=["group", council.slug]))
    assert atom.status_code == 200 and "atom" in atom["Content-Type"]
    entries = ET.fromstring(atom.content).findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == ["Council opened a consultation"]
    rss = client.get(reverse("activity:feed_rss", args=["group", council.slug]))
    assert ET.fromstring(rss.content).find("channel/item/title").text == \
        "Council opened a consultation"
    assert client.get(reverse("activity:feed_rss", args=["person", "x"])).status_code == 404


def test_a_published_dataset_reaches_followers_of_it_its_group_and_its_places(
        client, loaded, council, officer, resident, make_dataset, ingest_path, data_dir):
    draft = make_dataset("libraries", title="Public libraries", state="draft")
    events.follow(resident, "dataset", "libraries")
    events.follow(resident, "group", council.slug)
    ingest_path(draft, data_dir / LIBRARIES, user=officer)
    assert not Notification.objects.exists()  # a draft's news stays with its members
    client.force_login(officer)
    client.post(reverse("catalogue:dataset_publish", args=["libraries"]), {"state": "published"})
    assert Notification.objects.filter(user=resident, text__contains="published").count() == 1
    place = draft.resources.get().current_version.areas.filter(geography="ward").first().code
    neighbour = type(resident).objects.create_user("neighbour", password="pw-nei-1")
    events.follow(neighbour, "place", place)
    ingest_path(draft, data_dir / LIBRARIES, resource=draft.resources.get(), user=officer)
    assert Notification.objects.filter(user=neighbour, text__contains="version 2").exists()
    feed = client.get(reverse("activity:feed_atom", args=["place", place])).content.decode()
    assert "Public libraries" in feed


def test_records_about_people_never_say_where_they_are(loaded, council, officer, resident,
                                                       make_dataset, ingest_path, data_dir):
    clients = make_dataset("clients", title="Food bank clients", about_people=True)
    ingest_path(clients, data_dir / LIBRARIES, user=officer)
    codes = clients.resources.get().current_version.areas.values_list("code", flat=True)
    assert codes
    assert not events.about("place", codes[0]).exists()
    assert events.about("dataset", "clients").exists()


def test_news_of_a_dataset_goes_when_it_stops_being_public(client, council, resident,
                                                           make_dataset):
    dataset = make_dataset("secret-thing", title="Secret thing title")
    events.record("Milton Keynes City Council published “Secret thing title”",
                  dataset.get_absolute_url(), [("dataset", dataset.name),
                                               ("group", council.slug)])
    feed = reverse("activity:feed_atom", args=["group", council.slug])
    assert "Secret thing title" in client.get(feed).content.decode()
    dataset.state = "draft"
    dataset.save()
    assert "Secret thing title" not in client.get(feed).content.decode()
    group_page = client.get(reverse("community:group", args=[council.slug])).content.decode()
    assert "Secret thing title" not in group_page


def test_feeds_survive_odd_text_and_never_carry_markup(client, council):
    events.record("Bad\x0btitle <b>bold</b>", "/x/", [("group", council.slug)])
    atom = client.get(reverse("activity:feed_atom", args=["group", council.slug]))
    rss = client.get(reverse("activity:feed_rss", args=["group", council.slug]))
    assert atom.status_code == rss.status_code == 200
    root = ET.fromstring(atom.content)
    assert root.find(f"{ATOM}author/{ATOM}name").text == "Common Ground"
    summary = root.find(f"{ATOM}entry/{ATOM}summary").text
    assert "<b>" not in summary and "&lt;b&gt;" in summary  # shown as text, not markup
    link = root.find(f"{ATOM}link[@rel='alternate']").get("href")
    assert client.get(link).url == f"/groups/{council.slug}/"


def test_a_followed_things_page_is_found_from_its_kind_and_key(client, loaded, council):
    assert client.get(reverse("activity:feed_page", args=["group", council.slug])).url == \
        f"/groups/{council.slug}/"
    assert client.get(reverse("activity:feed_page", args=["place", "E05009406"])).url == \
        "/places/ward/E05009406/"
    assert client.get(reverse("activity:feed_page", args=["place", "E99"])).status_code == 404
    assert client.get(reverse("activity:feed_page",
                              args=["consultation", "x"])).status_code == 404
