"""Type inference and validation of a staged upload (the DuckDB table ``raw``).

Each test stages ``raw`` as the staging step would: ``_row`` (spreadsheet row, header = 1),
VARCHAR data columns with empty cells NULL, optionally ``_geometry``.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import duckdb
import pytest

from commonground.datastore import counting, sqlquote, typesql
from commonground.datastore.errors import IngestError, Limits
from commonground.datastore.inference import (
    MIXED_TYPE_SHARE,
    BadValue,
    ValidationReport,
    cast_select_list,
    declared_type,
    infer_and_validate,
    infer_validate_and_cast,
)


def _lit(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def stage(columns: dict[str, list[str | None]], *, geometry: bool = False):
    """A connection holding ``raw`` with these columns; data starts at spreadsheet row 2."""
    names = list(columns)
    n = len(next(iter(columns.values())))
    rows = []
    for i in range(n):
        cells = [str(i + 2)] + [f"CAST({_lit(columns[c][i])} AS VARCHAR)" for c in names]
        if geometry:
            cells.append(f"CAST('geom{i}' AS BLOB)")
        rows.append("(" + ", ".join(cells) + ")")
    aliases = ["_row"] + [_ident(c) for c in names] + (["_geometry"] if geometry else [])
    con = duckdb.connect()
    con.execute(f"CREATE TABLE raw AS SELECT CAST(_row AS BIGINT) AS _row, * EXCLUDE (_row) "
                f"FROM (VALUES {', '.join(rows)}) AS t({', '.join(aliases)})")
    return con


def build_typed(con, report: ValidationReport):
    con.execute(f"CREATE TABLE typed AS SELECT {cast_select_list(report)} FROM raw ORDER BY _row")
    types = {name: type_ for name, type_, *_ in con.execute("DESCRIBE typed").fetchall()}
    return types, con.execute("SELECT * FROM typed ORDER BY _row").fetchall()


def by_name(report: ValidationReport):
    return {c.name: c for c in report.columns}


UK = {
    "Date": ["31/12/2024", "01/06/2024", "15/03/2023", "28/02/2024"],
    "Amount": ["12.50", "3.00", "1,250.75", "-0.99"],
    "Visitors": ["3", "12", "0", "1,204"],
    "Open": ["Yes", "No", "yes", "N"],
    "Postcode": ["MK9 3EJ", "MK10 1AB", "MK6 5LD", "MK17 8QS"],
    "LSOA21CD": ["E01016725", "E01016726", "E01033483", "E01016801"],
    "Site id": ["00123", "00456", "12345", "0"],
    "Updated": ["2024-12-31T09:30:00Z", "2024-12-31 10:00", "2025-01-02T08:00:05.250", None],
}


def test_uk_columns_get_their_types():
    report = infer_and_validate(stage(UK), list(UK))
    cols = by_name(report)
    assert {n: c.type for n, c in cols.items()} == {
        "Date": "date", "Amount": "number", "Visitors": "integer", "Open": "boolean",
        "Postcode": "string", "LSOA21CD": "string", "Site id": "string", "Updated": "datetime",
    }
    assert cols["Date"].format == "%d/%m/%Y"
    assert cols["Date"].note == "dates read as day/month/year"
    assert cols["Site id"].note == "kept as text: values have leading zeros (identifiers)"
    assert cols["Updated"].format == "ISO 8601"
    assert cols["Updated"].note == "times with a UTC offset converted to UTC"
    assert (cols["Updated"].non_null, cols["Updated"].nulls) == (3, 1)
    assert all(c.inferred == c.type and not c.overridden for c in report.columns)
    assert report.ok and report.bad_count == 0 and report.row_count == 4


def test_cast_select_list_gives_duckdb_types_and_values():
    con = stage(UK, geometry=True)
    report = infer_and_validate(con, list(UK))
    assert report.has_geometry
    types, rows = build_typed(con, report)
    assert list(types) == ["_row", *UK, "_geometry"]
    assert types == {
        "_row": "BIGINT", "Date": "DATE", "Amount": "DOUBLE", "Visitors": "BIGINT",
        "Open": "BOOLEAN", "Postcode": "VARCHAR", "LSOA21CD": "VARCHAR", "Site id": "VARCHAR",
        "Updated": "TIMESTAMP", "_geometry": "BLOB",
    }
    assert rows[0] == (2, dt.date(2024, 12, 31), 12.5, 3, True, "MK9 3EJ", "E01016725", "00123",
                       dt.datetime(2024, 12, 31, 9, 30), b"geom0")
    assert rows[2][1:5] == (dt.date(2023, 3, 15), 1250.75, 0, True)
    assert rows[3][1:5] == (dt.date(2024, 2, 28), -0.99, 1204, False)
    assert [r[8] for r in rows] == [dt.datetime(2024, 12, 31, 9, 30), dt.datetime(2024, 12, 31, 10),
                                    dt.datetime(2025, 1, 2, 8, 0, 5, 250000), None]


def test_null_tokens_are_nulls_in_typed_columns_but_kept_in_text():
    values = ["5", "..", "NA", None, " 7 ", "-", "  ", "n/a", "None", "12"]
    con = stage({"Count": values, "Note": values})
    report = infer_and_validate(con, ["Count", "Note"], overrides={"Note": "string"})
    count, note = report.columns
    assert (count.type, count.non_null, count.nulls, count.bad_count) == ("integer", 3, 7, 0)
    # In a text column every value is kept as written: only the real NULL is missing.
    assert (note.type, note.non_null, note.nulls) == ("string", 9, 1)
    _, rows = build_typed(con, report)
    assert [r[1] for r in rows] == [5, None, None, None, 7, None, None, None, None, 12]
    assert [r[2] for r in rows] == values


def test_all_null_column_is_string():
    report = infer_and_validate(stage({"Empty": ["..", None, "NA"]}), ["Empty"])
    assert report.columns[0].type == "string"
    assert report.columns[0].bad_count == 0


def mixed_counts(bad_rows: dict[int, str], n: int = 100) -> list[str]:
    """n count values (data rows 2..n+1) with the given spreadsheet rows replaced."""
    values = [str(i % 37) for i in range(n)]
    for row, text in bad_rows.items():
        values[row - 2] = text
    return values


def test_mostly_integer_column_lists_the_odd_values_in_row_order():
    bad = {90: "approx 5", 11: "c. 20", 50: "unknown"}
    report = infer_and_validate(stage({"Count": mixed_counts(bad)}), ["Count"])
    col = report.columns[0]
    assert (col.inferred, col.type, col.bad_count) == ("integer", "integer", 3)
    assert col.bad_values == [BadValue(11, "c. 20"), BadValue(50, "unknown"),
                              BadValue(90, "approx 5")]
    assert col.note.startswith("mostly integer: 3 values that do not fit are listed")
    assert not report.ok and report.bad_count == 3


def test_bad_values_capped_at_max_error_rows_but_counted_exactly():
    assert MIXED_TYPE_SHARE == 0.95
    bad = {row: f"approx {row}" for row in (80, 7, 33, 64, 21)}  # exactly 95 % fit
    con = stage({"Count": mixed_counts(bad)})
    report = infer_and_validate(con, ["Count"], limits=Limits(max_error_rows=2))
    col = report.columns[0]
    assert (col.type, col.bad_count) == ("integer", 5)
    assert col.bad_values == [BadValue(7, "approx 7"), BadValue(21, "approx 21")]
    _, rows = build_typed(con, report)
    assert rows[5] == (7, None) and rows[6] == (8, 6)


def test_below_the_threshold_the_column_stays_text():
    bad = {row: "approx" for row in (3, 4, 5, 6, 7, 8)}  # 94 % fit
    col = infer_and_validate(stage({"Count": mixed_counts(bad)}), ["Count"]).columns[0]
    assert (col.type, col.bad_count, col.bad_values) == ("string", 0, [])
    assert col.note == "kept as text: only 94 of 100 values (94%) are integer"


def test_override_to_string_accepts_everything():
    con = stage({"Count": mixed_counts({12: "approx 5"})})
    report = infer_and_validate(con, ["Count"], overrides={"Count": "string"})
    col = report.columns[0]
    assert (col.inferred, col.type, col.overridden, col.bad_count) == ("integer", "string", True, 0)
    assert report.ok
    types, rows = build_typed(con, report)
    assert types["Count"] == "VARCHAR" and rows[10] == (12, "approx 5")


def test_override_text_to_integer_lists_the_rows_that_do_not_fit():
    con = stage({"Postcode": ["MK9 3EJ", "42", "MK6 5LD", None], "N": ["1", "2", "3", "4"]})
    report = infer_and_validate(con, ["Postcode", "N"], overrides={"Postcode": "integer"})
    col = report.columns[0]
    assert (col.inferred, col.type, col.overridden) == ("string", "integer", True)
    assert (col.non_null, col.nulls, col.bad_count) == (3, 1, 2)
    assert col.bad_values == [BadValue(2, "MK9 3EJ"), BadValue(4, "MK6 5LD")]
    types, rows = build_typed(con, report)
    assert types["Postcode"] == "BIGINT"
    assert [r[1] for r in rows] == [None, 42, None, None]


def test_override_to_date_uses_the_best_format():
    con = stage({"When": ["31/12/2024", "not yet", "01/01/2025"]})
    report = infer_and_validate(con, ["When"], overrides={"When": "date"})
    col = report.columns[0]
    assert (col.inferred, col.type, col.format, col.bad_count) == ("string", "date", "%d/%m/%Y", 1)
    assert col.bad_values == [BadValue(3, "not yet")]


@pytest.mark.parametrize(("overrides", "named"), [
    ({"Nope": "integer"}, "'Nope'"),
    ({"_row": "string"}, "'_row'"),
    ({"Count": "float"}, "'float'"),
])
def test_bad_overrides_are_refused(overrides, named):
    con = stage({"Count": ["1", "2"]})
    with pytest.raises(IngestError, match=named):
        infer_and_validate(con, ["Count"], overrides=overrides)


def test_declared_types_are_trusted_and_still_validated():
    con = stage({
        "code": ["007", "12", "3"],
        "ratio": ["0.5", "nan", "1e+20"],
        "opened": ["2024-01-31", "2023-12-01", "2022-06-30"],
        "label": ["007", "x", "y"],
    })
    report = infer_and_validate(
        con, ["code", "ratio", "opened", "label"],
        declared_types={"code": "BIGINT", "ratio": "DOUBLE", "opened": "date",
                        "label": "VARCHAR"})
    cols = by_name(report)
    assert {n: (c.inferred, c.type) for n, c in cols.items()} == {
        "code": ("integer", "integer"), "ratio": ("number", "number"),
        "opened": ("date", "date"), "label": ("string", "string")}
    assert cols["code"].bad_count == 0  # declared integers: leading zeros are not identifiers
    assert cols["code"].note == "type declared by the source file"
    assert cols["ratio"].bad_values == [BadValue(3, "nan")]
    assert cols["opened"].format == "%Y-%m-%d"
    types, rows = build_typed(con, report)
    assert [types[c] for c in ("code", "ratio", "opened", "label")] == [
        "BIGINT", "DOUBLE", "DATE", "VARCHAR"]
    assert rows[0] == (2, 7, 0.5, dt.date(2024, 1, 31), "007")


@pytest.mark.parametrize(("source", "ours"), [
    ("integer", "integer"), ("BIGINT", "integer"), ("int32", "integer"), ("UBIGINT", "integer"),
    ("DOUBLE", "number"), ("DECIMAL(10,2)", "number"), ("float64", "number"),
    ("BOOLEAN", "boolean"), ("bool", "boolean"), ("DATE", "date"), ("date32[day]", "date"),
    ("TIMESTAMP WITH TIME ZONE", "datetime"), ("timestamp[us, tz=UTC]", "datetime"),
    ("VARCHAR", "string"), ("INTERVAL", "string"), ("TIME", "string"), ("BLOB", "string"),
])
def test_declared_type_names(source, ours):
    assert declared_type(source) == ours


def test_declared_timestamptz_text_is_converted_to_utc():
    con = stage({"at": ["2024-07-01 10:00:00+01", "2024-01-01 10:00:00+00"]})
    report = infer_and_validate(con, ["at"], declared_types={"at": "TIMESTAMP WITH TIME ZONE"})
    assert (report.columns[0].type, report.columns[0].format) == ("datetime", "ISO 8601")
    assert [r[1] for r in build_typed(con, report)[1]] == [dt.datetime(2024, 7, 1, 9),
                                                          dt.datetime(2024, 1, 1, 10)]


def test_no_data_columns_only_geometry():
    con = stage({"x": ["1", "2"]}, geometry=True)
    report = infer_and_validate(con, [])
    assert (report.columns, report.row_count, report.has_geometry) == ([], 2, True)
    assert cast_select_list(report) == '"_row", "_geometry"'


def test_declared_type_can_be_overridden():
    con = stage({"code": ["007", "12"]})
    report = infer_and_validate(con, ["code"], declared_types={"code": "integer"},
                                overrides={"code": "string"})
    col = report.columns[0]
    assert (col.inferred, col.type, col.overridden) == ("integer", "string", True)
    assert build_typed(con, report)[1][0] == (2, "007")


def test_ambiguous_dates_are_read_day_first():
    con = stage({"Day": ["01/02/2024", "03/04/2024", "12/11/2023"]})
    report = infer_and_validate(con, ["Day"])
    col = report.columns[0]
    assert (col.type, col.format) == ("date", "%d/%m/%Y")
    assert col.note == "dates read as day/month/year (month/day/year would also fit every value)"
    _, rows = build_typed(con, report)
    assert [r[1] for r in rows] == [dt.date(2024, 2, 1), dt.date(2024, 4, 3), dt.date(2023, 11, 12)]


@pytest.mark.parametrize(("values", "fmt", "first"), [
    (["2024-12-31", "2023-01-05"], "%Y-%m-%d", dt.date(2024, 12, 31)),
    (["31-12-2024", "5-1-2023"], "%d-%m-%Y", dt.date(2024, 12, 31)),
    (["2024/12/31", "2023/01/05"], "%Y/%m/%d", dt.date(2024, 12, 31)),
    (["12/31/2024", "01/05/2023"], "%m/%d/%Y", dt.date(2024, 12, 31)),
])
def test_date_formats(values, fmt, first):
    con = stage({"d": values})
    report = infer_and_validate(con, ["d"])
    assert (report.columns[0].type, report.columns[0].format) == ("date", fmt)
    assert build_typed(con, report)[1][0][1] == first


def test_month_first_dates_say_so():
    col = infer_and_validate(stage({"d": ["12/31/2024", "01/05/2023"]}), ["d"]).columns[0]
    assert col.note == "dates read as month/day/year"


def test_two_digit_years_and_impossible_dates_are_not_dates():
    col = infer_and_validate(stage({"d": ["31/12/24", "01/01/25"]}), ["d"]).columns[0]
    assert col.type == "string"
    col = infer_and_validate(stage({"d": ["31/02/2024", "30/02/2024"]}), ["d"]).columns[0]
    assert col.type == "string"


def test_datetimes():
    con = stage({
        "iso": ["2024-07-01T10:00:00+01:00", "2024-07-01 10:00:00Z", "2024-07-01T10:00-0500",
                "2024-07-02"],
        "uk": ["31/12/2024 13:45", "01/01/2025 00:05", "02/01/2025 23:59", None],
        "uk_seconds": ["31/12/2024 13:45:10", "01/01/2025 00:05:00", None, "1/2/2025 7:05:00"],
    })
    report = infer_and_validate(con, ["iso", "uk", "uk_seconds"])
    cols = by_name(report)
    assert {n: (c.type, c.format) for n, c in cols.items()} == {
        "iso": ("datetime", "ISO 8601"),
        "uk": ("datetime", "%d/%m/%Y %H:%M"),
        "uk_seconds": ("datetime", "%d/%m/%Y %H:%M:%S"),
    }
    assert cols["uk"].note == "dates read as day/month/year"
    types, rows = build_typed(con, report)
    assert types["iso"] == "TIMESTAMP"
    assert [r[1] for r in rows] == [dt.datetime(2024, 7, 1, 9), dt.datetime(2024, 7, 1, 10),
                                    dt.datetime(2024, 7, 1, 15), dt.datetime(2024, 7, 2)]
    assert rows[0][2:] == (dt.datetime(2024, 12, 31, 13, 45), dt.datetime(2024, 12, 31, 13, 45, 10))


def test_numbers_integers_and_booleans_edge_cases():
    con = stage({
        "flags01": ["0", "1", "1", "0"],
        "yn": ["Y", "n", "TRUE", "f"],
        "sci": ["1e-3", "-2.5E4", "+7", ".5"],
        "nan": ["1.5", "NaN", "2.5", "inf"],
        "big": ["92233720368547758070", "1", "2", "3"],
        "signed": ["-4", "+3", "0", "-0"],
        "commas": ["1,234", "12,34", "5", "6"],
    })
    report = infer_and_validate(con, ["flags01", "yn", "sci", "nan", "big", "signed", "commas"])
    cols = by_name(report)
    assert {n: c.type for n, c in cols.items()} == {
        "flags01": "integer", "yn": "boolean", "sci": "number", "nan": "string",
        "big": "string", "signed": "integer", "commas": "string"}
    assert cols["big"].note == "kept as text: whole numbers too large for a 64-bit integer"
    assert cols["nan"].note == "kept as text: only 2 of 4 values (50%) are number"
    _, rows = build_typed(con, report)
    assert [r[2] for r in rows] == [True, False, True, False]
    assert [r[3] for r in rows] == [0.001, -25000.0, 7.0, 0.5]
    assert [r[6] for r in rows] == [-4, 3, 0, 0]


AWKWARD = ['a "quoted" name', "with  spaces", "Population (£)", "Ünïcödé — ✓", "it's"]


def test_awkward_column_names():
    con = stage({
        AWKWARD[0]: ["1", "2"], AWKWARD[1]: ["x", "y"], AWKWARD[2]: ["1,200.5", "3"],
        AWKWARD[3]: ["yes", "no"], AWKWARD[4]: ["2024-01-01", "2024-01-02"],
    })
    report = infer_and_validate(con, AWKWARD, overrides={"Population (£)": "integer"})
    assert [c.name for c in report.columns] == AWKWARD
    assert report.columns[2].bad_values == [BadValue(2, "1,200.5")]
    types, rows = build_typed(con, report)
    assert types == {"_row": "BIGINT", AWKWARD[0]: "BIGINT", AWKWARD[1]: "VARCHAR",
                     AWKWARD[2]: "BIGINT", AWKWARD[3]: "BOOLEAN", AWKWARD[4]: "DATE"}
    assert rows == [(2, 1, "x", None, True, dt.date(2024, 1, 1)),
                    (3, 2, "y", 3, False, dt.date(2024, 1, 2))]


def test_report_round_trips_through_json():
    con = stage(UK, geometry=True)
    report = infer_and_validate(con, list(UK), overrides={"Postcode": "integer"})
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["bad_count"] == report.bad_count == 4
    assert d["has_geometry"] is True and d["row_count"] == 4
    assert d["columns"][4]["bad_values"][0] == {"row": 2, "value": "MK9 3EJ"}
    back = ValidationReport.from_dict(d)
    assert back == report
    assert cast_select_list(back) == cast_select_list(report)


def test_a_million_rows():
    n = 1_000_000
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE raw AS SELECT
            i + 2 AS _row,
            CAST(i AS VARCHAR) AS "count",
            printf('%.2f', i / 100) AS "money",
            strftime(DATE '2000-01-01' + CAST(i % 9000 AS INTEGER), '%d/%m/%Y') AS "day",
            CASE WHEN i % 2 = 0 THEN 'Yes' ELSE 'No' END AS "flag",
            'E0' || lpad(CAST(i % 40000 AS VARCHAR), 7, '0') AS "lsoa",
            CASE WHEN i % 100000 = 7 THEN 'approx 5' ELSE CAST(i % 50 AS VARCHAR) END AS "mixed",
            CASE WHEN i % 10 = 0 THEN '..' ELSE printf('MK%d %dAB', i % 20, i % 9) END AS "postcode"
        FROM range({n}) AS t(i)
    """)
    columns = ["count", "money", "day", "flag", "lsoa", "mixed", "postcode"]
    start = time.perf_counter()
    report = infer_and_validate(con, columns)
    elapsed = time.perf_counter() - start
    print(f"\ninfer_and_validate on {n:,} rows x {len(columns)} columns: {elapsed:.2f} s")
    assert report.row_count == n
    assert [c.type for c in report.columns] == [
        "integer", "number", "date", "boolean", "string", "integer", "string"]
    mixed = report.columns[5]
    assert mixed.bad_count == 10
    assert mixed.bad_values[:2] == [BadValue(9, "approx 5"), BadValue(100009, "approx 5")]


