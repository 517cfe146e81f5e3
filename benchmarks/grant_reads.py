"""Benchmark: reading rows through a grant against reading an open dataset (issue 19).

    .venv/bin/python benchmarks/grant_reads.py [--rows N] [--requests R] [--warmup W]

The seeded CSV of ``benchmarks/ingest.py`` (:mod:`benchdata`, 1,000,000 council service
requests) is published once in a throwaway hub (:mod:`throwaway_hub`) as an **open**
dataset. A second dataset, **restricted** as a whole, gets a resource whose live version is
the same Parquet file (so both sides read the same bytes, held in the same in-memory table),
and a person is granted it:

* ``grant, everything``: a grant of every column, place and period, read with the grantee's
  dataset key (``X-API-Key``): the cost of the grant itself (the key and grant lookups,
  the scope, the read-log row each request writes);
* ``grant, scoped``: a grant of five columns and half the city's wards, read the same way:
  the cost of the scope's row condition too (its answers are a subset: not compared).

One gunicorn worker (``gthread``, one thread, ``DEBUG=0``) serves the hub; the client asks
``GET /api/catalogue/resources/<id>/rows?category=X&amount__gt=Y&sort=-amount&limit=100``
(the questions of :mod:`row_query`). The sides are asked in turn, request by request (open,
grant, scoped, open, ...), so that drift on a shared machine falls on all of them alike.
First every question is asked of the open side and of the full grant and their answers
compared (the same total and rows). Goal: the full grant's p50 is at most 1.10 × the open
dataset's. The script exits non-zero if an answer differs or the goal is missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchdata  # noqa: E402
from row_query import (  # noqa: E402
    PAGE,
    REQUEST_TIMEOUT,
    Server,
    commonground_server,
    free_port,
    questions,
)
from throwaway_hub import REPO, ThrowawayHub, setup_django  # noqa: E402

GOAL = 1.10  # grant p50 ≤ 1.10 × open p50


def _restrict_copy(root: Path, resource_id: str) -> dict:
    """In the hub at ``root``: a restricted dataset sharing the open resource's version
    file, a grantee with a full grant and a scoped one (each with a dataset key)."""
    setup_django(root)
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from commonground.accounts import keys as api_keys
    from commonground.catalogue.models import Dataset, DatasetKey, Grant, Resource, Version
    from commonground.places.cache import city_state

    source = Resource.objects.select_related("dataset", "current_version").get(pk=resource_id)
    out = {}
    wards = sorted(a.code for a in city_state().by_geography["ward"])
    scopes = {"full": {"columns": None, "places": None, "period": None, "detail": "exact",
                       "months": 12},
              "scoped": {"columns": ["id", "date", "category", "amount", "quantity"],
                         "places": wards[::2], "period": None, "detail": "exact",
                         "months": 12}}
    person = get_user_model().objects.create_user("grantee", password="not-used-here")
    for name, scope in scopes.items():
        dataset = Dataset.objects.create(
            name=f"restricted-{name}", title=f"Service requests, restricted ({name})",
            organisation=source.dataset.organisation, state=Dataset.State.PUBLISHED,
            restricted=True)
        resource = Resource.objects.create(dataset=dataset, name=source.name)
        v = source.current_version
        version = Version.objects.create(
            resource=resource, number=1, parquet=v.parquet, sha256=v.sha256, size=v.size,
            row_count=v.row_count, schema=v.schema, report=v.report, original=v.original,
            original_name=v.original_name, original_sha256=v.original_sha256,
            original_size=v.original_size, format=v.format)
        resource.current_version = version
        resource.save(update_fields=["current_version"])
        grant = Grant.objects.create(dataset=dataset, user=person, scope=scope,
                                     expires=timezone.now() + timedelta(days=365))
        _, secret = api_keys.make(DatasetKey, scope="read", user=person, dataset=dataset,
                                  grant=grant, label="benchmark", expires=grant.expires)
        out[name] = {"resource": str(resource.id), "key": secret}
    return out


def ask(base: str, resource: str, key: str | None):
    url = f"{base}/api/catalogue/resources/{resource}/rows"
    headers = {"X-API-Key": key} if key else {}

    def one(session: requests.Session, q) -> requests.Response:
        return session.get(url, params={"category": q.category, "amount__gt": f"{q.threshold}",
                                        "sort": "-amount", "limit": PAGE},
                           headers=headers, timeout=REQUEST_TIMEOUT)

    return one


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows in the CSV")
    parser.add_argument("--questions", type=int, default=50, help="distinct questions")
    parser.add_argument("--requests", type=int, default=300, help="timed requests per side")
    parser.add_argument("--warmup", type=int, default=30, help="untimed requests per side")
    parser.add_argument("--seed", type=int, default=2021, help="random seed (data, questions)")
    args = parser.parse_args(argv)
    qs = questions(args.questions, args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-grants-"))
    server: Server | None = None
    try:
        info = benchdata.write_requests_csv(tmp / "service_requests.csv", rows=args.rows,
                                            seed=args.seed)
        hub = ThrowawayHub(tmp / "hub")
        started = time.perf_counter()
        hub.prepare()
        published = hub.publish(info.path)
        made = json.loads(subprocess.run(
            [sys.executable, __file__, "restrict", str(hub.root), published["resource"]],
            env=hub.env(), check=True, cwd=REPO, capture_output=True, text=True
        ).stdout.strip().splitlines()[-1])
        print(f"{info.rows:,} rows; hub ready in {time.perf_counter() - started:.1f} s",
              flush=True)
        port = free_port()
        server = commonground_server(hub, port, published["resource"], tmp / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        sides = {"open dataset": ask(base, published["resource"], None),
                 "grant, everything": ask(base, made["full"]["resource"], made["full"]["key"]),
                 "grant, scoped": ask(base, made["scoped"]["resource"], made["scoped"]["key"])}
        latencies: dict[str, list[float]] = {name: [] for name in sides}
        differ = 0
        with requests.Session() as session:
            for q in qs:
                answers = []
                for name in ("open dataset", "grant, everything"):
                    response = sides[name](session, q)
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: HTTP {response.status_code}: "
                                         f"{response.text[:300]}")
                    body = response.json()
                    answers.append((body["total"], [r["id"] for r in body["rows"]]))
                differ += answers[0] != answers[1]
            rng = np.random.default_rng(args.seed + 3)
            order = [qs[i] for i in rng.integers(len(qs), size=args.warmup + args.requests)]
            for i, q in enumerate(order):
                for name, one in sides.items():
                    start = time.perf_counter()
                    response = one(session, q)
                    elapsed = time.perf_counter() - start
                    if response.status_code != 200:
                        raise SystemExit(f"{name}: HTTP {response.status_code}: "
                                         f"{response.text[:300]}")
                    if i >= args.warmup:
                        latencies[name].append(elapsed)
        server.stop()
        server = None
        open_p50 = float(np.percentile(latencies["open dataset"], 50))
        print(f"\n{args.requests} timed requests a side, interleaved; one gunicorn worker\n")
        print("| side | p50 ms | p90 ms | p50 / open |\n|---|---:|---:|---:|")
        for name, values in latencies.items():
            p50, p90 = (float(np.percentile(values, p)) for p in (50, 90))
            print(f"| {name} | {p50 * 1000:.1f} | {p90 * 1000:.1f} | {p50 / open_p50:.3f} |")
        ratio = float(np.percentile(latencies["grant, everything"], 50)) / open_p50
        print(f"\nanswers that differ (open vs full grant): {differ} of {len(qs)}")
        print(f"goal: full grant p50 ≤ {GOAL:.2f} × open p50: "
              f"{'met' if ratio <= GOAL else 'MISSED'} ({ratio:.3f})")
        if differ or ratio > GOAL:
            raise SystemExit(1)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "restrict":
        print(json.dumps(_restrict_copy(Path(sys.argv[2]), sys.argv[3])))
    else:
        main()
