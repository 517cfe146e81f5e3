"""Feed pages: the published feeds, a feed's things with their latest values on a city map,
a datastream's chart over a chosen period, and its observations as CSV or Parquet.

Who reads is ``access.can_read`` (a signed-in member, or a read key given as the basic-auth
user name, as on the Data Hub API); a feed the reader may not read is not found (404).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from commonground.geography import mapview
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth
from commonground.places.cache import NotLoaded, city_state

from . import access, aggregates, charts, keys, pulling, reading
from .datahub import Refused, basic_auth_user
from .models import Datastream, Feed, Observation
from .reading import ParameterError, iso

#: The chart's periods ("last day" etc.), ending now.
PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}
#: The most raw observations a chart draws (more: choose hourly or daily figures).
CHART_MAX_POINTS = 5000
#: The most rows one download holds (a year of one-minute data).
DOWNLOAD_MAX_ROWS = 527_040
#: The most things a feed's page lists with their values (all are drawn on the map; the
#: API and SensorThings give the rest): a City Motion Map feed has ~14,000.
PAGE_MAX_THINGS = 500
NEIGHBOURHOOD = [MapClass("Neighbourhood", "#e8eef2")]
#: The most things a feed's map draws as dots (a reproducible random sample beyond): a dot is
#: about 45 bytes, so 2,000 keep the map under about 100 KB of dots.
MAP_MAX_DOTS = 2000


def _readable(request, slug: str) -> Feed:
    feed = get_object_or_404(Feed.objects.select_related("organisation"), slug=slug)
    try:
        secret = basic_auth_user(request)
    except Refused:
        secret = None
    key = keys.find(secret) if secret else None
    if not access.can_read(request.user, feed, key):
        raise Http404("No such feed")
    return feed


@require_GET
def feed_list(request):
    feeds = access.visible_feeds(request.user).filter(state=Feed.State.PUBLISHED) \
        .select_related("organisation").order_by("title")
    return render(request, "feeds/feed_list.html", {"feeds": feeds})


def things_map(feed: Feed, things) -> dict:
    """The neighbourhoods around the things inside the city (``mapview.around`` their extent;
    every neighbourhood, or a mosaic, when none is placed) with those things as dots; the rest
    listed."""
    try:
        state = city_state()
    except NotLoaded:
        return {"svg": "", "outside": list(things)}
    placed = [t for t in things if t.easting is not None]
    xy = np.array([[t.easting, t.northing] for t in placed], dtype=float).reshape(-1, 2)
    inside = state.index(state.base).locate(xy[:, 0], xy[:, 1]) >= 0
    drawn = [t for t, flag in zip(placed, inside, strict=True) if flag]
    outside = [t for t, flag in zip(placed, inside, strict=True) if not flag] + \
        [t for t in things if t.easting is None]
    geometries = state.geometries(state.base)
    view = (mapview.around(geometries, shapely.multipoints(xy[inside])) if drawn
            else mapview.whole(geometries))
    if view.is_mosaic:
        shapes, _ = mapview.mosaic_shapes(geometries, [0] * len(geometries), view, NEIGHBOURHOOD,
                                          "neighbourhoods", locate=state.index(state.base).locate)
    else:
        shapes = [MapShape(code=state.base_areas[i].code, label=state.base_areas[i].display_name,
                           geometry=geometries[i], class_index=0) for i in view.drawn.tolist()]
    dots, as_dots = xy[inside], "each a dot"
    if len(dots) > MAP_MAX_DOTS:
        dots = dots[np.sort(np.random.default_rng(0).choice(len(dots), MAP_MAX_DOTS,
                                                            replace=False))]
        as_dots = f"a random sample of {MAP_MAX_DOTS:,} of them drawn as dots"
    description = (f"{len(drawn)} of {len(things)} things of this feed are in "
                   f"{state.run.city_name}, {as_dots}; the others are listed below the map.")
    if note := view.note("neighbourhoods"):
        description += " " + note
    svg = render_choropleth(shapes, NEIGHBOURHOOD, title=f"Where {feed.title}'s things are",
                            description=description, id_prefix="feedmap",
                            points=dots if len(dots) else None,
                            simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    return {"svg": svg, "description": description, "outside": outside}


def _listed_streams(feed: Feed, things) -> QuerySet[Datastream]:
    """The datastreams of the things a feed's page lists, with their latest values."""
    return reading.with_latest(Datastream.objects.filter(thing__in=[t.pk for t in things])
                               .order_by("name", "pk"))


