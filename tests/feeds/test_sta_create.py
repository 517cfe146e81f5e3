"""A SensorThings client creates and changes a feed's Things, Locations and Datastreams at
/sta/v1.1/ with the feed's write key: one transaction per request, errors naming the JSON
path, other feeds' entities 404, and what is not made here refused saying what to do.

Milton Keynes council publishes a car-park feed (one thing, SouthGate, with a stream), a
private air feed and a draft footfall feed. Positions are points inside the loaded city's
first two base areas, so every placement is worked out from the city itself.
"""

from __future__ import annotations

import json

import pytest
import shapely

from commonground.accounts.models import Organisation
from commonground.feeds import editing, keys
from commonground.feeds.models import Datastream, Feed, FeedKey, Thing, ThingLocation
from commonground.geography.projection import bng_to_lonlat

STA = "/sta/v1.1/"
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
UCUM = "http://unitsofmeasure.org/ucum.html#"


class Hub:
    pass


def inside(loaded, i: int) -> tuple[float, float, str]:
    """(lon, lat, code) of a point inside the city's i-th base area."""
    point = shapely.point_on_surface(loaded.geometries(loaded.base)[i])
    lon, lat = (float(v[0]) for v in bng_to_lonlat([point.x], [point.y]))
    return lon, lat, loaded.base_areas[i].code


@pytest.fixture
def hub(db, loaded):
    h = Hub()
    council = Organisation.objects.create(slug="mk", name="MK Council")
    published = Feed.State.PUBLISHED
    h.parks = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                                  state=published)
    h.air = Feed.objects.create(organisation=council, slug="air", title="Air",
                                state=published, private=True)
    h.draft = Feed.objects.create(organisation=council, slug="footfall", title="Footfall")
    h.here, h.there = inside(loaded, 0), inside(loaded, 1)
    h.loaded = loaded
    lon, lat, _ = h.here
    editing.add_things(h.parks, [{"key": "sw", "name": "SouthGate", "lat": lat, "lon": lon,
                                  "row": {"measure": "occupancy", "unit": "spaces"}}])
    editing.add_things(h.air, [{"key": "aq1", "name": "Air station", "lat": lat, "lon": lon,
                                "row": {"measure": "no2", "unit": "ug/m3"}}])
    h.sw = Thing.objects.get(feed=h.parks, key="sw")
    h.sw_stream = h.sw.datastreams.get()
    h.aq = Thing.objects.get(feed=h.air, key="aq1")
    h.aq_stream = h.aq.datastreams.get()
    h.writer = keys.make_key(h.parks, FeedKey.Scope.WRITE).secret
    return h


