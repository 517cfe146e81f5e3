"""SQL quoting: any text written into DuckDB SQL comes back exactly as it went in.

Run with ``.venv/bin/python -m pytest -p no:django tests/datastore/test_sqlquote.py``.
"""

from __future__ import annotations

import duckdb
import pytest

from commonground.datastore.sqlquote import LIKE_ESCAPE, identifier, like_pattern, literal

HOSTILE = [
    "plain",
    "",
    'say "hi"',
    '"',
    '""',
    "O'Brien",
    "'; DROP TABLE t; --",
    '" || (SELECT 1) || "',
    "back\\slash\\",
    "\\'",
    "nul\x00inside",
    "new\nline\ttab",
    "Caf\u00e9 \u6f22\u5b57 \U0001f642",
    "100% of_it",
    "\\%\\_",
    "?",
    "$1",
]


@pytest.fixture(scope="module")
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.mark.parametrize("text", HOSTILE)
def test_a_literal_is_read_back_as_the_same_text(con, text):
    assert con.execute(f"SELECT {literal(text)}").fetchone() == (text,)


@pytest.mark.parametrize("name", [n for n in HOSTILE if n])
def test_an_identifier_names_a_column_exactly(con, name):
    result = con.execute(f"SELECT 1 AS {identifier(name)}")
    assert [d[0] for d in result.description] == [name]


def test_identifiers_reach_tables_and_columns_with_hostile_names(con):
    table, column = 'rows "of" O\'Brien', "a\x00b\"c'd"
    con.execute(f"CREATE TEMP TABLE {identifier(table)} ({identifier(column)} VARCHAR)")
    con.execute(f"INSERT INTO {identifier(table)} VALUES ({literal(column)})")
    assert con.execute(f"SELECT {identifier(column)} FROM {identifier(table)}").fetchall() == [
        (column,)]


@pytest.mark.parametrize("text", [t for t in HOSTILE if t])
def test_a_like_pattern_matches_its_text_and_nothing_else(con, text):
    candidates = [text, text + "x", "x" + text, "x" * len(text), text.replace("%", "Z"),
                  text.replace("_", "Z"), text.replace("\\", "")]
    found = con.execute(
        f"SELECT v, v LIKE ? {LIKE_ESCAPE} AS whole, v LIKE ? {LIKE_ESCAPE} AS inside "
        "FROM unnest(?) AS t(v)",
        [like_pattern(text), f"%{like_pattern(text)}%", candidates]).fetchall()
    for value, whole, inside in found:
        assert whole == (value == text), value
        assert inside == (text in value), value


def test_the_wildcards_are_literal_only_when_escaped(con):
    # the counter-check: without like_pattern, % and _ match anything
    assert con.execute("SELECT 'abc' LIKE ?", ["a_c"]).fetchone() == (True,)
    assert con.execute(f"SELECT 'abc' LIKE ? {LIKE_ESCAPE}", [like_pattern("a_c")]).fetchone() == (
        False,)
    assert con.execute(f"SELECT 'a_c' ILIKE ? {LIKE_ESCAPE}", [like_pattern("A_C")]).fetchone() == (
        True,)
