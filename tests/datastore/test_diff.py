"""What changed between two versions: columns, keyed rows, whole rows without a key.

Run with ``.venv/bin/python -m pytest tests/datastore/test_diff.py -q``.
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonground.datastore import diff as diff_module
from commonground.datastore.diff import NO_KEY_NOTE, ROW_NOTE, diff_versions, type_change_note


def write_version(path, data: dict[str, pa.Array], system: dict[str, pa.Array] | None = None,
                  *, source_rows: bool = True):
    """A version file in the datastore's layout: _id, _row, data columns, system columns
    (without ``_row`` when not ``source_rows``, as in files written before it existed)."""
    n = len(next(iter(data.values())))
    rows = {"_row": pa.array(range(2, n + 2), pa.int64())} if source_rows else {}
    columns = {"_id": pa.array(range(1, n + 1), pa.int64()), **rows, **data, **(system or {})}
    pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture
def versions(tmp_path):
    """Old: A1-A4. New: A1 same, A2 amount NULL → 5, A3 renamed, A4 gone, A5 new;
    ``amount`` integer → number, ``when`` dropped, ``status`` added; area codes differ."""
    old = write_version(tmp_path / "v1.parquet", {
        "ref": pa.array(["A1", "A2", "A3", "A4"]),
        "name": pa.array(["Alpha", "Beta", "Gamma", "Delta"]),
        "amount": pa.array([10, None, 30, 40], pa.int64()),
        "when": pa.array([dt.date(2024, 1, 1)] * 4, pa.date32()),
    }, {"_lsoa21": pa.array(["E01"] * 4)})
    new = write_version(tmp_path / "v2.parquet", {
        "ref": pa.array(["A5", "A3", "A2", "A1"]),
        "name": pa.array(["Epsilon", "Gamma!", "Beta", "Alpha"]),
        "amount": pa.array([None, 30.0, 5.0, 10.0], pa.float64()),
        "status": pa.array(["new", None, None, "open"]),
    }, {"_ward": pa.array(["E05"] * 4)})
    return old, new


def test_keyed_diff_with_a_detected_key(versions):
    result = diff_versions(*versions)
    assert result == {
        "columns": {"added": ["status"], "removed": ["when"],
                    "type_changed": [{"name": "amount", "old": "integer", "new": "number"}]},
        "key": "ref",
        "key_source": "detected",
        "compared": ["name", "amount"],
        "rows": {"old": 4, "new": 4, "added": 1, "removed": 1, "changed": 2, "unchanged": 1},
        "changed_columns": {"name": 1, "amount": 1},
        "examples": {"added": ["A5"], "removed": ["A4"], "changed": ["A2", "A3"]},
        "changed_cells": [{"key": "A2", "cells": [{"column": "amount", "old": None, "new": 5.0}]},
                          {"key": "A3", "cells": [{"column": "name", "old": "Gamma",
                                                   "new": "Gamma!"}]}],
        "notes": [type_change_note("amount", "integer", "number")],
    }
    json.dumps(result, allow_nan=False)


def test_a_given_key_is_used(versions):
    result = diff_versions(*versions, key="name")
    assert (result["key"], result["key_source"]) == ("name", "given")
    assert result["compared"] == ["ref", "amount"]
    assert result["rows"] == {"old": 4, "new": 4, "added": 2, "removed": 2, "changed": 1,
                                   "unchanged": 1}
    assert result["examples"] == {"added": ["Epsilon", "Gamma!"], "removed": ["Delta", "Gamma"],
                                  "changed": ["Beta"]}


def test_a_given_key_must_identify_rows(versions, tmp_path):
    with pytest.raises(ValueError, match="not a data column of both versions"):
        diff_versions(*versions, key="status")
    with pytest.raises(ValueError, match="not a data column"):
        diff_versions(*versions, key="_id")
    dup = write_version(tmp_path / "dup.parquet", {"ref": pa.array(["A1", "A1", None])})
    with pytest.raises(ValueError, match="new version: 1 empty, 1 repeated"):
        diff_versions(versions[0], dup, key="ref")


def test_key_detection_prefers_key_names_then_text(tmp_path):
    data = {"name": pa.array(["x", "y", "z"]),
            "Site ID": pa.array([7, 8, 9], pa.int64()),
            "pupils": pa.array([100, 200, 300], pa.int64())}
    old = write_version(tmp_path / "a.parquet", data)
    new = write_version(tmp_path / "b.parquet", data | {"Site ID": pa.array([7, 7, 9], pa.int64())})
    assert diff_versions(old, old)["key"] == "Site ID"  # the *_id name wins over text
    assert diff_versions(old, new)["key"] == "name"  # Site ID repeats in the new version
    unique_numbers = {"pupils": data["pupils"], "label": pa.array(["x", "x", "y"])}
    only_numbers = write_version(tmp_path / "c.parquet", unique_numbers)
    assert diff_versions(only_numbers, only_numbers)["key"] == "_row"  # measures are not keys


def test_whole_row_multisets_without_a_key_or_source_rows(tmp_path):
    old = write_version(tmp_path / "a.parquet", {
        "label": pa.array(["x", "x", "y", "z"]), "n": pa.array([1, 1, 2, None], pa.int64())},
        source_rows=False)
    new = write_version(tmp_path / "b.parquet", {
        "label": pa.array(["x", "y", "y", "z"]), "n": pa.array([1, 3, 3, None], pa.int64())},
        source_rows=False)
    result = diff_versions(old, new)
    assert result["key"] is None and result["key_source"] is None
    # old {(x,1)×2, (y,2), (z,∅)}; new {(x,1), (y,3)×2, (z,∅)}
    assert result["rows"] == {"old": 4, "new": 4, "added": 2, "removed": 2, "changed": None,
                              "unchanged": 2}
    assert result["examples"] is None and result["changed_columns"] is None
    assert result["notes"] == [NO_KEY_NOTE]


def test_identical_versions_have_no_changes(versions):
    old, _ = versions
    result = diff_versions(old, old)
    assert result["rows"] == {"old": 4, "new": 4, "added": 0, "removed": 0, "changed": 0,
                              "unchanged": 4}
    assert result["columns"] == {"added": [], "removed": [], "type_changed": []}
    assert result["examples"] == {"added": [], "removed": [], "changed": []}
    assert result["changed_columns"] == {} and result["notes"] == []


def test_no_common_columns(tmp_path):
    old = write_version(tmp_path / "a.parquet", {"a": pa.array([1, 1], pa.int64())},
                        source_rows=False)
    new = write_version(tmp_path / "b.parquet", {"b": pa.array([1, 2, 2], pa.int64())},
                        source_rows=False)
    result = diff_versions(old, new)
    assert result["rows"] == {"old": 2, "new": 3, "added": 3, "removed": 2, "changed": None,
                              "unchanged": 0}
    assert "No data columns are in both versions" in result["notes"][1]


def test_without_a_key_column_rows_are_matched_by_their_place_in_the_file(tmp_path):
    old = write_version(tmp_path / "a.parquet", {
        "label": pa.array(["x", "x", "y"]), "n": pa.array([1, 1, 2], pa.int64())})
    new = write_version(tmp_path / "b.parquet", {
        "label": pa.array(["x", "x", "y", "w"]), "n": pa.array([1, 4, 2, 7], pa.int64())})
    result = diff_versions(old, new)
    assert (result["key"], result["key_source"]) == ("_row", "row")
    assert result["rows"] == {"old": 3, "new": 4, "added": 1, "removed": 0, "changed": 1,
                              "unchanged": 2}
    assert result["changed_cells"] == [{"key": 3, "cells": [{"column": "n", "old": 1, "new": 4}]}]
    assert result["notes"] == [ROW_NOTE]
    assert diff_versions(old, new, key="_row")["key_source"] == "given"


def test_a_change_of_type_alone_changes_no_row(tmp_path):
    """Numbers that became text ("12", " 12.50") and back, dates and booleans read as text:
    the same values, one sentence per column, no changed row."""
    old = write_version(tmp_path / "a.parquet", {
        "code": pa.array([101, 102, 103], pa.int64()),
        "count": pa.array([12, 7, None], pa.int64()),
        "share": pa.array([12.5, 0.1, 3.0]),
        "opened": pa.array([dt.date(2024, 1, 2)] * 3, pa.date32()),
        "open": pa.array([True, False, True]),
        "note": pa.array(["5", "x", "7"])})
    new = write_version(tmp_path / "b.parquet", {
        "code": pa.array(["101", "102", "103"]),
        "count": pa.array(["12", "7", None]),
        "share": pa.array([" 12.50", "0.1", "3"]),
        "opened": pa.array(["2024-01-02"] * 3),
        "open": pa.array(["true", "false", "true"]),
        "note": pa.array([5, None, 7], pa.int64())}, source_rows=False)
    result = diff_versions(old, new)
    assert result["key"] == "code"  # integer in one, text in the other: still the key
    assert result["rows"]["changed"] == 1 and result["changed_columns"] == {"note": 1}
    assert result["changed_cells"] == [{"key": "102", "cells": [  # as stored in the new version
        {"column": "note", "old": "x", "new": None}]}]
    kinds = {"code": ("integer", "string"), "count": ("integer", "string"),
             "share": ("number", "string"), "opened": ("date", "string"),
             "open": ("boolean", "string"), "note": ("string", "integer")}
    assert result["notes"] == [type_change_note(n, *k) for n, k in kinds.items()]


def test_changed_cells_are_bounded(tmp_path):
    n = diff_module.EXAMPLES + 5
    old = write_version(tmp_path / "a.parquet", {"id": pa.array(range(n), pa.int64()),
                                                  "v": pa.array([0] * n, pa.int64())})
    new = write_version(tmp_path / "b.parquet", {"id": pa.array(range(n), pa.int64()),
                                                  "v": pa.array([1] * n, pa.int64())})
    result = diff_versions(old, new)
    assert result["rows"]["changed"] == n
    assert [c["key"] for c in result["changed_cells"]] == list(range(diff_module.EXAMPLES))