def send(client, method, path, body, secret, status, content_type="application/json"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    response = getattr(client, method)(STA + path, data=json.dumps(body),
                                       content_type=content_type, **headers)
    assert response.status_code == status, response.content[:600]
    return response


def post(client, path, body, secret, status=201):
    return send(client, "post", path, body, secret, status)


def stored() -> tuple[int, int, int]:
    return (Thing.objects.count(), Datastream.objects.count(), ThingLocation.objects.count())


def point(lon, lat) -> dict:
    return {"name": "Gate 2", "description": "the north gate",
            "encodingType": "application/geo+json",
            "location": {"type": "Point", "coordinates": [lon, lat]}}


def measurement(name="Spaces free", **extra) -> dict:
    return {"name": name, "description": "free spaces, counted at the barrier",
            "observationType": OM + "OM_Measurement",
            "unitOfMeasurement": {"name": "spaces", "symbol": "{spaces}",
                                  "definition": UCUM + "{spaces}"},
            "Sensor": {"name": "Barrier counter", "description": "counts cars in and out",
                       "encodingType": "application/pdf",
                       "metadata": "https://example.org/barrier.pdf"},
            "ObservedProperty": {"name": "free spaces",
                                 "definition": "https://example.org/def/free-spaces",
                                 "description": "spaces not taken"}, **extra}


# Things, with their Location and Datastreams --------------------------------------------------

def test_a_thing_with_its_location_and_datastreams_is_made_in_one_post(client, hub):
    lon, lat, code = hub.there
    body = {"name": "North Car Park", "description": "multi-storey",
            "properties": {"owner": "council", "levels": 4},
            "Locations": [point(lon, lat)], "Datastreams": [measurement()]}
    response = post(client, "Things", body, hub.writer)
    thing = Thing.objects.get(feed=hub.parks, key=editing.thing_key("North Car Park"))
    assert response["Location"] == f"http://testserver{STA}Things({thing.pk})"
    made = response.json()
    assert (made["@iot.id"], made["@iot.selfLink"]) == (thing.pk, response["Location"])
    assert made["properties"] == {"owner": "council", "levels": 4, "key": "north-car-park",
                                  "feed": "car-parks", "area": code,
                                  "area_geography": hub.loaded.base}
    # Placed as the manage page places a thing: grid position, area and a first location.
    x, y, codes, _ = editing.place([lon], [lat])
    assert (thing.lat, thing.lon, thing.easting, thing.northing) == (lat, lon, x[0], y[0])
    assert codes == [code] and thing.location_name == "Gate 2"
    [first] = ThingLocation.objects.filter(thing=thing)
    assert (first.lat, first.lon, first.easting) == (lat, lon, thing.easting)
    [stream] = thing.datastreams.all()
    assert (stream.key, stream.value_type, stream.unit, stream.unit_ucum) == (
        "spaces-free", "number", "{spaces}", "{spaces}")
    assert (stream.observed_property, stream.observed_property_definition) == (
        "free spaces", "https://example.org/def/free-spaces")
    # Read back as sent.
    read = client.get(f"{STA}Datastreams({stream.pk})?$expand=Sensor,ObservedProperty").json()
    assert read["unitOfMeasurement"]["definition"] == UCUM + "{spaces}"
    assert read["observationType"] == OM + "OM_Measurement"
    sent = measurement()
    assert {k: read["Sensor"][k] for k in sent["Sensor"]} == sent["Sensor"]
    assert read["ObservedProperty"]["definition"] == sent["ObservedProperty"]["definition"]
    located = client.get(f"{STA}Things({thing.pk})/Locations").json()["value"]
    assert [place["location"]["coordinates"] for place in located] == [[lon, lat]]


def test_a_thing_without_a_location_is_outside_every_area(client, hub):
    post(client, "Things", {"name": "Roaming van", "properties": {"key": "van-7"}}, hub.writer)
    van = Thing.objects.get(feed=hub.parks, key="van-7")
    assert (van.lat, van.easting, van.properties["area"]) == (None, None, None)
    assert not ThingLocation.objects.filter(thing=van).exists()


def test_a_location_by_reference_copies_its_coordinates(client, hub):
    [sw_location] = client.get(f"{STA}Things({hub.sw.pk})/Locations").json()["value"]
    body = {"name": "SouthGate annexe", "Locations": [{"@iot.id": sw_location["@iot.id"]}]}
    post(client, "Things", body, hub.writer)
    annexe = Thing.objects.get(key="southgate-annexe")
    assert (annexe.lat, annexe.lon, annexe.properties["area"]) == (
        hub.sw.lat, hub.sw.lon, hub.sw.properties["area"])


def test_a_key_already_in_the_feed_is_refused_by_name(client, hub):
    before = stored()
    message = post(client, "Things", {"name": "SW", "properties": {"key": "sw"}}, hub.writer,
                   400).json()["message"]
    assert message == ("properties.key: feed 'car-parks' has a thing 'sw' already (set "
                       "another properties.key, or use that thing's @iot.id)")
    message = post(client, "Things", {"name": "SW"}, hub.writer, 400).json()["message"]
    assert message.startswith("name: feed 'car-parks' has a thing 'sw' already")
    # The same key in another feed is another thing.
    air_writer = keys.make_key(hub.air, FeedKey.Scope.WRITE).secret
    post(client, "Things", {"name": "SW", "properties": {"key": "sw"}}, air_writer)
    assert stored()[0] == before[0] + 1


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b.pop("name"), "name: is missing"),
    (lambda b: b["Locations"].append(b["Locations"][0]),
     "Locations: give one Location (a thing is at one place at a time)"),
    (lambda b: b["Locations"][0].update(encodingType="text/plain"),
     "Locations[0].encodingType: use application/geo+json (a GeoJSON Point), not 'text/plain'"),
    (lambda b: b["Locations"][0]["location"].update(coordinates=[-0.7, 95.0]),
     "Locations[0].location.coordinates: [-0.7, 95.0] is not a longitude"),
    (lambda b: b["Locations"][0]["location"].update(type="Polygon"),
     "Locations[0].location: only a GeoJSON Point is taken, not 'Polygon'"),
    (lambda b: b["Datastreams"][1].update(unitOfMeasurement="m"),
     "Datastreams[1].unitOfMeasurement: expected {name, symbol, definition} as a JSON object"),
    (lambda b: b["Datastreams"][1].update(observationType=OM + "OM_Complex"),
     "Datastreams[1].observationType: 'http://www.opengis.net/def/observationType/OGC-OM/2.0/"
     "OM_Complex' is not taken here"),
    (lambda b: b["Datastreams"][1].pop("Sensor"),
     "Datastreams[1].Sensor: expected a Sensor"),
    (lambda b: b["Datastreams"][1]["ObservedProperty"].pop("name"),
     "Datastreams[1].ObservedProperty.name: is missing"),
    (lambda b: b["Datastreams"][1].update(properties={"colour": "red"}),
     "Datastreams[1].properties.colour: is not kept here"),
    (lambda b: b["Datastreams"][1].update(name="Spaces free"),
     "Datastreams[1].name: thing 'north-car-park' has a datastream 'spaces-free' already"),
    (lambda b: b["Datastreams"][1].update(properties={"retentionDays": 0}),
     "Datastreams[1].properties.retentionDays: must be a whole number above 0, not 0"),
    (lambda b: b["Datastreams"][1].update(properties={"retentionDays": 1_000_000}),
     "Datastreams[1].properties.retentionDays: must be at most 36,500"),
    (lambda b: b["Datastreams"][1].update(properties={"retentionDays": 2**40}),
     "Datastreams[1].properties.retentionDays: must be at most 36,500"),
    (lambda b: b["Datastreams"][0].update(properties={"expectedIntervalSeconds": 31_622_401}),
     "Datastreams[0].properties.expectedIntervalSeconds: must be at most 31,622,400"),
    # Text and numbers no database stores: named where they are.
    (lambda b: b.update(properties={"x": float("nan")}),
     "properties.x: NaN is not a number JSON takes"),
    (lambda b: b["Datastreams"][1].update(properties={"colour": [1, float("-inf")]}),
     "Datastreams[1].properties.colour[1]: -Infinity is not a number JSON takes"),
    (lambda b: b.update(name="sur\ud800"), "name: text may not hold a lone surrogate"),
    (lambda b: b["Datastreams"][1].update(description="a\x00b"),
     "Datastreams[1].description: text may not contain the NUL character"),
    (lambda b: b["Locations"].__setitem__(0, {"@iot.id": 2**70}),
     "Locations[0].@iot.id: an @iot.id is a whole number from 0 to 999,999,999,999"),
    (lambda b: b.update(properties={"a\x00b": 1}),
     "properties.a?b: a name's text may not contain the NUL character"),
    (lambda b: b.update(HistoricalLocations=[]),
     "HistoricalLocations: a HistoricalLocation is made when a thing moves"),
    (lambda b: b["Datastreams"][1].update(Observations=[{"result": 1}]),
     "Datastreams[1].Observations: POST the observations after their Datastream is made"),
])
def test_a_bad_thing_is_refused_naming_the_json_path_and_nothing_is_made(client, hub, change,
                                                                        message):
    lon, lat, _ = hub.there
    body = {"name": "North Car Park", "Locations": [point(lon, lat)],
            "Datastreams": [measurement(), measurement("Spaces taken")]}
    change(body)
    before = stored()
    assert post(client, "Things", body, hub.writer, 400).json()["message"].startswith(message)
    assert stored() == before


