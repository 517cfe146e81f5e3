"""The DCAT-AP 3.0 catalogue validates against the EU's SHACL shapes, and says true things.

The hub's real catalogue: every point and building file of the city's data package seeded
as the demo does (``seed_catalogue``: publishers, licences, themes, tags, vintages read from
the manifest), with the council's charge points made restricted and the libraries private.
It is checked with ``pyshacl`` against the DCAT-AP 3.0.0 shapes as published
(``shared/conformance/dcat-ap-3.0.0``: ``shapes.ttl`` mandatory, ``shapes_recommended.ttl``
recommended, ``range.ttl`` class ranges), with zero results of any severity, in all three
serialisations; a deliberately broken copy shows the shapes do catch what they should.
What each statement says is checked against the hub itself: the areas, files and dates.
"""

from __future__ import annotations

import copy
import hashlib
import json

import numpy as np
import pytest
import rdflib
from django.test import Client
from rdflib.compare import isomorphic

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue.dcat_places import Coverage
from commonground.catalogue.licences import licence
from commonground.catalogue.models import Dataset, Resource
from commonground.catalogue.services.seed import seed_catalogue, vintage_date
from commonground.geography.manifest import load_manifest
from commonground.places.models import Area, LoadRun

pyshacl = pytest.importorskip("pyshacl")
pytestmark = pytest.mark.django_db

SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
RDF = rdflib.RDF
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
DATA_THEME = "http://publications.europa.eu/resource/authority/data-theme/"
ONS = "http://statistics.data.gov.uk/id/statistical-geography/"
IANA = "https://www.iana.org/assignments/media-types/"
RESTRICTED, PRIVATE = "ev-chargepoints", "libraries"


@pytest.fixture(scope="module")
def shapes(data_dir) -> rdflib.Graph:
    """The DCAT-AP 3.0.0 shapes: mandatory, recommended and class ranges, as published."""
    graph = rdflib.Graph()
    for name in ("shapes.ttl", "shapes_recommended.ttl", "range.ttl"):
        graph.parse(data_dir.parent / "conformance" / "dcat-ap-3.0.0" / name, format="turtle")
    return graph


def results(data: rdflib.Graph, shapes: rdflib.Graph) -> list[tuple[str, str, str, str]]:
    """Every result of validating ``data`` (violations and warnings alike): severity, focus
    node, path and message."""
    _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="rdfs")
    return sorted((str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
                   str(report.value(r, SH.focusNode)), str(report.value(r, SH.resultPath)),
                   str(report.value(r, SH.resultMessage)))
                  for r in report.subjects(RDF.type, SH.ValidationResult))


def jsonld(document: dict) -> rdflib.Graph:
    return rdflib.Graph().parse(data=json.dumps(document), format="json-ld")


def by_value(graph: rdflib.Graph) -> rdflib.Graph:
    """``graph`` with its decimals (byte sizes, whole numbers) written one way: Turtle writes
    ``"22345"^^xsd:decimal`` as ``22345.0``, the same value."""
    out = rdflib.Graph()
    for s, p, o in graph:
        if isinstance(o, rdflib.Literal) and o.datatype == rdflib.XSD.decimal:
            o = rdflib.Literal(int(o.toPython()), datatype=rdflib.XSD.decimal)
        out.add((s, p, o))
    return out


@pytest.fixture
def hub(loaded, council, data_dir, people):
    """The real catalogue: the package's point and building files, seeded; charge points
    restricted, libraries private."""
    made = {d.name: d for d in seed_catalogue(data_dir, log=lambda _: None)}
    assert {RESTRICTED, PRIVATE, "schools"} <= set(made)
    Dataset.objects.filter(name=RESTRICTED).update(restricted=True)
    Dataset.objects.filter(name=PRIVATE).update(private=True)
    return {name: Dataset.objects.get(pk=d.pk) for name, d in made.items()}


