"""What the energy app adds to other apps' pages (``activity.sections``): a place's heat
picture in a few sentences, with a link to the whole of it."""

from __future__ import annotations

from commonground.activity import sections

#: Sentences of the heat picture shown on a place's page (fuel poverty, heating, electric).
PLACE_SENTENCES = 3


def place_heat(request, *, geography: str, code: str) -> dict | None:
    """The first sentences of the place's heat picture; None when the city has none."""
    from commonground.places.cache import NotLoaded
    from commonground.places.records import AreaNotFound

    from .heat_picture import NoHeatData, area_picture

    try:
        picture = area_picture(geography, code)
    except (NotLoaded, NoHeatData, AreaNotFound):
        return None
    return {"words": picture["words"][:PLACE_SENTENCES], "geography": geography, "code": code,
            "caveat": picture["fuel_poverty"]["caveat"]}


def register() -> None:
    sections.register("place", order=30, template="energy/_place_heat.html", context=place_heat)
