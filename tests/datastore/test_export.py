"""Downloads of a version: CSV, GeoJSON, XLSX and Parquet, streamed from the Parquet file.

Run with ``.venv/bin/python -m pytest tests/datastore/test_export.py -q`` (add ``-s`` to see
the timing and peak memory of the million-row stream).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import subprocess
import sys
import textwrap

import duckdb
import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from commonground.datastore import export
from commonground.datastore.errors import IngestError
from commonground.geography.projection import lonlat_to_bng

NAMES = ['=HYPERLINK("http://x")', "+44 1908", "-minus", "@sum", "\tcmd", "\rcmd",
         'plain, "quoted"\nline', None]
MK_POINT = (485_600.0, 238_400.0)  # BNG metres, in Milton Keynes


def write_version(path, data: dict[str, pa.Array], system: dict[str, pa.Array]):
    """A version file in the datastore's layout: _id, _row, data columns, system columns."""
    n = len(next(iter(data.values())))
    columns = {"_id": pa.array(range(1, n + 1), pa.int64()),
               "_row": pa.array(range(2, n + 2), pa.int64()), **data, **system}
    pq.write_table(pa.table(columns), path)
    return path


@pytest.fixture
def version(tmp_path):
    data = {
        "name": pa.array(NAMES, pa.string()),
        "-change": pa.array([-3, 10, None, 0, 7, 8, 9, -1], pa.int64()),
        "Größe (m²)": pa.array([1.5, math.nan, -0.25, None, 2.0, 1e20, 0.1, 3.0], pa.float64()),
        "opened": pa.array([dt.date(2024, 1, 31), None, dt.date(1999, 12, 31)] + [None] * 5,
                           pa.date32()),
        "visited": pa.array([dt.datetime(2024, 1, 31, 12), dt.datetime(2024, 2, 1, 8, 30, 0, 250000)]
                            + [None] * 6, pa.timestamp("us")),
        "open": pa.array([True, False, None, True, True, True, True, True], pa.bool_()),
    }
    system = {
        "_lsoa21": pa.array(["E01000001", "E01000002"] + [None] * 6, pa.string()),
        "_ward": pa.array(["E05000001", None] + [None] * 6, pa.string()),
        "_linked_by": pa.array(["geometry", "coordinates"] + [None] * 6, pa.string()),
        "_easting": pa.array([485_000.0, MK_POINT[0]] + [None] * 6, pa.float64()),
        "_northing": pa.array([238_000.0, MK_POINT[1]] + [None] * 6, pa.float64()),
        "_geometry": pa.array([shapely.Point(-0.76, 52.04).wkb] + [None] * 7, pa.binary()),
    }
    return write_version(tmp_path / "v1.parquet", data, system)


def read_csv(chunks, encoding="utf-8") -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(chunks).decode(encoding), newline="")))


# CSV ---------------------------------------------------------------------------------------

def test_csv_has_the_default_columns_and_neutralised_text(version):
    rows = read_csv(export.csv_chunks(version))
    assert rows[0] == ["_id", "name", "'-change", "Größe (m²)", "opened", "visited", "open",
                       "_lsoa21", "_ward", "_linked_by", "_easting", "_northing"]
    assert [r[1] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'+44 1908", "'-minus",
                                        "'@sum", "'\tcmd", "'\rcmd", 'plain, "quoted"\nline', ""]
    assert rows[1] == ["1", '\'=HYPERLINK("http://x")', "-3", "1.5", "2024-01-31",
                       "2024-01-31T12:00:00", "true", "E01000001", "E05000001", "geometry",
                       "485000", "238000"]
    assert rows[2][2:7] == ["10", "", "", "2024-02-01T08:30:00.250000", "false"]  # NaN is empty
    assert rows[3][2:7] == ["", "-0.25", "1999-12-31", "", ""]  # NULLs are empty
    assert [r[3] for r in rows[5:]] == ["2", "1e+20", "0.1", "3"]
    assert len(rows) == 9


def test_csv_text_is_rfc4180_with_crlf_and_quotes_only_where_needed(version):
    text = b"".join(export.csv_chunks(version)).decode()
    lines = text.split("\r\n")
    assert lines[0] == "_id,name,'-change,Größe (m²),opened,visited,open,_lsoa21,_ward,_linked_by,_easting,_northing"
    assert lines[1].startswith('1,"\'=HYPERLINK(""http://x"")",-3,1.5,')
    assert lines[2].startswith("2,'+44 1908,10,,,")
    assert lines[6].startswith('6,"\'\rcmd",8,')  # a carriage return forces quotes
    assert lines[7].startswith('7,"plain, ""quoted""\nline",9,')
    assert text.endswith("\r\n") and not text.startswith("\ufeff")


def test_csv_byte_order_mark_is_optional(version):
    with_bom = b"".join(export.csv_chunks(version, bom=True))
    assert with_bom.startswith(b"\xef\xbb\xbf")
    assert with_bom[3:] == b"".join(export.csv_chunks(version))


