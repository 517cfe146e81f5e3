"""Use cases: a resident's options (offers that fit, ranked, with reasons), registering
interest with consent, deleting it, and what a provider sees. Permissions: ``access``."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from commonground.places import search
from commonground.places.cache import city_state

from . import access
from .matching import Circumstances, OfferFacts, fits, match
from .models import Interest, Offer
from .services import HomeInputError, postcode_place

TENURES = ("own", "rent")
HOMES = ("house", "flat")


def circumstances(postcode: str, tenure: str, home: str, low_income: bool
                  ) -> tuple[dict, Circumstances]:
    """The resident's place (a postcode of the city) and circumstances, checked."""
    place = postcode_place(postcode)
    if tenure not in TENURES:
        raise HomeInputError("tenure", "Your home: say whether you own or rent it")
    if home not in HOMES:
        raise HomeInputError("home", "Your home: say whether it is a house or a flat")
    found = search.areas_at(place["latitude"], place["longitude"])
    codes = frozenset(a["code"] for a in found["areas"].values())
    place["ward"] = next((a for g, a in found["areas"].items() if g == "ward"), None)
    return place, Circumstances(tenure, home, bool(low_income), codes)


def facts(offer: Offer) -> OfferFacts:
    return OfferFacts(id=offer.pk, kind=offer.kind, title=offer.title,
                      organisation=offer.organisation.name, tenure=offer.tenure,
                      home=offer.home, low_income_only=offer.low_income_only,
                      area_codes=frozenset(offer.area_codes or ()),
                      minimum_gbp=float(offer.minimum_gbp) if offer.minimum_gbp else None,
                      building=offer.building)


def options(postcode: str, tenure: str, home: str, low_income: bool) -> dict:
    place, who = circumstances(postcode, tenure, home, low_income)
    offers = {o.pk: o for o in Offer.objects.filter(active=True).select_related("organisation")}
    found = match(who, [facts(o) for o in offers.values()])
    return {"place": place, "tenure": tenure, "home": home, "low_income": bool(low_income),
            "options": [{**offer_summary(offers[m.offer.id]), "reasons": list(m.reasons)}
                        for m in found]}


def offer_summary(o: Offer) -> dict:
    return {"id": o.pk, "kind": o.kind, "kind_label": o.get_kind_display(), "title": o.title,
            "organisation": o.organisation.name, "summary": o.summary, "terms": o.terms,
            "minimum_gbp": float(o.minimum_gbp) if o.minimum_gbp else None,
            "building": o.building, "who": o.get_tenure_display(), "homes": o.get_home_display(),
            "low_income_only": o.low_income_only, "local": bool(o.area_codes)}


def register_interest(offer_id: int, *, postcode: str, tenure: str, home: str,
                      low_income: bool, name: str, email: str, phone: str = "",
                      consent: bool = False) -> Interest:
    """Store an interest — only with consent, only for an offer open to the person."""
    if not consent:
        raise HomeInputError("consent", "Consent: we can only pass your details on if you "
                                        "agree to be contacted about this offer")
    offer = Offer.objects.filter(pk=offer_id, active=True).select_related("organisation").first()
    if offer is None:
        raise HomeInputError("offer", "Offer: this offer is no longer open")
    place, who = circumstances(postcode, tenure, home, low_income)
    ok, why = fits(who, facts(offer))
    if not ok:
        raise HomeInputError("offer", f"Offer: this offer is {why}")
    from .forms import InterestForm

    form = InterestForm({"name": name, "email": email, "phone": phone})
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        label = {"name": "Name", "email": "Email", "phone": "Phone"}[field]
        raise HomeInputError(field, f"{label}: {errors[0]}")
    contact = form.cleaned_data
    with transaction.atomic():
        # one registration per person and offer: registering again updates it
        existing = Interest.objects.filter(offer=offer,
                                           email__iexact=contact["email"]).first()
        interest = existing or Interest(offer=offer)
        interest.postcode = place["postcode"]
        interest.lsoa_code = place["area"]["code"]
        interest.ward_code = (place.get("ward") or {}).get("code", "")
        interest.tenure, interest.home = tenure, home
        interest.low_income = bool(low_income) and offer.low_income_only  # only when needed
        interest.name, interest.email = contact["name"], contact["email"]
        interest.phone, interest.consent = contact["phone"], True
        interest.save()
        return interest


def provider_view(user) -> list[dict]:
    """The offers of the organisations the user belongs to, with the interests in them."""
    names = {a.code: a.display_name for a in city_state().by_geography.get("ward", [])}
    out = []
    for offer in Offer.objects.select_related("organisation").order_by("organisation__name",
                                                                        "title"):
        if not access.can_see_interests(user, offer):
            continue
        interests = list(offer.interests.all())
        wards = Counter(i.ward_code for i in interests if i.ward_code)
        flagged = [{"code": w, "name": names.get(w, w), "registrations": n}
                   for w, n in sorted(wards.items())
                   if offer.group_threshold and n >= offer.group_threshold]
        out.append({"offer": offer, "interests": interests, "wards": dict(wards),
                    "flagged_wards": flagged})
    return out
