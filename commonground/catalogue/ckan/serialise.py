"""The catalogue as CKAN's dictionaries (``ckan/lib/dictization/model_dictize.py``, 2.10).

How our models map onto CKAN's:

==================  =========================================================================
CKAN                Common Ground
==================  =========================================================================
package             :class:`Dataset`: ``notes`` = description, ``state`` "active" when
                    published ("draft" otherwise), ``maintainer``/``maintainer_email`` = the
                    contact, ``url`` = the source when it is a web address; ``extras`` hold
                    ``frequency``, ``source`` and, for harvested datasets, ``harvest_source``
                    and ``harvest_id``; ``private`` as CKAN has it, and (ours, as a CKAN
                    extension would add them) ``access_level`` "open", "restricted" or
                    "private" (``Dataset.access``) and ``restricted_columns`` (the columns a
                    grant is needed for; empty when the whole rows are, or none are)
organization        :class:`Organisation`: ``name`` = slug, ``title`` = name; ``extras`` hold
                    ``kind`` (council, community_group, ...)
group               :class:`Theme`
resource            :class:`Resource`: ``url`` downloads the live version's file *as it was
                    uploaded* (CKAN's ``url`` of an uploaded file); ``format`` is that file's
                    format, upper case; ``hash`` its SHA-256 (hex); ``size`` its bytes
                    (None for a dataset whose records are withheld, about people or
                    restricted: sizes follow row counts, which are for its members,
                    ``access.can_see_row_totals``); ``datastore_active``
                    is true when there is a live version
==================  =========================================================================

Dates are naive UTC ISO 8601 (``2025-05-01T09:30:00.123456``), as CKAN writes them.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from commonground.accounts.models import Organisation

from ..access import rows_are_public
from ..licences import licence
from ..models import Dataset, Resource, Tag, Theme

#: Media types of the original file by format (``Version.format``).
MIMETYPES = {
    "csv": "text/csv", "tsv": "text/tab-separated-values", "json": "application/json",
    "geojson": "application/geo+json", "parquet": "application/vnd.apache.parquet",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "gpkg": "application/geopackage+sqlite3", "shapefile": "application/zip",
}
#: CKAN's usual spelling of a format where it is not just our name in upper case.
FORMAT_NAMES = {"shapefile": "SHP", "feed": "feed"}  # a live feed (feed_resources)


def ckan_datetime(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat()


def format_name(fmt: str) -> str:
    return FORMAT_NAMES.get(fmt.lower(), fmt.upper()) if fmt else ""


def organization_dict(org: Organisation, *, package_count: int | None = None) -> dict:
    out = {
        "id": str(org.pk), "name": org.slug, "title": org.name, "display_name": org.name,
        "description": org.description, "type": "organization", "is_organization": True,
        "image_url": "", "image_display_url": "", "created": ckan_datetime(org.created),
        "approval_status": "approved", "state": "active",
        "extras": [{"key": "kind", "value": org.kind}]
        + ([{"key": "website", "value": org.website}] if org.website else []),
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(theme: Theme, *, package_count: int | None = None, full: bool = False) -> dict:
    out = {"id": str(theme.pk), "name": theme.name, "title": theme.title,
           "display_name": theme.title or theme.name, "description": theme.description,
           "image_display_url": ""}
    if full:
        out.update({"type": "group", "is_organization": False, "image_url": "",
                    "approval_status": "approved", "state": "active"})
    if package_count is not None:
        out["package_count"] = package_count
    return out


def tag_dict(tag: Tag) -> dict:
    return {"id": str(tag.pk), "name": tag.name, "display_name": tag.name, "state": "active",
            "vocabulary_id": None}


def resource_url(request, resource: Resource) -> str:
    """Where a client downloads the resource: the live version's original file."""
    version = resource.current_version
    if version is None:
        return resource.url
    return request.build_absolute_uri(reverse(
        "catalogue:download", args=[resource.dataset.name, resource.id, version.number,
                                    "original"]))


def resource_dict(request, resource: Resource) -> dict:
    version = resource.current_version
    fmt = version.format if version else resource.format
    return {
        "id": str(resource.id), "package_id": str(resource.dataset_id), "name": resource.name,
        "description": resource.description, "format": format_name(fmt),
        "url": resource_url(request, resource), "url_type": "upload" if version else None,
        "mimetype": MIMETYPES.get((fmt or "").lower()), "mimetype_inner": None,
        "size": version.original_size if version and not resource.dataset.records_withheld
        else None,
        # a checksum confirms a guessed file: only of files everyone may download
        "hash": version.original_sha256 if version and rows_are_public(resource.dataset)
        else "",
        "datastore_active": version is not None,
        "created": ckan_datetime(resource.created),
        "last_modified": ckan_datetime(version.created) if version else None,
        "metadata_modified": ckan_datetime(resource.modified),
        "position": resource.position, "resource_type": None, "state": "active",
        "cache_url": None, "cache_last_updated": None,
    }


def package_dict(request, dataset: Dataset) -> dict:
    """The whole package. Prefetch ``tags``, ``themes``, ``resources__current_version``."""
    lic = licence(dataset.licence)
    tags = [tag_dict(t) for t in sorted(dataset.tags.all(), key=lambda t: t.name)]
    groups = [group_dict(t) for t in sorted(dataset.themes.all(), key=lambda t: t.name)]
    resources = sorted(dataset.resources.all(), key=lambda r: (r.position, r.created))
    extras = [{"key": "frequency", "value": dataset.frequency}]
    if dataset.source:
        extras.append({"key": "source", "value": dataset.source})
    if dataset.harvest_source:
        extras += [{"key": "harvest_source", "value": dataset.harvest_source},
                   {"key": "harvest_id", "value": dataset.harvest_id}]
    source = dataset.source.strip()
    out = {
        "id": str(dataset.id), "name": dataset.name, "title": dataset.title,
        "notes": dataset.notes, "type": "dataset", "version": None,
        "url": source if source.startswith(("http://", "https://")) and " " not in source
        else "",
        "state": "active" if dataset.state == Dataset.State.PUBLISHED else "draft",
        "private": dataset.private,
        "access_level": dataset.access, "restricted_columns": dataset.withheld_columns,
        "license_id": lic.id, "license_title": lic.title, "isopen": lic.open,
        "author": None, "author_email": None,
        "maintainer": dataset.contact_name or None,
        "maintainer_email": dataset.contact_email or None,
        "creator_user_id": str(dataset.created_by_id) if dataset.created_by_id else None,
        "metadata_created": ckan_datetime(dataset.created),
        "metadata_modified": ckan_datetime(dataset.modified),
        "owner_org": str(dataset.organisation_id),
        "organization": organization_dict(dataset.organisation),
        "tags": tags, "num_tags": len(tags), "groups": groups,
        "resources": [resource_dict(request, r) for r in resources],
        "num_resources": len(resources), "extras": extras,
        "relationships_as_subject": [], "relationships_as_object": [],
    }
    if lic.url:  # CKAN leaves license_url out when the licence has none
        out["license_url"] = lic.url
    return out
