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


def changes_data(function):
    """Mark an action as one that changes data: POST only, and a browser session's call
    needs the CSRF token (:mod:`.views`)."""
    function.changes_data = True
    return function


def acting_user(context: Context, action: str):
    """The signed-in caller of an action that changes data, else ``NotAuthorized``."""
    from .errors import NotAuthorized

    user = context.user
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise NotAuthorized(f"Action {action} requires an authenticated user")
    return user
