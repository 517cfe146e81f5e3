"""Catalogue pages: publish, check, preview, map, download, compare, search, permissions."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse

from commonground.catalogue.models import Dataset, IngestJob, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def schools(loaded, make_dataset, ingest_path, data_dir):
    dataset = make_dataset("schools", title="Schools in Milton Keynes")
    job = ingest_path(dataset, data_dir / "points" / "mk_schools_gias_2025-05.csv",
                      name="Open schools")
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.resource, job.version


def test_an_editor_publishes_a_dataset_from_an_uploaded_file(client, loaded, people, council):
    client.force_login(people["editor"])
    response = client.post(reverse("catalogue:dataset_new"), {
        "title": "Food bank sites", "organisation": council.pk, "licence": "OGL-UK-3.0",
        "frequency": "monthly", "notes": "Where food banks are.", "tags_text": "food, Poverty"})
    dataset = Dataset.objects.get(name="food-bank-sites")
    assert response.status_code == 302 and dataset.state == Dataset.State.DRAFT
    assert sorted(t.name for t in dataset.tags.all()) == ["food", "poverty"]
    upload = io.BytesIO("site;postcode;visits\nBletchley;MK2 2HB;120\nWolverton;MK12 5BN;95\n"
                        .encode("cp1252"))
    upload.name = "sites.csv"
    response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                           {"name": "Sites", "file": upload})
    job = IngestJob.objects.get()
    assert response.url == reverse("catalogue:job", args=[job.id])
    page = client.get(response.url).content.decode()
    assert job.status == IngestJob.Status.DONE, job.error
    assert "Version 1 is live" in page and "delimiter “;”" in page
    assert "visits" in page and "integer" in page
    client.post(reverse("catalogue:dataset_publish", args=[dataset.name]), {"state": "published"})
    client.logout()
    assert "Food bank sites" in client.get("/datasets/?q=food").content.decode()


def test_a_validation_report_lets_the_editor_override_a_type(client, loaded, people,
                                                             make_dataset):
    dataset = make_dataset("counts", state=Dataset.State.DRAFT)
    client.force_login(people["editor"])
    body = "place,count\n" + "".join(f"P{i},{i}\n" for i in range(50)) + "P50,about 7\n"
    upload = io.BytesIO(body.encode())
    upload.name = "counts.csv"
    response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                           {"name": "Counts", "file": upload})
    page = client.get(response.url).content.decode()
    assert "Some values don" in page and "row 52 “about 7”" in page
    job = IngestJob.objects.get()
    form = {f"type_{i}": c["type"] for i, c in enumerate(job.report["validation"]["columns"])}
    form["type_1"] = "string"
    response = client.post(reverse("catalogue:job", args=[job.id]), form)
    again = IngestJob.objects.exclude(pk=job.pk).get()
    assert response.url == reverse("catalogue:job", args=[again.id])
    assert again.status == IngestJob.Status.DONE and again.overrides == {"count": "string"}


def test_drafts_and_private_datasets_are_for_members_only(client, loaded, people, make_dataset):
    make_dataset("open-one", title="Open one")
    make_dataset("draft-one", title="Draft one", state=Dataset.State.DRAFT)
    make_dataset("private-one", title="Private one", private=True)
    listing = client.get("/datasets/").content.decode()
    assert "Open one" in listing and "Draft one" not in listing and "Private one" not in listing
    assert client.get("/datasets/draft-one/").status_code == 404
    assert client.get("/datasets/private-one/").status_code == 404
    client.force_login(people["outsider"])
    assert client.get("/datasets/private-one/").status_code == 404
    client.force_login(people["member"])
    assert client.get("/datasets/draft-one/").status_code == 200
    assert "Private one" in client.get("/datasets/").content.decode()
    # members see but do not edit; outsiders can't edit either
    assert client.get("/datasets/open-one/edit").status_code == 403
    client.force_login(people["outsider"])
    assert client.post("/datasets/open-one/publish", {"state": "draft"}).status_code == 403


def test_resource_page_previews_filters_sorts_maps_and_profiles(client, schools):
    dataset, resource, version = schools
    url = resource.get_absolute_url()
    page = client.get(url).content.decode()
    assert f"of {version.row_count:,}" in page
    assert 'id="rowmap"' in page and "Where the rows of Open schools are" in page
    assert "percentage_fsm" in page and "Columns" in page
    filtered = client.get(url, {"fc": "education_phase", "fo": "eq", "fv": "Nursery",
                                "sort": "number_of_pupils", "desc": "1"}).content.decode()
    rows = [r for r in csv.DictReader(open(_schools_path(), encoding="utf-8"))
            if r["education_phase"] == "Nursery"]
    assert f"of {len(rows):,}</p>" in filtered
    biggest = max(rows, key=lambda r: int(r["number_of_pupils"] or 0))
    assert filtered.index(biggest["establishment_name"]) < filtered.index("</tbody>")
    bad = client.get(url, {"fc": "number_of_pupils", "fo": "gt", "fv": "lots"}).content.decode()
    assert "not a valid integer" in bad


def _schools_path():
    from tests.conftest import DATA_DIR

    return DATA_DIR / "points" / "mk_schools_gias_2025-05.csv"


def test_downloads_in_every_format(client, schools):
    dataset, resource, version = schools
    base = f"/datasets/{dataset.name}/resources/{resource.id}/v1/download."
    response = client.get(base + "csv")
    text = b"".join(response.streaming_content).decode()
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == version.row_count and table[0]["urn"]
    assert response["Content-Disposition"].endswith('v1.csv"')
    geo = json.loads(b"".join(client.get(base + "geojson").streaming_content))
    assert len(geo["features"]) == version.row_count
    assert geo["features"][0]["geometry"]["type"] == "Point"
    parquet = b"".join(client.get(base + "parquet").streaming_content)
    assert parquet[:4] == b"PAR1"
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(client.get(base + "xlsx"))),
                                      read_only=True)
    assert sum(1 for _ in workbook.active.iter_rows()) == version.row_count + 1
    original = b"".join(client.get(base + "original").streaming_content)
    assert original == _schools_path().read_bytes()
    assert client.get(base + "exe").status_code == 404


def test_csv_download_neutralises_spreadsheet_formulas(client, loaded, make_dataset, ingest_path,
                                                       tmp_path):
    path = tmp_path / "evil.csv"
    path.write_text('name,score\n"=HYPERLINK(""http://x"")",-3\n@SUM(A1),4\n', encoding="utf-8")
    job = ingest_path(make_dataset("evil"), path)
    text = b"".join(client.get(
        f"/datasets/evil/resources/{job.resource_id}/v1/download.csv").streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'@SUM(A1)"]
    assert [r["score"] for r in rows] == ["-3", "4"]


def test_what_changed_between_versions(client, schools, ingest_path, tmp_path):
    dataset, resource, version = schools
    lines = _schools_path().read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "schools.csv"
    path.write_text("".join(lines[:-5]), encoding="utf-8")
    ingest_path(dataset, path, resource=resource)
    page = client.get(reverse("catalogue:diff", args=[dataset.name, resource.id])).content.decode()
    assert "What changed" in page and "Removed" in page and ">5<" in page


def test_place_page_lists_datasets_with_rows_there(client, schools):
    dataset, resource, version = schools
    from commonground.catalogue.models import VersionArea

    area = VersionArea.objects.filter(version=version, geography="ward").order_by("-rows").first()
    page = client.get(f"/places/ward/{area.code}/").content.decode()
    assert "Schools in Milton Keynes" in page and f"{area.rows} row" in page


def test_search_facets_and_area_filter(client, schools, make_dataset):
    make_dataset("car-parks", title="Car parks")
    page = client.get("/datasets/", {"q": "school"}).content.decode()
    assert "1 dataset matching" in page and "Car parks" not in page
    assert "Milton Keynes City Council" in page  # publisher facet
    from commonground.catalogue.models import VersionArea

    ward = VersionArea.objects.filter(geography="ward").first().code
    page = client.get("/datasets/", {"area": f"ward:{ward}"}).content.decode()
    assert "Schools in Milton Keynes" in page and "Car parks" not in page


def test_descriptions_are_markdown_with_html_removed(client, loaded, make_dataset):
    make_dataset("md", notes="**Bold** <script>alert(1)</script> [link](javascript:alert(1))")
    page = client.get("/datasets/md/").content.decode()
    assert "<strong>Bold</strong>" in page
    assert "<script>alert" not in page and "javascript:" not in page


def test_descriptions_keep_only_the_allowed_html():
    """Only the listed tags survive: no image (a tracking pixel fetched by every reader's
    browser), no heading that outranks the page's own, links marked nofollow."""
    from commonground.catalogue.templatetags.catalogue import markdown

    html = markdown("# Big\n\n![pixel](https://tracker.example/p.gif) [a](https://x.example/)"
                    "\n\n<span style='color:red'>s</span>")
    assert "<img" not in html and "tracker.example" not in html
    assert "<h1" not in html and "<span" not in html and "style=" not in html
    assert 'rel="nofollow noopener"' in html


