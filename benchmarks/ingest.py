"""Benchmark: ingest a 1,000,000-row CSV, Common Ground against a floor and an analyst's script.

    .venv/bin/python benchmarks/ingest.py [--rows N] [--repeat R] [--seed S]

Writes a seeded CSV of council service requests (:mod:`benchdata`: id, date, category, free
text, an integer, an amount, latitude/longitude mostly inside Milton Keynes; ~116 MB for
1,000,000 rows) into a temporary folder, then times, best of R runs, each run in a fresh
child process:

* ``Common Ground``: :func:`commonground.datastore.ingest.ingest_file` with the real
  Gazetteer of a throwaway hub (own SQLite database: ``migrate`` + ``load_places`` once,
  Django set up and the Gazetteer built in the child before the clock starts). Timed: the
  whole call: UTF-8 check, read, type inference and validation of every cell, cast, place
  linking (LSOA 2021 by point, then LSOA 2011, MSOA 2011/2021 and ward by lookup) and the
  zstd Parquet write.
* ``(a) DuckDB COPY`` floor: ``COPY (SELECT * FROM read_csv(file)) TO 'x.parquet'`` with
  DuckDB's auto-detected types, no validation report, no linking: with zstd (the
  compression Common Ground writes, so the fair floor) and with DuckDB's default (snappy).
* ``(b) pandas + GeoPandas`` analyst: ``read_csv`` (default engine with
  ``parse_dates=["date"]``; tuned: ``engine="pyarrow", dtype_backend="pyarrow"``),
  ``points_from_xy`` + ``to_crs(27700)``, ``sjoin(how="left", predicate="within")`` against
  the LSOA 2021 polygons (their spatial index built inside sjoin), a pandas ``merge`` with the
  LSOA → MSOA → ward lookup CSV, and ``to_parquet`` (pandas' default, snappy) of the data
  columns, codes and easting/northing. The polygons and the lookup are read (and
  projected) before the clock starts, as the Gazetteer is for Common Ground.
* ``(c) floor + our linking, no checks``: a lower bound for any ingest that links every
  row the way the issue asks: DuckDB's own typed ``read_csv`` (as the floor) into Arrow,
  Common Ground's linker on the latitude/longitude columns (named, not detected) and the
  same Parquet write as Common Ground (:func:`commonground.datastore.ingest.write_parquet`:
  ``_id``, ``_row``, the data, the six link columns, easting/northing). No type inference,
  no validation of any cell, no report. What it costs beyond (a) is what linking and the
  link columns cost; Common Ground's time beyond (c) is what checking every value costs.

Peak memory is the child's peak resident set size: ``ru_maxrss`` from ``os.wait4`` (the
whole child: interpreter, imports, set-up and the timed step), and, where Linux allows
resetting the high-water mark (``/proc/self/clear_refs``), the peak during the timed step
alone (``VmHWM``). The largest over the R runs is reported.

Afterwards: all methods must produce the same number of rows, and the LSOA of every row
from Common Ground is compared with the analyst's (expected 100 % agreement: ``within``
leaves out points exactly on a boundary, where Common Ground answers the lowest covering
area; random points practically never land there). Goals (from the issue): Common Ground
within 1.5× of the zstd floor, and at least 3× faster than the analyst's script; (c) is
printed against both, since no ingest that links every row can be faster than it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchdata  # noqa: E402
from throwaway_hub import ThrowawayHub, setup_django  # noqa: E402

#: name → label, in the order of the table.
METHODS = {
    "commonground": "Common Ground ingest_file",
    "duckdb-zstd": "(a) DuckDB COPY, zstd",
    "duckdb-snappy": "(a) DuckDB COPY, snappy (default)",
    "pandas-default": "(b) pandas default + GeoPandas",
    "pandas-pyarrow": "(b) pandas pyarrow + GeoPandas",
    "floor-linked": "(c) floor + our linking, no checks",
}
FLOOR_GOAL = 1.5  # Common Ground time ≤ 1.5 × the floor's
ANALYST_GOAL = 3.0  # analyst time ≥ 3 × Common Ground's


# ---------------------------------------------------------------- child processes

def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux ``clear_refs`` 5); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def child(method: str, csv: Path, out: Path, hub_root: Path, workdir: Path) -> dict:
    """Run one method once in this process; what the parent needs to know, as a dict."""
    extra: dict = {}
    if method == "commonground":
        setup_django(hub_root)
        from commonground.catalogue.gazetteer import gazetteer
        from commonground.datastore.ingest import ingest_file

        places = gazetteer()  # one-off per places load, cached by the hub: not timed
        resettable = _reset_peak()
        start = time.perf_counter()
        outcome = ingest_file(csv, filename=csv.name, dest=out, workdir=workdir,
                              gazetteer=places)
        seconds = time.perf_counter() - start
        if not outcome.ok:
            raise SystemExit(f"Common Ground refused the file: {outcome.report.to_dict()}")
        rows = outcome.row_count
        extra = {"steps": outcome.seconds, "links": outcome.links.to_dict(),
                 "types": {c.name: c.type for c in outcome.report.columns}}
    elif method == "floor-linked":
        setup_django(hub_root)
        import duckdb
        import numpy as np
        import pyarrow as pa

        from commonground.catalogue.gazetteer import gazetteer
        from commonground.datastore import linking
        from commonground.datastore.ingest import write_parquet

        places = gazetteer()
        con = duckdb.connect(config={"temp_directory": str(workdir / "duckdb.tmp")})
        resettable = _reset_peak()
        start = time.perf_counter()
        table = con.sql(f"SELECT * FROM read_csv('{csv}')").to_arrow_table()
        table = table.add_column(0, "_row", pa.array(np.arange(2, table.num_rows + 2)))
        con.register("typed", table)
        plan = linking.LinkPlan(lat="latitude", lon="longitude")  # given, not detected
        links, _ = linking.link(con, "typed", plan, places)
        columns = {"_id": pa.array(np.arange(1, table.num_rows + 1))}
        columns |= {n: table.column(n) for n in table.column_names}
        columns |= {n: links.column(n) for n in links.column_names if n != "_row"}
        enums = {n: links.column(n).chunk(0).dictionary.to_pylist()
                 for n in links.column_names if pa.types.is_dictionary(links.schema.field(n).type)}
        write_parquet(con, pa.table(columns), out, enums=enums)
        seconds = time.perf_counter() - start
        rows = table.num_rows
    elif method.startswith("duckdb"):
        import duckdb

        compression = "zstd" if method == "duckdb-zstd" else None
        con = duckdb.connect(config={"temp_directory": str(workdir / "duckdb.tmp")})
        option = f", COMPRESSION {compression}" if compression else ""
        resettable = _reset_peak()
        start = time.perf_counter()
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' "
                    f"(FORMAT parquet{option})")
        seconds = time.perf_counter() - start
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(out)]).fetchone()[0]
        extra = {"types": dict(con.execute(
            "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))",
            [str(out)]).fetchall())}
    else:
        import geopandas
        import numpy as np
        import pandas as pd

        lsoa = geopandas.read_file(benchdata.lsoa21_path())[["LSOA21CD", "geometry"]]
        lsoa = lsoa.to_crs(27700)
        lookup = pd.read_csv(benchdata.lookup_path(), usecols=["LSOA21CD", "MSOA21CD", "WD24CD"])
        resettable = _reset_peak()
        start = time.perf_counter()
        if method == "pandas-pyarrow":
            frame = pd.read_csv(csv, engine="pyarrow", dtype_backend="pyarrow")
        else:
            frame = pd.read_csv(csv, parse_dates=["date"])
        lon = frame["longitude"].to_numpy(dtype="float64", na_value=np.nan)
        lat = frame["latitude"].to_numpy(dtype="float64", na_value=np.nan)
        points = geopandas.GeoDataFrame(
            frame, geometry=geopandas.points_from_xy(lon, lat), crs=4326).to_crs(27700)
        joined = geopandas.sjoin(points, lsoa, how="left", predicate="within")
        joined = joined.drop(columns="index_right").merge(lookup, on="LSOA21CD", how="left")
        joined["easting"] = joined.geometry.x
        joined["northing"] = joined.geometry.y
        pd.DataFrame(joined.drop(columns="geometry")).to_parquet(out)
        seconds = time.perf_counter() - start
        rows = len(joined)
        extra = {"types": {c: str(t) for c, t in joined.dtypes.items()}}
    return {"seconds": seconds, "rows": int(rows),
            "timed_peak_mb": _peak_mb() if resettable else None, **extra}


# ---------------------------------------------------------------- parent

@dataclass
class Result:
    method: str
    seconds: float = float("inf")
    peak_mb: float = 0.0
    timed_peak_mb: float | None = None
    rows: set[int] = field(default_factory=set)
    best: dict = field(default_factory=dict)  # the child's report from its fastest run


def run_child(method: str, csv: Path, out: Path, hub: ThrowawayHub, tmp: Path) -> tuple[dict, float]:
    """One run of ``method`` in a fresh process: (its report, its peak RSS in MB)."""
    workdir = Path(tempfile.mkdtemp(prefix=f"work-{method}-", dir=tmp))
    report = tmp / f"report-{method}.json"
    out.unlink(missing_ok=True)
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", method, "--csv", str(csv), "--out", str(out),
         "--hub", str(hub.root), "--workdir", str(workdir), "--report", str(report)],
        env=hub.env())
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(workdir, ignore_errors=True)
    if process.returncode != 0:
        raise SystemExit(f"{method} failed (exit {process.returncode})")
    return json.loads(report.read_text()), usage.ru_maxrss / 1024  # Linux: kilobytes


def lsoa_agreement(ours: Path, theirs: Path) -> dict:
    """Rows whose LSOA 2021 (and MSOA 2021, ward) agree between our version and theirs."""
    import duckdb

    con = duckdb.connect()
    total, lsoa, msoa, ward, ours_only, theirs_only = con.execute(
        "SELECT count(*), "
        "count(*) FILTER (WHERE o._lsoa21 IS NOT DISTINCT FROM t.LSOA21CD), "
        "count(*) FILTER (WHERE o._msoa21 IS NOT DISTINCT FROM t.MSOA21CD), "
        "count(*) FILTER (WHERE o._ward IS NOT DISTINCT FROM t.WD24CD), "
        "count(*) FILTER (WHERE o._lsoa21 IS NOT NULL AND t.LSOA21CD IS NULL), "
        "count(*) FILTER (WHERE o._lsoa21 IS NULL AND t.LSOA21CD IS NOT NULL) "
        "FROM read_parquet(?) o JOIN read_parquet(?) t USING (id)",
        [str(ours), str(theirs)]).fetchone()
    # Points where the answers differ: how many lie exactly on an LSOA boundary (a tie that
    # "within" leaves out and Common Ground gives to the lowest covering area)?
    differ = con.execute(
        "SELECT o._easting, o._northing FROM read_parquet(?) o JOIN read_parquet(?) t "
        "USING (id) WHERE o._lsoa21 IS DISTINCT FROM t.LSOA21CD AND o._easting IS NOT NULL",
        [str(ours), str(theirs)]).fetchnumpy()
    on_boundary = 0
    if len(differ["_easting"]):
        import geopandas
        import shapely

        polygons = geopandas.read_file(benchdata.lsoa21_path()).to_crs(27700).geometry.values
        edges = shapely.STRtree(shapely.boundary(polygons))
        points = shapely.points(differ["_easting"], differ["_northing"])
        # _easting/_northing are rounded to 0.1 m: "on the boundary" within that rounding
        near = edges.query(points, predicate="dwithin", distance=0.1)[0]
        on_boundary = len(set(near.tolist()))
    return {"joined": total, "lsoa": lsoa, "msoa": msoa, "ward": ward, "ours_only": ours_only,
            "theirs_only": theirs_only, "on_boundary": on_boundary}


def versions() -> str:
    import duckdb
    import geopandas
    import pandas
    import pyarrow
    import shapely

    return (f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
            f"pandas {pandas.__version__}, GeoPandas {geopandas.__version__}, "
            f"shapely {shapely.__version__}, pyarrow {pyarrow.__version__}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--repeat", type=int, default=3, help="take the best of this many runs")
    parser.add_argument("--seed", type=int, default=2021, help="random seed for the CSV")
    parser.add_argument("--methods", default=",".join(METHODS),
                        help="comma-separated subset of: " + ", ".join(METHODS))
    for name in ("child", "csv", "out", "hub", "workdir", "report"):  # child process only
        parser.add_argument(f"--{name}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        report = child(args.child, Path(args.csv), Path(args.out), Path(args.hub),
                       Path(args.workdir))
        Path(args.report).write_text(json.dumps(report))
        return

    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {', '.join(METHODS)}")
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-ingest-"))
    try:
        started = time.perf_counter()
        info = benchdata.write_requests_csv(tmp / "service_requests.csv", rows=args.rows,
                                            seed=args.seed)
        print(f"CSV: {info.rows:,} rows, {info.bytes / 1e6:,.1f} MB "
              f"({time.perf_counter() - started:.1f} s to generate, seed {args.seed}); "
              f"{info.inside_share:.0%} of located rows drawn inside Milton Keynes", flush=True)
        hub = ThrowawayHub(tmp / "hub")
        started = time.perf_counter()
        hub.prepare()
        print(f"throwaway hub: migrate + load_places in {time.perf_counter() - started:.1f} s "
              "(not timed)", flush=True)

        results = {m: Result(m) for m in methods}
        outputs = {m: tmp / f"out-{m}.parquet" for m in methods}
        for run in range(args.repeat):  # round-robin, so slow drift hits every method alike
            for method in methods:
                report, peak = run_child(method, info.path, outputs[method], hub, tmp)
                r = results[method]
                print(f"  run {run + 1}/{args.repeat} {method:15} {report['seconds']:8.2f} s  "
                      f"peak {peak:7,.0f} MB", flush=True)
                r.rows.add(report["rows"])
                r.peak_mb = max(r.peak_mb, peak)
                if report["timed_peak_mb"] is not None:
                    r.timed_peak_mb = max(r.timed_peak_mb or 0.0, report["timed_peak_mb"])
                if report["seconds"] < r.seconds:
                    r.seconds, r.best = report["seconds"], report
        consistent = print_results(args, info, results, outputs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if not consistent:
        raise SystemExit("the methods produced different numbers of rows")


def print_results(args, info: benchdata.CsvInfo, results: dict[str, Result],
                  outputs: dict[str, Path]) -> bool:
    """Print the table, checks and goals; False if the row counts differ."""
    ours = results.get("commonground")
    _print_table(args, info, results, ours)
    same = _print_row_counts(info, results)
    if ours:
        _print_our_run(ours, results, outputs)
    print()
    if not ours:
        return same
    _print_goals(ours, results)
    bound = results.get("floor-linked")
    if bound:
        _print_lower_bound(bound, results)
    return same


def _print_table(args, info: benchdata.CsvInfo, results: dict[str, Result],
                 ours: Result | None) -> None:
    """The CSV, the machine and one line per method: time, speed, memory, time over ours."""
    print(f"\n{info.rows:,} rows, {info.bytes / 1e6:,.1f} MB CSV; best of {args.repeat}; "
          f"{os.cpu_count()} cores; {dt.date.today().isoformat()}")
    print(versions() + "\n")
    print(f"{'method':36} {'seconds':>8} {'rows/s':>11} {'peak RSS MB':>12} "
          f"{'timed MB':>9} {'time/CG':>8}")
    for method, r in results.items():
        timed = f"{r.timed_peak_mb:9,.0f}" if r.timed_peak_mb is not None else f"{'-':>9}"
        ratio = f"{r.seconds / ours.seconds:7.2f}×" if ours else f"{'-':>8}"
        print(f"{METHODS[method]:36} {r.seconds:8.2f} {info.rows / r.seconds:11,.0f} "
              f"{r.peak_mb:12,.0f} {timed} {ratio}")
    print("(peak RSS: whole child process incl. imports and set-up; timed MB: peak during "
          "the timed step alone)")


def _print_row_counts(info: benchdata.CsvInfo, results: dict[str, Result]) -> bool:
    """Whether every method wrote every row of the CSV, printed; the answer."""
    counts = {m: sorted(r.rows) for m, r in results.items()}
    same = all(c == [info.rows] for c in counts.values())
    print(f"\nrow counts: {'all ' + format(info.rows, ',') if same else counts}"
          f"{'' if same else '  <-- MISMATCH'}")
    return same


def _print_our_run(ours: Result, results: dict[str, Result], outputs: dict[str, Path]) -> None:
    """Common Ground's steps and links in its fastest run, and how its LSOAs agree with the
    analyst's."""
    steps = ours.best["steps"]
    print("Common Ground steps (fastest run): " + ", ".join(
        f"{k} {v:.2f} s" for k, v in steps.items()) +
        f" (sum {sum(steps.values()):.2f} s)")
    links = ours.best["links"]
    print(f"Common Ground links: {links['linked']:,} of {links['rows']:,} rows placed "
          f"({links['by_method']}); unplaced: {links['unmatched_by_reason']}")
    for method in ("pandas-default", "pandas-pyarrow"):
        if method not in results:
            continue
        a = lsoa_agreement(outputs["commonground"], outputs[method])
        n = a["joined"]
        print(f"agreement with {method}: LSOA {a['lsoa']:,}/{n:,} ({a['lsoa'] / n:.4%}); "
              f"MSOA 2021 {a['msoa'] / n:.4%}; ward {a['ward'] / n:.4%}; placed by us only "
              f"{a['ours_only']:,}, by them only {a['theirs_only']:,}; of the "
              f"{n - a['lsoa']:,} differing rows, {a['on_boundary']:,} within 0.1 m of "
              "an LSOA boundary")


