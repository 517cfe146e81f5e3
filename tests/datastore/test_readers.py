"""Staging an upload into the DuckDB table ``raw``: the specification, by example.

Run with ``.venv/bin/python -m pytest tests/datastore/test_readers.py -q``.

Every reader produces the same shape: ``_row`` (where the row sits in the source: the
spreadsheet row for CSV/XLSX with the header as row 1, else the 1-based feature or record
number), the data columns as text in source order, and ``_geometry`` (WKB, EPSG:4326) for
geographic formats. Messy files are generated here; the real Milton Keynes files come
from the shared data folder and are only read.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from commonground.datastore.errors import IngestError, Limits
from commonground.datastore.rawtable import clean_column_names
from commonground.datastore.readers import detect_format, stage

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))
POINTS = DATA / "points"

BNG_TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
# Two Milton Keynes schools: British National Grid metres, and the longitude/latitude the
# GIAS extract publishes for them (mk_schools_gias_2025-05.csv, rounded to 6 places).
SCHOOLS_BNG = [(487620.0, 233771.0), (479924.0, 244421.0)]
SCHOOLS_LONLAT = [(-0.725232, 51.995483), (-0.834811, 52.092373)]


@pytest.fixture
def con():
    connection = duckdb.connect()
    yield connection
    connection.close()


@pytest.fixture
def workdir(tmp_path):
    return tmp_path / "work"


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def raw(con) -> list[tuple]:
    return con.execute("SELECT * FROM raw ORDER BY _row").fetchall()


def raw_columns(con) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute("DESCRIBE raw").fetchall()]


def staged(con, path: Path, workdir: Path, **kwargs):
    return stage(con, path, filename=kwargs.pop("filename", path.name), workdir=workdir, **kwargs)


def refused(con, path: Path, workdir: Path, **kwargs) -> IngestError:
    with pytest.raises(IngestError) as caught:
        staged(con, path, workdir, **kwargs)
    return caught.value


def geometries(con) -> list:
    return [None if wkb is None else shapely.from_wkb(wkb)
            for (wkb,) in con.execute("SELECT _geometry FROM raw ORDER BY _row").fetchall()]


# --- CSV: encodings -------------------------------------------------------------------------

def test_a_utf8_csv_is_staged_as_text_with_spreadsheet_row_numbers(con, workdir, tmp_path):
    path = write(tmp_path, "shops.csv", "name,price,opened\nCafé Nero,£3.20,2024-01-05\n"
                                        "Pound Shop,1,\n")
    table = staged(con, path, workdir)
    assert table.format == "csv"
    assert table.columns == ["name", "price", "opened"]
    assert table.row_count == 2
    assert table.row_label == "row"
    assert (table.encoding, table.delimiter) == ("utf-8", ",")
    assert (table.geometry_type, table.declared_types, table.sheet, table.sheets) == (
        None, {}, None, [])
    assert table.notes == []
    assert raw_columns(con) == [("_row", "BIGINT"), ("name", "VARCHAR"), ("price", "VARCHAR"),
                                ("opened", "VARCHAR")]
    assert raw(con) == [(2, "Café Nero", "£3.20", "2024-01-05"), (3, "Pound Shop", "1", None)]


def test_a_utf8_byte_order_mark_is_recognised_and_not_part_of_the_first_name(
        con, workdir, tmp_path):
    path = write(tmp_path, "bom.csv", "\ufeffplace,fee\nCafé,£5\n".encode())
    table = staged(con, path, workdir)
    assert table.encoding == "utf-8-sig"
    assert table.columns == ["place", "fee"]
    assert raw(con) == [(2, "Café", "£5")]


def test_windows_1252_is_detected_from_curly_quotes_and_transcoded(con, workdir, tmp_path):
    text = "name,note\n“Oak” Café,costs £5 – cheap\n"
    path = write(tmp_path, "cp1252.csv", text.encode("cp1252"))
    assert b"\x93" in path.read_bytes() and b"\x94" in path.read_bytes()
    table = staged(con, path, workdir)
    assert table.encoding == "cp1252"
    assert "Detected Windows-1252 encoding" in table.notes
    assert raw(con) == [(2, "“Oak” Café", "costs £5 – cheap")]


def test_latin1_is_named_when_no_byte_says_windows_1252(con, workdir, tmp_path):
    path = write(tmp_path, "latin1.csv", "name,fee\nZoë,£5\n".encode("latin-1"))
    table = staged(con, path, workdir)
    assert table.encoding == "latin-1"
    assert "Detected Latin-1 (ISO-8859-1) encoding" in table.notes
    assert raw(con) == [(2, "Zoë", "£5")]


def test_a_byte_windows_1252_leaves_undefined_means_latin1(con, workdir, tmp_path):
    # 0x93 alone would mean cp1252, but 0x81 exists only in Latin-1 (a C1 control code).
    path = write(tmp_path, "c1.csv", b"a,b\n\x93x,\x81y\n")
    table = staged(con, path, workdir)
    assert table.encoding == "latin-1"
    assert raw(con) == [(2, "\x93x", "\x81y")]


def test_utf8_mixed_with_another_encoding_names_the_line_and_byte_offset(
        con, workdir, tmp_path):
    content = "name,fee\nCafé,£5\n".encode() + "Zoë,£6\n".encode("cp1252")
    path = write(tmp_path, "mixed.csv", content)
    offset = content.index(b"\xeb")  # the cp1252 "ë"
    error = refused(con, path, workdir)
    assert error.row == 3
    assert "undecodable bytes" in str(error)
    assert f"byte 0xEB at byte offset {offset} (line 3)" in str(error)
    assert str(error).startswith("mixed.csv, row 3: ")


def test_nul_bytes_mean_a_binary_file(con, workdir, tmp_path):
    path = write(tmp_path, "binary.csv", b"a,b\n1,2\n3,\x00\x01\n")
    error = refused(con, path, workdir)
    assert "NUL byte at byte offset 10 (line 3)" in str(error)  # counting from 0
    assert "binary file" in str(error)


def test_utf16_text_gets_advice_to_save_as_csv_utf8(con, workdir, tmp_path):
    path = write(tmp_path, "unicode.txt", "a\tb\n1\t2\n".encode("utf-16"))
    assert "UTF-16" in str(refused(con, path, workdir))


# --- CSV: delimiters, quoting and row numbers ---------------------------------------------

@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected_respecting_quotes(con, workdir, tmp_path, delimiter):
    d = delimiter
    other = ";" if d == "," else ","  # a different delimiter inside values must not confuse
    text = (f'name{d}address{d}count\n'
            f'"Oak{d} Elm"{d}"1{other} High St\nMilton Keynes"{d}3\n'
            f'Ash{d}"2{other} Low St"{d}4\n'
            f'"Say ""hi"""{d}x{other}y{d}5\n')
    path = write(tmp_path, "shops.csv", text)
    table = staged(con, path, workdir)
    assert table.delimiter == d
    assert table.columns == ["name", "address", "count"]
    # The first record spans two lines: it is still spreadsheet row 2, and the next is row 3.
    assert raw(con) == [(2, f"Oak{d} Elm", f"1{other} High St\nMilton Keynes", "3"),
                        (3, "Ash", f"2{other} Low St", "4"),
                        (4, 'Say "hi"', f"x{other}y", "5")]
    if d != ",":
        assert table.notes[0].startswith("Detected delimiter")


