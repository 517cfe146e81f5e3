"""Catalogue pages: thin views over the services; every permission through ``access``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from commonground.accounts.models import Organisation
from commonground.datastore import export, query
from commonground.datastore import profile as column_profile
from commonground.datastore.errors import IngestError
from commonground.datastore.fetch import check_url
from commonground.datastore.layout import is_system_column
from commonground.places.cache import NotLoaded

from . import access, grantscope
from .forms import DatasetForm, ResourceForm, UploadForm
from .licences import licence
from .models import Dataset, IngestJob, Resource, Version
from .services import announce, ingest, readlog
from .services import search as catalogue_search
from .services.access_requests import page_context as access_section
from .services.rowmap import rows_map
from .services.searchtext import refresh_search_text

PAGE_ROWS = 50


def visible_dataset(request, name: str) -> Dataset:
    dataset = get_object_or_404(Dataset.objects.select_related("organisation"), name=name)
    if not access.can_view(request.user, dataset):
        raise Http404("No such dataset")  # private datasets are not acknowledged
    return dataset


def visible_resource(request, name: str, resource_id) -> tuple[Dataset, Resource]:
    dataset = visible_dataset(request, name)
    resource = get_object_or_404(Resource.objects.select_related("current_version"),
                                 pk=resource_id, dataset=dataset)
    return dataset, resource


def _must_edit(request, dataset: Dataset) -> None:
    if not access.can_edit(request.user, dataset):
        raise PermissionDenied("Only the publisher's editors can change this dataset.")


def dataset_list(request):
    filters = {name: request.GET.getlist(name) for name in catalogue_search.FACETS}
    sort = request.GET.get("sort", "relevance")
    sort = sort if sort in catalogue_search.SORTS else "relevance"
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    per_page = 20
    q = request.GET.get("q", "").strip()
    result = catalogue_search.search(request.user, q=q, filters=filters, sort=sort,
                                     start=(page - 1) * per_page, rows=per_page)
    base = [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs]
    facets = []
    for name in catalogue_search.FACETS:
        items = []
        for item in result.facets.get(name, [])[:15]:
            active = item["name"] in filters.get(name, [])
            if active:
                params = [(k, v) for k, v in base if not (k == name and v == item["name"])]
            else:
                params = base + [(name, item["name"])]
            items.append({**item, "active": active, "url": "?" + urlencode(params)})
        if items:
            facets.append({"name": name, "title": catalogue_search.FACET_TITLES[name],
                           "items": items})
    pages = (result.total + per_page - 1) // per_page
    nav = {}
    if page > 1:
        nav["previous"] = "?" + urlencode(base + [("page", page - 1)])
    if page < pages:
        nav["next"] = "?" + urlencode(base + [("page", page + 1)])
    return render(request, "catalogue/dataset_list.html", {
        "result": result, "q": q, "facets": facets, "sort": sort,
        "sorts": catalogue_search.SORTS.items(), "page": page, "pages": pages, "nav": nav,
        "hidden": [(k, v) for k, v in base if k not in ("q", "sort")],
        "can_create": access.publishing_organisations(request.user).exists()})


@login_required
def dataset_new(request):
    if not access.publishing_organisations(request.user).exists():
        raise PermissionDenied("You need to be an editor of an organisation to publish data.")
    form = DatasetForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.instance.created_by = request.user
        dataset = form.save()
        refresh_search_text(dataset)
        messages.success(request, "Dataset created as a draft. Add a resource, then publish it.")
        return redirect(reverse("catalogue:resource_new", args=[dataset.name]))
    return render(request, "catalogue/dataset_form.html", {"form": form, "dataset": None})


@login_required
def dataset_edit(request, name: str):
    dataset = visible_dataset(request, name)
    _must_edit(request, dataset)
    form = DatasetForm(request.POST or None, instance=dataset, user=request.user)
    if request.method == "POST" and form.is_valid():
        dataset = form.save()
        refresh_search_text(dataset)
        messages.success(request, "Saved.")
        return redirect(dataset)
    return render(request, "catalogue/dataset_form.html", {"form": form, "dataset": dataset})


@require_POST
@login_required
def dataset_publish(request, name: str):
    dataset = visible_dataset(request, name)
    _must_edit(request, dataset)
    publish = request.POST.get("state") == Dataset.State.PUBLISHED
    was_public = dataset.is_public
    dataset.state = Dataset.State.PUBLISHED if publish else Dataset.State.DRAFT
    dataset.save(update_fields=["state", "modified"])
    if publish and not was_public:
        announce.dataset_published(dataset, actor=request.user)
    messages.success(request, "Published: anyone can now find and download it." if publish
                     else "Unpublished: only your organisation's members can see it.")
    return redirect(dataset)


def dataset_detail(request, name: str):
    dataset = visible_dataset(request, name)
    resources = dataset.resources.select_related("current_version")
    return render(request, "catalogue/dataset_detail.html", {
        "dataset": dataset, "resources": resources, "licence": licence(dataset.licence),
        "can_edit": access.can_edit(request.user, dataset),
        "totals": access.can_see_row_totals(request.user, dataset),
        "threshold": settings.COMMONGROUND_DISCLOSURE_THRESHOLD,
        "has_lens": any(r.current_version and r.current_version.linked_rows for r in resources),
        "acc": access_section(request.user, dataset)})


def _refused_upload(request, target):
    """If the upload handler stopped an oversized upload, say so and go back."""
    request.POST  # noqa: B018 (parse the body now: the handler may refuse the upload)
    reason = getattr(request, "upload_refused", None)
    if reason:
        messages.error(request, f"{reason}. Nothing was changed.")
        return redirect(target)
    return None


@login_required
def resource_new(request, name: str):
    dataset = visible_dataset(request, name)
    _must_edit(request, dataset)
    if request.method == "POST":
        refused = _refused_upload(request, reverse("catalogue:resource_new", args=[name]))
        if refused:
            return refused
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["url"]:
            try:
                check_url(data["url"], allow_private=settings.COMMONGROUND_FETCH_ALLOW_PRIVATE)
            except IngestError as exc:  # refused before anything is created
                form.add_error("url", str(exc))
                return render(request, "catalogue/resource_form.html",
                              {"form": form, "dataset": dataset})
        resource = Resource.objects.create(
            dataset=dataset, name=data["name"], description=data["description"],
            kind=Resource.Kind.URL if data["url"] else Resource.Kind.UPLOAD, url=data["url"] or "",
            position=dataset.resources.count())
        return _start(request, resource, data.get("file"), data.get("sheet", ""), url=data["url"])
    return render(request, "catalogue/resource_form.html", {"form": form, "dataset": dataset})


def _start(request, resource: Resource, upload, sheet: str, url: str = ""):
    try:
        if upload:
            job = ingest.stage_upload(resource, upload.chunks(), filename=upload.name,
                                      user=request.user, sheet=sheet)
        else:
            check_url(url, allow_private=settings.COMMONGROUND_FETCH_ALLOW_PRIVATE)
            job = ingest.new_job(resource, filename=url.rsplit("/", 1)[-1] or "download",
                                 user=request.user, sheet=sheet, source_url=url)
    except IngestError as exc:
        messages.error(request, str(exc))
        return redirect(resource)
    ingest.start(job)
    return redirect(reverse("catalogue:job", args=[job.id]))


@require_POST
@login_required
def resource_upload(request, name: str, resource_id):
    dataset, resource = visible_resource(request, name, resource_id)
    _must_edit(request, dataset)
    refused = _refused_upload(request, resource)
    if refused:
        return refused
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to upload.")
        return redirect(resource)
    return _start(request, resource, form.cleaned_data["file"], form.cleaned_data["sheet"])


#: Jobs looked at, newest first, for the resource page's notices.
RECENT_JOBS = 10


def job_notices(resource: Resource) -> list[IngestJob]:
    """The ingest jobs the resource page warns about: those still waiting or running, and
    the latest finished one if it failed or its values did not fit. A later good version
    replaces a failed attempt's notice (the attempt stays in the job history)."""
    notices = []
    for job in resource.jobs.all()[:RECENT_JOBS]:  # newest first
        if job.active:
            notices.append(job)
            continue
        if job.status != IngestJob.Status.DONE:
            notices.append(job)
        break  # older attempts came before the latest finished one
    return notices


