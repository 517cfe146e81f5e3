"""Evidence pack pages (thin: parse, check ``access``, call ``services``, render).

A draft is a 404 to anyone outside its group; a member who may read but not change a pack
gets a 403 on the edit page. Bad input re-renders the form with a 400 naming the field.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render

from commonground.accounts.models import Organisation
from commonground.activity.inputs import parse_id

from . import access, dataset_items, document, profile_items, services
from .models import EvidencePack


def _readable(request, pk: int) -> EvidencePack:
    pack = get_object_or_404(EvidencePack.objects.select_related("organisation"), pk=pk)
    if not access.can_read(request.user, pack):
        raise Http404("No such evidence pack")
    return pack


def pack_list(request):
    place, group = request.GET.get("place", "").strip(), request.GET.get("group", "").strip()
    errors, code = {}, ""
    if place:
        try:
            code = services.find_place(place).code
        except services.PackError as exc:
            errors[exc.field] = str(exc)
    packs = [] if errors else services.published_packs(place=code, group=group)
    return render(request, "evidence/pack_list.html", {
        "packs": packs, "place": place, "group": group, "errors": errors,
        "groups": Organisation.objects.filter(
            evidence_packs__state=EvidencePack.State.PUBLISHED,
            evidence_packs__withdrawn__isnull=True).distinct().order_by("name")},
        status=400 if errors else 200)


def pack_new(request, slug: str):
    organisation = get_object_or_404(Organisation, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.can_create_in(request.user, organisation):
        raise PermissionDenied(f"Only editors of {organisation.name} build its evidence packs.")
    values = {"title": "", "question": "", "place": request.GET.get("place", ""), "intro": ""}
    errors, status = {}, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in values}
        try:
            pack = services.create_pack(request.user, organisation, **values)
            return redirect("evidence:edit", pk=pack.pk)
        except services.PackError as exc:
            errors, status = {exc.field: str(exc)}, 400
    return render(request, "evidence/pack_form.html", {
        "organisation": organisation, "values": values, "errors": errors}, status=status)


def pack_detail(request, pk: int):
    pack = _readable(request, pk)
    return render(request, "evidence/pack_detail.html", {
        "pack": pack, "p": document.pack_dict(pack),
        "can_edit": access.can_edit(request.user, pack)})


def pack_json(request, pk: int):
    return JsonResponse(document.pack_dict(_readable(request, pk)),
                        json_dumps_params={"ensure_ascii": False})


def pack_pdf(request, pk: int):
    pack = _readable(request, pk)
    body = document.pdf_bytes(pack, base_url=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pack.slug}.pdf"'
    return response


ACTIONS = {"details", "add", "remove", "up", "down", "refresh", "publish", "withdraw"}


def pack_edit(request, pk: int):
    pack = _readable(request, pk)
    if not access.can_edit(request.user, pack):
        raise PermissionDenied(f"Only editors of {pack.organisation.name} change its packs.")
    if pack.is_withdrawn:  # on the record as it was: nothing to edit
        return redirect("evidence:pack", pk=pack.pk)
    errors, status = {}, 200
    if request.method == "POST":
        try:
            _act(request, pack)
            return redirect("evidence:edit", pk=pack.pk)
        except services.PackError as exc:
            errors, status = {exc.field: str(exc)}, 400
    from commonground.heat.campaign import FACTORS  # the ranking's weights, for its form

    return render(request, "evidence/pack_edit.html", {
        "pack": pack, "p": document.pack_dict(pack), "errors": errors,
        "profiles": profile_items.choices(pack.geography, pack.code),
        "datasets": dataset_items.choices(), "campaign_factors": FACTORS}, status=status)


#: Fields of an "add" form that are not a ranking's settings.
FORM_FIELDS = {"csrfmiddlewaretoken", "action", "kind", "source", "dataset", "text"}


def campaign_to_pack(request):
    """Put a warm-homes ranking (its weights in the query) into one of the packs this person
    may change: each pack a button that adds it there."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    chosen = [(k, v) for k, v in request.GET.items() if k not in FORM_FIELDS]
    packs = [p for p in access.visible_packs(request.user).filter(withdrawn__isnull=True)
             if access.can_edit(request.user, p)]
    return render(request, "evidence/campaign_to_pack.html", {
        "packs": packs, "settings": chosen, "query": urlencode(chosen)})


def _act(request, pack: EvidencePack) -> None:
    post, user = request.POST, request.user
    action = post.get("action", "")
    if action not in ACTIONS:
        raise services.PackError("action", "Choose what to do")
    if action == "details":
        services.update_pack(user, pack, title=post.get("title", ""),
                             question=post.get("question", ""), intro=post.get("intro", ""))
    elif action == "add":
        dataset = None
        if post.get("dataset"):
            dataset = services.dataset_by_id(post["dataset"])
            if dataset is None:
                raise services.PackError("dataset", "Dataset: choose one from the list")
        source = post.get("source", "")
        if post.get("kind") == "campaign" and not source:  # the ranking's weights, as fields
            source = urlencode([(k, v) for k, v in post.items() if k not in FORM_FIELDS])
        services.add_item(user, pack, post.get("kind", ""), source=source,
                          dataset=dataset, text=post.get("text", ""))
    elif action == "publish":
        services.publish(user, pack)
    elif action == "withdraw":
        services.withdraw(user, pack, reason=post.get("reason", ""))
    else:
        item = pack.items.filter(pk=parse_id(post.get("item"))).first()
        if item is None:
            raise services.PackError("item", "Item: that item is not in this pack")
        {"remove": lambda: services.remove_item(user, item),
         "up": lambda: services.move_item(user, item, -1),
         "down": lambda: services.move_item(user, item, +1),
         "refresh": lambda: services.refresh_item(user, item)}[action]()
