"""Retiring a thing: an editor of the feed's organisation retires it on the manage page (and
may bring it back); its history stays readable through every read face, each of which marks
it retired; new observations for it are refused by writing, naming the thing and the day,
and nothing of that batch is written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.feeds.models import Datastream, Feed, Observation, Thing
from commonground.feeds.writing import WriteError, write_observations

pytestmark = pytest.mark.django_db

T0 = datetime(2024, 5, 1, 9, tzinfo=UTC)


@pytest.fixture
def feed(council):
    feed = Feed.objects.create(organisation=council, slug="bays", title="Parking bays",
                               state=Feed.State.PUBLISHED)
    for key in ("b1", "b2"):
        thing = Thing.objects.create(feed=feed, key=key, name=f"Bay {key}", lat=52.04,
                                     lon=-0.76)
        stream = Datastream.objects.create(thing=thing, key="free", name="Free spaces",
                                           observed_property="free spaces")
        Observation.objects.create(datastream=stream, time=T0, number=3)
    return feed


def member(organisation, role, name):
    user = User.objects.create_user(name)
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return user


def retire_url(feed, thing):
    return f"/feeds/{feed.slug}/things/{thing.pk}/retire"


def test_an_editor_retires_a_thing_and_may_bring_it_back_others_may_not(feed, client):
    thing = feed.things.get(key="b1")
    other = Organisation.objects.create(slug="other", name="Other")
    for user, status in ((member(feed.organisation, "member", "reader"), 403),
                         (member(other, "editor", "stranger"), 403)):
        client.force_login(user)
        assert client.post(retire_url(feed, thing)).status_code == status
    client.logout()
    assert client.post(retire_url(feed, thing)).status_code == 302  # to log in
    assert Thing.objects.get(pk=thing.pk).retired is None

    client.force_login(member(feed.organisation, "editor", "editor"))
    page = client.get(f"/feeds/{feed.slug}/manage").content.decode()
    assert "Retire “Bay b1”" in page
    before = timezone.now()
    assert client.post(retire_url(feed, thing)).status_code == 302
    retired = Thing.objects.get(pk=thing.pk).retired
    assert before <= retired <= timezone.now()
    assert f"Retired on {timezone.localtime(retired):%Y-%m-%d}" in client.get(
        f"/feeds/{feed.slug}/manage").content.decode()
    client.post(retire_url(feed, thing), {"retired": "0"})
    assert Thing.objects.get(pk=thing.pk).retired is None
    another = Feed.objects.create(organisation=feed.organisation, slug="x", title="X")
    assert client.post(f"/feeds/{another.slug}/things/{thing.pk}/retire").status_code == 404


def test_writing_refuses_new_observations_for_a_retired_thing_by_name(feed):
    Thing.objects.filter(key="b1").update(retired=datetime(2024, 5, 2, 8, tzinfo=UTC))
    later = T0 + timedelta(days=2)
    with pytest.raises(WriteError) as caught:
        write_observations(feed, [("b2", "free", later, 4), ("b1", "free", later, 5)])
    [problem] = caught.value.problems
    assert (problem.index, problem.field) == (1, "thing")
    assert "thing 'b1' was retired on 2024-05-02" in problem.message
    assert Observation.objects.count() == 2  # nothing of the batch was written
    assert write_observations(feed, [("b2", "free", later, 4)]).added == 1


def test_a_retired_things_history_stays_readable_and_every_face_says_it_is_retired(
        feed, client):
    thing = feed.things.get(key="b1")
    thing.retired = datetime(2024, 5, 2, 8, tzinfo=UTC)
    thing.save()
    stream = thing.datastreams.get()

    page = client.get(f"/feeds/{feed.slug}/").content.decode()
    assert "Bay b1 (retired)" in page and "Bay b2 (retired)" not in page

    document = client.get(f"/sensors/feeds/{feed.pk}").json()
    retired = {t["key"]: t["retired"] for t in document["things"]}
    assert retired == {"b1": "2024-05-02T08:00:00Z", "b2": None}
    points = client.get(f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}/datapoints",
                        {"start": "2024-05-01T00:00:00Z"}).json()["datapoints"]
    assert [p["value"] for p in points] == [3.0]

    sta = client.get(f"/sta/v1.1/Things({thing.pk})").json()
    assert sta["properties"]["retired"] == "2024-05-02T08:00:00Z"
    observations = client.get(f"/sta/v1.1/Datastreams({stream.pk})/Observations").json()
    assert [o["result"] for o in observations["value"]] == [3.0]
