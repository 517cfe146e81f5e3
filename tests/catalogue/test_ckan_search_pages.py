"""CKAN package_search reads one page: only the datasets it returns are read whole, in any
sort order, while the count and the facets still cover every match.

Thirty published bus datasets of two publishers, with tags, themes and file formats, and a
private one; every test asks for pages of a few.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest

from commonground.accounts.models import Organisation
from commonground.catalogue.models import Dataset, Resource, Tag, Theme
from commonground.catalogue.services.searchtext import refresh_search_text

N = 30
SORTS = ["score desc, metadata_modified desc", "metadata_modified asc", "metadata_created desc",
         "name asc", "title_string desc", "score asc", "metadata_created asc, name desc"]


@pytest.fixture
def buses(council):
    """The datasets; each with its tags, theme, formats and publisher, by name."""
    other = Organisation.objects.create(slug="bus-co", name="Bus Company",
                                        kind=Organisation.Kind.BUSINESS)
    transport = Theme.objects.create(name="transport", title="Transport")
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    made = {}
    for i in range(N):
        dataset = Dataset.objects.create(
            name=f"bus-{i:02d}", title=f"{'Bus' if i % 2 else 'bus'} route {(i * 7) % N}",
            organisation=other if i % 3 == 0 else council, state=Dataset.State.PUBLISHED,
            licence="CC-BY-4.0" if i % 4 == 0 else "OGL-UK-3.0")
        tags = ["bus"] + (["timetable"] if i % 2 else []) + (["stops"] if i % 5 == 0 else [])
        dataset.tags.set([Tag.objects.get_or_create(name=t)[0] for t in tags])
        if i % 3 == 1:
            dataset.themes.set([transport])
        formats = ["csv"] if i % 2 else ["CSV", "geojson"]
        for position, fmt in enumerate(formats):
            Resource.objects.create(dataset=dataset, name=f"file {position}", format=fmt,
                                    position=position)
        refresh_search_text(dataset)
        # three datasets share each modified time, two each created time
        Dataset.objects.filter(pk=dataset.pk).update(
            modified=start + dt.timedelta(days=i // 3), created=start - dt.timedelta(days=i // 2))
        made[dataset.name] = {"tags": tags, "themes": ["transport"] if i % 3 == 1 else [],
                              "formats": {f.upper() for f in formats},
                              "organization": dataset.organisation.slug,
                              "license_id": dataset.licence}
    hidden = Dataset.objects.create(name="bus-private", title="Bus private", private=True,
                                    organisation=council, state=Dataset.State.PUBLISHED)
    hidden.tags.set([Tag.objects.get(name="bus")])
    refresh_search_text(hidden)
    return made


def search(client, **data) -> dict:
    params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in data.items()}
    response = client.get("/api/3/action/package_search", params)
    assert response.status_code == 200, response.content
    return json.loads(response.content)["result"]


@pytest.fixture
def datasets_read(monkeypatch):
    """How many Dataset objects the database gave Python (each one read whole)."""
    read = Counter()
    from_db = Dataset.from_db.__func__

    def counted(cls, db, field_names, values):
        read["datasets"] += 1
        return from_db(cls, db, field_names, values)

    monkeypatch.setattr(Dataset, "from_db", classmethod(counted))
    return read


@pytest.mark.parametrize("q", ["", "bus"])
@pytest.mark.parametrize("sort", SORTS)
def test_a_page_reads_only_its_own_datasets(client, buses, datasets_read, sort, q):
    result = search(client, q=q, sort=sort, rows=3, start=4)
    assert result["count"] == N
    assert len(result["results"]) == 3
    assert datasets_read["datasets"] == 3


@pytest.mark.parametrize("q", ["", "bus", "route"])
@pytest.mark.parametrize("sort", SORTS)
def test_pages_follow_one_another_in_every_order(client, buses, sort, q):
    whole = [d["name"] for d in search(client, q=q, sort=sort, rows=1000)["results"]]
    assert sorted(whole) == sorted(buses)
    pages = [d["name"] for start in range(0, N, 7)
             for d in search(client, q=q, sort=sort, rows=7, start=start)["results"]]
    assert pages == whole


def test_the_orders_are_what_they_say(client, buses):
    def names(sort):
        return [d["name"] for d in search(client, sort=sort, rows=1000)["results"]]

    assert names("name asc") == sorted(buses)
    by_created = [(d["metadata_created"], d["name"]) for d in search(
        client, sort="metadata_created asc, name desc", rows=1000)["results"]]
    assert by_created == sorted(by_created, key=lambda cn: (cn[0], [-ord(c) for c in cn[1]]))
    titles = [d["title"].lower() for d in search(client, sort="title_string desc",
                                                  rows=1000)["results"]]
    assert titles == sorted(titles, reverse=True)
    modified = [d["metadata_modified"] for d in search(client, rows=1000)["results"]]
    assert modified == sorted(modified, reverse=True)  # no words: newest first


def test_count_and_facets_cover_every_match_not_the_page(client, buses):
    fields = ["organization", "tags", "res_format", "license_id", "groups"]
    result = search(client, q="bus", fq="-tags:stops", rows=2, start=5,
                    **{"facet.field": fields, "facet.limit": -1})
    kept = [d for d in buses.values() if "stops" not in d["tags"]]
    assert result["count"] == len(kept)
    expected = {
        "organization": Counter(d["organization"] for d in kept),
        "tags": Counter(t for d in kept for t in d["tags"]),
        "res_format": Counter(f for d in kept for f in d["formats"]),
        "license_id": Counter(d["license_id"] for d in kept),
        "groups": Counter(t for d in kept for t in d["themes"]),
    }
    assert result["facets"] == {f: dict(expected[f]) for f in fields}
    items = result["search_facets"]["organization"]["items"]
    assert [i["count"] for i in items] == sorted((i["count"] for i in items), reverse=True)
    assert {i["name"]: i["display_name"] for i in items} == {
        "mk-council": "Milton Keynes City Council", "bus-co": "Bus Company"}
    assert search(client, q="bus", rows=0, **{"facet.field": ["tags"], "facet.limit": 1})[
        "facets"] == {"tags": {"bus": N}}


def test_an_area_filter_naming_thousands_of_areas_still_finds_the_data(
        loaded, make_dataset, ingest_path, data_dir):
    # one OR clause per area made SQLite refuse the query ("Expression tree is too large")
    from django.contrib.auth.models import AnonymousUser

    from commonground.catalogue.services.search import matching

    libraries = make_dataset("libraries", title="Public libraries")
    ingest_path(libraries, data_dir / "points/mk_public_libraries_dcms_2023.geojson")
    area = libraries.resources.get().current_version.areas.filter(geography="ward").first()
    wanted = [f"lsoa21:E01{n:06d}" for n in range(2000)] + [f"ward:{area.code}"]
    assert list(matching(AnonymousUser(), filters={"area": wanted})) == [libraries]
    assert not matching(AnonymousUser(), filters={"area": wanted[:2000]}).exists()
