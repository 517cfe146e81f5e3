"""OGC SensorThings API 1.1 at /sta/v1.1/ over the feeds' tables.

A council publishes a car-park feed (two things, three datastreams, eight observations made
by hand below), a private air-quality feed and a draft footfall feed; another organisation
has a member too. Every expected answer is worked out from the rows made here.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.feeds import keys
from commonground.feeds.models import Datastream, Feed, FeedKey, Observation, Thing, ThingLocation

STA = "/sta/v1.1/"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
SETS = ["Things", "Locations", "HistoricalLocations", "Datastreams", "Sensors",
        "ObservedProperties", "Observations", "FeaturesOfInterest"]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Hub:
    pass


def _stream(thing, key, prop, kind=Datastream.ValueType.NUMBER, unit="vehicles"):
    return Datastream.objects.create(thing=thing, key=key, name=f"{thing.name} {key}",
                                     observed_property=prop, unit=unit, value_type=kind)


def _observe(stream, values, text=False):
    Observation.objects.bulk_create([
        Observation(datastream=stream, time=at(5 * i),
                    **({"text": v} if text else {"number": v}))
        for i, v in enumerate(values)])


@pytest.fixture
def hub(db, django_user_model):
    h = Hub()
    h.council = Organisation.objects.create(slug="bath-council", name="Bath Council")
    h.other = Organisation.objects.create(slug="other-org", name="Other Org")
    h.member = django_user_model.objects.create_user("member", password="pw-member-1")
    h.outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    Membership.objects.create(organisation=h.council, user=h.member)
    Membership.objects.create(organisation=h.other, user=h.outsider)
    published = Feed.State.PUBLISHED
    h.parks = Feed.objects.create(organisation=h.council, slug="car-parks", title="Car parks",
                                  state=published)
    h.air = Feed.objects.create(organisation=h.council, slug="air", title="Air", state=published,
                                private=True)
    h.draft = Feed.objects.create(organisation=h.council, slug="footfall", title="Footfall")
    h.sw = Thing.objects.create(feed=h.parks, key="sw", name="SouthGate", lat=51.378,
                                lon=-2.358, location_name="SouthGate car park")
    h.av = Thing.objects.create(feed=h.parks, key="av", name="Avon Street", lat=51.380,
                                lon=-2.364, description="Riverside")
    h.moves = [ThingLocation.objects.create(thing=h.sw, time=at(m), lat=51.37 + m / 1000,
                                            lon=-2.35, easting=375000, northing=164000)
               for m in (0, 60)]
    h.sw_occ = _stream(h.sw, "occupancy", "occupancy")
    h.av_occ = _stream(h.av, "occupancy", "occupancy")
    h.av_status = _stream(h.av, "status", "status", Datastream.ValueType.TEXT, unit="")
    _observe(h.sw_occ, [10, 20, 30, 40])
    _observe(h.av_occ, [5, 15])
    _observe(h.av_status, ["open", "full"], text=True)
    h.aq = Thing.objects.create(feed=h.air, key="aq1", name="Air station", lat=51.4, lon=-2.3)
    h.no2 = _stream(h.aq, "no2", "occupancy", unit="ug/m3")  # same words, other feed
    _observe(h.no2, [41.5])
    h.ff = Thing.objects.create(feed=h.draft, key="ff1", name="Footfall counter")
    h.count = _stream(h.ff, "count", "footfall", unit="people")
    _observe(h.count, [300])
    return h


def get(client, path, status=200, **headers):
    response = client.get(STA + path, **headers)
    assert response.status_code == status, (path, response.content[:500])
    return response.json() if response["Content-Type"].startswith("application/json") \
        else response.content.decode()


def ids(body) -> list[int]:
    return [item["@iot.id"] for item in body["value"]]


def obs_id(stream, minutes) -> int:
    return Observation.objects.get(datastream=stream, time=at(minutes)).pk


# The service root and the entity sets ------------------------------------------------------

def test_service_root_lists_the_eight_entity_sets_with_their_urls_and_conformance(client, db):
    body = get(client, "")
    assert [item["name"] for item in body["value"]] == SETS
    assert [item["url"] for item in body["value"]] == [f"http://testserver{STA}{name}"
                                                       for name in SETS]
    conformance = body["serverSettings"]["conformance"]
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/request-data" in conformance
    assert "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array" in conformance


def test_things_carry_ids_self_links_navigation_links_and_properties(client, hub):
    body = get(client, "Things")
    assert ids(body) == [hub.sw.pk, hub.av.pk]  # by id: the public feed's two only
    thing = get(client, f"Things({hub.sw.pk})")
    link = f"http://testserver{STA}Things({hub.sw.pk})"
    assert thing["@iot.selfLink"] == link
    assert thing["name"] == "SouthGate"
    assert thing["properties"] == {"key": "sw", "feed": "car-parks"}
    for nav in ("Locations", "HistoricalLocations", "Datastreams"):
        assert thing[f"{nav}@iot.navigationLink"] == f"{link}/{nav}"


def test_locations_are_the_recorded_positions_as_geojson(client, hub):
    """One Location per ThingLocation row (Avon Street has coordinates but no recorded
    position, so no Location); the newest is the thing's current one."""
    body = get(client, "Locations")
    by_id = {item["@iot.id"]: item for item in body["value"]}
    assert set(by_id) == {move.pk for move in hub.moves}
    now, before = by_id[hub.moves[1].pk], by_id[hub.moves[0].pk]
    assert now["location"] == {"type": "Point", "coordinates": [-2.35, hub.moves[1].lat]}
    assert now["encodingType"] == "application/geo+json"
    assert now["name"] == "SouthGate car park"
    assert before["name"] == f"Where SouthGate was from {z(at(0))}"
    assert ids(get(client, f"Things({hub.sw.pk})/Locations")) == [hub.moves[1].pk]
    assert get(client, f"Locations({hub.moves[1].pk})/Things")["value"][0]["name"] == \
        "SouthGate"
    assert get(client, f"Things({hub.av.pk})/Locations")["value"] == []