# --- sample first, then confirm on every row -------------------------------------------------


def in_sample(con, row: int) -> bool:
    """Whether spreadsheet row ``row`` of ``raw`` is in the sample types are first read on."""
    sample = counting.sample_source(con)[1]
    return bool(con.execute(f"SELECT count(*) FROM {sample} WHERE _row = {row}").fetchone()[0])


def test_one_late_odd_value_in_a_million_rows_is_found_and_counted_exactly():
    n = 1_000_000
    con = duckdb.connect()
    con.execute(f"""
        CREATE TABLE raw AS SELECT i + 2 AS _row,
            CASE WHEN i + 2 = 900000 THEN 'about 7' ELSE CAST(i % 1000 AS VARCHAR) END AS "count",
            CASE WHEN i + 2 = 900000 THEN '7.5' ELSE CAST(i % 1000 AS VARCHAR) END AS "size",
            CASE WHEN i + 2 = 900000 THEN '0042' ELSE CAST(i % 1000 AS VARCHAR) END AS "code",
            CASE WHEN i + 2 = 900000 THEN 'yes' ELSE 'MK' || (i % 20) END AS "area"
        FROM range({n}) AS t(i)
    """)
    assert not in_sample(con, 900000)  # so only the pass over every row can see it
    col = infer_and_validate(con, ["count"]).columns[0]
    assert (col.type, col.bad_count, col.bad_values) == ("integer", 1, [BadValue(900000, "about 7")])
    assert col.note.startswith("mostly integer: 1 value that does not fit is listed")

    report = infer_validate_and_cast(con, ["size", "code", "area"])
    assert [(c.type, c.bad_count, c.note) for c in report.columns] == [
        ("number", 0, None),
        ("string", 0, "kept as text: values have leading zeros (identifiers)"),
        ("string", 0, None)]
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE typed)").fetchall())
    assert (types["size"], types["code"]) == ("DOUBLE", "VARCHAR")
    assert con.execute("SELECT size, code FROM typed WHERE _row = 900000").fetchone() == (7.5, "0042")
    total = n // 1000 * sum(range(1000)) - (900000 - 2) % 1000 + 7.5  # one value replaced
    assert con.execute("SELECT count(*), sum(size) FROM typed").fetchone() == (n, total)