def test_a_url_on_a_private_address_is_refused(client, loaded, people, make_dataset):
    dataset = make_dataset("fetched")
    client.force_login(people["editor"])
    response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                           {"name": "Feed", "url": "http://127.0.0.1:8000/secret.csv"},
                           follow=True)
    assert "loopback" in response.content.decode()
    assert not IngestJob.objects.exists() and not Resource.objects.exists()


def test_dcat_catalogue_lists_public_datasets(client, schools, make_dataset):
    make_dataset("hidden", state=Dataset.State.DRAFT)
    doc = client.get("/catalog.jsonld").json()
    assert doc["@type"] == "dcat:Catalog"
    titles = [d["dct:title"] for d in doc["dcat:dataset"]]
    assert titles == ["Schools in Milton Keynes"]
    formats = {d["dct:format"]["@id"].rsplit("/", 1)[-1]
               for d in doc["dcat:dataset"][0]["dcat:distribution"]}
    assert formats == {"CSV", "GEOJSON", "PARQUET", "XLSX"}  # EU file types


def test_an_upload_over_the_limit_is_refused_while_it_streams(client, loaded, people,
                                                              make_dataset, settings):
    settings.COMMONGROUND_MAX_UPLOAD_BYTES = 10_000
    dataset = make_dataset("big")
    client.force_login(people["editor"])
    upload = io.BytesIO(b"a,b\n" + b"1,2\n" * 5_000)
    upload.name = "big.csv"
    response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                           {"name": "Big", "file": upload}, follow=True)
    assert "big.csv: the file is larger than the limit of 9.8 kB" in response.content.decode()
    assert not IngestJob.objects.exists() and not Resource.objects.exists()


