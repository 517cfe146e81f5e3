"""Solar without a tape measure: a resident chooses the kind of home and gets an estimate from
its typical roof (editable), answers past a home's limits are refused naming the field, and
the options page does not ask again what the estimate asked."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from commonground.solar.homes import typical_roof

pytestmark = pytest.mark.django_db

NO_TAPE = {"postcode": "MK9 3EJ", "home_type": "semi-detached", "orientation": "S",
           "pitch": "typical", "shading": "none", "tenure": "own"}


def test_choosing_semi_detached_gives_an_estimate_without_measuring(client, loaded):
    response = client.get(reverse("energy:home"), NO_TAPE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your estimate" in html
    assert "A typical semi-detached house in England has 99.1 m² of floor" in html
    assert "English Housing Survey" in html  # the source, on the page
    assert 'placeholder="30"' in html  # the estimated roof, ready to be overwritten
    body = client.get("/api/energy/home", NO_TAPE).json()
    roof = typical_roof("semi-detached")
    assert body["roof_guess"]["area_m2"] == pytest.approx(roof.area_m2, abs=0.05)
    assert body["estimate"]["roof"]["area_m2"] == pytest.approx(roof.area_m2, abs=0.05)
    assert body["estimate"]["kwp"] == pytest.approx(4.23, abs=0.01)
    assert body["home_type"] == "semi-detached" and body["offer_home"] == "house"


def test_the_form_offers_every_kind_of_home(client, loaded):
    html = client.get(reverse("energy:home")).content.decode()
    for kind in ("detached", "semi-detached", "terraced", "bungalow", "flat"):
        assert f'name="home_type" value="{kind}"' in html


def test_a_measured_roof_wins_over_the_typical_one(client, loaded):
    body = client.get("/api/energy/home", {**NO_TAPE, "area_m2": "12"}).json()
    assert body["estimate"]["roof"]["area_m2"] == 12.0 and body["roof_guess"] is None
    detached = client.get("/api/energy/home", {**NO_TAPE, "home_type": "detached"}).json()
    semi = client.get("/api/energy/home", NO_TAPE).json()
    assert detached["estimate"]["kwp"] > semi["estimate"]["kwp"]
    flat = client.get("/api/energy/home", {**NO_TAPE, "home_type": "flat",
                                           "storeys": "6"}).json()
    assert flat["roof_guess"]["storeys"] == 6 and flat["offer_home"] == "flat"


@pytest.mark.parametrize("params, field, words", [
    # 5,000 m² x 0.70 x 200 W/m² = 700 kWp: no home's
    ({"area_m2": "5000"}, "area_m2", "would hold 700 kWp, more than any home"),
    ({"area_m2": "400"}, "area_m2", "more than any home"),
    ({"area_m2": "", "home_type": ""}, "area_m2", "choose the kind of home"),
    ({"home_type": "castle"}, "home_type", "Kind of home"),
    ({"home_type": "flat", "storeys": "0"}, "storeys", "Floors in the building"),
])
def test_answers_past_a_home_are_refused_naming_the_field(client, loaded, params, field,
                                                          words):
    page = client.get(reverse("energy:home"), {**NO_TAPE, **params})
    assert page.status_code == 400
    html = page.content.decode()
    assert "Please check" in html and words in html and "Your estimate" not in html
    assert f'<a href="#{field}">' in html  # the summary links to the field
    query = {k: v for k, v in {**NO_TAPE, **params}.items() if v != ""}
    api = client.get("/api/energy/home", query)
    if field == "storeys":  # the API's schema refuses 0 floors itself (422)
        assert api.status_code == 422
    else:
        assert api.status_code == 400 and f"(field: {field})" in api.json()["detail"]


def test_the_options_page_carries_the_estimates_answers(client, loaded):
    html = client.get(reverse("energy:home"), NO_TAPE).content.decode()
    link = re.search(r'href="(/energy/options/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(link).query) == {"postcode": ["MK9 3EJ"], "tenure": ["own"],
                                              "home": ["house"]}
    options = client.get(link)
    assert options.status_code == 200
    page = options.content.decode()
    assert "Your answers: postcode MK9 3EJ; you own a house." in page
    assert "for MK9 3EJ</h2>" in page  # the options, straight away
    asked = page.split("<summary>Change your answers</summary>")[0]
    # not asked again: the questions are folded away, only low income is new
    assert "Do you own or rent your home?" not in asked and 'name="postcode" value="MK9 3EJ"' in asked
    assert 'type="hidden" name="home" value="house"' in asked and 'name="low_income"' in asked


def test_a_flat_carries_through_as_a_flat_and_an_unknown_home_is_asked(client, loaded):
    html = client.get(reverse("energy:home"), {**NO_TAPE, "home_type": "flat",
                                               "tenure": "rent"}).content.decode()
    assert "home=flat" in html and "tenure=rent" in html
    assert "belongs to the building" in html  # a flat's roof is its share of the building's
    first_visit = client.get(reverse("energy:options")).content.decode()
    assert "Do you own or rent your home?" in first_visit and "Your answers" not in first_visit
