"""The register in and out (thin: parse, check ``access``, call ``importing`` or
``exporting``): the import page for editors, and the published register as JSON, CSV tables
and a zip of them, for anyone.

An upload larger than ``registerfile.REGISTER_MAX_BYTES`` is refused by its size before it
is read; a file with problems shows every one, by item and field, with HTTP 400, and changes
nothing.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render

from . import access, exporting, registercsv
from .importing import ImportReport, import_register
from .registerfile import REGISTER_MAX_BYTES, Problem, too_big


def import_page(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    organisations = list(access.owning_organisations(request.user).order_by("name"))
    if not organisations:
        raise PermissionDenied("Only editors of an organisation on the hub import projects.")
    chosen = organisations[0] if len(organisations) == 1 else None
    report, status = None, 200
    if request.method == "POST":
        report, chosen = _import(request, organisations)
        status = 200 if report.ok else 400
    return render(request, "projects/import.html", {
        "organisations": organisations, "chosen": chosen, "report": report,
        "limit_mb": REGISTER_MAX_BYTES >> 20}, status=status)


def _import(request, organisations) -> tuple[ImportReport, object]:
    request.POST  # noqa: B018 (parse the body now: the upload handler may refuse the file)
    refused = getattr(request, "upload_refused", None)
    if refused:
        return ImportReport(problems=[Problem("file", f"{refused}. Nothing was read")]), None
    slug = request.POST.get("organisation", "")
    owner = next((o for o in organisations if o.slug == slug), None)
    if owner is None:
        return ImportReport(problems=[Problem("organisation", "choose the organisation that "
                                                              "keeps these projects")]), None
    uploads = request.FILES.getlist("file")
    size = sum(u.size for u in uploads)
    if size > REGISTER_MAX_BYTES:  # before a byte is read
        names = ", ".join(u.name for u in uploads)
        return ImportReport(problems=[too_big(names, size, REGISTER_MAX_BYTES)]), owner
    document, locate, problems = registercsv.read_upload({u.name: u.read() for u in uploads})
    if problems:
        return ImportReport(problems=problems), owner
    return import_register(document, owner=owner, user=request.user, locate=locate), owner


def register_json(request):
    return JsonResponse(exporting.register_document(), json_dumps_params={"ensure_ascii": False})


def register_csv(request):
    table = request.GET.get("table", "projects")
    if table not in exporting.TABLES:
        return HttpResponse(f"table: no table “{table[:40]}”; use one of "
                            f"{', '.join(exporting.TABLES)}", status=400,
                            content_type="text/plain; charset=utf-8")
    response = HttpResponse(exporting.register_csv(table), content_type="text/csv; charset=utf-8")
    name = "register" if table == "projects" else f"register-{table}"
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def register_zip(request):
    response = HttpResponse(exporting.register_zip(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="register.zip"'
    return response
