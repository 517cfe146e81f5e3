"""Creating and changing a feed's Things, Locations and Datastreams through SensorThings,
with the feed's **write** key (``writes.write_key``): everything lands in the key's feed.

- ``POST Things``: name, description, properties (``properties.key`` is the thing's key,
  else ``editing.thing_key(name)``); inline ``Locations`` (one GeoJSON Point, or
  ``{"@iot.id": n}`` of a Location of the feed: its coordinates) and ``Datastreams``.
- ``POST Datastreams`` (with ``"Thing": {"@iot.id": n}`` or an inline Thing) and
  ``POST Things(n)/Datastreams``: name, description, unitOfMeasurement, observationType,
  properties (key, expectedIntervalSeconds, retentionDays, valueType), a Sensor and an
  ObservedProperty inline or ``{"@iot.id": n}`` (copied from that one).
- ``POST Things(n)/Locations`` and ``POST Locations`` with ``"Things": [{"@iot.id": n}]``:
  the thing moves (a new ``ThingLocation`` from now; its position and area follow).
- ``PATCH Things(n)`` (name, description, properties; its key stays) and
  ``PATCH Datastreams(n)`` (name, description, unitOfMeasurement), as a JSON object or a
  JSON Patch (``application/json-patch+json``, as frost-sta-client sends).

A thing is placed as the manage page places it (``editing.place``: easting, northing,
``properties["area"]`` and ``["area_geography"]``). Each request is one transaction; an error
is a 400 naming the JSON path (``Datastreams[1].unitOfMeasurement: ...``) and writes
nothing; a reference to an entity outside the key's feed is a 404, as if it did not exist.
"""

from __future__ import annotations

import math
import re

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from .. import editing, keys, limits
from ..models import Datastream, FeedKey, Thing, ThingLocation
from .entities import OM, SETS, iso
from .options import Options
from .views import StaError, entity, root_url
from .writes import MAX_ID

V = Datastream.ValueType
#: What each observationType's results are kept as (the first is the default; a stream's
#: ``properties.valueType`` may pick another of the list).
OBSERVATION_TYPES = {
    "OM_Measurement": [V.NUMBER],
    "OM_CountObservation": [V.NUMBER],
    "OM_CategoryObservation": [V.TEXT],
    "OM_TruthObservation": [V.JSON],  # true and false read back as JSON booleans
    "OM_Observation": [V.JSON, V.TEXT],  # any result, kept as it was sent
}
GEOJSON = ("application/geo+json", "application/vnd.geo+json")
UCUM = re.compile(r"^https?://unitsofmeasure\.org/ucum\.html#(?P<code>.+)$")
#: A thing's properties the hub keeps itself (``_thing`` renders them).
HELD = {"feed": "a thing stays in its feed", "retired": "retire a thing on the feed's "
        "manage page", "area": "it is where the thing is: move it with POST "
        "Things(n)/Locations", "area_geography": "it is the city's geography of 'area'"}

THING = {"name", "description", "properties", "Locations", "Datastreams"}
LOCATION = {"name", "description", "encodingType", "location", "properties", "Things"}
STREAM = {"name", "description", "unitOfMeasurement", "observationType", "properties",
          "Sensor", "ObservedProperty", "Thing", "phenomenonTime", "resultTime",
          "observedArea"}
STREAM_PROPERTIES = {"key", "expectedIntervalSeconds", "retentionDays", "valueType"}
SENSOR = {"name", "description", "encodingType", "metadata", "properties"}
OBSERVED_PROPERTY = {"name", "definition", "description", "properties"}
HINTS = {
    "HistoricalLocations": "a HistoricalLocation is made when a thing moves: POST "
                           "Things(n)/Locations",
    "Observations": "POST the observations after their Datastream is made "
                    "(Datastreams(n)/Observations or CreateObservations)",
    "MultiDatastreams": "MultiDatastreams are not kept here: make one Datastream per "
                        "observed property",
    "TaskingCapabilities": "tasking is not offered here",
}


# Checking a body --------------------------------------------------------------------------

def at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def fail(where: str, message: str, status: int = 400):
    raise StaError(status, f"{where}: {message}" if where else message)


