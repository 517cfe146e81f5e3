"""Pull a feed from its URL, and refresh a dataset's URL resource: one recorded run each.

**A pulled feed** (``Feed.pull_url``, ``pull_format``, ``pull_every_minutes``) is fetched
with the hub's safe fetcher (:mod:`commonground.datastore.fetch`: public addresses only,
:data:`MAX_BYTES` per document, :data:`TIMEOUT` seconds per read, :data:`MAX_SECONDS` per
document), read in one of three formats, and written through
:func:`.writing.write_observations` (all or nothing per run):

* ``csv``: a header with ``thing,datastream,time,value`` (other columns ignored), as the
  push API's CSV upload;
* ``json``: the push API's body, ``{"observations": [{thing, datastream, time, value}]}``
  (or one observation);
* ``sensorthings``: a service's ``.../Datastreams(n)/Observations`` (``phenomenonTime``,
  ``result``), following ``@iot.nextLink`` for at most :data:`MAX_PAGES` pages (the run
  says when it stopped with more to read: order the URL newest first, e.g.
  ``?$orderby=phenomenonTime desc``). The observations go to the feed's datastream keyed
  ``n`` (the service's Datastream id), or to the feed's only datastream.

Every run is a :class:`PullRun`: added, unchanged, and a message; a failed run writes
nothing and says why (the fetcher's refusal of a private address, a timeout, a bad row named
by its line or index and field).

**Back-off**: after the n-th failed run in a row the next try is due ``min(2 ** (n - 1),
BACKOFF_CAP)`` intervals later (1, 2, 4, 8, 16, then every 24 intervals), an interval being
the feed's ``pull_every_minutes`` (or the dataset's update frequency); the first success
returns to the ordinary schedule.

**A dataset's URL resource** (``Resource.kind == "url"``) whose dataset says it is updated
daily, weekly, monthly, quarterly, annually or continuously (hourly here) is refreshed
after that long: the URL is downloaded; if its content has the checksum of the resource's
current version's original file the run records "unchanged" and makes no version;
otherwise a new ingest job of the same URL (``IngestJob.source_url``) ingests the file just
downloaded, and the run records the version it made or why it failed.

:func:`due_feeds`, :func:`due_resources` and :func:`run_due` are what the worker's schedule
(:mod:`.schedule`) and ``manage.py run_pulls`` call.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from commonground.catalogue.models import Dataset, IngestJob, Resource
from commonground.catalogue.services import ingest, reclaim
from commonground.datastore import fetch
from commonground.datastore.errors import IngestError, without_paths

from . import writing
from .models import Feed, PullRun
from .push_api import Refused, _csv_rows, _json_rows

#: Largest document a pull reads (bytes: 32 MB, the push API's default body limit).
MAX_BYTES = 32 * 2**20
#: Seconds allowed for connecting and for each read.
TIMEOUT = 20.0
#: Seconds allowed for one whole document.
MAX_SECONDS = 120.0
#: SensorThings pages (``@iot.nextLink``) read in one run.
MAX_PAGES = 20
#: The longest wait between failed tries, in intervals.
BACKOFF_CAP = 24
#: A run still "running" after this long lost its worker; it no longer blocks the next.
STALE_RUN = timedelta(minutes=30)
#: How often a dataset's URL resource is refreshed, by the dataset's update frequency.
REFRESH_EVERY = {
    Dataset.Frequency.REALTIME: timedelta(hours=1),
    Dataset.Frequency.DAILY: timedelta(days=1),
    Dataset.Frequency.WEEKLY: timedelta(days=7),
    Dataset.Frequency.MONTHLY: timedelta(days=30),
    Dataset.Frequency.QUARTERLY: timedelta(days=91),
    Dataset.Frequency.ANNUAL: timedelta(days=365),
}
FORMATS = ("csv", "json", "sensorthings")
UNEXPECTED = ("An unexpected error stopped the pull; it has been logged for the site's "
              "operators. Nothing was written.")

log = logging.getLogger(__name__)


class PullError(Exception):
    """The run failed; the message says why (it is shown on the feed's page)."""


@dataclass
class Ran:
    """What one call of :func:`run_due` did."""

    feeds: int = 0
    resources: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return (f"{self.feeds} feed(s) pulled, {self.resources} dataset URL(s) refreshed, "
                f"{self.failed} failed")


# --- when ----------------------------------------------------------------------------------

def feed_interval(feed: Feed) -> timedelta:
    return timedelta(minutes=feed.pull_every_minutes or 60)


def backoff(interval: timedelta, failures: int) -> timedelta:
    """The wait after the ``failures``-th failed run in a row (see the module's note)."""
    return interval * min(2 ** max(failures - 1, 0), BACKOFF_CAP)


def _last_runs(runs, now: datetime) -> tuple[PullRun | None, bool]:
    """(the newest finished run, whether a live run is under way)."""
    running = runs.filter(status=PullRun.Status.RUNNING, started__gt=now - STALE_RUN).exists()
    last = runs.exclude(status=PullRun.Status.RUNNING).order_by("-started", "-pk").first()
    return last, running


def _due(runs, interval: timedelta, since: datetime, now: datetime) -> bool:
    last, running = _last_runs(runs, now)
    if running:
        return False
    if last is None:
        return since + interval <= now
    if last.status == PullRun.Status.FAILED:
        return last.next_try is None or last.next_try <= now
    return (last.finished or last.started) + interval <= now


def next_pull(feed: Feed, now: datetime | None = None) -> datetime | None:
    """When the feed is next pulled (None: it is not pulled)."""
    if not feed.pull_url:
        return None
    now = now or timezone.now()
    last, _ = _last_runs(feed.pull_runs.all(), now)
    if last is None:
        return now
    if last.status == PullRun.Status.FAILED and last.next_try:
        return last.next_try
    return (last.finished or last.started) + feed_interval(feed)


def due_feeds(now: datetime | None = None) -> list[Feed]:
    now = now or timezone.now()
    feeds = Feed.objects.exclude(pull_url="").filter(pull_every_minutes__gt=0)
    return [f for f in feeds if _due(f.pull_runs.all(), feed_interval(f), now - feed_interval(f),
                                     now)]


def refreshed_resources():
    return (Resource.objects.filter(kind=Resource.Kind.URL,
                                    dataset__frequency__in=list(REFRESH_EVERY))
            .exclude(url="").select_related("dataset", "current_version"))


def due_resources(now: datetime | None = None) -> list[Resource]:
    now = now or timezone.now()
    due = []
    for resource in refreshed_resources():
        if resource.jobs.filter(status__in=[IngestJob.Status.QUEUED,
                                            IngestJob.Status.RUNNING]).exists():
            continue  # an ingest is under way
        since = resource.current_version.created if resource.current_version else \
            resource.created
        if _due(resource.pull_runs.all(), REFRESH_EVERY[resource.dataset.frequency], since,
                now):
            due.append(resource)
    return due


def run_due(now: datetime | None = None) -> Ran:
    """Pull every due feed and refresh every due dataset URL."""
    ran = Ran()
    for feed in due_feeds(now):
        run = pull_feed(feed)
        ran.feeds += 1
        ran.failed += run.status == PullRun.Status.FAILED
    for resource in due_resources(now):
        run = refresh_resource(resource)
        ran.resources += 1
        ran.failed += run.status == PullRun.Status.FAILED
    return ran


# --- recording a run -----------------------------------------------------------------------

def _start(runs, **owner) -> PullRun:
    last = runs.exclude(status=PullRun.Status.RUNNING).order_by("-started", "-pk").first()
    attempt = last.attempt + 1 if last is not None and last.status == PullRun.Status.FAILED \
        else 1
    return PullRun.objects.create(attempt=attempt, **owner)


def _done(run: PullRun, message: str, *, added: int = 0, unchanged: int = 0) -> PullRun:
    run.status, run.added, run.unchanged = PullRun.Status.DONE, added, unchanged
    run.message, run.finished, run.next_try = message, timezone.now(), None
    run.save()
    return run


def _failed(run: PullRun, message: str, interval: timedelta) -> PullRun:
    run.status, run.message, run.finished = PullRun.Status.FAILED, message, timezone.now()
    run.next_try = run.finished + backoff(interval, run.attempt)
    run.save()
    return run


# --- pulling a feed ------------------------------------------------------------------------

def pull_feed(feed: Feed, *, allow_private: bool | None = None, timeout: float = TIMEOUT,
              max_seconds: float = MAX_SECONDS) -> PullRun:
    """Fetch, read and write one feed's URL; the recorded run (done or failed)."""
    run = _start(feed.pull_runs.all(), feed=feed)
    if allow_private is None:
        allow_private = settings.COMMONGROUND_FETCH_ALLOW_PRIVATE
    try:
        rows, where, note = _read_feed(feed, allow_private, timeout, max_seconds)
        try:
            result = writing.write_observations(feed, rows)
        except writing.WriteError as exc:
            raise PullError("Nothing was written: " + "; ".join(
                f"{where(p.index)}, {p.field}: {p.message}" for p in exc.problems[:5])
                + (f" (and {exc.total - 5} more)" if exc.total > 5 else "")) from None
    except (PullError, IngestError) as exc:
        return _failed(run, without_paths(str(exc)), feed_interval(feed))
    except Exception:  # never leave a run "running", nor stop the round's other pulls
        log.exception("pull of feed %s failed", feed.slug)
        return _failed(run, UNEXPECTED, feed_interval(feed))
    skipped = (f", {result.skipped:,} skipped (older than their stream's retention)"
               if result.skipped else "")
    message = f"{result.added:,} added, {result.unchanged:,} unchanged" + skipped + note
    return _done(run, message, added=result.added, unchanged=result.unchanged)


def _download(url: str, allow_private: bool, timeout: float, max_seconds: float) -> bytes:
    with tempfile.TemporaryDirectory(dir=reclaim.scratch_folder(), prefix="pull-") as folder:
        target = Path(folder) / "download"
        fetch.fetch_url(url, target, max_bytes=MAX_BYTES, timeout=timeout,
                        allow_private=allow_private, max_seconds=max_seconds)
        return target.read_bytes()


def _read_feed(feed: Feed, allow_private: bool, timeout: float, max_seconds: float):
    """(rows, a function naming row i, a note for the message)."""
    form = (feed.pull_format or "").strip().lower()
    if form not in FORMATS:
        raise PullError(f"pull_format: {feed.pull_format!r} is not one of {', '.join(FORMATS)}")
    if form == "sensorthings":
        rows, note = _sensorthings_rows(feed, allow_private, timeout, max_seconds)
        return rows, lambda i: f"observation {i}", note
    body = _download(feed.pull_url, allow_private, timeout, max_seconds)
    try:
        if form == "csv":
            rows, lines = _csv_rows(body)
            return rows, lambda i: f"line {lines[i]}", ""
        return _json_rows(body), lambda i: f"observation {i}", ""
    except Refused as refused:
        raise PullError(refused.detail) from None


_DATASTREAM_ID = re.compile(r"Datastreams\((\d+)\)")


def _sensorthings_target(feed: Feed) -> tuple[str, str]:
    """The (thing key, datastream key) a SensorThings pull writes to (see the module)."""
    streams = list(feed.things.all().values_list("key", "datastreams__key")
                   .exclude(datastreams__key=None))
    found = _DATASTREAM_ID.search(feed.pull_url)
    if found:
        named = [s for s in streams if s[1] == found.group(1)]
        if len(named) == 1:
            return named[0]
    if len(streams) == 1:
        return streams[0]
    raise PullError(f"the feed has {len(streams)} datastreams and none is keyed "
                    f"{found.group(1) if found else '(no Datastreams(n) in the URL)'!r}: "
                    "key a datastream by the service's Datastream id")


def _sensorthings_rows(feed: Feed, allow_private: bool, timeout: float, max_seconds: float):
    thing, stream = _sensorthings_target(feed)
    rows, url, pages = [], feed.pull_url, 0
    deadline = clock.monotonic() + max_seconds  # for all the pages together
    while url and pages < MAX_PAGES:
        left = deadline - clock.monotonic()
        if left <= 0:
            raise PullError(f"the pages took longer than {max_seconds:g} s; stopped after "
                            f"{pages} pages and nothing was written")
        body = _download(url, allow_private, timeout, left)
        pages += 1
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise PullError(f"page {pages} is not JSON: {exc}") from None
        items = document.get("value") if isinstance(document, dict) else None
        if not isinstance(items, list):
            raise PullError(f"page {pages} has no \"value\" list of Observations")
        for item in items:
            if not isinstance(item, dict):
                raise PullError(f"page {pages}, observation {len(rows)}: must be an object")
            time = item.get("phenomenonTime")
            if isinstance(time, str) and "/" in time:
                time = time.split("/", 1)[1]  # an interval: its end
            rows.append((thing, stream, time, item.get("result")))
        url = document.get("@iot.nextLink")
        if url is not None and not isinstance(url, str):
            raise PullError(f"page {pages}'s @iot.nextLink is not a URL")
    note = (f"; stopped after {MAX_PAGES} pages with more to read" if url else "")
    return rows, note


# --- refreshing a dataset's URL resource ---------------------------------------------------

def refresh_resource(resource: Resource, *, allow_private: bool | None = None) -> PullRun:
    """Download the resource's URL; a new version if its content changed (see the module)."""
    run = _start(resource.pull_runs.all(), resource=resource)
    interval = REFRESH_EVERY.get(resource.dataset.frequency, timedelta(days=1))
    if allow_private is None:
        allow_private = settings.COMMONGROUND_FETCH_ALLOW_PRIVATE
    folder = Path(tempfile.mkdtemp(dir=reclaim.scratch_folder(), prefix="refresh-"))
    try:
        try:
            got = fetch.fetch_url(resource.url, folder / "download",
                                  max_bytes=ingest.limits().max_bytes, timeout=TIMEOUT,
                                  allow_private=allow_private,
                                  max_seconds=settings.COMMONGROUND_FETCH_MAX_SECONDS)
        except IngestError as exc:
            return _failed(run, without_paths(str(exc)), interval)
        current = resource.current_version
        if current is not None and current.original_sha256 == got.sha256:
            return _done(run, f"unchanged: the same content as version {current.number}",
                         unchanged=1)
        job = ingest.new_job(resource, filename=got.filename, source_url=resource.url)
        relative = Path("uploads") / str(job.id) / job.filename
        (ingest.datastore() / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(folder / "download", ingest.datastore() / relative)
        job.upload = str(relative)
        job.save(update_fields=["upload"])
        job = ingest.run_job(job.id)
    except Exception:  # never leave a run "running", nor stop the round's other work
        log.exception("refresh of resource %s failed", resource.pk)
        return _failed(run, UNEXPECTED.replace("pull", "refresh").replace(
            "Nothing was written", "No version was made"), interval)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if job.status == IngestJob.Status.DONE:
        return _done(run, f"version {job.version.number}: {job.version.row_count:,} rows",
                     added=1)
    return _failed(run, job.error or job.message or "the file was not ingested", interval)


def recent_runs(feed: Feed, count: int = 5) -> list[PullRun]:
    return list(feed.pull_runs.order_by("-started", "-pk")[:count])

