"""The eight SensorThings entity sets over the feeds' tables.

=====================  ==========================================================  ========
Entity set             Backed by                                                   @iot.id
=====================  ==========================================================  ========
Things                 ``Thing``                                                   thing
Locations              ``ThingLocation``: a position from a time on (its ``lat``/   row
                       ``lon``); a thing's current Location is its newest one, the
                       others are where it was (they have no Things)
HistoricalLocations    ``ThingLocation`` (its ``time``); its Locations link is the  row
                       same row: the position the thing had from then on
Datastreams            ``Datastream``                                              stream
Sensors                one per datastream (its name and description)               stream
ObservedProperties     one per distinct ``observed_property`` within a feed        lowest
                       (named after it; its id is the lowest stream id that        stream
                       measures it)
Observations           ``Observation`` (``number`` for numeric streams, else text)  row
FeaturesOfInterest     the thing observed, at its current position                 thing
=====================  ==========================================================  ========

Each set starts from the feeds the reader may see (``feed_ids``), so a navigation or an
``$expand`` never reaches a hidden feed: it is a filter on the target's own set.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db.models import F, Model, OuterRef, Q, QuerySet, Subquery

from ..models import Datastream, Observation, Thing, ThingLocation
from .filters import Prop

GEOJSON = "application/geo+json"
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def point(thing: Thing) -> dict | None:
    if thing.lat is None or thing.lon is None:
        return None
    return {"type": "Point", "coordinates": [thing.lon, thing.lat]}


@dataclass(frozen=True)
class Nav:
    """A navigation property: the ``target`` set, one entity or many, and the filter on the
    target's set that finds them from an entity of this set."""

    target: str
    many: bool
    related: Callable[[Model], Q]


@dataclass(frozen=True)
class EntitySet:
    name: str
    base: Callable[[QuerySet], QuerySet]  # visible feed ids -> this set's rows
    props: dict[str, Prop]
    render: Callable[[Model, str], dict]  # (row, service root) -> its properties
    navs: dict[str, Nav] = field(default_factory=dict)

    def rows(self, feed_ids) -> QuerySet:
        return self.base(feed_ids)


def _thing(row: Thing, root: str) -> dict:
    return {"name": row.name, "description": row.description,
            "properties": {**row.properties, "key": row.key, "feed": row.feed.slug,
                           **({"retired": iso(row.retired)} if row.retired else {})}}


def _newest_location() -> Subquery:
    """The id of the newest ``ThingLocation`` of the outer row's thing: its current one."""
    return Subquery(ThingLocation.objects.filter(thing_id=OuterRef("thing_id"))
                    .order_by("-time").values("pk")[:1])


def _location(row: ThingLocation, root: str) -> dict:
    thing = row.thing
    if row.pk == row.newest:
        name = thing.location_name or f"Where {thing.name} is"
    else:
        name = f"Where {thing.name} was from {iso(row.time)}"
    return {"name": name, "description": name, "encodingType": GEOJSON,
            "location": {"type": "Point", "coordinates": [row.lon, row.lat]}}


def _things_located_at(row: ThingLocation) -> Q:
    """The things whose current Location this is: its thing if it is the newest, else none."""
    return Q(pk=row.thing_id) if row.pk == row.newest else Q(pk__in=[])


def _historical(row: ThingLocation, root: str) -> dict:
    return {"time": iso(row.time)}


def _unit(row: Datastream) -> dict:
    return {"name": row.unit, "symbol": row.unit,
            "definition": f"http://unitsofmeasure.org/ucum.html#{row.unit_ucum}"
            if row.unit_ucum else ""}


def _datastream(row: Datastream, root: str) -> dict:
    kind = "OM_Measurement" if row.value_type == Datastream.ValueType.NUMBER else "OM_Observation"
    return {"name": row.name, "description": row.description,
            "unitOfMeasurement": _unit(row), "observationType": OM + kind,
            "properties": {"key": row.key, "valueType": row.value_type,
                           "expectedIntervalSeconds": row.expected_interval_seconds,
                           "retentionDays": row.retention_days}}


def _sensor(row: Datastream, root: str) -> dict:
    if row.sensor:  # as the SensorThings client that made the stream described it
        return {"name": row.sensor.get("name", row.name),
                "description": row.sensor.get("description", ""),
                "encodingType": row.sensor.get("encodingType", ""),
                "metadata": row.sensor.get("metadata", ""),
                **({"properties": row.sensor["properties"]} if row.sensor.get("properties")
                   else {})}
    return {"name": row.name,
            "description": row.description or f"The sensor behind {row.name} of "
                                              f"{row.thing.name}",
            "encodingType": "text/plain",
            "metadata": f"Datastream {row.key!r} of thing {row.thing.key!r} in feed "
                        f"{row.thing.feed.slug!r}"}


def _observed_property(row: Datastream, root: str) -> dict:
    return {"name": row.observed_property,
            "definition": row.observed_property_definition or
            f"{root}ObservedProperties({row.pk})",
            "description": f"{row.observed_property}, as measured in feed "
                           f"{row.thing.feed.slug!r}"}


