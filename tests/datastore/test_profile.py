"""Column profiles of a version, checked against hand-computed values.

Run with ``.venv/bin/python -m pytest tests/datastore/test_profile.py -q``.
"""

from __future__ import annotations

import datetime as dt
import json
import math

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from commonground.datastore.profile import column_type, profile_columns

D, T = dt.date, dt.datetime


@pytest.fixture
def version(tmp_path):
    """Six rows in the version layout: _id, _row, data columns, then system columns."""
    columns = {
        "_id": pa.array(range(1, 7), pa.int64()),
        "_row": pa.array(range(2, 8), pa.int64()),
        "count": pa.array([1, 2, 4, 3, 10, None], pa.int64()),
        "Größe": pa.array([0.5, math.nan, -1.0, 2.0, 2.0, None], pa.float64()),
        "kind": pa.array(["b", "a", "b", "c", "a", None], pa.string()),
        "open": pa.array([True, False, True, None, True, False], pa.bool_()),
        "opened": pa.array([D(2023, 11, 15), D(2024, 1, 31), D(2024, 1, 1), None,
                            D(2023, 11, 30), D(2024, 3, 1)], pa.date32()),
        "when": pa.array([T(2019, 6, 1, 10), T(2021, 1, 1), T(2021, 12, 31, 23, 59, 59), None,
                          None, T(2019, 1, 1)], pa.timestamp("us")),
        "empty": pa.array([None] * 6, pa.int64()),
        "flat": pa.array([5.0] * 6, pa.float64()),
        "_lsoa21": pa.array(["E01", "E01", None, "E02", None, None], pa.string()),
        "_linked_by": pa.array(["postcode"] * 6, pa.string()),
        "_easting": pa.array([485_000.0] * 6, pa.float64()),
        "_northing": pa.array([238_000.0] * 6, pa.float64()),
    }
    path = tmp_path / "v1.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def by_name(profiles):
    return {p["name"]: p for p in profiles}


def test_default_columns_are_data_then_area_codes(version):
    names = [p["name"] for p in profile_columns(version)]
    assert names == ["count", "Größe", "kind", "open", "opened", "when", "empty", "flat",
                     "_lsoa21"]


def test_integer_column(version):
    p = by_name(profile_columns(version, bins=3))["count"]
    assert p == {
        "name": "count", "type": "integer", "count": 5, "nulls": 1, "distinct": 5,
        "min": 1, "max": 10, "mean": 4.0,
        # edges 1, 4, 7, 10: 4 sits on an edge and goes up; the max is in the last bin
        "histogram": [{"from": 1.0, "to": 4.0, "count": 3}, {"from": 4.0, "to": 7.0, "count": 1},
                      {"from": 7.0, "to": 10.0, "count": 1}],
    }


def test_number_column_treats_nan_as_null(version):
    p = by_name(profile_columns(version, bins=3))["Größe"]
    assert p == {
        "name": "Größe", "type": "number", "count": 4, "nulls": 2, "distinct": 3,
        "min": -1.0, "max": 2.0, "mean": 0.875,
        "histogram": [{"from": -1.0, "to": 0.0, "count": 1}, {"from": 0.0, "to": 1.0, "count": 1},
                      {"from": 1.0, "to": 2.0, "count": 2}],
    }


def test_text_and_boolean_top_values_break_ties_by_value(version):
    profiles = by_name(profile_columns(version, top=2))
    assert profiles["kind"] == {
        "name": "kind", "type": "string", "count": 5, "nulls": 1, "distinct": 3,
        "min": "a", "max": "c", "top": [{"value": "a", "count": 2}, {"value": "b", "count": 2}],
    }
    assert profiles["open"]["top"] == [{"value": True, "count": 3}, {"value": False, "count": 2}]
    assert (profiles["open"]["min"], profiles["open"]["max"]) == (False, True)
    assert profiles["_lsoa21"]["top"] == [{"value": "E01", "count": 2}, {"value": "E02", "count": 1}]


def test_short_date_span_goes_by_month_with_empty_months(version):
    p = by_name(profile_columns(version))["opened"]
    assert (p["type"], p["min"], p["max"], p["count"], p["distinct"]) == (
        "date", "2023-11-15", "2024-03-01", 5, 5)
    assert p["period"] == "month"
    assert p["histogram"] == [
        {"from": "2023-11-01", "to": "2023-12-01", "count": 2},
        {"from": "2023-12-01", "to": "2024-01-01", "count": 0},
        {"from": "2024-01-01", "to": "2024-02-01", "count": 2},
        {"from": "2024-02-01", "to": "2024-03-01", "count": 0},
        {"from": "2024-03-01", "to": "2024-04-01", "count": 1},
    ]


def test_long_datetime_span_goes_by_year(version):
    p = by_name(profile_columns(version))["when"]
    assert (p["type"], p["min"], p["max"], p["nulls"]) == (
        "datetime", "2019-01-01T00:00:00", "2021-12-31T23:59:59", 2)
    assert p["period"] == "year"  # January 2019 to December 2021 is 36 months
    assert p["histogram"] == [{"from": "2019-01-01", "to": "2020-01-01", "count": 2},
                              {"from": "2020-01-01", "to": "2021-01-01", "count": 0},
                              {"from": "2021-01-01", "to": "2022-01-01", "count": 2}]


def test_empty_and_constant_columns(version):
    profiles = by_name(profile_columns(version))
    assert profiles["empty"] == {"name": "empty", "type": "integer", "count": 0, "nulls": 6,
                                 "distinct": 0, "min": None, "max": None, "mean": None,
                                 "histogram": []}
    assert profiles["flat"]["histogram"] == [{"from": 5.0, "to": 5.0, "count": 6}]


def test_values_on_bin_edges_go_to_the_upper_bin(tmp_path):
    values = [i / 10 for i in range(11)]  # 0.0, 0.1, ... 1.0: each on an edge
    path = tmp_path / "edges.parquet"
    pq.write_table(pa.table({"_id": range(1, 12), "x": values}), path)
    histogram = profile_columns(path, bins=10)[0]["histogram"]
    assert [b["count"] for b in histogram] == [1] * 9 + [2]
    assert [b["from"] for b in histogram] == values[:10]
    assert histogram[-1]["to"] == 1.0


def test_chosen_columns_in_order_and_json_safe(version):
    profiles = profile_columns(version, ["_easting", "kind"])
    assert [p["name"] for p in profiles] == ["_easting", "kind"]
    assert profiles[0]["histogram"] == [{"from": 485000.0, "to": 485000.0, "count": 6}]
    json.dumps(profile_columns(version), allow_nan=False)  # raises on NaN or dates
    with pytest.raises(ValueError, match="unknown column"):
        profile_columns(version, ["nope"])
    with pytest.raises(ValueError, match="bins"):
        profile_columns(version, bins=0)


def test_type_names():
    assert [column_type(t) for t in ("BIGINT", "DOUBLE", "DECIMAL(9,2)", "BOOLEAN", "DATE",
                                     "TIMESTAMP", "VARCHAR")] == [
        "integer", "number", "number", "boolean", "date", "datetime", "string"]