def _feed_context(request, feed: Feed) -> dict:
    every = list(reading.feed_things(feed))
    things = every[:PAGE_MAX_THINGS]
    streams = _listed_streams(feed, things)
    by_thing: dict[int, list] = {}
    for s in streams:
        s.value = reading.display(reading.latest_value(s))
        by_thing.setdefault(s.thing_id, []).append(s)
    for t in things:
        t.streams = by_thing.get(t.pk, [])
    return {"feed": feed, "things": things, "map": things_map(feed, every),
            "thing_count": len(every), "page_max": PAGE_MAX_THINGS,
            "api_path": f"/{feed.kind}s/feeds/{feed.pk}", "can_edit": access.can_edit(
                request.user, feed),
            # a pulled feed's last runs and next try (pulling; URL and messages: editors only)
            "pull_runs": pulling.recent_runs(feed) if feed.pull_url else [],
            "next_pull": pulling.next_pull(feed)}


@require_GET
def feed_page(request, slug: str):
    feed = _readable(request, slug)
    return render(request, "feeds/feed.html", _feed_context(request, feed))


def _stream(feed: Feed, stream_id: int) -> Datastream:
    return get_object_or_404(Datastream.objects.select_related("thing"), pk=stream_id,
                             thing__feed=feed)


def chosen_period(params, now=None):
    """(start, end, name) from ``period`` (day, week, month) or ``start``/``end``."""
    now = now or timezone.now()
    if params.get("start") or params.get("end"):
        # the form's date-and-time fields send local (London) times without a zone
        start, end = reading.parse_period(params, now=now,
                                          naive_zone=timezone.get_default_timezone())
        return start, end, "custom"
    name = params.get("period") or "day"
    if name not in PERIODS:
        raise ParameterError("period", f"{name!r} is not one of {', '.join(PERIODS)}")
    return now - PERIODS[name], now, name


def chosen_step(params) -> str:
    step = params.get("step") or "raw"
    if step not in ("raw", *aggregates.PERIODS):
        raise ParameterError("step", f"{step!r} is not raw, hour or day")
    return step


@require_GET
def datastream_page(request, slug: str, stream_id: int):
    feed = _readable(request, slug)
    stream = _stream(feed, stream_id)
    context = {"feed": feed, "stream": stream, "periods": list(PERIODS),
               "params": request.GET}
    try:
        start, end, period = chosen_period(request.GET)
        step = chosen_step(request.GET)
        numeric = stream.value_type == Datastream.ValueType.NUMBER
        if step != "raw" and not numeric:
            raise ParameterError("step", f"{stream.name} holds {stream.value_type} values, "
                                         f"not numbers: only raw values")
        # hourly or daily: the buckets the stream has data in, at most MAX_BUCKETS (the
        # Data Hub's rule: a century of empty hours is not walked)
        held = reading.bucket_period(stream, step, start, end) if step != "raw" else None
    except ParameterError as bad:
        context["error"] = bad
        return render(request, "feeds/datastream.html", context, status=400)
    if step == "raw":
        rows = reading.observations(stream, start, end, limit=CHART_MAX_POINTS, newest=True)
        series = [(o.time, o.number) for o in rows if o.number is not None]
        table = [{"time": o.time, "value": reading.value_of(o)} for o in rows[-20:]]
    else:
        summaries = aggregates.series(stream, step, *held) if held else []
        series = [(s.start, s.mean) for s in summaries]
        table = [{"time": s.start, "value": round(s.mean, 3), "min": s.minimum,
                  "max": s.maximum, "count": s.count} for s in summaries[-20:]]
    query = f"start={iso(start)}&end={iso(end)}".replace("+", "%2B")
    context.update(start=start, end=end, period=period, step=step, table=table[::-1],
                   truncated=step == "raw" and len(series) >= CHART_MAX_POINTS,
                   numeric=numeric,
                   chart=charts.line_chart(series, title=f"{stream.name} ({stream.unit})",
                                           start=start, end=end, unit=stream.unit)
                   if numeric else "",
                   download_query=query, start_field=_local_field(start),
                   end_field=_local_field(end))
    return render(request, "feeds/datastream.html", context)


