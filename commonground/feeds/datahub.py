"""The MK Data Hub's read API, so its old clients keep working (docs/FEEDS.md).

Paths as the Hub's "Reading Feeds" page gave them: ``/sensors/feeds/{id}``,
``/events/feeds/{id}``, ``/locations/feeds/{id}`` (with ``near=lat,lng,radius`` or
``bbox=west,north,east,south``), ``.../datastreams/{id}`` and its ``datapoints`` (``events``
on event feeds), and ``/sensors/feeds/{id}/datapoints`` for every stream at once. Datapoints
default to the past 24 hours, at most 50 per stream; ``start``, ``end`` and ``limit`` refine
them; Xively's ``interval`` (3600 or 86400 seconds) and ``function`` (average, min, max, sum,
count) give hourly or daily UTC buckets instead, computed by ``aggregates.series`` over the
part of the period the stream has data in, at most ``reading.MAX_BUCKETS`` buckets of it
(else a 400 naming ``end`` with the latest it may be); ``start`` and ``end`` lie in
1900-2200. The API key is the HTTP basic-auth user name
(password empty), as on the Hub: a **read** key of that feed opens a private feed; public
feeds need none.

Answers are JSON. Errors are ``{"detail": ..., "parameter": ...}``: 400 names the bad
parameter; 401 no or an unknown key where one is needed (with ``WWW-Authenticate``); 403 a
key or a user that may not read this feed (the detail says why); 404 no such feed or stream,
a feed of another kind, or a draft (drafts are not shown to non-members at all).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from . import access, aggregates, keys, reading
from .models import Datastream, Feed, FeedKey
from .reading import ParameterError, iso

REALM = 'Basic realm="Common Ground feeds", charset="UTF-8"'


class Refused(Exception):
    def __init__(self, status: int, detail: str, parameter: str | None = None):
        super().__init__(detail)
        self.status, self.detail, self.parameter = status, detail, parameter

    def response(self) -> JsonResponse:
        body = {"detail": self.detail}
        if self.parameter:
            body["parameter"] = self.parameter
        answer = JsonResponse(body, status=self.status)
        if self.status == 401:
            answer["WWW-Authenticate"] = REALM
        return answer


def basic_auth_user(request) -> str | None:
    """The user name of an HTTP basic ``Authorization`` header (the key), or None."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise Refused(401, "Authorization: give the API key as the HTTP basic-auth user "
                           "name (curl -u KEY:)", "Authorization")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise Refused(401, "Authorization: the basic-auth credentials are not base64 of "
                           "user:password", "Authorization") from None
    return decoded.partition(":")[0] or None


def readable_feed(request, feed_id: int, kind: str) -> Feed:
    """The feed, if this request may read it (else ``Refused``, see the module's note)."""
    feed = get_object_or_404(Feed.objects.select_related("organisation"), pk=feed_id)
    secret = basic_auth_user(request)
    key = keys.find(secret) if secret else None
    if secret and key is None:
        raise Refused(401, "Authorization: the key is not a key of this hub", "Authorization")
    if access.can_read(request.user, feed, key):
        if key is not None and keys.problem(key, feed, FeedKey.Scope.READ) is None:
            keys.touch(key)
        if feed.kind != kind:
            raise Refused(404, f"feed {feed.pk} is a {feed.kind} feed: see "
                               f"/{feed.kind}s/feeds/{feed.pk}")
        return feed
    if feed.state != Feed.State.PUBLISHED:
        raise Refused(404, "Not found")
    if key is not None:
        raise Refused(403, f"Authorization: {keys.problem(key, feed, FeedKey.Scope.READ)}",
                      "Authorization")
    if not request.user.is_authenticated:
        raise Refused(401, f"feed {feed.pk} is private: give a read key of it as the "
                           f"basic-auth user name", "Authorization")
    raise Refused(403, f"feed {feed.pk} is private to {feed.organisation}: give a read key "
                       f"of it as the basic-auth user name", "Authorization")


def _stream_document(stream: Datastream) -> dict:
    return {"id": stream.pk, "key": stream.key, "name": stream.name,
            "observed_property": stream.observed_property,
            "unit": {"label": stream.unit, "symbol": stream.unit_ucum},
            "value_type": stream.value_type,
            "current_value": reading.latest_value(stream), "at": iso(stream.latest_time)}


def _thing_document(thing, streams: list[Datastream]) -> dict:
    return {"id": thing.pk, "key": thing.key, "name": thing.name,
            "location": {"lat": thing.lat, "lon": thing.lon, "name": thing.location_name},
            "retired": iso(thing.retired), "datastreams": [_stream_document(s) for s in streams]}


