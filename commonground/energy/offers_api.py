"""Energy offers and their registrations of interest as JSON (django-ninja, mounted at
``/api/energy`` beside the solar estimates).

Offers that are open are public. Registrations are personal data: as on the provider page
(``access.can_see_interests``), only members of the organisation that made the offer (and site
staff) see them — of a group anyone may join at once, only its editors and admins — with the contact details each person agreed to share; anyone else signed in
gets 403, anonymous callers 401. Registering interest needs consent and is done on the page
(``/energy/options/``). Editors of an organisation publish an offer with ``POST /offers``,
checked by the page's own form (``forms.OfferForm``): a bad value is a 422 naming the field.
Who calls: ``commonground.apiauth``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from commonground.accounts.models import Organisation
from commonground.apiauth import SIGNED_IN, Body, Page, PageParams, invalid, page, viewer
from commonground.apierrors import errors
from commonground.catalogue.access import publishing_organisations

from . import access, offers
from .forms import OfferForm
from .matching import KINDS, MEASURES
from .models import Offer

#: What an offer can be for, as the API names it (``matching.MEASURES``).
Measure = Literal[tuple(MEASURES)]
MEASURES_SAID = ("What it is for, each of: " + ", ".join(f"{k} ({v.lower()})"
                                                         for k, v in MEASURES.items())
                 + "; empty: not stated")

router = Router(tags=["energy"])


class OfferOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    organisation: str = Field(description="The offering organisation's name")
    organisation_slug: str
    summary: str
    terms: str
    minimum_gbp: float | None
    building: str
    who: str = Field(description="Tenure it is open to")
    homes: str = Field(description="Homes it is open to")
    heating: str = Field(description="The homes' heating it is for (Not stated: the offer "
                                     "does not say)")
    measures: list[Measure] = Field(description=MEASURES_SAID)
    for_what: str = Field(description="What it is for, in words (or that it does not say)")
    low_income_only: bool
    local: bool = Field(description="Only for some places of the city")
    places: list[str] = Field(description="Area codes (GSS) it is limited to, if local")
    active: bool
    can_see_registrations: bool = Field(description="Whether the caller sees registrations")


class OfferPage(Page):
    offers: list[OfferOut]


class RegistrationOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    postcode: str
    lsoa: str = Field(description="The neighbourhood (LSOA21 code) of the postcode")
    ward: str = Field(description="The ward code of the postcode")
    tenure: str
    home: str
    low_income: bool
    created: datetime


class RegistrationPage(Page):
    offer: int
    registrations: list[RegistrationOut]


class OfferParams(PageParams):
    mine: bool = Field(False, description="Only the offers of the caller's organisations, "
                                          "closed ones too")
    measure: Measure | None = Field(None, description="Only the offers for this (e.g. "
                                                      "air_source_heat_pump)")


class OfferIn(Body):
    """An offer as the page's form asks it (``forms.OfferForm`` checks it)."""

    organisation: str = Field(description="The offering organisation's slug (you edit for it)")
    kind: Literal[tuple(KINDS)]
    title: str = Field(max_length=200)
    summary: str = Field(description="What it is, in plain words")
    measures: list[Measure] = Field([], description=MEASURES_SAID)
    terms: str = ""
    tenure: Literal[tuple(Offer.Tenure.values)] = "any"
    home: Literal[tuple(Offer.Home.values)] = "any"
    heating: Literal[tuple(Offer.Heating.values)] = Field(
        "", description="The homes' heating it is for; empty: not stated")
    low_income_only: bool = False
    minimum_gbp: float | None = Field(None, ge=0, lt=10**8)
    areas: list[str] = Field([], description="Ward names or area codes; empty: the whole city")
    building: str = Field("", max_length=200)
    group_threshold: int | None = Field(None, ge=1, le=2**31 - 1)
    active: bool = True