def _local_field(moment) -> str:
    """A time as a date-and-time field's value, in the site's (London) time."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _download_rows(request, slug: str, stream_id: int):
    feed = _readable(request, slug)
    stream = _stream(feed, stream_id)
    start, end = reading.parse_period(request.GET, default=timedelta(days=7))
    # counted no further than the ceiling: a century of a busy stream is not counted out
    held = Observation.objects.filter(datastream=stream, time__gte=start, time__lt=end
                                      )[:DOWNLOAD_MAX_ROWS + 1].count()
    if held > DOWNLOAD_MAX_ROWS:
        raise ParameterError("end", f"the period holds more than {DOWNLOAD_MAX_ROWS:,} "
                                    f"observations: choose a shorter one")
    rows = reading.observations(stream, start, end, newest=False)
    return feed, stream, rows


def _bad(bad: ParameterError) -> HttpResponse:
    return HttpResponse(f"{bad}\n", status=400, content_type="text/plain; charset=utf-8")


@require_GET
def datastream_csv(request, slug: str, stream_id: int):
    try:
        feed, stream, rows = _download_rows(request, slug, stream_id)
    except ParameterError as bad:
        return _bad(bad)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "value", "unit", "thing", "datastream"])
    for o in rows:
        value = reading.value_of(o)
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
            value = "'" + value  # a spreadsheet must not run it as a formula
        writer.writerow([iso(o.time), value, stream.unit, stream.thing.key, stream.key])
    answer = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{feed.slug}-{stream.pk}.csv"'
    return answer


@require_GET
def datastream_parquet(request, slug: str, stream_id: int):
    try:
        feed, stream, rows = _download_rows(request, slug, stream_id)
    except ParameterError as bad:
        return _bad(bad)
    columns = {"time": pa.array([o.time for o in rows], type=pa.timestamp("us", tz="UTC"))}
    if stream.value_type == Datastream.ValueType.NUMBER:
        columns["value"] = pa.array([o.number for o in rows], type=pa.float64())
    else:
        columns["value"] = pa.array([o.text for o in rows], type=pa.string())
    table = pa.table(columns).replace_schema_metadata({
        "feed": feed.slug, "thing": stream.thing.key, "datastream": stream.key,
        "unit": stream.unit, "unit_ucum": stream.unit_ucum, "licence": feed.licence})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    answer = HttpResponse(sink.getvalue(), content_type="application/vnd.apache.parquet")
    answer["Content-Disposition"] = f'attachment; filename="{feed.slug}-{stream.pk}.parquet"'
    return answer


@require_GET
def latest_json(request, slug: str):
    """The latest values of the datastreams the feed's page lists, for its refresh script."""
    feed = _readable(request, slug)
    streams = _listed_streams(feed, reading.feed_things(feed)[:PAGE_MAX_THINGS])
    return JsonResponse({"feed": feed.slug, "datastreams": [
        {"id": s.pk, "value": reading.latest_value(s),
         "display": reading.display(reading.latest_value(s)), "at": iso(s.latest_time)}
        for s in streams]})
