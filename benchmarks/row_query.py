"""Benchmark: "a page of rows and its exact total" over HTTP, Common Ground against Datasette.

    .venv/bin/python benchmarks/row_query.py [--rows N] [--requests R] [--warmup W] [--seed S]

The same seeded CSV as ``benchmarks/ingest.py`` (:mod:`benchdata`, 1,000,000 council service
requests) is served two ways, one server at a time, each bound to 127.0.0.1 and stopped at
the end:

* **Common Ground**: a throwaway hub (own SQLite database, ``migrate`` + ``load_places``) in
  which an organisation publishes a public dataset; the CSV goes through the catalogue's
  ingest use case (``stage_upload`` + ``run_job``), so the rows are a zstd Parquet version.
  Served by gunicorn (the server ``commonground/wsgi.py`` names), one worker process, worker
  class ``gthread`` with one thread (gunicorn's ``sync`` worker closes every connection;
  ``gthread`` keeps it alive, as uvicorn does for Datasette), ``DEBUG=0``. Asked
  ``GET /api/catalogue/resources/<id>/rows?category=X&amount__gt=Y&sort=-amount&limit=100``.
* **Datasette** (``datasette serve db.sqlite``, one process, its defaults): the CSV loaded
  into SQLite with Python's csv module and ``executemany`` (``id INTEGER PRIMARY KEY``,
  INTEGER/REAL/TEXT columns, blanks NULL). Three set-ups:
  ``default``: no index; ``indexed``: what a careful user adds for these questions, indexes
  on (category, amount) and on (amount), then ``ANALYZE``; ``indexed, tuned``: the same
  database with Datasette's own settings for an API: ``--setting suggest_facets off``
  (otherwise every table request also runs facet-suggestion queries) and ``-i`` (immutable:
  no locking). Asked ``GET /db/service_requests.json?category=X&amount__gt=Y&_sort_desc=amount
  &_size=100&_shape=objects``. Datasette's ``filtered_table_rows_count`` is an exact
  ``count(*)``, or null if that count ran past ``sql_time_limit_ms`` (1,000 ms by default):
  if any question comes back without its count (or fails) the set-up is restarted with
  ``--setting sql_time_limit_ms 60000`` so it answers the same question, and that is said.

Questions: ``--questions`` (50) seeded (category, threshold) pairs, the category uniform over
the 12, the threshold at a uniform quantile in [0, 0.999] of the amounts' distribution, so
totals run from a few dozen rows to a few hundred thousand. First every question is asked
once of every side and the answers compared (the same total and the same 100 ids in the same
order; a difference that is only the order of rows with equal amounts is counted apart,
since neither API promises an order within ties); then, with one keep-alive
``requests.Session`` per side, sequentially, W warm-up requests and R timed ones (the
questions in a seeded shuffled order, repeated; a side's timed loop also stops after
``--max-seconds``, so a slow baseline cannot run for an hour: the table says how many
requests were timed). Latency is wall time from sending the request to having the whole
body, on the same machine (2 cores: client and server share them). Goal (from the issue):
Common Ground p50 ≤ 0.5× Datasette's. The script exits non-zero if any answer differs.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchdata  # noqa: E402
import row_floor  # noqa: E402
from throwaway_hub import REPO, ThrowawayHub  # noqa: E402

TABLE = "service_requests"
PAGE = 100
GOAL = 0.5  # Common Ground p50 ≤ 0.5 × Datasette p50
STARTUP_SECONDS = 120  # a server that is not answering by then is a failure
REQUEST_TIMEOUT = 120  # seconds, per request
#: Per side, the timed loop stops early after this many seconds (a slow baseline at 1M rows
#: would otherwise take most of an hour); the number of requests timed is reported.
MAX_SECONDS = 240
RAISED_TIME_LIMIT_MS = 60_000


@dataclass(frozen=True)
class Question:
    category: str
    threshold: float


@dataclass
class Answer:
    total: int | None
    ids: list[int]
    amounts: list[float]


@dataclass
class Side:
    name: str
    note: str = ""
    answers: dict[Question, Answer] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    def percentile(self, p: float) -> float:
        return float(np.percentile(self.latencies, p))


# ---------------------------------------------------------------- data

def questions(n: int, seed: int) -> list[Question]:
    """n distinct (category, threshold) pairs; thresholds at uniform quantiles of amount."""
    rng = np.random.default_rng(seed + 1)
    amounts = statistics.NormalDist(mu=np.log(55), sigma=1.2)  # see benchdata: lognormal
    out: dict[Question, None] = {}
    while len(out) < n:
        category = benchdata.CATEGORIES[rng.integers(len(benchdata.CATEGORIES))]
        threshold = round(float(np.exp(amounts.inv_cdf(max(rng.uniform(0, 0.999), 1e-9)))), 2)
        out[Question(category, threshold)] = None
    return list(out)


def load_sqlite(csv_path: Path, db: Path) -> None:
    """The CSV as a typed SQLite table (blanks NULL), as a careful user would load it."""
    con = sqlite3.connect(db)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.execute(f"CREATE TABLE {TABLE} (id INTEGER PRIMARY KEY, date TEXT, category TEXT, "
                    "name TEXT, quantity INTEGER, amount REAL, latitude REAL, longitude REAL)")
        casts = (int, str, str, str, int, float, float, float)
        with open(csv_path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            assert header == ["id", "date", "category", "name", "quantity", "amount",
                              "latitude", "longitude"], header
            rows = (tuple(cast(v) if v != "" else None for cast, v in zip(casts, row,
                                                                          strict=True))
                    for row in reader)
            con.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.commit()
    finally:
        con.close()


def add_indexes(db: Path) -> None:
    con = sqlite3.connect(db)
    try:
        con.execute(f"CREATE INDEX idx_category_amount ON {TABLE} (category, amount)")
        con.execute(f"CREATE INDEX idx_amount ON {TABLE} (amount)")
        con.execute("ANALYZE")
        con.commit()
    finally:
        con.close()


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess on 127.0.0.1; ``stop()`` ends it (and only it)."""

    def __init__(self, name: str, command: list[str], probe: str, *, env=None, log: Path):
        self.name, self.log = name, log
        self.out = open(log, "wb")
        self.process = subprocess.Popen(command, env=env, cwd=REPO, stdout=self.out,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if self.process.poll() is not None:
                self.stop()
                raise SystemExit(f"{name} exited during start-up:\n{self.tail()}")
            try:
                if requests.get(probe, timeout=10).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit(f"{name} did not answer within {STARTUP_SECONDS} s:\n"
                                 f"{self.tail()}")
            time.sleep(0.2)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.out.close()


def commonground_server(hub: ThrowawayHub, port: int, resource: str, log: Path) -> Server:
    env = hub.env(DEBUG="0", SECRET_KEY="benchmark-only-not-secret", SECURE_SSL_REDIRECT="0",
                  ALLOWED_HOSTS="127.0.0.1")
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--worker-class", "gthread", "--threads", "1",
               "--timeout", str(REQUEST_TIMEOUT), "commonground.wsgi"]
    probe = f"http://127.0.0.1:{port}/api/catalogue/resources/{resource}/rows?limit=1"
    return Server("gunicorn (Common Ground)", command, probe, env=env, log=log)


