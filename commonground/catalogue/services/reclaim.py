"""Reclaim what a killed ingest leaves behind: a job that says "running", and its files.

A running ingest beats a heartbeat: its job's ``updated`` is written with every progress
report and, whatever the ingest is doing, every :data:`HEARTBEAT_EVERY` by a thread of its
own (:class:`Heartbeat`). A job silent for :data:`STALE_AFTER` has lost its process (a killed
worker, a restarted machine). The sweep, :func:`reclaim_ingests`:

1. marks such jobs FAILED with a plain message (:data:`WORKER_STOPPED`) and deletes their
   staged upload (``uploads/<job>/``), their unfinished version folder
   (``<dataset>/<resource>/job-<job>/``) and their scratch folder (``tmp/ingest-<job>-*``);
2. deletes files no live job accounts for: scratch folders and upload folders of finished
   jobs that should have gone (a DONE job's upload, a reclaimed job's files, an unfinished
   version folder of a failed job); and anything in ``uploads/`` or ``tmp/`` that belongs to
   no job (Django's upload temporary files, harvest and export scratch) once nothing in it
   has changed for :data:`ORPHAN_AFTER`;
3. deletes the scoped copies of versions (``scoped/<version>-<scope>.parquet``, the part of
   a version a grantee or a reader of open columns downloads) whose version no longer
   exists, or that no download has used for :data:`SCOPED_UNUSED_FOR` (each use refreshes
   the file's time; a download already streaming a deleted copy keeps its open file).

Uploads of INVALID or FAILED jobs are kept on purpose: the job page re-checks them with
other column types, or another sheet of a workbook.

When the sweep runs
-------------------
django-tasks' ``db_worker`` has no start-up or periodic hook, so the sweep is itself a task
that keeps itself going: :func:`reclaim_task` sweeps, then queues the next sweep
:data:`SWEEP_EVERY` later (``run_after``). :func:`schedule_sweep` — called whenever a job
is started and at the end of every background ingest — queues one to run now unless one is
already waiting. The waiting sweep is a row in the database, so it outlives a killed worker:
a restarted ``db_worker`` runs it (within :data:`SWEEP_EVERY`), and the killed job is marked
failed without anyone opening its page. With the ``immediate`` backend (no worker) the sweep
runs inside the request that starts a job. ``manage.py reclaim_ingests`` runs it by hand or
from cron; the job pages and the CLI also mark stale jobs (:func:`fail_stale_jobs`) before
they show one.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError
from django.db import connection as db_connection
from django.utils import timezone
from django_tasks import task

from commonground.datastore import storage

from ..models import IngestJob, Version, local_datastore

log = logging.getLogger(__name__)

#: How often a running ingest writes its heartbeat, whatever it is doing.
HEARTBEAT_EVERY = timedelta(seconds=15)
#: A running job whose heartbeat is older than this has lost its worker (8 missed beats).
STALE_AFTER = timedelta(minutes=2)
#: How often the worker sweeps.
SWEEP_EVERY = timedelta(minutes=2)
#: Files in ``uploads/`` or ``tmp/`` that belong to no job are deleted once unchanged this
#: long (an upload being received or a URL being downloaded changes all the time).
ORPHAN_AFTER = timedelta(hours=1)
#: A scoped copy of a version no download has used for this long is deleted (the next
#: download writes it again).
SCOPED_UNUSED_FOR = timedelta(days=2)
#: Finished sweeps' task results are deleted after this long.
KEEP_SWEEP_RESULTS = timedelta(days=1)

WORKER_STOPPED = ("The worker stopped while ingesting this file (it may have been "
                  "restarted). Nothing was changed; upload the file again.")

_ACTIVE = (IngestJob.Status.QUEUED, IngestJob.Status.RUNNING)


@dataclass
class Reclaimed:
    """What one sweep did: jobs marked failed, folders and files deleted, bytes freed."""

    jobs: int = 0
    paths: int = 0
    bytes: int = 0

    def __str__(self) -> str:
        return (f"{self.jobs} stopped job(s) marked failed; {self.paths} folder(s) or file(s) "
                f"deleted ({self.bytes / 2**20:,.1f} MB)")


def _datastore() -> Path:
    """This machine's folder: uploads, scratch, scoped copies, and (unless versions are in an
    object store) the versions."""
    return local_datastore()


def scratch_folder() -> Path:
    """``<datastore>/tmp``: ingest and export scratch, and Django's upload temporary files
    (``FILE_UPLOAD_TEMP_DIR``, the same folder)."""
    path = _datastore() / "tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def scoped_folder() -> Path:
    """``<datastore>/scoped``: the scoped copies of versions, ``<version id>-<scope>.parquet``
    (``version_views.scoped_file``)."""
    path = _datastore() / "scoped"
    path.mkdir(parents=True, exist_ok=True)
    return path


def workdir_prefix(job_id) -> str:
    """The start of a job's scratch folder name in :func:`scratch_folder`."""
    return f"ingest-{job_id}-"


