"""The smart-city register's own file format: read, check and normalise (pure: no Django).

A register is one JSON document (the data folder's file, ``role`` "projects", has this shape)::

    {"title": "...",
     "organisations": [{"id", "name", "kind", "url", "sources"}],
     "projects": [{"id", "title", "summary", "status", "start", "end", "themes",
                   "technologies", "places": [{"description", "lat", "lon", "areas",
                   "geometry"?}], "partners": [{"organisation", "role"}],
                   "funding": [{"funder", "amount_gbp", "programme", "source"}],
                   "data_collected", "people_involved_or_affected",
                   "social_difference_notes", "sources", "uncertain",
                   "champion"?, "links"?, "city_wide"?}]}

or the same as CSV tables (``registercsv.py``). docs/REGISTER.md describes both and every
rule.

:func:`check` reads a document against :class:`Rules` (the models' words, the city's
outline) and returns every problem it finds, each naming the item and the field
(``projects[3] "mk-smart" partners[1].organisation: unknown organisation "foo"``; items and
list entries are counted from 1), with the register normalised into dataclasses
(:class:`Register`) when there are none. :func:`read_json` reads a file, refusing one over
:data:`REGISTER_MAX_BYTES` before it is parsed; :func:`to_document` writes a
:class:`Register` back out.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape

from commonground.datastore.fetch import format_size
from commonground.geography.projection import (
    bng_area_words,
    bng_to_lonlat,
    in_bng_area,
    lonlat_to_bng,
    to_bng,
)

from .dates import day_range

#: The largest register accepted, bytes (10 MiB; the real register is 127 kB). A larger file
#: is refused before it is read as JSON or CSV.
REGISTER_MAX_BYTES = 10 << 20

#: Decimal places of longitude/latitude written out (1e-7 degrees is about 1 cm).
DECIMALS = 7

#: An id: lower-case letters, digits, hyphens and underscores (a URL's last part).
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
SLUG_MAX = 100

#: A description that says the project works across the whole city.
CITY_WIDE_WORDS = re.compile(r"\b(city|borough)[- ]?wide\b", re.IGNORECASE)

GEOMETRY_KINDS = {"Point": "point", "MultiPoint": "point", "LineString": "line",
                  "MultiLineString": "line", "Polygon": "boundary", "MultiPolygon": "boundary"}

ORGANISATION_FIELDS = ("id", "name", "kind", "url", "sources")
PROJECT_FIELDS = ("id", "title", "summary", "status", "start", "end", "themes", "technologies",
                  "places", "partners", "funding", "data_collected",
                  "people_involved_or_affected", "social_difference_notes", "sources",
                  "uncertain", "champion", "links", "city_wide")
PLACE_FIELDS = ("description", "lat", "lon", "areas", "geometry")
PARTNER_FIELDS = ("organisation", "role")
FUNDING_FIELDS = ("funder", "amount_gbp", "programme", "source")
LINK_FIELDS = ("title", "url")

#: Project fields that are lists of one-line text (one item per line in a CSV cell).
TEXT_LISTS = ("themes", "technologies", "data_collected", "sources", "uncertain")


# ---------------------------------------------------------------- the normalised register

@dataclass
class OrganisationEntry:
    id: str
    name: str
    kind: str
    url: str = ""
    sources: list[str] = field(default_factory=list)


@dataclass
class PlaceEntry:
    """One place as the file gives it. ``shape`` is its point or geometry in British
    National Grid (EPSG:27700, metres), ``kind`` "point", "line" or "boundary" (None: words
    and area names only)."""

    description: str = ""
    lat: float | None = None
    lon: float | None = None
    areas: list[str] = field(default_factory=list)
    geometry: dict | None = None  # GeoJSON geometry, WGS84 longitude/latitude
    shape: Any = field(default=None, compare=False, repr=False)
    kind: str | None = None


@dataclass
class PartnerEntry:
    organisation: str
    role: str


@dataclass
class FundingEntry:
    funder: str
    amount_gbp: int | None = None
    programme: str = ""
    source: str = ""


@dataclass
class LinkEntry:
    title: str
    url: str


@dataclass
class ProjectEntry:
    id: str
    title: str
    summary: str = ""
    status: str = "unknown"
    start: str = ""
    end: str = ""
    themes: list[str] = field(default_factory=list)
    technologies: list[str] = field(default_factory=list)
    places: list[PlaceEntry] = field(default_factory=list)
    partners: list[PartnerEntry] = field(default_factory=list)
    funding: list[FundingEntry] = field(default_factory=list)
    data_collected: list[str] = field(default_factory=list)
    people_involved_or_affected: str = ""
    social_difference_notes: str = ""
    sources: list[str] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)
    champion: str = ""
    links: list[LinkEntry] = field(default_factory=list)
    city_wide: bool | None = None  # None: not said (the importer decides, docs/REGISTER.md)


@dataclass
class Register:
    title: str = ""
    organisations: list[OrganisationEntry] = field(default_factory=list)
    projects: list[ProjectEntry] = field(default_factory=list)


# ---------------------------------------------------------------- rules and problems

@dataclass(frozen=True)
class City:
    """What the checks know of the city: its name and outline (EPSG:27700). A place is in
    the city when some part of it is within the outline, the rule footprint uploads keep
    (``footprints.py``)."""

    name: str
    outline: Any

    def reaches(self, geometry) -> bool:
        """Whether some part of ``geometry`` (EPSG:27700) lies within the city."""
        return bool(shapely.intersects(self.outline, geometry))

    def distance(self, geometry) -> float:
        """Metres from the city to the nearest part of ``geometry``."""
        return float(shapely.distance(self.outline, geometry))

    @property
    def latitude(self) -> float:
        """The latitude of the city's middle, degrees (for messages)."""
        centre = self.outline.centroid
        return float(bng_to_lonlat([centre.x], [centre.y])[1][0])


