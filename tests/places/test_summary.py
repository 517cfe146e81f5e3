"""A place in plain words: the sentences and key figures an area page opens with, the natural
order of categories and their plain names (``places.summary``, ``geography.plain``)."""

from __future__ import annotations

import csv
import re

import pytest

from commonground.activity.readability import EASY_READ_AGE, measure
from commonground.geography.plain import category_number, natural_order, plain, topic
from commonground.places import summary
from commonground.places.records import AreaRecord

# -- natural order and plain names (pure) --------------------------------------------------

OCCUPANCY_AS_PUBLISHED = ["+1 (under-occupied)", "+2 or more (under-occupied)", "-1 (overcrowded)",
                          "-2 or less (overcrowded)", "0 (ideal)"]
HOUSEHOLD_DEPRIVATION_AS_PUBLISHED = [
    "Household is deprived in four dimensions", "Household is deprived in one dimension",
    "Household is deprived in three dimensions", "Household is deprived in two dimensions",
    "Household is not deprived in any dimension"]


def test_categories_come_in_their_natural_order_not_the_file_s():
    assert natural_order(OCCUPANCY_AS_PUBLISHED) == [
        "-2 or less (overcrowded)", "-1 (overcrowded)", "0 (ideal)", "+1 (under-occupied)",
        "+2 or more (under-occupied)"]
    assert [category_number(c) for c in natural_order(HOUSEHOLD_DEPRIVATION_AS_PUBLISHED)] == [0, 1, 2, 3, 4]


def test_unknown_categories_are_ordered_by_their_numbers_or_left_as_published():
    assert natural_order(["3 or more rooms", "No rooms", "1 room", "2 rooms"]) == \
        ["No rooms", "1 room", "2 rooms", "3 or more rooms"]
    as_published = ["Zebra crossing", "Apple", "2 things"]  # not every one carries a number
    assert natural_order(as_published) == as_published


def test_not_answered_ends_a_table_even_where_the_file_puts_it_first():
    assert natural_order(["Not answered", "Straight or Heterosexual", "Bisexual"])[-1] == "Not answered"


def test_plain_names_keep_unknown_wording_and_read_age_bands():
    assert plain("+1 (under-occupied)").name == "One spare bedroom"
    assert plain("Social rented: Rents from council or Local Authority").phrase == "rent from the council"
    assert plain("Ruc").name == "Urban or rural"
    assert plain("Aged 16 to 24 years").name == "Aged 16 to 24"
    assert plain("Aged 65 years and over").phrase == "are aged 65 or over"
    assert plain("Something new").name == "Something new" and not plain("Something new").phrase
    assert topic("Census 2021 TS052: occupancy rating (bedrooms)") == "Bedrooms: too few or spare"
    assert topic("A table nobody named") == "A table nobody named"


# -- the rules of the sentences (pure, on small profiles) -----------------------------------

@pytest.mark.parametrize("n,said", [(1997, "2,000"), (1563, "1,600"), (787, "790"), (8, "8"),
                                    (287067, "290,000")])
def test_counts_are_rounded_to_two_significant_figures(n, said):
    assert summary.about(n) == said


@pytest.mark.parametrize("n,said", [(1, "1st"), (2, "2nd"), (12, "12th"), (43, "43rd"), (111, "111th"),
                                    (12226, "12,226th")])
def test_ranks_are_said_as_ordinals_with_thousands_marked(n, said):
    assert summary.ordinal(n) == said


def test_the_other_name_is_read_back_as_area_records_write_it():
    record = AreaRecord(1, "msoa21", "E02003488", "Milton Keynes 030", "Bletchley East", 0, 0)
    assert summary.split_name(record.display_name) == ("Bletchley East", "Milton Keynes 030")
    bare = AreaRecord(2, "lsoa21", "E01016710", "Milton Keynes 030A", "", 0, 0)
    assert summary.split_name(bare.display_name) == ("", "Milton Keynes 030A")


def _row(label, count, total, city_count, city_total):
    share, city_share = count / total, city_count / city_total
    return {"label": label, "count": count, "share": share, "city_count": city_count,
            "city_share": city_share, "difference_pp": (share - city_share) * 100}


def _profile(rows, unit="households", title="Census 2021 TS054: tenure", decile=4, code="E01000001"):
    total = 1000
    return {"area": {"geography": "lsoa21", "code": code, "name": "Somewhere 001A"},
            "city": {"name": "Town", "code": "E06000000"}, "members_total": 0, "parents": [],
            "population": 2345.0,
            "deprivation": [{"title": "Indices of Deprivation 2025", "aggregate": False, "bridge": None,
                             "rows": [{"domain": "Index of Multiple Deprivation", "rank": 9000, "decile": decile,
                                       "city_rank": 3, "city_rank_of": 50}]}],
            "tables": [{"title": title, "unit": unit, "total": total, "bridged": False, "rows": rows}]}


