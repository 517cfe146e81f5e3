"""Named permission rules, checked by services and views alike.

Roles are ordered: member < editor < admin. Site staff (``is_staff``) may do anything an
organisation admin may. Anonymous users hold no role.
"""

from __future__ import annotations

from .models import Membership, Organisation

RANK = {Membership.Role.MEMBER: 1, Membership.Role.EDITOR: 2, Membership.Role.ADMIN: 3}


def role_in(user, organisation: Organisation) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    membership = Membership.objects.filter(user=user, organisation=organisation).only("role").first()
    return membership.role if membership else None


def has_role(user, organisation: Organisation, role: str) -> bool:
    """True when ``user`` holds ``role`` or a higher one in ``organisation``."""
    if getattr(user, "is_staff", False) and getattr(user, "is_active", False):
        return True
    held = role_in(user, organisation)
    return held is not None and RANK[held] >= RANK[role]


def can_see_drafts(user, organisation: Organisation) -> bool:
    return has_role(user, organisation, Membership.Role.MEMBER)


def can_publish(user, organisation: Organisation) -> bool:
    return has_role(user, organisation, Membership.Role.EDITOR)


def can_manage_members(user, organisation: Organisation) -> bool:
    return has_role(user, organisation, Membership.Role.ADMIN)
