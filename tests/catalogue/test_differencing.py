"""Differencing versions of a dataset about people, and the presence policy (issue 14, item 3).

A food bank publishes where its clients live, twice; between the two versions one client
moves from neighbourhood A to neighbourhood B. Each version's table is safe on its own (every
count is well above the threshold, so none needs hiding), but the two side by side show the
move. So only the
live version's disclosure-controlled counts are public; older versions' counts, row totals,
unplaced rows and which rows they are belong to the food bank's members. And a hidden count
never tells "none" from "a few" (docs/DISCLOSURE.md).
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Event
from commonground.catalogue.models import IngestJob
from commonground.catalogue.services.disclosure import public_counts

pytestmark = pytest.mark.django_db

THRESHOLD = 10
SPREAD = 12  # clients in every other neighbourhood: shown, so the table has something to hide in
MOVE_FROM = {1: 20, 2: 19}  # neighbourhood A, by version
MOVE_TO = {1: 15, 2: 16}  # neighbourhood B
UNPLACED = {1: 2, 2: 3}  # rows with no neighbourhood


def _table(state, version: int, *, sparse: bool = False) -> dict:
    """Clients per base area in ``version``, and the places the tests look at: A and B, and
    (``sparse``) a ward with clients in one neighbourhood only (3 of them) and a ward with
    none."""
    ward_of = state.members("ward").argmax(axis=0)
    few_ward, empty_ward = ward_of[0], next(w for w in ward_of if w != ward_of[0])
    few = np.flatnonzero(ward_of == few_ward)
    empty = np.flatnonzero(ward_of == empty_ward)
    elsewhere = np.flatnonzero((ward_of != few_ward) & (ward_of != empty_ward))
    counts = np.full(len(state.base_areas), SPREAD)
    if sparse:
        counts[few], counts[empty] = 0, 0
        counts[few[0]] = 3
    a, b = elsewhere[:2]
    counts[a], counts[b] = MOVE_FROM[version], MOVE_TO[version]
    code = [area.code for area in state.base_areas]
    wards = state.by_geography["ward"]
    return {"counts": counts, "a": code[a], "b": code[b], "few_lsoa": code[few[0]],
            "empty_lsoa": code[empty[0]], "few_ward": wards[few_ward].code,
            "empty_ward": wards[empty_ward].code}


def _csv(path, state, version: int, *, sparse: bool = False):
    counts = _table(state, version, sparse=sparse)["counts"]
    lines = ["client,area"]
    for area, n in zip(state.base_areas, counts, strict=True):
        lines += [f"c{len(lines)},{area.code}" for _ in range(int(n))]
    lines += [f"c{len(lines)}," for _ in range(UNPLACED[version])]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def clients(loaded, make_dataset, ingest_path, tmp_path, settings):
    """The food bank's dataset about people with two versions; version 2 is live."""
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = THRESHOLD
    dataset = make_dataset("food-bank-clients", title="Food bank clients", about_people=True)
    first = ingest_path(dataset, _csv(tmp_path / "v1.csv", loaded, 1), name="Clients")
    second = ingest_path(dataset, _csv(tmp_path / "v2.csv", loaded, 2), resource=first.resource)
    assert first.status == second.status == IngestJob.Status.DONE, (first.error, second.error)
    assert second.version.number == 2 and second.version.report["links"]["unmatched"] == 3
    return {"dataset": dataset, "resource": first.resource, "old": first.version,
            "live": second.version, **_table(loaded, 2)}


@pytest.fixture
def sparse(loaded, make_dataset, ingest_path, tmp_path, settings):
    """A live version with a ward where 3 clients live and a ward where none do."""
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = THRESHOLD
    dataset = make_dataset("pantry-visitors", title="Pantry visitors", about_people=True)
    job = ingest_path(dataset, _csv(tmp_path / "sparse.csv", loaded, 2, sparse=True))
    assert job.status == IngestJob.Status.DONE, job.error
    return {"dataset": dataset, "resource": job.resource, **_table(loaded, 2, sparse=True)}


@pytest.fixture
def audiences(people, django_user_model):
    """Who must not see the older version: anyone, a signed-in stranger, and an editor of
    another organisation. Who may: the food bank's (council's) plain member."""
    rival = Organisation.objects.create(slug="mk-food-network", name="MK Food Network",
                                        kind=Organisation.Kind.VOLUNTARY_SECTOR)
    editor = django_user_model.objects.create_user("rival-editor", password="pw-rival-1")
    Membership.objects.create(user=editor, organisation=rival, role=Membership.Role.EDITOR)
    return {"public": [None, people["outsider"], editor], "member": people["member"]}


