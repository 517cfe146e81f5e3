"""Data request pages (thin: parse, call ``services``, render). Reading needs no account."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commonground.accounts import ratelimit
from commonground.accounts.models import Organisation
from commonground.activity import formparts, sections
from commonground.activity.inputs import FieldError, parse_id
from commonground.catalogue.models import Dataset
from commonground.places.cache import city_state

from . import access, services
from .models import DataRequest


def request_list(request):
    g = request.GET
    status, organisation, place = g.get("status", ""), g.get("organisation", ""), g.get("place", "")
    if status not in DataRequest.Status.values:
        status = ""
    place_error, code = "", ""
    if place.strip():
        try:  # a place by name or code
            code = services.check_places(place.split(",")[0])[0]
        except services.RequestError as exc:
            place_error = str(exc)
    rows = [] if place_error else list(
        services.listing(status=status, organisation=organisation, place=code))
    answered = [r.response.total_seconds() / 86400 for r in rows if r.response is not None]
    return render(request, "community/request_list.html", {
        "rows": rows, "statuses": DataRequest.Status.choices, "status": status,
        "organisation": organisation, "place": place, "place_error": place_error,
        "organisations": Organisation.objects.filter(data_requests__isnull=False).distinct(),
        "median_days": sorted(answered)[len(answered) // 2] if answered else None,
        "can_ask": access.can_ask(request.user),
        "page_sections": sections.for_page("requests", request)})  # who asks, for instance


def request_new(request):
    if not access.can_ask(request.user):
        return redirect_to_login(request.get_full_path())
    # A link may fill in what data, who is asked (id or slug) and the group: a project page
    # asks its organisation for "Data from <project>". The asker can change any of it.
    values = {"title": request.GET.get("title", "")[:200], "description": "",
              "organisation": request.GET.get("organisation", ""), "places": "",
              "group": request.GET.get("group", "")}
    errors, status = {}, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        organisation = _organisation(values["organisation"])
        try:
            if organisation is None:
                raise services.RequestError("organisation", "Organisation: choose who you are "
                                                            "asking")
            group = _organisation(values["group"]) if values["group"] else None
            if values["group"] and group is None:
                raise services.RequestError("group", "Group: choose one of your groups")
            try:  # the optional questions other apps add (who takes part): checked first
                about = formparts.read("request", request.POST)
            except FieldError as exc:
                raise services.RequestError(f"request-{exc.field}", str(exc)) from None
            made = services.ask(request.user, title=values["title"],
                                description=values["description"], organisation=organisation,
                                places=values["places"], group=group)
            about.save(person=("user", request.user.pk), thing=("request", str(made.pk)))
            return redirect(made)
        except services.RequestError as exc:
            errors, status = {exc.field: str(exc)}, 400
        except ratelimit.RateLimited as exc:
            errors, status = {"title": str(exc)}, 429
    return render(request, "community/request_form.html", {
        "values": values, "errors": errors,
        "organisations": services.addressees(),
        "groups": request.user.organisations.order_by("name")}, status=status)


def _organisation(value: str):
    """The organisation with this id or slug, or None."""
    value = (value or "").strip()
    pk = parse_id(value)
    if pk is not None:
        return Organisation.objects.filter(pk=pk).first()
    return Organisation.objects.filter(slug=value).first() if value else None


def request_detail(request, pk: int, errors: dict | None = None, status: int = 200):
    item = get_object_or_404(DataRequest.objects.select_related("organisation", "requester",
                                                                "dataset"), pk=pk)
    state = city_state()
    places = [record for (geography, code), record in state.areas.items()
              if code in item.area_codes and geography in state.profiled]
    can_answer = access.can_answer(request.user, item)
    return render(request, "community/request_detail.html", {
        "r": item, "places": places, "answers": item.answers.select_related("by"),
        "supporters": item.supports.count(),
        "supported": request.user.is_authenticated
        and item.supports.filter(user=request.user).exists(),
        "can_support": access.can_support(request.user, item), "can_answer": can_answer,
        "answered_here": services.answerable(item.organisation),
        "statuses": [s for s in DataRequest.Status.choices if s[0] != "open"],
        "datasets": Dataset.objects.filter(organisation=item.organisation,
                                           state=Dataset.State.PUBLISHED, private=False)
        if can_answer else [], "errors": errors or {}}, status=status)


@require_POST
def request_support(request, pk: int):
    item = get_object_or_404(DataRequest, pk=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(item.get_absolute_url())
    services.support(request.user, item)
    return redirect(item)


@require_POST
def request_answer(request, pk: int):
    item = get_object_or_404(DataRequest.objects.select_related("organisation"), pk=pk)
    if not access.can_answer(request.user, item):
        raise PermissionDenied("Only the organisation asked can answer this request.")
    dataset = None
    if request.POST.get("dataset"):
        try:
            dataset = Dataset.objects.filter(pk=request.POST["dataset"]).first()
        except (ValueError, ValidationError):  # not a dataset id at all
            dataset = None
    try:
        services.answer(request.user, item, status=request.POST.get("status", ""),
                        text=request.POST.get("text", ""), dataset=dataset)
    except services.RequestError as exc:
        return request_detail(request, pk, errors={exc.field: str(exc)}, status=400)
    return redirect(item)
