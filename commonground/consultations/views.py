"""Consultation pages (thin: parse, call ``services`` or ``moderation``, render). Reading
needs no account; posting without one leads to the sign-in page; forbidden is 403; bad input
is 400 (429 when the comment rate limit is reached) with the page and an error summary."""

from __future__ import annotations

import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from commonground.accounts.models import Organisation
from commonground.accounts.ratelimit import RateLimited
from commonground.activity import formparts, readability, sections
from commonground.activity.inputs import FieldError, parse_id
from commonground.public_names import public_name

from . import access, moderation, places, services, threads
from .models import Comment, Consultation
from .services import InputError

FORM_FIELDS = ("organisation", "title", "easy_read", "text", "places", "opens", "closes",
               "questions")


def consultation_list(request):
    g = request.GET
    status = g.get("status", "") if g.get("status") in Consultation.Status.values else ""
    organisation, place = g.get("organisation", ""), g.get("place", "")
    used = {code for codes in Consultation.objects.values_list("area_codes", flat=True)
            for code in codes}
    return render(request, "consultations/list.html", {
        "rows": services.listing(status=status, organisation=organisation, place=place),
        "statuses": Consultation.Status.choices, "status": status,
        "organisation": organisation, "place": place,
        "organisations": Organisation.objects.filter(consultations__isnull=False).distinct(),
        "places": sorted(places.records(sorted(used)), key=lambda r: r.display_name),
        "can_open": access.can_open_any(request.user),
        "waiting": moderation.waiting_count(request.user)
        if access.organisations_moderated_by(request.user).exists() else None})


