"""Use cases: find areas by the names people use, a code or a postcode, and find the areas at
a point.

The search rule (``search_areas``; ``lookup.search_from_database`` answers the same from the
database for one command):

* a full postcode (``MK2 2HB``) is its neighbourhood; a postcode sector (``MK2 2``) or district
  (``MK2``) is the areas holding its postcodes in use: its wards, then its neighbourhoods, most
  postcodes first, with a sentence saying so (``postcode_area``);
* otherwise the areas whose code, name or friendly name (the House of Commons Library's
  neighbourhood names, role ``area-names``) holds the query, case-insensitive: an exact code or
  whole name first, then names starting with it, then names containing it; larger areas
  first, then the newest boundaries (2021 before 2011), then by name;
* one result per place: an area whose code a newer vintage of its geography also has (an LSOA
  of 2011 kept in 2021) is listed once, as the newer; the older is mentioned (``older``) only
  when its name differs;
* a query no name holds is read again with each word spelt as the nearest word of the city's
  area names (``correct``: ``difflib.get_close_matches``, similarity ratio at least
  ``TYPO_CUTOFF``, words of ``TYPO_MIN_LETTERS`` letters or more), "bletchly" as "bletchley";
  every word must have such a match, so "Fenny Stratford" is never read as "Stony Stratford";
* the names people use for estates, suburbs and villages (a gazetteer, role ``place-names``,
  each placed in the base area holding its point) are found by the same rule (exact, then
  starting with, then containing the query; their words correct typos), each listed as its
  base area named "Netherfield — a locality in <ward> (neighbourhood <name>)"
  (``place_ref``), before the areas of the same rank; a place named as an area found is
  that area (one result per place);
* a locality the package's own addresses name (``geography.localities``: stored as place
  names with a ``source``) is one result however many base areas its addresses lie in:
  "Netherfield — a locality around <ward> (neighbourhoods <names>)", its base area with
  the most addresses first, saying where the name comes from ("named in 3 addresses in GP
  practices …").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cache, partial
from typing import TYPE_CHECKING, NamedTuple

from .models import PlaceName, Postcode
from .records import AreaRecord, area_ref

if TYPE_CHECKING:
    from .cache import CityState

# NumPy, pyproj and the loaded city (``cache``: SciPy, shapely) are imported by the functions
# that use them: a command reading only this module's definitions (``lookup``) starts faster.

POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$")
#: A postcode sector ("MK2 2": the district and the first digit of the inward code, with a
#: space) or district ("MK2"), upper case.
POSTCODE_AREA = re.compile(r"^(?P<district>[A-Z]{1,2}\d[A-Z\d]?)(?:\s+(?P<sector>\d))?$")
MAX_RESULTS = 50
#: Typos: the least ``difflib.SequenceMatcher.ratio`` between a typed word and a word of the
#: city's names (2 × matching letters / letters of both: "bletchly" and "bletchley" 0.94,
#: "fenny" and "stony" 0.4), and the shortest word corrected (shorter ones match too much).
TYPO_CUTOFF = 0.8
TYPO_MIN_LETTERS = 4

#: Search results list larger areas first: a resident typing "Bletchley" wants the ward.
GEOGRAPHY_ORDER = {"ward": 0, "msoa": 1, "lsoa": 2, "lad": 3}


class OutsideCity(ValueError):
    pass


@dataclass(frozen=True)
class SearchResult:
    query: str
    areas: list[dict]
    postcode: dict | None = None
    #: the query as read when no name held it as typed ("bletchley" for "bletchly")
    corrected: str | None = None
    #: a postcode sector or district: its postcodes in use, best-fit ward and a sentence
    postcode_area: dict | None = None

    @property
    def best(self) -> dict | None:
        """Where to send someone straight away: an exact code or postcode match."""
        if self.postcode and self.postcode.get("area"):
            return self.postcode["area"]
        exact = [a for a in self.areas if a["code"].upper() == self.query.strip().upper()]
        return exact[0] if exact else None  # a code shared by two vintages: the newest (listed first)


@cache
def vintage(geography: str) -> tuple[int, int]:
    """A geography's rank in results (``GEOGRAPHY_ORDER``; 9 for others) and its boundaries'
    year (``lsoa21``: 21; 0 for none, as ``ward``)."""
    m = re.match(r"^(.*?)(\d*)$", geography)
    return GEOGRAPHY_ORDER.get(m.group(1), 9), int(m.group(2) or 0)


def superseded(records) -> dict[int, AreaRecord]:
    """The older vintages of places that a newer vintage keeps: for each record (by its
    position in ``records``) whose code a newer geography of the same family also has, that
    newer record. ONS keeps a code only for an unchanged area, so the two are one place."""
    kinds = {g: (g.rstrip("0123456789"), vintage(g)[1]) for g in {r.geography for r in records}}
    if len({family for family, _ in kinds.values()}) == len(kinds):
        return {}  # one vintage of each family: nothing is superseded
    newest: dict[tuple[str, str], tuple[int, AreaRecord]] = {}
    for r in records:
        family, year = kinds[r.geography]
        if (family, r.code) not in newest or newest[(family, r.code)][0] < year:
            newest[(family, r.code)] = (year, r)
    out = {}
    for i, r in enumerate(records):
        family, year = kinds[r.geography]
        if newest[(family, r.code)][0] > year:
            out[i] = newest[(family, r.code)][1]
    return out


def result_ref(record: AreaRecord, older: AreaRecord | None = None) -> dict:
    """An area as a search lists it: ``area_ref``, and the older vintage it stands for when
    that was called something else (``older``)."""
    ref = area_ref(record)
    if older is not None and older.display_name != record.display_name:
        ref["older"] = {"name": older.display_name, "geography_label": area_ref(older)["geography_label"]}
    return ref


_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The casefolded words of ``text`` (letters only: "001A" and "&" are not words)."""
    return _WORD.findall(text.casefold())


