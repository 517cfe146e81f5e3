"""Lay out an evidence pack as an A4 PDF to print and take to a meeting (pure: no Django).

``render(pack)`` takes the plain dictionary of ``document.pack_dict`` and returns the PDF's
bytes: title, place, question, the group's introduction, then each item with its figures in a
table and the citation line under each number, and an item's map (``pdfmap``). Type is large
(12 pt body, 9 pt citations).

Text is set in DejaVu Sans (Unicode: quotes, dashes, the lens's formulae) when the font is
installed (Debian's ``fonts-dejavu-core``); otherwise in the PDF core font Helvetica, which
holds only Latin-1, with other characters written in plain ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import markdown as markdown_lib
from fpdf import FPDF
from fpdf.fonts import FontFace

from . import pdfmap
from .citations import day

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
GREY = (85, 85, 85)
INK = (20, 20, 20)
BAR = (31, 119, 180)
NOTICE = (255, 244, 206)

#: Characters outside Latin-1 as core fonts can print them.
PLAIN = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-",
                       "…": "...", "−": "-", "≥": ">=", "≤": "<=", "√": "sqrt ", "β": "b",
                       "Σ": "sum ", "μ": "mean ", "≈": "~", "•": "-", "→": "->", "›": ">",
                       "\u00a0": " ", "\u2009": " "})


@dataclass(frozen=True)
class Block:
    """A paragraph of text as the PDF sets it: ``kind`` "heading", "paragraph" or "item" (a
    list item, with its ``marker``, "•" or "3.", and its nesting ``depth`` from 0)."""

    text: str
    kind: str = "paragraph"
    marker: str = ""
    depth: int = 0


def markdown_blocks(markdown: str) -> list[Block]:
    """Markdown as the web page reads it (the same library and extensions), in blocks of
    plain text: emphasis unwrapped, entities decoded (``&amp;`` is "&"), raw HTML tags
    dropped (their text kept, not that of scripts and styles), a link's address after its
    text, bullet and numbered list items as items."""
    html = markdown_lib.markdown(markdown or "", extensions=["tables", "sane_lists"],
                                 output_format="html")
    reader = _BlockReader()
    reader.feed(html)
    reader.close()
    return reader.blocks


HARD_BREAK = "\x00"  # a <br> while a block's text is read (no Markdown text holds NUL)


class _BlockReader(HTMLParser):
    BREAKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "blockquote", "pre",
              "tr", "table", "hr", "div"}
    HIDDEN = {"script", "style", "title", "head"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.lists: list[list] = []  # per open list: [ordered, next number]
        self.text: list[str] = []
        self.pending = Block("")  # the kind, marker and depth of the text being read
        self.hidden = 0
        self.links: list[str | None] = []

    def flush(self) -> None:
        text = re.sub(r"[ \t\r\f\v]*\n[ \t\r\f\v]*", "\n", "".join(self.text))
        text = re.sub(r"[ \t\r\f\v]+", " ", text).strip()
        if self.pending.kind != "pre":
            text = text.replace("\n", " ")  # soft line breaks join
        text = re.sub(f" *{HARD_BREAK} *", "\n", text).strip()
        if text:
            kind = "paragraph" if self.pending.kind == "pre" else self.pending.kind
            self.blocks.append(Block(text, kind, self.pending.marker, self.pending.depth))
            if self.pending.kind == "item":  # a later paragraph of the item: no marker
                self.pending = Block("", "item", "", self.pending.depth)
        self.text = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
            return
        if tag in self.BREAKS:
            self.flush()
        if tag in ("ul", "ol"):
            start = dict(attrs).get("start") or "1"
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "li":
            ordered, number = self.lists[-1] if self.lists else (False, 1)
            if self.lists:
                self.lists[-1][1] += 1
            self.pending = Block("", "item", f"{number}." if ordered else "•",
                                 max(len(self.lists) - 1, 0))
        elif re.fullmatch(r"h[1-6]", tag):
            self.pending = Block("", "heading")
        elif tag == "pre":
            self.pending = Block("", "pre")
        elif tag == "p" and self.pending.kind != "item":
            self.pending = Block("")
        elif tag == "br":
            self.text.append(HARD_BREAK)
        elif tag in ("td", "th"):
            self.text.append("  ")
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not "".join(self.text).rstrip().endswith(href):
                self.text.append(f" ({href})")
        if tag in self.BREAKS:
            self.flush()
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in ("ul", "ol", "li", "pre") or re.fullmatch(r"h[1-6]", tag):
            inner = self.lists and tag not in ("ul", "ol")
            self.pending = Block("", "item", "", len(self.lists) - 1) if inner else Block("")

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


class _Document(FPDF):
    def __init__(self, title: str, font_dir: Path | None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.pack_title = title
        self.unicode = bool(font_dir) and (Path(font_dir) / FONT_FILES[""]).is_file()
        self.family = "DejaVu" if self.unicode else "Helvetica"
        if self.unicode:
            for style, name in FONT_FILES.items():
                path = Path(font_dir) / name
                self.add_font("DejaVu", style, path if path.is_file()
                              else Path(font_dir) / FONT_FILES[""])
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()

    def t(self, text) -> str:
        text = "" if text is None else str(text)
        if self.unicode:
            return text
        return text.translate(PLAIN).encode("latin-1", "replace").decode("latin-1")

    def style(self, size: float, emphasis: str = "", color=INK) -> None:
        self.set_font(self.family, emphasis, size)
        self.set_text_color(*color)

    def footer(self) -> None:
        self.set_y(-14)
        self.style(9, color=GREY)
        self.cell(0, 5, self.t(f"{self.pack_title} · page {self.page_no()} of {{nb}}"),
                  align="C")

    def para(self, text: str, size: float = 12, emphasis: str = "", color=INK,
             gap: float = 2) -> None:
        self.style(size, emphasis, color)
        self.multi_cell(0, size * 0.5, self.t(text), align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def render(pack: dict, *, font_dir: Path | None = FONT_DIR) -> bytes:
    """The pack as PDF bytes. ``font_dir`` None (or without DejaVu) uses core fonts."""
    doc = _Document(pack["title"], font_dir)
    doc.set_title(doc.t(pack["title"]))
    doc.set_author(doc.t(pack["organisation"]["name"]))
    doc.set_creator("Common Ground")
    doc.add_page()
    _cover(doc, pack)
    for item in pack["items"]:
        _item(doc, item)
    return bytes(doc.output())


def _cover(doc: _Document, pack: dict) -> None:
    place = pack["place"]
    doc.para(f"Evidence pack · {pack['organisation']['name']}", 12, color=GREY, gap=1)
    doc.para(pack["title"], 22, "B", gap=3)
    doc.para(f"Place: {place['name']} — {place['geography_label']}, code {place['code']}", 13)
    doc.para(f"Question: {pack['question']}", 13, "B", gap=3)
    if pack["state"] == "published":
        status = f"Published {day(pack['published'])}"
    else:
        status = "DRAFT — not published; figures may still change"
    doc.para(f"{status}. Online: {pack['url']}", 10, color=GREY, gap=4)
    if pack.get("withdrawn"):
        doc.para(f"WITHDRAWN by {pack['organisation']['name']} on {pack['withdrawn']['day']}: "
                 f"{pack['withdrawn']['reason']}", 13, "B", gap=4)
    _markdown(doc, pack["intro"])


#: mm: a list item's indent per level, and the width of its bullet or number
LIST_INDENT, MARKER_W = 6.0, 8.0


def _markdown(doc: _Document, text: str) -> None:
    blocks = markdown_blocks(text)
    for n, block in enumerate(blocks):
        last_of_list = n + 1 == len(blocks) or blocks[n + 1].kind != "item"
        if block.kind == "heading":
            doc.para(block.text, 14, "B", gap=3)
        elif block.kind == "paragraph":
            doc.para(block.text, 12, gap=3)
        else:  # a list item: its marker, then its text with a hanging indent
            doc.style(12)
            doc.set_x(doc.l_margin + LIST_INDENT * block.depth)
            doc.cell(MARKER_W, 6, doc.t(block.marker))
            doc.multi_cell(0, 6, doc.t(block.text), align="L", new_x="LMARGIN",
                           new_y="NEXT")
            doc.ln(3 if last_of_list else 1)


def _item(doc: _Document, item: dict) -> None:
    doc.ln(3)
    if item["kind"] == "text":
        _markdown(doc, item["text"])
        return
    if item.get("withheld"):
        doc.para(item["withheld"], 12, "B", gap=2)
        return
    if doc.will_page_break(40):
        doc.add_page()
    doc.para(item.get("heading", ""), 15, "B", gap=2)
    if item.get("newer"):
        doc.set_fill_color(*NOTICE)
        doc.style(11, "B")
        doc.multi_cell(0, 6, doc.t(f"{item['newer']}: the figures below are those of the "
                                   f"version cited, taken {day(item.get('taken'))}."),
                       fill=True, align="L", new_x="LMARGIN", new_y="NEXT")
        doc.set_fill_color(255, 255, 255)
        doc.ln(2)
    for sentence in item.get("sentences", []):
        doc.para(f"• {sentence}", 12, gap=1.5)
    if item.get("citation"):  # the sentences' source
        doc.para(item["citation"], 9, "I", GREY, gap=3)
    if item.get("figures"):
        _figures(doc, item["figures"])
    if item.get("comparison"):
        _chart(doc, item["comparison"])
    if item.get("map"):
        pdfmap.draw(doc, item["map"])
    for note in item.get("notes", []):
        doc.para(f"{note['title']}. {note['text']}", 9, color=GREY, gap=1)


COLUMNS = (62, 40, 72)  # mm: figure, here, compared with (174 mm = A4 less margins)


def _figures(doc: _Document, figures: list[dict]) -> None:
    """One small table per figure (its row and the citation under it), so a page break never
    separates a number from its source; the column headings start the first."""
    for n, f in enumerate(figures):
        if doc.will_page_break(_height(doc, f) + (9 if n == 0 else 0)):
            doc.add_page()
        doc.style(12)
        doc.set_fill_color(255, 255, 255)
        with doc.table(col_widths=COLUMNS, text_align=("LEFT", "RIGHT", "LEFT"),
                       borders_layout="HORIZONTAL_LINES", line_height=6, padding=(1.5, 2),
                       first_row_as_headings=n == 0,
                       headings_style=FontFace(family=doc.family, emphasis="BOLD", size_pt=12,
                                               fill_color=(235, 235, 235))) as table:
            if n == 0:
                heading = table.row()
                for text in ("Figure", "Here", "Compared with"):
                    heading.cell(text)
            row = table.row()
            row.cell(doc.t(f["label"]))
            row.cell(doc.t(f["value"]), style=FontFace(family=doc.family, emphasis="BOLD",
                                                       size_pt=12))
            row.cell(doc.t(f.get("detail", "")))
            table.row().cell(doc.t(f["citation"]), colspan=3, align="LEFT", style=FontFace(
                family=doc.family, emphasis="ITALICS", size_pt=9, color=GREY))
    doc.ln(3)


def _height(doc: _Document, f: dict) -> float:
    """Height in mm of a figure's row and citation, measured without drawing."""
    def lines(width: float, text: str, size: float, style: str = "") -> float:
        doc.set_font(doc.family, style, size)
        return len(doc.multi_cell(width - 4, 6, doc.t(text), dry_run=True, output="LINES"))

    row = max(lines(COLUMNS[0], f["label"], 12), lines(COLUMNS[1], f["value"], 12, "B"),
              lines(COLUMNS[2], f.get("detail", ""), 12)) * 6
    return row + lines(sum(COLUMNS), f["citation"], 9, "I") * 6 + 8


def _chart(doc: _Document, comparison: dict) -> None:
    """Horizontal bars of the rate in each place (area, ward, city)."""
    values = [p["value"] for p in comparison["places"] if p["value"] is not None]
    if not values:
        return
    top = max(values) or 1.0
    doc.para(f"Rows {comparison['unit']}", 11, "B", gap=1)
    label_w, bar_w = 62, doc.epw - 62 - 22
    for p in comparison["places"]:
        if doc.will_page_break(8):
            doc.add_page()
        y = doc.get_y()
        doc.style(11)
        doc.cell(label_w, 7, doc.t(p["label"]))
        width = bar_w * (p["value"] or 0) / top
        if width > 0:
            doc.set_fill_color(*BAR)
            doc.rect(doc.l_margin + label_w, y + 1.2, width, 4.6, style="F")
            doc.set_fill_color(255, 255, 255)
        doc.set_xy(doc.l_margin + label_w + width + 2, y)
        doc.cell(20, 7, doc.t(p["rate"] if p["value"] is not None else p["rows"]),
                 new_x="LMARGIN", new_y="NEXT")
    doc.ln(2)
