"""The city held in memory under a burst of first requests: on a new load, and on a reload
while requests on the old load are still running.

A server's worker threads all ask for the city at once when it starts and again after the
city's data is reloaded. Each part built in memory — the city (``CityState``), its point
index, the lens's city, the linker's gazetteer, the energy page's neighbourhood potential —
must be built once, by one thread, and handed whole to all 24 threads; requests holding the
previous load keep answering from it, unchanged. Before the fix, this burst crashed the
process (segmentation fault in GEOS: ``shapely.prepare`` on an array other threads read).

The new load is a copy of the current ``LoadRun`` made in the test's transaction; the threads
share the test's database connection, as Django's live server threads do, so they see it.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import Client

from commonground.catalogue.gazetteer import gazetteer
from commonground.catalogue.services.lens import lens_city
from commonground.places import cache
from commonground.places.maps import city_map
from commonground.places.models import Area, LoadRun
from commonground.places.search import areas_at

THREADS = 24  # the burst that crashed a fresh server


def together(tasks) -> list:
    """Run each task on its own thread, all released at the same instant; results in order.
    The threads use the test's database connection (see the module docstring)."""
    shared = connections[DEFAULT_DB_ALIAS]
    barrier = threading.Barrier(len(tasks))

    def run(task):
        connections[DEFAULT_DB_ALIAS] = shared
        barrier.wait()
        return task()

    shared.inc_thread_sharing()
    try:
        with ThreadPoolExecutor(len(tasks)) as pool:
            return list(pool.map(run, tasks))
    finally:
        shared.dec_thread_sharing()


@pytest.fixture
def new_load(db):
    """A reload of the city as a server sees it: a newer ``LoadRun`` appears in the database.
    Yields the city of the load before it, in memory, and the new load."""
    old_state = cache.city_state()
    run = LoadRun.objects.get(pk=old_state.run.pk)
    run.pk = None
    run.save()
    yield old_state, run
    cache.clear()  # the new load goes with the test's transaction


def page(url: str):
    def get():
        response = Client().get(url)
        return ("page", url, response.status_code)
    return get


def parts():
    state = cache.city_state()
    return ("parts", state, state.index(state.base), lens_city(), gazetteer())


def lookup(lat: float, lon: float):
    return lambda: ("lookup", areas_at(lat, lon)["base"]["code"])


def base_points(state):
    return (np.array([a.easting for a in state.base_areas]),
            np.array([a.northing for a in state.base_areas]))


def burst(run: LoadRun) -> list:
    """24 first requests: every page and service that builds a part of the city in memory."""
    areas = Area.objects.order_by("code")
    base = areas.filter(geography=run.base_geography).first()
    ward = areas.filter(geography="ward").first()
    tasks = [page(f"/places/{base.geography}/{base.code}/"),
             page(f"/places/ward/{ward.code}/"),
             page("/places/lookup?lat=52.0406&lon=-0.7594"),
             page("/api/places/lookup?lat=52.0406&lon=-0.7594"),
             page("/energy/neighbourhoods/"),
             page("/"),
             parts,
             lookup(52.0406, -0.7594)]
    return [tasks[i % len(tasks)] for i in range(THREADS)]


def check_one_city_built_once(results, run: LoadRun) -> cache.CityState:
    statuses = {url: status for kind, url, status in (r for r in results if r[0] == "page")}
    assert statuses.pop("/places/lookup?lat=52.0406&lon=-0.7594") == 302  # to its area
    assert set(statuses.values()) == {200}, statuses
    built = [r[1:] for r in results if r[0] == "parts"]
    assert len(built) == THREADS // 8 > 1
    for i in range(4):  # the city, its index, the lens's city, the gazetteer: one of each
        assert len({id(b[i]) for b in built}) == 1
    state, index, lens, gaz = built[0]
    assert state.run.pk == run.pk and state is cache.city_state()
    assert gaz.index is index and lens.geometries is state.geometries(state.base)
    assert not shapely.is_prepared(state.geometries(state.base)).any()
    x, y = base_points(state)
    assert index.locate(x, y).tolist() == list(range(len(state.base_areas)))
    found = {r[1] for r in results if r[0] == "lookup"}
    assert found == {areas_at(52.0406, -0.7594)["base"]["code"]}
    return state


def test_24_first_requests_on_a_new_load_share_one_city_built_once(new_load):
    _, run = new_load  # nothing is built for it yet, as on a fresh server

    results = together(burst(run))

    check_one_city_built_once(results, run)


@pytest.mark.parametrize("where", ["another process", "this process"])
def test_requests_on_the_old_load_go_on_while_24_first_requests_build_the_new(new_load, where):
    old, run = new_load
    old_index, old_lens = old.index(old.base), lens_city(old)
    x, y = base_points(old)
    before = old_index.locate(x, y)
    old_map = city_map(state=old)
    if where == "this process":
        cache.clear()  # what load_places does after its transaction

    def old_reader():  # a request that began before the reload
        return ("old", old.index(old.base), old_index.locate(x, y), lens_city(old),
                city_map(state=old))

    results = together(burst(run) + [old_reader] * 8)

    for _, index, found, lens, drawn in results[THREADS:]:
        assert index is old_index and lens is old_lens
        assert (found == before).all() and drawn == old_map
    new = check_one_city_built_once(results[:THREADS], run)
    assert new is not old and new.index(new.base) is not old_index
    assert lens_city(new) is not old_lens
    assert (new.index(new.base).locate(x, y) == before).all()  # the same data, read anew