def resource_detail(request, name: str, resource_id):
    dataset, resource = visible_resource(request, name, resource_id)
    version = resource.current_version
    number = request.GET.get("version", "")
    if number:
        if not number.isdigit():
            raise Http404("No such version")
        version = get_object_or_404(resource.versions, number=int(number))
    try:
        rows = readlog.reader(request, dataset)
    except readlog.ReadRefused as refused:
        rows, withheld = None, str(refused)
    else:
        withheld = OLDER_ROWS_WITHHELD
    # part of the rows (a grant, or a dataset's open columns): of the live version only
    readable = rows is not None and version is not None and (
        rows.full or version.pk == resource.current_version_id)
    context = {"dataset": dataset, "resource": resource, "version": version,
               "versions": resource.versions.select_related("created_by"),
               "can_edit": access.can_edit(request.user, dataset),
               "jobs": job_notices(resource) if access.can_edit(request.user, dataset) else [],
               "upload_form": UploadForm(),
               "records": readable, "full": rows is not None and rows.full,
               "partial": rows is not None and not rows.full,
               "records_withheld": withheld,
               "scope_note": scope_note(dataset, rows) if rows is not None else "",
               "totals": access.can_see_row_totals(request.user, dataset)}
    if version and not access.can_see_version_counts(request.user, version):
        context["counts_withheld"] = access.OLDER_COUNTS_WITHHELD
    elif version:
        try:
            context["map"] = rows_map(version)  # summaries only for datasets about people
        except NotLoaded:
            context["map"] = None
    from .summary_views import summary_section  # it reads visible_resource from here
    context["open_summary"] = summary_section(request.user, dataset, version)
    if version and readable:
        context.update(_preview(request, version, rows.scope, full=rows.full))
        context["downloads"] = download_links(request, dataset, resource, version,
                                              download_formats(rows.scope, context["names"]))
        context["excel_url"] = context["downloads"].pop(0)[1]
        readlog.record_read(dataset, rows, user=request.user, channel="page",
                            resource=resource, version=version,
                            detail=request.GET.urlencode(), rows=len(context["preview"].rows))
    return render(request, "catalogue/resource_detail.html", context)


