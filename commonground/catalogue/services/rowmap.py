"""Use case: a map of a version's rows — rows per neighbourhood, with the points on top.

Server-rendered SVG (no JavaScript, no tiles): each base area (LSOA) is coloured by how
many of the version's rows fall in it, in classes that double (1, 2–3, 4–7, ...), and rows
with a point (coordinates, a postcode centroid or a shape's surface point) are drawn as
dots — a reproducible random sample of at most ``MAX_POINTS`` for big datasets, said in
the map's description. A dataset whose records are withheld (about people, or restricted as a
whole) gets the disclosure-controlled counts and no dots; one with only some columns
restricted (``partly_withheld``) gets its counts but no dots (the rows' exact locations are
withheld with those columns).
"""

from __future__ import annotations

import numpy as np

from commonground.datastore.query import connection, reading, schema
from commonground.geography import mapview
from commonground.geography.palettes import sequential
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth, summarise_classes
from commonground.places.cache import city_state

from ..models import Version

MAX_POINTS = 2000


def doubling_classes(largest: int) -> list[tuple[int, int]]:
    """Class bounds (inclusive) 1, 2–3, 4–7, ... up to ``largest``; at most 6 classes."""
    bounds, low = [], 1
    while low <= largest and len(bounds) < 5:
        bounds.append((low, min(low * 2 - 1, largest)))
        low *= 2
    if low <= largest:
        bounds.append((low, largest))
    return bounds


def rows_map(version: Version, *, width: int = 640) -> dict | None:
    """SVG and a text summary, or None when no row is linked to an area or a point."""
    state = city_state()
    counts = dict(version.areas.filter(geography=state.base).values_list("code", "rows"))
    con = connection()
    columns = {c["name"] for c in schema(version.parquet_path)}
    dataset = version.resource.dataset
    people = dataset.records_withheld
    no_dots = people or dataset.partly_withheld  # exact locations are never drawn for these
    points = np.empty((0, 2))
    with_points = 0
    # the version the preview already cached
    with reading(version.parquet_path) as (table, params):
        # S608 below: `table` is query.reading()'s own name for the version, values are parameters.
        if "_easting" in columns:
            with_points = con.execute(f"SELECT count(*) FROM {table} WHERE _easting IS NOT NULL",  # noqa: S608
                                      params).fetchone()[0]
        if with_points and not no_dots:  # withheld records are never read as points
            sample = con.execute(
                f"SELECT _easting, _northing FROM (SELECT _easting, _northing FROM {table} "  # noqa: S608
                f"WHERE _easting IS NOT NULL) USING SAMPLE reservoir({MAX_POINTS} ROWS) REPEATABLE (42)",
                params).fetchnumpy()
            points = np.column_stack([sample["_easting"], sample["_northing"]]).astype(float)
    if not counts and not with_points:
        return None
    if people:  # withheld records: no small counts, no dots
        return _suppressed_map(version, state, width)
    bounds = doubling_classes(max(counts.values(), default=1))
    colours = sequential(len(bounds) + 1, "viridis", reverse=True)
    classes = [MapClass("no rows", "#f7f7f7")] + [
        MapClass(f"{lo:,}" if lo == hi else f"{lo:,}–{hi:,}", colours[i + 1])
        for i, (lo, hi) in enumerate(bounds)]
    geometries = state.geometries(state.base)
    view = mapview.whole(geometries, width=width)
    index = [0 if n == 0 else 1 + next(j for j, (lo, hi) in enumerate(bounds) if lo <= n <= hi)
             for n in (counts.get(area.code, 0) for area in state.base_areas)]
    if view.is_mosaic:
        shapes, summary = mapview.mosaic_shapes(geometries, index, view, classes,
                                                "neighbourhoods",
                                                locate=state.index(state.base).locate)
    else:
        shapes = []
        for i in view.drawn.tolist():
            area = state.base_areas[i]
            n = counts.get(area.code, 0)
            shapes.append(MapShape(code=area.code, label=area.display_name,
                                   geometry=geometries[i], class_index=index[i],
                                   href=f"/places/{area.geography}/{area.code}/",
                                   value_text=f"{n:,} row{'s' if n != 1 else ''}"))
        summary = summarise_classes(shapes, classes)
    shown = len(points)
    dots = ""
    if with_points and no_dots:
        dots = " The rows' exact locations are restricted, so no points are drawn."
    elif with_points:
        dots = (f" Dots show {'all ' if shown == with_points else 'a random sample of '}"
                f"{shown:,} of the {with_points:,} rows with a location.")
    description = (f"Rows of {version.resource.name} per neighbourhood ({state.base.upper()}). "
                   "Neighbourhoods per class: " +
                   "; ".join(f"{label}: {n}" for label, n in summary if n) + "." + dots
                   + _note(view))
    svg = render_choropleth(shapes, classes, title=f"Where the rows of {version.resource.name} are",
                            description=description, legend_title="Rows per area",
                            id_prefix="rowmap", width=width, points=points,
                            simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    return {"svg": svg, "description": description, "linked_areas": len(counts),
            "points": with_points, "sampled": shown < with_points}


def _suppressed_map(version: Version, state, width: int) -> dict:
    """Rows per area as anyone may see them (``disclosure.public_counts``): an area whose
    count is hidden — fewer than the threshold, none included, or a count that would give one
    away — is told apart neither from an empty one nor from another hidden one."""
    from .disclosure import public_counts

    public = public_counts(version)
    threshold = public.threshold
    counts = dict(public.areas[state.base])
    colours = sequential(3, "viridis", reverse=True)
    classes = [MapClass("count hidden", "#f7f7f7"),
               MapClass(f"{threshold:,} or more", colours[2])]
    geometries = state.geometries(state.base)
    view = mapview.whole(geometries, width=width)
    index = [0 if counts.get(area.code) is None else 1 for area in state.base_areas]
    if view.is_mosaic:
        shapes, summary = mapview.mosaic_shapes(geometries, index, view, classes,
                                                "neighbourhoods",
                                                locate=state.index(state.base).locate)
    else:
        shapes = []
        for i in view.drawn.tolist():
            area = state.base_areas[i]
            n = counts.get(area.code)
            shapes.append(MapShape(code=area.code, label=area.display_name,
                                   geometry=geometries[i], class_index=index[i],
                                   href=f"/places/{area.geography}/{area.code}/",
                                   value_text="count hidden" if n is None else f"{n:,} rows"))
        summary = summarise_classes(shapes, classes)
    why = ("is restricted" if version.resource.dataset.restricted
           else "holds records about people")
    description = (f"Rows of {version.resource.name} per neighbourhood. The dataset {why}, "
                   f"so an area's count is hidden when it is below {threshold} — "
                   "none included — or would give such a count away, and no points are drawn. "
                   + ("These counts are still being checked (a background job, once for this "
                      "version), so every one is hidden for now. " if public.pending else "")
                   + "Neighbourhoods per class: "
                   + "; ".join(f"{label}: {n}" for label, n in summary if n) + "."
                   + _note(view))
    svg = render_choropleth(shapes, classes, title=f"Where the rows of {version.resource.name} are",
                            description=description, legend_title="Rows per area",
                            id_prefix="rowmap", width=width, simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    return {"svg": svg, "description": description, "linked_areas": None, "points": 0,
            "sampled": False}


def _note(view: mapview.View) -> str:
    note = view.note("neighbourhoods")
    return " " + note if note else ""
