"""Data requests and groups as JSON (django-ninja, mounted at ``/api/community``).

The same rules as the pages (``access``, ``accounts.permissions``) through the same use cases
(``services``): anyone reads requests, their answers and the groups; a signed-in person asks
(on behalf of a group only as its member) and supports (once, not their own); only editors
and admins of the organisation asked answer; a group's member list is for its members.
Joining, leaving and deciding who joins go through ``groups`` (as the group pages): a
signed-in person joins an open group at once or asks to join another, and leaves (never as
its last admin); only a group's admins see and accept or decline the requests waiting.
Who calls, CSRF for changes by the session, and the 422 shape: ``commonground.apiauth``.
Asking is rate-limited as the form is (``accounts.ratelimit``, "ask for data": 429).
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Path, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError

from commonground.accounts import permissions
from commonground.accounts.models import Organisation
from commonground.activity import formparts
from commonground.activity.inputs import parse_id
from commonground.apiauth import (
    SIGNED_IN,
    SLUG,
    Body,
    Page,
    PageParams,
    invalid,
    page,
    refusals,
    viewer,
)
from commonground.apierrors import errors
from commonground.catalogue.models import Dataset
from commonground.public_names import public_name

from . import access, groups, services
from .models import DataRequest, JoinRequest

router = Router(tags=["community"])

STATUSES = list(DataRequest.Status.values)


class OrganisationRef(Schema):
    slug: str
    name: str


class AnswerOut(Schema):
    status: str = Field(json_schema_extra={"enum": STATUSES})
    text: str
    by: str = Field(description="The user name of who answered (never an email address)")
    created: datetime


class RequestOut(Schema):
    id: int
    title: str
    description: str
    status: str = Field(json_schema_extra={"enum": STATUSES})
    organisation: OrganisationRef = Field(description="The organisation asked")
    group: OrganisationRef | None = Field(description="The group it is asked on behalf of")
    requester: str = Field(description="A user name, or “a former member”")
    places: list[str] = Field(description="Area codes (GSS) of the places it is about")
    dataset: str | None = Field(description="The dataset published in answer (its name)")
    supporters: int
    created: datetime
    first_answered: datetime | None
    url: str


class RequestDetail(RequestOut):
    answers: list[AnswerOut]
    can_support: bool = Field(description="Whether the caller may support it")
    supported: bool = Field(description="Whether the caller supports it")
    can_answer: bool = Field(description="Whether the caller may answer for the organisation")


class RequestPage(Page):
    requests: list[RequestOut]


class RequestParams(PageParams):
    status: str = Field("", json_schema_extra={"enum": ["", *STATUSES]})
    organisation: str = Field("", description="The organisation asked (its slug)")
    place: str = Field("", description="A place of the city by name or code (GSS)")


class AskIn(Body):
    title: str = Field(..., max_length=200, description="What data, in a few words")
    description: str = Field(..., max_length=10000, description="What the data should show")
    organisation: str = Field(..., max_length=200,
                              description="Who is asked: an organisation's slug or id")
    places: str = Field("", max_length=2000,
                        description="Places it is about: names or codes, comma-separated")
    group: str = Field("", max_length=200,
                       description="A group of yours to ask on behalf of (slug or id)")
    about: dict[str, str] = Field(default_factory=dict, description=(
        "Optional, each answer skippable: who you are, as the request form asks it (its "
        "fields, e.g. about_age_band, about_sex, about_ethnic_group, about_disability, "
        "about_tenure, about_place; an answer's value as the form's, or \"no-say\"). Kept "
        "apart from your account; only suppressed totals are ever shown."))


class SupportOut(Schema):
    supported: bool = True
    new: bool = Field(description="False when the caller already supported it")
    supporters: int


class AnswerIn(Body):
    status: str = Field(..., json_schema_extra={"enum": STATUSES[1:]})
    text: str = Field(..., max_length=10000, description="What you will do, or why not")
    dataset: str = Field("", max_length=200, description=(
        "The published dataset's name (needed when the status is published)"))


def _ref(organisation) -> dict | None:
    return {"slug": organisation.slug, "name": organisation.name} if organisation else None


def request_record(request, item: DataRequest, supporters: int | None = None) -> dict:
    return {"id": item.pk, "title": item.title, "description": item.description,
            "status": item.status, "organisation": _ref(item.organisation),
            "group": _ref(item.group), "requester": public_name(item.requester),
            "places": list(item.area_codes), "dataset": item.dataset.name
            if item.dataset_id else None,
            "supporters": supporters if supporters is not None else item.supports.count(),
            "created": item.created, "first_answered": item.first_answered,
            "url": request.build_absolute_uri(item.get_absolute_url())}


def _organisation(value: str):
    """The organisation with this id or slug, or None."""
    value = (value or "").strip()
    pk = parse_id(value)
    if pk is not None:
        return Organisation.objects.filter(pk=pk).first()
    return Organisation.objects.filter(slug=value).first() if value else None


def _request(pk: int) -> DataRequest:
    return get_object_or_404(DataRequest.objects.select_related(
        "organisation", "requester", "dataset", "group"), pk=pk)


@router.get("/requests", response=RequestPage, openapi_extra=errors(400, 401, 422),
            summary="Data requests, newest first, filtered")
def request_list(request, params: Query[RequestParams]):
    """Every request (they are public), with its support count. ``place``: a name or code;
    400 when the city has no such place."""
    viewer(request)
    code = ""
    if params.place.strip():
        try:
            code = services.check_places(params.place.split(",")[0])[0]
        except services.RequestError as exc:
            raise HttpError(400, f"{exc} (parameter: place)") from None
    found = services.listing(status=params.status, organisation=params.organisation.strip(),
                             place=code)
    counts, rows = page(found, params)
    return {**counts, "requests": [request_record(request, r, r.support_count) for r in rows]}


@router.post("/requests", response={201: RequestDetail}, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 422, 429),
             summary="Ask an organisation for data (signed in)")
def request_create(request, body: AskIn):
    """As the page's form: any organisation in the hub's directory may be asked; followers
    of the organisation, the group and the places hear of it, and an organisation no one
    answers for here is emailed at its contact address. 422 names the field (a group you are
    not in, an unknown place); 429 past the hourly limit."""
    user = request.auth
    organisation = _organisation(body.organisation)
    if organisation is None:
        raise invalid("organisation", "Organisation: no organisation has this slug or id")
    group = None
    if body.group.strip():
        group = _organisation(body.group)
        if group is None:
            raise invalid("group", "Group: no group has this slug or id")
    with refusals():  # the optional questions other apps add (who takes part): checked first
        about = formparts.read("request", body.about)
        made = services.ask(user, title=body.title, description=body.description,
                            organisation=organisation, places=body.places, group=group)
    about.save(person=("user", user.pk), thing=("request", str(made.pk)))
    return Status(201, _detail(request, _request(made.pk), user))


def _detail(request, item: DataRequest, user) -> dict:
    supported = bool(getattr(user, "is_authenticated", False)
                     and item.supports.filter(user=user).exists())
    return {**request_record(request, item),
            "answers": [{"status": a.status, "text": a.text, "by": public_name(a.by),
                         "created": a.created} for a in item.answers.select_related("by")],
            "can_support": access.can_support(user, item), "supported": supported,
            "can_answer": access.can_answer(user, item)}


@router.get("/requests/{pk}", response=RequestDetail, openapi_extra=errors(401, 404, 422),
            summary="One data request with its answers on the record")
def request_detail(request, pk: int):
    return _detail(request, _request(pk), viewer(request))


@router.post("/requests/{pk}/support", response=SupportOut, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422),
             summary="Support a data request (signed in; not your own)")
def request_support(request, pk: int):
    item = _request(pk)
    with refusals():
        new = services.support(request.auth, item)
    return {"supported": True, "new": new, "supporters": item.supports.count()}


@router.post("/requests/{pk}/answers", response={201: RequestDetail}, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422),
             summary="Answer a data request on the record (the organisation asked)")
def request_answer(request, pk: int, body: AnswerIn):
    """Editors and admins of the organisation asked (403 for anyone else). ``published``
    needs ``dataset``: a public dataset of that organisation. The requester and supporters
    are notified."""
    item = _request(pk)
    if not access.can_answer(request.auth, item):
        raise HttpError(403, "Only the organisation asked can answer this request.")
    dataset = None
    if body.dataset.strip():
        dataset = Dataset.objects.filter(name=body.dataset.strip()).first()
        if dataset is None:
            raise invalid("dataset", "Dataset: no dataset has this name")
    with refusals():
        services.answer(request.auth, item, status=body.status, text=body.text,
                        dataset=dataset)
    return Status(201, _detail(request, _request(pk), request.auth))


# ---------------------------------------------------------------------------- groups

class GroupOut(Schema):
    slug: str
    name: str
    kind: str = Field(json_schema_extra={"enum": list(Organisation.Kind.values)})
    description: str
    website: str
    open_to_join: bool
    members: int = Field(description="How many members it has")
    role: str | None = Field(description="The caller's role in it (member, editor, admin)")
    url: str


class GroupPage(Page):
    groups: list[GroupOut]


class GroupParams(PageParams):
    kind: str = Field("", json_schema_extra={"enum": ["", *Organisation.Kind.values]})
    mine: bool = Field(False, description="Only the caller's groups")


class MemberOut(Schema):
    name: str = Field(description="The member's user name (never an email address)")
    role: str = Field(json_schema_extra={"enum": ["member", "editor", "admin"]})
    joined: datetime


class MemberPage(Page):
    members: list[MemberOut]


def _group(request, organisation: Organisation, user, roles: dict) -> dict:
    return {"slug": organisation.slug, "name": organisation.name, "kind": organisation.kind,
            "description": organisation.description, "website": organisation.website,
            "open_to_join": organisation.open_to_join,
            "members": organisation.memberships.count(), "role": roles.get(organisation.pk),
            "url": request.build_absolute_uri(reverse("community:group", args=[organisation.slug]))}


def _roles(user) -> dict:
    if not getattr(user, "is_authenticated", False):
        return {}
    return dict(user.memberships.values_list("organisation_id", "role"))


@router.get("/groups", response=GroupPage, openapi_extra=errors(401, 422),
            summary="Groups, the council and others who share data here")
def group_list(request, params: Query[GroupParams]):
    """Every organisation (their pages are public), by kind and name; ``mine``: only the
    caller's."""
    user = viewer(request)
    roles = _roles(user)
    groups = Organisation.objects.order_by("kind", "name")
    if params.kind:
        groups = groups.filter(kind=params.kind)
    if params.mine:
        groups = groups.filter(pk__in=list(roles))
    counts, rows = page(groups, params)
    return {**counts, "groups": [_group(request, g, user, roles) for g in rows]}


