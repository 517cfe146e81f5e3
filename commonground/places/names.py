"""Places typed in a form (names, codes or postcodes, comma-separated) as the city's area
codes: the one rule every form that names places uses (data requests, consultations, evidence
packs, projects), the search's rule (``search.search_areas``) made to give one place a part.

Each part, in this order:

1. an area's code (any geography);
2. an area's whole name or friendly name, casefolded, spaces squeezed (a name shared by
   several areas means the ward, then the larger areas, then the newest boundaries), else
   the whole name of a gazetteer's place (role ``place-names``: "Netherfield"): the
   neighbourhood (base area) holding it;
3. a full postcode: its neighbourhood; a postcode sector ("MK6 3") or district ("MK6"): the
   ward holding most of its postcodes in use (its best-fit ward);
4. what the search finds for it, typos read as the nearest words of the city's names
   ("bletchly east": Bletchley East): the place when it finds one, or the place whose whole
   name the corrected text is; several are a ``PlaceError`` listing them; none, one saying so.

Text holding a control character (NUL, …; not a space, tab or newline) is refused whole, saying
so: no place's name, code or postcode holds one.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from functools import partial

from commonground.activity.inputs import FieldError

#: Candidates an ambiguous place's error lists.
LISTED_CANDIDATES = 6


class PlaceError(FieldError):
    """A typed place that is not a place of the city (``field`` is the form's)."""


def check_places(text: str) -> list[str]:
    """Place names, codes or postcodes, comma-separated, as area codes of the city (the
    rule in this module's docstring). Raises ``PlaceError`` naming the part, or saying the
    text holds a control character (NUL, …): no place's name, code or postcode does."""
    from .cache import city_state  # here, not at app loading: it imports SciPy and shapely

    if any(unicodedata.category(c) == "Cc" and not c.isspace() for c in text or ""):
        raise PlaceError("places", "Places: the text holds a control character (such as NUL), "
                                   "which no place's name, code or postcode has; type the "
                                   "place again without it")
    state = city_state()
    by_name, codes = state.derived("place names", partial(_names, state))
    out = []
    for part in (" ".join(p.split()) for p in (text or "").split(",")):
        if part:
            out.append(_one_place(part, state, by_name, codes))
    return list(dict.fromkeys(out))


def _names(state) -> tuple[dict[str, str], frozenset[str]]:
    """Each whole name and friendly name, casefolded, as the code it means (then each
    gazetteer place's name as its base area's); every code (built once per load)."""
    from .search import _SearchIndex, vintage

    family_size: dict[str, int] = {}
    for g in state.profiled:
        family = g.rstrip("0123456789")
        family_size[family] = min(family_size.get(family, len(state.by_geography[g])),
                                  len(state.by_geography[g]))
    order = sorted(state.profiled, key=lambda g: (g != "ward", family_size[g.rstrip("0123456789")],
                                                  -vintage(g)[1]))
    by_name: dict[str, str] = {}
    for geography in order:
        for record in state.by_geography[geography]:
            by_name.setdefault(" ".join(record.name.split()).casefold(), record.code)
            if record.friendly_name:
                by_name.setdefault(" ".join(record.friendly_name.split()).casefold(), record.code)
    places = state.derived("area search", partial(_SearchIndex, state)).places
    shared = Counter(name.casefold() for name, *_ in places)
    for name, _kind, base, _ward, *_ in places:
        if shared[name.casefold()] == 1:  # a name in two neighbourhoods: the search lists both
            by_name.setdefault(name.casefold(), base.code)
    return by_name, frozenset(code for (_, code) in state.areas)


def _one_place(part: str, state, by_name: dict[str, str], codes: frozenset[str]) -> str:
    from .search import MAX_RESULTS, search_areas

    city = state.run.city_name
    if part.upper() in codes:
        return part.upper()
    if part.casefold() in by_name:
        return by_name[part.casefold()]
    found = search_areas(part, state)
    if found.postcode is not None:
        if found.postcode["area"] is None:
            raise PlaceError("places", f"Places: the postcode {found.postcode['postcode']} is not "
                                       f"one of {city}'s")
        return found.postcode["area"]["code"]
    area = found.postcode_area
    if area is not None and area["postcodes"]:
        return (area["ward"] or found.areas[0])["code"]  # no wards: its most-held neighbourhood
    if found.corrected and found.corrected in by_name:
        return by_name[found.corrected]
    if len(found.areas) == 1:
        return found.areas[0]["code"]
    if not found.areas:  # a postcode district's shape with none in use ("MK99") too
        raise PlaceError("places", f"Places: “{part[:60]}” is not a place in {city} (use a ward "
                                   "or neighbourhood name, a postcode or its first part, such as "
                                   "MK6 3, or an area code)")
    listed = "; ".join(f"{a['name']} ({a['geography_label']})" for a in found.areas[:LISTED_CANDIDATES])
    more = len(found.areas) - LISTED_CANDIDATES
    read = f" (read as “{found.corrected}”)" if found.corrected else ""
    many = f"{len(found.areas)}{' or more' if len(found.areas) >= MAX_RESULTS else ''}"
    raise PlaceError("places", f"Places: “{part[:60]}”{read} could be {many} places: "
                               f"{listed}{f' and {more} more' if more > 0 else ''}. Type the "
                               "one you mean")
