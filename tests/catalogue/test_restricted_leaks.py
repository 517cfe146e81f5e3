"""No path shows a restricted dataset's withheld rows or columns to anyone without a grant.

Tried as an attacker would (issue 19, "Bad input and security"): every page, row API, CKAN
action, SQL statement, download (of the live version, an older one, a guessed one, through
another dataset's address), search, DCAT, lens, summary, feed, evidence pack, place and group
page, each asked by someone signed out, a member of another organisation, a person whose grant
expired, a person whose grant was revoked, a machine with another dataset's key and a machine
with a revoked key. Two real datasets from the city's folder: one restricted as a whole, one by
two named columns (restricted_fixtures.py).

A case fails when the response holds a **marker** (a withheld cell found nowhere open), a
withheld column's name among the columns of a row payload, a row drawn as a dot, a small count
of a dataset whose rows are withheld, or when asking about a withheld value (filtering,
searching, sorting, SQL ``WHERE``) answers differently from asking about a value no row holds
(an oracle). Statuses are not prescribed: a refusal and an answer without the withheld data
both pass. A restricted dataset is findable all the same: its page, search and CKAN list it.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import dataclass, field
from urllib.parse import quote, quote_plus

import pytest

from .restricted_fixtures import (
    COLUMNS,
    DECOY,
    OTHER_ORGANISATION,
    SIGNED_OUT,
    VIEWERS,
    WHOLE,
    World,
    restricted_world_fixture,  # noqa: F401  (the fixture ``restricted_world``)
    viewer,
)

pytestmark = pytest.mark.django_db

PROBE = "\x00probe\x00"  # stands for the probed marker in a path's parameters
#: A column no dataset has (what sorting by a withheld column is compared with)
DECOY_COLUMN = "qzxv_nothing"
DOWNLOAD_FORMATS = ("csv", "geojson", "xlsx", "parquet", "original")
#: Geographies whose rows per area are asked for (each a public summary)
AGGREGATED = ("lsoa21", "msoa21", "ward", "lsoa11", "msoa11")


@dataclass(frozen=True)
class Ask:
    """One request, and what to check of its answer."""

    url: str
    params: dict = field(default_factory=dict)
    rows: bool = False  # a row payload: no withheld column among its columns
    dots: bool = False  # a page with a map of rows: no row drawn as a dot
    counts: bool = False  # rows per area: disclosure-controlled when the rows are withheld
    baseline: dict | None = None  # params of the same question about nothing withheld
    unlisted: bool = False  # asked about an area where the rows are too few to tell of
    skip: str = ""


def _ckan(action: str, **params) -> Ask:
    return Ask(f"/api/3/action/{action}", params)


def _sql(statement: str, **kw) -> Ask:
    return Ask("/api/3/action/datastore_search_sql", {"sql": statement}, **kw)


def _probing(ask: Ask) -> Ask:
    """The ask with its baseline: the same parameters with a decoy for the probed marker."""
    return Ask(ask.url, ask.params, ask.rows, ask.dots, ask.counts, unlisted=ask.unlisted,
               baseline={
        k: v.replace(PROBE, DECOY) for k, v in ask.params.items()})


def _paths(w: World, kind: str) -> dict[str, Ask]:
    r = w.sets[kind]
    d, rid, live, col = r.dataset.name, r.resource.id, r.live.number, r.column
    page = f"/datasets/{d}/resources/{rid}/"
    api = f"/api/catalogue/resources/{rid}"
    sibling = w.sets[COLUMNS if kind == WHOLE else WHOLE]
    table = f'"{rid}"'
    small = ("" if r.dataset.records_withheld and r.small_place else
             "its rows per area are not disclosure-controlled (only named columns withheld)"
             if not r.dataset.records_withheld else "no area holds fewer rows than the threshold")
    paths = {
        "dataset-page": Ask(f"/datasets/{d}/"),
        "dataset-api": Ask(f"/api/catalogue/datasets/{d}"),
        "resource-page": Ask(page, dots=True),
        "resource-page-older": Ask(page, {"version": str(r.older.number)}, dots=True),
        "resource-page-q": _probing(Ask(page, {"q": PROBE})),
        "resource-page-filter": _probing(Ask(page, {"fc": col, "fo": "eq", "fv": PROBE})),
        "resource-page-sort": Ask(page, {"sort": col}, baseline={"sort": DECOY_COLUMN}),
        "changes-page": Ask(f"{page}changes"),
        "resource-api": Ask(api),
        "version-api": Ask(f"{api}/versions/{live}"),
        "rows": Ask(f"{api}/rows", rows=True),
        "rows-older": Ask(f"{api}/rows", {"version": str(r.older.number)}, rows=True),
        "rows-fields": Ask(f"{api}/rows", {"fields": col}, rows=True),
        "rows-fields-location": Ask(f"{api}/rows", {"fields": "_id,_easting,_northing"},
                                    rows=True),
        "rows-filter": _probing(Ask(f"{api}/rows", {col: PROBE}, rows=True)),
        "rows-contains": _probing(Ask(f"{api}/rows", {f"{col}__contains": PROBE}, rows=True)),
        "rows-sort": Ask(f"{api}/rows", {"sort": col}, rows=True,
                         baseline={"sort": DECOY_COLUMN}),
        "rows-sort-descending": Ask(f"{api}/rows", {"sort": f"-{col}"}, rows=True,
                                    baseline={"sort": f"-{DECOY_COLUMN}"}),
        "rows-q": _probing(Ask(f"{api}/rows", {"q": PROBE}, rows=True)),
        "profile": Ask(f"{api}/profile"),
        "profile-older": Ask(f"{api}/profile", {"version": str(r.older.number)}),
        "changes-api": Ask(f"{api}/changes"),
        "download-guessed-version": Ask(f"{page}v{live + 1}/download.csv", rows=True),
        "download-under-open-dataset": Ask(
            f"/datasets/{w.other.name}/resources/{rid}/v{live}/download.csv", rows=True),
        "download-under-sibling": Ask(
            f"/datasets/{sibling.dataset.name}/resources/{rid}/v{live}/download.csv", rows=True),
        "download-other-resource": Ask(
            f"/datasets/{d}/resources/{sibling.resource.id}/v{sibling.live.number}/download.csv",
            rows=True),
        "ckan-package_show": _ckan("package_show", id=d),
        "ckan-resource_show": _ckan("resource_show", id=str(rid)),
        "ckan-datastore_search": Ask(_ckan("datastore_search").url,
                                     {"resource_id": str(rid)}, rows=True),
        "ckan-datastore_info": Ask(_ckan("datastore_info").url, {"id": str(rid)}),
        "ckan-datastore_search-csv": Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "records_format": "csv"}, rows=True),
        "ckan-datastore_search-fields": Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "fields": col}, rows=True),
        "ckan-datastore_search-fields-location": Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "fields": "_id,_easting,_northing"}, rows=True),
        "ckan-datastore_search-filters": _probing(Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "filters": json.dumps({col: PROBE})}, rows=True)),
        "ckan-datastore_search-q": _probing(Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "q": PROBE}, rows=True)),
        "ckan-datastore_search-q-column": _probing(Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "q": json.dumps({col: PROBE})}, rows=True)),
        "ckan-datastore_search-sort": Ask(_ckan("datastore_search").url, {
            "resource_id": str(rid), "sort": f"{col} desc"}, rows=True,
            baseline={"resource_id": str(rid), "sort": f"{DECOY_COLUMN} desc"}),
        "sql-select-star": _sql(f"SELECT * FROM {table}", rows=True),
        "sql-withheld-column": _sql(f'SELECT "{col}" FROM {table}', rows=True),
        "sql-where-marker": _probing(_sql(
            f"SELECT count(*) AS n FROM {table} WHERE \"{col}\" = '{PROBE}'")),
        "sql-order-by-withheld": _sql(f'SELECT _id FROM {table} ORDER BY "{col}"',
                                      baseline={"sql": f'SELECT _id FROM {table} ORDER BY '
                                                       f'"{DECOY_COLUMN}"'}),
        "sql-location": _sql(f"SELECT _easting, _northing FROM {table}", rows=True),
        "sql-describe": _sql(f"DESCRIBE {table}"),
        "sql-subquery": _sql(f"SELECT * FROM (SELECT * FROM {table}) AS t", rows=True),
        "sql-cte": _sql(f'WITH t AS (SELECT * FROM {table}) SELECT "{col}" FROM t', rows=True),
        "sql-union-with-open": _sql(
            f'SELECT "{col}" AS v FROM {table} UNION ALL SELECT name FROM "{w.other_resource.id}"',
            rows=True),
        "sql-read_parquet": _sql(f"SELECT * FROM read_parquet('{r.live.parquet_path}')",
                                 rows=True),
        "sql-read_parquet-glob": _sql(
            f"SELECT * FROM read_parquet('{w.datastore}/**/*.parquet')", rows=True),
        "ckan-package_search-marker": _probing(_ckan("package_search", q=PROBE)),
        "ckan-package_search-facets": _probing(_ckan(
            "package_search", q=PROBE, **{"facet.field": json.dumps(
                ["organization", "tags", "res_format", "license_id", "groups"])})),
        "api-datasets-marker": _probing(Ask("/api/catalogue/datasets", {"q": PROBE})),
        "search-page-marker": _probing(Ask("/datasets/", {"q": PROBE})),
        "dcat": Ask("/catalog.jsonld"),
        "ckan-organization_show": _ckan("organization_show", id=w.publisher.slug,
                                        include_datasets="true"),
        "search-api-small-area": Ask("/api/catalogue/datasets", {
            "area": f"{w.base}:{r.small_place}"}, unlisted=True, skip=small),
        "search-page-small-area": Ask("/datasets/", {"area": f"{w.base}:{r.small_place}"},
                                      unlisted=True, skip=small),
        "place-page-small-area": Ask(f"/places/{w.base}/{r.small_place}/", unlisted=True,
                                     dots=True, skip=small),
        "lens-page": Ask(f"/datasets/{d}/lens/", dots=True),
        "lens-json": Ask(f"/datasets/{d}/lens.json"),
        "lens-csv": Ask(f"/datasets/{d}/lens.csv", {"table": "areas"}),
        "lens-api": Ask(f"/api/catalogue/datasets/{d}/lens"),
        "lens-api-where-withheld": _probing(Ask(f"/api/catalogue/datasets/{d}/lens", {
            "table": "areas", "where": f"{col}={PROBE}"})),
        "aggregate-sum-withheld": Ask(f"{api}/aggregate", {
            "geography": w.base, "measure": "sum", "column": r.measure}, baseline={
            "geography": w.base, "measure": "sum", "column": DECOY_COLUMN}),
        "lens-api-sum-withheld": Ask(f"/api/catalogue/datasets/{d}/lens", {
            "table": "areas", "measure": "value", "column": r.measure}, baseline={
            "table": "areas", "measure": "value", "column": DECOY_COLUMN}),
        "aggregate-filter-withheld": _probing(Ask(f"{api}/aggregate", {
            "geography": w.base, col: PROBE})),
        "activity-feed-atom": Ask(f"/feeds/dataset/{d}.atom"),
        "activity-feed-rss": Ask(f"/feeds/dataset/{d}.rss"),
        "activity-page": Ask(f"/follows/dataset/{d}/"),
        "place-feed-atom": Ask(f"/feeds/place/{r.place}.atom"),
        "sensor-feed-pages": Ask("/feeds/", skip=(
            "no sensor feed publishes into these datasets (a feed's datasets are made by the "
            "feed, never an upload); the activity feeds above are the feeds that link them")),
        "place-page": Ask(f"/places/{w.base}/{r.place}/", dots=True),
        "place-api": Ask(f"/api/places/areas/{w.base}/{r.place}"),
        "group-page": Ask(f"/groups/{w.publisher.slug}/"),
        "organisation-page": Ask(f"/organisations/{w.publisher.slug}/"),
        "citing-group-page": Ask(f"/groups/{w.group.slug}/"),
        "packs-list": Ask("/packs/"),
    }
    for fmt in DOWNLOAD_FORMATS:
        paths[f"download-live-{fmt}"] = Ask(f"{page}v{live}/download.{fmt}", rows=True)
        paths[f"download-older-{fmt}"] = Ask(f"{page}v{r.older.number}/download.{fmt}",
                                             rows=True)
    for geography in AGGREGATED:
        paths[f"aggregate-{geography}"] = Ask(
            f"{api}/aggregate", {"geography": geography}, counts=True,
            skip="" if geography in w.geographies else f"the city has no {geography} areas")
    note = w.pack_note or ""
    pack = w.pack.pk if w.pack else 0
    paths["pack-page"] = Ask(f"/packs/{pack}/", dots=True, skip=note)
    paths["pack-json"] = Ask(f"/packs/{pack}/pack.json", dots=True, skip=note)
    paths["pack-pdf"] = Ask(f"/packs/{pack}/pack.pdf", skip=note)
    return paths


#: The paths' names, for the parametrisation (the ask is built from the world in the test).
PATH_NAMES = [
    "dataset-page", "dataset-api", "resource-page", "resource-page-older", "resource-page-q",
    "resource-page-filter", "resource-page-sort", "changes-page", "resource-api",
    "version-api", "rows", "rows-older", "rows-fields", "rows-filter", "rows-contains",
    "rows-fields-location", "rows-sort", "rows-sort-descending", "rows-q", "profile", "profile-older", "changes-api",
    *[f"download-live-{f}" for f in DOWNLOAD_FORMATS],
    *[f"download-older-{f}" for f in DOWNLOAD_FORMATS],
    "download-guessed-version", "download-under-open-dataset", "download-under-sibling",
    "download-other-resource", "ckan-package_show", "ckan-resource_show",
    "ckan-datastore_search", "ckan-datastore_info", "ckan-datastore_search-csv", "ckan-datastore_search-fields",
    "ckan-datastore_search-fields-location", "ckan-datastore_search-filters",
    "ckan-datastore_search-q",
    "ckan-datastore_search-q-column", "ckan-datastore_search-sort", "sql-select-star",
    "sql-withheld-column", "sql-where-marker", "sql-order-by-withheld", "sql-location", "sql-describe", "sql-subquery", "sql-cte",
    "sql-union-with-open", "sql-read_parquet", "sql-read_parquet-glob",
    "ckan-package_search-marker", "ckan-package_search-facets", "api-datasets-marker",
    "search-page-marker", "dcat", "ckan-organization_show", "search-api-small-area",
    "search-page-small-area", "place-page-small-area", "lens-page", "lens-json", "lens-csv", "lens-api",
    "lens-api-where-withheld", *[f"aggregate-{g}" for g in AGGREGATED],
    "aggregate-filter-withheld", "aggregate-sum-withheld", "lens-api-sum-withheld",
    "activity-feed-atom", "activity-feed-rss", "activity-page",
    "place-feed-atom", "sensor-feed-pages", "place-page", "place-api", "group-page",
    "organisation-page", "citing-group-page", "packs-list", "pack-page", "pack-json",
    "pack-pdf",
]


# Reading an answer ---------------------------------------------------------------------------

def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _read(response) -> tuple[str, list[str] | None]:
    """The answer as text, and the columns of its rows when it is a row payload (a 200 with
    rows in it), else None."""
    body = _body(response)
    kind = response.get("Content-Type", "")
    if response.status_code != 200:
        return body.decode("utf-8", "replace"), None
    if "parquet" in kind or body[:4] == b"PAR1":
        import pyarrow.parquet as pq

        table = pq.read_table(io.BytesIO(body))
        return json.dumps(table.to_pylist(), default=str), table.column_names
    if "spreadsheet" in kind or body[:2] == b"PK":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        cells = [[c for c in row] for sheet in book for row in sheet.iter_rows(values_only=True)]
        return json.dumps(cells, default=str), [str(c) for c in cells[0]] if cells else []
    if "pdf" in kind:
        import pypdf

        return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(body)).pages), None
    text = body.decode("utf-8", "replace")
    return text, _columns(text, kind)


def _columns(text: str, kind: str) -> list[str] | None:
    if kind.startswith("text/csv"):
        first = text.lstrip("\ufeff").splitlines()[:1]
        return next(iter(__import__("csv").reader(first)), []) if first else []
    if "json" not in kind:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features", [])
        located = ["_geometry"] if any(f.get("geometry") for f in features) else []
        return sorted({k for f in features for k in (f.get("properties") or {})}) + located
    if isinstance(data, dict) and isinstance(data.get("result"), dict):  # CKAN
        result = data["result"]
        if "records" not in result:
            return None
        names = [f["id"] for f in result.get("fields", [])]
        records = result["records"]
        if isinstance(records, list):
            names += [k for rec in records if isinstance(rec, dict) for k in rec]
        return names
    if isinstance(data, dict) and "rows" in data and "columns" in data:  # the row API
        names = [c["name"] if isinstance(c, dict) else c for c in data["columns"]]
        return names + [k for row in data["rows"] if isinstance(row, dict) for k in row]
    return None


_TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|csrftoken=|"took": ?)[^"&;,}]*')


def _normal(text: str, *sent: str) -> str:
    """The answer with the values asked about (the probe's and the baseline's, in any
    spelling a page or API echoes them) and the per-request noise taken out, so the two
    answers can be compared."""
    once = {f(s) for s in sent for f in (str, quote_plus, quote, html.escape,
                                         lambda v: quote(v, safe=""))}
    twice = {quote(s, safe="") for s in once} | {quote_plus(s) for s in once}  # a next= link
    for spelling in sorted(once | twice, key=len, reverse=True):
        text = text.replace(spelling, "\x00")
    return _TOKENS.sub(r"\1", text)


def _small_counts(text: str, threshold: int) -> list:
    data = json.loads(text)
    return [a for a in data.get("areas", []) for n in (a.get("count"), a.get("value"))
            if isinstance(n, int | float) and not isinstance(n, bool) and 0 < n < threshold]


def _get(client, headers, url: str, params: dict):
    return client.get(url, params, **headers)


def _leaks(w: World, kind: str, path: str, client, headers) -> list[str]:
    """What the answer to ``path`` shows that it must not, asked by ``client``: each problem
    as a sentence naming the path and the request (empty: no leak)."""
    from django.conf import settings

    r = w.sets[kind]
    ask = _paths(w, kind)[path]
    params = {k: v.replace(PROBE, r.probe) for k, v in ask.params.items()}
    response = _get(client, headers, ask.url, params)
    text, columns = _read(response)
    where = f"{kind} {path}: GET {ask.url} {params} -> {response.status_code}"
    problems = []

    sent = " ".join(params.values())
    shown = [m for m in r.markers if m not in sent and m in text]
    if shown:
        problems.append(f"{where} shows withheld cells {shown[:3]}")
    leaked = [c for c in r.unseen if c in (columns or [])] if ask.rows else []
    if leaked:
        problems.append(f"{where} returns withheld columns {leaked} in its rows")
    if ask.unlisted and f"/datasets/{r.dataset.name}/" in text:
        problems.append(f"{where} lists the dataset in an area where it has fewer rows than "
                        "the disclosure threshold")
    if ask.dots and "<circle" in text:
        problems.append(f"{where} draws rows as dots")
    if ask.counts and r.dataset.records_withheld and response.status_code == 200:
        threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
        small = _small_counts(text, threshold)
        if small:
            problems.append(f"{where} shows counts under {threshold}: {small[:3]}")
    if ask.baseline is not None and response.status_code < 400:
        baseline = _get(client, headers, ask.url, ask.baseline)
        other = _read(baseline)[0]
        asked = (set(params.values()) ^ set(ask.baseline.values())) | {
            r.probe, DECOY, r.column, r.measure, DECOY_COLUMN}
        if (response.status_code, _normal(text, *asked)) != (
                baseline.status_code, _normal(other, *asked)):
            problems.append(f"{where} answers differently than for a value no row holds "
                            f"({ask.baseline}): it reads the withheld column {r.column!r}")
    return problems


# The test ------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewer_name", VIEWERS)
@pytest.mark.parametrize("path", PATH_NAMES)
@pytest.mark.parametrize("kind", [WHOLE, COLUMNS])
def test_no_path_shows_a_withheld_row_or_column(restricted_world, kind, path, viewer_name):
    w = restricted_world
    ask = _paths(w, kind)[path]
    if ask.skip:
        pytest.skip(ask.skip)
    client, headers = viewer(w, viewer_name, w.sets[kind])
    problems = _leaks(w, kind, path, client, headers)
    assert not problems, f"as {viewer_name}: " + "; ".join(problems)


# Findable, not a 404 ---------------------------------------------------------------------------

@pytest.mark.parametrize("viewer_name", [SIGNED_OUT, OTHER_ORGANISATION])
@pytest.mark.parametrize("kind", [WHOLE, COLUMNS])
def test_a_restricted_dataset_is_findable(restricted_world, kind, viewer_name):
    w = restricted_world
    d = w.sets[kind].dataset
    client, headers = viewer(w, viewer_name, w.sets[kind])
    page = client.get(f"/datasets/{d.name}/")
    assert page.status_code == 200 and d.title in page.content.decode(), (kind, viewer_name)
    words = d.title.split(" (")[0]
    listed = client.get("/datasets/", {"q": words}).content.decode()
    assert f"/datasets/{d.name}/" in listed, (kind, viewer_name, "search page")
    api = client.get("/api/catalogue/datasets", {"q": words}).json()
    assert d.name in [x["name"] for x in api["datasets"]], (kind, viewer_name, "search API")
    found = client.get("/api/3/action/package_search", {"q": words}).json()["result"]
    assert d.name in [x["name"] for x in found["results"]], (kind, viewer_name, "CKAN")
    shown = client.get("/api/3/action/package_show", {"id": d.name}).json()
    assert shown["success"] and shown["result"]["name"] == d.name, (kind, viewer_name)


# The test can fail: the publisher's editor reads what the others must not --------------------

#: Paths on which the publisher's own editor reads withheld rows, and what the leak check
#: must then find (a marker, a withheld column, a small count, an answer that depends on a
#: withheld value)
MEMBERS_READ = {
    WHOLE: ["rows", "rows-filter", "rows-q", "ckan-datastore_search", "download-live-csv",
            "download-live-parquet", "download-live-xlsx", "download-older-geojson",
            "sql-select-star", "sql-where-marker", "sql-order-by-withheld", "aggregate-lsoa21",
            "aggregate-sum-withheld"],
    COLUMNS: ["rows", "rows-fields", "rows-fields-location", "rows-filter", "rows-sort",
              "ckan-datastore_search-q", "download-live-geojson", "sql-location",
              "download-live-csv", "download-live-original", "sql-withheld-column",
              "sql-where-marker", "resource-page"],
}


@pytest.mark.parametrize("kind", [WHOLE, COLUMNS])
def test_the_leak_check_finds_what_the_publisher_reads(restricted_world, kind):
    from django.test import Client

    w = restricted_world
    officer = Client()
    officer.force_login(w.users["leak-officer"])
    for path in MEMBERS_READ[kind]:
        assert _leaks(w, kind, path, officer, {}), (kind, path)
    r = w.sets[kind]
    rows = officer.get(f"/api/catalogue/resources/{r.resource.id}/rows",
                       {"limit": "1000"}).content.decode()
    assert [m for m in r.markers if m not in rows] == []  # every marker is a real cell
    grantee = Client()  # and a grant, while it lasts, reads them (so the grants are real)
    grantee.force_login(w.users[f"leak-grantee-{kind}"])
    assert r.probe in grantee.get(f"/api/catalogue/resources/{r.resource.id}/rows",
                                  {"limit": "1000"}).content.decode()
    assert w.extra[f"dots-while-open-{kind}"] > 0  # the pack's first map drew the rows


def test_every_path_built_is_asked(restricted_world):
    for kind in (WHOLE, COLUMNS):
        assert sorted(_paths(restricted_world, kind)) == sorted(PATH_NAMES)


def test_datastore_info_lists_only_the_columns_its_caller_reads(restricted_world):
    """CKAN's datastore_info describes the table as datastore_search serves it: outside the
    organisation the withheld column is not among its fields; its editor sees it."""
    from django.test import Client

    r = restricted_world.sets[COLUMNS]
    url = "/api/3/action/datastore_info"

    def fields(client) -> list[str]:
        return [f["id"] for f in client.get(url, {"id": str(r.resource.id)}).json()["result"]
                ["fields"]]

    officer = Client()
    officer.force_login(restricted_world.users["leak-officer"])
    assert r.column in fields(officer)
    assert r.column not in fields(Client()) and fields(Client())
