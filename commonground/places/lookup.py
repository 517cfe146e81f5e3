"""Use cases for one command: the areas at a point, and a search, answered from the database
without loading the city.

A command run once (``commonground places lookup``) would spend seconds and hundreds of
megabytes building the whole loaded city (``CityState``) to answer one point. This reads
only what the answer needs: the base areas whose bounding box holds the point (one indexed
query), their boundaries, and the found area's memberships. The answer is the same as
``search.areas_at`` on the loaded city — the base area holding the point (the first in code
order if boundaries overlap) and its best-fit parent in each profiled geography (heaviest
membership, first in code order on a tie; ``geography.parents.best_fit``) — and a test holds
the two together. Pages and the API, which answer many points, use the loaded city.
"""

from __future__ import annotations

from functools import partial

from django.db.models import Count, Q

from commonground.geography import wkb_contains

from . import name_words_store
from .models import Area, AreaMembership, LoadRun, PlaceName, Postcode
from .records import AreaRecord, NotLoaded, area_ref
from .search import (
    MAX_RESULTS,
    POSTCODE,
    OutsideCity,
    SearchResult,
    grouped_places,
    place_of,
    place_rank,
    place_ref,
    postcode_area,
    result_ref,
    search_answer,
    superseded,
    vintage,
    with_places,
)

RECORD_FIELDS = ("id", "geography", "code", "name", "friendly_name", "easting", "northing")
#: The most codes of areas found a search lists in its query for their other vintages (more:
#: the database finds them again; SQLite's older builds take 999 parameters at most).
KIN_CODES_LISTED = 500


