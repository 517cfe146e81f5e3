"""Access request pages (thin: parse, call ``services.access_requests``, render).

A request's page is seen by the person who asked and the editors of the dataset's
organisation, and is a 404 to everyone else (another organisation's members, people signed
out), as a private dataset's pages are.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from commonground.accounts import ratelimit
from commonground.accounts.models import Organisation
from commonground.activity.inputs import parse_id

from . import access, grantscope
from .models import AccessRequest, Grant
from .services import access_requests as service
from .views import visible_dataset

SCOPE_FIELDS = ("places", "period_from", "period_to", "detail", "months")


def _scope_values(scope_json: dict | None) -> dict:
    """A stored scope as the form's values."""
    scope = grantscope.from_json(scope_json or {})
    return {"columns": list(scope.columns) if scope.columns is not None else None,
            "places": ", ".join(scope.places or ()),
            "period_from": scope.period_from.isoformat() if scope.period_from else "",
            "period_to": scope.period_to.isoformat() if scope.period_to else "",
            "detail": scope.detail, "months": str(scope.months)}


def _posted_scope(request, dataset) -> grantscope.Scope:
    return service.read_scope(dataset, columns=request.POST.getlist("columns"),
                              **{f: request.POST.get(f, "") for f in SCOPE_FIELDS})


def _form_context(dataset, values: dict, errors: dict) -> dict:
    columns = service.live_columns(dataset)
    chosen = values.get("columns")
    return {"dataset": dataset, "values": values, "errors": errors,
            "columns": [{"name": c, "checked": chosen is None or c in chosen,
                         "withheld": c in dataset.withheld_columns} for c in columns],
            "details": service.detail_choices(),
            "safes": [{"field": f, "label": label, "question": q, "value": values.get(f, "")}
                      for f, label, q in service.FIVE_SAFES]}


def access_ask(request, name: str):
    dataset = visible_dataset(request, name)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not service.askable(dataset):
        raise Http404("This dataset's rows are open (or private): there is nothing to ask for")
    if service.is_member(request.user, dataset.organisation):
        messages.info(request, f"You are a member of {dataset.organisation.name}: you can "
                               "read this dataset already.")
        return redirect(dataset)
    renews = _own_grant(request, dataset, request.GET.get("renews") or
                        request.POST.get("renews"))
    values = _scope_values(renews.scope if renews else {"months": 12})
    if renews:
        values["months"] = str(max(int(values["months"]) - 1, 1))
    values.update(purpose="", group="", terms="", renews=str(renews.pk) if renews else "")
    errors, status = {}, 200
    if request.method == "POST":
        post = request.POST
        values = {"columns": post.getlist("columns"), "purpose": post.get("purpose", ""),
                  "group": post.get("group", ""), "terms": post.get("terms", ""),
                  "renews": values["renews"],
                  **{f: post.get(f, "") for f in SCOPE_FIELDS},
                  **{f: post.get(f, "") for f, _, _ in service.FIVE_SAFES}}
        try:
            group = None
            if values["group"]:
                group = Organisation.objects.filter(slug=values["group"]).first()
                if group is None:
                    raise service.AccessError("group", "Group: choose one of your groups")
            made = service.ask(request.user, dataset, _posted_scope(request, dataset),
                               purpose=values["purpose"],
                               safes={f: values[f] for f, _, _ in service.FIVE_SAFES},
                               accepted_terms=bool(values["terms"]), group=group,
                               renews=renews)
            messages.success(request, f"Your request was sent to {dataset.organisation.name}.")
            return redirect("catalogue:access_request", dataset.name, made.pk)
        except service.AccessError as exc:
            errors, status = {exc.field: str(exc)}, 400
        except ratelimit.RateLimited as exc:
            errors, status = {"purpose": str(exc)}, 429
    context = _form_context(dataset, values, errors)
    context.update(groups=request.user.organisations.order_by("name"), renews=renews)
    return render(request, "catalogue/access/ask.html", context, status=status)


def _own_grant(request, dataset, value) -> Grant | None:
    if not value:
        return None
    pk = parse_id(value)
    held = Grant.objects.filter(pk=pk, dataset=dataset, user=request.user).first() \
        if pk is not None else None
    if held is None:
        raise Http404("No such grant of yours")
    return held


