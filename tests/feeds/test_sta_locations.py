"""SensorThings Locations are the recorded positions (``ThingLocation``), past ones too.

A bus in a public feed was placed at 08:00 and moved at 09:00 and 10:00: three positions,
each its own Location; the 10:00 one is the bus's current Location. A private feed and a
draft feed each hold a moved thing of their own that only the council's members (and the
private feed's own read key) may reach.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commonground.accounts.models import Membership, Organisation
from commonground.feeds import keys
from commonground.feeds.models import Feed, FeedKey, Thing, ThingLocation

STA = "/sta/v1.1/"
T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)
#: (hours after T0, lat, lon) of the bus's three positions, oldest first.
ROUTE = [(0, 52.0406, -0.7594), (1, 52.0431, -0.7560), (2, 52.0470, -0.7520)]


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def moved(feed, key, name, route, location_name=""):
    """A thing at the last position of ``route``, with every position recorded."""
    *_, (_, lat, lon) = route
    thing = Thing.objects.create(feed=feed, key=key, name=name, lat=lat, lon=lon,
                                 location_name=location_name)
    rows = [ThingLocation.objects.create(thing=thing, time=T0 + timedelta(hours=h), lat=la,
                                         lon=lo, easting=486000 + i, northing=238000 + i)
            for i, (h, la, lo) in enumerate(route)]
    return thing, rows


class City:
    pass


@pytest.fixture
def city(db, django_user_model):
    c = City()
    c.council = Organisation.objects.create(slug="mk-council", name="MK Council")
    other = Organisation.objects.create(slug="other-org", name="Other Org")
    c.member = django_user_model.objects.create_user("member", password="pw-member-1")
    c.outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    Membership.objects.create(organisation=c.council, user=c.member)
    Membership.objects.create(organisation=other, user=c.outsider)
    published = Feed.State.PUBLISHED
    c.buses = Feed.objects.create(organisation=c.council, slug="buses", title="Buses",
                                  state=published)
    c.bins = Feed.objects.create(organisation=c.council, slug="bins", title="Bins",
                                 state=published, private=True)
    c.draft = Feed.objects.create(organisation=c.council, slug="vans", title="Vans")
    c.bus, c.stops = moved(c.buses, "bus-7", "Bus 7", ROUTE, location_name="Central station")
    c.bin, c.bin_rows = moved(c.bins, "bin-1", "Bin 1", [(0, 52.01, -0.71), (1, 52.02, -0.72)])
    c.van, c.van_rows = moved(c.draft, "van-1", "Van 1", [(0, 52.03, -0.73), (1, 52.04, -0.74)])
    return c


def get(client, path, status=200, data=None, **headers):
    response = client.get(STA + path, data or {}, **headers)
    assert response.status_code == status, (path, response.content[:500])
    return response.json()


def ids(body) -> list[int]:
    return [item["@iot.id"] for item in body["value"]]


def point(lat, lon) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


# Where a thing is and was ------------------------------------------------------------------

def test_each_recorded_position_is_a_location_with_its_own_coordinates(client, city):
    body = get(client, "Locations")
    assert ids(body) == [row.pk for row in city.stops]  # the public feed's only, by id
    for item, (_, lat, lon) in zip(body["value"], ROUTE, strict=True):
        assert item["location"] == point(lat, lon)
        assert item["encodingType"] == "application/geo+json"
    names = [item["name"] for item in body["value"]]
    assert names == [f"Where Bus 7 was from {z(T0)}",
                     f"Where Bus 7 was from {z(T0 + timedelta(hours=1))}",
                     "Central station"]
    assert get(client, f"Locations({city.stops[0].pk})/location") == \
        {"location": point(*ROUTE[0][1:])}


def test_a_things_locations_are_its_current_one_the_newest(client, city):
    body = get(client, f"Things({city.bus.pk})/Locations")
    assert ids(body) == [city.stops[-1].pk]
    assert body["value"][0]["location"] == point(*ROUTE[-1][1:])
    # A later move makes the new position current and the old one a past Location.
    later = ThingLocation.objects.create(thing=city.bus, time=T0 + timedelta(hours=3),
                                         lat=52.05, lon=-0.75, easting=1, northing=1)
    assert ids(get(client, f"Things({city.bus.pk})/Locations")) == [later.pk]
    assert get(client, f"Locations({city.stops[-1].pk})")["name"] == \
        f"Where Bus 7 was from {z(T0 + timedelta(hours=2))}"


def test_only_the_current_location_has_the_thing(client, city):
    assert ids(get(client, f"Locations({city.stops[-1].pk})/Things")) == [city.bus.pk]
    for past in city.stops[:-1]:
        assert get(client, f"Locations({past.pk})/Things")["value"] == []


def test_historical_locations_give_each_time_its_own_position(client, city):
    body = get(client, f"Things({city.bus.pk})/HistoricalLocations",
               data={"$orderby": "time", "$expand": "Locations"})
    assert [item["time"] for item in body["value"]] == \
        [z(T0 + timedelta(hours=h)) for h, _, _ in ROUTE]
    assert [[loc["location"] for loc in item["Locations"]] for item in body["value"]] == \
        [[point(lat, lon)] for _, lat, lon in ROUTE]
    for row in city.stops:
        assert ids(get(client, f"HistoricalLocations({row.pk})/Locations")) == [row.pk]
        assert ids(get(client, f"Locations({row.pk})/HistoricalLocations")) == [row.pk]
        assert get(client, f"HistoricalLocations({row.pk})/Thing")["@iot.id"] == city.bus.pk


def test_expand_two_levels_from_things_and_from_locations(client, city):
    body = get(client, "Things", data={
        "$expand": "HistoricalLocations($orderby=time desc;$expand=Locations),Locations"})
    [bus] = body["value"]
    assert [[loc["location"] for loc in h["Locations"]] for h in bus["HistoricalLocations"]] \
        == [[point(lat, lon)] for _, lat, lon in reversed(ROUTE)]
    assert ids({"value": bus["Locations"]}) == [city.stops[-1].pk]
    body = get(client, "Locations", data={"$expand": "Things($select=name),HistoricalLocations"})
    assert [item["Things"] for item in body["value"]] == [[], [], [{"name": "Bus 7"}]]
    assert [[h["time"] for h in item["HistoricalLocations"]] for item in body["value"]] == \
        [[z(T0 + timedelta(hours=h))] for h, _, _ in ROUTE]


def test_features_of_interest_stay_the_thing_at_its_current_position(client, city):
    feature = get(client, f"FeaturesOfInterest({city.bus.pk})")
    assert feature["feature"] == point(*ROUTE[-1][1:])


# Query options -----------------------------------------------------------------------------

def test_filter_order_and_count_locations_by_id(client, city):
    first, *_, last = city.stops
    body = get(client, "Locations", data={"$orderby": "id desc", "$count": "true"})
    assert ids(body) == [row.pk for row in reversed(city.stops)]
    assert body["@iot.count"] == 3
    body = get(client, "Locations", data={"$filter": f"id gt {first.pk}", "$count": "true",
                                     "$top": "1"})
    assert ids(body) == [city.stops[1].pk] and body["@iot.count"] == 2
    assert get(client, f"Things({city.bus.pk})/Locations", data={"$count": "true"})["@iot.count"] \
        == 1
    body = get(client, f"Things({city.bus.pk})", data={"$expand": "Locations($count=true)"})
    assert body["Locations@iot.count"] == 1
    assert ids(get(client, "Locations", data={"$filter": f"@iot.id eq {last.pk}"})) == [last.pk]


def test_location_names_are_not_filtered_or_ordered(client, city):
    """A past Location's name is made from its time, not stored: it is refused by name."""
    assert get(client, "Locations", 400, {"$filter": "name eq 'Central station'"})[
        "message"] == "$filter: unknown property 'name' at position 1 (filter on id)"
    assert "$orderby: cannot order Locations by 'name' (use id)" in get(
        client, "Locations", 400, {"$orderby": "name"})["message"]


