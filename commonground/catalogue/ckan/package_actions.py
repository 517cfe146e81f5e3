"""Dataset (package) and resource actions: ``package_list``, ``package_show``,
``resource_show`` and ``package_search``.

Drafts and private datasets are left out of lists and searches (``package_search`` shows
those the caller may see with ``include_private=true`` and ``include_drafts=true``); asking
for one the caller may not see is :class:`.errors.NotFound`, exactly as for one that does not
exist, so an id or name reveals nothing. The ``q``/``fq``/``sort`` syntax is parsed in
:mod:`.solr_query`; here the terms are applied to the catalogue's search.
"""

from __future__ import annotations

from collections import Counter

from django.db.models import Prefetch

from .. import access
from ..licences import licence
from ..models import Dataset, Resource
from ..services import search as catalogue_search
from . import serialise
from .context import Context
from .errors import NotFound, ValidationError
from .params import boolean, integer, natural, parse_uuid, required_text, string_list, text
from .solr_query import DATE_FIELDS, DEFAULT_SORT, Term, parse_fq, parse_sort, split_q

#: Largest ``rows`` of package_search (CKAN's ``ckan.search.rows_max`` default).
SEARCH_ROWS_MAX = 1000
FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")


def datasets_with_everything():
    """Datasets with everything :func:`.serialise.package_dict` reads, prefetched."""
    return Dataset.objects.select_related("organisation").prefetch_related(
        "tags", "themes",
        Prefetch("resources", queryset=Resource.objects.select_related("current_version")))


def _visible_dataset(context: Context, id_or_name) -> Dataset:
    datasets = datasets_with_everything()
    pk = parse_uuid(id_or_name)
    dataset = (datasets.filter(pk=pk) if pk else datasets.filter(name=str(id_or_name))).first()
    if dataset is None or not access.can_view(context.user, dataset):
        raise NotFound("Dataset not found")  # the same whether hidden or missing
    return dataset


def package_list(context: Context, data: dict) -> list[str]:
    """Return the names of the site's public, published datasets, sorted.

    :param limit: at most this many names (optional)
    :type limit: int
    :param offset: when ``limit`` is given, start after this many (optional)
    :type offset: int

    :rtype: list of strings
    """
    limit, offset = natural(data, "limit", None), natural(data, "offset", 0)
    names = access.public_datasets().order_by(
        "name").values_list("name", flat=True)
    return list(names[offset:offset + limit] if limit is not None else names[offset:])


def package_show(context: Context, data: dict) -> dict:
    """Return the metadata of a dataset (package) and its resources.

    :param id: the id or name of the dataset
    :type id: string

    :rtype: dictionary
    """
    dataset = _visible_dataset(context, required_text(data, "id"))
    return serialise.package_dict(context.request, dataset)


def resource_show(context: Context, data: dict) -> dict:
    """Return the metadata of a resource.

    ``url`` downloads the live version's file as it was uploaded; ``datastore_active`` says
    whether ``datastore_search`` can query it.

    :param id: the id of the resource
    :type id: string

    :rtype: dictionary
    """
    pk = parse_uuid(required_text(data, "id"))
    resource = Resource.objects.select_related("dataset__organisation", "current_version").filter(
        pk=pk).first() if pk else None
    if resource is None or not access.can_view(context.user, resource.dataset):
        raise NotFound("Resource was not found.")  # the same whether hidden or missing
    return serialise.resource_dict(context.request, resource)
def _matches(dataset: Dataset, term: Term) -> bool:
    return _holds(dataset, term) != term.negate


def _holds(dataset: Dataset, term: Term) -> bool:
    field, values = term.field, term.values
    if field in DATE_FIELDS:
        when = dataset.modified if field == "metadata_modified" else dataset.created
        return (term.low is None or when >= term.low) and (term.high is None or
                                                           when <= term.high)
    if field == "organization":
        return dataset.organisation.slug in values
    if field == "tags":
        return any(t.name in values for t in dataset.tags.all())
    if field == "groups":
        return any(t.name in values for t in dataset.themes.all())
    if field == "res_format":
        wanted = {v.lower() for v in values}
        return any(r.format.lower() in wanted for r in dataset.resources.all() if r.format)
    if field == "license_id":
        return dataset.licence in values
    if field == "name":
        return dataset.name in values
    if field == "id":
        return str(dataset.id) in values
    if field == "dataset_type":
        return "dataset" in values
    raise AssertionError(field)


def _facet_items(datasets: list[Dataset], field: str, limit: int) -> list[dict]:
    counts: Counter = Counter()
    titles: dict[str, str] = {}
    for d in datasets:
        if field == "organization":
            counts[d.organisation.slug] += 1
            titles[d.organisation.slug] = d.organisation.name
        elif field == "tags":
            counts.update({t.name for t in d.tags.all()})
        elif field == "groups":
            for t in d.themes.all():
                counts[t.name] += 1
                titles[t.name] = t.title
        elif field == "res_format":
            counts.update({serialise.format_name(r.format) for r in d.resources.all()
                           if r.format})
        elif field == "license_id":
            counts[d.licence] += 1
            titles[d.licence] = licence(d.licence).title
    items = sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))
    if limit >= 0:
        items = items[:limit]
    return [{"name": v, "display_name": titles.get(v) or v, "count": n} for v, n in items]