def correct(needle: str, vocabulary) -> str | None:
    """``needle``, casefolded, with each word not in ``vocabulary`` (a set of ``words``)
    replaced by its closest word there (``difflib.get_close_matches``, ratio at least
    ``TYPO_CUTOFF``; a tie goes to the later word in alphabetical order, as difflib ranks);
    what is not a word ("&", "030B") is kept. None when a word has no such match, is shorter
    than ``TYPO_MIN_LETTERS``, or nothing changed."""
    changed, failed = False, False

    def spell(m: re.Match) -> str:
        nonlocal changed, failed
        word = m.group(0)
        if word in vocabulary or any(c.isdigit() for c in word):
            return word
        close = difflib.get_close_matches(word, vocabulary, n=1, cutoff=TYPO_CUTOFF) \
            if len(word) >= TYPO_MIN_LETTERS else []
        if not close:
            failed = True
            return word
        changed = True
        return close[0]

    out = _TOKEN.sub(spell, " ".join(needle.split()).casefold())
    return out if changed and not failed else None


def search_areas(query: str, state: CityState | None = None) -> SearchResult:
    """The city's areas for ``query`` by the search rule (this module's docstring)."""
    from .cache import city_state

    state = state or city_state()
    q = " ".join(query.split())
    if not q:
        return SearchResult(query, [])
    index = state.derived("area search", partial(_SearchIndex, state))
    postcode = _postcode(state, q)
    covered = postcode_area(q, partial(_covering_in_state, state), state.run.city_name)
    return search_answer(q, postcode, covered, index.find, index.vocabulary)


#: Neighbourhoods a locality's result names before "and N more".
LISTED_AROUND = 4


