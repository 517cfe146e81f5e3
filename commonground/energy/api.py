"""Solar estimates as JSON (django-ninja, mounted at ``/api/energy``)."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apierrors import errors
from commonground.solar.homes import HOME_KINDS, MAX_STOREYS
from commonground.solar.roof import MAX_ROOF_AREA_M2, ORIENTATIONS, SHADING_FACTORS

from . import campaign_api, heat_api, heat_picture_api, left_out_api, offers, services

router = Router(tags=["energy"])
heat_picture_api.add_routes(router)
heat_api.add_routes(router)  # /heat/options: a home's heat options
campaign_api.add_routes(router)  # /heat/campaign: where to knock first
left_out_api.add_routes(router)  # /left-out: who each offer and scheme leaves out

# The services check these inputs themselves, so a resident's form and the API get the same
# message naming the field (400); the document says what they accept. A postcode shaped like
# one but not the city's answers 404.
POSTCODE_PATTERN = r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"


def _postcode():
    return Field(..., description="A postcode of the city, e.g. MK9 3EJ",
                 json_schema_extra={"pattern": POSTCODE_PATTERN})


def _either(*choices: dict):
    """``json_schema_extra`` for a text parameter that is one of ``choices`` (schemas)."""
    def edit(schema: dict) -> None:
        schema.pop("type", None)
        schema["anyOf"] = list(choices)
    return edit


class HomeParams(Schema):
    postcode: str = _postcode()
    area_m2: float | None = Field(None, description="One side of the roof, m²; leave out to "
                                  "use the typical roof of home_type", json_schema_extra={
                                      "exclusiveMinimum": 0, "maximum": MAX_ROOF_AREA_M2})
    home_type: str = Field("", description="The kind of home, for a typical roof",
                           json_schema_extra={"enum": ["", *HOME_KINDS]})
    storeys: int | None = Field(None, ge=1, le=MAX_STOREYS,
                                description="Floors in the building (blank: the kind's usual)")
    orientation: str = Field("S", json_schema_extra=_either(
        {"enum": list(ORIENTATIONS)}, {"type": "number", "minimum": -360, "maximum": 360}))
    pitch: str = Field("typical", json_schema_extra=_either(
        {"enum": ["typical"]}, {"type": "number", "minimum": 0, "maximum": 90}))
    shading: str = Field("none", json_schema_extra={"enum": list(SHADING_FACTORS)})
    tenure: str = Field("own", json_schema_extra={"enum": [k for k, _ in services.TENURE]})
    area_from_outline: bool = False


def _refused(exc: services.HomeInputError) -> HttpError:
    """404 for a postcode the city does not have; 400 for any other input it cannot use."""
    status = 404 if isinstance(exc, services.PostcodeNotFound) else 400
    return HttpError(status, f"{exc} (field: {exc.field})")


@router.get("/home", openapi_extra=errors(400, 404, 422, 503),
            summary="Rooftop solar for one home: size, generation, money, carbon")
def home(request, params: Query[HomeParams]):
    """``orientation``: N, NE, E, SE, S, SW, W, NW or degrees from north; ``pitch``: degrees or
    ``typical`` (35°); ``shading``: none, some or heavy; ``tenure``: own or rent. Any
    assumption (e.g. ``retail_p_per_kwh=24.5``) can be given as a query parameter; the answer
    lists every assumption with its source. Without ``area_m2``, ``home_type`` (detached,
    semi-detached, terraced, bungalow, flat) gives a typical roof (``roof_guess``: its
    working and source); a system above a home's 50 kWp is refused on ``area_m2``.
    Errors: 400, ``detail`` names the field (also
    when an outline's pitch is 80° or more, or its sloping area more than the largest roof);
    404 for a postcode that is not the city's."""
    assumptions = {name: request.GET[name] for name in services.ASSUMPTION_LABELS
                   if name in request.GET}
    try:
        return services.home_estimate(params.postcode, params.area_m2, params.orientation,
                                      params.pitch, params.shading, params.tenure,
                                      area_from_outline=params.area_from_outline,
                                      assumptions=assumptions, home_type=params.home_type,
                                      storeys=params.storeys)
    except services.HomeInputError as exc:
        raise _refused(exc) from exc


@router.get("/neighbourhoods", openapi_extra=errors(503),
            summary="Own-roof solar per neighbourhood: who is shut out")
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


class BuildingParams(Schema):
    by: str = Field("need", json_schema_extra={"enum": ["need", "generation"]})


@router.get("/buildings", openapi_extra=errors(400, 503),
            summary="Community buildings ranked for community-owned solar")
def buildings(request, params: Query[BuildingParams]):
    """Schools, GP practices, libraries, large roofs and groups' own lists: each with its roof
    estimate when the footprint is known (kWp, kWh a year, tonnes CO2e a year) and the need
    nearby (residents within 800 m, share in the most deprived fifth of England).
    ``by``: ``need`` (default) or ``generation``."""
    from .buildings import candidates, ranked

    if params.by not in ("need", "generation"):
        raise HttpError(400, "by must be need or generation")
    return {"by": params.by, "buildings": ranked(candidates(), params.by)}


class OptionParams(Schema):
    postcode: str = _postcode()
    tenure: str = Field(..., json_schema_extra={"enum": list(offers.TENURES)})
    home: str = Field(..., json_schema_extra={"enum": list(offers.HOMES)})
    low_income: bool = False


@router.get("/options", openapi_extra=errors(400, 404, 422, 503),
            summary="Energy offers open to a resident, ranked, with reasons")
def options(request, params: Query[OptionParams]):
    """``tenure``: own or rent; ``home``: house or flat; ``low_income``: true or false. Each
    option says why it fits ("you rent: community shares from £50 let you own part of ...").
    Registering interest needs consent and is done on the page."""
    try:
        return offers.options(params.postcode, params.tenure, params.home, params.low_income)
    except services.HomeInputError as exc:
        raise _refused(exc) from exc


@router.get("/reach", openapi_extra=errors(503),
            summary="Who is signing up: registrations by deprivation and tenure")
def reach(request):
    """People registering interest (each once) per IMD group (the lens, with its slope
    index) and per fifth of neighbourhoods by the share of households that own their home.
    Records about people: counts below the disclosure threshold, and any that would reveal
    one, are null; the figures move only at milestones (``shown`` false and ``first`` until
    the first is passed; then ``people`` counted and ``next``, the next milestone)."""
    from .reach import reach as reach_result

    result = reach_result()
    lens = result.get("lens") or {}
    return {"threshold": result["threshold"], "shown": result["shown"],
            "first": result.get("first"), "people": result.get("people"),
            "next": result.get("next"), "words": lens.get("words", []),
            "deprivation": lens.get("deprivation"), "tenure": result.get("tenure", []),
            "disclosure": lens.get("disclosure")}
