"""Use case: a person deletes their account.

What they said in public stays, without their name: data requests, answers, comments,
consultations, evidence packs and datasets keep their text and show "a former member"
(their author fields are ``SET_NULL``), and their supports still count. What was only
about them goes: memberships, follows, notifications and requests to join. The email
address goes with the account. (Registrations of interest in energy offers are not tied
to an account; each is deleted through its own secret link.)
"""

from __future__ import annotations

from django.db import transaction

from .models import Membership


class CannotDelete(ValueError):
    """The account holds something others depend on (a group's only admin)."""


def sole_admin_of(user) -> list[str]:
    """Names of the organisations where ``user`` is the only admin."""
    names = []
    for membership in user.memberships.filter(role=Membership.Role.ADMIN)\
            .select_related("organisation"):
        if membership.organisation.memberships.filter(role=Membership.Role.ADMIN).count() == 1:
            names.append(membership.organisation.name)
    return names


def delete_account(user) -> None:
    blocking = sole_admin_of(user)
    if blocking:
        raise CannotDelete("You are the only admin of " + ", ".join(blocking) + ": make "
                           "another member admin first, so the group is not left without one.")
    with transaction.atomic():
        user.delete()
