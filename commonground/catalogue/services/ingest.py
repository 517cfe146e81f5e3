"""Use cases: upload or fetch a file into a resource, run the ingest, record the version.

An ingest is an :class:`IngestJob`. Small files run inside the request, so the validation
report shows at once; larger ones (and every URL fetch) go to the background worker
(django-tasks) and the page polls the job's progress. Either way the same ``run_job``
does the work:

1. stage the file under ``datastore/uploads/<job>/`` (streamed, size-limited);
2. :func:`commonground.datastore.ingest.ingest_file` writes a Parquet file into a new
   folder, or reports why it cannot;
3. only if that succeeded, ONE transaction creates the version, its area counts, and points
   the resource at it. A failure at any step deletes the new folder and leaves the
   resource, its versions and the dataset exactly as they were.

While it runs, a job beats a heartbeat; if its process is killed, the sweep in
:mod:`.reclaim` marks it failed and deletes its files.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db import connection as db_connection
from django.db.models import Max
from django.utils import timezone
from django_tasks import task

from commonground.datastore import fetch, storage
from commonground.datastore import profile as column_profile
from commonground.datastore.errors import IngestError, Limits, without_paths
from commonground.datastore.ingest import file_sha256, ingest_file
from commonground.datastore.layout import area_code_columns
from commonground.datastore.query import connection
from commonground.datastore.sqlquote import identifier
from commonground.places.cache import NotLoaded

from ..models import Dataset, IngestJob, Resource, Version, VersionArea, local_datastore
from . import announce, reclaim
from .searchtext import refresh_search_text

log = logging.getLogger(__name__)

#: Seconds between progress writes to the database (a job's page polls them).
PROGRESS_INTERVAL = 0.3


def datastore() -> Path:
    """This machine's folder for staged uploads (``uploads/<job>/``)."""
    return local_datastore()


def limits() -> Limits:
    return Limits(max_bytes=settings.COMMONGROUND_MAX_UPLOAD_BYTES)


def safe_filename(name: str) -> str:
    """The last path component, with anything but letters, digits, ``.-_`` replaced."""
    base = Path(name.replace("\\", "/")).name.strip() or "upload"
    cleaned = "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in base)
    return cleaned.lstrip(".")[:150] or "upload"


def new_job(resource: Resource, *, filename: str, user=None, overrides: dict | None = None,
            sheet: str = "", source_url: str = "") -> IngestJob:
    return IngestJob.objects.create(resource=resource, filename=safe_filename(filename),
                                    created_by=user if getattr(user, "pk", None) else None,
                                    overrides=overrides or {}, sheet=sheet or "",
                                    source_url=source_url)


