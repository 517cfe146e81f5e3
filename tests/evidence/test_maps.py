"""A dataset item's map: the place outlined among the areas around it, shaded by rows per 1,000
residents, with the rows as dots (none for records about people, whose hidden counts stay
hidden); frozen in the snapshot; drawn in the PDF."""

from __future__ import annotations

import io
import json
import re
from collections import Counter

import pypdf
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from commonground.evidence import document, pdf, pdfmap, services
from commonground.evidence.maps import HIDDEN_LABEL
from commonground.evidence.models import PackItem

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db


def _pack(people, group, dataset, place=LSOA):
    editor = people["editor"]
    pack = services.create_pack(editor, group, title="Libraries here", place=place,
                                question="Is the library needed?")
    item = services.add_item(editor, pack, PackItem.Kind.DATASET, dataset=dataset)
    return pack, item


def _map_html(page: str) -> str:
    return re.search(r'<figure class="pack-map">(.*?)</figure>', page, re.S).group(1)


def test_the_dataset_item_maps_the_place_among_its_neighbours(client, group, people, libraries,
                                                              features):
    dataset, version = libraries
    pack, item = _pack(people, group, dataset)
    client.force_login(people["editor"])
    figure = _map_html(client.get(pack.get_absolute_url()).content.decode())
    svg = figure[:figure.index("</svg>")]
    title = re.search(r"<title id=\"(packmap-\w+)-title\">([^<]*)</title>", svg)
    assert title and f"Milton Keynes 030B ({LSOA})" in title.group(2)
    assert f'aria-labelledby="{title.group(1)}-title"' in svg
    assert f'data-code="{LSOA}" class="{title.group(1)}-area {title.group(1)}-highlight"' in svg
    assert f'id="{title.group(1)}-legend"' in svg and "Rows per 1,000 residents" in svg

    snap = item.snapshot["map"]
    per_lsoa = Counter(f["properties"]["LSOA21CD"] for f in features)
    areas = {a["code"]: a for a in snap["areas"]}
    assert LSOA in areas and len(areas) > 4  # the place and the neighbourhoods around it
    assert all(a["rows"] == per_lsoa.get(code, 0) for code, a in areas.items())
    assert areas[LSOA]["rows"] == 1 and areas[LSOA]["class"] != "no rows"
    assert sum(e["areas"] for e in snap["legend"]) == len(areas)
    assert HIDDEN_LABEL not in svg  # nothing is hidden in a dataset not about people

    # the rows as dots: Bletchley Library and any other library in the window
    assert svg.count("<circle") == snap["dots"] == snap["dots_in_window"] >= 1
    # the citation line under the map is the figures' own
    rate_citation = item.snapshot["figures"][1]["citation"]
    assert snap["citation"] == rate_citation
    assert figure.endswith(f'<p class="source">{escape(rate_citation)}</p></figcaption>')
    assert f"version 1 (sha256 {version.sha256[:8]}" in figure

    data = client.get(reverse("evidence:json", args=[pack.pk])).json()
    assert data["items"][0]["map"]["svg"] == snap["svg"]  # the JSON keeps the map


def test_a_ward_place_is_mapped_among_wards(group, people, libraries):
    pack, item = _pack(people, group, libraries[0], place="Bletchley Park")
    snap = item.snapshot["map"]
    assert pack.geography == "ward" and pack.code in snap["title"]
    assert "wards around it" in snap["title"] and snap["areas"][0]["code"].startswith("E05")


def test_records_about_people_have_no_dots_and_hidden_counts_stay_hidden(
        group, people, make_dataset, ingest_path, data_dir, loaded):
    visitors = make_dataset("library-visitors", title="Library visitors", about_people=True)
    ingest_path(visitors, data_dir / "points" / "mk_public_libraries_dcms_2023.geojson")
    _, item = _pack(people, group, visitors)
    snap = item.snapshot["map"]
    assert "<circle" not in snap["svg"] and snap["dots"] == 0
    assert "no locations are drawn" in snap["description"]
    here = next(a for a in snap["areas"] if a["code"] == LSOA)
    assert here["rows"] is None and here["rate"] is None and here["class"] == HIDDEN_LABEL
    threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
    assert all(a["rows"] in (None, 0) or a["rows"] >= threshold for a in snap["areas"])
    hidden = next(e for e in snap["legend"] if e["label"] == HIDDEN_LABEL)
    assert hidden["areas"] == sum(a["rows"] is None for a in snap["areas"]) >= 1
    assert HIDDEN_LABEL in snap["svg"]  # in the legend and in each hidden area's name
    tip = re.search(rf'data-code="{LSOA}"[^>]*><title>([^<]*)</title>', snap["svg"]).group(1)
    assert tip == f"Milton Keynes 030B: {HIDDEN_LABEL}"  # no count, no rate


