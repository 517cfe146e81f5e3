"""Solar estimates as JSON (django-ninja, mounted at ``/api/energy``)."""

from __future__ import annotations

from ninja import Query, Router, Schema
from ninja.errors import HttpError

from . import services

router = Router(tags=["energy"])


class HomeParams(Schema):
    postcode: str
    area_m2: float
    orientation: str = "S"
    pitch: str = "typical"
    shading: str = "none"
    tenure: str = "own"
    area_from_outline: bool = False


@router.get("/home", summary="Rooftop solar for one home: size, generation, money, carbon")
def home(request, params: Query[HomeParams]):
    """``orientation``: N, NE, E, SE, S, SW, W, NW or degrees from north; ``pitch``: degrees or
    ``typical`` (35°); ``shading``: none, some or heavy; ``tenure``: own or rent. Any
    assumption (e.g. ``retail_p_per_kwh=24.5``) can be given as a query parameter; the answer
    lists every assumption with its source. Errors: 400, ``detail`` names the field."""
    assumptions = {name: request.GET[name] for name in services.ASSUMPTION_LABELS
                   if name in request.GET}
    try:
        return services.home_estimate(params.postcode, params.area_m2, params.orientation,
                                      params.pitch, params.shading, params.tenure,
                                      area_from_outline=params.area_from_outline,
                                      assumptions=assumptions)
    except services.HomeInputError as exc:
        raise HttpError(400, f"{exc} (field: {exc.field})") from exc


@router.get("/neighbourhoods", summary="Own-roof solar per neighbourhood: who is shut out")
def neighbourhoods(request):
    """Per LSOA: households, in houses and in flats, owner-occupier share, own-roof households
    (houses × owner share), households and residents shut out; with the share shut out by
    IMD decile and quintile (the lens) and the plain-words summary."""
    from .neighbourhoods import NoCensusTables, neighbourhood_potential

    try:
        result = neighbourhood_potential()
    except NoCensusTables as exc:
        raise HttpError(503, str(exc)) from exc
    return {k: v for k, v in result.items() if k != "map"}


@router.get("/buildings", summary="Community buildings ranked for community-owned solar")
def buildings(request, by: str = "need"):
    """Schools, GP practices, libraries, large roofs and groups' own lists: each with its roof
    estimate when the footprint is known (kWp, kWh a year, tonnes CO2e a year) and the need
    nearby (residents within 800 m, share in the most deprived fifth of England).
    ``by``: ``need`` (default) or ``generation``."""
    from .buildings import candidates, ranked

    if by not in ("need", "generation"):
        raise HttpError(400, "by must be need or generation")
    return {"by": by, "buildings": ranked(candidates(), by)}


class OptionParams(Schema):
    postcode: str
    tenure: str
    home: str
    low_income: bool = False


@router.get("/options", summary="Energy offers open to a resident, ranked, with reasons")
def options(request, params: Query[OptionParams]):
    """``tenure``: own or rent; ``home``: house or flat; ``low_income``: true or false. Each
    option says why it fits ("you rent: community shares from £50 let you own part of ...").
    Registering interest needs consent and is done on the page."""
    from . import offers

    try:
        return offers.options(params.postcode, params.tenure, params.home, params.low_income)
    except services.HomeInputError as exc:
        raise HttpError(400, f"{exc} (field: {exc.field})") from exc


@router.get("/reach", summary="Who is signing up: registrations by deprivation and tenure")
def reach(request):
    """Registrations of interest per IMD group (the lens, with its slope index) and per fifth
    of neighbourhoods by the share of households that own their home. Records about people:
    counts below the disclosure threshold, and any that would reveal one, are null."""
    from .reach import reach as reach_result

    result = reach_result()
    lens = result["lens"]
    return {"threshold": result["threshold"], "words": lens["words"],
            "deprivation": lens.get("deprivation"), "tenure": result["tenure"],
            "disclosure": lens.get("disclosure")}