def test_historical_locations_are_the_location_history_with_times(client, hub):
    body = get(client, "HistoricalLocations?$orderby=time")
    assert ids(body) == [move.pk for move in hub.moves]
    assert [item["time"] for item in body["value"]] == [z(at(0)), z(at(60))]
    thing = get(client, f"HistoricalLocations({hub.moves[1].pk})/Thing")
    assert thing["@iot.id"] == hub.sw.pk
    assert ids(get(client, f"Things({hub.sw.pk})/HistoricalLocations")) == \
        sorted(move.pk for move in hub.moves)


def test_datastreams_sensors_and_observed_properties(client, hub):
    streams = get(client, "Datastreams")
    assert ids(streams) == sorted([hub.sw_occ.pk, hub.av_occ.pk, hub.av_status.pk])
    one = get(client, f"Datastreams({hub.sw_occ.pk})")
    assert one["unitOfMeasurement"]["name"] == "vehicles"
    assert one["observationType"].endswith("OM_Measurement")
    assert get(client, f"Datastreams({hub.av_status.pk})")["observationType"].endswith(
        "OM_Observation")
    # One Sensor per datastream, with the datastream's id.
    assert ids(get(client, "Sensors")) == ids(streams)
    assert ids(get(client, f"Sensors({hub.av_occ.pk})/Datastreams")) == [hub.av_occ.pk]
    # One ObservedProperty per distinct observed property in a feed: its lowest stream's id.
    props = get(client, "ObservedProperties")
    assert {item["name"]: item["@iot.id"] for item in props["value"]} == {
        "occupancy": hub.sw_occ.pk, "status": hub.av_status.pk}
    assert get(client, f"Datastreams({hub.av_occ.pk})/ObservedProperty")["@iot.id"] == \
        hub.sw_occ.pk
    assert ids(get(client, f"ObservedProperties({hub.sw_occ.pk})/Datastreams")) == \
        [hub.sw_occ.pk, hub.av_occ.pk]


def test_observations_their_datastream_and_feature_of_interest(client, hub):
    body = get(client, f"Datastreams({hub.sw_occ.pk})/Observations")
    assert [item["result"] for item in body["value"]] == [10, 20, 30, 40]
    assert [item["phenomenonTime"] for item in body["value"]] == [z(at(m)) for m in
                                                                  (0, 5, 10, 15)]
    status = get(client, f"Datastreams({hub.av_status.pk})/Observations")
    assert [item["result"] for item in status["value"]] == ["open", "full"]
    assert len(get(client, "Observations")["value"]) == 8
    one = obs_id(hub.av_occ, 5)
    assert get(client, f"Observations({one})/Datastream")["@iot.id"] == hub.av_occ.pk
    feature = get(client, f"Observations({one})/FeatureOfInterest")
    assert feature["@iot.id"] == hub.av.pk
    assert feature["feature"] == {"type": "Point", "coordinates": [-2.364, 51.380]}
    assert len(get(client, f"FeaturesOfInterest({hub.av.pk})/Observations")["value"]) == 4


def test_a_property_and_its_raw_value(client, hub):
    one = obs_id(hub.sw_occ, 5)
    assert get(client, f"Observations({one})/result") == {"result": 20}
    assert get(client, f"Observations({one})/result/$value") == "20.0"
    assert get(client, f"Things({hub.sw.pk})/name/$value") == "SouthGate"
    events = _stream(hub.av, "events", "events", Datastream.ValueType.JSON, unit="")
    event = Observation.objects.create(datastream=events, time=at(0),
                                       text='{"closed": true, "level": 2}')
    assert get(client, f"Observations({event.pk})/result") == \
        {"result": {"closed": True, "level": 2}}
    assert get(client, f"Observations({event.pk})/result/$value") == \
        '{"closed": true, "level": 2}'
    assert get(client, f"Things({hub.sw.pk})/colour", 404)["message"] == \
        "Things has no property or navigation 'colour'"