def an_object(value, where: str, what: str) -> dict:
    if not isinstance(value, dict):
        fail(where, f"expected {what} as a JSON object")
    return value


def only(item: dict, allowed: set[str], where: str, what: str) -> None:
    for name in item:
        if name in allowed or name.startswith("@iot.") or name.endswith("@iot.navigationLink"):
            continue
        fail(at(where, name), HINTS.get(name, f"{what} has no {name!r} here (it takes "
                                              f"{', '.join(sorted(allowed))})"))


def reference(item: dict, where: str) -> int | None:
    """The ``@iot.id`` a reference names (None: the item is a new entity)."""
    if "@iot.id" not in item:
        return None
    value = item["@iot.id"]
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        fail(at(where, "@iot.id"), f"an @iot.id is a whole number from 0 to {MAX_ID:,}, not "
                                   f"{str(value)[:30]}")
    return value


def text(item: dict, name: str, where: str, limit: int | None = None, *,
         required: bool = False) -> str:
    value = item.get(name)
    if value is None or (required and isinstance(value, str) and not value.strip()):
        if required:
            fail(at(where, name), "is missing")
        return ""
    if not isinstance(value, str):
        fail(at(where, name), f"must be text, not {type(value).__name__}")
    if limit is not None and len(value) > limit:
        fail(at(where, name), f"is longer than {limit} characters")
    return value.strip() if required else value


def properties_of(item: dict, where: str) -> dict:
    value = item.get("properties")
    if value is None:
        return {}
    return dict(an_object(value, at(where, "properties"), "properties"))


def found(set_name: str, feed_id: int, pk: int, where: str):
    """The row of ``set_name`` with ``pk`` in the key's feed; else 404, whether it is in
    another feed or nowhere."""
    row = SETS[set_name].rows([feed_id]).filter(pk=pk).first()
    if row is None:
        fail(where, f"this key's feed has no {set_name}({pk})", 404)
    return row


# Things and where they are ------------------------------------------------------------------

def position(key: FeedKey, item, where: str) -> tuple[float, float, str]:
    """(lat, lon, name) of a Location: a GeoJSON Point, or one of the feed's Locations."""
    item = an_object(item, where, "a Location")
    pk = reference(item, where)
    if pk is not None:
        row = found("Locations", key.feed_id, pk, where)
        return row.lat, row.lon, ""
    only(item, LOCATION, where, "a Location")
    name = text(item, "name", where, 300)
    encoding = item.get("encodingType")
    if encoding not in GEOJSON:
        fail(at(where, "encodingType"), f"use {GEOJSON[0]} (a GeoJSON Point), not "
                                        f"{encoding!r}")
    if item.get("properties"):
        fail(at(where, "properties"), "a Location's properties are not kept here")
    geometry = an_object(item.get("location"), at(where, "location"), "a GeoJSON Point")
    if geometry.get("type") == "Feature":
        geometry = an_object(geometry.get("geometry"), at(where, "location.geometry"),
                             "a GeoJSON Point")
    if geometry.get("type") != "Point":
        fail(at(where, "location"), f"only a GeoJSON Point is taken, not "
                                    f"{geometry.get('type')!r}")
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3) or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c)
            for c in coordinates):
        fail(at(where, "location.coordinates"), "expected [longitude, latitude] in degrees")
    lon, lat = float(coordinates[0]), float(coordinates[1])
    if not -180 <= lon <= 180 or not -90 <= lat <= 90:
        fail(at(where, "location.coordinates"), f"[{lon}, {lat}] is not a longitude "
                                                "(-180 to 180) and latitude (-90 to 90)")
    return lat, lon, name


def settle(thing: Thing, lat: float, lon: float, name: str, now) -> ThingLocation:
    """Put ``thing`` at (lat, lon) from ``now`` on, placed as the manage page places it."""
    x, y, codes, geography = editing.place([lon], [lat])
    thing.lat, thing.lon = lat, lon
    thing.easting, thing.northing = float(x[0]), float(y[0])
    thing.properties = {**thing.properties, "area": codes[0], "area_geography": geography}
    if name:
        thing.location_name = name[:300]
    thing.save(update_fields=["lat", "lon", "easting", "northing", "properties",
                              "location_name"])
    return ThingLocation.objects.create(thing=thing, time=now, lat=lat, lon=lon,
                                        easting=thing.easting, northing=thing.northing)


