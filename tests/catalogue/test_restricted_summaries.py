"""A restricted dataset's open summary is the one a dataset about people already has.

The council publishes the National Chargepoint Registry's charge points (read from the real
data package through its manifest) and restricts them: anyone still finds them, but their
rows per area — on place pages, in the aggregate API, in the search's area facet and filter,
on the rows map, in the difference lens and in an evidence pack — go through disclosure
control, to someone signed out and to a member of another organisation alike: no count below
the threshold is shown, none included, and no row is drawn as a dot. The same data open shows
its exact counts, as before. A dataset restricted in named columns only keeps its exact
counts, but its rows' exact locations are drawn nowhere.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import IngestJob
from commonground.catalogue.services.disclosure import public_counts
from commonground.catalogue.services.searchtext import refresh_search_text
from commonground.evidence import services as packs
from commonground.evidence.models import PackItem

pytestmark = pytest.mark.django_db

THRESHOLD = 10


def manifest_path(data_dir, name: str):
    """The file of the data package's resource ``name`` (as its manifest says)."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = [r for r in package["resources"] if r["name"] == name]
    return data_dir / resource["path"]


@pytest.fixture
def chargers(loaded, make_dataset, ingest_path, data_dir, settings):
    settings.COMMONGROUND_DISCLOSURE_THRESHOLD = THRESHOLD
    dataset = make_dataset("ev-chargepoints", title="Electric vehicle charge points")
    job = ingest_path(dataset, manifest_path(data_dir, "ev-chargepoints"), name="Charge points")
    assert job.status == IngestJob.Status.DONE, job.error
    refresh_search_text(dataset)
    return dataset, job.version