def test_unknown_sets_ids_and_paths_are_named(client, hub):
    assert "Widgets" in get(client, "Widgets", 404)["message"]
    assert "'x'" in get(client, "Things(x)", 400)["message"]
    assert get(client, "Things(999999)", 404)["message"].startswith("no Things(999999)")
    assert "pick one entity" in get(client, "Things/Datastreams", 400)["message"]
    assert "'\u00b2'" in get(client, "Things(\u00b2)", 400)["message"]
    assert "a whole number" in get(client, f"Things({'9' * 30})", 400)["message"]


# Query options -----------------------------------------------------------------------------

def results(body) -> list:
    return [item["result"] for item in body["value"]]


@pytest.mark.parametrize(("expression", "expected"), [
    ("result gt 15", [20, 30, 40]),
    ("result ge 20 and result le 30", [20, 30]),
    ("result eq 10 or result eq 40", [10, 40]),
    ("not (result lt 30)", [30, 40]),
    ("result ne 20", [10, 30, 40]),
    ("(result lt 15 or result gt 35) and phenomenonTime ge 2024-05-01T10:10:00Z", [40]),
    ("phenomenonTime lt 2024-05-01T11:10:00+01:00", [10, 20]),
    ("20 lt result", [30, 40]),
    ("id eq {id}", [20]),
])
def test_filter_on_observations(client, hub, expression, expected):
    expression = expression.format(id=obs_id(hub.sw_occ, 5))
    body = get(client, f"Datastreams({hub.sw_occ.pk})/Observations", data={"$filter": expression})
    assert results(body) == expected


def test_filter_by_the_id_of_the_datastream_or_thing(client, hub):
    body = get(client, "Observations", data={
        "$filter": f"Datastream/@iot.id eq {hub.av_occ.pk} and result gt 0"})
    assert results(body) == [5, 15]
    body = get(client, "Datastreams", data={"$filter": f"Thing/id eq {hub.av.pk}"})
    assert ids(body) == [hub.av_occ.pk, hub.av_status.pk]
    body = get(client, "HistoricalLocations", data={"$filter": f"Thing/id ne {hub.sw.pk}"})
    assert body["value"] == []


def test_filter_on_text_results_and_names_with_quotes(client, hub):
    body = get(client, "Observations", data={"$filter": "result eq 'full'"})
    assert results(body) == ["full"]
    Thing.objects.filter(pk=hub.av.pk).update(name="O'Brien's")
    body = get(client, "Things", data={"$filter": "name eq 'O''Brien''s'"})
    assert ids(body) == [hub.av.pk]


def get_data(client, path, data, status):
    response = client.get(STA + path, data)
    assert response.status_code == status, response.content
    return response.json()


@pytest.mark.parametrize(("option", "value", "message"), [
    ("$filter", "name eq", "$filter: expected a value at position 8"),
    ("$filter", "colour eq 'red'", "$filter: unknown property 'colour' at position 1"),
    ("$filter", "name eq 'a' or", "$filter: expected a property at position 15"),
    ("$filter", "name eq 'a'; drop table", "$filter: cannot read ';"),
    ("$filter", "name like 'a'", "$filter: expected one of eq, ne, gt, ge, lt, le at position 6"),
    ("$filter", "(name eq 'a'", "$filter: expected ')' at position 13"),
    ("$filter", "name eq 3", "$filter: name cannot be compared with 3 at position 9"),
    ("$filter", "id eq 'x'", "$filter: id cannot be compared with 'x' at position 7"),
    ("$filter", "substringof('a', name)", "$filter: functions such as substringof() are"),
    ("$filter", "", "$filter: empty expression at position 1"),
    ("$orderby", "colour", "$orderby: cannot order Things by 'colour'"),
    ("$orderby", "name sideways", "$orderby: expected 'property [asc|desc]'"),
    ("$top", "1001", "$top must be a whole number from 0 to 1000, not '1001'"),
    ("$top", "-1", "$top must be a whole number from 0 to 1000, not '-1'"),
    ("$skip", "ten", "$skip must be a whole number from 0 to 999999999999, not 'ten'"),
    ("$count", "maybe", "$count must be false or true, not 'maybe'"),
    ("$select", "name,colour", "$select: Things has no property 'colour'"),
    ("$expand", "Sensors", "$expand: Things has no navigation property 'Sensors'"),
    ("$expand", "Datastreams/Observations/FeatureOfInterest", "deeper than 2 levels"),
    ("$expand", "Datastreams($filter=colour eq 1)", "$filter: unknown property 'colour'"),
    ("$resultFormat", "dataArray", "$resultFormat=dataArray is for Observations only"),
    ("$format", "json", "$format is not a query option here"),
    ("$filter", "id eq 99999999999999999999", "$filter: 99999999999999999999 at position 7 is "
                                              "too large"),
    ("$filter", "(" * 30 + "id eq 1" + ")" * 30, "$filter: nested deeper than 20 levels"),
    ("$filter", "not " * 30 + "id eq 1", "$filter: nested deeper than 20 levels"),
    ("$filter", "name eq '" + "a" * 2000 + "'", "$filter: longer than 2,000 characters"),
    ("$top", "\u00b2", "$top must be a whole number from 0 to 1000"),
    ("$skip", "9" * 30, "$skip must be a whole number from 0 to 999999999999"),
])
def test_bad_query_options_are_refused_by_name(client, hub, option, value, message):
    body = get_data(client, "Things", {option: value}, 400)
    assert body["code"] == 400
    assert message in body["message"]


