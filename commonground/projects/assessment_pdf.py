"""Lay out an impact assessment as an A4 PDF to print (pure: reads ``assessment_dict``).

The same words as the page: what was and was not assessed first, then each toolkit track's
pointers with the answers, the characteristics (impact, evidence, mitigation), the data
questions and algorithmic transparency fields, the engagement record, the frozen lens
figures and the sources. Fonts as the evidence packs set them (``evidence.pdf``): DejaVu
Sans when installed, else Helvetica with other characters written in plain ASCII.
"""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from commonground.evidence.pdf import FONT_DIR, FONT_FILES, PLAIN

GREY = (85, 85, 85)
INK = (20, 20, 20)
NOT_ANSWERED = "Not answered."


class _Document(FPDF):
    def __init__(self, title: str, font_dir: Path | None):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.doc_title = title
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

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.family, "", 9)
        self.set_text_color(*GREY)
        self.cell(0, 5, self.t(f"{self.doc_title} · page {self.page_no()} of {{nb}}"),
                  align="C")

    def para(self, text: str, size: float = 12, emphasis: str = "", color=INK,
             gap: float = 2) -> None:
        self.set_font(self.family, emphasis, size)
        self.set_text_color(*color)
        self.multi_cell(0, size * 0.5, self.t(text), align="L", new_x="LMARGIN",
                        new_y="NEXT")
        self.ln(gap)

    def heading(self, text: str) -> None:
        if self.will_page_break(30):
            self.add_page()
        self.ln(2)
        self.para(text, 16, "B", gap=2)


def render(doc: dict, *, font_dir: Path | None = FONT_DIR) -> bytes:
    """The assessment as PDF bytes. ``font_dir`` None (or without DejaVu) uses core fonts."""
    pdf = _Document(doc["title"], font_dir)
    pdf.set_title(pdf.t(doc["title"]))
    pdf.set_author(pdf.t(doc["project"]["organisation"]["name"]))
    pdf.set_creator("Common Ground")
    pdf.add_page()
    _cover(pdf, doc)
    _pointers(pdf, doc)
    _characteristics(pdf, doc)
    _data(pdf, doc)
    _engagement(pdf, doc)
    _lens(pdf, doc)
    _sources(pdf, doc)
    return bytes(pdf.output())


def _cover(pdf: _Document, doc: dict) -> None:
    organisation = doc["project"]["organisation"]["name"]
    pdf.para(f"Impact assessment · {organisation}", 12, color=GREY, gap=1)
    pdf.para(doc["title"], 20, "B", gap=3)
    if doc["state"] == "published":
        status = f"Version {doc['version']}, published {doc['published_day']}"
    else:
        status = "DRAFT: not published; answers may still change"
    pdf.para(f"{status}. Online: {doc['url']}", 10, color=GREY, gap=4)
    note = (doc.get("footprint") or {}).get("note")
    if note:
        pdf.para(note, 12, "B", gap=3)
    pdf.para("What was and was not assessed", 14, "B", gap=1)
    for line in doc["coverage"]["lines"]:
        pdf.para(f"• {line}", 12, gap=1)
    pdf.ln(2)


def _answer(pdf: _Document, text: str) -> None:
    if text:
        pdf.para(text, 12, gap=3)
    else:
        pdf.para(NOT_ANSWERED, 12, "I", GREY, gap=3)


def _pointers(pdf: _Document, doc: dict) -> None:
    for track in doc["tracks"]:
        pdf.heading(f"Toolkit pointers: {track['label']}")
        for p in track["pointers"]:
            if pdf.will_page_break(30):
                pdf.add_page()
            pdf.para(p["question"], 12, "B", gap=1)
            said = "The toolkit says" if p["wording"] == "toolkit" else "Our paraphrase"
            pdf.para(f"{said}: “{p['pointer']}” ({p['source']})", 9, "I", GREY, gap=1)
            _answer(pdf, p["answer"])


def _characteristics(pdf: _Document, doc: dict) -> None:
    pdf.heading("Who it may affect: characteristics")
    for c in doc["characteristics"]:
        if pdf.will_page_break(25):
            pdf.add_page()
        pdf.para(f"{c['label']}: {c['impact_label']}", 12, "B", gap=1)
        if c["evidence"]:
            pdf.para(f"Evidence: {c['evidence']}", 11, gap=1)
        if c["mitigation"]:
            pdf.para(f"Mitigation: {c['mitigation']}", 11, gap=1)
        pdf.ln(1.5)


def _data(pdf: _Document, doc: dict) -> None:
    pdf.heading("Data")
    for d in doc["data_questions"]:
        pdf.para(d["label"], 12, "B", gap=1)
        _answer(pdf, d["answer"])
    if doc["atrs"]:
        pdf.para("Algorithmic transparency (ATRS v{})".format(doc["sources"]["atrs_version"]),
                 13, "B", gap=1)
        for f in doc["atrs"]:
            pdf.para(f"{f['ref']} {f['name']}: {f['value']}", 11, gap=1.5)


def _engagement(pdf: _Document, doc: dict) -> None:
    pdf.heading("Engagement: who was consulted, when, what changed")
    if not doc["engagement"]:
        pdf.para("No engagement recorded.", 12, "I", GREY)
    for row in doc["engagement"]:
        when = f" ({row['when']})" if row["when"] else ""
        pdf.para(f"{row['who']}{when}", 12, "B", gap=1)
        if row["changed"]:
            pdf.para(f"What changed: {row['changed']}", 11, gap=1)
        if row["consultation"]:
            pdf.para(f"Consultation: {row['consultation']['title']} "
                     f"({row['consultation']['url']})", 10, color=GREY, gap=1)
        pdf.ln(1.5)


def _lens(pdf: _Document, doc: dict) -> None:
    lens = doc["lens_summary"]
    pdf.heading("Who lives in and near the footprint (frozen when published)")
    if lens is None:
        pdf.para("The footprint's lens figures are attached when the assessment is "
                 "published.", 12, "I", GREY)
        return
    if not lens["shown"]:
        pdf.para(lens["reason"], 12, "I", GREY)
        return
    note = (doc.get("footprint") or {}).get("note")
    if note:
        pdf.para(note, 12, "B", gap=2)
    for sentence in lens["words"]:
        pdf.para(f"• {sentence}", 12, gap=1)
    pdf.ln(1)
    for note in lens["method"]:
        pdf.para(f"{note.get('title', '')}. {note.get('text', '')}", 9, color=GREY, gap=1)
    for line in lens["rests_on"]:
        pdf.para(line, 9, "I", GREY, gap=1)
    pdf.para(f"All the figures, as frozen: {doc['url']}assessment.json", 10, color=GREY)


def _sources(pdf: _Document, doc: dict) -> None:
    s = doc["sources"]
    pdf.heading("Where the questions come from")
    pdf.para(f"Pointers: the Engaging Smart Cities toolkit, {s['toolkit']} (from the study "
             "Smart Cities in the Making: Learning from Milton Keynes). Quoted where marked "
             "“The toolkit says”; the questions and guidance are Common Ground's.", 10,
             color=GREY, gap=1)
    pdf.para(f"Protected characteristics: Equality Act 2010, s.4, {s['equality_act']}; "
             f"socio-economic disadvantage: s.1, {s['socio_economic_duty']} (not in force in "
             "England); digital exclusion added by Common Ground.", 10, color=GREY, gap=1)
    pdf.para(f"Algorithmic transparency fields: Algorithmic Transparency Recording Standard "
             f"v{s['atrs_version']}, {s['atrs']}", 10, color=GREY)
