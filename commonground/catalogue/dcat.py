"""The catalogue as a DCAT-AP 3.0 document (JSON-LD), for national portals and harvesters.

Classes and properties from W3C DCAT and the DCAT-AP 3.0 profile, checked against the EU's
SHACL shapes (mandatory, recommended and class ranges; tests/catalogue/test_dcat_ap.py): a
``dcat:Catalog`` of ``dcat:Dataset`` s and the two ``dcat:DataService`` s that serve them
(the CKAN API and the row API). Every node a property ranges over carries its class
(``rdf:type``), as the shapes check it. ``dcat_graph.py`` serialises the same document as
Turtle or RDF/XML, which a CKAN portal running ``ckanext-dcat`` harvests.

Only published, public datasets appear, the same for everyone (a harvester signs in as no
one): open and restricted ones, each saying which in ``dct:accessRights`` with the EU
access-right vocabulary (PUBLIC, RESTRICTED; NON_PUBLIC for a private one, which is never
listed), typed as the ``dct:RightsStatement`` DCAT-AP 3.0 asks for. A dataset has:

* ``dct:spatial``: the ONS geographies it covers (``dcat_places``);
* ``dct:temporal``: the period of its period column's dates when its rows are open, else the
  day its data is "as of", else the day its live version was published here;
* ``dcat:theme``: EU data themes (``dcat_vocab.eu_theme_codes``); the hub's own themes and
  tags are its ``dcat:keyword`` s;
* one ``dcat:Distribution`` per live version and download format, and one for the file as
  uploaded when anyone may download it; ``dcat:byteSize`` and an SPDX checksum where the
  download is a stored file (the original, the Parquet) that anyone reads whole. A dataset
  whose rows are withheld gives no sizes: they follow its row count.
"""

from __future__ import annotations

import datetime

from django.urls import reverse

from commonground.accounts.models import Organisation
from commonground.datastore.export import FORMATS

from . import dcat_vocab as vocab
from .access import public_datasets, rows_are_public
from .dcat_places import Coverage
from .feed_resources import is_feed
from .licences import licence
from .models import ACCESS_LEVELS, Dataset, Resource, Version

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatap": "http://data.europa.eu/r5r/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
ACCESS_RIGHT = vocab.ACCESS_RIGHT
#: The licence of the catalogue's own records (titles, descriptions, links): free for any
#: portal to copy, which is what harvesting does.
METADATA_LICENCE = "CC0-1.0"
SHA256 = "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
CKAN_API_DOCS = "https://docs.ckan.org/en/2.10/api/"
OPENAPI = "https://spec.openapis.org/oas/v3.1.0"


def access_rights(d: Dataset) -> dict:
    """The dataset's ``dct:accessRights``: the EU access-right concept for its access level."""
    label, code = ACCESS_LEVELS[d.access]
    return vocab.access_right(code, label)


def catalog(request) -> dict:
    """The whole catalogue, with absolute links for ``request``'s host."""
    absolute = request.build_absolute_uri
    iri = absolute(reverse("catalogue:dcat"))
    datasets = list(public_datasets().select_related("organisation").prefetch_related(
        "tags", "themes", "resources__current_version"))
    coverage = Coverage({d.pk: [r.current_version_id for r in d.resources.all()
                                if r.current_version_id] for d in datasets})
    publisher = _hub_publisher(absolute)
    contact = _contact(publisher["foaf:name"], absolute("/"))
    out = {
        "@context": CONTEXT,
        "@id": iri,
        "@type": "dcat:Catalog",
        "dct:title": "Common Ground data catalogue",
        "dct:description": "Datasets published on this Common Ground hub, linked to places.",
        "dct:publisher": publisher,
        "dct:language": vocab.english(),
        "dct:license": vocab.licence_document(licence(METADATA_LICENCE)),
        "dct:spatial": coverage.locations(coverage.package),
        "dcat:themeTaxonomy": vocab.theme_scheme(),
        "foaf:homepage": {"@id": absolute(reverse("catalogue:datasets")),
                          "@type": "foaf:Document"},
        "dcat:service": _services(absolute, iri, publisher, contact, datasets),
        "dcat:dataset": [_dataset(absolute, d, coverage) for d in datasets],
    }
    if datasets:
        out["dct:issued"] = _datetime(min(d.created for d in datasets))
        out["dct:modified"] = _datetime(max(d.modified for d in datasets))
    return out


