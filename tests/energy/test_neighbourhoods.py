"""Neighbourhood solar potential on the real Census 2021 tables: own-roof households and
those shut out, with the lens saying who they are."""

from __future__ import annotations

import csv

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_shut_out_households_follow_from_the_census_tables(client, loaded, data_dir):
    body = client.get("/api/energy/neighbourhoods").json()
    with open(data_dir / "census2021" / "mk_census21_ts044_accommodation_type_lsoa21.csv",
              newline="", encoding="utf-8") as f:
        homes = {r["lsoa21_code"]: r for r in csv.DictReader(f)}
    with open(data_dir / "census2021" / "mk_census21_ts054_tenure_lsoa21.csv",
              newline="", encoding="utf-8") as f:
        tenure = {r["lsoa21_code"]: r for r in csv.DictReader(f)}
    assert len(body["areas"]) == 166
    for area in body["areas"][:20]:
        h, t = homes[area["code"]], tenure[area["code"]]
        houses = int(h["Detached"]) + int(h["Semi-detached"]) + int(h["Terraced"])
        owners = int(t["Owned: Owns outright"]) + int(t["Owned: Owns with a mortgage or loan"])
        share = owners / sum(int(v) for k, v in t.items() if k not in (
            "lsoa21_code", "lsoa21_name", "total_households"))
        assert area["houses"] == houses
        assert area["own_roof"] == round(houses * share)
        assert 0 <= area["shut_out_share"] <= 100
    totals = body["totals"]
    assert totals["own_roof"] + totals["shut_out"] == pytest.approx(totals["households"], abs=2)


def test_the_page_says_who_is_shut_out_with_a_map_and_every_neighbourhood(client, loaded):
    response = client.get(reverse("energy:neighbourhoods"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "shut out" in html and 'id="shutout-' in html
    body = client.get("/api/energy/neighbourhoods").json()
    assert body["words"] and all(w[:40] in html for w in body["words"])
    quintiles = body["deprivation"]["tables"]["imd-quintile"]["rows"]
    # renting and flats are commoner where deprivation is higher
    assert quintiles[0]["value"] > quintiles[4]["value"]
    by_people = client.get(reverse("energy:neighbourhoods"), {"sort": "residents_shut_out"})
    assert by_people.status_code == 200


def test_a_region_s_thousands_of_neighbourhoods_are_listed_a_page_at_a_time(client, loaded, monkeypatch):
    from commonground.energy import views

    monkeypatch.setattr(views, "NEIGHBOURHOODS_PER_PAGE", 50)
    first = client.get(reverse("energy:neighbourhoods"), {"sort": "name"}).content.decode()
    last = client.get(reverse("energy:neighbourhoods"), {"sort": "name", "page": 4}).content.decode()
    every = sorted(a["name"] for a in client.get("/api/energy/neighbourhoods").json()["areas"])
    assert len(every) == 166
    listed = [first.count(f'">{name}</a></th>') for name in every[:50]]
    assert listed == [1] * 50 and f'">{every[50]}</a></th>' not in first
    assert "Page 1 of 4 (166 neighbourhoods)" in first and 'href="?sort=name&amp;page=2"' in first
    assert all(f'">{name}</a></th>' in last for name in every[150:])
