"""A killed ingest is reclaimed by the sweep: its job fails with a plain message and its
files go; live jobs' files, and uploads kept for a re-check, stay."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid

import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.utils import timezone

from commonground.catalogue.models import IngestJob, Resource, Version
from commonground.catalogue.services import ingest, reclaim

pytestmark = pytest.mark.django_db

LONG_AGO = dt.timedelta(days=1)


def _job(resource, status, *, heartbeat_age=dt.timedelta(0), **fields) -> IngestJob:
    return IngestJob.objects.create(resource=resource, filename="big.csv", status=status,
                                    updated=timezone.now() - heartbeat_age, **fields)


def _files_of(job: IngestJob, datastore) -> list:
    """What an ingest has on disk while it runs: its staged upload, its unfinished version
    folder and its scratch folder (DuckDB's spill files)."""
    upload = datastore / "uploads" / str(job.id) / "big.csv"
    version = (datastore / str(job.resource.dataset_id) / str(job.resource_id)
               / f"job-{job.id}" / "data.parquet.partial")
    scratch = datastore / "tmp" / f"{reclaim.workdir_prefix(job.id)}x1y2" / "duckdb.tmp"
    for path in (upload, version, scratch):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    job.upload = f"uploads/{job.id}/big.csv"
    job.save(update_fields=["upload"])
    return [upload, version, scratch]


def _age(path, by: dt.timedelta) -> None:
    then = (timezone.now() - by).timestamp()
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.utime(os.path.join(root, name), (then, then))
    os.utime(path, (then, then))


def test_a_job_whose_worker_died_is_failed_and_its_files_deleted_by_the_sweep(
        loaded, make_dataset, datastore_in_tmp, client, people):
    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    dead = _job(resource, IngestJob.Status.RUNNING,
                heartbeat_age=reclaim.STALE_AFTER + dt.timedelta(seconds=5))
    live = _job(resource, IngestJob.Status.RUNNING,
                heartbeat_age=reclaim.HEARTBEAT_EVERY)  # last beat one beat ago
    waiting = _job(resource, IngestJob.Status.QUEUED, heartbeat_age=LONG_AGO)
    dead_files = _files_of(dead, datastore_in_tmp)
    kept = _files_of(live, datastore_in_tmp) + _files_of(waiting, datastore_in_tmp)

    call_command("reclaim_ingests", stdout=open(os.devnull, "w"))

    dead.refresh_from_db()
    assert dead.status == IngestJob.Status.FAILED and dead.finished is not None
    assert dead.error == ("The worker stopped while ingesting this file (it may have been "
                          "restarted). Nothing was changed; upload the file again.")
    assert not any(p.exists() for p in dead_files)
    assert not (datastore_in_tmp / "uploads" / str(dead.id)).exists()
    assert all(p.exists() for p in kept)
    assert IngestJob.objects.get(pk=live.pk).status == IngestJob.Status.RUNNING
    # The job page now says it failed, and no longer waits for it.
    client.force_login(people["editor"])
    page = client.get(f"/ingest/{dead.id}/").content.decode()
    assert "The file could not be used" in page and "upload the file again" in page
    assert "<progress" not in page and 'http-equiv="refresh"' not in page
    assert client.get(f"/ingest/{dead.id}/status").json()["status"] == "failed"


def test_files_no_live_job_accounts_for_are_deleted_once_unchanged_for_long(
        loaded, make_dataset, datastore_in_tmp):
    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    invalid = _job(resource, IngestJob.Status.INVALID, heartbeat_age=LONG_AGO)
    done = _job(resource, IngestJob.Status.DONE, heartbeat_age=LONG_AGO)
    failed = _job(resource, IngestJob.Status.FAILED, heartbeat_age=LONG_AGO)
    invalid_files = _files_of(invalid, datastore_in_tmp)
    done_files = _files_of(done, datastore_in_tmp)
    failed_files = _files_of(failed, datastore_in_tmp)
    Version.objects.create(
        resource=resource, number=1, row_count=0, size=0, sha256="0", schema=[], report={},
        parquet=done_files[1].relative_to(datastore_in_tmp).as_posix(), original="",
        original_name="big.csv", original_sha256="0", original_size=0, format="csv")
    tmp = datastore_in_tmp / "tmp"
    old_upload_temp = tmp / "tmpa1b2c3.upload.csv"  # Django's, from a killed web worker
    new_upload_temp = tmp / "tmpd4e5f6.upload.csv"  # one being received now
    no_job = datastore_in_tmp / "uploads" / str(uuid.uuid4())
    for path in (old_upload_temp, new_upload_temp, no_job / "x.csv"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 1000)
    _age(old_upload_temp, reclaim.ORPHAN_AFTER + dt.timedelta(minutes=1))
    _age(no_job, reclaim.ORPHAN_AFTER + dt.timedelta(minutes=1))

    shutil.rmtree(datastore_in_tmp / "scoped", ignore_errors=True)  # other tests' copies
    done_sweep = reclaim.reclaim_ingests()

    # Uploads of INVALID and FAILED jobs are kept: "check again" re-reads them.
    assert invalid_files[0].exists() and failed_files[0].exists()
    assert not done_files[0].exists()  # the DONE job's upload: its version keeps the original
    assert done_files[1].exists()  # ... in its version folder, which stays
    # Unfinished version folders and scratch folders of finished jobs go.
    assert not invalid_files[1].parent.exists() and not failed_files[1].parent.exists()
    assert not any(files[2].exists() for files in (invalid_files, done_files, failed_files))
    assert not old_upload_temp.exists() and not no_job.exists()
    assert new_upload_temp.exists()
    assert done_sweep.jobs == 0 and done_sweep.paths == 8 and done_sweep.bytes == 8000


def test_the_worker_sweeps_after_an_ingest_and_again_every_few_minutes(
        loaded, make_dataset, data_dir, datastore_in_tmp, django_capture_on_commit_callbacks,
        run_worker):
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    dead = _job(resource, IngestJob.Status.RUNNING, heartbeat_age=LONG_AGO)
    dead_files = _files_of(dead, datastore_in_tmp)
    path = data_dir / "points" / "mk_schools_gias_2025-05.csv"
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, [f.read()], filename=path.name)
    with django_capture_on_commit_callbacks(execute=True):
        ingest.start(job, background=True)
    run_worker()  # nobody opens a page

    assert IngestJob.objects.get(pk=job.pk).status == IngestJob.Status.DONE
    assert IngestJob.objects.get(pk=dead.pk).status == IngestJob.Status.FAILED
    assert not any(p.exists() for p in dead_files)
    sweeps = DBTaskResult.objects.filter(task_path=reclaim.reclaim_task.module_path)
    waiting = sweeps.get(status=TaskResultStatus.READY)  # exactly one, however many ingests
    due = waiting.run_after - timezone.now()
    assert reclaim.SWEEP_EVERY - dt.timedelta(minutes=1) < due <= reclaim.SWEEP_EVERY
    reclaim.schedule_sweep()  # another job starting: one is already waiting
    assert sweeps.filter(status=TaskResultStatus.READY).count() == 1


