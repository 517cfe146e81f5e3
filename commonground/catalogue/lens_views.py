"""The lens page of a dataset and its CSV/JSON exports (thin: parse, call the service, render)."""

from __future__ import annotations

import shlex
from urllib.parse import urlencode

from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from commonground.lens.chart import interval_chart
from commonground.lens.deprivation import GROUPINGS
from commonground.lens.rows import iter_json, rows_in
from commonground.lens.tables import csv_chunks, table_names, tables
from commonground.places.cache import NotLoaded

from .feed_resources import is_feed
from .services import lens as lens_service
from .services.lensmaps import lens_maps
from .views import visible_dataset

CLASSIFICATIONS = {"fisher_jenks": "Fisher-Jenks natural breaks", "quantiles": "Quantiles"}


def _choices(request, dataset):
    """The resource, measure, column, edition and map classes asked for, checked."""
    resources = lens_service.lens_resources(dataset)
    if not resources:
        return None
    wanted = request.GET.get("resource", "")
    resource = next((r for r in resources if str(r.id) == wanted), resources[0])
    version = resource.current_version
    withheld = dataset.withheld_columns  # never added up in the open (services.lens.choose)
    numeric = [c for c in lens_service.numeric_columns(version) if c not in withheld]
    measure = request.GET.get("measure", "count")
    column = request.GET.get("column") or None
    if measure not in ("count", "weight", "value") or dataset.records_withheld:
        measure = "count"  # withheld records: counts only (services.lens.choose says why)
    if measure != "count" and column not in numeric:
        measure, column = "count", None
    if measure == "count":
        column = None
    by = request.GET.get("by", "imd-decile")
    if by not in GROUPINGS:
        by = "imd-decile"
    classification = request.GET.get("classes", "fisher_jenks")
    if classification not in CLASSIFICATIONS:
        classification = "fisher_jenks"
    edition = request.GET.get("edition") or None
    authority = request.GET.get("authority", "").strip() or None  # checked by the service
    return {"resources": resources, "authority": authority, "resource": resource, "version": version,
            "numeric": numeric, "measure": measure, "column": column, "by": by,
            "classification": classification, "edition": edition,
            "names": lens_service.measure_names(dataset, numeric),
            "where": lens_service.asked_filters(request.GET.getlist("where")),
            "where_text": "; ".join(v.strip() for v in request.GET.getlist("where") if v.strip())}


def _result(request, dataset, c: dict) -> dict:
    # withheld records: a visitor's filters and measures are refused, not quietly dropped
    lens_service.refuse_controlled(request.user, dataset, asked=c["where"],
                                   measure=request.GET.get("measure") or "count")
    options = lens_service.options_for(dataset, edition=c["edition"],
                                       classification=c["classification"])
    return lens_service.dataset_lens(dataset, c["version"], measure=c["measure"],
                                     column=c["column"], options=options, filters=c["where"],
                                     authority=c["authority"])


def _authorities(dataset) -> list:
    """The package's authorities to choose from (code, name), when it has several and the
    dataset's lens may cover one alone (not under disclosure control)."""
    from commonground.places.authorities import authorities
    from commonground.places.cache import city_state

    try:
        held = authorities(city_state())
    except NotLoaded:
        return []
    if len(held) < 2 or dataset.records_withheld:
        return []
    return [(a.code, a.name) for a in held]


