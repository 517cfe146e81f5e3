"""Benchmark: the smart-city register's heaviest pages, warm, on the demo's data.

    .venv/bin/python benchmarks/projects.py [--requests R] [--warmup W] [--port P]

A throwaway hub (own SQLite database, ``migrate`` + ``load_places``, then what ``make demo``
seeds: accounts, the data folder's datasets, energy offers, community, and the register
from the data folder, ``load_register``) is served by gunicorn as ``benchmarks/row_query.py``
serves it (one worker process, ``gthread`` with one thread, ``DEBUG=0``, 127.0.0.1 only,
stopped at the end). Asked, with one keep-alive session, sequentially:

* ``/projects/network/``: every published project and organisation drawn as SVG, its table
  twin and its measures;
* ``/projects/<slug>/`` for the project with the largest footprint (most places with a
  geometry; ties by id): the project page with its footprint lens (who lives in and near
  the footprint, every Census table, deprivation) and its other sections;
* ``/projects/``: the register's list with its facets, for comparison.

Each page is first asked ``--warmup`` times (the first request builds the load's memo: the
lens city, the footprint lens), then ``--requests`` times timed. Latency is wall time from
sending the request to having the whole body, client and server on the same 2 cores.
Goal (issue 17): the network page and a project page with its footprint lens under 300 ms
warm (p50; p95 is printed too). The script exits non-zero if a page does not answer 200 or
misses the goal.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from throwaway_hub import REPO, ThrowawayHub  # noqa: E402

GOAL_MS = 300.0
SEEDS = ("demo_accounts", "seed_catalogue", "seed_energy", "seed_community", "load_register")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def largest_footprint(hub: ThrowawayHub) -> str:
    """The published project with the most places that carry a geometry."""
    code = ("from django.db.models import Count, Q\n"
            "from commonground.projects.models import Project\n"
            "p = (Project.objects.filter(state='published')"
            ".annotate(n=Count('places', filter=Q(places__geometry__isnull=False)))"
            ".order_by('-n', 'slug').first())\n"
            "print(p.slug)")
    out = subprocess.run([sys.executable, str(REPO / "manage.py"), "shell", "-c", code],
                         env=hub.env(), check=True, cwd=REPO, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def serve(hub: ThrowawayHub, port: int, log: Path) -> subprocess.Popen:
    env = hub.env(DEBUG="0", SECURE_SSL_REDIRECT="0")  # plain HTTP on 127.0.0.1
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "commonground.wsgi", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", "--worker-class", "gthread",
             "--threads", "1", "--timeout", "300"],
            env=env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=5)
            return server
        except requests.ConnectionError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"gunicorn did not start: see {log}")


def time_page(session: requests.Session, url: str, warmup: int, timed: int) -> list[float]:
    """Milliseconds for each timed request, after the warm-up ones."""
    times = []
    for i in range(warmup + timed):
        start = time.perf_counter()
        response = session.get(url, timeout=120)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if i >= warmup:
            times.append(elapsed)
    return times


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    if args.requests < 2 or args.warmup < 1:
        parser.error("--requests at least 2 and --warmup at least 1")

    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-projects-"))
    server = None
    try:
        hub = ThrowawayHub(tmp / "hub")
        start = time.perf_counter()
        hub.prepare()
        for command in SEEDS:  # the demo's own seeds, which run only with DEBUG on
            subprocess.run([sys.executable, str(REPO / "manage.py"), command],
                           env=hub.env(DEBUG="1"), check=True, cwd=REPO,
                           stdout=subprocess.DEVNULL)
        print(f"demo hub: migrate + load_places + {', '.join(SEEDS)} in "
              f"{time.perf_counter() - start:.0f} s")
        slug = largest_footprint(hub)
        port = args.port or free_port()
        server = serve(hub, port, tmp / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        pages = {"network page": "/projects/network/",
                 f"project page ({slug}, with its footprint lens)": f"/projects/{slug}/",
                 "register list (for comparison)": "/projects/"}
        missed = []
        print(f"\n{'page':58} {'p50 ms':>8} {'p95 ms':>8} {'p50/goal':>9}")
        with requests.Session() as session:
            for label, path in pages.items():
                times = time_page(session, base + path, args.warmup, args.requests)
                p50, p95 = statistics.median(times), percentile(times, 95)
                print(f"{label:58} {p50:8.1f} {p95:8.1f} {p50 / GOAL_MS:9.2f}")
                if "comparison" not in label and p50 > GOAL_MS:
                    missed.append(label)
        print(f"\ngoal: p50 under {GOAL_MS:.0f} ms warm for the network and project pages "
              f"({args.requests} timed requests each after {args.warmup} warm-up)")
        if missed:
            raise SystemExit(f"missed the goal: {', '.join(missed)}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    main()
