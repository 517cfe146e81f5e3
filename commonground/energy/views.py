"""Community energy pages (thin: parse, call ``services``, render)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache

from commonground.accounts import ratelimit
from commonground.activity import formparts, sections
from commonground.activity.inputs import FieldError
from commonground.catalogue.access import can_create_in, publishing_organisations
from commonground.places.cache import NotLoaded
from commonground.solar.buildings import (
    FLAT_ROOF_PITCH_DEG,
    FLAT_ROOF_USABLE_FRACTION,
    building_potential,
)

from . import access, offers, services
from .buildings import RADIUS_M, candidates, find, ranked
from .forms import OfferForm
from .models import Interest, Offer
from .neighbourhoods import NoCensusTables, neighbourhood_potential
from .reach import reach

FIELDS = ("postcode", "area_m2", "orientation", "pitch", "shading", "tenure", "home_type",
          "storeys")
#: The largest roof footprint a building page accepts, m² (the largest warehouses in the
#: data are under 100,000 m²).
MAX_FOOTPRINT_M2 = 500_000.0


def index(request):
    return render(request, "energy/index.html")


#: The largest PVGIS TMY upload accepted, bytes (a year of hourly CSV is about 0.5 MB).
MAX_TMY_BYTES = 5 * 1024 * 1024


def home(request):
    """"My home": the form, and the estimate under it once it is filled in (GET, no JS).
    A POST with a PVGIS TMY file re-runs the same estimate with that weather."""
    data = request.POST if request.method == "POST" else request.GET
    upload = request.FILES.get("weather_file") if request.method == "POST" else None
    lsoa = data.get("lsoa", "")
    asked = "postcode" in data and ("area_m2" in data or "home_type" in data)
    tmp = None
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
               "tenure": services.TENURE, "home_types": services.HOME_TYPES,
               "errors": {}, "result": None, "lsoa": lsoa}
    status = 200
    if asked:
        try:
            if upload is not None:
                tmp = _saved_upload(upload)
            context["result"] = services.home_estimate(
                values["postcode"], values["area_m2"], values["orientation"], values["pitch"],
                values["shading"], values["tenure"], area_from_outline=outline,
                assumptions=edited, lsoa=lsoa, weather_file=tmp,
                home_type=values["home_type"], storeys=values["storeys"])
            context["options_query"] = _options_query(context["result"], values["tenure"])
            context["used"] = [
                {"label": services.ASSUMPTION_LABELS[name][0],
                 "unit": services.ASSUMPTION_LABELS[name][1], **a}
                for name, a in context["result"]["estimate"]["assumptions"].items()]
        except services.HomeInputError as exc:
            context["errors"] = {exc.field: str(exc)}
            status = 400
        except NotLoaded:
            return render(request, "places/not_loaded.html", status=503)
        finally:
            if tmp is not None:
                tmp.unlink(missing_ok=True)
    context["query"] = data.urlencode() if request.method == "GET" else ""
    context["hidden"] = [(k, v) for k, v in data.items()
                         if k not in ("csrfmiddlewaretoken", "weather_file")]
    try:
        context["map"] = services.neighbourhood_map(lsoa)
        context["neighbourhoods"] = services.neighbourhood_choices(lsoa)
        if lsoa:
            context["lsoa_name"] = services.neighbourhood_place(lsoa)["name"]
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    except services.HomeInputError as exc:
        context["errors"] = {exc.field: str(exc)}
        status = 400
    return render(request, "energy/home.html", context, status=status)


def _options_query(result: dict, tenure: str) -> str:
    """The estimate's answers for the options page, so it does not ask them again."""
    answers = {"postcode": result["place"]["postcode"], "tenure": tenure,
               "home": result["offer_home"]}
    return urlencode({k: v for k, v in answers.items() if v})


#: A city's neighbourhoods fit on one page; a region's or a country's are paged.
NEIGHBOURHOODS_PER_PAGE = 500


