"""The household's numbers: money and carbon checked by hand, and the whole estimate."""

from __future__ import annotations

import json

import pytest

from commonground.solar import (
    Assumptions,
    SolarInputError,
    appraise,
    estimate,
    roof_from_inputs,
    specific_yield,
)


def test_money_and_carbon_by_hand():
    """4 kWp generating 3,600 kWh, 40% used at home, default prices (electricity at
    Ofgem's July-September 2026 cap, 26.11 p/kWh):

    self-consumed 3,600 x 0.40 = 1,440 kWh; exported 2,160 kWh
    bill saving 1,440 x 26.11 p = £375.984; export income 2,160 x 15 p = £324.00
    installed cost 4 x £1,876 = £7,504; payback 7,504 / 699.984 = 10.7202 years
    lifetime 3,600 x (1 - 0.995^25) / 0.005 = 3,600 x (1 - 0.882220) / 0.005
             = 3,600 x 23.5560 = 84,801.4 kWh
    CO2 84,801.4 x 0.177 kg / 1000 = 15.0099 t
    """
    a = Assumptions.defaults().updated(self_consumption_fraction=0.40)
    result = appraise(4.0, 3600.0, a)
    assert result.self_consumed_kwh == pytest.approx(1440.0)
    assert result.exported_kwh == pytest.approx(2160.0)
    assert result.bill_saving_gbp_per_year == pytest.approx(375.984)
    assert result.export_income_gbp_per_year == pytest.approx(324.0)
    assert result.benefit_gbp_per_year == pytest.approx(699.984)
    assert result.installed_cost_gbp == pytest.approx(7504.0)
    assert result.simple_payback_years == pytest.approx(10.7202, abs=1e-4)
    assert result.lifetime_kwh == pytest.approx(84801.4, abs=0.1)
    assert result.lifetime_co2_avoided_tonnes == pytest.approx(15.0099, abs=1e-4)
    assert (result.annual_kwh_low, result.annual_kwh_high) == pytest.approx((3240.0, 3960.0))


def test_no_degradation_means_years_times_annual():
    a = Assumptions.defaults().updated(degradation_per_year=0, self_consumption_fraction=0.5)
    result = appraise(2.0, 1800.0, a)
    assert result.lifetime_kwh == pytest.approx(1800.0 * 25)
    assert result.lifetime_co2_avoided_tonnes == pytest.approx(1800 * 25 * 0.177 / 1000)


def test_home_cannot_use_more_than_it_needs():
    """All generation 'used at home' is still capped at the household's 2,700 kWh."""
    a = Assumptions.defaults().updated(self_consumption_fraction=1.0)
    result = appraise(10.0, 9000.0, a)
    assert result.self_consumed_kwh == pytest.approx(2700.0)
    assert result.exported_kwh == pytest.approx(6300.0)
    assert result.self_consumption_fraction == pytest.approx(0.3)


def test_no_benefit_means_no_payback():
    a = Assumptions.defaults().updated(retail_p_per_kwh=0, seg_export_p_per_kwh=0)
    assert appraise(3.0, 2700.0, a).simple_payback_years is None


def test_estimate_for_a_typical_milton_keynes_roof():
    roof = roof_from_inputs(20, "S", "typical")
    result = estimate(roof)
    per_kwp = specific_yield(roof).annual_kwh_per_kwp
    assert result.kwp == pytest.approx(2.8)
    assert result.annual_kwh == pytest.approx(2.8 * per_kwp)
    assert sum(result.monthly_kwh) == pytest.approx(result.annual_kwh)
    assert result.annual_kwh_low == pytest.approx(0.9 * result.annual_kwh)
    assert result.self_consumed_kwh + result.exported_kwh == pytest.approx(result.annual_kwh)
    assert 0.25 < result.self_consumption_fraction < 0.40
    assert 5 < result.simple_payback_years < 20
    assert result.tenure == "own"


def test_as_dict_is_json_ready_and_shows_every_assumption():
    result = estimate(roof_from_inputs(30, "E", 30, "some"), tenure="rent")
    data = json.loads(json.dumps(result.as_dict()))
    assert data["roof"]["shading_factor"] == 0.8
    assert set(data["assumptions"]) == set(Assumptions.field_names())
    assert all(item["source"] for item in data["assumptions"].values())
    assert "system_losses" in data["model"] and "gamma_pdc" in data["model"]
    assert data["annual_kwh_range"][0] < data["annual_kwh"] < data["annual_kwh_range"][1]
    assert any("landlord" in note for note in data["notes"])
    assert any("Shading" in note for note in data["notes"])


def test_large_system_mentions_the_g98_limit():
    result = estimate(roof_from_inputs(60, "S", 35))  # 60 x 0.7 x 200 W = 8.4 kWp
    assert result.kwp == pytest.approx(8.4)
    assert any("G98" in note for note in result.notes)


def test_edited_assumptions_flow_through():
    roof = roof_from_inputs(20, "S", 35)
    cheaper = estimate(roof, Assumptions.defaults().updated(cost_per_kwp_gbp=1000))
    assert cheaper.installed_cost_gbp == pytest.approx(2800.0)
    assert cheaper.simple_payback_years < estimate(roof).simple_payback_years


def test_bad_tenure_is_refused():
    with pytest.raises(SolarInputError, match="tenure"):
        estimate(roof_from_inputs(20, "S"), tenure="squat")


def test_bad_appraisal_inputs_are_refused():
    with pytest.raises(SolarInputError, match="annual_kwh"):
        appraise(2.0, -10.0)
