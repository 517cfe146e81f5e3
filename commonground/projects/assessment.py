"""The questions of a social-difference impact assessment, as data with their sources, and
the check of a filled-in form (pure: no database).

Four parts:

* **Pointers** (``POINTERS``): the twelve pointers of the *Engaging Smart Cities* toolkit
  (https://www.engagingsmartcities.org/), written from the ESRC study *Smart Cities in the
  Making: Learning from Milton Keynes* (2017-2019): four tracks (councils, businesses,
  voluntary sector, visual communication) of three pointers each. ``Pointer.pointer`` is the
  toolkit's own sentence where we found it (``wording="toolkit"``, quoted from the track's
  page, ``source``), otherwise our paraphrase of the track's theme (``wording="paraphrase"``).
  All twelve were found on the toolkit's pages (read 2026). ``Pointer.question`` and
  ``guidance`` are always Common Ground's words: the pointer asked as a question (three as
  issue 17 words them) and what an answer should cover.
* **Characteristics** (``CHARACTERISTICS``): the nine protected characteristics of the
  Equality Act 2010, s.4, plus socio-economic disadvantage (s.1, the socio-economic duty, not
  in force in England) and digital exclusion (added by this hub; no legal category). For each:
  the likely impact (``IMPACTS``), the evidence, the mitigation.
* **Data questions** (``DATA_QUESTIONS``): what personal data, who holds it, how long, who
  sees it; and for algorithmic tools the fields of the UK Algorithmic Transparency Recording
  Standard (``ATRS_FIELDS``, v3.0, March 2024; names as the standard's template spells them).
* **Engagement**: who was consulted, when, what changed, optionally one of the project's
  linked consultations on the hub.

``clean(form)`` reads a submitted form (field names as ``field_name`` gives them) into the
four JSON values an ``Assessment`` stores, or raises ``AssessmentError`` naming the first bad
field; ``coverage`` says plainly what an assessment answers and what it leaves open.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from commonground.activity.inputs import FieldError, parse_id

TOOLKIT = "https://www.engagingsmartcities.org/"
EQUALITY_ACT_S4 = "https://www.legislation.gov.uk/ukpga/2010/15/section/4"
EQUALITY_ACT_S1 = "https://www.legislation.gov.uk/ukpga/2010/15/section/1"
ATRS = ("https://github.com/co-cddo/algorithmic-transparency-recording-standard/blob/main/"
        "template_table.md")
ATRS_GUIDANCE = ("https://www.gov.uk/government/publications/"
                 "guidance-for-organisations-using-the-algorithmic-transparency-recording-"
                 "standard")
ATRS_VERSION = "3.0"

#: Longest answer kept, in characters: a long paragraph or two.
TEXT_MAX = 4000
#: Longest name (who was consulted, a supplier) or address.
SHORT_MAX = 300
#: Most rows in the engagement record.
ENGAGEMENT_MAX = 50


class AssessmentError(FieldError):
    """Bad input for an assessment; ``field`` is the form field, the message names it."""


# ------------------------------------------------------------------------- the pointers

@dataclass(frozen=True)
class Track:
    id: str
    label: str
    source: str
    #: The question the toolkit's home page asks of this track, in its words.
    toolkit_question: str


TRACKS = (
    Track("councils", "Councils", f"{TOOLKIT}councils.html",
          "What's the best way to approach smart city projects so that your citizens are "
          "properly involved?"),
    Track("businesses", "Businesses", f"{TOOLKIT}businesses.html",
          "How can you ensure that your smart city products aren’t inadvertently excluding "
          "potential users?"),
    Track("voluntary", "Voluntary sector", f"{TOOLKIT}voluntary.html",
          "What’s the most effective role you can play in enabling local communities to "
          "engage with smart city initiatives?"),
    Track("visual", "Visual communication", f"{TOOLKIT}visual.html",
          "How do you design smart city visuals that communicate your message as widely as "
          "possible?"),
)
TRACK = {t.id: t for t in TRACKS}


@dataclass(frozen=True)
class Pointer:
    id: str
    track: str
    #: The toolkit's sentence (wording "toolkit") or our paraphrase (wording "paraphrase").
    pointer: str
    wording: str
    #: Common Ground's question and guidance.
    question: str
    guidance: str

    @property
    def source(self) -> str:
        return TRACK[self.track].source


POINTERS = (
    Pointer("councils-1", "councils",
            "Don't always look at the horizon. Look into your own networks too, whether local "
            "or distant, and think about what you already want to do for your locality.",
            "toolkit",
            "Does the project start from what you already want to do for the area, and from "
            "your own networks, rather than from the newest technology?",
            "Say which local aim it serves and which services, teams or partners it builds "
            "on. If it began with a supplier's or funder's offer, say so."),
    Pointer("councils-2", "councils",
            "Big data on its own is not the answer. Generating data without a clear sense of "
            "its value is not useful.",
            "toolkit",
            "Do you know what each kind of data the project collects is for, and who will act "
            "on it?",
            "For each kind of data: the decision or service it feeds and who uses it. List "
            "data kept 'in case it is useful' as such."),
    Pointer("councils-3", "councils",
            "Work with your local communities and organisations. They're the people who best "
            "know their problems and they’ll help you deliver a solution which really works, "
            "not an expensive technology that no one uses.",
            "toolkit",
            "Are local communities and organisations shaping the project, not only being told "
            "about it?",
            "Which groups, how and when; what they asked for and what changed because of them "
            "(the engagement record below holds the details)."),
    Pointer("businesses-1", "businesses",
            "Build good relationships with local community representatives at the beginning "
            "of your project, and be sure to work on them throughout.",
            "toolkit",
            "Have you built relationships with community representatives from the start?",
            "Who speaks for the people the project reaches (residents' associations, voluntary "
            "and faith groups, disability groups, parish councils)? When did you first talk "
            "to them, and how do you keep in touch?"),
    Pointer("businesses-2", "businesses",
            "Think through all that motivates people to use your product or service. Remember "
            "social and cultural difference affects motivation, not just supposedly rational "
            "economic incentives.",
            "toolkit",
            "Have you thought through why different people would, or would not, use what the "
            "project offers?",
            "Beyond saving money or time: habit, trust, language, culture, caring duties, "
            "worry about being watched. Which groups may have reasons to stay away?"),
    Pointer("businesses-3", "businesses",
            "Don't over-estimate your target audience's technical ability. If it's too "
            "complex, it won't get used.",
            "toolkit",
            "Are you over-estimating how technical your audience is?",
            "What does someone need to benefit (a smartphone, mobile data, an account, "
            "English, confidence online)? Is there a way in without them? Was it tried with "
            "people who are not enthusiasts?"),
    Pointer("voluntary-1", "voluntary",
            "Have a vision for the future of your community and understand the council's "
            "vision too. Find ways to collaborate towards that joint vision.",
            "toolkit",
            "Does the project connect with what local communities want for their own future, "
            "as well as with the council's plans?",
            "Where community and voluntary groups have set out their own priorities, say how "
            "the project relates to them, including where it pulls the other way."),
    Pointer("voluntary-2", "voluntary",
            "Work with institutions that can help you. Build partnerships with people in "
            "local government, education and business who can guide you and help your "
            "community articulate how smart tech may be deployed in your neighbourhood.",
            "toolkit",
            "Do community partners have the support they need (from the council, universities, "
            "businesses) to have a real say in how the technology is used where they live?",
            "Money, time, training or expertise offered to community partners; who speaks for "
            "the neighbourhood where decisions are made."),
    Pointer("voluntary-3", "voluntary",
            "Don’t become a testbed for the sake of it. Question how potential smart "
            "solutions would (or would not!) make a lasting difference to people in your "
            "community.",
            "toolkit",
            "Will the project make a lasting difference to the people where it runs, or is "
            "the place only a testbed?",
            "What stays when the trial ends (equipment, data, services, skills)? Who gains "
            "from the results: people here, or suppliers and funders elsewhere?"),
    Pointer("visual-1", "visual",
            "Engage your audience rather than dazzle them with futuristic technology",
            "toolkit",
            "Do your images and films engage people with issues and places that matter to "
            "them, rather than dazzle them with futuristic technology?",
            "Look at the website, leaflets, videos and slides: do they show what changes for "
            "someone here, or gadgets and skylines?"),
    Pointer("visual-2", "visual",
            "Portray cities and smart tech realistically",
            "toolkit",
            "Does your imagery show the city and its people as they are?",
            "Real streets and estates rather than renders and stock photographs; the "
            "technology as it looks in use, limits included."),
    Pointer("visual-3", "visual",
            "Represent the diversity of contemporary society",
            "toolkit",
            "Do the people in your images reflect who lives in the city: ages, ethnic groups, "
            "disabled people, families, incomes?",
            "Compare who appears in your pictures with who lives in the footprint (the lens "
            "figures attached to the assessment)."),
)
POINTER = {p.id: p for p in POINTERS}


# ------------------------------------------------------------------ the characteristics

@dataclass(frozen=True)
class Characteristic:
    id: str
    label: str
    source: str
    #: "protected" (Equality Act 2010, s.4) or "added" (beyond the protected characteristics).
    kind: str
    hint: str


def _protected(id_: str, label: str, hint: str) -> Characteristic:
    return Characteristic(id_, label, EQUALITY_ACT_S4, "protected", hint)


CHARACTERISTICS = (
    _protected("age", "Age", "Children, young people, older people: who uses the service, "
               "who can reach it, whose data it gathers."),
    _protected("disability", "Disability", "Physical access to places and devices, screen "
               "readers, hearing, learning disabilities, long-term illness."),
    _protected("gender-reassignment", "Gender reassignment", "Records of sex or name, "
               "cameras and recognition, safety in shared spaces."),
    _protected("marriage-and-civil-partnership", "Marriage and civil partnership",
               "Household accounts and eligibility rules that assume a couple."),
    _protected("pregnancy-and-maternity", "Pregnancy and maternity", "Travel with prams "
               "and small children, health data, times of day."),
    _protected("race", "Race", "Ethnic groups, nationality, language; recognition systems "
               "and data that work less well for some groups."),
    _protected("religion-or-belief", "Religion or belief", "Days and times, places of "
               "worship, dress and cameras."),
    _protected("sex", "Sex", "Safety, travel patterns, caring duties, who appears in the "
               "data."),
    _protected("sexual-orientation", "Sexual orientation", "Data that could reveal it; "
               "safety; who is asked."),
    Characteristic("socio-economic-disadvantage", "Socio-economic disadvantage",
                   EQUALITY_ACT_S1, "added",
                   "Low income, deprived neighbourhoods, cost of devices and data plans, "
                   "who pays and who benefits. (The Act's socio-economic duty, s.1, is not "
                   "in force in England; assessed here all the same.)"),
    Characteristic("digital-exclusion", "Digital exclusion", "", "added",
                   "No internet at home, no smartphone, low skills or confidence online, "
                   "cards and accounts needed. (Not a legal category: added by this hub.)"),
)
CHARACTERISTIC = {c.id: c for c in CHARACTERISTICS}

#: The likely impact of a project on a group, as an assessment may record it.
IMPACTS = ("positive", "negative", "none", "unknown")
IMPACT_LABELS = {"positive": "Positive", "negative": "Negative", "none": "None",
                 "unknown": "Not known"}
#: Impacts that count as "assessed": "unknown" is recorded, but says it was not worked out.
ASSESSED = ("positive", "negative", "none")


# ------------------------------------------------------------------- the data questions

@dataclass(frozen=True)
class Question:
    id: str
    label: str
    hint: str = ""


DATA_QUESTIONS = (
    Question("personal-data", "What personal data does the project collect or use?",
             "Names, contact details, locations, images, number plates, device ids, "
             "readings that can be linked to a home or a person. Say 'none' if none."),
    Question("holder", "Who holds it?", "The organisation responsible (the controller) and "
             "anyone who processes it for them, such as a supplier."),
    Question("retention", "How long is it kept?", "And what happens to it then: deleted, "
                                                  "anonymised, archived."),
    Question("access", "Who can see it?", "Inside and outside the project; raw or only as "
                                          "totals; what is published openly."),
)
DATA_QUESTION = {q.id: q for q in DATA_QUESTIONS}


@dataclass(frozen=True)
class AtrsField:
    """One field of the Algorithmic Transparency Recording Standard, v3.0 (``ATRS``)."""

    ref: str  # the standard's reference number, e.g. "2.1.3"
    attribute: str  # the standard's attribute name
    name: str
    section: str  # a key of ATRS_SECTIONS
    required: bool
    #: Filled from the register when left blank (see ``assessment_document.atrs_record``).
    derived: str = ""
    kind: str = "text"  # "text", "short", "email" or "url"


ATRS_SECTIONS = {
    "title": "Metadata and title information",
    "tier_1": "Tier 1 information",
    "owner_and_responsibility": "Tier 2: owner and responsibility",
    "description_and_rationale": "Tier 2: description and rationale",
    "decision_making_process": "Tier 2: decision-making process",
    "tool_specification": "Tier 2: tool specification",
    "model_specification": "Tier 2: model specification",
    "data_specification": "Tier 2: data specification",
    "risks_mitigations_and_impact_assessments": "Tier 2: risks, mitigations and impact "
                                                "assessments",
}

_A = AtrsField
ATRS_FIELDS = (
    _A("0.11", "title", "Title", "title", True, "the project's title", "short"),
    _A("0.12", "organisation_name", "Organisation name", "title", True,
       "the project's organisation on the hub", "short"),
    _A("0.13", "phase", "Phase", "title", True, "the project's status", "short"),
    _A("0.14", "region", "Region", "title", True, "the city", "short"),
    _A("0.15", "one_sentence_description", "One sentence description", "title", True,
       "the summary's first sentence", "short"),
    _A("1.1", "name", "Name", "tier_1", True, "the project's title", "short"),
    _A("1.2", "description", "Description", "tier_1", True, "the project's summary"),
    _A("1.3", "website_url", "Website URL", "tier_1", True, "the project's page here", "url"),
    _A("1.4", "contact_email", "Contact email", "tier_1", True, "", "email"),
    _A("2.1.1", "organisation_or_department", "Organisation or department",
       "owner_and_responsibility", True, "the project's organisation on the hub", "short"),
    _A("2.1.2", "team", "Team", "owner_and_responsibility", True, "", "short"),
    _A("2.1.3", "senior_responsible_owner", "Senior responsible owner",
       "owner_and_responsibility", True, "the project's named champion", "short"),
    _A("2.1.4", "external_supplier_involvement", "External supplier involvement",
       "owner_and_responsibility", True, "whether the register names a supplier", "short"),
    _A("2.1.4.1", "external_supplier", "External supplier", "owner_and_responsibility",
       False, "the project's partners in the supplier role", "short"),
    _A("2.1.4.2", "companies_house_number", "Companies House Number",
       "owner_and_responsibility", False, "", "short"),
    _A("2.1.4.3", "external_supplier_role", "External supplier role",
       "owner_and_responsibility", False),
    _A("2.1.4.4", "procurement_procedure_type", "Procurement procedure type",
       "owner_and_responsibility", False, "", "short"),
    _A("2.1.4.5", "data_access_terms", "Data access terms", "owner_and_responsibility",
       False),
    _A("2.2.1", "detailed_description", "Detailed description", "description_and_rationale",
       False),
    _A("2.2.2", "scope", "Scope", "description_and_rationale", True),
    _A("2.2.3", "benefit", "Benefit", "description_and_rationale", True),
    _A("2.2.4", "previous_process", "Previous process", "description_and_rationale", False),
    _A("2.2.5", "alternatives_considered", "Alternatives considered",
       "description_and_rationale", False),
    _A("2.3.1", "process_integration", "Process integration", "decision_making_process",
       True),
    _A("2.3.2", "provided_information", "Provided information", "decision_making_process",
       True),
    _A("2.3.3", "frequency_and_scale_of_usage", "Frequency and scale of usage",
       "decision_making_process", True),
    _A("2.3.4", "human_decisions_and_review", "Human decisions and review",
       "decision_making_process", True),
    _A("2.3.5", "required_training", "Required training", "decision_making_process", True),
    _A("2.3.6", "appeals_and_review", "Appeals and review", "decision_making_process",
       False),
    _A("2.4.1.1", "system_architecture", "System architecture", "tool_specification", True),
    _A("2.4.1.2", "phase", "Phase", "tool_specification", True, "the project's status",
       "short"),
    _A("2.4.1.3", "maintenance", "Maintenance", "tool_specification", True),
    _A("2.4.1.4", "models", "Models", "tool_specification", True),
    _A("2.4.2.1", "model_name", "Model name", "model_specification", True, "", "short"),
    _A("2.4.2.2", "model_version", "Model version", "model_specification", True, "",
       "short"),
    _A("2.4.2.3", "model_task", "Model task", "model_specification", True),
    _A("2.4.2.4", "model_input", "Model input", "model_specification", True),
    _A("2.4.2.5", "model_output", "Model output", "model_specification", True),
    _A("2.4.2.6", "model_architecture", "Model architecture", "model_specification", True),
    _A("2.4.2.7", "model_performance", "Model performance", "model_specification", True),
    _A("2.4.2.8", "datasets", "Datasets", "model_specification", True),
    _A("2.4.2.9", "dataset_purposes", "Dataset purposes", "model_specification", True),
    _A("2.4.3.1", "source_data_name", "Source data name", "data_specification", True),
    _A("2.4.3.2", "data_modality", "Data modality", "data_specification", True, "",
       "short"),
    _A("2.4.3.3", "data_description", "Data description", "data_specification", True),
    _A("2.4.3.4", "data_quantities", "Data quantities", "data_specification", True),
    _A("2.4.3.5", "sensitive_attributes", "Sensitive attributes", "data_specification",
       True),
    _A("2.4.3.6", "data_completeness_and_representativeness",
       "Data completeness and representativeness", "data_specification", True),
    _A("2.4.3.7", "source_data_url", "Source data URL", "data_specification", True, "",
       "url"),
    _A("2.4.3.8", "data_collection", "Data collection", "data_specification", True),
    _A("2.4.3.9", "data_cleaning", "Data cleaning", "data_specification", False),
    _A("2.4.3.10", "data_sharing_agreements", "Data sharing agreements",
       "data_specification", True),
    _A("2.4.3.11", "data_access_and_storage", "Data access and storage",
       "data_specification", True),
    _A("2.5.1", "impact_assessment", "Impact assessment",
       "risks_mitigations_and_impact_assessments", True, "this assessment's address"),
    _A("2.5.2", "risks_and_mitigations", "Risks and mitigations",
       "risks_mitigations_and_impact_assessments", True),
)
del _A


def atrs_key(f: AtrsField) -> str:
    """The field's key in an assessment's answers: "phase" occurs twice in the standard."""
    return f"{f.section}.{f.attribute}" if f.attribute == "phase" else f.attribute


ATRS_FIELD = {atrs_key(f): f for f in ATRS_FIELDS}


# ----------------------------------------------------------------------- form field names

def field_name(part: str, key: str, item: str = "") -> str:
    """The form field for one answer: ``pointer-councils-1``, ``impact-disability``,
    ``evidence-disability``, ``data-retention``, ``atrs-contact_email``,
    ``engagement-2-who`` (``part`` "engagement", ``key`` the row, ``item`` the column)."""
    if part == "engagement":
        return f"engagement-{key}-{item}"
    return f"{part}-{key}"


ENGAGEMENT_COLUMNS = ("who", "when", "changed", "consultation")


# ----------------------------------------------------------------------------- checking

@dataclass
class Answers:
    """An assessment's answers as its JSON fields hold them (blank answers left out)."""

    answers: dict = field(default_factory=dict)  # {pointer id: text}
    characteristics: dict = field(default_factory=dict)  # {id: {impact, evidence, mitigation}}
    data_questions: dict = field(default_factory=dict)  # {id: text, "atrs": {key: text}}
    engagement: list = field(default_factory=list)  # [{who, when, changed, consultation}]

    @property
    def consultation_ids(self) -> list[int]:
        return sorted({row["consultation"] for row in self.engagement if row["consultation"]})


