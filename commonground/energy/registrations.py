"""What the energy app adds to other apps' pages (``activity.sections``): a place's heat
picture in a few sentences, with a link to the whole of it; and what it tells the
participation app: who may see who registered for an offer (``participation.access``)."""

from __future__ import annotations

from commonground.activity import sections

#: Sentences of the heat picture shown on a place's page (fuel poverty, heating, electric).
PLACE_SENTENCES = 3


def place_heat(request, *, geography: str, code: str) -> dict | None:
    """The first sentences of the place's heat picture, and which parts the hub's data lacks
    (``missing``: one sentence); None (no section) when the data holds none of its parts."""
    from commonground.places.cache import NotLoaded
    from commonground.places.records import AreaNotFound

    from .heat_picture import REST, NoHeatData, area_picture

    try:
        picture = area_picture(geography, code)
    except (NotLoaded, NoHeatData, AreaNotFound):
        return None
    fuel_poverty = picture["fuel_poverty"]
    held = [words for key, words in (("heating", "heating"), ("accommodation", "homes"),
                                     ("tenure", "tenure")) if picture[key]]
    parts = ", ".join(held[:-1]) + " and " + held[-1] if len(held) > 1 else "".join(held)
    return {"words": picture["words"][:PLACE_SENTENCES], "geography": geography, "code": code,
            "caveat": fuel_poverty["caveat"] if fuel_poverty else "", "parts": parts,
            "missing": (picture["missing_note"].removesuffix(REST) + "."
                        if picture["missing_note"] else "")}


def _offer_of_registrants(user, offer_id: int):
    from .offers_api import offer_of_registrants

    return offer_of_registrants(user, offer_id)


def register() -> None:
    from commonground.participation import access as participation

    from .access import can_see_interests

    sections.register("place", order=30, template="energy/_place_heat.html", context=place_heat)
    participation.register("offer", can_see=can_see_interests, fetch=_offer_of_registrants)
