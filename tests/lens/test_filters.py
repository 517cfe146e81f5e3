"""Row filters for the lens: read as people write them, said back in words, refused plainly."""

from __future__ import annotations

import pytest

from commonground.datastore.query import Filter
from commonground.lens.filters import FilterError, check, describe, parse, parse_all


@pytest.mark.parametrize("text, filters, words", [
    ("status_code=A", [Filter("status_code", "eq", "A")], "status_code = A"),
    (" status_code != D ", [Filter("status_code", "ne", "D")], "status_code ≠ D"),
    ("max_kw>=7", [Filter("max_kw", "gte", "7")], "max_kw ≥ 7"),
    ("max_kw>7", [Filter("max_kw", "gt", "7")], "max_kw > 7"),
    ("max_kw<=50", [Filter("max_kw", "lte", "50")], "max_kw ≤ 50"),
    ("max_kw<50", [Filter("max_kw", "lt", "50")], "max_kw < 50"),
    ("max_kw=7..50", [Filter("max_kw", "gte", "7"), Filter("max_kw", "lte", "50")],
     "max_kw from 7 to 50"),
    ("max_kw=7..", [Filter("max_kw", "gte", "7")], "max_kw ≥ 7"),
    ("max_kw=..50", [Filter("max_kw", "lte", "50")], "max_kw ≤ 50"),
    ("name=A=B", [Filter("name", "eq", "A=B")], "name = A=B"),
])
def test_filters_are_read_and_said_back(text, filters, words):
    assert parse(text) == filters
    assert describe(text) == words


@pytest.mark.parametrize("text, message", [
    ("max_kw", "cannot read the row filter 'max_kw'"),
    ("=3", "cannot read"),
    ("max_kw>=", "needs a column and a value"),
    ("max_kw=..", "needs at least one end"),
    ("max_kw=50..7", r"runs backwards: write the lower end first \(max_kw=7..50\)"),
])
def test_a_filter_that_cannot_be_read_says_so(text, message):
    with pytest.raises(FilterError, match=message) as raised:
        parse(text)
    assert raised.value.text == text


@pytest.mark.parametrize("text, message", [
    ("no_such=1", "the row filter 'no_such=1' names unknown column 'no_such'; this file's "
     "columns are: max_kw, opened"),
    ("max_kw>=lots", "the row filter 'max_kw>=lots' cannot be used: 'lots' is not a valid "
     "number for column 'max_kw'"),
    ("opened=2020-01-01..soon", "'soon' is not a valid date for column 'opened'"),
])
def test_a_filter_is_checked_against_the_columns_and_named_when_it_cannot_be_used(text,
                                                                                  message):
    types = {"max_kw": "number", "opened": "date", "_lsoa21": "string"}
    assert check("max_kw=7..50", types) == parse("max_kw=7..50")
    with pytest.raises(FilterError) as raised:
        check(text, types)
    assert message in str(raised.value) and raised.value.text == text


def test_several_filters_are_all_applied_and_blanks_skipped():
    assert parse_all(["a=1", "", "  ", "b=2..3"]) == [
        Filter("a", "eq", "1"), Filter("b", "gte", "2"), Filter("b", "lte", "3")]
