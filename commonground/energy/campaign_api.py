"""Where to knock first as JSON: ``GET /api/energy/heat/campaign`` (weights in the query).
Added to the energy router by ``api``; the page and the CSV call the same ``campaign``."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from commonground.apierrors import errors
from commonground.heat.campaign import DEFAULT_WEIGHTS, FACTORS, MAX_WEIGHT

#: What ``heat.campaign.parse_weights`` takes (checked there, 400 naming the weight): blank, or
#: a whole number from 0 to 100, spaces around allowed. At least one weight must be above 0.
WEIGHT_PATTERN = r"^\s*(0*(100|[0-9]{1,2}))?\s*$"
#: The geographies a city can rank (those it has: a city without one answers 400).
GEOGRAPHIES = ["", "lsoa21", "msoa21", "ward"]


def _weight(key: str):
    f = next(f for f in FACTORS if f.key == key)
    return Field("", description=f"Weight of “{f.label}” ({f.unit}: {f.meaning}): a whole "
                 f"number from 0 to {MAX_WEIGHT}; blank or left out: {DEFAULT_WEIGHTS[key]}",
                 json_schema_extra={"pattern": WEIGHT_PATTERN})


class CampaignParams(Schema):
    fuel_poverty: str = _weight("fuel_poverty")
    heating: str = _weight("heating")
    tenure: str = _weight("tenure")
    deprivation: str = _weight("deprivation")
    geography: str = Field("", description="The areas to rank: the neighbourhoods (default, "
                           "lsoa21), msoa21 or ward",
                           json_schema_extra={"enum": GEOGRAPHIES})


class FactorOut(Schema):
    key: str
    label: str
    unit: str
    meaning: str
    weight: int
    share_of_weight: float = Field(..., description="% of the total weight")
    source: str


class RowFactor(Schema):
    key: str
    value: float | None = Field(None, description="The area's figure, in unit")
    unit: str
    score: float | None = Field(None, description="0–1: (value − lowest) ÷ (highest − lowest)")
    weight: int
    contribution: float | None = Field(None, description="Priority points: 100 × weight × "
                                       "score ÷ total weight")


class Row(Schema):
    code: str
    name: str
    url: str
    rank: int | None = Field(None, description="Place on whole-point priorities; ties share it")
    tied: bool
    place: str = Field(..., description="The place as shown, “=12” when shared")
    band: int | None = Field(None, description="Fifth, 1 = knock first")
    band_label: str
    priority: int | None = Field(None, description="0–100, the sum of the contributions, "
                                 "rounded to whole points")
    households: int | None = Field(None, description="Households (DESNZ's modelled count; "
                                   "the Census's where the hub has no fuel poverty estimates: "
                                   "households_source)")
    fuel_poor: int | None = Field(None, description="Households in fuel poverty (modelled)")
    factors: list[RowFactor]


class MissingFactor(Schema):
    key: str
    label: str
    unit: str
    reason: str = Field(..., description="What the hub's data lacks and why, in plain words")
    weight_given: int | None = Field(None, description="The weight asked for it, not used")


class Campaign(Schema):
    city: str
    geography: str
    geography_label: str
    geographies: list[str]
    weights: dict[str, int]
    weights_query: str
    defaults: dict[str, int]
    factors: list[FactorOut] = Field(..., description="The factors ranked on: those the "
                                     "hub's data holds")
    missing_factors: list[MissingFactor] = Field(..., description="Factors the hub's data "
                                                 "lacks: left out, the others reweighted in "
                                                 "their proportions")
    missing_note: str = Field(..., description="The missing factors in one sentence; blank "
                              "when none")
    households_source: str
    areas: int
    ranked: int
    caveat: str = Field(..., description="Fuel poverty is modelled: patterns, not exact "
                        "places (blank when the hub has no fuel poverty estimates)")
    approximate: str = Field(..., description="Why ranks are ties on whole points and fifths")
    method: str
    words: list[str]
    rows: list[Row] = Field(..., description="First to knock first")


def add_routes(router: Router) -> None:
    @router.get("/heat/campaign", response=Campaign, openapi_extra=errors(400, 404, 422, 503),
                summary="Where to knock first: neighbourhoods ranked for a warm-homes campaign")
    def campaign_ranking(request, params: Query[CampaignParams]):
        """Each area's priority (0–100) is the weighted mean of its factors' scores: fuel
        poverty (DESNZ, modelled), costly or no heating (Census TS046), renting privately
        (Census TS054), deprivation (the newest IMD score). Every row gives each factor's
        value, score and contribution. Places tie on whole points; read the fifths
        (``approximate``, ``caveat``). Errors: 400, ``detail`` names the bad weight or the
        geography (nothing is ranked then). A factor the city's data lacks is left out, the
        others reweighted (``missing_factors``, ``missing_note``; a weight given for it is
        not used, said so); 404 saying why when it holds none of the four; 503 while the
        city's data is not loaded."""
        from commonground.places.cache import NotLoaded

        from .campaign import NoFactors, WeightError, campaign

        given = {f.key: getattr(params, f.key) for f in FACTORS}
        try:
            return campaign(given, params.geography)
        except WeightError as exc:
            raise HttpError(400, str(exc)) from exc
        except NoFactors as exc:
            raise HttpError(404, str(exc)) from exc
        except NotLoaded as exc:
            raise HttpError(503, str(exc) or "The city's data is not loaded yet") from exc