@router.get("/groups/{slug}", response=GroupOut, openapi_extra=errors(401, 404, 422),
            summary="One group")
def group_detail(request, slug: str = Path(..., pattern=SLUG)):
    user = viewer(request)
    return _group(request, get_object_or_404(Organisation, slug=slug), user, _roles(user))


@router.get("/groups/{slug}/members", response=MemberPage, auth=SIGNED_IN,
            openapi_extra=errors(401, 403, 404, 422),
            summary="A group's members (for its members)")
def group_members(request, params: Query[PageParams], slug: str = Path(..., pattern=SLUG)):
    """As on the group's page: only its members (any role) and site staff see who belongs
    (403 for anyone else)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_see_drafts(request.auth, organisation):
        raise HttpError(403, f"Only {organisation.name}'s members see its members.")
    counts, rows = page(organisation.memberships.select_related("user")
                        .order_by("user__username"), params)
    return {**counts, "members": [{"name": public_name(m.user), "role": m.role,
                                   "joined": m.joined} for m in rows]}


# --------------------------------------------------------------- joining and leaving

class JoinIn(Body):
    message: str = Field("", max_length=1000,
                         description="A few words for the admins (a group one asks to join)")


class JoinRequestOut(Schema):
    id: int
    name: str = Field(description="Who asks: a user name (never an email address)")
    message: str
    status: str = Field(json_schema_extra={"enum": list(JoinRequest.Status.values)})
    created: datetime
    decided: datetime | None


class JoinOut(Schema):
    member: bool = Field(description="Whether the caller is now a member (an open group)")
    role: str | None = Field(description="The caller's role in the group")
    request: JoinRequestOut | None = Field(
        description="The caller's request waiting for the admins (a group one asks to join)")


class JoinRequestPage(Page):
    requests: list[JoinRequestOut]


def _join_request(item: JoinRequest) -> dict:
    return {"id": item.pk, "name": public_name(item.user), "message": item.message,
            "status": item.status, "created": item.created, "decided": item.decided}


@contextmanager
def _rules(where: list):
    """A group's rule refused (already a member, the last admin, decided already): 422 whose
    ``loc`` is the path parameter it is about; 403 and 429 as everywhere (``refusals``)."""
    try:
        with refusals():
            yield
    except ValidationError as exc:
        raise ValidationError([{**e, "loc": where} for e in exc.errors]) from None


@router.post("/groups/{slug}/join", response=JoinOut, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422, 429),
             summary="Join an open group, or ask to join one (signed in)")
def group_join(request, body: JoinIn | None = None, slug: str = Path(..., pattern=SLUG)):
    """As the group page's button: a group open to join takes the caller at once
    (``member``); any other gets a request its admins are told of (``request``; asking again
    returns the one waiting). 422 (``loc`` the slug) when the caller is a member already or
    the group has no admin to accept; 429 past the limit the page has too."""
    organisation = get_object_or_404(Organisation, slug=slug)
    with _rules(["path", "slug"]):
        waiting = groups.ask_to_join(request.auth, organisation, body.message if body else "")
    role = permissions.role_in(request.auth, organisation)
    return {"member": role is not None, "role": role,
            "request": _join_request(waiting) if waiting else None}


@router.post("/groups/{slug}/leave", response=GroupOut, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 404, 422),
             summary="Leave a group (signed in; not its last admin)")
def group_leave(request, slug: str = Path(..., pattern=SLUG)):
    """The group as the caller now sees it. 422 (``loc`` the slug) when the caller is not a
    member, or is its last admin (make someone else admin first)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    membership = organisation.memberships.filter(user=request.auth).first()
    if membership is None:
        raise ValidationError([{"loc": ["path", "slug"], "type": "value_error",
                                "msg": f"You are not a member of {organisation.name}."}])
    with _rules(["path", "slug"]):
        groups.remove(request.auth, membership)
    return _group(request, organisation, request.auth, _roles(request.auth))