def feed_document(request, feed: Feed, things) -> dict:
    """The feed with ``things`` and their datastreams, each with its latest value."""
    things = list(things)
    streams = reading.with_latest(Datastream.objects.filter(thing__in=things)
                                  .order_by("name", "pk"))
    by_thing: dict[int, list] = {}
    for stream in streams:
        by_thing.setdefault(stream.thing_id, []).append(stream)
    return {"id": feed.pk, "slug": feed.slug, "title": feed.title,
            "description": feed.description, "kind": feed.kind,
            "private": feed.private, "licence": feed.licence, "source": feed.source,
            "organisation": feed.organisation.name, "updated": iso(feed.updated),
            "html": request.build_absolute_uri(feed.get_absolute_url()),
            "things": [_thing_document(t, by_thing.get(t.pk, [])) for t in things]}


def _answer(view):
    def wrapped(request, *args, **kwargs):
        try:
            return JsonResponse(view(request, *args, **kwargs),
                                json_dumps_params={"ensure_ascii": False})
        except Refused as refused:
            return refused.response()
        except ParameterError as bad:
            return Refused(400, str(bad), bad.parameter).response()
    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return require_GET(wrapped)


def _feed_view(kind: str):
    @_answer
    def feed_view(request, feed_id: int):
        feed = readable_feed(request, feed_id, kind)
        things = reading.feed_things(feed)
        near, bbox = request.GET.get("near"), request.GET.get("bbox")
        if kind != Feed.Kind.LOCATION and (near or bbox):
            raise ParameterError("near" if near else "bbox",
                                 "only location feeds are searched by place")
        if near and bbox:
            raise ParameterError("bbox", "give near or bbox, not both")
        if near:
            things = reading.Near.parse(near).filter(things)
        elif bbox:
            things = reading.BBox.parse(bbox).filter(things)
        return feed_document(request, feed, things)
    feed_view.__name__ = f"{kind}_feed"
    return feed_view


sensor_feed = _feed_view(Feed.Kind.SENSOR)
event_feed = _feed_view(Feed.Kind.EVENT)
location_feed = _feed_view(Feed.Kind.LOCATION)


def _stream(feed: Feed, stream_id: int, *, latest: bool = True) -> Datastream:
    """The feed's stream ``stream_id`` (else ``Refused``), with its thing and its latest
    observation (``with_latest``) unless ``latest`` is false: datapoints need neither, and
    the three subqueries and the join were a tenth of such a request's time."""
    streams = Datastream.objects.filter(pk=stream_id, thing__feed=feed)
    stream = (reading.with_latest(streams).select_related("thing") if latest else streams).first()
    if stream is None:
        raise Refused(404, f"feed {feed.pk} has no datastream {stream_id}")
    return stream


#: Xively's ``interval`` (seconds) for the buckets ``aggregates`` computes: UTC hours, days.
INTERVALS = {3600: aggregates.HOUR, 86400: aggregates.DAY}
#: Xively's ``function`` names and the figure of a bucket each gives.
FUNCTIONS = {"average": lambda s: s.mean, "min": lambda s: s.minimum,
             "max": lambda s: s.maximum, "sum": lambda s: s.total, "count": lambda s: s.count}
NOT_NUMERIC = "only numeric streams aggregate"


@dataclass(frozen=True)
class Aggregation:
    """``interval`` seconds (3600 or 86400) and ``function``, as Xively named them."""

    interval: int
    function: str

    @classmethod
    def parse(cls, params) -> Aggregation | None:
        """The request's aggregation, or None without ``interval`` (raw datapoints)."""
        text, function = params.get("interval"), params.get("function")
        if text in (None, ""):
            if function not in (None, ""):
                raise ParameterError("interval", "function needs an interval: 3600 (hourly) "
                                                 "or 86400 (daily)")
            return None
        try:
            interval = int(text)
        except ValueError:
            interval = None
        if interval not in INTERVALS:
            raise ParameterError("interval", f"{text!r} is not 3600 (hourly) or 86400 (daily)")
        function = function or "average"
        if function not in FUNCTIONS:
            raise ParameterError("function", f"{function!r} is not one of "
                                             f"{', '.join(FUNCTIONS)}")
        return cls(interval, function)

    def points(self, stream: Datastream, start, end, limit: int, from_start: bool
               ) -> list[dict]:
        """The stream's buckets in [start, end) that hold observations (an empty one is
        absent): the ``limit`` first from ``start``, or else the newest; in time order."""
        if stream.value_type != Datastream.ValueType.NUMBER:
            raise ParameterError("interval", f"datastream {stream.pk} holds "
                                             f"{stream.value_type}: {NOT_NUMERIC}")
        period = INTERVALS[self.interval]
        # only the buckets the stream has data in, at most MAX_BUCKETS of them: a client's
        # century of empty hours is neither walked nor kept waiting for
        held = reading.bucket_period(stream, period, start, end,
                                     parameter="end" if from_start else "start")
        if held is None:
            return []
        buckets = aggregates.series(stream, period, *held)
        buckets = buckets[:limit] if from_start else buckets[-limit:]
        figure = FUNCTIONS[self.function]
        return [{"at": iso(b.start), "value": figure(b)} for b in buckets]


