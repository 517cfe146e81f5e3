"""Coordinate transforms between WGS84 longitude/latitude and British National Grid.

Distances and areas are computed on British National Grid (EPSG:27700, metres); WGS84
(EPSG:4326, degrees) is used only at the edges: input files and web output. The
transform uses PROJ's EPSG definitions shipped with pyproj, so it works offline.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


@lru_cache(maxsize=8)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def lonlat_to_bng(lon, lat) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude in degrees → easting/northing in metres (arrays in, arrays out)."""
    x, y = _transformer(WGS84, BNG).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x), np.asarray(y)


def bng_to_lonlat(x, y) -> tuple[np.ndarray, np.ndarray]:
    """Easting/northing in metres → longitude/latitude in degrees."""
    lon, lat = _transformer(BNG, WGS84).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lon), np.asarray(lat)


def to_bng(geometries: np.ndarray, source_crs: str = WGS84) -> np.ndarray:
    """Reproject an array of shapely geometries from ``source_crs`` to British National Grid."""
    if source_crs.upper() in (BNG, "EPSG:27700"):
        return geometries
    transformer = _transformer(source_crs.upper(), BNG)
    return shapely.transform(
        geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
    )
