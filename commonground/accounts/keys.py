"""API keys for machines: one mechanism for every kind of key (feeds', datasets').

A key is ``secrets.token_urlsafe(32)`` (256 random bits), shown once to whoever makes it and
stored only as its SHA-256 hash (a slow password hash buys nothing for random 256-bit
secrets). Its first :data:`PREFIX_LENGTH` characters are stored in clear, to name it in lists
and to find its row. A key has a name, a scope, an optional expiry, and can be revoked.

An app's key model subclasses :class:`ApiKey`, adding what the key is for (a feed, a dataset)
and its ``scope`` field with the app's choices; the functions below work on any such model.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

PREFIX_LENGTH = 8
#: The scope that satisfies both a read and a write.
BOTH = "both"


class ApiKey(models.Model):
    """The fields every key has. Subclasses add ``scope`` (a CharField with choices) and the
    thing the key is for."""

    label = models.CharField("name", max_length=200, blank=True)
    prefix = models.CharField(max_length=12, unique=True)
    hashed = models.CharField(max_length=128)
    expires = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    last_used = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def grants(self, scope: str) -> bool:
        """Whether this key's scope covers ``scope`` (a ``both`` key covers read and write)."""
        return self.scope == scope or self.scope == BOTH  # type: ignore[attr-defined]


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make(model: type[ApiKey], *, scope: str, user=None, **fields) -> tuple[ApiKey, str]:
    """A new key of ``model`` and its secret, the only copy there will be."""
    choices = model._meta.get_field("scope").choices or []
    allowed = [value for value, _ in choices]
    if scope not in allowed:
        raise ValueError(f"scope must be one of {', '.join(allowed)}, not {scope!r}")
    while True:
        secret = secrets.token_urlsafe(32)
        prefix = secret[:PREFIX_LENGTH]
        if not model.objects.filter(prefix=prefix).exists():
            break
    key = model.objects.create(scope=scope, prefix=prefix, hashed=hash_secret(secret),
                               created_by=user if getattr(user, "is_authenticated", False)
                               else None, **fields)
    return key, secret


def find(queryset, secret: str | None):
    """The key in ``queryset`` whose secret this is, or None (unknown, malformed or empty)."""
    if not secret or len(secret) <= PREFIX_LENGTH:
        return None
    # the prefix is unique: no ordering, no LIMIT
    key = next(iter(queryset.filter(prefix=secret[:PREFIX_LENGTH]).order_by()), None)
    if key is None or not hmac.compare_digest(key.hashed, hash_secret(secret)):
        return None
    return key


def lapsed(key: ApiKey, now: datetime | None = None) -> str | None:
    """Why the key no longer works (revoked, expired), or None while it does."""
    now = now or timezone.now()
    if key.revoked is not None:
        return f"key {key.prefix}… was revoked on {key.revoked:%Y-%m-%d %H:%M} UTC"
    if key.expires is not None and key.expires <= now:
        return f"key {key.prefix}… expired on {key.expires:%Y-%m-%d %H:%M} UTC"
    return None


def touch(key: ApiKey) -> None:
    """Record that the key was used now."""
    key.last_used = timezone.now()
    type(key).objects.filter(pk=key.pk).update(last_used=key.last_used)


def revoke(key: ApiKey) -> None:
    """Stop the key working, at once (revoking twice keeps the first time)."""
    if key.revoked is None:
        key.revoked = timezone.now()
        type(key).objects.filter(pk=key.pk, revoked__isnull=True).update(revoked=key.revoked)
