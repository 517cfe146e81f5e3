"""Lower bounds for Common Ground's row API, measured the way ``row_query.py`` measures it.

An answer to "a page of 100 rows and its exact total" from Common Ground takes at least:

* **HTTP + Django**: a request to a JSON view that reads nothing
  (``/api/3/action/status_show``) on the same gunicorn server, same client;
* **100 rows into Python**: DuckDB handing over 100 rows of the version (every column the API
  returns) from the in-memory table the API queries, picked the cheapest way there is:
  ``_id BETWEEN 1 AND 100`` (the table is in ``_id`` order, so one row group is read; a plain
  ``LIMIT 100`` costs twice as much, as it starts a scan on every thread);
* **the exact count**: ``count(*)`` of the question's rows on a copy of that table sorted by
  (category, amount), the most favourable order DuckDB could be given for these questions
  (its min/max statistics then skip every other row group; the same help Datasette's
  (category, amount) index gives SQLite).

Each is the median (p50) over the same questions; their sum is the floor that any page
served through Django from DuckDB pays, whatever index-like structure is added.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb
import requests

STATUS_PATH = "/api/3/action/status_show"


def http_floor(base: str, warmup: int, count: int) -> float:
    """p50 seconds of a JSON view that reads nothing, over one keep-alive session."""
    latencies = []
    with requests.Session() as session:
        for i in range(warmup + count):
            start = time.perf_counter()
            response = session.get(base + STATUS_PATH, timeout=30)
            response.content  # noqa: B018 - the whole body, as for the real requests
            if i >= warmup:
                latencies.append(time.perf_counter() - start)
            response.raise_for_status()
    return statistics.median(latencies)


def duckdb_floors(parquet: Path, questions: list, count: int) -> dict[str, float]:
    """p50 seconds of handing 100 rows to Python, and of the exact count on a sorted copy."""
    con = duckdb.connect(config={"threads": 2})  # as commonground.datastore.query
    con.execute("CREATE TABLE version AS SELECT * FROM read_parquet(?)", [str(parquet)])
    con.execute("CREATE TABLE sorted AS SELECT * FROM version ORDER BY category, amount")
    columns = ", ".join(f'"{name}"' for name, *_ in con.execute("DESCRIBE version").fetchall()
                        if name not in ("_row", "_geometry"))
    rows, counts = [], []
    for i in range(count):
        q = questions[i % len(questions)]
        start = time.perf_counter()
        con.execute(f"SELECT {columns} FROM version WHERE _id BETWEEN 1 AND 100").fetchall()
        rows.append(time.perf_counter() - start)
        start = time.perf_counter()
        con.execute("SELECT count(*) FROM sorted WHERE category = ? AND amount > ?",
                    [q.category, q.threshold]).fetchone()
        counts.append(time.perf_counter() - start)
    con.close()
    return {"100 rows into Python": statistics.median(rows),
            "exact count, table sorted by (category, amount)": statistics.median(counts)}