@pytest.mark.parametrize(("kind", "value_type", "result"), [
    ("OM_Measurement", "number", 2.5),
    ("OM_CountObservation", "number", 3),
    ("OM_CategoryObservation", "text", "sunny"),
    ("OM_TruthObservation", "json", True),
    ("OM_Observation", "json", {"queue": [3, 4], "open": True}),
])
def test_each_observation_type_keeps_its_results_as_sent(client, hub, kind, value_type,
                                                         result):
    body = measurement(observationType=OM + kind)
    made = post(client, f"Things({hub.sw.pk})/Datastreams", body, hub.writer).json()
    assert Datastream.objects.get(pk=made["@iot.id"]).value_type == value_type
    observation = {"phenomenonTime": "2024-05-01T10:00:00Z", "result": result}
    link = post(client, f"Datastreams({made['@iot.id']})/Observations", observation,
                hub.writer)["Location"]
    assert client.get(link).json()["result"] == result


# Datastreams of a thing -------------------------------------------------------------------------

def test_a_datastream_joins_a_thing_and_shares_a_sensor_and_property_by_reference(client, hub):
    first = post(client, "Datastreams", {**measurement(), "Thing": {"@iot.id": hub.sw.pk}},
                 hub.writer).json()
    assert first["@iot.selfLink"] == f"http://testserver{STA}Datastreams({first['@iot.id']})"
    sensor = client.get(f"{STA}Datastreams({first['@iot.id']})/Sensor").json()
    prop = client.get(f"{STA}Datastreams({first['@iot.id']})/ObservedProperty").json()
    second = measurement("Spaces taken", Sensor={"@iot.id": sensor["@iot.id"]},
                         ObservedProperty={"@iot.id": prop["@iot.id"]})
    made = post(client, f"Things({hub.sw.pk})/Datastreams", second, hub.writer).json()
    copy = Datastream.objects.get(pk=made["@iot.id"])
    assert (copy.thing, copy.key) == (hub.sw, "spaces-taken")
    assert copy.sensor["metadata"] == "https://example.org/barrier.pdf"
    again = client.get(f"{STA}Datastreams({copy.pk})/ObservedProperty").json()
    assert again["@iot.id"] == prop["@iot.id"]  # one ObservedProperty, two streams


