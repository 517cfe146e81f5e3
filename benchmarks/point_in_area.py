"""Benchmark: which LSOA 2021 holds each point? AreaIndex.locate against geopandas.sjoin.

    .venv/bin/python benchmarks/point_in_area.py [--points N] [--repeat R] [--seed S]

Reads the Milton Keynes LSOA 2021 boundaries named by the data folder's manifest
(``datapackage.json``: role "boundaries", geography "lsoa21"; folder from the environment
variable COMMONGROUND_DATA, default ``../shared/data`` beside the repository), projects them
to British National Grid (EPSG:27700) and draws N uniform random points (seeded) in their
bounding box. Both methods get the same points and the same polygons, in EPSG:27700.

Timed, best of R repeats:

* ``AreaIndex(...)``: building the index from unprepared polygons (one-off per boundary set);
* ``AreaIndex.locate``: the lookup of all N points;
* ``sjoin (sindex prebuilt)``: ``geopandas.sjoin(points, lsoa, predicate="within")`` when the
  points' spatial index already exists (sjoin's best case; for "within" geopandas indexes
  the *points* and queries them with the polygons);
* ``points sindex build``: building that STRtree over the N points (on a fresh frame);
* ``sjoin (incl. sindex)``: sjoin on a fresh frame, index build included;
* ``STRtree.query only``: the shapely query inside sjoin, without assembling a DataFrame.

The points GeoDataFrame is built with ``geopandas.points_from_xy`` outside every timed
region. Agreement is checked afterwards: sjoin's "within" leaves out points exactly on a
boundary, where AreaIndex answers the lowest covering index, so any disagreement is
reported with how many of those points lie exactly on a boundary (expected: 0 and 0).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import geopandas
import numpy as np
import shapely
from pyproj import Transformer

from commonground.geography.pointindex import AreaIndex

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))


def lsoa21_boundaries(data: Path) -> tuple[list[str], np.ndarray]:
    """Codes and EPSG:27700 polygons of the manifest's boundaries resource for lsoa21."""
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [
        r
        for r in package["resources"]
        if r.get("role") == "boundaries" and r.get("geography") == "lsoa21"
    ]
    features = json.loads((data / resource["path"]).read_text(encoding="utf-8"))["features"]
    codes = [f["properties"][resource["code_field"]] for f in features]
    lonlat = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    return codes, shapely.transform(
        lonlat, lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1]))
    )


def best_of(repeat: int, run: Callable[[], object], setup: Callable[[], tuple] = tuple):
    """Best wall time of ``run(*setup())`` over ``repeat`` runs (setup is not timed)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        args = setup()
        start = time.perf_counter()
        result = run(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="number of points")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of this many runs")
    parser.add_argument("--seed", type=int, default=2021, help="random seed for the points")
    args = parser.parse_args(argv)
    n, repeat = args.points, args.repeat

    codes, geoms = lsoa21_boundaries(DATA)

    def unprepared() -> tuple[np.ndarray]:  # fresh copies: the build pays for shapely.prepare
        return (shapely.from_wkb(shapely.to_wkb(geoms)),)

    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    rng = np.random.default_rng(args.seed)
    x, y = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)

    rows = []
    t_build, index = best_of(repeat, lambda g: AreaIndex(codes, g), unprepared)
    rows.append(("AreaIndex(...) build", t_build, None))
    t_locate, ours = best_of(repeat, lambda: index.locate(x, y))
    rows.append(("AreaIndex.locate", t_locate, n))

    lsoa = geopandas.GeoDataFrame({"code": codes}, geometry=unprepared()[0], crs=27700)

    def fresh() -> tuple[geopandas.GeoDataFrame]:  # a points frame without a spatial index
        return (geopandas.GeoDataFrame(geometry=geopandas.points_from_xy(x, y, crs=27700)),)

    def within(pts: geopandas.GeoDataFrame) -> geopandas.GeoDataFrame:
        return geopandas.sjoin(pts, lsoa, predicate="within")

    t_cold, _ = best_of(repeat, within, fresh)
    t_sindex, _ = best_of(repeat, lambda pts: pts.sindex, fresh)
    points = fresh()[0]
    points.sindex  # noqa: B018 - build the points' spatial index outside the timed region
    t_warm, joined = best_of(repeat, lambda: within(points))
    t_query, _ = best_of(
        repeat, lambda: points.sindex.query(lsoa.geometry.values, predicate="contains")
    )
    rows += [
        ("sjoin within (sindex prebuilt)", t_warm, n),
        ("points sindex build", t_sindex, None),
        ("sjoin within (incl. sindex)", t_cold, n),
        ("STRtree.query only (no frame)", t_query, n),
    ]

    # sjoin's answer per point: lowest matching area index, -1 when none (within = interior)
    theirs = np.full(n, len(codes))
    np.minimum.at(theirs, joined.index.to_numpy(), joined["index_right"].to_numpy())
    theirs[theirs == len(codes)] = -1
    differ = np.flatnonzero(ours != theirs)
    edges = shapely.STRtree(shapely.boundary(geoms))
    on_edge = np.zeros(len(differ), dtype=bool)
    on_edge[edges.query(shapely.points(x[differ], y[differ]), predicate="intersects")[0]] = True

    print(
        f"{len(codes)} LSOA 2021 polygons, {n:,} uniform points in their bounding box "
        f"({xmax - xmin:,.0f} × {ymax - ymin:,.0f} m, EPSG:27700), best of {repeat}"
    )
    print(f"{index!r}; {np.mean(ours >= 0):.1%} of points in an LSOA")
    print(
        f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), "
        f"geopandas {geopandas.__version__}, numpy {np.__version__}\n"
    )
    print(f"{'method':32} {'seconds':>9} {'points/s':>14}")
    for name, seconds, count in rows:
        rate = f"{count / seconds:14,.0f}" if count else f"{'-':>14}"
        print(f"{name:32} {seconds:9.4f} {rate}")
    print(
        f"\nsjoin_time / index_time: {t_warm / t_locate:.1f}× (sjoin with prebuilt sindex vs "
        f"locate), {t_cold / t_locate:.1f}× (sjoin incl. sindex vs locate), "
        f"{t_cold / (t_build + t_locate):.1f}× (sjoin incl. sindex vs AreaIndex build + locate)"
    )
    print(
        f"disagreements with sjoin: {len(differ)} "
        f"({int(on_edge.sum())} exactly on a boundary, {len(differ) - int(on_edge.sum())} "
        f"strictly inside)"
    )


if __name__ == "__main__":
    main()
