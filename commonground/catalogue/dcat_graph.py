"""The DCAT-AP catalogue as RDF: JSON-LD, Turtle or RDF/XML, chosen by the request.

``dcat.catalog`` builds the document once, as JSON-LD (what ``/catalog.jsonld`` has always
served); Turtle and RDF/XML are the same triples, parsed from it with ``rdflib`` and written
with the catalogue's prefixes. ckanext-dcat offers ``/catalog.ttl`` and ``/catalog.rdf``;
the hub does too, and answers ``/catalog.jsonld`` in whichever of the three an ``Accept``
header prefers (JSON-LD when it names none of them, as a browser's does not).
"""

from __future__ import annotations

import json

#: Format name → (media type, rdflib serializer).
FORMATS = {
    "jsonld": ("application/ld+json", "json-ld"),
    "ttl": ("text/turtle", "turtle"),
    "rdf": ("application/rdf+xml", "pretty-xml"),
}
#: Media types an ``Accept`` header may ask for → format name (``application/json``: a
#: JSON-LD document is JSON).
ACCEPTED = {"application/ld+json": "jsonld", "application/json": "jsonld",
            "text/turtle": "ttl", "application/x-turtle": "ttl",
            "application/rdf+xml": "rdf"}


def negotiate(request, default: str = "jsonld") -> str:
    """The format ``request`` prefers by its ``Accept`` header, else ``default``."""
    if not request.headers.get("Accept"):
        return default
    preferred = request.get_preferred_type([*ACCEPTED, "*/*"])
    return ACCEPTED.get(preferred, default) if preferred else default


def graph(document: dict):
    """The triples of a JSON-LD ``document`` (its context inline: nothing is fetched)."""
    import rdflib

    g = rdflib.Graph()
    g.parse(data=json.dumps(document), format="json-ld")
    for prefix, namespace in document.get("@context", {}).items():
        g.bind(prefix, rdflib.Namespace(namespace), override=True)
    return g


def serialise(document: dict, fmt: str) -> str:
    """``document`` written in format ``fmt`` (a key of FORMATS)."""
    if fmt == "jsonld":
        return json.dumps(document, indent=1, ensure_ascii=False)
    return graph(document).serialize(format=FORMATS[fmt][1])