@pytest.fixture
def other_member(django_user_model):
    """A member of another organisation (a community group) than any publisher."""
    group = Organisation.objects.create(slug="bletchley-friends", name="Friends of Bletchley",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    user = django_user_model.objects.create_user("neighbour", password="pw-neighbour-1")
    Membership.objects.create(user=user, organisation=group, role=Membership.Role.EDITOR)
    client = Client()
    client.force_login(user)
    return client


def _catalogue(client, path="/catalog.jsonld", **headers):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.content[:500]
    return response


def test_the_real_catalogue_passes_the_mandatory_and_recommended_shapes(client, hub, shapes):
    doc = _catalogue(client).json()
    listed = {d["dct:identifier"] for d in doc["dcat:dataset"]}
    assert listed == {str(d.id) for d in hub.values() if d.name != PRIVATE}
    assert results(jsonld(doc), shapes) == []
    # the same triples as Turtle and as RDF/XML, by address and by Accept header
    for path, accept, fmt in (("/catalog.ttl", "", "turtle"), ("/catalog.rdf", "", "xml"),
                              ("/catalog.jsonld", "text/turtle", "turtle"),
                              ("/catalog.jsonld", "application/rdf+xml", "xml")):
        body = _catalogue(client, path, **({"Accept": accept} if accept else {})).content
        graph = rdflib.Graph().parse(data=body, format=fmt)
        assert isomorphic(by_value(graph), by_value(jsonld(doc))), (path, accept)


def test_the_shapes_report_a_broken_catalogue(client, hub, shapes):
    """Each break of DCAT-AP is reported, on the node and property broken: the check can
    fail."""
    doc = _catalogue(client).json()
    bad = copy.deepcopy(doc)
    dataset, other = bad["dcat:dataset"][0], bad["dcat:dataset"][1]
    del dataset["dct:description"]  # mandatory
    del other["dct:temporal"]  # recommended
    distribution = next(d for d in bad["dcat:dataset"][2]["dcat:distribution"]
                        if "dcat:byteSize" in d)
    distribution["dcat:byteSize"] = "about 20 kB"  # not an xsd:decimal
    distribution["dct:format"] = "CSV"  # text, not a dct:MediaTypeOrExtent
    for d in bad["dcat:dataset"]:  # places nowhere said to be a dct:Location
        d["dct:spatial"] = [{"@id": s["@id"]} for s in d["dct:spatial"]]
    bad["dct:spatial"] = [{"@id": s["@id"]} for s in bad["dct:spatial"]]
    found = {(severity, focus, path.rsplit("/", 1)[-1].rsplit("#", 1)[-1])
             for severity, focus, path, _ in results(jsonld(bad), shapes)}
    assert found == {
        ("Violation", dataset["@id"], "description"),
        ("Warning", other["@id"], "temporal"),
        ("Violation", distribution["@id"], "byteSize"),
        ("Violation", distribution["@id"], "format"),
    } | {("Violation", d["@id"], "spatial") for d in [bad, *bad["dcat:dataset"]]}


def _node(doc: dict, dataset: Dataset) -> dict:
    (node,) = [d for d in doc["dcat:dataset"] if d["dct:identifier"] == str(dataset.id)]
    return node


def _manifest_resource(data_dir, name: str):
    (resource,) = [r for r in load_manifest(data_dir).resources if r.name == name]
    return resource


def test_a_datasets_places_are_the_ons_geographies_it_covers(client, hub):
    """The city's rows are all in its one authority: every dataset covers the city, named
    by its ONS code, with a bounding box and a point that lie on the city's boundary."""
    import shapely
    from pyproj import Transformer

    run = LoadRun.objects.latest()
    doc = _catalogue(client).json()
    city = [ONS + code for code in run.authority_codes]
    assert [p["@id"] for p in doc["dct:spatial"]] == city
    to_grid = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    to_degrees = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    for node in doc["dcat:dataset"]:
        assert [p["@id"] for p in node["dct:spatial"]] == city, node["dct:title"]
    for place in doc["dct:spatial"]:
        area = Area.objects.get(code=place["@id"].removeprefix(ONS), geography="lad")
        boundary = shapely.from_wkb(bytes(area.geometry_wkb))
        assert place["rdfs:label"] == area.name
        point = shapely.from_wkt(place["dcat:centroid"]["@value"])
        box = shapely.from_wkt(place["dcat:bbox"]["@value"])
        assert box.contains(point)
        assert boundary.contains(shapely.Point(to_grid.transform(point.x, point.y)))
        # the box holds the whole boundary, to the 6 decimals written (2e-6 degree, 20 cm)
        outline = shapely.transform(boundary, lambda xy: np.column_stack(
            to_degrees.transform(xy[:, 0], xy[:, 1])))
        assert box.buffer(2e-6).contains(outline)
        # the grid box turned to degrees: at most a few hundred metres wider (0.01° ≈ 1 km)
        assert not box.buffer(-0.01).contains(outline)


def test_themes_dates_licences_and_publishers_say_what_the_hub_knows(client, hub, data_dir):
    doc = _catalogue(client).json()
    schools = _node(doc, hub["schools"])
    themes = {t["@id"] for t in schools["dcat:theme"]}
    assert themes == {DATA_THEME + "REGI", DATA_THEME + "EDUC"}  # a place's schools
    assert all(t["@type"] == "skos:Concept" and t["skos:prefLabel"] for t in schools["dcat:theme"])
    dataset = hub["schools"]
    assert set(schools["dcat:keyword"]) == ({t.name for t in dataset.tags.all()}
                                            | {t.title for t in dataset.themes.all()})
    # the vintage the manifest gives, "24 May 2025": the day the data describes
    day = vintage_date(_manifest_resource(data_dir, "schools").vintage).isoformat()
    assert schools["dct:temporal"]["@type"] == "dct:PeriodOfTime"
    assert (schools["dct:temporal"]["dcat:startDate"]["@value"],
            schools["dct:temporal"]["dcat:endDate"]["@value"]) == (day, day)
    lic = licence(dataset.licence)
    for distribution in schools["dcat:distribution"]:
        assert distribution["dct:license"]["@id"] == lic.url
        assert distribution["dct:license"]["@type"] == "dct:LicenseDocument"
    assert schools["dct:publisher"]["foaf:name"] == dataset.organisation.name
    assert schools["dct:accessRights"]["@id"] == ACCESS_RIGHT + "PUBLIC"
    assert _node(doc, hub[RESTRICTED])["dct:accessRights"]["@id"] == ACCESS_RIGHT + "RESTRICTED"


def test_the_period_column_gives_the_period_of_open_rows_only(client, hub, data_dir):
    """An open dataset with a period column covers its first to its last date; restricted,
    the dates of its rows are not told, and the day its data is as of stands instead."""
    chargers = hub[RESTRICTED]
    Dataset.objects.filter(pk=chargers.pk).update(restricted=False, period_column="datecreated")
    path = data_dir / _manifest_resource(data_dir, RESTRICTED).path
    days = sorted(f["properties"]["datecreated"][:10]
                  for f in json.loads(path.read_text(encoding="utf-8"))["features"]
                  if f["properties"].get("datecreated"))
    period = _node(_catalogue(client).json(), chargers)["dct:temporal"]
    assert (period["dcat:startDate"]["@value"], period["dcat:endDate"]["@value"]) == (
        days[0], days[-1])
    Dataset.objects.filter(pk=chargers.pk).update(restricted=True)
    period = _node(_catalogue(client).json(), chargers)["dct:temporal"]
    as_of = chargers.data_as_of.isoformat()
    assert (period["dcat:startDate"]["@value"], period["dcat:endDate"]["@value"]) == (
        as_of, as_of)


def test_distributions_give_media_types_and_the_sizes_of_the_files_served(client, hub):
    """Each download format and the original file, with IANA media types; byte sizes and
    checksums where the download is a stored file, equal to what is downloaded."""
    doc = _catalogue(client).json()
    for dataset in (hub["schools"], hub["gp-practices"]):
        node = _node(doc, dataset)
        version = Resource.objects.get(dataset=dataset).current_version
        sized = {}
        for distribution in node["dcat:distribution"]:
            answer = client.get(distribution["dcat:downloadURL"]["@id"])
            assert answer.status_code == 200, distribution["@id"]
            body = b"".join(answer.streaming_content) if answer.streaming else answer.content
            media = distribution["dcat:mediaType"]["@id"].removeprefix(IANA)
            assert distribution["dcat:mediaType"]["@type"] == "dct:MediaType"
            if "dcat:byteSize" in distribution:
                assert int(distribution["dcat:byteSize"]["@value"]) == len(body)
                assert distribution["spdx:checksum"]["spdx:checksumValue"]["@value"] == \
                    hashlib.sha256(body).hexdigest()
                sized[distribution["@id"].rsplit(".", 1)[-1]] = len(body)
            if not distribution["@id"].endswith(".original"):
                assert answer["Content-Type"].split(";")[0] == media
        assert sized == {"original": version.original_size, "parquet": version.size}
    # rows withheld: described and downloadable by grant, with no sizes (they follow the
    # row count) and no original file
    for distribution in _node(doc, hub[RESTRICTED])["dcat:distribution"]:
        assert "dcat:byteSize" not in distribution and "spdx:checksum" not in distribution
        assert not distribution["@id"].endswith(".original")


@pytest.mark.parametrize("viewer", ["anonymous", "other organisation"])
def test_private_datasets_never_appear_and_restricted_ones_say_so(client, hub, other_member,
                                                                   viewer):
    reader = client if viewer == "anonymous" else other_member
    private = hub[PRIVATE]
    for path in ("/catalog.jsonld", "/catalog.ttl", "/catalog.rdf"):
        body = _catalogue(reader, path).content.decode()
        assert private.title not in body and str(private.id) not in body
        assert private.name not in body, path
    graph = rdflib.Graph().parse(data=_catalogue(reader, "/catalog.ttl").content,
                                 format="turtle")
    page = rdflib.URIRef(f"http://testserver{hub[RESTRICTED].get_absolute_url()}")
    assert graph.value(page, DCT.accessRights) == rdflib.URIRef(ACCESS_RIGHT + "RESTRICTED")
    rights = {graph.value(d, DCT.accessRights) for d in graph.subjects(RDF.type, DCAT.Dataset)}
    assert rights == {rdflib.URIRef(ACCESS_RIGHT + "RESTRICTED"),
                      rdflib.URIRef(ACCESS_RIGHT + "PUBLIC")}


def test_the_data_services_answer_at_their_endpoints(client, hub):
    doc = _catalogue(client).json()
    services = {s["dct:title"]: s for s in doc["dcat:service"]}
    assert set(services) == {"CKAN API", "Common Ground row API"}
    listed = {d["@id"] for d in doc["dcat:dataset"]}
    for service in services.values():
        assert service["@type"] == "dcat:DataService"
        assert {d["@id"] for d in service["dcat:servesDataset"]} == listed
    ckan = services["CKAN API"]["dcat:endpointURL"]["@id"]
    names = client.get(ckan + "package_list").json()["result"]
    assert {f"http://testserver/datasets/{name}/" for name in names} == listed
    rows = services["Common Ground row API"]
    openapi = client.get(rows["dcat:endpointDescription"]["@id"]).json()
    assert openapi["openapi"].startswith("3.")
    served = client.get(rows["dcat:endpointURL"]["@id"] + "datasets").json()
    assert served and client.get(rows["dcat:endpointURL"]["@id"] + "datasets").status_code == 200


def test_a_ckan_harvester_reads_each_dataset_as_the_ckan_api_describes_it(client, hub):
    """What ckanext-dcat's RDF parser reads of each ``dcat:Dataset`` (title, notes, tags,
    resources by access and download URL, licence) agrees with the hub's own CKAN API."""
    graph = rdflib.Graph().parse(data=_catalogue(client, "/catalog.rdf").content, format="xml")
    found = {}
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        package = client.get("/api/3/action/package_show", {
            "id": str(graph.value(dataset, DCT.identifier))}).json()["result"]
        assert str(graph.value(dataset, DCT.title)) == package["title"]
        assert str(graph.value(dataset, DCT.description)) == (package["notes"]
                                                               or package["title"])
        keywords = {str(k) for k in graph.objects(dataset, DCAT.keyword)}
        assert {t["name"] for t in package["tags"]} <= keywords
        pages = {str(graph.value(d, DCAT.accessURL))
                 for d in graph.objects(dataset, DCAT.distribution)}
        assert pages == {f"http://testserver/datasets/{package['name']}/resources/{r['id']}/"
                         for r in package["resources"]}
        for distribution in graph.objects(dataset, DCAT.distribution):
            assert graph.value(distribution, DCAT.downloadURL) is not None
            assert (graph.value(distribution, DCT.license), RDF.type,
                    DCT.LicenseDocument) in graph
        found[package["name"]] = dataset
    assert set(found) == {name for name in hub if name != PRIVATE}


@pytest.mark.parametrize("accept,media_type", [
    ("text/turtle", "text/turtle"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/ld+json", "application/ld+json"),
    ("text/turtle;q=0.5, application/rdf+xml", "application/rdf+xml"),
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/ld+json"),
    ("", "application/ld+json"),
])
def test_the_catalogue_answers_in_the_format_the_accept_header_prefers(client, loaded,
                                                                       accept, media_type):
    response = client.get("/catalog.jsonld", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200
    assert response["Content-Type"] == f"{media_type}; charset=utf-8"
    assert "Accept" in response["Vary"]
    # the addresses of one format keep to it
    assert client.get("/catalog.ttl", headers={"Accept": "application/ld+json"})[
        "Content-Type"].startswith("text/turtle")
    assert client.get("/catalog.rdf")["Content-Type"].startswith("application/rdf+xml")
    assert client.post("/catalog.jsonld").status_code == 405


def _coverage(package: list[str], authorities: set[str], placed: set[str]):
    """A ``Coverage`` of one dataset (id 1) in a hub of several authorities, as its queries
    would have read it."""
    coverage = object.__new__(Coverage)
    coverage.package, coverage.authorities, coverage._placed = package, authorities, {1: placed}
    return coverage


@pytest.mark.parametrize("package,placed,withheld,expected", [
    # a county's hub: rows in two of its three districts are those two
    (["E10000002"], {"E07000004", "E07000005"}, False, ["E07000004", "E07000005"]),
    # in all three: the county says as much, once
    (["E10000002"], {"E07000004", "E07000005", "E07000006"}, False, ["E10000002"]),
    # records withheld: the whole hub, whatever the rows' places
    (["E10000002"], {"E07000004"}, True, ["E10000002"]),
    # no row placed: the whole hub
    (["E10000002"], set(), False, ["E10000002"]),
    # a hub of three named districts, rows in all: the districts (the package is no wider)
    (["E07000004", "E07000005", "E07000006"], {"E07000004", "E07000005", "E07000006"},
     False, ["E07000004", "E07000005", "E07000006"]),
])
def test_a_dataset_covers_its_rows_authorities_or_the_whole_hub(package, placed, withheld,
                                                                 expected):
    dataset = Dataset(pk=1, restricted=withheld)
    coverage = _coverage(package, {"E07000004", "E07000005", "E07000006"}, placed)
    assert coverage.codes(dataset) == expected