class Place(NamedTuple):
    """A named place as the search lists it: a gazetteer's (one base area), or a locality
    the package's addresses name (``source``; its other base areas ``around``)."""

    name: str
    kind: str
    base: AreaRecord
    ward: AreaRecord | None
    around: tuple[AreaRecord, ...] = ()
    source: str = ""


def place_ref(name: str, kind: str, base: AreaRecord, ward: AreaRecord | None,
              around: tuple[AreaRecord, ...] = (), source: str = "") -> dict:
    """A named place as a search lists it: its base area (``area_ref``) named "Netherfield —
    a locality in <ward> (neighbourhood <base area>)", with ``place`` (its name and kind)
    and ``ward`` (its base area's best-fit ward, or None). A locality named in the
    package's addresses (``source``) is "… a locality around <ward> (neighbourhoods <base
    area>, <around> …)", its ``place`` with ``source`` ("named in 3 addresses in …") and
    ``areas`` (every base area, as ``area_ref``)."""
    what = kind.casefold() if kind else "locality"
    article = "an" if what[0] in "aeiou" else "a"
    bases = [base, *around]
    listed = ", ".join(b.display_name for b in bases[:LISTED_AROUND]) \
        + (f" and {len(bases) - LISTED_AROUND} more" if len(bases) > LISTED_AROUND else "")
    hoods = f"neighbourhood{'s' if len(bases) > 1 else ''} {listed}"
    within = f"{ward.display_name} ({hoods})" if ward is not None else f"the {hoods}"
    ref = area_ref(base)
    ref.update(name=f"{name} — {article} {what} {'around' if source else 'in'} {within}",
               place={"name": name, "kind": kind},
               ward=area_ref(ward) if ward is not None else None)
    if source:
        ref["place"].update(source=source.partition(": ")[2] or source,
                            areas=[area_ref(b) for b in bases])
    return ref


def grouped_places(rows) -> list[tuple[str, str, list[int], str]]:
    """Stored place names (name, kind, base area id, source), in (name, id) order, as
    places: (name, kind, base area ids, source). A gazetteer's row is a place; a locality
    the addresses name (``source``) is one place over all its rows (its base areas, most
    addresses first, as stored)."""
    out: list[tuple[str, str, list[int], str]] = []
    for name, kind, area_id, source in rows:
        if source and out and out[-1][3] == source and out[-1][0] == name:
            out[-1][2].append(area_id)
        else:
            out.append((name, kind, [area_id], source))
    return out


def place_of(name: str, kind: str, ids: list[int], source: str, covering) -> Place | None:
    """A grouped place (``grouped_places``) with its base areas and first one's ward, from
    ``covering`` (base area id → (record, ward)); None when none of its areas is a base area."""
    found = [covering[i] for i in ids if i in covering]
    if not found:
        return None
    return Place(name, kind, found[0][0], found[0][1], tuple(b for b, _ in found[1:]), source)


def with_places(area_hits: list[tuple[int, dict]], place_hits: list[tuple[int, dict]],
                area_names: set[str]) -> list[dict]:
    """Areas and gazetteer places found, each as (rank: 0 whole name, 1 starting with, 2
    containing; reference), in order: by rank, places before areas of the same rank; a place
    whose name (casefolded) an area found has is left out (it is that area)."""
    places = [(rank, 0, ref) for rank, ref in place_hits if ref["place"]["name"].casefold() not in area_names]
    merged = sorted([*places, *((rank, 1, ref) for rank, ref in area_hits)], key=lambda hit: hit[:2])
    return [ref for _, _, ref in merged[:MAX_RESULTS]]


def place_rank(needle: str, name: str) -> int | None:
    """A place name's rank for ``needle`` (both casefolded): 0 the whole name, 1 starting
    with it, 2 containing it; None when it does not hold it."""
    return 0 if name == needle else 1 if name.startswith(needle) else 2 if needle in name else None


