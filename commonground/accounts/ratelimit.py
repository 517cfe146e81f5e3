"""Rate limits for things people do: sign up, ask for data, comment.

Counts live in Django's cache, in fixed windows (an hour from the top of the hour, say):
the process cache in the demo; a shared cache (Redis, Memcached or the database cache)
when several workers serve the site. Sign-up counts per ``REMOTE_ADDR``: behind a proxy,
set that from the forwarded address in the proxy or a middleware you trust. A count is
read then written (not atomic): under a burst of parallel requests a few may slip past. Limits come from
``settings.COMMONGROUND_RATE_LIMITS``: ``{action: (how many, per seconds)}``.
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
    window = int(time.time() // seconds)  # fixed windows: a cache's own expiry cannot reset
    key = "ratelimit:" + hashlib.sha256(f"{action}\n{who}\n{window}".encode()).hexdigest()[:32]
    count = cache.get(key, 0) + 1
    cache.set(key, count, timeout=seconds)  # not incr: some caches reset the timeout on incr
    if count > limit:
        raise RateLimited(action, limit, seconds)
