"""Roof inputs as a person types them: parsed, checked, and the system size that fits."""

from __future__ import annotations

import math

import pytest

from commonground.solar import (
    ORIENTATIONS,
    Roof,
    Site,
    SolarInputError,
    roof_from_inputs,
    system_size_kwp,
)


def test_compass_points_words_and_degrees():
    assert ORIENTATIONS["S"] == 180.0 and ORIENTATIONS["NW"] == 315.0
    assert roof_from_inputs(20, "sw").azimuth_deg == 225.0
    assert roof_from_inputs(20, "South-West").azimuth_deg == 225.0
    assert roof_from_inputs(20, " north east ").azimuth_deg == 45.0
    assert roof_from_inputs(20, "200").azimuth_deg == 200.0
    assert roof_from_inputs(20, -90).azimuth_deg == 270.0
    assert roof_from_inputs(20, 200).compass == "S"


def test_typical_pitch_is_35_degrees():
    assert roof_from_inputs(20, "S").pitch_deg == 35.0
    assert roof_from_inputs(20, "S", "Typical").pitch_deg == 35.0
    assert roof_from_inputs(20, "S", "42.5").pitch_deg == 42.5


def test_drawn_outline_is_converted_to_sloping_area():
    """A 20 m² outline on the map under a 35° roof: 20 / cos 35° = 24.42 m² of roof."""
    roof = roof_from_inputs(20, "S", 35, area_from_outline=True)
    assert roof.area_m2 == pytest.approx(20 / math.cos(math.radians(35)))
    assert roof.area_m2 == pytest.approx(24.415, abs=0.001)
    assert roof_from_inputs(20, "S", 0, area_from_outline=True).area_m2 == 20.0


def test_system_size_by_hand():
    """20 m² x 0.70 usable x 200 W/m² = 2,800 W = 2.8 kWp."""
    assert system_size_kwp(Roof(20, 180, 35)) == pytest.approx(2.8)
    assert system_size_kwp(Roof(20, 180, 35), panel_w_per_m2=220, usable_fraction=0.5) == (
        pytest.approx(2.2)
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"area_m2": 0}, "area_m2"),
        ({"area_m2": -5}, "area_m2"),
        ({"area_m2": 10_001}, "area_m2"),
        ({"area_m2": float("nan")}, "area_m2"),
        ({"area_m2": "lots"}, "area_m2"),
        ({"pitch": 91}, "pitch_deg"),
        ({"pitch": -1}, "pitch_deg"),
        ({"pitch": "steep"}, "pitch_deg"),
        ({"orientation": "up"}, "orientation"),
        ({"orientation": "SSW"}, "orientation"),
        ({"orientation": 400}, "azimuth_deg"),
        ({"shading": "a bit"}, "shading"),
    ],
)
def test_impossible_inputs_raise_a_message_naming_the_field(kwargs, field):
    inputs = {"area_m2": 20, "orientation": "S", "pitch": 35, "shading": "none", **kwargs}
    with pytest.raises(SolarInputError) as caught:
        roof_from_inputs(**inputs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}:")
    assert isinstance(caught.value, ValueError)


def test_outline_under_a_near_vertical_pitch_is_refused():
    with pytest.raises(SolarInputError, match="pitch_deg"):
        roof_from_inputs(20, "S", 85, area_from_outline=True)


def test_huge_area_message_mentions_units():
    with pytest.raises(SolarInputError, match="square metres"):
        Roof(250_000, 180, 35)


def test_shading_is_case_insensitive_and_has_a_factor():
    roof = Roof(20, 180, 35, "Heavy")
    assert roof.shading == "heavy" and roof.shading_factor == 0.5


def test_system_size_rejects_impossible_panel_figures():
    with pytest.raises(SolarInputError, match="usable_fraction"):
        system_size_kwp(Roof(20, 180, 35), usable_fraction=1.5)
    with pytest.raises(SolarInputError, match="panel_w_per_m2"):
        system_size_kwp(Roof(20, 180, 35), panel_w_per_m2=-200)


def test_site_is_checked():
    with pytest.raises(SolarInputError, match="latitude"):
        Site(95, 0, 100, "Thames")
    with pytest.raises(SolarInputError, match="sap_region"):
        Site(52, 0, 100, "Narnia")