def _usable(thing: Thing, where: str) -> Thing:
    if thing.retired is not None:
        fail(where, f"thing {thing.key!r} was retired on {thing.retired:%Y-%m-%d}: bring it "
                    "back on the feed's manage page first")
    return thing


def held_unchanged(given: dict, current: dict, where: str) -> None:
    for name, why in HELD.items():
        if name in given and given[name] != current.get(name):
            fail(at(where, f"properties.{name}"), f"is kept by the hub ({why})")


def inserted(make, named: str, taken: str):
    """``make()`` in a savepoint: a key another request took after our check (two clients
    creating the same thing at once) is the same 400 as one taken before, not a 500."""
    try:
        with transaction.atomic():
            return make()
    except IntegrityError:
        fail(named, taken)


def new_thing(key: FeedKey, item: dict, where: str, now) -> Thing:
    only(item, THING, where, "a Thing")
    if reference(item, where) is not None:
        fail(at(where, "@iot.id"), "a new Thing has no @iot.id (link an existing one where "
                                   "it is referred to, e.g. a Datastream's Thing)")
    feed = key.feed
    name = text(item, "name", where, 300, required=True)
    properties = properties_of(item, where)
    held_unchanged(properties, {"feed": feed.slug}, where)
    if "key" in properties:
        thing_key = text(properties, "key", at(where, "properties"), 200, required=True)
        named = at(where, "properties.key")
    else:
        thing_key, named = editing.thing_key(name), at(where, "name")
        if not thing_key:
            fail(named, f"{name!r} gives no key: set properties.key")
    taken = (f"feed {feed.slug!r} has a thing {thing_key!r} already (set another "
             "properties.key, or use that thing's @iot.id)")
    if feed.things.filter(key=thing_key).exists():
        fail(named, taken)
    locations = item.get("Locations") or []
    if not isinstance(locations, list) or len(locations) > 1:
        fail(at(where, "Locations"), "give one Location (a thing is at one place at a time)")
    streams = item.get("Datastreams") or []
    if not isinstance(streams, list):
        fail(at(where, "Datastreams"), "expected a list of Datastreams")
    for name_ in HELD:
        properties.pop(name_, None)
    properties.pop("key", None)
    description = text(item, "description", where)
    thing = inserted(lambda: Thing.objects.create(feed=feed, key=thing_key, name=name,
                                                  description=description,
                                                  properties=properties), named, taken)
    if locations:
        settle(thing, *position(key, locations[0], at(where, "Locations[0]")), now)
    else:
        thing.properties.update(area=None, area_geography=editing.place([], [])[3])
        thing.save(update_fields=["properties"])
    for i, stream in enumerate(streams):
        here = at(where, f"Datastreams[{i}]")
        stream = an_object(stream, here, "a Datastream")
        if "Thing" in stream:
            fail(at(here, "Thing"), "a Datastream sent inside a Thing belongs to that Thing")
        new_stream(key, thing, stream, here, now)
    return thing


# Datastreams ------------------------------------------------------------------------------

def _whole(properties: dict, name: str, where: str, high: int) -> int | None:
    value = properties.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        fail(at(where, f"properties.{name}"), f"must be a whole number above 0, not {value!r}")
    if value > high:
        fail(at(where, f"properties.{name}"), f"must be at most {high:,}")
    return value


def unit_of(item: dict, where: str) -> tuple[str, str]:
    """(unit, unit_ucum) of a unitOfMeasurement: its symbol (else its name), and the UCUM
    code when its definition is a UCUM URL."""
    value = item.get("unitOfMeasurement")
    if value is None:
        return "", ""
    here = at(where, "unitOfMeasurement")
    value = an_object(value, here, "{name, symbol, definition}")
    unit = text(value, "symbol", here, 100) or text(value, "name", here, 100)
    match = UCUM.match(text(value, "definition", here, 500))
    code = match["code"] if match else ""
    if len(code) > 100:
        fail(at(here, "definition"), "the UCUM code is longer than 100 characters")
    return unit, code


