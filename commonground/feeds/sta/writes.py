"""Creating Observations through SensorThings: ``POST Observations`` (with
``"Datastream": {"@iot.id": n}``), ``POST Datastreams(n)/Observations`` and the DataArray
extension's ``POST CreateObservations`` for batches.

The feed's **write** key goes in ``Authorization: Bearer <key>`` (or ``X-API-Key``), as for
the push API; everything is written through ``writing.write_observations``, so a batch is
all or nothing and the same observation twice changes nothing. Errors name the item (the
DataArray group and row) and the SensorThings field (``phenomenonTime``, ``result``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC

from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from commonground.nulchars import NUL

from .. import keys, push_api, writing
from ..models import Datastream, FeedKey, Observation
from .entities import SETS, iso
from .options import Options
from .views import SEGMENT, StaError, entity, resolve, root_url, secret_of

#: writing's field names in SensorThings' words.
FIELDS = {"time": "phenomenonTime", "value": "result", "thing": "Datastream",
          "datastream": "Datastream", "observation": "observation"}
COMPONENTS = {"phenomenonTime", "result", "resultTime"}


def write_key(request) -> FeedKey:
    secret = secret_of(request)
    if secret is None:
        raise StaError(401, "creating needs the feed's write key as 'Authorization: Bearer "
                            "<key>' or 'X-API-Key: <key>'")
    key = keys.find(secret)
    if key is None:
        raise StaError(401, "unknown key: check it was copied whole, or make a new one on the "
                            "feed's keys page")
    problem = keys.problem(key, key.feed, FeedKey.Scope.WRITE)
    if problem is not None:
        raise StaError(403, f"this key cannot write: {problem}")
    return key


def stream_of(key: FeedKey, reference, where: str) -> Datastream:
    """The datastream ``{"@iot.id": n}`` names, if the key's feed holds it."""
    stream_id = reference.get("@iot.id") if isinstance(reference, dict) else None
    if isinstance(stream_id, bool) or not isinstance(stream_id, int) or \
            not 0 <= stream_id <= MAX_ID:
        raise StaError(400, f"{where}: give the datastream as {{\"@iot.id\": <number>}} "
                            f"(a whole number from 0 to {MAX_ID:,})")
    stream = Datastream.objects.select_related("thing").filter(
        pk=stream_id, thing__feed_id=key.feed_id).first()
    if stream is None:  # nowhere, or in another feed: the same answer, so nothing leaks
        raise StaError(404, f"{where}: this key's feed has no Datastream({stream_id})")
    return stream


#: The largest @iot.id (as a path's ``Things(n)`` takes it): larger is no row, and more than
#: the databases' integers hold.
MAX_ID = 999_999_999_999
#: How deep a body's objects and lists may nest (SensorThings entities need a few levels).
MAX_DEPTH = 64


class _NotANumber:
    """What ``NaN``, ``Infinity`` and a number too large for a float parse to, so that
    ``checked`` can name where they are."""

    def __init__(self, text: str):
        self.text = text


def _float(text: str):
    value = float(text)
    return value if math.isfinite(value) else _NotANumber(text)


def _shown(name: str) -> str:
    return name.replace(NUL, "?").encode("utf-8", "backslashreplace").decode("utf-8")


def _text_problem(value: str) -> str | None:
    if NUL in value:
        return "text may not contain the NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text may not hold a lone surrogate (\\ud800-\\udfff): send the character whole"
    return None


def checked(value, where: str = ""):
    """``value`` if every string in it (names too) can be stored and every number is finite;
    else a 400 naming the JSON path of the first that is not."""
    stack = [(value, where, 0)]
    while stack:
        item, here, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise StaError(400, f"{here}: nested more than {MAX_DEPTH} levels deep")
        problem = None
        if isinstance(item, _NotANumber):
            problem = f"{item.text} is not a number JSON takes (send a finite number or null)"
        elif isinstance(item, str):
            problem = _text_problem(item)
        elif isinstance(item, dict):
            for name, inner in item.items():
                path = f"{here}.{_shown(name)}" if here else _shown(name)
                name_problem = _text_problem(name)
                if name_problem:
                    raise StaError(400, f"{path}: a name's {name_problem}")
                stack.append((inner, path, depth + 1))
        elif isinstance(item, list):
            stack.extend((inner, f"{here}[{i}]", depth + 1) for i, inner in enumerate(item))
        if problem:
            raise StaError(400, f"{here}: {problem}" if here else problem)
    return value