def search_answer(q: str, postcode, covered, find, vocabulary) -> SearchResult:
    """The search rule once the query's postcode (``postcode``), postcode area (``covered``),
    name search (``find``) and words (``vocabulary``, or a function giving them, read only
    when a typo is to be corrected) are known: shared by ``lookup``."""
    if covered is not None and covered["postcodes"]:
        return SearchResult(q, covered.pop("areas"), postcode, postcode_area=covered)
    refs = find(q.casefold())
    corrected = None
    if not refs and postcode is None and covered is None:
        corrected = correct(q, vocabulary() if callable(vocabulary) else vocabulary)
        refs = find(corrected) if corrected else []
    if not refs and covered is not None:  # a district's shape, and no postcodes nor names
        return SearchResult(q, covered.pop("areas"), postcode, postcode_area=covered)
    return SearchResult(q, refs, postcode, corrected=corrected if refs else None)


class _SearchIndex:
    """The profiled areas' codes and names, casefolded, as arrays searched whole (built once
    per load): a search is a few vectorised passes, not a Python loop over every area. The
    older vintage of a place a newer one keeps is left out (``superseded``)."""

    def __init__(self, state: CityState) -> None:
        import numpy as np

        profiled = set(state.profiled)
        every = [r for r in state.areas.values() if r.geography in profiled]
        newer = superseded(every)
        self.records = [r for i, r in enumerate(every) if i not in newer]
        self.older = {(n.geography, n.code): every[i] for i, n in newer.items()}  # newer → older
        self.codes = np.array([r.code.casefold() for r in self.records], dtype=str)
        self.names = np.array([r.name.casefold() for r in self.records], dtype=str)
        self.friendly = np.array([r.friendly_name.casefold() for r in self.records], dtype=str)
        ranks = [vintage(r.geography) for r in self.records]
        self.family = np.array([f for f, _ in ranks], dtype=int)
        self.newest_first = np.array([-y for _, y in ranks], dtype=int)
        self.not_base = np.array([r.geography != state.base for r in self.records])
        by_name = sorted(range(len(self.records)), key=lambda i: self.records[i].name)
        self.name_order = np.empty(len(self.records), dtype=np.intp)
        self.name_order[by_name] = np.arange(len(self.records))
        self.by_id = {r.id: r for r in state.areas.values()}
        self.places = gazetteer(state, self.by_id)
        self.place_names = np.array([name.casefold() for name, *_ in self.places], dtype=str)
        self.vocabulary = frozenset(w for r in every for w in words(f"{r.name} {r.friendly_name}")) \
            | frozenset(w for name, *_ in self.places for w in words(name))

    def find(self, needle: str) -> list[dict]:
        import numpy as np

        # NumPy drops a string's trailing NULs ("mk2\x00" reads as "mk2", "\x00" as "", which
        # every name holds): a needle holding a NUL, as no name of the city does, finds nothing
        if "\x00" in needle:
            return []
        name_at, friendly_at = np.strings.find(self.names, needle), np.strings.find(self.friendly, needle)
        # 0: its code or its whole name ("Bedford" lists the authority before "Bedford 001A");
        # 1: a name starting with the query; 2: a name containing it
        score = np.where((self.codes == needle) | (self.names == needle) | (self.friendly == needle), 0,
                         np.where((name_at == 0) | (friendly_at == 0), 1, 2))
        hits = np.flatnonzero((score == 0) | (name_at >= 0) | (friendly_at >= 0))
        # larger areas first, then the base geography's, the newest boundaries, by name
        # (ties: the load's order)
        order = np.lexsort((self.name_order[hits], self.newest_first[hits], self.not_base[hits],
                            self.family[hits], score[hits]))
        kept = hits[order[:MAX_RESULTS]]
        area_hits = [(int(score[i]), result_ref(self.records[i], self.older.get((self.records[i].geography,
                                                                                  self.records[i].code))))
                     for i in kept]
        if not self.places:
            return [ref for _, ref in area_hits]
        area_names = {str(a[i]) for i in hits for a in (self.names, self.friendly)}
        place_at = np.strings.find(self.place_names, needle)
        held = np.flatnonzero((place_at >= 0) & ~np.isin(self.place_names, list(area_names)))
        rank = np.where(self.place_names[held] == needle, 0, np.where(place_at[held] == 0, 1, 2))
        order = np.lexsort((held, rank))[:MAX_RESULTS]  # by rank, then by name
        # each place's rank as found here (not recomputed: the two could disagree)
        place_hits = [(int(rank[j]), place_ref(*self.places[held[j]])) for j in order]
        return with_places(area_hits, place_hits, area_names)


