"""Use case: the city map coloured by IMD decile, with one area highlighted.

Server-rendered SVG (``commonground.geography.svgmap``) so it works with no JavaScript and
no internet; every neighbourhood is a link to its profile, so "click the map" works too.
"""

from __future__ import annotations

import numpy as np

from commonground.geography import mapview
from commonground.geography.manifest import edition_year
from commonground.geography.palettes import IMD_DECILE_COLOURS
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth, summarise_classes

from .cache import CityState, city_state

#: How many places' maps are kept built (each under about 500 KB: ``mapview.MAX_PATHS``).
PLACE_MAPS_KEPT = 32

DECILE_CLASSES = [MapClass(f"{d}{' (most deprived 10%)' if d == 1 else ' (least deprived 10%)' if d == 10 else ''}",
                           IMD_DECILE_COLOURS[d - 1]) for d in range(1, 11)]


def decile_indicator(state: CityState):
    """The newest national IMD decile published on the base geography, or None."""
    candidates = [i for i in state.indicators.values()
                  if i.kind == "decile" and i.source.role == "deprivation" and i.source.geography == state.base]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (edition_year(i.source.name, i.source.vintage) or 0, -i.order))


def city_map(highlight: tuple[str, str] | None = None, *, state: CityState | None = None,
             id_prefix: str = "citymap", width: int = 640) -> dict:
    """SVG of the base areas coloured by IMD decile; ``highlight`` = (geography, code).

    With a highlight the map draws the place and the neighbourhoods around it
    (``mapview.around``); without, every neighbourhood, or a mosaic of them when there are
    more than ``mapview.MAX_PATHS`` (``mapview.whole``). Kept for the load (the city map, and
    the newest ``PLACE_MAPS_KEPT`` places' maps)."""
    state = state or city_state()
    key = (id_prefix, width, mapview.MAX_PATHS)
    if highlight is None:
        return state.derived("city map", lambda: _city_map(None, state, id_prefix, width),
                             key=key)
    return state.derived("place map", lambda: _city_map(highlight, state, id_prefix, width),
                         key=(tuple(highlight), *key), keep=PLACE_MAPS_KEPT)


def _city_map(highlight: tuple[str, str] | None, state: CityState, id_prefix: str,
              width: int) -> dict:
    indicator = decile_indicator(state)
    deciles = state.column(indicator.key) if indicator else np.full(len(state.base_areas), np.nan)
    geometries = state.geometries(state.base)
    highlight_codes, outline = (), None
    if highlight and highlight[0] == state.base:
        highlight_codes = (highlight[1],)
        view = mapview.around(geometries, [state.position(state.base)[highlight[1]]], width=width)
    elif highlight and highlight in state.areas:
        outline = state.geometries(highlight[0])[state.position(highlight[0])[highlight[1]]]
        view = mapview.around(geometries, outline, width=width)
    else:
        view = mapview.whole(geometries, width=width)
    classes = [None if np.isnan(d) else int(d) - 1 for d in deciles.tolist()]
    if view.is_mosaic:
        shapes, counts = mapview.mosaic_shapes(geometries, classes, view, DECILE_CLASSES,
                                               "neighbourhoods",
                                               locate=state.index(state.base).locate)
    else:
        shapes = []
        for i in view.drawn.tolist():
            area, k = state.base_areas[i], classes[i]
            shapes.append(MapShape(
                code=area.code, label=area.display_name, geometry=geometries[i],
                class_index=k, href=f"/places/{area.geography}/{area.code}/",
                value_text=f"IMD decile {k + 1}" if k is not None else "no IMD decile"))
        counts = summarise_classes(shapes, DECILE_CLASSES)
    edition = f" ({indicator.source.title})" if indicator else ""
    around = f" around {state.areas[highlight].display_name}" if outline is not None or \
        highlight_codes else ""
    title = f"{state.run.city_name} neighbourhoods{around} by national IMD decile{edition}"
    parts = [f"decile {label.split(' ')[0]}: {n}" if label[0].isdigit() else f"{label.lower()}: {n}"
             for label, n in counts if n]
    description = ("Each neighbourhood is coloured by its national Index of Multiple Deprivation decile, "
                   "1 = most deprived 10% in England. Neighbourhoods per decile: " + "; ".join(parts) + ".")
    if note := view.note("neighbourhoods"):
        description += " " + note
    svg = render_choropleth(shapes, DECILE_CLASSES, title=title, description=description,
                            highlight_codes=highlight_codes, outline=outline, width=width,
                            legend_title="IMD decile", id_prefix=id_prefix,
                            simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    # The linked areas as a list too: on a phone many are too small to tap on the map.
    areas = sorted(({"name": sh.label, "url": sh.href, "decile": sh.value_text}
                    for sh in shapes if sh.href), key=lambda a: a["name"])
    return {"svg": svg, "title": title, "description": description, "links": not view.is_mosaic,
            "counts": [{"label": label, "areas": n} for label, n in counts], "areas": areas}
