"""Benchmark: live feeds' speed and scale (issue 18), each against a plain indexed table.

    .venv/bin/python benchmarks/feeds.py [--observations N] [--push P] [--batch B]
                                         [--things T] [--requests R] [--database sqlite|postgres]

A throwaway hub (``throwaway_hub.ThrowawayHub``: its own SQLite database in a temp folder,
``migrate`` only, no places needed) or, with ``--database postgres``, a throwaway
PostgreSQL server (``scripts/with_postgres.sh``, the way ``scripts/test.sh`` uses it; or
the ``DATABASE_URL`` given). Served by gunicorn on 127.0.0.1, one worker, ``gthread`` with
one thread, ``DEBUG=0``; stopped and deleted at the end. Seeded, no randomness at run time.

(a) **push**: P observations (default 100,000) POSTed in batches of B (1,000: 100 things x
    10 minutes) to ``/api/feeds/<feed>/observations`` with a write key, sequentially on
    one keep-alive connection; the bodies are made before the clock starts. Goal: at least
    10,000 observations/s. Floor: the same rows ``executemany``-inserted into a plain table
    (stream, time, number; unique index on (stream, time)), one transaction per batch.
(b) **last 24 hours** of one datastream, with N observations (default 10,000,000) stored:
    streams of one year of one-minute data each (the last one shorter), bulk-loaded with one
    ``INSERT ... SELECT`` per stream (not through HTTP). Asked through the MK Data Hub's
    ``/sensors/feeds/<id>/datastreams/<id>/datapoints?limit=1000`` (the most a request
    returns) and in-process (``reading.observations`` over the whole 24 hours: 1,440 rows).
    Goal: p50 under 20 ms. Floor: ``SELECT time, number ... ORDER BY time`` on the plain table.
(c) **hourly aggregate** over one year of one-minute data of one stream (525,600 points),
    8,760 buckets: from raw (``aggregates.compute``, no goal), then the worker's
    ``aggregates.rollup`` of the stream timed once (the first round's work: the whole year),
    then what readers get, ``aggregates.series`` (whole hours before the watermark from the
    Aggregate table, the current hour from raw). Goal: series under 300 ms. Floor:
    ``GROUP BY`` the hour on the plain table. Answers compared bucket by bucket.
(d) **near and bbox** over T things (10,000) of a location feed, spread over Milton Keynes'
    box: ``/locations/feeds/<id>?near=lat,lng,500`` and ``?bbox=...`` (about 0.5 % of the
    city's box) and in-process (``reading.Near`` / ``reading.BBox``). Goal: p50 under 20 ms.
    Floor: the same box and circle on a plain table with an index on (easting, northing).

Also printed: storage per million observations (SQLite: the database file's growth over
the bulk load; PostgreSQL: ``pg_total_relation_size``), for the feeds' table and the plain
one. Exits non-zero if any goal is missed or any answer differs from the floor's.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import row_floor  # noqa: E402
from row_query import Server, free_port  # noqa: E402
from throwaway_hub import REPO, ThrowawayHub, setup_django  # noqa: E402

YEAR = 525_600  # one-minute observations in a year
PUSH_GOAL = 10_000  # observations per second
LATEST_GOAL = 0.020  # seconds, p50
AGGREGATE_GOAL = 0.300
PLACE_GOAL = 0.020
PLAIN = "bench_plain_observation"
PLAIN_THINGS = "bench_plain_thing"
# Milton Keynes' box (WGS84): the location feed's things are spread over it.
MK = (-0.87, 51.95, -0.62, 52.10)  # west, south, east, north


def percentile(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def timed(call: Callable, repeat: int, warmup: int = 3) -> tuple[list[float], object]:
    for _ in range(warmup):
        answer = call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - start)
    return times, answer


# ---------------------------------------------------------------- set-up (in this process)

def seed_hub(args, now: dt.datetime) -> dict:
    """An organisation, a sensor feed (push streams + the loaded streams), a location feed
    of T things and a write key; returns their ids."""
    from commonground.accounts.models import Organisation
    from commonground.feeds import keys
    from commonground.feeds.models import Datastream, Feed, Thing
    from commonground.geography.projection import lonlat_to_bng

    org = Organisation.objects.create(slug="bench-feeds", name="Benchmark feeds",
                                      kind="council")
    sensors = Feed.objects.create(organisation=org, slug="bench-sensors", title="Sensors",
                                  state=Feed.State.PUBLISHED)
    push_things = Thing.objects.bulk_create(
        [Thing(feed=sensors, key=f"push-{i}", name=f"Push {i}") for i in range(args.push_things)])
    Datastream.objects.bulk_create(
        [Datastream(thing=t, key="value", name="value", observed_property="count")
         for t in push_things])
    streams = math.ceil(args.observations / YEAR)
    loaded = Thing.objects.bulk_create(
        [Thing(feed=sensors, key=f"year-{i}", name=f"Year {i}") for i in range(streams)])
    loaded_streams = Datastream.objects.bulk_create(
        [Datastream(thing=t, key="value", name="value", observed_property="count",
                    expected_interval_seconds=60) for t in loaded])
    places = Feed.objects.create(organisation=org, slug="bench-places", title="Places",
                                 kind=Feed.Kind.LOCATION, state=Feed.State.PUBLISHED)
    rng = np.random.default_rng(args.seed)
    west, south, east, north = MK
    lon = rng.uniform(west, east, args.things)
    lat = rng.uniform(south, north, args.things)
    xs, ys = lonlat_to_bng(lon.tolist(), lat.tolist())
    Thing.objects.bulk_create(
        [Thing(feed=places, key=f"place-{i}", name=f"Place {i:05}", lat=float(lat[i]),
               lon=float(lon[i]), easting=float(xs[i]), northing=float(ys[i]))
         for i in range(args.things)], batch_size=2000)
    key = keys.make_key(sensors, "write", label="benchmark")
    return {"sensors": sensors.pk, "slug": sensors.slug, "places": places.pk,
            "secret": key.secret, "streams": [s.pk for s in loaded_streams],
            "push_streams": [t.key for t in push_things]}


def db_size(table: str | None = None) -> int:
    """The SQLite file's size (with its WAL, checkpointed), or a PostgreSQL table's."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            name = connection.settings_dict["NAME"]
            return sum(os.path.getsize(p) for p in (name, f"{name}-wal") if os.path.exists(p))
        # 0 for a table not made yet (the plain table, before make_plain)
        cursor.execute("SELECT COALESCE(pg_total_relation_size(to_regclass(%s)), 0)", [table])
        return cursor.fetchone()[0]