def gazetteer(state: CityState, by_id: dict[int, AreaRecord]) -> list[Place]:
    """The loaded places people name (role ``place-names``, and the localities the package's
    addresses name, one place each: ``grouped_places``), by name."""
    rows = list(PlaceName.objects.order_by("name", "id").values_list("name", "kind", "area_id", "source"))
    if not rows:
        return []
    covering = _covering_in_state(state, {row[2] for row in rows}, by_id)
    places = (place_of(*place, covering) for place in grouped_places(rows))
    return [p for p in places if p is not None]


def postcode_area(q: str, covering, city_name: str) -> dict | None:
    """A postcode sector ("MK2 2") or district ("MK2") typed as ``q``: None for anything else.

    ``covering(base area ids)`` gives each of those base areas (``AreaRecord``) and its best-fit
    ward (or None), by id. The answer: ``kind`` ("postcode sector" or "postcode district"),
    ``text``, ``postcodes`` (how many in use), ``ward`` (the ward holding most of them, or
    None), ``summary`` (a sentence in plain words) and ``areas``: the wards, then the
    neighbourhoods holding its postcodes, most postcodes first (ties: by code). A sector typed
    without its space ("MK63") is read as one when no district is called that."""
    m = POSTCODE_AREA.match(q.upper())
    if not m:
        return None
    district, sector = m.group("district"), m.group("sector")
    counts = postcodes_in_use(district, sector)
    if not counts and not sector and district[-1].isdigit() and POSTCODE_AREA.match(district[:-1]):
        shorter = postcodes_in_use(district[:-1], district[-1])
        if shorter:
            district, sector, counts = district[:-1], district[-1], shorter
    text = f"{district} {sector}" if sector else district
    kind = "postcode sector" if sector else "postcode district"
    found = covering(list(counts))
    bases: dict[AreaRecord, int] = {}
    wards: dict[AreaRecord, int] = {}
    for area_id, n in counts.items():
        if area_id not in found:
            continue  # outside the city
        base, ward = found[area_id]
        bases[base] = bases.get(base, 0) + n
        if ward is not None:
            wards[ward] = wards.get(ward, 0) + n
    total = sum(bases.values())
    ranked_wards = sorted(wards, key=lambda r: (-wards[r], r.code))
    ranked_bases = sorted(bases, key=lambda r: (-bases[r], r.code))
    ward = ranked_wards[0] if ranked_wards else None
    return {"kind": kind, "text": text, "postcodes": total,
            "ward": area_ref(ward) if ward else None,
            "summary": _postcode_area_sentence(kind, text, total, len(bases), ranked_wards, wards, city_name),
            "areas": [area_ref(r) for r in (ranked_wards + ranked_bases)[:MAX_RESULTS]]}


def _postcode_area_sentence(kind, text, total, n_bases, ranked_wards, wards, city_name) -> str:
    if total == 0:
        return f"{text} is not a {kind} with postcodes in use in {city_name}."
    held = f"{n_bases} neighbourhood{'s' if n_bases != 1 else ''}"
    said = f"{text} is a {kind}: its {total:,} postcode{'s' if total != 1 else ''} in use are in {held}"
    if not ranked_wards:
        return said + "."
    first = ranked_wards[0]
    if len(ranked_wards) == 1:
        return said + f", all in the ward {first.display_name}."
    return (said + f" of {len(ranked_wards)} wards, most ({wards[first]:,}) in the ward "
            f"{first.display_name}.")


