"""Feed keys: secrets for writing observations to one feed, or reading a private one.

A key is ``secrets.token_urlsafe(32)`` (256 random bits), shown once to the editor who makes
it and stored only as its SHA-256 hash (a slow password hash buys nothing for random
256-bit secrets). Its first ``PREFIX_LENGTH`` characters are stored in clear as its name in
lists and to find its row; a key is valid for one feed and one scope until it expires or
is revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from .models import Feed, FeedKey

PREFIX_LENGTH = 8


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: FeedKey
    secret: str  # shown once, never stored


def make_key(feed: Feed, scope: str, *, label: str = "", expires: datetime | None = None,
             user=None) -> NewKey:
    """Make a key for ``feed``; the returned ``secret`` is the only copy there will be."""
    if scope not in FeedKey.Scope.values:
        raise ValueError(f"scope must be one of {', '.join(FeedKey.Scope.values)}, not {scope!r}")
    while True:
        secret = secrets.token_urlsafe(32)
        prefix = secret[:PREFIX_LENGTH]
        if not FeedKey.objects.filter(prefix=prefix).exists():
            break
    key = FeedKey.objects.create(feed=feed, scope=scope, label=label, prefix=prefix,
                                 hashed=_hash(secret), expires=expires,
                                 created_by=user if getattr(user, "is_authenticated", False)
                                 else None)
    return NewKey(key=key, secret=secret)


def find(secret: str | None) -> FeedKey | None:
    """The key whose secret this is, or None (unknown, malformed or empty)."""
    if not secret or len(secret) <= PREFIX_LENGTH:
        return None
    key = FeedKey.objects.select_related("feed").filter(prefix=secret[:PREFIX_LENGTH]).first()
    if key is None or not hmac.compare_digest(key.hashed, _hash(secret)):
        return None
    return key


def problem(key: FeedKey, feed: Feed, scope: str, now: datetime | None = None) -> str | None:
    """Why ``key`` may not act on ``feed`` in ``scope`` (None when it may)."""
    now = now or timezone.now()
    if key.revoked is not None:
        return f"key {key.prefix}… was revoked on {key.revoked:%Y-%m-%d %H:%M} UTC"
    if key.expires is not None and key.expires <= now:
        return f"key {key.prefix}… expired on {key.expires:%Y-%m-%d %H:%M} UTC"
    if key.feed_id != feed.pk:
        return f"key {key.prefix}… is not a key of feed {feed.slug!r}"
    if key.scope != scope:
        return f"key {key.prefix}… is a {key.scope} key; this needs a {scope} key"
    return None


def touch(key: FeedKey) -> None:
    """Record that the key was used now."""
    key.last_used = timezone.now()
    FeedKey.objects.filter(pk=key.pk).update(last_used=key.last_used)


def revoke(key: FeedKey) -> None:
    if key.revoked is None:
        key.revoked = timezone.now()
        FeedKey.objects.filter(pk=key.pk).update(revoked=key.revoked)


def keys_of(feed: Feed):
    """The feed's keys, newest first, by prefix (the secrets are not kept)."""
    return FeedKey.objects.filter(feed=feed).order_by("-created")
