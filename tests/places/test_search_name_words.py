"""A typo search on the command line reads the names' words from the load's small file
(``name_words_store``), written at load, not the names of every area (161,000 on England):
the same answers as reading the database, with the file, without it (the first typo search
writes it) and when it cannot be written; places added to the gazetteer since are seen."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from commonground.places import name_words_store, search
from commonground.places.lookup import search_from_database
from commonground.places.models import Area, LoadRun, PlaceName

pytestmark = pytest.mark.django_db

TYPOS = ["bletchly", "Stony Stratferd", "Woughton &  Fishermed", "Miltn Keynes 030B", "wolvertn",
         "newport pagnel", "Fenny Stratford", "zzzzzzzz"]


def latest() -> LoadRun:
    return LoadRun.objects.order_by("-started", "-id").first()


def answers() -> list:
    return [search_from_database(query) for query in TYPOS]


@pytest.fixture
def datastore(settings, tmp_path):
    """A datastore folder of its own, holding no file yet."""
    settings.COMMONGROUND_DATASTORE = tmp_path / "datastore"
    return settings.COMMONGROUND_DATASTORE


def test_a_load_keeps_its_names_words_and_a_typo_search_reads_no_names(loaded, monkeypatch):
    run = latest()
    file = name_words_store.path(run)
    assert file.is_file(), "the session's load wrote the file"
    assert name_words_store.vocabulary(run) == name_words_store.from_database(run)
    assert {"bletchley", "stratford", "fishermead", "wolverton"} <= name_words_store.vocabulary(run)
    with_file = answers()

    def no_names(run):
        raise AssertionError("a typo search read every area's names")

    monkeypatch.setattr(name_words_store, "from_database", no_names)
    assert answers() == with_file
    corrected = search_from_database("bletchly")
    assert corrected.corrected == "bletchley" and corrected.areas
    # the loaded city's search (pages, API) gives the same answers
    assert with_file == [search.search_areas(query, loaded) for query in TYPOS]


def test_the_same_answers_without_the_file_and_the_first_typo_search_writes_it(loaded, datastore):
    run = latest()
    assert not name_words_store.path(run).exists()
    first = answers()  # reads the database, writes the file
    assert name_words_store.path(run).is_file()
    assert answers() == first == [search.search_areas(query, loaded) for query in TYPOS]
    assert [p.name for p in name_words_store.path(run).parent.iterdir()] == [name_words_store.path(run).name]


def test_a_folder_that_cannot_be_written_loses_only_speed(loaded, settings, tmp_path, caplog):
    in_the_way = tmp_path / "a file"
    in_the_way.write_text("not a folder")
    settings.COMMONGROUND_DATASTORE = in_the_way / "datastore"
    assert answers() == [search.search_areas(query, loaded) for query in TYPOS]
    assert "could not be written" in caplog.text


def test_a_file_half_written_is_never_read(loaded, datastore, monkeypatch):
    """A write stopped before its rename leaves neither a final file nor its scratch; a file
    of another layout or another load is written again."""
    run = latest()

    def stopped(src, dst):
        raise OSError("stopped before the rename")

    with monkeypatch.context() as m:
        m.setattr(os, "replace", stopped)
        expected = answers()
    assert not name_words_store.path(run).parent.exists() or not any(name_words_store.path(run).parent.iterdir())
    for stale in ('{"version": 0, "words": []}', "{not json", '{"version": 1, "run": [0, "x"], "words": []}'):
        name_words_store.path(run).parent.mkdir(parents=True, exist_ok=True)
        name_words_store.path(run).write_text(stale)
        assert answers() == expected
        assert name_words_store.vocabulary(run) == name_words_store.from_database(run)


def test_places_added_to_the_gazetteer_since_the_file_was_written_are_seen(loaded, datastore):
    run = latest()
    assert search_from_database("quarryfeld").areas == []  # writes the file
    base = Area.objects.filter(geography=run.base_geography).order_by("code").first()
    PlaceName.objects.create(name="Quarryfield", kind="locality", area=base, easting=base.easting,
                             northing=base.northing)
    found = search_from_database("quarryfeld")
    assert found.corrected == "quarryfield"
    assert [a["place"]["name"] for a in found.areas] == ["Quarryfield"]
    assert "quarryfield" in name_words_store.vocabulary(run)


def test_a_load_of_an_unchanged_package_writes_a_missing_file(loaded, datastore, data_dir):
    from commonground.places.loading import load_places

    result = load_places(data_dir)
    assert result.skipped
    assert Path(name_words_store.path(result.run)).is_file()


@pytest.mark.parametrize("listed", [0, 500, 10**6])
def test_the_other_vintages_of_the_areas_found_are_read_by_code_or_by_a_second_scan_alike(
        loaded, monkeypatch, listed):
    """A search lists an older area a newer vintage keeps once, as the newer: the command
    line finds those other vintages by the codes of the areas found (a few) or by searching
    again (many), with the same answer as the pages; a typo finds none and reads none."""
    from commonground.places import lookup

    monkeypatch.setattr(lookup, "KIN_CODES_LISTED", listed)
    for query in ("Milton Keynes", "milton keynes 0", "a", "Bletchley", "keynes 01", "E01016710", *TYPOS):
        assert search_from_database(query) == search.search_areas(query, loaded), (listed, query)