OLDER_ROWS_WITHHELD = ("Your access covers the live version's rows; older versions are for "
                       "members of the dataset's organisation.")


def download_links(request, dataset: Dataset, resource: Resource, version: Version,
                   formats: list[str]) -> list[tuple[str, str]]:
    """(format, URL) of each download: ``excel`` first (CSV with a byte order mark), then
    ``formats``; each asks for the hub's columns when the preview shows them
    (``internal=1``)."""
    internal = request.GET.get("internal") == "1"

    def url(fmt: str, **params) -> str:
        params.update({"internal": "1"} if internal else {})
        return (reverse("catalogue:download", args=[dataset.name, resource.id, version.number,
                                                    fmt]) + ("?" + urlencode(params) if params
                                                             else ""))

    return [("excel", url("csv", bom="1"))] + [(fmt, url(fmt)) for fmt in formats]


def download_formats(scope, names: list[str]) -> list[str]:
    """The download formats a reader within ``scope`` is offered: every one, except GeoJSON
    when the rows' locations are withheld (``names``: the columns they see)."""
    located = {"_easting", "_northing", "_geometry"} & set(names)
    return [fmt for fmt in export.FORMATS if fmt != "geojson" or located]


def scope_note(dataset: Dataset, rows: access.RowAccess) -> str:
    """What part of the rows a reader sees, in words ("" when all of them)."""
    if rows.full:
        return ""
    # data columns hidden because they give exact places (postcodes, coordinates)
    placing = [c for c in sorted(rows.scope.hidden) if not c.startswith("_")]
    if rows.grant is None:
        withheld = list(dict.fromkeys([*dataset.withheld_columns, *placing]))
        return (f"The columns {', '.join(withheld)} and the rows' exact "
                "locations are withheld; ask for access on the dataset's page to read them.")
    granted = grantscope.from_json(rows.grant.scope)
    parts = [f"columns {', '.join(granted.columns)}" if granted.columns is not None
             else "every column"]
    parts.append(f"rows in {', '.join(granted.places)}" if granted.places is not None
                 else "rows across the city")
    if granted.period_from or granted.period_to:
        parts.append(f"{granted.period_column or dataset.period_column} from "
                     f"{granted.period_from or 'the start'} to {granted.period_to or 'the end'}")
    if granted.detail != grantscope.EXACT:
        given_away = f", with the columns that give them: {', '.join(placing)}" if placing \
            else ""
        parts.append(f"places no finer than {granted.detail} (exact locations withheld"
                     f"{given_away})")
    return (f"Your grant, until {rows.grant.expires:%d %b %Y}, covers "
            + "; ".join(parts) + ". Every read is logged for the dataset's owner.")