def test_orderby_top_skip_count_and_next_link(client, hub):
    path = f"Datastreams({hub.sw_occ.pk})/Observations"
    body = get_data(client, path, {"$orderby": "result desc", "$top": "3", "$count": "true"}, 200)
    assert results(body) == [40, 30, 20]
    assert body["@iot.count"] == 4
    rest = client.get(body["@iot.nextLink"]).json()
    assert results(rest) == [10]
    assert "@iot.nextLink" not in rest
    body = get_data(client, path, {"$skip": "1", "$top": "2"}, 200)
    assert results(body) == [20, 30]
    assert "@iot.count" not in body
    things = get_data(client, "Things", {"$orderby": "name asc"}, 200)
    assert [item["name"] for item in things["value"]] == ["Avon Street", "SouthGate"]
    things = get_data(client, "Things", {"$orderby": "name DESC"}, 200)  # as frost sends it
    assert [item["name"] for item in things["value"]] == ["SouthGate", "Avon Street"]


def test_top_defaults_to_100_and_the_next_link_pages_through_the_rest(client, hub):
    Observation.objects.bulk_create([Observation(datastream=hub.sw_occ, time=at(-i - 1),
                                                 number=i) for i in range(150)])
    path = f"Datastreams({hub.sw_occ.pk})/Observations"
    first = get(client, path + "?$orderby=phenomenonTime")
    assert len(first["value"]) == 100
    second = client.get(first["@iot.nextLink"]).json()
    assert len(second["value"]) == 54
    seen = [item["@iot.id"] for item in first["value"] + second["value"]]
    assert len(set(seen)) == 154


def test_select_keeps_only_the_named_properties(client, hub):
    body = get_data(client, "Things", {"$select": "id,name"}, 200)
    assert body["value"] == [{"@iot.id": hub.sw.pk, "name": "SouthGate"},
                             {"@iot.id": hub.av.pk, "name": "Avon Street"}]


def test_expand_one_and_two_levels_with_nested_options(client, hub):
    body = get_data(client, f"Things({hub.av.pk})",
                    {"$expand": "Datastreams($select=name;$orderby=name desc)"}, 200)
    assert body["Datastreams"] == [{"name": "Avon Street status"},
                                   {"name": "Avon Street occupancy"}]
    body = get_data(client, "Things", {
        "$expand": "Datastreams/Observations($top=1;$orderby=phenomenonTime desc)",
        "$filter": f"id eq {hub.sw.pk}"}, 200)
    [thing] = body["value"]
    [stream] = thing["Datastreams"]
    assert [o["result"] for o in stream["Observations"]] == [40]
    assert stream["Observations@iot.nextLink"].endswith(
        f"Datastreams({hub.sw_occ.pk})/Observations?%24top=1&%24skip=1")
    one = obs_id(hub.av_occ, 0)
    body = get_data(client, f"Observations({one})", {"$expand": "Datastream,FeatureOfInterest"},
                    200)
    assert body["Datastream"]["@iot.id"] == hub.av_occ.pk
    assert body["FeatureOfInterest"]["name"] == "Avon Street"


def test_an_answer_holds_at_most_max_entities_counting_expansions(client, hub, monkeypatch):
    from commonground.feeds.sta import views

    monkeypatch.setattr(views, "MAX_ENTITIES", 9)  # 2 things, 3 streams, 8 observations
    expand = {"$expand": "Datastreams/Observations"}
    assert get_data(client, "Things", expand, 400)["message"] == (
        "the answer would hold more than 9 entities: lower $top, here or inside $expand")
    monkeypatch.setattr(views, "MAX_ENTITIES", 13)
    body = get_data(client, "Things", expand, 200)
    assert sum(len(s["Observations"]) for t in body["value"] for s in t["Datastreams"]) == 8


def test_data_array_reads_group_observations_by_datastream(client, hub):
    body = get_data(client, "Observations", {
        "$resultFormat": "dataArray", "$select": "id,phenomenonTime,result",
        "$filter": "phenomenonTime le 2024-05-01T10:05:00Z"}, 200)
    groups = {group["Datastream@iot.navigationLink"].rsplit("(", 1)[1].rstrip(")"): group
              for group in body["value"]}
    assert set(groups) == {str(s.pk) for s in (hub.sw_occ, hub.av_occ, hub.av_status)}
    sw = groups[str(hub.sw_occ.pk)]
    assert sw["components"] == ["id", "phenomenonTime", "result"]
    assert sw["dataArray@iot.count"] == 2
    assert sw["dataArray"] == [[obs_id(hub.sw_occ, 0), z(at(0)), 10],
                               [obs_id(hub.sw_occ, 5), z(at(5)), 20]]


# Who reads what ----------------------------------------------------------------------------

def thing_names(client, **headers) -> set[str]:
    return {item["name"] for item in get(client, "Things", **headers)["value"]}


