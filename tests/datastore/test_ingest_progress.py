"""Progress through long DuckDB statements moves the bar between two points."""

import duckdb

from commonground.datastore.ingest import QueryProgress


def test_query_progress_reports_fractions_between_start_and_end():
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")
    calls = []
    with QueryProgress(con, lambda f, m: calls.append((f, m)), 0.2, 0.6, "Reading", interval=0.02):
        con.execute("CREATE TABLE t AS SELECT i, md5(CAST(i AS VARCHAR)) AS h "
                    "FROM range(8000000) r(i)")
    fractions = [f for f, _ in calls]
    assert fractions, "no progress was reported"
    assert all(0.2 <= f <= 0.6 for f in fractions)
    assert fractions == sorted(fractions)  # never goes backwards
    assert {m for _, m in calls} == {"Reading"}