def test_a_tsv_with_commas_in_every_value_is_still_tab_separated(con, workdir, tmp_path):
    path = write(tmp_path, "people.tsv", "name\ttown\nSmith, J\tBletchley, MK\n"
                                         "Jones, K\tOlney, MK\n")
    table = staged(con, path, workdir)
    assert table.delimiter == "\t"
    assert raw(con) == [(2, "Smith, J", "Bletchley, MK"), (3, "Jones, K", "Olney, MK")]


def test_blank_lines_are_rows_as_in_a_spreadsheet(con, workdir, tmp_path):
    path = write(tmp_path, "gaps.csv", 'a,b\n1,2\n\n\n3,"x\ny"\n\n4,5\n\n')
    table = staged(con, path, workdir)
    assert table.row_count == 3
    assert raw(con) == [(2, "1", "2"), (5, "3", "x\ny"), (7, "4", "5")]


def test_blank_lines_with_windows_line_ends_are_rows_too(con, workdir, tmp_path):
    path = write(tmp_path, "crlf.csv", b"a,b\r\n1,2\r\n\r\n3,4\r\n")
    staged(con, path, workdir)
    assert raw(con) == [(2, "1", "2"), (4, "3", "4")]


def test_blank_lines_before_the_header_push_it_down(con, workdir, tmp_path):
    path = write(tmp_path, "late.csv", "\n\nname,n\nOak,1\nElm,2\n")
    table = staged(con, path, workdir)
    assert table.columns == ["name", "n"]
    assert raw(con) == [(4, "Oak", "1"), (5, "Elm", "2")]


def test_a_one_column_file_keeps_row_numbers_across_blank_lines(con, workdir, tmp_path):
    path = write(tmp_path, "codes.txt", "code\nE01\n\nE03\n")
    table = staged(con, path, workdir)
    assert table.columns == ["code"]
    assert raw(con) == [(2, "E01"), (4, "E03")]


def test_empty_and_whitespace_only_cells_are_null_other_text_is_exact(con, workdir, tmp_path):
    path = write(tmp_path, "blanks.csv", 'a,b,c,d\n"",   ,\t, x \n1,"\u00a0",,"  "\n')
    staged(con, path, workdir)
    assert raw(con) == [(2, None, None, None, " x "), (3, "1", None, None, None)]


def test_rows_of_only_delimiters_are_skipped_with_a_note(con, workdir, tmp_path):
    path = write(tmp_path, "excel.csv", "a,b\n1,2\n,\n3,4\n,\n,\n")
    table = staged(con, path, workdir)
    assert table.row_count == 2
    assert raw(con) == [(2, "1", "2"), (4, "3", "4")]
    assert "Skipped 3 empty rows (no values)" in table.notes


def test_a_trailing_delimiter_on_every_line_adds_no_column(con, workdir, tmp_path):
    path = write(tmp_path, "trailing.csv", "a,b,\n1,2,\n3,4,\n")
    table = staged(con, path, workdir)
    assert table.columns == ["a", "b"]
    assert raw(con) == [(2, "1", "2"), (3, "3", "4")]
    assert any(note.startswith("Dropped 1 empty column") for note in table.notes)