PUBLIC = {"SouthGate", "Avon Street"}


def test_anonymous_readers_and_other_organisations_see_only_public_feeds(client, hub):
    for who in (None, hub.outsider):
        if who:
            client.force_login(who)
        assert thing_names(client) == PUBLIC
        for hidden in (hub.aq, hub.ff):
            get(client, f"Things({hidden.pk})", 404)
            get(client, f"FeaturesOfInterest({hidden.pk})/Observations", 404)
        get(client, f"Datastreams({hub.no2.pk})/Observations", 404)
        assert len(get(client, "Observations")["value"]) == 8
        assert {o["name"] for o in get(client, "ObservedProperties")["value"]} == \
            {"occupancy", "status"}


def test_members_see_their_organisations_drafts_and_private_feeds(client, hub):
    client.force_login(hub.member)
    assert thing_names(client) == PUBLIC | {"Air station", "Footfall counter"}
    assert results(get(client, f"Datastreams({hub.count.pk})/Observations")) == [300]


def test_a_read_key_opens_its_own_private_feed_only(client, hub):
    air = keys.make_key(hub.air, FeedKey.Scope.READ).secret
    parks = keys.make_key(hub.parks, FeedKey.Scope.READ).secret
    assert thing_names(client, HTTP_AUTHORIZATION=f"Bearer {air}") == PUBLIC | {"Air station"}
    assert thing_names(client, HTTP_X_API_KEY=air) == PUBLIC | {"Air station"}
    assert thing_names(client, HTTP_AUTHORIZATION=f"Bearer {parks}") == PUBLIC
    get(client, f"Datastreams({hub.no2.pk})", 404, HTTP_AUTHORIZATION=f"Bearer {parks}")


def test_write_keys_and_draft_feeds_keys_do_not_read(client, hub):
    write = keys.make_key(hub.air, FeedKey.Scope.WRITE).secret
    assert thing_names(client, HTTP_AUTHORIZATION=f"Bearer {write}") == PUBLIC
    draft_read = keys.make_key(hub.draft, FeedKey.Scope.READ).secret
    assert thing_names(client, HTTP_AUTHORIZATION=f"Bearer {draft_read}") == PUBLIC


def test_unknown_revoked_and_expired_keys_are_refused(client, hub):
    assert get(client, "Things", 401, HTTP_AUTHORIZATION="Bearer not-a-key-at-all")["code"] == 401
    revoked = keys.make_key(hub.air, FeedKey.Scope.READ)
    keys.revoke(revoked.key)
    body = get(client, "Things", 403, HTTP_AUTHORIZATION=f"Bearer {revoked.secret}")
    assert "was revoked" in body["message"]
    expired = keys.make_key(hub.air, FeedKey.Scope.READ,
                            expires=datetime.now(UTC) - timedelta(minutes=1))
    body = get(client, "Things", 403, HTTP_AUTHORIZATION=f"Bearer {expired.secret}")
    assert "expired" in body["message"]


# Writing observations ----------------------------------------------------------------------

def post(client, path, body, secret=None, status=201):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    response = client.post(STA + path, data=json.dumps(body), content_type="application/json",
                           **headers)
    assert response.status_code == status, response.content[:500]
    return response


@pytest.fixture
def writer(hub):
    return keys.make_key(hub.parks, FeedKey.Scope.WRITE).secret


def test_post_an_observation_to_a_datastream(client, hub, writer):
    response = post(client, "Observations", {"phenomenonTime": "2024-05-01T10:20:00Z",
                                             "result": 45, "Datastream": {"@iot.id":
                                                                          hub.sw_occ.pk}},
                    writer)
    stored = Observation.objects.get(datastream=hub.sw_occ, time=at(20))
    assert stored.number == 45
    assert response["Location"] == f"http://testserver{STA}Observations({stored.pk})"
    assert response.json()["result"] == 45
    response = post(client, f"Datastreams({hub.av_status.pk})/Observations",
                    {"phenomenonTime": "2024-05-01T11:20:00+01:00", "result": "closed"}, writer)
    assert Observation.objects.get(datastream=hub.av_status, time=at(20)).text == "closed"
    assert get(client, f"Observations({response.json()['@iot.id']})/result") == \
        {"result": "closed"}


def test_posting_the_same_observation_again_changes_nothing(client, hub, writer):
    body = {"phenomenonTime": z(at(5)), "result": 20, "Datastream": {"@iot.id": hub.sw_occ.pk}}
    response = post(client, "Observations", body, writer)
    assert response.json()["@iot.id"] == obs_id(hub.sw_occ, 5)
    assert Observation.objects.filter(datastream=hub.sw_occ).count() == 4