def _dataset(absolute, d: Dataset, coverage: Coverage) -> dict:
    page = absolute(d.get_absolute_url())
    themes = list(d.themes.all())
    versions = [r.current_version for r in d.resources.all() if r.current_version_id]
    out = {
        "@id": page, "@type": "dcat:Dataset",
        "dct:identifier": str(d.id),
        "dct:title": d.title,
        "dct:description": d.notes or d.title,
        "dct:publisher": _agent(absolute, d.organisation),
        "dcat:contactPoint": _dataset_contact(absolute, d),
        "dct:issued": _datetime(d.created),
        "dct:modified": _datetime(d.modified),
        "dcat:keyword": list(dict.fromkeys([t.name for t in d.tags.all()]
                                           + [t.title for t in themes])),
        "dcat:theme": [vocab.eu_theme(code) for code in vocab.eu_theme_codes(themes)],
        "dct:spatial": coverage.locations(coverage.codes(d)),
        "dcat:landingPage": {"@id": page, "@type": "foaf:Document"},
        "dct:accrualPeriodicity": vocab.frequency(d.frequency),
        "dct:accessRights": access_rights(d),
        "dcat:distribution": [],
    }
    period = _temporal(d, versions)
    if period:
        out["dct:temporal"] = period
    if d.source:
        out["dct:provenance"] = {"@type": "dct:ProvenanceStatement", "rdfs:label": d.source}
    lic = vocab.licence_document(licence(d.licence))
    for r in d.resources.all():
        if is_feed(r):  # a live feed: its page, no file
            out["dcat:distribution"].append(_feed_distribution(r, lic))
        elif r.current_version_id:
            out["dcat:distribution"] += _distributions(absolute, d, r, r.current_version, lic)
    return out


