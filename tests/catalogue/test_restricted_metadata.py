"""A restricted dataset is findable, and everything that describes it says so.

The council publishes the schools (open) and the charge points (restricted) from the real data
package, read through its manifest. Both are found by search, the CKAN API and DCAT; the
catalogue list, the dataset's page, the council's group page, CKAN's ``package_show``
(``access_level``, ``restricted_columns``) and DCAT's ``dct:accessRights`` (the EU
access-right vocabulary, checked against the DCAT-AP 3.0 SHACL shapes) tell which is which. The
dataset form sets each access level, and refuses restricted or period columns that are not
columns of the live data, naming the field and the column, changing nothing.
"""

from __future__ import annotations

import copy
import json

import pytest
from django.test import Client
from django.urls import reverse

from commonground.catalogue.models import Dataset, IngestJob, Resource
from commonground.catalogue.services.searchtext import refresh_search_text

pytestmark = pytest.mark.django_db

ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"


def manifest_path(data_dir, name: str):
    """The file of the data package's resource ``name`` (as its manifest says)."""
    package = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    (resource,) = [r for r in package["resources"] if r["name"] == name]
    return data_dir / resource["path"]


@pytest.fixture
def published(loaded, make_dataset, ingest_path, data_dir):
    """The open schools and the restricted charge points, both published by the council."""
    out = {}
    for name, title, restricted in (("schools", "Schools in Milton Keynes", False),
                                    ("ev-chargepoints", "Electric vehicle charge points", True)):
        dataset = make_dataset(name, title=title)
        job = ingest_path(dataset, manifest_path(data_dir, name), name=title)
        assert job.status == IngestJob.Status.DONE, job.error
        dataset.restricted = restricted
        dataset.save()
        refresh_search_text(dataset)
        out[name] = dataset
    return out


def _ckan(client, action: str, **params) -> dict:
    response = client.get(f"/api/3/action/{action}", params)
    assert response.status_code == 200, response.content
    return response.json()["result"]


def _access_rights(client) -> dict[str, str]:
    doc = client.get(reverse("catalogue:dcat")).json()
    return {d["dct:title"]: d["dct:accessRights"]["@id"] for d in doc["dcat:dataset"]}


def test_a_restricted_dataset_is_found_everywhere_and_labelled_restricted(client, published):
    chargers = published["ev-chargepoints"]
    listing = client.get("/datasets/", {"q": "charge"}).content.decode()
    assert chargers.title in listing and '<span class="tag">Restricted</span>' in listing
    page = client.get(chargers.get_absolute_url())
    assert page.status_code == 200  # findable and described, not a 404
    assert "Restricted: its rows need a grant" in page.content.decode()
    group = client.get(reverse("community:group", args=["mk-council"])).content.decode()
    assert "(restricted: rows by grant)" in group
    schools_page = client.get(published["schools"].get_absolute_url()).content.decode()
    assert "Restricted" not in schools_page

    found = _ckan(client, "package_search", q="charge")
    assert [p["name"] for p in found["results"]] == ["ev-chargepoints"]
    assert found["results"][0]["access_level"] == "restricted"
    package = _ckan(client, "package_show", id="ev-chargepoints")
    assert package["private"] is False and package["access_level"] == "restricted"
    assert package["restricted_columns"] == []
    assert package["resources"][0]["size"] is None  # sizes follow the withheld row count
    schools = _ckan(client, "package_show", id="schools")
    assert schools["access_level"] == "open" and schools["restricted_columns"] == []
    assert schools["resources"][0]["size"] > 0

    assert _access_rights(client) == {chargers.title: ACCESS_RIGHT + "RESTRICTED",
                                      published["schools"].title: ACCESS_RIGHT + "PUBLIC"}


def test_a_dataset_restricted_in_named_columns_says_which(client, published, people):
    chargers = published["ev-chargepoints"]
    chargers.restricted_columns = "postcode\nstreet"
    chargers.save()
    package = _ckan(client, "package_show", id="ev-chargepoints")
    assert package["access_level"] == "restricted"
    assert package["restricted_columns"] == ["postcode", "street"]
    page = client.get(chargers.get_absolute_url()).content.decode()
    assert "columns postcode, street (and the rows' exact locations) need a grant" in page
    listing = client.get("/datasets/", {"q": "charge"}).content.decode()
    assert '<span class="tag">Restricted: some columns</span>' in listing
    # private: members only, CKAN and DCAT say so to those who see it
    chargers.restricted, chargers.restricted_columns, chargers.private = False, "", True
    chargers.save()
    member = Client()
    member.force_login(people["member"])
    assert _ckan(member, "package_show", id="ev-chargepoints")["access_level"] == "private"
    assert chargers.title not in _access_rights(client)  # never listed in the open


def test_dcat_access_rights_conform_to_dcat_ap_3(client, published, data_dir):
    """``dct:accessRights`` of an open and a restricted dataset, validated against the DCAT-AP
    3.0.0 SHACL shapes (mandatory constraints and class ranges) as published."""
    pyshacl = pytest.importorskip("pyshacl")
    rdflib = pytest.importorskip("rdflib")
    shapes = rdflib.Graph()
    for name in ("shapes.ttl", "range.ttl"):  # shared/conformance, beside the data
        shapes.parse(data_dir.parent / "conformance" / "dcat-ap-3.0.0" / name, format="turtle")
    access_rights = rdflib.URIRef("http://purl.org/dc/terms/accessRights")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")

    def violations(doc: dict) -> list[str]:
        data = rdflib.Graph().parse(data=json.dumps(doc), format="json-ld")
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="rdfs")
        return [str(report.value(r, sh.resultMessage)) for r in report.subjects(
            sh.resultPath, access_rights)]

    doc = client.get(reverse("catalogue:dcat")).json()
    assert len(doc["dcat:dataset"]) == 2
    assert violations(doc) == []
    assert {d["dct:accessRights"]["@id"] for d in doc["dcat:dataset"]} == {
        ACCESS_RIGHT + "PUBLIC", ACCESS_RIGHT + "RESTRICTED"}
    # the shapes do catch access rights given as text, or as an IRI of no RightsStatement
    for wrong in ("restricted", {"@id": ACCESS_RIGHT + "RESTRICTED"}):
        bad = copy.deepcopy(doc)
        bad["dcat:dataset"][0]["dct:accessRights"] = wrong
        assert violations(bad), wrong


