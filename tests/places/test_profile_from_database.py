"""One command, one area: ``commonground places profile`` reads what the area's profile needs
from the database instead of loading the whole city, and prints exactly the profile the page
and the API give (``profiles.area_profile`` on the loaded city), for every kind of area: a
neighbourhood (with its parents and the older areas its figures are bridged from), an MSOA, a
ward and the authority (aggregates ranked among their peers), an area finer than the base
(the neighbourhood that contains it), and in a package of two authorities each authority and
a neighbourhood ranked within its authority."""

import json

import pytest

from commonground.cli import main
from commonground.places import profiles
from commonground.places.profile_from_database import area_profile_from_database

from .test_authorities import loaded_two, published, two_authorities  # noqa: F401 (fixtures)


def some_areas(state, geography: str) -> list[str]:
    """The first, middle and last area of a geography (code order), and the one with most
    members: ties, splits and the edges of the lists."""
    areas = state.by_geography[geography]
    picks = {areas[0].code, areas[len(areas) // 2].code, areas[-1].code}
    if geography != state.base:
        W = state.members(geography)
        picks.add(areas[int((W != 0).sum(axis=1).argmax())].code)
    return sorted(picks)


def test_every_kind_of_area_has_the_profile_the_pages_show(loaded):
    state = loaded
    finer = [g for g in state.by_geography if g not in state.profiled]
    assert state.base in state.profiled and len(state.profiled) >= 4  # LSOA, MSOA, ward, city
    assert finer  # output areas: no profile of their own, the neighbourhood containing them
    for geography in [*state.profiled, *finer]:
        for code in some_areas(state, geography):
            expected = profiles.area_profile(geography, code, state)
            assert area_profile_from_database(geography, code) == expected, (geography, code)


def test_a_neighbourhood_recoded_since_the_older_areas_has_its_parents_and_bridge(loaded):
    state = loaded
    bridged = next(code for code in state.position(state.base)
                   if any(d["bridge"] and not d["bridge"]["same_code"]
                          for d in profiles.area_profile(state.base, code, state)["deprivation"]))
    profile = area_profile_from_database(state.base, bridged)
    assert profile == profiles.area_profile(state.base, bridged, state)
    assert profile["parents"] and profile["deprivation"]


def test_the_command_prints_the_profile_read_from_the_database(loaded, capsys):
    ward = loaded.by_geography["ward"][0].code
    assert main(["places", "profile", "ward", ward]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(
        profiles.area_profile("ward", ward, loaded)))


def test_an_unknown_area_is_not_found(loaded):
    with pytest.raises(profiles.AreaNotFound, match="There is no ward with code 'E05999999'"):
        area_profile_from_database("ward", "E05999999")


def test_in_a_package_of_two_authorities_each_area_is_compared_as_on_its_page(loaded_two):  # noqa: F811
    from commonground.places import profile_store

    run, state = loaded_two
    assert profile_store.Store.open(run) is not None  # written by the load
    assert len(state.by_geography["lad"]) == 2
    for geography in state.profiled:
        for code in some_areas(state, geography):
            expected = profiles.area_profile(geography, code, state)
            assert area_profile_from_database(geography, code) == expected, (geography, code)
    lsoa = state.base_areas[0].code
    assert area_profile_from_database(state.base, lsoa)["compared_with"]["deprivation"]


def test_an_areas_decile_mix_is_its_row_of_every_areas(loaded):
    """A larger area's decile mix is computed from its own members alone (a command reads no
    more), and gives exactly its row of every area's mix computed at once."""
    from commonground.geography import aggregate

    state = loaded
    checked = 0
    for geography in (g for g in state.profiled if g != state.base):
        for code in some_areas(state, geography):
            for section in profiles.area_profile(geography, code, state)["deprivation"]:
                if not section["distribution"]:
                    continue
                source = next(i.source for i in state.indicators.values()
                              if i.source.name == section["source"]["name"])
                inds = sorted((i for i in state.indicators.values() if i.source_id == source.pk),
                              key=lambda i: i.order)
                decile = next(i for i in inds if i.kind == "decile" and i.label == section["distribution_domain"])
                values, _how = profiles._base_values(state, source.geography, [i.key for i in inds])
                people, residents, areas = aggregate.distributions(
                    state.members(geography), values[:, [i.key for i in inds].index(decile.key)],
                    state.population, profiles.DECILES)
                i = state.position(geography)[code]
                assert section["distribution"] == [
                    {"level": level, "areas": int(areas[i, k]), "residents": round(float(residents[i, k])),
                     "share": float(residents[i, k]) / people[i] if people[i] else None}
                    for k, level in enumerate(profiles.DECILES)], (geography, code)
                checked += 1
    assert checked >= 6


def test_with_its_load_s_store_a_profile_reads_only_its_own_rows(loaded, monkeypatch):
    """Each load keeps what profiles compare against (peers' ranks, the city's totals and
    decile mixes, each neighbourhood's authority, every geography's codes and indicator
    table) in its profile store, read by memory map: a profile then asks the database for
    its own area, its members' and parents' rows only — no indicator table, no geography's
    codes or memberships whole — in a few queries, and is still the page's."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from commonground.places import profile_store
    from commonground.places.profile_from_database import DatabaseCity

    state = loaded
    if profile_store.Store.open(state.run) is None:  # another test's load replaced it
        profile_store.build(state.run)

    def whole(*_args):
        raise AssertionError("read from the database whole")
    for method in ("_read_values", "_read_members", "id_codes"):
        monkeypatch.setattr(DatabaseCity, method, whole)
    for geography in state.profiled:
        for code in some_areas(state, geography):
            expected = profiles.area_profile(geography, code, state)
            with CaptureQueriesContext(connection) as queries:
                assert area_profile_from_database(geography, code) == expected, (geography, code)
            sql = [q["sql"] for q in queries.captured_queries]
            assert len(sql) <= 6, (geography, code, sql)
            assert not any("places_indicatortable" in q for q in sql)
            assert all(" WHERE " in q for q in sql if "places_area" in q), sql


def test_a_hub_upgraded_without_a_reload_builds_its_store_on_the_first_profile(loaded, data_dir):
    """A load made before profile stores were kept (or read on another machine, or with a
    store of an older layout) gives the same profile, and its first profile writes the
    store; reloading the unchanged package writes it too."""
    import shutil

    from commonground.places import profile_store
    from commonground.places.loading import load_places

    state = loaded
    ward = loaded.by_geography["ward"][0].code
    shutil.rmtree(profile_store.folder(state.run), ignore_errors=True)
    assert profile_store.Store.open(state.run) is None
    assert area_profile_from_database("ward", ward) == profiles.area_profile("ward", ward, state)
    assert profile_store.Store.open(state.run) is not None

    meta = profile_store.folder(state.run) / profile_store.META
    meta.write_text(meta.read_text().replace(f'"version": {profile_store.VERSION}', '"version": 0'))
    assert profile_store.Store.open(state.run) is None  # another layout: not read
    assert load_places(data_dir).skipped
    assert profile_store.Store.open(state.run) is not None


def test_a_large_areas_decile_mix_is_read_from_every_areas(loaded, monkeypatch):
    """An area of many neighbourhoods (a region, the country) reads its decile mix from its
    geography's, computed once per load: the same figures as counting its own members."""
    state = loaded
    counted = {g: {code: profiles.area_profile(g, code, state)["deprivation"] for code in some_areas(state, g)}
               for g in state.profiled if g != state.base}
    monkeypatch.setattr(profiles, "MIXES_FROM_MEMBERS", 0)
    assert any(d["distribution"] for areas in counted.values() for sections in areas.values() for d in sections)
    for g, areas in counted.items():
        for code, sections in areas.items():
            assert profiles.area_profile(g, code, state)["deprivation"] == sections, (g, code)
            assert area_profile_from_database(g, code)["deprivation"] == sections, (g, code)
