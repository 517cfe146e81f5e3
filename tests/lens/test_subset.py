"""The lens's city cut to some of its base areas (one authority of a package of several):
every per-area array keeps the same areas in the same order, and every index into the base
areas (residents' points, published larger areas) is renumbered to the kept areas."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from commonground.lens.inputs import City, Deprivation, GroupTable, PopulationPoints
from commonground.lens.subset import subset_city

N = 6


def _city() -> City:
    dep = Deprivation(key="iod2025", title="IoD 2025", year=2025, geography="lsoa21",
                      national_decile=np.arange(1.0, N + 1), city_decile=np.arange(10.0, 10 + N),
                      bridge="direct.")
    table = GroupTable(key="age", title="Age", universe="residents", labels=("young", "old"),
                       counts=np.arange(2.0 * N).reshape(N, 2), totals=np.arange(100.0, 100 + N))
    # two points per area, except area 3 with one
    area = np.array([0, 0, 1, 1, 2, 2, 3, 4, 4, 5, 5])
    people = PopulationPoints(xy=np.column_stack([area * 10.0, area * 10.0 + 1]), area=area,
                              share=np.where(area == 3, 1.0, 0.5), method="points")
    return City(name="Package", base_geography="lsoa21",
                area_codes=tuple(f"A{i}" for i in range(N)),
                area_names=tuple(f"Area {i}" for i in range(N)),
                population=np.arange(1000.0, 1000 + N), population_source="Census",
                geometries=np.array([shapely.box(i, 0, i + 1, 1) for i in range(N)]),
                deprivation=(dep,), groups=(table,), people=people,
                published_areas=(("ward", "W1", np.array([0, 1, 2])),
                                 ("ward", "W2", np.array([3, 4, 5])),
                                 ("msoa21", "M1", np.array([1, 4])),
                                 ("lad", "L1", np.array([0, 2]))))


def test_the_kept_areas_keep_their_figures_and_every_index_is_renumbered():
    city = _city()
    keep = np.array([False, True, False, True, True, False])
    part = subset_city(city, keep, name="Part")
    kept = np.flatnonzero(keep)  # old positions 1, 3, 4 become 0, 1, 2
    assert part.name == "Part" and part.base_geography == city.base_geography
    assert part.area_codes == ("A1", "A3", "A4")
    assert part.area_names == ("Area 1", "Area 3", "Area 4")
    assert part.population.tolist() == city.population[kept].tolist()
    assert [g.bounds for g in part.geometries] == [city.geometries[i].bounds for i in kept]
    [t] = part.groups
    assert t.counts.tolist() == city.groups[0].counts[kept].tolist()
    assert t.totals.tolist() == city.groups[0].totals[kept].tolist()
    [d] = part.deprivation
    assert d.national_decile.tolist() == city.deprivation[0].national_decile[kept].tolist()
    # without deciles cut on the part, the package's are kept, and the bridge text says so
    assert d.city_decile.tolist() == city.deprivation[0].city_decile[kept].tolist()
    assert "whole package" in d.bridge
    # residents' points: those of the kept areas, pointing at their new positions
    people = part.people
    assert people.area.tolist() == [0, 0, 1, 2, 2]
    old = {1: 0, 3: 1, 4: 2}
    for (x, _y), a in zip(people.xy, people.area, strict=True):
        assert old[int(x // 10)] == a  # each point's own area, renumbered
    assert np.bincount(people.area, weights=people.share).tolist() == [1.0, 1.0, 1.0]
    # a larger area keeps the kept base areas it counts; one with none left is dropped
    published = {(g, c): m.tolist() for g, c, m in part.published_areas}
    assert published == {("ward", "W1"): [0], ("ward", "W2"): [1, 2], ("msoa21", "M1"): [0, 2]}
    # the package's city is not changed
    assert len(city.area_codes) == N and city.people.area.tolist()[-1] == 5


def test_deciles_cut_within_the_part_replace_the_packages():
    city = _city()
    keep = np.array([True, True, False, False, False, False])
    within = Deprivation(key="iod2025", title="IoD 2025", year=2025, geography="lsoa21",
                         national_decile=np.arange(1.0, N + 1),
                         city_decile=np.array([1.0, 6.0, np.nan, np.nan, np.nan, np.nan]),
                         bridge="direct.")
    part = subset_city(city, keep, name="Part", deprivation=(within,))
    [d] = part.deprivation
    assert d.city_decile.tolist() == [1.0, 6.0]
    assert d.national_decile.tolist() == [1.0, 2.0]
    assert d.bridge == "direct."


def test_a_mask_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="one entry per base area"):
        subset_city(_city(), np.ones(N - 1, dtype=bool), name="Part")
