"""Reading live feeds as JSON (django-ninja, mounted at ``/api/feeds`` beside ``push_api``):
the feeds you may see, one feed with its things and their datastreams (latest values), and a
datastream's observations, newest first.

Who reads what is ``access``'s rule, as on the feed pages, the MK Data Hub API and
SensorThings: a draft or private feed is a 404 to anyone but its organisation's members and
site staff (a feed's read key opens it on the Data Hub API and SensorThings, not here). The
caller is ``apiauth.viewer``'s (an API token or the session). Lists are paged as every list of
the API: ``limit`` and ``offset``, with their ``total``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema
from pydantic import AwareDatetime

from commonground.apiauth import SLUG, Page, PageParams, page, viewer
from commonground.apierrors import errors

from . import access, reading
from .models import Datastream, Feed, Observation

router = Router(tags=["feeds"])


class OrganisationRef(Schema):
    slug: str
    name: str


class FeedOut(Schema):
    slug: str
    title: str
    description: str
    kind: str = Field(json_schema_extra={"enum": list(Feed.Kind.values)})
    state: str = Field(json_schema_extra={"enum": list(Feed.State.values)},
                       description="draft: seen by its organisation's members only")
    private: bool = Field(description="Read only by its organisation's members (or a read key "
                                      "on the Data Hub API and SensorThings)")
    licence: str
    source: str
    organisation: OrganisationRef
    thing_count: int = Field(description="Its things (sensors, devices, vehicles)")
    updated: datetime
    url: str = Field(description="The feed's page")


class FeedPage(Page):
    feeds: list[FeedOut]


class Latest(Schema):
    time: datetime
    value: Any = Field(description="A number; text; or, for event feeds, a JSON document")


class DatastreamOut(Schema):
    id: int
    key: str
    name: str
    description: str
    observed_property: str
    unit: str
    unit_ucum: str
    value_type: str = Field(json_schema_extra={"enum": list(Datastream.ValueType.values)})
    expected_interval_seconds: int | None
    retention_days: int | None = Field(description="Raw observations kept this many days "
                                                   "(none: for ever)")
    latest: Latest | None = Field(description="Its newest observation (none: it has none)")
    observations: str = Field(description="Where its observations are read")


class ThingOut(Schema):
    id: int
    key: str
    name: str
    description: str
    properties: dict
    lat: float | None
    lon: float | None
    location_name: str
    retired: datetime | None = Field(description="No longer reporting since (its history "
                                                 "is kept)")
    datastreams: list[DatastreamOut]


class FeedDetail(FeedOut, Page):
    """The feed, and one page of its things (``total``, ``limit``, ``offset`` are theirs)."""

    things: list[ThingOut]


class ThingParams(PageParams):
    limit: int = Field(100, ge=0, le=1000, description="At most this many things")


class ObservationParams(PageParams):
    since: AwareDatetime | None = Field(None, description=(
        "Observations at or after this time (ISO 8601 with a zone)"))
    until: AwareDatetime | None = Field(None, description=(
        "Observations before this time (ISO 8601 with a zone); at or before `since`: none"))


class ObservationOut(Schema):
    time: datetime
    value: Any = Field(description="A number; text; or, for event feeds, a JSON document")


class ObservationPage(Page):
    feed: str
    datastream: int
    since: datetime | None
    until: datetime | None
    observations: list[ObservationOut] = Field(description="Newest first")


def _feed(request, slug: str) -> Feed:
    """The feed if the caller reads it; else 404, as if it did not exist."""
    feed = get_object_or_404(Feed.objects.select_related("organisation"), slug=slug)
    if not access.can_read(viewer(request), feed):
        raise Http404("No such feed")
    return feed


def _feed_record(request, feed: Feed, thing_count: int) -> dict:
    return {"slug": feed.slug, "title": feed.title, "description": feed.description,
            "kind": feed.kind, "state": feed.state, "private": feed.private,
            "licence": feed.licence, "source": feed.source,
            "organisation": {"slug": feed.organisation.slug, "name": feed.organisation.name},
            "thing_count": thing_count, "updated": feed.updated,
            "url": request.build_absolute_uri(feed.get_absolute_url())}


def _stream_record(request, feed: Feed, stream: Datastream) -> dict:
    latest = None
    if getattr(stream, "latest_time", None) is not None:
        value = reading.latest_value(stream)
        if stream.value_type == Datastream.ValueType.JSON and isinstance(value, str):
            value = reading.json_value(value)
        latest = {"time": stream.latest_time, "value": value}
    return {"id": stream.pk, "key": stream.key, "name": stream.name,
            "description": stream.description, "observed_property": stream.observed_property,
            "unit": stream.unit, "unit_ucum": stream.unit_ucum, "value_type": stream.value_type,
            "expected_interval_seconds": stream.expected_interval_seconds,
            "retention_days": stream.retention_days, "latest": latest,
            "observations": request.build_absolute_uri(
                f"/api/feeds/{feed.slug}/datastreams/{stream.pk}/observations")}


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; one beyond Python's first or last instant once in UTC (year 1 or
    9999 with an offset) as that instant: the same observations either side of it."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC) if moment.year == 1 else \
            datetime.max.replace(tzinfo=UTC)


@router.get("/", response=FeedPage, openapi_extra=errors(401, 422),
            summary="Live feeds you may read")
def feed_list(request, params: Query[PageParams]):
    """Published public feeds, and every feed of your organisations (drafts and private
    ones), by title."""
    feeds = (access.visible_feeds(viewer(request)).select_related("organisation")
             .annotate(thing_count=Count("things")).order_by("title", "slug"))
    counts, rows = page(feeds, params)
    return {**counts, "feeds": [_feed_record(request, f, f.thing_count) for f in rows]}


@router.get("/{slug}", response=FeedDetail, openapi_extra=errors(401, 404, 422),
            summary="One feed: its things and their datastreams, with latest values")
def feed_detail(request, params: Query[ThingParams], slug: str = Path(..., pattern=SLUG)):
    """A page of the feed's things by name; each with its datastreams and their newest
    observation."""
    feed = _feed(request, slug)
    counts, things = page(reading.feed_things(feed), params)
    streams = reading.with_latest(Datastream.objects.filter(thing__in=things)
                                  .order_by("name", "pk"))
    by_thing: dict[int, list] = {}
    for stream in streams:
        by_thing.setdefault(stream.thing_id, []).append(_stream_record(request, feed, stream))
    return {**_feed_record(request, feed, counts["total"]), **counts, "things": [
        {"id": t.pk, "key": t.key, "name": t.name, "description": t.description,
         "properties": t.properties, "lat": t.lat, "lon": t.lon,
         "location_name": t.location_name, "retired": t.retired,
         "datastreams": by_thing.get(t.pk, [])} for t in things]}


@router.get("/{slug}/datastreams/{datastream}/observations", response=ObservationPage,
            openapi_extra=errors(401, 404, 422),
            summary="A datastream's observations, newest first, in a period")
def observation_list(request, params: Query[ObservationParams],
                     slug: str = Path(..., pattern=SLUG),
                     datastream: int = Path(..., ge=1)):
    """Observations at or after ``since`` and before ``until`` (either may be left out),
    newest first; values as the stream holds them (numbers, text, JSON documents)."""
    feed = _feed(request, slug)
    stream = get_object_or_404(Datastream, pk=datastream, thing__feed=feed)
    rows = Observation.objects.filter(datastream=stream).order_by("-time")
    if params.since is not None:
        rows = rows.filter(time__gte=_utc(params.since))
    if params.until is not None:
        rows = rows.filter(time__lt=_utc(params.until))
    counts, picked = page(rows.values_list("time", "number", "text", named=True), params)
    return {**counts, "feed": feed.slug, "datastream": stream.pk, "since": params.since,
            "until": params.until, "observations": [
                {"time": row.time, "value": reading.value_of(row, stream)} for row in picked]}
