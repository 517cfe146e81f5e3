"""The JSON API: same profile as the page, clear JSON errors, a valid OpenAPI document."""

import json
from html import escape

import pytest
from openapi_spec_validator import validate


@pytest.fixture
def api(client, loaded):
    return client


def test_openapi_document_is_valid(api):
    schema = api.get("/api/openapi.json").json()
    validate(schema)
    assert "/api/places/areas/{geography}/{code}" in schema["paths"]
    assert api.get("/api/docs").status_code == 200


def test_profile_json_matches_the_service(api):
    from commonground.places.profiles import area_profile

    body = api.get("/api/places/areas/ward/E05009406").json()
    assert body["area"]["name"] == "Bletchley East"
    in_short = body.pop("in_short")
    assert body == json.loads(json.dumps(area_profile("ward", "E05009406")))
    page = api.get("/places/ward/E05009406/").content.decode()
    assert 5 <= len(in_short["sentences"]) <= 8
    assert all(escape(s) in page for s in in_short["sentences"])  # the page's own words
    assert body["deprivation"][0]["rows"][0]["domain"] == "Index of Multiple Deprivation"


def test_lookup_returns_lsoa_msoa_and_ward(api):
    body = api.get("/api/places/lookup", {"lat": 52.04, "lon": -0.76}).json()
    assert body["base"]["code"] == "E01033500"
    assert body["areas"]["msoa21"]["code"] == "E02003472"
    assert body["areas"]["ward"]["name"] == "Central Milton Keynes"


@pytest.mark.parametrize("url,status,needle", [
    ("/api/places/areas/lsoa21/E01999999", 404, "E01999999"),
    ("/api/places/areas/nonsense/XX", 404, "XX"),
    ("/api/places/lookup?lat=51.5&lon=-0.12", 404, "outside Milton Keynes"),
    ("/api/places/lookup?lat=north&lon=-0.76", 422, "lat"),
    ("/api/places/lookup?lat=95&lon=-0.76", 422, "lat"),
    ("/api/places/lookup?lon=-0.76", 422, "lat"),
    ("/api/places/search", 422, "q"),
    # a slash in a path value matches no operation: still a JSON error, not the 404 page
    ("/api/places/areas/ward/E05009406%2Fx", 404, "no API operation"),
    ("/api/catalogue/datasets/a%2Fb/lens", 404, "no API operation"),
])
def test_bad_requests_get_json_errors(api, url, status, needle):
    response = api.get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert needle in response.content.decode()


def test_a_request_that_does_not_fit_the_document_names_each_problem(api):
    body = api.get("/api/places/lookup", {"lat": "95"}).json()
    assert body["detail"].startswith("lat (query): Input should be less than or equal to 90")
    assert "lon (query): Field required" in body["detail"]
    assert [e["loc"] for e in body["errors"]] == [["query", "lat"], ["query", "lon"]]


def test_search_and_geographies(api):
    found = api.get("/api/places/search", {"q": "bletchley"}).json()
    assert [a["name"] for a in found["areas"][:3]] == ["Bletchley East", "Bletchley Park", "Bletchley West"]
    geos = {g["geography"]: g for g in api.get("/api/places/geographies").json()}
    assert geos["lsoa21"]["areas"] == 166 and not geos["oa11"]["profiled"]


def test_load_report_lists_mismatches(api):
    body = api.get("/api/places/load").json()
    assert body["city"] == "Milton Keynes" and body["mismatches"] == []


def test_api_before_any_load_says_so(client, db):
    from commonground.places.models import LoadRun

    LoadRun.objects.all().delete()
    response = client.get("/api/places/geographies")
    assert response.status_code == 503 and "load_places" in response.json()["detail"]