@pytest.mark.parametrize(("body", "status", "message"), [
    ({"phenomenonTime": "2024-05-01T10:20:00", "result": 1}, 400,
     "Observation, phenomenonTime: 2024-05-01T10:20:00 has no time zone"),
    ({"phenomenonTime": "2024-05-01T10:20:00Z", "result": "lots"}, 400,
     "Observation, result: must be a number, not 'lots'"),
    ({"phenomenonTime": "2024-05-01T10:05:00Z", "result": 99}, 400,
     "already holds a different value"),
    ({"phenomenonTime": "2999-01-01T00:00:00Z", "result": 1}, 400, "is in the future"),
    ({"phenomenonTime": "2024-05-01T10:20:00Z"}, 400, "result: an Observation needs a result"),
    ({"result": 1, "Datastream": {"@iot.id": "x"}}, 400, "Datastream: give the datastream as"),
    ({"result": 1, "Datastream": {"@iot.id": 2**70}}, 400,
     "give the datastream as {\"@iot.id\": <number>} (a whole number from 0 to"),
    ({"result": 1, "Datastream": {"@iot.id": 999999}}, 404,
     "Datastream: this key's feed has no Datastream(999999)"),
])
def test_bad_observations_are_refused_by_field_and_nothing_is_written(client, hub, writer,
                                                                     body, status, message):
    body.setdefault("Datastream", {"@iot.id": hub.sw_occ.pk})
    before = Observation.objects.count()
    response = post(client, "Observations", body, writer, status)
    assert message in response.json()["message"]
    assert Observation.objects.count() == before


def test_writing_needs_the_feeds_own_valid_write_key(client, hub, writer):
    # Another (here private) feed's stream is answered as one that does not exist, so a
    # write key cannot tell that a hidden stream is there.
    body = {"phenomenonTime": z(at(20)), "result": 1, "Datastream": {"@iot.id": hub.no2.pk}}
    assert post(client, "Observations", body, writer, 404).json()["message"] == \
        f"Datastream: this key's feed has no Datastream({hub.no2.pk})"
    group = [{"Datastream": {"@iot.id": hub.no2.pk}, "components": ["phenomenonTime", "result"],
              "dataArray": [[z(at(20)), 1]]}]
    assert post(client, "CreateObservations", group, writer, 404).json()["message"] == \
        f"item 0, Datastream: this key's feed has no Datastream({hub.no2.pk})"
    body["Datastream"]["@iot.id"] = hub.sw_occ.pk
    post(client, "Observations", body, None, 401)
    post(client, "Observations", body, "nonsense-key-123", 401)
    reader = keys.make_key(hub.parks, FeedKey.Scope.READ).secret
    assert "this needs a write key" in post(client, "Observations", body, reader,
                                            403).json()["message"]
    revoked = keys.make_key(hub.parks, FeedKey.Scope.WRITE)
    keys.revoke(revoked.key)
    post(client, "Observations", body, revoked.secret, 403)
    post(client, f"Datastreams({hub.no2.pk})/Observations", body, writer, 404)
    assert not Observation.objects.filter(time=at(20)).exists()


def test_create_observations_takes_data_arrays_all_or_nothing(client, hub, writer):
    body = [{"Datastream": {"@iot.id": hub.sw_occ.pk}, "components": ["phenomenonTime", "result"],
             "dataArray": [[z(at(20)), 50], [z(at(25)), 60]]},
            {"Datastream": {"@iot.id": hub.av_status.pk},
             "components": ["result", "phenomenonTime"], "dataArray": [["empty", z(at(20))]]}]
    links = post(client, "CreateObservations", body, writer).json()
    made = [Observation.objects.get(datastream=hub.sw_occ, time=at(20)),
            Observation.objects.get(datastream=hub.sw_occ, time=at(25)),
            Observation.objects.get(datastream=hub.av_status, time=at(20))]
    assert links == [f"http://testserver{STA}Observations({o.pk})" for o in made]
    assert [o.number for o in made[:2]] == [50, 60] and made[2].text == "empty"
    before = Observation.objects.count()
    body[0]["dataArray"] = [[z(at(30)), 70], [z(at(35)), "seventy"]]
    message = post(client, "CreateObservations", body, writer, 400).json()["message"]
    assert message.startswith("item 0, dataArray row 1, result: must be a number")
    body[0]["dataArray"] = [[z(at(30))]]
    message = post(client, "CreateObservations", body, writer, 400).json()["message"]
    assert message == "item 0, dataArray row 0: expected 2 values (phenomenonTime, result)"
    assert Observation.objects.count() == before


def test_a_data_array_row_older_than_the_retention_is_answered_error_and_the_rest_written(
        client, hub, writer):
    """As the push API skips (and names) a row older than its stream's retention, the
    DataArray answer gives "error" in its place; the other rows are written."""
    hub.sw_occ.retention_days = 30
    hub.sw_occ.save(update_fields=["retention_days"])
    recent = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    body = [{"Datastream": {"@iot.id": hub.sw_occ.pk}, "components": ["phenomenonTime", "result"],
             "dataArray": [[z(recent), 5], [z(at(40)), 6]]}]
    links = post(client, "CreateObservations", body, writer).json()
    made = Observation.objects.get(datastream=hub.sw_occ, time=recent)
    assert links == [f"http://testserver{STA}Observations({made.pk})", "error"]
    assert not Observation.objects.filter(datastream=hub.sw_occ, time=at(40)).exists()