def test_csv_columns_can_be_chosen_and_are_checked_at_call_time(version):
    rows = read_csv(export.csv_chunks(version, ["open", "_row", "name"]))
    assert rows[:3] == [["open", "_row", "name"], ["true", "2", '\'=HYPERLINK("http://x")'],
                        ["false", "3", "'+44 1908"]]
    with pytest.raises(ValueError, match="unknown column"):
        export.csv_chunks(version, ["name", "nope"])
    with pytest.raises(ValueError, match="GeoJSON"):
        export.csv_chunks(version, ["_geometry"])


def test_csv_of_a_version_without_rows_is_its_header(tmp_path):
    path = write_version(tmp_path / "empty.parquet", {"a b": pa.array([], pa.string())}, {})
    assert b"".join(export.csv_chunks(path)) == b'_id,a b\r\n'


def test_csv_tells_empty_text_from_null(tmp_path):
    path = write_version(tmp_path / "blank.parquet", {"a": pa.array(["", None, "x"])}, {})
    assert b"".join(export.csv_chunks(path)) == b'_id,a\r\n1,""\r\n2,\r\n3,x\r\n'


def test_rechunk_yields_equal_chunks_whatever_the_pieces():
    pieces = [b"a" * 5, b"b" * 1, b"c" * 17, b"", b"d" * 3]
    chunks = list(export._rechunk(pieces, size=4))
    assert b"".join(chunks) == b"".join(pieces)
    assert [len(c) for c in chunks] == [4, 4, 4, 4, 4, 4, 2]


# GeoJSON -----------------------------------------------------------------------------------

def test_geojson_features_carry_geometry_and_properties(version):
    collection = json.loads(b"".join(export.geojson_chunks(version)))
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert [f["id"] for f in features] == list(range(1, 9))
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [-0.76, 52.04]}  # WKB
    assert features[0]["properties"] == {
        "name": '=HYPERLINK("http://x")', "-change": -3, "Größe (m²)": 1.5,
        "opened": "2024-01-31", "visited": "2024-01-31T12:00:00", "open": True,
        "_lsoa21": "E01000001", "_ward": "E05000001"}
    assert features[1]["properties"]["Größe (m²)"] is None  # NaN
    assert features[1]["properties"]["visited"] == "2024-02-01T08:30:00.250000"
    assert features[7]["properties"]["name"] is None
    assert all(f["geometry"] is None for f in features[2:])


def test_geojson_point_from_easting_northing_is_lon_lat(version):
    second = json.loads(b"".join(export.geojson_chunks(version)))["features"][1]
    lon, lat = second["geometry"]["coordinates"]
    assert -0.85 < lon < -0.65 and 51.95 < lat < 52.15  # Milton Keynes, lon first
    assert all(len(repr(v).split(".")[1]) <= 7 for v in (lon, lat))
    east, north = lonlat_to_bng([lon], [lat])
    assert abs(east[0] - MK_POINT[0]) < 0.05 and abs(north[0] - MK_POINT[1]) < 0.05


def test_geojson_without_a_geometry_column_uses_easting_northing(tmp_path):
    path = write_version(tmp_path / "points.parquet", {"n": pa.array([1, 2], pa.int64())}, {
        "_easting": pa.array([MK_POINT[0], None]), "_northing": pa.array([MK_POINT[1], None])})
    features = json.loads(b"".join(export.geojson_chunks(path)))["features"]
    assert features[0]["geometry"]["type"] == "Point" and features[1]["geometry"] is None
    assert [f["properties"] for f in features] == [{"n": 1}, {"n": 2}]


def test_geojson_polygons_and_empty_properties(tmp_path):
    square = shapely.box(-0.8, 52.0, -0.7, 52.1)
    table = pa.table({"_id": pa.array([1], pa.int64()), "_row": pa.array([2], pa.int64()),
                      "_geometry": pa.array([square.wkb], pa.binary())})
    path = tmp_path / "areas.parquet"
    pq.write_table(table, path)
    feature = json.loads(b"".join(export.geojson_chunks(path)))["features"][0]
    assert feature["properties"] == {}
    assert shapely.geometry.shape(feature["geometry"]).equals(square)


# XLSX --------------------------------------------------------------------------------------

def test_xlsx_has_text_cells_not_formulas_and_real_dates(version, tmp_path):
    dest = export.xlsx_file(version, tmp_path / "out.xlsx")
    sheet = openpyxl.load_workbook(dest)["data"]
    rows = [list(r) for r in sheet.iter_rows()]
    assert [c.value for c in rows[0]] == ["_id", "name", "'-change", "Größe (m²)", "opened",
                                          "visited", "open", "_lsoa21", "_ward", "_linked_by",
                                          "_easting", "_northing"]
    names = [r[1] for r in rows[1:]]
    # XML reads a bare carriage return back as a line feed, hence "\n" in the 6th.
    assert [c.value for c in names] == ['\'=HYPERLINK("http://x")', "'+44 1908", "'-minus",
                                        "'@sum", "'\tcmd", "'\ncmd", 'plain, "quoted"\nline',
                                        None]
    assert all(c.data_type == "s" for c in names[:7])
    first = [c.value for c in rows[1]]
    assert first[2:4] == [-3, 1.5] and rows[1][2].data_type == "n"
    assert rows[1][4].is_date and first[4] == dt.datetime(2024, 1, 31)
    assert rows[2][5].is_date and rows[2][5].value == dt.datetime(2024, 2, 1, 8, 30, 0, 250000)
    assert first[6] is True and rows[2][6].value is False
    assert rows[2][3].value is None  # NaN
    assert len(rows) == 9 and not (tmp_path / "out.xlsx.partial").exists()