def test_retention_and_expected_interval_are_bounded_here_and_on_the_manage_page(client, hub):
    """Up to 100 years of raw observations and one value a (leap) year are taken; beyond is
    refused by SensorThings and by the manage page's datastream form alike."""
    from commonground.feeds.editor_views import DatastreamForm

    longest = {"retentionDays": 36_500, "expectedIntervalSeconds": 31_622_400}
    made = post(client, f"Things({hub.sw.pk})/Datastreams",
                measurement(properties=longest), hub.writer).json()
    stream = Datastream.objects.get(pk=made["@iot.id"])
    assert (stream.retention_days, stream.expected_interval_seconds) == (36_500, 31_622_400)
    fields = {"thing": hub.sw.pk, "key": "queue", "name": "Queue", "observed_property": "queue",
              "value_type": "number"}
    assert DatastreamForm({**fields, "retention_days": 36_500,
                           "expected_interval_seconds": 31_622_400}, feed=hub.parks).is_valid()
    form = DatastreamForm({**fields, "retention_days": 1_000_000,
                           "expected_interval_seconds": 31_622_401}, feed=hub.parks)
    assert not form.is_valid()
    assert set(form.errors) == {"retention_days", "expected_interval_seconds"}
    assert "36500" in form.errors["retention_days"][0]


