"""Every Census table in the data folder reaches the dataset lens, each at the level the
manifest publishes it for: the base areas (LSOAs), or — sexual orientation, published for
MSOAs only — the MSOAs, with the data added up to them and never the table shared out below.
Figures are checked against a hand computation from the census CSVs on the real MK data."""

from __future__ import annotations

import csv
import json
from dataclasses import replace

import numpy as np
import pytest
from django.urls import reverse

from commonground.catalogue.models import IngestJob

pytestmark = pytest.mark.django_db


@pytest.fixture
def gp(loaded, make_dataset, ingest_path, data_dir):
    dataset = make_dataset("gp-practices", title="GP practices")
    job = ingest_path(dataset, data_dir / "points" / "mk_gp_practices_epraccur_2020-01.geojson",
                      name="Practices")
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.version


def _census(data_dir) -> dict[str, dict]:
    """The manifest's Census tables (role census), by resource name."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r for r in package["resources"] if r.get("role") == "census"}


def _read(data_dir, resource: dict) -> tuple[dict[str, dict[str, float]], str, list[str]]:
    """A census CSV as {area code: {column: value}}, its total column and its group columns
    in the file's order."""
    with open(data_dir / resource["path"], newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        columns = [c for c in reader.fieldnames if c not in (resource["code_field"],
                                                             resource["name_field"])]
        rows = {row[resource["code_field"]]: {c: float(row[c]) for c in columns}
                for row in reader}
    total = next(c for c in columns if c.startswith("total"))
    return rows, total, [c for c in columns if c != total]


def _lens(client, name, **params):
    response = client.get(f"/api/catalogue/datasets/{name}/lens", params)
    assert response.status_code == 200, response.content
    return response.json()


def _labels(loaded, table: str) -> dict[str, str]:
    """Each group column of a Census table and the label the hub gives it, in the hub's
    order of its categories (the order place pages show them in)."""
    inds = sorted((i for i in loaded.indicators.values()
                   if i.source.name == table and i.kind == "count"), key=lambda i: i.order)
    return {i.column: i.label for i in inds}


def _hand_disparity(rows_per_area: dict[str, int], census: dict[str, dict[str, float]],
                    total: str, column: str) -> tuple[float, float]:
    """(D, S) for one group: D = Σ d_t·p_t with d_t the area's share of the data rows and
    p_t the group's share of the area's universe; S the group's share of the whole city."""
    n = sum(rows_per_area.values())
    data_share = sum(rows / n * census[code][column] / census[code][total]
                     for code, rows in rows_per_area.items() if census[code][total] > 0)
    city_share = (sum(r[column] for r in census.values())
                  / sum(r[total] for r in census.values()))
    return data_share, city_share


def test_every_census_table_in_the_data_folder_reaches_the_lens_at_its_own_level(
        client, gp, loaded, data_dir):
    result = _lens(client, "gp-practices")
    tables = {t["key"]: t for t in result["disparity"]["tables"]}
    census = _census(data_dir)
    assert len(census) >= 15  # sex, age, ... sexual orientation: the data folder's tables
    assert set(tables) == set(census)
    for name, resource in census.items():
        table = tables[name]
        assert table["geography"] == resource["geography"], name
        codes, _total, columns = _read(data_dir, resource)
        assert table["areas_compared"] == len(codes) == len(table["areas"])
        assert {a["code"] for a in table["areas"]} == set(codes)
        # every group, in the order and with the names of the place pages
        labels = _labels(loaded, name)
        assert set(labels) == set(columns), name
        assert [g["group"] for g in table["groups"]] == list(labels.values()), name
        published_below = resource["geography"] != loaded.base
        assert bool(table["level"]) == published_below, name


@pytest.mark.parametrize("table, column", [
    ("census21-sex", "Female"),
    ("census21-car-availability", "No cars or vans in household"),
    ("census21-nssec", "L13 Routine occupations"),
])
def test_sex_car_availability_and_social_class_match_a_hand_computation(
        client, gp, loaded, data_dir, table, column):
    _dataset, version = gp
    result = _lens(client, "gp-practices")
    found = next(t for t in result["disparity"]["tables"] if t["key"] == table)
    census, total, columns = _read(data_dir, _census(data_dir)[table])
    # these files list their categories in their natural order (no cars, 1, 2, 3 or more;
    # L1 to L15), and so does the lens
    labels = _labels(loaded, table)
    assert [g["group"] for g in found["groups"]] == [labels[c] for c in columns]
    rows = dict(version.areas.filter(geography=loaded.base).values_list("code", "rows"))
    data_share, city_share = _hand_disparity(rows, census, total, column)
    group = next(g for g in found["groups"] if g["group"] == labels[column])
    assert group["data_share"] == pytest.approx(data_share, rel=1e-9)
    assert group["city_share"] == pytest.approx(city_share, rel=1e-9)
    assert group["difference_pp"] == pytest.approx(100 * (data_share - city_share), abs=1e-9)
    assert group["low_pp"] <= group["difference_pp"] <= group["high_pp"]
    assert ("households" in found["universe"]) == (table == "census21-car-availability")


def test_sexual_orientation_is_compared_over_msoas_and_never_below(client, gp, loaded, data_dir):
    _dataset, version = gp
    result = _lens(client, "gp-practices")
    [resource] = [r for r in _census(data_dir).values() if r["geography"] != loaded.base]
    census, total, columns = _read(data_dir, resource)
    msoas = resource["geography"]
    assert len(census) == len(loaded.by_geography[msoas]) == 35  # Milton Keynes's 2021 MSOAs
    [table] = [t for t in result["disparity"]["tables"] if t["key"] == resource["name"]]
    assert table["geography"] == msoas and table["areas_compared"] == 35
    assert table["level"].startswith("Published for MSOAs only: compared at that level")
    assert "never shared out" in table["level"]
    # no LSOA anywhere in it: the table is not apportioned down
    lsoas = set(loaded.position(loaded.base))
    assert not lsoas & {a["code"] for a in table["areas"]}
    assert not [t for t in result["disparity"]["tables"]
                if t["key"] == resource["name"] and t["geography"] == loaded.base]
    # the data's rows added up to the MSOAs, as the hub counts them per MSOA
    rows = dict(version.areas.filter(geography=msoas).values_list("code", "rows"))
    points = {a["code"]: a["points"] for a in table["areas"]}
    assert {c: n for c, n in points.items() if n} == {c: n for c, n in rows.items() if n}
    for column in columns:
        data_share, city_share = _hand_disparity(rows, census, total, column)
        group = next(g for g in table["groups"]
                     if g["group"] == _labels(loaded, resource["name"])[column])
        assert group["data_share"] == pytest.approx(data_share, rel=1e-9)
        assert group["city_share"] == pytest.approx(city_share, rel=1e-9)
    # the method note says the level; the page shows it beside the table
    note = next(n["text"] for n in result["method"] if n["title"] == "Demographic disparity")
    assert "published for MSOAs only" in note and "35 MSOAs" in note
    assert result["disparity"]["coarse"] == [{
        "geography": msoas, "word": "MSOA", "areas": 35, "hidden_areas": 0,
        "points": result["disparity"]["points"], "tables": [resource["title"]]}]
    page = client.get(reverse("catalogue:lens", args=["gp-practices"])).content.decode()
    assert "Published for MSOAs only: compared at that level" in page


def test_moving_rows_within_an_msoa_changes_nothing_at_msoa_level(loaded):
    """The MSOA table sees only each MSOA's total: rows moved between two of its LSOAs leave
    it exactly as it was (nothing is invented below the level it is published for), while
    the LSOA tables see the move."""
    from commonground.catalogue.services.lens import lens_city
    from commonground.lens.compute import LensOptions, run_lens
    from commonground.lens.inputs import Measure

    city = lens_city(loaded)
    [coarse] = city.coarse
    parent = coarse.parent
    msoa = next(p for p in np.unique(parent) if (parent == p).sum() >= 2)
    first, second = np.flatnonzero(parent == msoa)[:2]
    counts = np.arange(len(city.area_codes), dtype=float) % 7
    counts[first], counts[second] = 12.0, 0.0
    measure = Measure(kind="count", label="rows", unit="rows", per_area=counts,
                      points_xy=np.zeros((0, 2)), rows_total=int(counts.sum()),
                      rows_in_areas=int(counts.sum()))
    moved = counts.copy()
    moved[first], moved[second] = 0.0, 12.0
    options = LensOptions(draws=200, repetitions=200, permutations=9,
                          sections=("disparity",))
    before, after = (run_lens(city, m, options)["disparity"]["tables"]
                     for m in (measure, replace(measure, per_area=moved)))
    by_key = {t["key"]: (t, u) for t, u in zip(before, after, strict=True)}
    shares = ("group", "data_share", "city_share", "difference_pp")
    per_area = ("code", "points", "data_share", "population_share", "difference_pp", "groups")

    def figures(table):  # the comparison itself (its intervals also rest on the data's
        # clustering between neighbourhoods, which the move changes)
        return ([{k: g[k] for k in shares} for g in table["groups"]],
                [{k: a[k] for k in per_area} for a in table["areas"]])

    msoa_before, msoa_after = by_key[coarse.table.key]
    assert figures(msoa_before) == figures(msoa_after)
    sex_before, sex_after = by_key["census21-sex"]
    assert figures(sex_before)[1] != figures(sex_after)[1]


def test_records_about_people_keep_their_disclosure_control_at_msoa_level(
        client, loaded, make_dataset, ingest_path, data_dir, settings):
    """An MSOA's count in the lens is the one its place page and the API show: a hidden MSOA
    is left out of the comparison, a shown one is never below the threshold."""
    from commonground.catalogue.services.disclosure import public_counts

    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = 10
    dataset = make_dataset("surgery-visits", title="Surgery visits", about_people=True)
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv",
                      name="Visits")
    assert job.status == IngestJob.Status.DONE, job.error
    result = _lens(client, "surgery-visits")
    [table] = [t for t in result["disparity"]["tables"] if t["geography"] != loaded.base]
    published = dict(public_counts(job.version).areas[table["geography"]])
    for area in table["areas"]:
        shown = published.get(area["code"])
        if shown is None:  # hidden on place pages and in the API: left out here too
            assert area.get("suppressed") and area["points"] is None, area["code"]
        else:
            assert area["points"] == shown and (shown == 0 or shown >= 10), area["code"]
    hidden = sum(1 for a in table["areas"] if a.get("suppressed"))
    assert result["disparity"]["coarse"][0]["hidden_areas"] == hidden
    assert hidden == sum(1 for v in published.values() if v is None)


