"""Catalogue fixtures: the council's people and the background worker (the council,
``make_dataset`` and ``ingest_path`` are in tests/conftest.py, for every app)."""

from __future__ import annotations

import pytest
from django.db import transaction

from commonground.accounts.models import Membership


@pytest.fixture
def people(council, django_user_model):
    """An editor and a plain member of the council, and an outsider."""
    editor = django_user_model.objects.create_user("officer", password="pw-officer-1")
    member = django_user_model.objects.create_user("member", password="pw-member-1")
    outsider = django_user_model.objects.create_user("outsider", password="pw-outsider-1")
    Membership.objects.create(user=editor, organisation=council, role=Membership.Role.EDITOR)
    Membership.objects.create(user=member, organisation=council, role=Membership.Role.MEMBER)
    return {"editor": editor, "member": member, "outsider": outsider}


@pytest.fixture
def run_worker(monkeypatch):
    """Run the django-tasks database worker until the queue is empty, inside the test.

    The worker closes "old" database connections between tasks; inside a test's transaction
    that would close the test's own connection (PostgreSQL), so that check is skipped here.
    """
    from django.core.management import call_command
    from django_tasks_db.management.commands import db_worker

    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run():
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


@pytest.fixture(scope="module")
def published_world(django_db_setup, django_db_blocker, datastore_in_tmp, data_dir):
    """The real charge points published and granted in part (``test_grant_reads.publish``),
    built once per test file in a transaction of its own: each test runs in a savepoint
    inside it (pytest-django's), rolled back after the test, and the whole is rolled back
    after the file's last test, so the files after it find the database as before. Tests
    read it through ``test_grant_reads.world``, which reads its objects afresh for each."""
    from .test_grant_reads import publish

    atomic = transaction.atomic()
    with django_db_blocker.unblock():
        atomic.__enter__()
        try:
            built = publish(data_dir)
        except BaseException:
            _roll_back(atomic)
            raise
    yield built
    with django_db_blocker.unblock():
        _roll_back(atomic)


def _roll_back(atomic) -> None:
    transaction.set_rollback(True)
    atomic.__exit__(None, None, None)
