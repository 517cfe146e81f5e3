"""The warm-homes ranking's arithmetic (``commonground.heat.campaign``, pure: no database):
weights checked, min–max scores, the weighted mean and its contributions, places shared on
whole points, fifths, and areas with a missing figure left unranked. Small hand-made
figures, each result worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from commonground.heat.campaign import (
    DEFAULT_WEIGHTS,
    WeightError,
    normalise,
    not_used,
    parse_weights,
    rank,
)


def _values(**columns):
    keys = ("fuel_poverty", "heating", "tenure", "deprivation")
    n = len(next(iter(columns.values())))
    return {k: np.asarray(columns.get(k, [0.0] * n), dtype=float) for k in keys}


def test_missing_or_blank_weights_take_their_defaults():
    assert parse_weights({}) == DEFAULT_WEIGHTS
    assert parse_weights({"heating": " 7 ", "tenure": ""}) == {**DEFAULT_WEIGHTS, "heating": 7}


@pytest.mark.parametrize("given, field", [
    ({"heating": "x"}, "heating"), ({"tenure": "-1"}, "tenure"), ({"deprivation": "2.5"},
                                                                   "deprivation"),
    ({"fuel_poverty": "101"}, "fuel_poverty"), ({"heating": "٣"}, "heating"),
    ({"fuel_poverty": 0, "heating": 0, "tenure": 0, "deprivation": 0}, "fuel_poverty")])
def test_a_bad_weight_is_refused_naming_it(given, field):
    with pytest.raises(WeightError) as caught:
        parse_weights(given)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")


def test_scores_run_from_the_lowest_to_the_highest():
    assert normalise(np.array([2.0, 4.0, 6.0])).tolist() == [0.0, 0.5, 1.0]
    assert normalise(np.array([3.0, 3.0])).tolist() == [0.0, 0.0]  # nothing to tell apart
    assert np.isnan(normalise(np.array([1.0, np.nan, 3.0]))[1])


def test_the_priority_is_the_weighted_mean_of_the_scores_and_its_parts_add_up():
    # fuel poverty 10, 20, 30 % → scores 0, .5, 1; heating 50, 0, 0 % → 1, 0, 0
    values = _values(fuel_poverty=[10, 20, 30], heating=[50, 0, 0])
    r = rank(values, {"fuel_poverty": 3, "heating": 1, "tenure": 0, "deprivation": 0})
    # 100 × (3 × s_fuel + 1 × s_heat) / 4
    assert r.priority.tolist() == pytest.approx([25.0, 37.5, 75.0])
    assert r.contributions["fuel_poverty"].tolist() == pytest.approx([0.0, 37.5, 75.0])
    assert r.contributions["heating"].tolist() == pytest.approx([25.0, 0.0, 0.0])
    assert r.order.tolist() == [2, 1, 0] and r.rank.tolist() == [3, 2, 1]
    # heating alone turns the order round
    r = rank(values, {"fuel_poverty": 0, "heating": 5, "tenure": 0, "deprivation": 0})
    assert r.order.tolist()[0] == 0 and r.rank.tolist() == [1, 2, 2]


def test_places_on_the_same_whole_point_are_shared_and_fifths_follow_the_places():
    # priorities 100, 60.2, 59.9, 0 → whole points 100, 60, 60, 0: places 1, =2, =2, 4
    values = _values(fuel_poverty=[1.0, 0.602, 0.599, 0.0])
    r = rank(values, {"fuel_poverty": 1, "heating": 0, "tenure": 0, "deprivation": 0})
    assert r.rank.tolist() == [1, 2, 2, 4]
    assert r.tied.tolist() == [False, True, True, False]
    # band = floor((place − 1) × 5 / 4) + 1
    assert r.band.tolist() == [1, 2, 2, 4]


def test_an_area_missing_a_weighted_figure_is_not_ranked_and_comes_last():
    values = _values(fuel_poverty=[5.0, np.nan, 9.0], heating=[1.0, 2.0, 3.0])
    r = rank(values, DEFAULT_WEIGHTS)
    assert r.rank.tolist()[1] == 0 and np.isnan(r.priority[1]) and r.order.tolist()[-1] == 1
    # its figure has no weight: it is ranked
    r = rank(values, {"fuel_poverty": 0, "heating": 1, "tenure": 0, "deprivation": 0})
    assert r.rank.tolist() == [3, 2, 1]


# A city's data without one of the factors (England's has no fuel poverty estimates): the ranking
# uses those it holds, their default weights' proportions kept, and says which weights it drops.
HELD = ("heating", "tenure", "deprivation")


def test_the_weights_are_those_of_the_factors_held_in_their_default_proportions():
    assert parse_weights({}, HELD) == {"heating": 25, "tenure": 15, "deprivation": 20}
    assert list(parse_weights({"tenure": "9"}, HELD)) == list(HELD)  # in the factors' order
    assert not_used({}, HELD) == {}


def test_a_weight_given_for_a_missing_factor_is_checked_then_said_not_used():
    given = {"fuel_poverty": "50", "heating": "10"}
    assert parse_weights(given, HELD) == {"heating": 10, "tenure": 15, "deprivation": 20}
    assert not_used(given, HELD) == {"fuel_poverty": 50}
    assert not_used({"fuel_poverty": "0"}, HELD) == {}  # 0 asks for what the data does anyway
    with pytest.raises(WeightError) as caught:  # a bad weight is bad whatever the data holds
        parse_weights({"fuel_poverty": "lots"}, HELD)
    assert caught.value.field == "fuel_poverty"


def test_weights_only_on_a_missing_factor_are_refused_naming_the_factors_held():
    given = {"fuel_poverty": "100", "heating": "0", "tenure": "0", "deprivation": "0"}
    with pytest.raises(WeightError) as caught:
        parse_weights(given, HELD)
    assert caught.value.field == "heating"
    assert "“Costly or no heating”, “Renting privately”, “Deprivation”" in str(caught.value)


def test_a_ranking_without_a_factor_is_the_weighted_mean_of_the_others():
    # heating 0, 10, 20 % → 0, .5, 1; tenure 30, 10, 20 % → 1, 0, .5; deprivation 5, 5, 45 → 0, 0, 1
    values = {"heating": np.array([0.0, 10, 20]), "tenure": np.array([30.0, 10, 20]),
              "deprivation": np.array([5.0, 5, 45])}
    r = rank(values, {"heating": 25, "tenure": 15, "deprivation": 20})
    # 100 × (25 s_h + 15 s_t + 20 s_d) / 60
    assert r.priority.tolist() == pytest.approx([25.0, 2500 / 120, 100 * 52.5 / 60])
    assert set(r.contributions) == set(HELD)
    assert r.contributions["tenure"].tolist() == pytest.approx([25.0, 0.0, 12.5])
    assert r.order.tolist() == [2, 0, 1] and r.rank.tolist() == [2, 3, 1]
