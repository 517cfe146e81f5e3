"""Text holding a control character, typed where a place is asked for, on the real city.

No name, code or postcode of a place holds a NUL or another control character. Every form that
asks for a place (``names.check_places``) refuses such text whole, saying so, and the search
itself never fails on it: NumPy, which searches the names, drops a string's trailing NULs
("\\x00" reads as "", which every name holds), so a query holding one finds nothing there
rather than a place the ranking then cannot place."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commonground.places import names, search

pytestmark = pytest.mark.django_db

NUL = "\x00"
#: Control characters (category Cc) that are not whitespace: what the forms refuse.
CONTROLS = [chr(i) for i in range(0x110000) if unicodedata.category(chr(i)) == "Cc"
            and not chr(i).isspace()]


def index(state):
    return state.derived("area search", lambda: search._SearchIndex(state))


def some_names(state) -> list[str]:
    """Every place's name (localities the addresses name) and every ward's, as typed."""
    return sorted({name for name, *_ in index(state).places}
                  | {r.name for r in state.by_geography["ward"]})


def test_a_nul_alone_or_after_a_name_finds_nothing(loaded):
    found = index(loaded)
    assert found.places, "the real city's addresses name localities"
    for name in ["", *some_names(loaded)]:
        assert found.find((name + NUL).casefold()) == [], name
        assert found.find((NUL + name).casefold()) == [], name
        assert search.search_areas(name + NUL, loaded).areas == [], name


def test_the_search_never_fails_on_text_holding_control_characters(loaded):
    pieces = st.one_of(st.sampled_from(some_names(loaded)), st.sampled_from(CONTROLS),
                       st.text(max_size=3))

    @settings(max_examples=150, deadline=None, database=None)
    @given(st.lists(pieces, min_size=1, max_size=5).map("".join))
    def holds(text):
        result = search.search_areas(text, loaded)
        if NUL in text and result.postcode is None and result.postcode_area is None:
            assert result.areas == [], text
        for ref in result.areas:
            assert ref["code"] and ref["name"]

    holds()


@pytest.mark.parametrize("control", [NUL, "\x07", "\x1b", "\x7f", "\x9f"])
def test_every_form_refuses_a_place_holding_a_control_character_saying_so(loaded, control):
    ward = loaded.by_geography["ward"][0].name
    for text in (control, ward + control, f"{ward},{control}", control + ward):
        with pytest.raises(names.PlaceError) as refused:
            names.check_places(text)
        assert refused.value.field == "places"
        assert "control character" in str(refused.value) and str(refused.value).startswith("Places:")


def test_a_place_split_by_a_tab_or_a_new_line_is_still_read(loaded):
    ward = loaded.by_geography["ward"][0]
    first, _, rest = ward.name.partition(" ")
    for space in ("\t", "\n", "\r\n"):
        typed = f"{first}{space}{rest}" if rest else f"{space}{ward.name}{space}"
        assert names.check_places(typed) == [ward.code], repr(typed)
