"""Harvesting a CKAN portal: a round trip through our own CKAN API, and the rules it follows.

The round trip serves the hub with ``live_server`` and harvests it *into itself*: the
council's published datasets come back as harvested copies (``harvest_source`` = the
portal URL) named ``<organisation>-<name>``, because the originals hold the plain names.
The copies must carry the same titles, tags, themes, organisation, licence, row counts and
rows, and the very same files (SHA-256 of the original). A second harvest, run through the
``commonground harvest`` command, must change nothing: no dataset, no version; the copies
themselves (listed by the portal too) are skipped. A resource whose URL is broken is
reported and the harvest goes on; without ``allow_private`` the loopback portal's files are
refused.
"""

from __future__ import annotations

import pytest

from commonground.accounts.models import Organisation
from commonground.catalogue.models import Dataset, Resource, Version
from commonground.catalogue.services.harvest import (
    HarvestError,
    _free_name,
    harvest_ckan,
    map_licence,
)
from commonground.datastore import query

from .test_ckan_api import ORG, build_hub


@pytest.mark.parametrize(("package", "expected"), [
    ({"license_id": "OGL-UK-3.0"}, "OGL-UK-3.0"),
    ({"license_id": "ogl-uk-3.0"}, "OGL-UK-3.0"),
    ({"license_id": "uk-ogl", "isopen": True}, "OGL-UK-3.0"),
    ({"license_id": "cc-zero"}, "CC0-1.0"),
    ({"license_id": "odc-odbl"}, "ODbL-1.0"),
    ({"license_id": "CC-BY-SA-4.0"}, "CC-BY-SA-4.0"),
    ({"license_id": "cc-by", "isopen": True}, "other-open"),
    ({"license_id": "cc-nc", "isopen": False}, "other-closed"),
    ({"license_id": ""}, "notspecified"),
    ({}, "notspecified"),
])
def test_licences_are_mapped_never_guessed(package, expected):
    assert map_licence(package) == expected


def test_a_clashing_name_gets_the_organisation_prefix_then_a_number(db):
    council = Organisation.objects.create(slug="bucks", name="Buckinghamshire Council",
                                          kind=Organisation.Kind.COUNCIL)
    assert _free_name("bus-stops", "bucks") == "bus-stops"
    Dataset.objects.create(name="bus-stops", title="Bus stops", organisation=council)
    assert _free_name("bus-stops", "bucks") == "bucks-bus-stops"
    Dataset.objects.create(name="bucks-bus-stops", title="Bus stops", organisation=council)
    assert _free_name("bus-stops", "bucks") == "bucks-bus-stops-2"


def test_an_unknown_organisation_kind_is_refused(db):
    with pytest.raises(ValueError, match="unknown organisation kind"):
        harvest_ckan("http://127.0.0.1:9", organisation_kind="guild")


def test_a_portal_that_cannot_be_reached_is_one_clear_error(db):
    with pytest.raises(HarvestError, match="cannot search the CKAN portal"):
        harvest_ckan("http://127.0.0.1:9")  # the discard port: nothing listens


def _data_rows(version: Version) -> list[dict]:
    names = [c["name"] for c in version.schema]
    return query.run(version.parquet_path, query.RowQuery(fields=names, limit=32_000)).rows


@pytest.mark.live
def test_harvest_round_trip_through_our_own_ckan_api(live_server, transactional_db, data_dir,
                                                     capsys, load_city_again):
    from commonground.cli import main

    load_city_again(data_dir)  # live_server tests start from an empty database
    hub = build_hub(data_dir / "points")
    broken = Dataset.objects.create(name="bus-stops", title="Bus stops",
                                    organisation=hub.council, state=Dataset.State.PUBLISHED)
    Resource.objects.create(dataset=broken, name="Bus stops", kind=Resource.Kind.URL,
                            url=f"{live_server.url}/no-such-file.csv")
    url = live_server.url
    lines: list[str] = []

    report = harvest_ckan(url, allow_private=True, progress=lines.append)

    assert sorted(report.datasets_created) == [f"{ORG}-bus-stops", f"{ORG}-gp-practices",
                                               f"{ORG}-schools"]
    assert report.datasets_updated == [] and report.datasets_skipped == []
    assert report.organisations_created == []  # the council exists: reused as it is
    assert len(report.resources_ingested) == 2 and report.resources_unchanged == []
    [failure] = report.resources_failed
    assert (failure.dataset, failure.url) == (f"{ORG}-bus-stops", f"{url}/no-such-file.csv")
    assert "404" in failure.error
    assert not report.ok and any("failed" in line for line in lines)

    for original in (hub.gp, hub.schools):
        copy = Dataset.objects.get(harvest_source=url, harvest_id=str(original.id))
        assert copy.name == f"{ORG}-{original.name}"
        assert (copy.title, copy.notes, copy.organisation, copy.licence, copy.frequency) == (
            original.title, original.notes, original.organisation, original.licence,
            original.frequency)
        assert copy.state == Dataset.State.PUBLISHED and not copy.private
        assert sorted(t.name for t in copy.tags.all()) == sorted(
            t.name for t in original.tags.all())
        assert sorted(t.name for t in copy.themes.all()) == sorted(
            t.name for t in original.themes.all())
        assert copy.source.startswith(f"Harvested from the CKAN portal {url}")
        source, harvested = hub.resource(original), copy.resources.get()
        assert harvested.kind == Resource.Kind.HARVEST and harvested.name == source.name
        assert harvested.url.startswith(f"{url}/datasets/{original.name}/resources/")
        theirs, ours = source.current_version, harvested.current_version
        assert ours.original_sha256 == theirs.original_sha256
        assert ours.row_count == theirs.row_count and ours.schema == theirs.schema
        assert _data_rows(ours) == _data_rows(theirs)
        assert copy.search_text, "harvested datasets are findable"
    assert not Dataset.objects.filter(harvest_source=url, name__contains="librar").exists()

    # Again, through the command line: nothing new; the portal's listing of the copies
    # themselves is skipped.
    datasets, versions = Dataset.objects.count(), Version.objects.count()
    assert main(["harvest", "ckan", url, "--allow-private"]) == 4  # the broken link again
    out = capsys.readouterr().out
    assert "0 datasets created, 3 updated, 3 skipped" in out
    assert "2 unchanged, 1 failed" in out
    assert (Dataset.objects.count(), Version.objects.count()) == (datasets, versions)

    # Without allow_private the loopback portal's files are refused, and nothing changes.
    refused = harvest_ckan(url)
    assert len(refused.resources_failed) == 3
    assert all("refused" in f.error for f in refused.resources_failed)
    assert (Dataset.objects.count(), Version.objects.count()) == (datasets, versions)