def document(request):
    """The request's JSON body, ``checked``: NaN, Infinity, NUL, lone surrogates and deep
    nesting are a 400 naming where (PostgreSQL and SQLite could not store them)."""
    try:
        body = push_api.read_body(request)
    except push_api.Refused as refused:
        raise StaError(refused.status, refused.detail) from None
    try:
        parsed = json.loads(body, parse_constant=_NotANumber, parse_float=_float)
    except RecursionError:
        raise StaError(400, "the body is not JSON this hub reads: it is nested too deeply "
                            f"(at most {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # not UTF-8, not JSON, or a whole number of 4,300+ digits
        raise StaError(400, f"the body is not JSON: {exc}") from None
    return checked(parsed)


def write(key: FeedKey, rows: list[tuple], where: list[str]) -> list[int | None]:
    """Write ``rows`` of (stream, time, result); the new or existing observations' ids, None
    for a row skipped as older than its stream's retention (``writing``'s note)."""
    now = timezone.now()
    try:
        writing.write_observations(key.feed, [(s.thing.key, s.key, t, v) for s, t, v in rows],
                                   now=now)
    except writing.WriteError as failed:
        messages = [f"{where[p.index]}, {FIELDS.get(p.field, p.field)}: {p.message}"
                    for p in failed.problems[:5]]
        more = f" (and {failed.total - 5} more)" if failed.total > 5 else ""
        raise StaError(400, "; ".join(messages) + more + "; nothing was written") from None
    keys.touch(key)
    wanted = [(stream.pk, writing.parse_time(time, now)) for stream, time, _ in rows]
    spans: dict[int, list] = {}
    for stream_id, moment in wanted:
        spans.setdefault(stream_id, []).append(moment)
    found = {}
    for stream_id, moments in spans.items():  # one query per stream, over its time span
        stored = Observation.objects.filter(datastream_id=stream_id, time__gte=min(moments),
                                            time__lte=max(moments))
        found.update({(stream_id, moment.astimezone(UTC)): pk
                      for moment, pk in stored.values_list("time", "pk")})
    return [found.get(pair) for pair in wanted]


def _time(item: dict):
    return item.get("phenomenonTime") or iso(timezone.now())


def create_observation(request, key: FeedKey, stream: Datastream | None) -> HttpResponse:
    item = document(request)
    if not isinstance(item, dict):
        raise StaError(400, "send one Observation as a JSON object")
    if stream is None:
        stream = stream_of(key, item.get("Datastream"), "Datastream")
    if "result" not in item:
        raise StaError(400, "result: an Observation needs a result")
    [pk] = write(key, [(stream, _time(item), item["result"])], ["Observation"])
    root = root_url(request)
    observations = SETS["Observations"]
    row = observations.rows([key.feed_id]).get(pk=pk)
    response = JsonResponse(entity(observations, row, Options(), root, [key.feed_id]),
                            status=201)
    response["Location"] = f"{root}Observations({pk})"
    return response


def _group_rows(key: FeedKey, group, g: int, rows: list, where: list[str]) -> None:
    if not isinstance(group, dict):
        raise StaError(400, f"item {g}: expected an object with Datastream, components and "
                            "dataArray")
    stream = stream_of(key, group.get("Datastream"), f"item {g}, Datastream")
    components = group.get("components")
    if not isinstance(components, list) or not {"phenomenonTime", "result"} <= set(components):
        raise StaError(400, f"item {g}, components: list at least phenomenonTime and result")
    unknown = [c for c in components if c not in COMPONENTS]
    if unknown:
        raise StaError(400, f"item {g}, components: {unknown[0]!r} is not supported (use "
                            f"{', '.join(sorted(COMPONENTS))})")
    data = group.get("dataArray")
    if not isinstance(data, list):
        raise StaError(400, f"item {g}, dataArray: expected a list of rows")
    for r, values in enumerate(data):
        if not isinstance(values, list) or len(values) != len(components):
            raise StaError(400, f"item {g}, dataArray row {r}: expected {len(components)} "
                                f"values ({', '.join(components)})")
        named = dict(zip(components, values, strict=True))
        rows.append((stream, named["phenomenonTime"], named["result"]))
        where.append(f"item {g}, dataArray row {r}")


def create_observations(request, key: FeedKey) -> HttpResponse:
    """The DataArray extension: ``[{Datastream, components, dataArray}, ...]``; answers the
    new Observations' selfLinks in order."""
    groups = document(request)
    if not isinstance(groups, list):
        raise StaError(400, "send a list of {Datastream, components, dataArray} objects")
    rows: list[tuple] = []
    where: list[str] = []
    for g, group in enumerate(groups):
        _group_rows(key, group, g, rows, where)
    root = root_url(request)
    # The DataArray extension answers each row with its new Observation's link, or "error".
    return JsonResponse([f"{root}Observations({pk})" if pk is not None else "error"
                         for pk in write(key, rows, where)], status=201, safe=False)


#: What to do instead of creating, changing or deleting what is not made here.
ELSEWHERE = {
    "Sensors": "a Sensor is made with its Datastream: send it inline in POST Datastreams "
               "(\"Sensor\": {name, description, encodingType, metadata})",
    "ObservedProperties": "an ObservedProperty is made with its Datastream: send it inline "
                          "in POST Datastreams (\"ObservedProperty\": {name, definition, "
                          "description})",
    "FeaturesOfInterest": "a FeatureOfInterest is the thing observed, where it is: POST "
                          "Things with their Locations",
    "HistoricalLocations": "a HistoricalLocation is made when a thing moves: POST "
                           "Things(n)/Locations",
}


def _one(segment: str, key: FeedKey, then: str = ""):
    """The one entity ``segment`` (``Things(n)``) names in the key's feed; a collection
    there is a 400 (it would otherwise pick the feed's first entity)."""
    match = SEGMENT.match(segment)
    if match is None or match["id"] is None:
        name = match["name"] if match else segment
        raise StaError(400, f"{segment}{then}: name one entity by its id, e.g. {name}(1)"
                            f"{then}")
    resource = resolve(segment, [key.feed_id])
    row = resource.rows.first()
    if row is None:
        raise StaError(404, f"feed {key.feed.slug!r} (this key's) has no {segment}")
    return resource.entity_set.name, row


def create(request, path: str) -> HttpResponse:
    """A POST under ``/sta/v1.1/``: Observations (here), Things, Datastreams and Locations
    (``creating``), in the write key's feed."""
    from . import creating

    segments = [segment for segment in path.split("/") if segment]
    key = write_key(request)
    if segments == ["CreateObservations"]:
        return create_observations(request, key)
    if segments == ["Observations"]:
        return create_observation(request, key, None)
    if segments == ["Things"]:
        return creating.create_thing(request, key, document(request))
    if segments == ["Datastreams"]:
        return creating.create_datastream(request, key, document(request), None)
    if segments == ["Locations"]:
        return creating.move(request, key, document(request), None)
    if len(segments) == 2 and segments[0].split("(")[0] in ("Things", "Datastreams"):
        name, row = _one(segments[0], key, f"/{segments[1]}")
        if (name, segments[1]) == ("Datastreams", "Observations"):
            return create_observation(request, key, row)
        if (name, segments[1]) == ("Things", "Datastreams"):
            return creating.create_datastream(request, key, document(request), row)
        if (name, segments[1]) == ("Things", "Locations"):
            return creating.move(request, key, document(request), row)
    first = segments[0].split("(")[0] if segments else ""
    raise StaError(405, f"POST {path!r}: " + ELSEWHERE.get(first, "here one creates Things, "
                        "Locations (of Things), Datastreams and Observations (also under "
                        "Things(n)/Locations, Things(n)/Datastreams, Datastreams(n)/"
                        "Observations and CreateObservations)"))


def patch(request, path: str) -> HttpResponse:
    """``PATCH Things(n)`` or ``PATCH Datastreams(n)`` (``creating.change``)."""
    from . import creating

    segments = [segment for segment in path.split("/") if segment]
    key = write_key(request)
    if len(segments) == 1 and segments[0].split("(")[0] in creating.WRITABLE \
            and segments[0].endswith(")"):
        name, row = _one(segments[0], key)
        return creating.change(request, key, name, row, document(request))
    first = segments[0].split("(")[0] if segments else ""
    raise StaError(405, f"PATCH {path!r}: " + ELSEWHERE.get(first, {
        "Observations": "an Observation is not changed here: a stream holds one value per "
                        "time (ask the feed's editors to correct it)",
        "Locations": "a thing moves with POST Things(n)/Locations (its past places are "
                     "kept)",
    }.get(first, "only Things(n) (name, description, properties) and Datastreams(n) "
                 "(name, description, unitOfMeasurement) are changed here")))


def refuse(request, path: str) -> HttpResponse:
    """DELETE and PUT: what to do instead."""
    write_key(request)
    if request.method == "PUT":
        raise StaError(405, f"PUT {path!r}: send only the changed properties with PATCH "
                            "(Things: name, description, properties; Datastreams: name, "
                            "description, unitOfMeasurement)")
    raise StaError(405, f"DELETE {path!r}: nothing is deleted through SensorThings: retire a "
                        "thing on the feed's manage page (its history is kept)")
