"""Benchmark: the full lens of a 1,000,000-point version against pandas + GeoPandas.

    .venv/bin/python benchmarks/lens.py [--points N] [--repeat R] [--seed S] [--against-django]
    COMMONGROUND_DATA=../shared/data-england .venv/bin/python benchmarks/lens.py --national

``--national`` runs :func:`national` instead: the full lens of the package's real point files
(the 18,335 charge points, the GP practices) and of N generated points, at England's 33,755
LSOAs, against the goal of ≤ 5 s and ≤ 1 GB each.

**The city.** Built without Django from the data folder (``COMMONGROUND_DATA``, default
``../shared/data`` beside the repository) with the pure loader
``commonground.geography.city.load_city``, exactly as
``catalogue.services.lens._build_city`` builds it from the loaded database (areas in code
order, IoD editions bridged with ``lens.deprivation.edition``, the Census tables on the base
geography, 2011 output-area points located in the 2021 LSOAs with ``AreaIndex``).
``--against-django`` checks that claim: it loads the same folder into a throwaway hub
(own SQLite database, ``migrate`` + ``load_places``) and compares every array of
``lens_city()`` with ours.

**The points** (made once, not timed: they stand for an already-ingested version). N points,
seeded: 90 % uniform inside LSOA 2021 polygons, an LSOA drawn with probability ∝ residents ×
a lognormal factor (σ = 0.5, fixed by the seed, so rates differ between areas); 10 % uniform
in the bounding box of the city (inside or outside it). Coordinates rounded to 0.1 m as
ingest does, ``_lsoa21`` from ``AreaIndex.locate`` (NULL outside), written by DuckDB as zstd
Parquet with ingest's row-group size: columns ``_id``, ``_lsoa21``, ``_easting``,
``_northing``.

**Common Ground** (timed): ``read_measure(parquet, ...)`` + ``run_lens(city, measure,
LensOptions())``, every section, as ``dataset_lens`` does. Each timed run reads a new hard
link of the file, so ``query.schema`` finds the version outside DuckDB's query cache, as on
the first lens of a version in a process. Steps are timed by wrapping the section functions
of ``commonground.lens.compute`` during the run (the module looks them up at call time).

**Baseline** (timed): a careful analyst's pandas + GeoPandas script asking the same
questions, with the same inputs read from the same data folder before the clock starts
(LSOA polygons with ``geopandas.read_file`` + ``to_crs(27700)``, Census and IoD CSVs with
``pandas.read_csv``, city deciles cut from the IoD ranks, output-area points on surface
joined to the LSOAs). Timed: ``pd.read_parquet`` + ``points_from_xy``; (a) ``gpd.sjoin(...,
predicate="within")`` and ``value_counts`` (the script places the points itself), or (b)
``value_counts`` of the precomputed ``_lsoa21``; deprivation tables by ``groupby`` with
Byar intervals and the SII/RII/concentration index refitted with ``np.linalg.lstsq`` in a
Python loop over all 10,000 draws; disparity with ``Generator.multinomial`` draws for each
Census table (bootstrap and null, 10,000 each) and ``scipy.stats.binomtest`` for each area
and table; access with ``gpd.sjoin_nearest`` (STRtree) from the population points to the N
points; ``mapclassify.FisherJenks``, ``libpysal`` ``Queen.from_dataframe``,
``esda.Moran_Local`` (999 permutations) and ``esda.Moran``. The same numbers are checked
(the script exits 1 if they differ): per-area counts, every decile row, SII point values
(exact) and intervals (Monte Carlo noise), D_v and S_v (exact) and bootstrap intervals
(noise), per-area Clopper-Pearson intervals, access shares (1e-9), map class bins, local
Moran's I.

**Memory and the first call**, each in a fresh process after its set-up. *Cold*: the first
call, imports included (Common Ground's first call imports DuckDB, scipy, mapclassify,
libpysal, esda; the baseline's imports scipy, mapclassify, libpysal, esda). *Memory*: a first
call on a 2,000-row copy (imports and lazy set-ups done), then one on the full version:
peak RSS above start is the resident-memory high-water mark during that call (reset through
``/proc/self/clear_refs``) minus the RSS when it began; ``ru_maxrss`` growth is
``resource.getrusage`` before and after it: the growth of the *process's* peak, so 0 when the
set-up had already peaked higher (it cannot be reset). Then one more call under
``tracemalloc``: the peak of Python allocations, numpy arrays included, but not DuckDB's,
GEOS's or other C libraries' own memory. (Memory is not measured in the timing process: the
allocator keeps memory freed by earlier runs, which hides later runs' peaks.)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import shapely

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from commonground.geography.city import CityData, load_city  # noqa: E402
from commonground.geography.manifest import edition_year  # noqa: E402
from commonground.geography.pointindex import AreaIndex  # noqa: E402
from commonground.lens import deprivation as deprivation_groups  # noqa: E402
from commonground.lens.inputs import City, GroupTable  # noqa: E402
from commonground.lens.people import population_points  # noqa: E402

INSIDE_SHARE = 0.9  # of the points: inside an LSOA polygon; the rest uniform in the city's box
TIME_GOAL_S = 3.0
SPEED_GOAL = 5.0
Z95 = 1.959963984540054
DRAWS = 10_000
PERMUTATIONS = 999
SEED = 0  # LensOptions().seed: the baseline uses the same where a library takes a seed
GROUPINGS = {"imd-decile": "imd_decile", "imd-quintile": "imd_quintile",
             "city-decile": "city_decile", "city-quintile": "city_quintile"}
QUADRANTS = {1: "hot", 2: "low among high", 3: "cold", 4: "high among low"}


# ============================================================================ the city

def build_city(data: Path = DATA) -> City:
    """The lens's ``City`` from the data folder, as ``services.lens._build_city`` makes it from
    the database (``places.loading`` stores ``load_city``'s result; ``places.cache`` reads it
    back in code order)."""
    cd: CityData = load_city(data)
    base = cd.base_geography
    layers = _layers_in_code_order(cd)
    resources = {r.name: r for r in cd.manifest.resources}
    defs = {d.key: d for d in cd.indicators}
    column = _indicator_columns(cd, layers, resources, defs)
    codes, geoms, names = layers[base]
    population = (column(cd.population_indicator) if cd.population_indicator in defs
                  else np.ones(len(codes)))
    pop_def = defs.get(cd.population_indicator)
    pop_source = resources[pop_def.source] if pop_def else None
    return City(name=cd.manifest.city_name, base_geography=base, area_codes=tuple(codes),
                area_names=tuple(_display_names(cd, codes, names)),
                population=np.nan_to_num(population),
                population_source=(f"{pop_source.title} ({pop_source.vintage})" if pop_source
                                   else "unknown: each neighbourhood counted once"),
                geometries=geoms,
                deprivation=tuple(_editions(cd, layers, resources, defs, column)),
                groups=tuple(_group_tables(base, resources, defs, column)),
                people=_people(layers, base))


def _layers_in_code_order(cd: CityData) -> dict[str, tuple[list[str], np.ndarray, list]]:
    """Each geography's (codes, geometries, names), its areas ordered by code as the
    database returns them."""
    layers = {}
    for g, layer in cd.layers.items():
        order = sorted(range(len(layer)), key=lambda i: layer.codes[i])
        layers[g] = ([str(layer.codes[i]) for i in order], layer.geometries[order],
                     [layer.names[i] for i in order])
    return layers


def _positions(layers: dict) -> dict[str, dict[str, int]]:
    """Each geography's area codes -> their position in ``layers``."""
    return {g: {c: i for i, c in enumerate(codes)} for g, (codes, _, _) in layers.items()}


