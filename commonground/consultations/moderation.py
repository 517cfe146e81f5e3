"""Use cases for moderation: report a comment; hide it with a public reason, restore it,
dismiss its reports. Every decision goes on the public moderation log; the organisation's
admins are notified of each new report. Reports count against the same rate limit as
comments (``accounts.ratelimit``, action "comment")."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from commonground.accounts import ratelimit
from commonground.accounts.models import Membership
from commonground.activity import events

from . import access
from .models import Comment, ModerationAction, Report
from .services import InputError


def report(user, comment: Comment, *, reason: str) -> Report:
    """Ask the moderators to look at a comment; a second report by the same person on the
    same comment, before it is dealt with, changes nothing. A new report counts against the
    person's comment rate limit (``ratelimit.RateLimited``)."""
    if not access.can_report(user, comment):
        raise PermissionDenied("Sign in to report a comment.")
    reason = (reason or "").strip()
    if not reason:
        raise InputError("reason", "Reason: say which rule the comment breaks")
    open_report = comment.reports.filter(reporter=user, resolved=False).first()
    if open_report is not None:
        return open_report
    ratelimit.check("comment", str(user.pk))
    try:
        with transaction.atomic():  # a savepoint: the same report may arrive twice at once
            made = Report.objects.create(comment=comment, reporter=user, reason=reason[:1000])
            _tell_moderators(comment)
            return made
    except IntegrityError:
        open_report = comment.reports.filter(reporter=user, resolved=False).first()
        if open_report is None:
            raise
        return open_report


def _tell_moderators(comment: Comment) -> None:
    """The organisation's admins (its moderators) hear of each new report, privately."""
    consultation = comment.consultation
    admins = consultation.organisation.memberships.filter(role=Membership.Role.ADMIN)\
        .values_list("user_id", flat=True)
    events.record(f"A comment on “{consultation.title[:150]}” was reported: please look",
                  comment.get_absolute_url(), [], also_notify=list(admins))


def hide(user, comment: Comment, *, reason: str) -> ModerationAction:
    """Hide the comment's text; the reason is shown in its place and on the log."""
    reason = (reason or "").strip()
    _allowed(user, comment)
    if not reason:
        raise InputError("reason", "Reason: say why the comment is hidden (everyone sees it)")
    comment.hidden, comment.hidden_reason = True, reason[:500]
    return _decide(user, comment, ModerationAction.Action.HIDE, reason,
                   ["hidden", "hidden_reason"])


def restore(user, comment: Comment, *, reason: str = "") -> ModerationAction:
    _allowed(user, comment)
    comment.hidden, comment.hidden_reason = False, ""
    return _decide(user, comment, ModerationAction.Action.RESTORE, reason,
                   ["hidden", "hidden_reason"])


def dismiss(user, comment: Comment, *, reason: str = "") -> ModerationAction:
    """The reports were looked at; the comment stays as it is."""
    _allowed(user, comment)
    return _decide(user, comment, ModerationAction.Action.DISMISS, reason, [])


def log(consultation):
    """The public moderation log of a consultation, newest first."""
    return (ModerationAction.objects.filter(comment__consultation=consultation)
            .select_related("comment__author"))


def open_reports(consultation):
    """Reports not yet dealt with (for moderators only)."""
    return Report.objects.filter(comment__consultation=consultation, resolved=False)


@dataclass
class Waiting:
    """A reported comment waiting for a moderator: its open reports, oldest first."""

    comment: Comment
    reports: list[Report]

    @property
    def since(self):
        return self.reports[0].created


def _open_reports_for(user):
    return Report.objects.filter(
        resolved=False,
        comment__consultation__organisation__in=access.organisations_moderated_by(user))


def waiting_count(user) -> int:
    """How many reported comments wait for ``user`` (counted in the database)."""
    return _open_reports_for(user).values("comment").distinct().count()


def waiting_for(user) -> list[Waiting]:
    """Every comment with open reports on the consultations ``user`` moderates, the one
    waiting longest first (the moderation queue; empty for everyone else)."""
    reports = (_open_reports_for(user)
               .select_related("comment__consultation__organisation", "comment__author")
               .order_by("created", "pk"))
    queue: dict[int, Waiting] = {}
    for r in reports:
        queue.setdefault(r.comment_id, Waiting(r.comment, [])).reports.append(r)
    return list(queue.values())


def _allowed(user, comment: Comment) -> None:
    if not access.can_moderate(user, comment.consultation):
        raise PermissionDenied("Only the organisation's admins and site staff moderate.")


def _decide(user, comment: Comment, action: str, reason: str, fields: list[str]):
    with transaction.atomic():
        if fields:
            comment.save(update_fields=fields)
        comment.reports.filter(resolved=False).update(resolved=True)
        return ModerationAction.objects.create(comment=comment, moderator=user, action=action,
                                               reason=(reason or "").strip()[:500])