def _text(form: Mapping, name: str, label: str, limit: int = TEXT_MAX) -> str:
    value = form.get(name, "")
    if not isinstance(value, str):
        raise AssessmentError(name, f"{label}: write text")
    value = value.replace("\r\n", "\n").strip()
    if len(value) > limit:
        raise AssessmentError(name, f"{label}: at most {limit:,} characters "
                                    f"(this has {len(value):,})")
    return value


EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)


def _when(value: str, name: str, label: str) -> str:
    """A date as sources give it: "2019", "2019-05" or "2019-05-14"."""
    if not value:
        return ""
    parts = value.split("-")
    try:
        if not (value.isascii() and 1 <= len(parts) <= 3 and len(parts[0]) == 4
                and all(p.isdigit() for p in parts)):
            raise ValueError
        date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1,
             int(parts[2]) if len(parts) > 2 else 1)
    except ValueError:
        raise AssessmentError(name, f"{label}: write the date as 2019, 2019-05 or "
                                    f"2019-05-14") from None
    return value


def clean(form: Mapping, *, consultations: Collection[int] = ()) -> Answers:
    """The answers in ``form`` (a dict or a QueryDict of field names, ``field_name``),
    checked: impacts from ``IMPACTS``, texts within ``TEXT_MAX``, emails and addresses that
    look like them, dates as sources give them, consultations among ``consultations`` (the
    ids of the project's linked consultations). Raises ``AssessmentError`` at the first
    bad field."""
    out = Answers()
    for p in POINTERS:
        text = _text(form, field_name("pointer", p.id), f"Pointer “{p.question}”")
        if text:
            out.answers[p.id] = text
    out.characteristics = _characteristics(form)
    for d in DATA_QUESTIONS:
        text = _text(form, field_name("data", d.id), d.label)
        if text:
            out.data_questions[d.id] = text
    atrs = _atrs(form)
    if atrs:
        out.data_questions["atrs"] = atrs
    out.engagement = _engagement(form, set(consultations))
    return out