def bulk_load(streams: list[int], total: int, end: dt.datetime, seed: int) -> float:
    """``total`` observations: one year of one-minute data per stream, ending at ``end``,
    the last stream holding the remainder (its newest); one INSERT ... SELECT per stream."""
    from django.db import connection, transaction

    first = int(end.timestamp()) - 60 * YEAR
    received = end.strftime("%Y-%m-%d %H:%M:%S")
    started = time.perf_counter()
    left = total
    for stream in streams:
        n = min(YEAR, left)
        left -= n
        skip = YEAR - n  # a short stream holds the newest minutes
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "WITH RECURSIVE n(i) AS (SELECT %s UNION ALL SELECT i + 1 FROM n "
                    "WHERE i + 1 < %s) INSERT INTO feeds_observation "
                    "(datastream_id, time, number, text, received) "
                    "SELECT %s, datetime(%s + 60 * i, 'unixepoch'), "
                    "((i * 7919 + %s) %% 1000) / 10.0, '', %s FROM n",
                    [skip, YEAR, stream, first, seed, received])
            else:
                cursor.execute(
                    "INSERT INTO feeds_observation (datastream_id, time, number, text, "
                    "received) SELECT %s, to_timestamp(%s + 60 * i), "
                    "((i * 7919 + %s) %% 1000) / 10.0, '', %s::timestamptz "
                    "FROM generate_series(%s::bigint, %s - 1) AS i",
                    [stream, first, seed, end, skip, YEAR])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def make_plain(vendor: str) -> float:
    """The floor's tables: observations (stream, time, number) and things (easting,
    northing, lat, lon), each with the one index its questions need, copied in SQL."""
    from django.db import connection, transaction

    started = time.perf_counter()
    serial = "INTEGER PRIMARY KEY" if vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"
    stamp = "TEXT" if vendor == "sqlite" else "TIMESTAMPTZ"
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {PLAIN} (id {serial}, stream INTEGER NOT NULL, "
                       f"time {stamp} NOT NULL, number DOUBLE PRECISION)")
        cursor.execute(f"CREATE UNIQUE INDEX {PLAIN}_st ON {PLAIN} (stream, time)")
        cursor.execute(f"INSERT INTO {PLAIN} (stream, time, number) SELECT datastream_id, "  # noqa: S608
                       "time, number FROM feeds_observation ORDER BY datastream_id, time")
        cursor.execute(f"CREATE TABLE {PLAIN_THINGS} (id {serial}, easting DOUBLE PRECISION, "
                       "northing DOUBLE PRECISION, lat DOUBLE PRECISION, lon DOUBLE PRECISION)")
        cursor.execute(f"CREATE INDEX {PLAIN_THINGS}_en ON {PLAIN_THINGS} (easting, northing)")
        cursor.execute(f"INSERT INTO {PLAIN_THINGS} (id, easting, northing, lat, lon) "  # noqa: S608
                       "SELECT t.id, t.easting, t.northing, t.lat, t.lon FROM feeds_thing t "
                       "JOIN feeds_feed f ON f.id = t.feed_id WHERE f.slug = 'bench-places'")
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


