"""HTML pages for places. Thin: parse the request, call a use case, render its dictionary.
Other apps' sections of a place's page (the datasets with rows there) come from
``activity.sections``."""

from __future__ import annotations

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import render

from commonground.activity import sections
from commonground.geography.codes import geography_label

from . import authorities, profiles, search, summary
from .cache import NotLoaded, city_state
from .maps import city_map


def _not_loaded(request, exc):
    return render(request, "places/not_loaded.html", {"message": str(exc)}, status=503)


#: The home page lists a city's wards; a region's or a country's thousands are found by search.
MAX_LISTED_WARDS = 300


def home(request):
    try:
        state = city_state()
    except NotLoaded as exc:
        return _not_loaded(request, exc)
    every_ward = state.by_geography.get("ward", [])
    wards = [profiles.area_ref(a) for a in sorted(every_ward, key=lambda a: a.name)] \
        if len(every_ward) <= MAX_LISTED_WARDS else []
    several = authorities.authorities(state)
    several = [profiles.area_ref(a) for a in sorted(several, key=lambda a: a.name)] if len(several) > 1 else []
    return render(request, "places/home.html", {"map": city_map(state=state), "wards": wards,
                                                "ward_count": len(every_ward),
                                                "authorities": several, "run": state.run})


def search_page(request):
    q = request.GET.get("q", "").strip()
    try:
        result = search.search_areas(q) if q else None
    except NotLoaded as exc:
        return _not_loaded(request, exc)
    if result and result.best:
        return HttpResponseRedirect(result.best["url"])
    return render(request, "places/search.html", {"q": q, "result": result},
                  status=200 if (result is None or result.areas or result.postcode) else 404)


def lookup_page(request):
    """``/places/lookup?lat=..&lon=..``: go to the neighbourhood at a point."""
    errors = {}
    values = {}
    for name, low, high in (("lat", -90, 90), ("lon", -180, 180)):
        raw = request.GET.get(name, "").strip()
        try:
            values[name] = float(raw)
            if not low <= values[name] <= high:
                errors[name] = f"must be a number between {low} and {high}"
        except ValueError:
            errors[name] = "must be a number, e.g. 52.04" if name == "lat" else "must be a number, e.g. -0.76"
    if not errors:
        try:
            found = search.areas_at(values["lat"], values["lon"])
            return HttpResponseRedirect(found["base"]["url"])
        except search.OutsideCity as exc:
            errors["point"] = str(exc)
        except NotLoaded as exc:
            return _not_loaded(request, exc)
    return render(request, "places/lookup.html", {"errors": errors, "lat": request.GET.get("lat", ""),
                                                  "lon": request.GET.get("lon", "")}, status=422)


def area_page(request, geography: str, code: str):
    try:
        state = city_state()
        profile = profiles.area_profile(geography, code, state)
    except NotLoaded as exc:
        return _not_loaded(request, exc)
    except profiles.AreaNotFound as exc:
        return render(request, "places/not_found.html", {"message": str(exc)}, status=404)
    return render(request, "places/area.html", {
        "p": profile, "summary": summary.describe(profile), "plain": summary.labelled(profile),
        "map": city_map((geography, code), state=state, id_prefix="areamap"),
        "geography_label": geography_label(geography),
        "sections": sections.for_page("place", request, geography=geography, code=code)})


def data_page(request):
    """Where every number comes from, and how the files agree with each other."""
    try:
        state = city_state()
    except NotLoaded as exc:
        return _not_loaded(request, exc)
    from .models import DataSource

    return render(request, "places/data.html", {"run": state.run, "sources": DataSource.objects.all(),
                                                "mismatches": state.run.mismatches[:500]})


def not_found(request, exception=None):
    """No page at this address: a page, or under /api/ a JSON error as the API's others are."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not Found: no API operation at this address."},
                            status=404)
    return render(request, "places/not_found.html",
                  {"message": "There is no page at this address."}, status=404)
