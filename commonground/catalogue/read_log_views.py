"""The read log of a dataset, for its organisation's editors: every read of its restricted
rows (``RowRead``), newest first, as a paged page and as ``reads.csv``. Anyone who cannot
see the dataset gets a 404, anyone else who is not an editor a 403.

The CSV is built from the same rows as the page (:func:`read_rows`); its text is neutralised
against spreadsheet formulas as ``datastore.export`` does (OWASP CSV injection: a leading
``=``, ``+``, ``-``, ``@``, tab or carriage return gets a ``'``)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.shortcuts import render

from commonground.datastore.export import FORMULA_START

from .access_models import RowRead
from .key_views import editable_dataset
from .models import Dataset

#: Reads on a page of the read log.
PAGE_SIZE = 50
CSV_COLUMNS = ["at", "who", "user_id", "channel", "resource_id", "resource", "version",
               "detail", "rows", "grant_id", "key"]


def reads_of(dataset: Dataset):
    return (RowRead.objects.filter(dataset=dataset).select_related("resource__dataset", "key")
            .order_by("-at", "-pk"))


def read_rows(reads) -> Iterator[list]:
    """One list of :data:`CSV_COLUMNS` per read."""
    for read in reads:
        yield [read.at.isoformat(), read.who, read.user_id, read.channel,
               str(read.resource_id) if read.resource_id else None,
               read.resource.name if read.resource_id else None, read.version_number,
               read.detail, read.rows, read.grant_id,
               f"{read.key.prefix}…" if read.key_id else None]


def _neutral(value):
    """Text a spreadsheet would read as a formula gets a leading ``'``; None is empty."""
    if value is None:
        return ""
    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def read_log(request, name: str):
    dataset = editable_dataset(request, name)
    paginator = Paginator(reads_of(dataset), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "catalogue/read_log.html", {
        "dataset": dataset, "page": page, "total": paginator.count})


@login_required
def read_log_csv(request, name: str):
    dataset = editable_dataset(request, name)
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    lines = (writer.writerow([_neutral(v) for v in row])
             for row in read_rows(reads_of(dataset).iterator(chunk_size=2000)))
    response = StreamingHttpResponse(
        (line for part in ([writer.writerow(CSV_COLUMNS)], lines) for line in part),
        content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}-reads.csv"'
    response["Cache-Control"] = "no-store"
    return response