def _admin_of(request, slug: str) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=slug)
    if not permissions.can_manage_members(request.auth, organisation):
        raise HttpError(403, f"Only {organisation.name}'s admins see and decide who joins.")
    return organisation


@router.get("/groups/{slug}/join-requests", response=JoinRequestPage, auth=SIGNED_IN,
            openapi_extra=errors(401, 403, 404, 422),
            summary="Requests to join a group waiting for its admins (admins)")
def join_request_list(request, params: Query[PageParams], slug: str = Path(..., pattern=SLUG)):
    """Oldest first, as on the group's members page; 403 for anyone but its admins."""
    organisation = _admin_of(request, slug)
    counts, rows = page(organisation.join_requests.filter(status=JoinRequest.Status.PENDING)
                        .select_related("user").order_by("created", "pk"), params)
    return {**counts, "requests": [_join_request(r) for r in rows]}


def _decide(request, slug: str, pk: int, *, accept: bool) -> dict:
    organisation = _admin_of(request, slug)
    item = get_object_or_404(organisation.join_requests.select_related("user", "organisation"),
                             pk=pk)
    with _rules(["path", "pk"]):
        groups.decide(request.auth, item, accept=accept)
    return _join_request(item)


@router.post("/groups/{slug}/join-requests/{pk}/accept", response=JoinRequestOut,
             auth=SIGNED_IN, openapi_extra=errors(401, 403, 404, 422),
             summary="Accept a request to join (admins): the person becomes a member")
def join_request_accept(request, pk: int, slug: str = Path(..., pattern=SLUG)):
    """The person is told. 422 (``loc`` the pk) when it has been decided already."""
    return _decide(request, slug, pk, accept=True)


@router.post("/groups/{slug}/join-requests/{pk}/decline", response=JoinRequestOut,
             auth=SIGNED_IN, openapi_extra=errors(401, 403, 404, 422),
             summary="Decline a request to join (admins)")
def join_request_decline(request, pk: int, slug: str = Path(..., pattern=SLUG)):
    """The person is told. 422 (``loc`` the pk) when it has been decided already."""
    return _decide(request, slug, pk, accept=False)