def datasette_server(db: Path, port: int, settings: list[str], immutable: bool,
                     log: Path) -> Server:
    datasette = Path(sys.executable).with_name("datasette")
    command = [str(datasette), "serve", *(["-i"] if immutable else []), str(db),
               "--host", "127.0.0.1", "--port", str(port)]
    for setting in settings:
        command += ["--setting", *setting.split("=", 1)]
    probe = f"http://127.0.0.1:{port}/{db.stem}/{TABLE}.json?_size=1"
    return Server("datasette", command, probe, log=log)


# ---------------------------------------------------------------- clients

def commonground_ask(base: str, resource: str) -> Callable:
    url = f"{base}/api/catalogue/resources/{resource}/rows"

    def ask(session: requests.Session, q: Question) -> requests.Response:
        return session.get(url, params={"category": q.category, "amount__gt": f"{q.threshold}",
                                        "sort": "-amount", "limit": PAGE},
                           timeout=REQUEST_TIMEOUT)

    def answer(response: requests.Response) -> Answer:
        body = response.json()
        return Answer(body["total"], [r["id"] for r in body["rows"]],
                      [r["amount"] for r in body["rows"]])

    return ask, answer


def datasette_ask(base: str, db: str) -> Callable:
    url = f"{base}/{db}/{TABLE}.json"

    def ask(session: requests.Session, q: Question) -> requests.Response:
        return session.get(url, params={"category": q.category, "amount__gt": f"{q.threshold}",
                                        "_sort_desc": "amount", "_size": PAGE,
                                        "_shape": "objects"}, timeout=REQUEST_TIMEOUT)

    def answer(response: requests.Response) -> Answer:
        body = response.json()
        return Answer(body.get("filtered_table_rows_count"), [r["id"] for r in body["rows"]],
                      [r["amount"] for r in body["rows"]])

    return ask, answer


def collect_answers(side: Side, ask, answer, qs: list[Question]) -> list[str]:
    """Ask every question once (untimed); the problems found (errors, missing counts)."""
    problems = []
    with requests.Session() as session:
        for q in qs:
            response = ask(session, q)
            if response.status_code != 200:
                problems.append(f"{q}: HTTP {response.status_code} {response.text[:200]}")
                continue
            side.answers[q] = got = answer(response)
            if got.total is None:
                problems.append(f"{q}: no total (count timed out)")
    return problems


