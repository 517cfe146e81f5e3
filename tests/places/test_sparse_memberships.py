"""Memberships are sparse and what every profile shares is built once per load.

Before, ``CityState.members`` held a dense areas × base-areas grid per geography (for England
about 8.5 GB for the 2021 LSOAs alone) and every ward or MSOA page ranked the area against
every peer again (9–18 s warm for England). Now a geography's memberships take memory in
proportion to the memberships loaded, and the peers' scores and ranks are computed on the
first profile of a kind and read by the rest.
"""

from __future__ import annotations

import threading
from dataclasses import replace

import numpy as np
import pytest
from scipy import sparse

from commonground.geography import aggregate
from commonground.places import profiles
from commonground.places.models import AreaMembership
from commonground.places.once import Once

IOD = "iod2025"  # the newest deprivation edition, published on the base geography


def test_memberships_are_sparse_with_one_entry_per_loaded_membership(loaded):
    state = loaded
    for geography, areas in state.by_geography.items():
        W = state.members(geography)
        assert sparse.issparse(W) and W.format == "csr"
        assert W.shape == (len(areas), len(state.base_areas))
        if geography == state.base:
            assert W.nnz == len(areas) and (W.diagonal() == 1).all()  # the identity
            continue
        rows, cols = W.nonzero()
        got = {(areas[i].code, state.base_areas[j].code): W[i, j] for i, j in zip(rows, cols, strict=True)}
        loaded_links = {(p, c): w for p, c, w in AreaMembership.objects.filter(
            parent__geography=geography, weight__gt=0).values_list("parent__code", "child__code", "weight")}
        assert W.nnz == len(loaded_links) and got == pytest.approx(loaded_links), geography
    with pytest.raises(ValueError):
        state.members("ward").data[0] = 0.5  # read-only, as every array of the load


def test_an_lsoa_s_parents_are_its_column_of_the_memberships(loaded):
    state = loaded
    for j in (0, len(state.base_areas) // 2, len(state.base_areas) - 1):
        record = state.base_areas[j]
        expected = []
        for g in state.profiled:
            if g != state.base:
                column = state.members(g).toarray()[:, j]  # the dense column
                expected += [(g, state.by_geography[g][i].code, column[i]) for i in np.flatnonzero(column)]
        got = [(p["geography"], p["code"], p["weight"]) for p in profiles.parents(state, record)]
        assert got == expected


def _indicators(state, source: str, kind: str) -> list:
    return sorted((i for i in state.indicators.values() if i.source.name == source and i.kind == kind),
                  key=lambda i: i.order)


@pytest.mark.parametrize("geography", ["ward", "msoa21"])
def test_every_profile_equals_the_dense_computation(loaded, geography):
    """Each area's scores, ranks, members, residents and census counts, against the dense
    (areas × base areas) matrix algebra the profiles used before."""
    state = loaded
    D = state.members(geography).toarray()
    people = np.nan_to_num(state.population)
    weights = D * people[None, :]
    scores = {}
    for ind in _indicators(state, IOD, "score"):
        v = state.column(ind.key)
        present = ~np.isnan(v)
        scores[ind.label] = (weights @ np.where(present, v, 0.0)) / (weights @ present)
    assert scores, "the city has IoD 2025 scores"
    census = next(s for s in profiles._table_sources(state) if s.geography == state.base)
    counts = _indicators(state, census.name, "count")
    count_values = np.column_stack([state.column(i.key) for i in counts])
    for i, area in enumerate(state.by_geography[geography]):
        p = profiles.area_profile(geography, area.code, state)
        assert [m["code"] for m in p["members"]] == [state.base_areas[j].code for j in np.flatnonzero(D[i])]
        assert p["population"] == pytest.approx(D[i] @ people)
        iod = next(d for d in p["deprivation"] if d["source"]["name"] == IOD)
        for row in iod["rows"]:
            if row["domain"] in scores:
                peer = scores[row["domain"]]
                assert row["score"] == pytest.approx(peer[i])
                assert row["city_rank"] == 1 + int((peer > peer[i] + 1e-9).sum())
                assert row["city_rank_of"] == len(peer)
        table = next(t for t in p["tables"] if t["source"]["name"] == census.name)
        assert [r["count"] for r in table["rows"]] == pytest.approx(list(D[i] @ np.nan_to_num(count_values)))


def counting(monkeypatch, module, name: str) -> list:
    """Wrap ``module.name`` to record each call (the real function still answers)."""
    calls, real = [], getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(threading.get_ident())
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def test_peer_scores_and_ranks_are_computed_once_per_load(loaded, monkeypatch):
    state = replace(loaded, _derived=Once())  # a load of its own, nothing derived yet
    means = counting(monkeypatch, aggregate, "population_weighted_mean")
    ranks = counting(monkeypatch, aggregate, "rank_descending")
    published = counting(monkeypatch, aggregate, "rank_ascending")
    wards, lsoas = state.by_geography["ward"], state.base_areas

    profiles.area_profile("ward", wards[0].code, state)
    assert means and ranks, "the first ward profile ranks the wards"
    built = len(means), len(ranks)
    profiles.area_profile("ward", wards[1].code, state)
    assert (len(means), len(ranks)) == built  # a peer's profile reads the ranks built

    profiles.area_profile("lsoa21", lsoas[0].code, state)
    profiles.area_profile("lsoa21", lsoas[1].code, state)
    assert published == []  # a neighbourhood's rank is counted among its peers, none sorted

    reloaded = replace(loaded, _derived=Once())
    profiles.area_profile("ward", wards[1].code, reloaded)
    assert len(means) > built[0]  # another load ranks its own areas


def test_a_profile_lists_at_most_so_many_neighbourhoods_and_says_how_many(loaded, client, monkeypatch):
    state = loaded
    city = state.by_geography["lad"][0]
    everyone = state.members("lad").nnz  # the city counts every neighbourhood
    monkeypatch.setattr(profiles, "MAX_LISTED_MEMBERS", 10)
    p = profiles.area_profile("lad", city.code, state)
    assert p["members_total"] == everyone > 10
    assert [m["code"] for m in p["members"]] == [a.code for a in state.base_areas[:10]]
    page = client.get(f"/places/lad/{city.code}/").content.decode()
    assert f"Neighbourhoods in this area ({everyone})" in page and "The first 10 by code" in page
    section = page[page.index('id="members-h"'):]
    assert section[:section.index("</section>")].count('href="/places/lsoa21/') == 10
