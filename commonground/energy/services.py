"""Use case: a resident's rooftop solar estimate, from a postcode and a few facts about the roof.

One function behind the page, the API and the CLI: ``home_estimate`` checks every input (the
postcode must be one of the city's, the roof possible, the prices not negative) and returns
the place, the estimate and every assumption with its source. Nothing is stored.
"""

from __future__ import annotations

from django.conf import settings

from commonground.places import search
from commonground.places.cache import city_state
from commonground.solar import (
    DEFAULT_ASSUMPTIONS,
    ORIENTATIONS,
    Assumptions,
    Site,
    SolarInputError,
    estimate,
    read_tmy,
    roof_from_inputs,
)
from commonground.solar.homes import HOME_KINDS, check_fits_a_home, home_kind, typical_roof
from commonground.solar.roof import system_size_kwp
from commonground.solar.weather import check_matches_site

#: What each editable assumption is called on the page, and its unit.
ASSUMPTION_LABELS = {
    "cost_per_kwp_gbp": ("Installed cost", "£ per kWp"),
    "seg_export_p_per_kwh": ("Export payment (Smart Export Guarantee)", "p per kWh"),
    "retail_p_per_kwh": ("Electricity price", "p per kWh"),
    "grid_kgco2_per_kwh": ("Grid carbon intensity", "kg CO2e per kWh"),
    "degradation_per_year": ("Panel output lost each year", "fraction"),
    "lifetime_years": ("Years counted", "years"),
    "annual_demand_kwh": ("Your household's electricity use", "kWh a year"),
    "self_consumption_fraction": ("Share of generation used at home (blank: worked out)",
                                  "fraction"),
    "max_direct_use_share": ("Most of your use solar can supply directly", "fraction"),
    "panel_w_per_m2": ("Panel power per m²", "W per m²"),
    "usable_roof_fraction": ("Share of the roof panels can cover", "fraction"),
    "generation_range_fraction": ("Year-to-year range of generation", "± fraction"),
}
SHADING = (("none", "None"), ("some", "Some (trees or buildings for part of the day)"),
           ("heavy", "Heavy (shaded most of the day)"))
TENURE = (("own", "I own my home"), ("rent", "I rent"))
HOME_TYPES = tuple((key, kind.label) for key, kind in HOME_KINDS.items())


FIELD_LABELS = {"weather_file": "Weather file", "postcode": "Postcode", "area_m2": "Roof area", "orientation": "Direction",
                "pitch": "Roof pitch", "shading": "Shade", "tenure": "Your home",
                "home_type": "Kind of home", "storeys": "Floors in the building",
                **{name: label for name, (label, _) in ASSUMPTION_LABELS.items()}}


class HomeInputError(ValueError):
    """An input that cannot be used, with the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class PostcodeNotFound(HomeInputError):
    """A postcode that is shaped like one but is not one of the city's (unknown, or outside)."""


def home_estimate(postcode: str, area_m2, orientation, pitch="typical", shading="none",
                  tenure="own", *, area_from_outline: bool = False,
                  assumptions: dict | None = None, lsoa: str = "",
                  weather_file=None, home_type: str = "", storeys="") -> dict:
    """The estimate for one home, placed by its postcode or, when the resident clicked the
    map instead, by its neighbourhood (``lsoa``: a base-area code). Raises
    ``HomeInputError`` naming the field at fault. ``weather_file``: a PVGIS TMY file (path)
    for the place, an optional better input than the SAP climate tables.

    No tape measure: with ``area_m2`` blank the roof is the typical one of ``home_type``
    (``solar.homes.typical_roof``: a sourced floor area over ``storeys`` floors, blank for
    the kind's usual), shown with its working as ``roof_guess``; a typed area always wins.
    A system past a home's limit (``solar.homes.MAX_HOME_KWP``) is refused on ``area_m2``."""
    place = postcode_place(postcode) if postcode or not lsoa else neighbourhood_place(lsoa)
    if tenure not in dict(TENURE):
        raise HomeInputError("tenure", "Your home: say whether you own or rent it")
    measured = area_m2 is not None and str(area_m2).strip() != ""
    if not measured and not (home_type or "").strip():
        raise HomeInputError("area_m2", "Roof area: type it in, or choose the kind of home "
                                        "and we will estimate it")
    try:
        kind = home_kind(home_type) if (home_type or "").strip() else ""
        guess = None if measured else typical_roof(kind, pitch, storeys)
        roof = roof_from_inputs(area_m2 if measured else guess.area_m2, orientation, pitch,
                                shading, area_from_outline=area_from_outline and measured)
        chosen = DEFAULT_ASSUMPTIONS.updated(**{k: v for k, v in (assumptions or {}).items()
                                                if v is not None})
        check_fits_a_home(roof.area_m2, system_size_kwp(
            roof, panel_w_per_m2=chosen.panel_w_per_m2,
            usable_fraction=chosen.usable_roof_fraction),
            chosen.panel_w_per_m2, chosen.usable_roof_fraction)
        # SAP weather is regional: a site per ~10 km square bounds the model's cache
        site = Site(latitude=round(place["latitude"], 1), longitude=round(place["longitude"], 1),
                    altitude_m=settings.COMMONGROUND_SOLAR_ALTITUDE_M,
                    sap_region=settings.COMMONGROUND_SOLAR_REGION, name=place["name"])
        weather = None
        if weather_file is not None:
            weather = read_tmy(weather_file)
            check_matches_site(weather, site)
        result = estimate(roof, chosen, site, tenure=tenure, weather=weather)
    except SolarInputError as exc:
        field = _form_field(exc.field)
        message = str(exc).removeprefix(f"{exc.field}: ")
        raise HomeInputError(field, f"{FIELD_LABELS.get(field, field)}: {message}") from exc
    return {"place": place, "estimate": result.as_dict(), "home_type": kind,
            "offer_home": HOME_KINDS[kind].offer_home if kind else "",
            "roof_guess": guess.as_dict() if guess is not None else None}