def neighbourhoods(request):
    """Who can put solar panels on their own roof, and who is shut out, per neighbourhood."""
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
    page = Paginator(rows, NEIGHBOURHOODS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "energy/neighbourhoods.html", {"r": result, "rows": page.object_list,
                                                          "page": page, "order": order})


def buildings(request):
    """Community buildings ranked for community-owned solar: roof potential and need nearby."""
    try:
        rows = candidates()
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    by = "generation" if request.GET.get("by") == "generation" else "need"
    kind = request.GET.get("dataset", "")
    datasets = sorted({(r["dataset"], r["dataset_title"]) for r in rows})
    shown = [r for r in rows if not kind or r["dataset"] == kind]
    return render(request, "energy/buildings.html", {
        "rows": ranked(shown, by), "by": by, "kind": kind, "datasets": datasets,
        "radius": int(RADIUS_M), "with_roof": sum(1 for r in shown if r["potential"])})


def building(request, dataset: str, row_id: int):
    """One candidate building: its roof (known, or entered here) and the need around it."""
    try:
        row = find(dataset, row_id)
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    if row is None:
        raise Http404("No such building")
    potential, error = row["potential"], None
    entered = request.GET.get("footprint_m2", "").strip()
    if entered:
        try:
            area = float(entered)
            if not 0 < area <= MAX_FOOTPRINT_M2:
                raise ValueError(entered)
            potential = building_potential(area).as_dict()
        except ValueError:
            error = (f"Roof area: enter the footprint in square metres, a positive number up "
                     f"to {MAX_FOOTPRINT_M2:,.0f}; got “{entered[:40]}”")
    return render(request, "energy/building.html", {
        "b": row, "potential": potential, "entered": entered, "error": error,
        "radius": int(RADIUS_M), "pitch": FLAT_ROOF_PITCH_DEG,
        "usable": FLAT_ROOF_USABLE_FRACTION}, status=400 if error else 200)


def options(request):
    """The offers open to a resident, ranked with reasons, each with a form to register."""
    data = request.GET
    values = {"postcode": data.get("postcode", ""), "tenure": data.get("tenure", ""),
              "home": data.get("home", ""), "low_income": data.get("low_income") == "1"}
    # answers carried from the estimate (or an earlier visit): shown, not asked again
    known = bool(values["postcode"]) and values["tenure"] in offers.TENURES \
        and values["home"] in offers.HOMES
    context = {"values": values, "result": None, "errors": {}, "known": known}
    status = 200
    if values["postcode"]:
        try:
            context["result"] = offers.options(**values)
        except services.HomeInputError as exc:
            context["errors"] = {exc.field: str(exc)}
            status = 400
        except NotLoaded:
            return render(request, "places/not_loaded.html", status=503)
    return render(request, "energy/options.html", context, status=status)


def register(request, offer_id: int):
    """POST: store an interest (only with consent) and email its link to the address given;
    then say so, on the same page whether or not the address was registered already.
    Rate-limited per client address and per email address (HTTP 429)."""
    if request.method != "POST":
        return redirect("energy:options")
    p = request.POST
    values = {"postcode": p.get("postcode", ""), "tenure": p.get("tenure", ""),
              "home": p.get("home", ""), "low_income": p.get("low_income") == "1"}
    try:  # per address asking, and per email address (no flooding anyone's inbox)
        ratelimit.check("register interest", ratelimit.client_address(request))
        ratelimit.check("register interest", "email:" + p.get("email", "").strip().lower())
        try:  # the optional questions other apps add (who takes part): checked first
            about = formparts.read("interest", p)
        except FieldError as exc:
            raise services.HomeInputError(exc.field, str(exc)) from None
        interest, new = offers.register_interest(
            offer_id, **values, name=p.get("name", ""), email=p.get("email", ""),
            phone=p.get("phone", ""), consent=p.get("consent") == "1")
        if new:  # a second registration changes nothing, its answers included
            about.save(person=("email", interest.email), thing=("offer", str(offer_id)),
                       place=interest.lsoa_code)
    except ratelimit.RateLimited as exc:
        return _options_with_error(request, offer_id, values, "limited", str(exc), 429)
    except services.HomeInputError as exc:
        return _options_with_error(request, offer_id, values, exc.field, str(exc), 400)
    return redirect("energy:registered", offer_id=offer_id)  # no resubmission on refresh


