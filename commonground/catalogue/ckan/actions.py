"""CKAN actions, one function each: ``action(context, data_dict) -> result``.

Each reads its parameters from ``data_dict`` (strings when they came from a query string,
any JSON type when they came from a JSON body), checks permissions through
:mod:`commonground.catalogue.access`, and raises :mod:`.errors` exceptions that the view
turns into CKAN's envelope. The docstrings are what ``help_show`` returns.

Visibility follows CKAN: drafts and private datasets are left out of lists and searches
(``package_search`` shows those the caller may see with ``include_private=true`` and
``include_drafts=true``); asking for one by id without permission is an
``Authorization Error`` (403), an id that does not exist is a ``Not Found Error`` (404).

Guardrails, as CKAN's: ``package_search`` returns at most :data:`SEARCH_ROWS_MAX` rows
(``ckan.search.rows_max``), ``datastore_search`` at most :data:`DATASTORE_ROWS_MAX`
(``ckan.datastore.search.rows_max``): larger ``rows``/``limit`` are capped, silently.
``datastore_search_sql`` runs in :mod:`commonground.datastore.sqlsandbox` for at most
``COMMONGROUND_SQL_TIMEOUT`` seconds (default 5).
"""

from __future__ import annotations

import csv
import datetime as dt
import inspect
import io
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest

from commonground.accounts.models import Organisation
from commonground.datastore import query
from commonground.datastore.layout import NOT_TABULAR
from commonground.datastore.sqlsandbox import SQLError, SQLTimeout, run_readonly_sql

from .. import access
from ..licences import licence
from ..models import Dataset, Resource, Tag, Theme
from ..services import search as catalogue_search
from . import serialise
from .errors import NotAuthorized, NotFound, SearchQueryError, ValidationError

CKAN_VERSION = "2.10.0"
#: Largest ``rows`` of package_search (CKAN's ``ckan.search.rows_max`` default).
SEARCH_ROWS_MAX = 1000
#: Largest ``limit`` of datastore_search and rows of datastore_search_sql (CKAN's
#: ``ckan.datastore.search.rows_max`` default; also our query engine's limit).
DATASTORE_ROWS_MAX = query.MAX_LIMIT
DEFAULT_SORT = "score desc, metadata_modified desc"
#: package_search ``fq`` fields. The first five are the catalogue's facets; ``name``,
#: ``id``, ``dataset_type`` (always "dataset" here) and the dates narrow the results.
FQ_FIELDS = ("organization", "tags", "res_format", "license_id", "groups", "name", "id",
             "dataset_type", "metadata_modified", "metadata_created")
#: fq fields that take a date range, ``[2025-01-01T00:00:00Z TO *]`` (incremental harvests).
DATE_FIELDS = ("metadata_modified", "metadata_created")
FACET_FIELDS = ("organization", "tags", "res_format", "license_id", "groups")
SORT_FIELDS = ("score", "metadata_modified", "metadata_created", "title_string", "name")
#: Our column types as CKAN's DataStore reports PostgreSQL types.
DATASTORE_TYPES = {"integer": "int", "number": "numeric", "string": "text", "boolean": "bool",
                   "date": "date", "datetime": "timestamp"}
#: Version columns the DataStore does not show: the source row number and binary geometry.
DATASTORE_HIDDEN = NOT_TABULAR  # the source row number and binary geometry


@dataclass
class Context:
    """Who asks (a Django user, possibly anonymous) and the HTTP request (for URLs)."""

    user: Any
    request: HttpRequest
    api_version: int = 3

    @property
    def username(self) -> str:
        return self.user.get_username() if getattr(self.user, "is_authenticated", False) else ""


ACTIONS: dict[str, Callable[[Context, dict], Any]] = {}


def action(function):
    ACTIONS[function.__name__] = function
    return function


# --- parameters -----------------------------------------------------------------------------

def _required(data: dict, key: str) -> Any:
    value = data.get(key)
    if value in (None, "", []):
        raise ValidationError({key: ["Missing value"]})
    return value


def _natural(data: dict, key: str, default: int | None) -> int | None:
    """CKAN's ``int_validator`` + ``natural_number_validator``."""
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool):
        raise ValidationError({key: ["Invalid integer"]})
    if number < 0:
        raise ValidationError({key: ["Must be a natural number"]})
    return number


