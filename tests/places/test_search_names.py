"""Find a place by the name people use, on the real city: ward and neighbourhood names, a
postcode sector ("MK2 2") or district ("MK2"), a typo ("bletchly"), one result per place with
the current boundaries first; and every form that asks for a place reads it by the same rule.

What the data package holds decides: the House of Commons Library's neighbourhood names (role
``area-names``) name MSOAs; it has no gazetteer of estates or localities, and its addresses
name "Netherfield" (``test_localities``) but not "Fenny Stratford", which the search must say
it cannot find rather than guess a place that only looks alike ("Stony Stratford")."""

from __future__ import annotations

import datetime
from collections import Counter

import pytest

from commonground.places import names, search
from commonground.places.lookup import search_from_database
from commonground.places.models import Postcode

pytestmark = pytest.mark.django_db


def live_postcodes(loaded, district: str, sector: str | None = None) -> dict[str, int]:
    """Reference: the city's postcodes in use in a district (or one of its sectors), read one
    at a time from their published form ("MK2 2HB"), counted by base area code."""
    held = Counter()
    for row in Postcode.objects.filter(terminated=False).select_related("area"):
        outward, inward = row.postcode.split(" ")
        if outward == district and (sector is None or inward[0] == sector) and row.area:
            held[row.area.code] += 1
    return held


def best_fit_ward(loaded, base_code: str):
    position = loaded.position(loaded.base)[base_code]
    j = int(loaded.parents("ward")[position])
    return loaded.by_geography["ward"][j]


def kinds(result) -> list[tuple[str, str]]:
    return [(a["geography"], a["code"]) for a in result.areas]


def test_a_postcode_sector_lists_the_wards_and_neighbourhoods_holding_its_postcodes(loaded):
    held = live_postcodes(loaded, "MK2", "2")
    assert held, "the real city has postcodes in MK2 2"
    wards = Counter()
    for code, n in held.items():
        wards[best_fit_ward(loaded, code).code] += n
    found = search.search_areas("mk2  2", loaded)
    assert found.postcode_area["kind"] == "postcode sector"
    assert found.postcode_area["text"] == "MK2 2"
    assert found.postcode_area["postcodes"] == sum(held.values())
    listed = kinds(found)
    assert [c for g, c in listed if g == "ward"] == sorted(wards, key=lambda c: (-wards[c], c))
    assert [c for g, c in listed if g == loaded.base] == sorted(held, key=lambda c: (-held[c], c))
    assert listed[:len(wards)] == [("ward", c) for c in sorted(wards, key=lambda c: (-wards[c], c))]
    top = loaded.areas[("ward", found.postcode_area["ward"]["code"])]
    summary = found.postcode_area["summary"]
    assert summary.startswith("MK2 2 is a postcode sector")
    assert f"{sum(held.values()):,} postcodes in use" in summary and top.name in summary
    assert f"{len(held)} neighbourhoods" in summary


def test_a_postcode_district_covers_its_sectors_and_no_longer_district(loaded):
    held = live_postcodes(loaded, "MK2")
    found = search.search_areas("MK2", loaded)
    assert found.postcode_area["kind"] == "postcode district"
    assert found.postcode_area["postcodes"] == sum(held.values())
    assert {c for g, c in kinds(found) if g == loaded.base} == set(held)
    # MK2's sectors together are the district
    sectors = sum(search.search_areas(f"MK2 {d}", loaded).postcode_area["postcodes"] for d in "0123456789")
    assert sectors == sum(held.values())


def test_a_sector_typed_without_its_space_is_the_sector_when_no_district_has_that_name(loaded):
    joined = search.search_areas("mk63", loaded)
    assert joined.postcode_area == search.search_areas("MK6 3", loaded).postcode_area
    assert joined.postcode_area["text"] == "MK6 3"
    assert search.search_areas("MK10", loaded).postcode_area["text"] == "MK10"  # a district of its own
    assert search_from_database("mk63") == joined


def test_a_district_the_city_does_not_have_says_so_in_plain_words(loaded, client):
    found = search.search_areas("MK99", loaded)
    assert found.areas == [] and found.postcode_area["postcodes"] == 0
    page = client.get("/places/search", {"q": "MK99"})
    assert page.status_code == 404
    assert "MK99 is not a postcode district with postcodes in use" in page.content.decode()


