"""The lens as a whole on a small synthetic city: sections fit together, a measure that is
uniform per resident shows no inequality, the order of areas changes nothing, and the words
never claim a difference that the numbers do not support."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest
import shapely

from commonground.lens import deprivation, stats
from commonground.lens.compute import LensOptions, MeasureNotAllowed, run_lens
from commonground.lens.inputs import City, GroupTable, Measure
from commonground.lens.people import population_points
from commonground.lens.tables import table_names, tables

SIDE = 8  # an 8 × 8 grid of 500 m squares: 64 neighbourhoods
N = SIDE * SIDE


def _arrays(seed: int = 1) -> dict:
    """Areas in grid order: squares, residents, national ranks and deciles, two groups."""
    rng = np.random.default_rng(seed)
    x0 = (np.arange(N) % SIDE) * 500.0
    y0 = (np.arange(N) // SIDE) * 500.0
    population = rng.integers(1200, 2400, N).astype(float)
    rank = rng.permutation(N) * 500 + 1.0  # national ranks, 1 = most deprived
    minority = np.round(population * np.linspace(0.05, 0.4, N))
    return {"boxes": shapely.box(x0, y0, x0 + 500, y0 + 500),
            "xy": np.column_stack([x0 + 250, y0 + 250]), "population": population,
            "rank": rank, "decile": np.ceil(rank / (N * 500 / 10)),
            "groups": np.column_stack([minority, population - minority]),
            "codes": np.array([f"A{i:03d}" for i in range(N)])}


def _city(order: np.ndarray | None = None) -> City:
    """The synthetic city with its areas listed in ``order``."""
    a = {k: v[np.arange(N) if order is None else order] for k, v in _arrays().items()}
    groups = GroupTable(key="ethnic", title="Ethnic group", universe="residents",
                        labels=("Minority", "Majority"), counts=a["groups"],
                        totals=a["population"])
    dep = deprivation.edition("iod", "Test IoD", 2025, "base", a["decile"], a["rank"], None)
    return City(name="Testville", base_geography="base", area_codes=tuple(a["codes"]),
                area_names=tuple(f"Area {c}" for c in a["codes"]), population=a["population"],
                population_source="synthetic", geometries=a["boxes"], deprivation=(dep,),
                groups=(groups,), people=population_points(a["xy"]))


def _measure(per_area: np.ndarray, points_xy=None) -> Measure:
    xy = np.empty((0, 2)) if points_xy is None else points_xy
    return Measure(kind="count", label="clinics", unit="rows", per_area=per_area,
                   points_xy=xy, rows_total=int(per_area.sum()),
                   rows_in_areas=int(per_area.sum()))


OPTIONS = LensOptions(draws=2000, permutations=199)


def test_a_measure_uniform_per_resident_shows_no_inequality():
    city = _city()
    per_area = city.population / 100  # one per 100 residents everywhere
    result = run_lens(city, _measure(per_area), OPTIONS)
    for table in result["deprivation"]["tables"].values():
        values = [r["value"] for r in table["rows"] if r["value"] is not None]
        assert np.allclose(values, 10.0)
        assert abs(table["slope"]["sii"]) < 1e-9
        assert table["slope"]["rii"] == pytest.approx(1.0)
        assert abs(table["slope"]["concentration"]) < 1e-9
    for g in result["disparity"]["tables"][0]["groups"]:
        assert abs(g["difference_pp"]) < 1e-9
        assert g["p_value"] > 0.5
    assert any("no clear gradient" in w for w in result["words"])
    assert any("cannot say" in w for w in result["words"])


def test_the_order_of_areas_changes_nothing():
    city = _city()
    rng = np.random.default_rng(7)
    per_area = rng.poisson(city.population / 200).astype(float)
    order = rng.permutation(N)
    a = run_lens(city, _measure(per_area), OPTIONS)
    b = run_lens(_city(order), _measure(per_area[order]), OPTIONS)
    for grouping in deprivation.GROUPINGS:
        assert a["deprivation"]["tables"][grouping]["rows"] == \
            b["deprivation"]["tables"][grouping]["rows"]
        sa, sb = (r["deprivation"]["tables"][grouping]["slope"] for r in (a, b))
        assert sa["sii"] == pytest.approx(sb["sii"], rel=1e-12)
    ga, gb = a["disparity"]["tables"][0]["groups"], b["disparity"]["tables"][0]["groups"]
    assert [g["difference_pp"] for g in ga] == pytest.approx([g["difference_pp"] for g in gb])


def test_a_measure_concentrated_in_deprived_areas_is_said_plainly():
    city = _city()
    decile = city.deprivation[0].national_decile
    per_area = np.where(decile <= 2, city.population / 50, city.population / 1000)
    result = run_lens(city, _measure(np.round(per_area)), OPTIONS)
    slope = result["deprivation"]["tables"]["imd-decile"]["slope"]
    assert slope["sii_high"] < 0 and slope["rii"] < 1
    gap = result["words"][1]
    assert "times as common per resident in the most deprived fifth" in gap
    least, most = (result["deprivation"]["tables"]["imd-quintile"]["rows"][k] for k in (4, 0))
    assert most["value"] > least["value"]


def test_the_rii_is_never_negative_and_the_method_says_which_end_forced_the_log_fit():
    city = _city()
    decile = city.deprivation[0].national_decile
    per_area = np.round(np.where(decile <= 2, city.population / 50, city.population / 1000))
    result = run_lens(city, _measure(per_area), OPTIONS)
    tables = result["deprivation"]["tables"]
    for table in tables.values():
        slope = table["slope"]
        for key in ("rii", "rii_low", "rii_high", "rii_low_998", "rii_high_998"):
            assert slope[key] is None or 0 < slope[key] < np.inf
    imd = tables["imd-decile"]["slope"]
    rows = tables["imd-decile"]["rows"]
    beta0, beta1 = stats.fit_slope_index([r["value"] for r in rows],
                                         [r["residents"] for r in rows])
    assert beta0 + beta1 <= 0  # the straight line ends below zero: RII would be negative
    assert imd["transform"] == "log" and 0 < imd["rii"] < 1
    assert "at the least deprived end" in imd["transform_reason"]
    method = next(n["text"] for n in result["method"] if n["title"].startswith("Slope"))
    assert "national IMD decile: the straight-line fit falls to zero or below" in method
    rates = next(n["text"] for n in result["method"] if n["title"] == "Rates and intervals")
    assert "exact Poisson interval (from the chi-square distribution) below 10 events" in rates
    assert "Byar's approximation to it from 10" in rates


def test_groups_carry_99_8_percent_limits_outside_their_95_percent_limits():
    city = _city()
    per_area = np.random.default_rng(3).poisson(3, N).astype(float)
    result = run_lens(city, _measure(per_area), OPTIONS)
    for table in result["deprivation"]["tables"].values():
        for r in table["rows"]:
            assert r["low_998"] <= r["low"] <= r["value"] <= r["high"] < r["high_998"]
        slope = table["slope"]
        assert slope["sii_low_998"] <= slope["sii_low"] <= slope["sii_high"] <= \
            slope["sii_high_998"]
    columns, rows = tables(result)["imd-decile"]
    assert {"low_998", "high_998"} <= set(columns) and rows[0]["low_998"] is not None


def test_a_group_left_out_of_the_slope_is_listed_with_its_reason():
    city = _city()
    decile = city.deprivation[0].national_decile
    values = 50 + np.arange(N, dtype=float) % 7
    first = np.flatnonzero(decile == 1)
    values[first[1:]] = np.nan  # the most deprived decile has a value for one area only
    score = Measure(kind="value", label="scores", unit="points", per_area=values,
                    points_xy=np.empty((0, 2)), rows_total=N, rows_in_areas=N, column="score")
    result = run_lens(city, score, OPTIONS)
    slope = result["deprivation"]["tables"]["imd-decile"]["slope"]
    assert slope["left_out"] == [{"group": 1, "label": "decile 1 (most deprived)",
                                  "reason": "one area only, so no 95% interval"}]
    columns, rows = tables(result)["slope"]
    assert "left_out" in columns and rows[0]["left_out"] == slope["left_out"]


def test_access_counts_points_beyond_the_edge():
    city = _city()
    per_area = np.zeros(N)
    outside = np.array([[-100.0, 250.0]])  # 100 m west of the city, opposite area 0's middle
    result = run_lens(city, _measure(per_area, outside), OPTIONS)
    access = result["access"]
    share_area0 = city.population[0] / city.population.sum()
    assert access["all"]["within"]["400"] == pytest.approx(share_area0)  # 350 m away
    assert result["measure"]["rows_in_areas"] == 0


def test_every_section_flattens_to_tables():
    city = _city()
    per_area = np.random.default_rng(3).poisson(5, N).astype(float)
    result = run_lens(city, _measure(per_area, np.array([[1000.0, 1000.0]])), OPTIONS)
    flat = tables(result)
    assert {"imd-decile", "imd-quintile", "city-decile", "city-quintile", "slope", "disparity",
            "disparity-areas", "access", "areas"} <= set(flat)
    columns, rows = flat["areas"]
    assert len(rows) == N and set(columns) <= set(rows[0])
    assert table_names(result) == list(flat)  # what the page offers to download, no row built


def test_disclosure_hides_small_counts_and_what_would_reveal_them():
    city = _city()
    per_area = np.random.default_rng(5).poisson(6, N).astype(float)
    result = run_lens(city, _measure(per_area), LensOptions(draws=500, permutations=99,
                                                            threshold=10))
    for row in result["where"]["areas"]:
        assert row["measure"] is None or row["measure"] == 0 or row["measure"] >= 10
    for table in result["deprivation"]["tables"].values():
        hidden = [r for r in table["rows"] if r["suppressed"]]
        assert len(hidden) != 1
        for r in table["rows"]:
            assert r["suppressed"] or r["measure"] == 0 or r["measure"] >= 10
    assert "access" not in result and result["measure"]["rows"] is None
    # a city total below the threshold is itself hidden, in the numbers and in the words
    few = np.zeros(N)
    few[[3, 40]] = [2, 3]
    small = run_lens(city, _measure(few), LensOptions(draws=200, permutations=99, threshold=10))
    assert small["measure"]["total"] is None and small["measure"]["rows_in_areas"] is None
    assert "too few" in small["words"][0] and "5" not in small["words"][0]
    assert all(r["measure"] is None or r["measure"] == 0 for r in small["where"]["areas"])


def test_people_data_shows_only_counts():
    city = _city()
    weights = Measure(kind="weight", label="visits", unit="minutes", per_area=np.ones(N),
                      points_xy=np.empty((0, 2)), rows_total=N, rows_in_areas=N,
                      column="minutes", per_area_sq=np.ones(N))
    with pytest.raises(MeasureNotAllowed, match="only counts"):
        run_lens(city, weights, LensOptions(threshold=10))


def test_city_deciles_cut_the_city_into_equal_groups_by_rank():
    rank = np.array([50.0, 10, 30, np.nan, 20, 40, 60, 70, 80, 90, 100])
    groups = deprivation.city_groups(rank, 5)
    assert np.isnan(groups[3])
    # ten known areas, five groups of two, most deprived (lowest rank) first
    assert list(groups[[1, 4]]) == [1, 1] and list(groups[[2, 5]]) == [2, 2]
    assert list(groups[[0, 6]]) == [3, 3] and list(groups[[9, 10]]) == [5, 5]


def test_split_areas_inherit_their_parents_figures():
    own_decile = np.array([1.0, 7.0])
    own_rank = np.array([100.0, 20000.0])
    parent = np.array([0, 0, 1, -1])  # area 0 split into two; one base area unmatched
    dep = deprivation.edition("old", "Old IoD", 2019, "old", own_decile, own_rank, parent)
    assert list(dep.national_decile[:3]) == [1, 1, 7] and np.isnan(dep.national_decile[3])
    assert dep.split_areas == 2 and "inherit" in dep.bridge
    assert dep.own_decile_counts == {1: 1, 7: 1}


@pytest.mark.parametrize("least, most, expect", [
    (12, 0, "none in the most deprived fifth"),
    (0, 12, "none in the least deprived fifth"),
    (30, 3, "times as common per resident in the least deprived fifth"),
    (3, 3, "cannot say"),
])
def test_the_quintile_sentence_follows_its_interval(least, most, expect):
    rows = [{"group": k, "residents": 10_000.0, "measure": 0.0, "value": 0.0, "low": 0.0,
             "high": 0.4, "suppressed": False} for k in range(1, 6)]
    rows[0]["measure"], rows[4]["measure"] = float(most), float(least)
    result = {"city": {"name": "Testville", "areas": 5},
              "measure": {"kind": "count", "label": "clinics"},
              "deprivation": {"tables": {"imd-quintile": {"rows": rows}}}}
    from commonground.lens.words import _deprivation_gap

    assert expect in _deprivation_gap(result)


# --- units, clustering and the influence check ----------------------------------------------

def _hub_city_counts(hub: int = 60) -> tuple[City, np.ndarray, int]:
    """Counts close to one per 1,000 residents, plus ``hub`` rows at one site in one area of
    the most deprived national decile."""
    city = _city()
    counts = np.random.default_rng(8).poisson(city.population / 1000).astype(float)
    where = int(np.flatnonzero(city.deprivation[0].national_decile == 1)[0])
    counts[where] += hub
    return city, counts, where


def test_one_dominating_site_widens_the_intervals_and_is_reported():
    city, counts, hub = _hub_city_counts()
    measure = replace(_measure(counts), singular="clinic", sites=int(counts.sum()) - 59,
                      sites_in_areas=int(counts.sum()) - 59, largest_site=60,
                      site_rule="rows at the same coordinates (to the metre)")
    result = run_lens(city, measure, OPTIONS)
    units = result["units"]
    assert units["largest_site"] == 60 and units["sites"] == counts.sum() - 59
    assert units["dispersion"] > 5 and units["effective_points"] < counts.sum() / 5
    # the most deprived quintile holds the hub: its interval is far wider than PHE's
    q1 = result["deprivation"]["tables"]["imd-quintile"]["rows"][0]
    assert q1["dispersion"] > 10 and q1["effective"] < q1["measure"] / 10
    assert q1["low"] < q1["phe_low"] and q1["high"] > q1["phe_high"]
    # PHE's ratio calls the gap clear; the clustering-aware one, which the words follow, does not
    gap = result["deprivation"]["gap"]
    assert gap["phe"]["clear"] and not gap["ratio"]["clear"]
    said = " ".join(result["words"])
    assert "We cannot say" in said and "if each were placed on its own" in said
    # the gradient sentence follows the clustering-aware slope, not PHE's
    slope, plain = (result["deprivation"]["tables"]["imd-decile"][k]
                    for k in ("slope", "slope_phe"))
    assert plain["sii_low"] > 0 or plain["sii_high"] < 0
    robust_clear = slope["sii_low"] > 0 or slope["sii_high"] < 0
    assert ("no clear gradient" in said) == (not robust_clear)
    # the influence check names the area and gives the headline without it
    influence = result["influence"]
    assert influence["code"] == city.area_codes[hub] and influence["flagged"]
    assert influence["share"] == pytest.approx(counts[hub] / counts.sum())
    without = influence["without"]
    assert without["gap"]["ratio"]["ratio"] == pytest.approx(
        _quintile_ratio_without(city, counts, hub), rel=1e-9)
    assert without["slope"]["sii"] is not None
    assert f"One neighbourhood, {city.area_names[hub]}, holds" in said
    method = next(n["text"] for n in result["method"] if n["title"] == "Units and clustering")
    assert "quasi-Poisson" in method and "above a fifth" in method
    # the disparity redraws the effective points, not the rows
    assert result["disparity"]["points"] == units["effective_points"]


def _quintile_ratio_without(city: City, counts: np.ndarray, left_out: int) -> float:
    """Least over most deprived national quintile rate, one area left out, by hand."""
    quintile = np.ceil(city.deprivation[0].national_decile / 2)
    keep = np.arange(N) != left_out
    rate = [counts[keep & (quintile == q)].sum() / city.population[keep & (quintile == q)].sum()
            for q in (5, 1)]
    return rate[0] / rate[1]


def test_no_area_above_a_fifth_is_reported_but_not_flagged():
    city = _city()
    counts = np.random.default_rng(9).poisson(city.population / 500).astype(float)
    result = run_lens(city, _measure(counts), OPTIONS)
    assert not result["influence"]["flagged"] and "without" not in result["influence"]
    assert not any(w.startswith("One neighbourhood") for w in result["words"])


def test_independent_rows_keep_phes_intervals_where_they_show_no_extra_spread():
    city = _city()
    counts = np.random.default_rng(10).poisson(city.population / 400).astype(float)
    result = run_lens(city, _measure(counts), OPTIONS)
    rows = result["deprivation"]["tables"]["imd-decile"]["rows"]
    plain = [r for r in rows if r["dispersion"] == 1.0]
    assert plain, "Poisson counts: some deciles show no spread beyond Poisson"
    for r in plain:
        assert r["low"] == pytest.approx(r["phe_low"], rel=1e-12)
        assert r["high"] == pytest.approx(r["phe_high"], rel=1e-12)
    for r in rows:
        assert r["dispersion"] >= 1 and r["low"] <= r["phe_low"] and r["high"] >= r["phe_high"]


def test_every_p_value_shown_has_its_benjamini_hochberg_q_value():
    city = _city()
    counts = np.random.default_rng(12).poisson(city.population / 300).astype(float)
    result = run_lens(city, _measure(counts), OPTIONS)
    groups = [g for t in result["disparity"]["tables"] for g in t["groups"]]
    expected = stats.bh_adjust([g["p_value"] for g in groups])
    assert [g["q_value"] for g in groups] == pytest.approx(list(expected))
    areas = [a for t in result["disparity"]["tables"] for a in t["areas"]]
    assert all(a["q_value"] >= a["p_value"] for a in areas)
    flat = tables(result)
    assert "q_value" in flat["disparity"][0] and "q_value" in flat["disparity-areas"][0]
    assert {"phe_low", "phe_high", "dispersion", "effective"} <= set(flat["imd-decile"][0])
    assert "phe_sii_low" in flat["slope"][0]


# --- words that match the data ----------------------------------------------------------------

def test_the_words_name_the_rows_as_the_editor_does_and_say_their_age_and_filters():
    city = _city()
    counts = np.random.default_rng(13).poisson(city.population / 500).astype(float)
    measure = replace(_measure(counts), label="charge points", singular="charge point",
                      as_of=date(2021, 8, 10), filters=("max_kw ≥ 7",))
    result = run_lens(city, measure, replace(OPTIONS, today=date(2025, 1, 1)))
    words = result["words"]
    assert words[0].startswith(f"The data places {int(counts.sum()):,} charge points in")
    assert "(counting only rows where max_kw ≥ 7)" in words[0]
    assert "10 August 2021, more than 3 years ago" in words[1]
    assert "of the nearest charge point" in " ".join(words) or "access" not in result
    assert result["measure"]["filters"] == ["max_kw ≥ 7"]
    columns, rows = tables(result)["imd-decile"]
    assert columns[-1] == "filters" and rows[0]["filters"] == "max_kw ≥ 7"
    # not yet three years old: no warning
    young = run_lens(city, measure, replace(OPTIONS, today=date(2024, 8, 9)))
    assert not any("years ago" in w for w in young["words"])
    # one row is named in the singular
    one = np.zeros(N)
    one[5] = 1
    single = run_lens(city, replace(_measure(one), label="charge points",
                                    singular="charge point"), OPTIONS)
    assert single["words"][0].startswith("The data places 1 charge point in")


def test_incidents_are_said_as_where_they_happen():
    city = _city()
    counts = np.random.default_rng(14).poisson(city.population / 200).astype(float)
    xy = np.column_stack([np.arange(20) * 150.0 + 100, np.arange(20) * 150.0 + 100])
    measure = replace(_measure(counts, xy), label="fly-tipping reports", nature="incident")
    words = " ".join(run_lens(city, measure, OPTIONS)["words"])
    assert "The data records" in words and "of at least one of the fly-tipping reports" in words
    assert "where fly-tipping reports happen" in words.lower()
    service = " ".join(run_lens(city, replace(measure, nature="service"), OPTIONS)["words"])
    assert "The data places" in service and "of the nearest of the fly-tipping" in service


@pytest.mark.parametrize("nature, expect", [
    ("service", "for the group “Far” it is 40%, the lowest"),
    ("incident", "for the group “Near” it is 90%, the highest"),
])
def test_distance_names_the_group_least_reached_or_most_exposed(nature, expect):
    from commonground.lens.words import _access

    groups = [{"group": "Near", "residents": 500.0, "within": {"800": 0.9}},
              {"group": "Far", "residents": 500.0, "within": {"800": 0.4}}]
    result = {"measure": {"label": "things", "nature": nature},
              "access": {"all": {"within": {"800": 0.65}, "residents": 1000.0},
                         "tables": [{"universe": "residents", "groups": groups}]}}
    assert expect in _access(result)


def test_a_citys_neighbours_are_found_once_for_every_lens(monkeypatch):
    # queen contiguity takes seconds for England's 33,755 LSOAs: once per city, not per lens
    from commonground.lens import spatial

    calls = []
    original = spatial.queen_neighbours

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(spatial, "queen_neighbours", counted)
    city = _city()
    first = city.neighbours
    assert first == original(city.geometries, tolerance_m=1.0)
    assert city.neighbours is first and len(calls) == 1


def test_the_result_is_plain_json_with_hidden_and_empty_areas():
    # the per-area rows skip the walk that cleans the rest, so they must be built clean
    import json

    from commonground.lens.compute import jsonable
    from commonground.lens.rows import json_default

    city = _city()
    per_area = np.round(city.population / 150)
    per_area[:3] = [0.0, 1.0, 2.0]  # small counts: hidden under a threshold
    result = run_lens(city, _measure(per_area), replace(OPTIONS, threshold=5))
    assert result["disclosure"]["hidden_areas"] >= 2
    json.dumps(result, allow_nan=False, default=json_default)  # rows kept as columns: a list
    assert jsonable(result) == result

    def plain(x):
        if isinstance(x, dict):
            return all(type(k) is str and plain(v) for k, v in x.items())
        if isinstance(x, list):
            return all(plain(v) for v in x)
        return type(x) in (str, int, float, bool, type(None))

    assert plain(list(result["disparity"]["tables"][0]["areas"]))
    assert plain(list(result["where"]["areas"]))
    assert any(r["suppressed"] for r in result["where"]["areas"])
