"""Everything derived from a load lives in that load's one memo (``CityState.derived``).

The point indexes, best-fit parents, the lens's city and results, the linker's gazetteer, a
version's public counts, the energy pages' tables: each is built on first use by one thread
while the other threads asking for it wait, kept as long as its load is, and never shared
with another load. Before, disclosure counts and the building candidates were kept in
hand-written caches that checked outside their lock, so a burst of first requests computed
the same suppression (an LP over every published table, about a second) once per thread.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import replace

import pytest

from commonground.catalogue.models import IngestJob, Theme
from commonground.catalogue.services import disclosure
from commonground.energy import buildings
from commonground.places.once import Once

from .test_first_requests import together

THREADS = 8
_kinds = itertools.count()


def fresh_kind() -> str:
    return f"test value {next(_kinds)}"  # the session's city is shared: a kind of our own


def counting(monkeypatch, module, name: str) -> list:
    """Replace ``module.name`` by a slow wrapper that records each call."""
    calls, real = [], getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(threading.get_ident())
        time.sleep(0.2)  # a build long enough for every thread to ask while it runs
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_a_derived_value_is_built_once_while_the_others_wait(loaded):
    kind, builds = fresh_kind(), []

    def build():
        builds.append(1)
        time.sleep(0.2)
        return object()

    got = together([lambda: loaded.derived(kind, build)] * THREADS)

    assert len(builds) == 1 and len({id(value) for value in got}) == 1
    assert loaded.derived(kind, build) is got[0] and len(builds) == 1


def test_values_of_one_kind_are_told_apart_by_key_and_only_the_newest_kept(loaded):
    kind, other = fresh_kind(), fresh_kind()
    kept = loaded.derived(other, object)
    first = [loaded.derived(kind, object, key=k, keep=2) for k in "abc"]

    assert len({id(v) for v in first}) == 3
    assert loaded.derived(kind, object, key="c", keep=2) is first[2]
    assert loaded.derived(kind, object, key="b", keep=2) is first[1]
    assert loaded.derived(kind, object, key="a", keep=2) is not first[0]  # forgotten, built anew
    assert loaded.derived(other, object) is kept  # another kind is not bounded by this one


def test_another_load_derives_its_own_values_and_the_old_load_keeps_its(loaded):
    kind = fresh_kind()
    old = loaded.derived(kind, object)
    reloaded = replace(loaded, _derived=Once())  # a new CityState, as a reload builds

    assert reloaded.derived(kind, object) is not old
    assert loaded.derived(kind, object) is old


@pytest.fixture
def about_people(loaded, make_dataset, ingest_path, data_dir):
    dataset = make_dataset("home-visits", title="Home visits", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv",
                      name="Visits")
    assert job.status == IngestJob.Status.DONE, job.error
    return job.version


def test_first_requests_for_a_version_s_public_counts_suppress_once(
        about_people, monkeypatch, settings):
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 7  # counts no request has asked for yet
    calls = counting(monkeypatch, disclosure, "city_suppression")

    got = together([lambda: disclosure.public_counts(about_people)] * THREADS)

    assert len(calls) == 1 and all(counts is got[0] for counts in got)
    assert got[0].threshold == 7 and got[0].hidden
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 8  # another threshold: counts of their own
    assert disclosure.public_counts(about_people).threshold == 8 and len(calls) == 2


def test_first_requests_for_the_building_candidates_build_them_once(
        loaded, make_dataset, ingest_path, data_dir, monkeypatch):
    schools = make_dataset("schools", title="Schools")
    schools.themes.add(Theme.objects.create(name="education", title="Education"))
    job = ingest_path(schools, data_dir / "points" / "mk_schools_gias_2025-05.csv")
    assert job.status == IngestJob.Status.DONE, job.error
    calls = counting(monkeypatch, buildings, "_add_need")

    got = together([buildings.candidates] * THREADS)

    assert len(calls) == 1 and all(rows is got[0] for rows in got) and got[0]
    job = ingest_path(schools, data_dir / "points" / "mk_schools_gias_2025-05.csv",
                      resource=job.resource)  # a new version: the candidates are read anew
    assert job.status == IngestJob.Status.DONE, job.error
    assert buildings.candidates() is not got[0] and len(calls) == 2