def _options_with_error(request, offer_id: int, values: dict, field: str, message: str,
                        status: int):
    """The options page again, the offer's form open with what was entered, and the error."""
    try:
        result = offers.options(**values)
    except services.HomeInputError:
        result = None  # the circumstances themselves were wrong: the form says which
    return render(request, "energy/options.html", {
        "values": values, "result": result, "errors": {field: message},
        "failed_offer": offer_id, "entered": request.POST}, status=status)


def registered(request, offer_id: int):
    """After registering: the link is in the person's email (the page never shows it). A
    closed offer is a 404 but to those who see it (``access.can_see_offer``), as everywhere."""
    offer = get_object_or_404(Offer.objects.select_related("organisation"), pk=offer_id)
    if not access.can_see_offer(request.user, offer):
        raise Http404("No such offer")
    return render(request, "energy/registered.html", {"offer": offer})


@never_cache
def interest(request, token: str):
    """The person's own registration, reached only through the link emailed to them: see it,
    or delete it (POST). Never cached."""
    found = Interest.objects.filter(token=token).select_related("offer__organisation").first()
    if request.method == "POST" and request.POST.get("delete") == "1":
        if found is not None:
            found.delete()
        return render(request, "energy/interest.html", {"deleted": True})
    if found is None:
        raise Http404("No such registration: it may have been deleted")
    return render(request, "energy/interest.html", {"interest": found})


@never_cache
def provider(request):
    """What an organisation's members see: interest in their offers, group-purchase flags."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    rows = offers.provider_view(request.user)
    for row in rows:  # what other apps add about an offer (who has registered, for instance)
        row["sections"] = sections.for_page("offer", request, offer=row["offer"])
    return render(request, "energy/provider.html", {"rows": rows})


def reach_page(request):
    """Who is signing up: registrations by deprivation and by tenure of the area (public,
    small counts hidden)."""
    try:
        result = reach()
    except NotLoaded:
        return render(request, "places/not_loaded.html", status=503)
    lens = result.get("lens") or {}  # none before the first milestone
    return render(request, "energy/reach.html", {
        "r": result, "lens": lens,
        "quintiles": (lens.get("deprivation") or {}).get("tables", {}).get("imd-quintile")})


def offer_edit(request, offer_id: int | None = None):
    """Publish or change an offer: editors of the offering organisation only."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    offer = get_object_or_404(Offer, pk=offer_id) if offer_id else None
    if offer is not None and not access.can_see_offer(request.user, offer):
        raise Http404("No such offer")  # a closed offer of others: as if it never was
    if offer is not None and not can_create_in(request.user, offer.organisation):
        raise PermissionDenied("Only editors of the offering organisation change its offers.")
    if not publishing_organisations(request.user).exists():
        raise PermissionDenied("Only editors of an organisation publish offers.")
    form = OfferForm(request.POST or None, instance=offer, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect("energy:provider")
    return render(request, "energy/offer_form.html", {"form": form, "offer": offer},
                  status=400 if request.method == "POST" else 200)


def _saved_upload(upload):
    """A PVGIS TMY upload in a temporary file (the caller deletes it); too big: refused."""
    if upload.size > MAX_TMY_BYTES:
        raise services.HomeInputError(
            "weather_file", f"Weather file: at most {MAX_TMY_BYTES // (1024 * 1024)} MB; a "
                            "year of hourly PVGIS data is about half a megabyte")
    suffix = Path(upload.name).suffix.lower()[:8] or ".csv"
    with tempfile.NamedTemporaryFile(delete=False, suffix=suffix) as f:
        for chunk in upload.chunks():
            f.write(chunk)
    return Path(f.name)