def measure(side: Side, ask, qs: list[Question], warmup: int, count: int, seed: int,
            max_seconds: float) -> None:
    """Warm-up requests, then up to ``count`` timed ones (fewer after ``max_seconds``)."""
    rng = np.random.default_rng(seed + 2)
    order = [qs[i] for i in np.concatenate(
        [rng.permutation(len(qs)) for _ in range((warmup + count) // len(qs) + 1)])]
    with requests.Session() as session:
        for i, q in enumerate(order[:warmup + count]):
            start = time.perf_counter()
            response = ask(session, q)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"{side.name}: HTTP {response.status_code} for {q}: "
                                 f"{response.text[:300]}")
            if i == warmup:
                deadline = time.monotonic() + max_seconds
            if i >= warmup:
                side.latencies.append(elapsed)
                if time.monotonic() > deadline:
                    break


def compare(ours: Side, theirs: Side, qs: list[Question]) -> tuple[list[str], int]:
    """Real differences (listed) and the number of answers differing only within ties."""
    problems, ties = [], 0
    for q in qs:
        a, b = ours.answers.get(q), theirs.answers.get(q)
        if a is None or b is None:
            problems.append(f"{q}: no answer from {'us' if a is None else theirs.name}")
            continue
        wrong = [f"total {a.total} vs {b.total}"] if a.total != b.total else []
        tie_only = False
        if a.ids != b.ids:
            if a.amounts == b.amounts and _tie_groups(a) == _tie_groups(b):
                tie_only = True
            else:
                first = next((i for i, (x, y) in enumerate(zip(a.ids, b.ids, strict=False))
                              if x != y),
                             min(len(a.ids), len(b.ids)))
                wrong.append(f"ids differ from position {first} "
                             f"({len(a.ids)} vs {len(b.ids)} rows)")
        if wrong:
            problems.append(f"{q}: {'; '.join(wrong)}")
        elif tie_only:
            ties += 1
    return problems, ties


def _tie_groups(a: Answer) -> dict[float, set[int]]:
    groups: dict[float, set[int]] = {}
    for i, amount in zip(a.ids, a.amounts, strict=True):
        groups.setdefault(amount, set()).add(i)
    return groups


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--questions", type=int, default=50, help="distinct questions")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per side")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first")
    parser.add_argument("--seed", type=int, default=2021, help="random seed (data, questions)")
    parser.add_argument("--max-seconds", type=float, default=MAX_SECONDS,
                        help="stop a side's timed loop after this long (default %(default)s)")
    args = parser.parse_args(argv)
    qs = questions(args.questions, args.seed)

    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-rows-"))
    servers: list[Server] = []

    def serve(server: Server) -> Server:
        servers.append(server)
        return server

    try:
        started = time.perf_counter()
        info = benchdata.write_requests_csv(tmp / f"{TABLE}.csv", rows=args.rows,
                                            seed=args.seed)
        print(f"CSV: {info.rows:,} rows, {info.bytes / 1e6:,.1f} MB "
              f"({time.perf_counter() - started:.1f} s)", flush=True)

        hub = ThrowawayHub(tmp / "hub")
        started = time.perf_counter()
        hub.prepare()
        published = hub.publish(info.path)
        resource = published["resource"]
        print(f"Common Ground: migrate + load_places + publish in "
              f"{time.perf_counter() - started:.1f} s; ingest steps {published['seconds']}",
              flush=True)

        default_db = tmp / "default" / "db.sqlite"
        default_db.parent.mkdir()
        started = time.perf_counter()
        load_sqlite(info.path, default_db)
        loaded = time.perf_counter() - started
        indexed_db = tmp / "indexed" / "db.sqlite"
        indexed_db.parent.mkdir()
        shutil.copyfile(default_db, indexed_db)
        started = time.perf_counter()
        add_indexes(indexed_db)
        print(f"SQLite: loaded in {loaded:.1f} s ({default_db.stat().st_size / 1e6:,.0f} MB); "
              f"indexes + ANALYZE in {time.perf_counter() - started:.1f} s "
              f"({indexed_db.stat().st_size / 1e6:,.0f} MB)", flush=True)

        sides: list[Side] = []
        ours = Side("Common Ground (gunicorn, 1 worker)")
        port = free_port()
        server = serve(commonground_server(hub, port, resource, tmp / "gunicorn.log"))
        ask, answer = commonground_ask(f"http://127.0.0.1:{port}", resource)
        problems = collect_answers(ours, ask, answer, qs)
        if problems:
            raise SystemExit("Common Ground failed:\n" + "\n".join(problems))
        measure(ours, ask, qs, args.warmup, args.requests, args.seed, args.max_seconds)
        floors = {"HTTP + Django, a view that reads nothing":
                  row_floor.http_floor(f"http://127.0.0.1:{port}", args.warmup, args.requests)}
        server.stop()
        floors |= row_floor.duckdb_floors(Path(published["parquet"]), qs, args.requests)
        sides.append(ours)
        print(f"  {ours.name}: p50 {ours.percentile(50) * 1000:.1f} ms", flush=True)

        setups = [("Datasette default (no index)", default_db, [], False),
                  ("Datasette indexed", indexed_db, [], False),
                  ("Datasette indexed, tuned", indexed_db, ["suggest_facets=off"], True)]
        for name, db, settings, immutable in setups:
            side = Side(name)
            for attempt in ("defaults", "raised"):
                if attempt == "raised":
                    settings = [*settings, f"sql_time_limit_ms={RAISED_TIME_LIMIT_MS}"]
                    side = Side(name, note=f"sql_time_limit_ms raised to "
                                           f"{RAISED_TIME_LIMIT_MS:,}: {problems[0]}")
                port = free_port()
                server = serve(datasette_server(db, port, settings, immutable,
                                                tmp / f"datasette-{len(sides)}.log"))
                ask, answer = datasette_ask(f"http://127.0.0.1:{port}", db.stem)
                problems = collect_answers(side, ask, answer, qs)
                if not problems:
                    break
                server.stop()
                if attempt == "raised":
                    raise SystemExit(f"{name} failed:\n" + "\n".join(problems))
            measure(side, ask, qs, args.warmup, args.requests, args.seed, args.max_seconds)
            server.stop()
            sides.append(side)
            print(f"  {side.name}: p50 {side.percentile(50) * 1000:.1f} ms", flush=True)

        bad = report(args, info, qs, sides, floors)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if bad:
        raise SystemExit(f"{bad} answers differ between Common Ground and Datasette")


def report(args, info, qs: list[Question], sides: list[Side], floors: dict[str, float]) -> int:
    import datasette
    import django
    import duckdb
    import gunicorn

    ours = sides[0]
    totals = sorted(a.total for a in ours.answers.values())
    print(f"\n{info.rows:,} rows; {len(qs)} questions (totals {totals[0]:,} to {totals[-1]:,}, "
          f"median {totals[len(totals) // 2]:,}); {args.warmup} warm-up + {args.requests} timed "
          f"requests per side, sequential, keep-alive; {os.cpu_count()} cores; "
          f"{dt.date.today().isoformat()}")
    print(f"Django {django.__version__}, DuckDB {duckdb.__version__}, gunicorn "
          f"{gunicorn.__version__}; Datasette {datasette.__version__}, SQLite "
          f"{sqlite3.sqlite_version}\n")
    print(f"{'server':36} {'timed':>6} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} "
          f"{'max ms':>8} {'CG p50 / p50':>13}")
    for side in sides:
        ms = np.array(side.latencies) * 1000
        ratio = ours.percentile(50) / side.percentile(50)
        print(f"{side.name:36} {len(ms):6} {np.percentile(ms, 50):8.1f} "
              f"{np.percentile(ms, 95):8.1f} "
              f"{ms.mean():8.1f} {ms.max():8.1f} {ratio:12.2f}×")
    bad = 0
    print()
    for side in sides[1:]:
        if side.note:
            print(f"note: {side.name}: {side.note}")
        problems, ties = compare(ours, side, qs)
        bad += len(problems)
        same = len(qs) - len(problems) - ties
        print(f"answers vs {side.name}: {same}/{len(qs)} identical (same total, same 100 ids "
              f"in the same order), {ties} the same but for the order of rows with equal "
              f"amounts, {len(problems)} different")
        for problem in problems:
            print(f"  MISMATCH {problem}")
    print()
    for side in sides[1:]:
        ratio = ours.percentile(50) / side.percentile(50)
        print(f"goal: Common Ground p50 ≤ {GOAL}× {side.name} p50: {ratio:.2f}×  "
              f"{'PASS' if ratio <= GOAL else 'MISS'}")
    print("\nfloor for any Common Ground answer (p50; benchmarks/row_floor.py):")
    for name, seconds in floors.items():
        print(f"  {name:50} {seconds * 1000:6.2f} ms")
    floor = sum(floors.values())
    print(f"  {'sum':50} {floor * 1000:6.2f} ms")
    for side in sides[1:]:
        print(f"  = {floor / side.percentile(50):.2f}× {side.name} p50 (goal asks ≤ {GOAL}×)")
    return bad


if __name__ == "__main__":
    main()