def test_column_names_are_stripped_unique_and_never_start_with_an_underscore(
        con, workdir, tmp_path):
    path = write(tmp_path, "names.csv", " name ,,name,_id,Name,_row\n1,2,3,4,5,6\n")
    table = staged(con, path, workdir)
    assert table.columns == ["name", "column_2", "name_2", "c_id", "Name_3", "c_row"]
    assert raw(con) == [(2, "1", "2", "3", "4", "5", "6")]


def test_clean_column_names_rules():
    assert clean_column_names(["a", "A", "a_2", None, "  ", "_geometry"]) == [
        "a", "A_2", "a_2_2", "column_4", "column_5", "c_geometry"]


def test_the_real_schools_csv(con, workdir):
    path = POINTS / "mk_schools_gias_2025-05.csv"
    data_lines = path.read_text(encoding="utf-8").count("\n") - 1
    table = staged(con, path, workdir)
    assert len(table.columns) == 16
    assert table.columns[:5] == ["urn", "la_code", "la_name", "establishment_number",
                                 "establishment_name"]
    assert table.row_count == data_lines == 125
    first = con.execute("SELECT _row, urn, establishment_name, longitude, latitude "
                        "FROM raw ORDER BY _row LIMIT 1").fetchone()
    assert first == (2, "110197", "Knowles Nursery School", "-0.725232", "51.995483")
    assert con.execute("SELECT max(_row) FROM raw").fetchone()[0] == data_lines + 1


# --- CSV: bad input -------------------------------------------------------------------------

def test_an_empty_file_is_refused(con, workdir, tmp_path):
    error = refused(con, write(tmp_path, "empty.csv", b""), workdir)
    assert str(error) == "empty.csv: the file is empty"


def test_a_file_of_blank_lines_is_refused(con, workdir, tmp_path):
    error = refused(con, write(tmp_path, "blank.csv", "\n\n  \n"), workdir)
    assert "only blank lines" in str(error)


def test_a_header_without_data_rows_is_refused(con, workdir, tmp_path):
    error = refused(con, write(tmp_path, "header.csv", "a,b,c\n"), workdir)
    assert str(error) == "header.csv: the file has a header row but no data rows"


def test_ragged_rows_name_the_first_row_the_field_counts_and_the_total(con, workdir, tmp_path):
    text = 'a,b,c\n1,2,3\n"multi\nline",5,6\n7,8,9,10\n11,12\n13,14,15\n16,17,18,19\n'
    error = refused(con, write(tmp_path, "ragged.csv", text), workdir)
    # Row 4 is the 4th record (the quoted value before it spans two lines).
    assert error.row == 4
    assert str(error).startswith("ragged.csv, row 4: this row has 4 fields but the header "
                                 "has 3 (3 rows have the wrong number of fields")


def test_a_short_row_is_ragged_too(con, workdir, tmp_path):
    error = refused(con, write(tmp_path, "short.csv", "a;b;c\n1;2;3\n4;5\n"), workdir)
    assert error.row == 3
    assert "has 2 fields but the header has 3 (1 row has" in str(error)
    assert "semicolon (';')" in str(error)


def test_an_unclosed_quote_names_its_row(con, workdir, tmp_path):
    error = refused(con, write(tmp_path, "quote.csv", 'a,b\n1,2\n3,"four\n5,6\n'), workdir)
    assert error.row == 3
    assert "quote mark is not closed" in str(error)


def test_too_many_columns_are_refused_before_reading(con, workdir, tmp_path):
    path = write(tmp_path, "wide.csv", "a,b,c,d\n1,2,3,4\n")
    error = refused(con, path, workdir, limits=Limits(max_columns=3))
    assert "the table has 4 columns; the most accepted is 3" in str(error)