def _as(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def _aggregate(client, clients, geography: str, **params):
    return client.get(f"/api/catalogue/resources/{clients['resource'].id}/aggregate",
                      {"geography": geography, **params})


def _counts(response) -> dict:
    return {a["code"]: a["count"] for a in response.json()["areas"]}


def test_the_older_versions_counts_are_for_members_only(client, clients, audiences):
    for user in audiences["public"]:
        _as(client, user)
        for geography in ("lsoa21", "ward"):
            old = _aggregate(client, clients, geography, version=1)
            assert old.status_code == 403, (user, geography)
            assert "older version" in old.json()["detail"]
        live = _aggregate(client, clients, "lsoa21")
        assert live.status_code == 200 and live.json()["version"] == 2
        assert _aggregate(client, clients, "lsoa21", version=2).json() == live.json()
    _as(client, audiences["member"])
    old = _counts(_aggregate(client, clients, "lsoa21", version=1))
    live = _counts(_aggregate(client, clients, "lsoa21"))
    assert (old[clients["a"]], old[clients["b"]]) == (MOVE_FROM[1], MOVE_TO[1])
    assert (live[clients["a"]], live[clients["b"]]) == (MOVE_FROM[2], MOVE_TO[2])


def test_only_the_live_version_is_public_so_there_is_nothing_to_difference(
        client, clients, audiences, loaded):
    """Everything the public can read about the dataset per area is the live version's one
    table (``public_counts``): no path gives a second table to set against it."""
    live = public_counts(clients["live"])
    resource = clients["resource"]
    for user in audiences["public"]:
        _as(client, user)
        for geography in ("lsoa21", "msoa21", "ward"):
            shown = _counts(_aggregate(client, clients, geography))
            assert shown == dict(live.areas[geography]), geography
        # the page of the older version has no map and no counts
        page = client.get(resource.get_absolute_url(), {"version": 1}).content.decode()
        assert "Where the rows are" not in page and "older version are for members" in page
        assert "Where the rows are" in client.get(resource.get_absolute_url()).content.decode()
        changes = client.get(f"/datasets/{clients['dataset'].name}/resources/{resource.id}/changes")
        assert changes.status_code == 403
        assert client.get(f"/api/catalogue/resources/{resource.id}/changes").status_code == 403
    # a place page lists the dataset only with its live, shown count
    ward = next(code for code, n in live.areas["ward"] if n is not None)
    page = _as(client, None).get(f"/places/ward/{ward}/").content.decode()
    listed = re.search(r"Food bank clients</a> — ([\d,]+) rows", page)
    assert listed and int(listed.group(1).replace(",", "")) == live.count("ward", ward)
    # the older version's table differs (A and B): that difference is what stays private
    old = public_counts(clients["old"])
    assert old.areas["lsoa21"] != live.areas["lsoa21"]
    _as(client, audiences["member"])
    assert _counts(_aggregate(client, clients, "lsoa21", version=1)) != dict(
        live.areas["lsoa21"])


def test_row_totals_unplaced_rows_and_row_numbers_are_for_members(client, clients, audiences):
    resource, dataset = clients["resource"], clients["dataset"]
    totals = [f"{v.row_count:,}" for v in (clients["old"], clients["live"])]
    for user in audiences["public"]:
        _as(client, user)
        body = client.get(f"/api/catalogue/resources/{resource.id}").json()
        for version in [body["current_version"], *body["versions"]]:
            assert version["rows"] is None and version["size"] is None, user
            assert version["links"] is None  # rows placed, unplaced, and which row numbers
        one = client.get(f"/api/catalogue/resources/{resource.id}/versions/1").json()
        assert one["rows"] is None and one["links"] is None
        listing = client.get(f"/api/catalogue/datasets/{dataset.name}").json()
        assert listing["resources"][0]["current_version"]["rows"] is None
        ckan = client.get("/api/3/action/package_show", {"id": dataset.name}).json()
        assert ckan["result"]["resources"][0]["size"] is None
        # rows outside every neighbourhood are not an entry of the table
        for geography in ("lsoa21", "ward"):
            assert None not in _counts(_aggregate(client, clients, geography))
        for url in (dataset.get_absolute_url(), resource.get_absolute_url(),
                    f"{resource.get_absolute_url()}?version=1"):
            page = client.get(url).content.decode()
            assert not any(total in page for total in totals), url
            assert "could not be placed" not in page
    # news of the new version names no row count
    news = Event.objects.filter(text__contains="version 2").values_list("text", flat=True)
    assert news and not any(re.search(r"\d rows", text) for text in news)
    _as(client, audiences["member"])
    body = client.get(f"/api/catalogue/resources/{resource.id}").json()
    assert body["current_version"]["rows"] == clients["live"].row_count
    assert body["current_version"]["links"]["unmatched"] == UNPLACED[2]
    page = client.get(resource.get_absolute_url()).content.decode()
    assert totals[1] in page and "could not be placed" in page


def test_none_is_not_told_apart_from_a_few(client, sparse, loaded):
    """A neighbourhood with 3 visitors and one with none look the same everywhere; so do a ward
    with 3 and a ward with none."""
    clients = sparse
    _as(client, None)
    lsoa = _aggregate(client, clients, "lsoa21").json()["areas"]
    assert [a["code"] for a in lsoa] == [a.code for a in loaded.base_areas]  # every area listed
    entry = {a["code"]: {k: v for k, v in a.items() if k != "code"} for a in lsoa}
    assert entry[clients["few_lsoa"]] == entry[clients["empty_lsoa"]] == {
        "count": None, "value": None, "suppressed": True}
    wards = {a["code"]: a for a in _aggregate(client, clients, "ward").json()["areas"]}
    assert wards[clients["few_ward"]]["suppressed"] and wards[clients["empty_ward"]]["suppressed"]
    for ward in (clients["few_ward"], clients["empty_ward"]):
        assert "Pantry visitors" not in client.get(f"/places/ward/{ward}/").content.decode()
        found = client.get("/api/catalogue/datasets", {"area": f"ward:{ward}"}).json()
        assert clients["dataset"].name not in [d["name"] for d in found["datasets"]]
        facet = client.get("/api/catalogue/datasets").json()["facets"]["area"]
        assert f"ward:{ward}" not in [f["name"] for f in facet]
    # the rows map: one class for every hidden count, none for "no rows"
    page = client.get(clients["resource"].get_absolute_url()).content.decode()
    assert "count hidden" in page and "no rows" not in page
    # the open summary's tables word a hidden count one way, whether it is none or a few
    def cell(code):
        return re.search(rf"<td>{code}</td><td class=\"n\">([^<]*)</td>", page).group(1)

    for few, empty in (("few_lsoa", "empty_lsoa"), ("few_ward", "empty_ward")):
        assert cell(clients[few]) == cell(clients[empty]) == "fewer than 10, or hidden"
    # and the pattern of hidden counts gives no small count away: a shown ward never has
    # exactly one hidden neighbourhood
    shown = _counts(_aggregate(client, clients, "lsoa21"))
    ward_of = loaded.members("ward").argmax(axis=0)
    for i, ward in enumerate(loaded.by_geography["ward"]):
        if wards[ward.code]["count"] is not None:
            inside = [loaded.base_areas[j].code for j in np.flatnonzero(ward_of == i)]
            assert sum(shown[c] is None for c in inside) != 1, ward.code


def test_a_pack_citing_an_older_version_withholds_its_figures(clients, people, ingest_path,
                                                              tmp_path, loaded):
    from commonground.evidence import document, services
    from commonground.evidence.models import PackItem

    editor = people["editor"]
    pack = services.create_pack(editor, clients["dataset"].organisation, title="Food",
                                question="Who needs food?", place=clients["a"])
    item = services.add_item(editor, pack, PackItem.Kind.DATASET, dataset=clients["dataset"])
    assert item.snapshot["cites"][0]["rows"] is None  # no row total in the citation
    assert document.pack_dict(pack)["items"][0].get("withheld") is None
    ingest_path(clients["dataset"], _csv(tmp_path / "v3.csv", loaded, 1),
                resource=clients["resource"])
    entry = document.pack_dict(pack)["items"][0]
    assert entry["withheld"] == document.OLDER_VERSION and "figures" not in entry
    services.refresh_item(editor, item)
    assert document.pack_dict(pack)["items"][0].get("withheld") is None