def lens_page(request, name: str):
    dataset = visible_dataset(request, name)
    try:
        c = _choices(request, dataset)
        if c is None:
            feed = next((r for r in dataset.resources.all() if is_feed(r)), None)
            return render(request, "catalogue/lens.html", {
                "dataset": dataset, "result": None,
                "feed_lens": feed.url.rstrip("/") + "/lens/" if feed else None})
        result = _result(request, dataset, c)
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except lens_service.LensError as exc:
        # the choices stay on the page, as typed, so that the user can put them right there
        return render(request, "catalogue/lens.html", {
            "dataset": dataset, "result": None, "c": c, "error": str(exc),
            "where_error": str(exc) if exc.row_filter else None,
            "groupings": GROUPINGS.items(), "classifications": CLASSIFICATIONS.items(),
            "authorities": _authorities(dataset)},
            status=400)
    covered = result.get("authority")
    query = {k: v for k, v in (("resource", str(c["resource"].id)), ("measure", c["measure"]),
                               ("column", c["column"]), ("edition", c["edition"]),
                               ("classes", c["classification"]), ("where", list(c["where"])),
                               ("authority", covered["code"] if covered else None))
             if v}
    whole = {k: v for k, v in query.items() if k != "authority"}
    chosen = result.get("deprivation", {}).get("tables", {}).get(c["by"])
    chart = None
    if chosen:
        label = GROUPINGS[c["by"]][0]
        chart = interval_chart(chosen["rows"], unit=chosen["unit"],
                               title=f"{_cap(result['measure']['label'])} by {label}")
    csv_url = reverse("catalogue:lens_export", args=[dataset.name, "csv"])
    downloads = [(t, f"{csv_url}?{urlencode({**query, 'table': t}, doseq=True)}")
                 for t in table_names(result)]  # the rows are built when downloaded
    return render(request, "catalogue/lens.html", {
        "dataset": dataset, "result": result, "c": c, "chart": chart, "chosen": chosen,
        "by_label": GROUPINGS[c["by"]][0], "groupings": GROUPINGS.items(),
        "classifications": CLASSIFICATIONS.items(), "maps": lens_maps(result),
        "downloads": downloads, "json_url": reverse("catalogue:lens_export", args=[dataset.name, "json"])
        + f"?{urlencode(query, doseq=True)}",
        "api_url": f"/api/catalogue/datasets/{dataset.name}/lens?{urlencode(query, doseq=True)}",
        "cli": _cli(dataset, c, covered), "authorities": _authorities(dataset),
        "whole_url": f"{request.path}?{urlencode(whole, doseq=True)}"})


def lens_export(request, name: str, fmt: str):
    """``lens.json`` (everything, or one ``table``) and ``lens.csv?table=NAME``."""
    if fmt not in ("csv", "json"):
        raise Http404("The lens downloads as csv or json")
    dataset = visible_dataset(request, name)
    try:
        c = _choices(request, dataset)
        if c is None:
            raise Http404("This dataset has no rows linked to places")
        result = _result(request, dataset, c)
    except NotLoaded as exc:
        raise Http404("No city data is loaded") from exc
    except lens_service.LensError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    flat = tables(result)
    table = request.GET.get("table", "")
    if fmt == "json":
        if table:
            if table not in flat:
                return JsonResponse({"error": f"unknown table {table!r}",
                                     "tables": list(flat)}, status=400)
            return json_response({"table": table, "rows": flat[table][1]}, ensure_ascii=True)
        return json_response(result)
    if table not in flat:
        return JsonResponse({"error": "choose a table with ?table=", "tables": list(flat)},
                            status=400)
    columns, rows = flat[table]
    response = _send(csv_chunks(columns, rows), len(rows), "text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}-lens-{table}.csv"'
    return response


#: A lens download of more than this many per-area rows is streamed, written a few thousand
#: rows at a time (England's disparity-areas table: 2 million rows, 356 MB of CSV, would
#: otherwise be held whole, twice, in the web process); a shorter one is sent whole.
STREAM_ROWS = 50_000


def _send(chunks, rows: int, content_type: str) -> HttpResponse | StreamingHttpResponse:
    if rows > STREAM_ROWS:
        return StreamingHttpResponse(chunks, content_type=content_type)
    return HttpResponse("".join(chunks), content_type=content_type)


def json_response(obj, *, ensure_ascii: bool = False, cls=DjangoJSONEncoder,
                  content_type: str = "application/json"):
    """``obj`` (a lens result or table, its per-area rows kept as columns) as the JSON text
    ``JsonResponse`` (``cls``, ``ensure_ascii``) gives, streamed when it is long."""
    return _send(iter_json(obj, ensure_ascii=ensure_ascii, cls=cls), rows_in(obj),
                 content_type)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cli(dataset, c: dict, covered: dict | None = None) -> str:
    """The command line that prints the same lens."""
    words = ["commonground", "lens", dataset.name, "--by", c["by"]]
    if covered:
        words += ["--authority", covered["code"]]
    if c["measure"] != "count":
        words += ["--measure", c["measure"], "--column", c["column"]]
    for text in c["where"]:
        words += ["--where", text]
    return shlex.join(words)