def test_a_file_over_the_size_limit_is_refused_without_reading_it(con, workdir, tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("wb") as f:
        f.truncate(2 * 1024**3)  # sparse: 2 GiB long, no disk used
    started = time.perf_counter()
    error = refused(con, path, workdir)
    assert time.perf_counter() - started < 1.0
    assert str(error) == "huge.csv: the file is 2.0 GiB; the largest accepted is 1.0 GiB"


def test_the_size_limit_is_a_setting(con, workdir, tmp_path):
    path = write(tmp_path, "small.csv", "a,b\n1,2\n")
    error = refused(con, path, workdir, limits=Limits(max_bytes=5))
    assert "the file is 8 bytes; the largest accepted is 5 bytes" in str(error)


# --- Format detection -------------------------------------------------------------------

@pytest.mark.parametrize(("filename", "head", "expected"), [
    ("data.csv", b"a,b\n1,2\n", "csv"),
    ("DATA.TSV", b"a\tb\n", "csv"),
    ("notes.txt", b"a|b\n", "csv"),
    ("no_extension", "name;fee\nCafé;£5\n".encode(), "csv"),
    ("places.geojson", b'{"type": "FeatureCollection"}', "geojson"),
    ("places.json", b'{\n  "type" : "FeatureCollection", "features": []}', "geojson"),
    ("rows.json", b'[{"a": 1}]', "json"),
    ("no_extension", b' [{"a": 1}]', "json"),
    ("book.xlsx", b"PK\x03\x04", "xlsx"),
    ("renamed.csv", b"PK\x03\x04\x14\x00[Content_Types].xml", "xlsx"),
    ("download", b"PK\x03\x04\x14\x00roads.shp", "shapefile"),
    ("roads.zip", b"PK\x03\x04", "shapefile"),
    ("areas.gpkg", b"SQLite format 3\x00", "gpkg"),
    ("download", b"SQLite format 3\x00", "gpkg"),
    ("table.parquet", b"PAR1", "parquet"),
    ("download", b"PAR1\x15\x04", "parquet"),
])
def test_detect_format(filename, head, expected):
    assert detect_format(filename, head) == expected


@pytest.mark.parametrize(("filename", "head", "message"), [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel .xls files are not supported; "
                                                     "save it as .xlsx or CSV"),
    ("old.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "save it as .xlsx or CSV"),
    ("roads.shp", b"\x00\x00\x27\x0a", "upload all of them in one .zip"),
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00", "'.png' files are not a supported format"),
])
def test_unknown_and_unsupported_formats_are_refused(filename, head, message):
    with pytest.raises(IngestError) as caught:
        detect_format(filename, head)
    assert message in str(caught.value)
    assert str(caught.value).startswith(filename)


# --- XLSX -----------------------------------------------------------------------------------

def _workbook(path: Path, *, formulas: bool = False) -> Path:
    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "Cover"  # left empty: the first sheet with values is read
    data = book.create_sheet("Data")
    data["B3"], data["C3"], data["D3"], data["E3"] = "name", "opened", "pupils", "  ratio "
    data["B4"], data["C4"], data["D4"], data["E4"] = "Oak", dt.date(2024, 1, 5), 88, 0.1
    data["B6"], data["C6"] = "Elm", dt.datetime(2024, 1, 5, 10, 30)
    data["D6"], data["E6"] = 32, True
    data["B7"], data["C7"], data["D7"] = "   ", dt.datetime(2023, 12, 31, 0, 0), 5.5
    if formulas:
        data["E7"] = "=SUM(D4:D6)"
        data["C9"] = "=TODAY()"
    other = book.create_sheet("Other")
    other["A1"], other["A2"] = "code", "E01"
    book.save(path)
    return path


def test_xlsx_reads_the_first_sheet_with_values_dates_as_iso_text(con, workdir, tmp_path):
    table = staged(con, _workbook(tmp_path / "schools.xlsx"), workdir)
    assert table.format == "xlsx"
    assert (table.sheet, table.sheets) == ("Data", ["Cover", "Data", "Other"])
    assert table.columns == ["name", "opened", "pupils", "ratio"]
    assert table.row_count == 3
    assert table.declared_types == {}
    assert "Read sheet 'Data' of 3" in table.notes
    # _row is the real spreadsheet row: the header is on row 3, row 5 is empty.
    assert raw(con) == [(4, "Oak", "2024-01-05", "88", "0.1"),
                        (6, "Elm", "2024-01-05T10:30:00", "32", "true"),
                        (7, None, "2023-12-31", "5.5", None)]


def test_xlsx_values_without_a_header_get_a_column_named_after_their_position(
        con, workdir, tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["name", None, "n"])
    sheet.append(["Oak", None, 1, None, "see note"])
    sheet.append(["Elm", None, 2])
    book.save(tmp_path / "notes.xlsx")
    table = staged(con, tmp_path / "notes.xlsx", workdir)
    assert table.columns == ["name", "n", "column_5"]  # B and D are empty and unnamed
    assert raw(con) == [(2, "Oak", "1", "see note"), (3, "Elm", "2", None)]
    assert "Left out 2 empty columns without a header" in table.notes


def test_xlsx_reads_the_sheet_asked_for(con, workdir, tmp_path):
    table = staged(con, _workbook(tmp_path / "b.xlsx"), workdir, sheet="Other")
    assert table.sheet == "Other"
    assert raw(con) == [(2, "E01")]


def test_xlsx_unknown_sheet_lists_the_sheets(con, workdir, tmp_path):
    error = refused(con, _workbook(tmp_path / "b.xlsx"), workdir, sheet="Summary")
    assert "has no sheet 'Summary'; its sheets are 'Cover', 'Data', 'Other'" in str(error)


def test_xlsx_formulas_are_refused_with_the_first_cell_and_the_count(con, workdir, tmp_path):
    error = refused(con, _workbook(tmp_path / "f.xlsx", formulas=True), workdir)
    assert str(error) == ("f.xlsx: the sheet contains 2 formulas, first at 'Data'!E7 "
                          "(=SUM(D4:D6)); paste values and upload again")


def test_xlsx_with_a_header_only_is_refused(con, workdir, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["a", "b"])
    book.save(tmp_path / "h.xlsx")
    error = refused(con, tmp_path / "h.xlsx", workdir)
    assert "has a header row but no data rows" in str(error)


def test_xlsx_is_checked_as_a_zip_before_it_is_opened(con, workdir, tmp_path):
    path = _workbook(tmp_path / "b.xlsx")
    error = refused(con, path, workdir, limits=Limits(max_unpacked_bytes=1000))
    assert "the zip would unpack to" in str(error)


# --- GeoJSON ----------------------------------------------------------------------------

def _feature(properties, geometry):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def test_geojson_properties_become_text_and_geometry_wkb(con, workdir, tmp_path):
    collection = {"type": "FeatureCollection", "features": [
        _feature({"name": "Oak", "n": 1, "x": 1.5, "ok": True, "opened": "2024-01-05",
                  "tags": {"k": [1, 2]}, "_id": "a"},
                 {"type": "Point", "coordinates": [-0.7252318, 51.9954830]}),
        _feature({"name": " ", "n": 2, "x": 2, "ok": False, "opened": None, "tags": None,
                  "_id": "b"}, None),
        _feature({"name": "Elm", "n": None, "x": 1e20, "ok": None, "opened": "2024-02-01",
                  "tags": None, "_id": "c"},
                 {"type": "Point", "coordinates": [-0.8348108, 52.0923728]}),
    ]}
    path = write(tmp_path, "places.geojson", json.dumps(collection))
    table = staged(con, path, workdir)
    assert table.format == "geojson"
    assert table.columns == ["name", "n", "x", "ok", "opened", "tags", "c_id"]
    assert (table.row_count, table.row_label, table.geometry_type) == (3, "feature", "Point")
    assert table.declared_types == {"n": "integer", "x": "number", "ok": "boolean"}
    assert raw_columns(con)[0] == ("_row", "BIGINT")
    assert raw_columns(con)[-1] == ("_geometry", "BLOB")
    rows = con.execute("SELECT * EXCLUDE (_geometry) FROM raw ORDER BY _row").fetchall()
    assert rows == [(1, "Oak", "1", "1.5", "true", "2024-01-05", '{ "k": [ 1, 2 ] }', "a"),
                    (2, None, "2", "2.0", "false", None, None, "b"),
                    (3, "Elm", None, "1e+20", None, "2024-02-01", None, "c")]
    oak, missing, elm = geometries(con)
    assert missing is None  # a feature without geometry is kept
    assert shapely.get_coordinates(oak).tolist() == [[-0.7252318, 51.9954830]]
    assert shapely.get_coordinates(elm).tolist() == [[-0.8348108, 52.0923728]]


def test_a_single_geojson_feature(con, workdir, tmp_path):
    path = write(tmp_path, "one.geojson", json.dumps(
        _feature({"name": "Hall"}, {"type": "Point", "coordinates": [-0.75, 52.04]})))
    table = staged(con, path, workdir)
    assert table.row_count == 1
    assert con.execute("SELECT _row, name FROM raw").fetchall() == [(1, "Hall")]


def test_a_self_intersecting_polygon_is_refused_with_its_feature_and_reason(
        con, workdir, tmp_path):
    bow_tie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}
    path = write(tmp_path, "areas.geojson", json.dumps({"type": "FeatureCollection", "features": [
        _feature({"n": 1}, square), _feature({"n": 2}, bow_tie), _feature({"n": 3}, bow_tie)]}))
    error = refused(con, path, workdir)
    assert str(error).startswith("areas.geojson: feature 2 has an invalid geometry: "
                                 "Self-intersection[0.5 0.5] (2 invalid features)")


