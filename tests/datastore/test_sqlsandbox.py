"""datastore_search_sql: one read-only SELECT over the dataset's tables, and nothing else.

Tables are small Parquet files written once per module; "other.parquet" sits next to them and
must stay unreadable. The timeout test uses a generated 1,000,000-row table.
"""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from commonground.datastore import sqlsandbox
from commonground.datastore.sqlsandbox import (
    SQLInvalid,
    SQLRejected,
    SQLTimeout,
    open_readonly_sql,
    run_readonly_sql,
)

RESOURCE = "5f0c1e2a-7b3d-4c8e-9f10-2a3b4c5d6e7f"  # a CKAN resource id, as the table name


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sqlsandbox")
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('E01', 'Bletchley', 412, 3.25::DECIMAL(5,2), DATE '2024-04-01'),
        ('E02', 'Wolverton', 388, 1.50::DECIMAL(5,2), DATE '2024-04-01'),
        ('E03', 'Newport Pagnell', 505, NULL, DATE '2024-05-01'))
        t(area, name, households, rate, updated)) TO '{folder / "households.parquet"}'""")
    con.execute(f"COPY (SELECT 'secret' AS s) TO '{folder / 'other.parquet'}'")
    con.execute(f"COPY (SELECT range AS i FROM range(1000000)) TO '{folder / 'big.parquet'}'")
    return folder


@pytest.fixture(scope="module")
def tables(files):
    return {RESOURCE: files / "households.parquet", "big": files / "big.parquet"}


def test_the_ckan_form_quoted_resource_id_returns_rows_and_column_types(tables):
    result = run_readonly_sql(
        f'SELECT * FROM "{RESOURCE}" WHERE households > 400 ORDER BY area', tables)
    assert result.columns == [("area", "VARCHAR"), ("name", "VARCHAR"),
                              ("households", "INTEGER"), ("rate", "DECIMAL(5,2)"),
                              ("updated", "DATE")]
    assert result.rows == [("E01", "Bletchley", 412, Decimal("3.25"), date(2024, 4, 1)),
                           ("E03", "Newport Pagnell", 505, None, date(2024, 5, 1))]
    assert result.truncated is False


def test_rows_are_capped_at_max_rows_and_flagged(tables):
    result = run_readonly_sql("SELECT i FROM big ORDER BY i", tables, max_rows=5)
    assert result.rows == [(0,), (1,), (2,), (3,), (4,)]
    assert result.truncated is True
    exact = run_readonly_sql(f'SELECT area FROM "{RESOURCE}"', tables, max_rows=3)
    assert len(exact.rows) == 3 and exact.truncated is False


@pytest.mark.parametrize("sql", [
    "WITH r AS (SELECT area FROM \"{r}\") SELECT count(*) FROM r",
    "SELECT h.area, b.i FROM \"{r}\" h JOIN big b ON b.i = h.households",
    "SELECT area FROM \"{r}\" UNION ALL SELECT 'x'",
    "SELECT * FROM range(3)",
    "SELECT * FROM unnest([1, 2])",
    "DESCRIBE \"{r}\"",
    "SUMMARIZE \"{r}\"",
    "SELECT * FROM \"{r}\" PIVOT (sum(households) FOR updated IN ('2024-04-01'))",
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 3) FROM n",
])
def test_ordinary_analytical_sql_is_allowed(tables, sql):
    assert run_readonly_sql(sql.format(r=RESOURCE), tables).rows


@pytest.mark.parametrize(("sql", "reason"), [
    ("COPY (SELECT * FROM big) TO '/tmp/out.csv'", "only SELECT statements are allowed, not COPY"),
    ("ATTACH '/tmp/other.duckdb'", "not ATTACH"),
    ("INSTALL httpfs", "not LOAD"),
    ("LOAD httpfs", "not LOAD"),
    ("SET enable_external_access = true", "not SET"),
    ("RESET lock_configuration", "not SET"),
    ("PRAGMA database_list", "not PRAGMA"),
    ("CREATE TABLE x AS SELECT 1", "not CREATE"),
    ("CREATE MACRO m() AS 1", "not CREATE"),
    ("EXPLAIN ANALYZE SELECT 1", "not EXPLAIN"),
    ("PIVOT big ON i USING count(*)", "not MULTI"),
    ("SELECT 1; SELECT 2", "exactly one SQL statement is allowed; this has 2"),
    ("SELECT 1; COPY big TO '/tmp/x.csv'", "exactly one SQL statement"),
    ("  -- nothing", "exactly one SQL statement is allowed; this has 0"),
])
def test_only_a_single_select_statement_is_allowed(tables, sql, reason):
    with pytest.raises(SQLRejected, match=reason):
        run_readonly_sql(sql, tables)


@pytest.mark.parametrize(("sql", "reason"), [
    ("SELECT * FROM read_csv('/etc/passwd')", r"read_csv\(\) is not allowed"),
    ("SELECT * FROM read_text('/etc/passwd')", r"read_text\(\) is not allowed"),
    ("SELECT * FROM read_blob('/etc/passwd')", r"read_blob\(\) is not allowed"),
    ("SELECT * FROM glob('/*')", r"glob\(\) is not allowed"),
    ("SELECT getenv('HOME')", r"getenv\(\) is not allowed"),
    ("SELECT current_setting('allowed_paths')", r"current_setting\(\) is not allowed"),
    ("SELECT [current_setting('home_directory') FOR x IN [1]]", "current_setting"),
    ("SELECT * FROM duckdb_settings()", r"duckdb_settings\(\) is not allowed"),
    ("SELECT sql FROM duckdb_views()", r"duckdb_views\(\) is not allowed"),
    ("SELECT * FROM query('SELECT 1')", r"query\(\) is not allowed"),
    ("SELECT * FROM parquet_metadata('{other}')", r"parquet_metadata\(\) is not allowed"),
    ("SELECT * FROM read_parquet('{other}')", r"read_parquet\(\) is not allowed"),
    ("SELECT * FROM '{other}'", 'there is no table ".*other.parquet" here'),
    ("SELECT * FROM duckdb_views", 'there is no table "duckdb_views" here'),
    ("SELECT * FROM pg_settings", 'there is no table "pg_settings" here'),
    ("SELECT view_definition FROM information_schema.views", "information_schema.views: only"),
    ("SELECT * FROM main.big", "main.big: only the dataset's tables"),
    ("WITH duckdb_views AS (SELECT 1) SELECT * FROM duckdb_views", "may not be the name of a"),
    ("SHOW TABLES", "SHOW is not allowed"),
    ("SELECT (SELECT count(*) FROM glob('*')) FROM big", r"glob\(\) is not allowed"),
])
def test_files_settings_and_the_catalog_are_out_of_reach(tables, files, sql, reason):
    with pytest.raises(SQLRejected, match=reason):
        run_readonly_sql(sql.format(other=files / "other.parquet"), tables)


@pytest.mark.parametrize("sql", [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM glob('/*')",
    "SELECT * FROM read_parquet('{other}')",
    "SELECT * FROM '{other}'",
    "SELECT * FROM parquet_metadata('{other}')",
    "SELECT * FROM read_csv('https://example.org/a.csv')",
])
def test_the_locked_engine_refuses_files_even_without_the_parse_tree_check(
        tables, files, monkeypatch, sql):
    """Defence in depth: with the parse-tree check switched off, DuckDB's own lock holds."""
    monkeypatch.setattr(sqlsandbox, "_check_parse_tree", lambda *args: None)
    with pytest.raises(SQLRejected, match="only the dataset's tables may be read: no files"):
        run_readonly_sql(sql.format(other=files / "other.parquet"), tables)


