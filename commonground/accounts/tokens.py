"""Use cases: a person's API tokens (``ApiToken``, on :mod:`.keys`: shown once, stored hashed).

A person makes a token on their tokens page (a name, an optional expiry), sees their tokens by
prefix (name, expiry, last used) and revokes any of them at once. A program sends the token in
the ``Authorization`` header (as CKAN 2.10+ clients do) and acts as that person:
:func:`user_for` gives the person back only while the token is neither revoked nor expired
and the person's account is active. The token carries no rights of its own: each call is
checked against the person's memberships at that moment, so someone who left an
organisation cannot act for it with a token made while they belonged. Changing or resetting
the password revokes every live token (:func:`revoke_all`; CKAN keeps them): whoever took the
password may have made one, and the person makes new ones on the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from . import keys
from .models import ApiToken


class TokenRefused(ValueError):
    """A token that cannot be made as asked; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str  # shown once, never stored


def make(user, *, label: str = "", expires: datetime | None = None) -> NewToken:
    """A new token for ``user`` (signed in, active); ``expires`` None: until revoked."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        raise TokenRefused("user", "Only a signed-in, active account makes API tokens.")
    if expires is not None and expires <= timezone.now():
        raise TokenRefused("expires", "The expiry must be in the future.")
    # ``user`` is who made it (``created_by``); ``user_id`` whose token it is: the same
    token, secret = keys.make(ApiToken, scope=ApiToken.Scope.ACT, user=user, user_id=user.pk,
                              label=label, expires=expires)
    return NewToken(token, secret)  # type: ignore[arg-type]


def tokens_of(user):
    """The person's tokens, newest first (revoked and expired ones too, marked)."""
    return ApiToken.objects.filter(user=user).order_by("-created")


def revoke(user, prefix: str) -> ApiToken | None:
    """Revoke the person's token with this prefix; None when they have none such."""
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is not None:
        keys.revoke(token)
    return token


def revoke_all(user) -> int:
    """Revoke every live token of the person (a new password: see above); how many."""
    return ApiToken.objects.filter(user=user, revoked__isnull=True).update(
        revoked=timezone.now())


def user_for(secret: str | None):
    """The active person a live token belongs to (its use recorded), or None."""
    token = keys.find(ApiToken.objects.select_related("user"), (secret or "").strip())
    if token is None or keys.lapsed(token) is not None or not token.user.is_active:
        return None
    keys.touch(token)
    return token.user
