"""HTML pages: a resident can find a place and read its profile, errors are helpful pages."""

import pytest


@pytest.fixture
def web(client, loaded):
    return client


def test_home_has_search_and_a_clickable_map(web):
    html = web.get("/").content.decode()
    assert 'for="q"' in html and "Place name, area code or postcode" in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert svg.count('<a href="/places/lsoa21/') == 166
    # each neighbourhood is listed beside the map too: on a phone many are too small to tap
    assert html.replace(svg, "").count('<a href="/places/lsoa21/') == 166
    assert "Bletchley East" in html


def test_home_lists_a_city_s_wards_but_sends_a_country_s_thousands_to_search(web, monkeypatch):
    from commonground.places import views

    html = web.get("/").content.decode()
    assert html.count('<li><a href="/places/ward/') == 19
    monkeypatch.setattr(views, "MAX_LISTED_WARDS", 18)
    html = web.get("/").content.decode()
    assert html.count('<li><a href="/places/ward/') == 0
    assert "has 19 wards, too many to list here" in html and 'href="/places/search"' in html


def test_searching_a_place_name_lists_matching_areas(web):
    response = web.get("/places/search", {"q": "Bletchley"})
    html = response.content.decode()
    assert response.status_code == 200
    for ward in ("Bletchley East", "Bletchley Park", "Bletchley West"):
        assert ward in html


@pytest.mark.parametrize("q,target", [("E05009406", "/places/ward/E05009406/"),
                                      ("E01016710", "/places/lsoa21/E01016710/"),
                                      ("MK2 2HB", "/places/lsoa21/")])
def test_a_code_or_postcode_goes_straight_to_the_profile(web, q, target):
    response = web.get("/places/search", {"q": q})
    assert response.status_code == 302 and response["Location"].startswith(target)


def test_a_search_with_no_match_explains_what_to_try(web):
    response = web.get("/places/search", {"q": "Atlantis"})
    assert response.status_code == 404
    assert "No place in Milton Keynes matches" in response.content.decode()


def test_profile_page_shows_deprivation_census_map_and_sources(web):
    html = web.get("/places/lsoa21/E01016710/").content.decode()
    assert "<h1>Milton Keynes 030A</h1>" in html
    assert "Indices of Deprivation 2025" in html and "Indices of Deprivation 2019" in html
    assert "12,226" in html  # national IMD rank, IoD 2025
    assert "Share in Milton Keynes" in html
    assert "Open Government Licence v3.0" in html
    assert 'stroke-width' in html and "<svg" in html
    assert "Bletchley East" in html  # its ward, under "Part of"


@pytest.mark.parametrize("url", ["/places/ward/E05009406/", "/places/msoa21/E02003488/",
                                 "/places/lad/E06000042/", "/places/lsoa11/E01016710/",
                                 "/places/msoa11/E02003459/", "/places/oa11/E00084328/", "/places/data"])
def test_every_kind_of_area_page_renders(web, url):
    assert web.get(url).status_code == 200


def test_an_unknown_area_is_a_helpful_404_page(web):
    response = web.get("/places/lsoa21/E01999999/")
    assert response.status_code == 404
    assert "We could not find that place" in response.content.decode()


def test_lookup_goes_to_the_neighbourhood_at_a_point(web):
    response = web.get("/places/lookup", {"lat": "52.04", "lon": "-0.76"})
    assert response.status_code == 302 and response["Location"] == "/places/lsoa21/E01033500/"


@pytest.mark.parametrize("lat,lon,message", [("abc", "-0.76", "Latitude must be a number"),
                                             ("52.04", "", "Longitude must be a number"),
                                             ("51.5", "-0.12", "outside Milton Keynes"),
                                             ("200", "0", "between -90 and 90")])
def test_bad_coordinates_get_an_error_summary(web, lat, lon, message):
    response = web.get("/places/lookup", {"lat": lat, "lon": lon})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html and message in html


def test_pages_before_any_load_explain_how_to_load(client, db):
    from commonground.places.models import LoadRun

    LoadRun.objects.all().delete()
    response = client.get("/")
    assert response.status_code == 503 and "load_places" in response.content.decode()
