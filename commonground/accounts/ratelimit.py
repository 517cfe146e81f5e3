"""Rate limits for things people do: sign up, ask for data, comment.

Counts live in Django's cache (the process cache in the demo; use a shared cache such as
Redis or the database cache when several workers serve the site). Limits come from
``settings.COMMONGROUND_RATE_LIMITS``: ``{action: (how many, per seconds)}``.
"""

from __future__ import annotations

import hashlib

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
    key = "ratelimit:" + hashlib.sha256(f"{action}\n{who}".encode()).hexdigest()[:32]
    if cache.add(key, 1, timeout=seconds):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=seconds)
            count = 1
    if count > limit:
        raise RateLimited(action, limit, seconds)