def test_a_geometry_gdal_cannot_read_is_refused_not_dropped(con, workdir, tmp_path):
    path = write(tmp_path, "odd.geojson", json.dumps({"type": "FeatureCollection", "features": [
        _feature({"n": 1}, {"type": "Point", "coordinates": [0, 0]}),
        _feature({"n": 2}, None),
        _feature({"n": 3}, {"type": "Blob", "coordinates": [1, 2]})]}))
    error = refused(con, path, workdir)
    assert "feature 3 has a geometry that cannot be read" in str(error)
    assert "Unknown geometry type" in str(error)


def test_geojson_with_a_british_national_grid_crs_is_reprojected(con, workdir, tmp_path):
    collection = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
        "features": [_feature({"n": i}, {"type": "Point", "coordinates": list(xy)})
                     for i, xy in enumerate(SCHOOLS_BNG)]}
    table = staged(con, write(tmp_path, "bng.geojson", json.dumps(collection)), workdir)
    assert any("Reprojected from OSGB36 / British National Grid (EPSG:27700)" in note
               for note in table.notes)
    _assert_schools_in_wgs84(geometries(con))


def test_the_real_gp_practices_geojson(con, workdir):
    path = POINTS / "mk_gp_practices_epraccur_2020-01.geojson"
    source = json.loads(path.read_text(encoding="utf-8"))["features"]
    table = staged(con, path, workdir)
    assert (table.row_count, table.geometry_type) == (28, "Point") == (len(source), "Point")
    assert table.columns == list(source[0]["properties"])
    first = con.execute("SELECT _row, org_code, name, close_date FROM raw ORDER BY _row "
                        "LIMIT 1").fetchone()
    assert first == (1, "E81050", "ASPLANDS MEDICAL CENTRE", None)
    for geometry, feature in zip(geometries(con), source, strict=True):
        expected = shapely.from_geojson(json.dumps(feature["geometry"]))
        assert shapely.equals_exact(geometry, expected, tolerance=1e-9)


def test_the_real_car_parks_mix_polygons_and_points(con, workdir):
    path = POINTS / "mk_osm_car_parks_2022.geojson"
    source = json.loads(path.read_text(encoding="utf-8"))["features"]
    table = staged(con, path, workdir)
    assert table.geometry_type == "mixed"
    assert table.row_count == len(source) == 1048
    staged_geometries = geometries(con)
    assert {g.geom_type for g in staged_geometries} == {"Point", "MultiPolygon"}
    for geometry, feature in zip(staged_geometries, source, strict=True):
        expected = shapely.from_geojson(json.dumps(feature["geometry"]))
        assert shapely.equals_exact(geometry, expected, tolerance=1e-9)
    other = con.execute("SELECT other FROM raw WHERE _row = 2").fetchone()[0]
    assert json.loads(other) == json.loads(source[1]["properties"]["other"])


