"""``commonground ingest``: add a version to a dataset's resource from the command line.

The same job machinery as the web page (validation report, atomic versions), with a
progress bar on standard error. ``--background`` hands the job to the worker
(``manage.py db_worker``) and follows its progress until it ends.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_USAGE, EXIT_NOT_FOUND, EXIT_INVALID = 2, 3, 4


def add_ingest_parser(sub) -> None:
    p = sub.add_parser(
        "ingest", help="ingest a file as a new version of a dataset's resource",
        description="Example: commonground ingest schools.csv --dataset schools "
                    "--type urn=string --resource 'Schools, May 2025'",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("file", type=Path)
    p.add_argument("--dataset", required=True, help="the dataset's short name (slug)")
    p.add_argument("--resource", help="resource name or id (default: the file name; "
                                      "created if the dataset has no such resource)")
    p.add_argument("--type", action="append", default=[], metavar="COLUMN=TYPE",
                   help="override a column's type (integer, number, boolean, date, datetime, "
                        "string), or keep one and leave the values that do not fit empty "
                        "(e.g. count=integer:blank); repeatable")
    p.add_argument("--sheet", default="", help="Excel sheet to read")
    p.add_argument("--user", help="record the version as made by this user name")
    p.add_argument("--background", action="store_true",
                   help="run in the background worker and follow its progress")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


class _Refused(Exception):
    """The command stops before any job runs: the one-line reason and the exit status."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def run_ingest(args) -> int:
    import json

    try:
        dataset = _dataset(args.dataset)
        if not args.file.is_file():
            raise _Refused(f"no file {str(args.file)!r}", EXIT_NOT_FOUND)
        overrides = _type_overrides(args.type)
        user = _user(args.user)
        resource, created, job = _staged_job(dataset, args, user, overrides)
    except _Refused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return refused.status
    job = _run_with_progress_bar(job, args.background)
    if created and job.status != job.Status.DONE and not resource.versions.exists():
        resource.delete()  # a failed first ingest leaves the dataset as it was
    if args.json:
        print(json.dumps({"status": job.status, "error": job.error, "report": job.report,
                          "version": job.version.number if job.version_id else None}, indent=2))
    return _print_outcome(dataset, resource, job)


def _dataset(name: str):
    from .models import Dataset

    try:
        return Dataset.objects.get(name=name)
    except Dataset.DoesNotExist:
        raise _Refused(f"no dataset {name!r}; create it on the web first",
                       EXIT_NOT_FOUND) from None


def _type_overrides(items: list[str]) -> dict[str, str]:
    """``--type COLUMN=TYPE`` options as {column: type} (the last ``=`` separates them)."""
    overrides = {}
    for item in items:
        column, sep, kind = item.rpartition("=")
        if not sep or not column:
            raise _Refused(f"--type {item!r} should be COLUMN=TYPE", EXIT_USAGE)
        overrides[column] = kind
    return overrides


def _user(username: str | None):
    """The user named by ``--user``, or None without one."""
    from django.contrib.auth import get_user_model

    if not username:
        return None
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise _Refused(f"no user {username!r}", EXIT_NOT_FOUND)
    return user


def _staged_job(dataset, args, user, overrides: dict[str, str]):
    """(resource, whether it was created for this file, job): the file copied into a new job
    for the resource named by ``--resource`` (default the file name), made if the dataset has
    none; a file the job refuses leaves no new resource behind."""
    from commonground.datastore.errors import IngestError

    from .models import Resource
    from .services import ingest

    name = args.resource or args.file.name
    resource = _find_resource(dataset, name)
    created = resource is None
    if created:
        resource = Resource.objects.create(dataset=dataset, name=name,
                                           position=dataset.resources.count())
    try:
        with open(args.file, "rb") as f:
            job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 20), b""),
                                      filename=args.file.name, user=user, overrides=overrides,
                                      sheet=args.sheet)
    except IngestError as exc:
        if created:
            resource.delete()
        raise _Refused(str(exc), EXIT_INVALID) from None
    return resource, created, job