def value_type_of(item: dict, properties: dict, where: str) -> str:
    given = item.get("observationType")
    if not isinstance(given, str) or not given:
        fail(at(where, "observationType"), f"is missing (e.g. {OM}OM_Measurement)")
    name = given.removeprefix(OM)
    if name not in OBSERVATION_TYPES:
        fail(at(where, "observationType"), f"{given!r} is not taken here (use {OM} and one of "
                                           f"{', '.join(OBSERVATION_TYPES)})")
    allowed = OBSERVATION_TYPES[name]
    chosen = properties.get("valueType", allowed[0])
    if chosen not in allowed:
        fail(at(where, "properties.valueType"), f"an {name} is kept as "
                                                f"{' or '.join(allowed)}, not {chosen!r}")
    return chosen


def sensor_of(key: FeedKey, item: dict, where: str) -> dict:
    here = at(where, "Sensor")
    value = an_object(item.get("Sensor"), here,
                      "a Sensor ({name, description, encodingType, metadata} or "
                      "{\"@iot.id\": n})")
    pk = reference(value, here)
    if pk is not None:
        rendered = SETS["Sensors"].render(found("Sensors", key.feed_id, pk, here), "")
        return {name: rendered[name] for name in ("name", "description", "encodingType",
                                                  "metadata") if name in rendered}
    only(value, SENSOR, here, "a Sensor")
    sensor = {"name": text(value, "name", here, 300, required=True),
              "description": text(value, "description", here),
              "encodingType": text(value, "encodingType", here, 200),
              "metadata": value.get("metadata", "")}
    if value.get("properties"):
        sensor["properties"] = properties_of(value, here)
    return sensor


def observed_property_of(key: FeedKey, item: dict, where: str) -> tuple[str, str]:
    here = at(where, "ObservedProperty")
    value = an_object(item.get("ObservedProperty"), here,
                      "an ObservedProperty ({name, definition, description} or "
                      "{\"@iot.id\": n})")
    pk = reference(value, here)
    if pk is not None:
        stream = found("ObservedProperties", key.feed_id, pk, here)
        return stream.observed_property, stream.observed_property_definition
    only(value, OBSERVED_PROPERTY, here, "an ObservedProperty")
    if value.get("properties"):
        fail(at(here, "properties"), "an ObservedProperty's properties are not kept here")
    return (text(value, "name", here, 300, required=True),
            text(value, "definition", here, 500))


def new_stream(key: FeedKey, thing: Thing, item: dict, where: str, now) -> Datastream:
    only(item, STREAM, where, "a Datastream")
    if reference(item, where) is not None:
        fail(at(where, "@iot.id"), "a new Datastream has no @iot.id")
    _usable(thing, where)
    name = text(item, "name", where, 300, required=True)
    properties = properties_of(item, where)
    for unknown in set(properties) - STREAM_PROPERTIES:
        fail(at(where, f"properties.{unknown}"), "is not kept here (a Datastream keeps "
                                                 f"{', '.join(sorted(STREAM_PROPERTIES))})")
    if "key" in properties:
        stream_key = text(properties, "key", at(where, "properties"), 200, required=True)
        named = at(where, "properties.key")
    else:
        stream_key, named = editing.thing_key(name), at(where, "name")
        if not stream_key:
            fail(named, f"{name!r} gives no key: set properties.key")
    taken = (f"thing {thing.key!r} has a datastream {stream_key!r} already (set another "
             "properties.key)")
    if thing.datastreams.filter(key=stream_key).exists():
        fail(named, taken)
    value_type = value_type_of(item, properties, where)
    unit, ucum = unit_of(item, where)
    sensor = sensor_of(key, item, where)
    observed, definition = observed_property_of(key, item, where)
    fields = dict(
        thing=thing, key=stream_key, name=name, description=text(item, "description", where),
        observed_property=observed, observed_property_definition=definition, unit=unit,
        unit_ucum=ucum, value_type=value_type, sensor=sensor,
        expected_interval_seconds=_whole(properties, "expectedIntervalSeconds", where,
                                         limits.MAX_EXPECTED_INTERVAL_SECONDS),
        retention_days=_whole(properties, "retentionDays", where, limits.MAX_RETENTION_DAYS))
    return inserted(lambda: Datastream.objects.create(**fields), named, taken)