def _characteristics(form: Mapping) -> dict:
    out = {}
    for c in CHARACTERISTICS:
        impact_field = field_name("impact", c.id)
        impact = _text(form, impact_field, c.label, SHORT_MAX)
        if impact and impact not in IMPACTS:
            raise AssessmentError(impact_field, f"{c.label}: the likely impact is one of "
                                                f"{', '.join(IMPACTS)}")
        evidence = _text(form, field_name("evidence", c.id), f"{c.label}, evidence")
        mitigation = _text(form, field_name("mitigation", c.id), f"{c.label}, mitigation")
        if (evidence or mitigation) and not impact:
            raise AssessmentError(impact_field, f"{c.label}: choose the likely impact "
                                                "(“unknown” if it is not known) for the "
                                                "evidence or mitigation given")
        if impact:
            out[c.id] = {"impact": impact, "evidence": evidence, "mitigation": mitigation}
    return out


def _atrs(form: Mapping) -> dict:
    out = {}
    for key, f in ATRS_FIELD.items():
        name = field_name("atrs", key)
        label = f"ATRS {f.ref} {f.name}"
        text = _text(form, name, label, SHORT_MAX if f.kind != "text" else TEXT_MAX)
        if text and f.kind == "email" and not EMAIL.match(text):
            raise AssessmentError(name, f"{label}: write an email address, name@example.org")
        if text and f.kind == "url" and not URL.match(text):
            raise AssessmentError(name, f"{label}: write a web address starting https://")
        if text:
            out[key] = text
    return out


