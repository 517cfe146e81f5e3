"""The register's pages: the list of projects (with its JSON and CSV twins), a project's page
(and its JSON), and the officers' forms to add, edit, publish and link a project. Thin: parse,
call ``listing`` or ``services``, render what ``records`` says; who may do what is
``access``'s."""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commonground.activity import sections
from commonground.lens.tables import write_csv
from commonground.places.cache import NotLoaded

from . import access, listing, periods, records, services
from .forms import (
    FundingFormSet,
    LinkForm,
    PartnerFormSet,
    ProjectForm,
    funding_initial,
    partner_initial,
)
from .models import Project

PER_PAGE = 50
FACETS_SHOWN = 15  # the most common values of each facet; the JSON has them all


def _search(request) -> tuple[listing.Filters, listing.Listing | None, dict, int]:
    """The listing for the request's filters, or the error naming the bad one (400; 503
    while the city's areas are not loaded, which a place needs)."""
    filters = listing.Filters.from_query(request.GET)
    try:
        return filters, listing.search(request.user, filters), {}, 200
    except listing.FilterError as exc:
        return filters, None, {exc.field: str(exc)}, 400
    except NotLoaded as exc:
        return filters, None, {"place": f"Place: {exc}"}, 503


def project_list(request):
    filters, found, errors, status = _search(request)
    base = [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs]
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    total = found.total if found else 0
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    shown = found.projects[(page - 1) * PER_PAGE:page * PER_PAGE] if found else []
    nav = {}
    if page > 1:
        nav["previous"] = "?" + urlencode(base + [("page", page - 1)])
    if page < pages:
        nav["next"] = "?" + urlencode(base + [("page", page + 1)])
    query = urlencode([(k, v) for k, v in base if k != "sort"] + [("sort", filters.sort)])
    return render(request, "projects/list.html", {
        "filters": filters, "found": found, "errors": errors,
        "items": [records.summary(p) for p in shown],
        "facets": _facet_links(found, filters, base) if found else [],
        "sorts": listing.SORTS.items(),
        "page": page, "pages": pages, "nav": nav, "query": query,
        "hidden": [(k, v) for k, v in base if k in listing.FACETS],
        "period_rule": periods.RULE_WORDS,
        "undated_left_out_words": periods.left_out_words(found.undated_left_out if found
                                                         else 0),
        "can_create": access.can_create(request.user)}, status=status)


def _facet_links(found: listing.Listing, filters: listing.Filters, base) -> list[dict]:
    """Each facet's values with the address that adds (or, when chosen, removes) it."""
    out = []
    for name in listing.FACETS:
        chosen = filters.facet_values(name)
        items = []
        for item in found.facets.get(name, [])[:FACETS_SHOWN]:
            active = item["name"] in chosen
            params = ([(k, v) for k, v in base if not (k == name and v == item["name"])]
                      if active else base + [(name, item["name"])])
            items.append({**item, "active": active, "url": "?" + urlencode(params)})
        if items:
            out.append({"name": name, "title": listing.FACET_TITLES[name], "items": items})
    return out


def projects_json(request):
    filters, found, errors, status = _search(request)
    if found is None:
        field, message = next(iter(errors.items()))
        return JsonResponse({"detail": message, "field": field}, status=status)
    return JsonResponse({"total": found.total, "place": found.place,
                         "undated_left_out": found.undated_left_out,
                         "projects": [records.summary(p) for p in found.projects],
                         "facets": found.facets})