def stage_upload(resource: Resource, chunks, *, filename: str, user=None,
                 overrides: dict | None = None, sheet: str = "") -> IngestJob:
    """Copy an uploaded file (an iterable of byte chunks) into the job's folder.

    Raises :class:`IngestError` (and keeps nothing) when it exceeds the upload limit.
    """
    job = new_job(resource, filename=filename, user=user, overrides=overrides, sheet=sheet)
    relative = Path("uploads") / str(job.id) / job.filename
    path = datastore() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    size, limit = 0, limits().max_bytes
    try:
        with open(path, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise IngestError(f"the file is larger than the limit of {limit / 2**20:,.0f} MB",
                                      file=job.filename)
                out.write(chunk)
    except BaseException:
        shutil.rmtree(path.parent, ignore_errors=True)
        job.delete()
        raise
    job.upload = str(relative)
    job.save(update_fields=["upload"])
    return job


def rerun(job: IngestJob, *, overrides: dict, sheet: str = "", user=None) -> IngestJob:
    """A new job on the same file, with column types overridden by the user.

    The file is the staged upload, or (once a job succeeded and its upload was tidied away)
    the version's kept original; a URL job with neither fetches its URL again.
    """
    source = job.upload_path if job.upload and job.upload_path.exists() else None
    if source is None and job.version_id and storage.exists(job.version.original_path):
        source = job.version.original_path
    if source is None and not job.source_url:
        raise IngestError("the uploaded file is no longer kept; upload it again",
                          file=job.filename)
    again = new_job(job.resource, filename=job.filename, user=user, overrides=overrides,
                    sheet=sheet or job.sheet, source_url=job.source_url if source is None else "")
    if source is not None:
        relative = Path("uploads") / str(again.id) / job.filename
        _link_or_copy(source, datastore() / relative)
        again.upload = str(relative)
        again.save(update_fields=["upload"])
    return again


def start(job: IngestJob, *, background: bool | None = None) -> IngestJob:
    """Run the job now (small files) or hand it to the worker (large files, URL fetches)."""
    if background is None:
        size = job.upload_path.stat().st_size if job.upload else None
        background = size is None or size > settings.COMMONGROUND_INLINE_INGEST_BYTES
    transaction.on_commit(reclaim.schedule_sweep)  # a killed earlier job is reclaimed
    if background:
        job_id = str(job.id)
        transaction.on_commit(lambda: ingest_task.enqueue(job_id))
        job.message = "Waiting for a worker"
        job.save(update_fields=["message"])
        return job
    return run_job(job.id)


@task()
def ingest_task(job_id: str) -> str:
    """The background worker's entry point (django-tasks)."""
    try:
        return run_job(job_id).status
    finally:
        reclaim.schedule_sweep()


def run_job(job_id, *, on_progress=None) -> IngestJob:
    """Do one ingest job from start to finish. Safe to call twice: a finished job is left.

    ``on_progress(fraction, message)`` is called as the job advances (the CLI's bar).
    Whatever happens, the job ends DONE, INVALID or FAILED; a new version's files are
    removed unless its database rows were committed.
    """
    claimed = IngestJob.objects.filter(pk=job_id, status=IngestJob.Status.QUEUED).update(
        status=IngestJob.Status.RUNNING, progress=0.01, message="Starting",
        updated=timezone.now())
    job = IngestJob.objects.select_related("resource__dataset").get(pk=job_id)
    if not claimed:
        return job
    relative = Path(str(job.resource.dataset_id), str(job.resource_id), f"job-{job.id}")
    workdir = Path(tempfile.mkdtemp(prefix=reclaim.workdir_prefix(job.id), dir=_tmp()))
    # Written here first; in an object store, put under its final keys once complete.
    folder = storage.staging_folder(settings.COMMONGROUND_DATASTORE, relative, workdir)
    published = False
    progress = _ProgressReporter(job, on_progress)
    committed = False
    heartbeat = reclaim.Heartbeat(job.id)
    heartbeat.start()
    try:
        if not job.upload:
            _fetch(job, progress)
        places = _gazetteer()
        outcome = ingest_file(job.upload_path, filename=job.filename, dest=folder / "data.parquet",
                              workdir=workdir, gazetteer=places, overrides=job.overrides or None,
                              sheet=job.sheet or None, limits=limits(), progress=progress)
        result = outcome.to_dict()
        if places is None:
            result["links"] = None
            result["file"]["notes"].append("Rows were not linked to places: no places are loaded.")
        if not outcome.ok:
            shutil.rmtree(folder, ignore_errors=True)
            return _finish(job, IngestJob.Status.INVALID, report=result,
                           message=f"{outcome.report.bad_count:,} values do not fit their column's type")
        original = folder / ("original" + _suffix(job.filename))
        _link_or_copy(job.upload_path, original)
        result["profile"] = column_profile.profile_columns(outcome.parquet)
        published = True
        _publish(relative, outcome.parquet, original)
        job = _record(job, outcome, result, relative, original)
        committed = True
        shutil.rmtree(job.upload_path.parent, ignore_errors=True)
        return job
    except IngestError as exc:
        if job.upload and not job.filename.lower().endswith(".xlsx"):
            # Nothing to re-check (the file itself is unreadable). A workbook is kept: the
            # user may choose another sheet.
            shutil.rmtree(job.upload_path.parent, ignore_errors=True)
        return _finish(job, IngestJob.Status.FAILED, error=without_paths(str(exc)),
                       message="The file was not ingested")
    except BaseException as exc:  # never leave a job "running" (even on SIGTERM or Ctrl-C)
        log.exception("ingest job %s failed", job.id)
        if not committed:
            _finish(job, IngestJob.Status.FAILED, message="The file was not ingested",
                    error="An unexpected error stopped the ingest; it has been logged for "
                          "the site's operators. Nothing was changed.")
        if not isinstance(exc, Exception):
            raise
        return IngestJob.objects.get(pk=job.pk)
    finally:
        heartbeat.stop()
        if not committed:
            _discard(folder, relative, published=published)
        shutil.rmtree(workdir, ignore_errors=True)


def _publish(relative: Path, *files: Path) -> None:
    """Put the new version's finished files under their final names in the datastore (in a
    folder they are already there; an object store gets them now, before the database
    names them)."""
    for path in files:
        storage.put(path, storage.location(settings.COMMONGROUND_DATASTORE, relative / path.name))


def _discard(folder: Path, relative: Path, *, published: bool) -> None:
    """Delete a version that was not recorded: its local folder, and what was put."""
    shutil.rmtree(folder, ignore_errors=True)
    if published:
        storage.delete_tree(storage.location(settings.COMMONGROUND_DATASTORE, relative))


def _gazetteer():
    from ..gazetteer import gazetteer

    try:
        return gazetteer()
    except NotLoaded:
        return None


def _record(job: IngestJob, outcome, result: dict, relative: Path, original: Path
            ) -> IngestJob:
    """Create the version, make it live and finish the job, all in one transaction.

    ``relative``: the version's folder in the datastore; ``outcome.parquet`` and
    ``original``: its files, read here on this machine."""
    areas = _area_counts(outcome.parquet)
    with transaction.atomic():
        if not IngestJob.objects.filter(pk=job.pk, status=IngestJob.Status.RUNNING).update(
                updated=timezone.now()):
            # The sweep judged this job's worker dead and deleted its files: make no version.
            raise IngestError("the ingest was stopped before it finished; upload it again",
                              file=job.filename)
        resource = Resource.objects.select_for_update().get(pk=job.resource_id)
        number = (resource.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        withheld = _withhold_new_columns(resource, outcome.schema)
        if withheld:
            result = {**result, "withheld_new_columns": withheld}
        version = Version.objects.create(
            resource=resource, number=number,
            parquet=(relative / outcome.parquet.name).as_posix(), sha256=outcome.sha256,
            size=outcome.size, row_count=outcome.row_count, schema=outcome.schema,
            report=result, overrides=job.overrides or {},
            original=(relative / original.name).as_posix(), original_name=job.filename,
            original_sha256=file_sha256(original), original_size=original.stat().st_size,
            format=outcome.staged.format, created_by=job.created_by)
        VersionArea.objects.bulk_create(
            VersionArea(version=version, geography=g, code=c, rows=n) for g, c, n in areas)
        resource.current_version = version
        resource.format = outcome.staged.format
        resource.save(update_fields=["current_version", "format", "modified"])
        refresh_search_text(resource.dataset)
        announce.new_version(version, actor=job.created_by)
        return _finish(job, IngestJob.Status.DONE, report=result, version=version,
                       message=f"Version {version.number}: {version.row_count:,} rows")


def _withhold_new_columns(resource: Resource, schema: list[dict]) -> list[str]:
    """Of a dataset that withholds named columns, the new version's columns no earlier
    version had are withheld too, until an editor opens them (fail closed: a withheld
    column renamed, ``postcode`` → ``Postcode``, stays withheld). The first version of a
    dataset is the editor's own set-up: nothing is added then."""
    dataset = Dataset.objects.select_for_update().get(pk=resource.dataset_id)
    if not dataset.restricted or not dataset.withheld_columns:
        return []
    earlier = Version.objects.filter(resource__dataset=dataset).values_list("schema", flat=True)
    seen = {c["name"] for s in earlier for c in (s or [])}
    if not seen:
        return []
    new = [c["name"] for c in schema if c["name"] not in seen
           and c["name"] not in dataset.withheld_columns]
    if new:
        dataset.restricted_columns = "\n".join([*dataset.withheld_columns, *new])
        dataset.save(update_fields=["restricted_columns", "modified"])
    return new


def _area_counts(parquet: Path) -> list[tuple[str, str, int]]:
    con = connection()
    names = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)",
                                       [str(parquet)]).fetchall()]
    out = []
    for name in area_code_columns(names):
        # S608: the column name goes through identifier(), the file path is a parameter.
        rows = con.execute(f"SELECT {identifier(name)}, count(*) FROM read_parquet(?) "  # noqa: S608
                           f"WHERE {identifier(name)} IS NOT NULL GROUP BY 1", [str(parquet)]).fetchall()
        out += [(name[1:], code, n) for code, n in rows]
    return out