def access_queue(request, name: str):
    dataset = visible_dataset(request, name)
    if not access.can_edit(request.user, dataset):
        raise Http404("No such page")
    return render(request, "catalogue/access/queue.html", {
        "dataset": dataset, "requests": service.queue(dataset),
        "grants": dataset.grants.select_related("user", "group", "revoked_by"),
        "stats": service.stats(dataset)})


def _visible_request(request, name: str, pk: int) -> AccessRequest:
    dataset = visible_dataset(request, name)
    item = get_object_or_404(AccessRequest.objects.select_related("requester", "group",
                                                                  "answered_by", "renews"),
                             pk=pk, dataset=dataset)
    item.dataset = dataset
    if not service.can_see_request(request.user, item):
        raise Http404("No such request")
    return item


def access_request(request, name: str, pk: int, errors: dict | None = None,
                   offer_values: dict | None = None, status: int = 200):
    item = _visible_request(request, name, pk)
    dataset = item.dataset
    is_editor = access.can_edit(request.user, dataset)
    held = Grant.objects.filter(request=item).select_related("revoked_by").first()
    context = {"dataset": dataset, "r": item, "is_editor": is_editor,
               "is_requester": item.requester_id == request.user.pk,
               "asked": service.describe(item.scope),
               "offered": service.describe(item.offer) if item.offer else "",
               "safes": [{"label": label, "question": q, "answer": getattr(item, f)}
                         for f, label, q in service.FIVE_SAFES],
               "grant": held, "errors": errors or {}}
    if is_editor and item.status == AccessRequest.Status.PENDING:
        offer = _form_context(dataset, offer_values or _scope_values(item.scope), {})
        asked = _scope_values(item.scope)["columns"]
        offer["columns"] = [c for c in offer["columns"] if asked is None or c["name"] in asked]
        context["offer"] = offer
    return render(request, "catalogue/access/request.html", context, status=status)


@require_POST
def access_answer(request, name: str, pk: int):
    """An editor grants, rejects (with a reason) or counter-offers."""
    item = _visible_request(request, name, pk)
    if not access.can_edit(request.user, item.dataset):
        raise PermissionDenied("Only the publisher's editors answer access requests.")
    action = request.POST.get("action", "")
    offer_values = None
    try:
        if action == "grant":
            service.grant(request.user, item)
            messages.success(request, "Granted: the requester has been told.")
        elif action == "reject":
            service.reject(request.user, item, request.POST.get("reason", ""))
            messages.success(request, "Rejected: the requester has been told why.")
        elif action == "counter":
            offer_values = {"columns": request.POST.getlist("columns"),
                            **{f: request.POST.get(f, "") for f in SCOPE_FIELDS}}
            service.counter(request.user, item, _posted_scope(request, item.dataset),
                            request.POST.get("note", ""))
            messages.success(request, "Counter-offer sent: the requester can accept or "
                                      "decline it.")
        else:
            raise service.AccessError("action", "Choose grant, reject or counter-offer")
    except service.AccessError as exc:
        return access_request(request, name, pk, errors={exc.field: str(exc)},
                              offer_values=offer_values, status=400)
    return redirect("catalogue:access_request", name, pk)


@require_POST
def access_reply(request, name: str, pk: int):
    """The requester accepts or declines a counter-offer, or withdraws the request."""
    item = _visible_request(request, name, pk)
    if item.requester_id != request.user.pk:
        raise PermissionDenied("Only the person who asked can do this.")
    actions = {"accept": service.accept, "decline": service.decline,
               "withdraw": service.withdraw}
    action = actions.get(request.POST.get("action", ""))
    try:
        if action is None:
            raise service.AccessError("action", "Choose accept, decline or withdraw")
        action(request.user, item)
    except service.AccessError as exc:
        return access_request(request, name, pk, errors={exc.field: str(exc)}, status=400)
    return redirect("catalogue:access_request", name, pk)


@require_POST
def grant_revoke(request, name: str, grant_id: int):
    dataset = visible_dataset(request, name)
    if not access.can_edit(request.user, dataset):
        raise Http404("No such grant")
    held = get_object_or_404(Grant, pk=grant_id, dataset=dataset)
    try:
        service.revoke(request.user, held, request.POST.get("reason", ""))
        messages.success(request, "Revoked: the grant no longer works, and its holder has "
                                  "been told.")
    except service.AccessError as exc:
        messages.error(request, str(exc))
    return redirect("catalogue:access_queue", name)
