"""“Solar for my home”: a resident's estimate from a real Milton Keynes postcode, on the page
and from the API, with every assumption sourced and every bad input named."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

HOME = {"postcode": "MK9 3EJ", "area_m2": "20", "orientation": "S", "pitch": "typical",
        "shading": "none", "tenure": "own"}


def _api(client, **params):
    return client.get("/api/energy/home", {**HOME, **params})


def test_a_resident_gets_an_estimate_for_a_real_postcode(client, loaded):
    response = client.get(reverse("energy:home"), HOME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your estimate" in html and "MK9 3EJ" in html and "kWp" in html
    body = _api(client).json()
    e = body["estimate"]
    assert body["place"]["area"]["geography"] == "lsoa21"
    assert 850 <= e["specific_yield_kwh_per_kwp"] <= 1000  # published UK range, south 35°
    assert e["annual_kwh_range"][0] < e["annual_kwh"] < e["annual_kwh_range"][1]
    assert e["self_consumed_kwh"] + e["exported_kwh"] == pytest.approx(e["annual_kwh"], abs=1)
    for name, a in e["assumptions"].items():
        assert a["source"], f"{name} has no source"
    assert f"£{e['installed_cost_gbp']:,.0f}" in html


def test_every_assumption_can_be_changed_and_is_then_marked_as_edited(client, loaded):
    default = _api(client).json()["estimate"]
    cheaper = _api(client, retail_p_per_kwh="20").json()["estimate"]
    assert cheaper["bill_saving_gbp_per_year"] < default["bill_saving_gbp_per_year"]
    assert cheaper["assumptions"]["retail_p_per_kwh"]["source"].lower().startswith("edited")
    page = client.get(reverse("energy:home"), {**HOME, "retail_p_per_kwh": "20"})
    assert 'value="20"' in page.content.decode()


def test_roofs_come_out_in_the_right_order(client, loaded):
    yields = {o: _api(client, orientation=o).json()["estimate"]["specific_yield_kwh_per_kwp"]
              for o in ("S", "E", "W", "N")}
    flat = _api(client, pitch="0").json()["estimate"]["specific_yield_kwh_per_kwp"]
    shaded = _api(client, shading="heavy").json()["estimate"]["specific_yield_kwh_per_kwp"]
    assert yields["S"] > flat > yields["E"] > yields["N"]
    assert yields["E"] == pytest.approx(yields["W"], rel=0.02)
    assert shaded < yields["N"]


def test_renters_are_told_what_own_roof_solar_means_for_them(client, loaded):
    notes = _api(client, tenure="rent").json()["estimate"]["notes"]
    assert any("landlord" in n.lower() or "rent" in n.lower() for n in notes)


@pytest.mark.parametrize("params, field, words, status", [
    # shaped like a postcode but not one of the city's: the API says Not Found
    ({"postcode": "SW1A 1AA"}, "postcode", "we do not know SW1A 1AA", 404),
    ({"postcode": "not a postcode"}, "postcode", "is not a postcode", 400),
    ({"area_m2": "0"}, "area_m2", "Roof area", 400),
    ({"area_m2": "50000"}, "area_m2", "Roof area", 400),
    ({"pitch": "95"}, "pitch", "Roof pitch", 400),
    ({"orientation": "up"}, "orientation", "Direction", 400),
    ({"retail_p_per_kwh": "-3"}, "retail_p_per_kwh", "Electricity price: cannot be negative", 400),
    ({"tenure": "squat"}, "tenure", "own or rent", 400),
])
def test_bad_input_gets_a_clear_message_on_the_page_and_from_the_api(client, loaded, params,
                                                                     field, words, status):
    response = _api(client, **params)
    assert response.status_code == status
    assert words in response.json()["detail"] and f"(field: {field})" in response.json()["detail"]
    page = client.get(reverse("energy:home"), {**HOME, **params})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please check" in html and words.replace("“", "") .split(":")[0] in html
    assert "Your estimate" not in html


def test_the_empty_form_asks_for_a_postcode_and_a_roof(client, loaded):
    page = client.get(reverse("energy:home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="postcode"' in html and 'name="area_m2"' in html
    assert "Assumptions (change any)" in html and "Ofgem" in html


def test_the_energy_pages_are_linked_from_one_place(client, loaded):
    html = client.get(reverse("energy:index")).content.decode()
    for name in ("home", "options", "neighbourhoods", "buildings", "reach", "provider"):
        assert reverse(f"energy:{name}") in html
    assert 'href="/energy/"' in client.get("/").content.decode()


def test_a_resident_without_a_postcode_chooses_their_neighbourhood_on_the_map(client, loaded):
    page = client.get(reverse("energy:home")).content.decode()
    code = loaded.base_areas[0].code
    assert f"?lsoa={code}" in page  # every neighbourhood on the map is a link
    chosen = client.get(reverse("energy:home"), {"lsoa": code}).content.decode()
    assert "Neighbourhood chosen on the map" in chosen
    result = client.get(reverse("energy:home"), {**HOME, "postcode": "", "lsoa": code})
    assert result.status_code == 200 and "Your estimate" in result.content.decode()
    bad = client.get(reverse("energy:home"), {**HOME, "postcode": "", "lsoa": "E01999999"})
    assert bad.status_code == 400


def test_a_payback_longer_than_the_years_counted_is_said_so(client, loaded):
    html = client.get(reverse("energy:home"), {**HOME, "orientation": "N", "pitch": "90",
                                               "shading": "heavy",
                                               "cost_per_kwp_gbp": "3000"}).content.decode()
    assert "longer than the 25 years counted" in html


def test_a_pvgis_typical_year_file_can_be_uploaded_for_a_better_estimate(client, loaded,
                                                                         tmp_path):
    from commonground.solar import MILTON_KEYNES, sap_weather
    from tests.solar.test_tmy import write_pvgis_tmy_csv

    path = write_pvgis_tmy_csv(tmp_path / "tmy_52.040_-0.760_2005_2020.csv",
                               sap_weather(MILTON_KEYNES).data, 52.04, -0.76, 100.0)
    with open(path, "rb") as f:
        response = client.post(reverse("energy:home"), {**HOME, "weather_file": f})
    assert response.status_code == 200
    assert "PVGIS typical meteorological year" in response.content.decode()
    far = write_pvgis_tmy_csv(tmp_path / "tmy_40.000_-3.700_2005_2020.csv",
                              sap_weather(MILTON_KEYNES).data, 40.0, -3.7, 650.0)
    with open(far, "rb") as f:
        refused = client.post(reverse("energy:home"), {**HOME, "weather_file": f})
    assert refused.status_code == 400 and "use a file for the site" in refused.content.decode()
    broken = tmp_path / "nonsense.csv"
    broken.write_text("not weather\n")
    with open(broken, "rb") as f:
        bad = client.post(reverse("energy:home"), {**HOME, "weather_file": f})
    assert bad.status_code == 400 and "Weather file" in bad.content.decode()
