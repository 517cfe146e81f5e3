"""Area profiles on the real Milton Keynes data, checked against the published files."""

from __future__ import annotations

import csv

import numpy as np
import pytest
import shapely

from commonground.geography.projection import bng_to_lonlat
from commonground.places import profiles, search


def read_csv(data_dir, relative):
    with open(data_dir / relative, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def ward_lsoas(data_dir):
    rows = read_csv(data_dir, "lookups/mk_lsoa21_msoa21_ward24_lookup.csv")
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["WD24CD"], []).append(r["LSOA21CD"])
    return out


def test_an_lsoa_profile_shows_iod_2025_for_every_domain(loaded, data_dir):
    p = profiles.area_profile("lsoa21", "E01016710")
    published = {r["lsoa21_code"]: r for r in read_csv(data_dir, "deprivation/mk_iod2025_lsoa21.csv")}["E01016710"]
    iod2025 = next(d for d in p["deprivation"] if "2025" in d["title"])
    imd = next(r for r in iod2025["rows"] if r["domain"] == "Index of Multiple Deprivation")
    assert imd["score"] == pytest.approx(float(published["imd_score"]))
    assert imd["rank"] == int(published["imd_rank"]) == 12226
    assert imd["decile"] == int(published["imd_decile"]) == 4
    domains = {r["domain"] for r in iod2025["rows"]}
    assert {"Income", "Employment", "Education, skills and training", "Health deprivation and disability",
            "Crime", "Barriers to housing and services", "Living environment"} <= domains
    # rank within the city: 1 = most deprived of the 166
    all_ranks = sorted(int(r["imd_rank"]) for r in read_csv(data_dir, "deprivation/mk_iod2025_lsoa21.csv"))
    assert imd["city_rank"] == all_ranks.index(12226) + 1 and imd["city_rank_of"] == 166


def test_an_unchanged_lsoa_shows_iod_2019_of_the_same_code(loaded):
    p = profiles.area_profile("lsoa21", "E01016710")
    iod2019 = next(d for d in p["deprivation"] if "2019" in d["title"])
    assert iod2019["bridge"]["same_code"] is True
    imd = next(r for r in iod2019["rows"] if r["domain"] == "Index of Multiple Deprivation")
    assert imd["rank"] == 10999 and imd["decile"] == 4
    assert imd["city_rank_of"] == 152


def test_a_split_lsoa_inherits_iod_2019_from_its_2011_parent(loaded, data_dir):
    lookup = read_csv(data_dir, "lookups/mk_lsoa11_lsoa21_lookup.csv")
    split = next(r for r in lookup if r["change_code"] == "S")
    p = profiles.area_profile("lsoa21", split["lsoa21_code"])
    iod2019 = next(d for d in p["deprivation"] if "2019" in d["title"])
    assert [a["code"] for a in iod2019["bridge"]["from"]] == [split["lsoa11_code"]]
    parent = {r["lsoa11_code"]: r for r in read_csv(data_dir, "deprivation/mk_imd2019_lsoa11_ranks_deciles.csv")}
    imd = next(r for r in iod2019["rows"] if r["domain"] == "Index of Multiple Deprivation")
    assert imd["rank"] == int(parent[split["lsoa11_code"]]["imd_rank"])


def test_census_figures_are_compared_with_the_city(loaded, data_dir):
    p = profiles.area_profile("lsoa21", "E01016710")
    tenure = next(t for t in p["tables"] if "tenure" in t["title"].lower())
    row = next(r for r in tenure["rows"] if r["label"] == "Social rented: Rents from council or Local Authority")
    assert row["count"] == 200 and tenure["total"] == 791
    assert row["share"] == pytest.approx(200 / 791)
    city = read_csv(data_dir, "census2021/mk_census21_ts054_tenure_lsoa21.csv")
    city_share = (sum(int(r["Social rented: Rents from council or Local Authority"]) for r in city)
                  / sum(int(r["total_households"]) for r in city))
    assert row["city_share"] == pytest.approx(city_share)
    assert row["difference_pp"] == pytest.approx((200 / 791 - city_share) * 100)
    topics = " ".join(t["title"] for t in p["tables"]).lower()
    for topic in ("age", "ethnic", "disability", "tenure", "accommodation"):
        assert topic in topics


def test_a_ward_sums_counts_of_its_lsoas(loaded, data_dir, ward_lsoas):
    ward = "E05009406"  # Bletchley East
    p = profiles.area_profile("ward", ward)
    members = set(ward_lsoas[ward])
    assert {m["code"] for m in p["members"]} == members
    ethnic = read_csv(data_dir, "census2021/mk_census21_ts021_ethnic_group_lsoa21.csv")
    table = next(t for t in p["tables"] if "ethnic" in t["title"].lower())
    assert table["total"] == sum(int(r["total_residents"]) for r in ethnic if r["lsoa21_code"] in members)
    black = next(r for r in table["rows"] if r["label"].startswith("Black"))
    assert black["count"] == sum(int(r[black["label"]]) for r in ethnic if r["lsoa21_code"] in members)