def report_queue(request):
    """The moderation queue: reported comments on every consultation the person moderates."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.organisations_moderated_by(request.user).exists():
        raise PermissionDenied("Only the admins of an organisation and site staff moderate.")
    return render(request, "consultations/reports.html", {
        "queue": [(w, public_name(w.comment.author))
                  for w in moderation.waiting_for(request.user)]})


def consultation_new(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.can_open_any(request.user):
        raise PermissionDenied("Only editors of an organisation can open a consultation.")
    today = timezone.localdate()
    values = dict.fromkeys(FORM_FIELDS, "") | {
        "opens": today.isoformat(), "closes": (today + datetime.timedelta(weeks=6)).isoformat()}
    errors = {}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in FORM_FIELDS}
        organisation = Organisation.objects.filter(
            pk=parse_id(values["organisation"]) or 0).first()
        try:
            if organisation is None:
                raise InputError("organisation", "Organisation: choose who is asking")
            made = services.open_consultation(request.user, organisation=organisation,
                                              **_fields(values))
            return redirect(made)
        except InputError as exc:
            errors = {exc.field: str(exc)}
    return render(request, "consultations/form.html", {
        "values": values, "errors": errors, "c": None,
        "organisations": access.organisations_for(request.user).order_by("name")},
        status=400 if errors else 200)


def consultation_edit(request, pk: int):
    c = get_object_or_404(Consultation.objects.select_related("organisation"), pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.can_edit(request.user, c):
        raise PermissionDenied("Only editors of the organisation can edit this consultation.")
    values = {"organisation": str(c.organisation_id), "title": c.title, "text": c.text,
              "easy_read": c.easy_read, "places": places.typed(c.area_codes),
              "opens": c.opens.isoformat(), "closes": c.closes.isoformat(),
              "questions": "\n".join(q.text for q in c.questions.all())}
    errors = {}
    if request.method == "POST":
        values |= {k: request.POST.get(k, "") for k in FORM_FIELDS if k != "organisation"}
        try:
            services.edit(request.user, c, **_fields(values))
            return redirect(c)
        except InputError as exc:
            errors = {exc.field: str(exc)}
    return render(request, "consultations/form.html", {
        "values": values, "errors": errors, "c": c, "organisations": [c.organisation],
        "dates_frozen": access.has_response(c)},
        status=400 if errors else 200)


def consultation_detail(request, pk: int):
    c = get_object_or_404(Consultation.objects.select_related("organisation"), pk=pk)
    return _detail(request, c)


def _detail(request, c: Consultation, *, errors=None, draft=None, status: int = 200):
    user = request.user
    response = getattr(c, "response", None)
    return render(request, "consultations/detail.html", {
        "c": c, "places": places.records(c.area_codes), "errors": errors or {},
        "draft": draft or {}, "sections": threads.sections(c, user, draft=draft),
        "respond_form": threads.form_state("respond", draft or {}),
        "comment_count": c.comments.count(), "response": response,
        "response_answers": [(x, public_name(x.author))  # hidden ones: their place, no text
                             for x in response.answers.select_related("author")]
        if response else [],
        "respond_candidates": [(x, public_name(x.author)) for x in
                               c.comments.filter(parent=None, hidden=False)
                               .select_related("author")]
        if access.can_respond(user, c) else [],
        "log": [(a, public_name(a.comment.author)) for a in moderation.log(c)],
        "can_comment": access.can_comment(user, c), "can_edit": access.can_edit(user, c),
        "easy_read_level": readability.measure(c.easy_read) if access.can_edit(user, c)
        else None,
        "can_close": access.can_close(user, c), "can_respond": access.can_respond(user, c),
        "is_open": access.is_open(c), "is_closed": c.is_closed() or response is not None,
        "page_sections": sections.for_page("consultation", request, consultation=c)},
        status=status)


def _action(handler):
    """A POST endpoint about one consultation (and maybe one of its comments): sign-in
    first, then the handler; bad input re-renders the page with 400, the rate limit 429.
    The handler returns the part of the page to go back to (``#...``)."""

    @require_POST
    @wraps(handler)
    def view(request, pk: int, comment: int | None = None):
        c = get_object_or_404(Consultation.objects.select_related("organisation"), pk=pk)
        if not request.user.is_authenticated:
            return redirect_to_login(c.get_absolute_url())
        args = [get_object_or_404(Comment, pk=comment, consultation=c)] if comment else []
        for item in args:
            item.consultation = c
        try:
            anchor = handler(request, c, *args)
        except (InputError, RateLimited) as exc:
            field = exc.field if isinstance(exc, InputError) else "text"
            post = request.POST
            draft = {"form": post.get("form", ""),
                     "text": post.get("text") or post.get("reason") or post.get("response", "")}
            return _detail(request, c, errors={field: str(exc)}, draft=draft,
                           status=429 if isinstance(exc, RateLimited) else 400)
        return redirect(c.get_absolute_url() + anchor)

    return view


@_action
def comment(request, c):
    question = _pick(c.questions.all(), request.POST.get("question"))
    parent = _pick(c.comments.all(), request.POST.get("parent"))
    try:  # the optional questions other apps add (who takes part): checked first
        about = formparts.read("comment", request.POST)
    except FieldError as exc:
        raise InputError(exc.field, str(exc)) from None
    made = services.comment(request.user, c, text=request.POST.get("text", ""),
                            question=question, parent=parent)
    about.save(person=("user", request.user.pk), thing=("consultation", str(c.pk)))
    return f"#comment-{made.pk}"


@_action
def support(request, c, item):
    services.support(request.user, item)
    return f"#comment-{item.pk}"


@_action
def report(request, c, item):
    moderation.report(request.user, item, reason=request.POST.get("reason", ""))
    messages.success(request, "Thank you: the moderators will look at this comment.")
    return f"#comment-{item.pk}"


@_action
def moderate(request, c, item):
    decide = {"hide": moderation.hide, "restore": moderation.restore,
              "dismiss": moderation.dismiss}.get(request.POST.get("action", ""))
    if decide is None:
        raise InputError("action", "Action: choose hide, restore or dismiss the reports")
    decide(request.user, item, reason=request.POST.get("reason", ""))
    return f"#comment-{item.pk}"


@_action
def close(request, c):
    services.close_early(request.user, c)
    return ""


@_action
def respond(request, c):
    services.respond(request.user, c, text=request.POST.get("response", ""),
                     answers=request.POST.getlist("answers"))
    return "#response"


def _pick(queryset, value):
    """The object ``value`` names in ``queryset``; None for no value."""
    if not value:
        return None
    pk = parse_id(value)
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise InputError("text", "Comment: that question or comment is not part of this "
                                 "consultation")
    return found


def _fields(values: dict) -> dict:
    return {k: values[k] for k in FORM_FIELDS if k != "organisation"}