def _form(dataset: Dataset, **changes) -> dict:
    form = {"title": dataset.title, "organisation": dataset.organisation_id,
            "licence": dataset.licence, "frequency": dataset.frequency, "nature": "service",
            "access": dataset.access, "restricted_columns": dataset.restricted_columns,
            "period_column": dataset.period_column, "access_terms": dataset.access_terms}
    form.update(changes)
    return form


def _edit(client, dataset: Dataset, **changes):
    """Post the edit form as the page shows it now, with ``changes``."""
    return client.post(reverse("catalogue:dataset_edit", args=[dataset.name]),
                       _form(Dataset.objects.get(pk=dataset.pk), **changes))


def _saved(dataset: Dataset) -> tuple:
    d = Dataset.objects.get(pk=dataset.pk)
    return d.access, d.restricted_columns, d.period_column, d.access_terms


def test_the_editor_sets_each_access_level(client, published, people):
    chargers = published["ev-chargepoints"]
    client.force_login(people["editor"])
    form = client.get(reverse("catalogue:dataset_edit", args=[chargers.name])).content.decode()
    for level in ("open", "restricted", "private"):
        assert f'type="radio" name="access" value="{level}"' in form
    assert 'value="restricted"' in form and "checked" in form
    terms = "Use only for planning charge points; no re-identification."
    for level in ("open", "private", "restricted"):
        response = _edit(client, chargers, access=level, access_terms=terms,
                         restricted_columns="")
        assert response.status_code == 302, response.content.decode()[:3000]
        assert _saved(chargers) == (level, "", "", terms)
    response = _edit(client, chargers, restricted_columns="postcode\r\n street\n\npostcode",
                     period_column="datecreated")
    assert response.status_code == 302, response.content.decode()[:3000]
    assert _saved(chargers) == ("restricted", "postcode\nstreet", "datecreated", terms)
    chargers.refresh_from_db()
    assert chargers.partly_withheld and chargers.withheld_columns == ["postcode", "street"]


@pytest.mark.parametrize("changes,field,words", [
    ({"restricted_columns": "postcode\naddress_line_9"}, "Restricted columns",
     "“address_line_9” is not a column of the live data"),
    ({"access": "open", "restricted_columns": "postcode"}, "Restricted columns",
     "Only a restricted dataset has restricted columns"),
    ({"access": "private", "restricted_columns": "postcode"}, "Restricted columns",
     "Only a restricted dataset has restricted columns"),
    ({"period_column": "postcode"}, "Period column",
     "Column “postcode” holds string values; the period column must hold dates"),
    ({"period_column": "inspected_on"}, "Period column",
     "“inspected_on” is not a column of the live data"),
    ({"access": "secret"}, "Access", "Select a valid choice"),
])
def test_the_form_refuses_bad_access_settings_and_changes_nothing(client, published, people,
                                                                  changes, field, words):
    chargers = published["ev-chargepoints"]
    client.force_login(people["editor"])
    before = _saved(chargers)
    response = _edit(client, chargers, **changes)
    html = response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert response.status_code == 200
    assert f"{field}: " in html and words in html, html[:3000]
    assert _saved(chargers) == before


def test_a_new_dataset_cannot_name_restricted_columns_before_it_has_data(client, council,
                                                                         people, loaded):
    client.force_login(people["editor"])
    form = {"title": "Home energy certificates", "organisation": council.pk,
            "licence": "OGL-UK-3.0", "frequency": "monthly", "access": "restricted",
            "restricted_columns": "address"}
    response = client.post(reverse("catalogue:dataset_new"), form)
    assert response.status_code == 200 and "has no live data yet" in response.content.decode()
    assert not Dataset.objects.filter(title="Home energy certificates").exists()
    form["restricted_columns"] = ""
    assert client.post(reverse("catalogue:dataset_new"), form).status_code == 302
    created = Dataset.objects.get(title="Home energy certificates")
    assert created.access == "restricted" and created.records_withheld


def test_projects_cannot_link_a_restricted_dataset(published, people):
    from commonground.projects.access import linkable_datasets

    chargers = published["ev-chargepoints"]
    names = set(linkable_datasets(people["editor"]).values_list("name", flat=True))
    assert names == {"schools"}
    chargers.restricted_columns = "postcode"  # rows open, but not everyone's in full
    chargers.save()
    assert set(linkable_datasets(people["editor"]).values_list("name", flat=True)) == {"schools"}


def test_a_feeds_catalogue_entry_is_not_restricted_from_the_dataset_form(client, published,
                                                                         people):
    """A feed's page and APIs are the feed's own: restricting its catalogue entry would label
    it restricted while it stays public; the form says to make the feed private instead."""
    chargers = published["ev-chargepoints"]
    Dataset.objects.filter(pk=chargers.pk).update(restricted=False, restricted_columns="")
    Resource.objects.create(dataset=chargers, name="Live charge points",
                            kind=Resource.Kind.FEED, format="feed")
    client.force_login(people["editor"])
    answer = _edit(client, chargers, access="restricted")
    assert answer.status_code == 200 and "making the feed private" in answer.content.decode()
    assert _saved(chargers)[0] == "open"
