"""The command line's point lookup tests the few boundaries whose box holds the point in
plain Python (``geography.wkb_contains``), not with shapely: on the real city's boundaries it
must say what ``shapely.intersects_xy`` says, inside, outside, on a vertex, on an edge and a
hair's breadth off either, and the lookup must give the pages' answer."""

from __future__ import annotations

import random
import struct

import numpy as np
import pytest
import shapely

from commonground.geography.wkb_contains import intersects_xy
from commonground.places.models import Area

pytestmark = pytest.mark.django_db


def points_to_try(geometry, rng: random.Random) -> list[tuple[float, float]]:
    """Points inside and around a boundary's box, and on and just off its vertices and edges."""
    x0, y0, x1, y1 = shapely.bounds(geometry)
    points = [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(25)]
    coords = shapely.get_coordinates(geometry)
    for i in rng.sample(range(len(coords) - 1), min(8, len(coords) - 1)):
        (ax, ay), (bx, by) = coords[i], coords[i + 1]
        points += [(ax, ay), ((ax + bx) / 2, (ay + by) / 2), (ax, (ay + by) / 2), ((ax + bx) / 2, by),
                   (np.nextafter(ax, np.inf), ay), (ax, np.nextafter(ay, -np.inf)),
                   (np.nextafter((ax + bx) / 2, np.inf), (ay + by) / 2)]
    return [(float(x), float(y)) for x, y in points]


def test_a_point_is_in_a_real_boundary_exactly_when_shapely_says_so(loaded):
    rng = random.Random(20)  # noqa: S311 (points to try, the same each run)
    rows = Area.objects.filter(geography__in=[loaded.base, "ward", "lad"]).order_by("code") \
        .values_list("geometry_wkb", flat=True)
    kinds, tried = set(), 0
    for wkb in rows:
        geometry = shapely.from_wkb(bytes(wkb))
        kinds.add(geometry.geom_type)
        for x, y in points_to_try(geometry, rng):
            assert intersects_xy(bytes(wkb), x, y) is bool(shapely.intersects_xy(geometry, x, y)), (x, y)
            tried += 1
    assert tried > 10_000 and "Polygon" in kinds


def test_holes_multipolygons_and_other_geometries():
    square = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
    two = shapely.MultiPolygon([square, shapely.box(20, 0, 30, 10)])
    for geometry in (square, two, shapely.GeometryCollection([two]), shapely.Polygon()):
        for big_endian in (False, True):
            wkb = shapely.to_wkb(geometry, byte_order=0 if big_endian else 1)
            for x, y in [(1, 1), (5, 5), (4, 5), (6, 6), (10, 5), (25, 5), (30, 10), (15, 5), (-1, 0), (0, 0)]:
                assert intersects_xy(wkb, x, y) is bool(shapely.intersects_xy(geometry, x, y)), (geometry, x, y)
    with_z = shapely.to_wkb(shapely.Polygon([(0, 0, 1), (10, 0, 1), (10, 10, 1), (0, 0, 1)]))
    assert intersects_xy(with_z, 8, 2) is True and intersects_xy(with_z, 2, 8) is False
    assert intersects_xy(shapely.to_wkb(shapely.Point(1, 1)), 1, 1) is None  # shapely decides
    assert intersects_xy(struct.pack("<BI", 1, 3), 0, 0) is None  # cut short


def test_the_command_lines_lookup_gives_the_pages_answer(loaded):
    from commonground.geography.projection import bng_to_lonlat, lonlat_to_bng
    from commonground.places import search
    from commonground.places.lookup import _to_bng, areas_at_from_database

    base = loaded.by_geography[loaded.base]
    corners = [(a.easting, a.northing) for a in base[::5]]
    lons, lats = bng_to_lonlat([x for x, _ in corners], [y for _, y in corners])
    for lat, lon in zip(lats.tolist(), lons.tolist(), strict=True):
        assert areas_at_from_database(lat, lon) == search.areas_at(lat, lon, loaded)
        assert _to_bng(lon, lat) == tuple(float(v[0]) for v in lonlat_to_bng([lon], [lat]))
