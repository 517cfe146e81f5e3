"""Community energy pages (thin: parse, call ``services``, render)."""

from __future__ import annotations

from django.shortcuts import render

from commonground.places.cache import NotLoaded

from . import services

FIELDS = ("postcode", "area_m2", "orientation", "pitch", "shading", "tenure")


def home(request):
    """"My home": the form, and the estimate under it once it is filled in (GET, no JS)."""
    data = request.GET
    asked = "postcode" in data
    values = {f: data.get(f, "") for f in FIELDS}
    values.setdefault("pitch", "typical")
    values["pitch"] = values["pitch"] or "typical"
    values["shading"] = values["shading"] or "none"
    values["tenure"] = values["tenure"] or "own"
    values["orientation"] = values["orientation"] or "S"
    outline = data.get("area_from_outline") == "1"
    assumptions = services.default_assumptions()
    edited = {a["name"]: data.get(a["name"]) for a in assumptions
              if data.get(a["name"]) not in (None, "")}
    for a in assumptions:
        a["shown"] = edited.get(a["name"], "" if a["value"] is None else a["value"])
    context = {"values": values, "outline": outline, "assumptions": assumptions,
               "orientations": services.ORIENTATION_CHOICES, "shading": services.SHADING,
               "tenure": services.TENURE, "errors": {}, "result": None}
    status = 200
    if asked:
        try:
            context["result"] = services.home_estimate(
                values["postcode"], values["area_m2"], values["orientation"], values["pitch"],
                values["shading"], values["tenure"], area_from_outline=outline,
                assumptions=edited)
        except services.HomeInputError as exc:
            context["errors"] = {exc.field: str(exc)}
            status = 400
        except NotLoaded:
            return render(request, "places/not_loaded.html", status=503)
    return render(request, "energy/home.html", context, status=status)


def neighbourhoods(request):
    """Who can put solar panels on their own roof, and who is shut out, per neighbourhood."""
    from .neighbourhoods import NoCensusTables, neighbourhood_potential

    try:
        result = neighbourhood_potential()
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except NoCensusTables as exc:
        return render(request, "energy/neighbourhoods.html", {"error": str(exc)}, status=503)
    order = request.GET.get("sort", "shut_out_share")
    if order not in ("shut_out_share", "residents_shut_out", "name"):
        order = "shut_out_share"
    rows = sorted(result["areas"], key=lambda r: (r[order] is None, r[order]),
                  reverse=order != "name")
    return render(request, "energy/neighbourhoods.html", {"r": result, "rows": rows,
                                                          "order": order})