def _indicator_columns(cd: CityData, layers: dict, resources: dict, defs: dict):
    """``column(key)``: an indicator's values on its geography's areas in ``layers`` order
    (NaN where an area has none)."""
    position = _positions(layers)
    geography = {k: resources[d.source].geography for k, d in defs.items()}
    columns: dict[str, np.ndarray] = {}
    for g, table in cd.values.items():  # one ValueTable per geography, rows in code order
        if g not in layers:
            continue
        rows = np.array([position[g].get(code, -1) for code in table.codes], dtype=np.int64)
        found = rows >= 0
        for key, values in zip(table.keys, table.columns, strict=True):
            col = np.full(len(layers[g][0]), np.nan)
            col[rows[found]] = np.asarray(values, dtype=float)[found]
            columns[key] = col

    def column(key: str) -> np.ndarray:
        return columns.get(key, np.full(len(layers[geography[key]][0]), np.nan))

    return column


def _display_names(cd: CityData, codes: list[str], names: list) -> list[str]:
    """Each base area's name as ``AreaRecord.display_name`` gives it."""
    display = []
    for code, name in zip(codes, names, strict=True):
        n, f = name or code, cd.friendly_names.get(code, "")
        display.append(f"{f} — {n}" if f and f != n else n)
    return display


def _editions(cd: CityData, layers: dict, resources: dict, defs: dict, column) -> list:
    """The deprivation editions, newest first, as ``services.lens._editions`` makes them."""
    base = cd.base_geography
    editions = []
    for d in defs.values():
        source = resources[d.source]
        rank_key = f"{source.name}.imd_rank"
        if source.role != "deprivation" or d.column != "imd_decile" or rank_key not in defs:
            continue
        parent = (None if source.geography == base
                  else _parent_of_each_base_area(cd, layers, source.geography))
        editions.append(deprivation_groups.edition(
            key=source.name, title=source.title, year=edition_year(source.name, source.vintage),
            geography=source.geography, own_decile=column(d.key), own_rank=column(rank_key),
            parent=parent))
    editions.sort(key=lambda e: e.year or 0, reverse=True)
    return editions


def _parent_of_each_base_area(cd: CityData, layers: dict, geography: str) -> np.ndarray:
    """For each base area, the position of the area of ``geography`` it belongs to with the
    largest weight (-1 where none)."""
    position = _positions(layers)
    base = cd.base_geography
    triples = np.array([(position[geography][m.parent], position[base][m.child], m.weight)
                        for m in cd.memberships if m.parent_geography == geography and
                        m.weight > 0], dtype=float).reshape(-1, 3)
    parent = np.full(len(layers[base][0]), -1)
    # per child the heaviest parent, the first by position on a tie (a dense areas × base
    # areas argmax, without the matrix: England's would be 8 GB)
    order = np.lexsort((triples[:, 0], -triples[:, 2], triples[:, 1]))
    child = triples[order, 1].astype(int)
    first = np.ones(len(order), dtype=bool)
    first[1:] = child[1:] != child[:-1]
    parent[child[first]] = triples[order[first], 0].astype(int)
    return parent


def _group_tables(base: str, resources: dict, defs: dict, column) -> list[GroupTable]:
    """The Census tables on the base geography, as ``services.lens._group_tables`` makes
    them: each table's total and its count groups, in source and indicator order."""
    tables: dict[str, dict] = {}
    for d in sorted(defs.values(), key=lambda d: (d.source, d.order)):
        source = resources[d.source]
        if source.role != "census" or source.geography != base:
            continue
        entry = tables.setdefault(source.name, {"source": source, "total": None, "groups": []})
        if d.kind == "total":
            entry["total"] = d
        elif d.kind == "count" and d.denominator in defs:
            entry["groups"].append(d)
    return [GroupTable(key=name, title=e["source"].title, universe=e["total"].unit,
                       labels=tuple(g.label[:300] for g in e["groups"]),
                       counts=np.nan_to_num(np.column_stack([column(g.key)
                                                             for g in e["groups"]])),
                       totals=np.nan_to_num(column(e["total"].key)),
                       period=str(e["source"].vintage))
            for name, e in tables.items() if e["total"] is not None and e["groups"]]


def _surface_xy(geometries) -> np.ndarray:
    """Each area's point on surface, as ``places.loading`` stores it."""
    points = shapely.point_on_surface(geometries)
    return np.column_stack([shapely.get_x(points), shapely.get_y(points)])


def _people(layers: dict, base: str):
    """Where residents live, as ``services.lens._people`` places them: the points of the
    finest geography finer than the base, located in the base areas, or else the base
    areas' own points."""
    codes, geoms, _ = layers[base]
    finer = [g for g, (c, _, _) in layers.items() if len(c) > len(codes)]
    if not finer:
        return population_points(_surface_xy(geoms))
    fine = max(finer, key=lambda g: len(layers[g][0]))
    fine_xy = _surface_xy(layers[fine][1])
    where = AreaIndex(codes, geoms).locate(fine_xy[:, 0], fine_xy[:, 1])
    return population_points(_surface_xy(geoms), fine_xy, where,
                             fine_label=f"{fine.upper()} output area")


def compare_with_django(city: City, workdir: Path) -> list[str]:
    """Differences between ``city`` and ``lens_city()`` of a throwaway hub loaded from DATA."""
    sys.path.insert(0, str(HERE))
    from throwaway_hub import ThrowawayHub, setup_django

    hub = ThrowawayHub(workdir / "hub")
    hub.root.mkdir(parents=True, exist_ok=True)
    hub.manage("migrate", "--verbosity", "0", "--skip-checks")
    hub.manage("load_places", "--skip-checks")
    setup_django(hub.root)
    from commonground.catalogue.services.lens import lens_city

    theirs = lens_city()
    differ = []

    def same(a, b) -> bool:
        if isinstance(a, np.ndarray) and a.dtype == object:
            return len(a) == len(b) and all(x.equals(y) for x, y in zip(a, b, strict=True))
        if isinstance(a, np.ndarray):
            return a.shape == np.shape(b) and np.array_equal(a, b, equal_nan=True)
        return a == b

    def check(name, a, b):
        if not same(a, b):
            differ.append(name)

    for f in ("name", "base_geography", "area_codes", "area_names", "population",
              "population_source", "geometries"):
        check(f, getattr(theirs, f), getattr(city, f))
    check("editions", len(theirs.deprivation), len(city.deprivation))
    for a, b in zip(theirs.deprivation, city.deprivation, strict=False):
        for f in ("key", "title", "year", "geography", "national_decile", "city_decile",
                  "bridge", "own_decile_counts", "split_areas"):
            check(f"{a.key}.{f}", getattr(a, f), getattr(b, f))
    check("tables", len(theirs.groups), len(city.groups))
    for a, b in zip(theirs.groups, city.groups, strict=False):
        for f in ("key", "title", "universe", "labels", "counts", "totals", "period"):
            check(f"{a.key}.{f}", getattr(a, f), getattr(b, f))
    for f in ("xy", "area", "share", "method"):
        check(f"people.{f}", getattr(theirs.people, f), getattr(city.people, f))
    return differ


# ============================================================================ the points

