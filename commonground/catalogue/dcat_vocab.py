"""The controlled vocabularies the DCAT-AP catalogue (``dcat.py``) names things with.

DCAT-AP 3.0 asks for terms from the EU Publications Office's authority tables (data themes,
file types, frequencies, access rights, planned availability, languages), IANA media types
and the ADMS publisher and licence types, each as an IRI typed with the class its property
ranges over (the SHACL shapes check ``sh:class`` against explicit ``rdf:type`` statements).
Each function here returns one JSON-LD node, ready to drop into the catalogue document.

References: DCAT-AP 3.0.0, https://semiceu.github.io/DCAT-AP/releases/3.0.0/ ; EU authority
tables, https://op.europa.eu/en/web/eu-vocabularies/authority-tables ; ADMS,
https://www.w3.org/TR/vocab-adms/ ; IANA media types,
https://www.iana.org/assignments/media-types/
"""

from __future__ import annotations

import re

from .licences import Licence

AUTHORITY = "http://publications.europa.eu/resource/authority/"
DATA_THEME = AUTHORITY + "data-theme"
FILE_TYPE = AUTHORITY + "file-type/"
FREQUENCY = AUTHORITY + "frequency/"
ACCESS_RIGHT = AUTHORITY + "access-right/"
AVAILABILITY = AUTHORITY + "planned-availability/"
LANGUAGE = AUTHORITY + "language/"
IANA = "https://www.iana.org/assignments/media-types/"
ADMS_PUBLISHER = "http://purl.org/adms/publishertype/"
ADMS_LICENCE = "http://purl.org/adms/licencetype/"

#: The EU data themes (code → English label), as published in the authority table.
EU_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
#: Every dataset on a hub describes a city (or a region of cities): "Regions and cities".
HUB_THEME = "REGI"
#: Words in a hub theme's name or title (CKAN groups, made by hand, seeded or harvested) →
#: the EU data theme they fall under. A theme matching no word gets none beyond HUB_THEME.
THEME_WORDS = {
    "HEAL": ("health", "care", "medic", "hospital", "pharmac", "gp"),
    "EDUC": ("educat", "school", "college", "learning", "culture", "sport", "leisure",
             "librar"),
    "TRAN": ("transport", "travel", "parking", "car park", "road", "bus", "cycl", "traffic"),
    "ENER": ("energy", "solar", "electric", "heat", "fuel"),
    "ENVI": ("environment", "climate", "air quality", "waste", "green", "nature", "flood"),
    "SOCI": ("community", "communities", "population", "society", "housing", "people",
             "social", "equalit"),
    "ECON": ("econom", "business", "finance", "budget", "shop", "retail", "employ", "jobs"),
    "GOVE": ("government", "council", "democra", "election", "public sector", "spending"),
    "JUST": ("crime", "justice", "safety", "police", "fire"),
    "AGRI": ("agricultur", "farm", "fisher", "forestr"),
    "TECH": ("science", "technolog", "digital", "broadband", "research"),
}

#: The hub's download formats (``datastore.export.FORMATS``) and the original files it
#: accepts → (EU file-type code, IANA media type).
FORMATS = {
    "csv": ("CSV", "text/csv"),
    "geojson": ("GEOJSON", "application/geo+json"),
    "parquet": ("PARQUET", "application/vnd.apache.parquet"),
    "xlsx": ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "xls": ("XLS", "application/vnd.ms-excel"),
    "json": ("JSON", "application/json"),
    "tsv": ("TSV", "text/tab-separated-values"),
    "txt": ("TXT", "text/plain"),
    "zip": ("ZIP", "application/zip"),
    "shp": ("SHP", "application/zip"),
    "gpkg": ("GPKG", "application/geopackage+sqlite3"),
    "kml": ("KML", "application/vnd.google-earth.kml+xml"),
    "html": ("HTML", "text/html"),
}

#: The EU frequency concept of each of the hub's update frequencies.
FREQUENCIES = {"daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
               "quarterly": "QUARTERLY", "annual": "ANNUAL", "irregular": "IRREG",
               "never": "NEVER", "realtime": "CONT"}

#: ADMS publisher type of each kind of organisation (``Organisation.Kind``).
PUBLISHER_TYPES = {
    "council": ("LocalAuthority", "Local Authority"),
    "community_group": ("NonProfitOrganisation", "Non-Profit Organisation"),
    "voluntary_sector": ("NonGovernmentalOrganisation", "Non-Governmental Organisation"),
    "business": ("Company", "Company"),
    "university": ("Academia-ScientificOrganisation", "Academia/Scientific organisation"),
    "national_body": ("NationalAuthority", "National authority"),
}

