"""A grant reads exactly its scope on every path that reads rows, and each read is logged.

The city's real electric vehicle chargepoints (the manifest's ``ev-chargepoints``) are
published twice by the council: restricted by three named columns (``postcode``, ``street``,
``buildingnumber``: the others are open, without the rows' exact locations), and restricted
as a whole. A person outside the council holds a grant on each: four columns, the chargers
in one area of the city, installed in a period, at no finer detail than a coarse geography.
Through the page, the row API, downloads and CKAN's datastore_search and
datastore_search_sql (signed in, or with a dataset key for the grant), they read exactly
those rows and columns, every read goes in the read log, and once the grant ends or is
revoked every path refuses them, saying why.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Model
from django.test import Client
from django.utils import timezone

from commonground.accounts import keys as api_keys
from commonground.accounts.models import Membership, Organisation
from commonground.catalogue import access
from commonground.catalogue.ckan.tokens import make_token
from commonground.catalogue.models import Dataset, DatasetKey, Grant, IngestJob, Resource, RowRead
from commonground.catalogue.services import ingest
from commonground.datastore.layout import area_code_columns, data_columns
from commonground.geography.manifest import load_manifest
from commonground.places.cache import city_state

pytestmark = pytest.mark.django_db

WITHHELD = ["postcode", "street", "buildingnumber"]
GRANTED = ["name", "postcode", "datecreated", "max_kw"]
FIRST, LAST = dt.date(2014, 1, 1), dt.date(2019, 12, 31)


def _ingest(dataset, path, resource=None):
    resource = resource or Resource.objects.create(dataset=dataset, name="Chargepoints")
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                  filename=path.name)
    job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.DONE, job.error
    return job.version


def _every_row(version) -> list[dict]:
    return pq.read_table(version.parquet_path).to_pylist()


class World:
    """The two datasets, their versions, the grants, keys and people."""


def publish(data_dir) -> World:
    """The council publishes the chargepoints twice (an older and a live version of each)
    and grants the outsider a part of each, with a key for it: built once per test file
    (its four ingests of the real file are most of the file's time), by ``published_world``
    in tests/catalogue/conftest.py."""
    council = Organisation.objects.create(slug="mk-council", name="Milton Keynes City Council",
                                          kind=Organisation.Kind.COUNCIL)
    w = World()
    w.people = {role: get_user_model().objects.create_user(
        username, password=f"pw-{username}-1") for role, username in
        (("editor", "officer"), ("member", "member"), ("outsider", "outsider"))}
    for role in ("editor", "member"):
        Membership.objects.create(user=w.people[role], organisation=council,
                                  role=Membership.Role(role))
    w.grantee = w.people["outsider"]
    manifest = load_manifest(data_dir)
    source = data_dir / next(r for r in manifest.resources if r.name == "ev-chargepoints").path
    w.columns = Dataset.objects.create(
        name="ev-columns", title="Ev Columns", organisation=council, restricted=True,
        restricted_columns="\n".join(WITHHELD), period_column="datecreated",
        state=Dataset.State.PUBLISHED)
    w.whole = Dataset.objects.create(name="ev-whole", title="Ev Whole", organisation=council,
                                     restricted=True, period_column="datecreated",
                                     state=Dataset.State.PUBLISHED)
    w.live = {}
    for d in (w.columns, w.whole):
        older = _ingest(d, source)
        w.live[d.name] = _ingest(d, source, resource=older.resource)
        w.older = older
    w.resource = {name: v.resource for name, v in w.live.items()}
    rows = _every_row(w.live["ev-whole"])
    names = list(rows[0])
    # the detail: the coarsest geography of several areas the rows are linked to
    loaded = city_state()
    geographies = {g: len(loaded.by_geography[g]) for g in loaded.profiled}
    linked = [c[1:] for c in area_code_columns(names) if c[1:] in geographies]
    w.detail = min((g for g in linked if geographies[g] > 1), key=geographies.get)
    w.hidden_areas = {f"_{g}" for g in linked if geographies[g] > geographies[w.detail]}
    assert w.hidden_areas, "the detail must hide a finer geography"
    # the place: the area of the detail's geography holding the most chargers
    counts = {}
    for row in rows:
        counts[row[f"_{w.detail}"]] = counts.get(row[f"_{w.detail}"], 0) + 1
    w.place = max((c for c in counts if c), key=counts.get)
    scope = {"columns": GRANTED, "places": [w.place],
             "period": {"from": FIRST.isoformat(), "to": LAST.isoformat()},
             "detail": w.detail, "months": 6}
    w.grants = {d.name: Grant.objects.create(
        dataset=d, user=w.grantee, scope=scope,
        expires=timezone.now() + timedelta(days=30)) for d in (w.columns, w.whole)}
    w.keys = {}
    for d in (w.columns, w.whole):
        _, w.keys[d.name] = api_keys.make(DatasetKey, scope="read", user=w.grantee, dataset=d,
                                          grant=w.grants[d.name], label="my analysis")
    return w


def _afresh(value):
    """A model read again from the database, a dict of them likewise, a copy of the rest."""
    if isinstance(value, Model):
        return type(value)._default_manager.get(pk=value.pk)
    if isinstance(value, dict):
        return {k: _afresh(v) for k, v in value.items()}
    return copy.copy(value)


@pytest.fixture
def world(published_world, db):
    """The published world as this test finds it: every object read afresh, so a test that
    ends a grant changes its own copy, and the database's change is rolled back after it."""
    w = World()
    w.__dict__.update({name: _afresh(value) for name, value in published_world.__dict__.items()})
    return w


def _granted_ids(w, name) -> list[int]:
    """The rows the grant covers, found in the version's own rows by the grant's words."""
    out = []
    for row in _every_row(w.live[name]):
        day = row["datecreated"]
        in_place = any(row[c] == w.place for c in area_code_columns(row))
        if in_place and day is not None and FIRST <= day.date() <= LAST:
            out.append(row["_id"])
    return out


def _shown(w, name) -> list[str]:
    """The data columns a grantee reads, in file order: the grant's (and of the dataset
    withholding named columns, everyone's open ones too), less those that placed the rows
    exactly (the grant's detail is coarser: a postcode would give the place away)."""
    version = w.live[name]
    every = data_columns(c["name"] for c in version.schema)
    granted = set(GRANTED)
    if name == "ev-columns":
        granted |= {c for c in every if c not in WITHHELD}
    placing = access.placing_columns([version])
    assert "postcode" in placing.exact  # the charge points were placed by their postcodes
    finer = {c for c, g in placing.areas.items() if f"_{g}" in w.hidden_areas}
    assert finer  # LSOA codes in a column of the file: finer than the grant's detail
    return [c for c in every if c in granted and c not in placing.exact | finer]


def _check_columns(w, names, name="ev-whole"):
    assert data_columns(names) == _shown(w, name)
    assert not {"_easting", "_northing", "_geometry"} & set(names)
    assert not w.hidden_areas & set(names)
    assert f"_{w.detail}" in names


def _rows_url(w, name, **params):
    query = "&".join(f"{k}={v}" for k, v in {"limit": 1000, **params}.items())
    return f"/api/catalogue/resources/{w.resource[name].id}/rows?{query}"


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", ["ev-columns", "ev-whole"])
@pytest.mark.parametrize("how", ["session", "X-API-Key", "Bearer"])
def test_the_row_api_reads_exactly_the_grant_and_logs_it(world, name, how):
    w = world
    expected = _granted_ids(w, name)
    assert 0 < len(expected) < w.live[name].row_count
    client = _signed_in(w.grantee) if how == "session" else Client()
    headers = {"X-API-Key": w.keys[name]} if how == "X-API-Key" else \
        {"Authorization": f"Bearer {w.keys[name]}"} if how == "Bearer" else {}
    answer = client.get(_rows_url(w, name), headers=headers)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert [r["_id"] for r in body["rows"]] == expected and body["total"] == len(expected)
    _check_columns(w, [c["name"] for c in body["columns"]], name)
    read = RowRead.objects.get(dataset__name=name)
    assert (read.channel, read.grant, read.rows, read.version_number) == (
        "api", w.grants[name], len(expected), w.live[name].number)
    if how != "session":
        key = DatasetKey.objects.get(dataset__name=name)
        assert read.key == key and key.last_used is not None
        assert read.user == w.grantee


@pytest.mark.parametrize("column", ["street", "buildingnumber", "_easting", "finer area"])
def test_a_column_outside_the_grant_is_unknown_to_the_row_api(world, column):
    w = world
    if column == "finer area":
        column = sorted(w.hidden_areas)[0]
    client = _signed_in(w.grantee)
    withheld = client.get(_rows_url(w, "ev-columns", **{f"{column}__null": "false"}))
    missing = client.get(_rows_url(w, "ev-columns", no_such_column__null="false"))
    assert withheld.status_code == missing.status_code == 400
    assert withheld.json()["detail"] == missing.json()["detail"].replace("no_such_column",
                                                                         column)


def test_profiles_changes_and_older_versions_need_every_row(world):
    w = world
    rid = w.resource["ev-whole"].id
    grantee, member = _signed_in(w.grantee), _signed_in(w.people["member"])
    for url in (f"/api/catalogue/resources/{rid}/profile",
                f"/api/catalogue/resources/{rid}/changes",
                f"/api/catalogue/resources/{rid}/rows?version=1"):
        assert grantee.get(url).status_code == 403, url
        assert member.get(url).status_code == 200, url
    page = grantee.get(f"/datasets/ev-whole/resources/{rid}/changes")
    assert page.status_code == 403


def _download(w, name, number, fmt):
    return f"/datasets/{name}/resources/{w.resource[name].id}/v{number}/download.{fmt}"


@pytest.mark.parametrize("name", ["ev-columns", "ev-whole"])
def test_downloads_are_copies_of_the_granted_rows_and_columns(world, name):
    w = world
    client = _signed_in(w.grantee)
    live = w.live[name].number
    expected = _granted_ids(w, name)
    answer = client.get(_download(w, name, live, "parquet"))
    assert answer.status_code == 200
    table = pq.read_table(io.BytesIO(b"".join(answer.streaming_content)))
    assert table.column("_id").to_pylist() == expected
    _check_columns(w, [c for c in table.column_names if c != "_row"], name)
    csv = b"".join(client.get(_download(w, name, live, "csv")).streaming_content).decode()
    assert csv.count("\r\n") == len(expected) + 1
    assert client.get(_download(w, name, live, "xlsx")).status_code == 200
    assert client.get(_download(w, name, live, "original")).status_code == 403
    assert client.get(_download(w, name, live - 1, "csv")).status_code == 403
    assert client.get(_download(w, name, live + 5, "csv")).status_code == 404
    other = "ev-whole" if name == "ev-columns" else "ev-columns"
    wrong = f"/datasets/{name}/resources/{w.resource[other].id}/v{live}/download.csv"
    assert client.get(wrong).status_code == 404
    reads = RowRead.objects.filter(dataset__name=name, channel="download")
    assert sorted(reads.values_list("detail", flat=True)) == ["csv", "parquet", "xlsx"]
    assert {r.rows for r in reads} == {len(expected)}
    member = _signed_in(w.people["member"])
    whole = member.get(_download(w, name, live, "parquet"))
    assert pq.read_table(io.BytesIO(b"".join(whole.streaming_content))).num_rows == \
        w.live[name].row_count


def test_the_page_shows_the_granted_rows_says_what_the_grant_covers_and_offers_its_formats(
        world):
    w = world
    rid = w.resource["ev-whole"].id
    page = _signed_in(w.grantee).get(f"/datasets/ev-whole/resources/{rid}/")
    assert page.status_code == 200
    html = page.content.decode()
    preview = page.context["preview"]
    assert [r["_id"] for r in preview.rows] == _granted_ids(w, "ev-whole")[:50]
    _check_columns(w, [c["name"] for c in preview.columns])
    assert w.place in page.context["scope_note"] and "name, postcode" in html
    # the postcode was granted, but at this detail it would give the place away: it says so
    assert "with the columns that give them: " in page.context["scope_note"]
    assert "postcode" in page.context["scope_note"].split("give them: ")[1]
    formats = [fmt for fmt, _ in page.context["downloads"]]
    assert "geojson" not in formats and "csv" in formats
    assert "download.original" not in html
    assert page.context["profile"] == []
    assert RowRead.objects.filter(dataset=w.whole, channel="page").count() == 1
    older = _signed_in(w.grantee).get(f"/datasets/ev-whole/resources/{rid}/?version=1")
    assert older.status_code == 200 and "preview" not in older.context
    assert "older versions are for members" in older.content.decode()


class _Answer:
    def __init__(self, response):
        self.status_code = response.status_code
        self.body = b"".join(response.streaming_content) if response.streaming else \
            response.content

    def json(self):
        return json.loads(self.body)


def _ckan(client, action, headers=None, **data):
    return _Answer(client.post(f"/api/3/action/{action}", data=json.dumps(data),
                               content_type="application/json", headers=headers or {}))


@pytest.mark.parametrize("how", ["token", "key"])
def test_ckan_datastore_search_and_sql_read_exactly_the_grant(world, how):
    w = world
    rid = str(w.resource["ev-whole"].id)
    secret = make_token(w.grantee) if how == "token" else w.keys["ev-whole"]
    headers = {"Authorization": secret}
    client = Client()
    expected = _granted_ids(w, "ev-whole")
    found = _ckan(client, "datastore_search", headers, resource_id=rid, limit=1000).json()
    assert found["success"], found
    assert [r["_id"] for r in found["result"]["records"]] == expected
    _check_columns(w, [f["id"] for f in found["result"]["fields"]])
    sql = _ckan(client, "datastore_search_sql", headers,
                sql=f'SELECT _id FROM "{rid}" ORDER BY _id').json()
    assert sql["success"], sql
    assert [r["_id"] for r in sql["result"]["records"]] == expected
    described = _ckan(client, "datastore_search_sql", headers, sql=f'DESCRIBE "{rid}"').json()
    _check_columns(w, [r["column_name"] for r in described["result"]["records"]])
    refused = _ckan(client, "datastore_search_sql", headers, sql=f'SELECT street FROM "{rid}"')
    assert not refused.json()["success"]
    assert list(RowRead.objects.filter(dataset=w.whole).values_list("channel", flat=True)
                .order_by("at")) == ["ckan", "sql", "sql"]


def test_a_restricted_dataset_without_a_grant_is_not_authorized(world):
    w = world
    rid = str(w.resource["ev-whole"].id)
    outsider = Client()
    answer = outsider.get(_rows_url(w, "ev-whole"))
    assert answer.status_code == 403 and answer.json()["detail"] == access.RESTRICTED_WITHHELD
    assert outsider.get(_download(w, "ev-whole", 2, "csv")).status_code == 403
    for action, data in (("datastore_search", {"resource_id": rid}),
                         ("datastore_search_sql", {"sql": f'SELECT * FROM "{rid}"'})):
        body = _ckan(outsider, action, **data).json()
        assert body["error"]["__type"] == "Authorization Error", body
    page = outsider.get(f"/datasets/ev-whole/resources/{rid}/")
    assert "preview" not in page.context and access.RESTRICTED_WITHHELD in page.content.decode()
    # counts per area are public, but a filtered count is refused, saying why in its words
    counted = outsider.get(f"/api/catalogue/resources/{rid}/aggregate",
                           {"geography": "ward", "chargedevicestatus": "In service"})
    assert counted.status_code == 403
    assert counted.json()["detail"].startswith(access.RESTRICTED_WITHHELD)
    assert not RowRead.objects.exists()


def test_everyone_reads_the_open_columns_without_locations_unlogged(world):
    w = world
    answer = Client().get(_rows_url(w, "ev-columns"))
    assert answer.status_code == 200
    body = answer.json()
    names = [c["name"] for c in body["columns"]]
    assert body["total"] == w.live["ev-columns"].row_count
    assert not set(WITHHELD) & set(names) and "name" in names
    assert not {"_easting", "_northing", "_geometry"} & set(names)
    aggregate = Client().get(f"/api/catalogue/resources/{w.resource['ev-columns'].id}/aggregate"
                             f"?geography={w.detail}&postcode__null=false")
    assert aggregate.status_code == 400 and "unknown column 'postcode'" in aggregate.json()[
        "detail"]
    summary = Client().get("/api/catalogue/datasets/ev-columns").json()
    assert (summary["access"], summary["restricted_columns"]) == ("restricted", WITHHELD)
    assert not RowRead.objects.exists()


@pytest.mark.parametrize("end", ["expired", "revoked"])
def test_after_the_grant_ends_every_path_refuses_saying_why(world, end):
    w = world
    grant = w.grants["ev-whole"]
    if end == "expired":
        grant.expires = timezone.now() - timedelta(minutes=1)
    else:
        grant.revoked = timezone.now()
    grant.save()
    rid = str(w.resource["ev-whole"].id)
    key = {"X-API-Key": w.keys["ev-whole"]}
    by_key = Client().get(_rows_url(w, "ev-whole"), headers=key)
    assert by_key.status_code == 403
    assert ("ended on" if end == "expired" else "was revoked on") in by_key.json()["detail"]
    session = _signed_in(w.grantee)
    assert session.get(_rows_url(w, "ev-whole")).status_code == 403
    assert session.get(_download(w, "ev-whole", 2, "csv")).status_code == 403
    assert Client().get(_download(w, "ev-whole", 2, "csv"), headers=key).status_code == 403
    body = _ckan(Client(), "datastore_search", {"Authorization": w.keys["ev-whole"]},
                 resource_id=rid).json()
    assert body["error"]["__type"] == "Authorization Error"
    assert ("ended on" if end == "expired" else "was revoked on") in body["error"]["message"]
    assert not RowRead.objects.exists()


@pytest.mark.parametrize("problem, says", [
    ("expired", "expired on"), ("revoked", "was revoked on"),
    ("other dataset", "is for another dataset"), ("write only", "may only upload"),
])
def test_a_refused_key_is_told_its_problem(world, problem, says):
    w = world
    dataset = w.columns if problem == "other dataset" else w.whole
    fields = {"expires": timezone.now() - timedelta(days=1)} if problem == "expired" else {}
    key, secret = api_keys.make(DatasetKey, scope="write" if problem == "write only" else "read",
                                dataset=dataset, user=w.people["editor"], **fields)
    if problem == "revoked":
        api_keys.revoke(key)
    answer = Client().get(_rows_url(w, "ev-whole"), headers={"X-API-Key": secret})
    assert answer.status_code == 403 and says in answer.json()["detail"]