def _print_goals(ours: Result, results: dict[str, Result]) -> None:
    """Goal (a) against each floor and goal (b) against each analyst's script that ran."""
    for floor in ("duckdb-zstd", "duckdb-snappy"):
        if floor in results:
            ratio = ours.seconds / results[floor].seconds
            verdict = "PASS" if ratio <= FLOOR_GOAL else "MISS"
            print(f"goal (a) Common Ground ≤ {FLOOR_GOAL}× {METHODS[floor]}: "
                  f"{ratio:.2f}×  {verdict}")
    for analyst in ("pandas-default", "pandas-pyarrow"):
        if analyst in results:
            ratio = results[analyst].seconds / ours.seconds
            verdict = "PASS" if ratio >= ANALYST_GOAL else "MISS"
            print(f"goal (b) Common Ground ≥ {ANALYST_GOAL}× faster than {METHODS[analyst]}: "
                  f"{ratio:.2f}×  {verdict}")


def _print_lower_bound(bound: Result, results: dict[str, Result]) -> None:
    """The floor with our linking (c) against the floor and the analyst's scripts."""
    print(f"\nlower bound {METHODS['floor-linked']}: {bound.seconds:.2f} s")
    if "duckdb-zstd" in results:
        print(f"  = {bound.seconds / results['duckdb-zstd'].seconds:.2f}× "
              f"{METHODS['duckdb-zstd']} (goal (a) asks ≤ {FLOOR_GOAL}×)")
    for analyst in ("pandas-default", "pandas-pyarrow"):
        if analyst in results:
            print(f"  = {results[analyst].seconds / bound.seconds:.2f}× faster than "
                  f"{METHODS[analyst]} (goal (b) asks ≥ {ANALYST_GOAL}×)")


if __name__ == "__main__":
    main()