def make_points(city: City, n: int, seed: int, path: Path) -> dict:
    """Write the N-point version (see the module docstring); what it holds."""
    import duckdb
    import pyarrow as pa

    from commonground.datastore.ingest import ROW_GROUP_SIZE

    rng = np.random.default_rng(seed)
    geoms = city.geometries
    tilt = rng.lognormal(0.0, 0.5, len(geoms))
    weight = city.population * tilt
    n_in = round(n * INSIDE_SHARE)
    per_area = rng.multinomial(n_in, weight / weight.sum())
    xs, ys = [], []
    for g, k in zip(geoms, per_area, strict=True):
        xmin, ymin, xmax, ymax = g.bounds
        got = 0
        while got < k:
            m = max(2 * (k - got), 256)
            x, y = rng.uniform(xmin, xmax, m), rng.uniform(ymin, ymax, m)
            keep = np.flatnonzero(shapely.contains_xy(g, x, y))[:k - got]
            xs.append(x[keep])
            ys.append(y[keep])
            got += len(keep)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    xs.append(rng.uniform(xmin, xmax, n - n_in))
    ys.append(rng.uniform(ymin, ymax, n - n_in))
    order = rng.permutation(n)
    x = np.round(np.concatenate(xs)[order], 1)
    y = np.round(np.concatenate(ys)[order], 1)
    where = AreaIndex(city.area_codes, geoms).locate(x, y)
    codes = pa.DictionaryArray.from_arrays(pa.array(where.astype(np.int32), mask=where < 0),
                                           pa.array(city.area_codes, type=pa.string()))
    table = pa.table({"_id": pa.array(np.arange(1, n + 1)), "_lsoa21": codes,
                      "_easting": pa.array(x), "_northing": pa.array(y)})
    con = duckdb.connect()
    con.register("points", table)
    con.execute(f"COPY (SELECT _id, _lsoa21::VARCHAR AS _lsoa21, _easting, _northing "
                f"FROM points) TO '{path}' (FORMAT parquet, COMPRESSION zstd, "
                f"ROW_GROUP_SIZE {ROW_GROUP_SIZE})")
    con.close()
    return {"rows": n, "in_areas": int((where >= 0).sum()), "bytes": path.stat().st_size}


