"""Find datasets: full text over titles, descriptions, tags and column names, with facets.

One function serves the catalogue page, the JSON API and CKAN's ``package_search``.

Text search: every word must occur in the dataset's search text (title, name, description,
source, publisher, tags, themes, resource names, column names). Relevance ranks a word in
the title above one in tags or columns above one in the description. A city hub holds
hundreds or a few thousand datasets, so matching runs in the database (portable
``icontains``, SQLite and PostgreSQL alike) and ranking runs over the matches in Python.

Facets (``FACETS``) count the matching datasets by organisation, tag, format, licence,
theme and ward covered (datasets with rows there); filters on facets combine with AND
across facets and OR within one facet, as CKAN's do.

A dataset whose records are withheld (about people, or restricted as a whole:
``Dataset.records_withheld``) has "rows in an area" only where its live version's count is shown
(``disclosure.public_counts``): where it is hidden (below the threshold, none included), the
area's page, facet and filter leave the dataset out, so being listed never tells that someone
is there; sorted by rows, it counts its shown city total (0 when hidden).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from django.db.models import Q, QuerySet

from ..access import visible_datasets
from ..licences import licence
from ..models import Dataset, Resource, Version, VersionArea

FACETS = ("organization", "tags", "res_format", "license_id", "groups", "area")
FACET_TITLES = {"organization": "Publisher", "tags": "Tag", "res_format": "Format",
                "license_id": "Licence", "groups": "Theme", "area": "Area covered"}
SORTS = {
    "relevance": "Relevance", "title": "Title A–Z", "-modified": "Recently updated",
    "-created": "Newest", "-rows": "Most rows",
}
T = TypeVar("T")


@dataclass
class SearchResult:
    datasets: list[Dataset]
    total: int
    facets: dict[str, list[dict]] = field(default_factory=dict)


def search(user, *, q: str = "", filters: dict[str, list[str]] | None = None,
           sort: str = "relevance", start: int = 0, rows: int = 20,
           facet_limit: int = 50) -> SearchResult:
    datasets = matching(user, q=q, filters=filters).select_related("organisation")
    datasets = list(datasets.prefetch_related("tags", "themes", "resources__current_version"))
    facets = _facets(datasets, facet_limit)
    datasets = _sorted(datasets, q.lower().split(), sort)
    return SearchResult(datasets=datasets[start:start + rows], total=len(datasets), facets=facets)


def matching(user, *, q: str = "", filters: dict[str, list[str]] | None = None
             ) -> QuerySet[Dataset]:
    """The datasets ``user`` may see that hold every word of ``q`` and pass ``filters``, as
    one query (not yet run), one row per dataset."""
    filters = {k: [v for v in vs if v] for k, vs in (filters or {}).items() if k in FACETS}
    datasets = visible_datasets(user)
    for word in q.lower().split():
        datasets = datasets.filter(search_text__contains=word)
    for name, values in filters.items():
        if values:
            datasets = datasets.filter(_facet_q(name, values))
    return datasets.distinct()


def datasets_in_area(user, geography: str, code: str) -> list[tuple[Dataset, int]]:
    """Visible datasets with rows in an area (live versions only), with the row counts; a
    dataset whose records are withheld only where its count is shown (``public_count``)."""
    counts = Counter()
    live = Resource.objects.filter(current_version__isnull=False).values_list("current_version",
                                                                               flat=True)
    for dataset_id, rows in VersionArea.objects.filter(
            geography=geography, code=code, version_id__in=live).values_list(
                "version__resource__dataset_id", "rows"):
        counts[dataset_id] += rows
    datasets = visible_datasets(user).filter(pk__in=counts).select_related("organisation")
    found = [(d, public_count(d, geography, code) if d.records_withheld else counts[d.pk])
             for d in datasets]
    return sorted(((d, n) for d, n in found if n is not None),
                  key=lambda dn: (-dn[1], dn[0].title))


def public_count(dataset: Dataset, geography: str, code: str) -> int | None:
    """Rows of a dataset whose records are withheld in an area as anyone may see them: the sum of its live
    versions' disclosure-controlled counts (files with rows placed), None when any part is
    hidden (their sum is shown, so every part must be safe) or the city is not loaded."""
    from commonground.places.cache import NotLoaded

    from .disclosure import public_counts

    versions = Version.objects.filter(
        pk__in=dataset.resources.filter(current_version__isnull=False).values("current_version"))
    total = 0
    try:
        for version in versions:
            if version.linked_rows:
                n = public_counts(version).count(geography, code)
                if n is None:
                    return None
                total += n
    except NotLoaded:
        return None
    return total


def _facet_q(name: str, values: list[str]) -> Q:
    if name == "organization":
        return Q(organisation__slug__in=values)
    if name == "tags":
        return Q(tags__name__in=values)
    if name == "res_format":
        return Q(resources__format__in=[v.lower() for v in values])
    if name == "license_id":
        return Q(licence__in=values)
    if name == "groups":
        return Q(themes__name__in=values)
    if name == "area":
        codes: dict[str, list[str]] = {}
        for value in values:
            geography, _, code = value.partition(":")
            codes.setdefault(geography, []).append(code)
        wanted = Q(pk__in=[])  # one IN per geography, not an OR per area (SQLite's depth limit)
        for geography, in_geography in codes.items():
            wanted |= Q(geography=geography, code__in=in_geography)
        live = Resource.objects.filter(current_version__isnull=False).values("current_version")
        ids = set(VersionArea.objects.filter(wanted, version__in=live).values_list(
            "version__resource__dataset_id", flat=True))
        areas = [value.partition(":")[::2] for value in values]
        for d in Dataset.objects.filter(Dataset.records_withheld_q(), pk__in=ids):
            if all(public_count(d, g, c) is None for g, c in areas):
                ids.discard(d.pk)
        return Q(pk__in=ids)
    raise ValueError(name)


def _facets(datasets: list[Dataset], limit: int) -> dict[str, list[dict]]:
    counts = {name: Counter() for name in FACETS}
    titles: dict[tuple[str, str], str] = {}
    for d in datasets:
        counts["organization"][d.organisation.slug] += 1
        titles[("organization", d.organisation.slug)] = d.organisation.name
        for t in d.tags.all():
            counts["tags"][t.name] += 1
        for t in d.themes.all():
            counts["groups"][t.name] += 1
            titles[("groups", t.name)] = t.title
        for fmt in {r.format for r in d.resources.all() if r.format}:
            counts["res_format"][fmt.upper()] += 1
        counts["license_id"][d.licence] += 1
        titles[("license_id", d.licence)] = licence(d.licence).title
    _area_facet(datasets, counts["area"], titles)
    return {name: [{"name": value, "display_name": titles.get((name, value), value), "count": n}
                   for value, n in sorted(c.items(), key=lambda vn: (-vn[1], vn[0]))[:limit]]
            for name, c in counts.items()}


def _area_facet(datasets: list[Dataset], counter: Counter, titles: dict) -> None:
    """Datasets per ward (the geography people know best; the city's smallest named one)."""
    # imported here, not at app loading: the loaded city needs SciPy and shapely (0.2 s)
    from commonground.places.cache import NotLoaded, city_state

    try:
        state = city_state()
    except NotLoaded:
        return
    geography = _named_geography(state)
    if not geography or not datasets:
        return
    live = Resource.objects.filter(dataset__in=[d.pk for d in datasets],
                                   current_version__isnull=False).values("current_version")
    pairs = set(VersionArea.objects.filter(geography=geography, version__in=live).values_list(
        "version__resource__dataset_id", "code"))
    people = {d.pk: d for d in datasets if d.records_withheld}
    pairs = {(d, code) for d, code in pairs
             if d not in people or public_count(people[d], geography, code) is not None}
    for _, code in pairs:
        counter[f"{geography}:{code}"] += 1
    for code in {c for _, c in pairs}:
        record = state.areas.get((geography, code))
        titles[("area", f"{geography}:{code}")] = record.display_name if record else code


def _named_geography(state) -> str | None:
    """The geography for the area facet: wards when the city has them, else the base."""
    for geography in state.profiled:
        if geography.startswith("ward"):
            return geography
    return state.base


def _sorted(datasets: list[Dataset], words: list[str], sort: str) -> list[Dataset]:
    if sort == "title":
        return sorted(datasets, key=lambda d: d.title.lower())
    if sort == "-modified":
        return sorted(datasets, key=lambda d: d.modified, reverse=True)
    if sort == "-created":
        return sorted(datasets, key=lambda d: d.created, reverse=True)
    if sort == "-rows":
        return sorted(datasets, key=lambda d: -_rows(d))
    return relevance_sorted(datasets, words, lambda d: [t.name for t in d.tags.all()])


def relevance_sorted(datasets: list[T], words: list[str],
                     tag_names: Callable[[T], Iterable[str]]) -> list[T]:
    """``datasets`` (or anything with their ``title`` and ``modified``) in relevance order:
    by :func:`score` for ``words`` (lower case), then by title; without words, the most
    recently modified first. ``tag_names`` gives a dataset's tags."""
    if not words:
        return sorted(datasets, key=lambda d: d.modified, reverse=True)
    return sorted(datasets, key=lambda d: (-score(d.title, tag_names(d), words), d.title.lower()))


def _rows(dataset: Dataset) -> int:
    if dataset.records_withheld:  # its total is for members; the shown city total is everyone's
        return public_count(dataset, "city", "") or 0
    return sum(r.current_version.row_count for r in dataset.resources.all()
               if r.current_version)


def score(title: str, tag_names: Iterable[str], words: list[str]) -> int:
    """Relevance to ``words`` (lower case, each in the dataset's search text): 3 for each
    word in the title, 2 for each in a tag, 1 for each word."""
    title = title.lower()
    tags = " ".join(tag_names).lower()
    return sum(3 * (w in title) + 2 * (w in tags) + 1 for w in words)