@pytest.mark.parametrize(("late", "fmt", "note", "row_3"), [
    ("25/12/2024", "%d/%m/%Y", "dates read as day/month/year", dt.date(2024, 1, 2)),
    ("12/25/2024", "%m/%d/%Y", "dates read as month/day/year", dt.date(2024, 2, 1)),
    (None, "%d/%m/%Y",
     "dates read as day/month/year (month/day/year would also fit every value)",
     dt.date(2024, 1, 2)),
])
def test_dates_ambiguous_in_the_sample_are_decided_on_every_row(late, fmt, note, row_3):
    n = 100_000
    con = duckdb.connect()
    con.execute(f"""CREATE TABLE raw AS SELECT i + 2 AS _row,
                        printf('%02d/%02d/2024', 1 + i % 12, 1 + i // 12 % 12) AS "day"
                    FROM range({n}) AS t(i)""")
    late_row = con.execute(f"SELECT max(_row) FROM raw WHERE _row NOT IN "
                           f"(SELECT _row FROM {counting.sample_source(con)[1]})").fetchone()[0]
    if late:
        con.execute(f"UPDATE raw SET \"day\" = '{late}' WHERE _row = {late_row}")
    report = infer_validate_and_cast(con, ["day"])
    col = report.columns[0]
    assert (col.type, col.format, col.note, col.bad_count) == ("date", fmt, note, 0)
    assert con.execute("SELECT \"day\" FROM typed WHERE _row = 3").fetchone()[0] == row_3
    if late:
        got = con.execute(f"SELECT \"day\" FROM typed WHERE _row = {late_row}").fetchone()[0]
        assert got == dt.date(2024, 12, 25)


