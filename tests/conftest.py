"""Shared fixtures: the real city data folder, loaded once per test session.

Tests run on the real Milton Keynes data in ``../shared/data`` (or ``COMMONGROUND_DATA``).
The database is loaded once for the session; browser tests (which run last, because their
live server flushes the database) load it again themselves.
"""

from __future__ import annotations

import io
import os
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))


#: Fixtures through which a test reaches the database (pytest-django's, and what uses them).
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
                     "django_db_serialized_rollback", "live_server"}


def uses_database(item) -> bool:
    """Whether a test touches the database: a ``django_db`` mark, or a database fixture
    anywhere in the fixtures it asks for (``item.fixturenames`` is the whole closure)."""
    return (item.get_closest_marker("django_db") is not None
            or not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config, items):
    """Run the tests that flush the database last (``flushes_database``).

    With ``COMMONGROUND_TESTS_DATABASE_ONLY=1`` (the second run of ``make test``, on
    PostgreSQL) only the tests that touch the database run, and not the browser's: the
    others (the pure core, settings, contracts) gave the same answer on SQLite already, and
    the pages the browser drives are asked the same of both databases by their own tests
    through Django's test client."""
    if os.environ.get("COMMONGROUND_TESTS_DATABASE_ONLY") == "1":
        keep_only(config, items, lambda item: uses_database(item) and not in_browser(item))
    part = os.environ.get("COMMONGROUND_TESTS_PART", "")
    if part == "shared":
        keep_only(config, items, lambda item: not flushes_database(item))
    elif part == "flushing":
        keep_only(config, items, flushes_database)
        # pytest-xdist (--dist loadfile) hands out whole files in this order: the files with
        # the most tests first, so the longest (the phone's pages) starts at once and the
        # one-test files fill in beside it, instead of starting it when others are done.
        per_file = Counter(str(item.path) for item in items)
        items.sort(key=lambda item: -per_file[str(item.path)])
    elif part:
        raise pytest.UsageError(f"COMMONGROUND_TESTS_PART={part!r}: use 'shared' or 'flushing'")
    items.sort(key=flushes_database)


def in_browser(item) -> bool:
    return "tests/browser" in str(item.path).replace(os.sep, "/")


def flushes_database(item) -> bool:
    """Browser tests, tests marked ``live`` and tests in transactions of their own empty the
    database when they end, the city loaded for the session with it: they run after the
    others, and never before them on the same database (``make test`` runs the others on
    parallel workers first, ``COMMONGROUND_TESTS_PART=shared``, then these, ``=flushing``)."""
    marker = item.get_closest_marker("django_db")
    return (in_browser(item)
            or item.get_closest_marker("live") is not None
            or "transactional_db" in getattr(item, "fixturenames", ())
            or (marker is not None and bool(marker.kwargs.get("transaction")
                                            or marker.kwargs.get("reset_sequences"))))


def keep_only(config, items, wanted) -> None:
    """Deselect (and report as deselected) every collected test that is not ``wanted``."""
    dropped = [item for item in items if not wanted(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if wanted(item)]


@pytest.fixture(scope="session", autouse=True)
def datastore_in_tmp(tmp_path_factory):
    """Dataset versions and uploads go to a temporary folder, never to var/. (Pure tests also
    run without Django, ``pytest -p no:django tests/lens``: then there is nothing to set.)"""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        return None
    from django.conf import settings

    settings.COMMONGROUND_DATASTORE = tmp_path_factory.mktemp("datastore")
    settings.FILE_UPLOAD_TEMP_DIR = settings.COMMONGROUND_DATASTORE / "tmp"  # as settings.py
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    return settings.COMMONGROUND_DATASTORE


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Each test starts with no rate-limit counts (they live in the process cache)."""
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(scope="session")
def data_dir() -> Path:
    assert (DATA_DIR / "datapackage.json").is_file(), f"real data not found at {DATA_DIR}"
    return DATA_DIR


@pytest.fixture(scope="session")
def city(data_dir):
    """The whole city read by the pure layer (no database)."""
    from commonground.geography.city import load_city

    return load_city(data_dir)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, data_dir):
    from commonground.places.loading import load_places

    if os.environ.get("COMMONGROUND_TESTS_PART") == "flushing":
        # Each of these tests empties the database when it ends, so none may count on the
        # session's city: those that need it load it themselves (``hub``, ``load_city_again``).
        return
    with django_db_blocker.unblock():
        load_places(data_dir)


@pytest.fixture(scope="session")
def load_city_again():
    """``load_city_again(data_dir)``: load the real places into the (flushed) test database,
    as ``load_places(data_dir, force=True)`` does, for tests whose live server flushed the
    session's city.

    On the in-memory SQLite test database (every browser test's) the worker's first call
    loads and keeps a copy of the database as the load left it; later calls copy it back
    with sqlite3's backup (well under a second, where a load takes seconds on the busy
    machine). The ids the flushed tables had reached are kept, as after a flush and a load,
    so no row reuses an earlier test's id; Django's content-type cache is emptied (the copy's
    ids are not the flush's) and ``load_places`` then finds the same load and keeps its
    profile store and names' words (rewritten if another load replaced them).

    ``load_city_again(data_dir, seeded=("seed_catalogue", ...))`` runs those management
    commands (no arguments) after the load, and keeps and copies back the database as they
    left it in the same way: the files they wrote in the session's data store stay there,
    and the kept ids keep any later version from taking their folders' names."""
    copies: dict[tuple, sqlite3.Connection] = {}  # the worker's copies, by folder and seeds

    def load(data_dir: Path, *, seeded: tuple[str, ...] = ()) -> None:
        _load_city_again(data_dir, copies, seeded)

    return load


def _load_city_again(data_dir: Path, copies: dict, seeded: tuple[str, ...]) -> None:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection

    from commonground.places import cache
    from commonground.places.loading import load_places

    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        load_places(data_dir, force=True)
        for command in seeded:
            call_command(command, stdout=io.StringIO())
        return
    connection.ensure_connection()
    database = connection.connection
    copy = copies.get((data_dir, seeded))
    if copy is None:
        if seeded:
            _load_city_again(data_dir, copies, ())
            for command in seeded:
                call_command(command, stdout=io.StringIO())
        else:
            load_places(data_dir, force=True)
        copy = copies[(data_dir, seeded)] = sqlite3.connect(":memory:", check_same_thread=False)
        database.backup(copy)
        return
    reached = database.execute("SELECT name, seq FROM sqlite_sequence").fetchall()
    copy.backup(database)
    for name, seq in reached:
        database.execute("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", (seq, name))
        database.execute("INSERT INTO sqlite_sequence (name, seq) SELECT ?, ? WHERE NOT EXISTS"
                         " (SELECT 1 FROM sqlite_sequence WHERE name = ?)", (name, seq, name))
    database.commit()
    ContentType.objects.clear_cache()
    cache.clear()
    assert load_places(data_dir).skipped


@pytest.fixture
def loaded(db):
    """The city state for tests that read the loaded database."""
    from commonground.places.cache import city_state

    return city_state()


@pytest.fixture
def council(db):
    from commonground.accounts.models import Organisation

    return Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                       kind=Organisation.Kind.COUNCIL)


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
