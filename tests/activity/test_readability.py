"""Reading age of a text (Flesch–Kincaid grade + 5): guidance for easy-read summaries."""

from __future__ import annotations

import pytest

from commonground.activity import readability


@pytest.mark.parametrize("word, count", [
    ("car", 1), ("make", 1), ("people", 2), ("charger", 2), ("electric", 3),
    ("consultation", 4), ("infrastructure", 4), ("tree", 1),
])
def test_syllables_by_rule_of_thumb(word, count):
    assert readability.syllables(word) == count


def test_short_plain_sentences_read_young_and_long_latinate_ones_old():
    plain = readability.measure("We want to put new chargers in Bletchley. Many homes have "
                                "no drive. Tell us where they should go.")
    dense = readability.measure(
        "The authority is undertaking a consultation regarding the prioritisation of "
        "electric vehicle charging infrastructure deployment, considering accessibility, "
        "affordability and the distributional implications for residents lacking "
        "off-street parking provision.")
    assert plain.sentences == 3 and plain.words == 19
    assert plain.easy and plain.reading_age <= 9
    assert not dense.easy and dense.reading_age >= 18


def test_the_grade_follows_kincaids_formula():
    r = readability.Readability(words=100, sentences=5, syllables=150)
    assert r.grade == pytest.approx(0.39 * 20 + 11.8 * 1.5 - 15.59)
    assert r.reading_age == round(r.grade + 5)


def test_list_items_and_paragraphs_count_as_sentences_and_empty_text_is_zero():
    assert readability.measure("Chargers\n\n- on streets\n- in car parks").sentences == 3
    empty = readability.measure("")
    assert empty.words == 0 and empty.grade == 0.0