def observation_result(row: Observation) -> object:
    kind = row.datastream.value_type
    if kind == Datastream.ValueType.NUMBER:
        return row.number
    if kind == Datastream.ValueType.JSON:
        try:
            return json.loads(row.text)
        except ValueError:
            return row.text
    return row.text


def _observation(row: Observation, root: str) -> dict:
    return {"phenomenonTime": iso(row.time), "resultTime": iso(row.time),
            "result": observation_result(row)}


def _feature(row: Thing, root: str) -> dict:
    return {"name": row.name, "description": row.description or row.name,
            "encodingType": GEOJSON, "feature": point(row)}


def _first_of_property() -> Subquery:
    return Subquery(Datastream.objects.filter(
        thing__feed_id=OuterRef("thing__feed_id"),
        observed_property=OuterRef("observed_property")).order_by("pk").values("pk")[:1])


def _same_property(row: Datastream) -> Q:
    return Q(thing__feed_id=row.thing.feed_id, observed_property=row.observed_property)


ID = Prop("pk", "int")
SETS: dict[str, EntitySet] = {s.name: s for s in [
    EntitySet(
        "Things",
        lambda feeds: Thing.objects.filter(feed_id__in=feeds).select_related("feed"),
        {"id": ID, "name": Prop("name", "text"), "description": Prop("description", "text")},
        _thing,
        {"Locations": Nav("Locations", True, lambda row: Q(thing=row.pk, pk=F("newest"))),
         "HistoricalLocations": Nav("HistoricalLocations", True, lambda row: Q(thing=row.pk)),
         "Datastreams": Nav("Datastreams", True, lambda row: Q(thing=row.pk))}),
    EntitySet(
        "Locations",
        lambda feeds: ThingLocation.objects.filter(thing__feed_id__in=feeds)
        .select_related("thing").annotate(newest=_newest_location()),
        {"id": ID},  # a name is the thing's or made from the time: not a column to filter
        _location,
        {"Things": Nav("Things", True, _things_located_at),
         "HistoricalLocations": Nav("HistoricalLocations", True, lambda row: Q(pk=row.pk))}),
    EntitySet(
        "HistoricalLocations",
        lambda feeds: ThingLocation.objects.filter(thing__feed_id__in=feeds),
        {"id": ID, "time": Prop("time", "time"), "Thing/id": Prop("thing_id", "int")},
        _historical,
        {"Thing": Nav("Things", False, lambda row: Q(pk=row.thing_id)),
         "Locations": Nav("Locations", True, lambda row: Q(pk=row.pk))}),
    EntitySet(
        "Datastreams",
        lambda feeds: Datastream.objects.filter(thing__feed_id__in=feeds)
        .select_related("thing"),
        {"id": ID, "name": Prop("name", "text"), "description": Prop("description", "text"),
         "Thing/id": Prop("thing_id", "int")},
        _datastream,
        {"Thing": Nav("Things", False, lambda row: Q(pk=row.thing_id)),
         "Sensor": Nav("Sensors", False, lambda row: Q(pk=row.pk)),
         "ObservedProperty": Nav("ObservedProperties", False, _same_property),
         "Observations": Nav("Observations", True, lambda row: Q(datastream=row.pk))}),
    EntitySet(
        "Sensors",
        lambda feeds: Datastream.objects.filter(thing__feed_id__in=feeds)
        .select_related("thing__feed"),
        {"id": ID, "name": Prop("name", "text")},
        _sensor,
        {"Datastreams": Nav("Datastreams", True, lambda row: Q(pk=row.pk))}),
    EntitySet(
        "ObservedProperties",
        lambda feeds: Datastream.objects.filter(thing__feed_id__in=feeds)
        .filter(pk=_first_of_property()).select_related("thing__feed"),
        {"id": ID, "name": Prop("observed_property", "text")},
        _observed_property,
        {"Datastreams": Nav("Datastreams", True, _same_property)}),
    EntitySet(
        "Observations",
        lambda feeds: Observation.objects.filter(datastream__thing__feed_id__in=feeds)
        .select_related("datastream"),
        {"id": ID, "phenomenonTime": Prop("time", "time"), "resultTime": Prop("time", "time"),
         "result": Prop("number", "result"), "Datastream/id": Prop("datastream_id", "int")},
        _observation,
        {"Datastream": Nav("Datastreams", False, lambda row: Q(pk=row.datastream_id)),
         "FeatureOfInterest": Nav("FeaturesOfInterest", False,
                                  lambda row: Q(pk=row.datastream.thing_id))}),
    EntitySet(
        "FeaturesOfInterest",
        lambda feeds: Thing.objects.filter(feed_id__in=feeds),
        {"id": ID, "name": Prop("name", "text"), "description": Prop("description", "text")},
        _feature,
        {"Observations": Nav("Observations", True,
                             lambda row: Q(datastream__thing=row.pk))}),
]}