@dataclass(frozen=True)
class Rules:
    """The words a register may use and the limits it must keep (the models' own, passed in
    by ``importing.rules``), and the city places must lie in (None: not checked)."""

    statuses: frozenset[str]
    roles: frozenset[str]
    kinds: frozenset[str]
    reserved: frozenset[str] = frozenset()
    lengths: Mapping[str, int] = field(default_factory=dict)  # "project.title" → characters
    city: City | None = None


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class Locator:
    """Names a place in the document: ``projects[3] "mk-smart" partners[1].organisation``
    (counted from 1). For a document read from CSV, ``lines`` maps an item to its file and
    line (``("projects", 2)`` → ``projects.csv line 4``; ``("projects", 2, "places", 0)`` →
    ``places.csv line 7``), and the name starts there."""

    def __init__(self, lines: Mapping[tuple, str] | None = None):
        self.lines = dict(lines or {})

    def __call__(self, section: str, index: int, item_id: str = "",
                 *fields: str | tuple[str, int]) -> str:
        label = self.lines.get((section, index), f"{section}[{index + 1}]")
        rest = list(fields)
        if rest and isinstance(rest[0], tuple) and (section, index, *rest[0]) in self.lines:
            label, rest = self.lines[(section, index, *rest[0])], rest[1:]
        if item_id:
            label += f' "{_short(item_id)}"'
        path = ""
        for part in rest:
            if isinstance(part, tuple):
                path += ("." if path else "") + f"{part[0]}[{part[1] + 1}]"
            else:
                path += ("." if path else "") + part
        return f"{label} {path}" if path else label


# ---------------------------------------------------------------- reading files

class JSONObject(dict):
    """A JSON object as read, with the keys it gave twice (a JSON reader keeps only the
    last) kept apart from its keys, so no key of the file can pose as the list."""

    twice: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, Any]]) -> dict:
    """A JSON object, remembering keys given twice."""
    out = JSONObject()
    twice = []
    for key, value in pairs:
        if key in out:
            twice.append(key)
        out[key] = value
    out.twice = tuple(twice)
    return out


def read_json(data: bytes, *, name: str = "register.json",
              limit: int = REGISTER_MAX_BYTES) -> tuple[Any, list[Problem]]:
    """The document in ``data`` (UTF-8 JSON), or None with the problem that stopped it."""
    refused = too_big(name, len(data), limit)
    if refused:
        return None, [refused]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(name, f"not UTF-8 text (byte {exc.start + 1})")]
    try:
        document = json.loads(text, object_pairs_hook=_pairs, parse_constant=_no_constant)
    except ValueError as exc:
        return None, [Problem(name, f"not valid JSON ({exc})")]
    except RecursionError:
        return None, [Problem(name, "not a register: its lists and objects nest too deeply "
                                    "to be read (a register nests a few levels)")]
    return document, []


