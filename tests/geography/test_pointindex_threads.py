"""AreaIndex shared between threads: a web server's worker threads use one index at once.

Run with ``.venv/bin/python -m pytest -p no:django tests/geography/test_pointindex_threads.py``.

GEOS prepared geometries build their point locators lazily, on first use, and that first
use is not thread-safe (https://github.com/libgeos/geos/issues/825): before the fix, 24
simultaneous first requests crashed the server with a segmentation fault. The rules: building
an index never prepares (changes) the geometries it is given, so other threads may go on
reading them; and an index, once built, answers any number of threads at once, the same as
one thread would. On the old code these tests crash the process or fail the first rule.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import shapely

from commonground.geography.pointindex import AreaIndex

from .test_pointindex import brute_force, lsoa21_boundaries

THREADS = 24  # the burst that crashed a fresh server


def together(task, n: int = THREADS) -> list:
    """Run ``task(i)`` on ``n`` threads released at the same instant; their results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


@pytest.fixture(scope="module")
def boundaries():
    codes, geoms = lsoa21_boundaries()
    rng = np.random.default_rng(20250101)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    vertices = shapely.get_coordinates(geoms)
    x = np.concatenate([rng.uniform(xmin, xmax, 20_000), vertices[:, 0]])
    y = np.concatenate([rng.uniform(ymin, ymax, 20_000), vertices[:, 1]])
    # the answers, from a copy of the polygons no index has touched
    expected = brute_force(shapely.from_wkb(shapely.to_wkb(geoms)), x, y)
    return codes, geoms, x, y, expected


def test_building_an_index_leaves_the_given_geometries_unprepared(boundaries):
    codes, geoms, *_ = boundaries
    geoms = shapely.from_wkb(shapely.to_wkb(geoms))
    index = AreaIndex(codes, geoms)
    assert len(index) == len(codes)
    assert not shapely.is_prepared(geoms).any()


def test_threads_locating_on_a_fresh_index_at_once_get_the_single_thread_answers(boundaries):
    codes, geoms, x, y, expected = boundaries
    index = AreaIndex(codes, shapely.from_wkb(shapely.to_wkb(geoms)))  # no locate yet

    # each thread its own slice of the points, boundary points included, all at once
    parts = np.array_split(np.arange(len(x)), THREADS)
    found = together(lambda i: index.locate(x[parts[i]], y[parts[i]]))

    assert (np.concatenate(found) == expected).all()
    assert (expected >= 0).mean() > 0.3  # areas are really hit, not only -1


def test_threads_building_indexes_from_one_shared_array_while_others_read_it(boundaries):
    """What the server did on its first requests: some threads build an index from the
    city's geometries while others draw maps and find neighbours from the same array."""
    codes, geoms, x, y, expected = boundaries
    shared = shapely.from_wkb(shapely.to_wkb(geoms))

    def task(i):
        if i % 2:
            return AreaIndex(codes, shared).locate(x, y)
        pairs = shapely.STRtree(shared).query(shared, predicate="intersects")  # neighbours
        return len(pairs[0])

    results = together(task)

    assert all((found == expected).all() for found in results[1::2])
    assert len(set(results[0::2])) == 1  # every reader found the same neighbour pairs
    assert not shapely.is_prepared(shared).any()


def test_an_array_larger_than_a_chunk_is_shared_out_and_answers_as_brute_force():
    """``locate`` cuts large arrays into slices for the threads and then sorts the points
    left for exact tests by cell: every point must still get its own answer, in place."""
    from commonground.geography.pointindex import CHUNK

    from .test_pointindex import SQUARES

    geoms = list(SQUARES.values())
    index = AreaIndex(list(SQUARES), geoms, cell_size=0.3)
    rng = np.random.default_rng(11)
    n = CHUNK + CHUNK // 2
    # quarter-unit lattice points (on edges and vertices) scattered among random ones
    x = np.where(rng.random(n) < 0.1, rng.integers(-4, 12, n) / 4, rng.uniform(-1, 3, n))
    y = np.where(rng.random(n) < 0.1, rng.integers(-4, 12, n) / 4, rng.uniform(-1, 3, n))
    found = index.locate(x.reshape(3, -1), y.reshape(3, -1))
    assert found.shape == (3, n // 3)
    assert (found.ravel() == brute_force(geoms, x, y)).all()
