"""A roof without a tape measure: each kind of home gives a typical roof from a published
floor area, worked by hand; and no answer past the limits of a home is accepted."""

from __future__ import annotations

import math

import pytest

from commonground.solar import SolarInputError, roof_from_inputs, system_size_kwp
from commonground.solar.homes import (
    FLOOR_AREA_SOURCE,
    HOME_KINDS,
    MAX_HOME_KWP,
    check_fits_a_home,
    home_kind,
    max_home_roof_m2,
    typical_roof,
)

COS_35 = math.cos(math.radians(35))


@pytest.mark.parametrize("kind", list(HOME_KINDS))
def test_every_kind_of_home_gives_a_roof_from_its_sourced_floor_area(kind):
    guess = typical_roof(kind)
    home = HOME_KINDS[kind]
    assert guess.floor_area_m2 == home.floor_area_m2 > 0
    # one of a pitched roof's two sides over the ground floor, along a 35° slope
    assert guess.area_m2 == pytest.approx(home.floor_area_m2 / home.storeys / 2 / COS_35)
    described = guess.as_dict()
    assert "English Housing Survey" in described["source"] == FLOOR_AREA_SOURCE
    assert "2023" in described["source"] and f"{home.floor_area_m2:g} m²" in described["working"]


def test_a_semi_detached_roof_worked_by_hand():
    """99.1 m² over 2 floors = 49.55 m² of ground; half, 24.775 m², is one side seen from
    above; 24.775 / cos 35° = 30.245 m² of roof; x 0.70 covered x 200 W/m² = 4.23 kWp."""
    guess = typical_roof("semi-detached")
    assert guess.footprint_m2 == pytest.approx(49.55)
    assert guess.plan_m2 == pytest.approx(24.775)
    assert guess.area_m2 == pytest.approx(30.245, abs=0.001)
    kwp = system_size_kwp(roof_from_inputs(guess.area_m2, "S"))
    assert kwp == pytest.approx(4.234, abs=0.001)
    assert "30.2 m² along a 35° slope" in guess.working()


def test_bigger_homes_have_bigger_roofs_and_a_flat_only_a_share():
    area = {kind: typical_roof(kind).area_m2 for kind in HOME_KINDS}
    assert area["detached"] > area["semi-detached"] > area["terraced"] > area["flat"]
    assert area["bungalow"] > area["terraced"]  # all its floor is under one roof
    assert HOME_KINDS["flat"].shared_roof and not HOME_KINDS["detached"].shared_roof
    assert typical_roof("flat").as_dict()["shared_roof"] is True


def test_the_resident_can_change_the_floors_and_the_pitch():
    assert typical_roof("flat", storeys=6).area_m2 == pytest.approx(
        typical_roof("flat").area_m2 / 2)
    assert typical_roof("detached", storeys="3").storeys == 3
    assert typical_roof("terraced", pitch=0).area_m2 == pytest.approx(91.9 / 2 / 2)
    assert typical_roof("terraced", pitch="45").area_m2 == pytest.approx(
        91.9 / 4 / math.cos(math.radians(45)))


@pytest.mark.parametrize("typed, key", [("Semi detached", "semi-detached"), ("semi", "semi-detached"),
                                        ("end-terrace", "terraced"), ("maisonette", "flat"),
                                        (" Detached ", "detached")])
def test_the_names_people_use_for_their_home(typed, key):
    assert home_kind(typed) == key


@pytest.mark.parametrize("args, field", [
    (("castle",), "home_type"),
    (("", ), "home_type"),
    (("semi-detached", "85"), "pitch_deg"),
    (("flat", "typical", "0"), "storeys"),
    (("flat", "typical", "2.5"), "storeys"),
    (("flat", "typical", "500"), "storeys"),
    (("flat", "typical", "many"), "storeys"),
])
def test_an_impossible_home_is_refused_naming_the_field(args, field):
    with pytest.raises(SolarInputError) as err:
        typical_roof(*args)
    assert err.value.field == field


def test_a_system_past_a_home_is_refused_with_the_reason_on_the_roof_area():
    """5,000 m² x 0.70 x 200 W/m² = 700 kWp: fourteen times the 50 kW a home may have."""
    kwp = system_size_kwp(roof_from_inputs(5000, "S"))
    assert kwp == pytest.approx(700.0)
    with pytest.raises(SolarInputError) as err:
        check_fits_a_home(5000, kwp)
    assert err.value.field == "area_m2"
    assert "700 kWp" in err.value.message and "50 kWp" in err.value.message
    assert "Energy Act 2004" in err.value.message
    # the largest roof plane a home's system can fill: 50,000 W / (200 W/m² x 0.70)
    assert max_home_roof_m2() == pytest.approx(357.14, abs=0.01)
    check_fits_a_home(357, system_size_kwp(roof_from_inputs(357, "S")))  # just a home
    for kind in HOME_KINDS:  # every typical home is far inside the limit
        guess = typical_roof(kind)
        assert system_size_kwp(roof_from_inputs(guess.area_m2, "S")) < MAX_HOME_KWP / 5


def test_the_home_limit_follows_the_edited_panel_density():
    kwp = system_size_kwp(roof_from_inputs(250, "S"), panel_w_per_m2=300)
    assert kwp == pytest.approx(52.5)
    with pytest.raises(SolarInputError, match="at most 238 m²"):
        check_fits_a_home(250, kwp, panel_w_per_m2=300)
