"""Rate limits count each action per person in fixed windows, and say when to come back."""

from __future__ import annotations

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
