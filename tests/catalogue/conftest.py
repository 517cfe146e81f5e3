"""Catalogue fixtures: the council's people and the background worker (the council,
``make_dataset`` and ``ingest_path`` are in tests/conftest.py, for every app)."""

from __future__ import annotations

import pytest

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
