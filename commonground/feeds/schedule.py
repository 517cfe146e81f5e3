"""The feeds' worker schedule: due pulls, due dataset URL refreshes, rollups and retention.

As the ingest sweep (:mod:`commonground.catalogue.services.reclaim`): django-tasks'
``db_worker`` has no periodic hook, so :func:`feeds_task` does the work and then queues
itself :data:`EVERY` later (``run_after``). :func:`schedule` queues one to run now unless one
is already waiting; it is called by ``manage.py run_pulls`` (so starting the worker and
running that once starts the schedule) and when an editor saves a feed's pull URL. The
waiting task is a row in the database, so it outlives a restarted worker. With the ``immediate`` backend
there is no worker: ``manage.py run_pulls`` and ``manage.py apply_retention`` from cron do
the same work.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import aggregates, pulling, retention

log = logging.getLogger(__name__)

#: How often the worker looks for due pulls and refreshes (and applies retention).
EVERY = timedelta(minutes=1)
#: Finished runs' task results are deleted after this long.
KEEP_RESULTS = timedelta(days=1)


def run_once() -> str:
    """Everything due now: pulls, refreshes, rolling up the hour just ended, retention."""
    ran = pulling.run_due()
    rolled = aggregates.rollup_all()
    kept = retention.apply_retention()
    return f"{ran}; {rolled:,} hourly and daily aggregate(s) rolled up; {kept}"


@task()
def feeds_task() -> str:
    """The worker's round: run what is due, then queue the next round :data:`EVERY` later."""
    try:
        return run_once()
    finally:
        _queue(later=True)
        _forget_old_rounds()


def schedule() -> None:
    """Make sure a round is coming (only with a worker: the database backend)."""
    try:
        _queue(later=False)
    except Exception:  # never let the schedule's bookkeeping stop a page or a command
        log.exception("could not schedule the feeds' worker round")


def _queue(*, later: bool) -> None:
    from django_tasks_db import DatabaseBackend

    if not isinstance(feeds_task.get_backend(), DatabaseBackend) or _waiting():
        return  # no worker (cron runs the commands), or a round is already waiting
    if later:
        feeds_task.using(run_after=timezone.now() + EVERY).enqueue()
    else:
        feeds_task.enqueue()


def _waiting() -> bool:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=feeds_task.module_path,
                                       status=TaskResultStatus.READY).exists()


def _forget_old_rounds() -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(feeds_task.get_backend(), DatabaseBackend):
        return
    DBTaskResult.objects.filter(
        task_path=feeds_task.module_path,
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=timezone.now() - KEEP_RESULTS).delete()
