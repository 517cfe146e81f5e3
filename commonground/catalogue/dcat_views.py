"""``/catalog.jsonld`` (any of the three formats, by ``Accept``), ``/catalog.ttl`` and
``/catalog.rdf``: the DCAT-AP catalogue (``dcat.py``) for harvesters."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from . import dcat, dcat_graph


@require_safe
def catalog(request, fmt: str = "jsonld"):
    if fmt not in dcat_graph.FORMATS:
        raise Http404("Unknown catalogue format")
    if fmt == "jsonld":  # the historic address answers in the format asked for
        fmt = dcat_graph.negotiate(request)
    body = dcat_graph.serialise(dcat.catalog(request), fmt)
    media_type, _ = dcat_graph.FORMATS[fmt]
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["Vary"] = "Accept"
    return response