def test_a_typo_finds_the_place_it_nearly_spells(loaded):
    found = search.search_areas("bletchly", loaded)
    assert found.corrected == "bletchley"
    assert found.areas and found.areas == search.search_areas("bletchley", loaded).areas
    assert found.areas[0]["geography"] == "ward" and "Bletchley" in found.areas[0]["name"]
    two_words = search.search_areas("Stony Stratferd", loaded)
    assert two_words.corrected == "stony stratford"
    assert two_words.areas[0]["name"] == "Stony Stratford"
    kept = search.search_areas("Woughton &  Fishermed", loaded)  # what is not a word stays
    assert kept.corrected == "woughton & fishermead" and kept.areas[0]["name"] == "Woughton & Fishermead"
    assert search.search_areas("Miltn Keynes 030B", loaded).areas[0]["name"] == "Milton Keynes 030B"


@pytest.mark.parametrize("query", ["Fenny Stratford"])
def test_a_locality_no_name_in_the_data_holds_is_not_guessed(loaded, client, query):
    """Not the name of any area, nor in the House of Commons Library's names, nor in the
    package's addresses: no result, rather than Stony Stratford for sharing a word; the
    page suggests a postcode."""
    found = search.search_areas(query, loaded)
    assert found.areas == [] and found.corrected is None
    page = client.get("/places/search", {"q": query})
    assert page.status_code == 404
    assert "a postcode or its first part (for example MK2 2)" in page.content.decode()


def test_every_ward_is_found_first_by_its_name(loaded):
    for ward in loaded.by_geography["ward"]:
        found = search.search_areas(ward.name.lower(), loaded)
        assert (found.areas[0]["geography"], found.areas[0]["code"]) == ("ward", ward.code)


def test_a_neighbourhood_name_finds_its_area(loaded):
    named = [r for r in loaded.by_geography[loaded.base.replace("lsoa", "msoa")] if r.friendly_name]
    assert named, "the House of Commons Library names the city's MSOAs"
    for record in named:
        found = search.search_areas(record.friendly_name, loaded)
        assert (record.geography, record.code) in kinds(found)


def test_one_result_per_place(loaded):
    """An area kept unchanged from 2011 (the same code in both vintages) is listed once, as
    the current one; an area of 2011 that was split is still found, after the current ones."""
    for query in ("Milton Keynes", "milton keynes 0", "a", "Bletchley", "keynes 01"):
        found = search.search_areas(query, loaded)
        places = Counter((g.rstrip("0123456789"), c) for g, c in kinds(found))
        assert max(places.values()) == 1, query
    current = {a.code for a in loaded.by_geography["lsoa21"]}
    kept = next(a for a in loaded.by_geography["lsoa11"] if a.code in current)
    assert kinds(search.search_areas(kept.code, loaded)) == [("lsoa21", kept.code)]
    split = next(a for a in loaded.by_geography["lsoa11"] if a.code not in current)
    assert kinds(search.search_areas(split.code, loaded)) == [("lsoa11", split.code)]


def test_an_older_vintage_is_mentioned_only_when_its_name_differs(loaded):
    from dataclasses import replace

    current = {a.code for a in loaded.by_geography["lsoa21"]}
    old = next(a for a in loaded.by_geography["lsoa11"] if a.code in current)
    new = loaded.areas[("lsoa21", old.code)]
    assert search.superseded([old, new]) == {0: new}
    assert "older" not in search.result_ref(new, old)
    renamed = replace(old, name="Old name 001A")
    assert search.result_ref(new, renamed)["older"]["name"] == "Old name 001A"


def test_current_boundaries_come_before_2011(loaded):
    current = {a.code for a in loaded.by_geography["lsoa21"]}
    split = next(a for a in loaded.by_geography["lsoa11"] if a.code not in current)
    found = kinds(search.search_areas(split.name[:-1], loaded))  # "Milton Keynes 011": its MSOA's LSOAs
    lsoas = [g for g, _ in found if g.startswith("lsoa")]
    assert "lsoa11" in lsoas and "lsoa21" in lsoas
    assert lsoas == sorted(lsoas, key=lambda g: g != "lsoa21")


@pytest.mark.parametrize("query", ["bletchly", "MK2 2", "MK2", "MK99", "Fenny Stratford",
                                   "Bletchley East", "keynes 01", "Stony Stratferd"])
def test_the_command_line_search_gives_the_same_answer(loaded, query):
    assert search_from_database(query) == search.search_areas(query, loaded)


def test_the_search_page_explains_a_sector_and_a_typo(loaded, client):
    sector = client.get("/places/search", {"q": "MK2 2"}).content.decode()
    assert "MK2 2 is a postcode sector" in sector and "Places holding postcodes in MK2 2" in sector
    typo = client.get("/places/search", {"q": "bletchly"}).content.decode()
    assert "No place is called “bletchly”" in typo and "match “bletchley”" in typo


