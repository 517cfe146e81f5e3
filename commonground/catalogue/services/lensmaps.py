"""The lens's two maps as server-rendered SVG: the measure per neighbourhood in the classes the
lens chose (Fisher-Jenks or quantiles), and hot and cold spots from local Moran's I."""

from __future__ import annotations

import numpy as np

from commonground.geography import mapview
from commonground.geography.palettes import sequential
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth, summarise_classes
from commonground.lens.chart import format_number
from commonground.places.cache import city_state

#: ColorBrewer 2.0 RdBu (Apache-2.0; colour-blind safe), ends and inner steps.
SPOT_CLASSES = [MapClass("hot spot (high among high)", "#b2182b"),
                MapClass("high among low", "#ef8a62"),
                MapClass("not significant", "#f7f7f7"),
                MapClass("low among high", "#67a9cf"),
                MapClass("cold spot (low among low)", "#2166ac")]
_SPOT_INDEX = {"hot": 0, "high among low": 1, "not significant": 2, "low among high": 3,
               "cold": 4}


def lens_maps(result: dict, width: int = 640) -> dict | None:
    where = result.get("where")
    if not where:
        return None
    state = city_state()
    geometries = state.geometries(state.base)
    areas = where["areas"]  # lens.rows.WhereAreas: read a column at a time
    base_areas, part = state.base_areas, len(areas) != len(state.base_areas)
    if part:  # the lens of one authority: its areas, in the package's order
        at = state.position(state.base)
        keep = np.array([at[code] for code in areas.codes], dtype=np.intp)
        base_areas, geometries = [base_areas[i] for i in keep], geometries[keep]
    bins = where["classification"].get("bins") or []
    colours = sequential(max(len(bins), 1), "viridis")  # light = low, dark = high
    classes, low = [], None
    for i, upper in enumerate(bins):
        if low is None:
            label = "0" if upper == 0 else f"up to {format_number(upper)}"
        else:
            label = f"{format_number(low)} to {format_number(upper)}"
        classes.append(MapClass(label, colours[i]))
        low = upper
    unit = where["unit"]
    label = result["measure"]["label"]
    codes = [area.code for area in base_areas]
    if list(areas.codes) != codes:  # the lens and the map must list areas in one order
        raise RuntimeError(f"the lens's {len(areas.codes)} areas are not the map's {len(codes)} "
                           "in the same order")
    value_index = areas.classes
    spot_index = [_SPOT_INDEX.get(spot) for spot in areas.spots]
    spot_of = np.array([-1 if k is None else k for k in spot_index], dtype=int)
    view = mapview.whole(geometries, width=width)
    if view.is_mosaic:
        locate = None if part else state.index(state.base).locate
        value_shapes, value_counts = mapview.mosaic_shapes(geometries, value_index, view, classes,
                                                           "neighbourhoods",
                                                           locate=locate)
        spot_shapes, spot_counts = mapview.mosaic_shapes(geometries, spot_index, view,
                                                         SPOT_CLASSES, "neighbourhoods",
                                                         locate=locate)
    else:
        value_shapes, spot_shapes = [], []
        for i in view.drawn.tolist():
            area, row = base_areas[i], areas[i]
            href = f"/places/{area.geography}/{area.code}/"
            text = (f"{format_number(row['value'])} {unit}" if row["value"] is not None
                    else "hidden to protect privacy" if row["suppressed"] else "no value")
            value_shapes.append(MapShape(code=area.code, label=area.display_name,
                                         geometry=geometries[i], class_index=value_index[i],
                                         href=href, value_text=text))
            spot_shapes.append(MapShape(code=area.code, label=area.display_name,
                                        geometry=geometries[i], class_index=spot_index[i],
                                        href=href, value_text=row["spot"]))
        value_counts = summarise_classes(value_shapes, classes)
        spot_counts = summarise_classes(spot_shapes, SPOT_CLASSES)
    note = view.note("neighbourhoods")
    method = where["classification"].get("method", "")
    summary = "; ".join(f"{lbl}: {n}" for lbl, n in value_counts if n)
    value_desc = (f"{label[:1].upper() + label[1:]} {unit} in each neighbourhood, in {len(classes)} classes "
                  f"({method}). Neighbourhoods per class: {summary}." + (" " + note if note else ""))
    value_svg = render_choropleth(value_shapes, classes, title=f"{label[:1].upper() + label[1:]} {unit}",
                                  description=value_desc, legend_title=unit, width=width,
                                  id_prefix="lensmap", simplify_m=view.tolerance_m,
                                  edges=not view.is_mosaic)
    h = where["hot_spots"]
    spot_summary = "; ".join(f"{lbl}: {n}" for lbl, n in spot_counts if n)
    spot_desc = (f"Local Moran's I of {label} {unit}: neighbourhoods whose value and whose "
                 f"neighbours' values are both high (hot) or both low (cold), significant after "
                 f"a false discovery rate of {h.get('alpha')}. Neighbourhoods per class: "
                 f"{spot_summary}." + (" " + note if note else ""))
    spot_svg = render_choropleth(spot_shapes, SPOT_CLASSES, title=f"Hot and cold spots of {label}",
                                 description=spot_desc, legend_title="Local Moran's I",
                                 width=width, id_prefix="spotmap", simplify_m=view.tolerance_m,
                                 edges=not view.is_mosaic)
    counts = {c.label: int((spot_of == j).sum()) for j, c in enumerate(SPOT_CLASSES)}
    # The maps' linked neighbourhoods as a list too, with what the maps show of each (on a
    # phone many are too small to tap); none for a mosaic, whose cells are not places.
    spot_words = {"hot": "a hot spot", "cold": "a cold spot", "high among low": "high among low",
                  "low among high": "low among high"}  # the significant ones, as in the legend
    areas = sorted(({"name": v.label, "url": v.href, "value": v.value_text,
                     "spot": spot_words.get(s.value_text, "")}
                    for v, s in zip(value_shapes, spot_shapes, strict=True) if v.href),
                   key=lambda a: a["name"]) if not view.is_mosaic else []
    return {"value": {"svg": value_svg, "description": value_desc},
            "spots": {"svg": spot_svg, "description": spot_desc, "counts": counts,
                      "any": bool(np.isin(spot_of, (0, 4)).any())}, "areas": areas}