def test_a_datastream_with_a_new_thing_makes_both(client, hub):
    body = {**measurement(), "Thing": {"name": "Kiosk", "properties": {"key": "kiosk"}}}
    made = post(client, "Datastreams", body, hub.writer).json()
    assert Datastream.objects.get(pk=made["@iot.id"]).thing.key == "kiosk"


def test_a_retired_thing_takes_no_new_datastream_and_does_not_move(client, hub):
    Thing.objects.filter(pk=hub.sw.pk).update(retired="2024-06-01T00:00:00Z")
    before = stored()
    message = post(client, f"Things({hub.sw.pk})/Datastreams", measurement(), hub.writer,
                   400).json()["message"]
    assert message.startswith("thing 'sw' was retired on 2024-06-01: bring it back")
    post(client, f"Things({hub.sw.pk})/Locations", point(*hub.there[:2]), hub.writer, 400)
    assert stored() == before


# Moving ------------------------------------------------------------------------------------

def test_a_thing_moves_to_a_new_location_and_its_history_grows(client, hub):
    lon, lat, code = hub.there
    response = post(client, f"Things({hub.sw.pk})/Locations", point(lon, lat), hub.writer)
    hub.sw.refresh_from_db()
    x, y, _, _ = editing.place([lon], [lat])
    assert (hub.sw.lat, hub.sw.lon, hub.sw.easting, hub.sw.northing) == (lat, lon, x[0], y[0])
    assert hub.sw.properties["area"] == code
    newest = ThingLocation.objects.filter(thing=hub.sw).order_by("-time")
    assert newest.count() == 2 and (newest[0].lat, newest[0].lon) == (lat, lon)
    assert response.json()["location"]["coordinates"] == [lon, lat]
    assert response["Location"] == response.json()["@iot.selfLink"]
    history = client.get(f"{STA}Things({hub.sw.pk})/HistoricalLocations").json()["value"]
    assert len(history) == 2
    # Back again, by a Location naming its Things.
    lon0, lat0, code0 = hub.here
    post(client, "Locations", {**point(lon0, lat0), "Things": [{"@iot.id": hub.sw.pk}]},
         hub.writer)
    hub.sw.refresh_from_db()
    assert (hub.sw.lon, hub.sw.lat, hub.sw.properties["area"]) == (lon0, lat0, code0)
    assert ThingLocation.objects.filter(thing=hub.sw).count() == 3


def test_a_location_without_things_is_refused(client, hub):
    before = stored()
    message = post(client, "Locations", point(*hub.there[:2]), hub.writer, 400).json()
    assert message["message"].startswith("Things: a Location here is where a thing is")
    assert stored() == before


def test_a_location_naming_a_thing_twice_is_refused_naming_the_second(client, hub):
    before = stored()
    body = {**point(*hub.there[:2]), "Things": [{"@iot.id": hub.sw.pk}, {"@iot.id": hub.sw.pk}]}
    message = post(client, "Locations", body, hub.writer, 400).json()["message"]
    assert message == (f"Things[1]: Thing({hub.sw.pk}) is named already (Things[0]): name "
                       "each thing once")
    assert stored() == before


# One entity in the path --------------------------------------------------------------------

