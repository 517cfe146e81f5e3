"""JSON API for places: search, point lookup, area profiles and the load report."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema, Status

from commonground.apierrors import errors
from commonground.geography.codes import geography_label

from . import profiles, search, summary
from .cache import city_state

router = Router(tags=["places"])


class Error(Schema):
    detail: str


class AreaRef(Schema):
    geography: str
    code: str
    name: str
    geography_label: str
    url: str
    api_url: str


class PlaceRef(Schema):
    name: str
    kind: str
    source: str | None = Field(None, description="For a locality the package's addresses name: "
                                                 "where the name comes from ('named in 3 addresses in …')")
    areas: list[AreaRef] | None = Field(None, description="For a locality the package's addresses "
                                                          "name: every neighbourhood holding its "
                                                          "addresses, most first")


class SearchRef(AreaRef):
    older: dict[str, str] | None = Field(
        None, description="The older boundaries' area this one stands for, when its name differed")
    place: PlaceRef | None = Field(
        None, description="A place people name (a gazetteer's, or a locality the package's "
                          "addresses name) found in this neighbourhood: the area is where it lies")
    ward: AreaRef | None = Field(None, description="A gazetteer place's best-fit ward")


class SearchOut(Schema):
    query: str
    areas: list[SearchRef]
    postcode: dict[str, Any] | None = None
    corrected: str | None = Field(None, description="The query as read when no name held it "
                                                    "as typed (a typo: 'bletchly' as 'bletchley')")
    postcode_area: dict[str, Any] | None = Field(
        None, description="A postcode sector ('MK2 2') or district ('MK2'): kind, text, postcodes "
                          "in use, best-fit ward and a summary; areas lists its wards, then its "
                          "neighbourhoods, most postcodes first")


class LookupOut(Schema):
    latitude: float
    longitude: float
    easting: float
    northing: float
    base: AreaRef
    areas: dict[str, AreaRef]


class LookupIn(Schema):
    lat: float = Field(..., ge=-90, le=90, description="Latitude, WGS84 degrees")
    lon: float = Field(..., ge=-180, le=180, description="Longitude, WGS84 degrees")


class GeographyOut(Schema):
    geography: str
    label: str
    areas: int
    profiled: bool


# Every operation reads the loaded city: 503 until `manage.py load_places` has run.
@router.get("/geographies", response=list[GeographyOut], openapi_extra=errors(503),
            summary="Geographies loaded for the city")
def geographies(request):
    state = city_state()
    return [{"geography": g, "label": geography_label(g), "areas": len(a), "profiled": g in state.profiled}
            for g, a in sorted(state.by_geography.items())]


@router.get("/search", response=SearchOut, openapi_extra=errors(422, 503),
            summary="Find areas by name (typos too), code, postcode or part of one")
def search_view(request, q: str = Query(..., min_length=1, max_length=100)):
    result = search.search_areas(q)
    return {"query": result.query, "areas": result.areas, "postcode": result.postcode,
            "corrected": result.corrected, "postcode_area": result.postcode_area}


@router.get("/lookup", response={200: LookupOut, 404: Error}, openapi_extra=errors(422, 503),
            summary="Areas containing a point")
def lookup(request, point: Query[LookupIn]):
    try:
        return Status(200, search.areas_at(point.lat, point.lon))
    except search.OutsideCity as exc:
        return Status(404, {"detail": str(exc)})


@router.get("/areas/{geography}/{code}", response={200: dict[str, Any], 404: Error},
            openapi_extra=errors(503),
            summary="Area profile: in short (plain words), deprivation, census figures and "
                    "their sources")
def area(request, geography: str, code: str):
    """The page's profile, with ``in_short``: the page's opening sentences, its key figures
    and the names people use for the area (``places.summary.describe``)."""
    try:
        profile = profiles.area_profile(geography, code)
        return Status(200, {**profile, "in_short": summary.describe(profile)})
    except profiles.AreaNotFound as exc:
        return Status(404, {"detail": str(exc)})


@router.get("/load", response=dict[str, Any], openapi_extra=errors(503),
            summary="The latest data load and mismatches between files")
def load_report(request):
    run = city_state().run
    return {"city": run.city_name, "lad_code": run.lad_code, "authority_codes": run.authority_codes,
            "data_dir": run.data_dir,
            "loaded": run.started.isoformat(), "base_geography": run.base_geography,
            "summary": run.summary, "mismatches": run.mismatches}
