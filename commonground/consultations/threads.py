"""The comments of a consultation as a page shows them to one person: a section per question
(then general comments), each comment with its replies, support count, what this person may
do with it, and (for moderators) its open reports."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from commonground.public_names import public_name

from . import access, moderation
from .models import CommentSupport, Consultation


def sections(consultation: Consultation, user, *, draft: dict | None = None) -> list[dict]:
    """``draft`` ({"form": form id, "text": ...}) refills the form a refused post came from."""
    draft = draft or {}
    comments = list(consultation.comments.select_related("author")
                    .annotate(support_count=Count("supports")))
    supported = set(CommentSupport.objects.filter(
        user=user, comment__consultation=consultation).values_list("comment_id", flat=True)) \
        if access.signed_in(user) else set()
    response = getattr(consultation, "response", None)
    answered = set(response.answers.values_list("pk", flat=True)) if response else set()
    moderator = access.can_moderate(user, consultation)
    reports = defaultdict(list)
    if moderator:
        for r in moderation.open_reports(consultation):
            reports[r.comment_id].append(r.reason)

    def entry(comment) -> dict:
        comment.consultation = consultation  # the rules below read it
        return {"comment": comment, "author": public_name(comment.author),
                "supports": comment.support_count, "supported": comment.pk in supported,
                "can_support": access.can_support(user, comment),
                "can_reply": comment.parent_id is None and access.can_reply(user, comment),
                "can_report": access.can_report(user, comment), "moderator": moderator,
                "answered": comment.pk in answered, "reports": reports.get(comment.pk, []),
                "forms": {kind: form_state(f"{kind}-{comment.pk}", draft)
                          for kind in ("reply", "report", "moderate")}, "replies": []}

    entries = {c.pk: entry(c) for c in comments}
    by_question = defaultdict(list)
    for c in comments:
        if c.parent_id is None:
            by_question[c.question_id].append(entries[c.pk])
        elif c.parent_id in entries:
            entries[c.parent_id]["replies"].append(entries[c.pk])
    out = []
    for key, question in [(q.pk, q) for q in consultation.questions.all()] + [(None, None)]:
        form = f"comment-q{key}" if key else "comment-general"
        out.append({"question": question, "form": form_state(form, draft),
                    "comments": by_question.get(key, [])})
    return out


def form_state(form_id: str, draft: dict) -> dict:
    """A form's id, and the text to refill it with when a post from it was refused."""
    mine = draft.get("form") == form_id
    return {"id": form_id, "open": mine, "text": draft.get("text", "") if mine else ""}
