"""Use cases for consultations: open, edit, close early, comment and reply, support, publish
the official response; the filtered list. Moderation is in ``moderation``.

Every check of who may act goes through ``access``; bad input raises ``InputError`` naming
the form field; comments are rate-limited (``accounts.ratelimit``, action "comment").

Events and notifications never name a person (they are public in feeds and never rewritten,
so a name would outlive a deleted account): "New comment on “…”".
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from commonground.accounts import ratelimit
from commonground.activity import events
from commonground.activity.inputs import FieldError, parse_id, with_area_code
from commonground.places.names import PlaceError

from . import access
from .models import Comment, CommentSupport, Consultation, OfficialResponse, Question
from .places import check as check_places

MAX_QUESTIONS = 10


class InputError(FieldError):
    """Bad input for a consultation, a comment or a response."""


def open_consultation(user, *, organisation, title: str, text: str, easy_read: str,
                      places: str = "", opens, closes, questions=()) -> Consultation:
    """Open a consultation for ``organisation``; its followers, and those of its places,
    hear about it; the person who opened it follows it."""
    if not access.can_open(user, organisation):
        raise PermissionDenied("Only editors of the organisation can open a consultation.")
    fields = _check(title=title, text=text, easy_read=easy_read, places=places, opens=opens,
                    closes=closes)
    if fields["closes"] < timezone.localdate():
        raise InputError("closes", "Closes: choose today or a later date")
    wording = _check_questions(questions)
    with transaction.atomic():
        made = Consultation.objects.create(organisation=organisation, created_by=user,
                                           **fields)
        Question.objects.bulk_create([Question(consultation=made, order=i, text=q)
                                      for i, q in enumerate(wording, 1)])
        events.record(f"{organisation.name} asks for your views: “{made.title}” (open "
                      f"{made.opens:%-d %b} to {made.closes:%-d %b %Y})",
                      made.get_absolute_url(), _targets(made), actor=user)
        events.follow(user, "consultation", str(made.pk))  # the opener hears of comments
    return made


def edit(user, consultation: Consultation, *, title: str, text: str, easy_read: str,
         places: str = "", opens, closes, questions=()) -> Consultation:
    """Change the wording, places or dates; the questions only while nobody has commented.
    Once people have commented it cannot open later than today (their comments would come
    before it opened); once the response is published the dates no longer change (it would
    open for comments again)."""
    if not access.can_edit(user, consultation):
        raise PermissionDenied("Only editors of the organisation can edit this consultation.")
    fields = _check(title=title, text=text, easy_read=easy_read, places=places, opens=opens,
                    closes=closes)
    wording = _check_questions(questions)
    commented = consultation.comments.exists()
    current = list(consultation.questions.values_list("text", flat=True))
    if wording != current and commented:
        raise InputError("questions", "Questions: people have already commented, so the "
                                      "questions can no longer change")
    if access.has_response(consultation):
        for name, label in (("opens", "Opens"), ("closes", "Closes")):
            if fields[name] != getattr(consultation, name):
                raise InputError(name, f"{label}: the response is published, so the dates "
                                       "can no longer change")
    elif (commented and fields["opens"] != consultation.opens
          and fields["opens"] > timezone.localdate()):
        raise InputError("opens", "Opens: people have already commented, so it cannot open "
                                  "later than today")
    with transaction.atomic():
        for name, value in fields.items():
            setattr(consultation, name, value)
        consultation.save()
        if wording != current:
            consultation.questions.all().delete()
            Question.objects.bulk_create([Question(consultation=consultation, order=i, text=q)
                                          for i, q in enumerate(wording, 1)])
    return consultation


def close_early(user, consultation: Consultation) -> None:
    if not access.can_close(user, consultation):
        raise PermissionDenied("Only editors of the organisation can close an open "
                               "consultation.")
    consultation.closed_early = timezone.now()
    consultation.save(update_fields=["closed_early", "updated"])


def comment(user, consultation: Consultation, *, text: str, question: Question | None = None,
            parent: Comment | None = None) -> Comment:
    """A comment on the consultation, an answer to one of its questions, or a reply (to a
    reply: into the same thread). Followers of the consultation (and the person replied to)
    are notified."""
    if parent is not None:
        parent = parent.parent or parent
        if not access.can_reply(user, parent):
            raise PermissionDenied("Sign in to reply while the consultation is open (hidden "
                                   "comments take no replies).")
        question = parent.question
    elif not access.can_comment(user, consultation):
        raise PermissionDenied("Sign in to comment while the consultation is open.")
    for thing in (question, parent):
        if thing is not None and thing.consultation_id != consultation.pk:
            raise InputError("text", "Comment: that question or comment is not part of this "
                                     "consultation")
    text = (text or "").strip()
    if not text:
        raise InputError("text", "Comment: write your view before sending it")
    if len(text) > Comment._meta.get_field("text").max_length:
        raise InputError("text", "Comment: keep it under 5,000 characters")
    ratelimit.check("comment", str(user.pk))
    with transaction.atomic():
        made = Comment.objects.create(consultation=consultation, question=question,
                                      parent=parent, author=user, text=text)
        what = "New reply to a comment" if parent else "New comment"
        events.record(f"{what} on “{consultation.title}”",
                      made.get_absolute_url(), [("consultation", str(consultation.pk))],
                      actor=user, also_notify=[parent.author_id] if parent else [])
    return made


def support(user, comment: Comment) -> bool:
    """Add the user's support to a comment; False when they already support it."""
    if not access.can_support(user, comment):
        raise PermissionDenied("Sign in to support a comment while the consultation is open "
                               "(not your own).")
    _, created = CommentSupport.objects.get_or_create(comment=comment, user=user)
    return created