# Twelve rows where what decides each column comes late, or hides behind blanks.
LATE = {
    "zeros late": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "007"],
    "point late": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "2.5"],
    "text late": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "twelve"],
    "big late": ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "1" + "0" * 20],
    "day first late": ["01/02/2024"] * 11 + ["13/02/2024"],
    "month first late": ["01/02/2024"] * 11 + ["02/13/2024"],
    "offset late": ["2024-01-01T10:00"] * 11 + ["2024-01-01T10:00+01:00"],
    "padded": [" 1", "2\u00a0", "\t3\r\n", "NA", " .. ", "", "-", "\u00a0n/a", "9", "10", None, "12"],
    "flags": ["yes", "No", " y ", "N", "true", "FALSE", "t", "f", None, "NA", "yes", "no"],
    "mostly text": ["a", "b", "1", "c", "d", "2", "e", "3", "f", "4", "5", "6"],
    "codes": [f"E0{i:07d}" for i in range(12)],
}


@pytest.mark.parametrize(("head", "spread"), [(0, 1), (1, 1), (2, 3), (5, 2)])
@pytest.mark.parametrize("overrides", [{}, {"text late": "string", "padded": "number"}])
def test_a_sample_gives_the_same_report_and_table_as_counting_every_row(
        monkeypatch, head, spread, overrides):
    con = stage(LATE, geometry=True)
    everything = infer_and_validate(con, list(LATE), overrides=overrides)  # no sample: 12 rows
    expected = build_typed(con, everything) if everything.ok else None
    con.execute("DROP TABLE IF EXISTS typed")
    monkeypatch.setattr(counting, "SAMPLE_HEAD_ROWS", head)
    monkeypatch.setattr(counting, "SAMPLE_SPREAD_ROWS", spread)
    assert counting.sample_source(con)[1] is not None
    assert infer_and_validate(con, list(LATE), overrides=overrides) == everything
    assert infer_validate_and_cast(con, list(LATE), overrides=overrides) == everything
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if expected is None:
        assert "typed" not in tables  # there is no typed table for a report that is not ok
    else:
        types = {name: type_ for name, type_, *_ in con.execute("DESCRIBE typed").fetchall()}
        rows = con.execute("SELECT * FROM typed").fetchall()  # in storage order
        assert (types, rows) == expected


