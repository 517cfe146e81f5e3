"""Reading a feed: what the MK Data Hub API, the feed pages and the downloads share.

The request's parameters are parsed here into checked values (``ParameterError`` names the
parameter), the latest value of every datastream comes from one query (a subquery per column
on the ``(datastream, time)`` index), and a stream's observations in a period come newest or
oldest first, at most ``limit``. ``near`` and ``bbox`` search things by their British National
Grid easting and northing (indexed) and then exactly.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import CharField, Func, Max, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from commonground.geography.projection import lonlat_to_bng

from .models import Aggregate, Datastream, Feed, Observation, Thing

#: The MK Data Hub's defaults for datapoints: the past 24 hours, up to 50 points.
DEFAULT_WINDOW = timedelta(hours=24)
DEFAULT_LIMIT = 50
#: The most points one request returns (the old Hub's ceiling, as Xively's, was 1,000).
MAX_LIMIT = 1000
#: The widest ``near`` radius, metres (a city region; wider searches are a bbox's job).
MAX_RADIUS_M = 100_000
#: The times ``start`` and ``end`` may name (UTC): a sensor's readings fall well inside, and
#: beyond them the hour and day arithmetic leaves Python's years 1-9999.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: The most hourly or daily buckets one stream's aggregates span once the period is cut to
#: the stream's data (``bucket_period``): 10,000 hours is 13.7 months, 10,000 days 27 years;
#: SQLite reads each bucket with a range search of the index, about 0.5 s for 10,000.
MAX_BUCKETS = 10_000
#: The length of an hourly and a daily bucket (``aggregates.PERIODS``).
BUCKET = {Aggregate.Period.HOUR: timedelta(hours=1), Aggregate.Period.DAY: timedelta(days=1)}


class ParameterError(ValueError):
    """A bad request parameter: ``parameter`` names it, the message says what is wrong."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


def parse_time(name: str, text: str, naive_zone=None) -> datetime:
    """An ISO 8601 time with a zone (``Z`` or an offset); without one, refused unless
    ``naive_zone`` is given (the pages' date-and-time fields send local times)."""
    try:
        value = parse_datetime(text.strip())
    except ValueError:
        value = None
    if value is None:
        raise ParameterError(name, f"{text!r} is not an ISO 8601 time such as "
                                   f"2026-06-01T10:00:00Z")
    if timezone.is_naive(value) and naive_zone is not None:
        value = timezone.make_aware(value, naive_zone)
    if timezone.is_naive(value):
        raise ParameterError(name, f"{text!r} has no time zone (add Z or an offset)")
    if not EARLIEST <= value <= LATEST:
        raise ParameterError(name, f"{text!r} is not between {iso(EARLIEST)} and "
                                   f"{iso(LATEST)}")
    return value


def parse_period(params, *, now: datetime | None = None, default: timedelta = DEFAULT_WINDOW,
                 naive_zone=None) -> tuple[datetime, datetime]:
    """``start`` and ``end`` from the query (either may be left out): by default the
    ``default`` window ending now; with only ``start``, up to now; with only ``end``, the
    window before it."""
    now = now or timezone.now()
    start = parse_time("start", params["start"], naive_zone) if params.get("start") else None
    end = parse_time("end", params["end"], naive_zone) if params.get("end") else None
    if end is None:
        end = now if start is None or start < now else start + default
    if start is None:
        start = end - default
    if end <= start:
        raise ParameterError("end", f"{end.isoformat()} is not after start {start.isoformat()}")
    return start, end


def data_span(stream: Datastream) -> tuple[datetime, datetime] | None:
    """The first and last moments ``stream`` holds data for, or None if it holds none: its
    raw observations and its stored buckets (retention drops raw observations and keeps
    their buckets; a bucket counts as data up to its end). Two index searches each."""
    raw = Observation.objects.filter(datastream=stream).aggregate(
        first=Min("time"), last=Max("time"))
    kept = Aggregate.objects.filter(datastream=stream).aggregate(
        first=Min("start"), last=Max("start"))
    firsts = [t for t in (raw["first"], kept["first"]) if t is not None]
    if kept["last"] is not None:  # as if the bucket were a day's (an hour's ends sooner)
        kept["last"] += BUCKET[Aggregate.Period.DAY]
    lasts = [t for t in (raw["last"], kept["last"]) if t is not None]
    return (min(firsts), max(lasts)) if firsts else None


def _floor(moment: datetime, period: str) -> datetime:
    moment = moment.astimezone(UTC)
    moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0) if period == Aggregate.Period.DAY else moment