def _points(stream: Datastream, start, end, limit: int, from_start: bool,
            aggregation: Aggregation | None = None) -> list[dict]:
    if aggregation is not None:
        return aggregation.points(stream, start, end, limit, from_start)
    rows = reading.datapoint_rows(stream, start, end, limit=limit, newest=not from_start)
    json_stream = stream.value_type == Datastream.ValueType.JSON
    return [{"at": at, "value": number if number is not None
             else (reading.json_value(text) if json_stream else text)}
            for at, number, text in rows]


def _refinement(request):
    start, end = reading.parse_period(request.GET)
    limit = reading.parse_limit(request.GET)
    return start, end, limit, bool(request.GET.get("start")), Aggregation.parse(request.GET)


def _echo(aggregation: Aggregation | None) -> dict:
    """What an aggregated answer says it is (nothing for raw datapoints)."""
    if aggregation is None:
        return {}
    return {"interval": aggregation.interval, "function": aggregation.function}


def _stream_view(kind: str):
    @_answer
    def stream_view(request, feed_id: int, stream_id: int):
        feed = readable_feed(request, feed_id, kind)
        stream = _stream(feed, stream_id)
        return {"feed": feed.pk, "thing": stream.thing.key, **_stream_document(stream)}
    stream_view.__name__ = f"{kind}_datastream"
    return stream_view


sensor_datastream = _stream_view(Feed.Kind.SENSOR)
event_datastream = _stream_view(Feed.Kind.EVENT)


def _datapoints_view(kind: str, member: str):
    @_answer
    def datapoints_view(request, feed_id: int, stream_id: int):
        """A stream's datapoints: the ``limit`` newest in [start, end), or with ``start``
        given the ``limit`` oldest from it; in time order."""
        feed = readable_feed(request, feed_id, kind)
        start, end, limit, from_start, aggregation = _refinement(request)
        stream = _stream(feed, stream_id, latest=False)
        return {"feed": feed.pk, "datastream": stream.pk, "start": iso(start),
                "end": iso(end), "limit": limit, **_echo(aggregation),
                "unit": {"label": stream.unit, "symbol": stream.unit_ucum},
                member: _points(stream, start, end, limit, from_start, aggregation)}
    datapoints_view.__name__ = f"{kind}_{member}"
    return datapoints_view


sensor_datapoints = _datapoints_view(Feed.Kind.SENSOR, "datapoints")
event_events = _datapoints_view(Feed.Kind.EVENT, "events")


@_answer
def feed_datapoints(request, feed_id: int):
    """Every datastream's datapoints (or buckets) at once (the limit applies to each)."""
    feed = readable_feed(request, feed_id, Feed.Kind.SENSOR)
    start, end, limit, from_start, aggregation = _refinement(request)
    streams = Datastream.objects.filter(thing__feed=feed).order_by("pk")
    return {"feed": feed.pk, "start": iso(start), "end": iso(end), "limit": limit,
            **_echo(aggregation),
            "datastreams": [_feed_stream(s, start, end, limit, from_start, aggregation)
                            for s in streams]}


def _feed_stream(stream: Datastream, start, end, limit, from_start, aggregation) -> dict:
    """One stream of a feed's datapoints; aggregated, a text or JSON stream has none and
    says why (the feed's numeric streams are still answered)."""
    if aggregation is not None and stream.value_type != Datastream.ValueType.NUMBER:
        return {"id": stream.pk, "key": stream.key, "datapoints": [],
                "detail": f"{stream.value_type} stream: {NOT_NUMERIC}"}
    return {"id": stream.pk, "key": stream.key,
            "datapoints": _points(stream, start, end, limit, from_start, aggregation)}