def _boolean(value, default: bool) -> bool:
    """CKAN's ``asbool``: true/yes/on/1 (any case) are true; anything else is false."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


def _json(value, key: str):
    """A parameter that may arrive as JSON text (query strings) or already decoded (bodies)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError({key: ["Could not parse as valid JSON"]}) from None
    return value


def _string_list(value, key: str) -> list[str]:
    """A list given as a list, JSON text of a list, or comma-separated text."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = _json(text, key)
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({key: ["Not a list of strings"]})
    return list(value)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


# --- site -----------------------------------------------------------------------------------

@action
def status_show(context: Context, data: dict) -> dict:
    """Return the site's version, title, URL and extensions.

    :rtype: dictionary
    """
    return {"site_title": "Common Ground",
            "site_description": "A community data hub: datasets linked to places.",
            "site_url": context.request.build_absolute_uri("/").rstrip("/"),
            "ckan_version": CKAN_VERSION, "error_emails_to": None, "locale_default": "en_GB",
            "extensions": ["datastore"]}


@action
def site_read(context: Context, data: dict) -> bool:
    """Return ``True``.

    :rtype: bool
    """
    return True


@action
def help_show(context: Context, data: dict) -> str:
    """Return the help string for an action.

    :param name: name of the action (e.g. ``'package_search'``)
    :type name: string

    :rtype: string
    """
    name = _required(data, "name")
    function = ACTIONS.get(name)
    if function is None:
        raise NotFound("Action function not found")
    return inspect.getdoc(function)


# --- datasets -------------------------------------------------------------------------------

def _datasets_with_everything():
    return Dataset.objects.select_related("organisation").prefetch_related(
        "tags", "themes",
        Prefetch("resources", queryset=Resource.objects.select_related("current_version")))


def _visible_dataset(context: Context, id_or_name) -> Dataset:
    datasets = _datasets_with_everything()
    pk = _uuid(id_or_name)
    dataset = (datasets.filter(pk=pk) if pk else datasets.filter(name=str(id_or_name))).first()
    if dataset is None:
        raise NotFound("Dataset not found")
    if not access.can_view(context.user, dataset):
        raise NotAuthorized(f"User {context.username} not authorized to read package "
                            f"{dataset.id}")
    return dataset


@action
def package_list(context: Context, data: dict) -> list[str]:
    """Return the names of the site's public, published datasets, sorted.

    :param limit: at most this many names (optional)
    :type limit: int
    :param offset: when ``limit`` is given, start after this many (optional)
    :type offset: int

    :rtype: list of strings
    """
    limit, offset = _natural(data, "limit", None), _natural(data, "offset", 0)
    names = access.public_datasets().order_by(
        "name").values_list("name", flat=True)
    return list(names[offset:offset + limit] if limit is not None else names[offset:])


@action
def package_show(context: Context, data: dict) -> dict:
    """Return the metadata of a dataset (package) and its resources.

    :param id: the id or name of the dataset
    :type id: string

    :rtype: dictionary
    """
    dataset = _visible_dataset(context, _required(data, "id"))
    return serialise.package_dict(context.request, dataset)


@action
def resource_show(context: Context, data: dict) -> dict:
    """Return the metadata of a resource.

    ``url`` downloads the live version's file as it was uploaded; ``datastore_active`` says
    whether ``datastore_search`` can query it.

    :param id: the id of the resource
    :type id: string

    :rtype: dictionary
    """
    rid = _required(data, "id")
    pk = _uuid(rid)
    resource = Resource.objects.select_related("dataset__organisation", "current_version").filter(
        pk=pk).first() if pk else None
    if resource is None:
        raise NotFound("Resource was not found.")
    if not access.can_view(context.user, resource.dataset):
        raise NotAuthorized(f"User {context.username} not authorized to read resource "
                            f"{resource.id}")
    return serialise.resource_dict(context.request, resource)


# --- package_search -------------------------------------------------------------------------

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(
    r"\s+|(?:AND|&&)(?=\s|$)"
    rf"|(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):"
    rf"(?P<value>{_QUOTED}|\((?:[^()\"]|{_QUOTED})*\)|\[[^\]]*\]|[^\s()\"\[]+)")
_RANGE = re.compile(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]")


@dataclass(frozen=True)
class Term:
    """One filter: ``field`` is one of ``values`` (or within ``low``..``high`` for dates)."""

    field: str
    values: tuple[str, ...] = ()
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    negate: bool = False


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _values(value: str) -> tuple[str, ...]:
    """``x``, ``"x y"`` or ``(x OR "y z")`` → the values, ORed."""
    if not value.startswith("("):
        return (_unquote(value),)
    parts = re.findall(rf"{_QUOTED}|[^\s()]+", value[1:-1])
    values = tuple(_unquote(p) for p in parts if p not in ("OR", "||"))
    if not values:
        raise SearchQueryError(f"no values in {value}")
    return values


def _instant(text: str) -> dt.datetime | None:
    """A range end: ``*`` (open), ``NOW`` or an ISO 8601 date-time (UTC when no zone)."""
    if text == "*":
        return None
    if text.upper() == "NOW":
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SearchQueryError(f"{text!r} is not a date-time (use ISO 8601, NOW or *)") \
            from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _term(field: str, value: str, negate: bool) -> Term:
    if field not in FQ_FIELDS:
        raise SearchQueryError(f"unknown field {field!r}; use one of {', '.join(FQ_FIELDS)}")
    if field in DATE_FIELDS:
        match = _RANGE.fullmatch(value)
        if not match:
            raise SearchQueryError(f"{field} takes a range such as "
                                   f"[2025-01-01T00:00:00Z TO *], not {value!r}")
        return Term(field, low=_instant(match.group(1)), high=_instant(match.group(2)),
                    negate=negate)
    if value.startswith("["):
        raise SearchQueryError(f"ranges work on {' and '.join(DATE_FIELDS)} only")
    return Term(field, values=_values(value), negate=negate)


def parse_fq(fq: str) -> list[Term]:
    """A Solr filter query → its terms, ANDed.

    Accepted: ``field:value``, ``field:"quoted value"``, ``field:(a OR "b c")``, a leading
    ``+`` (required: the same) or ``-`` (excluded), ``metadata_modified:[2025-01-01T00:00:00Z
    TO *]`` (also ``metadata_created``; ``*`` and ``NOW`` as in Solr), terms separated by
    spaces or ``AND``; fields in :data:`FQ_FIELDS`. Anything else (other fields, ``OR``
    between terms, nesting) is a :class:`SearchQueryError`, never silently ignored.
    """
    terms, position = [], 0
    while position < len(fq):
        match = _TOKEN.match(fq, position)
        if match is None:
            raise SearchQueryError(f"cannot parse {fq[position:]!r}: use field:value terms "
                                   f"with the fields {', '.join(FQ_FIELDS)}")
        position = match.end()
        if match.group("field") is not None:
            terms.append(_term(match.group("field"), match.group("value"),
                               match.group("sign") == "-"))
    return terms


def _split_q(q: str) -> tuple[str, list[Term]]:
    """Free text and ``field:value`` terms of ``q`` (``*:*`` or empty: everything)."""
    q = (q or "").strip()
    if q in ("", "*:*", "*"):
        return "", []
    if q.startswith("{!"):
        raise SearchQueryError("Local parameters are not supported.")
    terms, words = [], []
    for match in re.finditer(rf'(?:([A-Za-z_]\w*):)?({_QUOTED}|\[[^\]]*\]|\S+)', q):
        field, value = match.group(1), match.group(2)
        if field in FQ_FIELDS:
            terms.append(_term(field, value, False))
        elif field:
            words.append(match.group(0))
        elif value not in ("AND", "&&"):
            words.append(value.strip('"'))
    return " ".join(words), terms


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``"title_string asc, metadata_modified desc"`` → ``[(field, descending)]``."""
    clauses = []
    for clause in (sort or DEFAULT_SORT).split(","):
        parts = clause.split()
        if not parts:
            continue
        if len(parts) > 2 or parts[0] not in SORT_FIELDS or (
                len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise SearchQueryError('Invalid "sort" parameter')
        clauses.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    return clauses


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


@action
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
    rows = min(_natural(data, "rows", 10), SEARCH_ROWS_MAX)
    start = _natural(data, "start", 0)
    sort = data.get("sort") or DEFAULT_SORT
    clauses = parse_sort(sort)
    text, terms = _split_q(str(data.get("q") or ""))
    fq = data.get("fq") or ""
    fq_list = data.get("fq_list") or []
    for part in [fq, *(fq_list if isinstance(fq_list, list) else [fq_list])]:
        if not isinstance(part, str):
            raise SearchQueryError(f"fq must be text, not {part!r}")
        terms += parse_fq(part)
    facet_fields = _string_list(data.get("facet.field", data.get("facet_field")), "facet.field")
    facet_limit = data.get("facet.limit", data.get("facet_limit"))
    try:
        facet_limit = int(facet_limit) if facet_limit not in (None, "") else 50
    except (TypeError, ValueError):
        raise ValidationError({"facet.limit": ["Invalid integer"]}) from None
    if not _boolean(data.get("facet"), True):
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
    found = catalogue_search.search(context.user, q=text, filters=filters, sort="relevance",
                                    start=0, rows=10**9).datasets
    include_private = _boolean(data.get("include_private"), False)
    include_drafts = _boolean(data.get("include_drafts"), False)
    found = [d for d in found
             if (include_private or not d.private)
             and (include_drafts or d.state == Dataset.State.PUBLISHED)
             and all(_matches(d, term) for term in narrow)]
    found = _sorted(found, clauses)

    page_ids = [d.pk for d in found[start:start + rows]]
    full = {d.pk: d for d in _datasets_with_everything().filter(pk__in=page_ids)}
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


# --- organisations, groups, tags ------------------------------------------------------------

def _counts_by(context: Context, field: str) -> Counter:
    """Published datasets the caller may see, counted by ``field``."""
    visible = access.visible_datasets(context.user).filter(state=Dataset.State.PUBLISHED)
    return Counter(dict(visible.values(field).annotate(n=Count("pk", distinct=True))
                        .values_list(field, "n")))


def _list_of(context: Context, data: dict, objects: list, name, title, counts: Counter,
             to_dict) -> list:
    q = str(data.get("q") or "").lower()
    if q:
        objects = [o for o in objects if q in name(o).lower() or q in title(o).lower()]
    sort = str(data.get("sort") or "name asc").split()
    field, descending = sort[0], len(sort) > 1 and sort[1].lower() == "desc"
    keys = {"name": name, "title": lambda o: title(o).lower(),
            "package_count": lambda o: counts[o.pk], "packages": lambda o: counts[o.pk]}
    if field not in keys or len(sort) > 2:
        raise ValidationError({"sort": [f"Cannot sort by {' '.join(sort)!r}: use name, title "
                                        "or package_count, then asc or desc"]})
    objects = sorted(objects, key=keys[field], reverse=descending)
    limit = _natural(data, "limit", None)
    offset = _natural(data, "offset", 0)
    objects = objects[offset:offset + limit] if limit is not None else objects[offset:]
    if _boolean(data.get("all_fields"), False):
        return [to_dict(o, package_count=counts[o.pk]) for o in objects]
    return [name(o) for o in objects]


@action
def organization_list(context: Context, data: dict) -> list:
    """Return the names of the site's organizations (publishers), sorted by name.

    :param all_fields: return organization dictionaries with ``package_count`` (the
        published datasets the caller may see) instead of names (default false)
    :type all_fields: bool
    :param sort: ``name``, ``title`` or ``package_count``, then ``asc`` or ``desc``
        (default ``"name asc"``)
    :type sort: string
    :param q: only organizations whose name or title contains this
    :type q: string
    :param organizations: only these organizations (names)
    :type organizations: list of strings
    :param limit: at most this many (optional)
    :type limit: int
    :param offset: skip this many (optional)
    :type offset: int

    :rtype: list of strings or dictionaries
    """
    organisations = Organisation.objects.all()
    wanted = _string_list(data.get("organizations"), "organizations")
    if wanted:
        organisations = organisations.filter(slug__in=wanted)
    return _list_of(context, data, list(organisations), lambda o: o.slug, lambda o: o.name,
                    _counts_by(context, "organisation"), serialise.organization_dict)


@action
def organization_show(context: Context, data: dict) -> dict:
    """Return an organization (publisher).

    :param id: the id or name of the organization
    :type id: string
    :param include_datasets: include its published datasets the caller may see, at most
        1000 (default false)
    :type include_datasets: bool

    :rtype: dictionary
    """
    key = str(_required(data, "id"))
    organisation = Organisation.objects.filter(
        Q(slug=key) | (Q(pk=int(key)) if key.isdigit() else Q(pk__in=[]))).first()
    if organisation is None:
        raise NotFound("Organization was not found.")
    datasets = access.visible_datasets(context.user).filter(
        organisation=organisation, state=Dataset.State.PUBLISHED)
    out = serialise.organization_dict(organisation, package_count=datasets.count())
    if _boolean(data.get("include_datasets"), False):
        chosen = _datasets_with_everything().filter(
            pk__in=datasets.values("pk")).order_by("name")[:SEARCH_ROWS_MAX]
        out["packages"] = [serialise.package_dict(context.request, d) for d in chosen]
    return out


@action
def group_list(context: Context, data: dict) -> list:
    """Return the names of the site's groups (themes such as health or transport), sorted.

    Parameters as ``organization_list`` (``groups`` instead of ``organizations``).

    :rtype: list of strings or dictionaries
    """
    themes = Theme.objects.all()
    wanted = _string_list(data.get("groups"), "groups")
    if wanted:
        themes = themes.filter(name__in=wanted)
    return _list_of(context, data, list(themes), lambda t: t.name, lambda t: t.title,
                    _counts_by(context, "themes"),
                    lambda t, package_count: serialise.group_dict(
                        t, package_count=package_count, full=True))


@action
def tag_list(context: Context, data: dict) -> list:
    """Return the tags of the published datasets the caller may see, sorted by name.

    :param query: only tags whose names contain this (any case)
    :type query: string
    :param all_fields: return tag dictionaries instead of names (default false)
    :type all_fields: bool

    :rtype: list of strings or dictionaries
    """
    visible = access.visible_datasets(context.user).filter(state=Dataset.State.PUBLISHED)
    tags = Tag.objects.filter(datasets__in=visible).distinct()
    text = str(data.get("query") or data.get("q") or "")
    if text:
        tags = tags.filter(name__icontains=text)
    tags = sorted(tags, key=lambda t: t.name)  # the same order on SQLite and PostgreSQL
    if _boolean(data.get("all_fields"), False):
        return [serialise.tag_dict(t) for t in tags]
    return [t.name for t in tags]


# --- datastore ------------------------------------------------------------------------------

def _datastore_resource(context: Context, rid) -> Resource:
    pk = _uuid(rid)
    resource = Resource.objects.select_related("dataset__organisation", "current_version").filter(
        pk=pk, current_version__isnull=False).first() if pk else None
    if resource is None:
        raise NotFound(f'Resource "{rid}" was not found.')
    if not access.can_view(context.user, resource.dataset):
        raise NotAuthorized(f"User {context.username} not authorized to read resource "
                            f"{resource.id}")
    return resource


def _invalid(key: str, value) -> ValidationError:
    return ValidationError({key: [f'invalid value "{value}"']})


def _datastore_filters(value, types: dict[str, str]) -> list[query.Filter]:
    filters = _json(value, "filters") if value not in (None, "") else {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": ["Filters must be defined as a dict"]})
    out = []
    for column, wanted in filters.items():
        if column not in types or isinstance(wanted, dict):
            raise _invalid("filters", column)
        if isinstance(wanted, list):
            out.append(query.Filter(column, "in", wanted))
        else:
            out.append(query.Filter(column, "eq", wanted))
    return out


def _datastore_q(value, types: dict[str, str]) -> tuple[str | None, list[query.Filter]]:
    """``q`` text (every word in some text column) or ``{column: text}`` (per column)."""
    if value in (None, ""):
        return None, []
    if isinstance(value, str) and value.lstrip().startswith("{"):
        value = _json(value, "q")
    if isinstance(value, dict):
        for column, text in value.items():
            if column not in types or not isinstance(text, str):
                raise _invalid("q", column)
        return None, [query.Filter(c, "contains", t) for c, t in value.items()]
    if not isinstance(value, str):
        raise _invalid("q", value)
    return value, []


def _datastore_fields(value, types: dict[str, str]) -> list[str]:
    fields = _string_list(value, "fields")
    for name in fields:
        if name not in types:
            raise _invalid("fields", name)
    return fields or list(types)


def _datastore_sort(value, types: dict[str, str]) -> list[tuple[str, bool]]:
    """``"col desc, other"`` or a list of such clauses; names may be double-quoted."""
    clauses = value if isinstance(value, list) else str(value or "").split(",")
    out = []
    for clause in clauses:
        text = str(clause).strip()
        if not text:
            continue
        match = re.fullmatch(r'("(?:[^"]|"")+"|[^\s"]+)(?:\s+(asc|desc))?', text, re.IGNORECASE)
        name = match.group(1) if match else None
        if name and name.startswith('"'):
            name = name[1:-1].replace('""', '"')
        if name not in types:
            raise _invalid("sort", text)
        out.append((name, bool(match.group(2)) and match.group(2).lower() == "desc"))
    return out


def _links(context: Context, data: dict, limit: int, offset: int) -> dict:
    """CKAN's ``_links``: this call's URL without ``offset``, and with the next offset."""
    request = context.request
    if request.method == "GET":
        items = [(k, v) for k, v in request.GET.items()]
    else:
        items = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()]
    start = [(k, v) for k, v in items if k != "offset"]
    links = {"start": f"{request.path}?{urlencode(start)}",
             "next": f"{request.path}?{urlencode(start + [('offset', offset + limit)])}"}
    if offset > 0:
        links["prev"] = f"{request.path}?{urlencode(start + [('offset', max(offset - limit, 0))])}"
    return links


def _records(rows: list[dict], fields: list[str], records_format: str):
    if records_format == "objects":
        return rows
    if records_format == "lists":
        return [[row[f] for f in fields] for row in rows]
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t" if records_format == "tsv" else ",",
                        lineterminator="\n")
    writer.writerows([row[f] for f in fields] for row in rows)
    return out.getvalue()


