"""Benchmark: all of England on one machine (issue 20), against the measured state before.

    .venv/bin/python benchmarks/england.py [--postgres URL] [--skip-load] [--data DIR]
                                           [--requests N] [--rss-cap-gb G] [--keep]

(1) **Load**: ``commonground load --data DIR`` (the England package, default
    ``../shared/data-england``) into a fresh database and datastore in a temp folder (SQLite;
    with ``--postgres URL`` that database, which must be empty), ``DEBUG=1``; wall time and
    the child's peak RSS (``ru_maxrss`` from ``os.wait4``). Then the same command again on
    the unchanged package: it must be instant (goal ≤ 2 s, interpreter start included).
    ``--skip-load`` takes an England database already loaded instead: a snapshot of
    ``--from-db`` (SQLite, default ``/tmp/eng/db.sqlite3``, read only through SQLite's backup
    API) with ``--datastore`` hard-linked into the temp folder, or the ``--postgres`` database
    as it is.
(2) **Command line, cold**: ``commonground places lookup --lat --lon``, ``places search`` (a
    name, and a typo: "Bletchly") and ``places profile`` each in a fresh process, three runs;
    median wall time and CPU time, largest peak RSS. Goal (issue): ≤ 1 s and ≤ 300 MB. (0)
    first measures the floor under them: ``django.setup()``, and the command line's own start
    with a command that does nothing.
(3) **Pages**: gunicorn on 127.0.0.1 (one worker, ``gthread``, one thread, ``DEBUG=0``) on the
    England database. Each page: its first request timed alone, two warm-ups, then the p50
    of N requests (default 20). ``/api/places/lookup`` at five points across England (goal
    ≤ 10 ms), the home page, the profile of every area containing the first point (LSOA,
    MSOA, ward, and the authority or country when the package has them), search, the first
    published dataset's page and its lens page. Goals: ≤ 300 ms p50 warm, ≤ 1 MB a page,
    the server (master + worker, VmRSS from ``/proc``) under 1 GB resident.
(4) **National cases of the other benchmarks**, run as they are (their output passed
    through): point linking (``point_in_area.py``; anchors measured on this machine for 10
    million points: SedonaDB 32 s, GeoPandas 51 s, DuckDB spatial 70 s, PostGIS about 275 s)
    and the lens (``lens.py``), when they have a national option.

Every child process is watched: one whose resident memory (with its children) passes
``--rss-cap-gb`` (default 8) is stopped and its figure reported as not measured, so the run
goes on. Every figure prints its goal and the ratio against the state measured in the issue
(load 7.3 min and 4.9 GB; ``places lookup`` 32 s and 12 GB; profile pages killed past 13 GB;
home 11 MB; the lens's Fisher-Jenks classes over 20 minutes). Exits 1 if a goal is missed or
a figure could not be taken.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from row_query import free_port  # noqa: E402

MB = 1024 * 1024
GB = 1024 * MB
# Before (issue 20, measured on this machine before the national work).
BEFORE_LOAD_S, BEFORE_LOAD_RSS = 7.3 * 60, 4.9 * GB
BEFORE_LOOKUP_S, BEFORE_LOOKUP_RSS = 32.0, 12 * GB
BEFORE_PROFILE = "killed past 13 GB"
BEFORE_HOME_BYTES = 11 * MB
BEFORE_FISHER_JENKS = "over 20 min"
# Anchors for linking 10 million points to the 33,755 LSOAs on this machine (issue 20).
ANCHORS = {"SedonaDB": 32.0, "GeoPandas": 51.0, "DuckDB spatial": 70.0, "PostGIS": 275.0}
# Goals (issue 20).
LOAD_GOAL_S, LOAD_GOAL_RSS, RELOAD_GOAL_S = 120.0, 2 * GB, 2.0
CLI_GOAL_S, CLI_GOAL_RSS = 1.0, 300 * MB
API_GOAL_S, PAGE_GOAL_S, PAGE_GOAL_BYTES, SERVER_GOAL_RSS = 0.010, 0.300, 1 * MB, 1 * GB
# Points across England (WGS84): Bletchley first (its areas' profiles are measured).
POINTS = [(52.0, -0.73), (51.5074, -0.1278), (53.4808, -2.2426), (54.9783, -1.6178),
          (50.3755, -4.1427)]
SEARCH = "Park"  # many wards and places: a list, not a redirect to one area
CHILD_TIMEOUT_S = 1800.0  # the longest any one child may take (the load before: 7.3 min)
REQUEST_TIMEOUT_S = 300.0


# ---------------------------------------------------------------- figures

@dataclass
class Figure:
    name: str
    value: float | None  # None: not measured
    unit: str  # "s", "ms", "MB", "bytes"
    goal: float | None = None  # the most it may be, in the figure's unit
    before: float | str | None = None  # same unit, or words
    note: str = ""

    def show(self, value: float) -> str:
        if self.unit == "s":
            return f"{value:,.2f} s"
        if self.unit == "ms":
            return f"{value * 1000:,.1f} ms"
        if value < MB:
            return f"{value / 1024:,.0f} KB"
        return f"{value / MB:,.1f} MB"

    @property
    def verdict(self) -> str:
        if self.value is None:
            return "NOT MEASURED"
        if self.goal is None:
            return ""
        return "PASS" if self.value <= self.goal else "MISS"

    def line(self) -> str:
        if self.value is None:
            return f"{self.name:<44} not measured: {self.note}"
        text = f"{self.name:<44} {self.show(self.value):>12}"
        if self.goal is not None:
            text += f"   goal ≤ {self.show(self.goal):<10} {self.verdict:<4}"
        if isinstance(self.before, (int, float)):
            text += f"   before {self.show(self.before)}: {self.before / max(self.value, 1e-9):,.1f}× less"
        elif self.before:
            text += f"   before: {self.before}"
        if self.note:
            text += f"   ({self.note})"
        return text


FIGURES: list[Figure] = []
FLOOR: list[float] = []  # the floor's median seconds, once measured


def record(figure: Figure) -> Figure:
    FIGURES.append(figure)
    print(figure.line(), flush=True)
    return figure


def skipped(name: str, why: str) -> None:
    record(Figure(name, None, "s", note=why))


# ---------------------------------------------------------------- watched children

def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and all its descendants (VmRSS from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                for row in f:
                    if row.startswith("VmRSS:"):
                        total += int(row.split()[1]) * 1024
        except OSError:
            pass
    return total


class Watch(threading.Thread):
    """Samples a process tree's resident memory; stops the tree's process group past a cap."""

    def __init__(self, process: subprocess.Popen, cap: int, every: float = 0.2):
        super().__init__(daemon=True)
        self.process, self.cap, self.every = process, cap, every
        self.peak, self.killed, self.done = 0, False, threading.Event()
        self.start()

    def run(self) -> None:
        # never poll() or wait() here: run_child reaps the child itself (os.wait4)
        while not self.done.wait(self.every):
            rss = tree_rss(self.process.pid)  # 0 once it has exited
            self.peak = max(self.peak, rss)
            if rss > self.cap:
                self.killed = True
                stop_group(self.process)
                return

    def stop(self) -> None:
        self.done.set()


def stop_group(process: subprocess.Popen) -> None:
    """End a child started in its own session, and its children (only that group)."""
    try:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(process.pid, 9)
        except ProcessLookupError:
            pass


@dataclass
class Run:
    seconds: float
    peak_rss: int  # bytes: ru_maxrss of the child, or the sampled tree's peak if larger
    code: int | None  # None: stopped (over the cap or the timeout)
    output: str
    why: str = ""
    cpu: float = 0.0  # user + system seconds of the child (``os.wait4``)


def run_child(command: list[str], env: dict, cap: int, log: Path,
              timeout: float = CHILD_TIMEOUT_S, cwd: Path = REPO) -> Run:
    """Run ``command`` to its end: wall time, peak RSS (``os.wait4``), exit code, output."""
    with open(log, "wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        watch = Watch(process, cap)
        deadline = time.monotonic() + timeout
        status, usage, why = None, None, ""
        while status is None and not why:
            try:
                pid, st, ru = os.wait4(process.pid, os.WNOHANG)
            except ChildProcessError:  # reaped by stop_group after the cap or the timeout
                break
            if pid:
                status, usage = st, ru
                process.returncode = os.waitstatus_to_exitcode(st)
            elif time.monotonic() > deadline:
                why = f"over {timeout:.0f} s"
                stop_group(process)
            else:
                time.sleep(0.05)
        seconds = time.perf_counter() - started
        watch.stop()
    if watch.killed:
        why = f"stopped past {cap / GB:.0f} GB resident"
    elif status is None and not why:
        why = "stopped, its exit status lost"
    peak = max(usage.ru_maxrss * 1024 if usage else 0, watch.peak)
    code = None if why else os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime if usage else 0.0
    return Run(seconds, peak, code, log.read_text(errors="replace"), why, cpu)


# ---------------------------------------------------------------- the hub under test

@dataclass
class Hub:
    root: Path
    database_url: str
    datastore: Path
    data: Path
    tree: Path = REPO  # the source tree the children run (``--tree``)

    def env(self, **extra: str) -> dict[str, str]:
        tree = {"PYTHONPATH": str(self.tree)} if self.tree != REPO else {}
        return {**os.environ, **tree, "DJANGO_SETTINGS_MODULE": "commonground.settings",
                "DATABASE_URL": self.database_url,
                "COMMONGROUND_DATASTORE": str(self.datastore),
                "COMMONGROUND_VAR": str(self.root / "var"),
                "COMMONGROUND_DATA": str(self.data), **extra}

    def cli(self, *args: str) -> list[str]:
        return [str(Path(sys.executable).with_name("commonground")), *args]


def snapshot_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database another process may be using (read only)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def link_tree(source: Path, target: Path) -> None:
    """The datastore's files hard-linked (copied across devices): versions are written
    new and renamed, never changed in place, so the source stays as it was."""
    def link(src, dst):
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)
    if source.is_dir():
        shutil.copytree(source, target, copy_function=link)
    else:
        target.mkdir(parents=True)


def load(hub: Hub, cap: int) -> bool:
    """(1) The load and the reload; True if the database holds England afterwards."""
    env = hub.env(DEBUG="1")
    command = hub.cli("load", "--data", str(hub.data))
    first = run_child(command, env, cap, hub.root / "load.log", cwd=hub.tree)
    if first.code != 0:
        why = first.why or f"exit {first.code}: {first.output.strip()[-300:]}"
        skipped("load England", why)
        return False
    record(Figure("load England (wall)", first.seconds, "s", LOAD_GOAL_S, BEFORE_LOAD_S))
    record(Figure("load England (peak RSS)", first.peak_rss, "MB", LOAD_GOAL_RSS,
                  BEFORE_LOAD_RSS))
    again = run_child(command, env, cap, hub.root / "reload.log", cwd=hub.tree)
    if again.code != 0:
        skipped("reload unchanged", again.why or f"exit {again.code}: {again.output[-300:]}")
    else:
        beyond = f"{again.seconds - FLOOR[0]:,.2f} s beyond the floor; " if FLOOR else ""
        said = again.output.strip().splitlines()[-1][:80] if again.output.strip() else ""
        record(Figure("reload unchanged (wall)", again.seconds, "s", RELOAD_GOAL_S,
                      note=beyond + said))
        record(Figure("reload unchanged (peak RSS)", again.peak_rss, "MB"))
    return True


def floor(hub: Hub, cap: int) -> None:
    """(0) What every command pays before its own work: Python and ``django.setup()``."""
    runs = [run_child([sys.executable, "-c", "import django; django.setup()"],
                      hub.env(DEBUG="1"), cap, hub.root / f"floor-{i}.log", cwd=hub.tree)
            for i in range(3)]
    if all(r.code == 0 for r in runs):
        FLOOR.append(statistics.median(r.seconds for r in runs))
        record(Figure("floor: Python + django.setup() (cold, wall)",
                      statistics.median(r.seconds for r in runs), "s",
                      note=f"peak {max(r.peak_rss for r in runs) / MB:,.0f} MB"))
        record(Figure("floor: Python + django.setup() (cold, CPU user + sys)",
                      statistics.median(r.cpu for r in runs), "s"))
    else:
        skipped("floor", next(r.why or r.output[-300:] for r in runs if r.code != 0))
    # the command line's own start: its parser, django.setup() and the garbage collector
    # paused then frozen over what start-up made (cli.main), the command doing nothing
    nothing = ("import sys\nfrom commonground import cli\ncli._COMMANDS['places'] = lambda args: 0\n"
               "sys.exit(cli.main(['places', 'search', 'x']))")
    runs = [run_child([sys.executable, "-c", nothing], hub.env(DEBUG="1"), cap,
                      hub.root / f"floor-cli-{i}.log", cwd=hub.tree) for i in range(3)]
    if all(r.code == 0 for r in runs):
        record(Figure("floor: the command line's start (cold, CPU user + sys)",
                      statistics.median(r.cpu for r in runs), "s",
                      note=f"peak {max(r.peak_rss for r in runs) / MB:,.0f} MB"))
    else:
        skipped("floor of the command line", next(r.why or r.output[-300:] for r in runs if r.code != 0))


def seed(hub: Hub, cap: int) -> None:
    """(1b) ``manage.py seed_catalogue``: publish the package's point datasets (charge points,
    GP practices), so the dataset and lens pages have a national dataset to show."""
    run = run_child([sys.executable, str(hub.tree / "manage.py"), "seed_catalogue", "--data",
                     str(hub.data)], hub.env(DEBUG="1", COMMONGROUND_TASKS="immediate"), cap,
                    hub.root / "seed.log", cwd=hub.tree)
    if run.code != 0:
        skipped("seed the point datasets", run.why or f"exit {run.code}: {run.output[-300:]}")
        return
    last = run.output.strip().splitlines()[-1] if run.output.strip() else ""
    record(Figure("seed the point datasets (wall)", run.seconds, "s", before="crashed",
                  note=last[:80]))
    record(Figure("seed the point datasets (peak RSS)", run.peak_rss, "MB"))


def command_line(hub: Hub, cap: int, profiles: list[tuple[str, str]]) -> None:
    """(2) Each place command cold, in a fresh process: median of three, largest peak. The
    profile of each of ``profiles`` (geography, code): a neighbourhood, a ward, an authority
    and the country each read different parts of the database."""
    lat, lon = POINTS[0]
    cases = [("places lookup", ["places", "lookup", "--lat", str(lat), "--lon", str(lon)],
              BEFORE_LOOKUP_S, BEFORE_LOOKUP_RSS),
             ("places search", ["places", "search", "Bletchley"], None, None),
             # a typo: corrected against the names' words the load keeps (name_words_store)
             ("places search, a typo", ["places", "search", "Bletchly"], None, None),
             *(("places profile " + " ".join(profile), ["places", "profile", *profile], None, None)
               for profile in profiles)]
    for name, args, before_s, before_rss in cases:
        runs = []
        for i in range(3):
            run = run_child(hub.cli(*args), hub.env(DEBUG="1"), cap,
                            hub.root / f"cli-{args[1]}-{i}.log", timeout=600, cwd=hub.tree)
            if run.code != 0:
                skipped(f"{name} (cold)", run.why or f"exit {run.code}: {run.output[-300:]}")
                break
            runs.append(run)
        else:
            record(Figure(f"{name} (cold, wall)", statistics.median(r.seconds for r in runs),
                          "s", CLI_GOAL_S, before_s))
            # on a busy machine the wall time is mostly waiting: the CPU time is the work
            record(Figure(f"{name} (cold, CPU user + sys)", statistics.median(r.cpu for r in runs),
                          "s", CLI_GOAL_S, None))
            record(Figure(f"{name} (cold, peak RSS)", max(r.peak_rss for r in runs), "MB",
                          CLI_GOAL_RSS, before_rss))


class Server:
    """gunicorn serving the hub on 127.0.0.1, in its own process group, memory watched."""

    def __init__(self, hub: Hub, cap: int):
        self.hub, self.cap = hub, cap
        self.log = hub.root / "gunicorn.log"
        self._start()

    def _start(self) -> None:
        import gunicorn

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = self.hub.env(DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50),
                           ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0")
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{self.port}",
                   "--workers", "1", "--worker-class", "gthread", "--threads", "1",
                   "--timeout", str(int(REQUEST_TIMEOUT_S)), "commonground.wsgi",
                   *(["--no-control-socket"] if gunicorn.version_info >= (27,) else [])]
        self.out = open(self.log, "ab")
        self.process = subprocess.Popen(command, env=env, cwd=self.hub.tree, stdout=self.out,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        self.watch = Watch(self.process, self.cap)
        self.session = requests.Session()
        deadline = time.monotonic() + 120
        while True:  # a page that builds nothing
            if not self.alive:
                raise RuntimeError(f"gunicorn exited: {self.log.read_text()[-1500:]}")
            try:
                self.session.get(self.base + "/accounts/login/", timeout=60)
                return  # answering (even with an error: each page reports its own)
            except (requests.ConnectionError, requests.Timeout):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not answer within 120 s")
            time.sleep(0.25)

    def restart(self) -> None:
        """Start again after the worker was stopped (past the memory cap) or died."""
        why = "past the memory cap" if self.watch.killed else "it exited"
        print(f"  (the server stopped: {why}; starting it again)", flush=True)
        self.stop()
        self._start()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, timeout=REQUEST_TIMEOUT_S,
                                allow_redirects=False)

    def rss(self) -> int:
        return tree_rss(self.process.pid)

    def last_error(self) -> str:
        """The last exception line the server logged (why a page answered 500), or ''."""
        self.out.flush()
        lines = [line for line in self.log.read_text(errors="replace").splitlines()
                 if re.match(r"^[\w.]+(Error|Exception|Expired|Exit)\b", line)]
        return f": {lines[-1][:200]}" if lines else ""

    def stop(self) -> None:
        self.watch.stop()
        stop_group(self.process)
        self.out.close()


def time_page(server: Server, name: str, paths: list[str], requests_n: int, goal: float,
              before: float | str | None = None, before_bytes: float | None = None) -> None:
    """First request, two warm-ups, then the p50 of ``requests_n`` (paths in turn)."""
    started = time.perf_counter()
    try:
        if not server.alive:
            server.restart()
        t0 = time.perf_counter()
        first = server.get(paths[0])
        first_s = time.perf_counter() - t0
        if first.status_code >= 400:
            skipped(name, f"HTTP {first.status_code} for {paths[0]}{server.last_error()}")
            return
        for p in paths[:2]:
            server.get(p)
        times = []
        for i in range(requests_n):
            t0 = time.perf_counter()
            response = server.get(paths[i % len(paths)])
            times.append(time.perf_counter() - t0)
            if response.status_code >= 400:
                raise RuntimeError(f"HTTP {response.status_code} for {paths[i % len(paths)]}")
    except (requests.RequestException, RuntimeError) as exc:
        why = (f"the server passed the memory cap ({server.watch.cap / GB:.0f} GB) "
               f"{time.perf_counter() - started:,.0f} s into this page and was stopped"
               if server.watch.killed else f"{type(exc).__name__}: {str(exc)[:200]}")
        skipped(name, why)
        return
    note = f"first {first_s * 1000:,.0f} ms, HTTP {first.status_code}"
    record(Figure(f"{name} (p50 warm)", statistics.median(times), "ms", goal, before,
                  note=note))
    if before_bytes is not None or not paths[0].startswith("/api/"):
        record(Figure(f"{name} (bytes)", len(first.content), "MB", PAGE_GOAL_BYTES,
                      before_bytes))


def pages(hub: Hub, cap: int, requests_n: int) -> None:
    """(3) The server's pages, warm, and its resident memory."""
    try:
        server = Server(hub, cap)
    except (RuntimeError, OSError) as exc:
        skipped("pages", f"the server did not start: {exc}")
        return
    try:
        _pages(server, requests_n)
    finally:
        if server.alive:
            record(Figure("server resident after every page (master + worker)", server.rss(),
                          "MB", SERVER_GOAL_RSS, note=f"peak {server.watch.peak / MB:,.0f} MB"))
        else:
            skipped("server resident", "the server was stopped: "
                    + ("past the memory cap" if server.watch.killed else "it exited"))
        server.stop()