def bucket_period(stream: Datastream, period: str, start: datetime, end: datetime, *,
                  parameter: str = "start") -> tuple[datetime, datetime] | None:
    """``[start, end)`` cut to the ``period`` buckets (hour or day) that can hold
    ``stream``'s data (``data_span``), or None if none can: the same buckets and figures as
    the whole period, without walking the empty ones. Refused (``ParameterError`` naming
    ``parameter``, "start" or "end", with the furthest it may be) if that still spans more
    than ``MAX_BUCKETS`` buckets. The one rule for the Data Hub's ``interval`` and the
    pages' hourly and daily charts."""
    span = data_span(stream)
    if span is None:
        return None
    step = BUCKET[period]
    start = max(start, _floor(span[0], period))
    end = min(end, _floor(span[1], period) + step)
    if start >= end:
        return None
    first, last = _floor(start, period), _floor(end - timedelta(microseconds=1), period)
    buckets = (last - first) // step + 1
    if buckets > MAX_BUCKETS:
        what = f"{buckets:,} {period}s of datastream {stream.pk}'s data"
        if parameter == "end":
            most = first + MAX_BUCKETS * step
            raise ParameterError("end", f"the period holds {what}, more than {MAX_BUCKETS:,}:"
                                        f" give an end at or before {iso(most)}")
        earliest = last - (MAX_BUCKETS - 1) * step
        raise ParameterError("start", f"the period holds {what}, more than {MAX_BUCKETS:,}:"
                                      f" give a start at or after {iso(earliest)}")
    return start, end


def parse_limit(params, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    text = params.get("limit")
    if text in (None, ""):
        return default
    try:
        limit = int(text)
    except ValueError:
        raise ParameterError("limit", f"{text!r} is not a whole number") from None
    if not 1 <= limit <= maximum:
        raise ParameterError("limit", f"{limit} is not between 1 and {maximum}")
    return limit


def _numbers(name: str, text: str, count: int, what: str) -> list[float]:
    parts = text.split(",")
    if len(parts) != count:
        raise ParameterError(name, f"{text!r} is not {what}")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise ParameterError(name, f"{text!r} is not {what}") from None
    if not all(math.isfinite(v) for v in values):
        raise ParameterError(name, f"{text!r} is not {what}")
    return values


def _check_lat_lon(name: str, lat: float, lon: float) -> None:
    if not -90 <= lat <= 90:
        raise ParameterError(name, f"latitude {lat} is not between -90 and 90")
    if not -180 <= lon <= 180:
        raise ParameterError(name, f"longitude {lon} is not between -180 and 180")


@dataclass(frozen=True)
class Near:
    """Things within ``radius`` metres of (``lat``, ``lng``)."""

    lat: float
    lng: float
    radius: float

    @classmethod
    def parse(cls, text: str) -> Near:
        lat, lng, radius = _numbers("near", text, 3, "lat,lng,radius (radius in metres)")
        _check_lat_lon("near", lat, lng)
        if not 0 < radius <= MAX_RADIUS_M:
            raise ParameterError("near", f"radius {radius:g} m is not between 0 and "
                                         f"{MAX_RADIUS_M:,} m")
        return cls(lat, lng, radius)

    def filter(self, things: QuerySet[Thing]) -> list[Thing]:
        (x,), (y,) = lonlat_to_bng([self.lng], [self.lat])
        r = self.radius
        box = things.filter(easting__gte=x - r, easting__lte=x + r,
                            northing__gte=y - r, northing__lte=y + r)
        return [t for t in box if math.hypot(t.easting - x, t.northing - y) <= r]


@dataclass(frozen=True)
class BBox:
    """Things inside west, north, east, south (degrees, WGS84)."""

    west: float
    north: float
    east: float
    south: float

    @classmethod
    def parse(cls, text: str) -> BBox:
        west, north, east, south = _numbers("bbox", text, 4,
                                            "west,north,east,south (degrees)")
        _check_lat_lon("bbox", north, west)
        _check_lat_lon("bbox", south, east)
        if north <= south:
            raise ParameterError("bbox", f"north {north} is not above south {south}")
        if east <= west:
            raise ParameterError("bbox", f"east {east} is not east of west {west}")
        return cls(west, north, east, south)

    def filter(self, things: QuerySet[Thing]) -> list[Thing]:
        # The grid envelope of the box's edges (a lon/lat box bends on the grid), then
        # exactly by latitude and longitude.
        steps = [i / 8 for i in range(9)]
        lons = [self.west + (self.east - self.west) * s for s in steps]
        lats = [self.south + (self.north - self.south) * s for s in steps]
        edge_lon = lons + lons + [self.west] * 9 + [self.east] * 9
        edge_lat = [self.south] * 9 + [self.north] * 9 + lats + lats
        xs, ys = lonlat_to_bng(edge_lon, edge_lat)
        return list(things.filter(
            easting__gte=float(min(xs)), easting__lte=float(max(xs)),
            northing__gte=float(min(ys)), northing__lte=float(max(ys)),
            lat__gte=self.south, lat__lte=self.north, lon__gte=self.west, lon__lte=self.east))


def with_latest(streams: QuerySet[Datastream]) -> QuerySet[Datastream]:
    """``streams`` with ``latest_time``, ``latest_number`` and ``latest_text`` (None when a
    stream has no observations)."""
    newest = Observation.objects.filter(datastream=OuterRef("pk")).order_by("-time")
    return streams.annotate(latest_time=Subquery(newest.values("time")[:1]),
                            latest_number=Subquery(newest.values("number")[:1]),
                            latest_text=Subquery(newest.values("text")[:1]))


def latest_value(stream: Datastream):
    """The value of ``with_latest``'s annotations: a number, a text, or None."""
    if getattr(stream, "latest_time", None) is None:
        return None
    return stream.latest_number if stream.latest_number is not None else stream.latest_text


def display(value) -> str:
    """A value as the pages show it (the same on the server and in feeds.js's refresh):
    whole numbers without ".0", other numbers in full, texts as they are, nothing as "—"."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def value_of(observation: Observation, stream: Datastream | None = None):
    """A number, a text, or (JSON streams, given ``stream``) the parsed document."""
    if observation.number is not None:
        return observation.number
    if stream is not None and stream.value_type == Datastream.ValueType.JSON:
        return json_value(observation.text)
    return observation.text


def json_value(text: str):
    """A JSON stream's stored text as its document (the text itself if it is not JSON)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def observations(stream: Datastream, start: datetime, end: datetime, *,
                 limit: int | None = None, newest: bool = True) -> list:
    """``stream``'s observations in ``[start, end)``, in time order: the ``limit`` newest
    (``newest``) or oldest ones, as rows with ``time``, ``number`` and ``text`` (named
    tuples, not model instances: a day of one-minute data, 1,440 rows, comes back in about
    half the time)."""
    rows = Observation.objects.filter(datastream=stream, time__gte=start, time__lt=end)
    rows = rows.order_by("-time" if newest else "time").values_list(
        "time", "number", "text", named=True)
    picked = list(rows[:limit] if limit else rows)
    return picked[::-1] if newest else picked


