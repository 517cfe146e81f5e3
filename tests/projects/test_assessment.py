"""The questions of a social-difference impact assessment, and the check of a filled-in form:
the toolkit's twelve pointers in four tracks of three, with their sources; the Equality
Act's protected characteristics plus socio-economic disadvantage and digital exclusion; the
ATRS fields; bad answers refused naming the field; what was and was not assessed, counted."""

from __future__ import annotations

from collections import Counter

import pytest

from commonground.projects import assessment as q
from commonground.projects.assessment import AssessmentError, clean, field_name

#: The Equality Act 2010, s.4, in the Act's order.
PROTECTED = ["age", "disability", "gender-reassignment", "marriage-and-civil-partnership",
             "pregnancy-and-maternity", "race", "religion-or-belief", "sex",
             "sexual-orientation"]


def test_twelve_pointers_in_four_tracks_of_three_each_with_its_source():
    assert len(q.POINTERS) == 12
    assert [t.id for t in q.TRACKS] == ["councils", "businesses", "voluntary", "visual"]
    assert Counter(p.track for p in q.POINTERS) == {t.id: 3 for t in q.TRACKS}
    assert len({p.id for p in q.POINTERS}) == 12
    for p in q.POINTERS:
        assert p.wording in ("toolkit", "paraphrase")
        assert p.source == f"https://www.engagingsmartcities.org/{p.track}.html"
        assert p.question.endswith("?") and p.guidance and p.pointer


def test_the_issue_questions_are_asked_of_the_pointers_they_come_from():
    asked = {p.question: p for p in q.POINTERS}
    building = asked["Have you built relationships with community representatives from the "
                     "start?"]
    technical = asked["Are you over-estimating how technical your audience is?"]
    imagery = asked["Does your imagery show the city and its people as they are?"]
    assert building.track == technical.track == "businesses"
    assert "community representatives at the beginning" in building.pointer
    assert "over-estimate your target audience's technical ability" in technical.pointer
    assert imagery.track == "visual" and "realistically" in imagery.pointer


def test_eleven_characteristics_the_nine_protected_first():
    assert len(q.CHARACTERISTICS) == 11
    assert [c.id for c in q.CHARACTERISTICS[:9]] == PROTECTED
    assert {c.kind for c in q.CHARACTERISTICS[:9]} == {"protected"}
    assert {c.source for c in q.CHARACTERISTICS[:9]} == {q.EQUALITY_ACT_S4}
    assert [c.id for c in q.CHARACTERISTICS[9:]] == ["socio-economic-disadvantage",
                                                     "digital-exclusion"]
    assert q.IMPACTS == ("positive", "negative", "none", "unknown")


def test_the_atrs_fields_carry_the_standards_names_and_sections():
    by_ref = {f.ref: f for f in q.ATRS_FIELDS}
    assert [by_ref[r].attribute for r in ("1.1", "1.2", "1.3", "1.4")] == [
        "name", "description", "website_url", "contact_email"]
    assert {by_ref[r].section for r in ("1.1", "1.2", "1.3", "1.4")} == {"tier_1"}
    assert by_ref["2.1.3"].attribute == "senior_responsible_owner"
    assert by_ref["2.3.4"].attribute == "human_decisions_and_review"
    assert by_ref["2.5.2"].attribute == "risks_and_mitigations"
    assert len(by_ref) == len(q.ATRS_FIELDS)  # every reference once
    assert len(q.ATRS_FIELD) == len(q.ATRS_FIELDS)  # "phase" twice, kept apart


GOOD = {
    field_name("pointer", "businesses-1"): "  We met the residents' association in 2015.  ",
    field_name("impact", "disability"): "negative",
    field_name("evidence", "disability"): "The app needs a touch screen.",
    field_name("mitigation", "disability"): "A phone line.",
    field_name("impact", "age"): "unknown",
    field_name("data", "retention"): "Two years.",
    field_name("atrs", "contact_email"): "smart@example.org",
    field_name("atrs", "tool_specification.phase"): "Production",
    field_name("engagement", "1", "who"): "Bletchley residents' association",
    field_name("engagement", "1", "when"): "2015-03",
    field_name("engagement", "1", "changed"): "Signs in three languages",
    field_name("engagement", "1", "consultation"): "7",
    field_name("engagement", "2", "who"): "",  # a blank row is skipped
}