def _distributions(absolute, d: Dataset, r: Resource, v: Version, lic: dict) -> list[dict]:
    """The live version ``v`` of resource ``r``: each download format, and the original file
    when anyone may download it (then with the sizes and checksums of stored files)."""
    whole = rows_are_public(d)  # anyone downloads the stored files themselves
    page = {"@id": absolute(r.get_absolute_url())}
    common = {"@type": "dcat:Distribution", "dcat:accessURL": page, "dct:license": lic,
              "dcatap:availability": vocab.stable(),
              "dct:issued": _datetime(v.created), "dct:modified": _datetime(v.created)}
    formats = list(FORMATS)
    if whole and vocab.known_format(v.format):
        formats.append("original")
    out = []
    for fmt in formats:
        url = absolute(reverse("catalogue:download", args=[d.name, r.id, v.number, fmt]))
        kind = v.format if fmt == "original" else fmt
        what = "the file as uploaded" if fmt == "original" else "a download"
        node = {"@id": url, **common,
                "dct:title": f"{r.name} ({'original ' if fmt == 'original' else ''}"
                             f"{kind.upper()})",
                "dct:description": f"Version {v.number} of {r.name}, {what} in "
                                   f"{kind.upper()}." + (f" {r.description}" if r.description
                                                         else ""),
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": vocab.media_type(kind), "dct:format": vocab.file_type(kind)}
        stored = {"original": (v.original_size, v.original_sha256),
                  "parquet": (v.size, v.sha256)}.get(fmt)
        if whole and stored:
            node["dcat:byteSize"] = _byte_size(stored[0])
            node["spdx:checksum"] = {"@type": "spdx:Checksum", "spdx:algorithm": {"@id": SHA256},
                                     "spdx:checksumValue": {"@value": stored[1],
                                                            "@type": "xsd:hexBinary"}}
        out.append(node)
    return out


def _feed_distribution(r: Resource, lic: dict) -> dict:
    """A live feed's resource: the feed's page (live values, its API and downloads)."""
    return {"@id": r.url, "@type": "dcat:Distribution", "dct:title": r.name,
            "dct:description": r.description or f"{r.name}: a live feed, read on its page.",
            "dcat:accessURL": {"@id": r.url}, "dct:format": vocab.file_type("html"),
            "dcat:mediaType": vocab.media_type("html"), "dct:license": lic,
            "dcatap:availability": vocab.concept(vocab.AVAILABILITY + "AVAILABLE",
                                                 "available")}


def _byte_size(n: int) -> dict:
    """``dcat:byteSize``. DCAT 3 says ``xsd:nonNegativeInteger``; the DCAT-AP 3.0.0 SHACL
    shapes, which harvesters validate against, accept only ``xsd:decimal`` (of which every
    integer is a value), so the catalogue writes that."""
    return {"@value": str(int(n)), "@type": "xsd:decimal"}


def _temporal(d: Dataset, versions: list[Version]) -> dict | None:
    """``dct:temporal`` (see the module docstring); None for a dataset with no data yet."""
    start = end = None
    if d.period_column and not d.records_withheld and d.period_column not in d.withheld_columns:
        for v in versions:
            for column in (v.report or {}).get("profile") or []:
                if column.get("name") == d.period_column:
                    low, high = _day(column.get("min")), _day(column.get("max"))
                    if low and high:
                        start, end = min(filter(None, (start, low))), max(filter(None, (end, high)))
    if start is None:
        day = d.data_as_of or (max(v.created for v in versions).date() if versions else None)
        if day is None:
            return None
        start = end = day
    return {"@type": "dct:PeriodOfTime",
            "dcat:startDate": {"@value": start.isoformat(), "@type": "xsd:date"},
            "dcat:endDate": {"@value": end.isoformat(), "@type": "xsd:date"}}


def _day(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError):
        return None


def _datetime(moment: datetime.datetime) -> dict:
    return {"@value": moment.isoformat(), "@type": "xsd:dateTime"}


def _agent(absolute, organisation: Organisation) -> dict:
    """A publisher: the organisation's page as its IRI, its ADMS publisher type."""
    node = {"@id": absolute(reverse("catalogue:organisation", args=[organisation.slug])),
            "@type": ["foaf:Agent", "foaf:Organization"], "foaf:name": organisation.name}
    kind = vocab.publisher_type(organisation.kind)
    if kind:
        node["dct:type"] = kind
    return node


def _hub_publisher(absolute) -> dict:
    """The catalogue's publisher: the hub's council (the first council organisation to
    join), else the hub itself."""
    council = Organisation.objects.filter(kind=Organisation.Kind.COUNCIL).order_by(
        "created", "pk").first()
    if council is not None:
        return _agent(absolute, council)
    return {"@id": absolute("/"), "@type": "foaf:Agent", "foaf:name": "Common Ground hub"}


def _contact(name: str, url: str, email: str = "") -> dict:
    node = {"@type": ["vcard:Kind", "vcard:Organization"], "vcard:fn": name,
            "vcard:hasURL": {"@id": url}}
    if email:
        node["vcard:hasEmail"] = {"@id": f"mailto:{email}"}
    return node


def _dataset_contact(absolute, d: Dataset) -> dict:
    """Who answers questions about the dataset: its contact when it names one, else its
    organisation (at the organisation's page)."""
    return _contact(d.contact_name or d.organisation.name,
                    absolute(reverse("catalogue:organisation", args=[d.organisation.slug])),
                    d.contact_email)


def _services(absolute, iri: str, publisher: dict, contact: dict, datasets) -> list[dict]:
    """The CKAN API and the row API, each a ``dcat:DataService`` serving every dataset."""
    served = [{"@id": absolute(d.get_absolute_url())} for d in datasets]
    # the JSON API's namespace (NinjaAPI version "1"): named, not imported, since the API
    # imports every app and an app importing it would make a cycle (tests/test_layers.py)
    openapi = absolute(reverse("api-1:openapi-json"))
    common = {"@type": "dcat:DataService", "dct:publisher": publisher,
              "dcat:contactPoint": contact, "dcat:servesDataset": served,
              "dct:accessRights": vocab.access_right("PUBLIC", ACCESS_LEVELS["open"][0]),
              "dcat:theme": vocab.eu_theme(vocab.HUB_THEME)}
    ckan = absolute(reverse("ckan:version")) + "/action/"
    return [
        {"@id": f"{iri}#ckan-api", **common,
         "dct:title": "CKAN API",
         "dct:description": "The CKAN Action API (version 3): search and read datasets, "
                            "query rows with datastore_search, publish with an API token.",
         "dcat:endpointURL": {"@id": ckan},
         "dcat:endpointDescription": {"@id": CKAN_API_DOCS},
         "dct:conformsTo": {"@id": CKAN_API_DOCS, "@type": "dct:Standard",
                            "dct:title": "CKAN API"},
         "dcat:keyword": ["CKAN", "API", "datastore"]},
        {"@id": f"{iri}#row-api", **common,
         "dct:title": "Common Ground row API",
         "dct:description": "Rows, aggregates per area, column profiles and changes between "
                            "versions of every dataset, as JSON (OpenAPI document at the "
                            "endpoint description).",
         "dcat:endpointURL": {"@id": openapi.rsplit("/", 1)[0] + "/catalogue/"},
         "dcat:endpointDescription": {"@id": openapi},
         "dct:conformsTo": {"@id": OPENAPI, "@type": "dct:Standard",
                            "dct:title": "OpenAPI Specification 3.1"},
         "dcat:keyword": ["API", "rows", "JSON", "OpenAPI"]},
    ]
