"""Who each scheme leaves out, as JSON: ``GET /api/energy/left-out`` (every offer the caller
may see and every national scheme), ``/api/energy/left-out/offers/{id}`` and
``/api/energy/left-out/schemes/{key}``, each for the whole city or ``?area=<code>``. Added to
the energy router by ``api``. A closed offer answers 404 to anyone who may not see it
(``access.can_see_offer``), exactly as a missing one; who calls: ``commonground.apiauth``."""

from __future__ import annotations

from datetime import date

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apiauth import viewer
from commonground.apierrors import errors


class AreaParams(Schema):
    area: str = Field("", description="An area's code (LSOA, MSOA, ward or the authority), "
                      "e.g. E05009424; leave out for the whole city")


class Range(Schema):
    low: int = Field(..., description="Households surely left out")
    high: int = Field(..., description="Households perhaps left out (the most)")
    low_share: float | None = Field(None, description="% of households")
    high_share: float | None = Field(None, description="% of households")
    exact: bool = Field(..., description="One condition, no unclear categories: low == high "
                        "is the published count")


class LeftOut(Schema):
    kind: str = Field(..., description="offer or scheme")
    key: str = Field(..., description="The offer's id or the scheme's key")
    title: str
    by: str
    open_to: str = Field(..., description="Its eligibility in one sentence")
    measures: list[str] = Field([], description="An offer: what it is for (the offers API's "
                                "measures); empty: not stated")
    what: str = Field("", description="An offer: what it is for, in words; empty: not "
                                      "stated")
    status: str = Field(..., description="open; closed (an offer not published); ended")
    status_words: str
    link: str = ""
    rules_as_of: str = ""
    area: dict
    households: int
    left_out: Range
    outside_areas: int | None = Field(None, description="Households outside the areas an "
                                      "offer is limited to")
    unknown_area_codes: list[str]
    conditions: list[dict] = Field(..., description="Each condition's Census table, its "
                                   "categories (left out, unclear, open) and counts")
    uncounted: list[dict] = Field(..., description="Conditions no table counts (income, "
                                  "savings, EPC), with the income guide where it helps")
    not_published: str | None = Field(None, description="Why a range, not a count: the "
                                      "cross-tabulation the Census does not publish")
    note: str = Field(..., description="Why the Census tables' totals differ a little")
    deprivation: dict | None = Field(None, description="Left out by national IMD decile")
    areas: list[dict] = Field(..., description="The wards of the city, or the "
                              "neighbourhoods of a larger area")
    words: list[str]


class LeftOutIndex(Schema):
    area: dict
    rows: list[dict]
    note: str


def _answer(build):
    from commonground.places.records import AreaNotFound

    from .left_out import NoLeftOutData

    try:
        return build()
    except AreaNotFound as exc:
        raise HttpError(404, str(exc)) from exc
    except NoLeftOutData as exc:
        raise HttpError(503, str(exc)) from exc


def add_routes(router: Router) -> None:
    @router.get("/left-out", response=LeftOutIndex, openapi_extra=errors(401, 404, 422, 503),
                summary="Every offer and national scheme: the households each leaves out")
    def left_out_index(request, params: Query[AreaParams]):
        """The offers the caller may see (open ones; closed ones only to their organisation)
        and the national schemes, each with the households its rules leave out in ``area``."""
        from . import left_out

        user = viewer(request)
        return _answer(lambda: left_out.index(user, params.area))

    @router.get("/left-out/offers/{offer_id}", response=LeftOut,
                openapi_extra=errors(401, 404, 422, 503),
                summary="Who an energy offer leaves out, by neighbourhood and deprivation")
    def left_out_offer(request, offer_id: int, params: Query[AreaParams]):
        """Counts from Census 2021 tenure, accommodation type and central heating; two
        conditions together as a range (the Census does not publish them crossed). 404 for
        a missing offer, a closed one the caller may not see, or an unknown ``area``."""
        from . import left_out

        offer = left_out.offer_for(viewer(request), offer_id)
        if offer is None:
            raise HttpError(404, "No such offer")
        return _answer(lambda: left_out.left_out(left_out.offer_eligibility(offer),
                                                 params.area))

    @router.get("/left-out/schemes/{key}", response=LeftOut,
                openapi_extra=errors(404, 422, 503),
                summary="Who a national scheme leaves out (BUS, GBIS, ECO4, WHD)")
    def left_out_scheme(request, key: str, params: Query[AreaParams]):
        """``key``: boiler_upgrade_scheme, great_british_insulation_scheme, eco4 or
        warm_home_discount. 404 names an unknown key or ``area``."""
        from . import left_out

        found = left_out.scheme_eligibilities(date.today())
        if key not in found:
            raise HttpError(404, f"key: no national scheme {key!r}; choose from "
                                 f"{', '.join(found)}")
        return _answer(lambda: left_out.left_out(found[key], params.area))