# --- GeoPackage and Shapefile -------------------------------------------------------------

def _write_schools(path: Path, driver: str, *, layer: str | None = None,
                   crs: str | None = "EPSG:27700", xy=SCHOOLS_BNG) -> None:
    points = shapely.points([x for x, _ in xy], [y for _, y in xy])
    pyogrio.raw.write(
        path, geometry=shapely.to_wkb(points), geometry_type="Point", crs=crs, driver=driver,
        layer=layer, encoding="UTF-8" if driver == "ESRI Shapefile" else None,
        fields=["name", "pupils", "fsm", "opened"],
        field_data=[np.array(["Knowles Nursery", "Castlethorpe Fïrst"], dtype=object),
                    np.array([88, 32], dtype=np.int64), np.array([0.0, 12.5]),
                    np.array(["2024-01-05", "NaT"], dtype="datetime64[D]")])


def _assert_schools_in_wgs84(staged_geometries) -> None:
    lon, lat = BNG_TO_WGS84.transform([x for x, _ in SCHOOLS_BNG], [y for _, y in SCHOOLS_BNG])
    for geometry, expected_lon, expected_lat, published in zip(
            staged_geometries, lon, lat, SCHOOLS_LONLAT, strict=True):
        (x, y), = shapely.get_coordinates(geometry).tolist()
        assert abs(x - expected_lon) < 1e-9 and abs(y - expected_lat) < 1e-9
        # ... and within 1e-6 degrees (0.1 m) of the longitude/latitude GIAS publishes.
        assert abs(x - published[0]) < 1e-6 and abs(y - published[1]) < 1e-6


def test_a_geopackage_in_british_national_grid_is_reprojected(con, workdir, tmp_path):
    path = tmp_path / "schools.gpkg"
    _write_schools(path, "GPKG", layer="schools")
    _write_schools(path, "GPKG", layer="closed")
    table = staged(con, path, workdir)
    assert table.format == "gpkg"
    assert table.columns == ["name", "pupils", "fsm", "opened"]
    assert table.declared_types == {"name": "string", "pupils": "integer", "fsm": "number",
                                    "opened": "date"}
    assert table.geometry_type == "Point"
    assert "Read layer 'schools', the first of 2 (others: 'closed')" in table.notes
    rows = con.execute("SELECT * EXCLUDE (_geometry) FROM raw ORDER BY _row").fetchall()
    assert rows == [(1, "Knowles Nursery", "88", "0.0", "2024-01-05"),
                    (2, "Castlethorpe Fïrst", "32", "12.5", None)]
    _assert_schools_in_wgs84(geometries(con))


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def _shapefile_members(tmp_path: Path, *, crs="EPSG:27700", xy=SCHOOLS_BNG,
                       folder: str = "") -> dict[str, bytes]:
    source = tmp_path / "shp"
    source.mkdir(exist_ok=True)
    _write_schools(source / "schools.shp", "ESRI Shapefile", crs=crs, xy=xy)
    return {folder + f.name: f.read_bytes() for f in sorted(source.iterdir())}


def test_a_zipped_shapefile_in_british_national_grid_is_reprojected(con, workdir, tmp_path):
    members = _shapefile_members(tmp_path, folder="data/")
    members["__MACOSX/data/._schools.shp"] = b"resource fork"
    path = _zip(tmp_path / "schools.zip", members)
    table = staged(con, path, workdir)
    assert table.format == "shapefile"
    assert (table.row_count, table.row_label, table.geometry_type) == (2, "feature", "Point")
    assert table.declared_types == {"name": "string", "pupils": "integer", "fsm": "number",
                                    "opened": "date"}
    rows = con.execute("SELECT * EXCLUDE (_geometry) FROM raw ORDER BY _row").fetchall()
    assert rows == [(1, "Knowles Nursery", "88", "0.0", "2024-01-05"),
                    (2, "Castlethorpe Fïrst", "32", "12.5", None)]
    _assert_schools_in_wgs84(geometries(con))


def test_a_shapefile_without_prj_in_grid_metres_is_assumed_british_national_grid(
        con, workdir, tmp_path):
    members = {name: data for name, data in _shapefile_members(tmp_path).items()
               if not name.endswith(".prj")}
    table = staged(con, _zip(tmp_path / "noprj.zip", members), workdir)
    assert "The zip has no .prj file: the coordinates look like British National Grid " \
           "metres, so EPSG:27700 was assumed" in table.notes
    _assert_schools_in_wgs84(geometries(con))


def test_a_shapefile_without_prj_in_degrees_is_assumed_wgs84(con, workdir, tmp_path):
    members = {name: data for name, data in
               _shapefile_members(tmp_path, crs="EPSG:4326", xy=SCHOOLS_LONLAT).items()
               if not name.endswith(".prj")}
    table = staged(con, _zip(tmp_path / "lonlat.zip", members), workdir)
    assert any("look like longitude/latitude, so WGS84 (EPSG:4326) was assumed" in note
               for note in table.notes)
    assert [shapely.get_coordinates(g).tolist()[0] for g in geometries(con)] == [
        list(xy) for xy in SCHOOLS_LONLAT]


