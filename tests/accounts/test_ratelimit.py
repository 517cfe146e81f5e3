"""Rate limits count each action per person in fixed windows, and say when to come back."""

from __future__ import annotations

import time

import pytest

from commonground.accounts import ratelimit


def test_the_limit_holds_for_the_whole_window_then_resets(settings, monkeypatch):
    settings.COMMONGROUND_RATE_LIMITS = {"comment": (2, 3600)}
    now = [7200.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    ratelimit.check("comment", "7")
    now[0] += 3000  # later in the same hour: still counted
    ratelimit.check("comment", "7")
    ratelimit.check("comment", "8")  # someone else has their own count
    with pytest.raises(ratelimit.RateLimited, match="2 times in an hour"):
        ratelimit.check("comment", "7")
    now[0] += 3600
    ratelimit.check("comment", "7")


class SlowReads:
    """The cache, with every read taking long enough for other requests to run meanwhile."""

    def __init__(self, cache):
        self._cache = cache

    def __getattr__(self, name):
        method = getattr(self._cache, name)
        if not name.startswith("get"):
            return method

        def slow(*args, **kwargs):
            value = method(*args, **kwargs)
            time.sleep(0.02)
            return value
        return slow


def test_a_burst_of_parallel_attempts_cannot_slip_past_the_limit(settings, monkeypatch):
    import threading

    settings.COMMONGROUND_RATE_LIMITS = {"comment": (5, 3600)}
    monkeypatch.setattr(ratelimit, "cache", SlowReads(ratelimit.cache))
    start, allowed, lock = threading.Barrier(20), [], threading.Lock()

    def attempt():
        start.wait()
        try:
            ratelimit.check("comment", "burst")
        except ratelimit.RateLimited:
            return
        with lock:
            allowed.append(1)

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(allowed) == 5


@pytest.mark.parametrize(("hops", "forwarded", "address"), [
    (0, "6.6.6.6, 203.0.113.9", "10.0.0.2"),  # no proxy trusted: the connecting address
    (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what our proxy saw, not what the client wrote
    (2, "6.6.6.6, 203.0.113.9, 10.0.0.7", "203.0.113.9"),
    (1, "", "10.0.0.2"),  # a request that did not come through the proxy
])
def test_the_client_address_is_read_through_trusted_proxies_only(settings, rf, hops, forwarded,
                                                                   address):
    settings.COMMONGROUND_PROXY_HOPS = hops
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded)
    assert ratelimit.client_address(request) == address


def test_every_worker_process_counts_against_the_same_limit(settings, monkeypatch, db):
    """The site's own cache setting is shared across processes (the database cache, its table
    made by ``migrate``): a second worker, with a cache connection of its own, sees the slots
    the first one claimed, so two workers cannot double a limit."""
    from django.core.cache.backends.db import DatabaseCache

    from commonground import settings as site_settings
    from commonground.accounts.apps import create_cache_table

    shared = site_settings.CACHES["default"]
    assert shared["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    settings.CACHES = site_settings.CACHES
    create_cache_table()  # what ``migrate`` runs after the tables are made
    settings.COMMONGROUND_RATE_LIMITS = {"comment": (3, 3600)}

    def worker():  # each process builds its own cache object from the settings
        return DatabaseCache(shared["LOCATION"], shared)

    monkeypatch.setattr(ratelimit, "cache", worker())
    for _ in range(2):
        ratelimit.check("comment", "7")
    monkeypatch.setattr(ratelimit, "cache", worker())
    ratelimit.check("comment", "7")
    with pytest.raises(ratelimit.RateLimited):
        ratelimit.check("comment", "7")
