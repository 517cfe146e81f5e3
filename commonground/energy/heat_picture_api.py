"""The heat picture as JSON: ``GET /api/energy/heat`` (the city, with the lens) and
``GET /api/energy/heat?geography=&code=`` (one area). Added to the energy router by ``api``."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apierrors import errors


class HeatParams(Schema):
    geography: str = Field("", description="An area's geography, e.g. lsoa21, ward (leave out "
                           "to find it from the code)")
    code: str = Field("", description="The area's code, e.g. E01016710; leave out (and "
                      "geography) for the whole city with the lens")


class FuelPoverty(Schema):
    households: int | None = Field(None, description="Households (DESNZ modelled count)")
    fuel_poor: int | None = Field(None, description="Households in fuel poverty (LILEE, modelled)")
    share: float | None = Field(None, description="% of households")
    city_share: float | None = Field(None, description="% of the city's households")
    unit: str
    title: str
    period: str
    caveat: str = Field(..., description="Modelled estimates: general patterns only, not "
                        "for ranking single neighbourhoods or trends")
    publisher: str = ""
    licence: str = ""


class Category(Schema):
    label: str
    count: int | None = Field(None, description="Households")
    share: float | None = Field(None, description="% of households")
    city_share: float | None = None


class Family(Category):
    key: str


class Heating(Schema):
    households: int | None
    families: list[Family] = Field(..., description="Heating types grouped: gas, electric, "
                                   "oil, wood or solid fuel, heat network, renewable, none, ...")
    categories: list[Category] = Field(..., description="The Census TS046 categories")
    source: str


class HomesTable(Schema):
    households: int | None
    categories: list[Category]
    source: str


class MissingPart(Schema):
    key: str = Field(..., description="fuel_poverty, heating, accommodation or tenure")
    part: str = Field(..., description="The part in words")
    reason: str = Field(..., description="What the hub lacks, and why")


class HeatPicture(Schema):
    geography: str = Field("", description="Empty for the city's overview")
    code: str = ""
    name: str = ""
    city: str
    fuel_poverty: FuelPoverty | None = Field(None, description="None: the hub's data has no "
                                             "fuel poverty estimates (missing_parts)")
    heating: Heating | None = Field(None, description="None: no Census TS046 (missing_parts)")
    accommodation: HomesTable | None = Field(None, description="None: no Census TS044")
    tenure: HomesTable | None = Field(None, description="None: no Census TS054")
    missing_parts: list[MissingPart] = Field(..., description="The parts of the picture the "
                                             "hub's data lacks, each with the reason; the rest "
                                             "is given")
    missing_note: str = Field(..., description="The same in one sentence; empty when nothing "
                              "is missing")
    words: list[str] = Field(..., description="A sentence per figure, in plain words")
    neighbourhoods: int | None = Field(None, description="Neighbourhoods in a larger area")
    deprivation: dict | None = Field(None, description="City only: fuel poverty by IMD "
                                     "decile, % of households with 95% and 99.8% intervals")
    groups: list[dict] | None = Field(None, description="City only: each Census group's share "
                                      "where heating is electric only or absent, against the city")
    areas: list[dict] | None = Field(None, description="City only: every neighbourhood's "
                                     "fuel poverty and electric-or-no-heating share")
    high_electric: dict | None = Field(None, description="City only: the group mix of the "
                                       "fifth of neighbourhoods with the most homes on electric "
                                       "heating or none, against the city")
    groups_note: str | None = Field(None, description="City only: the groups compare "
                                    "neighbourhoods, not people (ecological), from published "
                                    "Census counts")


def add_routes(router: Router) -> None:
    @router.get("/heat", response=HeatPicture, openapi_extra=errors(400, 404, 422, 503),
                summary="A neighbourhood's heat picture: fuel poverty, heating, homes, tenure")
    def heat(request, params: Query[HeatParams]):
        """Without ``geography`` and ``code``: the city's figures, fuel poverty by IMD decile
        and which groups live where heating is electric only or absent. With both: that
        area's (any profiled geography: lsoa21, msoa21, ward, the authority); with ``code``
        alone, the area of that code. Fuel poverty is DESNZ's modelled estimate: see
        ``fuel_poverty.caveat``. A part the hub's data lacks (fuel poverty, TS046, TS044,
        TS054) is null and listed in ``missing_parts`` with its reason. Errors: 400 for a
        geography without a code; 404 naming an unknown geography or code, or saying why when
        the data holds none of the picture's parts; 503 when no city is loaded yet."""
        from commonground.places.records import AreaNotFound

        from .heat_picture import NoHeatData, area_picture, find_geography, overview

        if params.geography.strip() and not params.code.strip():
            raise HttpError(400, "code: give the area's code with its geography (e.g. "
                            "geography=lsoa21&code=E01016710), or neither for the whole city")
        try:
            if not params.code.strip():
                result = overview()
                return {**result["totals"], "city": result["city"], "words": result["words"],
                        "deprivation": result["deprivation"], "groups": result["groups"],
                        "high_electric": result["high_electric"],
                        "groups_note": result["groups_note"], "areas": result["areas"]}
            return area_picture(params.geography.strip() or find_geography(params.code),
                                params.code)
        except (AreaNotFound, NoHeatData) as exc:  # NoHeatData: none of the parts held
            raise HttpError(404, str(exc)) from exc