def points_from_file(city: City, source: Path, path: Path) -> dict:
    """A real point file (GeoJSON or any GDAL vector file with a CRS) as a version: each
    feature's first coordinate in British National Grid metres, rounded to 0.1 m as ingest
    does, ``_lsoa21`` from ``AreaIndex.locate``; the same columns as :func:`make_points`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    import pyogrio
    from pyproj import CRS, Transformer

    meta, table = pyogrio.read_arrow(source, columns=[])
    geoms = shapely.from_wkb(np.asarray(table.column(meta["geometry_name"] or "wkb_geometry")
                                        .to_pylist(), dtype=object))
    xy = shapely.get_coordinates(geoms)  # point files: one coordinate a feature
    crs = CRS.from_user_input(meta["crs"] or "EPSG:4326")
    x, y = Transformer.from_crs(crs, 27700, always_xy=True).transform(xy[:, 0], xy[:, 1])
    x, y = np.round(x, 1), np.round(y, 1)
    where = AreaIndex(city.area_codes, city.geometries).locate(x, y)
    codes = np.asarray(city.area_codes, dtype=object)[np.maximum(where, 0)]
    pq.write_table(pa.table({"_id": np.arange(1, len(x) + 1),
                             "_lsoa21": pa.array(np.where(where >= 0, codes, None).tolist(),
                                                 type=pa.string()),
                             "_easting": x, "_northing": y}), path, compression="zstd")
    return {"rows": len(x), "in_areas": int((where >= 0).sum()), "bytes": path.stat().st_size}


def national(args, workdir: Path) -> int:
    """``--national``: the lens of the package's real point datasets and of N generated points
    at national scale (run with ``COMMONGROUND_DATA`` naming the England package). Common
    Ground only (the analyst's baseline would take hours): per case the lens's seconds and
    its resident-memory high-water mark above the process's RSS before it, against the goal
    (≤ 5 s, ≤ 1 GB). The city's queen neighbours are found once per city (``City.neighbours``)
    and timed on their own."""
    from commonground.geography.manifest import load_manifest

    print(_versions())
    start = time.perf_counter()
    city = build_city()
    print(f"City from {DATA}: {len(city.area_codes):,} areas, {len(city.groups)} Census tables "
          f"(load_city, no Django): {time.perf_counter() - start:.1f} s, not timed", flush=True)
    start = time.perf_counter()
    _ = city.neighbours
    print(f"queen neighbours, once per city: {time.perf_counter() - start:.2f} s", flush=True)
    cases = []
    for item in load_manifest(DATA).resources:
        if item.role == "points":
            path = workdir / f"{item.name}.parquet"
            info = points_from_file(city, DATA / item.path, path)
            cases.append((item.title, path, info))
    path = workdir / "generated.parquet"
    cases.append((f"{args.points:,} generated points (seed {args.seed})", path,
                  make_points(city, args.points, args.seed, path)))
    tiny = workdir / "warm.parquet"
    import duckdb
    duckdb.execute(f"COPY (SELECT * FROM read_parquet('{cases[0][1]}') LIMIT 2000) "
                   f"TO '{tiny}' (FORMAT parquet)")
    commonground_run(city, tiny, Clock())  # imports and lazy set-ups, not timed
    failed = []
    for title, path, info in cases:
        clock, peak = Clock(), {}
        with rss_peak(peak):
            start = time.perf_counter()
            commonground_run(city, fresh_link(path, workdir, "national"), clock)
            seconds = time.perf_counter() - start
        memory = peak["rss_peak_mb"]
        ok = seconds <= NATIONAL_SECONDS and (memory is None or memory <= NATIONAL_MB)
        if not ok:
            failed.append(title)
        print(f"\n{title}: {info['rows']:,} rows, {info['in_areas']:,} in an LSOA")
        print(f"  full lens {seconds:.2f} s (goal ≤ {NATIONAL_SECONDS:.0f} s), resident peak "
              f"+{memory if memory is not None else float('nan'):.0f} MB (goal ≤ "
              f"{NATIONAL_MB:,} MB): {'met' if ok else 'NOT MET'}")
        for step, spent in sorted(clock.steps.items(), key=lambda kv: -kv[1])[:8]:
            print(f"    {spent:6.2f} s  {step}")
    return 1 if failed else 0


NATIONAL_SECONDS = 5.0
NATIONAL_MB = 1024
SERVER_MB = 1024  # the web process after the national lens page and its downloads


def served(args, workdir: Path) -> int:
    """``--server DB --datastore DIR``: the web process's memory around a national lens.
    gunicorn as ``england.py`` starts it (one ``gthread`` worker, ``DEBUG=0``) on a snapshot of
    the database (``DB`` is only read) and hard links of its datastore; then the dataset page,
    the lens page (first, then the p50 of five warm), and each download the page offers that
    runs over every area (the disparity-areas and areas CSVs, the whole JSON, the API, whole
    and its disparity-areas table), read as a stream: time, bytes, the server's resident memory
    (master + worker) after each and its sampled peak, against ≤ 1 GB after."""
    import england

    if not args.datastore:
        print("--server needs --datastore", file=sys.stderr)
        return 2
    root = workdir / "server"
    root.mkdir()
    england.snapshot_sqlite(args.server, root / "db.sqlite3")
    england.link_tree(args.datastore, root / "datastore")
    (root / "var").mkdir()
    hub = england.Hub(root, f"sqlite:///{root / 'db.sqlite3'}", root / "datastore", DATA)
    migrate = subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "--noinput"],
                             env=hub.env(DEBUG="1"), cwd=REPO, capture_output=True, text=True)
    if migrate.returncode:
        print(f"migrate failed: {migrate.stderr[-500:]}", file=sys.stderr)
        return 1
    server = england.Server(hub, 8 * england.GB)
    name = args.dataset
    lens = f"/datasets/{name}/lens/"
    csv_url, json_url = f"/datasets/{name}/lens.csv", f"/datasets/{name}/lens.json"
    api = f"/api/catalogue/datasets/{name}/lens"
    failed = False

    def line(what: str, seconds: float | None, size: int | None) -> None:
        rss = server.rss() / england.MB
        timing = f"{seconds:7.2f} s" if seconds is not None else " " * 9
        sized = f"{size / england.MB:8.1f} MB" if size is not None else " " * 11
        print(f"  {what:<38} {timing} {sized}   server {rss:6,.0f} MB "
              f"(peak {server.watch.peak / england.MB:,.0f})", flush=True)

    def get(path: str) -> tuple[float, int]:
        start = time.perf_counter()
        with server.session.get(server.base + path, stream=True,
                                timeout=england.REQUEST_TIMEOUT_S) as response:
            size = sum(len(chunk) for chunk in response.iter_content(1 << 20))
            if response.status_code != 200:
                raise RuntimeError(f"HTTP {response.status_code} for {path}")
        return time.perf_counter() - start, size

    try:
        print(f"gunicorn on a copy of {args.server}: the lens of {name!r}", flush=True)
        line("started", None, None)
        line(f"dataset page /datasets/{name}/", *get(f"/datasets/{name}/"))
        line("lens page, first", *get(lens))
        warm = [get(lens)[0] for _ in range(6)][1:]
        line("lens page, p50 of 5 warm", statistics.median(warm), None)
        for what, path in (("CSV disparity-areas", f"{csv_url}?table=disparity-areas"),
                           ("CSV areas", f"{csv_url}?table=areas"),
                           ("JSON, everything", json_url),
                           ("API, everything", api),
                           ("API, table disparity-areas", f"{api}?table=disparity-areas"),
                           ("lens page again", lens)):
            line(what, *get(path))
        after = server.rss() / england.MB
        failed = after > SERVER_MB
        print(f"\nthe web process after the lens page and every download: {after:,.0f} MB "
              f"(goal < {SERVER_MB:,} MB): {'NOT MET' if failed else 'met'}; sampled peak "
              f"{server.watch.peak / england.MB:,.0f} MB; load average "
              f"{os.getloadavg()[0]:.1f}", flush=True)
    except (RuntimeError, OSError) as exc:
        print(f"stopped: {exc}{server.last_error()}", flush=True)
        failed = True
    finally:
        server.stop()
    return 1 if failed else 0


# ============================================================================ timing tools

class Clock:
    """Seconds per named step (summed when a step runs more than once)."""

    def __init__(self) -> None:
        self.steps: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.steps[name] = self.steps.get(name, 0.0) + time.perf_counter() - start


def _sections():
    from commonground.datastore import query
    from commonground.lens import access, compute, disparity, spatial, stats
    return [  # (module, function, step): top-level sections, then details inside them
        (compute, "_deprivation", "deprivation"), (compute, "_disparity", "disparity"),
        (compute, "_access", "access"), (compute, "_where", "where"),
        (query, "schema", "read_measure: query.schema"),
        (stats, "slope_index", "deprivation: stats.slope_index"),
        (disparity, "redraw", "disparity: multinomial redraws"),
        (disparity, "disparity_table", "disparity: disparity_table"),
        (disparity, "area_columns", "disparity: area_columns (binomial tests)"),
        (access, "nearest_distance", "access: cKDTree build + query"),
        (spatial, "classify", "where: classify"),
        (spatial, "queen_neighbours", "where: queen_neighbours"),
        (spatial, "hot_spots", "where: hot_spots (local + global Moran)"),
    ]


@contextmanager
def instrumented(clock: Clock, returned: dict):
    """Time the lens's section functions by wrapping them for the duration of one run."""
    saved = []
    for module, name, step in _sections():
        original = getattr(module, name)

        def wrapper(*args, _original=original, _step=step, _name=name, **kwargs):
            with clock(_step):
                result = _original(*args, **kwargs)
            returned[_name] = result
            return result

        saved.append((module, name, original))
        setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, original in saved:
            setattr(module, name, original)


def _rss_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


@contextmanager
def rss_peak(out: dict):
    """``out["rss_peak_mb"]``: the RSS high-water mark during the block above the RSS at its
    start (None where ``/proc/self/clear_refs`` cannot reset the mark)."""
    gc.collect()
    try:
        Path("/proc/self/clear_refs").write_text("5")
        start = _rss_mb("VmRSS")
    except OSError:
        start = None
    try:
        yield
    finally:
        peak = _rss_mb("VmHWM")
        out["rss_peak_mb"] = None if start is None or peak is None else peak - start


# ============================================================================ Common Ground

def commonground_run(city: City, parquet: Path, clock: Clock) -> tuple:
    """One lens, as ``services.lens.dataset_lens`` computes it; (measure, result, returned)."""
    from commonground.lens.compute import LensOptions, run_lens
    from commonground.lens.measure import read_measure

    returned: dict = {}
    with instrumented(clock, returned):
        with clock("read_measure"):
            measure = read_measure(parquet, city.area_codes, city.base_geography,
                                   kind="count", label="points")
        with clock("run_lens"):
            result = run_lens(city, measure, LensOptions())
    return measure, result, returned


# ============================================================================ the baseline

class Baseline:
    """The analyst's script. ``__init__`` is their set-up (not timed): the city's tables."""

    def __init__(self, data: Path = DATA):
        import geopandas as gpd
        import pandas as pd

        package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
        resources = package["resources"]

        def fields(r, kinds=("integer", "number")):
            return [f["name"] for f in r.get("schema", {}).get("fields", r.get("fields", []))
                    if f.get("type") in kinds]

        def boundaries(r):
            frame = gpd.read_file(data / r["path"])[[r["code_field"], "geometry"]]
            frame = frame.rename(columns={r["code_field"]: "code"}).to_crs(27700)
            return frame.sort_values("code").reset_index(drop=True)

        [lsoa_resource] = [r for r in resources
                           if r.get("role") == "boundaries" and r.get("geography") == "lsoa21"]
        lsoa = boundaries(lsoa_resource)
        self.lsoa = lsoa
        self.codes = pd.Index(lsoa["code"], name="code")

        self.tables: dict[str, tuple[str, list[str], pd.DataFrame]] = {}
        for r in resources:
            if r.get("role") != "census" or r.get("geography") != "lsoa21":
                continue
            numeric = fields(r)
            total = next(c for c in numeric if c.lower().startswith("total"))
            groups = [c for c in numeric if c != total]
            frame = pd.read_csv(data / r["path"]).set_index(r["code_field"]).reindex(self.codes)
            self.tables[r["name"]] = (total, groups, frame[[total, *groups]].fillna(0))
        total, _, first = next((t, g, f) for t, g, f in self.tables.values()
                               if "resident" in t)
        areas = pd.DataFrame({"residents": first[total]})

        newest = max((r for r in resources
                      if r.get("role") == "deprivation" and r.get("geography") == "lsoa21"),
                     key=lambda r: edition_year(r["name"], r.get("vintage", "")) or 0)
        imd = pd.read_csv(data / newest["path"]).set_index(newest["code_field"])
        imd = imd[["imd_rank", "imd_decile"]].reindex(self.codes)
        ordered = imd["imd_rank"].sort_values(kind="stable").index  # city deciles: ten groups
        imd.loc[ordered, "city_decile"] = np.floor(np.arange(len(ordered)) * 10
                                                   / len(ordered)) + 1
        areas = areas.join(imd)
        areas["imd_quintile"] = np.ceil(areas["imd_decile"] / 2)
        areas["city_quintile"] = np.ceil(areas["city_decile"] / 2)
        self.areas = areas

        # residents' points: 2011 output areas' points on surface, each LSOA's residents
        # shared equally among the points inside it; an LSOA with none uses its own point
        oa = max((boundaries(r) for r in resources if r.get("role") == "boundaries"), key=len)
        oa_points = gpd.GeoDataFrame(geometry=oa.representative_point().values, crs=27700)
        placed = gpd.sjoin(oa_points, lsoa, predicate="within")[["code", "geometry"]]
        lonely = lsoa[~lsoa["code"].isin(placed["code"])]
        people = pd.concat([placed, gpd.GeoDataFrame(
            {"code": lonely["code"].values}, geometry=lonely.representative_point().values,
            crs=27700)], ignore_index=True)
        people["share"] = 1 / people.groupby("code")["code"].transform("size")
        self.people = gpd.GeoDataFrame(people, geometry="geometry", crs=27700)

    # ------------------------------------------------------------------ read and place
    def read_and_place(self, parquet: Path, variant: str, clock: Clock):
        """(points GeoDataFrame, count per LSOA, rows). (a): sjoin; (b): the _lsoa21 column."""
        import geopandas as gpd
        import pandas as pd

        with clock("read (+ points_from_xy)"):
            columns = ["_easting", "_northing"] + (["_lsoa21"] if variant == "b" else [])
            frame = pd.read_parquet(parquet, columns=columns)
            located = frame.dropna(subset=["_easting", "_northing"])
            points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(
                located["_easting"], located["_northing"]), crs=27700)
        with clock("place"):
            if variant == "a":
                codes = gpd.sjoin(points, self.lsoa, predicate="within")["code"]
            else:
                codes = frame["_lsoa21"]
            counts = codes.value_counts().reindex(self.codes, fill_value=0)
        return points, counts, len(frame)

    # ------------------------------------------------------------------ deprivation
    def deprivation(self, counts) -> dict:
        area = self.areas.assign(count=counts.to_numpy())
        out = {}
        for grouping, column in GROUPINGS.items():
            g = area.groupby(column).agg(areas=("count", "size"),
                                         residents=("residents", "sum"),
                                         count=("count", "sum"))
            o = g["count"].to_numpy(dtype=float)
            with np.errstate(divide="ignore", invalid="ignore"):
                low = np.where(o > 0, o * (1 - 1 / (9 * o) - Z95 / (3 * np.sqrt(o))) ** 3, 0.0)
            high = (o + 1) * (1 - 1 / (9 * (o + 1)) + Z95 / (3 * np.sqrt(o + 1))) ** 3
            per = 1000 / g["residents"].to_numpy()
            g["rate"], g["low"], g["high"] = o * per, low * per, high * per
            out[grouping] = {"table": g, "slope": self.slope_index(
                g["rate"].to_numpy(), g["low"].to_numpy(), g["high"].to_numpy(),
                g["residents"].to_numpy())}
        return out

    @staticmethod
    def slope_index(y, low, high, residents) -> dict:
        """PHE's SII/RII with Monte Carlo intervals, one lstsq fit per draw."""
        a = residents / residents.sum()
        b = np.cumsum(a) - a / 2
        root = np.sqrt(a)
        X = np.column_stack([root, b * root])
        b0, b1 = np.linalg.lstsq(X, root * y, rcond=None)[0]
        se = (np.log(high) - np.log(low)) / (2 * Z95)
        rng = np.random.default_rng(SEED)
        sii, rii, conc = np.empty(DRAWS), np.empty(DRAWS), np.empty(DRAWS)
        for k in range(DRAWS):
            ys = np.exp(rng.normal(np.log(y), se))
            c0, c1 = np.linalg.lstsq(X, root * ys, rcond=None)[0]
            sii[k], rii[k] = c1, (c0 + c1) / c0
            conc[k] = 2 * np.sum(a * ys * b) / np.sum(a * ys) - 1
        return {"sii": b1, "rii": (b0 + b1) / b0,
                "concentration": 2 * np.sum(a * y * b) / np.sum(a * y) - 1,
                **dict(zip(("sii_low", "sii_high"), np.percentile(sii, [2.5, 97.5]),
                           strict=True)),
                **dict(zip(("rii_low", "rii_high"), np.percentile(rii, [2.5, 97.5]),
                           strict=True)),
                **dict(zip(("concentration_low", "concentration_high"),
                           np.percentile(conc, [2.5, 97.5]), strict=True))}

    # ------------------------------------------------------------------ disparity
    def disparity(self, counts, clock: Clock) -> dict:
        from scipy.stats import binomtest

        n = int(counts.sum())
        d = counts.to_numpy() / n
        rng = np.random.default_rng(SEED)
        out = {}
        for key, (total, groups, table) in self.tables.items():
            with clock("disparity: shares and multinomial draws"):
                u = table[total]
                p = table[groups].div(u, axis=0).where(u > 0, 0.0)
                city_share = table[groups].sum() / u.sum()
                data_share = p.T @ d
                diff = (data_share - city_share).to_numpy()
                beta = (u / u.sum()).to_numpy()
                boot = rng.multinomial(n, d, size=DRAWS) / n @ p.to_numpy() - city_share.values
                null = rng.multinomial(n, beta, size=DRAWS) / n @ p.to_numpy() - city_share.values
                boot_low, boot_high = np.percentile(boot, [2.5, 97.5], axis=0)
                null_low, null_high = np.percentile(null, [2.5, 97.5], axis=0)
                p_value = (1 + (np.abs(null) >= np.abs(diff)).sum(axis=0)) / (1 + DRAWS)
            with clock("disparity: binomtest per area"):
                areas = []
                for k, share in zip(counts.to_numpy(), beta, strict=True):
                    test = binomtest(int(k), n, share)
                    ci = test.proportion_ci(confidence_level=0.95, method="exact")
                    areas.append((test.pvalue, ci.low, ci.high, share))
            out[key] = {"groups": groups, "data_share": data_share.to_numpy(),
                        "city_share": city_share.to_numpy(), "low": boot_low,
                        "high": boot_high, "null_low": null_low, "null_high": null_high,
                        "p_value": p_value, "areas": np.array(areas)}
        return out

    # ------------------------------------------------------------------ access
    def access(self, points) -> tuple[dict, np.ndarray]:
        import geopandas as gpd

        near = gpd.sjoin_nearest(self.people, points, distance_col="distance")
        distance = near.groupby(level=0)["distance"].min().reindex(self.people.index)
        dist = distance.to_numpy()
        share = self.people["share"].to_numpy()[:, None]
        out = {}
        weights = {"all": (self.areas["residents"].reindex(self.people["code"]).to_numpy()[:, None]
                           * share)}
        for key, (_total, groups, table) in self.tables.items():
            weights[key] = table[groups].reindex(self.people["code"]).to_numpy() * share
        for key, w in weights.items():
            residents = w.sum(axis=0)
            out[key] = {"within": {t: w[dist <= t].sum(axis=0) / residents
                                   for t in (400.0, 800.0, 1600.0)},
                        "mean": (w * dist[:, None]).sum(axis=0) / residents}
        return out, dist

    # ------------------------------------------------------------------ where
    def where(self, counts, clock: Clock) -> dict:
        import esda
        import libpysal
        import mapclassify

        rate = (1000 * counts / self.areas["residents"]).to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "numba not installed", esda's FutureWarnings
            with clock("where: FisherJenks"):
                classes = mapclassify.FisherJenks(rate, k=5)
            with clock("where: Queen weights"):
                w = libpysal.weights.Queen.from_dataframe(self.lsoa, use_index=False)
                w.transform = "r"
            with clock("where: Moran_Local + Moran"):
                local = esda.Moran_Local(rate, w, permutations=PERMUTATIONS, seed=SEED)
                state = np.random.get_state()
                np.random.seed(SEED)
                glob = esda.Moran(rate, w, permutations=PERMUTATIONS)
                np.random.set_state(state)
            significant = local.p_sim <= esda.fdr(local.p_sim, 0.05)
        labels = np.where(significant, [QUADRANTS[q] for q in local.q], "not significant")
        return {"bins": classes.bins, "yb": classes.yb, "Is": local.Is, "labels": labels,
                "global_i": glob.I}

    # ------------------------------------------------------------------ one run
    def run(self, parquet: Path, clock: Clock, variant: str = "a") -> dict:
        """The whole script, placing the points as ``variant`` says; its answers."""
        out: dict = {}
        points, out["counts"], out["rows"] = self.read_and_place(parquet, variant, clock)
        with clock("access"):
            out["access"], out["distance"] = self.access(points)
        out["people_xy"] = shapely.get_coordinates(self.people.geometry.values)
        del points
        with clock("deprivation"):
            out["deprivation"] = self.deprivation(out["counts"])
        with clock("disparity"):
            out["disparity"] = self.disparity(out["counts"], clock)
        with clock("where"):
            out["where"] = self.where(out["counts"], clock)
        return out


