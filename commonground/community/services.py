"""Use cases for data requests: ask, support, answer on the record, notify, list."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
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
    """A new request, optionally on behalf of a group the requester belongs to; followers
    of the organisation asked, the group and the places hear of it."""
    if not access.can_ask(user):
        raise PermissionDenied("Sign in to ask for data.")
    if not title.strip():
        raise RequestError("title", "Title: say in a few words what data you need")
    if not description.strip():
        raise RequestError("description", "Description: say what the data should show")
    if not answerable(organisation):
        raise RequestError("organisation", f"Organisation: {organisation.name} has no one on "
                                           "Common Ground who can answer yet; ask another")
    if group is not None and not access.can_ask_for(user, group):
        raise RequestError("group", f"Group: you are not a member of {group.name}")
    codes = check_places(places)
    ratelimit.check("ask for data", str(user.pk))
    with transaction.atomic():
        made = DataRequest.objects.create(title=title.strip()[:200],
                                          description=description.strip(), requester=user,
                                          organisation=organisation, group=group,
                                          area_codes=codes)
        targets = [("group", organisation.slug)] + [("place", code) for code in codes]
        if group is not None:
            targets.append(("group", group.slug))
        events.record(f"New data request to {organisation.name}: “{made.title[:120]}”",
                      made.get_absolute_url(), targets, actor=user)
        events.follow(user, "request", str(made.pk))
    return made


def answerable(organisation) -> bool:
    """True when someone can answer for the organisation (an editor or admin)."""
    return organisation.memberships.filter(
        role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).exists()


def answerable_organisations():
    return Organisation.objects.filter(
        memberships__role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).distinct()


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
