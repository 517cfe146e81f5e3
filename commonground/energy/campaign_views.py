"""Where to knock first: the page (``/energy/heat/campaign/``, a GET form of weights) and its
CSV (``/energy/heat/campaign.csv``). Thin: ``campaign`` ranks, the page and the CSV show it.

A bad weight answers 400 naming it, and changes nothing: the page shows the weights as typed
beside the message, and the ranking with the default weights, said so. A factor the city's
data lacks is left out and said so; data with none of the four answers 404, saying why."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from commonground.places.cache import NotLoaded

from .campaign import FACTORS, NoFactors, WeightError, campaign, csv_text

ROWS_SHOWN = 300  # rows on the page; the CSV holds every area


def _given(request) -> dict:
    return {f.key: request.GET.get(f.key) for f in FACTORS}


def campaign_page(request):
    given, geography = _given(request), request.GET.get("geography", "")
    errors, status = {}, 200
    try:
        try:
            result = campaign(given, geography)
        except WeightError as exc:
            errors, status = {exc.field: exc.message}, 400
            result = campaign({}, "")
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except NoFactors as exc:
        return render(request, "energy/campaign.html", {"error": str(exc)}, status=404)
    typed = {k: ("" if v is None else v) for k, v in given.items()}
    fields = [{"key": f["key"], "label": f["label"], "unit": f["unit"], "meaning": f["meaning"],
               "value": typed[f["key"]] if errors else f["weight"],
               "default": result["defaults"][f["key"]], "error": errors.get(f["key"])}
              for f in result["factors"]]
    return render(request, "energy/campaign.html", {
        "r": result, "fields": fields, "errors": errors, "rows": result["rows"][:ROWS_SHOWN],
        "more": max(0, len(result["rows"]) - ROWS_SHOWN),
        "chosen_geography": geography if errors else result["geography"]}, status=status)


def campaign_csv(request):
    try:
        result = campaign(_given(request), request.GET.get("geography", ""))
    except WeightError as exc:
        return HttpResponse(f"{exc}\n", status=400, content_type="text/plain; charset=utf-8")
    except NotLoaded:
        return HttpResponse("The city's data is not loaded yet.\n", status=503,
                            content_type="text/plain; charset=utf-8")
    except NoFactors as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(csv_text(result), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (f'attachment; filename="where-to-knock-first-'
                                       f'{result["geography"]}.csv"')
    return response
