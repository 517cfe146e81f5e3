"""The catalogue as a DCAT-AP document (JSON-LD), for national portals and harvesters.

Classes and properties from W3C DCAT 2 and the DCAT-AP profile: a ``dcat:Catalog`` of
``dcat:Dataset`` s, each with ``dcat:Distribution`` s (one per resource and download
format of its live version). Only published, public datasets appear: open and restricted
ones, each saying which in ``dct:accessRights`` with the EU access-right vocabulary (PUBLIC,
RESTRICTED; NON_PUBLIC for a private one, which is never listed), typed as the
``dct:RightsStatement`` DCAT-AP 3.0 asks for.
"""

from __future__ import annotations

from django.urls import reverse

from commonground.datastore.export import FORMATS

from .access import public_datasets
from .feed_resources import FEED, is_feed
from .licences import licence
from .models import ACCESS_LEVELS, Dataset

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
}
MEDIA_TYPES = {"csv": "text/csv", "geojson": "application/geo+json",
               "parquet": "application/vnd.apache.parquet",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
FREQUENCY = {  # EU publications office frequency vocabulary
    "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY", "quarterly": "QUARTERLY",
    "annual": "ANNUAL", "irregular": "IRREG", "never": "NEVER", "realtime": "CONT"}
ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"


def access_rights(d: Dataset) -> dict:
    """The dataset's ``dct:accessRights``: the EU access-right concept for its access level."""
    label, code = ACCESS_LEVELS[d.access]
    return {"@id": ACCESS_RIGHT + code, "@type": "dct:RightsStatement", "rdfs:label": label}


def catalog(request) -> dict:
    absolute = request.build_absolute_uri
    datasets = public_datasets().select_related(
        "organisation").prefetch_related("tags", "themes", "resources__current_version")
    return {
        "@context": CONTEXT,
        "@id": absolute(reverse("catalogue:dcat")),
        "@type": "dcat:Catalog",
        "dct:title": "Common Ground data catalogue",
        "dct:description": "Datasets published on this Common Ground hub, linked to places.",
        "foaf:homepage": {"@id": absolute("/datasets/")},
        "dcat:dataset": [_dataset(absolute, d) for d in datasets],
    }


def _dataset(absolute, d: Dataset) -> dict:
    page = absolute(d.get_absolute_url())
    lic = licence(d.licence)
    out = {
        "@id": page, "@type": "dcat:Dataset",
        "dct:identifier": str(d.id),
        "dct:title": d.title,
        "dct:description": d.notes,
        "dct:publisher": {"@type": "foaf:Agent", "foaf:name": d.organisation.name},
        "dct:issued": {"@value": d.created.isoformat(), "@type": "xsd:dateTime"},
        "dct:modified": {"@value": d.modified.isoformat(), "@type": "xsd:dateTime"},
        "dcat:keyword": [t.name for t in d.tags.all()],
        "dcat:theme": [t.title for t in d.themes.all()],
        "dcat:landingPage": {"@id": page},
        "dct:accrualPeriodicity": {
            "@id": "http://publications.europa.eu/resource/authority/frequency/"
                   + FREQUENCY.get(d.frequency, "UNKNOWN")},
        "dct:accessRights": access_rights(d),
        "dcat:distribution": [],
    }
    if d.source:
        out["dct:provenance"] = d.source
    if d.contact_email or d.contact_name:
        out["dcat:contactPoint"] = {"@type": "vcard:Kind", "vcard:fn": d.contact_name or
                                    d.organisation.name,
                                    "vcard:hasEmail": f"mailto:{d.contact_email}"
                                    if d.contact_email else None}
    for r in d.resources.all():
        v = r.current_version
        if is_feed(r):  # a live feed: its page, no file
            out["dcat:distribution"].append({
                "@id": r.url, "@type": "dcat:Distribution", "dct:title": r.name,
                "dct:description": r.description, "dcat:accessURL": {"@id": r.url},
                "dct:format": FEED, "dct:license": {"@id": lic.url or lic.id}})
            continue
        if not v:
            continue
        for fmt in FORMATS:
            url = absolute(reverse("catalogue:download", args=[d.name, r.id, v.number, fmt]))
            out["dcat:distribution"].append({
                "@id": f"{url}", "@type": "dcat:Distribution",
                "dct:title": f"{r.name} ({fmt.upper()})",
                "dcat:accessURL": {"@id": absolute(r.get_absolute_url())},
                "dcat:downloadURL": {"@id": url},
                "dcat:mediaType": MEDIA_TYPES[fmt],
                "dct:format": fmt.upper(),
                "dct:license": {"@id": lic.url or lic.id},
                "dct:modified": {"@value": v.created.isoformat(), "@type": "xsd:dateTime"},
            })
    return out