def test_a_zip_without_a_shapefile_lists_what_it_holds(con, workdir, tmp_path):
    path = _zip(tmp_path / "notes.zip", {"a.txt": b"hello", "b.dbf": b"x"})
    assert str(refused(con, path, workdir)) == (
        "notes.zip: the zip has no .shp file (found: a.txt, b.dbf)")


def test_a_shapefile_missing_its_dbf_is_refused(con, workdir, tmp_path):
    members = {n: d for n, d in _shapefile_members(tmp_path).items() if not n.endswith(".dbf")}
    error = refused(con, _zip(tmp_path / "part.zip", members), workdir)
    assert "the Shapefile 'schools.shp' is incomplete: the zip has no schools.dbf" in str(error)


@pytest.mark.parametrize("unsafe", ["../evil.shp", "/etc/evil.shp", "a/../../evil.shp",
                                    "C:\\evil.shp", "..\\evil.shp"])
def test_zip_members_with_unsafe_paths_are_refused_before_extraction(
        con, workdir, tmp_path, unsafe):
    members = _shapefile_members(tmp_path)
    members[unsafe] = b"x"
    error = refused(con, _zip(tmp_path / "slip.zip", members), workdir)
    assert f"unsafe path {unsafe!r}" in str(error)
    assert not workdir.exists() or not any(workdir.rglob("*.shp"))
    assert not (tmp_path / "evil.shp").exists()


def test_a_zip_bomb_is_refused_by_its_ratio_before_extraction(con, workdir, tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("bomb.shp", "w") as member:
            zeros = bytes(1 << 20)
            for _ in range(20):  # 20 MiB of zeros deflate to about 20 KiB
                member.write(zeros)
    error = refused(con, path, workdir)
    assert "the zip member 'bomb.shp' would expand" in str(error)
    assert "zip bomb" in str(error)
    assert not workdir.exists() or not any(workdir.rglob("*.shp"))


def test_a_zip_declaring_more_than_the_unpacked_limit_is_refused(con, workdir, tmp_path):
    path = _zip(tmp_path / "big.zip", _shapefile_members(tmp_path))
    error = refused(con, path, workdir, limits=Limits(max_unpacked_bytes=100))
    assert "the zip would unpack to" in str(error)
    assert "more than the 100 bytes allowed" in str(error)


def test_a_zip_lying_about_its_sizes_is_never_unpacked_beyond_them(con, workdir, tmp_path):
    members = {n: d for n, d in _shapefile_members(tmp_path).items() if n != "schools.cpg"}
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
        archive.writestr("schools.cpg", os.urandom(3 << 20))  # 3 MiB that will not compress
        archive.filelist[-1].file_size = 1000  # the central directory now says 1,000 bytes
    error = refused(con, path, workdir)
    assert "the zip is damaged" in str(error) or "more than it declares" in str(error)
    written = workdir / "shapefile" / "layer.cpg"
    assert not written.exists() or written.stat().st_size <= 1000


# --- Parquet ------------------------------------------------------------------------------

def test_parquet_values_are_rendered_so_they_cast_back_exactly(con, workdir, tmp_path):
    table = pa.table({
        "count": pa.array([1, None, -3], pa.int32()),
        "share": [0.1, 1e20, 3.0],
        "ok": [True, False, None],
        "day": pa.array([dt.date(2024, 1, 5), None, dt.date(1999, 12, 31)]),
        "at": pa.array([dt.datetime(2024, 1, 5, 10, 30), None,
                        dt.datetime(2024, 1, 5, 0, 0, 1, 500000)]),
        "name": ["Oak", "  ", ""],
        "tags": [[1, 2], None, []],
        "_id": ["a", "b", "c"],
    })
    pq.write_table(table, tmp_path / "t.parquet")
    result = staged(con, tmp_path / "t.parquet", workdir)
    assert result.format == "parquet"
    assert (result.row_count, result.row_label) == (3, "record")
    assert result.columns == ["count", "share", "ok", "day", "at", "name", "tags", "c_id"]
    assert result.declared_types == {"count": "integer", "share": "number", "ok": "boolean",
                                     "day": "date", "at": "datetime", "name": "string",
                                     "tags": "string", "c_id": "string"}
    assert raw(con) == [
        (1, "1", "0.1", "true", "2024-01-05", "2024-01-05T10:30:00", "Oak", "[1,2]", "a"),
        (2, None, "1e+20", "false", None, None, None, None, "b"),
        (3, "-3", "3.0", None, "1999-12-31", "2024-01-05T00:00:01.5", None, "[]", "c")]
    assert float("1e+20") == 1e20 and float("0.1") == 0.1


def test_a_parquet_file_without_rows_is_refused(con, workdir, tmp_path):
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), tmp_path / "none.parquet")
    assert "has columns but no records" in str(refused(con, tmp_path / "none.parquet", workdir))


# --- JSON -----------------------------------------------------------------------------------

RECORDS = [{"name": "Oak", "n": 1, "x": 1, "ok": True, "meta": {"k": [1, 2]}},
           {"x": 2.5, "name": "Elm", "opened": "2024-01-05", "ok": False, "n": 2},
           {"name": "  ", "mixed": 1, "n": None},
           {"name": "Ash", "mixed": "one", "list": [1, "a"]}]
