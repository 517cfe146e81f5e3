"""A project's footprint page (its owner's editors), its lens as JSON and CSV, and the
sections the footprint adds to the project page and to place pages (thin: check ``access``,
call ``footprints`` or ``footprint_lens``, render).

A draft is a 404 to anyone who may not see it (``access.can_view``). The footprint page is
for editors of the project's owner organisation (``access.can_edit``): others get a 403,
anonymous people the sign-in page. Bad input re-renders the page with a 400 naming the
field; nothing changes.

Size: a GeoJSON file over ``footprints.MAX_GEOJSON_BYTES`` is refused while it streams in
(a 50 MB request is stopped at its first chunk, never stored: ``GeoJSONSizeLimit``), and
pasted GeoJSON over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB by default) is refused
with a message (413) rather than Django's bare 400.
"""

from __future__ import annotations

import io
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from commonground.datastore.fetch import format_size
from commonground.lens import footprint as lens_footprint
from commonground.lens.tables import write_csv
from commonground.places.cache import NotLoaded

from . import access, footprints
from .footprint_lens import project_lens, projects_touching
from .models import Project

#: Room for the form's other fields and multipart headers beside the file, bytes.
FORM_OVERHEAD = 64 << 10
ACTIONS = ("geojson", "areas", "point", "remove", "city-wide")