def test_typed_table_is_in_row_order_even_when_raw_is_not():
    con = stage({"n": ["3", "1", "2"], "rowid": ["2024-01-03", "2024-01-01", "2024-01-02"]})
    con.execute("CREATE TABLE shuffled AS SELECT * FROM raw ORDER BY n DESC")
    con.execute("DROP TABLE raw")
    con.execute("ALTER TABLE shuffled RENAME TO raw")
    assert infer_validate_and_cast(con, ["n", "rowid"]).ok
    assert con.execute("SELECT _row, n, rowid FROM typed").fetchall() == [
        (2, 3, dt.date(2024, 1, 3)), (3, 1, dt.date(2024, 1, 1)), (4, 2, dt.date(2024, 1, 2))]


def test_a_column_called_rowid_is_sampled_like_any_other(monkeypatch):
    monkeypatch.setattr(counting, "SAMPLE_HEAD_ROWS", 1)
    monkeypatch.setattr(counting, "SAMPLE_SPREAD_ROWS", 1)
    con = stage({"rowid": [f"r{i}" for i in range(20)], "n": [str(i) for i in range(19)] + ["x"]})
    report = infer_validate_and_cast(con, ["rowid", "n"])
    assert [(c.type, c.bad_count) for c in report.columns] == [("string", 0), ("integer", 1)]
    assert report.columns[1].bad_values == [BadValue(21, "x")]