def test_a_workbook_whose_first_sheet_fails_can_be_read_from_another_sheet(
        client, loaded, people, make_dataset, tmp_path):
    import openpyxl

    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Summary"
    book.active.append(["total", "=SUM(Data!B2:B3)"])
    data = book.create_sheet("Data")
    data.append(["site", "visits"])
    data.append(["Bletchley", 3])
    data.append(["Wolverton", 4])
    book.save(path)
    dataset = make_dataset("book")
    client.force_login(people["editor"])
    with open(path, "rb") as f:
        response = client.post(reverse("catalogue:resource_new", args=[dataset.name]),
                               {"name": "Visits", "file": f})
    page = client.get(response.url).content.decode()
    assert "formula" in page and "<option>Data</option>" in page
    job = IngestJob.objects.get()
    response = client.post(reverse("catalogue:job", args=[job.id]), {"sheet": "Data"})
    again = IngestJob.objects.exclude(pk=job.pk).get()
    assert again.status == IngestJob.Status.DONE and again.sheet == "Data"
    assert again.version.row_count == 2


def test_resource_page_warns_of_a_failed_check_only_until_a_good_version_replaces_it(
        client, people, make_dataset, ingest_path, tmp_path):
    """A check that failed after the live version is shown; a later good version replaces
    the notice, and the failed job keeps its report."""
    dataset = make_dataset("bins")
    good = tmp_path / "bins.csv"
    good.write_text("site,n\nA,1\nB,2\n", encoding="utf-8")
    bad = tmp_path / "bins-new.csv"
    bad.write_text("site,n\nA,1\nB,two\n", encoding="utf-8")
    first = ingest_path(dataset, good, name="Bins")
    failed = ingest_path(dataset, bad, resource=first.resource, overrides={"n": "integer"})
    assert (first.status, failed.status) == (IngestJob.Status.DONE, IngestJob.Status.INVALID)
    client.force_login(people["editor"])
    url = first.resource.get_absolute_url()
    notice = "Latest check of <strong>bins-new.csv</strong>"
    assert notice in client.get(url).content.decode()  # the latest attempt, after the live one
    later = ingest_path(dataset, good, resource=first.resource)
    assert later.status == IngestJob.Status.DONE and later.version.number == 2
    page = client.get(url).content.decode()
    assert notice not in page and "Latest check of" not in page
    report = client.get(reverse("catalogue:job", args=[failed.id]))
    assert report.status_code == 200 and "bins-new.csv" in report.content.decode()
