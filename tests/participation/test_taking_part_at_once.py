"""People taking part in the same thing at the same moment, each from a request (a database
connection) of their own: the batches stay as ``lens.batch_for`` numbers them in order, so a
published batch never gains a person, and a person sent twice at once is counted once.

PostgreSQL only (the advisory lock of ``services._one_at_a_time``); on SQLite every
transaction begins with the database's write lock, and
``test_attacks_taking_part.test_two_people_at_once_never_change_a_published_batch`` plays
the overlap within one connection.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection, connections

from commonground.participation import lens, services
from commonground.participation.models import TakingPart

T = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
THING = ("requests", "hub")


def _all_at_once(people: list[int]) -> list[Exception]:
    barrier, errors = threading.Barrier(len(people)), []

    def run(n: int) -> None:
        try:
            barrier.wait()
            services.save_answers({"tenure": "social"}, person=("user", n), thing=THING)
        except Exception as exc:  # noqa: BLE001 (the test reports it)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.django_db(transaction=True)
def test_people_at_once_across_a_milestone_fill_the_batches_in_order_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's advisory lock: SQLite's write lock serialises writers")
    first = lens.milestone_size(1, T)
    for n in range(first - 3):
        services.save_answers({}, person=("user", n), thing=THING)
    late = list(range(first - 3, first + 5))
    assert _all_at_once(late + late[:3]) == []  # three of them sent twice
    batches = Counter(TakingPart.objects.filter(thing=":".join(THING))
                      .values_list("batch", flat=True))
    assert batches == {1: first, 2: 5}