TRICKY = ["12", " 12", "12 ", "\u00a012", "12\u00a0", "\t-7\r\n", "1,234", " 1,234 ", "007",
          " 007", "+0", "2.5", " .5", "1e3", " NaN", "1e999", "yes", " Yes ", "N", "no\u00a0",
          "yeſ", "2024-01-31", " 2024-01-31", "31/01/2024 ", "01/02/2024", "1-2-2024",
          "2024-01-31T10:00Z", " 2024-01-31 10:00+01", "31/01/2024 10:00", "", " ", "NA",
          " NA ", "\u00a0..\u00a0", "-", " - ", ".", "null", "None", "n/a\t", "Noise", "text",
          "\u0600 ", "K", "99999999999999999999", None]


def test_shortcuts_give_the_same_answers_as_the_definitions():
    """typesql's shortcuts against trimming every value and reading it with typed_sql."""
    con = duckdb.connect()
    con.execute("CREATE TABLE v AS SELECT unnest(?::VARCHAR[]) AS t", [TRICKY])
    pairs = [(t, f) for t in typesql.TYPES[:-1] for f in typesql.type_formats(t)]
    clean = typesql.clean_sql("t")
    checks = [f"({typesql.is_value_sql('t')}) IS NOT DISTINCT FROM ({clean} IS NOT NULL)"]
    for pattern in (counting.LEADING_ZERO_RE, typesql.ISO_ZONED_RE, typesql.INTEGER_RE):
        checks.append(f"coalesce({typesql.clean_matches_sql('t', pattern)}, false) = "
                      f"coalesce({typesql.matches_sql(clean, pattern)}, false)")
    for type_, fmt in pairs:
        fits = typesql.typed_sql(clean, type_, fmt)
        from_text = typesql.typed_from_text_sql("t", typesql.typed_sql("t", type_, fmt),
                                                type_, fmt)
        checks.append(f"({from_text}) IS NOT DISTINCT FROM ({fits})")
        checks.append(f"({fits}) IS NULL OR {typesql.could_fit_sql('t')}")
    wrong = con.execute(f"SELECT t, [{', '.join(checks)}] FROM v "
                        f"WHERE NOT list_bool_and([{', '.join(checks)}])").fetchall()
    assert wrong == []
    # Every type rejects the null tokens outright (typed_from_text_sql relies on it).
    tokens = con.execute("SELECT count(*) FROM v WHERE " + " OR ".join(
        f"({typesql.typed_sql(t_, type_, fmt)}) IS NOT NULL"
        for type_, fmt in pairs for t_ in [f"CAST({sqlquote.literal(x)} AS VARCHAR)"
                                           for x in typesql.NULL_TOKENS])).fetchone()[0]
    assert tokens == 0


