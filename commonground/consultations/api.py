"""Consultations as JSON (django-ninja, mounted at ``/api/consultations``).

The same rules as the pages (``access``) through the same use cases (``services``): anyone
reads consultations, their comments and the official response; a hidden comment keeps its
place and the moderators' public reason, and its text only for the moderators (the
organisation's admins and site staff), as on the page. A signed-in person comments, replies
and supports while it is open (rate-limited as the form: 429); editors of the organisation
publish the response, once, after it closes. Who calls, CSRF for changes by the session, and
the 422 shape: ``commonground.apiauth``.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from commonground.activity import formparts
from commonground.apiauth import SIGNED_IN, Body, Page, PageParams, invalid, page, refusals, viewer
from commonground.apierrors import errors
from commonground.places.names import PlaceError
from commonground.public_names import public_name

from . import access, services
from .models import Comment, Consultation
from .places import check as check_places

router = Router(tags=["consultations"])

STATUSES = list(Consultation.Status.values)


class QuestionOut(Schema):
    id: int
    text: str


class ResponseOut(Schema):
    text: str = Field(description="Markdown")
    published: datetime
    answers: list[int] = Field(description="The comments it answers (their ids)")


class ConsultationOut(Schema):
    id: int
    title: str
    easy_read: str = Field(description="The proposal in a few plain sentences")
    status: str = Field(json_schema_extra={"enum": STATUSES})
    organisation: dict[str, str] = Field(description="slug and name of who asks")
    places: list[str] = Field(description="Area codes (GSS) of the places it is about")
    opens: date
    closes: date = Field(description="The last day to comment")
    closed_early: datetime | None
    url: str


class ConsultationDetail(ConsultationOut):
    text: str = Field(description="What is proposed and why (Markdown)")
    questions: list[QuestionOut]
    comments: int = Field(description="How many comments and replies (see /comments)")
    response: ResponseOut | None
    can_comment: bool
    can_respond: bool


class ConsultationPage(Page):
    consultations: list[ConsultationOut]


class ConsultationParams(PageParams):
    status: str = Field("", json_schema_extra={"enum": ["", *STATUSES]})
    organisation: str = Field("", description="The organisation asking (its slug)")
    place: str = Field("", description="A place of the city by name or code (GSS)")


class CommentOut(Schema):
    id: int
    question: int | None = Field(description="The question it answers (None: general)")
    parent: int | None = Field(description="The comment it replies to")
    author: str = Field(description="A user name, or “a former member”")
    created: datetime
    hidden: bool
    hidden_reason: str = Field(description="The moderators' public reason, when hidden")
    text: str | None = Field(description="Markdown; None when hidden (moderators see it)")
    supports: int
    url: str


class CommentPage(Page):
    comments: list[CommentOut]


class CommentIn(Body):
    text: str = Field(..., max_length=5000, description="Your view (Markdown)")
    question: int | None = Field(None, description="The question you answer (its id)")
    parent: int | None = Field(None, description="The comment you reply to (its id)")
    about: dict[str, str] = Field(default_factory=dict, description=(
        "Optional, each answer skippable: who you are, as the comment form asks it (its "
        "fields, e.g. about_age_band, about_sex, about_ethnic_group, about_disability, "
        "about_tenure, about_place; an answer's value as the form's, or \"no-say\"). Kept "
        "apart from your account; only suppressed totals are ever shown."))


class SupportOut(Schema):
    supported: bool = True
    new: bool = Field(description="False when the caller already supported it")
    supports: int


class ResponseIn(Body):
    text: str = Field(..., max_length=100000, description="What you heard and will do")
    answers: list[int] = Field([], max_length=10000,
                               description="The ids of the comments it answers")


def _summary(request, c: Consultation) -> dict:
    return {"id": c.pk, "title": c.title, "easy_read": c.easy_read, "status": c.status,
            "organisation": {"slug": c.organisation.slug, "name": c.organisation.name},
            "places": list(c.area_codes), "opens": c.opens, "closes": c.closes,
            "closed_early": c.closed_early,
            "url": request.build_absolute_uri(c.get_absolute_url())}


def _consultation(pk: int) -> Consultation:
    return get_object_or_404(Consultation.objects.select_related("organisation"), pk=pk)


def _comment_record(request, comment: Comment, moderator: bool) -> dict:
    return {"id": comment.pk, "question": comment.question_id, "parent": comment.parent_id,
            "author": public_name(comment.author), "created": comment.created,
            "hidden": comment.hidden, "hidden_reason": comment.hidden_reason,
            "text": comment.text if moderator or not comment.hidden else None,
            "supports": comment.supports.count() if not hasattr(comment, "support_count")
            else comment.support_count,
            "url": request.build_absolute_uri(comment.get_absolute_url())}


@router.get("/", response=ConsultationPage, openapi_extra=errors(400, 401, 422, 503),
            summary="Consultations, newest first, filtered")
def consultation_list(request, params: Query[ConsultationParams]):
    """``status``: upcoming, open, closed (response to come) or responded; ``place``: a name
    or code (400 when the city has no such place)."""
    viewer(request)
    code = ""
    if params.place.strip():
        try:
            code = check_places(params.place.split(",")[0])[0]
        except PlaceError as exc:
            raise HttpError(400, f"{exc} (parameter: place)") from None
    found = services.listing(status=params.status, organisation=params.organisation.strip(),
                             place=code)
    counts, rows = page(found, params)
    return {**counts, "consultations": [_summary(request, c) for c in rows]}


def _detail(request, c: Consultation, user) -> dict:
    response = getattr(c, "response", None)
    return {**_summary(request, c), "text": c.text,
            "questions": [{"id": q.pk, "text": q.text} for q in c.questions.all()],
            "comments": c.comments.count(),
            "response": {"text": response.text, "published": response.published,
                         "answers": sorted(response.answers.values_list("pk", flat=True))}
            if response else None,
            "can_comment": access.can_comment(user, c),
            "can_respond": access.can_respond(user, c)}


@router.get("/{pk}", response=ConsultationDetail, openapi_extra=errors(401, 404, 422),
            summary="One consultation: the proposal, its questions and the response")
def consultation_detail(request, pk: int):
    return _detail(request, _consultation(pk), viewer(request))


@router.get("/{pk}/comments", response=CommentPage, openapi_extra=errors(401, 404, 422),
            summary="A consultation's comments and replies, oldest first")
def comment_list(request, pk: int, params: Query[PageParams]):
    """Hidden comments keep their place and reason; their text is None except for the
    consultation's moderators."""
    c = _consultation(pk)
    moderator = access.can_moderate(viewer(request), c)
    comments = (c.comments.select_related("author").annotate(support_count=Count("supports"))
                .order_by("created", "pk"))
    counts, rows = page(comments, params)
    for comment in rows:
        comment.consultation = c
    return {**counts, "comments": [_comment_record(request, x, moderator) for x in rows]}