def _run_with_progress_bar(job, background: bool):
    """The job run here, or by the worker with ``--background``, with a progress bar on
    standard error; the job as it ended."""
    from .services import ingest

    bar = ProgressBar(sys.stderr)
    if background:
        job = _follow(ingest.ingest_task.enqueue, job, bar)
    else:
        job = ingest.run_job(job.id, on_progress=bar)
    bar.done()
    return job


def _print_outcome(dataset, resource, job) -> int:
    """The new version in one line, or why there is none (each bad column for invalid data);
    the exit status."""
    if job.status == job.Status.DONE:
        links = (job.report or {}).get("links") or {}
        print(f"{dataset.name} / {resource.name}: version {job.version.number}, "
              f"{job.version.row_count:,} rows" +
              (f", {links.get('linked', 0):,} linked to places" if links else ""))
        for e in ((job.report or {}).get("validation") or {}).get("emptied", []):
            print(f"  {job.filename}: row {e['row']}, column {e['column']}: impossible date "
                  f"{e['value']!r} left empty", file=sys.stderr)
        for e in ((job.report or {}).get("validation") or {}).get("blanked", []):
            print(f"  {job.filename}: row {e['row']}, column {e['column']}: {e['value']!r} "
                  "does not fit the column's type, left empty as asked", file=sys.stderr)
        for u in links.get("out_of_range_rows", []):
            print(f"  {job.filename}: row {u['row']} not placed: {u['reason']}", file=sys.stderr)
        return 0
    if job.status == job.Status.INVALID:
        print(f"error: {job.message}; nothing was changed.", file=sys.stderr)
        for column in job.report["validation"]["columns"]:
            if column["bad_count"]:
                rows = ", ".join(f"row {b['row']} {b['value']!r}" for b in column["bad_values"][:5])
                print(f"  {column['name']} ({column['type']}): {column['bad_count']:,} bad: {rows}",
                      file=sys.stderr)
        print("  Override a column with --type COLUMN=string (or another type), or keep its "
              "type and leave those values empty with --type COLUMN=integer:blank (etc.).",
              file=sys.stderr)
        return EXIT_INVALID
    print(f"error: {job.error}", file=sys.stderr)
    return EXIT_INVALID


#: Say once that no worker seems to be running after this many seconds in the queue.
NO_WORKER_HINT_AFTER = 30


def _follow(enqueue, job, bar):
    """Queue the job for the worker and show its progress until it ends."""
    from .services import reclaim

    enqueue(str(job.id))
    waited, hinted = 0.0, False
    while True:
        reclaim.fail_stale_jobs()  # a worker killed mid-job must not leave us waiting forever
        job.refresh_from_db()
        bar(job.progress, job.message or job.get_status_display())
        if not job.active:
            return job
        if job.status == job.Status.QUEUED and waited > NO_WORKER_HINT_AFTER and not hinted:
            print("\nStill waiting for a worker: is `manage.py db_worker` running? "
                  "(Ctrl-C stops waiting; the job stays queued.)", file=sys.stderr)
            hinted = True
        time.sleep(0.5)
        waited += 0.5


def _find_resource(dataset, name: str):
    import uuid

    resources = dataset.resources.all()
    try:
        return resources.get(pk=uuid.UUID(name))
    except (ValueError, resources.model.DoesNotExist):
        return resources.filter(name=name).first()


class ProgressBar:
    """A one-line text progress bar, redrawn in place on a terminal, one line per step if not."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width = stream, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = ""

    def __call__(self, fraction: float, message: str) -> None:
        filled = int(round(max(0.0, min(1.0, fraction)) * self.width))
        line = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction * 100:5.1f}%  {message}"
        if self.tty:
            self.stream.write("\r\033[K" + line)
        elif message != self.last:
            self.stream.write(line + "\n")
        self.last = message
        self.stream.flush()

    def done(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()