def test_the_api_and_the_command_line_say_the_same(loaded, client, capsys):
    from commonground.cli import main

    body = client.get("/api/places/search", {"q": "MK2 2"}).json()
    assert body["postcode_area"] == search.search_areas("MK2 2", loaded).postcode_area
    assert body["areas"][0]["geography"] == "ward"
    assert client.get("/api/places/search", {"q": "bletchly"}).json()["corrected"] == "bletchley"
    assert main(["places", "search", "MK2 2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("MK2 2 is a postcode sector") and "Bletchley East" in out
    assert main(["places", "search", "MK99"]) == 3
    assert "MK99 is not a postcode district" in capsys.readouterr().err


# -- the one rule of every form that asks for a place -------------------------------------

def sector_ward(loaded, district: str, sector: str) -> str:
    wards = Counter()
    for code, n in live_postcodes(loaded, district, sector).items():
        wards[best_fit_ward(loaded, code).code] += n
    return sorted(wards, key=lambda c: (-wards[c], c))[0]


def test_a_form_reads_a_partial_postcode_as_its_best_fit_ward(loaded):
    assert names.check_places("MK6 3") == [sector_ward(loaded, "MK6", "3")]
    full = Postcode.objects.filter(terminated=False).exclude(area=None).select_related("area").first()
    assert names.check_places(full.postcode.lower()) == [full.area.code]


def test_a_form_reads_a_clear_typo_and_lists_the_candidates_of_an_unclear_one(loaded):
    ward = next(w for w in loaded.by_geography["ward"] if w.name == "Bletchley East")
    assert names.check_places("bletchly east") == [ward.code]
    with pytest.raises(names.PlaceError) as unclear:
        names.check_places("bletchly")
    message = str(unclear.value)
    assert message.startswith("Places: “bletchly” (read as “bletchley”) could be")
    assert "Bletchley East (Ward)" in message and "Bletchley West (Ward)" in message
    with pytest.raises(names.PlaceError, match="“Fenny Stratford” is not a place"):
        names.check_places("Fenny Stratford")
    with pytest.raises(names.PlaceError, match="“MK99” is not a place"):
        names.check_places("MK99")


def test_a_pack_a_consultation_and_a_request_accept_the_same_places(loaded, council, django_user_model):
    from commonground.accounts.models import Membership
    from commonground.community import services as requests
    from commonground.consultations import services as consultations
    from commonground.evidence import services as packs

    ward = sector_ward(loaded, "MK6", "3")
    assert packs.find_place("MK6 3").code == ward
    with pytest.raises(packs.PackError, match="could be"):
        packs.find_place("bletchly")

    officer = django_user_model.objects.create_user("officer", password="pw-of-1")
    Membership.objects.create(user=officer, organisation=council, role=Membership.Role.EDITOR)
    today = datetime.date.today()
    made = consultations.open_consultation(
        officer, organisation=council, title="Chargers", text="Where?", easy_read="Where?",
        places="bletchly east, MK6 3", opens=today, closes=today + datetime.timedelta(days=9),
        questions=["Which streets?"])
    bletchley_east = next(w.code for w in loaded.by_geography["ward"] if w.name == "Bletchley East")
    assert made.area_codes == [bletchley_east, ward]
    with pytest.raises(consultations.InputError, match="could be"):
        consultations.open_consultation(
            officer, organisation=council, title="Chargers", text="Where?", easy_read="Where?",
            places="bletchly", opens=today, closes=today + datetime.timedelta(days=9))

    asked = requests.ask(officer, title="Bus stops", description="Where are they?",
                         organisation=council, places="MK6 3")
    assert asked.area_codes == [ward]
    with pytest.raises(requests.RequestError, match="could be"):
        requests.ask(officer, title="Bus stops", description="Where?", organisation=council,
                     places="bletchly")


def test_the_energy_form_asks_for_the_whole_postcode_given_its_first_part(loaded):
    """A home's estimate needs its postcode: a sector is several neighbourhoods, so the form
    says so instead of calling it "not a postcode"."""
    from commonground.energy.services import HomeInputError, postcode_place

    held = live_postcodes(loaded, "MK6", "3")
    with pytest.raises(HomeInputError) as partial:
        postcode_place("mk6 3")
    assert partial.value.field == "postcode"
    assert str(partial.value) == (f"Postcode: MK6 3 is only the first part of a postcode, shared by "
                                  f"{len(held)} neighbourhoods; type all of yours, such as MK9 3EJ, "
                                  "or choose your neighbourhood on the map")
