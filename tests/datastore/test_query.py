"""Row queries over a version's Parquet file: filters, q, sort, fields, paging, aggregates."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from commonground.datastore import query as Q


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    """1,000 rows: every 5th has no area, every 7th no score; names repeat every 100."""
    path = tmp_path_factory.mktemp("query") / "data.parquet"
    duckdb.sql(f"""
        COPY (SELECT i AS _id, i + 1 AS _row,
                     'Site ' || (i % 100) AS name,
                     CASE WHEN i % 7 = 0 THEN NULL ELSE (i * 37) % 101 END AS score,
                     (i % 2 = 0) AS open,
                     DATE '2024-01-01' + CAST(i % 366 AS INTEGER) AS opened,
                     CASE WHEN i % 5 = 0 THEN NULL ELSE 'E0100' || lpad(CAST(i % 20 AS VARCHAR), 4, '0') END
                         AS _lsoa21,
                     'x' AS _linked_by
              FROM range(1, 1001) t(i))
        TO '{path}' (FORMAT parquet)""")
    return path


def rows_where(version, sql: str) -> list[int]:
    return [r[0] for r in duckdb.sql(
        f"SELECT _id FROM read_parquet('{version}') WHERE {sql} ORDER BY _id").fetchall()]


def test_schema_names_our_types(version):
    types = {c["name"]: c["type"] for c in Q.schema(version)}
    assert types == {"_id": "integer", "_row": "integer", "name": "string", "score": "integer",
                     "open": "boolean", "opened": "date", "_lsoa21": "string",
                     "_linked_by": "string"}


def test_page_and_exact_total_of_filtered_rows(version):
    page = Q.run(version, Q.RowQuery(filters=[Q.Filter("score", "gt", 50)], limit=10))
    expected = rows_where(version, "score > 50")
    assert page.total == len(expected)
    assert [r["_id"] for r in page.rows] == expected[:10]
    assert "_row" not in page.rows[0]  # source row numbers are for messages, not answers


@pytest.mark.parametrize(("flt", "sql"), [
    (Q.Filter("name", "eq", "Site 7"), "name = 'Site 7'"),
    (Q.Filter("name", "ne", "Site 7"), "name <> 'Site 7'"),
    (Q.Filter("score", "lte", "10"), "score <= 10"),
    (Q.Filter("score", "gte", 95), "score >= 95"),
    (Q.Filter("score", "lt", 3), "score < 3"),
    (Q.Filter("score", "in", "1,2,3"), "score IN (1, 2, 3)"),
    (Q.Filter("score", "in", [4, "5"]), "score IN (4, 5)"),
    (Q.Filter("name", "contains", "SITE 9"), "name ILIKE '%site 9%'"),
    (Q.Filter("score", "null", "true"), "score IS NULL"),
    (Q.Filter("_lsoa21", "null", False), "_lsoa21 IS NOT NULL"),
    (Q.Filter("opened", "gte", "2024-12-01"), "opened >= DATE '2024-12-01'"),
    (Q.Filter("open", "eq", "true"), "open"),
])
def test_each_filter_operator(version, flt, sql):
    page = Q.run(version, Q.RowQuery(filters=[flt], limit=1000))
    assert [r["_id"] for r in page.rows] == rows_where(version, sql)
    assert page.total == len(rows_where(version, sql))


def test_like_wildcards_in_user_text_are_literal(version):
    assert Q.run(version, Q.RowQuery(q="%", limit=5)).total == 0
    assert Q.run(version, Q.RowQuery(filters=[Q.Filter("name", "contains", "_")])).total == 0


def test_q_needs_every_word_in_some_text_column(version):
    page = Q.run(version, Q.RowQuery(q="site 42", limit=1000))
    assert [r["_id"] for r in page.rows] == rows_where(
        version, "(name ILIKE '%site%' OR _lsoa21 ILIKE '%site%' OR _linked_by ILIKE '%site%') AND "
                 "(name ILIKE '%42%' OR _lsoa21 ILIKE '%42%' OR _linked_by ILIKE '%42%')")


def test_sort_descending_puts_nulls_last_and_breaks_ties_by_id(version):
    page = Q.run(version, Q.RowQuery(sort=[("score", True)], limit=1000, fields=["_id", "score"]))
    expected = [r[0] for r in duckdb.sql(
        f"SELECT _id FROM read_parquet('{version}') ORDER BY score DESC NULLS LAST, _id").fetchall()]
    assert [r["_id"] for r in page.rows] == expected
    assert page.rows[-1]["score"] is None


def test_fields_choose_and_order_columns(version):
    page = Q.run(version, Q.RowQuery(fields=["score", "name"], limit=1))
    assert list(page.rows[0]) == ["score", "name"]
    assert [c["name"] for c in page.columns] == ["score", "name"]


def test_values_are_json_safe(version):
    row = Q.run(version, Q.RowQuery(filters=[Q.Filter("_id", "eq", 3)])).rows[0]
    assert row["opened"] == (dt.date(2024, 1, 1) + dt.timedelta(days=3)).isoformat()
    assert row["open"] is False


@pytest.mark.parametrize("sort", [[], [("score", True)], [("name", False), ("opened", True)],
                                  [("_lsoa21", False)]])
def test_cursor_pages_cover_every_row_once_in_order(version, sort):
    everything = [r["_id"] for r in Q.run(version, Q.RowQuery(sort=sort, limit=1000)).rows]
    seen, cursor = [], None
    while True:
        page = Q.run(version, Q.RowQuery(sort=sort, limit=137, cursor=cursor, total=False))
        seen += [r["_id"] for r in page.rows]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == everything


def test_offset_paging_matches_cursor_paging(version):
    first = Q.run(version, Q.RowQuery(sort=[("name", True)], limit=100))
    by_cursor = Q.run(version, Q.RowQuery(sort=[("name", True)], limit=100, cursor=first.next_cursor))
    by_offset = Q.run(version, Q.RowQuery(sort=[("name", True)], limit=100, offset=100))
    assert by_cursor.rows == by_offset.rows


@pytest.mark.parametrize(("query", "message"), [
    (Q.RowQuery(filters=[Q.Filter("nope", "eq", 1)]), "unknown column 'nope' in filters"),
    (Q.RowQuery(filters=[Q.Filter("score", "like", 1)]), "unknown operator 'like'"),
    (Q.RowQuery(filters=[Q.Filter("score", "gt", "many")]), "'many' is not a valid integer"),
    (Q.RowQuery(filters=[Q.Filter("opened", "eq", "31/12/2024")]), "not a valid date"),
    (Q.RowQuery(sort=[("nope", False)]), "unknown column 'nope' in sort"),
    (Q.RowQuery(fields=["nope"]), "unknown column 'nope' in fields"),
    (Q.RowQuery(limit=32_001), "limit must be between 0 and 32000"),
    (Q.RowQuery(cursor="not-a-cursor"), "the cursor is not valid"),
])
def test_bad_questions_get_clear_errors(version, query, message):
    with pytest.raises(Q.QueryError, match=message.replace("(", r"\(")):
        Q.run(version, query)


def test_a_cursor_from_another_sort_is_refused(version):
    cursor = Q.run(version, Q.RowQuery(limit=10)).next_cursor
    with pytest.raises(Q.QueryError, match="different sort order"):
        Q.run(version, Q.RowQuery(sort=[("name", False)], cursor=cursor))


def test_aggregate_counts_and_means_per_area(version):
    areas = Q.aggregate(version, "lsoa21", measure="mean", column="score")
    expected = duckdb.sql(f"SELECT _lsoa21, count(*), avg(score) FROM read_parquet('{version}') "
                          "GROUP BY 1 ORDER BY 1 NULLS LAST").fetchall()
    assert [(a["code"], a["count"], a["value"]) for a in areas] == expected
    counts = Q.aggregate(version, "lsoa21")
    assert sum(a["count"] for a in counts) == 1000
    assert counts[-1]["code"] is None and counts[-1]["count"] == 200


def test_aggregate_errors(version):
    with pytest.raises(Q.QueryError, match="unknown geography 'ward'.*linked to: lsoa21"):
        Q.aggregate(version, "ward")
    with pytest.raises(Q.QueryError, match="'name' is string, not a number"):
        Q.aggregate(version, "lsoa21", measure="sum", column="name")


def test_cached_and_uncached_versions_give_the_same_answers(version, monkeypatch):
    question = Q.RowQuery(filters=[Q.Filter("score", "gt", 20)], sort=[("name", True)], limit=50)
    cached = Q.run(version, question)
    with Q.reading(version) as (_, params):
        assert params == []  # now held in memory
    monkeypatch.setattr(Q, "CACHE_BYTES", 0)
    with Q.reading(version) as read:
        assert read == ("read_parquet(?)", [str(version)])
    uncached = Q.run(version, question)
    assert (cached.rows, cached.total) == (uncached.rows, uncached.total)


def test_the_cache_drops_the_least_recently_used_version(tmp_path, monkeypatch):
    paths = []
    for i in range(3):
        path = tmp_path / f"v{i}.parquet"
        duckdb.sql(f"COPY (SELECT range AS _id FROM range(1, 1001)) TO '{path}' (FORMAT parquet)")
        paths.append(path)
    size = paths[0].stat().st_size * Q.MEMORY_PER_PARQUET_BYTE
    monkeypatch.setattr(Q, "CACHE_BYTES", 2 * size)
    monkeypatch.setattr(Q, "_cache", Q.OrderedDict())
    for path in paths:
        assert Q.run(path, Q.RowQuery(limit=1)).total == 1000
    assert list(Q._cache) == [str(p) for p in paths[1:]]


def small_versions(tmp_path, n: int) -> list:
    """``n`` versions of 1,000 rows (``_id`` 1..1000, ``v`` the version's number)."""
    paths = []
    for i in range(n):
        path = tmp_path / f"v{i}.parquet"
        duckdb.sql(f"COPY (SELECT range AS _id, {i} AS v FROM range(1, 1001)) TO '{path}' "
                   "(FORMAT parquet)")
        paths.append(path)
    return paths


def held_tables() -> set[str]:
    return {name for (name,) in Q.connection().execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'version_%'").fetchall()}


@pytest.fixture
def room_for_one(tmp_path, monkeypatch):
    """Versions, and a cache with room for one of them: each query of another evicts it."""
    paths = small_versions(tmp_path, 3)
    monkeypatch.setattr(Q, "CACHE_BYTES", paths[0].stat().st_size * Q.MEMORY_PER_PARQUET_BYTE)
    monkeypatch.setattr(Q, "_cache", Q.OrderedDict())
    return paths


def test_a_version_evicted_while_read_is_dropped_only_when_its_reader_finishes(room_for_one):
    first, *others = room_for_one
    with Q.reading(first) as (table, params):
        for path in others:  # each evicts the one before
            assert Q.run(path, Q.RowQuery(limit=1)).total == 1000
        assert str(first) not in Q._cache
        assert Q.connection().execute(f"SELECT count(*), min(v) FROM {table}",
                                      params).fetchone() == (1000, 0)
    assert table not in held_tables()  # gone with its last reader, not before
    assert Q.run(first, Q.RowQuery(limit=1)).total == 1000  # loaded again, under a new name


def test_threads_querying_while_the_cache_evicts_all_get_their_answers(room_for_one):
    """12 threads ask for three versions in turn with room for one: every query evicts the
    table another thread may be reading. Each gets its own version's rows, none an error."""
    paths, before = room_for_one, held_tables()
    barrier = threading.Barrier(12)

    def ask(k: int) -> list:
        barrier.wait()
        got = []
        for n in range(30):
            i = (k + n) % len(paths)
            page = Q.run(paths[i], Q.RowQuery(limit=3))
            got.append((i, page.total, [r["v"] for r in page.rows], page.rows[0]["_id"]))
        return got

    with ThreadPoolExecutor(12) as pool:
        answers = [a for got in pool.map(ask, range(12)) for a in got]

    assert answers == [(i, 1000, [i] * 3, 1) for i, *_ in answers]
    left = held_tables() - before
    assert left == {held.table for held in Q._cache.values()} and len(left) == 1  # the cached
