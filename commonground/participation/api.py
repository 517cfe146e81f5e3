"""Who takes part, as JSON (django-ninja, mounted at ``/api/participation``): the same
disclosure-controlled tables and sentences as the pages (``lens.participation``), under the
same rules (``access``): a consultation's commenters and the people who ask for data for
anyone; an offer's registrants only for those who see its registrations, refused as its
registrations are (the energy app's rule, given to ``access.register``: 401 for anonymous
callers, 403 for anyone else signed in, 404 for a closed offer they could not see). Never an
answer, and nothing while too few have taken part. Who calls: ``commonground.apiauth``.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from commonground.apiauth import SIGNED_IN
from commonground.apierrors import errors

from . import access
from .registrations import ASKING

router = Router(tags=["participation"])


class RowOut(Schema):
    value: str = Field(description="The answer's value (\"not said\": no answer given)")
    label: str
    count: int | None = Field(description="People who gave it; null: hidden (a small count, "
                                          "or one that would reveal one)")
    share: float | None = Field(description="Their share of the people counted; null: hidden")
    city_share: float | None = Field(description="The city's share (Census 2021, or the "
                                                 "residents by deprivation fifth)")


class TableOut(Schema):
    field: str = Field(description="\"where\" (the national deprivation fifth of their "
                                   "neighbourhood, 1 the most deprived), or the question")
    title: str
    universe: str = Field(description="Whom the city's shares count")
    rows: list[RowOut]


class ParticipationOut(Schema):
    shown: bool = Field(description="False while too few have taken part to show anything")
    threshold: int = Field(description="Counts below it are hidden")
    did: str = Field(description="What the people counted did, in words")
    first: int | None = Field(None, description="While not shown: the people needed first")
    people: int | None = Field(None, description="The people the tables count (a milestone)")
    next: int | None = Field(None, description="The milestone at which the tables move on")
    tables: list[TableOut] = Field(default_factory=list)
    sentences: list[str] = Field(default_factory=list, description="What they say, in words")


def _out(thing: str) -> dict:
    from .lens import participation  # here: NumPy and the city, only when asked

    found = participation(thing)
    return {**found, "tables": [vars(t) for t in found.get("tables", [])]}


@router.get("/consultations/{pk}", response=ParticipationOut,
            openapi_extra=errors(404, 422, 503),
            summary="Who has commented on a consultation, set against the city")
def consultation(request, pk: int):
    from commonground.consultations.models import Consultation

    return _out(f"consultation:{get_object_or_404(Consultation, pk=pk).pk}")


@router.get("/requests", response=ParticipationOut, openapi_extra=errors(422, 503),
            summary="Who asks for data (each person once), set against the city")
def requests(request):
    return _out(":".join(ASKING))


@router.get("/offers/{offer_id}", response=ParticipationOut, auth=SIGNED_IN,
            openapi_extra=errors(401, 403, 404, 422, 503),
            summary="Who has registered interest in an offer (its organisation's members)")
def offer(request, offer_id: int):
    """As the offer's registrations: the same rule, the same refusals (the energy app's,
    ``access.register``)."""
    found = access.guard("offer")
    if found is None:
        raise HttpError(404, "This hub has no energy offers")
    return _out(f"offer:{found.fetch(request.auth, offer_id).pk}")
