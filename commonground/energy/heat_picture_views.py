"""Pages of the heat picture: the city's (``/energy/heat/``: figures, maps, the lens) and one
area's (``/energy/heat/<geography>/<code>/``). Thin: the service computes, the page shows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render

from commonground.places.cache import NotLoaded
from commonground.places.records import AreaNotFound

from .heat_picture import NoHeatData, area_picture, overview

AREAS_PER_PAGE = 200  # neighbourhoods listed per page, fuel poverty's share first


def heat(request):
    """The city's heat picture: fuel poverty, heating, homes and tenure; maps; the lens."""
    try:
        result = overview()
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except NoHeatData as exc:  # none of the picture's parts held: say why
        return render(request, "energy/heat_picture.html", {"error": str(exc)}, status=404)
    by = "fuel_poor_share" if result["totals"]["fuel_poverty"] else "electric_or_none_share"
    rows = sorted(result["areas"], key=lambda r: (r[by] is None, -(r[by] or 0)))
    page = Paginator(rows, AREAS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "energy/heat_picture.html", {"r": result, "p": result["totals"],
                                                        "rows": page.object_list, "page": page})


def heat_area(request, geography: str, code: str):
    """One area's heat picture (an LSOA, MSOA, ward or the authority)."""
    try:
        picture = area_picture(geography, code)
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except NoHeatData as exc:  # none of the picture's parts held: say why
        return render(request, "energy/heat_picture.html", {"error": str(exc)}, status=404)
    except AreaNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "energy/heat_area.html", {"a": picture, "p": picture})