# ---------------------------------------------------------------- (a) push

def push_batches(things: list[str], total: int, batch: int, end: dt.datetime) -> list[bytes]:
    """JSON bodies of ``batch`` observations: every thing, consecutive minutes, ending
    before ``end`` (so never in the future)."""
    minutes_per_batch = max(1, batch // len(things))
    batches = math.ceil(total / (minutes_per_batch * len(things)))
    start = end - dt.timedelta(minutes=batches * minutes_per_batch + 1)
    bodies, minute = [], 0
    for b in range(batches):
        rows = []
        for m in range(minutes_per_batch):
            at = (start + dt.timedelta(minutes=minute + m)).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows += [{"thing": thing, "datastream": "value", "time": at,
                      "value": (b * 31 + m * 7 + i) % 500 / 10} for i, thing in
                     enumerate(things)]
        minute += minutes_per_batch
        bodies.append(json.dumps({"observations": rows}).encode())
    return bodies


def push_http(base: str, slug: str, secret: str, bodies: list[bytes]) -> tuple[float, list]:
    url = f"{base}/api/feeds/{slug}/observations"
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    latencies, added = [], 0
    with requests.Session() as session:
        started = time.perf_counter()
        for body in bodies:
            t0 = time.perf_counter()
            response = session.post(url, data=body, headers=headers, timeout=120)
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200:
                raise SystemExit(f"push: HTTP {response.status_code}: {response.text[:300]}")
            added += response.json()["added"]
        wall = time.perf_counter() - started
    return wall, latencies, added


def push_in_process(feed_id: int, bodies: list[bytes]) -> tuple[float, list]:
    from commonground.feeds import push_api, writing
    from commonground.feeds.models import Feed

    feed = Feed.objects.get(pk=feed_id)
    latencies = []
    started = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        result = writing.write_observations(feed, push_api._json_rows(body))
        latencies.append(time.perf_counter() - t0)
        if result.added != result.received:
            raise SystemExit(f"push in-process: {result.as_dict()}")
    return time.perf_counter() - started, latencies


def push_floor(bodies: list[bytes], stream_of: dict[str, int]) -> tuple[float, list]:
    """The same rows inserted by hand: parsed JSON -> executemany, one transaction a batch."""
    from django.db import connection, transaction

    sql = f"INSERT INTO {PLAIN} (stream, time, number) VALUES (%s, %s, %s)"  # noqa: S608
    sqlite = connection.vendor == "sqlite"
    latencies = []
    started = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        rows = [(stream_of[o["thing"]], o["time"][:10] + " " + o["time"][11:19] if sqlite
                 else o["time"], o["value"]) for o in json.loads(body)["observations"]]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, rows)
        latencies.append(time.perf_counter() - t0)
    return time.perf_counter() - started, latencies


