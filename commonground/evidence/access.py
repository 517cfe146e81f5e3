"""Who may see and change evidence packs: the rules, in one place.

* Anyone, signed in or not, reads **published** packs (page and PDF).
* Drafts are read only by the group's members (any role) and site staff; to anyone else a
  draft does not exist (404, so its title is not revealed).
* Editors and admins of the group create packs, add and remove items, refresh snapshots and
  publish.
* An item may only cite a dataset the public can see (published, not private): a pack is
  for taking to a meeting, so nothing in it may rest on data others cannot check.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commonground.accounts import permissions
from commonground.catalogue.access import member_organisation_ids

from .models import EvidencePack


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and getattr(user, "is_active", False))


def can_read(user, pack: EvidencePack) -> bool:
    return pack.is_published or permissions.can_see_drafts(user, pack.organisation)


def can_edit(user, pack: EvidencePack) -> bool:
    return permissions.can_publish(user, pack.organisation)


def can_create_in(user, organisation) -> bool:
    return permissions.can_publish(user, organisation)


def can_cite(dataset) -> bool:
    return dataset is not None and dataset.is_public


def visible_packs(user) -> QuerySet[EvidencePack]:
    packs = EvidencePack.objects.select_related("organisation")
    if _is_staff(user):
        return packs
    return packs.filter(Q(state=EvidencePack.State.PUBLISHED)
                        | Q(organisation_id__in=member_organisation_ids(user)))
