"""When a project ran (periods.py): the one rule the project list and the network share."""

from __future__ import annotations

from datetime import date

import pytest

from commonground.projects import periods

TODAY = date(2025, 6, 1)


@pytest.mark.parametrize(("start", "end", "live", "first", "last", "end_known"), [
    # known start and end: start to end
    (date(2014, 1, 1), date(2017, 12, 31), False, date(2014, 1, 1), date(2017, 12, 31), True),
    # live, no end: runs to today
    (date(2015, 1, 1), None, True, date(2015, 1, 1), TODAY, False),
    # ended (or pilot, idea, not known) with no end: the start's year only
    (date(2014, 5, 1), None, False, date(2014, 5, 1), date(2014, 12, 31), False),
])
def test_a_span_is_the_days_a_project_is_known_to_have_run(start, end, live, first, last,
                                                           end_known):
    assert periods.span(start, end, live=live, today=TODAY) == periods.Span(first, last,
                                                                            end_known)


def test_a_project_with_no_known_start_has_no_span_and_is_in_no_period():
    assert periods.span(None, date(2017, 12, 31), live=False) is None
    assert not periods.in_period(None, date(2017, 12, 31), live=True, first_year=2010,
                                 last_year=2020)
    assert periods.in_period(None, None, live=False, first_year=None, last_year=None)


@pytest.mark.parametrize(("live", "first_year", "last_year", "expected"), [
    (False, 2014, 2014, True),  # its start year
    (False, 2015, None, False),  # an ended project with no end is not assumed to run on
    (False, 2023, 2025, False),
    (True, 2023, 2025, True),  # a live one runs to today
    (True, 2026, None, False),  # but not into years still to come
    (False, None, 2013, False),
])
def test_a_project_with_no_end(live, first_year, last_year, expected):
    assert periods.in_period(date(2014, 1, 1), None, live=live, first_year=first_year,
                             last_year=last_year, today=TODAY) is expected


def test_the_sentence_for_projects_left_out():
    assert periods.left_out_words(0) == ""
    assert periods.left_out_words(1) == ("1 project with no known start is left out: it "
                                         "cannot be placed in a period.")
    assert periods.left_out_words(3).startswith("3 projects with no known start are left out")