# ---------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--observations", type=int, default=10_000_000,
                        help="observations stored for (b) (at least one year: 525,600)")
    parser.add_argument("--push", type=int, default=100_000, help="observations pushed (a)")
    parser.add_argument("--batch", type=int, default=1000, help="observations per push")
    parser.add_argument("--push-things", type=int, default=100, help="things pushed to")
    parser.add_argument("--things", type=int, default=10_000, help="things for (d)")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per read")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args(argv)
    args.observations = max(args.observations, YEAR)
    if args.database == "postgres" and not os.environ.get("DATABASE_URL", "").startswith(
            "postgres"):
        # a throwaway server for the run, as scripts/test.sh does
        run = subprocess.run(["bash", str(REPO / "scripts" / "with_postgres.sh"),
                              sys.executable, *sys.argv], check=False)
        raise SystemExit(run.returncode)

    tmp = Path(tempfile.mkdtemp(prefix="cg-bench-feeds-"))
    server = None
    try:
        hub = ThrowawayHub(tmp / "hub")
        hub.root.mkdir(parents=True)
        env = hub.env()
        if args.database == "postgres":
            env["DATABASE_URL"] = os.environ["DATABASE_URL"]
        os.environ.update(env)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(REPO / "manage.py"), "migrate", "--verbosity", "0"],
                       env=env, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
        setup_django()
        from django.db import connection

        vendor = connection.vendor
        now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
        ids = seed_hub(args, now)
        print(f"hub ({vendor}): migrate + seed in {time.perf_counter() - started:.1f} s",
              flush=True)

        end = now - dt.timedelta(minutes=1)  # the loaded streams' newest minute + 1
        before = db_size("feeds_observation")
        load_seconds = bulk_load(ids["streams"], args.observations, end, args.seed)
        grown = db_size("feeds_observation") - before
        print(f"bulk load: {args.observations:,} observations in {load_seconds:.1f} s "
              f"({args.observations / load_seconds:,.0f}/s)", flush=True)
        before = db_size(PLAIN)
        plain_seconds = make_plain(vendor)
        grown_plain = db_size(PLAIN) - before
        print(f"plain tables: {plain_seconds:.1f} s", flush=True)
        connection.close()  # the server writes next

        # (a) push through HTTP, then the floor
        bodies = push_batches(ids["push_streams"], args.push, args.batch, now)
        pushed = sum(len(json.loads(b)["observations"]) for b in bodies)
        port = free_port()
        server_env = {**env, "DEBUG": "0", "SECURE_SSL_REDIRECT": "0",
                      "SECRET_KEY": "benchmark-only-not-secret", "ALLOWED_HOSTS": "127.0.0.1"}
        command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
                   "--workers", "1", "--worker-class", "gthread", "--threads", "1",
                   "--timeout", "120", "commonground.wsgi"]
        base = f"http://127.0.0.1:{port}"
        server = Server("gunicorn (Common Ground)", command,
                        f"{base}/sensors/feeds/{ids['sensors']}/datastreams/"
                        f"{ids['streams'][0]}", env=server_env, log=tmp / "gunicorn.log")
        push_wall, push_lat, added = push_http(base, ids["slug"], ids["secret"], bodies)
        if added != pushed:
            raise SystemExit(f"push: {added:,} added of {pushed:,} sent")
        from commonground.feeds.models import Datastream
        stream_of = {s.thing.key: 10_000_000 + s.pk for s in Datastream.objects.filter(
            thing__key__in=ids["push_streams"]).select_related("thing")}
        floor_wall, floor_lat = push_floor(bodies, stream_of)
        results = [("(a) push, observations/s (HTTP, batches of "
                    f"{len(json.loads(bodies[0])['observations']):,})",
                    pushed / push_wall, pushed / floor_wall, push_lat, floor_lat)]
        # the same through write_observations in this process (no HTTP, no key check), on an
        # earlier window so every row is new again
        earlier = push_batches(ids["push_streams"], args.push, args.batch,
                               now - dt.timedelta(days=30))
        inproc_wall, inproc_lat = push_in_process(ids["sensors"], earlier)
        results.append(("(a) push in-process (JSON parse + write_observations)",
                        pushed / inproc_wall, pushed / floor_wall, inproc_lat, floor_lat))
        print(f"(a) push: {pushed / push_wall:,.0f}/s (in-process {pushed / inproc_wall:,.0f}/s);"
              f" floor {pushed / floor_wall:,.0f}/s", flush=True)

        reads, problems = read_questions(args, ids, base, end)
        http_floor = row_floor.http_floor(base, 5, args.requests)
        server.stop()
        server = None
        failed = report(args, vendor, load_seconds, grown, grown_plain, results, reads,
                        problems, http_floor)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    if failed:
        raise SystemExit(failed)