def test_the_map_is_frozen_until_the_item_is_refreshed(group, people, libraries, features,
                                                       ingest_path, tmp_path):
    dataset, version = libraries
    pack, item = _pack(people, group, dataset)
    before = item.snapshot["map"]
    path = tmp_path / "fewer.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        f for f in features if f["properties"]["LSOA21CD"] != LSOA]}), encoding="utf-8")
    assert ingest_path(dataset, path, resource=version.resource).version.number == 2

    entry = document.pack_dict(pack)["items"][0]
    assert entry["map"] == before and entry["newer"] == "Newer data exists (version 2)"
    services.refresh_item(people["editor"], item)
    after = item.snapshot["map"]
    assert after["svg"] != before["svg"] and "version 2 (sha256" in after["citation"]
    assert next(a for a in after["areas"] if a["code"] == LSOA)["rows"] == 0
    assert after["dots"] == before["dots"] - 1  # Bletchley Library is gone


def _paths(content: bytes) -> int:
    """Path-closing operators ("h") drawn on the PDF's pages: each area and dot has one."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return sum(len(re.findall(rb"\sh\s", page.get_contents().get_data()))
               for page in reader.pages)


def test_the_pdf_draws_the_map_with_its_legend_and_citation(group, people, libraries):
    pack, item = _pack(people, group, libraries[0])
    data = document.pack_dict(pack)
    snap = item.snapshot["map"]
    without = json.loads(json.dumps(data))
    del without["items"][0]["map"]
    for font_dir in (pdf.FONT_DIR, None):
        with_map = pdf.render(data, font_dir=font_dir)
        drawn = _paths(with_map) - _paths(pdf.render(without, font_dir=font_dir))
        assert drawn >= len(snap["areas"]) + snap["dots"]  # every area and dot is drawn
        text = " ".join(pdf_text(with_map).split())
        assert "Rows per 1,000 residents" in text and "Milton Keynes 030B" in text
        assert snap["legend"][0]["label"] in text
        assert "could not be drawn" not in text
    assert "version 1 (sha256" in " ".join(pdf_text(pdf.render(data)).split()).rsplit(
        "Rows per 1,000 residents", 1)[1]  # the citation line under the map


def test_a_map_fpdf2_cannot_draw_is_replaced_by_a_sentence(group, people, libraries):
    pack, _ = _pack(people, group, libraries[0])
    data = document.pack_dict(pack)
    for broken in ("<svg", '<svg xmlns="http://www.w3.org/2000/svg" width="x"/>'):
        data["items"][0]["map"]["svg"] = broken
        text = " ".join(pdf_text(pdf.render(data)).split())
        assert "The map could not be drawn in this PDF" in text and "Libraries here" in text


def test_the_print_svg_keeps_only_what_fpdf2_draws(group, people, libraries):
    _, item = _pack(people, group, libraries[0])
    data, width, height = pdfmap.print_svg(item.snapshot["map"]["svg"])
    svg = data.decode()
    assert 0 < width < 560 and height > 0
    for gone in ("<style", "<a ", "<title", "<pattern", "url(#", "class=", "-legend"):
        assert gone not in svg
    assert svg.count("<circle") == item.snapshot["map"]["dots"]


def test_key_figures_map_the_place_among_neighbourhoods_by_imd_decile(group, people, loaded):
    from commonground.places.maps import decile_indicator

    indicator = decile_indicator(loaded)
    deciles = dict(zip([a.code for a in loaded.base_areas], loaded.column(indicator.key), strict=True))
    editor = people["editor"]
    for place, outlined in ((LSOA, "-highlight"), ("Bletchley Park", "-outline")):
        pack = services.create_pack(editor, group, title="T", question="Q?", place=place)
        snap = services.add_item(editor, pack, PackItem.Kind.PROFILE, source="summary").snapshot
        m = snap["map"]
        assert pack.code in m["title"] and indicator.source.title in m["citation"]
        assert outlined in m["svg"] and 'id="' in m["svg"] and "-legend" in m["svg"]
        assert all(a["decile"] == int(deciles[a["code"]]) for a in m["areas"])
        assert sum(e["areas"] for e in m["legend"]) == len(m["areas"]) > 4
        assert "<circle" not in m["svg"]
        text = " ".join(pdf_text(pdf.render(document.pack_dict(pack))).split())
        assert "IMD decile (1 = most deprived 10%)" in text and "could not be drawn" not in text
    census = services.add_item(editor, pack, PackItem.Kind.PROFILE, source="table:census21-tenure")
    assert "map" not in census.snapshot  # a census table has no map (yet)
