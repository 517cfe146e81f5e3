"""Feed keys: secrets for writing observations to one feed, or reading a private one.

A key is ``secrets.token_urlsafe(32)`` (256 random bits), shown once to the editor who makes
it and stored only as its SHA-256 hash (a slow password hash buys nothing for random
256-bit secrets). Its first ``PREFIX_LENGTH`` characters are stored in clear as its name in
lists and to find its row; a key is valid for one feed and one scope until it expires or
is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from commonground.accounts import keys as api_keys
from commonground.accounts import permissions

from .models import Feed, FeedKey

PREFIX_LENGTH = api_keys.PREFIX_LENGTH


@dataclass(frozen=True)
class NewKey:
    key: FeedKey
    secret: str  # shown once, never stored


def make_key(feed: Feed, scope: str, *, label: str = "", expires: datetime | None = None,
             user=None) -> NewKey:
    """Make a key for ``feed``; the returned ``secret`` is the only copy there will be."""
    key, secret = api_keys.make(FeedKey, scope=scope, user=user, feed=feed, label=label,
                                expires=expires)
    return NewKey(key=key, secret=secret)


def find(secret: str | None) -> FeedKey | None:
    """The key whose secret this is, or None (unknown, malformed or empty)."""
    return api_keys.find(FeedKey.objects.select_related("feed__organisation", "created_by"),
                         secret)


def problem(key: FeedKey, feed: Feed, scope: str, now: datetime | None = None) -> str | None:
    """Why ``key`` may not act on ``feed`` in ``scope`` (None when it may)."""
    lapsed = api_keys.lapsed(key, now)
    if lapsed:
        return lapsed
    if key.feed_id != feed.pk:
        return f"key {key.prefix}… is not a key of feed {feed.slug!r}"
    if not key.grants(scope):
        return f"key {key.prefix}… is a {key.scope} key; this needs a {scope} key"
    maker = key.created_by if key.created_by_id else None
    if maker is not None and not (maker.is_active
                                  and permissions.can_publish(maker, feed.organisation)):
        # a key made by an editor acts only while they are one (as dataset keys do); keys
        # made with no one signed in (the operator's commands) have no maker to check
        return (f"key {key.prefix}… was made by someone who is no longer an editor of "
                f"{feed.organisation.name}: ask an editor for a new key")
    return None


touch = api_keys.touch
revoke = api_keys.revoke


def keys_of(feed: Feed):
    """The feed's keys, newest first, by prefix (the secrets are not kept)."""
    return FeedKey.objects.filter(feed=feed).order_by("-created")
