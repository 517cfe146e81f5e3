"""Use cases: a resident's options (offers that fit, ranked, with reasons), registering
interest with consent (its link emailed, never shown), and what a provider sees.
Permissions: ``access``."""

from __future__ import annotations

from collections import Counter

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower

from commonground.places import search
from commonground.places.cache import city_state

from . import access
from .matching import MEASURES, Circumstances, OfferFacts, fits, match, measures_words
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
                      building=offer.building, heating=offer.heating,
                      measures=frozenset(offer.measures or ()))


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
            "heating": o.get_heating_display(),
            "measures": [k for k in MEASURES if k in set(o.measures or ())],
            "for_what": for_what(o),
            "low_income_only": o.low_income_only, "local": bool(o.area_codes)}


def for_what(o: Offer) -> str:
    """What the offer is for, as a sentence ("For solar panels."); not stated: said so."""
    what = measures_words(o.measures or ())
    return f"For {what}." if what else "It does not say what it is for: read it, or ask " \
                                       f"{o.organisation.name}."


def register_interest(offer_id: int, *, postcode: str, tenure: str, home: str,
                      low_income: bool, name: str, email: str, phone: str = "",
                      consent: bool = False) -> tuple[Interest, bool]:
    """Store an interest — only with consent, only for an offer open to the person — and email
    the link to it (see it, delete it) to the address given; return it and whether it is new.

    An address already registered for the offer keeps its registration exactly as it was: no
    one changes it by registering again. That address is emailed its existing link instead, so
    the caller (who may not own the address) learns nothing and gets no link either way. The
    row is written by one INSERT that the unique constraint on (lower(email), offer) refuses
    for a second registration, never a read and then a write: concurrent registrations neither
    race nor hold the database's write lock while they read."""
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
    interest = Interest(
        offer=offer, postcode=place["postcode"], lsoa_code=place["area"]["code"],
        ward_code=(place.get("ward") or {}).get("code", ""), tenure=tenure, home=home,
        low_income=bool(low_income) and offer.low_income_only,  # only when the offer needs it
        name=contact["name"], email=contact["email"], phone=contact["phone"], consent=True)
    for _ in range(2):  # a second try only if the registration in the way was just deleted
        try:
            with transaction.atomic():
                interest.save(force_insert=True)
        except IntegrityError:
            existing = (Interest.objects.select_related("offer__organisation")
                        .alias(address=Lower("email"))
                        .filter(offer=offer, address=Lower(Value(contact["email"]))).first())
            if existing is not None:
                send_link(existing, created=False)
                return existing, False
            interest.pk = None
        else:
            send_link(interest, created=True)
            return interest, True
    raise HomeInputError("email", "Email: this registration could not be stored; please try "
                                  "again")


def send_link(interest: Interest, *, created: bool) -> None:
    """Email the registration's own link to its address (``COMMONGROUND_SITE_URL`` + path):
    the only way anyone reaches it."""
    offer = interest.offer
    link = settings.COMMONGROUND_SITE_URL.rstrip("/") + interest.get_absolute_url()
    why = (f"Thank you for registering interest in “{offer.title}”. {offer.organisation.name} "
           "can now contact you about it; only its members see your details."
           if created else
           f"Someone (we hope you) asked to register this address for “{offer.title}” again. "
           "You were already registered, and nothing has changed.")
    send_mail(f"Your registration of interest: {offer.title}",
              f"Hello,\n\n{why}\n\nTo see your registration or delete your details, open this "
              f"link:\n\n{link}\n\nKeep this email: anyone with the link can see and delete the "
              "registration. To change your details, delete them there and register again. If "
              "you did not register, open the link and delete the registration.",
              None, [interest.email])


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
