"""The version streams from DuckDB to the Parquet file one row group at a time, with the
place links set beside each: however the rows are cut, the file has the same rows in the same
order and the same types, and place codes read back as text."""

from __future__ import annotations

import duckdb
import pyarrow as pa
import pytest

from commonground.catalogue.models import IngestJob
from commonground.datastore import ingest

pytestmark = pytest.mark.django_db

FILES = ["points/mk_schools_gias_2025-05.csv",  # coordinates
         "points/mk_gp_practices_epraccur_2020-01.geojson"]  # geometry


def _version(job: IngestJob) -> tuple[list[tuple], list]:
    assert job.status == IngestJob.Status.DONE, job.error or job.report
    rel = duckdb.sql(f"SELECT * FROM read_parquet('{job.version.parquet_path}')")
    return list(zip(rel.columns, rel.types, strict=True)), rel.fetchall()


@pytest.mark.parametrize("name", FILES)
def test_the_version_is_the_same_however_the_rows_are_cut(
        loaded, make_dataset, ingest_path, data_dir, monkeypatch, name):
    whole = _version(ingest_path(make_dataset("whole"), data_dir / name))  # one row group
    monkeypatch.setattr(ingest, "ROW_GROUP_SIZE", 7)  # many, even for small files
    streamed = _version(ingest_path(make_dataset("streamed"), data_dir / name))
    assert streamed == whole
    columns, rows = streamed
    types = dict(columns)
    assert types["_lsoa21"] == "VARCHAR" and types["_linked_by"] == "VARCHAR"
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))  # _id in file order


def test_a_connection_writes_several_files_with_the_same_codes(tmp_path):
    con = duckdb.connect()
    codes = pa.DictionaryArray.from_arrays(pa.array([0, 1, None, 1]),
                                           pa.array(["E01000001", "O'Brien ward"]))
    table = pa.table({"_id": [1, 2, 3, 4], "_ward": codes})
    enums = {"_ward": codes.dictionary.to_pylist()}
    for n in (1, 2):
        ingest.write_parquet(con, table, tmp_path / f"v{n}.parquet", enums=enums)
    got = duckdb.sql(f"SELECT _ward FROM '{tmp_path / 'v2.parquet'}' ORDER BY _id").fetchall()
    assert got == [("E01000001",), ("O'Brien ward",), (None,), ("O'Brien ward",)]