# ============================================================================ same answers?

class Checks:
    """Comparisons of Common Ground's answers with the baseline's; failures make exit 1."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.failed: list[str] = []

    def expect(self, what: str, worst: float, limit: float, unit: str = "") -> None:
        ok = bool(worst <= limit)
        self.lines.append(f"{'ok  ' if ok else 'FAIL'} {what}: largest difference {worst:.3g}"
                          f"{unit} (allowed {limit:.3g}{unit})")
        if not ok:
            self.failed.append(what)

    def note(self, text: str) -> None:
        self.lines.append(f"     {text}")


def _rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))) if a.size else 0.0


def check_answers(city: City, measure, result: dict, returned: dict, base: dict,
                  checks: Checks, variant: str) -> None:
    """Does the baseline (``variant``) give Common Ground's numbers?"""
    tag = f"({variant}) "
    counts = base["counts"].to_numpy()
    checks.expect(tag + "points per LSOA (all 166) and rows",
                  float(np.max(np.abs(counts - measure.per_area))
                        + abs(base["rows"] - measure.rows_total)), 0)
    if variant != "a":  # the rest depends on the counts only, checked once, and on access
        _check_access(city, result, returned, base, checks, tag)
        return

    worst_rows = worst_point = 0.0
    worst_noise = 0.0
    for grouping, ours in result["deprivation"]["tables"].items():
        theirs = base["deprivation"][grouping]
        table = theirs["table"]
        for row in ours["rows"]:
            if row["areas"] == 0:
                continue
            got = table.loc[row["group"]]
            worst_rows = max(worst_rows, abs(got["areas"] - row["areas"]),
                             abs(got["count"] - row["measure"]),
                             _rel(got["residents"], row["residents"]))
            for k, j in (("rate", "value"), ("low", "low"), ("high", "high")):
                worst_rows = max(worst_rows, _rel(got[k], row[j]))
        slope = ours["slope"]
        worst_point = max(worst_point, *(_rel(theirs["slope"][k], slope[k])
                                         for k in ("sii", "rii", "concentration")))
        for k in ("sii", "rii", "concentration"):
            width = slope[f"{k}_high"] - slope[f"{k}_low"]
            for end in ("low", "high"):
                worst_noise = max(worst_noise,
                                  abs(theirs["slope"][f"{k}_{end}"] - slope[f"{k}_{end}"]) / width)
    checks.expect("deprivation rows: areas, residents, count, rate and Byar interval, 4 "
                  "groupings", worst_rows, 1e-9, " (relative)")
    checks.expect("SII, RII, concentration index", worst_point, 1e-9, " (relative)")
    checks.expect("their 95% intervals (Monte Carlo: own draws)", worst_noise, 0.05,
                  " of the interval's width")

    shares = boot = null = ci = 0.0
    agree = total = 0
    pdiff = 0.0
    for table in result["disparity"]["tables"]:
        theirs = base["disparity"][table["key"]]
        # Common Ground draws its null once per universe (compute._disparity) and centres the
        # draws on their own expectation, so each table's null is centred on its city share,
        # as the baseline's own-universe null is
        for v, group in enumerate(table["groups"]):
            shares = max(shares, abs(group["data_share"] - theirs["data_share"][v]),
                         abs(group["city_share"] - theirs["city_share"][v]))
            w = group["high_pp"] - group["low_pp"]
            boot = max(boot, abs(group["low_pp"] - 100 * theirs["low"][v]) / w,
                       abs(group["high_pp"] - 100 * theirs["high"][v]) / w)
            w = group["null_high_pp"] - group["null_low_pp"]
            null = max(null, abs(group["null_low_pp"] - 100 * theirs["null_low"][v]) / w,
                       abs(group["null_high_pp"] - 100 * theirs["null_high"][v]) / w)
        for t, area in enumerate(table["areas"]):
            p_value, low, high, share = theirs["areas"][t]
            ci = max(ci, abs(area["low_pp"] - 100 * (low - share)),
                     abs(area["high_pp"] - 100 * (high - share)))
            agree += (area["p_value"] <= 0.05) == (p_value <= 0.05)
            pdiff = max(pdiff, abs(area["p_value"] - p_value))
            total += 1
    checks.expect("disparity: data-weighted and city shares D_v, S_v, 8 tables", shares, 1e-12)
    checks.expect("disparity: bootstrap intervals (Monte Carlo: own draws)", boot, 0.05,
                  " of the interval's width")
    checks.expect("disparity: null intervals (Monte Carlo: own draws)", null, 0.05,
                  " of the interval's width")
    checks.expect("per-area Clopper-Pearson intervals (percentage points)", ci, 1e-9)
    checks.note(f"per-area p-values: Common Ground's exact central two-sided, binomtest's "
                f"exact minimum-likelihood; same verdict at 0.05 in {agree:,} of {total:,} "
                f"(largest difference {pdiff:.2g})")
    _check_access(city, result, returned, base, checks, tag)

    where = base["where"]
    ours = result["where"]
    checks.expect("Fisher-Jenks class bounds", _rel(where["bins"],
                                                    ours["classification"]["bins"]), 1e-12,
                  " (relative)")
    checks.expect("class of every area", float(np.sum(
        np.asarray(where["yb"]) != np.array([a["class"] for a in ours["areas"]]))), 0)
    spots = returned["hot_spots"]
    checks.expect("local Moran's I of every area and the global I", max(
        float(np.max(np.abs(np.asarray(spots.moran_i) - where["Is"]))),
        abs(spots.global_i - where["global_i"])), 1e-12)
    same = int(np.sum(np.array(spots.labels) == where["labels"]))
    checks.note(f"hot/cold-spot labels the same for {same} of {len(spots.labels)} areas "
                "(esda's p_sim counts ties one way, Common Ground's both ways)")