def test_a_difference_from_the_city_is_said_only_when_it_is_clear():
    council = "Social rented: Rents from council or Local Authority"
    clear = summary.describe(_profile([_row(council, 250, 1000, 1000, 10000)]))
    assert ("More households here rent from the council (25%) than in all of Town (10%)."
            in clear["sentences"])
    # 4 points apart: not clear, however many households
    small_gap = summary.describe(_profile([_row(council, 140, 1000, 1000, 10000)]))
    assert not any("than in all of" in s for s in small_gap["sentences"])
    # 6 points apart but only a few households from what the city's share would give
    few = _profile([_row(council, 16, 100, 1000, 10000)])
    few["tables"][0]["total"] = 100
    assert not any("than in all of" in s for s in summary.describe(few)["sentences"])


def test_who_people_are_is_shown_in_tables_but_never_summarised():
    ethnic = _profile([_row("White", 900, 1000, 5000, 10000)], unit="residents",
                      title="Census 2021 TS021: ethnic group")
    text = " ".join(summary.describe(ethnic)["sentences"])
    assert "White" not in text and "than in all of" not in text


@pytest.mark.parametrize("decile,words", [(1, "most deprived 10%"), (4, "most deprived 40%"),
                                          (6, "least deprived 50%"), (10, "least deprived 10%")])
def test_a_neighbourhood_says_its_national_decile_in_words(decile, words):
    said = summary.describe(_profile([], decile=decile))["sentences"]
    assert f"It is in the {words} of areas in England." in said


def test_the_city_itself_is_never_compared_with_itself():
    council = "Social rented: Rents from council or Local Authority"
    city = _profile([_row(council, 1000, 10000, 1000, 10000)], code="E06000000")
    text = " ".join(summary.describe(city)["sentences"])
    assert "than in all of" not in text and "About 10% of households here rent from the council." in text


def test_an_area_too_small_for_figures_has_no_sentences():
    tiny = {"area": {"geography": "oa11", "code": "E00000001", "name": "E00000001"},
            "city": {"name": "Town", "code": "E06000000"}, "note": "Figures are not published for areas this small.",
            "tables": [], "deprivation": []}
    assert summary.describe(tiny)["sentences"] == [] and summary.describe(tiny)["key_figures"] == []


def test_hard_optional_sentences_are_left_out_until_it_reads_easily():
    opening = ["About 2,000 people live here.", "It is small."]
    hard = "Notwithstanding considerable administrative complications, comprehensive regeneration continues."
    kept = summary.easy_enough(opening, ["Cats sit.", hard, "Dogs run."], [summary.CLOSE_NOT_EXACT])
    assert hard not in kept and kept[:2] == opening and kept[-1] == summary.CLOSE_NOT_EXACT
    assert measure(" ".join(kept)).reading_age <= EASY_READ_AGE


# -- every area of the real city -------------------------------------------------------------