def test_impossible_dates_are_left_empty_and_listed_by_row_while_the_rest_loads():
    # "0000-00-00" (a database's zero date) or 30 February name no day: the cell is left empty
    # and its row reported, instead of one such cell refusing a whole file
    n = 60  # two impossible dates of 60: under the 5% a typed column may hold of misfits
    created = [f"2021-{1 + i % 12:02d}-{1 + i % 28:02d} 10:56:13" for i in range(n)]
    created[4] = "0000-00-00 00:00:00"
    day = [f"{1 + i % 28:02d}/{1 + i % 12:02d}/2022" for i in range(n)]
    day[9], day[20] = "00/00/0000", "30/02/2022"
    con = stage({"created": created, "day": day})
    report = infer_validate_and_cast(con, ["created", "day"], limits=Limits(max_error_rows=1))
    cols = by_name(report)
    assert report.ok and report.bad_count == 0
    assert (cols["created"].type, cols["created"].format) == ("datetime", "ISO 8601")
    assert (cols["day"].type, cols["day"].format) == ("date", "%d/%m/%Y")
    assert (cols["created"].emptied, cols["day"].emptied) == (1, 2)
    assert (cols["day"].non_null, cols["day"].nulls) == (n - 2, 2)
    assert "2 impossible dates (such as “00/00/0000”) left empty" in cols["day"].note
    assert cols["created"].note == ("1 impossible date (such as “0000-00-00 00:00:00”) left "
                                    "empty, row listed")  # not "mostly datetime": none is bad
    # every listed one names its row and column (the first max_error_rows of each column)
    assert report.emptied == [{"row": 6, "column": "created", "value": "0000-00-00 00:00:00"},
                              {"row": 11, "column": "day", "value": "00/00/0000"}]
    assert report.to_dict()["emptied"] == report.emptied
    assert ValidationReport.from_dict(json.loads(json.dumps(report.to_dict()))) == report
    rows = con.execute("SELECT _row, created, day FROM typed ORDER BY _row").fetchall()
    assert rows[4][1:] == (None, dt.date(2022, 5, 5)) and rows[9][2] is None
    assert rows[20][2] is None and rows[0][1] == dt.datetime(2021, 1, 1, 10, 56, 13)


def test_a_date_column_still_refuses_values_that_are_not_dates_at_all():
    values = [f"2022-{1 + i // 28:02d}-{1 + i % 28:02d}" for i in range(58)] + [
        "0000-00-00", "soon"]
    report = infer_and_validate(stage({"d": values}), ["d"])
    col = report.columns[0]
    assert not report.ok and col.type == "date"
    assert col.bad_count == 1 and col.bad_values == [BadValue(row=61, value="soon")]
    assert col.emptied == 1 and col.emptied_values == [BadValue(row=60, value="0000-00-00")]
    assert col.note.startswith("mostly date: 1 value that does not fit is listed")
    assert col.note.endswith("1 impossible date (such as “0000-00-00”) left empty, row listed")