@action
def datastore_search(context: Context, data: dict) -> dict:
    """Search a resource's rows (its live version).

    :param resource_id: id of the resource (``id`` is accepted too)
    :type resource_id: string
    :param filters: ``{column: value}`` or ``{column: [values]}``: rows whose column equals the
        value (one of the values); several columns ANDed
    :type filters: dictionary
    :param q: text that must occur (every word, any case) in some text column; or
        ``{column: text}`` for text within given columns
    :type q: string or dictionary
    :param fields: columns to return, in order (default: all; ``_id`` first)
    :type fields: list or comma-separated string
    :param sort: ``"column desc, other"`` (default ``_id``)
    :type sort: string
    :param limit: rows to return (default 100, at most 32000)
    :type limit: int
    :param offset: rows to skip (default 0)
    :type offset: int
    :param include_total: count the matching rows (default true)
    :type include_total: bool
    :param records_format: ``objects`` (default), ``lists``, ``csv`` or ``tsv``
    :type records_format: string

    Columns are the file's, then the area codes each row was linked to (``_lsoa21``,
    ``_ward``, ...), ``_linked_by``, ``_easting`` and ``_northing`` (British National Grid,
    metres).

    :returns: ``fields`` (``[{"id", "type"}]``), ``records``, ``total``, ``_links`` and the
        parameters used
    :rtype: dictionary
    """
    rid = data.get("resource_id") or data.get("id")
    if not rid:
        raise ValidationError({"resource_id": ["Missing value"]})
    resource = _datastore_resource(context, rid)
    version = resource.current_version
    columns = [c for c in query.schema(version.parquet_path)
               if c["name"] not in DATASTORE_HIDDEN]
    types = {c["name"]: c["type"] for c in columns}
    filters = _datastore_filters(data.get("filters"), types)
    q, q_filters = _datastore_q(data.get("q"), types)
    fields = _datastore_fields(data.get("fields"), types)
    sort = _datastore_sort(data.get("sort"), types)
    limit = min(_natural(data, "limit", 100), DATASTORE_ROWS_MAX)
    offset = _natural(data, "offset", 0)
    include_total = _boolean(data.get("include_total"), True)
    records_format = data.get("records_format") or "objects"
    if records_format not in ("objects", "lists", "csv", "tsv"):
        raise ValidationError({"records_format": ["Value must be one of: objects; lists; "
                                                  "csv; tsv"]})
    try:
        page = query.run(version.parquet_path, query.RowQuery(
            filters=filters + q_filters, q=q, sort=sort, fields=fields, limit=limit,
            offset=offset, total=include_total), columns)
    except query.QueryError as exc:
        raise ValidationError({exc.field or "query": [str(exc)]}) from None
    result = {
        "include_total": include_total, "limit": limit, "records_format": records_format,
        "resource_id": str(resource.id), "total_estimation_threshold": None,
        "records": _records(page.rows, fields, records_format),
        "fields": [{"id": c["name"], "type": "int" if c["name"] == "_id" else
                    DATASTORE_TYPES.get(c["type"], c["type"])} for c in page.columns],
        "_links": _links(context, data, limit, offset),
    }
    for key in ("filters", "q", "sort"):
        if data.get(key) not in (None, ""):
            result[key] = _json(data[key], key) if key == "filters" else data[key]
    if data.get("offset") not in (None, ""):
        result["offset"] = offset
    if include_total:
        result["total"] = page.total
        result["total_was_estimated"] = False
    return result