# A real client ------------------------------------------------------------------------------

OM_MEASURE = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
UCUM_SPACES = "http://unitsofmeasure.org/ucum.html#{spaces}"


@pytest.mark.live
def test_frost_sta_client_creates_and_reads_against_a_live_hub(live_server, transactional_db):
    """Fraunhofer's SensorThings client (frost-sta-client) writes observations with a write
    key and reads them back, paging through @iot.nextLink, filtering and expanding; then it
    makes a thing with its location and datastreams, moves and changes it, writes to its
    streams and reads every value back, through itself and through the MK Data Hub API."""
    import frost_sta_client as fsc
    from requests.auth import AuthBase

    class Bearer(fsc.AuthHandler):
        def __init__(self, secret):
            super().__init__()
            self.secret = secret

        def add_auth_header(self):
            secret = self.secret

            class Header(AuthBase):
                def __call__(self, request):
                    request.headers["Authorization"] = f"Bearer {secret}"
                    return request

            return Header()

    council = Organisation.objects.create(slug="bath", name="Bath")
    feed = Feed.objects.create(organisation=council, slug="parks", title="Parks",
                               state=Feed.State.PUBLISHED)
    thing = Thing.objects.create(feed=feed, key="sw", name="SouthGate", lat=51.378, lon=-2.358)
    ThingLocation.objects.create(thing=thing, time=at(0), lat=51.378, lon=-2.358,
                                 easting=374880, northing=164610)
    stream = _stream(thing, "occupancy", "occupancy")
    secret = keys.make_key(feed, FeedKey.Scope.WRITE).secret
    url = f"{live_server.url}/sta/v1.1"
    writer = fsc.SensorThingsService(url, auth_handler=Bearer(secret))
    made = []
    for minutes, value in [(0, 12), (5, 17), (10, 23)]:
        observation = fsc.Observation(result=value, phenomenon_time=z(at(minutes)),
                                      datastream=fsc.Datastream(id=stream.pk))
        writer.create(observation)
        made.append(observation.id)
    assert made == [obs_id(stream, m) for m in (0, 5, 10)]

    reader = fsc.SensorThingsService(url)
    listed = reader.observations().query().top(2).orderby("phenomenonTime", "desc").list()
    assert [o.result for o in listed] == [23, 17, 12]  # the third through @iot.nextLink
    found = reader.observations().query().filter("result gt 15").list()
    assert sorted(o.id for o in found) == made[1:]
    [client_thing] = reader.things().query().expand("Datastreams").list()
    assert client_thing.name == "SouthGate"
    assert [d.id for d in client_thing.datastreams] == [stream.pk]
    assert reader.datastreams().find(stream.pk).name == stream.name
    # Every entity set parses in the client as its own kind of entity.
    [location] = reader.locations().query().list()
    assert location.location["coordinates"] == [-2.358, 51.378]
    assert [s.id for s in reader.sensors().query().list()] == [stream.pk]
    assert [p.name for p in reader.observed_properties().query().list()] == ["occupancy"]
    [feature] = reader.features_of_interest().query().list()
    assert feature.name == "SouthGate"
    [historical] = reader.historical_locations().query().list()
    assert historical.time == z(at(0))

    # The client makes a thing with its Location and a Datastream, Sensor and ObservedProperty
    # inline (its README's way), then a second Datastream step by step, referring to them.
    import requests
    from geojson import Point

    thing_made = fsc.Thing(name="North Car Park", description="multi-storey",
                           properties={"owner": "council", "levels": 4})
    thing_made.locations = [fsc.Location(name="North gate", description="by the road",
                                         encoding_type="application/geo+json",
                                         location=Point((-0.7594, 52.0406)))]
    spaces = fsc.Datastream(
        name="Spaces free", description="counted at the barrier", observation_type=OM_MEASURE,
        unit_of_measurement=fsc.UnitOfMeasurement(name="spaces", symbol="{spaces}",
                                                  definition=UCUM_SPACES),
        sensor=fsc.Sensor(name="Barrier counter", description="counts cars in and out",
                          encoding_type="application/pdf",
                          metadata="https://example.org/barrier.pdf"),
        observed_property=fsc.ObservedProperty(name="free spaces",
                                               definition="https://example.org/def/spaces",
                                               description="spaces not taken"))
    thing_made.datastreams = [spaces]
    writer.create(thing_made)
    new_thing = Thing.objects.get(pk=thing_made.id)  # the id came from the Location header
    assert (new_thing.feed, new_thing.key, new_thing.lat) == (feed, "north-car-park", 52.0406)
    [free] = reader.things().find(thing_made.id).get_datastreams().query().list()
    with pytest.raises(requests.HTTPError, match="405"):
        writer.create(fsc.Sensor(name="Loose sensor", encoding_type="text/plain", metadata=""))
    taken = fsc.Datastream(
        name="Spaces taken", description="cars inside", observation_type=OM_MEASURE,
        unit_of_measurement=fsc.UnitOfMeasurement(name="spaces", symbol="{spaces}",
                                                  definition=UCUM_SPACES),
        thing=fsc.Thing(id=thing_made.id), sensor=fsc.Sensor(id=free.id),
        observed_property=fsc.ObservedProperty(id=free.id))
    writer.create(taken)
    writer.create(fsc.Location(name="South gate", description="moved", encoding_type=
                               "application/geo+json", location=Point((-0.7601, 52.0399)),
                               things=[fsc.Thing(id=thing_made.id)]))
    writer.patch(fsc.Thing(id=thing_made.id),
                 [{"op": "replace", "path": "/description", "value": "multi-storey, 4 levels"}])
    sent = {free.id: [(0, 120), (5, 118.5)], taken.id: [(0, 80), (5, 81.5)]}
    for stream_id, values in sent.items():
        for minutes, value in values:
            writer.create(fsc.Observation(result=value, phenomenon_time=z(at(minutes)),
                                          datastream=fsc.Datastream(id=stream_id)))

    # Read back through the client: what was sent, value for value.
    again = reader.things().find(thing_made.id)
    assert (again.name, again.description) == ("North Car Park", "multi-storey, 4 levels")
    assert {k: again.properties[k] for k in ("owner", "levels", "key")} == {
        "owner": "council", "levels": 4, "key": "north-car-park"}
    [now_at] = again.get_locations().query().list()
    assert now_at.location["coordinates"] == [-0.7601, 52.0399]
    assert len(again.get_historical_locations().query().list().entities) == 2
    streams = {d.name: d for d in reader.datastreams().query().filter(
        f"Thing/id eq {thing_made.id}").expand("Sensor,ObservedProperty").list()}
    assert set(streams) == {"Spaces free", "Spaces taken"}
    for stream_read in streams.values():
        assert stream_read.unit_of_measurement.symbol == "{spaces}"
        assert stream_read.unit_of_measurement.definition == UCUM_SPACES
        assert stream_read.observation_type == OM_MEASURE
        assert (stream_read.sensor.name, stream_read.sensor.metadata) == (
            "Barrier counter", "https://example.org/barrier.pdf")
        assert (stream_read.observed_property.name,
                stream_read.observed_property.definition) == (
            "free spaces", "https://example.org/def/spaces")
        values = stream_read.get_observations().query().orderby("phenomenonTime").list()
        assert [o.result for o in values] == [v for _, v in sent[stream_read.id]][::-1]
    # ... and through the MK Data Hub's API.
    hub_feed = requests.get(f"{live_server.url}/sensors/feeds/{feed.pk}", timeout=10).json()
    [hub_thing] = [t for t in hub_feed["things"] if t["key"] == "north-car-park"]
    assert (hub_thing["location"]["lat"], hub_thing["location"]["lon"]) == (52.0399, -0.7601)
    assert {s["name"]: s["current_value"] for s in hub_thing["datastreams"]} == {
        "Spaces free": 118.5, "Spaces taken": 81.5}