def test_a_private_datasets_lens_is_for_its_organisation_only(client, gp, people,
                                                             django_user_model):
    from commonground.accounts.models import Membership, Organisation

    dataset, _ = gp
    dataset.private = True
    dataset.save()
    page = reverse("catalogue:lens", args=["gp-practices"])
    api = "/api/catalogue/datasets/gp-practices/lens"
    assert client.get(page).status_code == 404 and client.get(api).status_code == 404
    other = Organisation.objects.create(slug="other-org", name="Another organisation",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    stranger = django_user_model.objects.create_user("stranger", password="pw-stranger-1")
    Membership.objects.create(user=stranger, organisation=other, role=Membership.Role.EDITOR)
    client.force_login(stranger)
    assert client.get(page).status_code == 404 and client.get(api).status_code == 404
    client.force_login(people["member"])
    assert client.get(page).status_code == 200
    tables = client.get(api).json()["disparity"]["tables"]
    assert any(t["level"] for t in tables)  # the MSOA table too, for those who may see it


def test_one_authoritys_lens_keeps_the_msoas_its_neighbourhoods_lie_in(loaded):
    """Cut to some base areas (one authority of a package), an MSOA table keeps exactly the
    MSOAs those areas lie in, with their published counts, and each kept base area still
    points at its own MSOA."""
    from commonground.catalogue.services.lens import lens_city
    from commonground.lens.subset import subset_city

    city = lens_city(loaded)
    [coarse] = city.coarse
    keep = np.isin(coarse.parent, np.unique(coarse.parent)[::3])  # every third MSOA's areas
    [cut] = subset_city(city, keep, name="part").coarse
    expected = sorted({coarse.codes[p] for p in coarse.parent[keep]})
    assert sorted(cut.codes) == expected and len(expected) < len(coarse.codes)
    for i, code in enumerate(cut.codes):
        j = coarse.codes.index(code)
        assert np.array_equal(cut.table.counts[i], coarse.table.counts[j])
        assert cut.names[i] == coarse.names[j] and cut.table.totals[i] == coarse.table.totals[j]
    kept = [city.area_codes[i] for i in np.flatnonzero(keep)]
    assert [cut.codes[p] for p in cut.parent] == [coarse.codes[coarse.parent[city.area_codes.index(c)]]
                                                  for c in kept]
