"""Generation per kWp: the published range for Milton Keynes, SAP's own method as a check, and
the order and proportion of orientations, pitches and shading."""

from __future__ import annotations

import time

import pytest

from commonground.solar import (
    MILTON_KEYNES,
    Roof,
    estimate,
    roof_from_inputs,
    sap,
    specific_yield,
)


def yield_for(orientation, pitch=35.0, shading="none") -> float:
    return specific_yield(roof_from_inputs(20, orientation, pitch, shading)).annual_kwh_per_kwp


def test_south_35_in_milton_keynes_is_within_published_uk_figures():
    """A south-facing 35° roof at about 52° N yields about 850-1,000 kWh per kWp a year: the
    range the issue quotes from published UK figures for southern and central England. SAP's
    own PV method (BRE, SAP 2012 Appendix M, equation M1: 0.8 x kWp x S, S from section U3.3)
    gives 0.8 x 1,140 = 912 kWh/kWp for the Thames region."""
    annual = yield_for("S")
    assert 850.0 <= annual <= 1000.0


def test_south_35_agrees_with_sap_appendix_m_within_5_percent():
    """Independent check: SAP 2012 Appendix M, E = 0.8 x S x Z_PV per kWp, with S the annual
    radiation on the plane by SAP section U3.2 (Tables U3-U5). Tolerance 5%."""
    sap_estimate = sap.SAP_PV_SYSTEM_FACTOR * sap.inclined_irradiation("Thames", 180, 35).sum()
    assert sap_estimate == pytest.approx(912.0, abs=1.0)  # 0.8 x 1,140 kWh/m²
    assert yield_for("S") == pytest.approx(sap_estimate, rel=0.05)


@pytest.mark.parametrize("orientation", ["S", "SE", "SW", "E", "W", "N", "NE"])
def test_plane_irradiation_agrees_with_sap_inclined_method_within_5_percent(orientation):
    """pvlib's hourly Perez transposition of the SAP-shaped year against SAP's own monthly
    regression for inclined surfaces (SAP 2012 U3.2, Table U5) at 35°: annual plane
    irradiation within 5%."""
    roof = roof_from_inputs(20, orientation, 35)
    modelled = specific_yield(roof).annual_plane_kwh_per_m2
    expected = sap.inclined_irradiation("Thames", roof.azimuth_deg, 35.0).sum()
    assert modelled == pytest.approx(expected, rel=0.05)


def test_orientations_come_out_in_the_right_order_and_proportion():
    """At 35°: south > south-east ~ south-west > east ~ west > north. East and west within 2%
    of each other (as are SE and SW); east/west 80-90% of south; north 55-70% of south
    (SAP U3.2 for Thames: E/W 84%, N 65% of south)."""
    s, se, sw, e, w, n = (yield_for(o) for o in ("S", "SE", "SW", "E", "W", "N"))
    assert s > max(se, sw) and min(se, sw) > max(e, w) and min(e, w) > n
    assert abs(e - w) / s < 0.02
    assert abs(se - sw) / s < 0.02
    assert 0.80 <= e / s <= 0.90 and 0.80 <= w / s <= 0.90
    assert 0.55 <= n / s <= 0.70


def test_flat_roof_is_85_to_95_percent_of_south_35():
    """Horizontal modules catch the SAP horizontal irradiation (1,019 kWh/m²) against 1,140 on a
    south 35° plane (SAP U3.2): about 89%."""
    assert 0.85 <= yield_for("S", 0) / yield_for("S") <= 0.95
    # on a flat roof the stated orientation makes no difference
    assert yield_for("N", 0) == pytest.approx(yield_for("S", 0), rel=1e-12)


def test_tilt_near_latitude_minus_15_beats_flat_and_vertical():
    south = {pitch: yield_for("S", pitch) for pitch in (0, 20, 35, 50, 90)}
    assert south[35] > south[0] and south[35] > south[90]
    assert south[35] > south[50] > south[90]
    assert south[90] / south[35] == pytest.approx(0.72, abs=0.07)  # a south wall ~ 70%


def test_shading_scales_output_by_the_sap_overshading_factor():
    """SAP overshading factor: some (modest) 0.8, heavy 0.5 of the unshaded output, exactly."""
    none, some, heavy = (yield_for("S", 35, s) for s in ("none", "some", "heavy"))
    assert some / none == pytest.approx(0.8, rel=1e-12)
    assert heavy / none == pytest.approx(0.5, rel=1e-12)
    assert none > some > heavy


def test_generation_is_summer_heavy_and_sums_to_the_year():
    result = specific_yield(roof_from_inputs(20, "S", 35))
    months = result.kwh_per_kwp
    assert sum(months) == pytest.approx(result.annual_kwh_per_kwp)
    assert min(months[4:7]) > 4 * months[11]  # May-July against December
    assert 0.75 < result.performance_ratio < 0.90  # typical for a well-built UK system


def test_generation_is_linear_in_system_size():
    small = estimate(Roof(20, 180, 35))
    large = estimate(Roof(40, 180, 35))
    assert large.kwp == pytest.approx(2 * small.kwp)
    assert large.annual_kwh == pytest.approx(2 * small.annual_kwh)


def test_repeated_estimates_are_fast():
    """After the first call for a roof the clear-sky year and per-kWp yield are cached: an
    estimate then takes well under 50 ms."""
    roof = roof_from_inputs(25, "SW", 40)
    estimate(roof)
    started = time.perf_counter()
    for _ in range(10):
        estimate(roof)
    assert (time.perf_counter() - started) / 10 < 0.050


def test_default_site_is_milton_keynes():
    roof = Roof(20, 180, 35)
    assert specific_yield(roof) == specific_yield(roof, MILTON_KEYNES)
