"""What a feed's editors do (pages and ``replay_feeds`` alike): create a feed, add things
(placed: WGS84 in, British National Grid and the city's area out), datastreams, and things
from a sensor-sites CSV; delete a feed with all it holds.

A thing is placed in the base area of the city it falls in (``places``' point index), kept
in ``properties["area"]`` with ``properties["area_geography"]``; a thing outside the city is
allowed and has ``area`` None ("outside the city"). Its easting and northing come from
``geography.projection``; its first location is recorded in ``ThingLocation``.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from commonground.activity.models import Follow
from commonground.geography.projection import lonlat_to_bng
from commonground.places.cache import NotLoaded, city_state

from . import catalogue_entry
from .models import Aggregate, Datastream, Feed, Observation, Thing, ThingLocation

#: Columns of a sensor-sites file that become a thing's own fields (the rest: properties).
SITE_FIELDS = ("sensor_id", "name", "lat", "lon", "measure", "unit", "unit_ucum",
               "resolution", "description")
#: The datastream a site's readings go to (one per sensor in the recorded data).
DEFAULT_STREAM = "value"
_DURATION = re.compile(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?")


@dataclass(frozen=True)
class Problem:
    line: int  # the row's line in the file (header: line 1); 0 for a form
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}" if self.line else \
            f"{self.field}: {self.message}"


class EditError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems[:5]) +
                         (f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""))


@dataclass
class SitesResult:
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # added, but outside the city


def place(lons, lats) -> tuple[np.ndarray, np.ndarray, list[str | None], str | None]:
    """Eastings, northings (EPSG:27700 metres), each point's base area code of the city (None
    outside it, or when the city is not loaded) and the base geography's name."""
    x, y = lonlat_to_bng(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    try:
        state = city_state()
    except NotLoaded:
        return x, y, [None] * len(x), None
    codes = state.index(state.base).codes_for(x, y)
    return x, y, [str(c) if c is not None else None for c in codes], state.base


def seconds_of(resolution: str) -> int | None:
    """Seconds of the first ISO 8601 duration (PT1H, PT5M) in a resolution's text."""
    match = _DURATION.search(resolution or "")
    if not match or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def create_feed(organisation, *, slug: str, title: str, user=None, **details) -> Feed:
    if Feed.objects.filter(slug=slug).exists():
        raise EditError([Problem(0, "slug", f"a feed called {slug!r} exists already")])
    return Feed.objects.create(organisation=organisation, slug=slug, title=title,
                               created_by=user if getattr(user, "is_authenticated", False)
                               else None, **details)


def delete_feed(feed: Feed) -> None:
    """Delete ``feed`` and all it holds: things and their locations, datastreams, their
    observations and aggregates, keys and pull runs; withdraw its catalogue dataset
    (``catalogue_entry.withdraw``) and forget who followed it (a later feed at the same
    address starts with no followers). One transaction: all or nothing."""
    with transaction.atomic():
        catalogue_entry.withdraw(feed)
        Follow.objects.filter(kind="feed", key=feed.slug).delete()
        # the big tables first, as plain range deletes (the cascade would do the same)
        Observation.objects.filter(datastream__thing__feed=feed).delete()
        Aggregate.objects.filter(datastream__thing__feed=feed).delete()
        feed.delete()  # cascades: things, locations, datastreams, keys, pull runs


def _coordinate(text, name: str, low: float, high: float, line: int, problems) -> float | None:
    if text in (None, ""):
        return None
    try:
        number = float(text)
    except (TypeError, ValueError):
        problems.append(Problem(line, name, f"{str(text)[:40]!r} is not a number"))
        return None
    if not math.isfinite(number) or not low <= number <= high:
        problems.append(Problem(line, name, f"{number} is not between {low} and {high}"))
        return None
    return number


def check_site(row: dict, line: int, problems: list[Problem]) -> dict | None:
    """A site's fields checked (its problems appended): key, name, lat, lon and the rest."""
    before = len(problems)
    key = (row.get("sensor_id") or "").strip()
    name = (row.get("name") or "").strip() or key
    if not key:
        problems.append(Problem(line, "sensor_id", "is missing"))
    elif len(key) > 200:
        problems.append(Problem(line, "sensor_id", "is longer than 200 characters"))
    lat = _coordinate(row.get("lat"), "lat", -90, 90, line, problems)
    lon = _coordinate(row.get("lon"), "lon", -180, 180, line, problems)
    if (lat is None) != (lon is None) and len(problems) == before:
        problems.append(Problem(line, "lat" if lat is None else "lon",
                                "is missing while the other coordinate is given"))
    if len(problems) > before:
        return None
    return {"key": key, "name": name[:300], "lat": lat, "lon": lon, "row": row}


def add_things(feed: Feed, sites: list[dict], *, with_streams: bool = True) -> SitesResult:
    """Add checked sites (``check_site``) as things, each with its datastream (unless not
    ``with_streams``); sites whose key the feed has already are left unchanged."""
    result = SitesResult()
    existing = set(feed.things.values_list("key", flat=True))
    new = [s for s in sites if s["key"] not in existing]
    result.unchanged = [s["key"] for s in sites if s["key"] in existing]
    located = [s for s in new if s["lat"] is not None]
    x, y, codes, geography = place([s["lon"] for s in located], [s["lat"] for s in located])
    where = {s["key"]: (float(x[i]), float(y[i]), codes[i]) for i, s in enumerate(located)}
    now = timezone.now()
    with transaction.atomic():
        for site in new:
            row = site["row"]
            easting, northing, area = where.get(site["key"], (None, None, None))
            properties = {k: v for k, v in row.items() if k not in SITE_FIELDS and v not in
                          (None, "")}
            properties.update(area=area, area_geography=geography)
            thing = Thing.objects.create(
                feed=feed, key=site["key"], name=site["name"],
                description=(row.get("description") or "").strip(),
                properties=properties, lat=site["lat"], lon=site["lon"], easting=easting,
                northing=northing)
            if site["lat"] is not None:
                ThingLocation.objects.create(thing=thing, time=now, lat=site["lat"],
                                             lon=site["lon"], easting=easting,
                                             northing=northing)
            result.added.append(site["key"])
            if area is None:
                result.outside.append(site["key"])
            if not with_streams:
                continue
            measure = (row.get("measure") or "").strip()
            Datastream.objects.create(
                thing=thing, key=(row.get("datastream") or "").strip() or DEFAULT_STREAM,
                name=f"{site['name']}: {measure}"[:300] if measure else site["name"],
                observed_property=measure[:300] or "value",
                unit=(row.get("unit") or "").strip()[:100],
                unit_ucum=(row.get("unit_ucum") or "").strip()[:100],
                expected_interval_seconds=seconds_of(row.get("resolution") or ""))
    return result


def read_sites_csv(data: bytes | str) -> list[dict]:
    """Rows of a sensor-sites CSV (sensor_id, name, lat, lon, measure, unit, ...), checked;
    EditError names each bad line and field, and nothing is made."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise EditError([Problem(0, "file", f"is not UTF-8 (byte {exc.start})")]) from None
    reader = csv.DictReader(io.StringIO(data, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [name for name in ("sensor_id", "lat", "lon") if name not in header]
    if missing:
        raise EditError([Problem(1, "header", f"lacks {', '.join(missing)} (needs sensor_id, "
                                              "name, lat, lon; measure, unit optional)")])
    reader.fieldnames = header
    return check_sites(reader, first_line=2)


def check_sites(rows: Iterable[dict], *, first_line: int = 2) -> list[dict]:
    problems: list[Problem] = []
    sites, seen = [], {}
    for line, row in enumerate(rows, start=first_line):
        site = check_site(row, line, problems)
        if site is None:
            continue
        if site["key"] in seen:
            problems.append(Problem(line, "sensor_id", f"{site['key']!r} is on line "
                                                       f"{seen[site['key']]} too"))
            continue
        seen[site["key"]] = line
        sites.append(site)
    if problems:
        raise EditError(problems)
    if not sites:
        raise EditError([Problem(0, "file", "has no sites")])
    return sites


def thing_key(name: str) -> str:
    return slugify(name)[:200]
