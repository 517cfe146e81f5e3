"""Messages for users never show the server's paths or the query engine's internals.

An error raised by DuckDB, GDAL or the operating system becomes one plain sentence
(:func:`commonground.datastore.errors.public_message`): the common engine errors in plain
words, others by their first line without the engine's error kind, the echoed statement or
any path on the server (a path to the user's own upload is called by the file's name).
"""

from __future__ import annotations

import duckdb
import pytest

from commonground.datastore.errors import IngestError, public_message, without_paths
from commonground.datastore.readers import stage

ENGINE_WORDS = ("Binder Error", "Catalog Error", "Parser Error", "Conversion Error", "IO Error",
                "Invalid Input Error", "LINE 1:", "Candidate bindings", "Did you mean", "DRIVER")


def engine_error(sql: str) -> duckdb.Error:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a BIGINT, s VARCHAR)")
    with pytest.raises(duckdb.Error) as caught:
        con.execute(sql)
    con.close()
    return caught.value


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT nope FROM t", 'there is no column "nope"'),
    ("SELECT * FROM nope", 'there is no table "nope"'),
    ("SELECT nope(1)", "there is no function nope()"),
    ("SELEC 1", 'syntax error near "SELEC"'),
    ("SELECT CAST('abc' AS INTEGER)", "'abc' is not a valid integer"),
    ("SELECT CAST('x' AS DOUBLE)", "'x' is not a valid number"),
    ("SELECT 'abc", "a quoted text is not closed"),
])
def test_common_engine_errors_become_plain_sentences(sql, message):
    error = engine_error(sql)
    assert any(word in str(error) for word in ENGINE_WORDS)  # what DuckDB itself says
    assert public_message(error) == message


def test_other_engine_errors_keep_their_first_line_without_the_engine_kind_or_a_path(tmp_path):
    error = engine_error(f"SELECT * FROM read_csv('{tmp_path}/nothing/here.csv')")
    assert str(tmp_path) in str(error)
    message = public_message(error)
    assert message == 'No files found that match the pattern "(a file on the server)"'
    overflow = public_message(engine_error("SELECT 9223372036854775807::BIGINT + 1"))
    assert overflow == "Overflow in addition of INT64 (9223372036854775807 + 1)"


@pytest.mark.parametrize(("text", "plain"), [
    ("[Errno 2] No such file or directory: '/srv/hub/datastore/uploads/x/data.csv'",
     "[Errno 2] No such file or directory: 'data.csv'"),
    ("cannot open /home/hub/.venv/lib/python3.11/site-packages/pyogrio/x.so",
     "cannot open data.csv"),
    (r"cannot open C:\hub\data\x.csv", "cannot open data.csv"),
    # the object store the datastore lives in (its bucket and prefix are the operator's)
    ("No such file: s3://council-hub/versions/ds/42/v3.parquet", "No such file: data.csv"),
    ("IO Error: cannot read 's3://b/p/x.parquet'", "IO Error: cannot read 'data.csv'"),
    # Not paths: a URL the user gave, a date format, a ratio.
    ("cannot connect to https://example.org/open/data.csv", None),
    ("dates read as day/month/year", None),
    ("1/2 of the rows", None),
])
def test_paths_are_replaced_by_the_name_the_user_knows(text, plain):
    assert without_paths(text, "data.csv") == (plain or text)


@pytest.mark.parametrize(("name", "content"), [
    ("broken.geojson", b'{"type": "FeatureCollection", "features": ['),
    ("broken.gpkg", b"SQLite format 3\x00not really"),
    ("broken.parquet", b"PAR1 not really"),
    ("broken.json", b'[{"a": 1}, {"a": '),
    ("broken.zip", b"PK\x03\x04 not really"),
    ("broken.xlsx", b"PK\x03\x04 not really"),
    ("broken.csv", b'a,b\n1,"2\n'),
])
def test_a_broken_upload_is_refused_naming_the_file_not_where_the_server_keeps_it(
        tmp_path, name, content):
    folder = tmp_path / "uploads" / "job-1234"
    folder.mkdir(parents=True)
    path = folder / "upload"  # the server's name for it, in the server's folder
    path.write_bytes(content)
    con = duckdb.connect()
    with pytest.raises(IngestError) as caught:
        stage(con, path, filename=name, workdir=tmp_path / "work")
    con.close()
    message = str(caught.value)
    assert message.startswith(name)
    assert str(tmp_path) not in message and "job-1234" not in message, message
    for word in ENGINE_WORDS:
        assert word not in message, message
