"""A dataset as a Frictionless Data Package: ``/datasets/<name>/datapackage.json``.

The descriptor (https://specs.frictionlessdata.io/data-package/) lists the live version of
each resource as its CSV download, by a path relative to the descriptor
(``resources/<id>/v<n>/download.csv``), with a Table Schema of the columns that download
holds for this reader (the data columns within their access: withheld columns are in
neither) and the dataset's licence. A reader who may read no row (records about people, a
dataset restricted as a whole) is refused as the downloads are, so ``frictionless validate``
on the descriptor checks exactly the files the reader gets.
"""

from __future__ import annotations

import pyarrow.parquet as pq
from django.http import JsonResponse
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from commonground.datastore import export, storage
from commonground.datastore.layout import data_columns
from commonground.datastore.scope import visible_columns

from .licences import licence
from .version_views import _records
from .views import visible_dataset

#: The Data Package profile the descriptor follows.
PROFILE = "tabular-data-package"


@require_safe
def datapackage(request, name: str):
    dataset = visible_dataset(request, name)
    rows = _records(request, dataset)  # 403, saying why, when no row may be read
    return JsonResponse(describe(request, dataset, rows.scope),
                        json_dumps_params={"ensure_ascii": False, "indent": 1})


def describe(request, dataset, scope) -> dict:
    """The Data Package descriptor of ``dataset`` for a reader within ``scope``."""
    chosen = licence(dataset.licence)
    package = {
        "profile": PROFILE, "name": dataset.name, "title": dataset.title,
        "homepage": request.build_absolute_uri(dataset.get_absolute_url()),
        "licenses": [{"name": chosen.id, "title": chosen.title,
                      **({"path": chosen.url} if chosen.url else {})}],
        "resources": [],
    }
    if dataset.notes:
        package["description"] = dataset.notes
    folder = reverse("catalogue:dataset", args=[dataset.name])
    taken: set[str] = set()
    for resource in dataset.resources.select_related("current_version"):
        version = resource.current_version
        if version is None:
            continue
        names = pq.read_schema(version.parquet_path,
                               filesystem=storage.filesystem_for(version.parquet_path)).names
        columns = data_columns(visible_columns(scope, names))
        if not columns:
            continue
        url = reverse("catalogue:download", args=[dataset.name, resource.id, version.number,
                                                  "csv"])
        package["resources"].append({
            "profile": "tabular-data-resource", "name": _unique(resource.name, taken),
            "title": resource.name, "path": url.removeprefix(folder),
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": export.table_schema(version.parquet_path, columns)})
    return package


def _unique(title: str, taken: set[str]) -> str:
    """A resource name as the spec wants it (lower case, digits, ``-._``), unique in the
    package."""
    base = slugify(title)[:60] or "resource"
    out, n = base, 1
    while out in taken:
        n += 1
        out = f"{base}-{n}"
    taken.add(out)
    return out
