"""The map of a profile item (key figures or deprivation): the neighbourhoods (LSOAs) around
the pack's place coloured by the newest national Index of Multiple Deprivation decile, the
place outlined. Built when the snapshot is taken and stored in it, like a dataset item's map.

Sources: deciles as published (``places.maps.decile_indicator``: the newest IMD on the base
geography); boundaries are the loaded areas (British National Grid, metres); drawn by
``geography.svgmap.render_choropleth`` with the city map's classes and colours.
"""

from __future__ import annotations

import hashlib

import numpy as np

from commonground.geography import mapview
from commonground.geography.svgmap import MapShape, render_choropleth, summarise_classes
from commonground.places.maps import DECILE_CLASSES, decile_indicator

from . import citations as c
from .maps import WIDTH, view

UNIT = "IMD decile (1 = most deprived 10%)"


def profile_map(state, geography: str, code: str, where: str,
                source: str | None = None) -> dict | None:
    """The frozen map as plain JSON (the keys of ``maps.dataset_map``); ``where`` names the
    place's kind ("ward"). None when no IMD decile is published on the base geography, or
    when ``source`` (a deprivation section's) is not the edition the deciles come from."""
    indicator = decile_indicator(state)
    if indicator is None or (source and source != indicator.source.name):
        return None
    deciles = state.column(indicator.key)
    base, geoms = state.base_areas, state.geometries(state.base)
    shown = view(state, geography, code, among=state.base)
    picked = [] if shown.is_mosaic else shown.drawn.tolist()
    shapes, areas = [], []
    if shown.is_mosaic:  # a place over more neighbourhoods than a map draws one by one
        shapes, legend = mapview.mosaic_shapes(
            geoms, [None if np.isnan(d) else int(d) - 1 for d in deciles.tolist()], shown,
            DECILE_CLASSES, "neighbourhoods")
    for i in picked:
        d = None if np.isnan(deciles[i]) else int(deciles[i])
        shapes.append(MapShape(code=base[i].code, label=base[i].display_name, geometry=geoms[i],
                               class_index=None if d is None else d - 1,
                               href=f"/places/{state.base}/{base[i].code}/",
                               value_text=f"IMD decile {d}" if d else "no IMD decile"))
        areas.append({"code": base[i].code, "name": base[i].display_name, "decile": d})
    place = state.areas[(geography, code)]
    outline = None
    if geography != state.base:
        outline = state.geometries(geography)[state.position(geography)[code]]
    title = (f"{place.display_name} ({code}), outlined, and the neighbourhoods around it by "
             f"national IMD decile ({indicator.source.title})")
    if not shown.is_mosaic:
        legend = summarise_classes(shapes, DECILE_CLASSES)
    description = (f"Each neighbourhood (LSOA) is coloured by its national Index of Multiple "
                   f"Deprivation decile, 1 = most deprived 10% in England; the "
                   f"{where} is outlined. Neighbourhoods per decile: "
                   + "; ".join(f"{label.split(' ')[0]}: {n}" for label, n in legend if n) + ".")
    if note := shown.note("neighbourhoods"):
        description += " " + note
    prefix = "packmap-" + hashlib.sha256(f"imd:{indicator.key}:{geography}:{code}".encode()
                                         ).hexdigest()[:8]
    svg = render_choropleth(shapes, DECILE_CLASSES, title=title, description=description,
                            highlight_codes=(code,) if outline is None else (),
                            outline=outline, legend_title="IMD decile", id_prefix=prefix,
                            width=WIDTH, simplify_m=shown.tolerance_m,
                            edges=not shown.is_mosaic)
    colours = {cl.label: cl.colour for cl in DECILE_CLASSES}
    source = {"title": indicator.source.title, "vintage": indicator.source.vintage,
              "licence": indicator.source.licence_title or indicator.source.licence_name}
    return {"svg": svg, "title": title, "description": description, "unit": UNIT,
            "legend": [{"label": lbl, "colour": colours.get(lbl, "#e3e3e3"), "areas": n}
                       for lbl, n in legend if n],
            "areas": areas, "dots": 0, "dots_in_window": 0,
            "citation": c.table_citation(source, "national decile of each neighbourhood "
                                                 "(LSOA) as published")}