@pytest.mark.parametrize(("path", "body"), [
    ("Things/Datastreams", lambda hub: measurement()),
    ("Things/Locations", lambda hub: point(*hub.there[:2])),
    ("Datastreams/Observations", lambda hub: {"phenomenonTime": "2024-05-01T10:00:00Z",
                                              "result": 7}),
])
def test_a_collection_where_one_entity_belongs_is_refused_and_nothing_changes(client, hub,
                                                                             path, body):
    """``Things/Datastreams`` is not the feed's first thing: the client must say which."""
    first = path.split("/")[0]
    before = stored(), hub.sw_stream.observations.count()
    message = post(client, path, body(hub), hub.writer, 400).json()["message"]
    assert message == f"{path}: name one entity by its id, e.g. {first}(1)/{path.split('/')[1]}"
    assert (stored(), hub.sw_stream.observations.count()) == before
    hub.sw.refresh_from_db()
    assert (hub.sw.lon, hub.sw.lat) == pytest.approx(hub.here[:2])


# Bodies no database stores -------------------------------------------------------------------

@pytest.mark.parametrize(("body", "message"), [
    ('{"name": "x", "properties": {"big": 1e999}}',
     "properties.big: 1e999 is not a number JSON takes"),
    ('{"name": "x", "properties": {"x": NaN}}', "properties.x: NaN is not a number JSON takes"),
    ("[" * 200_000, "the body is not JSON this hub reads: it is nested too deeply"),
    ('{"name": "x", "properties": ' + '{"a": ' * 70 + "1" + "}" * 71,
     "properties" + ".a" * 64 + ": nested more than 64 levels deep"),
    ('{"name": "x", "properties": {"n": 1' + "0" * 5000 + "}}", "the body is not JSON: "),
])
def test_a_body_no_database_could_store_is_a_400_naming_where(client, hub, body, message):
    before = stored()
    response = client.post(STA + "Things", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {hub.writer}")
    assert response.status_code == 400, response.content[:300]
    assert response.json()["message"].startswith(message)
    assert stored() == before


def test_a_json_patch_adding_nan_or_nul_is_refused_naming_the_operation(client, hub):
    for value, problem in [(float("nan"), "NaN is not a number JSON takes"),
                           ("a\x00", "text may not contain the NUL character")]:
        operations = [{"op": "add", "path": "/properties/levels", "value": value}]
        message = patch(client, f"Things({hub.sw.pk})", operations, hub.writer, 400,
                        "application/json-patch+json").json()["message"]
        assert message.startswith(f"[0].value: {problem}")
    hub.sw.refresh_from_db()
    assert "levels" not in hub.sw.properties


# Changing ----------------------------------------------------------------------------------

def patch(client, path, body, secret, status=200, content_type="application/json"):
    return send(client, "patch", path, body, secret, status, content_type)


def test_patch_changes_a_things_name_description_and_properties_not_its_key(client, hub):
    area = hub.sw.properties["area"]
    body = {"name": "SouthGate (east)", "description": "open 24 hours",
            "properties": {"owner": "council", "key": "sw"}}
    changed = patch(client, f"Things({hub.sw.pk})", body, hub.writer).json()
    assert (changed["name"], changed["description"]) == ("SouthGate (east)", "open 24 hours")
    hub.sw.refresh_from_db()
    assert (hub.sw.key, hub.sw.properties) == ("sw", {"owner": "council", "area": area,
                                                      "area_geography": hub.loaded.base})
    message = patch(client, f"Things({hub.sw.pk})", {"properties": {"key": "s2"}}, hub.writer,
                    400).json()["message"]
    assert message.startswith("properties.key: a thing's key cannot change")
    message = patch(client, f"Things({hub.sw.pk})", {"properties": {"area": "E00000001"}},
                    hub.writer, 400).json()["message"]
    assert message.startswith("properties.area: is kept by the hub")
    message = patch(client, f"Things({hub.sw.pk})", {"Locations": []}, hub.writer,
                    400).json()["message"]
    assert "move a thing with POST Things(n)/Locations" in message
    hub.sw.refresh_from_db()
    assert (hub.sw.key, hub.sw.name) == ("sw", "SouthGate (east)")


def test_patch_takes_a_json_patch_as_frost_sta_client_sends(client, hub):
    operations = [{"op": "replace", "path": "/name", "value": "SouthGate West"},
                  {"op": "add", "path": "/properties/levels", "value": 3}]
    patch(client, f"Things({hub.sw.pk})", operations, hub.writer,
          content_type="application/json-patch+json")
    hub.sw.refresh_from_db()
    assert (hub.sw.name, hub.sw.properties["levels"], hub.sw.key) == ("SouthGate West", 3, "sw")
    bad = [{"op": "move", "path": "/name", "from": "/description"}]
    message = patch(client, f"Things({hub.sw.pk})", bad, hub.writer, 400,
                    "application/json-patch+json").json()["message"]
    assert message == "operation 0.op: 'move' is not taken (use add, replace, remove or test)"


def test_patch_changes_a_datastreams_name_and_unit_only(client, hub):
    path = f"Datastreams({hub.sw_stream.pk})"
    body = {"name": "Free spaces", "unitOfMeasurement": {"name": "spaces", "symbol": "spaces",
                                                         "definition": UCUM + "{spaces}"}}
    patch(client, path, body, hub.writer)
    hub.sw_stream.refresh_from_db()
    assert (hub.sw_stream.name, hub.sw_stream.unit, hub.sw_stream.unit_ucum, hub.sw_stream.key) \
        == ("Free spaces", "spaces", "{spaces}", "value")
    message = patch(client, path, {"observationType": OM + "OM_Observation"}, hub.writer,
                    400).json()["message"]
    assert message.startswith("observationType: cannot be changed here")
    # A client may send the whole entity back: unchanged properties are fine.
    whole = client.get(STA + path).json()
    patch(client, path, {**whole, "description": "at the barrier"}, hub.writer)
    assert Datastream.objects.get(pk=hub.sw_stream.pk).description == "at the barrier"


# What is not made here -----------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "message"), [
    ("post", "Sensors", "a Sensor is made with its Datastream: send it inline in POST "
                        "Datastreams"),
    ("post", "ObservedProperties", "an ObservedProperty is made with its Datastream"),
    ("post", "FeaturesOfInterest", "a FeatureOfInterest is the thing observed"),
    ("post", "HistoricalLocations", "a HistoricalLocation is made when a thing moves"),
    ("delete", "Things(1)", "retire a thing on the feed's manage page"),
    ("put", "Things(1)", "send only the changed properties with PATCH"),
    ("patch", "Observations(1)", "an Observation is not changed here"),
    ("patch", "Sensors(1)", "a Sensor is made with its Datastream"),
])
def test_what_is_not_made_here_is_refused_saying_what_to_do(client, hub, method, path,
                                                            message):
    before = stored()
    body = {"name": "x", "description": "y", "encodingType": "text/plain", "metadata": ""}
    response = send(client, method, path, body, hub.writer, 405)
    assert message in response.json()["message"]
    assert stored() == before