# The requests ------------------------------------------------------------------------------

def answer(request, key: FeedKey, set_name: str, pk: int, status: int = 201) -> HttpResponse:
    """The entity as FROST answers a create: its body, and its URL in ``Location``."""
    root = root_url(request)
    entity_set = SETS[set_name]
    row = entity_set.rows([key.feed_id]).get(pk=pk)
    response = JsonResponse(entity(entity_set, row, Options(), root, [key.feed_id]),
                            status=status)
    if status == 201:
        response["Location"] = f"{root}{set_name}({pk})"
    keys.touch(key)
    return response


def location_id(key: FeedKey, thing: Thing, moved: ThingLocation) -> int:
    """The @iot.id of the Location a move made (Locations may be things' current positions
    or their ``ThingLocation`` rows)."""
    rows = SETS["Locations"].rows([key.feed_id])
    return moved.pk if rows.model is ThingLocation else thing.pk


def create_thing(request, key: FeedKey, item) -> HttpResponse:
    with transaction.atomic():
        thing = new_thing(key, an_object(item, "", "a Thing"), "", timezone.now())
    return answer(request, key, "Things", thing.pk)


def create_datastream(request, key: FeedKey, item, thing: Thing | None) -> HttpResponse:
    item = an_object(item, "", "a Datastream")
    now = timezone.now()
    with transaction.atomic():
        if thing is None:
            given = an_object(item.get("Thing"), "Thing",
                              "the Datastream's Thing ({\"@iot.id\": n} or a new Thing)")
            pk = reference(given, "Thing")
            thing = found("Things", key.feed_id, pk, "Thing") if pk is not None else \
                new_thing(key, given, "Thing", now)
        elif "Thing" in item:
            fail("Thing", "the Datastream's Thing is the one in the path")
        stream = new_stream(key, thing, item, "", now)
    return answer(request, key, "Datastreams", stream.pk)


def move(request, key: FeedKey, item, thing: Thing | None) -> HttpResponse:
    """A Location for a thing (the path's) or things (its ``Things``): each moves there."""
    item = an_object(item, "", "a Location")
    if thing is None:
        given = item.get("Things")
        if not isinstance(given, list) or not given:
            fail("Things", "a Location here is where a thing is: send \"Things\": "
                           "[{\"@iot.id\": n}] (or POST Things(n)/Locations)")
        things = []
        for i, ref in enumerate(given):
            here = f"Things[{i}]"
            pk = reference(an_object(ref, here, "a Thing reference"), here)
            if pk is None:
                fail(here, "give an existing Thing as {\"@iot.id\": n} (new Things: POST "
                           "Things with their Locations)")
            twice = [j for j, thing in enumerate(things) if thing.pk == pk]
            if twice:
                fail(here, f"Thing({pk}) is named already (Things[{twice[0]}]): name each "
                           "thing once")
            things.append(_usable(found("Things", key.feed_id, pk, here), here))
    else:
        if "Things" in item:
            fail("Things", "the Location's Thing is the one in the path")
        things = [_usable(thing, "Thing")]
    now = timezone.now()
    with transaction.atomic():
        lat, lon, name = position(key, item, "")
        moves = [(t, settle(t, lat, lon, name, now)) for t in things]
    first, moved = moves[0]
    return answer(request, key, "Locations", location_id(key, first, moved))


# Changing ----------------------------------------------------------------------------------