class GeoJSONSizeLimit(FileUploadHandler):
    """Stops a GeoJSON upload over ``footprints.MAX_GEOJSON_BYTES`` at its first chunk (when
    the request says how long it is) or as soon as more arrives; nothing of it is kept and
    the view finds ``request.geojson_refused``."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        limit = footprints.MAX_GEOJSON_BYTES
        self.too_large = None
        if content_length and content_length > limit + FORM_OVERHEAD:
            self.too_large = (f"GeoJSON: the upload is {format_size(content_length)}; the "
                              f"largest file accepted is {format_size(limit)}")
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.too_large is None and self.received > footprints.MAX_GEOJSON_BYTES:
            self.too_large = (f"GeoJSON: the file is larger than "
                              f"{format_size(footprints.MAX_GEOJSON_BYTES)}, the largest "
                              "accepted")
        if self.too_large:
            self.request.geojson_refused = self.too_large
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def _project(request, slug: str) -> Project:
    project = get_object_or_404(Project.objects.select_related("owner"), slug=slug)
    if not access.can_view(request.user, project):
        raise Http404("No such project")
    return project


@csrf_exempt  # the CSRF check runs in _edit, after the size limit is in place
def footprint_page(request, slug: str):
    project = _project(request, slug)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not access.can_edit(request.user, project):
        raise PermissionDenied(f"Only editors of {project.owner.name} change this project's "
                               "footprint.")
    if request.method == "POST":
        request.upload_handlers.insert(0, GeoJSONSizeLimit(request))
        try:
            request.POST  # noqa: B018 (reads the body now, through the size limit)
        except RequestDataTooBig:
            limit = format_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
            return _render(request, project, {"geojson_text": (
                f"GeoJSON: the pasted text is larger than {limit}; upload it as a file "
                f"instead (up to {format_size(footprints.MAX_GEOJSON_BYTES)})")}, {}, 413)
    return _edit(request, project)


@csrf_protect
def _edit(request, project: Project):
    if request.method != "POST":
        return _render(request, project, {}, {}, 200)
    refused = getattr(request, "geojson_refused", None)
    if refused:
        return _render(request, project, {"geojson_file": refused}, {}, 413)
    values = {k: request.POST.get(k, "") for k in ("areas", "lat", "lon", "description",
                                                    "geojson_text")}
    try:
        said = _act(request, project)
    except footprints.FootprintError as exc:
        return _render(request, project, {exc.field: str(exc)}, values, 400)
    messages.success(request, said)
    return redirect("projects:footprint", slug=project.slug)


def _act(request, project: Project) -> str:
    """Do what the form asks; the words to say when it is done."""
    post = request.POST
    action = post.get("action", "")
    if action == "geojson":
        upload = request.FILES.get("geojson_file")
        if upload is not None:
            if upload.size > footprints.MAX_GEOJSON_BYTES:  # a handler earlier in the chain
                raise footprints.FootprintError(
                    "geojson_file", f"GeoJSON: the file is {format_size(upload.size)}; the "
                    f"largest accepted is {format_size(footprints.MAX_GEOJSON_BYTES)}")
            added = footprints.add_geojson(project, upload.read(), field="geojson_file")
        elif post.get("geojson_text", "").strip():
            added = footprints.add_geojson(project, post["geojson_text"], field="geojson_text")
        else:
            raise footprints.FootprintError("geojson_file", "GeoJSON: choose a file, or paste "
                                                            "GeoJSON in the box")
        return f"Added {len(added)} part{'' if len(added) == 1 else 's'} from the GeoJSON."
    if action == "areas":
        added = footprints.add_areas(project, post.get("areas", ""))
        return (f"Added {len(added)} area{'' if len(added) == 1 else 's'}." if added else
                "Those areas are in the footprint already.")
    if action == "point":
        footprints.add_point(project, post.get("lat", ""), post.get("lon", ""),
                             post.get("description", ""))
        return "Added the point."
    if action == "remove":
        footprints.remove_part(project, post.get("part", ""))
        return "Removed the part."
    if action == "city-wide":
        wide = post.get("city_wide") == "on"
        footprints.set_city_wide(project, wide)
        return ("Marked as working across the whole city." if wide else
                "No longer marked as city-wide: its footprint is its parts.")
    raise footprints.FootprintError("action", "Choose what to do: add GeoJSON, areas or a "
                                              "point, remove a part or mark it city-wide")


def _render(request, project: Project, errors: dict, values: dict, status: int):
    parts = [{"id": p.pk, "kind": p.get_kind_display(), "description": str(p),
              "area_code": p.area_code} for p in project.places.all()]
    try:
        lens = project_lens(project)
    except NotLoaded:
        lens = None
    return render(request, "projects/footprint.html", {
        "project": project, "parts": parts, "lens": lens, "errors": errors, "values": values,
        "max_file": format_size(footprints.MAX_GEOJSON_BYTES),
        "max_text": format_size(settings.DATA_UPLOAD_MAX_MEMORY_SIZE),
        "near_m": lens_footprint.NEAR_M}, status=status)


# ------------------------------------------------------------------------------ the lens

def _near_polygons(request) -> bool:
    return request.GET.get("near") == "polygons"


def lens_export(request, slug: str, fmt: str):
    """``lens.json`` (everything) and ``lens.csv?table=groups|deprivation|areas``."""
    project = _project(request, slug)
    try:
        result = project_lens(project, near_polygons=_near_polygons(request))
    except NotLoaded as exc:
        raise Http404("No city data is loaded") from exc
    if fmt == "json":
        return JsonResponse(result, json_dumps_params={"ensure_ascii": False})
    flat = lens_footprint.tables(result)
    if not flat:
        return JsonResponse({"error": " ".join(result["words"])}, status=404)
    table = request.GET.get("table", "groups")
    if table not in flat:
        return JsonResponse({"error": f"unknown table {table[:40]!r}", "tables": list(flat)},
                            status=400)
    columns, rows = flat[table]
    out = io.StringIO()
    write_csv(out, columns, rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="{project.slug}-footprint-'
                                       f'{table}.csv"')
    return response


def footprint_section(request, *, project: Project) -> dict | None:
    """The project page's "who it reaches" section: the footprint's lens and map."""
    if not access.can_view(request.user, project):
        return None
    near = _near_polygons(request)
    try:
        result = project_lens(project, near_polygons=near)
    except NotLoaded:
        return {"not_loaded": True}
    rule = {"near": "polygons"} if near else {}
    json_url = reverse("projects:lens_json", args=[project.slug])
    json_url += f"?{urlencode(rule)}" if rule else ""
    csv_url = reverse("projects:lens_csv", args=[project.slug])
    downloads = [(name, f"{csv_url}?{urlencode({'table': name, **rule})}")
                 for name in lens_footprint.tables(result)]
    has_polygons = bool((result.get("footprint") or {}).get("polygons"))
    return {"lens": result, "near": near, "has_polygons": has_polygons,
            "json_url": json_url, "downloads": downloads,
            "edit_url": reverse("projects:footprint", args=[project.slug])
            if access.can_edit(request.user, project) else None}


def place_projects(request, *, geography: str, code: str) -> dict | None:
    """The place page's published projects whose footprint reaches into the place, and the
    city-wide ones (None: there are none)."""
    try:
        touching, wide = projects_touching(geography, code)
    except NotLoaded:
        return None
    if not touching and not wide:
        return None
    return {"projects": touching, "city_wide": wide}