@router.post("/{pk}/comments", response={201: CommentOut}, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422, 429),
             summary="Comment, answer a question or reply (signed in, while open)")
def comment_create(request, pk: int, body: CommentIn):
    """403 when it is not open (or the comment replied to is hidden); 422 names the field
    (an empty text, a question or comment of another consultation); 429 past the hourly
    limit. Followers of the consultation, and the person replied to, are notified."""
    c = _consultation(pk)
    question = parent = None
    if body.question is not None:
        question = c.questions.filter(pk=body.question).first()
        if question is None:
            raise invalid("question", "Question: this consultation has no such question")
    if body.parent is not None:
        parent = c.comments.filter(pk=body.parent).first()
        if parent is None:
            raise invalid("parent", "Parent: this consultation has no such comment")
        parent.consultation = c
    with refusals():  # the optional questions other apps add (who takes part): checked first
        about = formparts.read("comment", body.about)
        made = services.comment(request.auth, c, text=body.text, question=question,
                                parent=parent)
    about.save(person=("user", request.auth.pk), thing=("consultation", str(c.pk)))
    made.consultation = c
    return Status(201, _comment_record(request, made, access.can_moderate(request.auth, c)))


@router.post("/{pk}/comments/{comment}/support", response=SupportOut, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422),
             summary="Support a comment (signed in, while open; not your own)")
def comment_support(request, pk: int, comment: int):
    c = _consultation(pk)
    item = get_object_or_404(Comment, pk=comment, consultation=c)
    item.consultation = c
    with refusals():
        new = services.support(request.auth, item)
    return {"supported": True, "new": new, "supports": item.supports.count()}


@router.post("/{pk}/response", response={201: ConsultationDetail}, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422),
             summary="Publish the official response (editors, once, after it closes)")
def respond(request, pk: int, body: ResponseIn):
    """Editors of the organisation (and site staff), once the consultation has closed: 403
    otherwise; 422 when it is already published or the text is empty. ``answers``: ids of
    its comments (hidden ones and others' are left out). Everyone who commented hears."""
    c = _consultation(pk)
    with refusals({"response": "text"}):
        services.respond(request.auth, c, text=body.text, answers=body.answers)
    return Status(201, _detail(request, _consultation(pk), request.auth))
