"""Draw an item's frozen map in the PDF (pure: no Django).

fpdf2 (2.8) draws a subset of SVG: paths, circles, rects and fills, but no ``<style>``, no
``<pattern>`` and no links. So the page's SVG (``maps.dataset_map``) is printed as a simpler
copy: legend, titles, CSS and ARIA removed, links unwrapped, hatched "No data" fills made flat
grey, cropped to the map. The legend is set by fpdf in the document's own font beside the map,
then the description and the citation line under it. If fpdf2 still cannot draw the SVG the
map is replaced by a sentence saying so: the PDF always renders.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

from commonground.geography.palettes import NO_DATA_COLOUR

NS = "http://www.w3.org/2000/svg"
DROP = {"title", "desc", "style", "defs", "script"}
KEEP_ATTRS = {"d", "fill", "stroke", "stroke-width", "stroke-linejoin", "stroke-linecap",
              "stroke-dasharray", "fill-rule", "cx", "cy", "r", "x", "y", "width", "height",
              "viewBox", "transform"}
PAD = 8.0  # px, as geography.svgmap
LEGEND_W = 52.0  # mm beside the map
MAX_H = 120.0  # mm
MIN_H = 60.0  # mm: a map shrinks to fill the rest of a page down to this height, not below
GREY = (85, 85, 85)


def print_svg(svg: str) -> tuple[bytes, float, float]:
    """The page's map SVG as fpdf2 can draw it, and its width and height in px."""
    root = ET.fromstring(svg)  # noqa: S314 - our own map SVG (geography.svgmap), no upload
    width, height = float(root.get("width")), float(root.get("height"))
    for g in root.iter(f"{{{NS}}}g"):
        if g.get("id", "").endswith("-legend"):  # crop to the map, left of the legend
            width = min(float(e.get("x")) for e in g.iter() if e.get("x")) - PAD
    _clean(root)
    root.attrib = {"viewBox": f"0 0 {width:g} {height:g}", "width": f"{width:g}",
                   "height": f"{height:g}"}
    ET.register_namespace("", NS)
    return ET.tostring(root, encoding="utf-8"), width, height


def _clean(node: ET.Element) -> None:
    children = []
    for child in list(node):
        tag = child.tag.rsplit("}", 1)[-1]
        if tag in DROP or child.get("id", "").endswith("-legend"):
            continue
        _clean(child)
        children += list(child) if tag == "a" else [child]
    node[:] = children
    for name in list(node.attrib):
        if name not in KEEP_ATTRS:
            del node.attrib[name]
    if node.get("fill", "").startswith("url("):
        node.set("fill", NO_DATA_COLOUR)


def rgb(colour: str) -> tuple[int, int, int]:
    h = colour.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)) if len(h) == 6 else (227,) * 3


def draw(doc, m: dict) -> None:
    """The map, its legend beside it, then its description and citation (``doc`` is the
    pack's ``pdf._Document``)."""
    try:
        data, w_px, h_px = print_svg(m["svg"])
    except (ET.ParseError, TypeError, ValueError):
        data, w_px, h_px = None, 4.0, 3.0
    width = min(doc.epw - LEGEND_W, MAX_H * w_px / h_px)
    height = width * h_px / w_px
    legend_h = 10 * (len(m["legend"]) + 1)  # at most: a label may take two lines
    # the title, the map and its description and citation stay together: the map shrinks
    # to the rest of the page rather than leave it empty, down to MIN_H
    room = doc.page_break_trigger - doc.get_y() - _text_height(doc, m)
    if room < max(min(height, MIN_H), legend_h):
        doc.add_page()
        room = doc.page_break_trigger - doc.get_y() - _text_height(doc, m)
    if height > room >= MIN_H:
        height = room
        width = height * w_px / h_px
    doc.para(m["title"], 11, "B", gap=1)
    top = doc.get_y()
    drawn = False
    if data is not None:
        try:
            doc.image(io.BytesIO(data), x=doc.l_margin, y=top, w=width, h=height)
            drawn = True
        except Exception:  # noqa: BLE001 - any SVG fpdf2 cannot draw: say so, keep going
            drawn = False
    bottom = _legend(doc, m, doc.l_margin + width + 4, top)
    doc.set_xy(doc.l_margin, max(top + height if drawn else top, bottom) + 2)
    if not drawn:
        doc.para("The map could not be drawn in this PDF; it is on the pack's web page.",
                 10, "I", GREY, gap=1)
    doc.para(m["description"], 9, color=GREY, gap=1)
    doc.para(m["citation"], 9, "I", GREY, gap=3)


def _text_height(doc, m: dict) -> float:
    """Height in mm of the map's title, description and citation as ``draw`` sets them,
    measured without drawing (with the gaps, 2 mm under the map and 2 mm to spare)."""
    def height(text: str, size: float, style: str = "") -> float:
        doc.set_font(doc.family, style, size)
        lines = doc.multi_cell(0, size * 0.5, doc.t(text), dry_run=True, output="LINES")
        return len(lines) * size * 0.5

    return (height(m["title"], 11, "B") + 1 + 2 + height(m["description"], 9) + 1
            + height(m["citation"], 9, "I") + 3 + 2)


def _legend(doc, m: dict, x: float, y: float) -> float:
    """The legend in a column at ``x``; returns its bottom (mm)."""
    doc.set_xy(x, y)
    doc.style(10, "B")
    doc.multi_cell(LEGEND_W - 2, 5, doc.t(m["unit"][:1].upper() + m["unit"][1:]),
                   align="L", new_x="LEFT", new_y="NEXT")
    doc.set_draw_color(58, 58, 58)
    for entry in m["legend"]:
        top = doc.get_y() + 1
        doc.set_fill_color(*rgb(entry["colour"]))
        doc.rect(x, top + 0.5, 4, 4, style="DF")
        doc.set_xy(x + 5.5, top)
        doc.style(9)
        doc.multi_cell(LEGEND_W - 7.5, 4.5, doc.t(f"{entry['label']} ({entry['areas']})"),
                       align="L", new_x="LEFT", new_y="NEXT")
        doc.set_x(x)
    doc.set_fill_color(255, 255, 255)
    doc.set_draw_color(0, 0, 0)
    return doc.get_y()
