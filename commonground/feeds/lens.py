"""Use case: who is sensed — a feed's things through the difference lens.

A feed's things (retired ones left out) are a point dataset: each located thing is placed in
the city's base area it falls in (the loaded city's ``AreaIndex``; ``properties["area"]`` may
be stale after a reload), counted per area and run through the same lens as a dataset's rows
(``lens.compute.run_lens``: sensors per 1,000 residents by deprivation decile, Census groups'
share where they are, residents' distance to the nearest sensor within 400/800/1,600 m).

Freshness is added: a thing is **silent** when its newest observation is more than 24 hours
older than the **feed's newest observation** (a recording replayed from 2009 is judged
against its own end, not against today), or it has none; the share silent is given per
national deprivation decile with Wilson intervals, as the lens gives shares.

Things outside the city are counted and said; a feed with no thing in the city gets a plain
sentence instead of empty tables. Results are kept per load of the city and per feed state
(things, their newest observation) in the load's memo (``CityState.derived``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import numpy as np
from django.db.models import Count, Max

from commonground.catalogue.services.lens import lens_city
from commonground.lens import stats
from commonground.lens.compute import LensOptions, jsonable, run_lens
from commonground.lens.inputs import City, Measure
from commonground.places.cache import city_state

from .models import Feed, Observation

#: A thing is silent when its newest observation is this much older than the feed's newest.
SILENT_AFTER = timedelta(hours=24)
_MAX_RESULTS = 16  # feed lenses kept per load, the newest
#: The options the page and its JSON draw with: the lens's own defaults.
DEFAULT_OPTIONS = LensOptions()


def _words(feed: Feed) -> tuple[str, str]:
    return ("sensor", "sensors") if feed.kind == Feed.Kind.SENSOR else ("thing", "things")


def feed_state(feed: Feed) -> tuple:
    """What the lens of ``feed`` depends on: its active things' count and newest id, and the
    newest observation's time (the memo's key)."""
    things = feed.things.filter(retired__isnull=True).aggregate(n=Count("id"), last=Max("id"))
    latest = Observation.objects.filter(datastream__thing__feed=feed).aggregate(
        t=Max("time"))["t"]
    return things["n"], things["last"], latest


def feed_lens(feed: Feed, options: LensOptions | None = None) -> dict:
    """The lens of ``feed``'s things, as one JSON-ready dictionary (see the module)."""
    options = options or DEFAULT_OPTIONS
    state = city_state()
    city = lens_city(state)
    key = (feed.pk, feed.kind, feed.title, feed_state(feed), options)
    return state.derived("feed lens", partial(_build, feed, city, state, options), key=key,
                         keep=_MAX_RESULTS)


def _build(feed: Feed, city: City, state, options: LensOptions) -> dict:
    singular, plural = _words(feed)
    things = list(feed.things.filter(retired__isnull=True).order_by("id")
                  .values_list("id", "name", "easting", "northing"))
    retired = feed.things.filter(retired__isnull=False).count()
    located = [t for t in things if t[2] is not None and t[3] is not None]
    xy = np.array([(t[2], t[3]) for t in located], dtype=float).reshape(-1, 2)
    position = {code: i for i, code in enumerate(city.area_codes)}
    codes = state.index(state.base).codes_for(xy[:, 0], xy[:, 1]) if len(xy) else []
    area = np.array([position.get(c, -1) if c is not None else -1 for c in codes], dtype=int)
    inside = area >= 0
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    result: dict = {
        "feed": {"slug": feed.slug, "title": feed.title, "kind": feed.kind,
                 "organisation": feed.organisation.name},
        "city": {"name": city.name, "base_geography": city.base_geography},
        "things": {"singular": singular, "plural": plural, "total": len(things),
                   "in_city": n_in, "outside_city": n_out,
                   "no_location": len(things) - len(located), "retired": retired,
                   "outside": [t[1] for t, i in zip(located, inside, strict=True) if not i][:50]},
    }
    result["things"]["sentence"] = _placed_sentence(result["things"], city.name)
    if n_in == 0:
        result["lens"] = None
        return jsonable(result)
    per_area = np.bincount(area[inside], minlength=len(city.area_codes)).astype(float)
    measure = Measure(kind="count", label=plural, unit="rows", per_area=per_area,
                      points_xy=xy, rows_total=len(things), rows_in_areas=n_in,
                      singular=singular, nature="service")
    result["lens"] = run_lens(city, measure, options)
    located_ids = [t[0] for t in located]
    result["freshness"] = _freshness(feed, city, options, located_ids, area, inside)
    return jsonable(result)