class IsoText(Func):
    """A time as the text ``iso`` gives (UTC, ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``, the
    microseconds only when not zero), made by PostgreSQL."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        utc = f"({sql} AT TIME ZONE 'UTC')"
        return (f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
                f"date_trunc('second', {utc}) = {utc} THEN '' ELSE to_char({utc}, '.US') END "
                "|| 'Z'"), [*params, *params, *params, *params]

    def as_sql(self, compiler, connection, **extra):  # other vendors
        raise NotImplementedError(f"IsoText is written for PostgreSQL, not {connection.vendor}")


def datapoint_rows(stream: Datastream, start: datetime, end: datetime, *, limit: int,
                   newest: bool = True) -> list[tuple]:
    """As ``observations``, as rows of (time as UTC ISO 8601 text ending in ``Z``, number,
    text) for the Data Hub's JSON, the times made text by the database: parsing 1,000 times
    into datetimes and formatting them again took 7 of the 20 ms a full request may take
    (``benchmarks/feeds.py`` (b)). SQLite's stored text of a time (UTC, ``YYYY-MM-DD
    HH:MM:SS[.ffffff]``) is turned into that form; PostgreSQL writes it (``IsoText``).
    Other databases give datetimes, formatted by ``iso``."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return [(iso(row.time), row.number, row.text)
                for row in observations(stream, start, end, limit=limit, newest=newest)]
    sqlite = connection.vendor == "sqlite"
    rows = (Observation.objects.filter(datastream=stream, time__gte=start, time__lt=end)
            .order_by("-time" if newest else "time")
            .annotate(stored=Cast("time", CharField()) if sqlite else IsoText("time"))
            .values_list("stored", "number", "text")[:limit])
    picked = ([(stored.replace(" ", "T") + "Z", number, text) for stored, number, text in rows]
              if sqlite else list(rows))
    return picked[::-1] if newest else picked


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def feed_things(feed: Feed) -> QuerySet[Thing]:
    return Thing.objects.filter(feed=feed).order_by("name", "pk")