@pytest.fixture
def viewers(council, django_user_model):
    """Someone signed out, and a member of another organisation than the council."""
    group = Organisation.objects.create(slug="mk-green", name="MK Green",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    user = django_user_model.objects.create_user("green-member", password="pw-green-1")
    Membership.objects.create(user=user, organisation=group, role=Membership.Role.EDITOR)
    other = Client()
    other.force_login(user)
    return {"signed out": Client(), "member of another organisation": other}


def _restrict(dataset, access: str, columns: str = "") -> None:
    dataset.restricted = access == "restricted"
    dataset.restricted_columns = columns
    dataset.save()


def _exact(version, geography: str) -> dict[str, int]:
    return dict(version.areas.filter(geography=geography).values_list("code", "rows"))


def _hidden_and_shown(version, geography: str) -> tuple[str, str]:
    """An area with rows whose count disclosure control hides, and one it shows."""
    public = public_counts(version)
    exact = _exact(version, geography)
    hidden = next(c for c, n in sorted(exact.items()) if n and public.count(geography, c) is None)
    shown = next(c for c, n in sorted(exact.items()) if public.count(geography, c) is not None)
    return hidden, shown


@pytest.mark.parametrize("access", ["open", "restricted"])
def test_rows_per_area_are_disclosure_controlled_only_when_restricted(chargers, viewers,
                                                                       loaded, access):
    dataset, version = chargers
    _restrict(dataset, access)
    base = loaded.base
    exact = _exact(version, base)
    small = next(c for c, n in sorted(exact.items()) if 0 < n < THRESHOLD)
    _, ward = _hidden_and_shown(version, "ward")
    api = f"/api/catalogue/resources/{version.resource_id}/aggregate"
    for who, client in viewers.items():
        counts = {a["code"]: a["count"] for a in client.get(
            api, {"geography": base}).json()["areas"]}
        wards = {a["code"]: a["count"] for a in client.get(
            api, {"geography": "ward"}).json()["areas"]}
        small_page = client.get(f"/places/{base}/{small}/").content.decode()
        ward_page = client.get(f"/places/ward/{ward}/").content.decode()
        if access == "open":  # exact, as before
            assert {c: n for c, n in counts.items() if n} == {c: n for c, n in exact.items()
                                                              if n}, who
            assert dataset.title in small_page, who
        else:
            assert counts[small] is None, who
            assert all(n is None or n >= THRESHOLD for n in counts.values()), who
            assert dataset.title not in small_page, who  # being listed would tell
        assert wards[ward] == _exact(version, "ward")[ward] >= THRESHOLD, who
        assert dataset.title in ward_page and f"{wards[ward]:,} rows in this area" in ward_page


@pytest.mark.parametrize("access", ["open", "restricted"])
def test_the_search_area_facet_and_filter_leave_out_hidden_counts(chargers, viewers, access):
    dataset, version = chargers
    _restrict(dataset, access)
    hidden, _ = _hidden_and_shown(version, "ward")
    for who, client in viewers.items():
        found = client.get("/api/catalogue/datasets", {"q": "charge"}).json()
        assert [d["name"] for d in found["datasets"]] == [dataset.name], who  # findable
        wards = {item["name"] for item in found["facets"]["area"]}
        filtered = client.get("/api/catalogue/datasets",
                              {"q": "charge", "area": f"ward:{hidden}"}).json()["total"]
        if access == "open":
            assert f"ward:{hidden}" in wards and filtered == 1, who
        else:
            assert f"ward:{hidden}" not in wards and filtered == 0, who
            public = public_counts(version)
            assert all(public.count("ward", w.partition(":")[2]) is not None for w in wards)


def test_the_lens_of_a_restricted_dataset_shows_only_counts_above_the_threshold(
        chargers, viewers):
    dataset, _ = chargers
    api = f"/api/catalogue/datasets/{dataset.name}/lens"
    open_result = viewers["signed out"].get(api).json()
    assert not any(a["suppressed"] for a in open_result["where"]["areas"])
    assert viewers["signed out"].get(api, {"measure": "weight",
                                           "column": "n_connectors"}).status_code == 200
    _restrict(dataset, "restricted")
    for who, client in viewers.items():
        result = client.get(api).json()
        assert result["disclosure"]["threshold"] == THRESHOLD, who
        assert result["disclosure"]["hidden_areas"] > 0, who
        for area in result["where"]["areas"]:
            assert area["measure"] is None or area["measure"] >= THRESHOLD, who
        assert result["dataset"]["access"] == "restricted"
        refused = client.get(api, {"measure": "weight", "column": "n_connectors"})
        assert refused.status_code == 400 and "is restricted" in refused.json()["detail"]
        page = client.get(f"/datasets/{dataset.name}/lens/").content.decode()
        assert "Sum of a column" not in page, who  # only counts are offered


def test_a_lens_cannot_add_up_or_filter_on_a_restricted_column(chargers, viewers):
    dataset, _ = chargers
    _restrict(dataset, "restricted", "postcode\nn_connectors")
    api = f"/api/catalogue/datasets/{dataset.name}/lens"
    client = viewers["member of another organisation"]
    assert client.get(api).status_code == 200  # rows are open: counts are exact
    summed = client.get(api, {"measure": "weight", "column": "n_connectors"})
    assert summed.status_code == 400 and "'n_connectors' is restricted" in summed.json()["detail"]
    filtered = client.get(api, {"where": "postcode=MK9 2AD"})
    assert filtered.status_code == 400 and "'postcode'" in filtered.json()["detail"]
    assert client.get(api, {"where": "max_kw>=7"}).status_code == 200  # an open column
    page = client.get(f"/datasets/{dataset.name}/lens/",
                      {"measure": "weight", "column": "n_connectors"}).content.decode()
    assert '<option value="max_kw"' in page and '<option value="n_connectors"' not in page
    assert '<option value="weight" selected' not in page  # the page counts rows instead


def test_a_restricted_lens_refuses_a_visitors_filters_so_totals_cannot_be_differenced(
        chargers, viewers, council, people):
    """Two filtered totals differenced — ``reference!=`` a charger's reference against a value
    no row holds — would say whether the withheld rows hold that reference, and ``>=`` on two
    near values would count the rows between them exactly: outside the council, the lens of
    the restricted chargers refuses every filter and measure asked for, on the page, its
    downloads and the API; the editors' own filters still apply, the same for everyone."""
    import pyarrow.parquet as pq

    dataset, version = chargers
    references = [r for r in pq.read_table(version.parquet_path, columns=["reference"])
                  .column("reference").to_pylist() if r]
    held, unheld = references[0], "NO-SUCH-CHARGER"
    assert unheld not in references
    api = f"/api/catalogue/datasets/{dataset.name}/lens"
    paths = {"api": (api, {}), "lens.json": (f"/datasets/{dataset.name}/lens.json", {}),
             "lens.csv": (f"/datasets/{dataset.name}/lens.csv", {"table": "areas"}),
             "page": (f"/datasets/{dataset.name}/lens/", {})}
    member = Client()
    member.force_login(people["member"])

    def total(client, value):
        return client.get(api, {"where": f"reference!={value}"}).json()["measure"]["total"]

    # open, the difference is there for anyone (the rows are public anyway)
    assert total(viewers["signed out"], unheld) - total(viewers["signed out"], held) >= 1
    _restrict(dataset, "restricted")
    for who, client in viewers.items():
        for where, (url, extra) in paths.items():
            for asked in ({"where": f"reference!={held}"}, {"where": f"reference!={unheld}"},
                          {"where": "max_kw>=22"},
                          {"measure": "weight", "column": "n_connectors"}):
                response = client.get(url, {**extra, **asked})
                assert response.status_code in (400, 403), (who, where, asked)
                if "where" in asked:  # (a sum is refused to everyone, in its own words)
                    said = response.content.decode()
                    assert "Only plain counts per area are public" in said, (who, where)
            assert client.get(url, extra).status_code == 200, (who, where)  # plain counts
    # the council's members hold the rows: their filters work as before
    assert total(member, unheld) - total(member, held) >= 1
    # an editor's filter applies to everyone, members and visitors alike
    plain = viewers["signed out"].get(api).json()["measure"]["total"]
    dataset.lens_filters = "max_kw>=22"
    dataset.save()
    for client in (*viewers.values(), member):
        result = client.get(api).json()
        assert result["dataset"]["filters"]["dataset"] == ["max_kw>=22"]
        assert result["measure"]["total"] < plain


@pytest.mark.parametrize("access,columns,dots", [
    ("open", "", True), ("restricted", "", False), ("restricted", "postcode\nstreet", False)])
def test_the_rows_map_draws_dots_only_for_open_rows(chargers, loaded, access, columns, dots):
    from commonground.catalogue.services.rowmap import rows_map

    dataset, version = chargers
    _restrict(dataset, access, columns)
    version.resource.dataset.refresh_from_db()  # the map reads the dataset through the version
    result = rows_map(version)
    assert ("Dots show" in result["description"]) == dots
    assert ("<circle" in result["svg"]) == dots
    assert ("count hidden" in result["svg"]) == dataset.records_withheld
    if dataset.partly_withheld:  # open rows: exact counts, locations withheld
        assert "exact locations are restricted" in result["description"]
        assert result["linked_areas"] == len(_exact(version, loaded.base))


@pytest.mark.parametrize("columns", ["", "postcode"])
def test_a_pack_cites_a_restricted_dataset_with_its_open_summary(chargers, django_user_model,
                                                                  loaded, columns):
    dataset, version = chargers
    _restrict(dataset, "restricted", columns)
    group = Organisation.objects.create(slug="mk-green", name="MK Green",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    editor = django_user_model.objects.create_user("green-editor", password="pw-green-2")
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    public = public_counts(version)
    hidden = next(c for c, n in sorted(_exact(version, loaded.base).items())
                  if n and public.count(loaded.base, c) is None)
    pack = packs.create_pack(editor, group, title="Chargers here", place=hidden,
                             question="Where can people charge?")
    item = packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=dataset)
    snap = item.snapshot
    assert snap["map"]["dots"] == 0 and "<circle" not in snap["map"]["svg"]
    (cite,) = snap["cites"]
    here = snap["figures"][0]
    if columns:  # rows open, named columns restricted: exact counts, no dots
        assert here["number"] == _exact(version, loaded.base)[hidden] and cite["rows"]
        assert "restricted, so no locations are drawn" in snap["map"]["description"]
    else:
        assert here["number"] is None and "restricted" in here["value"]
        assert cite["rows"] is None and cite["records_withheld"] is True
    packs.publish(editor, pack)
    page = Client().get(pack.get_absolute_url()).content.decode()
    assert "Figures withheld" not in page and dataset.title in page


def test_a_pack_taken_before_the_dataset_was_restricted_is_withheld(chargers, django_user_model,
                                                                    loaded):
    from commonground.evidence.document import NOW_RESTRICTED, pack_dict

    dataset, version = chargers
    group = Organisation.objects.create(slug="mk-green", name="MK Green",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    editor = django_user_model.objects.create_user("green-editor", password="pw-green-2")
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    busiest = max(_exact(version, loaded.base).items(), key=lambda cn: cn[1])[0]
    pack = packs.create_pack(editor, group, title="Chargers", place=busiest, question="Where?")
    packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=dataset)
    assert pack_dict(pack)["items"][0].get("withheld") is None
    for columns in ("postcode", ""):  # dots then exact small counts were taken in the open
        _restrict(dataset, "restricted", columns)
        assert pack_dict(pack)["items"][0]["withheld"] == NOW_RESTRICTED


def test_announcements_of_a_restricted_dataset_name_no_places_or_row_counts(chargers):
    from commonground.activity.models import Event
    from commonground.catalogue.services import announce

    dataset, version = chargers
    announce.new_version(version)
    open_event = Event.objects.order_by("-pk").first()
    assert f"{version.row_count:,} rows" in open_event.text
    _restrict(dataset, "restricted")
    version.resource.dataset.refresh_from_db()  # announced as the dataset now is
    announce.new_version(version)
    event = Event.objects.order_by("-pk").first()
    assert "rows" not in event.text
    assert not event.targets.filter(kind="place").exists()
    assert open_event.targets.filter(kind="place").exists()