# ---------------------------------------------------------------- checking

def check(document: Any, rules: Rules, locate: Locator | None = None,
          ) -> tuple[Register | None, list[Problem]]:
    """Check a register document; every problem found, and the normalised register when
    there is none."""
    checker = _Checker(rules, locate or Locator())
    register = checker.register(document)
    return (None if checker.problems else register), checker.problems


class _Checker:
    def __init__(self, rules: Rules, locate: Locator):
        self.rules, self.locate = rules, locate
        self.problems: list[Problem] = []
        self.organisation_ids: set[str] = set()

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))

    # -- the document

    def register(self, document: Any) -> Register:
        register = Register()
        if not isinstance(document, dict):
            self.add("register", 'must be a JSON object with "organisations" and "projects"')
            return register
        self.twice(document, lambda *f: "register")
        register.title = self.text(document.get("title"), lambda *f: "title") or ""
        for section in ("organisations", "projects"):
            if not isinstance(document.get(section), list):
                self.add(section, "missing: the register needs a list of "
                                  f"{section} (it may be empty)" if section not in document
                         else "must be a list")
        organisations = document.get("organisations")
        projects = document.get("projects")
        if isinstance(organisations, list):
            register.organisations = self.all_organisations(organisations)
        if isinstance(projects, list):
            register.projects = self.all_projects(projects)
        return register

    def all_organisations(self, items: list) -> list[OrganisationEntry]:
        out, seen = [], {}
        for i, item in enumerate(items):
            entry = self.organisation(i, item)
            if entry is None:
                continue
            if entry.id in seen:
                self.add(self.locate("organisations", i, entry.id, "id"),
                         f"duplicate id: also organisations[{seen[entry.id] + 1}]")
            else:
                seen[entry.id] = i
            out.append(entry)
        self.organisation_ids = set(seen)
        return out

    def all_projects(self, items: list) -> list[ProjectEntry]:
        out, seen = [], {}
        for i, item in enumerate(items):
            entry = self.project(i, item)
            if entry is None:
                continue
            if entry.id in seen:
                self.add(self.locate("projects", i, entry.id, "id"),
                         f"duplicate id: also projects[{seen[entry.id] + 1}]")
            else:
                seen[entry.id] = i
            out.append(entry)
        return out

    # -- items

    def organisation(self, i: int, item: Any) -> OrganisationEntry | None:
        item_id = item.get("id") if isinstance(item, dict) else None
        at = _at(self.locate, "organisations", i, item_id if isinstance(item_id, str) else "")
        if not self.object(item, ORGANISATION_FIELDS, at):
            return None
        entry = OrganisationEntry(
            id=self.slug(item.get("id"), at, reserved=False),
            name=self.text(item.get("name"), at, "name", required=True,
                           limit="organisation.name"),
            kind=self.choice(item.get("kind"), at, "kind", self.rules.kinds, required=True),
            url=self.text(item.get("url"), at, "url", limit="organisation.url"),
            sources=self.text_list(item.get("sources"), at, "sources"))
        return entry

    def project(self, i: int, item: Any) -> ProjectEntry | None:
        item_id = item.get("id") if isinstance(item, dict) else None
        at = _at(self.locate, "projects", i, item_id if isinstance(item_id, str) else "")
        if not self.object(item, PROJECT_FIELDS, at):
            return None
        entry = ProjectEntry(
            id=self.slug(item.get("id"), at, reserved=True),
            title=self.text(item.get("title"), at, "title", required=True,
                            limit="project.title"),
            summary=self.text(item.get("summary"), at, "summary"),
            status=self.choice(item.get("status"), at, "status", self.rules.statuses)
            or "unknown",
            people_involved_or_affected=self.text(item.get("people_involved_or_affected"), at,
                                                  "people_involved_or_affected"),
            social_difference_notes=self.text(item.get("social_difference_notes"), at,
                                              "social_difference_notes"),
            champion=self.text(item.get("champion"), at, "champion", limit="project.champion"),
        )
        entry.start, entry.end = self.dates(item.get("start"), item.get("end"), at)
        for key in TEXT_LISTS:
            limit = "data.description" if key == "data_collected" else None
            setattr(entry, key, self.text_list(item.get(key), at, key, limit=limit))
        entry.places = [p for j, x in enumerate(self.items(item.get("places"), at, "places"))
                        if (p := self.place(x, at, j)) is not None]
        entry.partners = self.partners(item.get("partners"), at)
        entry.funding = [f for j, x in enumerate(self.items(item.get("funding"), at, "funding"))
                         if (f := self.funding(x, at, j)) is not None]
        entry.links = [lk for j, x in enumerate(self.items(item.get("links"), at, "links"))
                       if (lk := self.link(x, at, j)) is not None]
        city_wide = item.get("city_wide")
        if city_wide is not None and not isinstance(city_wide, bool):
            self.add(at("city_wide"), f"must be true, false or null, not {_show(city_wide)}")
        else:
            entry.city_wide = city_wide
        return entry

    def partners(self, value: Any, at) -> list[PartnerEntry]:
        out, seen = [], set()
        for j, item in enumerate(self.items(value, at, "partners")):
            where = partial_at(at, ("partners", j))
            if not self.object(item, PARTNER_FIELDS, where):
                continue
            organisation = self.known(item.get("organisation"), where, "organisation")
            role = self.choice(item.get("role"), where, "role", self.rules.roles, required=True)
            if organisation and role:
                if (organisation, role) in seen:
                    self.add(where(), f'"{organisation}" is already listed as {role}')
                seen.add((organisation, role))
                out.append(PartnerEntry(organisation, role))
        return out

    def funding(self, item: Any, at, j: int) -> FundingEntry | None:
        where = partial_at(at, ("funding", j))
        if not self.object(item, FUNDING_FIELDS, where):
            return None
        funder = self.known(item.get("funder"), where, "funder")
        amount = item.get("amount_gbp")
        if amount is not None and (isinstance(amount, bool) or not isinstance(amount, int | float)
                                   or amount < 0 or amount != int(amount)):
            self.add(where("amount_gbp"), "must be a whole number of pounds (0 or more) or null, "
                                          f"not {_show(amount)}")
            amount = None
        return FundingEntry(funder=funder or "",
                            amount_gbp=None if amount is None else int(amount),
                            programme=self.text(item.get("programme"), where, "programme",
                                                limit="funding.programme"),
                            source=self.text(item.get("source"), where, "source",
                                             limit="funding.source"))

    def link(self, item: Any, at, j: int) -> LinkEntry | None:
        where = partial_at(at, ("links", j))
        if not self.object(item, LINK_FIELDS, where):
            return None
        return LinkEntry(title=self.text(item.get("title"), where, "title"),
                         url=self.text(item.get("url"), where, "url", required=True))

    def place(self, item: Any, at, j: int) -> PlaceEntry | None:
        where = partial_at(at, ("places", j))
        if not self.object(item, PLACE_FIELDS, where):
            return None
        place = PlaceEntry(
            description=self.text(item.get("description"), where, "description",
                                  limit="place.description"),
            areas=self.text_list(item.get("areas"), where, "areas"))
        lat, lon, geometry = item.get("lat"), item.get("lon"), item.get("geometry")
        if (lat is None) != (lon is None):
            self.add(where("lat" if lat is None else "lon"),
                     "give both lat and lon, or neither")
        elif lat is not None and geometry is not None:
            self.add(where("geometry"), "give lat and lon or a geometry, not both")
        elif lat is not None:
            self.point(place, lat, lon, where)
        elif geometry is not None:
            self.geometry(place, geometry, where)
        if not (place.description or place.areas or place.shape is not None
                or lat is not None or geometry is not None):
            self.add(where(), "an empty place: give a description, areas, lat and lon, or a "
                              "geometry")
        return place

    # -- places

    def point(self, place: PlaceEntry, lat: Any, lon: Any, where) -> None:
        bad = [(k, v) for k, v in (("lat", lat), ("lon", lon))
               if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)]
        for key, value in bad:
            self.add(where(key), f"must be a number (degrees), not {_show(value)}")
        if bad:
            return
        city = self.rules.city
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            if abs(lon) <= 90 and abs(lat) <= 180 and (
                    city is None or city.reaches(point_bng(lat, lon))):
                inside = f", and swapped they lie in {city.name}" if city else ""
                self.add(where("lat/lon"), f"coordinates look swapped: lat {lat} is not a "
                                           f"latitude (-90 to 90){inside}")
            else:
                key = "lat" if not -90 <= lat <= 90 else "lon"
                limit = 90 if key == "lat" else 180
                self.add(where(key), f"must be between -{limit} and {limit} degrees, not "
                                     f"{lat if key == 'lat' else lon}")
            return
        # beyond Great Britain nothing is projected (the grid means nothing there)
        beyond = not in_bng_area(lon, lat)
        point = None if beyond else point_bng(lon, lat)
        if beyond or (city is not None and not city.reaches(point)):
            swapped = in_bng_area(lat, lon) and city is not None and city.reaches(
                point_bng(lat, lon))
            if swapped:
                self.add(where("lat/lon"), f"coordinates look swapped: lat {lat}, lon {lon} lies "
                                           f"outside {city.name}, but swapped it lies inside "
                                           f"(lat is north-south: about {city.latitude:.0f} "
                                           "here)")
            elif beyond:
                self.add(where("lat/lon"), f"lat {lat}, lon {lon} lies far outside "
                                           f"{city.name if city else 'the city'}: beyond "
                                           f"{bng_area_words()}")
            else:
                self.add(where("lat/lon"), f"lat {lat}, lon {lon} lies outside {city.name} "
                                           f"({_km(city.distance(point))} from its boundary)")
            return
        place.lat, place.lon, place.shape, place.kind = float(lat), float(lon), point, "point"

    def geometry(self, place: PlaceEntry, value: Any, where) -> None:
        at = where("geometry")
        geometry = self.geojson(value, at)
        if geometry is None:
            return
        coordinates = shapely.get_coordinates(geometry)
        lon, lat = coordinates[:, 0], coordinates[:, 1]
        city = self.rules.city
        # beyond Great Britain nothing is projected (the grid means nothing there)
        inside = in_bng_area(lon, lat)
        projected = to_bng(_one(geometry))[0] if inside.all() else None
        if projected is None or (city is not None and not city.reaches(projected)):
            if city is not None and in_bng_area(lat, lon).all() and city.reaches(
                    to_bng(_one(shapely.transform(geometry, lambda xy: xy[:, ::-1])))[0]):
                self.add(at, f"coordinates look swapped: the geometry lies outside {city.name}, "
                             "but swapped it lies inside (GeoJSON gives longitude first)")
            elif projected is None:
                k = int(np.argmin(inside))
                self.add(at, f"position {k + 1} (lon {lon[k]:g}, lat {lat[k]:g}) lies far "
                             f"outside {city.name if city else 'the city'}: beyond "
                             f"{bng_area_words()}")
            else:
                self.add(at, f"lies outside {city.name}: no part of it is within the city "
                             f"({_km(city.distance(projected))} from its boundary)")
            return
        place.geometry, place.shape = value, projected
        place.kind = GEOMETRY_KINDS[geometry.geom_type]

    def geojson(self, value: Any, at: str):
        """A GeoJSON geometry as a valid shapely geometry in WGS84, or None (said why)."""
        if not isinstance(value, dict) or "type" not in value:
            self.add(at, 'must be a GeoJSON geometry ({"type": "Polygon", "coordinates": '
                         f"[...]}}), not {_show(value)}")
            return None
        kind = value.get("type")
        if kind in ("Feature", "FeatureCollection"):
            self.add(at, f"is a {kind}: give one geometry (a Feature's \"geometry\")")
            return None
        if kind not in GEOMETRY_KINDS:
            self.add(at, f"type {_show(kind)}: use one of {', '.join(GEOMETRY_KINDS)}")
            return None
        try:
            geometry = shape(value)
            coordinates = shapely.get_coordinates(geometry)
        except Exception as exc:  # noqa: BLE001 - shapely raises many kinds on bad GeoJSON
            self.add(at, f"not a valid GeoJSON {kind}: {_short(str(exc) or type(exc).__name__)}")
            return None
        if geometry.is_empty or not len(coordinates):
            self.add(at, "is empty: it has no coordinates")
            return None
        if not np.isfinite(coordinates).all():
            self.add(at, "coordinates must be numbers")
            return None
        lon, lat = coordinates[:, 0], coordinates[:, 1]
        if not ((np.abs(lon) <= 180).all() and (np.abs(lat) <= 90).all()):
            if (lon >= 0).all() and (lat >= 0).all() and lon.max() <= 700_000 \
                    and lat.max() <= 1_300_000:
                self.add(at, "coordinates look like British National Grid metres: give WGS84 "
                             "longitude, latitude (GeoJSON's order)")
            else:
                self.add(at, "coordinates must be longitude -180..180, latitude -90..90 "
                             "(WGS84, longitude first)")
            return None
        if not geometry.is_valid:
            self.add(at, _invalid(shapely.is_valid_reason(geometry)))
            return None
        return geometry

    # -- values

    def object(self, item: Any, fields: tuple[str, ...], at) -> bool:
        if not isinstance(item, dict):
            self.add(at(), f"must be an object with {', '.join(fields)}, not {_show(item)}")
            return False
        self.twice(item, at)
        unknown = [k for k in item if k not in fields]
        if unknown:
            self.add(at(), f"unknown field(s) {', '.join(_show(k) for k in unknown)} "
                           f"(fields: {', '.join(fields)})")
        return True

    def twice(self, item: dict, at) -> None:
        for key in getattr(item, "twice", ()):
            self.add(at(key), "given twice in one object (a JSON reader keeps only one)")

    def text(self, value: Any, at, key: str = "", *, required: bool = False,
             limit: str | None = None) -> str:
        where = at(key) if key else at()
        if value is None or value == "":
            if required:
                self.add(where, "missing: it is required")
            return ""
        if not isinstance(value, str):
            self.add(where, f"must be text, not {_show(value)}")
            return ""
        value = value.strip()
        most = self.rules.lengths.get(limit or "")
        if most and len(value) > most:
            self.add(where, f"{len(value)} characters: at most {most}")
        if "\x00" in value:
            self.add(where, "holds a NUL character")
        return value

    def text_list(self, value: Any, at, key: str, *, limit: str | None = None) -> list[str]:
        out = []
        for j, item in enumerate(self.items(value, at, key)):
            where = partial_at(at, (key, j))
            text = self.text(item, where, required=True, limit=limit)
            if "\n" in text or "\r" in text:
                self.add(where(), "one line each: a list item may not hold a line break")
            elif text:
                out.append(text)
        return out

    def items(self, value: Any, at, key: str) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(at(key), f"must be a list, not {_show(value)}")
            return []
        return value

    def choice(self, value: Any, at, key: str, allowed: Iterable[str], *,
               required: bool = False) -> str:
        if value is None or value == "":
            if required:
                self.add(at(key), f"missing: use one of {', '.join(sorted(allowed))}")
            return ""
        if value not in allowed:
            self.add(at(key), f"unknown {key} {_show(value)}: use one of "
                              f"{', '.join(sorted(allowed))}")
            return ""
        return value

    def known(self, value: Any, at, key: str) -> str:
        if value is None or value == "":
            self.add(at(key), "missing: give an organisation's id")
            return ""
        if not isinstance(value, str) or value not in self.organisation_ids:
            self.add(at(key), f"unknown organisation {_show(value)} (not in the register's "
                              "organisations)")
            return ""
        return value

    def slug(self, value: Any, at, *, reserved: bool) -> str:
        if value is None or value == "":
            self.add(at("id"), "missing: every item needs an id")
            return ""
        if not isinstance(value, str) or not SLUG.match(value) or len(value) > SLUG_MAX:
            self.add(at("id"), f"{_show(value)} is not an id: use lower-case letters, digits, "
                               f"hyphens and underscores (at most {SLUG_MAX})")
            return ""
        if reserved and value in self.rules.reserved:
            self.add(at("id"), f'"{value}" is an address of the register\'s own pages: choose '
                               "another id")
            return ""
        return value

    def dates(self, start: Any, end: Any, at) -> tuple[str, str]:
        bounds = {}
        for key, value in (("start", start), ("end", end)):
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                self.add(at(key), f"must be text (2014, 2014-05 or 2014-05-01), not "
                                  f"{_show(value)}")
                continue
            try:
                bounds[key] = day_range(value)
            except ValueError as exc:
                self.add(at(key), str(exc))
        if "start" in bounds and "end" in bounds and bounds["end"][1] < bounds["start"][0]:
            self.add(at("end"), f'"{end}" is before the start "{start}"')
        return (start if "start" in bounds else "", end if "end" in bounds else "")