def test_the_views_still_read_their_own_files_under_the_lock(tables, monkeypatch):
    monkeypatch.setattr(sqlsandbox, "_check_parse_tree", lambda *args: None)
    result = run_readonly_sql("SELECT current_setting('enable_external_access'), "
                              "current_setting('lock_configuration'), count(*) FROM big", tables)
    assert result.rows == [(False, True, 1_000_000)]


def test_a_runaway_query_is_stopped_at_the_time_limit(tables):
    started = time.monotonic()
    with pytest.raises(SQLTimeout, match="longer than the limit of 0.5 s"):
        run_readonly_sql("SELECT count(*) FROM big a, big b", tables, timeout=0.5)
    assert time.monotonic() - started < 1.5


def test_a_large_result_is_computed_only_as_far_as_it_is_fetched(tables):
    """512 MB of rows: the first batches arrive without the rest ever reaching Python."""
    import tracemalloc

    tracemalloc.start()
    try:
        with open_readonly_sql("SELECT repeat('x', 16000) AS s FROM range(32000)",
                               tables) as result:
            first = result.fetch(10)
            second = result.fetch(5)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.columns == [("s", "VARCHAR")]
    assert first == [("x" * 16000,)] * 10 and len(second) == 5
    assert peak < 4 << 20, f"{peak >> 20} MB held in Python"


def test_fetching_stops_at_max_rows_and_says_more_existed(tables):
    with open_readonly_sql("SELECT i FROM big ORDER BY i", tables, max_rows=5) as result:
        assert result.fetch(3) == [(0,), (1,), (2,)]
        assert result.fetch(3) == [(3,), (4,)]
        assert result.fetch(3) == []
    assert result.truncated is True


def test_the_time_limit_covers_fetching_a_streamed_result(tables):
    started = time.monotonic()
    with pytest.raises(SQLTimeout, match="longer than the limit of 0.3 s"):  # noqa: PT012
        with open_readonly_sql("SELECT i FROM big", tables, timeout=0.3,
                               max_rows=1_000_000) as result:
            while result.fetch(2048):
                time.sleep(0.01)  # a slow reader
    assert time.monotonic() - started < 1.5


def test_a_query_needing_more_memory_than_the_limit_is_refused(tables):
    with pytest.raises(SQLRejected, match="more memory than the limit of 64MB"):
        run_readonly_sql("SELECT string_agg(repeat('x', 200), '') FROM big", tables,
                         memory_limit="64MB")


@pytest.mark.parametrize(("sql", "message"), [
    ("SELEC 1", "syntax error"),
    ("SELECT nope FROM big", 'there is no column "nope"'),
    ("SELECT * FROM missing", 'there is no table "missing" here; the tables are: '),
])
def test_mistakes_are_reported_in_plain_words(tables, sql, message):
    with pytest.raises((SQLInvalid, SQLRejected), match=message) as caught:
        run_readonly_sql(sql, tables)
    # Not in the engine's: no "Binder Error", no statement echoed with a caret.
    assert " Error" not in str(caught.value) and "LINE 1" not in str(caught.value)


def test_deeply_nested_statements_are_refused_before_they_run(tables):
    def nested(depth):
        return "SELECT " + "abs(" * depth + "-1" + ")" * depth

    assert run_readonly_sql(nested(100), tables).rows == [(1,)]
    with pytest.raises(SQLRejected, match="nested too deeply"):
        run_readonly_sql(nested(500), tables)
    with pytest.raises(SQLInvalid, match="Max expression depth"):
        run_readonly_sql(nested(5000), tables)


def test_table_names_must_differ_ignoring_case(files):
    with pytest.raises(ValueError, match="distinct ignoring case"):
        run_readonly_sql("SELECT 1", {"abc": files / "big.parquet", "ABC": files / "big.parquet"})
