"""Use case: the difference lens of a project's footprint — who lives in and near it.

``project_lens(project)`` runs the pure footprint lens (``commonground.lens.footprint``) on
the project's footprint (``footprints.footprint_geometry``) and the lens's city
(``catalogue.services.lens.lens_city``), adding the Census tables the lens's city leaves out
because they are published only for larger areas (sexual orientation by MSOA), shared out by
the residents reached. The result is kept in the load's memo (``CityState.derived``) per
footprint and reach rule, so the project page, its JSON and CSV and an assessment that
freezes it read the same numbers; a city-wide project, or one with no footprint, gets
words instead of figures. The dictionary carries the method note and its sources (the
Census tables, the deprivation edition and the load), and the map of where it reaches.

Dictionaries handed out are shared: read them, never change them (copy to add to one).
"""

from __future__ import annotations

from functools import partial

import shapely

from commonground.catalogue.services.lens import lens_city
from commonground.geography import mapview
from commonground.geography.palettes import sequential
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth, summarise_classes
from commonground.lens import footprint as lens_footprint
from commonground.lens.inputs import City
from commonground.places.cache import CityState, city_state

from .footprints import area_geometry, described_only, footprint_geometry, footprint_key
from .models import Project

#: Footprint lenses kept per load, the newest.
_KEEP = 64
#: A project's footprint touches a place when it reaches this far inside the place's
#: boundary (metres): footprints that only share an edge with it (or a sliver from two
#: boundary files drawn differently) do not.
TOUCH_M = 10.0


def coarse_tables(state: CityState) -> tuple[lens_footprint.CoarseTable, ...]:
    """Census tables published only for areas larger than the base ones, each with its areas'
    positions for the base areas (best fit): the lens city's (``coarse_tables`` there)."""
    return lens_city(state).coarse


def project_lens(project: Project, *, near_polygons: bool = False) -> dict:
    """The footprint lens of ``project`` as one JSON-ready dictionary (see the module)."""
    state = city_state()
    city = lens_city(state)
    about = {"slug": project.slug, "title": project.title, "city_wide": project.city_wide}
    if project.city_wide:
        result = lens_footprint.city_wide_lens(city)
    else:
        geometry = footprint_geometry(project, state)
        if geometry is None:
            result = lens_footprint.no_footprint_lens(city, described_only(project))
        else:
            key = (footprint_key(geometry), near_polygons)
            result = state.derived("project footprint lens",
                                   partial(_lens, state, city, geometry, near_polygons),
                                   key=key, keep=_KEEP)
    return {**result, "project": about, "sources": sources(state, city)}


def _lens(state: CityState, city: City, geometry, near_polygons: bool) -> dict:
    coarse = coarse_tables(state)
    result = lens_footprint.footprint_lens(city, geometry, near_polygons=near_polygons,
                                           coarse=coarse)
    shares = {a["code"]: a["share"] for a in result["reach"]["areas"]}
    result["map"] = footprint_map(state, geometry, shares)
    return result


def sources(state: CityState, city: City) -> dict:
    """What the figures rest on: the Census tables, the newest deprivation edition, the
    residents and the load they were read from."""
    tables = [{"key": t.key, "title": t.title, "universe": t.universe, "period": t.period,
               "geography": city.base_geography} for t in city.groups]
    tables += [{"key": c.table.key, "title": c.table.title, "universe": c.table.universe,
                "period": c.table.period, "geography": c.geography}
               for c in coarse_tables(state)]
    edition = city.edition(None) if city.deprivation else None
    return {"census": tables,
            "deprivation": {"key": edition.key, "title": edition.title, "year": edition.year,
                            "geography": edition.geography} if edition else None,
            "residents": city.population_source, "people": city.people.method,
            "load": {"run": state.run.pk, "started": state.run.started.isoformat(),
                     "fingerprint": state.run.fingerprint, "city": state.run.city_name}}


# ------------------------------------------------------------------------------ the map

