"""A grant's places as a row condition: with each code's geography known, each place is
tested on its own geography's column only, and the rows are the same."""

from __future__ import annotations

import duckdb

from commonground.datastore.scope import RowScope, where, where_literal

ROWS = [(1, "E01000001", "E02000001", "E05000001"),
        (2, "E01000002", "E02000001", "E05000002"),
        (3, "E01000003", "E02000002", "E05000002"),
        (4, None, None, None)]
NAMES = ["_id", "_lsoa21", "_msoa21", "_ward"]


def _ids(scope: RowScope, inline: bool) -> list[int]:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (_id INT, _lsoa21 VARCHAR, _msoa21 VARCHAR, _ward VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", ROWS)
    if inline:
        condition, params = where_literal(scope, NAMES), []
    else:
        condition, params = where(scope, NAMES)
    sql = f"SELECT _id FROM t WHERE {condition} ORDER BY _id" if condition else \
        "SELECT _id FROM t ORDER BY _id"
    return [r[0] for r in con.execute(sql, params).fetchall()]


def test_places_tested_on_their_own_columns_keep_the_same_rows():
    places = frozenset({"E02000002", "E05000001"})
    every_column = RowScope(areas=places)
    own_column = RowScope(areas=places, area_columns=(("_msoa21", frozenset({"E02000002"})),
                                                      ("_ward", frozenset({"E05000001"}))))
    for inline in (False, True):
        assert _ids(every_column, inline) == _ids(own_column, inline) == [1, 3]


def test_only_the_named_columns_are_tested():
    scope = RowScope(areas=frozenset({"E05000002"}),
                     area_columns=(("_ward", frozenset({"E05000002"})),))
    condition, params = where(scope, NAMES)
    assert '"_ward"' in condition and '"_lsoa21"' not in condition
    assert params == ["E05000002"]


def test_a_place_no_column_can_hold_reads_no_row():
    scope = RowScope(areas=frozenset({"E05000002"}),
                     area_columns=(("_parish", frozenset({"E05000002"})),))
    assert _ids(scope, False) == [] and _ids(scope, True) == []
    assert _ids(RowScope(areas=frozenset()), False) == []