def _pages(server: Server, requests_n: int) -> None:
    lookups = [f"/api/places/lookup?lat={lat}&lon={lon}" for lat, lon in POINTS]
    time_page(server, "API /api/places/lookup", lookups, requests_n, API_GOAL_S,
              before=f"CLI {BEFORE_LOOKUP_S:.0f} s")
    try:
        areas = server.get(lookups[0]).json()["areas"]
    except (requests.RequestException, ValueError, KeyError) as exc:
        areas = {}
        skipped("profiles", f"no areas at {POINTS[0]}: {exc}")
    time_page(server, "home /", ["/"], requests_n, PAGE_GOAL_S, before_bytes=BEFORE_HOME_BYTES)
    for geography, area in areas.items():
        time_page(server, f"profile {geography} {area['code']}", [area["url"]], requests_n,
                  PAGE_GOAL_S, before=BEFORE_PROFILE)
    time_page(server, f"search ?q={SEARCH}", [f"/places/search?q={SEARCH}"], requests_n,
              PAGE_GOAL_S)
    time_page(server, "API /api/places/search", [f"/api/places/search?q={SEARCH}"],
              requests_n, PAGE_GOAL_S)
    try:  # the national point dataset of the issue first: the charge points
        found = sorted(server.get("/api/catalogue/datasets?limit=100").json()["results"],
                       key=lambda d: "charge" not in d["name"])
    except (requests.RequestException, ValueError, KeyError) as exc:
        found = []
        skipped("dataset page", f"datasets could not be listed: {exc}")
    if not found:
        skipped("dataset page", "no published dataset in this database")
        skipped("lens page", "no published dataset in this database")
        return
    name = found[0]["name"]
    time_page(server, f"dataset /datasets/{name}/", [f"/datasets/{name}/"], requests_n,
              PAGE_GOAL_S)
    if server.alive:  # the lens builds more: the server as the other pages leave it
        record(Figure("server resident after the pages before the lens", server.rss(), "MB",
                      SERVER_GOAL_RSS, note=f"peak {server.watch.peak / MB:,.0f} MB"))
    time_page(server, f"lens /datasets/{name}/lens/", [f"/datasets/{name}/lens/"],
              requests_n, PAGE_GOAL_S, before=f"Fisher-Jenks {BEFORE_FISHER_JENKS}")