def json_patch(current: dict, operations, where: str = "") -> dict:
    """``current`` with a JSON Patch's add, replace, remove and test operations applied (on
    objects, the shape of the writable properties)."""
    if not isinstance(operations, list):
        fail(where, "a JSON Patch is a list of operations")
    document = json_copy(current)
    for i, op in enumerate(operations):
        here = f"operation {i}"
        op = an_object(op, here, "{op, path, value}")
        path = op.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            fail(at(here, "path"), f"expected a JSON Pointer such as /name, not {path!r}")
        parts = [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]
        parent = document
        for part in parts[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
            if not isinstance(parent, dict):
                fail(at(here, "path"), f"{path} does not lead into an object")
        _operate(parent, parts[-1], op, here)
    return document


def _operate(parent: dict, last: str, op: dict, here: str) -> None:
    kind, path = op.get("op"), op["path"]
    if kind in ("add", "replace"):
        if "value" not in op:
            fail(here, "has no value")
        if kind == "replace" and last not in parent:
            fail(at(here, "path"), f"{path} is not there to replace")
        parent[last] = op["value"]
    elif kind == "remove":
        if last not in parent:
            fail(at(here, "path"), f"{path} is not there to remove")
        del parent[last]
    elif kind == "test":
        if parent.get(last) != op.get("value"):
            fail(here, f"test of {path} failed: nothing was changed")
    else:
        fail(at(here, "op"), f"{kind!r} is not taken (use add, replace, remove or test)")


def json_copy(value):
    if isinstance(value, dict):
        return {k: json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_copy(v) for v in value]
    return value


WRITABLE = {"Things": ("name", "description", "properties"),
            "Datastreams": ("name", "description", "unitOfMeasurement")}
FIXED = {"Things": {"Locations": "move a thing with POST Things(n)/Locations",
                    "Datastreams": "add one with POST Things(n)/Datastreams"},
         "Datastreams": {"observationType": "its observations are kept by it: make a new "
                                            "Datastream",
                         "properties": "a stream's key stays; set its retention and "
                                       "expected interval on the feed's manage page",
                         "Sensor": "a Datastream's Sensor is the one it was made with",
                         "ObservedProperty": "make a new Datastream for another property",
                         "Thing": "a Datastream stays with its Thing"}}


def change(request, key: FeedKey, set_name: str, row, body) -> HttpResponse:
    """PATCH Things(n) or Datastreams(n): the writable properties given; any other given
    must be as it is (a client may send the whole entity back)."""
    rendered = SETS[set_name].render(row, root_url(request))
    if request.content_type == "application/json-patch+json":
        body = json_patch({name: rendered[name] for name in WRITABLE[set_name]}, body)
    body = an_object(body, "", f"the {set_name[:-1]}'s changed properties")
    for name, value in body.items():
        if name in WRITABLE[set_name] or name.startswith("@iot.") or name.endswith(
                "@iot.navigationLink") or rendered.get(name, object()) == value:
            continue
        fail(name, f"cannot be changed here ({FIXED[set_name].get(name, 'not a property')})")
    with transaction.atomic():
        if set_name == "Things":
            change_thing(row, body)
        else:
            change_stream(row, body)
    return answer(request, key, set_name, row.pk, status=200)


def change_thing(thing: Thing, body: dict) -> None:
    if "name" in body:
        thing.name = text(body, "name", "", 300, required=True)
    if "description" in body:
        thing.description = text(body, "description", "")
    if "properties" in body:
        given = properties_of(body, "")
        if "key" in given and given["key"] != thing.key:
            fail("properties.key", f"a thing's key cannot change (it is {thing.key!r}: "
                                   "pushes name the thing by it); make a new Thing instead")
        held_unchanged(given, {"feed": thing.feed.slug, "retired": iso(thing.retired),
                               **thing.properties}, "")
        kept = {name: thing.properties[name] for name in ("area", "area_geography")
                if name in thing.properties}
        thing.properties = {name: value for name, value in given.items()
                            if name not in HELD and name != "key"} | kept
    thing.save(update_fields=["name", "description", "properties"])


def change_stream(stream: Datastream, body: dict) -> None:
    if "name" in body:
        stream.name = text(body, "name", "", 300, required=True)
    if "description" in body:
        stream.description = text(body, "description", "")
    if "unitOfMeasurement" in body:
        stream.unit, stream.unit_ucum = unit_of(body, "")
    stream.save(update_fields=["name", "description", "unit", "unit_ucum"])