def respond(user, consultation: Consultation, *, text: str, answers=()) -> OfficialResponse:
    """Publish the organisation's official response, once, after the consultation closed.
    ``answers`` are the comment ids it answers. Followers and everyone who commented hear."""
    if not access.can_respond(user, consultation):
        if access.can_edit(user, consultation) and access.has_response(consultation):
            raise _already_published()
        raise PermissionDenied("Only editors of the organisation can respond, once, after the "
                               "consultation has closed.")
    text = (text or "").strip()
    if not text:
        raise InputError("response", "Response: say what you heard and what you will do")
    ids = {n for n in map(parse_id, answers) if n is not None}  # anything else answers none
    answered = list(consultation.comments.filter(pk__in=ids, hidden=False))
    with transaction.atomic():
        try:
            with transaction.atomic():  # a savepoint: a second click may have won the race
                made = OfficialResponse.objects.create(consultation=consultation, text=text,
                                                       by=user)
        except IntegrityError:
            raise _already_published() from None
        made.answers.set(answered)
        commenters = set(consultation.comments.exclude(author=None)
                         .values_list("author_id", flat=True))
        events.record(f"{consultation.organisation.name} published its response to "
                      f"“{consultation.title}”", f"{consultation.get_absolute_url()}#response",
                      _targets(consultation), actor=user, also_notify=sorted(commenters))
    return made


def _already_published() -> InputError:
    return InputError("response", "Response: it is already published (a consultation has "
                                  "one response)")


def listing(*, status: str = "", organisation: str = "", place: str = ""):
    """Consultations, newest first, filtered by status, organisation slug and area code."""
    today = timezone.localdate()
    rows = Consultation.objects.select_related("organisation", "response")
    closed = Q(closed_early__isnull=False) | Q(closes__lt=today) | Q(response__isnull=False)
    rows = rows.filter({
        "": Q(),
        Consultation.Status.UPCOMING: Q(opens__gt=today) & ~closed,
        Consultation.Status.OPEN: Q(opens__lte=today) & ~closed,
        Consultation.Status.CLOSED: closed & Q(response__isnull=True),
        Consultation.Status.RESPONDED: Q(response__isnull=False),
    }.get(status, Q()))
    if organisation:
        rows = rows.filter(organisation__slug=organisation)
    return list(with_area_code(rows, place) if place else rows)


def _check(*, title, text, easy_read, places: str, opens, closes) -> dict:
    title, text, easy_read = (v.strip() for v in (title or "", text or "", easy_read or ""))
    if not title:
        raise InputError("title", "Title: say in a few words what you are consulting on")
    if len(title) > 200:
        raise InputError("title", "Title: keep it under 200 characters")
    if not easy_read:
        raise InputError("easy_read", "In short: explain the proposal in a few plain "
                                      "sentences, for everyone")
    if len(easy_read) > 1000:
        raise InputError("easy_read", "In short: keep it under 1,000 characters")
    if not text:
        raise InputError("text", "Details: say what is proposed and why")
    opens, closes = _date("opens", "Opens", opens), _date("closes", "Closes", closes)
    if closes < opens:
        raise InputError("closes", "Closes: choose a date on or after the opening date")
    try:
        codes = check_places(places)
    except PlaceError as exc:
        raise InputError("places", str(exc)) from exc
    return {"title": title, "text": text, "easy_read": easy_read, "area_codes": codes,
            "opens": opens, "closes": closes}


def _check_questions(questions) -> list[str]:
    if isinstance(questions, str):
        questions = questions.splitlines()
    wording = [q.strip() for q in questions if q and q.strip()]
    if len(wording) > MAX_QUESTIONS:
        raise InputError("questions", f"Questions: ask at most {MAX_QUESTIONS}")
    if any(len(q) > 500 for q in wording):
        raise InputError("questions", "Questions: keep each under 500 characters")
    return wording


def _date(field: str, label: str, value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat((value or "").strip())
    except ValueError:
        raise InputError(field, f"{label}: give a date, for example 2025-06-30") from None


def _targets(consultation: Consultation) -> list[tuple[str, str]]:
    return ([("consultation", str(consultation.pk)), ("group", consultation.organisation.slug)]
            + [("place", code) for code in consultation.area_codes])