class Reader:
    """What (b), (c) and (d) share: the database's vendor, the floor's SQL, HTTP clients."""

    def __init__(self, args, ids: dict, base: str, end: dt.datetime):
        from django.db import connection

        self.args, self.ids, self.base, self.end = args, ids, base, end
        self.connection = connection
        self.sqlite = connection.vendor == "sqlite"
        self.problems: list[str] = []
        self.reads: list = []

    def stamp(self, moment: dt.datetime):
        return moment.strftime("%Y-%m-%d %H:%M:%S") if self.sqlite else moment

    def plain(self, sql: str, params: list) -> list:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def http(self, url: str, params: dict) -> Callable:
        session = requests.Session()

        def ask():
            response = session.get(url, params=params, timeout=60)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code} {response.text[:300]}")
            return response.json()
        return ask


def read_questions(args, ids: dict, base: str, end: dt.datetime):
    """(b), (c), (d): Common Ground in-process and through HTTP, and the floor."""
    reader = Reader(args, ids, base, end)
    latest(reader)
    aggregate(reader)
    places(reader)
    return reader.reads, reader.problems


def latest(r: Reader) -> None:
    """(b): the last 24 hours of the stream with the newest data (the last loaded)."""
    from commonground.feeds import reading
    from commonground.feeds.models import Datastream

    args, ids, base, end, plain, stamp = r.args, r.ids, r.base, r.end, r.plain, r.stamp
    problems, reads, http = r.problems, r.reads, r.http
    # (b) the last 24 hours of the stream with the newest data (the last loaded)
    stream = Datastream.objects.get(pk=ids["streams"][-1])
    start = end - dt.timedelta(hours=24)
    floor_sql = (f"SELECT time, number FROM {PLAIN} WHERE stream = %s AND time >= %s "  # noqa: S608
                 "AND time < %s ORDER BY time")
    floor_times, floor_rows = timed(lambda: plain(floor_sql, [stream.pk, stamp(start),
                                                              stamp(end)]), args.requests)
    ours_times, ours_rows = timed(lambda: reading.observations(stream, start, end),
                                  args.requests)
    if [(o.number) for o in ours_rows] != [n for _, n in floor_rows] or len(ours_rows) != 1440:
        problems.append(f"(b) in-process: {len(ours_rows)} rows vs the floor's "
                        f"{len(floor_rows)} (1,440 expected)")
    reads.append(("(b) last 24 h, in-process (1,440 rows)", ours_times, floor_times,
                  LATEST_GOAL))
    url = f"{base}/sensors/feeds/{ids['sensors']}/datastreams/{stream.pk}/datapoints"
    iso = "%Y-%m-%dT%H:%M:%SZ"
    http_times, body = timed(http(url, {"start": start.strftime(iso), "end": end.strftime(iso),
                                        "limit": 1000}), args.requests)
    newest_floor_times, newest = timed(lambda: plain(
        f"SELECT time, number FROM {PLAIN} WHERE stream = %s AND time >= %s "  # noqa: S608
        "AND time < %s ORDER BY time LIMIT 1000", [stream.pk, stamp(start), stamp(end)]),
        args.requests)
    if [p["value"] for p in body["datapoints"]] != [n for _, n in newest]:
        problems.append(f"(b) HTTP: {len(body['datapoints'])} datapoints differ from the "
                        f"floor's {len(newest)}")
    reads.append(("(b) last 24 h, Data Hub datapoints HTTP (limit 1,000)", http_times,
                  newest_floor_times, LATEST_GOAL))
    default_times, body = timed(http(url, {}), args.requests)
    default_floor_times, newest = timed(lambda: plain(
        f"SELECT time, number FROM {PLAIN} WHERE stream = %s AND time >= %s "  # noqa: S608
        "AND time < %s ORDER BY time DESC LIMIT 50", [stream.pk, stamp(start), stamp(end)]),
        args.requests)
    if [p["value"] for p in body["datapoints"]] != [n for _, n in newest][::-1]:
        problems.append(f"(b) HTTP default: {len(body['datapoints'])} datapoints differ "
                        f"from the floor's {len(newest)}")
    reads.append(("(b) Data Hub datapoints HTTP default (50 newest)", default_times,
                  default_floor_times, LATEST_GOAL))