def engagement_rows(form: Mapping) -> list[str]:
    """The row keys of the engagement record in ``form``, in order ("1", "2", ...)."""
    rows = set()
    for name in form:
        match = re.fullmatch(r"engagement-(\d{1,3})-(who|when|changed|consultation)", name)
        if match:
            rows.add(int(match.group(1)))
    return [str(n) for n in sorted(rows)]


def _engagement(form: Mapping, consultations: set[int]) -> list[dict]:
    rows = []
    for key in engagement_rows(form):
        label = f"Engagement {key}"
        who = _text(form, field_name("engagement", key, "who"), f"{label}, who", SHORT_MAX)
        when_field = field_name("engagement", key, "when")
        when = _when(_text(form, when_field, f"{label}, when", SHORT_MAX), when_field,
                     f"{label}, when")
        changed = _text(form, field_name("engagement", key, "changed"),
                        f"{label}, what changed")
        link_field = field_name("engagement", key, "consultation")
        link = _text(form, link_field, f"{label}, consultation", SHORT_MAX)
        consultation = None
        if link:
            consultation = parse_id(link)
            if consultation is None or consultation not in consultations:
                raise AssessmentError(link_field, f"{label}: choose one of the project's "
                                                  "linked consultations, or none")
        if not (who or when or changed or consultation):
            continue  # a blank row
        if not who:
            raise AssessmentError(field_name("engagement", key, "who"),
                                  f"{label}: say who was consulted")
        rows.append({"who": who, "when": when, "changed": changed,
                     "consultation": consultation})
    if len(rows) > ENGAGEMENT_MAX:
        raise AssessmentError("engagement", f"Engagement: at most {ENGAGEMENT_MAX} rows")
    return rows


