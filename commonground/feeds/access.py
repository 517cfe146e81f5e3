"""Who may read and change a feed: the rules, in one place (pages, the MK Data Hub API,
SensorThings and the push API all ask here).

* A **published** feed that is not private: anyone, signed in or not, reads it.
* A **private** published feed: members (any role) of its organisation, site staff, and
  whoever holds a valid **read** key of *that* feed.
* A **draft** feed: members of its organisation and site staff only (no key opens a draft).
* Editors and admins of the organisation (and staff) edit a feed: its things, datastreams
  and keys. A **write** key writes observations only; it does not read a private feed.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commonground.accounts import permissions
from commonground.accounts.models import Membership, Organisation

from . import keys
from .models import Feed, FeedKey


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and getattr(user, "is_active", False))


def _member_organisation_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


def visible_feeds(user) -> QuerySet[Feed]:
    """The feeds ``user`` sees listed: public ones, and every feed of their organisations."""
    feeds = Feed.objects.all()
    if _is_staff(user):
        return feeds
    public = Q(state=Feed.State.PUBLISHED, private=False)
    return feeds.filter(public | Q(organisation_id__in=_member_organisation_ids(user)))


def can_read(user, feed: Feed, key: str | FeedKey | None = None) -> bool:
    """Whether ``user`` (or the holder of ``key``, a secret or a checked FeedKey) reads
    ``feed``'s things, datastreams and observations."""
    if feed.is_public or permissions.can_see_drafts(user, feed.organisation):
        return True
    if key is None or feed.state != Feed.State.PUBLISHED:
        return False
    found = key if isinstance(key, FeedKey) else keys.find(key)
    return found is not None and keys.problem(found, feed, FeedKey.Scope.READ) is None


def can_edit(user, feed: Feed) -> bool:
    """Editors and admins of the feed's organisation, and staff."""
    return permissions.can_publish(user, feed.organisation)


def owning_organisations(user) -> QuerySet[Organisation]:
    """The organisations ``user`` may create feeds for (editor or admin; staff: all)."""
    if _is_staff(user):
        return Organisation.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user,
        memberships__role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).distinct()