def test_a_good_form_is_kept_as_the_assessment_holds_it():
    got = clean(GOOD, consultations={7})
    assert got.answers == {"businesses-1": "We met the residents' association in 2015."}
    assert got.characteristics == {
        "disability": {"impact": "negative", "evidence": "The app needs a touch screen.",
                       "mitigation": "A phone line."},
        "age": {"impact": "unknown", "evidence": "", "mitigation": ""}}
    assert got.data_questions == {"retention": "Two years.",
                                  "atrs": {"contact_email": "smart@example.org",
                                           "tool_specification.phase": "Production"}}
    assert got.engagement == [{"who": "Bletchley residents' association", "when": "2015-03",
                               "changed": "Signs in three languages", "consultation": 7}]
    assert got.consultation_ids == [7]


def test_stored_answers_fill_the_form_again():
    got = clean(GOOD, consultations={7})
    again = clean(q.form_values(got.answers, got.characteristics, got.data_questions,
                                got.engagement), consultations={7})
    assert again == got


WHO_3 = field_name("engagement", "3", "who")


@pytest.mark.parametrize("name, value, refused_field, words", [
    (field_name("impact", "disability"), "terrible", None,
     "Disability: the likely impact is one of positive, negative, none, unknown"),
    (field_name("evidence", "race"), "Seen in the survey.", field_name("impact", "race"),
     "Race: choose the likely impact"),
    (field_name("pointer", "visual-2"), "x" * (q.TEXT_MAX + 1), None,
     "at most 4,000 characters"),
    (field_name("atrs", "contact_email"), "not an address", None, "ATRS 1.4 Contact email"),
    (field_name("atrs", "website_url"), "javascript:alert(1)", None, "ATRS 1.3 Website URL"),
    (field_name("engagement", "3", "when"), "March 2015", None,
     "Engagement 3, when: write the date"),
    (field_name("engagement", "3", "when"), "2015-02-30", None,
     "Engagement 3, when: write the date"),
    (field_name("engagement", "3", "consultation"), "8", None,
     "Engagement 3: choose one of the project's linked consultations"),
    (field_name("engagement", "3", "consultation"), "\uff17", None,
     "Engagement 3: choose one of"),
    (field_name("engagement", "3", "changed"), "Nothing", WHO_3,
     "Engagement 3: say who was consulted"),
])
def test_a_bad_answer_is_refused_naming_its_field(name, value, refused_field, words):
    with pytest.raises(AssessmentError) as refused:
        clean({**GOOD, name: value}, consultations={7})
    assert refused.value.field == (refused_field or name)
    assert words in str(refused.value)


def test_coverage_counts_what_was_and_was_not_assessed_plainly():
    got = clean(GOOD, consultations={7})
    seen = q.coverage(got.answers, got.characteristics, got.data_questions, got.engagement,
                      algorithmic=True)
    assert seen["lines"][:2] == ["1 of 12 pointers answered",
                                 "1 of 11 characteristics assessed"]
    assert "Impact recorded as not known: age" in seen["lines"]
    assert seen["characteristics_not_assessed"] == [
        c.id for c in q.CHARACTERISTICS if c.id not in ("disability", "age")]
    not_assessed = next(line for line in seen["lines"] if line.startswith("Not assessed"))
    assert "sexual orientation" in not_assessed and "disability" not in not_assessed
    assert "1 of 4 data questions answered" in seen["lines"]
    required = [k for k, f in q.ATRS_FIELD.items() if f.required and not f.derived]
    assert (f"Algorithmic transparency record: 1 of {len(required)} required fields filled"
            in seen["lines"])
    assert seen["lines"][-1] == "1 engagement record"


def test_an_empty_assessment_says_nothing_was_answered():
    seen = q.coverage({}, {}, {}, [])
    assert seen["lines"] == ["0 of 12 pointers answered", "0 of 11 characteristics assessed",
                             "Not assessed: " + ", ".join(c.label.lower()
                                                          for c in q.CHARACTERISTICS),
                             "0 of 4 data questions answered", "No engagement recorded"]
