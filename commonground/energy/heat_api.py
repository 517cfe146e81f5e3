"""A home's heat options as JSON: ``GET /api/energy/heat/options`` (added to the energy router
by ``add_routes``), the answer's shape declared as schemas (``Options.as_dict`` plus what
``heat_options`` adds). Every answer is a string, checked by the one rule the page and the CLI
use, so a bad one answers 400 naming the field."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apierrors import errors
from commonground.heat import BENEFITS, HEATING, TENURES, HeatInputError
from commonground.heat.household import MAX_ANNUAL_KWH
from commonground.solar.homes import HOME_KINDS

from . import services
from .heat_options import heat_options

#: A postcode's shape (as ``api.POSTCODE_PATTERN``), or nothing: the postcode is optional.
POSTCODE_OR_NONE = r"^$|^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"

Sources = dict[str, str]
Range = list[float]


class HouseholdOut(Schema):
    home_type: str
    home_label: str
    heating: str
    heating_label: str
    tenure: str
    tenure_label: str
    benefits: list[str] | None
    epc_band: str | None
    council_tax_band: str | None
    name_on_electricity_bill: bool | None
    annual_fuel_kwh: float | None


class FuelOut(Schema):
    label: str
    price_p_per_kwh: float | None = Field(description="p/kWh, None when not known")
    price_range_p_per_kwh: list[float | None]
    kgco2e_per_kwh: float | None
    efficiency: float | None
    sources: Sources


class DemandOut(Schema):
    space_kwh: float
    hot_water_kwh: float
    total_kwh: float
    from_bills: bool
    heat_loss_w_per_k: float
    design_load_kw: float
    working: str
    sources: Sources


class OfferRefOut(Schema):
    id: int = Field(description="The offer (``local.offers``) shown beside this option")
    title: str
    organisation: str


class MeasureOut(Schema):
    key: str
    label: str
    applies: bool
    why_not: str
    heat_saved_kwh: Range
    fuel_saved_kwh: Range | None
    saving_gbp_per_year: Range | None = Field(description="£ a year, low and high")
    cost_gbp: Range
    payback_years: Range | None
    co2_saved_kg_per_year: Range
    who_decides: str
    working: str
    sources: Sources
    offers: list[OfferRefOut] = Field(description="The hub's offers that fit the household "
                                                  "and are for this (their ``measures``)")


class ScopOut(Schema):
    in_homes: float
    machine: float


class CostOut(Schema):
    low: float | None
    central: float | None
    high: float | None


class HeatPumpOut(Schema):
    kind: str = Field(description="air or ground")
    size_kw: float
    scop: ScopOut
    electricity_kwh: Range
    running_cost_gbp: CostOut
    current_cost_gbp: CostOut | None
    saving_gbp_per_year: Range | None
    gas_standing_saved_gbp: float | None
    co2_now_kg: float | None
    co2_heat_pump_kg: float | None
    install_cost_gbp: Range
    working: str
    sources: Sources
    offers: list[OfferRefOut] = Field(description="The hub's offers that fit the household "
                                                  "and are for this kind of heat pump")


class SchemeOut(Schema):
    key: str
    name: str
    status: str = Field(description="may qualify, does not qualify, your landlord may apply, "
                                    "or closed")
    reasons: list[str]
    conditions: list[str]
    offer: str
    link: str
    rules_as_of: str
    sources: Sources


class WhoseOut(Schema):
    yours: list[str]
    landlord: list[str]
    not_open: list[str]


class WhoseBothOut(Schema):
    measures: WhoseOut
    schemes: WhoseOut


class PlaceOut(Schema):
    postcode: str
    name: str
    code: str


class CircumstancesOut(Schema):
    tenure: str
    home: str
    low_income: bool


class LocalOfferOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    organisation: str
    summary: str
    terms: str
    minimum_gbp: float | None
    building: str
    who: str
    homes: str
    heating: str = Field(description="The homes' heating it is for (Not stated: the offer "
                                     "does not say)")
    low_income_only: bool
    local: bool
    reasons: list[str]
    measures: list[str] = Field(description="What it is for (``/api/energy/offers``' "
                                            "measures); empty: not stated")
    for_what: str
    for_heat: bool = Field(description="Whether it is for one of the options suggested for "
                                       "this home (``beside``)")
    beside: list[str] = Field(description="The options it is shown beside, by their labels")
    for_solar: bool = Field(description="Whether it is for solar panels or a battery")
    heat: str = Field(description="What it means for this home's heat, from what it is for")


class SolarOut(Schema):
    link: str = Field(description="The solar estimate with the same kind of home")
    words: str
    offers: list[OfferRefOut] = Field(description="The hub's offers that fit the household "
                                                  "and are for solar panels or a battery")


class LocalOut(Schema):
    place: PlaceOut | None
    as_: CircumstancesOut = Field(alias="as")
    offers: list[LocalOfferOut]
    notes: list[str]
    register_link: str = Field(description="The offers page, with the answers it asks for")


class HeatOptionsOut(Schema):
    household: HouseholdOut
    on: str = Field(description="The date the schemes' rules were applied for")
    current_heating: FuelOut
    demand: DemandOut
    measures: list[MeasureOut]
    heat_pumps: list[HeatPumpOut]
    schemes: list[SchemeOut]
    notes: list[str]
    words: list[str] = Field(description="The options in plain words, most useful first")
    whose: WhoseBothOut
    solar: SolarOut
    local: LocalOut


class HeatParams(Schema):
    home_type: str = Field(..., json_schema_extra={"enum": list(HOME_KINDS)})
    heating: str = Field(..., description="Census 2021 TS046 heating",
                         json_schema_extra={"enum": list(HEATING)})
    tenure: str = Field(..., json_schema_extra={"enum": list(TENURES)})
    benefits: list[str] = Field([], description="Repeat for each; 'none' for none of them; "
                                "leave out if not said",
                                json_schema_extra={"items": {"enum": [*BENEFITS, "none"]}})
    epc_band: str = Field("", json_schema_extra={"enum": ["", *"ABCDEFG"]})
    council_tax_band: str = Field("", json_schema_extra={"enum": ["", *"ABCDEFGH"]})
    name_on_electricity_bill: str = Field("", json_schema_extra={"enum": ["", "yes", "no"]})
    annual_fuel_kwh: float | None = Field(
        None, gt=0, le=MAX_ANNUAL_KWH, description="Yearly use of the heating fuel from bills, "
        "kWh (leave out: typical for the kind of home)")
    postcode: str = Field("", description="Optional: a postcode of the city (e.g. MK9 3EJ), "
                          "for the offers in its neighbourhood",
                          json_schema_extra={"pattern": POSTCODE_OR_NONE})


def add_routes(router: Router) -> None:
    @router.get("/heat/options", response=HeatOptionsOut, by_alias=True,
                openapi_extra=errors(400, 404, 422, 503),
                summary="A home's heat options: measures, heat pumps, schemes, local offers")
    def heat_options_api(request, params: Query[HeatParams]):
        """From the kind of home, its heating (Census 2021 TS046) and tenure (and, optional,
        benefits, EPC band, council tax band, yearly fuel use, postcode): loft, cavity and
        solid wall insulation and draught-proofing, air- and ground-source heat pumps,
        national schemes (status, reasons, link, date) and the hub's offers that match;
        costs, savings and payback as ranges, each with its working and sources. Errors: 400,
        ``detail`` names the field; 404 for a postcode that is not the city's."""
        answers = {k: v for k, v in params.dict().items() if v not in ("", [], None)}
        try:
            return heat_options(answers)
        except HeatInputError as exc:
            raise HttpError(400, f"{exc} (field: {exc.field})") from exc
        except services.HomeInputError as exc:
            status = 404 if isinstance(exc, services.PostcodeNotFound) else 400
            raise HttpError(status, f"{exc} (field: {exc.field})") from exc
