"""Server-side SVG choropleth maps: no JavaScript, no tiles, no internet.

``render_choropleth`` turns shapes already in British National Grid metres (EPSG:27700)
into one inline ``<svg>`` string with a legend. Areas with a link are ``<a>`` elements,
which browsers make focusable, so the map works with a keyboard as well as a mouse. The SVG
is a ``role="group"`` named by its ``<title>`` and described by its ``<desc>``; every area has
a ``<title>`` (tooltip and accessible name). Colour is never the only cue: "no data" areas
are hatched and labelled, and highlighted areas get a thick outline. Pages should still give
a text alternative; ``summarise_classes`` counts the areas in each class for that.

Pure Python + numpy + shapely: no Django, no global state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt
import shapely

from .palettes import NO_DATA_COLOUR, NO_DATA_HATCH, NO_DATA_LABEL

_FONT = "system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif"
_TEXT = "#1a1a1a"
_EDGE = "#3a3a3a"  # thin area borders
_HIGHLIGHT = "#000000"
_PAD = 8.0  # px around the map
_ROW = 22.0  # legend row height, px
_SWATCH = 16.0
_FONT_PX = 13.0


@dataclass
class MapShape:
    """One area to draw. ``geometry`` is a (Multi)Polygon in EPSG:27700 metres."""

    code: str
    label: str
    geometry: object
    class_index: int | None  # index into ``classes``; None = no data
    href: str | None = None  # link opened when the area is clicked or activated
    value_text: str = ""  # e.g. "IMD decile 3", used in the tooltip / accessible name


@dataclass
class MapClass:
    label: str
    colour: str


def _attr(value: object) -> str:
    return escape(str(value), quote=True)


def _path_data(geoms: np.ndarray, n_out: int, owners: np.ndarray, closed: bool, xform) -> list[str]:
    """SVG path ``d`` strings, one per output slot, from polygon rings or line strings.

    ``geoms`` are simple parts (Polygons when ``closed`` else LineStrings); ``owners[i]`` is
    the output slot of part ``i``. Coordinates are transformed and rounded in bulk.
    """
    if closed:
        lines, line_part = shapely.get_rings(geoms, return_index=True)
    else:
        lines, line_part = geoms, np.arange(len(geoms))
    coords, line_of = shapely.get_coordinates(lines, return_index=True)
    out = [""] * n_out
    if len(coords) == 0:
        return out
    xy = np.round(xform(coords), 1)
    same_line = line_of[1:] == line_of[:-1]
    keep = np.ones(len(xy), dtype=bool)  # drop points that round onto their predecessor
    keep[1:] = ~(same_line & np.all(xy[1:] == xy[:-1], axis=1))
    if closed:  # the closing vertex repeats the first: "Z" does that
        last = np.ones(len(xy), dtype=bool)
        last[:-1] = ~same_line
        keep &= ~last
    xy, line_of = xy[keep], line_of[keep]
    pts = np.char.add(
        np.char.add(np.char.mod("%.1f", xy[:, 0]), ","), np.char.mod("%.1f", xy[:, 1])
    ).tolist()
    starts = np.flatnonzero(np.r_[True, line_of[1:] != line_of[:-1]])
    ends = np.r_[starts[1:], len(pts)]
    tail = "Z" if closed else ""
    slot_of_line = owners[line_part]
    pieces: list[list[str]] = [[] for _ in range(n_out)]
    for s, e in zip(starts.tolist(), ends.tolist(), strict=True):
        if e - s >= (3 if closed else 2):
            pieces[slot_of_line[line_of[s]]].append("M" + " ".join(pts[s:e]) + tail)
    return ["".join(p) for p in pieces]


def _outline_parts(outline: object) -> np.ndarray:
    geoms = shapely.get_parts(np.asarray([outline], dtype=object))
    polys = shapely.get_type_id(geoms) == 3
    lines = np.concatenate([shapely.get_parts(shapely.boundary(geoms[polys])), geoms[~polys]])
    return lines[np.isin(shapely.get_type_id(lines), (1, 2))]


def summarise_classes(
    shapes: Iterable[MapShape], classes: Sequence[MapClass]
) -> list[tuple[str, int]]:
    """``(label, number of shapes)`` for every class in order, then ``("No data", n)`` if any."""
    counts = [0] * len(classes)
    missing = 0
    for s in shapes:
        if s.class_index is None:
            missing += 1
        else:
            counts[_check_index(s, len(classes))] += 1
    rows = [(c.label, n) for c, n in zip(classes, counts, strict=True)]
    return rows + [(NO_DATA_LABEL, missing)] if missing else rows


def _check_index(shape: MapShape, n_classes: int) -> int:
    i = shape.class_index
    if isinstance(i, bool) or not isinstance(i, int | np.integer) or not 0 <= i < n_classes:
        raise ValueError(f"{shape.code}: class_index {i!r} is not in 0..{n_classes - 1}")
    return int(i)


def render_choropleth(
    shapes: Sequence[MapShape],
    classes: Sequence[MapClass],
    *,
    title: str,
    description: str,
    highlight_codes: Iterable[str] = (),
    outline: object | None = None,
    width: int = 640,
    simplify_m: float = 25.0,
    legend_title: str = "",
    id_prefix: str = "map",
    points: npt.ArrayLike | None = None,
    edges: bool = True,
) -> str:
    """Render ``shapes`` coloured by ``classes`` as an inline, accessible ``<svg>`` string.

    Shapes with ``class_index=None`` are hatched and listed as "No data" in the legend.
    ``highlight_codes`` areas are drawn last with a thick dark outline over a white one;
    ``outline`` (any polygonal or linear geometry, EPSG:27700) is drawn dashed on top.
    ``width`` is the whole SVG's width in px, legend included; ``id_prefix`` prefixes every
    id so several maps can share a page (use a valid XML name). ``points`` (an ``(n, 2)``
    array of EPSG:27700 eastings and northings) are drawn as dots over the areas; callers
    pass a sample for big datasets and say so in ``description``. ``edges=False`` draws the
    areas without borders and with crisp edges (a ``mapview`` mosaic's cells).
    """
    shapes = list(shapes)
    idx = [None if s.class_index is None else _check_index(s, len(classes)) for s in shapes]
    p = _attr(id_prefix)
    geoms, lines = _simplified(shapes, outline, simplify_m)
    entries = _legend_entries(p, classes, idx)
    frame = _frame(geoms, lines, entries, legend_title, width)
    out = [_opening(p, frame, title, description),
           *_area_layers(p, shapes, idx, classes, geoms, set(highlight_codes), frame, edges)]
    if points is not None and np.size(points):
        out.append(_points_layer(p, points, frame))
    if lines.size:
        out.append(_outline_layer(p, lines, frame))
    out.append(_legend(p, entries, legend_title, frame.map_w + _PAD))
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class _Frame:
    """Where the map is drawn: the ground box it shows (EPSG:27700 metres), its scale
    (px per metre), the map's width and the whole SVG's height (px)."""

    minx: float
    miny: float
    maxx: float
    maxy: float
    scale: float
    map_w: float
    width: int
    height: float

    def xform(self, c: np.ndarray) -> np.ndarray:
        """``(n, 2)`` metres → px: y grows downwards, ``_PAD`` around the map."""
        return np.column_stack(((c[:, 0] - self.minx) * self.scale + _PAD,
                                (self.maxy - c[:, 1]) * self.scale + _PAD))


def _simplified(shapes: list[MapShape], outline: object | None,
                simplify_m: float) -> tuple[np.ndarray, np.ndarray]:
    """The shapes' geometries and the outline's lines, simplified to ``simplify_m`` metres."""
    geoms = np.empty(len(shapes), dtype=object)
    geoms[:] = [s.geometry for s in shapes]
    lines = _outline_parts(outline) if outline is not None else np.empty(0, dtype=object)
    if simplify_m and simplify_m > 0:
        geoms = shapely.simplify(geoms, simplify_m, preserve_topology=True)
        lines = shapely.simplify(lines, simplify_m, preserve_topology=True)
    return geoms, lines


def _legend_entries(p: str, classes: Sequence[MapClass], idx: list[int | None]
                    ) -> list[tuple[str, str]]:
    """``(label, fill)`` per legend row: every class, then "No data" if any shape has none."""
    entries = [(c.label, escape(c.colour, quote=True)) for c in classes]
    if any(i is None for i in idx):
        entries.append((NO_DATA_LABEL, f"url(#{p}-nodata)"))
    return entries


def _frame(geoms: np.ndarray, lines: np.ndarray, entries: list[tuple[str, str]],
           legend_title: str, width: int) -> _Frame:
    """Fit the shapes and the outline left of a legend column sized for its longest label."""
    every = np.concatenate([geoms, lines])
    box = shapely.total_bounds(every) if every.size else np.full(4, np.nan)
    if not np.all(np.isfinite(box)):
        box = np.array([0.0, 0.0, 1.0, 1.0])
    minx, miny, maxx, maxy = box.tolist()
    dx, dy = max(maxx - minx, 1.0), max(maxy - miny, 1.0)
    longest = max([len(lbl) for lbl, _ in entries] + [len(legend_title), 4])
    legend_w = min(_SWATCH + 14 + longest * _FONT_PX * 0.56, width * 0.45)
    map_w = max(width - legend_w - _PAD, 2 * _PAD + 1)
    scale = (map_w - 2 * _PAD) / dx
    map_h = dy * scale + 2 * _PAD
    legend_h = _PAD + (_ROW if legend_title else 0) + _ROW * len(entries) + _PAD
    return _Frame(minx, miny, maxx, maxy, scale, map_w, width, round(max(map_h, legend_h), 1))


def _opening(p: str, frame: _Frame, title: str, description: str) -> str:
    """The ``<svg>`` tag, its title and description, the focus style and the hatch pattern."""
    width, height = frame.width, frame.height
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{p}" class="cg-map" role="group"'
        f' aria-labelledby="{p}-title" aria-describedby="{p}-desc"'
        f' viewBox="0 0 {width} {height}" width="{width}" height="{height}"'
        f' style="max-width:100%;height:auto" font-family="{_attr(_FONT)}">',
        f'<title id="{p}-title">{escape(title)}</title>',
        f'<desc id="{p}-desc">{escape(description)}</desc>',
        f"<style>#{p} a:focus>path,#{p} a:hover>path"
        f"{{stroke:{_HIGHLIGHT};stroke-width:3px}}#{p} a:focus-visible>path"
        f"{{stroke-dasharray:4 2}}</style>",
        f'<defs><pattern id="{p}-nodata" patternUnits="userSpaceOnUse" width="6" height="6"'
        f' patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA_COLOUR}"/>'
        f'<line x1="1.5" y1="0" x2="1.5" y2="6" stroke="{NO_DATA_HATCH}" stroke-width="1.5"/>'
        "</pattern></defs>",
    ])


def _area_layers(p: str, shapes: list[MapShape], idx: list[int | None],
                 classes: Sequence[MapClass], geoms: np.ndarray, highlight: set[str],
                 frame: _Frame, edges: bool = True) -> list[str]:
    """The areas' group, then the highlighted areas' group (drawn over the others)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    polys = shapely.get_type_id(parts) == 3
    d = _path_data(parts[polys], len(shapes), owner[polys], True, frame.xform)
    stroke = (f'stroke="{_EDGE}" stroke-width="0.5" stroke-linejoin="round"' if edges
              else 'stroke="none" shape-rendering="crispEdges"')
    out = [f'<g id="{p}-areas" {stroke} fill-rule="evenodd">']
    later: list[str] = []
    tops: list[str] = []
    for s, i, path_d in zip(shapes, idx, d, strict=True):
        if not path_d:
            continue
        hl = s.code in highlight
        body = _area_path(p, s, path_d, fill=f"url(#{p}-nodata)" if i is None else escape(
            classes[i].colour, quote=True), highlighted=hl)
        (later if hl else out).append(body)
        if hl:
            tops.append(
                f'<path d="{path_d}" fill="none" stroke="{_HIGHLIGHT}" stroke-width="2.5"'
                ' vector-effect="non-scaling-stroke" pointer-events="none"/>'
            )
    out.append("</g>")
    if later:
        out += [
            f'<g id="{p}-highlight" fill-rule="evenodd" stroke-linejoin="round">',
            *later,
            f'<g aria-hidden="true">{"".join(tops)}</g></g>',
        ]
    return out


def _area_path(p: str, s: MapShape, path_d: str, *, fill: str, highlighted: bool) -> str:
    """One area's ``<path>`` with its tooltip, inside an ``<a>`` when it links somewhere."""
    tip = s.label + (f": {s.value_text}" if s.value_text else "")
    extra = ' stroke="#ffffff" stroke-width="5"' if highlighted else ""
    body = (
        f'<path d="{path_d}" fill="{fill}" data-code="{_attr(s.code)}"'
        f' class="{p}-area{f" {p}-highlight" if highlighted else ""}"{extra}'
        f' vector-effect="non-scaling-stroke"><title>{escape(tip)}</title></path>'
    )
    return f'<a href="{_attr(s.href)}">{body}</a>' if s.href else body


def _points_layer(p: str, points: npt.ArrayLike, frame: _Frame) -> str:
    """Dots for the points inside the map's box (others, and non-finite ones, left out)."""
    xy = np.asarray(points, dtype=float).reshape(-1, 2)
    inside = (np.isfinite(xy).all(axis=1) & (xy[:, 0] >= frame.minx) & (xy[:, 0] <= frame.maxx)
              & (xy[:, 1] >= frame.miny) & (xy[:, 1] <= frame.maxy))
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"/>'
                   for x, y in frame.xform(xy[inside]))
    return (f'<g id="{p}-points" aria-hidden="true" fill="{_HIGHLIGHT}" stroke="#ffffff"'
            f' stroke-width="0.8" pointer-events="none">{dots}</g>')


