"""Pages of "who each scheme leaves out": every offer and national scheme
(``/energy/left-out/``), one offer's (``/energy/left-out/offers/<id>/``) and one scheme's
(``/energy/left-out/schemes/<key>/``), each for the whole city or ``?area=<code>``. Thin: the
service (``left_out``) computes, the page shows. A closed offer is a 404 to anyone who may not
see it (``access.can_see_offer``), as a missing one is."""

from __future__ import annotations

from datetime import date

from django.http import Http404
from django.shortcuts import render

from commonground.places.cache import NotLoaded
from commonground.places.records import AreaNotFound

from . import left_out


def index(request):
    """Every offer the visitor may see and every national scheme, with whom each leaves out."""
    try:
        result = left_out.index(request.user, request.GET.get("area", ""))
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except left_out.NoLeftOutData as exc:
        return render(request, "energy/left_out_index.html", {"error": str(exc)}, status=503)
    except AreaNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "energy/left_out_index.html", {"r": result})


def offer(request, offer_id: int):
    found = left_out.offer_for(request.user, offer_id)
    if found is None:
        raise Http404("No such offer")
    return _page(request, left_out.offer_eligibility(found))


def scheme(request, key: str):
    found = left_out.scheme_eligibilities(date.today()).get(key)
    if found is None:
        raise Http404(f"No national scheme {key!r}")
    return _page(request, found)


def _page(request, eligibility):
    try:
        result = left_out.left_out(eligibility, request.GET.get("area", ""))
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except left_out.NoLeftOutData as exc:
        return render(request, "energy/left_out.html", {"error": str(exc)}, status=503)
    except AreaNotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "energy/left_out.html", {"r": result, "api": _api(result)})


def _api(r: dict) -> str:
    path = (f"/api/energy/left-out/offers/{r['key']}" if r["kind"] == "offer"
            else f"/api/energy/left-out/schemes/{r['key']}")
    return path + (f"?area={r['area']['code']}" if r["area"]["code"] else "")