# ---------------------------------------------------------------- the other benchmarks

NATIONAL = re.compile(r"(--(?:england|national)\b)")


def national_case(hub: Hub, script: str, name: str, cap: int, anchors: str) -> None:
    """(4) Run ``script``'s national case if it has one (``--england`` or ``--national``),
    from the tree under test, on the England package."""
    path = hub.tree / "benchmarks" / script
    tree = {"PYTHONPATH": str(hub.tree)} if hub.tree != REPO else {}
    env = {**os.environ, **tree, "COMMONGROUND_DATA": str(hub.data),
           "COMMONGROUND_DATA_ENGLAND": str(hub.data)}
    helptext = subprocess.run([sys.executable, str(path), "--help"], capture_output=True,
                              text=True, cwd=hub.tree, env=env).stdout
    option = NATIONAL.search(helptext)
    if not option:
        skipped(name, f"benchmarks/{script} has no --england or --national option yet")
        return
    print(f"\n-- {name}: benchmarks/{script} {option.group(1)}   ({anchors})", flush=True)
    run = run_child([sys.executable, str(path), option.group(1)], env, cap,
                    hub.root / f"{path.stem}.log", cwd=hub.tree)
    print("   " + run.output.strip().replace("\n", "\n   "), flush=True)
    if run.code is None:
        skipped(name, run.why)
    else:
        record(Figure(f"{name} (whole script, wall)", run.seconds, "s",
                      note=f"exit {run.code}; its own figures above"))
        record(Figure(f"{name} (whole script, peak RSS)", run.peak_rss, "MB"))


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL database to load into (empty) or, with --skip-load, "
                             "one with England loaded")
    parser.add_argument("--skip-load", action="store_true",
                        help="measure a database with England already loaded")
    # the England database the project's sessions share on the benchmark machine
    parser.add_argument("--from-db", type=Path, default=Path("/tmp/eng/db.sqlite3"),  # noqa: S108
                        help="with --skip-load on SQLite: the loaded database (read only)")
    parser.add_argument("--datastore", type=Path, default=Path("/tmp/eng/ds"),  # noqa: S108
                        help="with --skip-load: that database's datastore (read only)")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data-england",
                        help="the England data package")
    parser.add_argument("--requests", type=int, default=20, help="timed requests a page")
    parser.add_argument("--rss-cap-gb", type=float, default=8.0,
                        help="stop any child process past this resident memory")
    parser.add_argument("--no-others", action="store_true",
                        help="leave out the national cases of point_in_area.py and lens.py")
    parser.add_argument("--tree", type=Path, default=REPO,
                        help="run this source tree instead of the repository's (e.g. "
                             "`git archive HEAD | tar -x -C DIR`: a commit, not work in progress)")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)
    cap = int(args.rss_cap_gb * GB)

    root = Path(tempfile.mkdtemp(prefix="cg-england-"))
    print(f"England benchmark in {root}; data {args.data}; "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}; {os.cpu_count()} cores", flush=True)
    try:
        if args.skip_load and not args.postgres:
            try:
                snapshot_sqlite(args.from_db, root / "db.sqlite3")
                link_tree(args.datastore, root / "datastore")
            except (sqlite3.Error, OSError) as exc:
                skipped("every figure", f"no snapshot of {args.from_db}: {exc}")
                return 1
        database = args.postgres or f"sqlite:///{root / 'db.sqlite3'}"
        hub = Hub(root, database, root / "datastore", args.data, args.tree.resolve())
        (root / "var").mkdir()
        loaded = True
        print("\n(0) the floor of every command", flush=True)
        floor(hub, cap)
        if args.skip_load:
            print(f"(load skipped: measuring {args.postgres or args.from_db}, migrated to "
                  "this tree's models)", flush=True)
            migrated = run_child([sys.executable, str(hub.tree / "manage.py"), "migrate",
                                  "--noinput"], hub.env(DEBUG="1"), cap, root / "migrate.log",
                                 cwd=hub.tree)
            if migrated.code != 0:
                print(f"  migrate failed: {migrated.why or migrated.output[-500:]}", flush=True)
        else:
            print("\n(1) load", flush=True)
            loaded = load(hub, cap)
        if loaded:
            print("\n(1b) the package's point datasets", flush=True)
            seed(hub, cap)
            print("\n(2) command line, cold", flush=True)
            command_line(hub, cap, [("lsoa21", "E01016710"), ("ward", "E05009406"),
                                    ("lad", "E06000042"), ("country", "E92000001")])
            print(f"\n(3) pages, {args.requests} requests each after two warm-ups", flush=True)
            pages(hub, cap, args.requests)
        if not args.no_others:
            national_case(hub, "point_in_area.py", "point linking, national", cap,
                          ", ".join(f"{k} {v:.0f} s" for k, v in ANCHORS.items()))
            national_case(hub, "lens.py", "lens, national", cap,
                          f"before: Fisher-Jenks {BEFORE_FISHER_JENKS}")
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
