"""A grant's part of a version's rows, read through the datastore: the row query, the
aggregate, a scoped copy for downloads and the SQL sandbox each give exactly the rows and
columns of a :class:`RowScope` and nothing of the rest, not even that it exists.

The version is laid out as ingest lays it out (``_id``, ``_row``, data columns, area codes,
``_linked_by``, ``_easting``/``_northing``). Every row outside the scope is named
``Withheld <n>``; the withheld column ``postcode`` holds ``PCSECRET`` in every row; the
hidden area-code column ``_lsoa21`` holds codes starting ``E0100000``. None of them may
appear in any answer, error messages included.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow.parquet as pq
import pytest

from commonground.datastore import export, query
from commonground.datastore.scope import LOCATION_COLUMNS, RowScope
from commonground.datastore.sqlsandbox import SQLError, SQLRejected, run_readonly_sql

ROWS = 200
PLACE = "E02000001"  # the MSOA the scope covers (odd rows)
FROM = dt.date(2021, 1, 1)
SCOPE = RowScope(columns=frozenset({"name", "amount", "day"}),
                 hidden=LOCATION_COLUMNS | {"_lsoa21"},
                 areas=frozenset({PLACE}), period=("day", FROM, None))
SECRETS = ("Withheld", "PCSECRET", "E0100000", "postcode", "_lsoa21", "_easting",
           "_northing")


def _day(i: int) -> dt.date:
    return dt.date(2020, 1, 1) + dt.timedelta(days=5 * i)


def _in_scope(i: int) -> bool:
    return i % 2 == 1 and _day(i) >= FROM


IN_SCOPE = [i for i in range(1, ROWS + 1) if _in_scope(i)]


@pytest.fixture(scope="module")
def version(tmp_path_factory):
    path = tmp_path_factory.mktemp("scope") / "version.parquet"
    duckdb.execute(f"""
        COPY (SELECT i AS _id, i + 1 AS _row,
                     CASE WHEN i % 2 = 1 AND DATE '2020-01-01' + 5 * i::INT >= DATE '{FROM}'
                          THEN 'Visible ' || i ELSE 'Withheld ' || i END AS name,
                     'MK9 ' || i || ' PCSECRET' AS postcode, (i * 1.5)::DOUBLE AS amount,
                     DATE '2020-01-01' + 5 * i::INT AS day,
                     'E0100000' || (i % 4) AS _lsoa21, 'E0200000' || (i % 2) AS _msoa21,
                     'E0500000' || (i % 3) AS _ward, 'coordinates' AS _linked_by,
                     (480000 + i)::DOUBLE AS _easting, (240000 + i)::DOUBLE AS _northing
              FROM range(1, {ROWS + 1}) t(i))
        TO '{path}' (FORMAT parquet)""")
    return path


def _text(value) -> str:
    return repr(value)


def _leaks(value, asked: str = "") -> list[str]:
    """The secrets in ``value`` (those the question itself names aside: an error may echo
    the name a reader typed)."""
    text = _text(value)
    return [s for s in SECRETS if s in text and s not in asked]


def test_a_scoped_page_has_only_the_scopes_rows_and_columns(version):
    page = query.run(version, query.RowQuery(limit=1000), scope=SCOPE)
    assert [c["name"] for c in page.columns] == ["_id", "name", "amount", "day", "_msoa21",
                                                 "_ward", "_linked_by"]
    assert [r["_id"] for r in page.rows] == IN_SCOPE
    assert page.total == len(IN_SCOPE)
    assert not _leaks(page.rows)
    whole = query.run(version, query.RowQuery(limit=1000))
    assert whole.total == ROWS and "postcode" in [c["name"] for c in whole.columns]


def test_filters_sort_and_totals_stay_in_the_scope(version):
    page = query.run(version, query.RowQuery(
        filters=[query.Filter("amount", "gt", 150)], sort=[("amount", True)], limit=5),
        scope=SCOPE)
    expected = sorted((i for i in IN_SCOPE if i * 1.5 > 150), reverse=True)
    assert [r["_id"] for r in page.rows] == expected[:5]
    assert page.total == len(expected)


def test_cursor_paging_walks_exactly_the_scopes_rows(version):
    seen, cursor = [], None
    while True:
        page = query.run(version, query.RowQuery(limit=7, cursor=cursor, total=False),
                         scope=SCOPE)
        seen += [r["_id"] for r in page.rows]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == IN_SCOPE


@pytest.mark.parametrize("ask", [
    lambda c: query.RowQuery(fields=[c]),
    lambda c: query.RowQuery(filters=[query.Filter(c, "eq", "1")]),
    lambda c: query.RowQuery(filters=[query.Filter(c, "null", "false")]),
    lambda c: query.RowQuery(sort=[(c, False)]),
], ids=["fields", "filters", "null filter", "sort"])
@pytest.mark.parametrize("column", ["postcode", "_lsoa21", "_easting"])
def test_a_withheld_column_is_as_unknown_as_one_that_does_not_exist(version, ask, column):
    with pytest.raises(query.QueryError) as withheld:
        query.run(version, ask(column), scope=SCOPE)
    with pytest.raises(query.QueryError) as missing:
        query.run(version, ask("no_such_column"), scope=SCOPE)
    assert str(withheld.value) == str(missing.value).replace("no_such_column", column)
    query.run(version, ask(column))  # without the scope the column is there


def test_q_searches_only_the_columns_and_rows_in_the_scope(version):
    assert query.run(version, query.RowQuery(q="PCSECRET"), scope=SCOPE).total == 0
    assert query.run(version, query.RowQuery(q="Withheld"), scope=SCOPE).total == 0
    assert query.run(version, query.RowQuery(q="Visible"), scope=SCOPE).total == len(IN_SCOPE)
    assert query.run(version, query.RowQuery(q="PCSECRET")).total == ROWS


def test_an_aggregate_counts_the_scopes_rows_by_the_areas_it_shows(version):
    areas = query.aggregate(version, "ward", scope=SCOPE)
    expected = {}
    for i in IN_SCOPE:
        expected[f"E0500000{i % 3}"] = expected.get(f"E0500000{i % 3}", 0) + 1
    assert {a["code"]: a["count"] for a in areas} == expected
    total = query.aggregate(version, "ward", measure="sum", column="amount", scope=SCOPE)
    assert sum(a["value"] for a in total) == pytest.approx(sum(i * 1.5 for i in IN_SCOPE))
    with pytest.raises(query.QueryError, match="unknown geography 'lsoa21'"):
        query.aggregate(version, "lsoa21", scope=SCOPE)
    with pytest.raises(query.QueryError, match="unknown column 'postcode'"):
        query.aggregate(version, "ward", filters=[query.Filter("postcode", "contains", "MK9")],
                        scope=SCOPE)


def test_scoped_reads_share_the_versions_one_cached_table(version, monkeypatch):
    monkeypatch.setattr(query, "CACHE_BYTES", 64 << 20)
    query.run(version, query.RowQuery(limit=1))
    held = query._cache[str(version)].table
    for scope in (SCOPE, RowScope(areas=frozenset({"E05000001"}))):
        query.run(version, query.RowQuery(limit=1), scope=scope)
    tables = {t for (t,) in query.connection().execute(
        "SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'version_%'").fetchall()}
    assert query._cache[str(version)].table == held
    assert [t for t in tables if t.startswith(held.rsplit("_", 1)[0])] == [held]


def test_a_scoped_copy_holds_exactly_the_scope_and_every_format_streams_from_it(
        version, tmp_path):
    copy = export.scoped_parquet(version, SCOPE, tmp_path / "part.parquet")
    table = pq.read_table(copy)
    assert table.column_names == ["_id", "_row", "name", "amount", "day", "_msoa21", "_ward",
                                  "_linked_by"]
    assert table.column("_id").to_pylist() == IN_SCOPE
    csv = b"".join(export.csv_chunks(copy)).decode()
    assert csv.count("\r\n") == len(IN_SCOPE) + 1 and not _leaks(csv)
    geojson = b"".join(export.geojson_chunks(copy)).decode()
    assert geojson.count('"geometry":null') == len(IN_SCOPE) and not _leaks(geojson)
    assert not list(tmp_path.glob("*.partial"))


ATTEMPTS = [
    'SELECT * FROM "t"',
    'DESCRIBE "t"',
    'SUMMARIZE "t"',
    'SELECT count(*) FROM "t"',
    'SELECT * FROM (SELECT * FROM "t") s',
    'WITH w AS (SELECT * FROM "t") SELECT * FROM w',
    'SELECT a.name, b.name FROM "t" a JOIN "t" b ON a._id + 1 = b._id',
    'SELECT postcode FROM "t"',
    'SELECT _lsoa21 FROM "t"',
    'SELECT "t".postcode FROM "t"',
    'SELECT * FROM "t" WHERE name LIKE \'Withheld%\'',
    'SELECT * FROM "t" WHERE CAST(name AS INTEGER) = 1',
    'SELECT max(CAST(name AS INTEGER)) FROM "t"',
    'SELECT * FROM "t" WHERE CASE WHEN name = \'Withheld 2\' THEN error(\'found\') '
    'ELSE true END',
    'SELECT * FROM "t" WHERE _id = 2 AND CAST(name AS INTEGER) = 1',
    'SELECT * FROM read_parquet(\'{path}\')',
    'SELECT * FROM parquet_scan(\'{path}\')',
    'SELECT * FROM duckdb_views()',
    'SELECT sql FROM duckdb_views',
    'SELECT * FROM information_schema.columns',
    'WITH duckdb_views AS (SELECT 1) SELECT * FROM duckdb_views',
    'SELECT * FROM query(\'SELECT * FROM read_parquet(\'\'{path}\'\')\')',
    'SELECT * FROM parquet_metadata(\'{path}\')',
    'SELECT current_setting(\'allowed_paths\')',
    'EXPLAIN SELECT * FROM "t"',
    'SELECT * FROM "t" UNION ALL SELECT * FROM "t"',
    'SELECT _id FROM "t" ORDER BY _id DESC LIMIT 1',
]


@pytest.mark.parametrize("sql", ATTEMPTS)
def test_no_sql_reads_a_withheld_column_or_row(version, sql):
    sql = sql.replace("{path}", str(version))
    try:
        result = run_readonly_sql(sql, {"t": version}, scopes={"t": SCOPE})
    except SQLError as exc:
        assert not _leaks(str(exc), sql), str(exc)
        return
    assert not _leaks(result.columns) and not _leaks(result.rows), (result.columns,
                                                                   result.rows[:3])
    ids = {row[0] for row in result.rows if row and isinstance(row[0], int)}
    if "_id" in [name for name, _ in result.columns]:
        assert ids <= set(IN_SCOPE)


def test_sql_over_a_scoped_table_counts_its_rows_and_sees_its_columns(version):
    result = run_readonly_sql('SELECT count(*), min(_id), max(_id) FROM "t"',
                              {"t": version}, scopes={"t": SCOPE})
    assert result.rows == [(len(IN_SCOPE), IN_SCOPE[0], IN_SCOPE[-1])]
    described = run_readonly_sql('DESCRIBE "t"', {"t": version}, scopes={"t": SCOPE})
    assert [row[0] for row in described.rows] == ["_id", "_row", "name", "amount", "day",
                                                  "_msoa21", "_ward", "_linked_by"]
    whole = run_readonly_sql('SELECT count(*) FROM "t"', {"t": version})
    assert whole.rows == [(ROWS,)]


def test_sql_over_a_table_whose_scope_leaves_no_column_is_refused_in_words(version):
    """A view needs a column: a scope hiding every one is the reader's SQL error (which the
    CKAN action reports), not a server error."""
    names = [row[0] for row in run_readonly_sql('DESCRIBE "t"', {"t": version}).rows]
    nothing = RowScope(columns=frozenset(), hidden=frozenset(names))
    with pytest.raises(SQLRejected, match='table "t" has no columns you may read'):
        run_readonly_sql('SELECT count(*) FROM "t"', {"t": version}, scopes={"t": nothing})
