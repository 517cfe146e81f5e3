"""Once: what is built per load is built by one thread while the others wait for it.

Pure Python: ``.venv/bin/python -m pytest -p no:django tests/places/test_once.py``.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from commonground.places.once import Once


def together(n: int, task) -> list:
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        return task(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def test_24_threads_asking_at_once_get_one_value_built_once():
    once, builds = Once(), []

    def build():
        builds.append(threading.get_ident())
        time.sleep(0.05)  # long enough for every other thread to arrive meanwhile
        return object()

    values = together(24, lambda i: once.get("city", build))

    assert len(builds) == 1
    assert len({id(v) for v in values}) == 1


def test_a_failed_build_hands_nothing_out_and_the_next_caller_builds_again():
    once, calls = Once(), []

    def fails():
        calls.append("fails")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        once.get("city", fails)
    assert once.get("city", lambda: "built") == "built"
    assert calls == ["fails"]


def test_a_build_may_ask_for_another_key_while_other_threads_wait():
    """The lens's city is built from the city's index: nested builds must not deadlock."""
    once = Once()

    def lens(i):
        return once.get("lens", lambda: ("lens", once.get("index", lambda: "index")))

    assert set(together(8, lens)) == {("lens", "index")}


def test_keep_remembers_the_newest_keys_and_readers_keep_what_they_got():
    once = Once(keep=2)
    first = once.get(1, lambda: ["load 1"])
    once.get(2, lambda: ["load 2"])
    once.get(3, lambda: ["load 3"])

    assert once.get(1, lambda: ["load 1 again"]) == ["load 1 again"]  # forgotten, built anew
    assert first == ["load 1"]
    assert once.get(3, lambda: ["never"]) == ["load 3"]
    once.clear()
    assert once.get(3, lambda: ["after clear"]) == ["after clear"]