def _outline_layer(p: str, lines: np.ndarray, frame: _Frame) -> str:
    """The outline dashed in black over white ("" when it has nothing left to draw)."""
    od = "".join(_path_data(lines, 1, np.zeros(len(lines), dtype=int), False, frame.xform))
    if not od:
        return ""
    return (
        f'<g id="{p}-outline" aria-hidden="true" fill="none" pointer-events="none"'
        ' stroke-linejoin="round" stroke-linecap="round">'
        f'<path d="{od}" stroke="#ffffff" stroke-width="5" vector-effect="non-scaling-stroke"/>'
        f'<path d="{od}" stroke="{_HIGHLIGHT}" stroke-width="3" stroke-dasharray="9 5"'
        ' vector-effect="non-scaling-stroke"/></g>'
    )


def _legend(p: str, entries: list[tuple[str, str]], legend_title: str, x: float) -> str:
    name = escape(legend_title or "Legend", quote=True)
    out = [
        f'<g id="{p}-legend" role="list" aria-label="{name}" font-size="{_FONT_PX:g}"'
        f' fill="{_TEXT}">'
    ]
    y = _PAD
    if legend_title:
        out.append(
            f'<text x="{x:.1f}" y="{y + 15:.1f}" font-weight="bold">{escape(legend_title)}</text>'
        )
        y += _ROW
    for label, fill in entries:
        out.append(
            f'<g role="listitem"><rect x="{x:.1f}" y="{y + 1:.1f}" width="{_SWATCH:g}"'
            f' height="{_SWATCH:g}" fill="{fill}" stroke="{_EDGE}" stroke-width="0.5"/>'
            f'<text x="{x + _SWATCH + 6:.1f}" y="{y + 14:.1f}">{escape(label)}</text></g>'
        )
        y += _ROW
    out.append("</g>")
    return "".join(out)