def _check_access(city: City, result: dict, returned: dict, base: dict, checks: Checks,
                  tag: str) -> None:
    ours_d = returned["nearest_distance"]
    theirs = base["access"]
    people = city.people.xy
    order = np.lexsort((people[:, 1], people[:, 0]))
    # the baseline's points in the same (x, y) order
    bx = base["people_xy"]
    border = np.lexsort((bx[:, 1], bx[:, 0]))
    same_points = float(np.max(np.abs(people[order] - bx[border])))
    worst = float(np.max(np.abs(ours_d[order] - base["distance"][border])))
    checks.expect(tag + "nearest-facility distance of every population point (m)",
                  max(worst, same_points), 1e-9)
    share = mean = 0.0
    tables = [("all", [result["access"]["all"]])] + [
        (t["key"], t["groups"]) for t in result["access"]["tables"]]
    for key, groups in tables:
        for v, group in enumerate(groups):
            for t, value in group["within"].items():
                share = max(share, abs(value - theirs[key]["within"][float(t)][v]))
            mean = max(mean, _rel(theirs[key]["mean"][v], group["mean_distance_m"]))
    within = result["access"]["all"]["within"]
    checks.expect(tag + "access: share within 400/800/1600 m, every group", share, 1e-9)
    checks.expect(tag + "access: mean distance, every group", mean, 1e-9, " (relative)")
    if tag == "(a) ":
        checks.note("all residents within 400/800/1600 m: " + ", ".join(
            f"{float(v):.4f}" for v in within.values()) + " (the points are dense: the "
            "distances are the real test)")