def areas_at_from_database(lat: float, lon: float) -> dict:
    """The base area and every larger area containing a WGS84 point. Raises ``OutsideCity``."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("Latitude must be between -90 and 90 and longitude between -180 and 180.")
    # not its mismatches: a national load's list is a megabyte of JSON
    run = LoadRun.objects.order_by("-started", "-id").defer("mismatches").first()
    if run is None:
        raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
    x, y = _to_bng(lon, lat)
    base = _base_area_at(run.base_geography, x, y)
    if base is None:
        raise OutsideCity(f"The point {lat:.5f}, {lon:.5f} is outside {run.city_name}.")
    found = {base.geography: area_ref(base)}
    parents = _best_fit_parents(base, _profiled(run.base_geography))
    for geography in sorted(parents):
        found[geography] = area_ref(parents[geography])
    return {"latitude": lat, "longitude": lon, "easting": round(x, 1), "northing": round(y, 1),
            "base": found[base.geography], "areas": found}


def _to_bng(lon: float, lat: float) -> tuple[float, float]:
    """One point to British National Grid by ``geography.projection``'s transform (PROJ's
    EPSG:4326 to EPSG:27700, longitude first; the same floats), without its NumPy."""
    from pyproj import Transformer  # only for a point

    x, y = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True).transform(lon, lat)
    return float(x), float(y)


def _base_area_at(geography: str, x: float, y: float) -> AreaRecord | None:
    """The first base area, in code order, whose boundary holds the point or passes through
    it (``shapely.intersects_xy``'s test, in plain Python: a command run once for one point
    does not wait for shapely and NumPy to import)."""
    candidates = (Area.objects.filter(geography=geography, min_easting__lte=x, max_easting__gte=x,
                                      min_northing__lte=y, max_northing__gte=y)
                  .order_by("code").values_list(*RECORD_FIELDS, "geometry_wkb"))
    for *fields, wkb in candidates:
        holds = wkb_contains.intersects_xy(bytes(wkb), x, y)
        if holds is None:  # not a (multi)polygon: as shapely says
            import shapely

            holds = bool(shapely.intersects_xy(shapely.from_wkb(bytes(wkb)), x, y))
        if holds:
            return AreaRecord(*fields)
    return None


def _profiled(base: str) -> list[str]:
    """Geographies no finer than the base, other than the base (``CityState.profiled``)."""
    counts = dict(Area.objects.values("geography").annotate(n=Count("id")).values_list("geography", "n"))
    return [g for g, n in counts.items() if n <= counts[base] and g != base]


def _best_fit_parents(base: AreaRecord, geographies: list[str]) -> dict[str, AreaRecord]:
    links = (AreaMembership.objects.filter(child_id=base.id, parent__geography__in=geographies, weight__gt=0)
             .order_by("-weight", "parent__code")
             .values_list(*(f"parent__{f}" for f in RECORD_FIELDS)))
    best: dict[str, AreaRecord] = {}
    for fields in links:
        record = AreaRecord(*fields)
        best.setdefault(record.geography, record)
    return best


def search_from_database(query: str) -> SearchResult:
    """``search.search_areas`` for one command: the same answer by the same rule (the
    ``search`` module's docstring), the database finding the areas whose code or names hold
    the query (and their other vintages) rather than building the whole loaded city; the
    names' words are read only to correct a typo, from the load's ``name_words_store``."""
    run = LoadRun.objects.order_by("-started", "-id").defer("mismatches").first()
    if run is None:
        raise NotLoaded("No city data is loaded yet: run `manage.py load_places`.")
    q = " ".join(query.split())
    if not q:
        return SearchResult(query, [])
    profiled = {*_profiled(run.base_geography), run.base_geography}
    areas = Area.objects.filter(geography__in=profiled)

    def find(needle: str) -> list[dict]:
        # the database finds the candidates (LIKE: case-blind for ASCII letters; PostgreSQL's
        # for every letter), the rule below ranks them as the loaded city's search does
        matching = areas.filter(Q(code__iexact=needle) | Q(name__icontains=needle)
                                | Q(friendly_name__icontains=needle))
        found = [AreaRecord(*fields) for fields in
                 matching.order_by("geography", "code").values_list(*RECORD_FIELDS)]
        # the other vintages of the places found: an older one a newer keeps is left out (none
        # found, as a typo, none to read; a few: by their codes, indexed, not a second scan)
        codes = sorted({r.code for r in found})
        kin = [AreaRecord(*fields) for fields in areas.filter(
            code__in=codes if len(codes) <= KIN_CODES_LISTED else matching.values("code"))
            .order_by("geography", "code").values_list(*RECORD_FIELDS)] if found else []
        newer = superseded(kin)
        dropped = {(kin[i].geography, kin[i].code) for i in newer}
        older = {(n.geography, n.code): kin[i] for i, n in newer.items()}
        hits = []
        for record in found:
            if (record.geography, record.code) in dropped:
                continue
            code, name, friendly = record.code.casefold(), record.name.casefold(), record.friendly_name.casefold()
            if needle in (code, name, friendly):
                score = 0
            elif name.startswith(needle) or friendly.startswith(needle):
                score = 1
            elif needle in name or needle in friendly:
                score = 2
            else:
                continue
            family, year = vintage(record.geography)
            hits.append(((score, family, record.geography != run.base_geography, -year, record.name), record))
        hits.sort(key=lambda hit: hit[0])  # stable: ties keep the (geography, code) order
        area_hits = [(key[0], result_ref(r, older.get((r.geography, r.code)))) for key, r in hits[:MAX_RESULTS]]
        area_names = {n.casefold() for _, r in hits for n in (r.name, r.friendly_name)}
        return with_places(area_hits, _places(run.base_geography, needle, area_names), area_names)

    covered = postcode_area(q, partial(_covering, run.base_geography), run.city_name)
    # the names' words: from the load's small file, not the names of every area
    return search_answer(q, _postcode(q), covered, find, partial(name_words_store.vocabulary, run))


def _places(base: str, needle: str, area_names: set[str]) -> list[tuple[int, dict]]:
    """The gazetteer's places whose name holds ``needle`` (casefolded) and is no area's
    (``area_names``), each as (rank, ``place_ref``), the first ``MAX_RESULTS`` by rank then
    name, as the loaded city's search lists them."""
    rows = PlaceName.objects.filter(name__icontains=needle).order_by("name", "id") \
        .values_list("name", "kind", "area_id", "source")
    ranked = sorted(((rank, place) for place in grouped_places(rows)
                     if (rank := place_rank(needle, place[0].casefold())) is not None
                     and place[0].casefold() not in area_names), key=lambda hit: hit[0])[:MAX_RESULTS]
    covering = _covering(base, {i for _, place in ranked for i in place[2]}) if ranked else {}
    found = ((rank, place_of(*place, covering)) for rank, place in ranked)
    return [(rank, place_ref(*place)) for rank, place in found if place is not None]


def _covering(base: str, ids) -> dict[int, tuple[AreaRecord, AreaRecord | None]]:
    """Each base area (by id) and its best-fit ward (``_best_fit_parents``), two queries."""
    bases = {fields[0]: AreaRecord(*fields)
             for fields in Area.objects.filter(id__in=[i for i in ids if i is not None], geography=base)
             .values_list(*RECORD_FIELDS)}
    wards: dict[int, AreaRecord] = {}
    if "ward" in _profiled(base):
        links = (AreaMembership.objects.filter(child_id__in=list(bases), parent__geography="ward", weight__gt=0)
                 .order_by("child_id", "-weight", "parent__code")
                 .values_list("child_id", *(f"parent__{f}" for f in RECORD_FIELDS)))
        for child, *fields in links:
            wards.setdefault(child, AreaRecord(*fields))
    return {i: (record, wards.get(i)) for i, record in bases.items()}


def _postcode(q: str) -> dict | None:
    upper = q.upper()
    if not POSTCODE.match(upper):
        return None
    row = Postcode.objects.filter(compact=upper.replace(" ", "")).select_related("area").first()
    if row is None:
        return {"postcode": upper, "found": False, "area": None}
    area = AreaRecord(*(getattr(row.area, f) for f in RECORD_FIELDS)) if row.area else None
    return {"postcode": row.postcode, "found": True, "terminated": row.terminated,
            "latitude": row.latitude, "longitude": row.longitude, "area": area_ref(area) if area else None}