def postcodes_in_use(district: str, sector: str | None) -> dict[int | None, int]:
    """How many postcodes in use each base area holds (by area id; None: no area) in a
    postcode district, or in one of its sectors: one grouped query over a range of the
    indexed ``compact`` (a postcode is its district, a space, the sector's digit and two
    letters, stored without the space: "MK22HB"; "MK221AA" is of the district MK22)."""
    from django.db.models import Count
    from django.db.models.functions import Length

    prefix = district + (sector or "")
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # upper case letters and digits only
    rows = (Postcode.objects.filter(compact__gte=prefix, compact__lt=after, terminated=False)
            .annotate(letters=Length("compact")).filter(letters=len(district) + 3)
            .values("area_id").annotate(n=Count("id")).order_by())
    return {row["area_id"]: row["n"] for row in rows}


def _covering_in_state(state: CityState, ids, by_id: dict[int, AreaRecord] | None = None,
                       ) -> dict[int, tuple[AreaRecord, AreaRecord | None]]:
    """Each base area (by id) and its best-fit ward in the loaded city."""
    if by_id is None:
        by_id = state.derived("area search", partial(_SearchIndex, state)).by_id
    position = state.position(state.base)
    wards = state.by_geography.get("ward") if "ward" in state.profiled else None
    parents = state.parents("ward") if wards else None
    out = {}
    for area_id in ids:
        record = by_id.get(area_id)
        if record is None or record.geography != state.base:
            continue
        ward = None
        if parents is not None:
            j = int(parents[position[record.code]])
            ward = wards[j] if j >= 0 else None
        out[area_id] = (record, ward)
    return out


def postcode_lookup(q: str, state: CityState | None = None) -> dict | None:
    """A postcode's position and neighbourhood: None when ``q`` is not shaped like a
    postcode; ``found`` False when the city's lookup does not have it."""
    from .cache import city_state

    return _postcode(state or city_state(), q.strip())


def _postcode(state: CityState, q: str) -> dict | None:
    upper = q.upper()
    if not POSTCODE.match(upper):
        return None
    row = Postcode.objects.filter(compact=upper.replace(" ", "")).select_related("area").first()
    if row is None:
        return {"postcode": upper, "found": False, "area": None}
    area = state.areas.get((row.area.geography, row.area.code)) if row.area else None
    return {"postcode": row.postcode, "found": True, "terminated": row.terminated,
            "latitude": row.latitude, "longitude": row.longitude, "area": area_ref(area) if area else None}


def areas_at(lat: float, lon: float, state: CityState | None = None) -> dict:
    """The base area and every larger area containing a WGS84 point. Raises ``OutsideCity``."""
    import numpy as np

    from commonground.geography.projection import lonlat_to_bng

    from .cache import city_state

    state = state or city_state()
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("Latitude must be between -90 and 90 and longitude between -180 and 180.")
    x, y = lonlat_to_bng([lon], [lat])
    i = int(state.index(state.base).locate(np.asarray(x), np.asarray(y))[0])
    if i < 0:
        raise OutsideCity(f"The point {lat:.5f}, {lon:.5f} is outside {state.run.city_name}.")
    base = state.base_areas[i]
    # Larger areas: each the base area's best fit, as every profile and the linker use.
    found = {base.geography: area_ref(base)}
    for g in state.profiled:
        parent = int(state.parents(g)[i]) if g != state.base else -1
        if parent >= 0:
            found[g] = area_ref(state.by_geography[g][parent])
    return {"latitude": lat, "longitude": lon, "easting": round(float(x[0]), 1),
            "northing": round(float(y[0]), 1), "base": found[state.base], "areas": found}