# ---------------------------------------------------------------- writing

def to_document(register: Register, **metadata: Any) -> dict:
    """The register as its JSON document (blank text as null, as the real file has it)."""
    return {"title": register.title or None, **metadata,
            "organisations": [{"id": o.id, "name": o.name, "kind": o.kind,
                               "url": o.url or None, "sources": list(o.sources)}
                              for o in register.organisations],
            "projects": [_project_document(p) for p in register.projects]}


def _project_document(p: ProjectEntry) -> dict:
    return {
        "id": p.id, "title": p.title, "summary": p.summary or None, "status": p.status,
        "start": p.start or None, "end": p.end or None, "themes": list(p.themes),
        "technologies": list(p.technologies), "places": [_place_document(x) for x in p.places],
        "partners": [{"organisation": x.organisation, "role": x.role} for x in p.partners],
        "funding": [{"funder": x.funder, "amount_gbp": x.amount_gbp,
                     "programme": x.programme or None, "source": x.source or None}
                    for x in p.funding],
        "data_collected": list(p.data_collected),
        "people_involved_or_affected": p.people_involved_or_affected or None,
        "social_difference_notes": p.social_difference_notes or None,
        "sources": list(p.sources), "uncertain": list(p.uncertain),
        "champion": p.champion or None,
        "links": [{"title": x.title or None, "url": x.url} for x in p.links],
        "city_wide": p.city_wide,
    }