EXPECTED_RECORD_ROWS = [
    (1, "Oak", "1", "1", "true", '{"k":[1,2]}', None, None, None),
    (2, "Elm", "2", "2.5", "false", None, "2024-01-05", None, None),
    (3, None, None, None, None, None, None, "1", None),
    (4, "Ash", None, None, None, None, None, "one", '[1,"a"]')]


def test_json_records_keys_in_first_seen_order_nested_values_as_json(con, workdir, tmp_path):
    table = staged(con, write(tmp_path, "rows.json", json.dumps(RECORDS)), workdir)
    assert table.format == "json"
    assert table.columns == ["name", "n", "x", "ok", "meta", "opened", "mixed", "list"]
    assert (table.row_count, table.row_label) == (4, "record")
    # Numbers and booleans are typed; text (even a date) and mixed values are not.
    assert table.declared_types == {"n": "integer", "x": "number", "ok": "boolean"}
    assert raw(con) == EXPECTED_RECORD_ROWS


@pytest.mark.parametrize("wrapper", ["data", "records"])
def test_json_records_wrapped_in_an_object(con, workdir, tmp_path, wrapper):
    path = write(tmp_path, "api.json", json.dumps({"count": 4, wrapper: RECORDS}))
    table = staged(con, path, workdir)
    assert f"Read the records in the {wrapper!r} list" in table.notes
    assert raw(con) == EXPECTED_RECORD_ROWS


def test_json_lines(con, workdir, tmp_path):
    path = write(tmp_path, "rows.jsonl", "\n".join(json.dumps(r) for r in RECORDS) + "\n")
    staged(con, path, workdir)
    assert raw(con) == EXPECTED_RECORD_ROWS


@pytest.mark.parametrize(("content", "message"), [
    ("[1, 2]", "record 1 is a number (1), not an object"),
    ('[{"a": 1}, "two"]', "record 2 is text (\"two\"), not an object"),
    ('{"a": 1, "b": [1]}', 'the JSON is one object without a "data" or "records" list '
                           "(its keys: 'a', 'b')"),
    ('"just text"', "it starts with '\"'"),
    ("[]", "the JSON list of records is empty"),
    ('[{"a": 1}, {"a": ', "not valid JSON"),
])
def test_json_that_is_not_a_list_of_records_is_refused(con, workdir, tmp_path, content, message):
    error = refused(con, write(tmp_path, "bad.json", content), workdir)
    assert message in str(error)


# --- Boundaries -----------------------------------------------------------------------------

def test_staging_replaces_the_previous_raw_table(con, workdir, tmp_path):
    staged(con, write(tmp_path, "one.csv", "a\n1\n2\n"), workdir)
    staged(con, write(tmp_path, "two.csv", "b,c\n3,4\n"), workdir)
    assert raw_columns(con) == [("_row", "BIGINT"), ("b", "VARCHAR"), ("c", "VARCHAR")]
    assert raw(con) == [(2, "3", "4")]


def test_the_datastore_imports_no_django():
    code = ("import importlib, pkgutil, sys; import commonground.datastore as d; "
            "[importlib.import_module(f'commonground.datastore.{m.name}') "
            " for m in pkgutil.iter_modules(d.__path__)]; "
            "print(len(sys.modules) > 100, 'django' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=REPO, check=True)
    assert result.stdout.strip() == "True False"


def test_a_column_called_rowid_is_renamed_not_fatal(tmp_path):
    con = duckdb.connect()
    path = tmp_path / "rowid.csv"
    path.write_text("rowid,name\n7,a\n8,b\n")
    work = tmp_path / "work"
    work.mkdir()
    staged = stage(con, path, filename="rowid.csv", workdir=work)
    assert staged.columns == ["rowid_2", "name"]
    assert con.execute("SELECT _row, rowid_2, name FROM raw ORDER BY _row").fetchall() == [
        (2, "7", "a"), (3, "8", "b")]


def test_a_geojson_with_one_zero_date_loads_and_reports_its_row(tmp_path):
    # the national charge point register writes "0000-00-00 00:00:00" for unknown dates
    from commonground.datastore.ingest import ingest_file

    features = [{"type": "Feature", "geometry": {"type": "Point",
                                                  "coordinates": [-0.75 + i / 1000, 52.04]},
                 "properties": {"name": f"Charger {i}",
                                "datecreated": ("0000-00-00 00:00:00" if i == 7
                                                else f"2021-03-{1 + i:02d} 09:30:00")}}
                for i in range(25)]
    source = tmp_path / "chargers.geojson"
    source.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    (tmp_path / "work").mkdir()
    outcome = ingest_file(source, filename="chargers.geojson", dest=tmp_path / "v.parquet",
                          workdir=tmp_path / "work", gazetteer=None)
    assert outcome.ok and outcome.row_count == 25 and outcome.parquet.exists()
    assert outcome.to_dict()["validation"]["emptied"] == [
        {"row": 8, "column": "datecreated", "value": "0000-00-00 00:00:00"}]
    dates = pq.read_table(outcome.parquet, columns=["datecreated"]).column(0).to_pylist()
    assert dates[7] is None and dates[0] is not None and sum(d is None for d in dates) == 1