def _placed_sentence(things: dict, city: str) -> str:
    total, n_in, plural = things["total"], things["in_city"], things["plural"]
    if total == 0:
        return f"This feed has no {plural} yet."
    left = total - n_in
    if n_in == 0:
        return (f"None of this feed's {total} {plural} is in {city}, so the lens, which asks "
                f"who in {city} is sensed, has nothing to show.")
    if left == 0:
        return f"All {total} {plural} of this feed are in {city}."
    missing = things["no_location"]
    why = f"outside {city}" if not missing else (
        f"outside {city} or have no location ({missing} without one)")
    return f"{left} of {total} {plural} are {why} and are not in the lens."


def _freshness(feed: Feed, city: City, options: LensOptions, ids: list[int],
               area: np.ndarray, inside: np.ndarray) -> dict:
    """Share of the city's things silent for over a day (see the module), per national
    deprivation decile of their area."""
    newest = dict(Observation.objects.filter(datastream__thing_id__in=ids)
                  .values("datastream__thing_id").annotate(t=Max("time"))
                  .values_list("datastream__thing_id", "t"))
    latest = Observation.objects.filter(datastream__thing__feed=feed).aggregate(
        t=Max("time"))["t"]
    out: dict = {"rule": None, "reference": latest.isoformat() if latest else None,
                 "silent_after_hours":
                 SILENT_AFTER.total_seconds() / 3600, "groups": []}
    if latest is None:
        out["rule"] = "No observation has been written to this feed yet, so none is fresh."
        return out
    out["rule"] = ("Silent: no observation in the 24 hours before the feed's newest "
                   f"observation ({latest:%Y-%m-%d %H:%M} UTC), or none at all; measured "
                   "against the feed's own newest value, not the clock, so a recording is "
                   "judged by its own end.")
    silent = np.array([newest.get(i) is None or newest[i] < latest - SILENT_AFTER
                       for i in ids], dtype=bool)
    dep = city.edition(options.edition) if city.deprivation else None
    out["total"] = int(inside.sum())
    out["silent"] = int((silent & inside).sum())
    out["never"] = int(sum(1 for i, ok in zip(ids, inside, strict=True) if ok and i not in newest))
    if dep is None:
        return out
    decile = np.full(len(ids), np.nan)
    decile[inside] = dep.national_decile[area[inside]]
    out["edition"] = {"key": dep.key, "title": dep.title}
    n = np.array([np.sum(inside & (decile == d)) for d in range(1, 11)], dtype=float)
    s = np.array([np.sum(inside & silent & (decile == d)) for d in range(1, 11)], dtype=float)
    share, low, high = stats.proportion_with_interval(s, n)
    for d in range(10):
        out["groups"].append({
            "group": d + 1, "label": _decile_label(d + 1), "things": int(n[d]),
            "silent": int(s[d]), "share": None if n[d] == 0 else float(share[d]),
            "low": None if n[d] == 0 else float(low[d]),
            "high": None if n[d] == 0 else float(high[d])})
    unknown = int(np.sum(inside & np.isnan(decile)))
    if unknown:
        out["no_decile"] = unknown
    return out


def _decile_label(k: int) -> str:
    if k == 1:
        return "1 (most deprived)"
    if k == 10:
        return "10 (least deprived)"
    return str(k)
