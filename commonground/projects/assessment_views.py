"""Impact assessment pages (thin: find the project, check who may see it, call
``assessments``, render ``assessment_document``'s dictionary as a page, JSON or PDF).

* ``/projects/<slug>/assessments/``: the published versions (also as JSON and CSV); the
  draft for members of the owner organisation; "start" for its editors.
* ``/projects/<slug>/assessments/draft/``: the draft's form for editors (no JavaScript:
  "Save" and "Save and publish"), read-only for the organisation's other members, a 404 to
  anyone else.
* ``/projects/<slug>/assessments/<version>/`` with ``assessment.json`` and ``assessment.pdf``:
  a published version, readable by anyone once the project is published.
* ``/projects/<slug>/atrs.json``: the ATRS-shaped record of a project with algorithmic tools.

A draft project, and every assessment of it, is a 404 to anyone outside its organisation.
Bad input re-renders the form with a 400 naming the field, and changes nothing.
"""

from __future__ import annotations

import csv
import io

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from . import access, assessment_document, assessment_pdf, assessments
from . import assessment as q
from .assessment import AssessmentError, field_name
from .models import Assessment, Project

#: Blank engagement rows offered below the filled ones.
BLANK_ROWS = 3


def _project(request, slug: str) -> Project:
    project = get_object_or_404(Project.objects.select_related("owner"), slug=slug)
    if not access.can_view(request.user, project):
        raise Http404("No such project")
    return project


def _json(data) -> JsonResponse:
    return JsonResponse(data, json_dumps_params={"ensure_ascii": False}, safe=False)


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# ----------------------------------------------------------------------------- versions

def _versions(project: Project) -> list[dict]:
    return [{"version": a.version, "published": a.published.isoformat(),
             "url": reverse("projects:assessment", args=[project.slug, a.version]),
             "lines": assessments.coverage_of(a)["lines"]}
            for a in assessments.published(project)]


def assessment_list(request, slug: str):
    project = _project(request, slug)
    if request.method == "POST":  # start (or go back to) the draft
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        assessments.start_draft(request.user, project)
        return redirect("projects:assessment_draft", slug=project.slug)
    members = assessments.can_read_drafts(request.user, project)
    return render(request, "projects/assessments.html", {
        "project": project, "versions": _versions(project),
        "draft": assessments.draft(project) if members else None,
        "can_edit": access.can_edit(request.user, project)})


def assessment_list_json(request, slug: str):
    project = _project(request, slug)
    return _json({"project": project.slug, "versions": _versions(project)})


def assessment_list_csv(request, slug: str):
    project = _project(request, slug)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["project", "version", "published", "url", "what was assessed"])
    for v in _versions(project):
        writer.writerow([project.slug, v["version"], v["published"],
                         request.build_absolute_uri(v["url"]), "; ".join(v["lines"])])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-assessments.csv"'
    return response


# ------------------------------------------------------------------------------ a version

def _version(request, slug: str, version: int) -> Assessment:
    project = _project(request, slug)
    found = assessments.version(project, version)
    if found is None:
        raise Http404("No such version")
    return found


def assessment_detail(request, slug: str, version: int):
    found = _version(request, slug, version)
    return render(request, "projects/assessment.html", {
        "project": found.project, "a": assessment_document.assessment_dict(found),
        "latest": assessments.latest_published(found.project).version,
        "can_edit": access.can_edit(request.user, found.project)})


def assessment_json(request, slug: str, version: int):
    found = _version(request, slug, version)
    return _json(assessment_document.assessment_dict(found, base_url=_base_url(request)))


def assessment_pdf_view(request, slug: str, version: int):
    found = _version(request, slug, version)
    body = assessment_pdf.render(assessment_document.assessment_dict(
        found, base_url=_base_url(request)))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = (f'attachment; filename="{found.project.slug}-'
                                       f'assessment-v{found.version}.pdf"')
    return response


def atrs_json(request, slug: str):
    project = _project(request, slug)
    if not assessment_document.has_atrs_record(project):
        raise Http404("This project names no algorithmic tool and its assessment fills no "
                      "algorithmic transparency fields")
    return _json(assessment_document.atrs_record(project, base_url=_base_url(request)))


# -------------------------------------------------------------------------------- the draft

