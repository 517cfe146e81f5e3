"""A project's footprint: its places as one geometry, and the use cases that change them.

``footprint_geometry(project)`` is the footprint the lens reads: every part with a place,
in British National Grid metres (EPSG:27700), kept apart in one GeometryCollection (a
point inside an area stays a point, so it still reaches 800 m around it):

* an AREA part is the area's polygon in the loaded city (``places.cache.city_state``);
* POINT, LINE and BOUNDARY parts are their stored WKB;
* WORDS parts ("lamp columns at key junctions") have no place and are left out.

Editors add parts from a GeoJSON file or pasted text (``add_geojson``), by area name
(``add_areas``) or as a point (``add_point``), remove them (``remove_part``) and mark a
project city-wide (``set_city_wide``). Every check fails with a ``FootprintError`` naming the
form field and, for GeoJSON, the feature and its member at fault, and changes nothing: the
parts of one file are saved together or not at all.

GeoJSON is read as RFC 7946 says: WGS84 longitude, latitude (in that order); a "crs" member
is accepted only when it names WGS84. Accepted geometries: Point, LineString, Polygon and
their Multi* forms. A feature is refused when it is invalid (self-intersecting rings and the
like, said with GEOS's explain-validity reason, ``shapely.is_valid_reason``), when its
coordinates read as latitude, longitude (swapped, it would lie in the city), when a position
lies beyond British National Grid's area of use (Great Britain: checked before projecting,
``projection.BNG_AREA_OF_USE``), or when no part of it lies within the city's boundary.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import shapely
from django.db import transaction
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry import shape as geojson_shape

from commonground.activity.inputs import FieldError, parse_id
from commonground.datastore.fetch import format_size
from commonground.geography.projection import bng_area_words, in_bng_area, to_bng
from commonground.places.cache import CityState, city_state
from commonground.places.names import PlaceError, check_places

from .models import Project, ProjectPlace

#: Largest GeoJSON accepted, in bytes (a file; pasted text stops at Django's
#: DATA_UPLOAD_MAX_MEMORY_SIZE first, 2.5 MB by default).
MAX_GEOJSON_BYTES = 5 << 20
#: Most features one GeoJSON may add.
MAX_FEATURES = 500

_KINDS = {"Point": ProjectPlace.Kind.POINT, "MultiPoint": ProjectPlace.Kind.POINT,
          "LineString": ProjectPlace.Kind.LINE, "MultiLineString": ProjectPlace.Kind.LINE,
          "Polygon": ProjectPlace.Kind.BOUNDARY, "MultiPolygon": ProjectPlace.Kind.BOUNDARY}
#: How deep each geometry's coordinates nest (1: a position).
_DEPTH = {"Point": 1, "MultiPoint": 2, "LineString": 2, "MultiLineString": 3, "Polygon": 3,
          "MultiPolygon": 4}
_WGS84 = CRS.from_epsg(4326)
#: How a GeoJSON "crs" member names a CRS: an OGC URN or URL, or AUTHORITY:CODE.
_CRS_NAME = re.compile(r"^(urn:ogc:def:crs:[\w.]+:[\w.]*:\w+|(EPSG|OGC|ESRI):\w+|"
                       r"https?://www\.opengis\.net/def/crs/[\w.]+/[\w.]+/\w+)$", re.I)


class FootprintError(FieldError):
    """A footprint part that cannot be added or removed; ``field`` is the form's field."""


@dataclass(frozen=True)
class Part:
    """A checked part, ready to be saved: its kind, words and BNG geometry."""

    kind: str
    description: str
    geometry: object  # shapely, EPSG:27700


# ------------------------------------------------------------------------------ reading

def _positions(state: CityState) -> dict[str, tuple[str, int]]:
    """Every loaded area's code → (geography, position), once per load."""
    def build():
        return {a.code: (g, i) for g, areas in state.by_geography.items()
                for i, a in enumerate(areas)}
    return state.derived("area positions by code", build)


def area_geometry(code: str, state: CityState | None = None):
    """The loaded area's polygon (EPSG:27700), or None when the city has no such area."""
    state = state or city_state()
    found = _positions(state).get(code)
    return None if found is None else state.geometries(found[0])[found[1]]


