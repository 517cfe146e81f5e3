"""The footprint lens on a small made city: who lives in and near a project's footprint
against the city, by deprivation decile and by every Census table (pure: no database).

The city is a 6 × 6 grid of 500 m squares, each neighbourhood's residents at its centre
(``people.population_points``), so which residents a footprint reaches can be worked out
by hand. The real city's checks are in tests/projects/test_footprint_lens.py."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from commonground.lens import deprivation, footprint
from commonground.lens.footprint import CoarseTable, footprint_lens, reach
from commonground.lens.inputs import City, GroupTable
from commonground.lens.people import population_points

SIDE = 6
N = SIDE * SIDE
SQUARE = 500.0


def _city() -> City:
    rng = np.random.default_rng(3)
    col, row = np.arange(N) % SIDE, np.arange(N) // SIDE
    x0, y0 = col * SQUARE, row * SQUARE
    population = rng.integers(1000, 2000, N).astype(float)
    # deciles: the left two columns are decile 1, the rest spread over 2..10
    decile = np.where(col < 2, 1.0, 2.0 + (np.arange(N) % 9))
    rank = decile * 3000 - rng.integers(0, 100, N)
    older = np.round(population * np.linspace(0.1, 0.4, N))
    # a group of 3 people in every neighbourhood: always fewer than 10 in a small footprint
    few = np.full(N, 3.0)
    age = GroupTable(key="age", title="Census 2021: residents by age (2 bands)",
                     universe="residents", labels=("Older", "Younger", "Tiny group"),
                     counts=np.column_stack([older, population - older - few, few]),
                     totals=population)
    households = np.round(population / 2.4)
    renting = np.round(households * np.where(row < 3, 0.6, 0.2))
    tenure = GroupTable(key="tenure", title="Census 2021 TS054: tenure", universe="households",
                        labels=("Rents", "Owns"),
                        counts=np.column_stack([renting, households - renting]),
                        totals=households)
    dep = deprivation.edition("iod", "Test Indices of Deprivation 2025: ranks", 2025, "base",
                              decile, rank, None)
    codes = tuple(f"A{i:02d}" for i in range(N))
    return City(name="Gridtown", base_geography="base", area_codes=codes,
                area_names=tuple(f"Square {c}" for c in codes), population=population,
                population_source="made up", geometries=shapely.box(x0, y0, x0 + SQUARE,
                                                                    y0 + SQUARE),
                deprivation=(dep,), groups=(age, tenure),
                people=population_points(np.column_stack([x0 + 250, y0 + 250])))


CITY = _city()


def _centre(i: int) -> tuple[float, float]:
    return (i % SIDE) * SQUARE + 250, (i // SIDE) * SQUARE + 250


def _own_shares(city: City, table: int, i: int) -> list[float]:
    t = city.groups[table]
    return list(t.counts[i] / t.totals[i])


def test_a_footprint_that_is_one_neighbourhood_has_that_neighbourhoods_own_shares():
    i = 14
    result = footprint_lens(CITY, CITY.geometries[i])
    assert result["reach"]["neighbourhoods"] == 1
    assert [a["code"] for a in result["reach"]["areas"]] == [CITY.area_codes[i]]
    assert result["reach"]["residents"] == round(CITY.population[i], -1)
    for t, table in enumerate(result["groups"]):
        shown = [r["share"] for r in table["rows"]]
        own = _own_shares(CITY, t, i)
        for got, want, row in zip(shown, own, table["rows"], strict=True):
            if row["suppressed"]:
                assert got is None
            else:
                assert got == pytest.approx(want, abs=1e-4)
    # one neighbourhood speaks for itself only, and the words say so
    assert any("lies in one neighbourhood (Square A14)" in w for w in result["words"])


def test_the_citys_own_boundary_has_the_citys_shares():
    result = footprint_lens(CITY, shapely.union_all(CITY.geometries))
    assert result["reach"]["neighbourhoods"] == N == result["reach"]["whole"]
    assert result["reach"]["share_of_city"] == 1.0
    for table in result["groups"]:
        for row in table["rows"]:
            assert row["share"] == pytest.approx(row["city_share"], abs=1e-4)
            assert row["difference_pp"] == pytest.approx(0, abs=0.01)
            assert row["ratio"] == pytest.approx(1.0)
    for row in result["deprivation"]["rows"]:
        assert row["share"] == pytest.approx(row["city_share"], abs=1e-4)


def test_small_groups_are_shown_as_fewer_than_ten_without_a_share():
    result = footprint_lens(CITY, CITY.geometries[7])
    tiny = next(r for r in result["groups"][0]["rows"] if r["group"] == "Tiny group")
    assert tiny["suppressed"] and tiny["count"] is None and tiny["share"] is None
    assert tiny["count_shown"] == "fewer than 10 people"
    assert tiny["difference_pp"] is None and tiny["ratio"] is None
    assert tiny["city_share"] is not None  # the city's own share is still said
    # households tables count households
    assert result["groups"][1]["noun"] == "households"
    assert result["groups"][1]["total_shown"].endswith("households")
    # every count shown is rounded to the nearest 10
    for table in result["groups"]:
        assert all(r["count"] % 10 == 0 for r in table["rows"] if r["count"] is not None)
    assert result["reach"]["residents"] % 10 == 0


def test_a_point_reaches_the_residents_within_800_metres():
    i = 14  # column 2, row 2: its neighbours' centres are 500 m away, the diagonals 707 m
    x, y = _centre(i)
    r = reach(CITY, shapely.Point(x, y))
    by_points = np.flatnonzero((r.share > 0) & ~r.by_overlap)
    near = [j for j in range(N) if np.hypot(*np.subtract(_centre(j), (x, y))) <= 800]
    assert sorted(by_points) == sorted(near) and len(near) == 9
    assert np.allclose(r.share[near], 1.0)
    # the circle reaches into the squares beyond without reaching their residents' points:
    # they count by the share of their area inside it
    beyond = np.flatnonzero(r.by_overlap)
    assert len(beyond) > 0
    for j in beyond:
        inside = shapely.intersection(CITY.geometries[j], shapely.Point(x, y).buffer(800, 256))
        assert r.share[j] == pytest.approx(inside.area / SQUARE**2, rel=0.01)
        assert np.hypot(*np.subtract(_centre(j), (x, y))) > 800
    result = footprint_lens(CITY, shapely.Point(x, y))
    assert result["footprint"]["points"] == 1 and result["footprint"]["near_m"] == 800
    assert result["words"][0].startswith("About ")
    assert "within 800 metres of this project's footprint" in result["words"][0]
    # a nearer rule reaches fewer people
    closer = footprint_lens(CITY, shapely.Point(x, y), near_m=400)
    assert closer["reach"]["residents"] < result["reach"]["residents"]


def test_a_polygon_reaches_inside_unless_near_is_asked_for():
    square = CITY.geometries[14]
    inside = reach(CITY, square)
    near = reach(CITY, square, near_polygons=True)
    assert (inside.share > 0).sum() == 1
    assert (near.share > 0).sum() > 1 and near.share.sum() > inside.share.sum()
    with pytest.raises(ValueError, match="more than 0 metres"):
        reach(CITY, shapely.Point(0, 0), near_m=0)


def test_a_small_polygon_between_points_counts_its_share_of_the_area_and_slivers_nothing():
    corner = shapely.box(0, 0, 100, 100)  # in square 0, away from its centre (250, 250)
    r = reach(CITY, corner)
    assert r.by_overlap[0] and r.share[0] == pytest.approx(100 * 100 / SQUARE**2)
    sliver = shapely.box(400, 0, 501, 400)  # 1 m into square 1: 400 m² of 250,000 m²
    r = reach(CITY, sliver)
    assert r.share[1] == 0 and not r.by_overlap[1]


def test_a_tiny_polygon_inside_a_neighbourhood_counts_its_area_share_but_an_edge_sliver_not():
    # 20 m square well inside square 0, away from its residents' point at (250, 250): under
    # 1% of the square's area, but inside it, so it reaches the people living there
    tiny = shapely.box(100, 100, 120, 120)
    r = reach(CITY, tiny)
    assert r.by_overlap[0] and r.share[0] == pytest.approx(20 * 20 / SQUARE**2)
    result = footprint_lens(CITY, tiny)
    assert result["reach"]["neighbourhoods"] == 1
    assert result["reach"]["areas"][0]["how"] == "area overlap"
    # the same small area along square 1's edge (5 m in, never 10 m) is a boundary sliver
    along_edge = shapely.box(400, 0, 505, 80)
    r = reach(CITY, along_edge)
    assert r.share[1] == 0 and not r.by_overlap[1]
    # and 40 m in it reaches inside
    r = reach(CITY, shapely.box(400, 0, 540, 10))
    assert r.by_overlap[1] and r.share[1] == pytest.approx(40 * 10 / SQUARE**2)


def _words_of(result: dict, **reach_changes) -> list[str]:
    changed = {**result, "reach": {**result["reach"], **reach_changes}}
    return footprint.summarise(changed)


def test_a_share_too_small_for_one_decimal_is_said_as_under_a_tenth_of_a_percent():
    result = footprint_lens(CITY, CITY.geometries[14])
    # 70 residents of a city of 250,000 (Milton Keynes' size): 0.028%
    words = _words_of(result, residents=70, share_of_city=round(70 / 250_000, 4))
    assert "(under 0.1% of the people of Gridtown)" in words[0]
    assert "0.0%" not in " ".join(words)


@pytest.mark.parametrize(("ratio", "said"), [(1.03, "1.03 times"), (1.04, "1.04 times"),
                                              (2.5, "2.5 times"), (1.1, "1.1 times")])
def test_the_ratio_is_said_to_two_decimals_not_rounded_to_one_time(ratio, said):
    result = footprint_lens(CITY, CITY.geometries[14])
    row = result["groups"][0]["rows"][0]
    city_share = 0.4
    row.update(share=city_share * ratio, city_share=city_share,
               difference_pp=round(100 * city_share * (ratio - 1), 2), ratio=ratio,
               suppressed=False)
    for table in result["groups"]:  # this row is the largest difference
        for other in table["rows"]:
            if other is not row:
                other["difference_pp"] = 0.0
    sentence = next(w for w in footprint.summarise(result)
                    if w.startswith("The largest difference from the city among the people"))
    assert f", {said} the city's share." in sentence
    assert " 1 times" not in sentence


def test_deprivation_of_the_people_reached_against_the_city():
    decile = CITY.deprivation[0].national_decile
    left = shapely.union_all(CITY.geometries[decile == 1])
    result = footprint_lens(CITY, left)
    rows = {r["decile"]: r for r in result["deprivation"]["rows"]}
    assert rows[1]["share"] == 1.0
    pop = CITY.population
    assert rows[1]["city_share"] == pytest.approx(pop[decile == 1].sum() / pop.sum(), abs=1e-4)
    assert all(rows[d]["count"] is None for d in range(2, 11))
    most = result["deprivation"]["fifths"]["most"]
    assert most["share"] == 1.0
    assert any("100% live in the most deprived fifth" in w for w in result["words"])


def test_a_table_published_for_larger_areas_is_shared_out_by_residents_reached():
    # two larger areas: the left half and the right half of the grid
    parent = ((np.arange(N) % SIDE) >= SIDE // 2).astype(int)
    counts = np.array([[300.0, 700.0], [100.0, 900.0]])
    table = GroupTable(key="orientation", title="Census 2021 TS077: sexual orientation (MSOA)",
                       universe="residents 16 and over", labels=("Group A", "Group B"),
                       counts=counts, totals=counts.sum(axis=1))
    coarse = CoarseTable(geography="msoa21", table=table, parent=parent)
    i = 0  # in the left half
    result = footprint_lens(CITY, CITY.geometries[i], coarse=(coarse,))
    shared = next(t for t in result["groups"] if t["key"] == "orientation")
    assert shared["apportioned"] and shared["geography"] == "msoa21"
    fraction = CITY.population[i] / CITY.population[parent == 0].sum()
    assert shared["rows"][0]["count"] == round(300 * fraction, -1)
    assert shared["rows"][0]["share"] == pytest.approx(0.3)  # the larger area's make-up
    assert shared["rows"][0]["city_share"] == pytest.approx(0.2)
    assert any("Sexual orientation is published only for the city's 2 MSOAs" in w
               and "the 1 MSOA the footprint lies in" in w for w in result["words"])
    assert any(n["title"] == "Tables by MSOA" for n in result["method"])


def test_a_city_wide_project_and_one_with_no_footprint_say_so():
    wide = footprint.city_wide_lens(CITY)
    assert wide["kind"] == "city-wide"
    assert wide["words"][0] == ("This project works across the whole city; its footprint is "
                                "the city.")
    assert "groups" not in wide
    none = footprint.no_footprint_lens(CITY, ["lamp columns at key junctions"])
    assert none["kind"] == "none" and "no footprint" in none["words"][0]
    assert "lamp columns at key junctions" in none["words"][1]


def test_no_p_values_and_the_numbers_are_said_to_be_estimates():
    result = footprint_lens(CITY, shapely.union_all(CITY.geometries[:12]))
    flat = str(result)
    assert "p_value" not in flat and "interval" not in flat.replace("sampling intervals", "")
    assert any(w.startswith("These are estimates, not samples") for w in result["words"])
    names = {n["title"] for n in result["method"]}
    assert {"The footprint's reach", "Residents in the reach", "Shares and differences",
            "Rounding and small groups", "Deprivation"} <= names
    flat_tables = footprint.tables(result)
    assert set(flat_tables) == {"areas", "deprivation", "groups"}
    assert len(flat_tables["groups"][1]) == sum(len(t["rows"]) for t in result["groups"])