def test_xlsx_refuses_more_rows_than_a_sheet_holds(tmp_path):
    path = tmp_path / "big.parquet"
    duckdb.execute(f"COPY (SELECT i AS _id, i + 1 AS _row, i AS n FROM range(1, 1048577) t(i)) "
                   f"TO '{path}' (FORMAT parquet)")
    with pytest.raises(IngestError, match="too many rows for a spreadsheet: 1048576; download"):
        export.xlsx_file(path, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()


def test_xlsx_row_limit_counts_the_header(version, tmp_path, monkeypatch):
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 9)  # 8 rows + header fit exactly
    assert export.xlsx_file(version, tmp_path / "fits.xlsx").is_file()
    monkeypatch.setattr(export, "XLSX_MAX_ROWS", 8)
    with pytest.raises(IngestError, match="too many rows for a spreadsheet: 8"):
        export.xlsx_file(version, tmp_path / "over.xlsx")


def test_xlsx_cleans_characters_xml_forbids(tmp_path):
    path = write_version(tmp_path / "odd.parquet", {"t": pa.array(["a\x00b\x1fc\td"])}, {})
    sheet = openpyxl.load_workbook(export.xlsx_file(path, tmp_path / "odd.xlsx"))["data"]
    assert sheet["B2"].value == "a\ufffdb\ufffdc\td"


# Parquet and formats -----------------------------------------------------------------------

def test_parquet_is_the_file_as_stored(version):
    assert b"".join(export.parquet_chunks(version)) == version.read_bytes()
    with pytest.raises(FileNotFoundError):
        export.parquet_chunks(version.with_name("missing.parquet"))


def test_formats_give_content_type_and_extension():
    assert export.FORMATS["csv"] == ("text/csv; charset=utf-8", "csv")
    assert export.FORMATS["geojson"] == ("application/geo+json", "geojson")
    assert export.FORMATS["parquet"][1] == "parquet"
    assert export.FORMATS["xlsx"][0].endswith("spreadsheetml.sheet")


# Streaming ---------------------------------------------------------------------------------

STREAM = textwrap.dedent("""
    import json, resource, sys, time
    from commonground.datastore import diff, export, profile  # none may import Django
    start = time.perf_counter()
    sizes, lines = [], 0
    for chunk in export.csv_chunks(sys.argv[1]):
        sizes.append(len(chunk))
        lines += chunk.count(b"\\n")  # CRLF may straddle two chunks; LF cannot
    print(json.dumps({"chunks": len(sizes), "lines": lines, "sizes": sorted(set(sizes[:-1])),
                      "seconds": time.perf_counter() - start,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "django": "django" in sys.modules}))
""")


def test_a_million_rows_stream_in_bounded_chunks(tmp_path):
    path = tmp_path / "million.parquet"
    duckdb.execute(f"""COPY (SELECT i AS _id, i + 1 AS _row, 'name ' || i AS name,
                              (i % 1000) - 500 AS value, i / 7 AS ratio,
                              DATE '2020-01-01' + (i % 1000)::INTEGER AS day,
                              'E0' || (i % 500) AS _lsoa21, 'postcode' AS _linked_by,
                              480000.0::DOUBLE + i % 1000 AS _easting,
                              230000.0::DOUBLE + i % 1000 AS _northing
                       FROM range(1, 1000001) t(i))
                       TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)""")
    out = subprocess.run([sys.executable, "-c", STREAM, str(path)], capture_output=True,
                         text=True, check=True)
    result = json.loads(out.stdout)
    print(f"\n1,000,000-row CSV: {result['chunks']} chunks in {result['seconds']:.2f} s, "
          f"peak RSS {result['peak_rss_mb']:.0f} MB")
    assert result["lines"] == 1_000_001
    assert result["chunks"] > 1000 and result["sizes"] == [export.CHUNK_SIZE]
    assert result["django"] is False


def test_numbers_are_not_neutralised_even_when_negative():
    assert export._csv_field(pa.array([-3, None], pa.int64())).to_pylist() == ["-3", None]
    assert export._csv_field(pa.array(["-3"])).to_pylist() == ["'-3"]
    values = np.array([-0.5, math.inf])
    assert export._csv_field(pa.array(values)).to_pylist() == ["-0.5", "inf"]
