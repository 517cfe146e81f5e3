"""An assessment as one plain dictionary: its page, its JSON and its PDF all read
``assessment_dict``, so they say the same thing; and a project's record in the shape of the
UK Algorithmic Transparency Recording Standard (``atrs_record``).

Questions come with their sources and whether a pointer's wording is the toolkit's or our
paraphrase (``assessment.POINTERS``); what was and was not assessed is counted plainly
(``assessment.coverage``), never scored.
"""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils import timezone

from commonground.places.models import LoadRun

from . import assessment as q
from .assessments import (
    PUBLISHED_WITH,
    algorithmic_of,
    coverage_of,
    footprint_changed,
    is_algorithmic,
    latest_published,
    published_with,
)
from .models import Assessment, Partnership, Project


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _day(value) -> str:
    if not value:
        return ""
    local = timezone.localtime(value)
    return f"{local.day} {local:%B %Y}"


def assessment_url(assessment: Assessment) -> str:
    slug = assessment.project.slug
    if assessment.is_published:
        return reverse("projects:assessment", args=[slug, assessment.version])
    return reverse("projects:assessment_draft", args=[slug])


def title(project: Project) -> str:
    return f"Social-difference impact assessment: {project.title}"


def assessment_dict(assessment: Assessment, *, base_url: str = "") -> dict:
    """The whole assessment as JSON-ready data (``base_url`` makes its addresses absolute,
    for the PDF)."""
    project = assessment.project
    tracks = []
    for track in q.TRACKS:
        pointers = [{"id": p.id, "track": p.track, "pointer": p.pointer, "wording": p.wording,
                     "source": p.source, "question": p.question, "guidance": p.guidance,
                     "answer": assessment.answers.get(p.id, "")}
                    for p in q.POINTERS if p.track == track.id]
        tracks.append({"id": track.id, "label": track.label, "source": track.source,
                       "toolkit_question": track.toolkit_question, "pointers": pointers})
    characteristics = []
    for c in q.CHARACTERISTICS:
        entry = assessment.characteristics.get(c.id) or {}
        impact = entry.get("impact", "")
        characteristics.append({
            "id": c.id, "label": c.label, "kind": c.kind, "source": c.source, "hint": c.hint,
            "impact": impact or None, "impact_label": q.IMPACT_LABELS.get(impact,
                                                                         "Not assessed"),
            "evidence": entry.get("evidence", ""), "mitigation": entry.get("mitigation", "")})
    data = [{"id": d.id, "label": d.label, "answer": assessment.data_questions.get(d.id, "")}
            for d in q.DATA_QUESTIONS]
    titles = dict(assessment.consultations.values_list("pk", "title"))
    engagement = [{"who": row["who"], "when": row.get("when", ""),
                   "changed": row.get("changed", ""),
                   "consultation": {"id": row["consultation"],
                                    "title": titles.get(row["consultation"], ""),
                                    "url": base_url + reverse("consultations:detail",
                                                              args=[row["consultation"]])}
                   if row.get("consultation") else None}
                  for row in assessment.engagement]
    record = published_with(assessment) or {}
    lens = {k: v for k, v in (assessment.lens or {}).items() if k != PUBLISHED_WITH}
    atrs = assessment.data_questions.get("atrs") or {}
    return {
        "title": title(project), "state": assessment.state, "version": assessment.version,
        "url": base_url + assessment_url(assessment),
        "project": {"slug": project.slug, "title": project.title,
                    "url": base_url + project.get_absolute_url(),
                    "state": project.state, "technologies": list(project.technologies or []),
                    "organisation": {"name": project.owner.name, "slug": project.owner.slug}},
        "created": _iso(assessment.created), "updated": _iso(assessment.updated),
        "published": _iso(assessment.published), "published_day": _day(assessment.published),
        "coverage": coverage_of(assessment), "algorithmic": algorithmic_of(assessment),
        "technologies_when_published": record.get("technologies"),
        "footprint": _footprint(assessment, record),
        "tracks": tracks, "characteristics": characteristics,
        "data_questions": data,
        "atrs": [{"ref": f.ref, "attribute": f.attribute, "name": f.name,
                  "section": q.ATRS_SECTIONS[f.section], "value": atrs[key]}
                 for key, f in q.ATRS_FIELD.items() if atrs.get(key)],
        "engagement": engagement,
        "lens": lens if assessment.is_published else None,
        "lens_summary": lens_summary(lens) if assessment.is_published else None,
        "sources": {"toolkit": q.TOOLKIT, "equality_act": q.EQUALITY_ACT_S4,
                    "socio_economic_duty": q.EQUALITY_ACT_S1, "atrs": q.ATRS,
                    "atrs_version": q.ATRS_VERSION},
    }


#: What a published version says when the project's footprint has moved on since.
FOOTPRINT_CHANGED = ("The project's footprint has changed since this assessment was published: "
                     "the figures here describe the footprint as it was then, not as it is "
                     "now.")


def _footprint(assessment: Assessment, record: dict) -> dict | None:
    """The footprint the frozen lens describes (its parts, key and reach rule), whether the
    project's footprint has changed since (None: not known), and the sentence saying so."""
    if not assessment.is_published:
        return None
    changed = footprint_changed(assessment)
    return {"as_published": record.get("footprint"), "changed_since": changed,
            "note": FOOTPRINT_CHANGED if changed else ""}