def package_search(context: Context, data: dict) -> dict:
    """Search for datasets (packages).

    :param q: words that must all occur in a dataset (title, description, tags, publisher,
        column names...); ``*:*`` or nothing matches every dataset. ``field:value`` terms
        for the fields of ``fq`` filter as in ``fq``.
    :type q: string
    :param fq: filters, ANDed: ``organization:mk-council tags:"GP practices"
        res_format:CSV license_id:OGL-UK-3.0 groups:health``; ``field:(a OR b)`` for either,
        ``-field:value`` to exclude; also ``name:``, ``id:``, ``dataset_type:dataset`` and
        ``metadata_modified:[2025-01-01T00:00:00Z TO *]`` (or ``metadata_created``)
    :type fq: string
    :param fq_list: more filters, each like ``fq``
    :type fq_list: list of strings
    :param sort: comma-separated ``field asc|desc`` with the fields ``score``,
        ``metadata_modified``, ``metadata_created``, ``title_string``, ``name``
        (default ``"score desc, metadata_modified desc"``)
    :type sort: string
    :param rows: datasets to return (default 10, at most 1000)
    :type rows: int
    :param start: how many matching datasets to skip (default 0)
    :type start: int
    :param facet.field: fields to count values of (``organization``, ``tags``,
        ``res_format``, ``license_id``, ``groups``); default none
    :type facet.field: list of strings
    :param facet.limit: values per facet (default 50; negative: all)
    :type facet.limit: int
    :param include_private: include private datasets the caller may see (default false)
    :type include_private: bool
    :param include_drafts: include drafts the caller may see (default false)
    :type include_drafts: bool

    :returns: ``count``, ``results`` (package dictionaries), ``facets``,
        ``search_facets`` and ``sort``
    :rtype: dictionary
    """
    rows = min(natural(data, "rows", 10), SEARCH_ROWS_MAX)
    start = natural(data, "start", 0)
    sort = text(data, "sort") or DEFAULT_SORT
    clauses = parse_sort(sort)
    words, terms = split_q(text(data, "q"))
    fq_list = data.get("fq_list")
    if isinstance(fq_list, str):
        fq_list = [fq_list]
    if fq_list not in (None, "") and not (isinstance(fq_list, list) and all(
            isinstance(part, str) and "\x00" not in part for part in fq_list)):
        raise ValidationError({"fq_list": ["Not a list of strings"]})
    for part in [text(data, "fq"), *(fq_list or [])]:
        terms += parse_fq(part)
    facet_key = "facet.field" if "facet.field" in data else "facet_field"
    facet_fields = string_list(data.get(facet_key), facet_key)
    limit_key = "facet.limit" if "facet.limit" in data else "facet_limit"
    facet_limit = integer(data, limit_key, 50)
    if not boolean(data.get("facet"), True):
        facet_fields = []

    # The catalogue's own search does visibility, text and the first value list of each
    # facet field; repeated fields (ANDed in Solr), exclusions, dates, name and id narrow
    # the result here.
    filters: dict[str, list[str]] = {}
    narrow: list[Term] = []
    for term in terms:
        if term.field in FACET_FIELDS and term.field not in filters and not term.negate:
            filters[term.field] = list(term.values)
        else:
            narrow.append(term)
    found = catalogue_search.search(context.user, q=words, filters=filters, sort="relevance",
                                    start=0, rows=10**9).datasets
    include_private = boolean(data.get("include_private"), False)
    include_drafts = boolean(data.get("include_drafts"), False)
    found = [d for d in found
             if (include_private or not d.private)
             and (include_drafts or d.state == Dataset.State.PUBLISHED)
             and all(_matches(d, term) for term in narrow)]
    found = _sorted(found, clauses)

    page_ids = [d.pk for d in found[start:start + rows]]
    full = {d.pk: d for d in datasets_with_everything().filter(pk__in=page_ids)}
    facets = {f: _facet_items(found, f, facet_limit) for f in facet_fields
              if f in FACET_FIELDS}
    return {
        "count": len(found),
        "results": [serialise.package_dict(context.request, full[pk]) for pk in page_ids],
        "facets": {f: {i["name"]: i["count"] for i in items} for f, items in facets.items()},
        "search_facets": {f: {"title": f, "items": items} for f, items in facets.items()},
        "sort": sort,
    }


def _sorted(datasets: list[Dataset], clauses: list[tuple[str, bool]]) -> list[Dataset]:
    """Stable sorts, last clause first. ``score`` is the catalogue search's relevance order."""
    rank = {d.pk: i for i, d in enumerate(datasets)}
    keys = {"score": lambda d: -rank[d.pk], "metadata_modified": lambda d: d.modified,
            "metadata_created": lambda d: d.created, "title_string": lambda d: d.title.lower(),
            "name": lambda d: d.name}
    out = list(datasets)
    for field, descending in reversed(clauses):
        out.sort(key=keys[field], reverse=descending)
    return out
