"""Many people registering at the same moment on the embedded SQLite database: every
registration is stored and answered, none fails with "database is locked".

The test database is in memory, where SQLite has no file locks to contend for; this test
copies it (with the whole city) to a file and points request threads at that file, using the
project's own SQLite settings (``settings.DATABASES``: WAL, immediate transactions, the busy
timeout), so it measures what a deployment on the default database carries.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError, connection, connections, transaction
from django.test import Client
from django.urls import reverse

from commonground.energy.models import Interest, Offer

pytestmark = pytest.mark.django_db

PEOPLE = 100  # registrations sent at once, one thread each
RENTER = {"postcode": "MK2 2HB", "tenure": "rent", "home": "flat", "consent": "1"}


@pytest.fixture(scope="module")
def city_file(django_db_setup, django_db_blocker, tmp_path_factory):
    """The test database with the city, copied to a SQLite file before any test's own
    transaction begins (a copy cannot be taken while that transaction holds the write lock)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's file locking only: PostgreSQL locks rows")
    path = tmp_path_factory.mktemp("hub") / "hub.sqlite3"
    with django_db_blocker.unblock():
        connection.ensure_connection()
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
    return path


@pytest.fixture
def file_database(city_file, loaded, tmp_path, monkeypatch):
    """A fresh copy of the file for the test. Threads started while this is active connect to
    it with the project's SQLite options (journal, transaction mode, busy timeout) from
    ``settings.DATABASES``."""
    path = tmp_path / city_file.name
    shutil.copyfile(city_file, path)
    monkeypatch.setitem(connections.settings, "default",
                        {**connections.settings["default"], "NAME": str(path)})
    return path


def _in_thread(work):
    """Run ``work()`` in a new thread (its own connection to the file) and return its result."""
    out = {}

    def run():
        try:
            out["value"] = work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return out.get("value")


def test_a_hundred_people_registering_at_once_are_all_stored(file_database, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "register interest": (10 * PEOPLE, 3600)}
    offer_id = _in_thread(lambda: (call_command("seed_energy", verbosity=0),
                                   Offer.objects.get(kind="community_shares").pk)[1])
    url = reverse("energy:register", args=[offer_id])
    # the city's point index is built by the first request (a crash there is another test's)
    assert _in_thread(lambda: Client().get(reverse("energy:options"), RENTER).status_code) == 200
    start = threading.Barrier(PEOPLE)
    statuses = [None] * PEOPLE

    def register(n: int) -> None:
        client = Client(raise_request_exception=False)
        start.wait()
        try:
            statuses[n] = client.post(url, {**RENTER, "name": f"Resident {n}",
                                            "email": f"resident{n}@example.org"}).status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=register, args=(n,)) for n in range(PEOPLE)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    print(f"{PEOPLE} concurrent registrations in {seconds:.1f} s: "
          f"{PEOPLE / seconds:.0f} a second on SQLite")
    assert [s for s in statuses if s != 302] == []  # no "database is locked" (500)
    stored = _in_thread(lambda: sorted(Interest.objects.filter(offer_id=offer_id)
                                       .values_list("email", flat=True)))
    assert stored == sorted(f"resident{n}@example.org" for n in range(PEOPLE))
    assert sorted(m.to[0] for m in mail.outbox) == stored  # each person is sent their link


def test_transactions_that_read_then_write_wait_their_turn_on_sqlite(file_database):
    """Any transaction that reads before it writes (the database cache claiming a rate-limit
    slot does) waits for the write lock instead of failing with "database is locked"."""
    offer_id = _in_thread(lambda: (call_command("seed_energy", verbosity=0),
                                   Offer.objects.get(kind="community_shares").pk)[1])
    start = threading.Barrier(PEOPLE)
    failures = []

    def read_then_write(n: int) -> None:
        start.wait()
        try:
            with transaction.atomic():
                if not Interest.objects.filter(offer_id=offer_id, email=f"r{n}@example.org"
                                               ).exists():
                    Interest.objects.create(offer_id=offer_id, postcode="MK2 2HB",
                                            lsoa_code="E01000000", tenure="rent", home="flat",
                                            name=f"R {n}", email=f"r{n}@example.org",
                                            consent=True)
        except OperationalError as exc:
            failures.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert _in_thread(lambda: Interest.objects.filter(offer_id=offer_id).count()) == PEOPLE
