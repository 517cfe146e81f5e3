"""SVG choropleth renderer and palettes: pure Python, no Django.

Run with ``.venv/bin/python -m pytest -p no:django tests/geography/test_svgmap.py``.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, box

from commonground.geography.palettes import (
    IMD_DECILE_COLOURS,
    NO_DATA_COLOUR,
    PALETTES,
    contrast_ratio,
    imd_decile_colour,
    relative_luminance,
    sequential,
    text_colour_for,
)
from commonground.geography.svgmap import (
    MapClass,
    MapShape,
    render_choropleth,
    summarise_classes,
)

SVG = "{http://www.w3.org/2000/svg}"
REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("COMMONGROUND_DATA") or REPO.parent / "shared" / "data")

CLASSES = [MapClass("Low", "#fde725"), MapClass("Mid", "#21918c"), MapClass("High", "#440154")]


def _shapes(**overrides):
    """Three 1 km squares in a row west->east, plus one 1 km further north."""
    shapes = [
        MapShape("E01000001", "West", box(480000, 230000, 481000, 231000), 0, href="/a/1/"),
        MapShape("E01000002", "Middle", box(481000, 230000, 482000, 231000), 1, href="/a/2/"),
        MapShape("E01000003", "East", box(482000, 230000, 483000, 231000), 2),
        MapShape("E01000004", "North", box(480000, 232000, 481000, 233000), 1, value_text="v"),
    ]
    for code, changes in overrides.items():
        for s in shapes:
            if s.code == code:
                for k, v in changes.items():
                    setattr(s, k, v)
    return shapes


def _render(shapes=None, **kw):
    kw.setdefault("title", "Test map")
    kw.setdefault("description", "Four squares")
    svg = render_choropleth(_shapes() if shapes is None else shapes, CLASSES, **kw)
    return svg, ET.fromstring(svg)


def _areas(root):
    return [el for el in root.iter(f"{SVG}path") if el.get("data-code")]


def _first_y(path_el):
    return float(re.match(r"M[\d.]+,([\d.]+)", path_el.get("d")).group(1))


def test_parses_as_xml_with_one_path_per_shape_and_accessible_group():
    svg, root = _render()
    assert root.tag == f"{SVG}svg"
    assert [p.get("data-code") for p in _areas(root)] == [s.code for s in _shapes()]
    assert root.get("role") == "group"
    assert root.get("aria-labelledby") == "map-title"
    assert root.get("aria-describedby") == "map-desc"
    assert root.find(f"{SVG}title").text == "Test map"
    assert root.find(f"{SVG}desc").text == "Four squares"
    assert len(root.get("viewBox").split()) == 4
    # coordinates rounded to at most one decimal place
    for p in _areas(root):
        assert all(len(n.split(".")[1]) <= 1 for n in re.findall(r"[\d.]+", p.get("d")) if "." in n)


def test_each_area_has_title_with_label_and_value_text():
    _, root = _render()
    titles = {p.get("data-code"): p.find(f"{SVG}title").text for p in _areas(root)}
    assert titles["E01000001"] == "West"
    assert titles["E01000004"] == "North: v"


def test_links_wrap_shapes_with_href_only():
    _, root = _render()
    links = {a.find(f"{SVG}path").get("data-code"): a.get("href") for a in root.iter(f"{SVG}a")}
    assert links == {"E01000001": "/a/1/", "E01000002": "/a/2/"}


def test_highlight_is_drawn_last_with_dark_outline_over_white():
    _, root = _render(highlight_codes=["E01000001"])
    paths = list(root.iter(f"{SVG}path"))
    codes = [p.get("data-code") for p in paths if p.get("data-code")]
    assert codes[-1] == "E01000001" and codes.count("E01000001") == 1
    hl = next(p for p in paths if p.get("data-code") == "E01000001")
    assert hl.get("stroke") == "#ffffff" and float(hl.get("stroke-width")) >= 4
    after = paths[paths.index(hl) + 1 :]
    dark = [p for p in after if p.get("stroke") == "#000000" and p.get("d") == hl.get("d")]
    assert dark and float(dark[0].get("stroke-width")) >= 2 and dark[0].get("fill") == "none"
    # still a link, so the highlighted area stays clickable / focusable
    assert any(a.find(f"{SVG}path") is hl for a in root.iter(f"{SVG}a"))


def test_text_and_attributes_are_escaped():
    nasty = 'Tom & "Jerry" <script>'
    shapes = _shapes(E01000001={"label": nasty, "value_text": "<&>", "href": '/a?x=1&y="2"'})
    svg, root = _render(shapes, title="<T&>", description='"D"<', legend_title="<L>")
    assert "<script>" not in svg
    path = _areas(root)[0]
    assert path.find(f"{SVG}title").text == f"{nasty}: <&>"
    assert next(root.iter(f"{SVG}a")).get("href") == '/a?x=1&y="2"'
    assert root.find(f"{SVG}title").text == "<T&>"
    assert root.find(f"{SVG}desc").text == '"D"<'
    assert "<L>" in [t.text for t in root.iter(f"{SVG}text")]

    odd = [MapClass('A<&>"', "#440154")]
    root = ET.fromstring(
        render_choropleth([MapShape("x", "y", box(0, 0, 1, 1), 0)], odd, title="t", description="d")
    )
    assert 'A<&>"' in [t.text for t in root.iter(f"{SVG}text")]


def test_legend_shows_classes_and_no_data_only_when_needed():
    _, root = _render(legend_title="Decile")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Decile", "Low", "Mid", "High"]
    _, root = _render(_shapes(E01000003={"class_index": None}))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["Low", "Mid", "High", "No data"]
    east = next(p for p in _areas(root) if p.get("data-code") == "E01000003")
    assert east.get("fill") == "url(#map-nodata)"
    assert root.find(f".//{SVG}pattern").get("id") == "map-nodata"


def test_northing_up_and_easting_right():
    _, root = _render(simplify_m=0)
    paths = {p.get("data-code"): p for p in _areas(root)}
    assert _first_y(paths["E01000004"]) < _first_y(paths["E01000001"])

    def min_x(p):
        return min(float(x) for x in re.findall(r"([\d.]+),", p.get("d")))

    assert min_x(paths["E01000001"]) < min_x(paths["E01000002"]) < min_x(paths["E01000003"])


def test_ids_are_prefixed_so_two_maps_can_share_a_page():
    outline = box(480000, 230000, 483000, 231000)
    one, _ = _render(id_prefix="a1", outline=outline, highlight_codes=["E01000002"])
    two, _ = _render(
        id_prefix="b2",
        outline=outline,
        highlight_codes=["E01000002"],
        shapes=_shapes(E01000003={"class_index": None}),
    )
    ids = []
    for svg, prefix in ((one, "a1"), (two, "b2")):
        found = re.findall(r'\bid="([^"]+)"', svg)
        assert found and all(i == prefix or i.startswith(prefix + "-") for i in found)
        refs = re.findall(r'(?:url\(#|aria-(?:labelledby|describedby)=")([^)"]+)', svg)
        assert refs and set(refs) <= set(found)
        ids += found
    assert len(ids) == len(set(ids))


def test_multipolygon_and_holes_use_evenodd():
    donut = box(0, 0, 100, 100).difference(box(40, 40, 60, 60))
    two = MultiPolygon([box(200, 0, 250, 50), box(300, 0, 350, 50)])
    shapes = [MapShape("d", "Donut", donut, 0), MapShape("m", "Multi", two, 1)]
    _, root = _render(shapes, simplify_m=0)
    areas = _areas(root)
    assert [p.get("d").count("M") for p in areas] == [2, 2]
    assert all(p.get("d").count("Z") == 2 for p in areas)
    assert root.find(f".//{SVG}g[@id='map-areas']").get("fill-rule") == "evenodd"


def test_outline_is_dashed_and_on_top_of_areas():
    outline = box(480000, 230000, 482000, 231000)
    _, root = _render(outline=outline, highlight_codes=["E01000003"])
    paths = list(root.iter(f"{SVG}path"))
    dashed = [i for i, p in enumerate(paths) if p.get("stroke-dasharray")]
    assert dashed and min(dashed) > max(i for i, p in enumerate(paths) if p.get("data-code"))
    assert float(paths[dashed[0]].get("stroke-width")) >= 2


def test_summarise_classes_and_bad_index():
    shapes = _shapes(E01000003={"class_index": None})
    assert summarise_classes(shapes, CLASSES) == [
        ("Low", 1),
        ("Mid", 2),
        ("High", 0),
        ("No data", 1),
    ]
    assert summarise_classes(_shapes(), CLASSES)[-1] == ("High", 1)
    with pytest.raises(ValueError, match="E01000001"):
        _render(_shapes(E01000001={"class_index": 3}))


def test_empty_geometry_is_skipped_not_fatal():
    shapes = _shapes(E01000002={"geometry": shapely.Polygon()})
    _, root = _render(shapes)
    assert [p.get("data-code") for p in _areas(root)] == ["E01000001", "E01000003", "E01000004"]
    _, root = _render([])
    assert _areas(root) == []


# --- palettes ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PALETTES))
def test_palettes_give_n_distinct_colours_light_to_dark(name):
    top = 9 if name == "ylgnbu" else 10
    for n in range(1, top + 1):
        colours = sequential(n, name)
        assert len(colours) == n == len(set(colours))
        assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
        lum = [relative_luminance(c) for c in colours]
        assert lum == sorted(lum, reverse=True)
        assert sequential(n, name, reverse=True) == colours[::-1]
        assert NO_DATA_COLOUR not in colours
    with pytest.raises(ValueError):
        sequential(top + 1, name)
    with pytest.raises(ValueError):
        sequential(0, name)


def test_imd_deciles_decile_1_darkest_10_lightest():
    assert len(IMD_DECILE_COLOURS) == 10 == len(set(IMD_DECILE_COLOURS))
    lum = [relative_luminance(imd_decile_colour(d)) for d in range(1, 11)]
    assert lum[0] < lum[-1]
    assert lum == sorted(lum)
    assert imd_decile_colour(None) == NO_DATA_COLOUR
    with pytest.raises(ValueError):
        imd_decile_colour(11)


def test_wcag_luminance_and_text_colour_contrast():
    assert relative_luminance("#000") == 0 and relative_luminance("#ffffff") == 1
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert text_colour_for("#ffffff") == "#000000" and text_colour_for("#000000") == "#ffffff"
    everything = [NO_DATA_COLOUR] + [c for n in PALETTES for c in sequential(9, n)]
    everything += IMD_DECILE_COLOURS + sequential(10, "cividis")
    for colour in everything:
        assert contrast_ratio(text_colour_for(colour), colour) >= 4.5, colour
    with pytest.raises(ValueError):
        relative_luminance("#12345")


# --- real data -------------------------------------------------------------------------------


def _resource(manifest, **match):
    return next(r for r in manifest["resources"] if all(r.get(k) == v for k, v in match.items()))


def _boundaries(resource):
    """(properties, geometries in EPSG:27700) of a GeoJSON boundary resource."""
    features = json.loads((DATA / resource["path"]).read_text(encoding="utf-8"))["features"]
    geoms = shapely.from_geojson([json.dumps(ft["geometry"]) for ft in features])
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    geoms = shapely.transform(
        geoms, lambda xy: np.column_stack(to_bng.transform(xy[:, 0], xy[:, 1]))
    )
    return [ft["properties"] for ft in features], geoms


@pytest.mark.skipif(not (DATA / "datapackage.json").exists(), reason="shared data not present")
def test_real_milton_keynes_imd_map():
    manifest = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
    bnd = _resource(manifest, role="boundaries", geography="lsoa21")
    iod = _resource(manifest, name="iod2025")
    with open(DATA / iod["path"], newline="", encoding="utf-8") as f:
        deciles = {r["lsoa21_code"]: int(r["imd_decile"]) for r in csv.DictReader(f)}
    props, geoms = _boundaries(bnd)
    shapes = []
    for p, g in zip(props, geoms, strict=True):
        code, d = p[bnd["code_field"]], deciles.get(p[bnd["code_field"]])
        shapes.append(
            MapShape(
                code,
                p[bnd["name_field"]],
                g,
                None if d is None else d - 1,
                href=f"/areas/lsoa/{code}/",
                value_text="" if d is None else f"IMD 2025 decile {d}",
            )
        )
    labels = ["1 (most deprived)"] + [str(d) for d in range(2, 10)] + ["10 (least deprived)"]
    classes = [MapClass(lbl, c) for lbl, c in zip(labels, IMD_DECILE_COLOURS, strict=True)]
    focus = "E01016710"  # Milton Keynes 030A, in MSOA E02003488 (Bletchley)
    msoa_res = _resource(manifest, role="boundaries", geography="msoa21")
    msoa_props, msoa_geoms = _boundaries(msoa_res)
    codes = [p[msoa_res["code_field"]] for p in msoa_props]
    outline = msoa_geoms[codes.index("E02003488")]
    kw = dict(
        title="Index of Multiple Deprivation 2025 by LSOA, Milton Keynes",
        description="LSOAs shaded by national IMD decile; darker is more deprived.",
        highlight_codes=[focus],
        outline=outline,
        legend_title="IMD decile",
    )

    timings = []
    for _ in range(3):
        t0 = time.perf_counter()
        svg = render_choropleth(shapes, classes, **kw)
        timings.append(time.perf_counter() - t0)
    root = ET.fromstring(svg)
    areas = _areas(root)
    assert len(areas) == len(shapes) == 166
    assert areas[-1].get("data-code") == focus
    assert len(list(root.iter(f"{SVG}a"))) == 166
    assert root.find(f".//{SVG}g[@id='map-outline']") is not None
    w, h = (float(v) for v in root.get("viewBox").split()[2:])
    assert w == 640 and 400 < h < 1200  # MK is taller than wide
    assert min(timings) < 0.1, timings  # about 7 ms on the dev machine; generous for slow CI
    counts = dict(summarise_classes(shapes, classes))
    assert sum(counts.values()) == 166 and "No data" not in counts

    out = REPO / "test-artifacts"
    out.mkdir(exist_ok=True)
    (out / "mk_imd_map.svg").write_text(svg, encoding="utf-8")
