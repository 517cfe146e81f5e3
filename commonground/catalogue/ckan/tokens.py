"""API tokens in CKAN calls: who a CKAN client (``ckanapi.RemoteCKAN(url, apikey=token)``) is.

Tokens are people's API tokens (:mod:`commonground.accounts.tokens`: made and revoked on
their tokens page, shown once, stored hashed). A client sends one as CKAN 2.10+ clients do,
the raw token in the ``Authorization`` header (``Bearer <token>`` is accepted too, and
``X-CKAN-API-Key``: ``ckanapi`` sends both headers).

:func:`caller` is the one answer to "who makes this call": the token's person when a token
header is sent (anonymous when that token is unknown, revoked, expired or its account
inactive: never the browser session beside it), else the session's user. It also says
whether the caller came by token, which decides CSRF for writes (:mod:`.views`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser

from commonground.accounts import tokens as user_tokens


def make_token(user, label: str = "") -> str:
    """A new token for ``user`` and only its secret (operators, tests)."""
    return user_tokens.make(user, label=label).secret


def user_for_token(secret: str):
    """The active person whose live token this is, or None."""
    return user_tokens.user_for(secret)


def sent(request) -> str | None:
    """The token the request carries, if any (``Authorization``, else ``X-CKAN-API-Key``)."""
    header = request.headers.get("Authorization") or request.headers.get("X-CKAN-API-Key")
    if not header:
        return None
    header = header.strip()
    if header[:7].lower() == "bearer ":
        header = header[7:].strip()
    return header


@dataclass(frozen=True)
class Caller:
    user: Any
    by_token: bool  # a token header was sent (the user is anonymous if it was no good)


def caller(request) -> Caller:
    """Who makes the call, worked out once per request."""
    known = getattr(request, "_ckan_caller", None)
    if known is None:
        secret = sent(request)
        if secret is None:
            known = Caller(request.user, False)
        else:
            known = Caller(user_for_token(secret) or AnonymousUser(), True)
        request._ckan_caller = known
    return known
