"""Dataset (package) and resource actions: ``package_list``, ``package_show``,
``resource_show`` and ``package_search``.

Drafts and private datasets are left out of lists and searches (``package_search`` shows
those the caller may see with ``include_private=true`` and ``include_drafts=true``); asking
for one the caller may not see is :class:`.errors.NotFound`, exactly as for one that does not
exist, so an id or name reveals nothing. The ``q``/``fq``/``sort`` syntax is parsed in
:mod:`.solr_query`; here the terms are applied to the catalogue's search.

``package_search`` runs as one query for the matches (:func:`_matching`), counted and
faceted by the database; only the requested page's datasets are read whole (:func:`_page`
says how each sort order is paged).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Count, Prefetch, Q, QuerySet

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
    """Return the metadata of a dataset (package) and its resources. Besides CKAN's
    ``private``, ``access_level`` says "open", "restricted" (findable and described; its rows,
    or the ``restricted_columns``, need a grant) or "private".

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
    request = _search_request(data)
    found = _matching(context.user, request)
    page = _page(found, request)
    full = {d.pk: d for d in datasets_with_everything().filter(pk__in=page)}
    facets = {f: _facet_items(found, f, request.facet_limit) for f in request.facet_fields
              if f in FACET_FIELDS}
    return {
        "count": found.count(),
        "results": [serialise.package_dict(context.request, full[pk]) for pk in page],
        "facets": {f: {i["name"]: i["count"] for i in items} for f, items in facets.items()},
        "search_facets": {f: {"title": f, "items": items} for f, items in facets.items()},
        "sort": request.sort,
    }


@dataclass
class _SearchRequest:
    """``package_search``'s parameters, checked: ``q`` is its free text (``words``, the
    same in lower case, split), ``terms`` its ``field:value`` terms and those of ``fq`` and
    ``fq_list``."""

    rows: int
    start: int
    sort: str
    clauses: list[tuple[str, bool]]
    q: str
    terms: list[Term]
    facet_fields: list[str]
    facet_limit: int
    include_private: bool
    include_drafts: bool

    @property
    def words(self) -> list[str]:
        return self.q.lower().split()


def _search_request(data: dict) -> _SearchRequest:
    rows = min(natural(data, "rows", 10), SEARCH_ROWS_MAX)
    start = natural(data, "start", 0)
    sort = text(data, "sort") or DEFAULT_SORT
    clauses = parse_sort(sort)
    q, terms = split_q(text(data, "q"))
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
    return _SearchRequest(rows=rows, start=start, sort=sort, clauses=clauses, q=q,
                          terms=terms, facet_fields=facet_fields, facet_limit=facet_limit,
                          include_private=boolean(data.get("include_private"), False),
                          include_drafts=boolean(data.get("include_drafts"), False))


def _matching(user, request: _SearchRequest) -> QuerySet[Dataset]:
    """The matching datasets as one query (nothing read yet).

    The catalogue's own search does visibility, text and the first value list of each facet
    field; repeated fields (ANDed in Solr), exclusions, dates, name and id narrow it here.
    """
    filters: dict[str, list[str]] = {}
    narrow: list[Term] = []
    for term in request.terms:
        if term.field in FACET_FIELDS and term.field not in filters and not term.negate:
            filters[term.field] = list(term.values)
        else:
            narrow.append(term)
    found = Dataset.objects.filter(pk__in=catalogue_search.matching(
        user, q=request.q, filters=filters).values("pk"))
    if not request.include_private:
        found = found.filter(private=False)
    if not request.include_drafts:
        found = found.filter(state=Dataset.State.PUBLISHED)
    for term in narrow:
        holds = _holds(term)
        found = found.filter(~holds if term.negate else holds)
    return found


_EVERY = Q(pk__isnull=False)
_NONE = Q(pk__in=[])


def _holds(term: Term) -> Q:
    """The datasets ``term`` holds for (before its ``negate``)."""
    field, values = term.field, term.values
    if field in DATE_FIELDS:
        when = "modified" if field == "metadata_modified" else "created"
        holds = _EVERY
        if term.low is not None:
            holds &= Q(**{f"{when}__gte": term.low})
        if term.high is not None:
            holds &= Q(**{f"{when}__lte": term.high})
        return holds
    if field == "organization":
        return Q(organisation__slug__in=values)
    if field == "tags":
        return Q(pk__in=Dataset.tags.through.objects.filter(tag__name__in=values)
                 .values("dataset_id"))
    if field == "groups":
        return Q(pk__in=Dataset.themes.through.objects.filter(theme__name__in=values)
                 .values("dataset_id"))
    if field == "res_format":  # any case: the formats in use are few, compared in Python
        wanted = {v.lower() for v in values}
        formats = set(Resource.objects.exclude(format="").order_by().values_list(
            "format", flat=True).distinct())
        return Q(pk__in=Resource.objects.filter(
            format__in=[f for f in formats if f.lower() in wanted]).values("dataset_id"))
    if field == "license_id":
        return Q(licence__in=values)
    if field == "name":
        return Q(name__in=values)
    if field == "id":  # as written by package_show: lower case, with hyphens
        return Q(pk__in=[v for v in values if parse_uuid(v) and str(parse_uuid(v)) == v])
    if field == "dataset_type":
        return _EVERY if "dataset" in values else _NONE
    raise AssertionError(field)


