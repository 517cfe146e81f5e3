"""Use case: neighbourhood solar potential — who can put panels on their own roof, and who is
shut out — with the difference lens on the share shut out (``commonground.solar.neighbourhoods``).
Computed once per city load."""

from __future__ import annotations

from functools import partial

import numpy as np

from commonground.catalogue.services.lens import lens_city
from commonground.geography import mapview
from commonground.geography.census_homes import HOUSE_TYPES, OWNER_PREFIX
from commonground.geography.palettes import sequential
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth
from commonground.lens.compute import LensOptions, run_lens
from commonground.lens.inputs import Measure
from commonground.lens.spatial import classify
from commonground.places.cache import city_state
from commonground.solar.neighbourhoods import roof_access


class NoCensusTables(LookupError):
    """The city's data has no accommodation-type or tenure table."""


def city_roof_access(city):
    """Roof access per base area from the city's accommodation-type and tenure tables
    (found by their categories), with the two tables. Raises ``NoCensusTables``."""
    accommodation = next((t for t in city.groups if set(HOUSE_TYPES) <= set(t.labels)), None)
    tenure = next((t for t in city.groups
                   if any(label.startswith(OWNER_PREFIX) for label in t.labels)), None)
    if accommodation is None or tenure is None:
        raise NoCensusTables("the city's data needs Census accommodation type and tenure "
                             "tables for this page")
    access = roof_access(accommodation.labels, accommodation.counts, tenure.labels,
                         tenure.counts, city.population)
    return access, accommodation, tenure


def neighbourhood_potential() -> dict:
    state = city_state()
    return state.derived("neighbourhood potential", partial(_potential, state))


def _potential(state) -> dict:
    city = lens_city(state)
    access, accommodation, tenure = city_roof_access(city)
    share = 100 * access.shut_out_share
    measure = Measure(kind="value", label="the share of households shut out of own-roof solar",
                      unit="% of households", per_area=share, points_xy=np.empty((0, 2)),
                      rows_total=len(share), rows_in_areas=len(share), column="shut_out")
    lens = run_lens(city, measure, LensOptions(sections=("deprivation", "where"), draws=2000))
    rows = [{"code": code, "name": city.area_names[i], "households": _int(access.households[i]),
             "houses": _int(access.houses[i]), "flats": _int(access.flats[i]),
             "owner_share": _num(access.owner_share[i]), "own_roof": _int(access.own_roof[i]),
             "shut_out": _int(access.shut_out[i]), "shut_out_share": _num(share[i]),
             "residents_shut_out": _int(access.residents_shut_out[i])}
            for i, code in enumerate(city.area_codes)]
    totals = {"households": _int(access.households.sum()), "houses": _int(access.houses.sum()),
              "own_roof": _int(np.nansum(access.own_roof)),
              "shut_out": _int(np.nansum(access.shut_out)),
              "residents_shut_out": _int(np.nansum(access.residents_shut_out))}
    totals["shut_out_share"] = _num(100 * totals["shut_out"] / totals["households"])
    result = {"city": city.name, "areas": rows, "totals": totals,
              "sources": {"accommodation": f"{accommodation.title} ({accommodation.period})",
                          "tenure": f"{tenure.title} ({tenure.period})"},
              "words": lens["words"][1:], "deprivation": lens.get("deprivation"),
              "map": _map(state, share)}
    return result


def _int(x) -> int | None:
    return int(round(float(x))) if np.isfinite(x) else None


def _num(x) -> float | None:
    return round(float(x), 1) if np.isfinite(x) else None


def _map(state, share: np.ndarray) -> dict:
    classes = classify(share, method="quantiles", k=5)
    colours = sequential(len(classes["bins"]), "viridis")
    legend, low = [], None
    for i, upper in enumerate(classes["bins"]):
        legend.append(MapClass(f"{low:.0f}–{upper:.0f}%" if low is not None
                               else f"up to {upper:.0f}%", colours[i]))
        low = upper
    geometries = state.geometries(state.base)
    view = mapview.whole(geometries)
    if view.is_mosaic:
        shapes, _ = mapview.mosaic_shapes(geometries, classes["classes"], view, legend,
                                          "neighbourhoods",
                                          locate=state.index(state.base).locate)
    else:
        shapes = [MapShape(code=a.code, label=a.display_name, geometry=geometries[i],
                           class_index=classes["classes"][i],
                           href=f"/places/{a.geography}/{a.code}/",
                           value_text=f"{share[i]:.0f}% of households shut out")
                  for i, a in ((i, state.base_areas[i]) for i in view.drawn.tolist())]
    description = ("Share of each neighbourhood's households that do not own a house (they "
                   "live in a flat, or rent), so cannot put panels on a roof of their own; "
                   "five classes of equal count (quantiles).")
    if note := view.note("neighbourhoods"):
        description += " " + note
    svg = render_choropleth(shapes, legend, title="Households shut out of own-roof solar",
                            description=description, legend_title="% of households",
                            id_prefix="shutout", simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    return {"svg": svg, "description": description}
