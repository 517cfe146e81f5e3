"""Version pages: downloads of any version in any format, and what changed between two.

A reader with part of the rows (a grant's scope, or a dataset's open columns) downloads the
live version's part only, from a scoped copy (``export.scoped_parquet``) kept beside the
datastore's files, one per version and scope; the original file, older versions and the
comparison of versions are for readers of every row.

CSV, XLSX and GeoJSON hold the data columns only, unless ``?internal=1`` asks for the
columns the hub added too (``_id``, the area codes, each followed by its area's name,
``_linked_by``, ``_easting``, ``_northing``); ``?bom=1`` starts a CSV with the byte order mark
Excel needs to read UTF-8 (the page's "Excel" link). Parquet is the stored file (or the
reader's scoped copy of it) as it is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.text import slugify

from commonground.datastore import diff as version_diff
from commonground.datastore import export, storage
from commonground.datastore.errors import IngestError
from commonground.datastore.layout import area_code_columns, data_columns
from commonground.datastore.scope import RowScope

from . import access
from .services import ingest, readlog, reclaim
from .views import visible_resource


def _records(request, dataset) -> access.RowAccess:
    """What the request may read of the dataset's rows; refused (403, saying why) when
    nothing."""
    try:
        return readlog.reader(request, dataset)
    except readlog.ReadRefused as refused:
        raise PermissionDenied(str(refused)) from None


def _every_row(request, dataset) -> access.RowAccess:
    """Refuse what needs every row (comparisons, older versions, original files) to a
    reader of part of them."""
    rows = _records(request, dataset)
    if not rows.full:
        raise PermissionDenied(PART_ONLY)
    return rows


PART_ONLY = ("Your access covers part of the live version's rows: download it as CSV, "
             "XLSX or Parquet. The original file and older versions are for members of the "
             "dataset's organisation.")


def scoped_file(version, scope: RowScope) -> Path:
    """The version's rows within ``scope`` as a Parquet file (the version's own file when
    the scope is everything); written once per version and scope, then reused, each use
    refreshing its time (the sweep, ``reclaim``, deletes copies unused for
    ``SCOPED_UNUSED_FOR`` and copies of versions that no longer exist)."""
    if scope.is_everything:
        return version.parquet_path
    # the version's checksum too: an id can be reused after a rollback, a file cannot
    key = json.dumps([version.sha256,
                      sorted(scope.columns) if scope.columns is not None else None,
                      sorted(scope.hidden),
                      sorted(scope.areas) if scope.areas is not None else None,
                      [str(p) for p in scope.period] if scope.period else None])
    path = (reclaim.scoped_folder()
            / f"{version.pk}-{hashlib.sha256(key.encode()).hexdigest()[:32]}.parquet")
    try:
        os.utime(path)  # in use: kept by the sweep
        return path
    except FileNotFoundError:  # never written, or deleted by the sweep since: write it
        return export.scoped_parquet(version.parquet_path, scope, path)


def download(request, name: str, resource_id, number: int, fmt: str):
    dataset, resource = visible_resource(request, name, resource_id)
    rows = _records(request, dataset)
    version = get_object_or_404(resource.versions, number=number)
    if fmt != "original" and fmt not in export.FORMATS:
        raise Http404("Unknown format")
    if not rows.full and (fmt == "original" or version.pk != resource.current_version_id):
        raise PermissionDenied(PART_ONLY)
    stem = f"{dataset.name}-{_slug(resource.name)}-v{version.number}"
    source = scoped_file(version, rows.scope)
    readlog.record_read(dataset, rows, user=request.user, channel="download", resource=resource,
                        version=version, detail=fmt,
                        rows=version.row_count if rows.full else _rows_in(source))
    if fmt == "original":
        return FileResponse(storage.open_input(version.original_path), as_attachment=True,
                            filename=version.original_name)
    content_type, extension = export.FORMATS[fmt]
    columns, names = chosen_columns(request, source)
    if fmt == "xlsx":  # openpyxl writes a file; it is deleted once sent
        folder = Path(tempfile.mkdtemp(dir=ingest._tmp()))
        try:
            path = export.xlsx_file(source, folder / "data.xlsx", columns=columns,
                                    area_names=names)
        except IngestError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            return HttpResponse(str(exc), status=422, content_type="text/plain; charset=utf-8")
        response = FileResponse(open(path, "rb"), as_attachment=True,
                                filename=f"{stem}.{extension}", content_type=content_type)
        response._resource_closers.append(lambda: shutil.rmtree(folder, ignore_errors=True))
        return response
    if fmt == "csv":
        chunks = export.csv_chunks(source, columns, bom=request.GET.get("bom") == "1",
                                   area_names=names)
    elif fmt == "geojson":
        chunks = export.geojson_chunks(source, columns, area_names=names,
                                       coordinates=coordinate_columns(version))
    else:
        chunks = export.parquet_chunks(source)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{stem}.{extension}"'
    return response


def wants_internal(request) -> bool:
    """Whether the request asks for the columns the hub added (``?internal=1``)."""
    return request.GET.get("internal") == "1"


def chosen_columns(request, source: Path | str) -> tuple[list[str] | None, export.AreaNames]:
    """The columns a download writes (None: the format's default, every tabular column) and
    the names of the areas whose codes it writes. Without ``?internal=1``: the data columns
    only, no area codes (so no names), or the format's default when the reader sees no data
    column."""
    names = pq.read_schema(source, filesystem=storage.filesystem_for(source)).names
    if not wants_internal(request):
        return data_columns(names) or None, {}
    return None, area_names(area_code_columns(names))


def coordinate_columns(version) -> export.Coordinates | None:
    """The data columns whose coordinates placed the version's rows (as its link report
    says), so that GeoJSON keeps the place of a row outside the city: longitude and
    latitude first, else easting and northing."""
    from commonground.datastore import linkdetect

    used = ((version.report or {}).get("links") or {}).get("placed_by", {}).get("exact", [])

    def first(pattern):
        return next((c for c in used if pattern.search(c)), None)

    lat, lon = first(linkdetect.LAT_NAME), first(linkdetect.LON_NAME)
    if lat and lon:
        return ("lonlat", lon, lat)
    east, north = first(linkdetect.EAST_NAME), first(linkdetect.NORTH_NAME)
    return ("grid", east, north) if east and north else None


def area_names(columns: list[str]) -> export.AreaNames:
    """``{"_lsoa21": (codes, names)}`` for each area-code column, from the loaded places."""
    from commonground.places.models import Area

    out = {}
    for column in columns:
        pairs = list(Area.objects.filter(geography=column[1:]).values_list("code", "name"))
        if pairs:
            codes, labels = zip(*pairs, strict=True)
            out[column] = (list(codes), list(labels))
    return out


def _rows_in(parquet: Path | str) -> int:
    return pq.read_metadata(parquet, filesystem=storage.filesystem_for(parquet)).num_rows


def _slug(text: str) -> str:
    return slugify(text)[:60] or "resource"


def diff(request, name: str, resource_id):
    dataset, resource = visible_resource(request, name, resource_id)
    rows = _every_row(request, dataset)
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
    readlog.record_read(dataset, rows, user=request.user, channel="page", resource=resource,
                        version=by_number[new], detail=f"changes from version {old}")
    # the columns rows can be matched on, the one used first; _row is always offered
    keys = list(dict.fromkeys(k for k in (result["key"], *result["compared"],
                                          version_diff.ROW_KEY) if k))
    return render(request, "catalogue/diff.html", {
        "dataset": dataset, "resource": resource, "versions": versions, "result": result,
        "old": by_number[old], "new": by_number[new], "keys": keys})