# Keys and other feeds ------------------------------------------------------------------------

def test_making_needs_the_feeds_write_key(client, hub):
    body = {"name": "New car park", "Locations": [point(*hub.there[:2])]}
    before = stored()
    assert post(client, "Things", body, None, 401)["WWW-Authenticate"] == 'Bearer realm="feeds"'
    post(client, "Things", body, "nonsense-key-123", 401)
    reader = keys.make_key(hub.parks, FeedKey.Scope.READ).secret
    assert "this needs a write key" in post(client, "Things", body, reader, 403).json()["message"]
    revoked = keys.make_key(hub.parks, FeedKey.Scope.WRITE)
    keys.revoke(revoked.key)
    post(client, "Things", body, revoked.secret, 403)
    patch(client, f"Things({hub.sw.pk})", {"name": "x"}, reader, 403)
    assert stored() == before


def test_another_feeds_entities_are_not_found(client, hub):
    """With the air feed's write key, the car parks' thing, stream and location are 404,
    named only by the id the client sent."""
    air = keys.make_key(hub.air, FeedKey.Scope.WRITE).secret
    [sw_location] = client.get(f"{STA}Things({hub.sw.pk})/Locations").json()["value"]
    before = stored()
    refused = [
        post(client, "Things", {"name": "A", "Locations": [{"@iot.id": sw_location["@iot.id"]}]},
             air, 404),
        post(client, "Datastreams", {**measurement(), "Thing": {"@iot.id": hub.sw.pk}}, air,
             404),
        post(client, f"Things({hub.aq.pk})/Datastreams",
             measurement(Sensor={"@iot.id": hub.sw_stream.pk}), air, 404),
        post(client, f"Things({hub.sw.pk})/Locations", point(*hub.there[:2]), air, 404),
        post(client, "Locations", {**point(*hub.there[:2]), "Things": [{"@iot.id": hub.sw.pk}]},
             air, 404),
        patch(client, f"Things({hub.sw.pk})", {"name": "Mine"}, air, 404),
        patch(client, f"Datastreams({hub.sw_stream.pk})", {"name": "Mine"}, air, 404),
    ]
    for response in refused:
        assert "SouthGate" not in response.json()["message"]
        assert "car-parks" not in response.json()["message"]
    assert stored() == before


