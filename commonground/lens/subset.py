"""The lens's city cut down to some of its base areas: one authority of a package of several.

A data package may hold several local authorities (a shared service, a region, England).
The lens of one of them is the package's :class:`~.inputs.City` with only that authority's
base areas: every per-area array keeps those rows, in the package's order; the residents'
points (``PopulationPoints``) and the larger published areas keep only what lies in them,
their indices renumbered, and so do the Census tables of larger areas (``City.coarse``).
National IMD deciles stay as published. What is "within the
city" (``Deprivation.city_decile``) is whatever the caller passes in ``deprivation``: the
service cuts it again within the authority (``catalogue.services.lens``); without it the
package's deciles are kept and the edition's bridge text says so.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .inputs import City, CoarseTable, Deprivation, GroupTable, PopulationPoints


def subset_city(city: City, keep: np.ndarray, *, name: str,
                deprivation: tuple[Deprivation, ...] | None = None) -> City:
    """``city`` restricted to the base areas ``keep`` (a boolean mask over ``city.area_codes``).

    ``name``: what the subset is called ("Bedford"). ``deprivation``: the editions with their
    within-the-area deciles already cut on the subset, as arrays over **all** of ``city``'s
    base areas (they are subset here like the rest); None keeps ``city.deprivation``'s
    (deciles within the whole package). A published larger area keeps the base areas of it
    that are kept, and is left out when none is.
    """
    keep = np.asarray(keep, dtype=bool)
    if keep.shape != (len(city.area_codes),):
        raise ValueError(f"keep must have one entry per base area ({len(city.area_codes)}), "
                         f"not {keep.shape}")
    index = np.flatnonzero(keep)
    # new position of each old base area, -1 where it is left out
    renumber = np.full(len(keep), -1, dtype=np.intp)
    renumber[index] = np.arange(len(index))
    editions = city.deprivation if deprivation is None else deprivation
    published = []
    for geography, code, members in city.published_areas:
        mine = renumber[np.asarray(members, dtype=np.intp)]
        mine = mine[mine >= 0]
        if len(mine):
            published.append((geography, code, mine))
    return City(
        name=name, base_geography=city.base_geography,
        area_codes=tuple(city.area_codes[i] for i in index),
        area_names=tuple(city.area_names[i] for i in index),
        population=np.asarray(city.population)[index],
        population_source=city.population_source,
        geometries=np.asarray(city.geometries)[index],
        deprivation=tuple(_deprivation(d, index, package=deprivation is None) for d in editions),
        groups=tuple(_groups(t, index) for t in city.groups),
        people=_people(city.people, renumber),
        published_areas=tuple(published),
        coarse=tuple(c for c in (_coarse(c, index) for c in city.coarse) if c is not None))


def _deprivation(d: Deprivation, index: np.ndarray, *, package: bool) -> Deprivation:
    out = replace(d, national_decile=np.asarray(d.national_decile)[index],
                  city_decile=np.asarray(d.city_decile)[index])
    if package:
        out = replace(out, bridge=d.bridge + " Deciles within the city are the whole package's.")
    return out


def _groups(t: GroupTable, index: np.ndarray) -> GroupTable:
    return replace(t, counts=np.asarray(t.counts)[index], totals=np.asarray(t.totals)[index])


def _coarse(c: CoarseTable, index: np.ndarray) -> CoarseTable | None:
    """A larger areas' table cut to the larger areas the kept base areas lie in (None when
    they lie in none), its parents renumbered."""
    parent = np.asarray(c.parent, dtype=np.intp)[index]
    kept = np.unique(parent[parent >= 0])
    if not len(kept):
        return None
    renumber = np.full(len(c.table.totals), -1, dtype=np.intp)
    renumber[kept] = np.arange(len(kept))
    return replace(c, table=_groups(c.table, kept), parent=np.where(parent >= 0,
                                                                    renumber[parent], -1),
                   codes=tuple(c.codes[i] for i in kept) if c.codes else (),
                   names=tuple(c.names[i] for i in kept) if c.names else ())


def _people(people: PopulationPoints, renumber: np.ndarray) -> PopulationPoints:
    """The residents' points of the kept base areas; ``area`` renumbered, shares unchanged
    (they sum to 1 per base area, so still do)."""
    area = renumber[np.asarray(people.area, dtype=np.intp)]
    kept = area >= 0
    return replace(people, xy=np.asarray(people.xy)[kept], area=area[kept],
                   share=np.asarray(people.share)[kept])
