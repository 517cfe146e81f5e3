"""Catalogue fixtures: a council, its people, and datasets made from the real data folder."""

from __future__ import annotations

import pytest

from commonground.accounts.models import Membership, Organisation


@pytest.fixture
def council(db):
    return Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                       kind=Organisation.Kind.COUNCIL)


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
def make_dataset(council):
    from commonground.catalogue.models import Dataset

    def make(name: str, **fields):
        fields.setdefault("title", name.replace("-", " ").title())
        fields.setdefault("state", Dataset.State.PUBLISHED)
        return Dataset.objects.create(name=name, organisation=fields.pop("organisation", council),
                                      **fields)

    return make


@pytest.fixture
def ingest_path():
    """Ingest a file into a new resource of a dataset; returns the finished job."""
    from commonground.catalogue.models import Resource
    from commonground.catalogue.services import ingest

    def run(dataset, path, *, name=None, resource=None, overrides=None, filename=None, user=None):
        resource = resource or Resource.objects.create(dataset=dataset, name=name or path.name)
        with open(path, "rb") as f:
            job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                      filename=filename or path.name, overrides=overrides,
                                      user=user)
        return ingest.run_job(job.id)

    return run


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