@pytest.mark.parametrize("feed", ["draft", "air"])
def test_a_draft_or_private_feeds_new_thing_stays_hidden(client, hub, django_user_model, feed):
    secret = keys.make_key(getattr(hub, feed), FeedKey.Scope.WRITE).secret
    made = post(client, "Things", {"name": "Hidden counter"}, secret).json()
    thing = Thing.objects.get(pk=made["@iot.id"])
    assert thing.feed == getattr(hub, feed)
    assert client.get(f"{STA}Things({thing.pk})").status_code == 404
    outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    client.force_login(outsider)
    assert client.get(f"{STA}Things({thing.pk})").status_code == 404
    client.logout()
    other_reader = keys.make_key(hub.parks, FeedKey.Scope.READ).secret
    assert client.get(f"{STA}Things({thing.pk})",
                      HTTP_AUTHORIZATION=f"Bearer {other_reader}").status_code == 404
    assert client.get(f"{STA}Things({thing.pk})",
                      HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 404
    if feed == "air":  # its own read key opens a published private feed
        reader = keys.make_key(hub.air, FeedKey.Scope.READ).secret
        assert client.get(f"{STA}Things({thing.pk})", HTTP_AUTHORIZATION=f"Bearer {reader}"
                          ).json()["name"] == "Hidden counter"


def test_a_key_taken_by_another_request_after_the_check_is_the_same_refusal(
        client, hub, monkeypatch):
    """Two clients creating thing 'sw' at once: the loser passed the check before the winner
    inserted. Its insert then breaks the unique key: a 400 naming it, nothing written."""
    from django.db.models import QuerySet

    exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists",
                        lambda qs: False if qs.model in (Thing, Datastream) else exists(qs))
    before = stored()
    message = post(client, "Things", {"name": "SW", "properties": {"key": "sw"},
                                      "Datastreams": []}, hub.writer, 400).json()["message"]
    assert message.startswith("properties.key: feed 'car-parks' has a thing 'sw' already")
    stream = {"name": "Occupancy", "properties": {"key": hub.sw_stream.key},
              "unitOfMeasurement": {"name": "spaces", "symbol": "spaces", "definition": ""},
              "observationType": OM + "OM_Measurement",
              "Sensor": {"name": "Counter", "description": "a loop", "encodingType": "text/plain",
                         "metadata": ""},
              "ObservedProperty": {"name": "occupancy", "definition": "", "description": ""}}
    message = post(client, f"Things({hub.sw.pk})/Datastreams", stream, hub.writer,
                   400).json()["message"]
    assert message.startswith(f"properties.key: thing 'sw' has a datastream "
                              f"{hub.sw_stream.key!r} already")
    assert stored() == before
