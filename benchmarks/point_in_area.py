"""Benchmark: which LSOA 2021 holds each point? AreaIndex.locate against geopandas.sjoin.

    .venv/bin/python benchmarks/point_in_area.py [--points N] [--repeat R] [--seed S]
    .venv/bin/python benchmarks/point_in_area.py --national [--points N] [--repeat R]

``--national``: England's 33,755 LSOA 2021 areas (the package in
``$COMMONGROUND_DATA_ENGLAND``, default ``../shared/data-england``), 10,000,000 points by
default, placed like addresses: 80 % uniform in the bounding box of an LSOA drawn at random
(LSOAs hold about equal numbers of people, so this follows where people live, and many
points fall just outside their LSOA), 20 % uniform over England's bounding box (sea and
Wales included: those answer -1). Timed end to end, best of R: building the index from the
polygons plus locating every point, wall clock and CPU seconds (both threads), with the
process's peak memory. The answers for a seeded sample of 100,000 points, a third of them
polygon vertices (exactly on boundaries), must equal shapely's own (``intersects_xy`` on
every area whose box holds the point, lowest index wins); the script fails otherwise. Then,
once, the whole of ``datastore.linking.link`` on the same points in a DuckDB table (fetch,
build, locate, link columns, report). The figures are printed as ratios against the issue's
anchors, measured on this machine for the same work: SedonaDB 32 s, GeoPandas 51 s, DuckDB
spatial 70 s, PostGIS about 275 s.

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
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import geopandas
import numpy as np
import pyarrow as pa
import shapely

from commonground.datastore.linking import Gazetteer, LinkPlan, link
from commonground.geography.boundaries import read_boundaries
from commonground.geography.manifest import load_manifest
from commonground.geography.pointindex import AreaIndex

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))
ENGLAND = Path(os.environ.get("COMMONGROUND_DATA_ENGLAND", REPO.parent / "shared" / "data-england"))
#: Seconds to link 10,000,000 points to England's LSOA 2021 areas, measured on this machine
#: for the same work (issue 20).
ANCHORS = {"SedonaDB": 32.0, "GeoPandas": 51.0, "DuckDB spatial": 70.0, "PostGIS": 275.0}
#: Points checked against shapely's own answers in the national run.
EXACT_SAMPLE = 100_000


def lsoa21_boundaries(data: Path) -> tuple[list[str], np.ndarray]:
    """Codes and EPSG:27700 polygons of the manifest's boundaries resource for lsoa21, read
    as a load reads them (invalid rings repaired)."""
    manifest = load_manifest(data)
    [resource_] = [r for r in manifest.by_role("boundaries") if r.geography == "lsoa21"]
    layer = read_boundaries(manifest, resource_)
    return [str(c) for c in layer.codes], layer.geometries


def best_of(repeat: int, run: Callable[[], object], setup: Callable[[], tuple] = tuple):
    """Best wall time of ``run(*setup())`` over ``repeat`` runs (setup is not timed)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        args = setup()
        start = time.perf_counter()
        result = run(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def address_like_points(geoms: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points (EPSG:27700): 80 % uniform in the box of an area drawn at random, 20 %
    uniform over the bounding box of all areas (see the module docstring)."""
    rng = np.random.default_rng(seed)
    boxes = shapely.bounds(geoms)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    near = n * 4 // 5
    pick = rng.integers(0, len(geoms), near)
    x = np.concatenate([rng.uniform(boxes[pick, 0], boxes[pick, 2]), rng.uniform(xmin, xmax, n - near)])
    y = np.concatenate([rng.uniform(boxes[pick, 1], boxes[pick, 3]), rng.uniform(ymin, ymax, n - near)])
    shuffle = rng.permutation(n)
    return x[shuffle], y[shuffle]


def shapely_answers(geoms: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Reference: the lowest index of the areas whose closed polygon covers each point (-1:
    none), by ``shapely.intersects_xy`` on every area whose bounding box holds the point."""
    point, area = shapely.STRtree(geoms).query(shapely.points(x, y))  # bounding boxes only
    hit = shapely.intersects_xy(geoms[area], x[point], y[point])
    answer = np.full(len(x), len(geoms))
    np.minimum.at(answer, point[hit], area[hit])
    return np.where(answer == len(geoms), -1, answer)


def national(n: int, repeat: int, seed: int) -> None:
    """England: build + locate for ``n`` address-like points, exactness, anchors."""
    t0 = time.perf_counter()
    codes, geoms = lsoa21_boundaries(ENGLAND)
    t_read = time.perf_counter() - t0
    x, y = address_like_points(geoms, n, seed)
    rss_points = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    runs = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        index = AreaIndex(codes, geoms)
        built_wall, built_cpu = time.perf_counter() - wall, time.process_time() - cpu
        found = index.locate(x, y)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu, built_wall, built_cpu))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    total, total_cpu, build, build_cpu = min(runs)

    # exactness: a sample of the points plus polygon vertices (on boundaries, often shared)
    rng = np.random.default_rng(seed + 1)
    sample = rng.choice(n, EXACT_SAMPLE - EXACT_SAMPLE // 3, replace=False)
    vertices = shapely.get_coordinates(geoms)
    on_edge = vertices[rng.choice(len(vertices), EXACT_SAMPLE // 3, replace=False)]
    sx, sy = np.concatenate([x[sample], on_edge[:, 0]]), np.concatenate([y[sample], on_edge[:, 1]])
    expected = shapely_answers(geoms, sx, sy)
    differ = int((np.concatenate([found[sample], index.locate(on_edge[:, 0], on_edge[:, 1])])
                  != expected).sum())

    # the whole of datastore linking: a DuckDB table of easting/northing rows → link columns
    con = duckdb.connect()
    con.register("points", pa.table({"_row": np.arange(n), "e": x, "n": y}))
    con.execute("CREATE TABLE typed AS SELECT * FROM points")
    con.unregister("points")
    wall, cpu = time.perf_counter(), time.process_time()
    gazetteer = Gazetteer(base="lsoa21", base_codes=codes, index=AreaIndex(codes, geoms),
                          parent_codes={}, codes={"lsoa21": set(codes)}, city_name="England")
    columns, report = link(con, "typed", LinkPlan(easting="e", northing="n"), gazetteer)
    t_link, t_link_cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak_link = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert report.linked == int((found >= 0).sum()) and columns.num_rows == n
    con.close()
    del columns

    cells = index._grid.nbytes + index._candidates.nbytes + index._start.nbytes
    print(f"{len(codes):,} LSOA 2021 polygons of England ({len(vertices):,} vertices; read and "
          f"projected in {t_read:.1f} s), {n:,} address-like points, best of {repeat}")
    print(f"{index!r}; lookup tables {cells / 1e6:.0f} MB; {np.mean(found >= 0):.1%} of points in "
          f"an LSOA; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"shapely {shapely.__version__} (GEOS {shapely.geos_version_string}), numpy {np.__version__}\n")
    print(f"{'step':34} {'wall s':>8} {'CPU s':>8} {'points/s (wall)':>16}")
    print(f"{'AreaIndex(...) build':34} {build:8.2f} {build_cpu:8.2f} {'-':>16}")
    print(f"{'AreaIndex.locate':34} {total - build:8.2f} {total_cpu - build_cpu:8.2f} "
          f"{n / (total - build):16,.0f}")
    print(f"{'build + locate (the link)':34} {total:8.2f} {total_cpu:8.2f} {n / total:16,.0f}")
    print(f"{'datastore link() of a DuckDB table':34} {t_link:8.2f} {t_link_cpu:8.2f} "
          f"{n / t_link:16,.0f}  (once: fetch, build, locate, link columns, report)")
    print(f"\npeak memory: {peak:,.0f} MB resident (of which {rss_points:,.0f} MB before the index: "
          f"polygons and the {n:,} points, {2 * 8 * n / 1e6:,.0f} MB of coordinates); "
          f"{peak_link:,.0f} MB with the DuckDB table and link()")
    print(f"exactness: {differ} of {len(sx):,} answers differ from shapely's "
          f"({EXACT_SAMPLE // 3:,} of them polygon vertices)")
    scale = n / 10_000_000
    print(f"\nagainst the anchors (10,000,000 points; ours scaled by {scale:g}), "
          f"ratio = anchor / ours (wall):")
    for name, seconds in ANCHORS.items():
        print(f"  {name:16} {seconds:6.0f} s   {seconds * scale / total:5.1f}× faster")
    print(f"  goal             {10 * scale:6.1f} s   {'met' if total <= 10 * scale else 'NOT met'} "
          f"({total:.2f} s wall, {total_cpu:.2f} s CPU)")
    if differ:
        raise SystemExit(f"{differ} answers differ from shapely's")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=None,
                        help="number of points (default 1,000,000; 10,000,000 with --national)")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of this many runs")
    parser.add_argument("--seed", type=int, default=2021, help="random seed for the points")
    parser.add_argument("--national", action="store_true",
                        help="England's 33,755 LSOAs, address-like points, against the anchors")
    args = parser.parse_args(argv)
    if args.national:
        national(args.points or 10_000_000, args.repeat, args.seed)
        return
    n, repeat = args.points or 1_000_000, args.repeat

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