# The real recording ------------------------------------------------------------------------

LEEDS = "leeds-footfall-2015-16"


def test_real_leeds_footfall_written_through_sensorthings_reads_back_identically(
        client, council, loaded, data_dir):
    """One Leeds camera's recorded counts go in as one DataArray; replaying the whole
    recording through writing then finds them unchanged; every camera's counts read back
    through SensorThings (DataArray pages, @iot.nextLink) equal the file's."""
    import csv

    from commonground.feeds import editing, replay

    (recorded,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    with recorded.observations_path.open(encoding="utf-8", newline="") as f:
        expected: dict[str, dict[datetime, float]] = {}
        for row in csv.DictReader(f):
            moment = datetime.fromisoformat(row["timestamp"]).astimezone(UTC)
            expected.setdefault(row["sensor_id"], {})[moment] = float(row["value"])
    feed = replay.ensure_feed(recorded, council)
    streams = {s.thing.key: s for s in Datastream.objects.filter(
        thing__feed=feed, key=editing.DEFAULT_STREAM).select_related("thing")}
    assert set(streams) == set(expected)
    first = sorted(expected)[0]
    secret = keys.make_key(feed, FeedKey.Scope.WRITE).secret
    body = [{"Datastream": {"@iot.id": streams[first].pk},
             "components": ["phenomenonTime", "result"],
             "dataArray": [[z(moment), value] for moment, value in expected[first].items()]}]
    assert len(post(client, "CreateObservations", body, secret).json()) == len(expected[first])

    total = replay.backfill(feed, recorded)
    assert (total.unchanged, total.added) == (
        len(expected[first]), sum(map(len, expected.values())) - len(expected[first]))

    for sensor, values in expected.items():
        read: dict[datetime, float] = {}
        url = (f"{STA}Datastreams({streams[sensor].pk})/Observations?$resultFormat=dataArray"
               "&$select=phenomenonTime,result&$top=1000")
        while url:
            body = client.get(url).json()
            for group in body["value"]:
                assert group["components"] == ["phenomenonTime", "result"]
                read.update({datetime.fromisoformat(t.replace("Z", "+00:00")): v
                             for t, v in group["dataArray"]})
            url = body.get("@iot.nextLink")
        assert read == values, sensor