#: Relevance without words as a database ordering: :func:`.search.relevance_sorted`'s most
#: recently modified first, then the title order the matches are read in, then the id.
_RELEVANCE_WITHOUT_WORDS = ("-modified", "title", "pk")
_DATE_COLUMNS = {"metadata_modified": "modified", "metadata_created": "created"}


def _page(found: QuerySet[Dataset], request: _SearchRequest) -> list:
    """The ids of the requested page of ``found``, in the requested order.

    Each clause sorts what the ones before it leave tied, and relevance breaks the last ties.
    Dates, and relevance without words, are ordered and paged by the database. Titles and
    names sort as Python compares text (Unicode lower case, code point order, which no
    database's collation promises) and relevance with words is :func:`.search.score`, so
    those read each match's sort keys (never the datasets) and page in Python.
    """
    end = request.start + request.rows
    if request.words or any(f not in ("score", *_DATE_COLUMNS) for f, _ in request.clauses):
        return _sorted_in_python(found, request)[request.start:end]
    order = [o for field, descending in request.clauses for o in _ordering(field, descending)]
    order += _RELEVANCE_WITHOUT_WORDS
    return list(found.order_by(*order).values_list("pk", flat=True)[request.start:end])


def _ordering(field: str, descending: bool) -> list[str]:
    """One sort clause as database orderings (``score desc`` is relevance order)."""
    if field == "score":
        return [o if descending else (o[1:] if o.startswith("-") else "-" + o)
                for o in _RELEVANCE_WITHOUT_WORDS]
    return [("-" if descending else "") + _DATE_COLUMNS[field]]


class _SortKeys(NamedTuple):
    pk: object
    title: str
    name: str
    modified: object
    created: object


def _sorted_in_python(found: QuerySet[Dataset], request: _SearchRequest) -> list:
    """The ids of all of ``found`` in the requested order: stable sorts, last clause first,
    over the relevance order (``score``)."""
    keys = [_SortKeys(*row) for row in found.order_by("title", "pk").values_list(
        "pk", "title", "name", "modified", "created")]
    words = request.words
    tags: dict = defaultdict(list)
    if words:
        for pk, tag in Dataset.tags.through.objects.filter(
                dataset__in=found.values("pk")).values_list("dataset_id", "tag__name"):
            tags[pk].append(tag)
    keys = catalogue_search.relevance_sorted(keys, words, lambda k: tags[k.pk])
    rank = {k.pk: i for i, k in enumerate(keys)}
    by = {"score": lambda k: -rank[k.pk], "metadata_modified": lambda k: k.modified,
          "metadata_created": lambda k: k.created, "title_string": lambda k: k.title.lower(),
          "name": lambda k: k.name}
    for field, descending in reversed(request.clauses):
        keys.sort(key=by[field], reverse=descending)
    return [k.pk for k in keys]


def _facet_items(found: QuerySet[Dataset], field: str, limit: int) -> list[dict]:
    """The values of a facet field among ``found``, the most datasets first (then by value),
    each with how many datasets have it; counted by the database."""
    counts, titles = _FACET_COUNTS[field](found)
    items = sorted(counts.items(), key=lambda vn: (-vn[1], vn[0]))
    if limit >= 0:
        items = items[:limit]
    return [{"name": v, "display_name": titles.get(v) or v, "count": n} for v, n in items]


def _organization_counts(found: QuerySet[Dataset]) -> tuple[Counter, dict[str, str]]:
    rows = found.order_by().values_list("organisation__slug", "organisation__name").annotate(
        n=Count("pk"))
    return Counter({slug: n for slug, _, n in rows}), {slug: name for slug, name, _ in rows}


def _tag_counts(found: QuerySet[Dataset]) -> tuple[Counter, dict[str, str]]:
    rows = Dataset.tags.through.objects.filter(dataset__in=found.values("pk")).order_by(
        ).values_list("tag__name").annotate(n=Count("dataset_id", distinct=True))
    return Counter(dict(rows)), {}


def _group_counts(found: QuerySet[Dataset]) -> tuple[Counter, dict[str, str]]:
    rows = Dataset.themes.through.objects.filter(dataset__in=found.values("pk")).order_by(
        ).values_list("theme__name", "theme__title").annotate(n=Count("dataset_id"))
    return Counter({name: n for name, _, n in rows}), {name: title for name, title, _ in rows}


def _format_counts(found: QuerySet[Dataset]) -> tuple[Counter, dict[str, str]]:
    """Datasets per format name (several formats in use may share one, e.g. csv and CSV)."""
    names: dict = defaultdict(set)
    for dataset, fmt in Resource.objects.filter(dataset__in=found.values("pk")).exclude(
            format="").order_by().values_list("dataset_id", "format").distinct():
        names[dataset].add(serialise.format_name(fmt))
    return Counter(name for formats in names.values() for name in formats), {}


def _licence_counts(found: QuerySet[Dataset]) -> tuple[Counter, dict[str, str]]:
    counts = Counter(dict(found.order_by().values_list("licence").annotate(n=Count("pk"))))
    return counts, {code: licence(code).title for code in counts}


_FACET_COUNTS = {"organization": _organization_counts, "tags": _tag_counts,
                 "groups": _group_counts, "res_format": _format_counts,
                 "license_id": _licence_counts}