def assessment_draft(request, slug: str):
    project = _project(request, slug)
    if not assessments.can_read_drafts(request.user, project):
        raise Http404("No draft here")
    current = assessments.draft(project)
    can_edit = access.can_edit(request.user, project)
    if current is None:
        if can_edit:
            return redirect("projects:assessments", slug=project.slug)
        raise Http404("No draft here")
    errors, status = {}, 200
    values = q.form_values(current.answers, current.characteristics,
                           current.data_questions, current.engagement)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied(f"Only editors of {project.owner.name} assess its "
                                   "projects.")
        publishing = request.POST.get("action") == "publish"
        try:
            if publishing:  # saved and published together, or neither
                published = assessments.save_and_publish(request.user, current, request.POST)
                return redirect("projects:assessment", slug=project.slug,
                                version=published.version)
            assessments.save_answers(request.user, current, request.POST)
            return redirect("projects:assessment_draft", slug=project.slug)
        except AssessmentError as exc:
            errors, status = {exc.field: str(exc)}, 400
            values = {k: v for k, v in request.POST.items()}
            current.refresh_from_db()
    last = assessments.latest_published(project)
    context = {"project": project, "draft": current, "can_edit": can_edit, "errors": errors,
               "not_saved": ("Nothing was saved or published: the draft is as it was when "
                             "last saved. What you typed is still in the form below."
                             if errors else ""),
               "next_version": (last.version if last else 0) + 1,
               "a": assessment_document.assessment_dict(current),
               "form": form_layout(values, assessments.linked_consultations(project),
                                   algorithmic=assessments.is_algorithmic(project))}
    return render(request, "projects/assessment_edit.html", context, status=status)


def form_layout(values: dict, consultations: dict[int, str], *, algorithmic: bool) -> dict:
    """The edit form's fields with their values, in the order the questions come, for the
    template (which holds no logic)."""
    def value(name: str) -> str:
        return values.get(name, "")

    tracks = [{"label": t.label, "source": t.source, "pointers": [
        {"name": field_name("pointer", p.id), "pointer": p, "value": value(
            field_name("pointer", p.id))} for p in q.POINTERS if p.track == t.id]}
        for t in q.TRACKS]
    characteristics = [{"c": c, **{part: {"name": field_name(part, c.id),
                                          "value": value(field_name(part, c.id))}
                                   for part in ("impact", "evidence", "mitigation")}}
                       for c in q.CHARACTERISTICS]
    data = [{"q": d, "name": field_name("data", d.id), "value": value(field_name("data", d.id))}
            for d in q.DATA_QUESTIONS]
    atrs = []
    for section, label in q.ATRS_SECTIONS.items():
        fields = [{"f": f, "name": field_name("atrs", key),
                   "value": value(field_name("atrs", key))}
                  for key, f in q.ATRS_FIELD.items() if f.section == section]
        atrs.append({"label": label, "fields": fields})
    filled = q.engagement_rows(values)
    keys = filled + [str(int(filled[-1] if filled else 0) + n) for n in
                     range(1, BLANK_ROWS + 1)]
    rows = [{"key": key, **{column: {"name": field_name("engagement", key, column),
                                     "value": value(field_name("engagement", key, column))}
                            for column in q.ENGAGEMENT_COLUMNS}} for key in keys]
    return {"tracks": tracks, "characteristics": characteristics, "data": data,
            "atrs": atrs, "algorithmic": algorithmic or any(
                v for k, v in values.items() if k.startswith("atrs-")),
            "impacts": [(i, q.IMPACT_LABELS[i]) for i in q.IMPACTS],
            "engagement": rows, "consultations": sorted(consultations.items())}


# ----------------------------------------------------------------- the project page section

def section(request, *, project: Project) -> dict:
    """The project page's "Impact assessment" section: the latest published version's
    coverage, counted plainly, or "not yet assessed"; the draft for members."""
    last = assessments.latest_published(project)
    coverage = assessments.coverage_of(last) if last else None
    members = assessments.can_read_drafts(request.user, project)
    return {"project": project, "latest": last, "coverage": coverage,
            "count": assessments.published(project).count(),
            "draft": assessments.draft(project) if members else None,
            "can_edit": access.can_edit(request.user, project),
            "atrs": assessment_document.has_atrs_record(project)}