# ============================================================================ processes

HEAVY = ("duckdb", "scipy.stats", "scipy.spatial", "pandas", "geopandas", "mapclassify",
         "libpysal", "esda")


def fresh_link(parquet: Path, workdir: Path, name: str) -> Path:
    """The version under a new path (a hard link), so DuckDB's query cache has not seen it."""
    path = workdir / f"{name}.parquet"
    path.unlink(missing_ok=True)
    try:
        os.link(parquet, path)
    except OSError:
        shutil.copyfile(parquet, path)
    return path


def child(task: str, parquet: Path, workdir: Path) -> dict:
    """In a fresh process, after the set-up (City, or the baseline's tables).

    ``cold-<kind>``: the first call, imports included: seconds and ``ru_maxrss`` growth.
    ``memory-<kind>``: a first call on a 2,000-row copy of the version (imports, lazy
    set-ups), then one call on the full version with the RSS high-water mark reset
    (``/proc/self/clear_refs``) and ``ru_maxrss`` read before and after, then one more under
    ``tracemalloc``.
    """
    mode, kind = task.split("-", 1)
    if kind == "django":
        return {"differences": compare_with_django(build_city(), workdir)}
    if kind == "cg":
        city = build_city()

        def once(path: Path, name: str) -> None:
            commonground_run(city, fresh_link(path, workdir, f"{task}-{name}"), Clock())
    else:
        baseline = Baseline()

        def once(path: Path, name: str) -> None:
            baseline.run(path, Clock(), kind)
    out: dict = {}
    if mode == "memory":
        import duckdb

        tiny = workdir / f"{task}-2000-rows.parquet"
        duckdb.execute(f"COPY (SELECT * FROM read_parquet('{parquet}') LIMIT 2000) "
                       f"TO '{tiny}' (FORMAT parquet)")
        once(tiny, "tiny")
    loaded = {m for m in HEAVY if m in sys.modules}
    with rss_peak(out):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        once(parquet, "full")
        out["seconds"] = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        out["ru_maxrss_mb"] = after / 1024  # Linux: KiB
        out["ru_maxrss_growth_mb"] = (after - before) / 1024
    out["imported"] = [m for m in HEAVY if m in sys.modules and m not in loaded]
    if mode == "memory":
        gc.collect()
        tracemalloc.start()
        once(parquet, "traced")
        out["traced_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out


#: Starts the child from a small process: a child spawned by this (large) process starts with
#: its ``ru_maxrss`` (Linux keeps the peak of the memory image that ``exec`` replaces).
LAUNCHER = "import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:]))"


def run_child(kind: str, parquet: Path, workdir: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, __file__, "--child",
                          kind, "--parquet", str(parquet), "--workdir", str(workdir)],
                         capture_output=True, text=True, cwd=REPO)
    if out.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# ============================================================================ main

LABELS = {"cg": "Common Ground", "a": "(a) sjoin", "b": "(b) _lsoa21"}


def _median(runs: list[dict], step: str) -> float | None:
    values = [r["steps"][step] for r in runs if step in r["steps"]]
    return statistics.median(values) if values else None


def _versions() -> str:
    import duckdb
    import esda
    import geopandas
    import libpysal
    import mapclassify
    import pandas
    import scipy
    return (f"Python {platform.python_version()}, numpy {np.__version__}, scipy "
            f"{scipy.__version__}, DuckDB {duckdb.__version__}, shapely {shapely.__version__}, "
            f"pandas {pandas.__version__}, GeoPandas {geopandas.__version__}, esda "
            f"{esda.__version__}, libpysal {libpysal.__version__}, mapclassify "
            f"{mapclassify.__version__}; {os.cpu_count()} cores")