_TABLE = re.compile(r'"([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                    r'[0-9a-fA-F]{12})"')


def _sql_type(duckdb_type: str) -> str:
    kind = duckdb_type.upper()
    if kind in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "UINTEGER",
                "USMALLINT", "UTINYINT"):
        return "int"
    if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
        return "numeric"
    if kind.startswith("TIMESTAMP"):
        return "timestamp"
    return {"VARCHAR": "text", "BOOLEAN": "bool", "DATE": "date", "BLOB": "bytea"}.get(
        kind, duckdb_type.lower())


def _json_safe(value):
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, uuid.UUID):
        return str(value)
    return query.json_value(value)


@action
def datastore_search_sql(context: Context, data: dict) -> dict:
    """Run one read-only SQL SELECT over resources' rows.

    Tables are resource ids in double quotes::

        SELECT education_phase, count(*) FROM "<resource id>" GROUP BY 1

    Only resources the caller may see can be named. The statement runs in a sandbox (one
    SELECT; no files, network, settings or system tables) for at most 5 seconds
    (``COMMONGROUND_SQL_TIMEOUT``) and returns at most 32000 rows.

    :param sql: the SQL statement
    :type sql: string

    :returns: ``records``, ``fields`` (``[{"id", "type"}]``), ``records_truncated``, ``sql``
    :rtype: dictionary
    """
    sql = _required(data, "sql")
    if not isinstance(sql, str):
        raise ValidationError({"sql": ["Must be a string"]})
    tables = {}
    for rid in sorted({m.lower() for m in _TABLE.findall(sql)}):
        resource = Resource.objects.select_related("dataset__organisation", "current_version"
                                                   ).filter(pk=rid).first()
        if resource is None or resource.current_version is None:
            continue  # the sandbox answers that there is no such table
        if not access.can_view(context.user, resource.dataset):
            raise NotAuthorized(f"User {context.username} not authorized to read resource "
                                f"{rid}")
        tables[rid] = resource.current_version.parquet_path
    timeout = float(getattr(settings, "COMMONGROUND_SQL_TIMEOUT", 5))
    try:
        result = run_readonly_sql(sql, tables, timeout=timeout, max_rows=DATASTORE_ROWS_MAX)
    except SQLTimeout:
        raise ValidationError({"query": ["Query took too long"]}) from None
    except SQLError as exc:
        raise ValidationError({"query": [str(exc)]}) from None
    names = [name for name, _ in result.columns]
    return {
        "sql": sql,
        "records": [{n: _json_safe(v) for n, v in zip(names, row, strict=True)}
                    for row in result.rows],
        "fields": [{"id": name, "type": _sql_type(kind)} for name, kind in result.columns],
        "records_truncated": result.truncated,
    }