def city_outline(state: CityState | None = None):
    """The city's boundary: the union of its base areas (once per load; never prepared)."""
    state = state or city_state()
    return state.derived("city outline",
                         partial(shapely.union_all, state.geometries(state.base)))


def footprint_geometry(project: Project, state: CityState | None = None):
    """The project's footprint as one GeometryCollection (EPSG:27700), None when no part has
    a place. An area part whose code the loaded city no longer has is left out."""
    state = state or city_state()
    parts = []
    for place in project.places.all():
        if place.kind == ProjectPlace.Kind.AREA:
            geometry = area_geometry(place.area_code, state)
        elif place.kind != ProjectPlace.Kind.WORDS and place.geometry:
            geometry = shapely.from_wkb(bytes(place.geometry))
        else:
            geometry = None
        if geometry is not None and not geometry.is_empty:
            parts.append(geometry)
    return shapely.GeometryCollection(parts) if parts else None


def footprint_key(geometry) -> str:
    """Names a footprint geometry for memos: the SHA-256 of its WKB."""
    return hashlib.sha256(shapely.to_wkb(geometry)).hexdigest()


def footprint_record(project: Project) -> dict:
    """The footprint as its parts are stored, for a frozen lens to say what it describes:
    city-wide or not, each part's kind, words and area code, and ``key``, the SHA-256 of
    what the lens reads (city-wide or not; each placed part's kind, area code and geometry,
    in any order), so a changed key means the lens would read another footprint. Parts
    described only in words, and changed words, leave the key as it was."""
    parts = list(project.places.all())
    placed = sorted((p.kind, p.area_code, hashlib.sha256(bytes(p.geometry or b"")).hexdigest())
                    for p in parts if p.kind != ProjectPlace.Kind.WORDS)
    key = hashlib.sha256(json.dumps([bool(project.city_wide), placed]).encode()).hexdigest()
    return {"city_wide": bool(project.city_wide), "key": key,
            "parts": [{"kind": p.kind, "description": p.description, "area_code": p.area_code}
                      for p in parts]}


def described_only(project: Project) -> list[str]:
    """The words of the parts that have no place."""
    return [p.description or ", ".join(p.names) for p in project.places.all()
            if p.kind == ProjectPlace.Kind.WORDS and (p.description or p.names)]


# ------------------------------------------------------------------------------ GeoJSON

def parse_geojson(data: bytes | str, *, field: str = "geojson",
                  state: CityState | None = None) -> list[Part]:
    """The features of a GeoJSON document as checked parts; ``FootprintError`` (on ``field``)
    names the first thing wrong. Refused by size before it is read."""
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > MAX_GEOJSON_BYTES:
        raise FootprintError(field, f"GeoJSON: the file is {format_size(size)}; the largest "
                                    f"accepted is {format_size(MAX_GEOJSON_BYTES)}")
    if size == 0 or not (data.strip() if isinstance(data, str) else data.strip()):
        raise FootprintError(field, "GeoJSON: the file is empty")
    document = _json(data, field)
    state = state or city_state()
    features = _features(document, field)
    _check_crs(document.get("crs"), field, "GeoJSON “crs”")
    outline = city_outline(state)
    parts = []
    for n, feature in enumerate(features, 1):
        parts.append(_feature(feature, n, field, outline, state.run.city_name))
    return parts


