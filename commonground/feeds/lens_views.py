"""The "who is sensed" page of a feed: ``/feeds/<slug>/lens/`` and its JSON (``feeds.lens``).
Read by whoever reads the feed (``access``): a draft or private feed is 404 to others."""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from commonground.places.cache import NotLoaded

from . import lens
from .pages import _readable

NOT_LOADED = "The city's data is not loaded, so the lens cannot be drawn yet."


@require_GET
def feed_lens_page(request, slug: str):
    feed = _readable(request, slug)
    try:
        result = lens.feed_lens(feed)
    except NotLoaded:
        return render(request, "feeds/lens.html", {"feed": feed, "problem": NOT_LOADED},
                      status=503)
    return render(request, "feeds/lens.html", {"feed": feed, "result": result,
                                               **_tables(result)})


@require_GET
def feed_lens_json(request, slug: str):
    feed = _readable(request, slug)
    try:
        return JsonResponse(lens.feed_lens(feed))
    except NotLoaded:
        return JsonResponse({"detail": NOT_LOADED}, status=503)


def _tables(result: dict) -> dict:
    """The parts the page shows: the national decile table, access for everyone and each
    Census group, freshness by decile."""
    found = result.get("lens") or {}
    deprivation = (found.get("deprivation") or {}).get("tables", {}).get("imd-decile")
    access = found.get("access")
    rows = []
    if access:
        rows.append(_access_row(access["all"], "All residents"))
        for table in access["tables"]:
            rows += [_access_row(g, f"{table['title']}: {g['group']}") for g in table["groups"]]
    freshness = result.get("freshness")
    silent = [dict(g, shown=_percent(g["share"]), interval=_interval(g))
              for g in (freshness or {}).get("groups", [])]
    groups = []
    for table in (found.get("disparity") or {}).get("tables", []):
        for g in table["groups"]:
            groups.append({"label": f"{table['title']}: {g['group']}",
                           "data": _percent(g.get("data_share")),
                           "city": _percent(g.get("city_share")),
                           "difference": _points(g.get("difference_pp")),
                           "interval": f"{_points(g.get('low_pp'))} to "
                                       f"{_points(g.get('high_pp'))}",
                           "q": "–" if g.get("q_value") is None else f"{g['q_value']:.2f}"})
    return {"deciles": deprivation, "access_rows": rows, "freshness": freshness,
            "silent_rows": silent, "words": found.get("words"), "census_rows": groups}


def _points(value) -> str:
    return "–" if value is None else f"{value:+.1f}"


def _percent(share) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def _interval(row: dict) -> str:
    if row.get("low") is None:
        return ""
    return f"{_percent(row['low'])} to {_percent(row['high'])}"


def _access_row(group: dict, label: str) -> dict:
    mean = group.get("mean_distance_m")
    return {"label": label, "within": [_percent(group["within"].get(t))
                                       for t in ("400", "800", "1600")],
            "mean": "–" if mean is None else f"{mean:,.0f} m"}