def reclaim_ingests(now: datetime | None = None) -> Reclaimed:
    """Mark stopped jobs failed and delete their files and any orphaned files (see above)."""
    now = now or timezone.now()
    done = Reclaimed()
    done.jobs = len(fail_stale_jobs(now, reclaimed=done))
    _reclaim_uploads(now, done)
    _reclaim_scratch(now, done)
    _reclaim_version_folders(done)
    _reclaim_scoped_copies(now, done)
    if done.jobs or done.paths:
        log.info("reclaim_ingests: %s", done)
    return done


def fail_stale_jobs(now: datetime | None = None, *, reclaimed: Reclaimed | None = None
                    ) -> list[IngestJob]:
    """Mark running jobs whose heartbeat is older than :data:`STALE_AFTER` FAILED and delete
    their files. Returns the jobs marked (a job marked by a racing sweep is not repeated)."""
    now = now or timezone.now()
    cutoff = now - STALE_AFTER
    reclaimed = reclaimed if reclaimed is not None else Reclaimed()
    marked = []
    for job in IngestJob.objects.filter(status=IngestJob.Status.RUNNING,
                                        updated__lt=cutoff).select_related("resource"):
        # Conditional, so a job that beat (or finished) meanwhile is left alone.
        if IngestJob.objects.filter(pk=job.pk, status=IngestJob.Status.RUNNING,
                                    updated__lt=cutoff).update(
                status=IngestJob.Status.FAILED, finished=now,
                message="The file was not ingested", error=WORKER_STOPPED):
            _delete_job_files(job, reclaimed)
            marked.append(job)
    return marked


def _delete_job_files(job: IngestJob, reclaimed: Reclaimed) -> None:
    _delete(_datastore() / "uploads" / str(job.id), reclaimed)
    folder = _version_folder(job)
    if not _holds_a_version(folder):
        _delete(folder, reclaimed)
        if storage.is_remote(settings.COMMONGROUND_DATASTORE):  # what it may have put there
            storage.delete_tree(storage.location(settings.COMMONGROUND_DATASTORE,
                                                 _relative(folder)))
    for workdir in scratch_folder().glob(workdir_prefix(job.id) + "*"):
        _delete(workdir, reclaimed)


def _reclaim_uploads(now: datetime, reclaimed: Reclaimed) -> None:
    """``uploads/<job>/``: a DONE or reclaimed job's, or no job's once unchanged for long."""
    folder = _datastore() / "uploads"
    if not folder.is_dir():
        return
    entries = list(folder.iterdir())
    jobs = _jobs_named(entry.name for entry in entries)
    for entry in entries:
        job = jobs.get(entry.name)
        if job is None:
            if _unchanged_since(entry) < now - ORPHAN_AFTER:
                _delete(entry, reclaimed)
        elif job.status == IngestJob.Status.DONE or job.error == WORKER_STOPPED:
            _delete(entry, reclaimed)


def _reclaim_scratch(now: datetime, reclaimed: Reclaimed) -> None:
    """``tmp/``: a finished job's scratch folder; anything else once unchanged for long."""
    entries = list(scratch_folder().iterdir())
    job_of = {entry: _job_id_of_workdir(entry.name) for entry in entries}
    jobs = _jobs_named(name for name in job_of.values() if name)
    for entry in entries:
        job = jobs.get(job_of[entry])
        if job is not None and job.status not in _ACTIVE:
            _delete(entry, reclaimed)
        elif job is None and _unchanged_since(entry) < now - ORPHAN_AFTER:
            # A job not found may be one whose row is not committed yet: only when old.
            _delete(entry, reclaimed)


def _reclaim_version_folders(reclaimed: Reclaimed) -> None:
    """``<dataset>/<resource>/job-<job>/`` of a finished job that made no version.

    A folder whose job no longer exists is left alone: it may hold a version of a deleted
    dataset, which is not this sweep's to judge.
    """
    folders = {path.name.removeprefix("job-"): path
               for path in _datastore().glob("*/*/job-*") if path.is_dir()}
    jobs = _jobs_named(folders)
    for name, path in folders.items():
        job = jobs.get(name)
        if job is None or job.status in _ACTIVE or job.status == IngestJob.Status.DONE:
            continue
        if path == _version_folder(job) and not _holds_a_version(path):
            _delete(path, reclaimed)


def _reclaim_scoped_copies(now: datetime, reclaimed: Reclaimed) -> None:
    """``scoped/``: copies of versions that no longer exist, and copies unused for
    :data:`SCOPED_UNUSED_FOR`; a copy still being written (``.partial``) only once unchanged
    for :data:`ORPHAN_AFTER` (its writer was killed)."""
    folder = _datastore() / "scoped"
    if not folder.is_dir():
        return
    entries = list(folder.iterdir())
    version_of = {entry: _version_id_of_copy(entry.name) for entry in entries}
    existing = set(Version.objects.filter(pk__in={v for v in version_of.values() if v})
                   .values_list("pk", flat=True))
    for entry in entries:
        if entry.name.endswith(".partial"):
            unused_for = ORPHAN_AFTER
        elif version_of[entry] not in existing:
            _delete(entry, reclaimed)
            continue
        else:
            unused_for = SCOPED_UNUSED_FOR
        if _unchanged_since(entry) < now - unused_for:
            _delete(entry, reclaimed)


