"""The map of a dataset item: the pack's place and the areas of the same geography around it,
shaded by the dataset's rows per 1,000 residents, with the rows' locations as dots.

Built once when the item's snapshot is taken and stored in it (the SVG string, its legend and
each area's class), so the map never changes when the data does. Sources: rows per area are
the catalogue's ``VersionArea`` counts of the cited version (as the item's figures); residents
are the load's population indicator summed over each area's neighbourhoods (as the place
profile); boundaries are the loaded areas (British National Grid, EPSG:27700, metres); dots are
the version's ``_easting``/``_northing`` columns. The SVG is drawn by
``geography.svgmap.render_choropleth``, as the city and rows maps are.

Dots are drawn only for a dataset whose rows are public (``catalogue.access.rows_are_public``):
for a dataset about people or a restricted one there are none, and (for a dataset whose
records are withheld: ``Dataset.records_withheld``) an area whose count disclosure control
hides (``catalogue.services.disclosure``) is drawn in the "hidden" class, never shaded by rate.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np
import shapely

from commonground.catalogue.access import rows_are_public
from commonground.datastore.query import connection, reading, schema
from commonground.geography import mapview
from commonground.geography.palettes import NO_DATA_COLOUR, NO_DATA_LABEL, sequential
from commonground.geography.svgmap import MapClass, MapShape, render_choropleth, summarise_classes

from . import citations as c

#: At most this many rows are drawn as dots (a reproducible random sample beyond it).
MAX_DOTS = 500
HIDDEN_LABEL = "hidden (records about people)"
NO_ROWS = MapClass("no rows", "#f7f7f7")
HIDDEN_CLASS = MapClass(HIDDEN_LABEL, "#9e9e9e")
HIDDEN_RESTRICTED_LABEL = "hidden (small count of restricted data)"
#: Class upper bounds as multiples of the reference rate (the city's): below half, to the
#: rate, to twice it, above.
STEPS = (0.5, 1.0, 2.0)
UNIT = "rows per 1,000 residents"
#: The maps' width, px.
WIDTH = 560


def view(state, geography: str, code: str, among: str | None = None) -> mapview.View:
    """The areas of ``among`` (default the place's own geography) a pack's map of the place
    draws: the place (or those under its outline) and the areas around it, nearest first
    (``geography.mapview.around``: the place's box grown by half its size, at least 500 m, at
    most ``mapview.MAX_PATHS`` areas), and their simplification."""
    among = among or geography
    at = state.position(geography)[code]
    focus = [at] if among == geography else state.geometries(geography)[at]
    return mapview.around(state.geometries(among), focus, width=WIDTH)


def window(state, geography: str, code: str, among: str | None = None) -> list[int]:
    """Positions (in ``state.by_geography[among]``) of the areas ``view`` draws."""
    return view(state, geography, code, among).drawn.tolist()


def residents(state, geography: str) -> np.ndarray:
    """Residents per area of ``geography``: the base areas' population summed by membership."""
    return state.members(geography) @ np.nan_to_num(state.population)


def classes_for(reference: float | None, people: bool,
                hidden: MapClass = HIDDEN_CLASS) -> tuple[list[MapClass], list[float]]:
    """Legend classes for rates (``NO_ROWS``, four bands, and ``hidden`` for a dataset whose
    records are withheld) and the bands' lower bounds (per 1,000 residents) from the reference
    rate."""
    colours = sequential(len(STEPS) + 1, "viridis")  # light = few, dark = many
    tail = [hidden] if people else []
    if not reference:
        return [NO_ROWS, MapClass("some rows", colours[-1]), *tail], []
    bounds = [reference * s for s in STEPS]
    labels = [f"under {c.rate(bounds[0])}"]
    labels += [f"{c.rate(lo)} to {c.rate(hi)}" for lo, hi in zip(bounds, bounds[1:], strict=False)]
    labels.append(f"{c.rate(bounds[-1])} or more")
    bands = [MapClass(label, colour) for label, colour in zip(labels, colours, strict=True)]
    return [NO_ROWS, *bands, *tail], bounds


def class_of(rows: int | None, rate: float | None, bounds: list[float], n: int) -> int | None:
    """Index into ``classes_for``'s list of ``n`` classes: the last (hidden) when ``rows`` is
    None; None ("No data") when the area's residents are unknown."""
    if rows is None:
        return n - 1
    if rows == 0:
        return 0
    if rate is None:
        return None
    return 1 + sum(rate >= b for b in bounds)


def plural(where: str) -> str:
    """ "neighbourhood (LSOA)" → "neighbourhoods (LSOAs)", "ward" → "wards"."""
    return re.sub(r"^(.*?) \((\w+)\)$", r"\1s (\2s)", where) if "(" in where else where + "s"


def dots(version, box: tuple[float, float, float, float]) -> tuple[np.ndarray, int]:
    """Eastings and northings (metres) of up to ``MAX_DOTS`` of the version's rows inside
    ``box``, and how many rows with a location lie inside it."""
    if "_easting" not in {col["name"] for col in schema(version.parquet_path)}:
        return np.empty((0, 2)), 0
    con = connection()
    with reading(version.parquet_path) as (table, params):
        inside = (f"FROM {table} WHERE _easting BETWEEN ? AND ? AND _northing BETWEEN ? AND ?")
        args = [*params, box[0], box[2], box[1], box[3]]
        # S608 below: `table` is query.reading()'s own name for the version; the box is parameters.
        total = con.execute(f"SELECT count(*) {inside}", args).fetchone()[0]
        got = con.execute(f"SELECT _easting, _northing FROM (SELECT _easting, _northing {inside}) "  # noqa: S608
                          f"USING SAMPLE reservoir({MAX_DOTS} ROWS) REPEATABLE (42)", args).fetchnumpy()
    return np.column_stack([got["_easting"], got["_northing"]]).astype(float), int(total)


def dataset_map(dataset, version, state, geography: str, code: str, *, hidden: frozenset,
                reference: float | None, where: str, citation: str) -> dict:
    """The frozen map of a dataset item as plain JSON: ``svg`` (for the page), ``title``,
    ``description``, ``legend`` (label, colour, number of areas), ``areas`` (code, name, rows
    or None when hidden, rate per 1,000 residents, class label), ``dots`` and ``citation``.
    ``reference`` is the city's rate (per 1,000 residents) the classes are built around."""
    records = state.by_geography[geography]
    shown = view(state, geography, code)
    picked = shown.drawn.tolist()
    counts = dict(version.areas.filter(geography=geography, code__in=[
        records[i].code for i in picked]).values_list("code", "rows"))
    people = residents(state, geography)
    hidden_label = HIDDEN_LABEL if dataset.about_people else HIDDEN_RESTRICTED_LABEL
    classes, bounds = classes_for(reference, dataset.records_withheld,
                                  MapClass(hidden_label, HIDDEN_CLASS.colour))
    geoms = state.geometries(geography)
    shapes, areas = [], []
    for i in picked:
        area = records[i]
        rows = None if (geography, area.code) in hidden else counts.get(area.code, 0)
        rate = 1000 * rows / people[i] if rows is not None and people[i] > 0 else None
        k = class_of(rows, rate, bounds, len(classes))
        text = (hidden_label if rows is None else
                f"{c.number(rows)} rows, {c.rate(rate)} per 1,000 residents")
        shapes.append(MapShape(code=area.code, label=area.display_name, geometry=geoms[i],
                               class_index=k, href=f"/places/{geography}/{area.code}/",
                               value_text=text))
        areas.append({"code": area.code, "name": area.display_name, "rows": rows,
                      "rate": rate, "class": classes[k].label if k is not None else NO_DATA_LABEL})
    points, in_window = np.empty((0, 2)), 0
    if rows_are_public(dataset):
        drawn = shapely.simplify(geoms[picked], shown.tolerance_m, preserve_topology=True)
        box = tuple(shapely.total_bounds(drawn).tolist())  # the window render_choropleth draws
        points, in_window = dots(version, box)
    place = state.areas[(geography, code)]
    title = (f"{dataset.title}: {UNIT} in {place.display_name} ({code}), outlined, "
             f"and the {len(picked) - 1} {plural(where)} around it")
    legend = summarise_classes(shapes, classes)
    description = (f"Each {where} is shaded by the rows of {dataset.title} per 1,000 residents"
                   + (f", in classes around the city's rate ({c.rate(reference)})"
                      if reference else "") + ". Areas per class: "
                   + "; ".join(f"{lbl}: {n}" for lbl, n in legend if n) + ".")
    if note := shown.note(plural(where)):
        description += " " + note
    if dataset.about_people:
        description += " The dataset holds records about people, so no locations are drawn."
    elif not rows_are_public(dataset):
        description += " The dataset is restricted, so no locations are drawn."
    elif in_window:
        some = "all" if len(points) == in_window else "a random sample of"
        description += (f" Dots: {some} {c.number(len(points))} of the {c.number(in_window)}"
                        " rows with a location in the map's window.")
    prefix = "packmap-" + hashlib.sha256(f"{version.pk}:{geography}:{code}".encode()).hexdigest()[:8]
    svg = render_choropleth(shapes, classes, title=title, description=description,
                            highlight_codes=(code,), legend_title=UNIT[:1].upper() + UNIT[1:],
                            id_prefix=prefix, points=points if len(points) else None,
                            width=WIDTH, simplify_m=shown.tolerance_m)
    colours = {cl.label: cl.colour for cl in classes}
    return {"svg": svg, "title": title, "description": description, "unit": UNIT,
            "legend": [{"label": lbl, "colour": colours.get(lbl, NO_DATA_COLOUR), "areas": n}
                       for lbl, n in legend],
            "areas": areas, "dots": len(points), "dots_in_window": in_window,
            "citation": citation}
