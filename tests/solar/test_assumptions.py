"""Assumptions: every default sourced and dated, every one editable and checked; the
self-consumption curve through its published anchor."""

from __future__ import annotations

import re

import pytest

from commonground.solar import Assumptions, SolarInputError, self_consumption
from commonground.solar.assumptions import EDITED


def test_every_default_has_a_source_with_a_publisher_and_a_year():
    defaults = Assumptions.defaults()
    for name in Assumptions.field_names():
        source = defaults.sources[name]
        assert re.search(r"\b(19|20)\d\d\b", source), f"{name} has no year in its source"
        assert len(source) > 40, f"{name} source is too thin"
    assert set(defaults.as_dict()) == set(Assumptions.field_names())


@pytest.mark.parametrize(
    "name",
    ["cost_per_kwp_gbp", "seg_export_p_per_kwh", "retail_p_per_kwh", "grid_kgco2_per_kwh"],
)
def test_negative_prices_are_refused_with_the_field_named(name):
    with pytest.raises(SolarInputError) as caught:
        Assumptions.defaults().updated(**{name: -1})
    assert caught.value.field == name
    assert "negative" in str(caught.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("degradation_per_year", 0.5),
        ("lifetime_years", 0),
        ("lifetime_years", 25.5),
        ("annual_demand_kwh", 0),
        ("self_consumption_fraction", 1.2),
        ("usable_roof_fraction", 0),
        ("retail_p_per_kwh", "cheap"),
        ("retail_p_per_kwh", float("inf")),
    ],
)
def test_impossible_values_are_refused_with_the_field_named(name, value):
    with pytest.raises(SolarInputError) as caught:
        Assumptions.defaults().updated(**{name: value})
    assert caught.value.field == name


def test_unknown_assumption_is_refused():
    with pytest.raises(SolarInputError, match="discount_rate"):
        Assumptions.defaults().updated(discount_rate=0.03)


def test_edits_from_a_form_are_parsed_and_marked():
    edited = Assumptions.defaults().updated(
        retail_p_per_kwh="30.5", lifetime_years="20", self_consumption_fraction=""
    )
    assert edited.retail_p_per_kwh == 30.5
    assert edited.lifetime_years == 20
    assert edited.self_consumption_fraction is None
    assert edited.sources["retail_p_per_kwh"] == EDITED
    assert edited.sources["lifetime_years"] == EDITED
    # unchanged values keep their published source
    assert "Ofgem" not in edited.sources["cost_per_kwp_gbp"]
    assert "DESNZ" in edited.sources["cost_per_kwp_gbp"]
    # the defaults themselves are untouched
    assert Assumptions.defaults().retail_p_per_kwh == 26.11


def test_self_consumption_passes_through_the_measured_anchor():
    """McKenna, Pless & Darby (2018): 37% of generation used at home when self-consumption
    supplies 24% of demand, i.e. at generation = 0.24 / 0.37 = 0.649 x demand."""
    demand = 4000.0
    assert self_consumption(0.24 / 0.37 * demand, demand) == pytest.approx(0.37, abs=1e-12)


def test_self_consumption_falls_as_the_array_outgrows_demand_and_is_capped():
    demand = 2700.0
    shares = [self_consumption(g, demand) for g in (500, 1500, 2700, 5000, 20000)]
    assert shares == sorted(shares, reverse=True)
    assert shares[2] == pytest.approx(0.303, abs=0.001)  # generation = demand: ~30%
    # self-consumed energy never exceeds max_direct_use_share x demand (0.40 x 2,700 = 1,080)
    for generation in (2700, 10000, 100000):
        assert self_consumption(generation, demand) * generation <= 0.40 * demand + 1e-9
    assert self_consumption(0, demand) == pytest.approx(0.565, abs=0.001)


def test_self_consumption_rejects_a_cap_below_the_measurement():
    with pytest.raises(SolarInputError, match="max_direct_use_share"):
        self_consumption(1000, 2700, max_direct_use_share=0.2)