def _version_id_of_copy(name: str) -> int | None:
    number = name.partition("-")[0]
    return int(number) if number.isdigit() else None


def _holds_a_version(folder: Path) -> bool:
    return Version.objects.filter(parquet__startswith=_relative(folder) + "/").exists()


def _jobs_named(names) -> dict[str, IngestJob]:
    ids = set()
    for name in names:
        try:
            ids.add(uuid.UUID(name))
        except (TypeError, ValueError):
            continue
    jobs = IngestJob.objects.filter(pk__in=ids).select_related("resource")
    return {str(job.id): job for job in jobs}


def _job_id_of_workdir(name: str) -> str | None:
    if not name.startswith("ingest-"):
        return None
    candidate = name[len("ingest-"):len("ingest-") + 36]
    try:
        return str(uuid.UUID(candidate))
    except ValueError:
        return None


def _version_folder(job: IngestJob) -> Path:
    resource = job.resource
    return _datastore() / str(resource.dataset_id) / str(resource.id) / f"job-{job.id}"


def _relative(path: Path) -> str:
    return path.relative_to(_datastore()).as_posix()


def _unchanged_since(path: Path) -> datetime:
    """The newest modification time of ``path`` and everything in it (aware, UTC)."""
    try:
        newest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            for root, dirs, files in os.walk(path):
                for name in dirs + files:
                    try:
                        newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
                    except FileNotFoundError:
                        continue
    except FileNotFoundError:
        newest = 0.0
    return datetime.fromtimestamp(newest, tz=UTC)


def _delete(path: Path, reclaimed: Reclaimed) -> None:
    if not path.exists() and not path.is_symlink():
        return
    size = 0
    if path.is_dir() and not path.is_symlink():
        for root, _dirs, files in os.walk(path):
            for name in files:
                try:
                    size += os.lstat(os.path.join(root, name)).st_size
                except FileNotFoundError:
                    continue
        shutil.rmtree(path, ignore_errors=True)
    else:
        try:
            size = path.lstat().st_size
            path.unlink()
        except FileNotFoundError:
            return
    reclaimed.paths += 1
    reclaimed.bytes += size


# --- the worker's schedule ------------------------------------------------------------------

@task()
def reclaim_task() -> str:
    """The worker's sweep: reclaim, then queue the next sweep :data:`SWEEP_EVERY` later."""
    try:
        return str(reclaim_ingests())
    finally:
        _queue_sweep(later=True)
        _forget_old_sweeps()


def schedule_sweep() -> None:
    """Make sure a sweep is coming: queue one now unless one is already waiting."""
    try:
        _queue_sweep(later=False)
    except Exception:  # never let the sweep's bookkeeping stop an ingest
        log.exception("could not schedule the ingest sweep")


def _queue_sweep(*, later: bool) -> None:
    from django_tasks_db import DatabaseBackend

    if not isinstance(reclaim_task.get_backend(), DatabaseBackend):
        # No worker (the immediate backend): sweep now, in the caller; never later.
        if not later:
            reclaim_task.enqueue()
        return
    if _sweep_waiting():
        return
    if later:
        reclaim_task.using(run_after=timezone.now() + SWEEP_EVERY).enqueue()
    else:
        reclaim_task.enqueue()


def _sweep_waiting() -> bool:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=reclaim_task.module_path,
                                       status=TaskResultStatus.READY).exists()


def _forget_old_sweeps() -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(reclaim_task.get_backend(), DatabaseBackend):
        return
    DBTaskResult.objects.filter(
        task_path=reclaim_task.module_path,
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=timezone.now() - KEEP_SWEEP_RESULTS).delete()


# --- the heartbeat --------------------------------------------------------------------------

class Heartbeat:
    """While an ingest runs, a thread writes its job's ``updated`` every ``every``.

    It beats only while the job is RUNNING (never reviving a job a sweep has marked failed)
    and never stops the ingest: a failed write (a locked database) waits for the next beat.
    ``stop()`` does not wait for a beat blocked on a lock the caller holds.
    """

    def __init__(self, job_id, every: timedelta = HEARTBEAT_EVERY):
        self.job_id = job_id
        self.every = every.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{job_id}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=1.0)

    def beat(self) -> None:
        """Write the heartbeat now, if the job is still running."""
        IngestJob.objects.filter(pk=self.job_id, status=IngestJob.Status.RUNNING).update(
            updated=timezone.now())

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.beat()
                except DatabaseError as exc:
                    log.warning("ingest job %s: heartbeat not written (%s)", self.job_id, exc)
        finally:
            db_connection.close()  # this thread's own connection