def _place_document(place: PlaceEntry) -> dict:
    out: dict = {"description": place.description or None, "lat": place.lat, "lon": place.lon,
                 "areas": list(place.areas)}
    if place.geometry is not None:
        out["geometry"] = place.geometry
    return out


def place_from_shape(description: str, shape_bng, areas: list[str]) -> PlaceEntry:
    """A place written out from a stored geometry (EPSG:27700): a single point as lat/lon,
    anything else as a GeoJSON geometry in WGS84, both to :data:`DECIMALS` places."""
    if shape_bng is None:
        return PlaceEntry(description=description, areas=list(areas))
    if shape_bng.geom_type == "Point":
        lon, lat = bng_to_lonlat([shape_bng.x], [shape_bng.y])
        return PlaceEntry(description=description, lat=round(float(lat[0]), DECIMALS),
                          lon=round(float(lon[0]), DECIMALS), areas=list(areas), kind="point")

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lon, lat = bng_to_lonlat(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([lon, lat]), DECIMALS)

    wgs84 = shapely.transform(shape_bng, to_lonlat)
    return PlaceEntry(description=description, areas=list(areas), geometry=_plain(mapping(wgs84)),
                      kind=GEOMETRY_KINDS.get(wgs84.geom_type))


# ---------------------------------------------------------------- small helpers