def lens_summary(lens: dict) -> dict:
    """The frozen lens in words for the page and the PDF: its sentences, how the numbers
    were made, and what they rest on (tables, deprivation edition, the data load), or why
    there are none."""
    if not lens or lens.get("available") is False:
        return {"shown": False, "reason": (lens or {}).get(
            "reason", "No lens figures were attached.")}
    sources = lens.get("sources") or {}
    rests_on = [f"Census: {t['title']} ({t.get('period', '')}, {t.get('geography', '')})"
                for t in sources.get("census", [])]
    if sources.get("deprivation"):
        d = sources["deprivation"]
        rests_on.append(f"Deprivation: {d['title']} ({d.get('year', '')})")
    if sources.get("residents"):
        rests_on.append(f"Residents: {sources['residents']}")
    if sources.get("load"):
        load = sources["load"]
        rests_on.append(f"Data load {load.get('run')} of {str(load.get('started', ''))[:10]} "
                        f"(fingerprint {str(load.get('fingerprint', ''))[:12]})")
    return {"shown": True, "words": list(lens.get("words", [])),
            "method": [m for m in lens.get("method", []) if isinstance(m, dict)],
            "rests_on": rests_on}


# ------------------------------------------------------------------------------- ATRS

#: The project's status as the standard's phases (v3.0: Idea; Design; Development;
#: Beta/Pilot; Production; Retired). "Not known" gives none.
PHASES = {Project.Status.IDEA: "Idea", Project.Status.PILOT: "Beta/Pilot",
          Project.Status.LIVE: "Production", Project.Status.ENDED: "Retired"}


def has_atrs_record(project: Project) -> bool:
    """Whether the project exports an ATRS-shaped record: it uses an algorithmic tool, or
    its latest published assessment fills some of the standard's fields."""
    if is_algorithmic(project):
        return True
    last = latest_published(project)
    return bool(last and last.data_questions.get("atrs"))


def _first_sentence(text: str) -> str:
    text = " ".join((text or "").split())
    match = re.match(r"(.+?[.!?])(\s|$)", text)
    return (match.group(1) if match else text)[:300]


def _derived(project: Project, last: Assessment | None, base_url: str) -> dict[str, str]:
    """What the register itself says for the standard's fields an editor left blank."""
    suppliers = list(project.partnerships.filter(role=Partnership.Role.SUPPLIER)
                     .values_list("organisation__name", flat=True))
    city = LoadRun.objects.order_by("-started", "-id").values_list("city_name",
                                                                   flat=True).first()
    phase = PHASES.get(project.status, "")
    values = {"title": project.title, "name": project.title,
              "organisation_name": project.owner.name,
              "organisation_or_department": project.owner.name,
              "title.phase": phase, "tool_specification.phase": phase, "region": city or "",
              "one_sentence_description": _first_sentence(project.summary),
              "description": project.summary,
              "website_url": base_url + project.get_absolute_url(),
              "senior_responsible_owner": project.champion,
              "external_supplier_involvement": "Yes" if suppliers else "",
              "external_supplier": "; ".join(suppliers)}
    if last is not None:
        values["impact_assessment"] = (
            f"Social-difference impact assessment, version {last.version}, published "
            f"{_day(last.published)}: {base_url}{assessment_url(last)}")
    return values


def atrs_record(project: Project, *, base_url: str = "") -> dict:
    """The project's algorithmic transparency record in the shape of the standard (v3.0):
    its sections and attribute names, each value from the latest published assessment or,
    left blank there, from the register (``from_register`` lists which); blank required
    fields are listed in ``missing_required``. Only published assessments feed it."""
    last = latest_published(project)
    given = (last.data_questions.get("atrs") or {}) if last else {}
    derived = _derived(project, last, base_url)
    sections: dict[str, dict] = {key: {} for key in q.ATRS_SECTIONS}
    from_register, missing = [], []
    for key, f in q.ATRS_FIELD.items():
        value = given.get(key) or ""
        if not value and derived.get(key):
            value = derived[key]
            from_register.append(key)
        sections[f.section][f.attribute] = value or None
        if f.required and not value:
            missing.append(key)
    metadata = sections.pop("title")
    metadata.update(standard_version=q.ATRS_VERSION,
                    date_of_completion=_iso(_first_published(project)),
                    date_updated=_iso(last.published) if last else None)
    tool = sections.pop("tool_specification")
    tool["model_specification"] = [sections.pop("model_specification")]
    return {
        "standard": "Algorithmic Transparency Recording Standard",
        "standard_version": q.ATRS_VERSION, "standard_source": q.ATRS,
        "metadata": metadata, "tier_1": sections.pop("tier_1"),
        "tier_2": {"owner_and_responsibility": sections.pop("owner_and_responsibility"),
                   "description_and_rationale": sections.pop("description_and_rationale"),
                   "decision_making_process": sections.pop("decision_making_process"),
                   "tool_specification": tool,
                   "data_specification": sections.pop("data_specification"),
                   "risks_mitigations_and_impact_assessments":
                       sections.pop("risks_mitigations_and_impact_assessments")},
        "from_register": from_register, "missing_required": missing,
        "assessment": {"version": last.version,
                       "url": base_url + assessment_url(last)} if last else None,
        "project": {"slug": project.slug, "url": base_url + project.get_absolute_url()},
    }


def _first_published(project: Project):
    return project.assessments.filter(state=Assessment.State.PUBLISHED).order_by(
        "version").values_list("published", flat=True).first()