def read_csv(data_dir, relative):
    with open(data_dir / relative, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def every_profile(loaded):
    from commonground.places import profiles

    def each(geography):
        for record in loaded.by_geography[geography]:
            yield record.code, profiles.area_profile(geography, record.code, loaded)
    return each


@pytest.mark.parametrize("geography", ["lsoa21", "msoa21", "ward", "lad", "lsoa11", "msoa11"])
def test_every_area_opens_with_five_to_eight_sentences_a_reader_of_11_can_read(every_profile, geography):
    seen = 0
    for code, profile in every_profile(geography):
        said = summary.describe(profile)
        sentences = said["sentences"]
        assert summary.MIN_SENTENCES <= len(sentences) <= summary.MAX_SENTENCES, (code, sentences)
        level = measure(" ".join(sentences))
        assert level.reading_age <= EASY_READ_AGE, (code, level.reading_age, sentences)
        assert sentences[0] == f"About {summary.about(profile['population'])} people live here."
        assert sentences[-1] == summary.CLOSE_NOT_EXACT  # the uncertainty is said, every time
        assert 3 <= len(said["key_figures"]) <= 8
        seen += 1
    assert seen >= 1


def test_each_neighbourhood_says_its_published_iod_2025_decile(every_profile, data_dir):
    published = {r["lsoa21_code"]: int(r["imd_decile"])
                 for r in read_csv(data_dir, "deprivation/mk_iod2025_lsoa21.csv")}
    for code, profile in every_profile("lsoa21"):
        decile = published[code]
        band = f"most deprived {decile * 10}%" if decile <= 5 else f"least deprived {(11 - decile) * 10}%"
        assert f"It is in the {band} of areas in England." in summary.describe(profile)["sentences"], code


def test_each_comparison_said_is_a_clear_difference_in_the_profile(every_profile):
    said = 0
    for code, profile in every_profile("lsoa21"):
        rows = {plain(r["label"]).phrase: (t, r) for t in profile["tables"] if not t["bridged"]
                for r in t["rows"]}  # the Census tables of the area's own neighbourhoods
        for sentence in summary.describe(profile)["sentences"]:
            found = re.fullmatch(r"(More|Fewer) (\w+) here (.+) \((\d+)%\) than in all of Milton Keynes "
                                 r"\((\d+)%\)\.", sentence)
            if not found:
                continue
            t, r = rows[found.group(3)]
            assert (found.group(1) == "More") == (r["share"] > r["city_share"]), (code, sentence)
            assert abs(r["difference_pp"]) >= summary.CLEAR_POINTS, (code, sentence)
            assert abs(r["count"] - t["total"] * r["city_share"]) >= summary.CLEAR_COUNT, (code, sentence)
            said += 1
    assert said > 0  # some neighbourhoods differ clearly from the city


def test_a_neighbourhood_is_part_of_the_name_people_use(every_profile, data_dir):
    names = {r["msoa11_code"]: r["hocl_msoa_name"] for r in read_csv(data_dir, "lookups/mk_msoa11_hocl_names.csv")}
    msoa_of = {r["LSOA21CD"]: r["MSOA21CD"] for r in read_csv(data_dir, "lookups/mk_lsoa21_msoa21_ward24_lookup.csv")}
    named = 0
    for code, profile in every_profile("lsoa21"):
        within = summary.local_names(profile)["within"]
        if msoa_of[code] in names:
            assert within == names[msoa_of[code]], code
            named += 1
    assert named >= 100


def test_the_city_s_tables_come_in_their_natural_order(loaded):
    from commonground.places import profiles

    tables = {t["title"]: t for t in profiles.area_profile("lad", loaded.run.lad_code, loaded)["tables"]}
    occupancy = next(t for title, t in tables.items() if "occupancy" in title.lower())
    assert [category_number(r["label"]) for r in occupancy["rows"]] == [-2, -1, 0, 1, 2]
    need = next(t for title, t in tables.items() if "household" in title.lower() and "depriv" in title.lower())
    assert [category_number(r["label"]) for r in need["rows"]] == [0, 1, 2, 3, 4]


# -- the page -------------------------------------------------------------------------------

class _Outline:
    """Where the summary, the first table and each table's enclosing <details> are in a page."""

    def __init__(self, html: str):
        from html.parser import HTMLParser

        self.tables_outside_details = 0
        self.tables = 0
        self.summary_at = html.find('id="summary-h"')
        self.first_table_at = html.find("<table")
        outline = self
        depth = {"details": 0}

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                if tag == "details":
                    depth["details"] += 1
                elif tag == "table":
                    outline.tables += 1
                    outline.tables_outside_details += depth["details"] == 0

            def handle_endtag(self, tag):
                if tag == "details":
                    depth["details"] -= 1

        Parser().feed(html)


def test_an_area_too_small_for_figures_says_so_once(client, loaded):
    html = client.get("/places/oa11/E00084328/").content.decode()
    assert html.count("Figures are not published for areas this small") == 1 and 'id="summary-h"' not in html


@pytest.mark.parametrize("url", ["/places/lsoa21/E01016710/", "/places/ward/E05009406/",
                                 "/places/msoa21/E02003488/", "/places/lad/E06000042/"])
def test_an_area_page_opens_with_plain_words_and_folds_every_table(client, loaded, url):
    html = client.get(url).content.decode()
    page = _Outline(html)
    assert 0 < page.summary_at < page.first_table_at
    assert page.tables > 5 and page.tables_outside_details == 0
    assert "Key figures" in html and "people live here." in html


def test_a_neighbourhood_page_names_the_place_people_know_and_keeps_its_code(client, loaded):
    html = client.get("/places/lsoa21/E01016710/").content.decode()
    assert "<h1>Milton Keynes 030A</h1>" in html and "code E01016710" in html
    assert 'Part of <a href="/places/msoa21/E02003488/">Bletchley East</a>' in html
    # plain words first, the published name on demand
    assert "One spare bedroom" in html and '<span class="technical">+1 (under-occupied)</span>' in html
    assert "Urban or rural" in html and "<dt>Ruc</dt>" not in html
    assert "cell-key perturbation" in html  # named, after the plain words
