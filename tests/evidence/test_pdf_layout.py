"""The evidence-pack PDF as a reader sees it (issue 21, "Publishing that forgives"): Markdown
lists stay lists, no markup or escaped entity is printed, and the first page is not left half
empty by a map pushed to the next one."""

from __future__ import annotations

import io

import pypdf
import pytest

from commonground.evidence import demo, document, pdf, services
from commonground.evidence.models import PackItem

from .conftest import LSOA, pdf_text

pytestmark = pytest.mark.django_db

INTRO = """Our asks, R&amp;D &amp; <b>budgets</b>:

<p>A paragraph typed as HTML.</p>

1. Keep the **opening
hours**.
2. Publish footfall.

- Bletchley
- Fenny *Stratford*"""


def lines(content: bytes) -> list[str]:
    return [" ".join(line.split()) for line in pdf_text(content).splitlines()]


def test_the_pdf_keeps_lists_and_prints_no_markup(group, people):
    pack = services.create_pack(people["editor"], group, title="Asks", place=LSOA,
                                question="What do we ask?", intro=INTRO)
    services.add_item(people["editor"], pack, PackItem.Kind.TEXT, text=INTRO)
    data = document.pack_dict(pack)
    for font_dir, bullet in ((pdf.FONT_DIR, "•"), (None, "-")):
        text = lines(pdf.render(data, font_dir=font_dir))
        for markup in ("&amp;", "<p>", "</p>", "<b>", "**", "*Stratford"):
            assert not any(markup in line for line in text), markup
        for item in ("Our asks, R&D & budgets:", "A paragraph typed as HTML.",
                     "1. Keep the opening hours.", "2. Publish footfall.",
                     f"{bullet} Bletchley", f"{bullet} Fenny Stratford"):
            assert text.count(item) == 2, (item, text)  # the introduction and the text item


def test_the_first_page_is_not_left_half_empty_by_a_map(group, people, libraries):
    """A cover, one figure, then a map that no longer fits at full size: the map shrinks to
    the rest of the first page instead of moving to the second."""
    data = document.pack_dict(demo.seed(group, people["editor"]))
    profile = next(i for i in data["items"] if i["kind"] == "profile")
    assert profile["map"] and profile["figures"]
    data["items"] = [{**profile, "figures": profile["figures"][:1]}]
    content = pdf.render(data)
    first = pypdf.PdfReader(io.BytesIO(content)).pages[0]
    baselines = []
    first.extract_text(visitor_text=lambda text, cm, tm, *_: baselines.append(tm[5])
                       if text.strip() and " page 1 of " not in text else None)
    height = float(first.mediabox.height)
    assert (height - min(baselines)) / height > 0.8  # text reaches the bottom fifth
    page_one = " ".join(first.extract_text().split())
    assert profile["map"]["citation"].split(";")[0] in page_one  # the map came with its source
