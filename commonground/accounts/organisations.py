"""Organisations and their members, the rules every way in shares: start a community group,
change a member's role (the last admin cannot step down).

The groups pages (``commonground.community.groups``) and the CKAN API's organisation actions
(``commonground.catalogue.ckan.organization_write``) both call these, so a group started or a
role changed either way follows one set of rules. They live here, beside the models, because
the catalogue may not import the community app, which imports the catalogue (``no-app-cycles``
in pyproject.toml).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify

from commonground.activity import events
from commonground.activity.inputs import FieldError

from . import permissions, ratelimit
from .models import Membership, Organisation


class GroupError(FieldError):
    """Bad input for joining or managing a group."""


def group_page(organisation: Organisation) -> str:
    return reverse("community:group", args=[organisation.slug])


def create_group(user, *, name: str, description: str = "", open_to_join: bool = False
                 ) -> Organisation:
    """A resident starts a community group and becomes its admin."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to start a group.")
    name = " ".join((name or "").split())
    if not 3 <= len(name) <= 200:
        raise GroupError("name", "Name: give the group's name (3 to 200 characters)")
    slug = slugify(name)[:50].strip("-")
    if not slug:
        raise GroupError("name", "Name: use some letters or digits")
    if Organisation.objects.filter(slug=slug).exists() or \
            Organisation.objects.filter(name__iexact=name).exists():
        raise GroupError("name", f"Name: there is already a group called “{name}”")
    ratelimit.check("ask to join a group", str(user.pk))
    with transaction.atomic():
        group = Organisation.objects.create(slug=slug, name=name, open_to_join=open_to_join,
                                            description=(description or "").strip()[:2000],
                                            kind=Organisation.Kind.COMMUNITY_GROUP)
        Membership.objects.create(organisation=group, user=user, role=Membership.Role.ADMIN)
        events.record(f"{name} started on Common Ground", group_page(group), [("group", slug)],
                      actor=user)
    return group


def set_role(user, membership: Membership, role: str) -> Membership:
    """An admin changes a member's role; the last admin cannot step down."""
    organisation = membership.organisation
    if not permissions.can_manage_members(user, organisation):
        raise PermissionDenied("Only the group's admins change roles.")
    if role not in Membership.Role.values:
        raise GroupError("role", "Role: choose member, editor or admin")
    with transaction.atomic():
        keep_an_admin(membership, leaving=role != Membership.Role.ADMIN)
        membership.role = role
        membership.save(update_fields=["role"])
        events.record(f"You are now {membership.get_role_display().lower()} of "
                      f"{organisation.name}", group_page(organisation), [], actor=user,
                      also_notify=[membership.user_id])
    return membership


def keep_an_admin(membership: Membership, *, leaving: bool) -> None:
    """Refuse to let the last admin go (the admins' rows are locked, on PostgreSQL, so two
    admins stepping down at once cannot both pass)."""
    admins = membership.organisation.memberships.filter(role=Membership.Role.ADMIN)
    if (leaving and membership.role == Membership.Role.ADMIN
            and len(admins.select_for_update()) == 1):
        raise GroupError("role", f"{membership.organisation.name} needs at least one admin: "
                                 "make someone else admin first.")
