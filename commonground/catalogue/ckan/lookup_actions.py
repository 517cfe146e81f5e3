"""Lists clients look things up in: ``license_list``, ``package_autocomplete``,
``resource_search`` and ``current_package_list_with_resources``."""

from __future__ import annotations

from django.db.models import Q

from .. import access
from ..licences import LICENCES
from ..models import Dataset, Resource
from . import serialise
from .context import Context
from .errors import ValidationError
from .package_actions import SEARCH_ROWS_MAX, datasets_with_everything
from .params import natural, string_list, text

AUTOCOMPLETE_MAX = 100
#: ``resource_search``'s fields, as ours.
RESOURCE_FIELDS = {"name": "name", "description": "description", "format": "format",
                   "url": "url", "id": "id"}
RESOURCE_ORDER = ("name", "description", "format", "created", "position")


def license_list(context: Context, data: dict) -> list[dict]:
    """Return the licences a dataset may carry (``license_id`` of ``package_create``).

    :rtype: list of dictionaries
    """
    return [{"id": lic.id, "title": lic.title, "url": lic.url, "status": "active",
             "od_conformance": "approved" if lic.open else "not reviewed",
             "osd_conformance": "not reviewed", "family": "", "maintainer": "",
             "domain_content": False, "domain_data": lic.open, "domain_software": False,
             "is_generic": lic.id.startswith("other") or None, "is_okd_compliant": lic.open,
             "is_osi_compliant": False}
            for lic in LICENCES]


def package_autocomplete(context: Context, data: dict) -> list[dict]:
    """Return published datasets the caller may see whose title or name contains ``q``,
    titles matching first.

    :param q: the text to look for (any case)
    :type q: string
    :param limit: at most this many (default 10, at most 100)
    :type limit: int

    :returns: ``name``, ``title``, ``match_field`` ("title" or "name") and
        ``match_displayed`` of each
    :rtype: list of dictionaries
    """
    q = text(data, "q").strip()
    limit = min(natural(data, "limit", 10), AUTOCOMPLETE_MAX)
    if not q:
        return []
    found = access.visible_datasets(context.user).filter(
        Q(title__icontains=q) | Q(name__icontains=q), state=Dataset.State.PUBLISHED)
    rows = sorted(found.values_list("name", "title"),
                  key=lambda nt: (q.lower() not in nt[1].lower(), nt[1].lower(), nt[0]))
    out = []
    for name, title in rows[:limit]:
        by_title = q.lower() in title.lower()
        out.append({"name": name, "title": title,
                    "match_field": "title" if by_title else "name",
                    "match_displayed": title if by_title else f"{name} ({title})"})
    return out


def resource_search(context: Context, data: dict) -> dict:
    """Search the resources of public, published datasets.

    :param query: ``"field:term"`` or a list of them, ANDed: resources whose field
        contains the term (any case); fields ``name``, ``description``, ``format``, ``url``
        (a fetched resource's address) and ``id``
    :type query: string or list of strings
    :param order_by: ``name``, ``description``, ``format``, ``created`` or ``position``
    :param offset: skip this many (optional)
    :param limit: at most this many (default and most 1000)

    :returns: ``count`` and ``results`` (resource dictionaries)
    :rtype: dictionary
    """
    terms = data.get("query")
    if isinstance(terms, str) and not terms.lstrip().startswith("["):
        terms = [terms]  # one term (string_list would split it at commas)
    found = Resource.objects.filter(dataset__in=access.public_datasets()).select_related(
        "dataset__organisation", "current_version")
    for term in string_list(terms, "query") if terms not in (None, "") else []:
        field, colon, value = term.partition(":")
        if field not in RESOURCE_FIELDS or not colon:
            raise ValidationError({"query": [f'Field "{field}" not recognised in '
                                             'resource_search.']})
        found = found.filter(**{f"{RESOURCE_FIELDS[field]}__icontains": value.strip()})
    order = text(data, "order_by") or "position"
    if order not in RESOURCE_ORDER:
        raise ValidationError({"order_by": [f"Must be one of {', '.join(RESOURCE_ORDER)}"]})
    offset = natural(data, "offset", 0)
    limit = min(natural(data, "limit", SEARCH_ROWS_MAX), SEARCH_ROWS_MAX)
    page = found.order_by(order, "dataset__name", "id")[offset:offset + limit]
    return {"count": found.count(),
            "results": [serialise.resource_dict(context.request, r) for r in page]}


def current_package_list_with_resources(context: Context, data: dict) -> list[dict]:
    """Return public, published datasets with their resources, most recently changed first.

    :param limit: at most this many (default and most 1000)
    :type limit: int
    :param offset: skip this many (optional); or ``page`` (from 1) of ``limit``
    :type offset: int

    :rtype: list of dictionaries
    """
    limit = min(natural(data, "limit", SEARCH_ROWS_MAX) or SEARCH_ROWS_MAX, SEARCH_ROWS_MAX)
    offset = natural(data, "offset", 0)
    page = natural(data, "page", None)
    if page is not None:
        if page < 1:
            raise ValidationError({"page": ["Must be larger than 0"]})
        offset = (page - 1) * limit
    datasets = datasets_with_everything().filter(
        pk__in=access.public_datasets().values("pk")).order_by("-modified", "name")
    return [serialise.package_dict(context.request, d)
            for d in datasets[offset:offset + limit]]
