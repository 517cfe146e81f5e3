"""Community buildings as candidates for community-owned solar, on the real data: schools,
GP practices, libraries and large roofs, ranked by need nearby or by what the roof makes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commonground.catalogue.models import IngestJob, Tag, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def buildings(loaded, make_dataset, ingest_path, data_dir):
    schools = make_dataset("schools", title="Schools")
    schools.themes.add(Theme.objects.create(name="education", title="Education"))
    roofs = make_dataset("large-roofs", title="Large roofs")
    roofs.tags.add(Tag.objects.create(name="buildings"))
    shops = make_dataset("supermarkets", title="Supermarkets")  # not a community building
    for dataset, path in ((schools, "points/mk_schools_gias_2025-05.csv"),
                          (roofs, "buildings/mk_osm_warehouse_footprints_2022.geojson"),
                          (shops, "points/mk_osm_supermarkets_2022.geojson")):
        job = ingest_path(dataset, data_dir / path)
        assert job.status == IngestJob.Status.DONE, job.error
    return schools, roofs


def test_candidates_are_ranked_by_need_or_by_generation(client, buildings):
    by_need = client.get("/api/energy/buildings").json()["buildings"]
    assert len(by_need) == 125 + 34  # schools and large roofs; supermarkets are not candidates
    shares = [b["deprived_share_nearby"] or 0 for b in by_need]
    assert shares == sorted(shares, reverse=True)
    by_kwh = client.get("/api/energy/buildings", {"by": "generation"}).json()["buildings"]
    made = [(b["potential"] or {}).get("annual_kwh") or 0 for b in by_kwh]
    assert made == sorted(made, reverse=True) and made[0] > 0
    roof = by_kwh[0]
    assert roof["dataset"] == "large-roofs" and roof["footprint_m2"] > 0
    # flat roof, south-facing frames at 10°: about 850-950 kWh per kWp in Milton Keynes
    assert 850 < roof["potential"]["specific_yield_kwh_per_kwp"] < 950
    assert roof["potential"]["kwp"] == pytest.approx(roof["footprint_m2"] * 0.5 * 0.2, rel=1e-3)
    assert client.get("/api/energy/buildings", {"by": "nonsense"}).status_code == 400


def test_need_nearby_counts_residents_within_800_metres(client, buildings, loaded):
    rows = client.get("/api/energy/buildings").json()["buildings"]
    for b in rows[:10]:
        assert b["residents_nearby"] > 0 and 0 <= b["deprived_share_nearby"] <= 1
    everyone = sum(loaded.population)
    assert all(b["residents_nearby"] < everyone for b in rows)


def test_each_building_has_a_page_and_its_roof_can_be_entered(client, buildings):
    page = client.get(reverse("energy:buildings"))
    assert page.status_code == 200 and "roof unknown" in page.content.decode()
    school = next(b for b in client.get("/api/energy/buildings").json()["buildings"]
                  if b["dataset"] == "schools")
    url = reverse("energy:building", args=["schools", school["id"]])
    html = client.get(url).content.decode()
    assert school["name"] in html and "no outline" in html
    entered = client.get(url, {"footprint_m2": "1200"}).content.decode()
    assert "120.0 kWp" in entered
    bad = client.get(url, {"footprint_m2": "-5"})
    assert bad.status_code == 400 and "positive number" in bad.content.decode()
    assert client.get(reverse("energy:building", args=["schools", 99999])).status_code == 404