def projects_csv(request):
    filters, found, errors, status = _search(request)
    if found is None:
        return HttpResponse(next(iter(errors.values())), status=status,
                            content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    write_csv(out, records.CSV_COLUMNS,
              [records.csv_row(records.summary(p)) for p in found.projects])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="projects.csv"'
    return response


def visible_project(request, slug: str) -> Project:
    project = get_object_or_404(Project.objects.select_related("owner"), slug=slug)
    if not access.can_view(request.user, project):
        raise Http404("No such project")  # a draft is not acknowledged
    return project


def project_detail(request, slug: str, link_form: LinkForm | None = None, status: int = 200):
    project = visible_project(request, slug)
    can_edit = access.can_edit(request.user, project)
    return render(request, "projects/project.html", {
        "project": project, "p": records.record(project), "can_edit": can_edit,
        "link_form": link_form or LinkForm(),
        "linkable": access.linkable_datasets(request.user).order_by("title")
        if can_edit else [],
        "sections": sections.for_page("project", request, project=project)}, status=status)


def project_json(request, slug: str):
    return JsonResponse(records.record(visible_project(request, slug)))


@login_required
def project_new(request):
    if not access.can_create(request.user):
        raise PermissionDenied("You need to be an editor of an organisation to add its "
                               "projects.")
    return _project_form(request, None)


@login_required
def project_edit(request, slug: str):
    project = visible_project(request, slug)
    if not access.can_edit(request.user, project):
        raise PermissionDenied("Only editors of the organisation keeping this project can "
                               "change it.")
    return _project_form(request, project)


def _project_form(request, project: Project | None):
    data = request.POST if request.method == "POST" else None
    form = ProjectForm(data, user=request.user, project=project,
                       initial=ProjectForm.initial_for(project) if project else None)
    partners = PartnerFormSet(data, prefix="partners", form_kwargs={"user": request.user},
                              initial=partner_initial(project) if project else None)
    funding = FundingFormSet(data, prefix="funding", form_kwargs={"user": request.user},
                             initial=funding_initial(project) if project else None)
    status = 200
    if data is not None:
        if form.is_valid() & partners.is_valid() & funding.is_valid():  # every error at once
            try:
                saved = _save(request, project, form, partners, funding)
            except services.ProjectError as exc:
                _add_error(exc, form, partners, funding)
                if project is not None:
                    project.refresh_from_db()  # as saved: nothing changed
            else:
                messages.success(request, "Saved." if project else
                                 "Project added as a draft: only your organisation's members "
                                 "see it until you publish it.")
                return redirect(saved)
        status = 400
    return render(request, "projects/edit.html", {
        "form": form, "partners": partners, "funding": funding, "project": project},
        status=status)


def _save(request, project, form, partners, funding) -> Project:
    details = {name: form.cleaned_data[name] for name in services.DETAILS}
    partner_rows = [services.PartnerRow(role=f.cleaned_data["role"],
                                        organisation=f.cleaned_data.get("organisation"),
                                        new_name=f.cleaned_data.get("new_name", ""),
                                        new_kind=f.cleaned_data.get("new_kind", ""), index=i)
                    for i, f in enumerate(partners.forms) if f.cleaned_data.get("role")]
    funding_rows = [services.FundingRow(funder=f.cleaned_data.get("funder"),
                                        funder_name=f.cleaned_data.get("funder_name", ""),
                                        programme=f.cleaned_data.get("programme", ""),
                                        amount_gbp=f.cleaned_data.get("amount_gbp"),
                                        source=f.cleaned_data.get("source", ""), index=i)
                    for i, f in enumerate(funding.forms)
                    if f.cleaned_data.get("funder") or f.cleaned_data.get("funder_name")]
    collected = form.cleaned_data["data_collected"]
    if project is None:
        return services.create_project(request.user, owner=form.cleaned_data["owner"],
                                       slug=form.cleaned_data["slug"], details=details,
                                       partners=partner_rows, funding=funding_rows,
                                       collected=collected)
    return services.edit_project(request.user, project, details=details, partners=partner_rows,
                                 funding=funding_rows, collected=collected)


def _add_error(exc: services.ProjectError, form, partners, funding) -> None:
    """Put a use case's error beside its field (``partners-2-role`` is row 2's role)."""
    for formset in (partners, funding):
        prefix = f"{formset.prefix}-"
        if exc.field.startswith(prefix):
            index, _, name = exc.field[len(prefix):].partition("-")
            formset.forms[int(index)].add_error(name, str(exc))
            return
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@require_POST
@login_required
def project_publish(request, slug: str):
    project = visible_project(request, slug)
    publish = request.POST.get("state") == Project.State.PUBLISHED
    services.set_published(request.user, project, publish)
    messages.success(request, "Published: anyone can now find it and follow it." if publish
                     else "Back to a draft: only your organisation's members see it.")
    return redirect(project)


@require_POST
@login_required
def project_link(request, slug: str):
    project = visible_project(request, slug)
    if not access.can_edit(request.user, project):
        raise PermissionDenied("Only editors of the organisation keeping this project can "
                               "link to it.")
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            thing = services.link(request.user, project, form.cleaned_data["kind"],
                                  form.cleaned_data["key"], remove=form.cleaned_data["remove"])
        except services.ProjectError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Unlinked “{thing}”." if form.cleaned_data["remove"]
                             else f"Linked “{thing}”.")
            return redirect(reverse("projects:project", args=[project.slug]) + "#links-h")
    return project_detail(request, slug, link_form=form, status=400)
