"""Area search reads arrays built once per load, and ranks as it always has.

Before, each search casefolded and compared the name of every area in a Python loop (about
85 ms for England's 80,000 areas, over a second for a one-letter query, which matched them
all); now it is a few vectorised passes over the load's casefolded codes and names.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from commonground.places import search
from commonground.places.once import Once


def reference(state, query: str) -> list[tuple[str, str]]:
    """The search rule, one area at a time: exact code or whole name first, then names
    starting with the query, then names containing it; larger areas first, the base
    geography after the others of its rank, the newest boundaries first, then by name; an
    area whose code a newer vintage keeps is listed once, as the newer."""
    needle = " ".join(query.split()).casefold()
    profiled = [r for r in state.areas.values() if r.geography in state.profiled]
    newest = {}  # one result per place: the newest vintage of a code kept across vintages
    for r in profiled:
        key = (r.geography.rstrip("0123456789"), r.code)
        newest[key] = max(newest.get(key, 0), search.vintage(r.geography)[1])
    hits = []
    for r in profiled:
        if search.vintage(r.geography)[1] < newest[(r.geography.rstrip("0123456789"), r.code)]:
            continue
        names = (r.name.casefold(), r.friendly_name.casefold())
        if needle == r.code.casefold() or needle in names:
            score = 0
        elif any(needle in n for n in names):
            score = 1 if any(n.startswith(needle) for n in names) else 2
        else:
            continue
        family, year = search.vintage(r.geography)
        hits.append((score, family, r.geography != state.base, -year, r.name, r))
    hits.sort(key=lambda h: h[:5])
    return [(h[-1].geography, h[-1].code) for h in hits[:search.MAX_RESULTS]]


@pytest.mark.parametrize("query", ["Bletchley", "bletchley east", "e01016710", "Milton Keynes",
                                   "a", "  Wolverton   ", "zzz-no-such-place", "001"])
def test_search_ranks_as_the_rule_says(loaded, query):
    found = search.search_areas(query, loaded).areas
    # the areas in the rule's order (places people name, listed among them, take places in
    # the first MAX_RESULTS: test_localities, test_place_names)
    got = [(a["geography"], a["code"]) for a in found if "place" not in a]
    expected = reference(loaded, query)
    assert got == (expected if len(found) < search.MAX_RESULTS else expected[:len(got)])


def test_the_search_arrays_are_built_once_per_load(loaded, monkeypatch):
    state = replace(loaded, _derived=Once())
    built = []
    real = search._SearchIndex

    def counting(*args):
        built.append(1)
        return real(*args)

    monkeypatch.setattr(search, "_SearchIndex", counting)
    search.search_areas("Bletchley", state)
    search.search_areas("Newport", state)
    assert len(built) == 1
