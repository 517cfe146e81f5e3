"""Use cases for data requests: ask, support, answer on the record, notify, list."""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import BadHeaderError, send_mail
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from commonground.accounts import ratelimit
from commonground.accounts.models import Membership, Organisation
from commonground.activity import events
from commonground.activity.inputs import FieldError, with_area_code
from commonground.places import names

from . import access
from .models import Answer, DataRequest, Support

logger = logging.getLogger(__name__)


class RequestError(FieldError):
    """Bad input for a data request."""


def check_places(text: str) -> list[str]:
    """Place names or codes, comma-separated, as area codes (``places.names``); an unknown
    place is a ``RequestError`` naming the "places" field."""
    try:
        return names.check_places(text)
    except names.PlaceError as exc:
        raise RequestError(exc.field, str(exc)) from None


def ask(user, *, title: str, description: str, organisation, places: str = "",
        group=None) -> DataRequest:
    """A new request to any organisation in the hub's directory, optionally on behalf of a
    group the requester belongs to; followers of the organisation asked, the group and the
    places hear of it. An organisation no one on Common Ground answers for yet (an NHS body,
    a utility) is emailed the request at its contact address, if it has one."""
    if not access.can_ask(user):
        raise PermissionDenied("Sign in to ask for data.")
    if not title.strip():
        raise RequestError("title", "Title: say in a few words what data you need")
    if not description.strip():
        raise RequestError("description", "Description: say what the data should show")
    if group is not None and not access.can_ask_for(user, group):
        raise RequestError("group", f"Group: you are not a member of {group.name}")
    codes = check_places(places)
    ratelimit.check("ask for data", str(user.pk))
    with transaction.atomic():
        made = DataRequest.objects.create(title=" ".join(title.split())[:200],  # one line
                                          description=description.strip(), requester=user,
                                          organisation=organisation, group=group,
                                          area_codes=codes)
        targets = [("group", organisation.slug)] + [("place", code) for code in codes]
        if group is not None:
            targets.append(("group", group.slug))
        events.record(f"New data request to {organisation.name}: “{made.title[:120]}”",
                      made.get_absolute_url(), targets, actor=user)
        events.follow(user, "request", str(made.pk))
    if not answerable(organisation) and organisation.contact_email:
        email_organisation(made)  # the request is saved: the link works
    return made


def _may_email(organisation) -> bool:
    """True while the organisation's contact address has not had its day's share of
    requests (``"email an organisation"``): the hub is no way to flood an inbox."""
    try:
        ratelimit.check("email an organisation", str(organisation.pk))
    except ratelimit.RateLimited:
        return False
    return True


def email_organisation(request: DataRequest) -> None:
    """Send a request to the contact address of the organisation asked (for one no one on
    Common Ground answers for): what is asked, where to read and answer it."""
    organisation = request.organisation
    if not _may_email(organisation):
        logger.info("request %s not emailed: %s had its day's share", request.pk,
                    organisation.slug)
        return
    link = settings.COMMONGROUND_SITE_URL.rstrip("/") + request.get_absolute_url()
    subject = " ".join(f"A public request for data: {request.title}".split())
    try:
        _send(subject, request, organisation, link)
    except (BadHeaderError, OSError, smtplib.SMTPException):
        # the request is published either way; a mail server's refusal is the operator's to see
        logger.exception("request %s could not be emailed to %s", request.pk, organisation.slug)


def _send(subject: str, request: DataRequest, organisation, link: str) -> None:
    send_mail(subject,
              f"Hello,\n\nSomeone on Common Ground, {settings.COMMONGROUND_SITE_URL}, has asked "
              f"{organisation.name} for data. The request is public, and others can support "
              f"it:\n\n{request.title}\n\n{request.description}\n\nRead it here:\n\n{link}\n\n"
              f"No one answers for {organisation.name} on Common Ground yet. To answer on the "
              "record, ask the hub's administrators for an account that answers for it. You "
              "were sent this because this address is listed as its contact.",
              None, [organisation.contact_email])


def answerable(organisation) -> bool:
    """True when someone can answer for the organisation (an editor or admin)."""
    return organisation.memberships.filter(
        role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).exists()


def answerable_organisations():
    return Organisation.objects.filter(
        memberships__role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).distinct()


def addressees() -> list[tuple[Organisation, bool]]:
    """Every organisation in the hub's directory, by name, with whether someone on Common
    Ground answers for it (the request form's choices)."""
    answering = set(answerable_organisations().values_list("pk", flat=True))
    return [(o, o.pk in answering) for o in Organisation.objects.order_by("name")]


def support(user, request: DataRequest) -> bool:
    """Add the user's support; False when they already support it."""
    if not access.can_support(user, request):
        raise PermissionDenied("Sign in to support a request (you cannot support your own).")
    _, created = Support.objects.get_or_create(request=request, user=user)
    if created:
        events.follow(user, "request", str(request.pk))
    return created


def answer(user, request: DataRequest, *, status: str, text: str, dataset=None) -> Answer:
    """The organisation's answer on the record; the requester and supporters are notified."""
    if not access.can_answer(user, request):
        raise PermissionDenied("Only the organisation asked can answer this request.")
    if status not in DataRequest.Status.values or status == DataRequest.Status.OPEN:
        raise RequestError("status", "Status: choose under review, will publish, published or "
                                     "declined")
    if not text.strip():
        raise RequestError("text", "Answer: say what you will do, or why not")
    if status == DataRequest.Status.PUBLISHED:
        if dataset is None or dataset.organisation_id != request.organisation_id:
            raise RequestError("dataset", "Dataset: link the dataset your organisation "
                                          "published")
        if not dataset.is_public:
            raise RequestError("dataset", "Dataset: publish the dataset first (it is a draft "
                                          "or private)")
    with transaction.atomic():
        record = Answer.objects.create(request=request, status=status, text=text.strip(),
                                       by=user)
        request.status = status
        request.dataset = dataset if status == DataRequest.Status.PUBLISHED else request.dataset
        request.first_answered = request.first_answered or timezone.now()
        request.save()
        label = DataRequest.Status(status).label.lower()
        people = {request.requester_id} | set(request.supports.values_list("user_id", flat=True))
        targets = [("request", str(request.pk)), ("group", request.organisation.slug)]
        if request.group_id:
            targets.append(("group", request.group.slug))
        if status == DataRequest.Status.PUBLISHED:
            targets.append(("dataset", dataset.name))
        events.record(f"{request.organisation.name} answered “{request.title[:120]}”: {label}",
                      request.get_absolute_url(), targets, actor=user, also_notify=people)
    return record


def listing(*, status: str = "", organisation: str = "", place: str = ""):
    """Requests with support counts and response times, filtered; ``place`` is an area
    code, matched exactly."""
    requests = (DataRequest.objects.select_related("organisation", "requester", "dataset",
                                                   "group")
                .annotate(support_count=Count("supports"))
                .annotate(response=F("first_answered") - F("created")))
    if status:
        requests = requests.filter(status=status)
    if organisation:
        requests = requests.filter(organisation__slug=organisation)
    return with_area_code(requests, place) if place else requests
