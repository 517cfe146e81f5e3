"""A dataset about people on a hub too large to decide its disclosure on a page request (a
region, a country: minutes of linear programming) fails closed: until the background worker
has decided, once, every count of it is hidden and said to be being checked — on place
counts, the API, the open summary and the lens — and no request decides it inline. Once
decided, the stored decision is what every page shows, whatever process asks.

Played on Milton Keynes (166 base areas) with the inline limit set below it.
"""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from commonground.catalogue.models import DisclosureDecision, IngestJob
from commonground.catalogue.services import disclosure as service
from commonground.catalogue.services.disclosure import decide_task, public_counts
from commonground.catalogue.services.lens import lens_city
from commonground.lens import disclosure, privacy

pytestmark = pytest.mark.django_db

THRESHOLD = 10


@pytest.fixture
def visits(loaded, make_dataset, ingest_path, data_dir, settings):
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = THRESHOLD
    dataset = make_dataset("home-visits", title="Home visits", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv", name="Visits")
    assert job.status == IngestJob.Status.DONE, job.error
    settings.COMMONGROUND_DISCLOSURE_INLINE_AREAS = 10  # the city's 166 areas count as large
    service._decided.clear()
    return dataset, job.version


def _cells(version, city) -> np.ndarray:
    rows = dict(version.areas.filter(geography=city.base_geography).values_list("code", "rows"))
    return np.array([rows.get(code, 0) for code in city.area_codes], dtype=float)


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path=decide_task.module_path).count()


def test_a_large_table_is_hidden_as_being_checked_until_the_worker_decides_it_once(
        visits, client, loaded, run_worker, django_capture_on_commit_callbacks, monkeypatch):
    dataset, version = visits
    api = f"/api/catalogue/resources/{version.resource_id}/aggregate"
    calls = []
    real = disclosure.suppress
    monkeypatch.setattr(disclosure, "suppress", lambda *a, **k: calls.append(1) or real(*a, **k))
    with django_capture_on_commit_callbacks(execute=True):
        table = public_counts(version)
        answer = client.get(api, {"geography": loaded.base}).json()
        lens = client.get(reverse("catalogue:lens", args=[dataset.name]))
        page = client.get(version.resource.get_absolute_url()).content.decode()
    assert calls == [], "no request decides a large table"
    assert table.pending and all(n is None for rows in table.areas.values() for _, n in rows)
    assert answer["suppression"]["being_checked"] is True
    assert all(a["suppressed"] and a["count"] is None for a in answer["areas"])
    assert "being checked" in lens.content.decode()
    assert "These counts are being checked" in page
    assert DisclosureDecision.objects.get().status == DisclosureDecision.Status.PENDING
    assert _queued() == 1, "asked four times, queued once"

    run_worker()
    row = DisclosureDecision.objects.get()
    assert row.status == DisclosureDecision.Status.DONE, row.error
    assert DBTaskResult.objects.get(task_path=decide_task.module_path).status == \
        TaskResultStatus.SUCCESSFUL
    assert len(calls) == 1

    decided = public_counts(version)
    assert client.get(api, {"geography": loaded.base}).json()["suppression"][
        "being_checked"] is False
    assert len(calls) == 1 and _queued() == 1, "pages read the stored decision"
    city = lens_city(loaded)
    cells = _cells(version, city)
    inline = privacy.city_suppression(city, cells, THRESHOLD)
    assert not decided.pending
    assert decided.hidden == {(g, code) for g, code in inline.hidden if "@" not in g}
    shown = [n for rows in decided.areas.values() for _, n in rows if n is not None]
    assert shown, "the decided table shows the counts it can"


def test_another_process_reads_the_stored_decision_and_never_decides_it_itself(
        visits, loaded, run_worker, django_capture_on_commit_callbacks, monkeypatch):
    _, version = visits
    with django_capture_on_commit_callbacks(execute=True):
        assert public_counts(version).pending
    run_worker()
    first = public_counts(version)
    # a fresh process: nothing remembered in memory, and deciding would fail loudly
    service._decided.clear()
    privacy._memo.clear()

    def refuse(*args, **kwargs):
        raise AssertionError("a page request decided a large table")

    monkeypatch.setattr(disclosure, "suppress", refuse)
    again = service._public_counts(loaded, version, THRESHOLD)  # what a new process builds
    assert not again.pending and again.areas == first.areas
    assert _queued() == 1


def test_a_decision_that_fails_stays_hidden_and_is_queued_again_later(
        visits, loaded, run_worker, django_capture_on_commit_callbacks, monkeypatch):
    _, version = visits
    with monkeypatch.context() as failing:  # only this: the worker's own patch stays
        failing.setattr(disclosure, "suppress", lambda *a, **k: 1 / 0)
        with django_capture_on_commit_callbacks(execute=True):
            public_counts(version)
        run_worker()
        row = DisclosureDecision.objects.get()
        assert row.status == DisclosureDecision.Status.FAILED and "ZeroDivisionError" in row.error
        with django_capture_on_commit_callbacks(execute=True):
            assert public_counts(version).pending  # fails closed
        assert _queued() == 1, "not queued again at once"
        DisclosureDecision.objects.update(queued=row.queued - service.STALE)
        with django_capture_on_commit_callbacks(execute=True):
            assert public_counts(version).pending
        assert _queued() == 2
    run_worker()
    assert DisclosureDecision.objects.get().status == DisclosureDecision.Status.DONE
    assert not public_counts(version).pending


def test_a_city_sized_table_is_still_decided_on_the_request(visits, settings):
    _, version = visits
    settings.COMMONGROUND_DISCLOSURE_INLINE_AREAS = 2000
    table = public_counts(version)
    assert not table.pending and table.hidden
    assert not DisclosureDecision.objects.exists() and _queued() == 0
