"""Who may do what with consultations: the rules, in one place (services and views both
ask here).

* Anyone, signed in or not, reads consultations, comments, the moderation log and the
  official response.
* Editors of the organisation (and site staff) open and edit its consultations, close one
  early, and publish the official response — once, after it has closed.
* Anyone signed in comments, replies and supports a comment, only while the consultation is
  open and has no official response (a response ends the conversation for good); never
  supports their own comment, nor a hidden one; replies only to visible ones.
* Anyone signed in reports a comment.
* Moderators are admins of the organisation and site staff: they hide comments (with a
  public reason), restore them and dismiss reports.
"""

from __future__ import annotations

from commonground.accounts import permissions
from commonground.accounts.models import Membership, Organisation


def signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def organisations_for(user):
    """The organisations ``user`` may open a consultation for."""
    if not signed_in(user):
        return Organisation.objects.none()
    if getattr(user, "is_staff", False) and user.is_active:
        return Organisation.objects.all()
    roles = [Membership.Role.EDITOR, Membership.Role.ADMIN]
    return Organisation.objects.filter(memberships__user=user, memberships__role__in=roles)


def can_open(user, organisation) -> bool:
    return permissions.can_publish(user, organisation)


def can_open_any(user) -> bool:
    return organisations_for(user).exists()


def can_edit(user, consultation) -> bool:
    return permissions.can_publish(user, consultation.organisation)


def has_response(consultation) -> bool:
    """Whether the official response is published (then nothing more is said, and the dates
    stay as they were)."""
    return hasattr(consultation, "response")


def is_open(consultation) -> bool:
    """Open for comments: between its dates, not closed early, and not answered."""
    return consultation.is_open() and not has_response(consultation)


def can_close(user, consultation) -> bool:
    return can_edit(user, consultation) and is_open(consultation)


def can_respond(user, consultation) -> bool:
    return (can_edit(user, consultation) and consultation.is_closed()
            and not has_response(consultation))


def can_comment(user, consultation) -> bool:
    return signed_in(user) and is_open(consultation)


def can_reply(user, comment) -> bool:
    return can_comment(user, comment.consultation) and not comment.hidden


def can_support(user, comment) -> bool:
    return (can_comment(user, comment.consultation) and not comment.hidden
            and comment.author_id != user.pk)


def can_report(user, comment) -> bool:
    return signed_in(user)


def can_moderate(user, consultation) -> bool:
    return permissions.can_manage_members(user, consultation.organisation)


def organisations_moderated_by(user):
    """The organisations whose consultations ``user`` moderates (staff: every one)."""
    if not signed_in(user) or not user.is_active:
        return Organisation.objects.none()
    if getattr(user, "is_staff", False):
        return Organisation.objects.all()
    return Organisation.objects.filter(memberships__user=user,
                                       memberships__role=Membership.Role.ADMIN)
