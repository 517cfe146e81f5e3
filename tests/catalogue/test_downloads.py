"""Downloads that open right: an "Excel" CSV with a byte order mark, the data's own columns
unless the hub's are asked for (then with each area's name beside its code), a Frictionless
data package that `frictionless validate` passes, and nothing withheld in any format, on the
city's real GP practices and schools."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.models import IngestJob
from commonground.geography.manifest import load_manifest
from commonground.places.models import Area

pytestmark = pytest.mark.django_db

BOM = b"\xef\xbb\xbf"
FORMATS = ("csv", "xlsx", "geojson")


@pytest.fixture
def practices(loaded, make_dataset, ingest_path, data_dir):
    manifest = load_manifest(data_dir)
    source = manifest.resource("gp-practices")
    dataset = make_dataset("gp-practices", title="GP practices")
    job = ingest_path(dataset, manifest.root / source.path, name=source.title)
    assert job.status == IngestJob.Status.DONE, job.error
    return dataset, job.resource, job.version, source


def _url(resource, version, fmt: str) -> str:
    return f"/datasets/{resource.dataset.name}/resources/{resource.id}/v{version.number}/" \
           f"download.{fmt}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _columns(client, url: str, fmt: str, **params) -> list[str]:
    """The column names (GeoJSON: the first feature's property keys) of a download."""
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    if fmt == "csv":
        return next(csv.reader(io.StringIO(_body(response).decode("utf-8-sig"))))
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response)), read_only=True).active
        return [c.value for c in next(sheet.iter_rows())]
    return list(json.loads(_body(response))["features"][0]["properties"])


def test_the_excel_link_is_the_csv_with_a_byte_order_mark(client, practices):
    dataset, resource, version, _ = practices
    page = client.get(resource.get_absolute_url()).content.decode()
    excel = re.search(r'<a href="([^"]+)" download>Excel</a>', page)
    assert excel, "the resource page offers an Excel download"
    with_bom = _body(client.get(excel.group(1).replace("&amp;", "&")))
    plain = _body(client.get(_url(resource, version, "csv")))
    assert with_bom.startswith(BOM) and not plain.startswith(BOM)
    assert with_bom[len(BOM):] == plain
    assert _body(client.get(_url(resource, version, "csv"), {"bom": "1"})) == with_bom


def test_downloads_and_the_preview_hold_the_data_columns_unless_the_hubs_are_asked_for(
        client, practices):
    dataset, resource, version, _ = practices
    data = [c["name"] for c in version.schema if not c["name"].startswith("_")]
    url = resource.get_absolute_url()
    for fmt in FORMATS:
        assert _columns(client, _url(resource, version, fmt), fmt) == data, fmt
    page = client.get(url).content.decode()
    assert ">_id</a>" not in page and ">_easting</a>" not in page and f">{data[0]}</a>" in page

    hub = _columns(client, _url(resource, version, "csv"), "csv", internal="1")
    codes = [c for c in hub if c.startswith("_") and f"{c}_name" in hub]
    assert {"_id", "_easting", "_northing", "_linked_by"} <= set(hub) and codes
    for code in codes:  # each area's name right after its code
        assert hub[hub.index(code) + 1] == f"{code}_name"
    assert _columns(client, _url(resource, version, "xlsx"), "xlsx", internal="1") == hub
    properties = _columns(client, _url(resource, version, "geojson"), "geojson", internal="1")
    assert set(codes) <= set(properties) and {f"{c}_name" for c in codes} <= set(properties)
    internal = client.get(url, {"internal": "1"}).content.decode()
    assert ">_id</a>" in internal and f">{codes[0]}</a>" in internal

    # the names are the loaded places' names of each row's area
    text = _body(client.get(_url(resource, version, "csv"), {"internal": "1"})).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    base = codes[0]
    named = dict(Area.objects.filter(geography=base[1:]).values_list("code", "name"))
    placed = [r for r in rows if r[base]]
    assert placed and all(r[f"{base}_name"] == named[r[base]] for r in placed)


def test_withheld_columns_stay_out_of_every_format_for_outsiders(client, practices, people):
    dataset, resource, version, source = practices
    withheld = [source.name_field, "postcode"]
    dataset.restricted, dataset.restricted_columns = True, "\n".join(withheld)
    dataset.save()
    other = Organisation.objects.create(slug="friends", name="Friends of the Park",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=people["outsider"], organisation=other,
                              role=Membership.Role.EDITOR)
    member_of_other = Client()
    member_of_other.force_login(people["outsider"])
    for who, viewer in {"signed out": client, "another organisation": member_of_other}.items():
        for fmt in FORMATS:
            for params in ({}, {"internal": "1"}):
                shown = set(_columns(viewer, _url(resource, version, fmt), fmt, **params))
                assert shown and not shown & {*withheld, "_easting", "_northing"}, (who, fmt)
    insider = Client()
    insider.force_login(people["member"])
    assert set(withheld) <= set(_columns(insider, _url(resource, version, "csv"), "csv"))


def test_records_about_people_and_private_datasets_give_no_download(client, practices, people):
    dataset, resource, version, _ = practices
    dataset.about_people = True
    dataset.save()
    outsider = Client()
    outsider.force_login(people["outsider"])
    for viewer in (client, outsider):
        for fmt in FORMATS:
            response = viewer.get(_url(resource, version, fmt), {"internal": "1", "bom": "1"})
            assert response.status_code == 403, fmt
    dataset.about_people, dataset.private = False, True
    dataset.save()
    for viewer in (client, outsider):
        assert viewer.get(_url(resource, version, "csv"), {"bom": "1"}).status_code == 404


