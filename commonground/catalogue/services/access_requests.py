"""The way into restricted data: asking for access, answering, and grants that end.

A signed-in person who is not a member of the owning organisation **asks** for part of a
published restricted dataset (or one holding records about people): a scope (columns,
places, period, detail, months; ``catalogue.grantscope``), the purpose, the Five Safes and
the dataset's terms accepted, for themselves or on behalf of a group they belong to. The
organisation's editors **grant** it, **reject** it with a reason, or **counter-offer** a
narrower scope, which the requester **accepts** (a grant of the offer) or **declines**; the
requester may **withdraw** an open request; an editor may **revoke** a grant at once. A
grant lasts its scope's months; :func:`remind_grants` tells grantees before it ends, and
renewing is a new, shorter request (``renews``).

Each use case is one transaction: a request or grant being changed is locked first, so two
editors answering at once give one answer and the other a :class:`AccessError`. Bad input
raises :class:`AccessError` naming the form field, and then nothing changes. Everyone is
told each step, in the site (``activity`` notifications, never the person who acted) and by
email: the owner's editors of new requests, acceptances, declines and withdrawals; the
requester of grants, rejections, counter-offers and revocations.

:func:`stats` gives the anonymised public figures of a dataset's requests (how many asked,
were granted, rejected, are waiting; how long answers took): no names and no purposes.
"""

from __future__ import annotations

import calendar
import statistics
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from commonground.accounts import permissions, ratelimit
from commonground.accounts.models import Membership, Organisation
from commonground.activity import events
from commonground.activity.inputs import FieldError
from commonground.geography.codes import geography_label
from commonground.places import names
from commonground.places.cache import city_state

from .. import access, grantscope
from ..models import AccessRequest, Dataset, Grant

#: The Five Safes (UK Data Service; ONS "Five Safes" framework): form field, label, and the
#: one-line question each answers.
FIVE_SAFES = (
    ("safe_projects", "Safe projects",
     "Is this use of the data appropriate, lawful and for the public good?"),
    ("safe_people", "Safe people",
     "Who will see the data, and can they be trusted to use it properly?"),
    ("safe_settings", "Safe settings",
     "Where and how will the data be kept and worked on, so it cannot be misused?"),
    ("safe_data", "Safe data",
     "Why is this much detail needed: could less (fewer columns, coarser places) do?"),
    ("safe_outputs", "Safe outputs",
     "What will you publish, and how will you make sure no one can be identified in it?"),
)

#: How long before a grant ends its holder is reminded [days].
REMIND_DAYS = 14

#: The longest purpose or Five Safes answer kept [characters].
MAX_TEXT = 5000


class AccessError(FieldError):
    """An access request or answer that cannot be made; ``field`` names the form field."""


# --- who may do what ---------------------------------------------------------------------

def askable(dataset: Dataset) -> bool:
    """Whether anyone outside its organisation could ask for this dataset's rows: published,
    not private, and restricted or holding records about people."""
    return dataset.is_public and (dataset.restricted or dataset.about_people)


def is_member(user, organisation: Organisation) -> bool:
    """Reads the organisation's askable datasets already (a member of a group anyone may join
    at once does not, and may ask)."""
    return permissions.can_see_personal_data(user, organisation)


def can_ask(user, dataset: Dataset) -> bool:
    """Signed in, not a member of the owning organisation, and the dataset is askable."""
    return (getattr(user, "is_authenticated", False) and askable(dataset)
            and not is_member(user, dataset.organisation))


def can_see_request(user, item: AccessRequest) -> bool:
    """The requester, and the editors of the dataset's organisation."""
    if not getattr(user, "is_authenticated", False):
        return False
    return item.requester_id == user.pk or access.can_edit(user, item.dataset)


def _must_answer(user, dataset: Dataset) -> None:
    if not access.can_edit(user, dataset):
        raise PermissionDenied("Only the publisher's editors answer access requests.")


def _must_be_requester(user, item: AccessRequest) -> None:
    if not getattr(user, "is_authenticated", False) or item.requester_id != user.pk:
        raise PermissionDenied("Only the person who asked can do this.")


# --- scopes ------------------------------------------------------------------------------

def live_columns(dataset: Dataset) -> list[str]:
    """The data columns of the dataset's live versions (what a scope may name)."""
    return [c["name"] for c in access._schema(dataset)]


def geographies() -> dict[str, int]:
    """The loaded city's profiled geographies and how many areas each has."""
    state = city_state()
    return {g: len(state.by_geography[g]) for g in state.profiled}


