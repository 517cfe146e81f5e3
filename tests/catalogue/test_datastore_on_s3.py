"""Dataset versions in an S3-compatible object store (``COMMONGROUND_DATASTORE=s3://...``).

A real S3 server (moto's, on 127.0.0.1 and a free port) stands in for the store; the hub
reaches it as it would reach MinIO or AWS, through s3fs with an endpoint and keys from the
environment. A real CSV is published through the normal ingest service, then read back
through the row API, the dataset page and the downloads, and the version object is read by
plain pyarrow and DuckDB, without Common Ground.
"""

from __future__ import annotations

import csv
import io
import json
import socket
import uuid

import pytest

pytest.importorskip("s3fs")
moto_server = pytest.importorskip("moto.server")

import duckdb  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import s3fs  # noqa: E402

from commonground.catalogue.models import IngestJob, Version  # noqa: E402

pytestmark = pytest.mark.django_db

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def store(settings, monkeypatch, tmp_path):
    """An empty bucket on a local S3 server, and the hub's datastore pointed at it: yields
    the store's file system and the bucket (a new one each time: moto's buckets live as long
    as the process)."""
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    for name, value in {"AWS_ACCESS_KEY_ID": "hub-key", "AWS_SECRET_ACCESS_KEY": "hub-secret",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "COMMONGROUND_S3_ENDPOINT_URL": endpoint}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    fs = s3fs.S3FileSystem(endpoint_url=endpoint, skip_instance_cache=True,
                           use_listings_cache=False)
    bucket = f"hub-{uuid.uuid4().hex[:12]}"
    fs.mkdir(bucket)
    settings.COMMONGROUND_DATASTORE = f"s3://{bucket}/mk"
    settings.COMMONGROUND_DATASTORE_LOCAL = tmp_path / "local"
    try:
        yield fs, bucket
    finally:
        server.stop()


@pytest.fixture
def schools_csv(data_dir):
    return data_dir / "points" / "mk_schools_gias_2025-05.csv"


def source_rows(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def ckan(client, action: str, **params) -> dict:
    response = client.get(f"/api/3/action/{action}", params)
    body = (b"".join(response.streaming_content) if response.streaming else response.content)
    return json.loads(body)


def test_a_published_csv_lives_in_the_store_and_reads_back_everywhere(
        client, loaded, make_dataset, ingest_path, store, schools_csv, settings):
    store, bucket = store
    source = source_rows(schools_csv)
    job = ingest_path(make_dataset("schools"), schools_csv)
    assert job.status == IngestJob.Status.DONE, job.error or job.report
    version = job.version
    key = f"{bucket}/mk/{version.parquet}"
    assert version.parquet_path == f"s3://{key}"
    # The version and the original are objects in the bucket; nothing of them stays on disk.
    assert store.exists(key) and store.size(key) == version.size
    assert store.cat(f"{bucket}/mk/{version.original}") == schools_csv.read_bytes()
    local = settings.COMMONGROUND_DATASTORE_LOCAL
    assert not [p for p in local.rglob("*") if p.is_file()]

    # The row API and the dataset page read it from the store.
    resource = job.resource
    api = client.get(f"/api/catalogue/resources/{resource.id}/rows",
                     {"sort": "urn", "fields": "urn,establishment_name", "limit": "3"}).json()
    assert api["total"] == len(source)
    first = sorted(source, key=lambda s: int(s["urn"]))[:3]
    assert [r["urn"] for r in api["rows"]] == [int(s["urn"]) for s in first]
    page = client.get(resource.get_absolute_url()).content.decode()
    assert f"of {len(source):,}" in page and source[0]["establishment_name"] in page

    # CKAN's SQL endpoint reads it in its locked-down DuckDB; other keys stay out of reach.
    phases = {}
    for s in source:
        phases[s["education_phase"]] = phases.get(s["education_phase"], 0) + 1
    sql = (f'SELECT education_phase, count(*) AS n FROM "{resource.id}" '
           "GROUP BY 1 ORDER BY 1")
    answer = ckan(client, "datastore_search_sql", sql=sql)
    assert answer["success"], answer
    assert {r["education_phase"]: r["n"] for r in answer["result"]["records"]} == phases
    sneaky = f"SELECT * FROM read_parquet('s3://{bucket}/mk/{version.original}')"
    refused = ckan(client, "datastore_search_sql", sql=sneaky)
    assert not refused["success"] and "read_parquet() is not allowed" in str(refused["error"])

    # The lens reads it from the store too: its rows per decile add up to the rows counted
    # per area at ingest (from the local file, before it was put in the store).
    lens = client.get("/api/catalogue/datasets/schools/lens")
    assert lens.status_code == 200, lens.content
    in_areas = sum(version.areas.filter(geography="lsoa21").values_list("rows", flat=True))
    deciles = lens.json()["deprivation"]["tables"]["imd-decile"]["rows"]
    assert sum(r["measure"] for r in deciles) == lens.json()["measure"]["rows_in_areas"] \
        == in_areas == len(source)

    # Downloads: CSV row for row, and the original file byte for byte.
    base = f"/datasets/schools/resources/{resource.id}/v1/download."
    text = b"".join(client.get(base + "csv").streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["urn"] for r in table] == [s["urn"] for s in source]
    original = b"".join(client.get(base + "original").streaming_content)
    assert original == schools_csv.read_bytes()

    # Any Parquet engine reads the object with nothing but the store's file system.
    table = pq.read_table(key, filesystem=store)
    assert table.num_rows == len(source)
    assert table.column("urn").to_pylist() == [int(s["urn"]) for s in source]
    con = duckdb.connect()
    con.register_filesystem(store)
    linked = con.execute("SELECT count(*) FROM read_parquet(?) WHERE _lsoa21 IS NOT NULL",
                         [f"s3://{key}"]).fetchone()[0]
    assert linked == version.report["links"]["linked"] == len(source)


def test_a_version_that_fails_to_be_recorded_leaves_nothing_in_the_store(
        loaded, make_dataset, ingest_path, store, schools_csv, monkeypatch):
    from commonground.catalogue.services import ingest

    store, bucket = store

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ingest, "_record", refuse)  # after the files were put in the store
    job = ingest_path(make_dataset("schools"), schools_csv)
    assert job.status == IngestJob.Status.FAILED
    assert not Version.objects.exists()
    assert store.find(bucket) == []


def test_the_sweep_deletes_what_a_killed_ingest_put_in_the_store(make_dataset, store):
    import datetime as dt

    from django.utils import timezone

    from commonground.catalogue.models import Resource
    from commonground.catalogue.services import reclaim

    store, bucket = store
    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    jobs = {status: IngestJob.objects.create(
        resource=resource, filename="big.csv", status=IngestJob.Status.RUNNING,
        updated=timezone.now() - age) for status, age in
        (("dead", reclaim.STALE_AFTER + dt.timedelta(seconds=5)), ("live", dt.timedelta(0)))}
    keys = {status: f"{bucket}/mk/{resource.dataset_id}/{resource.id}/job-{job.id}/data.parquet"
            for status, job in jobs.items()}
    for key in keys.values():  # put, and then the worker was killed before recording it
        store.pipe(key, b"PAR1")
    assert [job.pk for job in reclaim.fail_stale_jobs()] == [jobs["dead"].pk]
    assert not store.exists(keys["dead"])
    assert store.exists(keys["live"])  # a running job's files are its own