#: Map classes: the share of each neighbourhood's residents in the footprint's reach.
SHARE_BANDS = ((0.25, "under a quarter"), (0.75, "a quarter to three quarters"),
               (1.01, "three quarters or more"))
NOT_REACHED = MapClass("not reached", "#f2f2f2")


def _band(share: float) -> int:
    """Index into the map's classes: ``NOT_REACHED``, then the ``SHARE_BANDS``."""
    return 0 if share <= 0 else 1 + next(i for i, (upper, _) in enumerate(SHARE_BANDS)
                                         if share < upper)


def footprint_map(state: CityState, geometry, shares: dict[str, float | None]) -> dict:
    """The footprint over the neighbourhoods around it (``mapview.around``), each shaded by
    the share of its residents the footprint reaches; polygons and lines drawn dashed, points
    as dots."""
    colours = sequential(len(SHARE_BANDS), "viridis")
    classes = [NOT_REACHED, *[MapClass(label, c) for (_, label), c
                              in zip(SHARE_BANDS, colours, strict=True)]]
    shapes = []
    geometries = state.geometries(state.base)
    view = mapview.around(geometries, geometry)
    if view.is_mosaic:  # a footprint over more neighbourhoods than a map draws one by one
        index = [_band(shares.get(a.code) or 0.0) for a in state.base_areas]
        shapes, counts = mapview.mosaic_shapes(geometries, index, view, classes, "neighbourhoods")
    for i in [] if view.is_mosaic else view.drawn.tolist():
        area, polygon = state.base_areas[i], geometries[i]
        share = shares.get(area.code) or 0.0
        index = _band(share)
        shapes.append(MapShape(code=area.code, label=area.display_name, geometry=polygon,
                               class_index=index, href=f"/places/{area.geography}/{area.code}/",
                               value_text=f"{100 * share:.0f}% of residents reached" if share
                               else "not reached"))
    parts = lens_footprint.simple_parts(geometry)
    is_point = shapely.get_type_id(parts) == 0
    points = shapely.get_coordinates(parts[is_point]) if is_point.any() else None
    outline = shapely.GeometryCollection(list(parts[~is_point])) if (~is_point).any() else None
    if not view.is_mosaic:
        counts = summarise_classes(shapes, classes)
    title = f"Where the footprint reaches, over the neighbourhoods of {state.run.city_name}"
    description = ("Each neighbourhood is shaded by the share of its residents who live in "
                   "or near the footprint. Neighbourhoods: "
                   + "; ".join(f"{label} {n}" for label, n in counts if n)
                   + ". The footprint's areas, boundaries and lines are drawn dashed"
                   + (", its points as dots." if points is not None else "."))
    if note := view.note("neighbourhoods"):
        description += " " + note
    svg = render_choropleth(shapes, classes, title=title, description=description,
                            outline=outline, points=points, legend_title="Residents reached",
                            id_prefix="footprintmap", simplify_m=view.tolerance_m,
                            edges=not view.is_mosaic)
    return {"svg": svg, "title": title, "description": description,
            "counts": [{"label": label, "areas": n} for label, n in counts]}


# ------------------------------------------------------------------------------ places

def projects_touching(geography: str, code: str) -> tuple[list[Project], list[Project]]:
    """Published projects whose footprint reaches inside the place (``TOUCH_M``), and the
    published city-wide projects (which work everywhere)."""
    state = city_state()
    place = area_geometry(code, state)
    if place is None or (geography, code) not in state.areas:
        return [], []
    inner = shapely.buffer(place, -TOUCH_M)
    if inner.is_empty:
        inner = place
    touching, wide = [], []
    projects = Project.objects.filter(state=Project.State.PUBLISHED).prefetch_related("places")
    for project in projects:
        if project.city_wide:
            wide.append(project)
            continue
        geometry = footprint_geometry(project, state)
        if geometry is not None and shapely.intersects(inner, geometry):
            touching.append(project)
    return touching, wide