def detail_choices() -> list[tuple[str, str]]:
    """Detail a scope may ask for, finest first: exact locations, then each geography."""
    ordered = sorted(geographies().items(), key=lambda item: -item[1])
    return [(grantscope.EXACT, "Exact locations")] + [(g, geography_label(g))
                                                      for g, _ in ordered]


def dataset_shape(dataset: Dataset) -> grantscope.DatasetShape:
    state = city_state()
    return grantscope.DatasetShape(columns=live_columns(dataset),
                                   period_column=dataset.period_column,
                                   area_codes=frozenset(code for (_, code) in state.areas),
                                   geographies=geographies())


def read_scope(dataset: Dataset, *, columns, places: str = "", period_from: str = "",
               period_to: str = "", detail: str = "", months="") -> grantscope.Scope:
    """A scope from a form: ``columns`` ticked (a list; all the dataset's columns when it
    has none yet), ``places`` typed by name or code, comma-separated (empty: the whole
    city), the period's days (``YYYY-MM-DD``, either empty), ``detail`` and ``months``.
    Raises :class:`AccessError` naming the field; the scope is checked by :func:`ask` and
    :func:`counter`."""
    chosen = None
    if live_columns(dataset):
        chosen = tuple(dict.fromkeys(str(c) for c in (columns or [])))
    try:
        codes = names.check_places(places or "")
    except FieldError as exc:
        raise AccessError(exc.field, str(exc)) from None
    text = str(months if months is not None else "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 3):
        raise AccessError("months", f"How long: “{text[:20]}” is not a number of months "
                                    f"(1 to {grantscope.MAX_MONTHS})")
    return grantscope.Scope(columns=chosen, places=tuple(codes) or None,
                            period_from=_day(period_from, "period_from", "First day"),
                            period_to=_day(period_to, "period_to", "Last day"),
                            detail=(detail or grantscope.EXACT).strip(), months=int(text))


def _day(value, field: str, label: str) -> date | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AccessError(field, f"{label}: “{text[:20]}” is not a date (YYYY-MM-DD)") from None


def _checked(scope: grantscope.Scope, dataset: Dataset) -> grantscope.Scope:
    try:
        return grantscope.check(scope, dataset_shape(dataset))
    except grantscope.ScopeError as exc:
        raise AccessError(exc.field, str(exc)) from None


#: The field a message of ``grantscope.within`` is about (it starts with the label).
_WITHIN_FIELDS = {"Columns": "columns", "Places": "places", "Period": "period_from",
                  "Detail": "detail", "How long": "months"}


def _same(a: grantscope.Scope, b: grantscope.Scope) -> bool:
    def key(s):
        return (None if s.columns is None else frozenset(s.columns),
                None if s.places is None else frozenset(s.places),
                s.period_from, s.period_to, s.detail, s.months)
    return key(a) == key(b)


def add_months(moment: datetime, months: int) -> datetime:
    """The same time ``months`` calendar months later (the 31st becomes the month's last
    day)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def describe(scope_json: dict) -> str:
    """A scope in one line of plain words (notifications, emails, pages)."""
    scope = grantscope.from_json(scope_json)
    parts = ["all columns" if scope.columns is None
             else "columns " + ", ".join(scope.columns)]
    if scope.places is None:
        parts.append("the whole city")
    else:
        named = {code: record.display_name for (_, code), record in city_state().areas.items()}
        parts.append("places " + ", ".join(f"{named.get(c, c)} ({c})" for c in scope.places))
    if scope.period_from or scope.period_to:
        parts.append(f"from {scope.period_from or 'the start'} to {scope.period_to or 'now'}")
    parts.append("exact locations" if scope.detail == grantscope.EXACT
                 else f"places no finer than {geography_label(scope.detail).lower()}")
    parts.append(f"{scope.months} month{'s' if scope.months != 1 else ''}")
    return "; ".join(parts)


# --- telling people ----------------------------------------------------------------------

@dataclass
class _Message:
    people: list
    text: str
    url: str
    body: str


def _editors(dataset: Dataset) -> list:
    return [m.user for m in Membership.objects.filter(
        organisation_id=dataset.organisation_id,
        role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).select_related("user")]


def _tell(message: _Message, actor) -> None:
    """In-site notifications now (in the caller's transaction)."""
    events.record(message.text, message.url, [], actor=actor,
                  also_notify=[p.pk for p in message.people])


def _email(message: _Message, actor) -> None:
    """Email each person told (after the transaction: nothing is sent for a change that
    did not happen), never the person who acted."""
    link = settings.COMMONGROUND_SITE_URL.rstrip("/") + message.url
    mails = [(f"Common Ground: {message.text}"[:200],
              f"Hello {person.get_username()},\n\n{message.body}\n\n{link}\n", None,
              [person.email])
             for person in message.people
             if person.email and person.is_active and person.pk != getattr(actor, "pk", None)]
    if mails:
        send_mass_mail(mails, fail_silently=False)


def request_url(item: AccessRequest) -> str:
    return reverse("catalogue:access_request", args=[item.dataset.name, item.pk])


def _to_editors(item: AccessRequest, text: str, body: str) -> _Message:
    return _Message(_editors(item.dataset), text, request_url(item), body)


def _to_requester(item: AccessRequest, text: str, body: str) -> _Message:
    return _Message([item.requester], text, request_url(item), body)


# --- use cases ---------------------------------------------------------------------------

def ask(user, dataset: Dataset, scope: grantscope.Scope, *, purpose: str, safes: dict,
        accepted_terms: bool, group: Organisation | None = None,
        renews: Grant | None = None) -> AccessRequest:
    """Ask for ``scope`` of ``dataset``; ``safes`` maps each of :data:`FIVE_SAFES`' fields
    to its answer. The owner's editors are told."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to ask for access.")
    if not askable(dataset):
        raise AccessError("dataset", "Dataset: only a published restricted dataset (or one "
                                     "about people) can be asked for")
    if is_member(user, dataset.organisation):
        raise AccessError("dataset", f"Dataset: you are a member of "
                                     f"{dataset.organisation.name}, so you can read it already")
    purpose, answers = _texts(purpose, safes)
    if not accepted_terms:
        raise AccessError("terms", "Terms: accept the terms of access to ask")
    if group is not None and not Membership.objects.filter(user=user,
                                                           organisation=group).exists():
        raise AccessError("group", "Group: you can ask on behalf of a group you belong to")
    scope = _askable_scope(user, dataset, scope, renews)
    with transaction.atomic():
        Dataset.objects.select_for_update().filter(pk=dataset.pk).first()  # one ask at a time
        if AccessRequest.objects.filter(dataset=dataset, requester=user, status__in=[
                AccessRequest.Status.PENDING, AccessRequest.Status.COUNTERED]).exists():
            raise AccessError("dataset", "Dataset: you have a request for it waiting already; "
                                         "withdraw it to ask again")
        ratelimit.check("ask for data", str(user.pk))
        item = AccessRequest.objects.create(
            dataset=dataset, requester=user, group=group, purpose=purpose,
            scope=scope.to_json(), terms_accepted=timezone.now(), renews=renews, **answers)
        on_behalf = f" for {group.name}" if group else ""
        message = _to_editors(
            item, f"{user.get_username()} asked for access to {dataset.title}"[:300],
            f"{user.get_username()}{on_behalf} asked for access to “{dataset.title}”: "
            f"{describe(item.scope)}.\n\nRead the request, its purpose and Five Safes, and "
            "grant, reject or counter-offer it:")
        _tell(message, user)
    _email(message, user)
    return item


def _texts(purpose: str, safes: dict) -> tuple[str, dict]:
    """The purpose and the Five Safes' answers, each required."""
    purpose = (purpose or "").strip()
    if not purpose:
        raise AccessError("purpose", "Purpose: say what you will use the data for")
    if len(purpose) > MAX_TEXT:
        raise AccessError("purpose", f"Purpose: at most {MAX_TEXT:,} characters")
    answers = {}
    for field, label, _ in FIVE_SAFES:
        answers[field] = str(safes.get(field) or "").strip()
        if not answers[field]:
            raise AccessError(field, f"{label}: answer this (one or two sentences)")
        if len(answers[field]) > MAX_TEXT:
            raise AccessError(field, f"{label}: at most {MAX_TEXT:,} characters")
    return purpose, answers


def _askable_scope(user, dataset: Dataset, scope: grantscope.Scope,
                   renews: Grant | None) -> grantscope.Scope:
    """The scope checked against the dataset (and the grant it renews, if any)."""
    scope = _checked(scope, dataset)
    if dataset.partly_withheld and scope.places is not None:
        raise AccessError("places", "Places: this dataset's rows are open; ask for the "
                                    "withheld columns, for the whole city")
    if dataset.partly_withheld and (scope.period_from or scope.period_to):
        raise AccessError("period_from", "Period: this dataset's rows are open; ask for the "
                                         "withheld columns, for all time")
    if renews is not None:
        if renews.dataset_id != dataset.pk or renews.user_id != user.pk:
            raise AccessError("renews", "Renews: not one of your grants on this dataset")
        held = grantscope.from_json(renews.scope).months
        if scope.months >= held:
            raise AccessError("months", f"How long: a renewal is shorter than the grant it "
                                        f"renews ({held} months): ask for at most {held - 1}")
    return scope


def _locked(item: AccessRequest) -> AccessRequest:
    return (AccessRequest.objects.select_for_update().select_related("dataset", "requester")
            .get(pk=item.pk))


def _start_grant(item: AccessRequest, scope_json: dict, now) -> Grant:
    scope = grantscope.from_json(scope_json)
    if (scope.period_from or scope.period_to) and not scope.period_column:
        # the grant keeps the column its period is on: changing the dataset's period
        # column later cannot widen it
        scope = replace(scope, period_column=item.dataset.period_column)
    return Grant.objects.create(dataset=item.dataset, request=item, user=item.requester,
                                group=item.group, scope=scope.to_json(), starts=now,
                                expires=add_months(now, scope.months))


def _answered(item: AccessRequest, editor, now) -> None:
    item.answered_by = editor
    item.answered = item.answered or now


def grant(editor, item: AccessRequest) -> Grant:
    """Grant what was asked; the requester is told. Lasts the scope's months from now."""
    _must_answer(editor, item.dataset)
    with transaction.atomic():
        item = _locked(item)
        _must_be(item, AccessRequest.Status.PENDING)
        now = timezone.now()
        made = _start_grant(item, item.scope, now)
        _answered(item, editor, now)
        item.status, item.closed = AccessRequest.Status.GRANTED, now
        item.save()
        message = _to_requester(
            item, f"Your access to {item.dataset.title} was granted"[:300],
            f"{item.dataset.organisation.name} granted your request for “{item.dataset.title}”"
            f": {describe(made.scope)}, until {made.expires:%d %B %Y}.")
        _tell(message, editor)
    _email(message, editor)
    return made


def reject(editor, item: AccessRequest, reason: str) -> AccessRequest:
    """Reject with a reason (required); the requester is told the reason."""
    _must_answer(editor, item.dataset)
    reason = (reason or "").strip()
    if not reason:
        raise AccessError("reason", "Reason: say why the request is rejected")
    if len(reason) > MAX_TEXT:
        raise AccessError("reason", f"Reason: at most {MAX_TEXT:,} characters")
    with transaction.atomic():
        item = _locked(item)
        _must_be(item, AccessRequest.Status.PENDING)
        now = timezone.now()
        _answered(item, editor, now)
        item.status, item.reason, item.closed = AccessRequest.Status.REJECTED, reason, now
        item.save()
        message = _to_requester(
            item, f"Your request for {item.dataset.title} was rejected"[:300],
            f"{item.dataset.organisation.name} rejected your request for "
            f"“{item.dataset.title}”, saying:\n\n{reason}")
        _tell(message, editor)
    _email(message, editor)
    return item


def counter(editor, item: AccessRequest, offer: grantscope.Scope, note: str = ""
            ) -> AccessRequest:
    """Offer a narrower scope than asked (never wider, and not the same); the requester is
    told and accepts or declines."""
    _must_answer(editor, item.dataset)
    offer = _checked(offer, item.dataset)
    asked = grantscope.from_json(item.scope)
    wider = grantscope.within(offer, asked, geographies())
    if wider:
        raise AccessError(_WITHIN_FIELDS.get(wider.split(":")[0], "columns"), wider)
    if _same(offer, asked):
        raise AccessError("columns", "Counter-offer: it is what was asked for; grant the "
                                     "request instead, or narrow something")
    note = (note or "").strip()[:MAX_TEXT]
    with transaction.atomic():
        item = _locked(item)
        _must_be(item, AccessRequest.Status.PENDING)
        now = timezone.now()
        _answered(item, editor, now)
        item.status, item.offer, item.offer_note = (AccessRequest.Status.COUNTERED,
                                                    offer.to_json(), note)
        item.save()
        message = _to_requester(
            item, f"A counter-offer for {item.dataset.title}"[:300],
            f"{item.dataset.organisation.name} offers you less than you asked for of "
            f"“{item.dataset.title}”: {describe(item.offer)}."
            + (f"\n\nTheir note: {note}" if note else "")
            + "\n\nAccept or decline it:")
        _tell(message, editor)
    _email(message, editor)
    return item


def accept(requester, item: AccessRequest) -> Grant:
    """Accept a counter-offer: a grant of the offer's scope; the owner's editors are told."""
    _must_be_requester(requester, item)
    with transaction.atomic():
        item = _locked(item)
        _must_be(item, AccessRequest.Status.COUNTERED)
        now = timezone.now()
        made = _start_grant(item, item.offer, now)
        item.status, item.closed = AccessRequest.Status.GRANTED, now
        item.save()
        message = _to_editors(
            item, f"{requester.get_username()} accepted the counter-offer for "
                  f"{item.dataset.title}"[:300],
            f"{requester.get_username()} accepted your counter-offer for "
            f"“{item.dataset.title}”: {describe(made.scope)}, until "
            f"{made.expires:%d %B %Y}.")
        _tell(message, requester)
    _email(message, requester)
    return made


def decline(requester, item: AccessRequest) -> AccessRequest:
    """Decline a counter-offer (the request is closed); the owner's editors are told."""
    return _close(requester, item, AccessRequest.Status.DECLINED,
                  [AccessRequest.Status.COUNTERED], "declined the counter-offer for")


def withdraw(requester, item: AccessRequest) -> AccessRequest:
    """Withdraw an open request; the owner's editors are told."""
    return _close(requester, item, AccessRequest.Status.WITHDRAWN,
                  [AccessRequest.Status.PENDING, AccessRequest.Status.COUNTERED],
                  "withdrew the request for")


def _close(requester, item, status, allowed, verb: str) -> AccessRequest:
    _must_be_requester(requester, item)
    with transaction.atomic():
        item = _locked(item)
        _must_be(item, *allowed)
        item.status, item.closed = status, timezone.now()
        item.save()
        text = f"{requester.get_username()} {verb} {item.dataset.title}"[:300]
        message = _to_editors(item, text, text.rstrip(".") + ".")
        _tell(message, requester)
    _email(message, requester)
    return item


def _must_be(item: AccessRequest, *statuses) -> None:
    if item.status not in statuses:
        raise AccessError("status", f"This request is {item.get_status_display().lower()} "
                                    "already; nothing was changed")


def revoke(editor, held: Grant, reason: str) -> Grant:
    """End a grant now, with a reason (required); the grantee is told. Its keys stop
    working with it (``access.row_access`` reads only active grants)."""
    _must_answer(editor, held.dataset)
    reason = (reason or "").strip()
    if not reason:
        raise AccessError("revoke_reason", "Reason: say why the grant is revoked")
    with transaction.atomic():
        held = Grant.objects.select_for_update().select_related("dataset", "user").get(
            pk=held.pk)
        if held.revoked is not None:
            raise AccessError("revoke_reason", "This grant is revoked already")
        held.revoked, held.revoked_by, held.revoke_reason = (timezone.now(), editor,
                                                             reason[:MAX_TEXT])
        held.save()
        url = grant_url(held)
        message = _Message([held.user], f"Your access to {held.dataset.title} was revoked"[:300],
                           url, f"{held.dataset.organisation.name} revoked your access to "
                                f"“{held.dataset.title}”, saying:\n\n{reason}")
        _tell(message, editor)
    _email(message, editor)
    return held


def grant_url(held: Grant) -> str:
    if held.request_id:
        return reverse("catalogue:access_request", args=[held.dataset.name, held.request_id])
    return held.dataset.get_absolute_url()


# --- grants ending -----------------------------------------------------------------------

@dataclass
class Reminders:
    reminded: list[Grant]  # ending within REMIND_DAYS: told once
    ended: list[Grant]  # ended before anyone was told: told it has ended, once


def remind_grants(now=None) -> Reminders:
    """Tell each grantee whose grant ends within :data:`REMIND_DAYS` (once: ``reminded``),
    and each whose grant ended before they were reminded that it has; renewing is a new,
    shorter request. Run daily (``manage.py remind_grants``)."""
    now = now or timezone.now()
    done = Reminders([], [])
    waiting = (Grant.objects.filter(revoked__isnull=True, reminded__isnull=True,
                                    expires__lte=now + timedelta(days=REMIND_DAYS))
               .values_list("pk", flat=True))
    for pk in list(waiting):
        with transaction.atomic():
            held = (Grant.objects.select_for_update().select_related("dataset", "user")
                    .filter(pk=pk, reminded__isnull=True, revoked__isnull=True).first())
            if held is None:
                continue
            held.reminded = now
            held.save(update_fields=["reminded"])
            title = held.dataset.title
            if held.expires > now:
                text = f"Your access to {title} ends on {held.expires:%d %B %Y}"
                body = (f"Your access to “{title}” ends on {held.expires:%d %B %Y}. To go on "
                        "using it, ask again for a shorter time (a renewal) on the dataset's "
                        "page:")
                done.reminded.append(held)
            else:
                text = f"Your access to {title} has ended"
                body = (f"Your access to “{title}” ended on {held.expires:%d %B %Y}. You can "
                        "ask again on the dataset's page:")
                done.ended.append(held)
            message = _Message([held.user], text[:300], held.dataset.get_absolute_url(), body)
            _tell(message, None)
        _email(message, None)
    return done


# --- what pages show ---------------------------------------------------------------------

#: Outcomes (granted, rejected, ...) are shown once this many requests are closed: with
#: one or two, anyone who knows who asked would learn how their request went.
OUTCOMES_FROM = 3


def stats(dataset: Dataset) -> dict:
    """The dataset's requests in anonymised figures: how many were asked and are waiting,
    the median days to a first answer (None before any), and, once
    :data:`OUTCOMES_FROM` are closed, how many were granted (counter-offers accepted among
    them), rejected, declined and withdrawn. No names, no purposes."""
    rows = list(AccessRequest.objects.filter(dataset=dataset)
                .values_list("status", "offer", "created", "answered"))
    S = AccessRequest.Status
    count = {status: sum(1 for r in rows if r[0] == status) for status in S.values}
    days = [(answered - created).total_seconds() / 86400
            for _, _, created, answered in rows if answered is not None]
    closed = sum(count[s] for s in (S.GRANTED, S.REJECTED, S.DECLINED, S.WITHDRAWN))
    figures = {"asked": len(rows), "pending": count[S.PENDING] + count[S.COUNTERED],
               "closed": closed, "outcomes_from": OUTCOMES_FROM,
               "outcomes_shown": closed >= OUTCOMES_FROM,
               "median_days": round(statistics.median(days), 1) if days else None}
    if figures["outcomes_shown"]:
        figures |= {"granted": count[S.GRANTED],
                    "countered_accepted": sum(1 for r in rows if r[0] == S.GRANTED and r[1]),
                    "rejected": count[S.REJECTED], "declined": count[S.DECLINED],
                    "withdrawn": count[S.WITHDRAWN]}
    return figures


def queue(dataset: Dataset):
    """The dataset's requests for its editors: open ones first, then the newest."""
    return sorted(AccessRequest.objects.filter(dataset=dataset).select_related("requester",
                                                                                "group"),
                  key=lambda r: (not r.is_open, -r.created.timestamp()))


def page_context(user, dataset: Dataset) -> dict:
    """What the dataset page's "Access" section shows this person."""
    level, _ = _level(dataset)
    mine = []
    grants = []
    if getattr(user, "is_authenticated", False):
        mine = list(AccessRequest.objects.filter(dataset=dataset, requester=user))
        grants = list(Grant.objects.filter(dataset=dataset, user=user))
    editor = access.can_edit(user, dataset)
    return {"level": level, "askable": askable(dataset),
            "can_ask": can_ask(user, dataset) and not any(r.is_open for r in mine),
            "stats": stats(dataset) if askable(dataset) else None,
            "my_requests": mine, "my_grants": grants, "now": timezone.now(),
            "is_editor": editor,
            "waiting": AccessRequest.objects.filter(
                dataset=dataset, status=AccessRequest.Status.PENDING).count() if editor else 0}


def _level(dataset: Dataset) -> tuple[str, str]:
    """The access level in plain words, and its code."""
    if dataset.private:
        return "Private: only members of the publisher see it.", "private"
    if dataset.restricted and dataset.withheld_columns:
        return ("Restricted columns: its rows are open, but the columns "
                + ", ".join(dataset.withheld_columns)
                + " and the rows' exact locations need a grant.", "restricted")
    if dataset.restricted:
        return ("Restricted: its description, schema and summaries are open; its rows need "
                "a grant.", "restricted")
    if dataset.about_people:
        return ("Records about people: summaries are open, with small counts hidden; its "
                "rows need a grant.", "restricted")
    return "Open: anyone can read everything.", "open"