def test_a_ward_score_is_the_population_weighted_mean_of_its_lsoas(loaded, data_dir, ward_lsoas):
    ward = "E05009406"
    population = {r["lsoa21_code"]: int(r["total_residents"])
                  for r in read_csv(data_dir, "census2021/mk_census21_age6_lsoa21.csv")}
    scores = {r["lsoa21_code"]: float(r["imd_score"]) for r in read_csv(data_dir, "deprivation/mk_iod2025_lsoa21.csv")}

    def weighted(codes):
        return sum(scores[c] * population[c] for c in codes) / sum(population[c] for c in codes)

    p = profiles.area_profile("ward", ward)
    imd = next(r for r in p["deprivation"][0]["rows"] if r["domain"] == "Index of Multiple Deprivation")
    assert imd["score"] == pytest.approx(weighted(ward_lsoas[ward]))
    ranked = sorted(ward_lsoas, key=lambda w: weighted(ward_lsoas[w]), reverse=True)
    assert imd["city_rank"] == ranked.index(ward) + 1 and imd["city_rank_of"] == 19
    # the residents by decile add up to the ward's population
    dist = p["deprivation"][0]["distribution"]
    assert sum(b["residents"] for b in dist) == sum(population[c] for c in ward_lsoas[ward])
    assert p["population"] == sum(population[c] for c in ward_lsoas[ward])


def test_an_msoa_profile_aggregates_its_lsoas(loaded, data_dir):
    lookup = read_csv(data_dir, "lookups/mk_lsoa21_msoa21_ward24_lookup.csv")
    members = {r["LSOA21CD"] for r in lookup if r["MSOA21CD"] == "E02003488"}
    p = profiles.area_profile("msoa21", "E02003488")
    assert {m["code"] for m in p["members"]} == members
    disability = next(t for t in p["tables"] if "disability" in t["title"].lower())
    rows = read_csv(data_dir, "census2021/mk_census21_ts038_disability_lsoa21.csv")
    assert disability["total"] == sum(int(r["total_residents"]) for r in rows if r["lsoa21_code"] in members)


def test_the_city_profile_covers_everyone(loaded, data_dir):
    p = profiles.area_profile("lad", "E06000042")
    age = read_csv(data_dir, "census2021/mk_census21_age6_lsoa21.csv")
    assert p["population"] == sum(int(r["total_residents"]) for r in age) == 287067
    assert len(p["members"]) == 166


def test_every_figure_names_its_source_and_licence(loaded):
    p = profiles.area_profile("ward", "E05009406")
    for section in p["deprivation"] + p["tables"]:
        assert section["source"]["licence"] == "Open Government Licence v3.0"
        assert section["source"]["vintage"]
    assert {s["name"] for s in p["sources"]} >= {"iod2025", "imd2019", "census21-tenure"}


def test_an_unknown_area_is_a_clear_error(loaded):
    with pytest.raises(profiles.AreaNotFound, match="E01999999"):
        profiles.area_profile("lsoa21", "E01999999")


def test_the_point_on_surface_of_every_lsoa_lands_in_that_lsoa(loaded):
    geometries = loaded.geometries("lsoa21")
    points = shapely.point_on_surface(geometries)
    lon, lat = bng_to_lonlat(shapely.get_x(points), shapely.get_y(points))
    for i, area in enumerate(loaded.base_areas):
        found = search.areas_at(float(lat[i]), float(lon[i]))
        assert found["base"]["code"] == area.code
        assert {"msoa21", "ward", "lad", "lsoa11"} <= set(found["areas"])


def test_a_point_outside_the_city_is_refused(loaded):
    with pytest.raises(search.OutsideCity, match="outside Milton Keynes"):
        search.areas_at(51.5, -0.12)  # central London


def test_search_finds_bletchley_wards_first(loaded):
    result = search.search_areas("Bletchley")
    names = [a["name"] for a in result.areas[:3]]
    assert names == ["Bletchley East", "Bletchley Park", "Bletchley West"]
    assert result.best is None


def test_search_by_code_and_postcode_goes_straight_to_the_area(loaded):
    assert search.search_areas("e01016710").best["url"] == "/places/lsoa21/E01016710/"
    hit = search.search_areas("mk2 2hb")
    assert hit.postcode["found"] and hit.best["geography"] == "lsoa21"
    unknown = search.search_areas("MK99 9ZZ")
    assert unknown.postcode == {"postcode": "MK99 9ZZ", "found": False, "area": None}


def test_profile_values_match_numpy_reference_for_every_ward(loaded):
    """All 19 ward IMD scores at once, against a dense matrix computation."""
    W = loaded.members("ward")
    assert np.allclose(W.sum(axis=1).sum(), 166)
    assert set(np.unique(W.data)) <= {1.0}  # wards are whole LSOAs (only weights are stored)
