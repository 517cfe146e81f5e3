"""Version pages: downloads of any version in any format, and what changed between two."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify

from commonground.datastore import diff as version_diff
from commonground.datastore import export
from commonground.datastore.errors import IngestError

from . import access
from .services import ingest
from .views import visible_resource


def _records(request, dataset) -> None:
    """Refuse record-level pages of a dataset about people to all but its members."""
    if not access.can_see_records(request.user, dataset):
        raise PermissionDenied(access.RECORDS_WITHHELD)


def download(request, name: str, resource_id, number: int, fmt: str):
    dataset, resource = visible_resource(request, name, resource_id)
    _records(request, dataset)
    version = get_object_or_404(resource.versions, number=number)
    stem = f"{dataset.name}-{_slug(resource.name)}-v{version.number}"
    if fmt == "original":
        return FileResponse(open(version.original_path, "rb"), as_attachment=True,
                            filename=version.original_name)
    if fmt not in export.FORMATS:
        raise Http404("Unknown format")
    content_type, extension = export.FORMATS[fmt]
    if fmt == "xlsx":  # openpyxl writes a file; it is deleted once sent
        folder = Path(tempfile.mkdtemp(dir=ingest._tmp()))
        try:
            path = export.xlsx_file(version.parquet_path, folder / "data.xlsx")
        except IngestError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")
        response = FileResponse(open(path, "rb"), as_attachment=True,
                                filename=f"{stem}.{extension}", content_type=content_type)
        response._resource_closers.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        return response
    chunks = {"csv": export.csv_chunks, "geojson": export.geojson_chunks,
              "parquet": export.parquet_chunks}[fmt](version.parquet_path)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def _slug(text: str) -> str:
    return slugify(text)[:60] or "resource"


def diff(request, name: str, resource_id):
    dataset, resource = visible_resource(request, name, resource_id)
    _records(request, dataset)
    versions = list(resource.versions.order_by("number"))
    if len(versions) < 2:
        return render(request, "catalogue/diff.html", {"dataset": dataset, "resource": resource,
                                                       "result": None, "versions": versions})
    try:
        new = int(request.GET.get("to", versions[-1].number))
        old = int(request.GET.get("from", new - 1))
    except ValueError as exc:
        raise Http404("Bad version number") from exc
    by_number = {v.number: v for v in versions}
    if old not in by_number or new not in by_number:
        raise Http404("No such version")
    try:
        result = version_diff.diff_versions(by_number[old].parquet_path,
                                            by_number[new].parquet_path,
                                            key=request.GET.get("key") or None)
    except ValueError as exc:  # a key column that is missing, not unique or has blanks
        messages.error(request, str(exc))
        return redirect(reverse("catalogue:diff", args=[dataset.name, resource.id]))
    return render(request, "catalogue/diff.html", {
        "dataset": dataset, "resource": resource, "versions": versions, "result": result,
        "old": by_number[old], "new": by_number[new]})
