"""Use case: the profile of an area — deprivation, census figures, classifications, sources.

One dictionary serves the HTML page, the JSON API and the CLI. Every figure names the data
source it came from (title, vintage, licence) and how it was aggregated.

A table (manifest ``role`` census or population) reaches an area by its ``geography``:

- on the base geography (Census 2021 on 2021 LSOAs): each area sums its base areas;
- on older areas of the base's kind (mid-2020 estimates on 2011 LSOAs): shared out to the
  base areas by residents, then summed (``_apportion``; ``bridged`` says so);
- on larger areas of another kind (Census 2021 sexual orientation, published for MSOAs
  only): never shared out. An area of that geography reads its published figures; an area
  that is a union of whole ones (the authority, the country; a ward only if made of whole
  MSOAs) gets their sums; any other area (a neighbourhood, a ward cutting across MSOAs) gets
  no rows but ``published_for``: the areas the figures are published for that it lies in or
  overlaps (``_published_table``).

A table of a modelled role (``fuel-poverty``: DESNZ's sub-regional estimates of households
in fuel poverty) is read as a census table: a larger area's count is the sum of its
neighbourhoods' fuel-poor households over the sum of their households, never an average of
their percentages (the published percentage column is not read). Its ``caveat`` says what
the model's publisher says it may be used for (``CAVEATS``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from commonground.geography import aggregate
from commonground.geography.codes import family, geography_label

from . import authorities
from .cache import AreaRecord, CityState, city_state
from .records import AreaNotFound, area_ref

DEPRIVATION = "deprivation"
FUEL_POVERTY = "fuel-poverty"
TABLE_ROLES = ("census", "population", FUEL_POVERTY)
#: Of a table's indicators, the kinds a profile adds up (a published percentage is not one).
TABLE_KINDS = ("total", "count")
FUEL_POVERTY_CAVEAT = ("These are modelled estimates, not counts: the government (DESNZ) says to "
                       "use them for general patterns only, not to rank single neighbourhoods "
                       "or to compare one neighbourhood over time.")
#: What a table of a role that is modelled, not counted, may be used for, by role.
CAVEATS = {FUEL_POVERTY: FUEL_POVERTY_CAVEAT}
#: A profile lists at most this many of its neighbourhoods (``members_total`` says how many
#: there are): every one of any local authority's (the largest, Birmingham, has about 640
#: LSOAs), but not a region's or the country's 33,755 (a page of several megabytes).
MAX_LISTED_MEMBERS = 1000
DECILES = list(range(1, 11))
#: An area of more base areas than this (a region, the country) reads its decile mix from
#: every area's of its geography, computed once per load; a smaller one (an MSOA, a ward, an
#: authority) counts its own members on each request.
MIXES_FROM_MEMBERS = 2000


def find_area(state: CityState, geography: str, code: str) -> AreaRecord:
    record = state.areas.get((geography, code))
    if record is None:
        raise AreaNotFound(f"There is no {geography_label(geography).lower()} with code {code!r}.")
    return record


def _source(ind_or_source) -> dict:
    s = getattr(ind_or_source, "source", ind_or_source)
    return {"name": s.name, "title": s.title, "vintage": s.vintage, "publisher": s.publisher,
            "licence": s.licence_title or s.licence_name, "licence_url": s.licence_url}


def _num(x):
    if x is None:
        return None
    x = float(x)
    return None if np.isnan(x) else x


def area_profile(geography: str, code: str, state: CityState | None = None) -> dict:
    state = state or city_state()
    record = find_area(state, geography, code)
    profile = {"area": area_ref(record), "city": {"name": state.run.city_name, "code": state.run.lad_code}}
    if geography not in state.profiled:
        profile["note"] = ("Figures are not published for areas this small; "
                           "see the neighbourhood (LSOA) that contains it.")
        profile["containing"] = _containing(state, record)
        profile.update(deprivation=[], tables=[], classifications=[], members=[], members_total=0,
                       sources=[])
        return profile
    W_row = _row(state, geography, state.position(geography)[code])
    profile["base_geography"] = geography_label(state.base)
    profile["members"] = ([area_ref(a) for a in state.records(state.base, W_row.base[:MAX_LISTED_MEMBERS])]
                          if geography != state.base else [])
    profile["members_total"] = len(W_row.base) if geography != state.base else 0
    profile["parents"] = parents(state, record)
    profile["compared_with"] = authorities.compared_with(state, record, area_ref)
    profile["population"] = _num(W_row.weight @ np.nan_to_num(state.population[W_row.base]))
    profile["deprivation"] = [_deprivation(state, geography, record, W_row, r)
                              for r in _sources_with_role(state, DEPRIVATION)]
    profile["tables"] = [_table(state, geography, record, W_row, src) for src in _table_sources(state)]
    profile["classifications"] = _classifications(state, W_row)
    used = {d["source"]["name"] for d in profile["deprivation"]} | {t["source"]["name"] for t in profile["tables"]}
    used |= {c["source"]["name"] for c in profile["classifications"]}
    profile["sources"] = [_source(s) for s in _all_sources(state) if s.name in used]
    profile["method"] = _method_note(state, geography)
    return profile


@dataclass(frozen=True)
class _Row:
    """One area's row of the membership matrix: its base areas (positions, in base order)
    and their weights, only those with a weight (an area's own few, never all base areas)."""
    base: np.ndarray
    weight: np.ndarray


def _row(state: CityState, geography: str, i: int) -> _Row:
    return _Row(*state.member_row(geography, i))


def _containing(state: CityState, record: AreaRecord) -> dict | None:
    found = state.index(state.base).locate(np.array([record.easting]), np.array([record.northing]))
    return area_ref(state.base_areas[int(found[0])]) if found[0] >= 0 else None


def parents(state: CityState, record: AreaRecord) -> list[dict]:
    """Larger areas this one lies in (for a base area: its MSOA, ward, old LSOA, city)."""
    if record.geography != state.base:
        return []
    j = state.position(state.base)[record.code]
    out = []
    for g in state.profiled:
        if g == state.base:
            continue
        at, weights = state.member_column(g, j)
        for area, weight in zip(state.records(g, at), weights, strict=True):
            ref = area_ref(area)
            ref["weight"] = float(weight)
            out.append(ref)
    return out


def _sources_with_role(state: CityState, role: str) -> list:
    seen = {}
    for ind in state.indicators.values():
        if ind.source.role == role:
            seen.setdefault(ind.source.name, ind.source)
    return sorted(seen.values(), key=lambda s: s.vintage, reverse=True)


def _all_sources(state: CityState) -> list:
    return list({ind.source.name: ind.source for ind in state.indicators.values()}.values())


def _base_matrix(state: CityState, source_geography: str, keys: list[str]) -> tuple[np.ndarray, str]:
    """Values of ``keys`` per base area, inherited from the parent area when published on
    another geography (e.g. IoD 2019 on 2011 LSOAs). Returns the matrix and how it was bridged.
    Built once per load (by the cached tables below), never per request."""
    cols = [state.column(k) for k in keys]
    matrix = np.column_stack(cols) if cols else np.zeros((len(state.by_geography[source_geography]), 0))
    if source_geography == state.base:
        return matrix, "direct"
    parent = state.parents(source_geography)  # best fit, -1 for none
    out = matrix[parent]
    out[parent < 0] = np.nan
    return out, _inherited(source_geography)


def _inherited(source_geography: str) -> str:
    return f"inherited from the {geography_label(source_geography)} area each lies in"


def _deprivation(state: CityState, geography: str, record: AreaRecord, W_row: _Row, source) -> dict:
    inds = sorted((i for i in state.indicators.values() if i.source_id == source.pk), key=lambda i: i.order)
    domains: dict[str, dict] = {}
    for ind in inds:
        domains.setdefault(ind.label, {})[ind.kind] = ind
    keys = [ind.key for ind in inds]
    g_source = source.geography
    direct = geography == g_source
    result = {"source": _source(source), "title": inds[0].topic if inds else source.title,
              "geography": geography_label(g_source), "rows": [], "bridge": None, "distribution": None,
              "aggregate": False, "has_score": any(i.kind == "score" for i in inds)}
    pos = state.position(g_source)
    if direct:
        result["rows"] = _published_rows(state, domains, pos[record.code], len(pos))
        return result
    if len(W_row.base) == 1 and W_row.weight[0] == 1 and geography == state.base:
        # a single base area: the published figures of the older area it lies in
        sources = state.records(g_source, state.member_column(g_source, W_row.base[0])[0])
        result["bridge"] = {"how": _inherited(g_source), "from": [area_ref(p) for p in sources],
                            "same_code": any(p.code == record.code for p in sources)}
        result["rows"] = _published_rows(state, domains, pos[sources[0].code] if sources else None,
                                         len(pos))
        return result
    # an aggregate of base areas: population-weighted scores, rank among peers, decile mix
    how = "direct" if g_source == state.base else _inherited(g_source)
    i = state.position(geography)[record.code]
    peers = _peer_scores(state, geography, source, keys)
    dists = _distributions(state, geography, i, source, keys,
                           [by_kind["decile"].key for by_kind in domains.values() if "decile" in by_kind], W_row)
    result["bridge"] = {"how": how, "from": [], "same_code": False} if how != "direct" else None
    result["aggregate"] = True
    for label, by_kind in domains.items():
        row = {"domain": label}
        score = by_kind.get("score")
        if score is not None:
            scores, ranks = peers[score.key]
            row["score"] = _num(scores[i])
            row["score_unit"] = "population-weighted average score, higher = more deprived"
            row["city_rank"] = int(ranks[i])
            row["city_rank_of"] = len(scores)
        decile = by_kind.get("decile")
        if decile is not None:
            dist = dists[decile.key]
            row["most_deprived_20pc_share"] = _share_in(dist, {1, 2})
            if result["distribution"] is None:
                result["distribution"] = dist
                result["distribution_domain"] = label
        result["rows"].append(row)
    return result


def _published_rows(state: CityState, domains: dict, i: int | None, peers: int) -> list[dict]:
    """Each domain's published score, rank and decile for source area ``i``, and its rank in the city."""
    rows = []
    for label, by_kind in domains.items():
        row = {"domain": label}
        for kind, ind in by_kind.items():
            row[kind] = _num(state.column(ind.key)[i]) if i is not None else None
            row[f"{kind}_unit"] = ind.unit
        rank_ind = by_kind.get("rank")
        if rank_ind is not None and i is not None:
            column = state.column(rank_ind.key)
            row["city_rank"] = aggregate.rank_among(column, column[i])[0]
            row["city_rank_of"] = peers
        rows.append(row)
    return rows


# What every profile of a kind shares is built once per load (``CityState.derived``), so a
# request reads one area's row and its ranks instead of ranking every peer again.

def _base_values(state: CityState, source_geography: str, keys: list[str]) -> tuple[np.ndarray, str]:
    """``_base_matrix``, built once per load and source."""
    def build():
        values, how = _base_matrix(state, source_geography, keys)
        values.flags.writeable = False
        return values, how
    return state.derived("base values", build, key=(source_geography, tuple(keys)))


def _peer_scores(state: CityState, geography: str, source, keys: list[str]) -> dict:
    """For each score of a deprivation source, every area of ``geography``'s
    population-weighted score and its rank among them (1 = the most deprived)."""
    def build():
        base_values, _how = _base_values(state, source.geography, keys)
        W = state.members(geography)
        out = {}
        for ind in state.indicators.values():
            if ind.source_id == source.pk and ind.kind == "score":
                scores = aggregate.population_weighted_mean(
                    W, base_values[:, keys.index(ind.key)], state.population)
                out[ind.key] = (scores, aggregate.rank_descending(scores))
        return out
    return state.derived("peer scores", build, key=(geography, source.pk, tuple(keys)))


def _share_in(dist: list[dict], levels: set[int]) -> float | None:
    total = sum(d["residents"] for d in dist)
    return sum(d["residents"] for d in dist if d["level"] in levels) / total if total else None


def _distributions(state: CityState, geography: str, i: int, source, keys: list[str],
                   deciles: list[str], W_row: _Row) -> dict[str, list[dict]]:
    """Area ``i``'s residents and members by decile of each key of ``deciles``: for a large
    area its row of every area's (``_mixes``), else counted from its own members alone
    (``aggregate.row_distributions``, every decile in one pass): the same sums, added in the
    same order."""
    if not deciles:
        return {}
    if len(W_row.base) > MIXES_FROM_MEMBERS:
        people, residents, areas = _mixes(state, geography, source, keys, deciles)
        total, residents, areas = float(people[i]), residents[:, i], areas[:, i]
    else:
        base_values, _how = _base_values(state, source.geography, keys)
        total, residents, areas = aggregate.row_distributions(
            W_row.weight, base_values[W_row.base[:, None], [keys.index(key) for key in deciles]],
            state.population[W_row.base], DECILES)
    return {key: [{"level": level, "areas": int(areas[d, k]), "residents": round(float(residents[d, k])),
                   "share": float(residents[d, k]) / total if total else None}
                  for k, level in enumerate(DECILES)]
            for d, key in enumerate(deciles)}


def _mixes(state: CityState, geography: str, source, keys: list[str],
           deciles: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every area of ``geography``'s residents, and per decile key its residents and members
    by decile (key × area × decile), built once per load (``aggregate.distributions``)."""
    def build():
        base_values, _how = _base_values(state, source.geography, keys)
        W = state.members(geography)
        mixes = [aggregate.distributions(W, base_values[:, keys.index(key)], state.population, DECILES)
                 for key in deciles]
        residents, areas = np.stack([m[1] for m in mixes]), np.stack([m[2] for m in mixes])
        residents.flags.writeable = areas.flags.writeable = False
        return mixes[0][0], residents, areas
    return state.derived("decile mixes", build, key=(geography, source.pk, tuple(keys), tuple(deciles)))


def _table_sources(state: CityState) -> list:
    out = {}
    for ind in state.indicators.values():
        if ind.source.role in TABLE_ROLES:
            out.setdefault(ind.source.name, ind.source)
    return sorted(out.values(), key=lambda s: s.pk)  # manifest order


def _table(state: CityState, geography: str, record: AreaRecord, W_row: _Row, source) -> dict:
    inds = sorted((i for i in state.indicators.values()
                   if i.source_id == source.pk and i.kind in TABLE_KINDS), key=lambda i: i.order)
    keys = [i.key for i in inds]
    published_for = None
    if _published_only(state, source):
        how = "direct"
        area, city, published_for = _published_table(state, geography, record, W_row, source, keys)
    else:
        base_values, city = _table_values(state, source, keys)
        how = "direct" if source.geography == state.base else "apportioned"
        area = aggregate.weighted_sum(W_row.weight[None, :], base_values[W_row.base])[0]
    total_ind = next((i for i in inds if i.kind == "total"), None)
    t = keys.index(total_ind.key) if total_ind else None
    rows = []
    for j, ind in enumerate(inds):
        if ind.kind != "count" or area is None:
            continue
        share = area[j] / area[t] if t is not None and area[t] else None
        city_share = city[j] / city[t] if t is not None and city[t] else None
        rows.append({"label": ind.label, "key": ind.key, "count": _num(area[j]), "share": _num(share),
                     "city_count": _num(city[j]), "city_share": _num(city_share),
                     "difference_pp": _num((share - city_share) * 100) if share is not None and city_share is not None else None})
    return {"title": source.title, "source": _source(source), "unit": total_ind.unit if total_ind else "",
            "total": _num(area[t]) if t is not None and area is not None else None,
            "city_total": _num(city[t]) if t is not None else None, "rows": rows,
            "bridged": how != "direct", "published_for": published_for,
            "role": source.role, "caveat": CAVEATS.get(source.role, "")}


def _published_only(state: CityState, source) -> bool:
    """A table published on larger areas of another kind than the base (MSOAs when the base
    is LSOAs): its figures are never shared out to smaller areas."""
    return family(source.geography) != family(state.base) and source.geography in state.profiled


def _published_table(state: CityState, geography: str, record: AreaRecord, W_row: _Row, source,
                     keys: list[str]) -> tuple[np.ndarray | None, np.ndarray, dict | None]:
    """A table published only on ``source.geography`` (see the module docstring): the area's
    counts (None when it has none of its own), the city's, and the published areas to see
    instead (None when it has its own)."""
    g = source.geography
    city = _published_city(state, source, keys)
    if geography == g:
        i = state.position(g)[record.code]
        return np.array([state.column(k)[i] for k in keys], dtype=float), city, None
    parts = _union_of(state, g, W_row)
    if parts is not None:
        values = np.column_stack([state.column(k)[parts] for k in keys])
        return aggregate.weighted_sum(np.ones((1, len(parts))), values)[0], city, None
    best = state.parents(g)[W_row.base]
    at = np.unique(best[best >= 0])  # in code order
    return None, city, {"geography": g, "geography_label": geography_label(g), "kind": _plural(g),
                        "areas": [area_ref(a) for a in state.records(g, at[:MAX_LISTED_MEMBERS])],
                        "areas_total": len(at)}


def _plural(geography: str) -> str:
    """What to call the areas of a geography in a sentence ("published for MSOAs only")."""
    kind = family(geography)
    return f"{kind.upper()}s" if kind in ("oa", "lsoa", "msoa") else f"{geography_label(geography)} areas"


def _published_city(state: CityState, source, keys: list[str]) -> np.ndarray:
    """The city's counts of a table published on another geography: its areas' sums, built
    once per load and source."""
    def build():
        values = np.column_stack([state.column(k) for k in keys])
        city = aggregate.weighted_sum(np.ones((1, values.shape[0])), values)[0]
        city.flags.writeable = False
        return city
    return state.derived("published table totals", build, key=(source.pk, tuple(keys)))


def _union_of(state: CityState, geography: str, W_row: _Row) -> np.ndarray | None:
    """The areas of ``geography`` (positions) whose union the area is: each of its base areas
    wholly in the area and wholly in one of them, and every base area of each of them in the
    area. None when it is not such a union."""
    parent, size = _whole_parents(state, geography)
    at = parent[W_row.base]
    if not len(at) or (at < 0).any() or (W_row.weight != 1).any():
        return None
    parts, counts = np.unique(at, return_counts=True)
    return parts if (counts == size[parts]).all() else None


def _whole_parents(state: CityState, geography: str) -> tuple[np.ndarray, np.ndarray]:
    """Each base area's area of ``geography`` when it lies wholly in that one alone (weight 1,
    no other), else -1; and each area's number of base areas. Built once per load."""
    def build():
        W = state.members(geography)
        rows = np.repeat(np.arange(W.shape[0], dtype=np.intp), np.diff(W.indptr))
        held = W.data != 0
        rows, cols, data = rows[held], np.asarray(W.indices)[held], W.data[held]
        parents_of = np.bincount(cols, minlength=W.shape[1])
        single = (parents_of[cols] == 1) & (data == 1)
        parent = np.full(W.shape[1], -1, dtype=np.intp)
        parent[cols[single]] = rows[single]
        size = np.bincount(rows, minlength=W.shape[0])
        parent.flags.writeable = size.flags.writeable = False
        return parent, size
    return state.derived("whole parents", build, key=geography)


def _table_values(state: CityState, source, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A table's counts per base area and the city's totals, built once per load and source."""
    def build():
        if source.geography == state.base:
            values = _base_matrix(state, source.geography, keys)[0]
        else:
            # counts on another geography are apportioned to base areas by the membership
            # weight of each base area in the parent; summing then reassembles the parent.
            values = _apportion(state, source.geography, keys)
        city = aggregate.weighted_sum(np.ones((1, values.shape[0])), values)[0]
        values.flags.writeable = city.flags.writeable = False
        return values, city
    return state.derived("table values", build, key=(source.pk, tuple(keys)))


def _apportion(state: CityState, source_geography: str, keys: list[str]) -> np.ndarray:
    """Spread counts published on ``source_geography`` over base areas in proportion to their
    residents within each source area, so that summing base areas gives back the source."""
    from scipy import sparse  # built once per load: a command reading a profile needs no SciPy

    P = state.members(source_geography)  # source × base, sparse
    values = np.column_stack([state.column(k) for k in keys])
    weight = (P @ sparse.diags_array(np.nan_to_num(state.population))).tocsr()
    totals = np.repeat(weight.sum(axis=1), np.diff(weight.indptr))
    with np.errstate(invalid="ignore", divide="ignore"):
        # each base area's share of its source
        share = sparse.csr_array((np.where(totals > 0, weight.data / totals, 0.0),
                                  weight.indices, weight.indptr), shape=weight.shape)
    present = ~np.isnan(values)
    out = share.T @ np.where(present, values, 0.0)
    has = (share.T @ present.astype(float)) > 0
    return np.where(has, out, np.nan)


def _classifications(state: CityState, W_row: _Row) -> list[dict]:
    """Each category on the base geography: how many of the area's neighbourhoods have each
    value, the most common first (on a tie, the one met first in the area)."""
    out = []
    for ind in state.indicators.values():
        if ind.kind != "category" or ind.source.geography != state.base or ind.column.lower().endswith("code"):
            continue
        numbers, labels = _category_numbers(state, ind.key)
        met = numbers[W_row.base]
        values, first, counts = np.unique(met[met >= 0], return_index=True, return_counts=True)
        if len(values):
            order = np.lexsort((first, -counts))
            out.append({"label": ind.label,
                        "values": [(str(labels[values[k]]), int(counts[k])) for k in order],
                        "source": _source(ind)})
    return out


def _category_numbers(state: CityState, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Each base area's value of category ``key`` as a number (-1 where it has none) and the
    values by number, built once per load."""
    def build():
        _keys, _matrix, text = state.values(state.base)
        numbers = np.full(len(state.base_areas), -1, dtype=np.intp)
        column = text.get(key)
        if column is None:
            return numbers, np.array([], dtype=object)
        held = column.astype(bool)  # None and "" are no value
        labels, inverse = np.unique(column[held].astype(str), return_inverse=True)
        numbers[held] = inverse
        numbers.flags.writeable = False
        return numbers, labels
    return state.derived("category numbers", build, key=key)


def _method_note(state: CityState, geography: str) -> str:
    base = geography_label(state.base)
    kinds = sorted({_plural(s.geography) for s in _table_sources(state) if _published_only(state, s)})
    only = (f" Tables published only for {' and '.join(kinds)} are never shared out: they are "
            "read for those areas, summed for areas made of whole ones, and not given for others."
            if kinds else "")
    if geography == state.base:
        return (f"Figures are published for this area ({base}) directly. Figures published on older "
                "boundaries are those of the older area it lies in, bridged with the official lookup."
                + only)
    return (f"Figures add up the neighbourhoods ({base}) that make up this area: counts are summed; "
            "deprivation scores are averaged weighted by residents (Census 2021 usual residents), "
            "as MHCLG does for larger areas; ranks within the city compare areas of the same kind."
            + only)
