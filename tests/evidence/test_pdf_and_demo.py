"""The PDF opens with or without the Unicode font installed, and the demo seeds one published
pack for a Bletchley neighbourhood."""

from __future__ import annotations

import pytest

from commonground.evidence import demo, document, pdf, services
from commonground.evidence.models import PackItem

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(group, people, libraries):
    editor = people["editor"]
    made = services.create_pack(editor, group, title="Tenure – “who owns”", place=LSOA,
                                question="Who rents around Bletchley Library?",
                                intro="## Why\n\nBecause **rents** rise.\n\n- one\n- two")
    services.add_item(editor, made, PackItem.Kind.PROFILE, source="table:census21-tenure")
    services.add_item(editor, made, PackItem.Kind.DATASET, dataset=libraries[0])
    return made


def test_the_pdf_opens_without_the_unicode_font(pack, tmp_path):
    """CI machines may lack DejaVu: core fonts are used, with quotes and dashes made plain."""
    data = document.pack_dict(pack)
    for font_dir in (pdf.FONT_DIR, tmp_path, None):  # tmp_path: a folder with no fonts
        text = " ".join(pdf_text(pdf.render(data, font_dir=font_dir)).split())
        assert "Milton Keynes 030B" in text and "Census 2021 TS054: tenure" in text
        assert "DRAFT" in text and "Because rents rise." in text
        assert "version 1 (sha256" in text
    plain = " ".join(pdf_text(pdf.render(data, font_dir=None)).split())
    assert 'Tenure - "who owns"' in plain


def test_every_profile_figure_cites_its_table_and_the_city(pack):
    item = pack.items.get(kind=PackItem.Kind.PROFILE)
    figures = item.snapshot["figures"]
    assert figures and all(f["citation"].startswith("Source: Census 2021 TS054: tenure (")
                           for f in figures)
    assert all("method: count in this neighbourhood (LSOA) as published; share of" in
               f["citation"] for f in figures)
    assert all(f["detail"].startswith("Milton Keynes: ") for f in figures)
    assert item.snapshot["cites"][0]["vintage"]


def test_markdown_becomes_plain_blocks():
    Block = pdf.Block
    assert pdf.markdown_blocks(
        "## Why\n\nSoft\nbreak **bold** [x](https://e.org)\n\n- a\n- b") == [
        Block("Why", "heading"), Block("Soft break bold x (https://e.org)"),
        Block("a", "item", "•"), Block("b", "item", "•")]


def test_markdown_blocks_keep_lists_and_drop_markup():
    """Read as the web page reads it: numbered and nested lists, entities decoded, raw
    HTML's tags dropped, bold across a soft line break unwrapped."""
    text = ("R&amp;D &amp; <p>more</p>\n\n**two\nlines** and a  \nhard break\n\n"
            "3. third\n4. fourth\n    - nested *one*\n\n<script>alert(1)</script>")
    Block = pdf.Block
    assert pdf.markdown_blocks(text) == [
        Block("R&D &"), Block("more"), Block("two lines and a\nhard break"),
        Block("third", "item", "3."), Block("fourth", "item", "4."),
        Block("nested one", "item", "•", 1)]


def test_the_demo_seeds_one_published_pack_in_bletchley(group, people, libraries):
    made = demo.seed(group, people["editor"])
    assert made.is_published and made.code == LSOA
    assert [i.kind for i in made.items.all()] == ["profile", "dataset", "text"]
    assert demo.seed(group, people["editor"]) == made  # once only
    assert list(services.packs_for_group(None, group)) == [made]
    assert "Milton Keynes 030B" in " ".join(pdf_text(document.pdf_bytes(made)).split())