def aggregate(r: Reader) -> None:
    """(c): the hourly aggregate over the first stream's year."""
    from commonground.feeds import aggregates
    from commonground.feeds.models import Datastream

    args, ids, end, plain, stamp, sqlite = r.args, r.ids, r.end, r.plain, r.stamp, r.sqlite
    problems, reads = r.problems, r.reads
    year = Datastream.objects.get(pk=ids["streams"][0])
    year_start = end - dt.timedelta(minutes=YEAR)
    hour_sql = ("substr(time, 1, 13)" if sqlite else
                "date_trunc('hour', time AT TIME ZONE 'UTC')")
    agg_floor_sql = (f"SELECT {hour_sql} AS h, count(number), sum(number), min(number), "  # noqa: S608
                     f"max(number) FROM {PLAIN} WHERE stream = %s AND time >= %s "
                     "AND time < %s GROUP BY h ORDER BY h")
    repeat = max(5, args.requests // 10)
    floor_times, floor_rows = timed(lambda: plain(agg_floor_sql, [
        year.pk, stamp(year_start), stamp(end)]), repeat, warmup=1)
    ours_times, summaries = timed(lambda: aggregates.compute(year, "hour", year_start, end),
                                  repeat, warmup=1)
    theirs = [(c, round(t, 6), lo, hi) for _, c, t, lo, hi in floor_rows]
    mine = [(s.count, round(s.total, 6), s.minimum, s.maximum) for s in summaries]
    if mine != theirs:
        problems.append(f"(c) {len(mine)} buckets vs the floor's {len(theirs)}, or their "
                        "figures differ")
    reads.append((f"(c) hourly aggregate from raw ({len(mine):,} buckets)", ours_times,
                  floor_times, None))
    # the worker's rollup of the stream, once (all of its year: the first round's work;
    # later rounds roll up one hour), then what readers ask: series, from the stored buckets
    started = time.perf_counter()
    stored = aggregates.rollup(year)
    rolled = time.perf_counter() - started
    reads.append((f"(c) rollup of the year, once ({stored:,} hours and days)", [rolled],
                  floor_times, None))
    series_times, summaries = timed(lambda: aggregates.series(year, "hour", year_start, end),
                                    repeat, warmup=1)
    mine = [(s.count, round(s.total, 6), s.minimum, s.maximum) for s in summaries]
    if mine != theirs:
        problems.append(f"(c) after rollup: {len(mine)} buckets vs the floor's "
                        f"{len(theirs)}, or their figures differ")
    reads.append(("(c) hourly aggregate, one year, after rollup", series_times, floor_times,
                  AGGREGATE_GOAL))



def places(r: Reader) -> None:
    """(d): near and bbox over the location feed's things."""
    from commonground.feeds import reading
    from commonground.feeds.models import Feed
    from commonground.geography.projection import lonlat_to_bng

    args, ids, base, plain, http = r.args, r.ids, r.base, r.plain, r.http
    problems, reads = r.problems, r.reads

    places = Feed.objects.get(pk=ids["places"])
    west, south, east, north = MK
    lat, lng = (south + north) / 2, (west + east) / 2
    (x,), (y,) = lonlat_to_bng([lng], [lat])
    radius = 500
    near_floor = (f"SELECT id FROM {PLAIN_THINGS} WHERE easting BETWEEN %s AND %s AND "  # noqa: S608
                  "northing BETWEEN %s AND %s AND (easting - %s) * (easting - %s) + "
                  "(northing - %s) * (northing - %s) <= %s ORDER BY id")
    params = [x - radius, x + radius, y - radius, y + radius, x, x, y, y, radius * radius]
    floor_times, floor_rows = timed(lambda: plain(near_floor, params), args.requests)
    near = reading.Near(lat, lng, radius)
    ours_times, found = timed(lambda: near.filter(reading.feed_things(places)), args.requests)
    if sorted(t.pk for t in found) != [i for (i,) in floor_rows]:
        problems.append(f"(d) near: {len(found)} things vs the floor's {len(floor_rows)}")
    reads.append((f"(d) near {radius} m, in-process ({len(found)} things)", ours_times,
                  floor_times, PLACE_GOAL))
    url = f"{base}/locations/feeds/{places.pk}"
    http_times, body = timed(http(url, {"near": f"{lat},{lng},{radius}"}), args.requests)
    if sorted(t["id"] for t in body["things"]) != [i for (i,) in floor_rows]:
        problems.append(f"(d) near HTTP: {len(body['things'])} things vs {len(floor_rows)}")
    reads.append((f"(d) near {radius} m, Data Hub HTTP ({len(found)} things)", http_times,
                  floor_times, PLACE_GOAL))

    half_w, half_h = (east - west) * 0.035, (north - south) * 0.035
    box = (lng - half_w, lat + half_h, lng + half_w, lat - half_h)  # west, north, east, south
    bbox_floor = (f"SELECT t.id FROM {PLAIN_THINGS} t WHERE easting BETWEEN %s AND %s AND "  # noqa: S608
                  "northing BETWEEN %s AND %s AND lat BETWEEN %s AND %s AND "
                  "lon BETWEEN %s AND %s ORDER BY id")
    xs, ys = lonlat_to_bng([box[0], box[2], box[0], box[2]], [box[3], box[3], box[1], box[1]])
    pad = 50  # metres: the grid envelope of a lon/lat box is a little wider than its corners
    params = [min(xs) - pad, max(xs) + pad, min(ys) - pad, max(ys) + pad, box[3], box[1],
              box[0], box[2]]
    floor_times, floor_rows = timed(lambda: plain(bbox_floor, params), args.requests)
    bbox = reading.BBox(*box)
    ours_times, found = timed(lambda: bbox.filter(reading.feed_things(places)), args.requests)
    if sorted(t.pk for t in found) != [i for (i,) in floor_rows]:
        problems.append(f"(d) bbox: {len(found)} things vs the floor's {len(floor_rows)}")
    reads.append((f"(d) bbox, in-process ({len(found)} things)", ours_times, floor_times,
                  PLACE_GOAL))
    http_times, body = timed(http(url, {"bbox": ",".join(f"{v}" for v in box)}),
                             args.requests)
    if sorted(t["id"] for t in body["things"]) != [i for (i,) in floor_rows]:
        problems.append(f"(d) bbox HTTP: {len(body['things'])} things vs {len(floor_rows)}")
    reads.append((f"(d) bbox, Data Hub HTTP ({len(found)} things)", http_times, floor_times,
                  PLACE_GOAL))


def report(args, vendor, load_seconds, grown, grown_plain, pushes, reads, problems,
           http_floor: float) -> str:
    import django

    print(f"\nfeeds, {vendor}; {args.observations:,} observations stored; {args.things:,} "
          f"things; {args.requests} timed requests per read (median of runs for (c)); "
          f"{os.cpu_count()} cores; {dt.date.today().isoformat()}; Django {django.__version__}")
    misses = []
    print(f"\n{'question':58} {'CG':>10} {'floor':>10} {'CG/floor':>9} {'goal':>9}")
    for name, ours, floor, our_lat, floor_lat in pushes:
        ok = ours >= PUSH_GOAL
        print(f"{name:58} {ours:10,.0f} {floor:10,.0f} {floor / ours:8.1f}× "
              f"{'≥ 10,000':>9} {'PASS' if ok else 'MISS'}")
        print(f"{'   per batch p50 / p95 ms':58} {percentile(our_lat, 50) * 1000:5.1f}/"
              f"{percentile(our_lat, 95) * 1000:<5.1f}"
              f"{percentile(floor_lat, 50) * 1000:5.1f}/{percentile(floor_lat, 95) * 1000:.1f}")
        misses += [] if ok else [name]
    print(f"\n{'question (ms)':46} {'CG p50':>8} {'CG p95':>8} {'floor p50':>9} "
          f"{'floor p95':>9} {'CG/floor':>9} {'goal':>6}")
    for name, ours, floor, goal in reads:
        p50 = statistics.median(ours)
        ok = goal is None or p50 < goal
        verdict = "     —" if goal is None else f"{goal * 1000:>4.0f}ms {'PASS' if ok else 'MISS'}"
        print(f"{name:46} {p50 * 1000:8.2f} {percentile(ours, 95) * 1000:8.2f} "
              f"{statistics.median(floor) * 1000:9.2f} {percentile(floor, 95) * 1000:9.2f} "
              f"{p50 / statistics.median(floor):8.1f}× {verdict}")
        misses += [] if ok else [name]
    print(f"{'HTTP + Django, a JSON view that reads nothing':46} {http_floor * 1000:8.2f}  "
          "(p50; every HTTP row above pays it)")
    per_million = 1e6 / args.observations
    print(f"\nstorage per million observations: feeds {grown * per_million / 1e6:.1f} MB "
          f"(observation table and its indexes), plain table {grown_plain * per_million / 1e6:.1f}"
          f" MB (with its things' table, negligible); bulk load {load_seconds:.1f} s")
    for problem in problems:
        print(f"  MISMATCH {problem}")
    out = []
    if misses:
        out.append("goals missed: " + "; ".join(misses))
    if problems:
        out.append(f"{len(problems)} answers differ from the floor's")
    return "\n".join(out)


if __name__ == "__main__":
    main()
