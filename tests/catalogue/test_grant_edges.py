"""Where a grant or a key could outlast what it was given for, on the real charge points:
a key whose maker left the organisation, a grantee whose account was closed, a period
column changed or cleared after the grant, a dataset opened again, and a withheld column
renamed in a new version. Each fails closed (and none gives less than everyone reads)."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from commonground.accounts import keys as api_keys
from commonground.accounts.models import Membership
from commonground.catalogue import access
from commonground.catalogue.models import Dataset, DatasetKey, Grant, RowRead
from commonground.datastore.scope import visible_columns

from . import test_grant_reads
from .test_grant_reads import FIRST, LAST, _every_row

world = test_grant_reads.world  # the two restricted datasets, grants and keys

pytestmark = pytest.mark.django_db


def _rows(dataset, **headers):
    resource = dataset.resources.get()
    client = Client()
    answer = client.get(f"/api/catalogue/resources/{resource.id}/rows?limit=1000",
                        headers=headers)
    return answer


def _fresh(dataset):
    return Dataset.objects.get(pk=dataset.pk)


def test_an_editors_key_stops_when_its_maker_is_no_longer_an_editor(world):
    w = world
    editor = w.people["editor"]
    _, secret = api_keys.make(DatasetKey, scope="read", user=editor, dataset=w.older.resource
                              .dataset, label="nightly export")
    dataset = w.older.resource.dataset
    assert _rows(dataset, **{"X-API-Key": secret}).status_code == 200
    Membership.objects.filter(user=editor).update(role=Membership.Role.MEMBER)
    assert _rows(_fresh(dataset), **{"X-API-Key": secret}).status_code == 403
    Membership.objects.filter(user=editor).delete()
    assert _rows(_fresh(dataset), **{"X-API-Key": secret}).status_code == 403


def test_a_grantees_key_stops_when_their_account_is_closed(world):
    w = world
    assert _rows(w.whole, **{"X-API-Key": w.keys["ev-whole"]}).status_code == 200
    w.grantee.is_active = False
    w.grantee.save(update_fields=["is_active"])
    assert _rows(_fresh(w.whole), **{"X-API-Key": w.keys["ev-whole"]}).status_code == 403


def _in_period(version, column) -> list[int]:
    return [r["_id"] for r in _every_row(version)
            if r[column] is not None and FIRST <= r[column].date() <= LAST]


def test_a_grants_period_stays_on_the_column_it_was_granted_on(world):
    w = world
    # the workflow stores the column (test_access_requests checks it); here, directly
    asked = {"columns": None, "places": None, "detail": "exact", "months": 6,
             "period": {"from": FIRST.isoformat(), "to": LAST.isoformat()}}
    grant = Grant.objects.create(
        dataset=w.whole, user=w.people["member"], expires=timezone.now() + timedelta(days=9),
        scope={**asked, "period": {**asked["period"], "column": "datecreated"}})
    live = w.live["ev-whole"]
    expected = _in_period(live, "datecreated")
    scope = access.grant_row_scope(grant, w.whole)
    assert scope.period == ("datecreated", FIRST, LAST)
    w.whole.period_column = "dateupdated"
    w.whole.save()
    assert access.grant_row_scope(grant, _fresh(w.whole)).period[0] == "datecreated"
    assert 0 < len(expected) < live.row_count


def test_a_grant_whose_period_column_was_cleared_reads_no_row(world):
    w = world
    before = _rows(w.whole, **{"X-API-Key": w.keys["ev-whole"]}).json()["total"]
    assert before > 0
    Dataset.objects.filter(pk=w.whole.pk).update(period_column="")
    after = _rows(_fresh(w.whole), **{"X-API-Key": w.keys["ev-whole"]})
    assert after.status_code == 200 and after.json()["total"] == 0


def test_a_dataset_opened_again_gives_its_grantees_everything_unlogged(world):
    w = world
    Dataset.objects.filter(pk=w.whole.pk).update(restricted=False)
    answer = _rows(_fresh(w.whole), **{"X-API-Key": w.keys["ev-whole"]})
    assert answer.status_code == 200
    assert answer.json()["total"] == w.live["ev-whole"].row_count
    assert "street" in [c["name"] for c in answer.json()["columns"]]
    assert not RowRead.objects.exists()


def test_a_withheld_column_renamed_in_a_new_version_stays_withheld(
        world, ingest_path, tmp_path):
    w = world
    # the live version's own rows as a CSV, its postcode column renamed
    rows = _every_row(w.live["ev-columns"])
    names = [n for n in rows[0] if not n.startswith("_")]
    renamed = tmp_path / "chargepoints.csv"
    with open(renamed, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["Postcode" if n == "postcode" else n for n in names])
        out.writerows([row[n] for n in names] for row in rows)
    job = ingest_path(w.columns, renamed, resource=w.resource["ev-columns"])
    assert job.version is not None, (job.status, job.error, job.message)
    assert job.report["withheld_new_columns"] == ["Postcode"]
    dataset = _fresh(w.columns)
    assert "Postcode" in dataset.withheld_columns and "postcode" in dataset.withheld_columns
    answer = _rows(dataset)
    assert answer.status_code == 200
    names = [c["name"] for c in answer.json()["columns"]]
    assert "Postcode" not in names and "postcode" not in names
    assert not any("Postcode" in row for row in answer.json()["rows"])


def _grant(w, dataset, **scope):
    whole = {"columns": None, "places": None, "period": None, "detail": "exact", "months": 6}
    return Grant.objects.create(dataset=dataset, user=w.people["member"],
                                scope={**whole, **scope},
                                expires=timezone.now() + timedelta(days=9))


def test_a_grant_of_one_column_never_opens_the_columns_that_place_rows(world):
    w = world
    placing = access.placing_columns([w.live["ev-columns"]])
    assert "postcode" in placing.exact
    # on the dataset withholding named columns, a grant of "street" alone, at exact detail
    scope = access._with_open_part(
        access.grant_row_scope(_grant(w, w.columns, columns=["street"]), w.columns), w.columns)
    names = [c["name"] for c in w.live["ev-columns"].schema] + ["_easting", "_northing"]
    shown = set(visible_columns(scope, names))
    assert "street" in shown and "name" in shown  # granted, and open to everyone
    assert not (set(placing.exact) | {"_easting", "_northing"}) & shown
    # on the dataset restricted as a whole, an exact grant without the postcode hides the
    # coordinates made from it; with the postcode, they are given
    without = access.grant_row_scope(_grant(w, w.whole, columns=["name", "max_kw"]), w.whole)
    assert {"_easting", "_northing"} <= without.hidden
    with_it = access.grant_row_scope(
        _grant(w, w.whole, columns=["name", *sorted(placing.exact)]), w.whole)
    assert not with_it.hidden


def test_checksums_names_and_link_reports_only_for_those_who_read_every_row(world):
    w = world
    rid = w.resource["ev-columns"].id
    for client in (Client(), test_grant_reads._signed_in(w.grantee)):
        live = client.get(f"/api/catalogue/resources/{rid}").json()["current_version"]
        assert live["rows"] == w.live["ev-columns"].row_count  # its rows are open
        assert live["sha256"] is None and live["original_sha256"] is None
        assert live["original_name"] is None and live["links"] is None
        package = client.get("/api/3/action/package_show",
                             {"id": w.columns.name}).json()["result"]
        assert all(r["hash"] == "" for r in package["resources"])
    member = test_grant_reads._signed_in(w.people["member"])
    live = member.get(f"/api/catalogue/resources/{rid}").json()["current_version"]
    assert live["sha256"] == w.live["ev-columns"].sha256 and live["links"]["linked"] > 0
