"""The difference lens on the real Milton Keynes data: page, exports, API and CLI agree, the
numbers can be recomputed independently, and records about people never show small counts."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import numpy as np
import pytest
from django.urls import reverse
from django.utils.html import escape

from commonground.catalogue.models import IngestJob
from commonground.cli import main as cli_main
from commonground.lens.compare import count_rate_ratio
from commonground.lens.deprivation import GROUPINGS
from commonground.lens.stats import fit_slope_index
from commonground.lens.tables import tables
from commonground.places.models import IndicatorTable

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp(loaded, make_dataset, ingest_path, data_dir):
    dataset = make_dataset("gp-practices", title="GP practices")
    job = ingest_path(dataset, data_dir / "points" / "mk_gp_practices_epraccur_2020-01.geojson",
                      name="Practices")
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.version


@pytest.fixture
def chargers(loaded, make_dataset, ingest_path, data_dir):
    dataset = make_dataset("ev-chargepoints", title="Electric vehicle charge points")
    job = ingest_path(dataset, data_dir / "points" / "mk_ev_chargepoints_ncr_2022.geojson",
                      name="Charge points")
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.version


def _lens(client, name, **params):
    response = client.get(f"/api/catalogue/datasets/{name}/lens", params)
    assert response.status_code == 200, response.content
    return response.json()


def _rows_per_lsoa(version, base="lsoa21") -> dict[str, int]:
    return dict(version.areas.filter(geography=base).values_list("code", "rows"))


def _indicator(key: str) -> dict[str, float]:
    [table] = [t for t in IndicatorTable.objects.all() if key in t.keys]
    return table.values_of(key)


def test_imd_2019_decile_counts_are_exactly_those_in_the_data(client, gp, data_dir):
    result = _lens(client, "gp-practices", edition="imd2019")
    with open(data_dir / "deprivation" / "mk_imd2019_lsoa11_ranks_deciles.csv",
              newline="", encoding="utf-8") as f:
        published = [int(row["imd_decile"]) for row in csv.DictReader(f)]
    expected = {str(d): published.count(d) for d in sorted(set(published))}
    edition = result["deprivation"]["edition"]
    assert edition["own_decile_counts"] == expected
    assert sum(expected.values()) == 152 and edition["geography"] == "lsoa11"
    assert edition["split_areas"] > 0 and "inherit" in edition["bridge"]


def test_rates_per_decile_match_an_independent_count(client, gp, loaded):
    dataset, version = gp
    result = _lens(client, "gp-practices")
    assert result["deprivation"]["edition"]["key"] == "iod2025"  # the newest by default
    rows = _rows_per_lsoa(version)
    decile = _indicator("iod2025.imd_decile")
    residents = _indicator(loaded.run.population_indicator)
    table = result["deprivation"]["tables"]["imd-decile"]["rows"]
    for row in table:
        codes = [c for c, d in decile.items() if d == row["group"]]
        count = sum(rows.get(c, 0) for c in codes)
        people = sum(residents[c] for c in codes)
        assert row["areas"] == len(codes) and row["residents"] == people
        assert row["measure"] == count
        if people:
            assert row["value"] == pytest.approx(1000 * count / people, rel=1e-12)
            assert row["low"] <= row["value"] <= row["high"]
    assert sum(r["areas"] for r in table) == 166
    assert sum(r["measure"] for r in table) == result["measure"]["rows_in_areas"]
    city = result["deprivation"]["tables"]["city-decile"]["rows"]
    assert sorted({r["areas"] for r in city}) == [16, 17]  # 166 LSOAs in ten equal groups
    quintiles = result["deprivation"]["tables"]["imd-quintile"]["rows"]
    assert [q["measure"] for q in quintiles] == [
        table[2 * k]["measure"] + table[2 * k + 1]["measure"] for k in range(5)]


def test_slope_index_and_plain_words_hold_together(client, gp):
    result = _lens(client, "gp-practices")
    slope = result["deprivation"]["tables"]["imd-decile"]["slope"]
    assert slope["sii_low"] <= slope["sii"] <= slope["sii_high"]
    assert slope["rii_low"] <= slope["rii"] <= slope["rii_high"]
    assert slope["draws"] == 100_000 and slope["scale"] == "log"  # PHE phe_sii's repetitions
    # few practices per decile: the straight line's interval reaches zero, so PHE's log fit
    assert slope["transform"] == "log" and 0 < slope["rii_low_998"] <= slope["rii_low"]
    words = result["words"]
    assert 3 <= len(words) <= 5
    assert words[0].startswith("The data places 28 GP practices")
    least, most = (result["deprivation"]["tables"]["imd-quintile"]["rows"][k] for k in (4, 0))
    # the clustering-aware ratio: each fifth's count as the effective events it is worth
    ratio = count_rate_ratio(least["measure"], least["residents"], most["measure"],
                             most["residents"], phi1=least["dispersion"],
                             phi2=most["dispersion"])
    assert result["deprivation"]["gap"]["ratio"]["clear"] == ratio.clear
    gap = words[1]
    # never claim a difference that the interval does not support
    assert ("cannot say" in gap) == (not ratio.clear)
    assert "95% interval" in gap
    if slope["sii_low"] <= 0 <= slope["sii_high"]:
        assert any("no clear gradient" in w for w in words)


def test_charge_points_get_a_positive_rii_and_the_page_names_the_end_at_fault(client,
                                                                              chargers):
    result = _lens(client, "ev-chargepoints")
    table = result["deprivation"]["tables"]["imd-decile"]
    slope = table["slope"]
    values = [r["value"] for r in table["rows"]]
    residents = [r["residents"] for r in table["rows"]]
    beta0, beta1 = fit_slope_index(values, residents)
    assert beta0 + beta1 < 0  # the straight line: a negative RII at the least deprived end
    assert slope["transform"] == "log"
    assert "falls to zero or below at the least deprived end" in slope["transform_reason"]
    assert 0 < slope["rii_low"] <= slope["rii"] <= slope["rii_high"] < 1
    page = client.get(reverse("catalogue:lens", args=["ev-chargepoints"])).content.decode()
    assert "most deprived end can reach zero" not in page
    assert "falls to zero or below at the least deprived end" in page
    assert "99.8% interval" in page


def test_disparity_compares_every_census_group_with_the_city(client, gp, loaded):
    dataset, version = gp
    result = _lens(client, "gp-practices")
    section = result["disparity"]
    titles = {t["title"] for t in section["tables"]}
    assert any("thnic" in t for t in titles) and any("isab" in t for t in titles)
    assert any(t["universe"] == "households" for t in section["tables"])
    rows = _rows_per_lsoa(version)
    total = sum(rows.values())
    ethnic = next(t for t in section["tables"] if "thnic" in t["title"])
    white = next(g for g in ethnic["groups"] if g["group"] == "White")
    areas = {a["code"]: a for a in ethnic["areas"]}
    assert sum(a["points"] for a in ethnic["areas"]) == total
    d = {c: n / total for c, n in rows.items()}
    assert sum(areas[c]["data_share"] for c in d) == pytest.approx(1.0)
    assert white["difference_pp"] == pytest.approx(
        100 * (white["data_share"] - white["city_share"]))
    assert white["low_pp"] <= white["difference_pp"] <= white["high_pp"]
    assert 0 < white["p_value"] <= 1


def test_access_counts_distance_not_boundaries(client, chargers):
    result = _lens(client, "ev-chargepoints")
    access = result["access"]
    assert access["thresholds_m"] == [400.0, 800.0, 1600.0]
    assert access["facilities"] == 300 and access["origins"] >= 166
    everyone = access["all"]
    w = everyone["within"]
    assert 0 <= w["400"] <= w["800"] <= w["1600"] <= 1
    assert everyone["residents"] == pytest.approx(result["city"]["residents"])
    assert everyone["mean_distance_m"] > 0
    for table in access["tables"]:
        assert table["groups"]


def test_a_weight_column_and_map_classes_can_be_chosen(client, chargers):
    counted = _lens(client, "ev-chargepoints")
    weighted = _lens(client, "ev-chargepoints", measure="weight", column="n_connectors",
                     classes="quantiles")
    assert weighted["measure"]["kind"] == "weight"
    assert weighted["measure"]["total"] > counted["measure"]["total"]
    assert weighted["where"]["classification"]["method"] == "Quantiles"
    assert counted["where"]["classification"]["method"] == "Fisher-Jenks"
    labels = {a["spot"] for a in weighted["where"]["areas"]}
    assert labels <= {"hot", "cold", "high among low", "low among high", "not significant",
                      "no neighbours", "no value"}


def test_page_shows_chart_words_maps_and_downloads(client, gp):
    response = client.get(reverse("catalogue:lens", args=["gp-practices"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="lens-chart"' in html and "In plain words" in html
    assert 'id="lensmap-' in html or "lensmap" in html
    assert "Hot and cold spots" in html and "Method" in html
    result = _lens(client, "gp-practices")
    for sentence in result["words"]:
        assert sentence.replace("“", "&ldquo;")[:30] in html or sentence[:30] in html
    csv_url = reverse("catalogue:lens_export", args=["gp-practices", "csv"])
    assert f"{csv_url}?" in html
    detail = client.get(reverse("catalogue:dataset", args=["gp-practices"])).content.decode()
    assert reverse("catalogue:lens", args=["gp-practices"]) in detail


def test_every_table_downloads_as_csv_and_json_with_the_api_numbers(client, gp):
    result = _lens(client, "gp-practices")
    flat = tables(result)
    assert set(GROUPINGS) <= set(flat) and {"slope", "disparity", "access", "areas"} <= set(flat)
    url = reverse("catalogue:lens_export", args=["gp-practices", "csv"])
    for name, (columns, rows) in flat.items():
        response = client.get(url, {"table": name})
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        read = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert list(read[0]) == columns and len(read) == len(rows)
    exported = client.get(reverse("catalogue:lens_export", args=["gp-practices", "json"])).json()
    assert exported["deprivation"] == result["deprivation"]
    assert exported["words"] == result["words"]
    one = _lens(client, "gp-practices", table="imd-decile")
    assert one["rows"] == result["deprivation"]["tables"]["imd-decile"]["rows"]


def test_long_downloads_stream_the_same_bytes(client, gp, monkeypatch):
    """A download with more per-area rows than ``STREAM_ROWS`` (England's disparity-areas:
    2 million) is streamed a chunk at a time, never held whole: the same bytes as sent whole."""
    from commonground.catalogue import lens_views

    csv_url = reverse("catalogue:lens_export", args=["gp-practices", "csv"])
    json_url = reverse("catalogue:lens_export", args=["gp-practices", "json"])
    api = "/api/catalogue/datasets/gp-practices/lens"
    asked = [(csv_url, {"table": "disparity-areas"}), (csv_url, {"table": "areas"}),
             (json_url, {}), (json_url, {"table": "disparity-areas"}), (api, {}),
             (api, {"table": "disparity-areas"})]
    whole = [client.get(url, params) for url, params in asked]
    assert not any(r.streaming for r in whole)
    monkeypatch.setattr(lens_views, "STREAM_ROWS", 0)
    for (url, params), sent in zip(asked, whole, strict=True):
        streamed = client.get(url, params)
        assert streamed.status_code == 200 and streamed.streaming, (url, params)
        assert b"".join(streamed.streaming_content) == sent.content
        assert streamed["Content-Type"] == sent["Content-Type"]
    assert whole[4]["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(whole[2].content) == json.loads(whole[4].content)  # page's and API's


def test_cli_gives_the_same_numbers(client, gp, capsys):
    result = _lens(client, "gp-practices")
    assert cli_main(["lens", "gp-practices", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["deprivation"] == result["deprivation"]
    assert cli_main(["lens", "gp-practices", "--by", "imd-quintile"]) == 0
    out = capsys.readouterr().out
    assert "quintile 1 (most deprived)" in out and result["words"][0] in out
    assert cli_main(["lens", "gp-practices", "--csv", "access"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["group"] == "All residents"
    assert cli_main(["lens", "no-such-dataset"]) == 3
    assert cli_main(["lens", "gp-practices", "--measure", "weight"]) == 2
    assert "needs a numeric column" in capsys.readouterr().err


def test_bad_requests_get_clear_errors(client, gp, make_dataset):
    api = "/api/catalogue/datasets/gp-practices/lens"
    response = client.get(api, {"measure": "weight", "column": "no_such"})
    assert response.status_code == 400 and "numeric column" in response.json()["detail"]
    response = client.get(api, {"table": "nonsense"})
    assert response.status_code == 400 and "imd-decile" in response.json()["detail"]
    response = client.get(api, {"edition": "1999"})
    assert response.status_code == 400 and "iod2025" in response.json()["detail"]
    make_dataset("empty-dataset", title="Nothing yet")
    page = client.get(reverse("catalogue:lens", args=["empty-dataset"]))
    assert page.status_code == 200 and "no rows linked to places" in page.content.decode()
    assert client.get(reverse("catalogue:lens_export", args=["gp-practices", "xml"])
                      ).status_code == 404


def test_private_datasets_have_no_public_lens(client, gp, people):
    dataset, _ = gp
    dataset.private = True
    dataset.save()
    assert client.get(reverse("catalogue:lens", args=["gp-practices"])).status_code == 404
    assert client.get("/api/catalogue/datasets/gp-practices/lens").status_code == 404
    client.force_login(people["member"])
    assert client.get(reverse("catalogue:lens", args=["gp-practices"])).status_code == 200


def _check_no_small_counts(result, threshold):
    """No count below the threshold is shown, none included (the presence policy)."""
    for row in result["where"]["areas"]:
        assert row["measure"] is None or row["measure"] >= threshold
    for grouping, table in result["deprivation"]["tables"].items():
        shown = [r for r in table["rows"] if not r["suppressed"]]
        hidden = [r for r in table["rows"] if r["suppressed"]]
        for r in shown:
            assert r["measure"] >= threshold, grouping
        # a hidden group never stands alone next to the published total
        assert len(hidden) != 1 or hidden[0]["measure"] is None
        if hidden:
            assert table["slope"] is None and table["slope_withheld"]
    for table in result["disparity"]["tables"]:
        for area in table["areas"]:
            assert area["points"] is None or area["points"] == 0 or area["points"] >= threshold


def test_records_about_people_never_show_a_small_count(client, loaded, make_dataset,
                                                        ingest_path, data_dir, settings):
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 10
    dataset = make_dataset("clinic-visits", title="Clinic visits", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_ev_chargepoints_ncr_2022.geojson",
                      name="Visits")
    assert job.status == IngestJob.Status.DONE
    result = _lens(client, "clinic-visits")
    assert result["disclosure"]["threshold"] == 10 and result["disclosure"]["hidden_areas"] > 0
    _check_no_small_counts(result, 10)
    for grouping, table in result["deprivation"]["tables"].items():
        hidden = [r for r in table["rows"] if r["suppressed"]]
        assert len(hidden) != 1, f"{grouping}: one hidden group next to a shown total"
    # the exports and the page hide the same cells
    url = reverse("catalogue:lens_export", args=["clinic-visits", "csv"])
    areas = list(csv.DictReader(io.StringIO(client.get(url, {"table": "areas"}).content.decode())))
    for row in areas:
        assert row["measure"] == "" or float(row["measure"]) >= 10
    page = client.get(reverse("catalogue:lens", args=["clinic-visits"])).content.decode()
    assert "records about people" in page
    # where people are is not used for distances; rows outside the city are not counted out
    assert "access" not in result and result["measure"]["rows"] is None
    # only counts: a sum or a value per area could reveal one person's figures
    refused = client.get("/api/catalogue/datasets/clinic-visits/lens",
                         {"measure": "weight", "column": "n_connectors"})
    assert refused.status_code == 400 and "only counts" in refused.json()["detail"]
    # the threshold is a setting
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 3
    strict = _lens(client, "clinic-visits")
    assert strict["disclosure"]["threshold"] == 3 and "from 0 to 2" in strict["disclosure"]["rule"]
    assert strict["disclosure"]["hidden_areas"] <= result["disclosure"]["hidden_areas"]


def test_the_lens_and_place_pages_hide_the_same_counts(client, loaded, make_dataset,
                                                       ingest_path, data_dir, settings):
    """One suppression per version over every published view: combining the lens's tables
    for both deprivation indices with the area counts of the API gives nothing away."""
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 10
    dataset = make_dataset("home-visits", title="Home visits", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv", name="Visits")
    newest = _lens(client, "home-visits")
    older = _lens(client, "home-visits", edition="imd2019")
    api = f"/api/catalogue/resources/{job.resource_id}/aggregate"
    lsoa = {a["code"]: a["count"] for a in client.get(api, {"geography": "lsoa21"}).json()["areas"]}
    for result in (newest, older):
        for row in result["where"]["areas"]:
            assert (row["measure"] is None) == (lsoa.get(row["code"], 0) is None), row["code"]
    from commonground.catalogue.services.disclosure import hidden_area_counts

    hidden = hidden_area_counts(job.version)
    assert {code for (geo, code) in hidden if geo == "lsoa21"} == {
        r["code"] for r in newest["where"]["areas"] if r["suppressed"]}


def test_everything_shown_of_records_about_people_leaves_each_small_count_its_range(
        client, loaded, make_dataset, ingest_path, data_dir, settings):
    """Read together — every area's count shown for every geography (API, place pages), the city
    total and every deprivation group the lens shows for each index — the published numbers
    leave each hidden count below the threshold free to be anything from 0 to 9: the reader's
    linear programme (``lens.disclosure.intervals``) finds no narrower range (issue 16)."""
    from commonground.catalogue.services.disclosure import public_counts
    from commonground.catalogue.services.lens import lens_city
    from commonground.lens.disclosure import Suppression, intervals
    from commonground.lens.privacy import published_aggregates

    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 10
    dataset = make_dataset("car-park-visitors", title="Car park visitors", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_osm_car_parks_2022.geojson",
                      name="Visitors")
    assert job.status == IngestJob.Status.DONE, job.error
    city = lens_city(loaded)
    truth = _rows_per_lsoa(job.version, city.base_geography)
    cells = np.array([truth.get(code, 0) for code in city.area_codes], dtype=float)
    api = f"/api/catalogue/resources/{job.resource_id}/aggregate"
    table = public_counts(job.version)  # the one table place pages, search and the API show

    def counts(geography):
        out = dict(table.areas[geography])
        response = client.get(api, {"geography": geography})
        if response.status_code != 400:  # the API answers for the geographies rows carry
            assert {a["code"]: a["count"] for a in response.json()["areas"]} == out
        return out

    names, groups = published_aggregates(city)
    lenses = {edition: _lens(client, "car-park-visitors", edition=edition)
              for edition in {name.split("@")[1] for name, _ in names if "@" in name}}
    by_geography = {geography: counts(geography) for geography, _ in names
                    if geography != "city" and "@" not in geography}
    shown_groups = []
    for (name, code), members in zip(names, groups, strict=True):
        if name == "city":
            value = next(iter(lenses.values()))["measure"]["total"]
        elif "@" in name:
            grouping, edition = name.split("@")
            value = lenses[edition]["deprivation"]["tables"][grouping]["rows"][int(code) - 1][
                "measure"]
        else:
            value = by_geography[name][code]
        assert value is None or value == cells[members].sum(), (name, code)
        shown_groups.append(value)
    base = counts(city.base_geography)
    shown_cells = [base[code] for code in city.area_codes]
    seen = Suppression(cells=np.array([v is None for v in shown_cells]),
                       groups=np.array([v is None for v in shown_groups]), threshold=10)
    assert 0 < seen.cells.sum() < len(cells)
    assert next(iter(lenses.values()))["disclosure"]["hidden_areas"] == seen.cells.sum()
    audit = intervals(cells, groups, seen)
    small = seen.cells & (cells < 10)
    assert small.any()
    assert np.all(audit.cells_low[small] == 0) and np.all(audit.cells_high[small] >= 9)
    assert not audit.cells_exposed.any() and not audit.groups_exposed.any()


def test_a_value_per_area_dataset_gets_weighted_means(client, loaded, make_dataset, ingest_path,
                                                      data_dir, tmp_path):
    source = data_dir / "census2021" / "mk_census21_ts038_disability_lsoa21.csv"
    with open(source, newline="", encoding="utf-8") as f:
        census = list(csv.DictReader(f))
    path = tmp_path / "disabled_share.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["lsoa21_code", "disabled_percent"])
        for row in census:
            writer.writerow([row["lsoa21_code"], round(100 * int(
                row["Disabled under the Equality Act"]) / int(row["total_residents"]), 3)])
    dataset = make_dataset("disabled-share", title="Share of residents disabled")
    job = ingest_path(dataset, path, name="Shares")
    assert job.status == IngestJob.Status.DONE, job.error
    result = _lens(client, "disabled-share", measure="value", column="disabled_percent")
    assert result["measure"]["kind"] == "value" and result["measure"]["areas_with_value"] == 166
    assert "disparity" not in result
    with open(path, newline="", encoding="utf-8") as f:
        value = {r["lsoa21_code"]: float(r["disabled_percent"]) for r in csv.DictReader(f)}
    decile = _indicator("iod2025.imd_decile")
    residents = _indicator(loaded.run.population_indicator)
    row = result["deprivation"]["tables"]["imd-decile"]["rows"][0]
    codes = [c for c, d in decile.items() if d == 1]
    expected = np.average([value[c] for c in codes], weights=[residents[c] for c in codes])
    assert row["value"] == pytest.approx(expected, rel=1e-9)
    # disability is higher where deprivation is higher: a clear negative slope
    slope = result["deprivation"]["tables"]["imd-decile"]["slope"]
    assert slope["scale"] == "linear" and slope["sii_high"] < 0
    assert any("times as high on average in the most deprived fifth" in w for w in result["words"])


# --- units, clustering, influence and words that match the data (issue 16) -------------------

def test_charge_points_are_devices_at_sites_and_the_words_follow_the_clustering_aware_interval(
        client, chargers):
    result = _lens(client, "ev-chargepoints")
    units = result["units"]
    # 300 devices at 246 distinct coordinates; at most 4 at one place
    assert units["rows"] == 300 and units["sites"] == 246 and units["largest_site"] == 4
    assert units["dispersion"] > 1 and units["effective_points"] < 300
    # one neighbourhood holds 91 of 300: reported, with the headline without it
    influence = result["influence"]
    assert influence["code"] == "E01033499" and influence["measure"] == 91
    assert influence["flagged"] and influence["share"] == pytest.approx(91 / 300)
    without = influence["without"]
    assert without["gap"]["ratio"]["ratio"] is not None and without["slope"]["sii"] is not None
    words = " ".join(result["words"])
    assert "One neighbourhood, " in words and "without it" in words
    # the quintile gap: clear only if the clustering-aware interval leaves out a ratio of 1
    gap = result["deprivation"]["gap"]
    ratio, phe = gap["ratio"], gap["phe"]
    assert ratio["clear"] == (ratio["low"] > 1 or (ratio["high"] or np.inf) < 1)
    assert phe["clear"] and ratio["low"] < phe["low"] and ratio["high"] > phe["high"]
    assert ("We cannot say" in words) == (not ratio["clear"])
    # the gradient: clear only if the clustering-aware interval of the SII leaves out 0
    slope = result["deprivation"]["tables"]["imd-decile"]["slope"]
    clear = slope["sii_low"] > 0 or slope["sii_high"] < 0
    assert ("no clear gradient" in words) == (not clear)
    assert (slope["sii_high"] - slope["sii_low"]) > (
        result["deprivation"]["tables"]["imd-decile"]["slope_phe"]["sii_high"]
        - result["deprivation"]["tables"]["imd-decile"]["slope_phe"]["sii_low"])
    # the page shows devices, sites, the largest neighbourhood and PHE's interval, labelled
    page = client.get(reverse("catalogue:lens", args=["ev-chargepoints"])).content.decode()
    assert "at 246 sites" in page and "the largest site has 4" in page
    assert "Milton Keynes 014E (E01033499) holds 30.3%" in page
    assert "PHE's 95% interval" in page and "every row independent" in page
    assert "q-value" in page


def test_row_filters_reach_the_page_api_cli_csv_and_packs(client, gp, capsys, people):
    dataset, _ = gp
    everything = _lens(client, "gp-practices")
    active = _lens(client, "gp-practices", where="status_code=A")
    assert active["measure"]["filters"] == ["status_code = A"]
    assert active["measure"]["rows_in_areas"] < everything["measure"]["rows_in_areas"]
    assert "counting only rows where status_code = A" in active["words"][0]
    assert active["dataset"]["filters"] == {"dataset": [], "asked": ["status_code=A"]}
    # several at once, repeated or separated by ";"
    both = _lens(client, "gp-practices", where="status_code=A; org_code!=K82003")
    assert both["measure"]["filters"] == ["status_code = A", "org_code ≠ K82003"]
    csv_url = reverse("catalogue:lens_export", args=["gp-practices", "csv"])
    read = list(csv.DictReader(io.StringIO(client.get(
        csv_url, {"table": "imd-decile", "where": "status_code=A"}).content.decode())))
    assert read[0]["filters"] == "status_code = A"
    page = client.get(reverse("catalogue:lens", args=["gp-practices"]),
                      {"where": "status_code=A"}).content.decode()
    assert "Rows counted: only where status_code = A" in page
    assert "--where status_code=A" in page
    assert cli_main(["lens", "gp-practices", "--where", "status_code=A"]) == 0
    assert "Rows counted: status_code = A" in capsys.readouterr().out
    # a filter that cannot be used is a clear error naming it, everywhere
    api = "/api/catalogue/datasets/gp-practices/lens"
    bad = client.get(api, {"where": "no_such=1"})
    assert bad.status_code == 400 and "unknown column 'no_such'" in bad.json()["detail"]
    bad = client.get(api, {"where": "status_code"})
    assert bad.status_code == 400 and "column=value" in bad.json()["detail"]
    assert cli_main(["lens", "gp-practices", "--where", "open_date>=soon"]) == 2
    # the editor's own filters apply everywhere, packs included, and are said
    dataset.lens_filters = "status_code=A"
    dataset.save()
    assert _lens(client, "gp-practices")["measure"]["filters"] == ["status_code = A"]
    from commonground.evidence.lens_items import snapshot

    pack = snapshot(dataset, "lsoa21", "E01016736")
    assert "only rows where status_code = A" in pack["citation"]


def _where_error(html: str) -> str:
    """The error shown by the row filter field, as the reader sees it."""
    found = re.search(r'<span class="field-error" id="where-error">(.*?)</span>', html, re.S)
    assert found, "no error by the row filter field"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def test_a_row_filter_that_cannot_be_used_keeps_the_choices_and_names_the_filter(client, gp):
    page_url = reverse("catalogue:lens", args=["gp-practices"])
    response = client.get(page_url, {"where": "status_code=A; no_such=1", "by": "imd-quintile",
                                      "classes": "quantiles"})
    assert response.status_code == 400
    html = response.content.decode()
    # the choices are still there, as asked, with the filter field as typed ...
    assert 'class="lens-choices"' in html  # the choices form
    assert 'name="where" value="status_code=A; no_such=1"' in html
    assert '<option value="imd-quintile" selected>' in html
    assert '<option value="quantiles" selected>' in html
    assert 'aria-invalid="true"' in html and 'aria-describedby="where-error where-hint"' in html
    # ... and by it, which filter is at fault and what is wrong with it
    error = _where_error(html)
    assert "the row filter 'no_such=1' names unknown column 'no_such'" in error
    assert "status_code" in error  # the columns there are
    for where, problem in [("status_code", "cannot read the row filter 'status_code'"),
                           ("open_date=..", "the range in 'open_date=..' needs at least one end"),
                           ("open_date>=soon", "the row filter 'open_date>=soon' cannot be used: "
                                               "'soon' is not a valid")]:
        response = client.get(page_url, {"where": where})
        assert response.status_code == 400
        html = response.content.decode()
        assert f'name="where" value="{escape(where)}"' in html and problem in _where_error(html)
    # the API and the downloads keep their JSON errors, which name the filter too
    api = client.get("/api/catalogue/datasets/gp-practices/lens", {"where": "no_such=1"})
    assert api.status_code == 400 and "'no_such=1'" in api.json()["detail"]
    csv_url = reverse("catalogue:lens_export", args=["gp-practices", "csv"])
    download = client.get(csv_url, {"table": "imd-decile", "where": "no_such=1"})
    assert download.status_code == 400 and "'no_such=1'" in download.json()["error"]


def test_the_measure_menu_uses_the_editors_names(client, chargers):
    dataset, _ = chargers
    page_url = reverse("catalogue:lens", args=["ev-chargepoints"])
    html = client.get(page_url).content.decode()
    # none set: today's words
    assert ">Count of rows</option>" in html and "(one row per area)" in html
    assert '<option value="n_connectors">n_connectors</option>' in html
    dataset.row_singular, dataset.row_plural = "charge point", "charge points"
    dataset.column_names = "n_connectors = connector / connectors"
    dataset.save()
    html = client.get(page_url, {"measure": "weight", "column": "n_connectors"}).content.decode()
    assert ">Count of charge points</option>" in html and "Count of rows" not in html
    assert "(one charge point per area)" in html
    assert '<option value="n_connectors" selected>connectors (n_connectors)</option>' in html
    # a range the wrong way round is refused by the field, the menu still in the editor's words
    response = client.get(page_url, {"where": "max_kw=50..7"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "runs backwards" in _where_error(html) and ">Count of charge points</option>" in html


def test_the_editor_names_the_rows_their_kind_site_and_date(client, chargers, people):
    dataset, _ = chargers
    client.force_login(people["editor"])
    form = {"title": dataset.title, "organisation": dataset.organisation.pk,
            "licence": dataset.licence, "frequency": dataset.frequency, "nature": "service",
            "row_singular": "charge point", "row_plural": "charge points",
            "column_names": "n_connectors = connector / connectors", "site_column": "postcode",
            "lens_filters": "max_kw>=3", "data_as_of": "2021-08-10"}
    response = client.post(reverse("catalogue:dataset_edit", args=["ev-chargepoints"]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    result = _lens(client, "ev-chargepoints")
    assert result["words"][0].startswith("The data places ")
    assert " charge points at " in result["words"][0]
    assert result["units"]["sites_rule"] == "rows with the same “postcode”"
    assert result["units"]["sites"] < 246  # a postcode holds more than one site
    assert "This data describes 10 August 2021, more than" in result["words"][1]
    weighted = _lens(client, "ev-chargepoints", measure="weight", column="n_connectors")
    assert "connectors in all" in weighted["words"][0]
    assert "n_connectors" not in " ".join(weighted["words"])
    # events or incidents: where it happens
    form.update(nature="incident")
    client.post(reverse("catalogue:dataset_edit", args=["ev-chargepoints"]), form)
    page = client.get(reverse("catalogue:lens", args=["ev-chargepoints"])).content.decode()
    assert "Where it happens" in page and "Who it reaches" not in page
    # a row filter or a column name that cannot be read is refused on the form, naming it
    form.update(lens_filters="max_kw", column_names="n_connectors connectors")
    response = client.post(reverse("catalogue:dataset_edit", args=["ev-chargepoints"]), form)
    html = response.content.decode()
    assert response.status_code == 200 and "line 1" in html
    assert "column = singular / plural" in html
    dataset.refresh_from_db()
    assert dataset.lens_filters == "max_kw>=3"


def test_a_process_keeps_32_lens_results_of_a_city_and_one_of_a_country():
    from commonground.catalogue.services.lens import results_kept

    assert results_kept(166) == 32  # Milton Keynes' LSOAs
    assert results_kept(33_755) == 1  # England's: each result holds about 250 MB of rows
    assert 1 < results_kept(5_000) < 32  # a region's


def test_sending_the_pages_own_choices_back_finds_the_lens_already_worked_out(
        client, loaded, make_dataset, ingest_path, data_dir, monkeypatch):
    """The lens's form sends the newest deprivation edition back by its key; asking again with
    the same choices (the edition by key, by year or left out) computes nothing again, so a
    resident changing only the chart's grouping gets the page at once."""
    from commonground.catalogue.services import lens as lens_service

    dataset = make_dataset("gp-practices-asked-again", title="GP practices asked again")
    job = ingest_path(dataset, data_dir / "points" / "mk_gp_practices_epraccur_2020-01.geojson",
                      name="Practices")
    assert job.status == IngestJob.Status.DONE, job.error
    computed = []
    real = lens_service.run_lens
    monkeypatch.setattr(lens_service, "run_lens",
                        lambda *a, **k: computed.append(1) or real(*a, **k))
    page = reverse("catalogue:lens", args=[dataset.name])
    first = client.get(page).content.decode()
    assert computed == [1]
    newest = re.search(r'<select id="edition".*?<option value="([^"]+)" selected', first, re.S)
    year = _lens(client, dataset.name)["deprivation"]["edition"]["year"]
    for edition in (newest.group(1), str(year), ""):
        again = client.get(page, {"measure": "count", "column": "", "by": "imd-quintile",
                                  "edition": edition, "where": "", "classes": "fisher_jenks"})
        assert again.status_code == 200 and "national IMD quintile" in again.content.decode()
    assert computed == [1]