def _offer(offer: Offer, user) -> dict:
    return {**offers.offer_summary(offer), "organisation_slug": offer.organisation.slug,
            "places": list(offer.area_codes), "active": offer.active,
            "can_see_registrations": access.can_see_interests(user, offer)}


@router.get("/offers", response=OfferPage, openapi_extra=errors(401, 422),
            summary="Community energy offers that are open")
def offer_list(request, params: Query[OfferParams]):
    """Open offers (public); ``mine=true``: the offers whose registrations the caller sees,
    closed ones too."""
    user = viewer(request)
    found = Offer.objects.select_related("organisation").order_by("organisation__name",
                                                                   "title", "pk")
    if params.mine:
        found = [o for o in found if access.can_see_interests(user, o)]
    else:
        found = found.filter(active=True)
    if params.measure:
        found = [o for o in found if params.measure in (o.measures or ())]
    counts, rows = page(found, params)
    return {**counts, "offers": [_offer(o, user) for o in rows]}


@router.post("/offers", response={201: OfferOut}, auth=SIGNED_IN,
             openapi_extra=errors(401, 403, 422),
             summary="Publish an energy offer (editors of its organisation)")
def offer_create(request, body: OfferIn):
    """As the page's form (``/energy/offers/new/``): editors of the organisation only (403 for
    its other members and anyone else); a value the form refuses is a 422 naming the field."""
    user = request.auth
    organisation = Organisation.objects.filter(slug=body.organisation.strip()).first()
    if organisation is None:
        raise invalid("organisation", "Organisation: no organisation has this slug")
    if not publishing_organisations(user).filter(pk=organisation.pk).exists():
        raise HttpError(403, f"Only editors of {organisation.name} publish its offers.")
    data = {**body.dict(exclude={"organisation", "areas"}), "organisation": organisation.pk,
            "areas": ", ".join(body.areas)}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    form = OfferForm(data, user=user)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else field
        raise invalid(field, f"{label or field}: {problems[0]}")
    return Status(201, _offer(form.save(), user))


@router.get("/offers/{offer_id}", response=OfferOut, openapi_extra=errors(401, 404, 422),
            summary="One energy offer")
def offer_detail(request, offer_id: int):
    """A closed offer is a 404 except to those who see its registrations."""
    user = viewer(request)
    offer = get_object_or_404(Offer.objects.select_related("organisation"), pk=offer_id)
    if not offer.active and not access.can_see_interests(user, offer):
        raise HttpError(404, "No such offer")
    return _offer(offer, user)


def offer_of_registrants(user, offer_id: int) -> Offer:
    """The offer whose registrants ``user`` asks about: 404 if there is none (or it is closed
    and not theirs to see), 403 if they may not see who registered."""
    offer = get_object_or_404(Offer.objects.select_related("organisation"), pk=offer_id)
    if not access.can_see_interests(user, offer):
        if not offer.active:
            raise HttpError(404, "No such offer")
        raise HttpError(403, f"Only members of {offer.organisation.name} see who registered "
                             "interest in its offers.")
    return offer


@router.get("/offers/{offer_id}/registrations", response=RegistrationPage, auth=SIGNED_IN,
            openapi_extra=errors(401, 403, 404, 422),
            summary="Registrations of interest in an offer (its organisation's members)")
def registrations(request, offer_id: int, params: Query[PageParams]):
    """Members of the offering organisation and site staff only (403 for anyone else), with
    the contact details each person agreed to share; oldest first."""
    offer = offer_of_registrants(request.auth, offer_id)
    counts, rows = page(offer.interests.order_by("created", "pk"), params)
    return {**counts, "offer": offer.pk, "registrations": [
        {"id": i.pk, "name": i.name, "email": i.email, "phone": i.phone,
         "postcode": i.postcode, "lsoa": i.lsoa_code, "ward": i.ward_code, "tenure": i.tenure,
         "home": i.home, "low_income": i.low_income, "created": i.created} for i in rows]}