def _fetch(job: IngestJob, report) -> None:
    report(0.0, f"Downloading {job.source_url}")
    relative = Path("uploads") / str(job.id)
    target = datastore() / relative / "download"
    target.parent.mkdir(parents=True, exist_ok=True)
    def downloaded(done: int, total: int | None) -> None:
        share = done / total if total else 0.0
        report(0.02 * share, f"Downloaded {fetch.format_size(done)}"
               + (f" of {fetch.format_size(total)}" if total else ""))

    got = fetch.fetch_url(job.source_url, target, max_bytes=limits().max_bytes,
                          allow_private=settings.COMMONGROUND_FETCH_ALLOW_PRIVATE,
                          max_seconds=settings.COMMONGROUND_FETCH_MAX_SECONDS, progress=downloaded)
    name = safe_filename(got.filename or job.filename)
    final = target.with_name(name)
    target.rename(final)
    job.upload, job.filename = str(relative / name), name
    job.save(update_fields=["upload", "filename"])


def _finish(job: IngestJob, status: str, *, report=None, version=None, error: str = "",
            message: str = "") -> IngestJob:
    job.status, job.report, job.version, job.error = status, report, version, error
    job.message = message[:300]
    job.progress = 1.0 if status == IngestJob.Status.DONE else job.progress
    job.finished = timezone.now()
    job.save(update_fields=["status", "report", "version", "error", "message", "progress",
                            "finished"])
    return job


