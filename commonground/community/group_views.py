"""Group workspace pages (thin: parse, call ``groups``, render). Reading needs no account;
the member list and drafts are for members; managing members is for admins. Other apps'
sections of a group's page (its datasets, evidence packs, consultations) come from
``activity.sections``."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commonground.accounts import permissions, ratelimit
from commonground.accounts.models import Membership, Organisation
from commonground.activity import events, sections

from . import groups
from .models import DataRequest, JoinRequest


def group_list(request):
    organisations = Organisation.objects.order_by("kind", "name")
    mine = set(request.user.organisations.values_list("pk", flat=True)) \
        if request.user.is_authenticated else set()
    return render(request, "community/group_list.html",
                  {"organisations": organisations, "mine": mine})


def group_new(request):
    """A resident starts a community group (and is its admin)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    values = {"name": "", "description": "", "open_to_join": ""}
    errors, status = {}, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            group = groups.create_group(request.user, name=values["name"],
                                        description=values["description"],
                                        open_to_join=bool(values["open_to_join"]))
            return redirect("community:group", group.slug)
        except groups.GroupError as exc:
            errors, status = {exc.field: str(exc)}, 400
        except ratelimit.RateLimited as exc:
            errors, status = {"name": str(exc)}, 429
    return render(request, "community/group_form.html", {"values": values, "errors": errors},
                  status=status)


def group_detail(request, slug: str, errors: dict | None = None, status: int = 200):
    organisation = get_object_or_404(Organisation, slug=slug)
    role = permissions.role_in(request.user, organisation)
    waiting = request.user.is_authenticated and JoinRequest.objects.filter(
        organisation=organisation, user=request.user,
        status=JoinRequest.Status.PENDING).exists()
    return render(request, "community/group_detail.html", {
        "organisation": organisation, "role": role,
        "is_member": permissions.can_see_drafts(request.user, organisation),
        "is_admin": permissions.can_manage_members(request.user, organisation),
        "my_membership": organisation.memberships.filter(user=request.user).first()
        if request.user.is_authenticated else None,
        "has_admin": organisation.memberships.filter(role=Membership.Role.ADMIN).exists(),
        "waiting": waiting,
        "member_count": organisation.memberships.count(),
        "members": organisation.memberships.select_related("user").order_by("user__username")
        if permissions.can_see_drafts(request.user, organisation) else [],
        "asked_of": DataRequest.objects.filter(organisation=organisation)[:20],
        "asked_by": DataRequest.objects.filter(group=organisation)
        .select_related("organisation")[:20],
        "sections": sections.for_page("group", request, organisation=organisation),
        "activity": events.about("group", organisation.slug)[:30],
        "errors": errors or {}}, status=status)


@require_POST
def join(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("community:group", args=[slug]))
    try:
        groups.ask_to_join(request.user, organisation, request.POST.get("message", ""))
    except groups.GroupError as exc:
        return group_detail(request, slug, errors={exc.field: str(exc)}, status=400)
    except ratelimit.RateLimited as exc:
        return group_detail(request, slug, errors={"join": str(exc)}, status=429)
    return redirect("community:group", slug)


def members(request, slug: str, errors: dict | None = None, status: int = 200):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.can_manage_members(request.user, organisation):
        raise PermissionDenied(f"Only {organisation.name}'s admins manage its members.")
    return render(request, "community/members.html", {
        "organisation": organisation,
        "waiting": organisation.join_requests.filter(status=JoinRequest.Status.PENDING)
        .select_related("user").order_by("created"),
        "members": organisation.memberships.select_related("user").order_by("user__username"),
        "roles": Membership.Role.choices, "errors": errors or {}}, status=status)


@require_POST
def decide(request, slug: str, pk: int):
    join_request = get_object_or_404(JoinRequest.objects.select_related("organisation", "user"),
                                     pk=pk, organisation__slug=slug)
    accept = request.POST.get("accept")
    if accept not in ("0", "1"):
        return HttpResponseBadRequest("accept: 1 to accept, 0 to decline")
    return _act(request, slug, lambda: groups.decide(request.user, join_request,
                                                     accept=accept == "1"))


@require_POST
def join_settings(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    return _act(request, slug, lambda: groups.set_open(
        request.user, organisation, request.POST.get("open_to_join") == "1"))


@require_POST
def set_role(request, slug: str, pk: int):
    membership = get_object_or_404(Membership.objects.select_related("organisation", "user"),
                                   pk=pk, organisation__slug=slug)
    return _act(request, slug, lambda: groups.set_role(request.user, membership,
                                                       request.POST.get("role", "")))


@require_POST
def remove(request, slug: str, pk: int):
    membership = get_object_or_404(Membership.objects.select_related("organisation", "user"),
                                   pk=pk, organisation__slug=slug)
    leaving = membership.user_id == request.user.pk
    response = _act(request, slug, lambda: groups.remove(request.user, membership))
    return redirect("community:group", slug) if leaving and response.status_code == 302 \
        else response


def _act(request, slug: str, action):
    """Run an admin action; 403 when not allowed (``PermissionDenied``), 400 on a rule."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        action()
    except groups.GroupError as exc:
        return members(request, slug, errors={exc.field: str(exc)}, status=400)
    return redirect("community:members", slug)