def form_values(answers: dict, characteristics: dict, data_questions: dict,
                engagement: list) -> dict[str, str]:
    """The form fields that show stored answers (the inverse of ``clean``)."""
    values = {field_name("pointer", k): v for k, v in answers.items() if k in POINTER}
    for key, entry in characteristics.items():
        for part in ("impact", "evidence", "mitigation"):
            values[field_name(part, key)] = entry.get(part, "")
    for key, text in data_questions.items():
        if key in DATA_QUESTION:
            values[field_name("data", key)] = text
    for key, text in (data_questions.get("atrs") or {}).items():
        values[field_name("atrs", key)] = text
    for n, row in enumerate(engagement, start=1):
        for column in ENGAGEMENT_COLUMNS:
            value = row.get(column)
            values[field_name("engagement", str(n), column)] = "" if value is None \
                else str(value)
    return values


# ----------------------------------------------------------------------------- coverage

def _names(labels: list[str]) -> str:
    return ", ".join(labels)


def coverage(answers: dict, characteristics: dict, data_questions: dict, engagement: list,
             *, algorithmic: bool = False) -> dict:
    """What an assessment answers and leaves open, counted plainly (never a score).

    Returns the lists (pointer ids answered and not; characteristics assessed, recorded as
    "unknown", and not assessed; data questions answered; for algorithmic tools the ATRS
    required fields left blank, derived ones aside) and ``lines``: sentences such as
    "7 of 12 pointers answered" and "Not assessed: disability"."""
    answered = [p.id for p in POINTERS if answers.get(p.id)]
    assessed = [c.id for c in CHARACTERISTICS
                if (characteristics.get(c.id) or {}).get("impact") in ASSESSED]
    unknown = [c.id for c in CHARACTERISTICS
               if (characteristics.get(c.id) or {}).get("impact") == "unknown"]
    missing = [c.id for c in CHARACTERISTICS if c.id not in assessed and c.id not in unknown]
    data = [q.id for q in DATA_QUESTIONS if data_questions.get(q.id)]
    atrs = data_questions.get("atrs") or {}
    atrs_required = [k for k, f in ATRS_FIELD.items() if f.required and not f.derived]
    atrs_blank = [k for k in atrs_required if not atrs.get(k)]
    lines = [f"{len(answered)} of {len(POINTERS)} pointers answered",
             f"{len(assessed)} of {len(CHARACTERISTICS)} characteristics assessed"]
    if unknown:
        lines.append("Impact recorded as not known: "
                     + _names([CHARACTERISTIC[c].label.lower() for c in unknown]))
    if missing:
        lines.append("Not assessed: " + _names([CHARACTERISTIC[c].label.lower()
                                                for c in missing]))
    lines.append(f"{len(data)} of {len(DATA_QUESTIONS)} data questions answered")
    if algorithmic or atrs:
        filled = len(atrs_required) - len(atrs_blank)
        lines.append(f"Algorithmic transparency record: {filled} of {len(atrs_required)} "
                     "required fields filled")
    n = len(engagement)
    lines.append(f"{n} engagement record{'' if n == 1 else 's'}" if n
                 else "No engagement recorded")
    return {"pointers_answered": answered,
            "pointers_open": [p.id for p in POINTERS if p.id not in answered],
            "characteristics_assessed": assessed, "characteristics_unknown": unknown,
            "characteristics_not_assessed": missing, "data_questions_answered": data,
            "atrs_required_blank": atrs_blank if (algorithmic or atrs) else [],
            "engagement_records": n, "lines": lines}
