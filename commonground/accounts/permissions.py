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


def can_see_personal_data(user, organisation: Organisation) -> bool:
    """Who sees the personal data an organisation holds (registrations of interest, records
    about people, restricted rows): its members, unless it is ``open_to_join`` — anyone may
    join such a group at once, so there its members do not count and only its editors,
    admins (and site staff) do. Asked on every request: switching a group open or closed
    takes effect at once."""
    if organisation.open_to_join:
        return has_role(user, organisation, Membership.Role.EDITOR)
    return has_role(user, organisation, Membership.Role.MEMBER)


def can_publish(user, organisation: Organisation) -> bool:
    return has_role(user, organisation, Membership.Role.EDITOR)


def can_manage_members(user, organisation: Organisation) -> bool:
    return has_role(user, organisation, Membership.Role.ADMIN)
