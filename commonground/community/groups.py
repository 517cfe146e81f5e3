"""Use cases for group workspaces: ask to join, accept or decline, set roles, leave.

Any organisation has a workspace (a community group, the council, a business); the rules
are the accounts roles: members see drafts, editors publish, admins manage members
(``commonground.accounts.permissions``). Every change is on the group's activity record
(``events``); the person asking and the admins are notified.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from commonground.accounts import permissions, ratelimit
from commonground.accounts.models import Membership, Organisation
from commonground.accounts.organisations import (  # noqa: F401 - the groups pages' names
    GroupError,
    create_group,
    keep_an_admin,
    set_role,
)
from commonground.accounts.organisations import group_page as _page
from commonground.activity import events

from .models import JoinRequest


def _admins(organisation: Organisation) -> list[int]:
    return list(organisation.memberships.filter(role=Membership.Role.ADMIN)
                .values_list("user_id", flat=True))


def ask_to_join(user, organisation: Organisation, message: str = "") -> JoinRequest | None:
    """Join an open group at once (None), or a pending request (the one already waiting,
    if any) that the admins are notified of."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to ask to join.")
    if permissions.role_in(user, organisation):
        raise GroupError("join", f"You are already a member of {organisation.name}.")
    if organisation.open_to_join:
        ratelimit.check("ask to join a group", str(user.pk))
        Membership.objects.get_or_create(organisation=organisation, user=user)
        events.record(f"A new member joined {organisation.name}", _page(organisation),
                      [("group", organisation.slug)], actor=user)
        return None
    if not _admins(organisation):
        raise GroupError("join", f"{organisation.name} has no admin on Common Ground yet, so "
                                 "no one can accept you. Contact them another way.")
    waiting = JoinRequest.objects.filter(organisation=organisation, user=user,
                                         status=JoinRequest.Status.PENDING).first()
    if waiting:
        return waiting
    ratelimit.check("ask to join a group", str(user.pk))
    try:
        with transaction.atomic():
            made = JoinRequest.objects.create(organisation=organisation, user=user,
                                              message=message.strip()[:1000])
            events.record(f"Someone asked to join {organisation.name}",
                          reverse("community:members", args=[organisation.slug]), [],
                          actor=user, also_notify=_admins(organisation))
    except IntegrityError:  # the same request, sent twice at once
        return JoinRequest.objects.get(organisation=organisation, user=user,
                                       status=JoinRequest.Status.PENDING)
    return made


def decide(user, join: JoinRequest, *, accept: bool) -> JoinRequest:
    """An admin accepts (the person becomes a member) or declines a waiting request."""
    organisation = join.organisation
    if not permissions.can_manage_members(user, organisation):
        raise PermissionDenied("Only the group's admins accept members.")
    if join.status != JoinRequest.Status.PENDING:
        raise GroupError("join", "This request has already been decided.")
    with transaction.atomic():
        join.status = JoinRequest.Status.ACCEPTED if accept else JoinRequest.Status.DECLINED
        join.decided_by, join.decided = user, timezone.now()
        join.save()
        if accept:
            Membership.objects.get_or_create(organisation=organisation, user=join.user)
            events.record(f"A new member joined {organisation.name}",
                          _page(organisation), [("group", organisation.slug)], actor=user)
            events.record(f"You are now a member of {organisation.name}", _page(organisation),
                          [], actor=user, also_notify=[join.user_id])
        else:
            events.record(f"Your request to join {organisation.name} was declined",
                          _page(organisation), [], actor=user, also_notify=[join.user_id])
    return join


def remove(user, membership: Membership) -> None:
    """An admin removes a member, or a member leaves (not the last admin)."""
    organisation = membership.organisation
    if user.pk != membership.user_id and not permissions.can_manage_members(user, organisation):
        raise PermissionDenied("Only the group's admins remove members.")
    with transaction.atomic():
        keep_an_admin(membership, leaving=True)
        membership.delete()


def set_open(user, organisation: Organisation, open_to_join: bool) -> None:
    """An admin chooses whether people join at once or ask first."""
    if not permissions.can_manage_members(user, organisation):
        raise PermissionDenied("Only the group's admins choose how people join.")
    organisation.open_to_join = open_to_join
    organisation.save(update_fields=["open_to_join"])
