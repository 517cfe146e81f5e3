"""A small world of feeds for the read faces' tests (the Data Hub API, the pages): who reads
what, and observations made by hand relative to now. Import the ``world`` fixture."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.feeds import keys
from commonground.feeds.models import Datastream, Feed, Observation, Thing
from commonground.geography.projection import lonlat_to_bng

#: Central Milton Keynes (the station square) and Bath (a car park), WGS84 degrees.
MK = (52.0342, -0.7742)
BATH = (51.3794, -2.3584)


@dataclass
class World:
    now: datetime
    feeds: dict = field(default_factory=dict)
    things: dict = field(default_factory=dict)
    streams: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    secrets: dict = field(default_factory=dict)


def basic(secret: str) -> dict:
    """Client headers giving ``secret`` as the basic-auth user name, password empty."""
    token = base64.b64encode(f"{secret}:".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def make_thing(feed, key, name, lat, lon) -> Thing:
    (x,), (y,) = lonlat_to_bng([lon], [lat])
    return Thing.objects.create(feed=feed, key=key, name=name, lat=lat, lon=lon,
                                easting=float(x), northing=float(y))


def make_stream(thing, key="occupancy", **fields) -> Datastream:
    fields.setdefault("name", f"{thing.name} {key}")
    fields.setdefault("observed_property", key)
    fields.setdefault("unit", "spaces")
    return Datastream.objects.create(thing=thing, key=key, **fields)


@pytest.fixture
def world(council) -> World:
    now = timezone.now().replace(microsecond=0)
    w = World(now=now)
    other = Organisation.objects.create(slug="other-org", name="Other organisation",
                                        kind="business")
    w.users["member"] = User.objects.create_user("member")
    w.users["outsider"] = User.objects.create_user("outsider")
    Membership.objects.create(organisation=council, user=w.users["member"], role="member")
    Membership.objects.create(organisation=other, user=w.users["outsider"], role="admin")

    def feed(slug, **fields):
        fields.setdefault("state", Feed.State.PUBLISHED)
        w.feeds[slug] = Feed.objects.create(organisation=council, slug=slug,
                                            title=slug.replace("-", " ").title(), **fields)
        return w.feeds[slug]

    parks = feed("car-parks")
    feed("private-air", private=True)
    feed("draft-feed", state=Feed.State.DRAFT)
    buses = feed("buses", kind=Feed.Kind.LOCATION)
    feed("roadworks", kind=Feed.Kind.EVENT)

    w.things["centre"] = make_thing(parks, "cp1", "Centre car park", *MK)
    w.things["bath"] = make_thing(parks, "bath-sb", "SouthGate, Bath", *BATH)
    w.streams["centre"] = make_stream(w.things["centre"])
    w.streams["bath"] = make_stream(w.things["bath"])
    # 60 readings every 10 minutes back from now (the newest at now - 10 min: value 1), and
    # one 30 hours ago, outside the default 24 hours.
    Observation.objects.bulk_create(
        [Observation(datastream=w.streams["centre"], time=now - timedelta(minutes=10 * i),
                     number=float(i)) for i in range(1, 61)]
        + [Observation(datastream=w.streams["centre"], time=now - timedelta(hours=30),
                       number=999.0),
           Observation(datastream=w.streams["bath"], time=now - timedelta(hours=2),
                       number=140.0)])
    for slug in ("private-air", "draft-feed"):
        thing = make_thing(w.feeds[slug], "s1", f"{slug} sensor", *MK)
        w.streams[slug] = make_stream(thing, "no2", unit="µg/m³")
        Observation.objects.create(datastream=w.streams[slug],
                                   time=now - timedelta(minutes=5), number=21.5)
    # buses: one at the station, one 900 m north of it, one in Bath
    w.things["bus-station"] = make_thing(buses, "bus1", "Bus 1", *MK)
    w.things["bus-north"] = make_thing(buses, "bus2", "Bus 2", MK[0] + 900 / 111_250, MK[1])
    w.things["bus-bath"] = make_thing(buses, "bus3", "Bus 3", *BATH)
    for slug in ("private-air", "draft-feed", "car-parks"):
        w.secrets[f"{slug} read"] = keys.make_key(w.feeds[slug], "read").secret
        w.secrets[f"{slug} write"] = keys.make_key(w.feeds[slug], "write").secret
    return w
