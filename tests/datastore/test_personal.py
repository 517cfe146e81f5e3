"""Columns that look like personal data, found on the way in: the specification, by example.

Run with ``.venv/bin/python -m pytest tests/datastore/test_personal.py -q``.

:func:`commonground.datastore.personal.scan` reads a sample of a staged table and names
each column that looks like email addresses, UK phone numbers, full unit postcodes, people's
names or dates of birth; look-alikes (postcode districts, school names, six-digit URNs, the
date a library opened) are not flagged. The real Milton Keynes files come from the shared
data folder and are only read.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from commonground.datastore import personal
from commonground.datastore.readers import stage
from commonground.geography.manifest import load_manifest

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))


def scan_columns(columns: dict[str, list[str | None]], **kwargs) -> dict[str, personal.Finding]:
    """Stage ``columns`` (name -> text values, equal lengths) as ``raw``; scan it."""
    names = list(columns)
    rows = list(zip(*columns.values(), strict=True))
    con = duckdb.connect()
    con.execute("CREATE TABLE raw (_row BIGINT, "
                + ", ".join(f'"{n}" VARCHAR' for n in names) + ")")
    con.executemany(f"INSERT INTO raw VALUES (?{', ?' * len(names)})",
                    [(i + 2, *row) for i, row in enumerate(rows)])
    return {f.column: f for f in personal.scan(con, names, **kwargs)}


def test_each_kind_is_found_and_counted_over_the_non_blank_values():
    found = scan_columns({
        "contact_email": ["ada@example.org", "bob.smith@mk.gov.uk", "NA", None, "c.d@ex.co.uk"],
        "home_postcode": ["MK9 3EJ", "mk6 1ab", "MK17 8QP", "MK4  4DU", "MK9 2FZ"],
        "telephone": ["07700 900123", "+44 (0)1908 123456", "0044 20 7946 0000",
                      "01908-111222", "+447700900456"],
        "Surname": ["Lovelace", "O'Brien", "Smith-Jones", "van der Berg", "MCDONALD"],
        "full_name": ["Ada Lovelace", "Mr J. O'Brien", "Smith, John", "Mary Ann Evans",
                      "Dr Grace Hopper"],
        "Date of Birth": ["1815-12-10", "10/12/1815", "29 Feb 1984", "01.02.2003", ""],
    })
    assert {c: f.kind for c, f in found.items()} == {
        "contact_email": "email", "home_postcode": "postcode", "telephone": "phone",
        "Surname": "name", "full_name": "name", "Date of Birth": "birth_date"}
    email = found["contact_email"]
    assert (email.matched, email.sampled) == (3, 3)  # "NA" and NULL are not values
    assert email.sentence == "'contact_email': all 3 sampled values are email addresses, " \
                             "which lead to a person."
    assert (found["Date of Birth"].matched, found["Date of Birth"].sampled) == (4, 4)


def test_a_column_is_flagged_when_half_its_values_look_personal():
    emails = ["a@example.org", "b@example.org", "c@example.org"]
    found = scan_columns({"half": emails + ["no", "none", "ask"],
                          "under_half": emails[:2] + ["no", "none", "ask", "later"]})
    assert set(found) == {"half"}
    assert found["half"].sentence.startswith("'half': 3 of 6 sampled values are email")


def test_look_alikes_are_not_flagged():
    found = scan_columns({
        "postcode_district": ["MK9", "MK6", "MK17", "MK4", "MK10"],
        "name": ["Stantonbury School", "Milton Keynes Central Library", "Bletchley East",
                 "Knowles Nursery School", "Avon Street CP"],
        "school_name": ["Castlethorpe First School", "Giffard Park Primary School",
                        "The Radcliffe School", "Walton High", "Denbigh School"],
        "urn": ["110197", "110213", "123456", "136789", "148000"],
        "uprn": ["25044444", "25012345", "487443233559", "485160239095", "25000001"],
        "opened": ["1960-01-01", "12/05/1998", "2001-09-01", "1974-04-01", "03/03/2003"],
        "town": ["Newport Pagnell", "Olney", "Stony Stratford", "Bletchley", "Wolverton"],
        "lsoa21_code": ["E01016710", "E01034447", "E01016736", "E01016839", "E01016818"],
    })
    assert found == {}


def test_names_are_only_looked_for_in_columns_named_as_peoples_names():
    people = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Mary Somerville", "Tim Peake"]
    found = scan_columns({"speaker": people, "contact name": people, "name": people})
    assert {c: f.kind for c, f in found.items()} == {"contact name": "name", "name": "name"}


def test_birth_dates_need_a_column_named_as_one_and_values_that_are_dates():
    found = scan_columns({"dob": ["1984-02-29", "1990-07-01", "2001-12-31"],
                          "birth_place": ["Bletchley", "Olney", "Wolverton"],
                          "inspection_date": ["1984-02-29", "1990-07-01", "2001-12-31"]})
    assert {c: f.kind for c, f in found.items()} == {"dob": "birth_date"}


def test_a_large_table_is_read_through_a_bounded_sample():
    con = duckdb.connect()
    con.execute("CREATE TABLE raw AS SELECT range + 2 AS _row, "
                "'person' || range || '@example.org' AS email FROM range(50000)")
    finding, = personal.scan(con, ["email"], sample_rows=1_000)
    assert (finding.kind, finding.matched, finding.sampled) == ("email", 1_000, 1_000)


def _staged_resource(name: str, tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, list[str]]:
    manifest = load_manifest(DATA)
    path = manifest.path_of(manifest.resource(name))
    con = duckdb.connect()
    staged = stage(con, path, filename=path.name, workdir=tmp_path)
    return con, staged.columns


@pytest.mark.skipif(not (DATA / "datapackage.json").exists(), reason="no shared data folder")
def test_the_real_schools_list_has_nothing_personal(tmp_path):
    con, columns = _staged_resource("schools", tmp_path)
    assert "establishment_name" in columns and "la_name" in columns
    assert personal.scan(con, columns) == []


@pytest.mark.skipif(not (DATA / "datapackage.json").exists(), reason="no shared data folder")
@pytest.mark.parametrize("name", ["gp-practices", "libraries", "ev-chargepoints",
                                  "feed-bath-carparks-2015-16-sensors"])
def test_real_names_of_places_and_organisations_are_not_taken_for_people(name, tmp_path):
    # These files name practices, libraries, car parks and areas; the public buildings'
    # full postcodes are flagged (the check cannot tell a library's from a home's).
    con, columns = _staged_resource(name, tmp_path)
    kinds = {f.kind for f in personal.scan(con, columns)}
    assert kinds <= {"postcode"}