def _form_field(field: str) -> str:
    return {"area_m2": "area_m2", "azimuth_deg": "orientation", "orientation": "orientation",
            "pitch_deg": "pitch", "pitch": "pitch", "shading": "shading"}.get(field, field)


def postcode_place(postcode: str) -> dict:
    """The postcode's position and neighbourhood; it must be one of the city's."""
    state = city_state()
    text = (postcode or "").strip()
    if not text:
        raise HomeInputError("postcode", "Postcode: enter yours, for example MK9 3EJ")
    found = search.postcode_lookup(text, state)
    if found is None:
        part = search.search_areas(text, state)  # the search's rule: a sector or district?
        if part.postcode_area and part.postcode_area["postcodes"]:
            held = sum(a["geography"] == state.base for a in part.areas)
            raise HomeInputError("postcode", f"Postcode: {part.postcode_area['text']} is only the "
                                             f"first part of a postcode, shared by {held} "
                                             "neighbourhoods; type all of yours, such as MK9 3EJ, "
                                             "or choose your neighbourhood on the map")
        raise HomeInputError("postcode", f"Postcode: “{text[:20]}” is not a postcode; it should "
                                         "look like MK9 3EJ")
    if not found["found"] or found.get("latitude") is None:
        raise PostcodeNotFound("postcode", f"Postcode: we do not know {found['postcode']}; "
                                           f"check it, or it may be outside {state.run.city_name}")
    if found["area"] is None:
        raise PostcodeNotFound("postcode", f"Postcode: {found['postcode']} is outside "
                                           f"{state.run.city_name}")
    return {"postcode": found["postcode"], "latitude": found["latitude"],
            "longitude": found["longitude"], "area": found["area"],
            "name": found["area"]["name"], "terminated": found.get("terminated", False)}


def neighbourhood_place(code: str) -> dict:
    """A neighbourhood chosen on the map: its point on surface stands for the home."""
    from commonground.geography.projection import bng_to_lonlat
    from commonground.places.profiles import area_ref

    state = city_state()
    record = state.areas.get((state.base, code))
    if record is None:
        raise HomeInputError("postcode", f"Postcode: {code} is not one of "
                                         f"{state.run.city_name}'s neighbourhoods")
    lon, lat = bng_to_lonlat([record.easting], [record.northing])
    return {"postcode": "", "latitude": float(lat[0]), "longitude": float(lon[0]),
            "area": area_ref(record), "name": record.display_name, "terminated": False}


def neighbourhood_map(chosen: str = "", query: str = "") -> str:
    """An SVG map whose neighbourhoods are links that choose them (no JavaScript)."""
    from commonground.geography.svgmap import MapClass, MapShape, render_choropleth

    state = city_state()
    geometries = state.geometries(state.base)
    classes = [MapClass("a neighbourhood", "#cfe3d6"), MapClass("your choice", "#1d3b2a")]
    shapes = [MapShape(code=a.code, label=a.display_name, geometry=geometries[i],
                       class_index=1 if a.code == chosen else 0,
                       href=_choice_href(a.code, query), value_text="choose this neighbourhood")
              for i, a in enumerate(state.base_areas)]
    return render_choropleth(shapes, classes, title="Choose your neighbourhood on the map",
                             description="Each neighbourhood is a link: choose yours if you "
                                         "would rather not give a postcode.",
                             legend_title="Neighbourhoods", id_prefix="homemap", width=480)


def _choice_href(code: str, query: str = "") -> str:
    return f"?{query}&lsoa={code}" if query else f"?lsoa={code}"


def neighbourhood_choices(chosen: str = "", query: str = "") -> list[dict]:
    """The map's neighbourhoods as a list by name, the same links (on a phone many are too
    small to tap on the map): name, url and whether it is the one chosen."""
    state = city_state()
    return sorted(({"name": a.display_name, "url": _choice_href(a.code, query),
                    "chosen": a.code == chosen} for a in state.base_areas),
                  key=lambda a: a["name"])


def default_assumptions() -> list[dict]:
    """Every assumption with its label, unit, default and source, for the form."""
    values = Assumptions.defaults().as_dict()
    return [{"name": name, "label": ASSUMPTION_LABELS[name][0],
             "unit": ASSUMPTION_LABELS[name][1], "value": values[name]["value"],
             "source": values[name]["source"]} for name in Assumptions.field_names()]


ORIENTATION_CHOICES = tuple((k, k) for k in ORIENTATIONS)
