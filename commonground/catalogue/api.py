"""JSON API for the catalogue and datastore (django-ninja, mounted at ``/api/catalogue``).

Row queries take filters as ``column__op=value`` query parameters (Datasette's habit):
``education_phase=Primary`` (``eq`` is the default), ``number_of_pupils__gt=300``,
``urn__in=110197,110213``, ``establishment_name__contains=school``,
``percentage_fsm__null=true``. Reserved parameters: ``q``, ``sort`` (``col`` or ``-col``,
comma-separated), ``fields``, ``limit``, ``offset``, ``cursor``, ``version``, ``total``,
``internal``. To filter a column whose name is reserved, spell the operator: ``limit__eq=3``.
Rows hold the columns the hub added (``_id``, ``_row``, area codes, ...) unless
``internal=false`` (the API's contract since it began, and ``_id`` is what rows are paged and
compared by; pages and downloads leave them out unless ``internal=1`` asks for them).

Rows are read within ``access.row_access`` for the user, or for a dataset key sent as
``X-API-Key`` or ``Authorization: Bearer <key>`` (a refused key: 403 saying why). A reader
of part of the rows (a grant, a dataset's open columns) reads the live version's part;
column profiles, comparisons and older versions need every row. Reads of restricted rows
are logged (``services.readlog``).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apiauth import Page
from commonground.apierrors import errors
from commonground.datastore import diff as version_diff
from commonground.datastore import profile as column_profile
from commonground.datastore import query
from commonground.datastore.layout import is_system_column

from . import access
from .feed_resources import feed_note, is_feed
from .licences import licence
from .models import Dataset, IngestJob, Resource, Version
from .services import readlog
from .services import search as catalogue_search
from .services.disclosure import public_counts

router = Router(tags=["catalogue"])

RESERVED = {"q", "sort", "fields", "limit", "offset", "cursor", "version", "total", "internal"}


class DatasetSearchParams(Schema):
    q: str = ""
    organization: list[str] = []
    tags: list[str] = []
    res_format: list[str] = []
    license_id: list[str] = []
    groups: list[str] = []
    area: list[str] = []
    sort: str = Field("relevance", json_schema_extra={
        "enum": ["relevance", "title", "-modified", "-created", "-rows"]})
    limit: int = Field(20, json_schema_extra={"minimum": 0, "maximum": 1000},
                       description="At most this many")
    offset: int = Field(0, ge=0, description="Skip this many first")


class DatasetPage(Page):
    """One page of the datasets found, paginated as every list of the API is."""

    datasets: list[dict[str, Any]]
    facets: dict[str, list[dict[str, Any]]] = Field(
        description="Per facet (organization, tags, res_format, license_id, groups, area): "
                    "its values with their counts, over every dataset found")


def dataset_summary(request, d: Dataset) -> dict:
    lic = licence(d.licence)
    return {"id": str(d.id), "name": d.name, "title": d.title, "notes": d.notes,
            "organisation": {"slug": d.organisation.slug, "name": d.organisation.name,
                             "kind": d.organisation.kind},
            "licence": {"id": lic.id, "title": lic.title, "url": lic.url},
            "tags": [t.name for t in d.tags.all()], "themes": [t.name for t in d.themes.all()],
            "frequency": d.frequency, "state": d.state, "private": d.private,
            "about_people": d.about_people, "access": d.access,
            "restricted_columns": d.withheld_columns,
            "created": d.created.isoformat(), "modified": d.modified.isoformat(),
            "url": request.build_absolute_uri(d.get_absolute_url())}


def version_dict(request, v: Version) -> dict:
    """``rows`` and ``size`` are None where the user may not see a dataset about people's
    row totals (``access.can_see_row_totals``); the checksums, the original file's name and
    ``links`` (rows placed and not, with the linker's warnings quoting values) are None
    unless the user reads every row (``access.can_see_records``): a checksum confirms a
    guessed file, and a warning can quote a withheld value."""
    dataset = v.resource.dataset
    totals = access.can_see_row_totals(request.user, dataset)
    full = access.can_see_records(request.user, dataset)
    return {"number": v.number, "created": v.created.isoformat(),
            "rows": v.row_count if totals else None,
            "schema": v.schema, "sha256": v.sha256 if full else None,
            "size": v.size if totals else None, "format": v.format,
            "original_name": v.original_name if full else None,
            "original_sha256": v.original_sha256 if full else None,
            "created_by": v.created_by.get_username() if v.created_by_id else None,
            "links": (v.report or {}).get("links") if totals and full else None,
            "downloads": {fmt: request.build_absolute_uri(
                f"{v.resource.get_absolute_url()}v{v.number}/download.{fmt}")
                for fmt in ("csv", "geojson", "parquet", "xlsx", "original")}}


def resource_dict(request, r: Resource, *, versions: bool = False) -> dict:
    out = {"id": str(r.id), "dataset": r.dataset.name, "name": r.name,
           "description": r.description, "kind": r.kind, "url": r.url, "format": r.format,
           "current_version": version_dict(request, r.current_version)
           if r.current_version_id else None}
    if versions:
        out["versions"] = [version_dict(request, v) for v in r.versions.all()]
    return out


def _records_resource(request, resource_id: UUID) -> tuple[Resource, access.RowAccess]:
    """A resource some of whose rows the request may read, and which (403 if none)."""
    resource = _visible_resource(request, resource_id)
    try:
        return resource, readlog.reader(request, resource.dataset)
    except readlog.ReadRefused as refused:
        raise HttpError(403, str(refused)) from None


def _every_row(request, resource_id: UUID) -> tuple[Resource, access.RowAccess]:
    """A resource every row of which the request may read (profiles, comparisons)."""
    resource, rows = _records_resource(request, resource_id)
    if not rows.full:
        raise HttpError(403, PART_ONLY)
    return resource, rows


PART_ONLY = ("Your access covers part of the rows of the live version: read them through "
             "rows; profiles, comparisons and older versions are for members of the "
             "dataset's organisation.")


def _visible_dataset(request, name: str) -> Dataset:
    dataset = get_object_or_404(Dataset.objects.select_related("organisation"), name=name)
    if not access.can_view(request.user, dataset):
        raise Http404("No such dataset")
    return dataset


def _visible_resource(request, resource_id) -> Resource:
    resource = get_object_or_404(Resource.objects.select_related(
        "dataset__organisation", "current_version"), pk=resource_id)
    if not access.can_view(request.user, resource.dataset):
        raise Http404("No such resource")
    return resource


def _version(resource: Resource, number: int | None) -> Version:
    if number is None:
        if is_feed(resource):
            raise HttpError(404, feed_note(resource))
        if not resource.current_version_id:
            raise HttpError(404, "This resource has no version yet.")
        return resource.current_version
    return get_object_or_404(resource.versions, number=number)


@router.get("/datasets", response=DatasetPage, openapi_extra=errors(422),
            summary="Search datasets (full text, facets, sorting)")
def datasets(request, params: Query[DatasetSearchParams]):
    """``total`` datasets found, ``limit`` and ``offset`` as asked, and this page of them."""
    if not 0 <= params.limit <= 1000:
        raise HttpError(422, "limit must be between 0 and 1000")
    result = catalogue_search.search(
        request.user, q=params.q, sort=params.sort, start=params.offset, rows=params.limit,
        filters={"organization": params.organization, "tags": params.tags,
                 "res_format": params.res_format, "license_id": params.license_id,
                 "groups": params.groups, "area": params.area})
    return {"total": result.total, "limit": params.limit, "offset": params.offset,
            "datasets": [dataset_summary(request, d) for d in result.datasets],
            "facets": result.facets}


@router.get("/datasets/{name}", openapi_extra=errors(404),
            summary="One dataset with its resources")
def dataset(request, name: str):
    d = _visible_dataset(request, name)
    out = dataset_summary(request, d)
    out.update(source=d.source, contact_name=d.contact_name,
               resources=[resource_dict(request, r) for r in d.resources.select_related(
                   "current_version", "dataset")])
    return out


@router.get("/resources/{resource_id}", openapi_extra=errors(404, 422),
            summary="A resource with every version")
def resource(request, resource_id: UUID):
    return resource_dict(request, _visible_resource(request, resource_id), versions=True)


@router.get("/resources/{resource_id}/versions/{number}", openapi_extra=errors(404, 422),
            summary="One version")
def version(request, resource_id: UUID, number: int):
    r = _visible_resource(request, resource_id)
    return version_dict(request, _version(r, number))


def _query_parameter(name: str, kind: str, description: str, **schema) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": {"type": kind, **schema}}


#: The row API's reserved parameters, as its OpenAPI document declares them: read from the
#: query string by hand (filters are any other ``column__op``), so declared here.
ROW_PARAMETERS = [
    _query_parameter("q", "string", "Words to find in any text column"),
    _query_parameter("sort", "string", "Columns to sort by, comma-separated; -col descending"),
    _query_parameter("fields", "string", "Only these columns, comma-separated"),
    _query_parameter("limit", "integer", "At most this many rows", minimum=0, maximum=1000,
                     default=100),
    _query_parameter("offset", "integer", "Skip this many first", minimum=0, default=0),
    _query_parameter("cursor", "string", "Where the previous page stopped (its next_cursor): "
                     "keyset paging, for long walks; replaces offset"),
    _query_parameter("version", "integer", "A version's number (default: the current one)",
                     minimum=1),
    _query_parameter("total", "boolean", "Count the rows that match (default true)"),
]

#: The row API's answer, declared only (a row's columns are the dataset's own).
ROW_PAGE = {"type": "object", "required": ["rows", "total", "limit", "offset"], "properties": {
    "resource": {"type": "string"}, "version": {"type": "integer"},
    "columns": {"type": "array", "items": {"type": "object"}},
    "rows": {"type": "array", "items": {"type": "object"}},
    "total": {"type": ["integer", "null"],
              "description": "How many rows match (null when total=false)"},
    "limit": {"type": "integer"}, "offset": {"type": "integer"},
    "next_cursor": {"type": ["string", "null"]}, "next": {"type": ["string", "null"]}}}


def _row_api_document() -> dict:
    extra = errors(400, 403, 404, 422)
    extra["parameters"] = ROW_PARAMETERS
    extra["responses"][200] = {"description": "One page of rows, paginated as every list of "
                               "the API is (and by cursor)",
                               "content": {"application/json": {"schema": ROW_PAGE}}}
    return extra


@router.get("/resources/{resource_id}/rows", openapi_extra=_row_api_document(),
            summary="Rows: filters, q, sort, fields, paging")
def rows(request, resource_id: UUID, internal: bool = Query(True, description=(
        "Include the columns the hub added (names starting with _: _id, _row, area codes, "
        "grid references); false leaves them out, unless fields names them. Default true "
        "(unlike downloads and previews), so existing clients keep _id"))):
    r, access_ = _records_resource(request, resource_id)
    v = _version(r, _int(request.GET.get("version"), "version"))
    if not access_.full and v.pk != r.current_version_id:
        raise HttpError(403, PART_ONLY)
    filters = _filters(request, RESERVED)
    sort = []
    for part in (request.GET.get("sort") or "").split(","):
        part = part.strip()
        if part:
            sort.append((part[1:], True) if part.startswith("-") else (part, False))
    fields = [f.strip() for f in request.GET.get("fields", "").split(",") if f.strip()] or None
    row_query = query.RowQuery(
        filters=filters, q=request.GET.get("q") or None, sort=sort, fields=fields,
        limit=_int(request.GET.get("limit"), "limit", 100), offset=_int(request.GET.get("offset"),
                                                                        "offset", 0),
        cursor=request.GET.get("cursor") or None,
        total=request.GET.get("total", "true").lower() not in ("false", "0", "no"))
    try:
        page = query.run(v.parquet_path, row_query, scope=access_.scope)
    except query.QueryError as exc:
        raise HttpError(400, str(exc)) from exc
    columns = page.columns
    if not internal and fields is None:
        columns = [c for c in columns if not is_system_column(c["name"])]
        kept = [c["name"] for c in columns]
        page.rows = [{name: row[name] for name in kept} for row in page.rows]
    readlog.record_read(r.dataset, access_, user=request.user, channel="api", resource=r,
                        version=v, detail=request.GET.urlencode(), rows=len(page.rows))
    next_url = None
    if page.next_cursor:
        params = request.GET.copy()
        params["cursor"] = page.next_cursor
        params.pop("offset", None)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return {"resource": str(r.id), "version": v.number, "columns": columns,
            "rows": page.rows, "total": page.total, "limit": page.limit, "offset": page.offset,
            "next_cursor": page.next_cursor, "next": next_url}


AGGREGATE_RESERVED = {"geography", "measure", "column", "version", "q"}


def _filters(request, reserved: set[str]) -> list[query.Filter]:
    """``column__op=value`` query parameters (``column=value`` means ``eq``)."""
    filters = []
    for key, values in request.GET.lists():
        if key in reserved:
            continue
        column, _, op = key.rpartition("__") if "__" in key else (key, "", "eq")
        if op not in query.OPS:
            column, op = key, "eq"
        for value in values:
            filters.append(query.Filter(column, op, value.split(",") if op == "in" else value))
    return filters


@router.get("/resources/{resource_id}/aggregate", openapi_extra=errors(400, 403, 404, 422),
            summary="Count, sum or mean per area (filters as for rows)")
def aggregate(request, resource_id: UUID, geography: str,
              measure: Literal["count", "sum", "mean"] = "count",
              column: str | None = None, version: int | None = None, q: str | None = None):
    r = _visible_resource(request, resource_id)
    v = _version(r, version)
    if not access.can_see_version_counts(request.user, v):
        raise HttpError(403, access.OLDER_COUNTS_WITHHELD)
    filters = _filters(request, AGGREGATE_RESERVED)
    people = access.counts_are_controlled(request.user, r.dataset)
    if people and (filters or q or measure != "count"):
        # any subset or sum of records about people could be differenced back to a person
        raise HttpError(403, readlog.withheld_message(r.dataset)
                        + " Only plain counts per area are public.")
    scope = None
    if not people:  # filters and measures only on the columns the reader sees
        try:
            scope = readlog.reader(request, r.dataset).scope
        except readlog.ReadRefused as refused:
            raise HttpError(403, str(refused)) from None
    try:
        areas = query.aggregate(v.parquet_path, geography, measure=measure, column=column, q=q,
                                filters=filters, scope=scope)
    except query.QueryError as exc:
        raise HttpError(400, str(exc)) from exc
    pending = False
    if people:  # the one disclosure-controlled table: every area (so being listed says
        # nothing), counts below the threshold (none included) and any that would give one
        # away hidden, no count of rows outside every area; all hidden while being checked
        table = public_counts(v)
        pending = table.pending
        areas = [{"code": code, "count": n, "value": n, "suppressed": n is None}
                 for code, n in table.areas.get(geography, [])]
    return {"resource": str(r.id), "version": v.number, "geography": geography,
            "measure": measure, "column": column, "areas": areas,
            "suppression": {"threshold": settings.COMMONGROUND_DISCLOSURE_THRESHOLD,
                            "being_checked": pending}
            if people else None}


@router.get("/resources/{resource_id}/profile", openapi_extra=errors(403, 404, 422),
            summary="Column profile of a version")
def profile(request, resource_id: UUID, version: int | None = None):
    r, access_ = _every_row(request, resource_id)
    v = _version(r, version)
    readlog.record_read(r.dataset, access_, user=request.user, channel="api", resource=r,
                        version=v, detail="profile")
    return {"resource": str(r.id), "version": v.number,
            "columns": column_profile.profile_columns(v.parquet_path)}


@router.get("/resources/{resource_id}/changes", openapi_extra=errors(400, 403, 404, 422),
            summary="What changed between two versions")
def changes(request, resource_id: UUID, to: int | None = None, key: str | None = None):
    r, access_ = _every_row(request, resource_id)
    new = _version(r, to)
    old_number = _int(request.GET.get("from"), "from", new.number - 1)
    old = _version(r, old_number)
    try:
        changes = version_diff.diff_versions(old.parquet_path, new.parquet_path, key=key)
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    readlog.record_read(r.dataset, access_, user=request.user, channel="api", resource=r,
                        version=new, detail=f"changes from version {old.number}")
    return {"resource": str(r.id), "from": old.number, "to": new.number, **changes}


@router.get("/jobs/{job_id}", openapi_extra=errors(403, 404, 422),
            summary="Progress and report of an ingest job")
def job(request, job_id: UUID):
    j = get_object_or_404(IngestJob.objects.select_related("resource__dataset", "version"),
                          pk=job_id)
    if not access.can_edit(request.user, j.resource.dataset):
        raise HttpError(403, "Only the publisher's editors can see ingest jobs.")
    return {"id": str(j.id), "status": j.status, "progress": j.progress, "message": j.message,
            "error": j.error, "report": j.report,
            "version": j.version.number if j.version_id else None}


def _int(value, name: str, default: int | None = None) -> int | None:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except ValueError:
        raise HttpError(422, f"{name} must be a whole number") from None


class LensParams(Schema):
    resource: str = ""
    measure: str = Field("count", json_schema_extra={"enum": ["count", "weight", "value"]})
    column: str = ""
    edition: str = ""
    classes: str = Field("fisher_jenks", json_schema_extra={"enum": ["fisher_jenks", "quantiles"]})
    table: str = Field("", json_schema_extra={"enum": [
        "", "imd-decile", "imd-quintile", "city-decile", "city-quintile", "slope", "disparity",
        "disparity-areas", "access", "areas"]})
    where: list[str] = Field([], description=(
        "Row filters, each column=value, column!=value, column>=number or column=low..high "
        "(repeat, or separate with ;); the dataset's own filters apply too"))
    authority: str = Field("", description=(
        "In a package of several authorities, the code of one (e.g. E06000055) to look at it "
        "alone; empty or the package's own code: the whole package"))


@router.get("/datasets/{name}/lens", openapi_extra=errors(400, 404, 422, 503),
            summary="The difference lens: who lives where the dataset's rows are")
def lens(request, name: str, params: Query[LensParams]):
    """Every section of the lens (deprivation tables with slope and relative indices of
    inequality, Census group disparities, access by distance, map classes and hot spots, the
    plain-words summary and the method), as the page shows it; ``table=`` returns one flat
    table (``imd-decile``, ``imd-quintile``, ``city-decile``, ``city-quintile``, ``slope``,
    ``disparity``, ``disparity-areas``, ``access``, ``areas``). ``where=`` counts only the rows
    that pass each filter; ``measure.filters`` says every filter used (the dataset's own too).
    ``authority=`` covers one authority of the package (``authority`` in the result says which);
    an unknown code is a 400 naming it."""
    from ninja.responses import NinjaJSONEncoder

    from commonground.lens.tables import tables
    from commonground.places.cache import NotLoaded

    from .lens_views import json_response
    from .services import lens as lens_service

    d = _visible_dataset(request, name)
    if params.classes not in ("fisher_jenks", "quantiles"):
        raise HttpError(422, "classes must be fisher_jenks or quantiles")
    try:
        _, version = lens_service.choose(d, resource=params.resource or None,
                                         measure=params.measure, column=params.column or None)
        options = lens_service.options_for(d, edition=params.edition or None,
                                           classification=params.classes)
        lens_service.refuse_controlled(request.user, d, measure=params.measure,
                                       asked=lens_service.asked_filters(params.where))
        result = lens_service.dataset_lens(d, version, measure=params.measure,
                                           column=params.column or None, options=options,
                                           filters=lens_service.asked_filters(params.where),
                                           authority=params.authority or None)
    except lens_service.LensError as exc:
        raise HttpError(400, str(exc)) from exc
    except NotLoaded as exc:
        raise HttpError(503, str(exc)) from exc
    if params.table:
        flat = tables(result)
        if params.table not in flat:
            raise HttpError(400, f"unknown table {params.table!r}; choose from "
                                 f"{', '.join(flat)}")
        columns, rows = flat[params.table]
        result = {"table": params.table, "columns": columns, "rows": rows}
    # the per-area rows are kept as columns: written as ninja would, a chunk at a time
    return json_response(result, ensure_ascii=True, cls=NinjaJSONEncoder,
                         content_type="application/json; charset=utf-8")
