"""Row filters for the lens: read as people write them, said back in words, refused plainly."""

from __future__ import annotations

import pytest

from commonground.datastore.query import Filter
from commonground.lens.filters import FilterError, describe, parse, parse_all


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
])
def test_a_filter_that_cannot_be_read_says_so(text, message):
    with pytest.raises(FilterError, match=message):
        parse(text)


def test_several_filters_are_all_applied_and_blanks_skipped():
    assert parse_all(["a=1", "", "  ", "b=2..3"]) == [
        Filter("a", "eq", "1"), Filter("b", "gte", "2"), Filter("b", "lte", "3")]