# Who reads what ----------------------------------------------------------------------------

def hidden_rows(city) -> list[ThingLocation]:
    return city.bin_rows + city.van_rows


def assert_hidden(client, city, **headers):
    assert ids(get(client, "Locations", **headers)) == [row.pk for row in city.stops]
    assert get(client, "Locations", data={"$count": "true"}, **headers)["@iot.count"] == 3
    body = get(client, "Things", data={"$expand": "Locations,HistoricalLocations"}, **headers)
    assert [item["@iot.id"] for item in body["value"]] == [city.bus.pk]
    for row in hidden_rows(city):
        get(client, f"Locations({row.pk})", 404, **headers)
        get(client, f"Locations({row.pk})/Things", 404, **headers)
        get(client, f"Locations({row.pk})/HistoricalLocations", 404, **headers)
        get(client, f"HistoricalLocations({row.pk})/Locations", 404, **headers)
    for thing in (city.bin, city.van):
        get(client, f"Things({thing.pk})/Locations", 404, **headers)


def test_hidden_feeds_locations_are_not_found_anonymously(client, city):
    assert_hidden(client, city)


def test_hidden_feeds_locations_are_not_found_by_another_organisations_member(client, city):
    client.force_login(city.outsider)
    assert_hidden(client, city)


def test_hidden_feeds_locations_are_not_found_with_another_feeds_read_key(client, city):
    other = keys.make_key(city.buses, FeedKey.Scope.READ).secret
    assert_hidden(client, city, HTTP_AUTHORIZATION=f"Bearer {other}")


def test_hidden_feeds_locations_are_not_found_with_a_write_key(client, city):
    for feed in (city.bins, city.draft):
        write = keys.make_key(feed, FeedKey.Scope.WRITE).secret
        assert_hidden(client, city, HTTP_AUTHORIZATION=f"Bearer {write}")


def test_members_and_the_private_feeds_read_key_reach_its_locations(client, city):
    own = keys.make_key(city.bins, FeedKey.Scope.READ).secret
    body = get(client, "Locations", HTTP_AUTHORIZATION=f"Bearer {own}")
    assert ids(body) == sorted(row.pk for row in city.stops + city.bin_rows)
    assert ids(get(client, f"Things({city.bin.pk})/Locations",
                   HTTP_AUTHORIZATION=f"Bearer {own}")) == [city.bin_rows[-1].pk]
    client.force_login(city.member)
    body = get(client, "Things", data={"$expand": "HistoricalLocations($expand=Locations)"})
    coordinates = {item["name"]: [h["Locations"][0]["location"]["coordinates"]
                                  for h in item["HistoricalLocations"]]
                   for item in body["value"]}
    assert coordinates["Van 1"] == [[-0.73, 52.03], [-0.74, 52.04]]  # by id: as recorded