def _at(locate: Locator, section: str, index: int, item_id: str) -> Callable[..., str]:
    return lambda *fields: locate(section, index, item_id, *fields)


def partial_at(at: Callable[..., str], prefix: tuple[str, int]) -> Callable[..., str]:
    return lambda *fields: at(prefix, *fields)


def _one(geometry) -> np.ndarray:
    out = np.empty(1, dtype=object)
    out[0] = geometry
    return out


def point_bng(lon: float, lat: float):
    """A longitude/latitude point (degrees) as a British National Grid point (metres)."""
    x, y = lonlat_to_bng([lon], [lat])
    return shapely.Point(float(x[0]), float(y[0]))


def _invalid(reason: str) -> str:
    match = re.match(r"(.*?)\[\s*(-?[\d.e+-]+)\s+(-?[\d.e+-]+)\s*\]", reason or "")
    if match and "self-intersection" in match.group(1).lower():
        return (f"is self-intersecting near lon {float(match.group(2)):.5f}, lat "
                f"{float(match.group(3)):.5f}: a boundary must not cross itself")
    return f"is not a valid geometry: {reason}"


def _km(metres: float) -> str:
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def too_big(name: str, size: int, limit: int) -> Problem | None:
    if size <= limit:
        return None
    return Problem(_short(name), f"the file is {format_size(size)}; the largest register "
                                 f"accepted is {format_size(limit)}. Nothing was read")


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def _short(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def _show(value: Any) -> str:
    """A value as a message shows it: text quoted and cut short, others as JSON."""
    if isinstance(value, str):
        return f'"{_short(value, 60)}"'
    try:
        return _short(json.dumps(value), 60)
    except (TypeError, ValueError, RecursionError):
        return type(value).__name__


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _plain(value: Any) -> Any:
    """Tuples from shapely's ``mapping`` as lists, so a document compares equal to JSON."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
