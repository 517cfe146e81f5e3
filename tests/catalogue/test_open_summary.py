"""A restricted dataset's open summary: on its resource page anyone reads its rows per ward,
MSOA and LSOA and downloads each as CSV, with the hub's disclosure control — a small count
(none included), or one that would give it away, is hidden, in the page and the CSV alike,
to someone signed out and to a member of another organisation; the CSV says what the
aggregate API says. The dataset's own organisation sees the exact counts.

On the council's real charge points (read through the data package's manifest), restricted as
a whole.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import IngestJob
from commonground.catalogue.services.disclosure import public_counts
from commonground.geography.codes import family, vintage_year
from commonground.geography.manifest import load_manifest
from commonground.places.cache import city_state

pytestmark = pytest.mark.django_db

THRESHOLD = 10


@pytest.fixture
def chargers(loaded, council, make_dataset, ingest_path, data_dir, settings):
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = THRESHOLD
    source = next(r for r in load_manifest(data_dir).resources if r.name == "ev-chargepoints")
    dataset = make_dataset("ev-chargepoints", title=source.title, restricted=True,
                           period_column="datecreated")
    job = ingest_path(dataset, data_dir / source.path, name=source.title)
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.version


@pytest.fixture
def clients(council, django_user_model):
    """Someone signed out, a member of another organisation, and a member of the council."""
    group = Organisation.objects.create(slug="mk-green", name="MK Green",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    outsider = django_user_model.objects.create_user("green", password="pw-green-1")
    Membership.objects.create(user=outsider, organisation=group, role=Membership.Role.EDITOR)
    member = django_user_model.objects.create_user("clerk", password="pw-clerk-1")
    Membership.objects.create(user=member, organisation=council, role=Membership.Role.MEMBER)
    other, own = Client(), Client()
    other.force_login(outsider)
    own.force_login(member)
    return {"signed out": Client(), "member of another organisation": other, "member": own}


OUTSIDERS = ["signed out", "member of another organisation"]


def _summary_geographies(version) -> list[str]:
    """The wards, MSOAs and LSOAs of the city's current boundaries (its base areas')."""
    year = vintage_year(city_state().base)
    return [g for g in public_counts(version).areas
            if family(g) in ("ward", "msoa", "lsoa") and vintage_year(g) in (None, year)]


def _csv(client, dataset, version, geography) -> list[dict]:
    url = reverse("catalogue:summary_csv", args=[dataset.name, version.resource_id, geography])
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _api(client, version, geography) -> dict:
    response = client.get(f"/api/catalogue/resources/{version.resource_id}/aggregate",
                          {"geography": geography})
    assert response.status_code == 200, response.content[:300]
    return response.json()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_the_resource_page_shows_the_controlled_counts_per_ward_msoa_and_lsoa(
        chargers, clients, who):
    dataset, version = chargers
    public = public_counts(version)
    page = clients[who].get(version.resource.get_absolute_url()).content.decode()
    assert "Open summary: rows per ward / MSOA / LSOA" in page
    assert reverse("catalogue:lens", args=[dataset.name]) in page
    geographies = _summary_geographies(version)
    assert {family(g) for g in geographies} == {"ward", "msoa", "lsoa"}
    for geography in geographies:
        assert reverse("catalogue:summary_csv",
                       args=[dataset.name, version.resource_id, geography]) in page
    hidden = sum(n is None for g in geographies for _, n in public.areas[g])
    assert hidden, "the real charge points have small counts to hide"
    assert page.count(f'<td class="n">fewer than {THRESHOLD}, or hidden</td>') == hidden
    # the rows themselves stay withheld
    assert "Silbury Boulevard" not in page
    front = clients[who].get(dataset.get_absolute_url()).content.decode()
    assert f'{version.resource.get_absolute_url()}#open-summary' in front


@pytest.mark.parametrize("who", OUTSIDERS)
def test_each_csv_hides_small_counts_and_agrees_with_the_aggregate_api(chargers, clients, who):
    dataset, version = chargers
    client = clients[who]
    for geography in _summary_geographies(version):
        rows = _csv(client, dataset, version, geography)
        api = {a["code"]: a for a in _api(client, version, geography)["areas"]}
        assert [r["code"] for r in rows] == list(api)  # every area, in the same order
        for row in rows:
            expected = api[row["code"]]
            assert (row["hidden"] == "true") is expected["suppressed"]
            assert row["rows"] == ("" if expected["suppressed"] else str(expected["count"]))
            if row["rows"]:
                assert int(row["rows"]) >= THRESHOLD
        assert any(r["hidden"] == "true" for r in rows)


def test_members_see_the_exact_counts_in_the_page_and_the_csv(chargers, clients):
    dataset, version = chargers
    client = clients["member"]
    page = client.get(version.resource.get_absolute_url()).content.decode()
    assert "Open summary" in page and "or hidden</td>" not in page
    for geography in _summary_geographies(version):
        rows = _csv(client, dataset, version, geography)
        assert all(r["hidden"] == "false" for r in rows)
        exact = {a["code"] or "": a["count"] for a in _api(client, version, geography)["areas"]}
        assert {r["code"]: int(r["rows"]) for r in rows if int(r["rows"])} == exact
        hidden = {code for code, n in public_counts(version).areas[geography] if n is None}
        assert any(0 < exact.get(code, 0) < THRESHOLD for code in hidden)


def test_a_summary_is_only_of_withheld_rows_and_of_known_geographies(
        chargers, clients, make_dataset, ingest_path, data_dir):
    dataset, version = chargers
    client = clients["signed out"]
    unknown = reverse("catalogue:summary_csv", args=[dataset.name, version.resource_id, "oa21"])
    response = client.get(unknown)
    assert response.status_code == 404
    source = next(r for r in load_manifest(data_dir).resources if r.name == "ev-chargepoints")
    open_data = make_dataset("open-chargers")
    job = ingest_path(open_data, data_dir / source.path, name="Open chargers")
    url = reverse("catalogue:summary_csv", args=[open_data.name, job.version.resource_id,
                                                 _summary_geographies(version)[0]])
    assert client.get(url).status_code == 404  # its rows are open: download them
    page = client.get(job.version.resource.get_absolute_url()).content.decode()
    assert "Open summary" not in page
