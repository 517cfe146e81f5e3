"""Use case: which authority each neighbourhood lies in, and what an area is compared against.

A data package may describe one local authority, several (a shared service, a combined
authority) or a whole country. Its authorities are the ``lad`` geography (a boundary file,
or derived at load from the authority code each base area carries, ``geography.city``); a
base area's authority is its best-fit parent there (``CityState.parents``). An area's
profile then says what it is compared against: its authority, and the whole package ("this
neighbourhood against Milton Keynes, and against England"), with a neighbourhood's
deprivation rank within each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from commonground.geography import aggregate
from commonground.geography.codes import family, geography_label

from .cache import AreaRecord, CityState

DEPRIVATION = "deprivation"


def authority_geography(state: CityState) -> str | None:
    """The geography of the package's local authorities, None when it has none."""
    return next((g for g in state.profiled if family(g) == "lad"), None)


def authorities(state: CityState) -> list[AreaRecord]:
    g = authority_geography(state)
    return state.by_geography[g] if g else []


def authority_positions(state: CityState) -> np.ndarray:
    """Each base area's authority: its position in ``authorities(state)``, -1 for none."""
    g = authority_geography(state)
    if g is None:
        return np.full(len(state.base_areas), -1, dtype=np.intp)
    return state.parents(g)


def authority_of(state: CityState, record: AreaRecord) -> AreaRecord | None:
    """The authority an area lies in: a base area's best-fit authority; for a larger area
    (a ward, an MSOA), the authority most of its base areas' weight lies in. None for an
    authority itself, for the package's outline and where no authority is known."""
    g = authority_geography(state)
    if g is None or record.geography == g or record.geography not in state.profiled:
        return None
    if record.code in state.run.authority_codes:
        return None
    at = authority_positions(state)
    base, weight = state.member_row(record.geography, state.position(record.geography)[record.code])
    held = at[base] >= 0
    if not held.any():
        return None
    totals = np.bincount(at[base][held], weights=weight[held])
    if record.geography != state.base and len(np.flatnonzero(totals)) > 1 and \
            totals.max() < 0.5 * weight.sum():
        return None  # an area split between authorities, none holding most of it
    return state.by_geography[g][int(np.argmax(totals))]


def compared_with(state: CityState, record: AreaRecord, ref: Callable[[AreaRecord], dict]) -> dict | None:
    """What an area's profile compares it against, in a package of several authorities: its
    authority (``ref`` of it; None for an authority itself) and the package, in a sentence;
    for a neighbourhood, its deprivation ranks within each. None in a single authority's
    package (the profile's ranks "in the city" say it all) and for the package's outline."""
    if len(authorities(state)) < 2:
        return None
    if record.code in state.run.authority_codes and family(record.geography) != "lad":
        return None
    package = {"name": state.run.city_name, "codes": list(state.run.authority_codes or [state.run.lad_code])}
    authority = authority_of(state, record)
    what = geography_label(record.geography).lower() if record.geography != state.base else "neighbourhood"
    if authority is not None:
        sentence = f"This {what} is compared against {authority.name}, and against {package['name']}."
    else:
        sentence = f"This {what} is compared against {package['name']}."
    out = {"authority": ref(authority) if authority else None, "package": package, "sentence": sentence,
           "deprivation": []}
    if record.geography == state.base:
        out["deprivation"] = _deprivation(state, record, authority)
    return out


def _deprivation(state: CityState, record: AreaRecord, authority: AreaRecord | None) -> list[dict]:
    """Per deprivation source on the base geography: each domain's national rank and the
    neighbourhood's rank within its authority and within the package."""
    j = state.position(state.base)[record.code]
    group = int(authority_positions(state)[j])
    mine = authority_positions(state) == group if group >= 0 else np.zeros(len(state.base_areas), bool)
    by_source: dict[str, dict] = {}
    for ind in sorted(state.indicators.values(), key=lambda i: (i.source.name, i.order)):
        if ind.source.role != DEPRIVATION or ind.source.geography != state.base or ind.kind != "rank":
            continue
        section = by_source.setdefault(ind.source.name, {"title": ind.topic or ind.source.title,
                                                         "source": ind.source.title,
                                                         "vintage": ind.source.vintage, "rows": []})
        values = state.column(ind.key)
        national = values[j]
        package_rank, package_of = aggregate.rank_among(values, national)
        authority_rank, authority_of = aggregate.rank_among(values, national, mine)
        section["rows"].append({
            "domain": ind.label, "rank": None if np.isnan(national) else int(national),
            "package_rank": package_rank or None, "package_of": package_of,
            "authority_rank": (authority_rank or None) if authority is not None else None,
            "authority_of": authority_of if authority is not None and group >= 0 else None})
    return sorted(by_source.values(), key=lambda s: s["vintage"], reverse=True)