def report(info: dict, runs: dict, children: dict, cached_read: float, checks: Checks,
           repeat: int) -> None:
    def cell(x, fmt="{:.2f}") -> str:
        return f"{'–' if x is None else fmt.format(x):>14}"

    totals = {k: statistics.median(r["total"] for r in v) for k, v in runs.items()}
    print(f"\nFull lens, {info['rows']:,} points ({info['in_areas']:,} in the city's 166 LSOAs), "
          f"seconds, median of {repeat} warm runs each (interleaved)\n")
    print(f"{'step':44}" + "".join(f"{LABELS[k]:>14}" for k in runs))
    cg = runs["cg"]
    lens_other = statistics.median(
        r["steps"]["run_lens"] - sum(r["steps"][s] for s in ("deprivation", "disparity",
                                                             "access", "where"))
        for r in cg)
    rows = [("read + place points", [_median(cg, "read_measure")] + [
        statistics.median(r["steps"]["read (+ points_from_xy)"] + r["steps"]["place"]
                          for r in runs[k]) for k in ("a", "b")]),
            ("  read (+ points_from_xy)", [None, _median(runs["a"], "read (+ points_from_xy)"),
                                           _median(runs["b"], "read (+ points_from_xy)")]),
            ("  place: sjoin within / value_counts", [None, _median(runs["a"], "place"),
                                                       _median(runs["b"], "place")])]
    for step, label in (("deprivation", "deprivation (4 groupings, 10,000 draws)"),
                        ("disparity", "disparity (8 tables, 166 area tests each)"),
                        ("access", "access (nearest of the points, 790 origins)"),
                        ("where", "where (classes, hot spots)")):
        rows.append((label, [_median(runs[k], step) for k in runs]))
    rows.append(("words, method note, JSON", [lens_other, None, None]))
    rows.append(("total (median of run totals)", [totals[k] for k in runs]))
    rows.append(("time / Common Ground", [totals[k] / totals["cg"] for k in runs]))
    for label, values in rows:
        fmt = "{:.2f}×" if label.startswith("time /") else "{:.2f}"
        print(f"{label:44}" + "".join(cell(v, fmt) for v in values))
    print(f"{'':44}" + "".join(f"{'min ' + format(min(r['total'] for r in runs[k]), '.2f'):>14}"
                               for k in runs))

    print(f"{'points part only: read + place + access':44}" + "".join(cell(v) for v in (
        statistics.median(sum(r["steps"].get(s, 0.0) for s in (
            "read_measure", "read (+ points_from_xy)", "place", "access")) for r in runs[k])
        for k in runs)))

    print(f"\n{'memory (MB) and first call, fresh processes':44}"
          + "".join(f"{LABELS[k]:>14}" for k in runs))
    mem = [("tracemalloc peak, warm call", "memory", "traced_peak_mb"),
           ("peak RSS above start, warm call", "memory", "rss_peak_mb"),
           ("ru_maxrss growth, warm call", "memory", "ru_maxrss_growth_mb"),
           ("peak RSS above start, first call", "cold", "rss_peak_mb"),
           ("ru_maxrss growth, first call", "cold", "ru_maxrss_growth_mb"),
           ("ru_maxrss after first call (whole process)", "cold", "ru_maxrss_mb"),
           ("first call, imports included (s)", "cold", "seconds")]
    for label, mode, key in mem:
        fmt = "{:.2f}" if label.endswith("(s)") else "{:,.0f}"
        print(f"{label:44}" + "".join(cell(children[f"{mode}-{k}"].get(key), fmt)
                                      for k in runs))
    for k in runs:
        print(f"  first call of {LABELS[k]} imported: "
              f"{', '.join(children[f'cold-{k}']['imported']) or 'nothing heavy'}")

    print("\nCommon Ground inside its steps (median s): " + ", ".join(
        f"{s} {_median(cg, s):.3f}" for s in sorted(cg[0]["steps"]) if ":" in s))
    print(f"  read_measure when the version is already in DuckDB's query cache: "
          f"{cached_read:.3f} s")
    print("Baseline (a) inside its steps (median s): " + ", ".join(
        f"{s} {_median(runs['a'], s):.3f}" for s in sorted(runs["a"][0]["steps"]) if ":" in s))

    print("\nSame answers?")
    for line in checks.lines:
        print("  " + line)

    print()
    t = totals["cg"]
    print(f"goal: Common Ground full lens under {TIME_GOAL_S:.0f} s: {t:.2f} s  "
          f"{'PASS' if t < TIME_GOAL_S else 'MISS'}")
    for k in ("a", "b"):
        ratio = totals[k] / t
        note = "" if k == "a" else " (for information: given the precomputed LSOA column)"
        print(f"goal: ≥ {SPEED_GOAL:.0f}× faster than {LABELS[k]}: {ratio:.2f}×  "
              f"{'PASS' if ratio >= SPEED_GOAL else 'MISS'}{note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="points in the version")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each (median)")
    parser.add_argument("--seed", type=int, default=2021, help="random seed for the points")
    parser.add_argument("--against-django", action="store_true",
                        help="also check the City against lens_city() of a throwaway hub")
    parser.add_argument("--national", action="store_true",
                        help="national scale (COMMONGROUND_DATA = the England package): the "
                        "package's point files and --points generated points, Common Ground "
                        "only, against the ≤ 5 s, ≤ 1 GB goal")
    parser.add_argument("--server", type=Path, metavar="DB",
                        help="the web process instead: gunicorn (one worker) on a copy of this "
                        "SQLite database with a national dataset published, its resident "
                        "memory before and after the lens page and each lens download")
    parser.add_argument("--datastore", type=Path, help="with --server: the database's datastore")
    parser.add_argument("--dataset", default="ev-chargepoints",
                        help="with --server: the dataset whose lens is asked for")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.parquet, args.workdir)))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="cg-lens-bench-"))
    try:
        if args.server:
            return served(args, workdir)
        return national(args, workdir) if args.national else _main(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _main(args, workdir: Path) -> int:
    from commonground.lens.measure import read_measure

    print(_versions())
    start = time.perf_counter()
    city = build_city()
    print(f"City from {DATA} (load_city, no Django): {time.perf_counter() - start:.2f} s, "
          "not timed")
    parquet = workdir / "version.parquet"
    start = time.perf_counter()
    info = make_points(city, args.points, args.seed, parquet)
    print(f"{info['rows']:,} points (seed {args.seed}), {info['in_areas']:,} in an LSOA, "
          f"{info['bytes'] / 2**20:.1f} MB zstd Parquet: {time.perf_counter() - start:.2f} s, "
          "not timed", flush=True)
    if args.against_django:
        differences = run_child("check-django", parquet, workdir)["differences"]
        print("City against lens_city() of a throwaway hub: "
              + ("every field identical" if not differences
                 else "DIFFERENT: " + ", ".join(differences)), flush=True)
        if differences:
            return 1
    start = time.perf_counter()
    baseline = Baseline()
    print(f"baseline set-up (boundaries, CSVs, output-area points): "
          f"{time.perf_counter() - start:.2f} s, not timed", flush=True)

    commonground_run(city, fresh_link(parquet, workdir, "warm"), Clock())  # imports, caches
    for kind in ("a", "b"):
        baseline.run(parquet, Clock(), kind)
    runs: dict[str, list] = {"cg": [], "a": [], "b": []}
    answers: dict = {}
    for r in range(args.repeat):
        for kind in runs:
            clock = Clock()
            path = fresh_link(parquet, workdir, f"run-{r}")
            gc.collect()
            begin = time.perf_counter()
            if kind == "cg":
                answers[kind] = commonground_run(city, path, clock)
            else:
                answers[kind] = baseline.run(parquet, clock, kind)
            total = time.perf_counter() - begin
            runs[kind].append({"total": total, "steps": clock.steps})
        print(f"run {r + 1}/{args.repeat}: " + ", ".join(
            f"{LABELS[k]} {runs[k][-1]['total']:.2f} s" for k in runs), flush=True)
    begin = time.perf_counter()  # the last run's version is now in the query cache
    read_measure(path, city.area_codes, city.base_geography, kind="count")
    cached_read = time.perf_counter() - begin

    checks = Checks()
    measure, result, returned = answers["cg"]
    for kind in ("a", "b"):
        check_answers(city, measure, result, returned, answers[kind], checks, kind)
    children = {}
    for kind in runs:
        for mode in ("cold", "memory"):
            children[f"{mode}-{kind}"] = run_child(f"{mode}-{kind}", parquet, workdir)
        print(f"fresh processes, {LABELS[kind]}: first call "
              f"{children[f'cold-{kind}']['seconds']:.2f} s", flush=True)
    report(info, runs, children, cached_read, checks, args.repeat)
    if checks.failed:
        print("\nDIFFERENT ANSWERS: " + "; ".join(checks.failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