def _json(data: bytes | str, field: str):
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FootprintError(field, f"GeoJSON: the file is not UTF-8 text (byte "
                                        f"{exc.start + 1} cannot be read)") from None
    try:
        return json.loads(data, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise FootprintError(field, f"GeoJSON: this is not JSON: {exc.msg} at line "
                                    f"{exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise FootprintError(field, "GeoJSON: this is not JSON we can read: it nests too "
                                    "deeply") from None


#: Digits an integer may have and still be read as one (coordinates need a handful).
_INTEGER_DIGITS = 30


def _integer(text: str) -> int | float:
    """A JSON integer; a longer one than :data:`_INTEGER_DIGITS` is read as a float
    (infinite past about 309 digits), so the coordinate checks name the feature and
    position it is in rather than Python's integer-length limit stopping the whole read."""
    return int(text) if len(text.lstrip("-")) <= _INTEGER_DIGITS else float(text)


def _features(document, field: str) -> list:
    """The document's features (a Feature or a bare geometry counts as one)."""
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise FootprintError(field, "GeoJSON “features”: a FeatureCollection needs a list "
                                        "of features")
        if not features:
            raise FootprintError(field, "GeoJSON “features”: the collection has no features")
        if len(features) > MAX_FEATURES:
            raise FootprintError(field, f"GeoJSON “features”: {len(features):,} features; at "
                                        f"most {MAX_FEATURES} can be added at once")
        return features
    if kind == "Feature":
        return [document]
    if kind in _DEPTH or kind == "GeometryCollection":
        return [{"type": "Feature", "geometry": document}]
    said = f"“type” is {kind!r}" if isinstance(document, dict) else \
        f"the file holds a JSON {type(document).__name__}"
    raise FootprintError(field, f"GeoJSON: not GeoJSON: {said}; a GeoJSON file is a "
                                "FeatureCollection, a Feature or a geometry")


def _check_crs(crs, field: str, where: str) -> None:
    """A (2008-style) "crs" member must name WGS84; RFC 7946 has none at all."""
    if crs is None:
        return
    name = None
    if isinstance(crs, dict) and crs.get("type") == "name":
        name = (crs.get("properties") or {}).get("name") if isinstance(
            crs.get("properties"), dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise FootprintError(field, f"{where}: it does not name a coordinate "
                                    "reference system; remove it (GeoJSON is WGS84 "
                                    "longitude/latitude)")
    try:
        if not _CRS_NAME.match(name.strip()):  # a name only: never a PROJ string or WKT
            raise CRSError(name)
        named = CRS.from_user_input(name.strip())
    except CRSError:
        raise FootprintError(field, f"{where}: {name[:80]!r} is not a known "
                                    "coordinate reference system; export the file in WGS84 "
                                    "(EPSG:4326)") from None
    if not named.equals(_WGS84, ignore_axis_order=True):
        raise FootprintError(field, f"{where}: {named.name} ({name[:80]}) is not WGS84; "
                                    "export the file in WGS84 longitude/latitude "
                                    "(EPSG:4326), as GeoJSON (RFC 7946) requires")


def _feature_label(feature: dict) -> str:
    """The feature's own name, as its properties (or its id) give it; "" when none."""
    props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    for value in (props.get("name"), props.get("title"), props.get("description"),
                  props.get("id"), feature.get("id")):
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return ""


def _feature(feature, n: int, field: str, outline, city: str) -> Part:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise FootprintError(field, f"GeoJSON feature {n}: not a GeoJSON Feature (its “type” "
                                    "must be \"Feature\")")
    label = _feature_label(feature)
    name = f"feature {n} (“{label[:60]}”)" if label else f"feature {n}"

    def fail(member: str, problem: str):
        return FootprintError(field, f"GeoJSON {name}, “{member}”: {problem}")

    _check_crs(feature.get("crs"), field, f"GeoJSON {name}, “crs”")
    geometry = feature.get("geometry")
    if geometry is None:
        raise fail("geometry", "it is null: the feature has no place")
    if not isinstance(geometry, dict):
        raise fail("geometry", "it must be a GeoJSON geometry object")
    kind = geometry.get("type")
    if kind == "GeometryCollection":
        raise fail("geometry.type", "a GeometryCollection is not accepted: give each part "
                                    "as a feature of its own")
    if kind not in _DEPTH:
        raise fail("geometry.type", f"{str(kind)[:40]!r} is not one of Point, LineString, "
                                    "Polygon, MultiPoint, MultiLineString, MultiPolygon")
    positions = _check_coordinates(geometry.get("coordinates"), kind, fail)
    _check_grid_area(positions, fail, outline, city)
    shape = shapely.force_2d(geojson_shape(geometry))
    if shape.is_empty:
        raise fail("geometry.coordinates", "the geometry is empty")
    if not shape.is_valid:
        raise fail("geometry", f"the geometry is not valid: {shapely.is_valid_reason(shape)}")
    bng = to_bng(np.asarray([shape], dtype=object))[0]
    if not shapely.intersects(outline, bng):
        swapped = to_bng(np.asarray([shapely.transform(shape, lambda xy: xy[:, ::-1])],
                                    dtype=object))[0]
        if shapely.intersects(outline, swapped):
            lon, lat = shapely.get_coordinates(shape)[0]
            raise fail("geometry.coordinates", f"the coordinates are in the wrong order: "
                       f"[{lon:g}, {lat:g}] reads as latitude, longitude; GeoJSON puts "
                       f"longitude first ([{lat:g}, {lon:g}])")
        raise fail("geometry", f"it lies outside {city}: no part of it is within the city's "
                               "boundary")
    if not bng.is_valid:
        raise fail("geometry", "the geometry is not valid in British National Grid: "
                               f"{shapely.is_valid_reason(bng)}")
    return Part(kind=_KINDS[kind], description=(label or f"Uploaded {kind} (feature {n})")[:500],
                geometry=bng)


_COORDINATES = "geometry.coordinates"
_Fail = Callable[[str, str], FootprintError]


def _check_coordinates(coords, kind: str, fail: _Fail) -> list[tuple[str, float, float]]:
    """The coordinates nest as ``kind`` says, every position is [longitude, latitude] (a
    height may follow) of finite numbers in range, lines have two positions and rings four,
    closed. Returns every position as (where, longitude, latitude)."""
    positions: list[tuple[str, float, float]] = []
    _walk(coords, _DEPTH[kind], "", kind, fail, positions)
    return positions


def _check_grid_area(positions: list[tuple[str, float, float]], fail: _Fail, outline,
                     city: str) -> None:
    """Every position lies where British National Grid is defined (checked before anything
    is projected: beyond it the projection gives meaningless metres, and a whole-world
    polygon takes seconds to compare with the city). Coordinates that lie there only when
    swapped, and then in the city, are said to be in the wrong order."""
    lon = np.fromiter((p[1] for p in positions), float, len(positions))
    lat = np.fromiter((p[2] for p in positions), float, len(positions))
    inside = in_bng_area(lon, lat)
    if inside.all():
        return
    if in_bng_area(lat, lon).all():
        swapped = to_bng(np.asarray([shapely.MultiPoint(np.column_stack([lat, lon]))],
                                    dtype=object))[0]
        if shapely.intersects(outline, swapped):
            raise fail(_COORDINATES, f"the coordinates are in the wrong order: "
                       f"[{lon[0]:g}, {lat[0]:g}] reads as latitude, longitude; GeoJSON puts "
                       f"longitude first ([{lat[0]:g}, {lon[0]:g}])")
    k = int(np.argmin(inside))
    raise fail(_COORDINATES, f"{_at(positions[k][0])}[{lon[k]:g}, {lat[k]:g}] lies far outside "
                             f"{city}: beyond {bng_area_words()}")


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def _walk(value, depth: int, where: str, kind: str, fail: _Fail,
          positions: list[tuple[str, float, float]]) -> None:
    if depth == 1:
        _position(value, where, fail)
        positions.append((where, value[0], value[1]))
        return
    if not isinstance(value, list) or not value:
        raise fail(_COORDINATES, f"{_at(where)}expected a non-empty list, as a {kind}'s "
                                 "coordinates nest")
    for i, item in enumerate(value):
        _walk(item, depth - 1, f"{where}[{i}]", kind, fail, positions)
    if depth != 2:
        return
    if kind in ("LineString", "MultiLineString") and len(value) < 2:
        raise fail(_COORDINATES, f"{_at(where)}a line needs at least two positions")
    if kind in ("Polygon", "MultiPolygon"):
        if len(value) < 4:
            raise fail(_COORDINATES, f"{_at(where)}a ring needs at least four positions")
        if value[0] != value[-1]:
            raise fail(_COORDINATES, f"{_at(where)}the ring is not closed (its last position "
                                     "must repeat its first)")


def _position(value, where: str, fail: _Fail) -> None:
    if not (isinstance(value, list) and 2 <= len(value) <= 3 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value)):
        raise fail(_COORDINATES, f"{_at(where)}a position is [longitude, latitude], two "
                                 "numbers")
    if not all(math.isfinite(v) for v in value):
        raise fail(_COORDINATES, f"{_at(where)}a number is too large to be a longitude or "
                                 "latitude")
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        metres = abs(lon) > 1000 or abs(lat) > 1000
        raise fail(_COORDINATES, f"{_at(where)}[{lon:g}, {lat:g}] is not a longitude and "
                   "latitude" + (" (it looks like metres, British National Grid perhaps): "
                                 "export the file in WGS84" if metres else ""))


# ------------------------------------------------------------------------------ changing

def add_geojson(project: Project, data: bytes | str, *, field: str = "geojson"
                ) -> list[ProjectPlace]:
    """Add every feature of a GeoJSON document as a part, all or none."""
    parts = parse_geojson(data, field=field)
    return _save(project, parts)


def add_areas(project: Project, text: str) -> list[ProjectPlace]:
    """Add areas typed by name or code, comma-separated (``places.names.check_places``);
    an area already in the footprint is not added twice."""
    try:
        codes = check_places(text)
    except PlaceError as exc:
        raise FootprintError("areas", str(exc).replace("Places:", "Areas:", 1)) from None
    if not codes:
        raise FootprintError("areas", "Areas: type one or more area names or codes, "
                                      "separated by commas")
    state = city_state()
    have = set(project.places.filter(kind=ProjectPlace.Kind.AREA)
               .values_list("area_code", flat=True))
    positions = _positions(state)
    rows = []
    for code in codes:
        if code in have:
            continue
        geography, i = positions[code]
        rows.append(ProjectPlace(project=project, kind=ProjectPlace.Kind.AREA, area_code=code,
                                 description=state.by_geography[geography][i].display_name))
    with transaction.atomic():
        return ProjectPlace.objects.bulk_create(rows)


def add_point(project: Project, lat: str, lon: str, description: str = "") -> ProjectPlace:
    """Add a point typed as latitude and longitude (WGS84 degrees)."""
    values = {}
    for name, label, text, limit in (("lat", "Latitude", lat, 90), ("lon", "Longitude", lon, 180)):
        try:
            value = float(str(text).strip())
        except ValueError:
            raise FootprintError(name, f"{label}: type a number of degrees, such as "
                                       f"{'52.04' if name == 'lat' else '-0.76'}") from None
        if not (math.isfinite(value) and -limit <= value <= limit):
            raise FootprintError(name, f"{label}: {text.strip()[:20]} is not between "
                                       f"-{limit} and {limit}")
        values[name] = value
    state = city_state()
    point = shapely.Point(values["lon"], values["lat"])
    beyond = not in_bng_area(values["lon"], values["lat"])  # nothing projected beyond GB
    bng = None if beyond else to_bng(np.asarray([point], dtype=object))[0]
    if beyond or not shapely.intersects(city_outline(state), bng):
        swapped = to_bng(np.asarray([shapely.Point(values["lat"], values["lon"])],
                                    dtype=object))[0] if in_bng_area(values["lat"],
                                                                     values["lon"]) else None
        if swapped is not None and shapely.intersects(city_outline(state), swapped):
            raise FootprintError("lat", f"Latitude and longitude are the wrong way round: "
                                        f"{values['lat']:g}, {values['lon']:g} lies in "
                                        f"{state.run.city_name} as latitude {values['lon']:g}, "
                                        f"longitude {values['lat']:g}")
        raise FootprintError("lat", f"Latitude: {values['lat']:g}, {values['lon']:g} lies "
                                    + (f"far outside {state.run.city_name}: beyond "
                                       f"{bng_area_words()}" if beyond else
                                       f"outside {state.run.city_name}"))
    part = Part(kind=ProjectPlace.Kind.POINT,
                description=description.strip()[:500] or
                f"Point at {values['lat']:.5f}, {values['lon']:.5f}", geometry=bng)
    return _save(project, [part])[0]


def _save(project: Project, parts: list[Part]) -> list[ProjectPlace]:
    rows = [ProjectPlace(project=project, kind=p.kind, description=p.description,
                         geometry=shapely.to_wkb(p.geometry)) for p in parts]
    with transaction.atomic():
        return ProjectPlace.objects.bulk_create(rows)


def remove_part(project: Project, part_id) -> None:
    pk = parse_id(part_id)
    deleted = 0
    if pk is not None:
        deleted, _ = ProjectPlace.objects.filter(project=project, pk=pk).delete()
    if not deleted:
        raise FootprintError("part", f"Part: {str(part_id)[:20]!r} is not a part of this "
                                     "project's footprint")


def set_city_wide(project: Project, city_wide: bool) -> None:
    """Mark the project as working across the whole city (its footprint is the city)."""
    project.city_wide = bool(city_wide)
    project.save(update_fields=["city_wide", "updated"])