class _ProgressReporter:
    """Writes a job's progress to the database, at most every ``PROGRESS_INTERVAL`` s."""

    def __init__(self, job: IngestJob, also=None):
        self.job_id = job.id
        self.last = 0.0
        self.also = also
        self.lock = threading.Lock()
        self.owner = threading.current_thread()

    def __call__(self, fraction: float, message: str) -> None:
        if threading.current_thread() is self.owner:
            with self.lock:
                self._report(fraction, message)
            return
        try:  # the datastore's progress thread, on its own connection (autocommit)
            with self.lock:
                self._report(fraction, message)
        except DatabaseError as exc:  # a locked database: the next report will do
            log.debug("ingest job %s: progress not written (%s)", self.job_id, exc)
        finally:
            db_connection.close()  # that thread's own database connection

    def _report(self, fraction: float, message: str) -> None:
        if self.also:
            self.also(fraction, message)
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL or fraction >= 1.0:
            self.last = now
            IngestJob.objects.filter(pk=self.job_id).update(
                progress=min(max(fraction, 0.01), 0.99), message=message[:300],
                updated=timezone.now())


def _suffix(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    return suffix if suffix.isascii() and len(suffix) <= 10 else ""


def _link_or_copy(source: Path | str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if storage.is_remote(source):  # a kept original in an object store
        storage.filesystem().get_file(str(source), str(target))
        return
    try:
        target.hardlink_to(source)
    except OSError:
        shutil.copyfile(source, target)


def _tmp() -> Path:
    return reclaim.scratch_folder()