def test_a_job_the_sweep_marked_failed_makes_no_version_even_if_its_worker_lives_on(
        loaded, make_dataset, data_dir):
    """A worker stalled past the limit (suspended, say) that wakes after the sweep has
    deleted its files must not record a version pointing at them."""
    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    path = data_dir / "points" / "mk_schools_gias_2025-05.csv"
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, [f.read()], filename=path.name)

    def swept_meanwhile(fraction, message):
        if fraction >= 1.0:  # the file is written; the version is recorded next
            IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.FAILED,
                                                       error=reclaim.WORKER_STOPPED)

    job = ingest.run_job(job.id, on_progress=swept_meanwhile)
    assert job.status == IngestJob.Status.FAILED and "upload it again" in job.error
    assert not Version.objects.filter(resource=resource).exists()
    assert Resource.objects.get(pk=resource.pk).current_version is None


def test_the_heartbeat_keeps_a_running_job_alive_and_never_revives_a_failed_one(
        loaded, make_dataset):
    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    running = _job(resource, IngestJob.Status.RUNNING, heartbeat_age=LONG_AGO)
    failed = _job(resource, IngestJob.Status.FAILED, heartbeat_age=LONG_AGO)
    for job in (running, failed):
        reclaim.Heartbeat(job.id).beat()
    assert timezone.now() - IngestJob.objects.get(pk=running.pk).updated < reclaim.STALE_AFTER
    assert not reclaim.fail_stale_jobs()
    assert timezone.now() - IngestJob.objects.get(pk=failed.pk).updated > LONG_AGO / 2


def test_scoped_copies_go_when_unused_for_long_or_their_version_is_gone(
        loaded, make_dataset, datastore_in_tmp):
    """A grantee's download writes the part of the version they may read to ``scoped/``
    once and reuses it, each use keeping it; the sweep deletes copies unused for
    SCOPED_UNUSED_FOR and copies of deleted versions, and a copy deleted by the sweep is
    simply written again by the next download."""
    import duckdb

    from commonground.catalogue.version_views import scoped_file
    from commonground.datastore.scope import RowScope

    resource = Resource.objects.create(dataset=make_dataset("schools"), name="Schools")
    parquet = datastore_in_tmp / str(resource.dataset_id) / str(resource.id) / "v1.parquet"
    parquet.parent.mkdir(parents=True, exist_ok=True)
    duckdb.execute(f"COPY (SELECT i AS _id, i AS _row, 'school ' || i AS name, i AS pupils "
                   f"FROM range(10) t(i)) TO '{parquet}' (FORMAT parquet)")
    version = Version.objects.create(
        resource=resource, number=1, row_count=10, size=0, sha256="a" * 64, schema=[],
        report={}, parquet=parquet.relative_to(datastore_in_tmp).as_posix(), original="",
        original_name="v1.csv", original_sha256="0", original_size=0, format="csv")
    names_only, pupils_only = (RowScope(columns=frozenset({c})) for c in ("name", "pupils"))
    used = scoped_file(version, names_only)
    unused = scoped_file(version, pupils_only)
    assert scoped_file(version, names_only) == used  # written once, then reused
    for copy in (used, unused):
        _age(copy, reclaim.SCOPED_UNUSED_FOR + dt.timedelta(hours=1))
    assert scoped_file(version, names_only) == used  # a download now keeps it
    folder = reclaim.scoped_folder()
    gone = folder / f"{version.pk + 1000}-{'0' * 32}.parquet"  # a deleted version's copy
    writing = folder / f"{used.name}.{'1' * 32}.partial"  # a copy being written now
    killed = folder / f"{unused.name}.{'2' * 32}.partial"  # a killed writer's
    for path in (gone, writing, killed):
        path.write_bytes(b"x" * 100)
    _age(killed, reclaim.ORPHAN_AFTER + dt.timedelta(minutes=1))

    reclaim.reclaim_ingests()

    assert used.exists() and writing.exists()
    assert not unused.exists() and not gone.exists() and not killed.exists()
    # the next download of a deleted copy writes it again, with exactly the scope
    again = scoped_file(version, pupils_only)
    assert again == unused and pq.read_table(again).column_names == ["_id", "_row", "pupils"]
    # once the version is deleted, the sweep deletes its copies at once
    version.delete()
    reclaim.reclaim_ingests()
    assert not used.exists() and not again.exists()