#: ADMS licence types of the hub's licences (``licences.LICENCES``); a licence the hub does
#: not know the terms of is "unknown IPR".
LICENCE_TYPES = {
    "OGL-UK-3.0": ("Attribution",),
    "CC-BY-4.0": ("Attribution",),
    "CC-BY-SA-4.0": ("Attribution", "ViralEffect-ShareAlike"),
    "CC0-1.0": ("PublicDomain",),
    "ODbL-1.0": ("Attribution", "ViralEffect-ShareAlike"),
    "ODC-BY-1.0": ("Attribution",),
    "other-closed": ("OtherRestrictiveClauses",),
}
LICENCE_TYPE_LABELS = {
    "Attribution": "Attribution", "ViralEffect-ShareAlike": "Viral effect (a.k.a. Share-alike)",
    "PublicDomain": "Public domain", "OtherRestrictiveClauses": "Other restrictive clauses",
    "UnknownIPR": "Unknown IPR",
}


def concept(iri: str, label: str, scheme: str | None = None) -> dict:
    """A ``skos:Concept`` (DCAT-AP's Category shape asks each for a ``skos:prefLabel``)."""
    node = {"@id": iri, "@type": "skos:Concept", "skos:prefLabel": label}
    if scheme:
        node["skos:inScheme"] = {"@id": scheme}
    return node


def theme_scheme() -> dict:
    """The EU data-theme table as the catalogue's ``dcat:themeTaxonomy``."""
    return {"@id": DATA_THEME, "@type": "skos:ConceptScheme", "dct:title": "Data theme"}


def eu_theme_codes(themes) -> list[str]:
    """The EU data themes of a dataset in hub ``themes`` (objects with ``name`` and
    ``title``): HUB_THEME, then those whose words appear in a theme's name or title."""
    text = " ".join(f"{t.name} {t.title}" for t in themes).lower().replace("-", " ")
    found = [code for code, words in THEME_WORDS.items()
             if any(re.search(r"\b" + re.escape(w), text) for w in words)]
    return [HUB_THEME, *[c for c in found if c != HUB_THEME]]


def eu_theme(code: str) -> dict:
    return concept(f"{DATA_THEME}/{code}", EU_THEMES[code], DATA_THEME)


def file_type(fmt: str) -> dict:
    """``dct:format``: the EU file type of a format name (``csv``, ``geojson`` ...)."""
    code, _ = FORMATS[fmt.lower()]
    return {"@id": FILE_TYPE + code, "@type": "dct:MediaTypeOrExtent"}


def media_type(fmt: str) -> dict:
    """``dcat:mediaType``: the IANA media type of a format name, as its registry IRI."""
    _, mime = FORMATS[fmt.lower()]
    return {"@id": IANA + mime, "@type": "dct:MediaType"}


def known_format(fmt: str) -> bool:
    return (fmt or "").lower() in FORMATS


def frequency(value: str) -> dict:
    return {"@id": FREQUENCY + FREQUENCIES.get(value, "UNKNOWN"), "@type": "dct:Frequency"}


def access_right(code: str, label: str) -> dict:
    """``dct:accessRights``: an EU access-right concept (PUBLIC, RESTRICTED, NON_PUBLIC) as
    the ``dct:RightsStatement`` DCAT-AP 3.0 asks for."""
    return {"@id": ACCESS_RIGHT + code, "@type": "dct:RightsStatement", "rdfs:label": label}


def stable() -> dict:
    """``dcatap:availability`` of an immutable version's file: it stays as long as the hub."""
    return concept(AVAILABILITY + "STABLE", "stable")


def english() -> dict:
    return {"@id": LANGUAGE + "ENG", "@type": "dct:LinguisticSystem"}


def publisher_type(kind: str) -> dict | None:
    found = PUBLISHER_TYPES.get(kind)
    return concept(ADMS_PUBLISHER + found[0], found[1]) if found else None


def licence_document(lic: Licence) -> dict:
    """``dct:license``: a ``dct:LicenseDocument`` with its ADMS licence type(s); the
    licence's own page as its IRI when it has one, else a blank node with its title."""
    node = {"@type": "dct:LicenseDocument", "rdfs:label": lic.title,
            "dct:type": [concept(ADMS_LICENCE + t, LICENCE_TYPE_LABELS[t])
                         for t in LICENCE_TYPES.get(lic.id, ("UnknownIPR",))]}
    if lic.url:
        node["@id"] = lic.url
    return node
