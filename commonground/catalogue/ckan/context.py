"""The first argument of every CKAN action: who asks, and the HTTP request they sent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest


@dataclass
class Context:
    """Who asks (a Django user, possibly anonymous) and the HTTP request (for URLs)."""

    user: Any
    request: HttpRequest
    api_version: int = 3

    @property
    def username(self) -> str:
        return self.user.get_username() if getattr(self.user, "is_authenticated", False) else ""