def _preview(request, version: Version, scope=None, *, full: bool = True) -> dict:
    """The table preview: filters ``fc/fo/fv``, ``q``, ``sort``/``desc``, ``page``, of the
    rows and columns within ``scope``."""
    columns, _, _ = query.scoped(version.parquet_path, None, scope)
    names = [c["name"] for c in columns]
    internal = request.GET.get("internal") == "1"
    filters = [query.Filter(c, o, v) for c, o, v in zip(
        request.GET.getlist("fc"), request.GET.getlist("fo"), request.GET.getlist("fv"),
        strict=False) if c]
    sort = request.GET.get("sort", "")
    descending = request.GET.get("desc") == "1"
    try:
        page = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page = 1
    q = request.GET.get("q", "").strip()
    error = None
    try:
        result = query.run(version.parquet_path, query.RowQuery(
            filters=filters, q=q or None, sort=[(sort, descending)] if sort in names else [],
            limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS), columns, scope=scope)
    except query.QueryError as exc:
        error = str(exc)
        filters, q, sort = [], "", ""
        result = query.run(version.parquet_path, query.RowQuery(limit=PAGE_ROWS), columns,
                           scope=scope)
    last_page = max((result.total + PAGE_ROWS - 1) // PAGE_ROWS, 1)
    if page > last_page:  # past the end (an old link): show the last page
        page = last_page
        result = query.run(version.parquet_path, query.RowQuery(
            filters=filters, q=q or None, sort=[(sort, descending)] if sort in names else [],
            limit=PAGE_ROWS, offset=(page - 1) * PAGE_ROWS), columns, scope=scope)
    base = [(k, v) for k, vs in request.GET.lists() if k not in ("page", "sort", "desc")
            for v in vs]
    headers = []
    for c in result.columns:
        if is_system_column(c["name"]) and not internal:  # the hub's columns when asked for
            continue
        is_sorted = c["name"] == sort
        params = base + [("sort", c["name"])] + ([("desc", "1")] if is_sorted and not descending
                                                   else [])
        headers.append({**c, "sorted": ("descending" if descending else "ascending")
                        if is_sorted else "", "url": "?" + urlencode(params) + "#preview"})
    page_base = [(k, v) for k, vs in request.GET.lists() if k != "page" for v in vs]
    pages = max((result.total + PAGE_ROWS - 1) // PAGE_ROWS, 1)
    return {"preview": result, "headers": headers, "names": names, "page": page, "pages": pages,
            "first_row": (page - 1) * PAGE_ROWS + 1 if result.rows else 0,
            "last_row": (page - 1) * PAGE_ROWS + len(result.rows),
            "previous_url": "?" + urlencode(page_base + [("page", page - 1)]) + "#preview"
            if page > 1 else None,
            "next_url": "?" + urlencode(page_base + [("page", page + 1)]) + "#preview"
            if page < pages else None,
            "query_error": error, "q": q, "internal": internal,
            "internal_url": "?" + urlencode([*[(k, v) for k, v in page_base if k != "internal"],
                                             *([] if internal else [("internal", "1")])])
            + "#preview",
            "filters": [{"column": f.column, "op": f.op, "value": f.value} for f in filters],
            "ops": [("eq", "is"), ("ne", "is not"), ("contains", "contains"), ("lt", "<"),
                    ("lte", "≤"), ("gt", ">"), ("gte", "≥"), ("in", "is one of (a,b,…)"),
                    ("null", "is empty (true/false)")],
            # computed once at ingest (versions never change); older versions on demand
            "profile": ((version.report or {}).get("profile")
                        or column_profile.profile_columns(version.parquet_path))
            if full else []}


def organisation_detail(request, slug: str):
    """The organisation's page is its group workspace (members, datasets, requests, activity)."""
    organisation = get_object_or_404(Organisation, slug=slug)
    return redirect("community:group", organisation.slug, permanent=True)
