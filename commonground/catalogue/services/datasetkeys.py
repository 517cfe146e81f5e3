"""Dataset keys: what a person does with the API keys of one dataset (``DatasetKey``, on
``accounts.keys``: shown once, stored hashed).

* An **editor** of the owning organisation makes a key with a name, a scope (read, write or
  both) and an optional expiry; lists the dataset's keys by prefix; revokes any of them.
* A **grantee** makes a read key for their active grant: it reads exactly the grant's scope
  (``access.row_access``) and expires at the grant's end or earlier (the grant's end when no
  expiry is given); they list and revoke their grant's keys.
* The write-key upload API asks :func:`write_problem` whether a key may upload to a dataset.

Refusals raise :class:`KeyRefused` (a field and a message, nothing made) or
``PermissionDenied`` (not an editor, not the grantee).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from commonground.accounts import keys as api_keys
from commonground.catalogue import access
from commonground.catalogue.access_models import DatasetKey, Grant
from commonground.catalogue.models import Dataset


class KeyRefused(ValueError):
    """A key that cannot be made as asked; ``field`` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class NewKey:
    key: DatasetKey
    secret: str  # shown once, never stored


def _future(expires: datetime | None, now: datetime) -> None:
    if expires is not None and expires <= now:
        raise KeyRefused("expires", "The expiry must be in the future.")


def make_editor_key(dataset: Dataset, user, *, scope: str, label: str = "",
                    expires: datetime | None = None) -> NewKey:
    """A key of ``dataset`` made by one of its editors: ``scope`` read, write or both;
    ``expires`` None for a key that lasts until it is revoked."""
    if not access.can_edit(user, dataset):
        raise PermissionDenied("Only editors of the organisation publishing this dataset "
                               "make its keys.")
    if scope not in DatasetKey.Scope.values:
        raise KeyRefused("scope", f"The scope must be one of {', '.join(DatasetKey.Scope.values)}"
                                  f", not {scope!r}.")
    _future(expires, timezone.now())
    key, secret = api_keys.make(DatasetKey, scope=scope, user=user, dataset=dataset,
                                label=label, expires=expires)
    return NewKey(key, secret)


def make_grant_key(grant: Grant, user, *, label: str = "",
                   expires: datetime | None = None) -> NewKey:
    """A read key for ``grant``, made by its grantee while the grant is active; it expires at
    ``expires`` (no later than the grant's end) or, when None, at the grant's end."""
    if not getattr(user, "is_authenticated", False) or grant.user_id != user.pk:
        raise PermissionDenied("Only the person a grant was given to makes keys for it.")
    now = timezone.now()
    if not grant.is_active(now):
        raise KeyRefused("grant", "This grant is not active (it has ended, been revoked or "
                                  "not yet started): it cannot have new keys.")
    _future(expires, now)
    if expires is not None and expires > grant.expires:
        raise KeyRefused("expires", f"A key for this grant must expire by the grant's end, "
                                    f"{grant.expires:%Y-%m-%d %H:%M} UTC.")
    key, secret = api_keys.make(DatasetKey, scope=DatasetKey.Scope.READ, user=user,
                                dataset_id=grant.dataset_id, grant=grant, label=label,
                                expires=expires or grant.expires)
    return NewKey(key, secret)


def may_revoke(user, key: DatasetKey) -> bool:
    """Editors revoke any key of their dataset; a grantee revokes their grant's keys."""
    if access.can_edit(user, key.dataset):
        return True
    return key.grant_id is not None and getattr(user, "pk", None) == key.grant.user_id


def revoke(key: DatasetKey, user) -> None:
    """Stop the key working at once (the next request it signs is refused)."""
    if not may_revoke(user, key):
        raise PermissionDenied("Only the dataset's editors, or the grantee for a grant's "
                               "key, revoke a key.")
    api_keys.revoke(key)


def keys_of(dataset: Dataset) -> QuerySet[DatasetKey]:
    """Every key of the dataset (editors' and grantees'), newest first, by prefix."""
    return (DatasetKey.objects.filter(dataset=dataset)
            .select_related("grant__user", "created_by").order_by("-created"))


def keys_of_grant(grant: Grant) -> QuerySet[DatasetKey]:
    return DatasetKey.objects.filter(grant=grant).order_by("-created")


def write_problem(key: DatasetKey, dataset: Dataset, now: datetime | None = None) -> str | None:
    """Why ``key`` may not upload new versions to ``dataset`` (None when it may)."""
    lapsed = api_keys.lapsed(key, now)
    if lapsed:
        return lapsed
    if key.dataset_id != dataset.pk:
        return (f"key {key.prefix}… is a key of dataset {key.dataset.name!r}, not of this "
                f"resource's dataset")
    if key.grant_id is not None or not key.grants(DatasetKey.Scope.WRITE):
        return f"key {key.prefix}… is a {key.scope} key; uploading needs a write key"
    maker = key.created_by
    if maker is None or not maker.is_active or not access.can_edit(maker, dataset):
        # a key uploads in its maker's name, so it stops when they no longer could
        return (f"key {key.prefix}… was made by someone who is no longer an editor of the "
                f"organisation publishing this dataset; an editor makes a new key")
    return None
