"""Who reads rows, and the read log: every read of restricted rows, for the owner to read.

:func:`reader` is how a path that reads rows asks ``access.row_access`` (with the dataset key
the request sent, if any) and learns why not (:class:`ReadRefused`: a refused key's problem,
or that the rows are withheld).

Each path that reads rows (a page, the row API, a download, CKAN's datastore_search and
datastore_search_sql) calls :func:`record_read` once per answer, after
:func:`..access.row_access` gave it a :class:`..access.RowAccess`. A read is logged when
``access.audited`` (rows of a restricted dataset or of one about people); a dataset key
used for any read has its ``last_used`` set, at most once a :data:`TOUCH_EVERY` (a machine
reading page after page writes one UPDATE a minute, not one a page). One INSERT a read.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from commonground.accounts import keys as api_keys

from .. import access as rules
from ..access import RowAccess
from ..models import Dataset, DatasetKey, RowRead

#: Longest ``detail`` kept (the model's field).
DETAIL_CHARS = 500
#: How stale a key's ``last_used`` may be before a read sets it again.
TOUCH_EVERY = timedelta(minutes=1)


def who(user, access: RowAccess) -> str:
    """How the reader is named in the log: their user name, or the key's prefix."""
    if getattr(user, "is_authenticated", False):
        return user.get_username()[:150]
    if access.key is not None:
        return f"key {access.key.prefix}…"
    return "anonymous"


def record_read(dataset: Dataset, access: RowAccess, *, user=None, channel: str,
                resource=None, version=None, detail: str = "",
                rows: int | None = None) -> RowRead | None:
    """Log one read of ``dataset``'s rows made with ``access`` (the new row; None when the
    read is not audited).

    channel: a :class:`RowRead.Channel` value (page, api, download, ckan, sql)
    version: the version read (its number is kept), if one
    detail:  what was asked (a query string, a format, the SQL), cut to 500 characters
    rows:    rows returned, when known
    """
    key = access.key
    if key is not None and (key.last_used is None
                            or timezone.now() - key.last_used >= TOUCH_EVERY):
        api_keys.touch(key)
    if not access.audited:
        return None
    reader = user if getattr(user, "is_authenticated", False) else None
    if reader is None and access.key is not None and access.key.created_by_id:
        reader_id = access.key.created_by_id
    else:
        reader_id = reader.pk if reader is not None else None
    return RowRead.objects.create(
        dataset=dataset, user_id=reader_id, who=who(user, access), key=access.key,
        grant=access.grant, channel=channel, resource=resource,
        version_number=version.number if version is not None else None,
        detail=(detail or "")[:DETAIL_CHARS], rows=rows)


def key_refusal(key, dataset: Dataset, now=None) -> str:
    """Why a dataset key sent with a read of ``dataset`` does not read it (for the 403)."""
    now = now or timezone.now()
    name = f"key {key.prefix}…"
    if key.dataset_id != dataset.pk:
        return f"{name} is for another dataset"
    if not key.grants(DatasetKey.Scope.READ):
        return f"{name} may only upload new versions, not read rows"
    lapsed = api_keys.lapsed(key, now)
    if lapsed:
        return lapsed[0].upper() + lapsed[1:]
    grant = key.grant
    if grant is not None:
        if grant.revoked is not None:
            return (f"The grant {name} reads within was revoked on "
                    f"{grant.revoked:%Y-%m-%d %H:%M} UTC")
        if grant.expires <= now:
            return f"The grant {name} reads within ended on {grant.expires:%Y-%m-%d %H:%M} UTC"
        if grant.starts > now:
            return f"The grant {name} reads within starts on {grant.starts:%Y-%m-%d %H:%M} UTC"
    return f"{name} cannot read this dataset"


class ReadRefused(Exception):
    """No rows for this reader; the message says why (for a 403)."""


def reader(request, dataset: Dataset, *, user=None, keys: bool = True) -> RowAccess:
    """What the request may read of ``dataset``'s rows: ``access.row_access`` for its user
    (``user`` when given, e.g. a CKAN token's) or the dataset key it sent (unless ``keys`` is
    off); :class:`ReadRefused` with the reason when nothing (a refused key's problem, or the
    dataset's rule)."""
    user = request.user if user is None else user
    key = rules.key_sent(request) if keys else None
    found = rules.row_access(user, dataset, key=key)
    if found is not None:
        return found
    if key is not None:
        raise ReadRefused(key_refusal(key, dataset))
    raise ReadRefused(withheld_message(dataset))


def withheld_message(dataset: Dataset) -> str:
    """What someone with no rows of ``dataset`` is told."""
    return rules.RESTRICTED_WITHHELD if dataset.restricted else rules.RECORDS_WITHHELD
