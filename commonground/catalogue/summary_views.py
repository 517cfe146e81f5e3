"""The open summary of a dataset whose rows are withheld: its section on the resource page
and its CSV per geography (thin: the numbers are ``services.open_summary``'s)."""

from __future__ import annotations

import csv
import io
import re

from django.http import Http404, HttpResponse
from django.urls import reverse

from commonground.datastore.export import FORMULA_START
from commonground.places.cache import NotLoaded

from .models import Dataset, Version
from .services.open_summary import csv_rows, has_open_summary, open_summary
from .views import visible_resource


def summary_section(user, dataset: Dataset, version: Version | None) -> dict | None:
    """The section's context (``None``: no section): the live version's tables, each with its
    CSV's address."""
    if version is None or not has_open_summary(dataset) or (
            version.pk != version.resource.current_version_id):
        return None
    try:
        summary = open_summary(user, version)
    except (LookupError, NotLoaded):
        return None
    tables = [{"table": g, "csv": reverse("catalogue:summary_csv", args=[
        dataset.name, version.resource_id, g.geography])} for g in summary.geographies]
    return {"summary": summary, "tables": tables}


def summary_csv(request, name: str, resource_id, geography: str):
    dataset, resource = visible_resource(request, name, resource_id)
    version = resource.current_version
    if version is None or not has_open_summary(dataset):
        raise Http404("This dataset has no open summary: its rows are open, or it has none yet.")
    try:
        summary = open_summary(request.user, version)
    except NotLoaded:
        raise Http404("The city's places are not loaded.") from None
    table = summary.of(geography)
    if table is None:
        known = ", ".join(g.geography for g in summary.geographies) or "none"
        raise Http404(f"No open summary per {geography!r}; this dataset's: {known}.")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([[_neutral(v) for v in row] for row in csv_rows(table)])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="{dataset.name}-rows-per-'
                                       f'{table.geography}.csv"')
    return response


def _neutral(value):
    """A text cell a spreadsheet would run as a formula, made plain text."""
    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value
