"""Rate limits for things people do: sign up, reset a password, ask for data, comment.

Counts live in Django's cache, in fixed windows (an hour from the top of the hour, say):
the process cache in the demo (``settings.CACHES``, room for 100,000 entries); a shared
cache (Redis, Memcached or the database cache) when several workers serve the site. Each
of the ``limit`` uses in a window is a slot claimed with ``cache.add``, which the local-
memory, Redis, Memcached and database caches do atomically (a slot can be claimed once),
so a burst of parallel requests cannot slip past the limit; Django's file cache cannot
promise that. No backend can stretch or shorten a window, since the window is part of the
key. A cache that fills up and drops entries forgets slots, so give it room. Limits come
from ``settings.COMMONGROUND_RATE_LIMITS``: ``{action: (how many, per seconds)}``.

Things done without an account count per client address (:func:`client_address`): behind
reverse proxies, set ``COMMONGROUND_PROXY_HOPS`` to how many of them you trust.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


class RateLimited(Exception):
    """Raised by ``check`` when the limit is reached; ``str()`` says so in plain words."""

    def __init__(self, action: str, limit: int, seconds: int):
        self.action, self.limit, self.seconds = action, limit, seconds
        hours = seconds / 3600
        period = "an hour" if hours == 1 else f"{hours:g} hours" if hours >= 1 else \
            f"{seconds // 60} minutes"
        super().__init__(f"Too many at once: you can {action} {limit} times in {period}. "
                         "Please try again later.")


def check(action: str, who: str) -> None:
    """Count one ``action`` by ``who`` (a user id or an address); raise ``RateLimited``
    when ``who`` has already done it the allowed number of times in the period."""
    limit, seconds = settings.COMMONGROUND_RATE_LIMITS[action]
    window = int(time.time() // seconds)
    key = "ratelimit:" + hashlib.sha256(f"{action}\n{who}\n{window}".encode()).hexdigest()[:32]
    slots = [f"{key}:{n}" for n in range(limit)]
    taken = cache.get_many(slots)  # skip the slots already claimed, then race for the rest
    for slot in slots:
        if slot not in taken and cache.add(slot, 1, timeout=seconds):
            return
    raise RateLimited(action, limit, seconds)


def client_address(request) -> str:
    """The address a request came from: ``REMOTE_ADDR``, or behind ``COMMONGROUND_PROXY_HOPS``
    trusted reverse proxies the address the outermost of them saw (``X-Forwarded-For``, counted
    from the right, so addresses a client writes in the header itself are never used)."""
    hops = getattr(settings, "COMMONGROUND_PROXY_HOPS", 0)
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "")