def _validated_package(client, dataset, folder: Path) -> dict:
    """The dataset's datapackage.json and the CSVs it names, as ``client`` gets them, saved
    in ``folder`` and checked by the frictionless command line."""
    response = client.get(f"/datasets/{dataset.name}/datapackage.json")
    assert response.status_code == 200, response.content
    package = response.json()
    (folder / "datapackage.json").write_text(json.dumps(package))
    for resource in package["resources"]:
        target = folder / resource["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_body(client.get(f"/datasets/{dataset.name}/{resource['path']}")))
    checked = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "frictionless", "validate", "--json",
         str(folder / "datapackage.json")], capture_output=True, text=True, timeout=300)
    report = json.loads(checked.stdout)
    assert report["valid"], json.dumps(report["tasks"], indent=1)[:3000]
    return package


@pytest.fixture
def schools(loaded, ingest_path, data_dir, practices):
    """The city's schools, a second resource of the practices' dataset."""
    dataset, *_ = practices
    manifest = load_manifest(data_dir)
    source = manifest.resource("schools")
    job = ingest_path(dataset, manifest.root / source.path, name=source.title)
    assert job.status == IngestJob.Status.DONE, job.error
    return job.resource, job.version


def test_the_data_package_describes_every_csv_and_frictionless_validates_it(
        client, practices, schools, tmp_path):
    dataset, resource, version, _ = practices
    package = _validated_package(client, dataset, tmp_path)
    assert package["name"] == dataset.name and package["licenses"][0]["name"] == dataset.licence
    by_title = {r["title"]: r for r in package["resources"]}
    assert set(by_title) == {resource.name, schools[0].name}
    for res, ver in ((resource, version), schools):
        fields = by_title[res.name]["schema"]["fields"]
        header = _columns(client, _url(res, ver, "csv"), "csv")
        assert [f["name"] for f in fields] == header
        ours = {c["name"]: c["type"] for c in ver.schema}  # our type names are the spec's
        assert {f["name"]: f["type"] for f in fields} == {n: ours[n] for n in header}
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert f'href="/datasets/{dataset.name}/datapackage.json"' in page


def test_the_data_package_leaves_out_withheld_columns_and_refuses_what_cannot_be_read(
        client, practices, people, tmp_path):
    dataset, resource, version, source = practices
    withheld = [source.name_field, "postcode"]
    dataset.restricted, dataset.restricted_columns = True, "\n".join(withheld)
    dataset.save()
    outsider = Client()
    outsider.force_login(people["outsider"])
    for n, viewer in enumerate((client, outsider)):
        folder = tmp_path / str(n)
        folder.mkdir()
        package = _validated_package(viewer, dataset, folder)
        names = {f["name"] for r in package["resources"] for f in r["schema"]["fields"]}
        assert names and not names & set(withheld)
    url = f"/datasets/{dataset.name}/datapackage.json"
    dataset.restricted_columns = ""  # restricted as a whole: rows for members only
    dataset.save()
    assert client.get(url).status_code == 403 and outsider.get(url).status_code == 403
    dataset.restricted, dataset.about_people = False, True
    dataset.save()
    assert client.get(url).status_code == 403 and outsider.get(url).status_code == 403
    dataset.about_people, dataset.private = False, True
    dataset.save()
    assert client.get(url).status_code == 404 and outsider.get(url).status_code == 404
    member = Client()
    member.force_login(people["member"])
    assert set(withheld) <= {f["name"] for r in member.get(url).json()["resources"]
                             for f in r["schema"]["fields"]}



#: Bedford's town bridge (WGS84 degrees), 25 km east of the city's boundary.
BEDFORD = (-0.4660, 52.1340)


def test_geojson_keeps_the_place_of_a_row_outside_the_city(client, loaded, make_dataset,
                                                            ingest_path, data_dir, tmp_path):
    """The city's schools, one of them moved to Bedford (the real file has no school outside
    the city): its row links to no area, and its GeoJSON Feature is still at Bedford."""
    from commonground.geography.projection import lonlat_to_bng

    manifest = load_manifest(data_dir)
    source = manifest.resource("schools")
    with open(manifest.root / source.path, encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    moved = table[7]
    (east,), (north,) = lonlat_to_bng([BEDFORD[0]], [BEDFORD[1]])
    moved.update(longitude=str(BEDFORD[0]), latitude=str(BEDFORD[1]), easting=f"{east:.0f}",
                 northing=f"{north:.0f}", **{c: "" for c in moved if c.startswith("lsoa")})
    path = tmp_path / "schools.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    job = ingest_path(make_dataset("schools"), path, name=source.title)
    assert job.status == IngestJob.Status.DONE, job.error
    resource, version = job.resource, job.version
    text = _body(client.get(_url(resource, version, "csv"), {"internal": "1"})).decode()
    outside = [r for r in csv.DictReader(io.StringIO(text)) if not r["_easting"]]
    assert [r["urn"] for r in outside] == [moved["urn"]]  # outside the city: not placed

    features = json.loads(_body(client.get(_url(resource, version, "geojson"))))["features"]
    assert len(features) == len(table)
    assert all(f["geometry"] and f["geometry"]["type"] == "Point" for f in features)
    there = next(f for f in features if str(f["properties"]["urn"]) == moved["urn"])
    assert there["geometry"]["coordinates"] == pytest.approx(list(BEDFORD), abs=1e-7)
