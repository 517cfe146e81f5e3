"""Find the columns of an upload that look like personal data, so its editors can restrict them.

A scan of a sample of the staged table (:func:`scan`) returns one :class:`Finding` per column
that looks like one of these kinds (at most one kind a column, the first that fits in this
order):

============ ===================================================================== =========
kind         a sampled non-blank value counts when it is                           name?
============ ===================================================================== =========
email        an email address: ``someone@example.org``                             no
phone        a UK phone number: ``07700 900123``, ``+44 (0)1908 123456``, ``0044…`` no
postcode     a full unit postcode: ``MK9 3EJ`` (a district such as ``MK9`` is not)  no
birth_date   a date (``1984-02-29``, ``29/02/1984``, ``29 Feb 1984``)               yes
name         a person's name: ``Ada Lovelace``, ``Mr J. O'Brien``; no word of an    yes
             organisation or place (:data:`NOT_A_PERSON`: School, Library, ...)
============ ===================================================================== =========

"name?": the kind is only looked for in columns whose name says so (:data:`BIRTH_COLUMN`,
:data:`PERSON_NAME_COLUMN`, :data:`MAYBE_NAME_COLUMN`), because content alone cannot tell a
date of birth from a date a library opened, or "Ada Lovelace" from "Stony Stratford". A
column is flagged when at least :data:`MATCH_SHARE` of its sampled non-blank values count; a
column named only ambiguously (``name``, ``contact``) needs :data:`AMBIGUOUS_NAME_SHARE` of
"Given Family" values, so a column of school or place names is not flagged.

The scan is one SQL statement per :data:`COLUMNS_PER_QUERY` columns over at most
:data:`SAMPLE_ROWS` rows (a reservoir sample, the same rows every time): a 1,000,000-row
upload costs one read of its columns, not a regular expression per cell. It imports no
Django; :mod:`.ingest` runs it on the staged table ``raw`` (every column text) and the
findings go in the ingest report under ``"personal"``. They are a warning: an upload with
personal columns is still ingested.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import duckdb

from .counting import COLUMNS_PER_QUERY
from .linkdetect import POSTCODE_SQL_PATTERN
from .sqlquote import identifier, literal
from .typesql import clean_sql

#: Rows sampled per scan; a smaller table is read whole. 10,000 values give a column's share
#: to within about ±1 percentage point (95%), far finer than the thresholds below need.
SAMPLE_ROWS = 10_000
_SEED = 2019
#: Share (0–1) of a column's sampled non-blank values that must look personal.
MATCH_SHARE = 0.5
#: Share (0–1) of "Given Family" values a column named only ambiguously (``name``) needs.
AMBIGUOUS_NAME_SHARE = 0.8

KINDS = ("email", "phone", "postcode", "birth_date", "name")

# --- what a column's name says (matched in Python, case-insensitively) ------------------------

#: Named as a date of birth: dob, d.o.b., date_of_birth, BirthDate, year_born, ...
BIRTH_COLUMN = re.compile(r"birth|(^|[^a-z])d\.?o\.?b\.?([^a-z]|$)|(^|[^a-z])born([^a-z]|$)", re.I)
#: Named as (part of) a person's name: first_name, forename, surname, full_name, ...
PERSON_NAME_COLUMN = re.compile(
    r"(first|given|middle|last|family|full|maiden|christian|sur|fore|person|people|"
    r"contact|customer|client|patient|resident|tenant|applicant|pupil|student|child|"
    r"parent|carer|employee|staff|member|volunteer|owner|landlord|occupier|requester)"
    r"[\s_.-]*names?$", re.I)
#: Named in a way that may or may not mean a person: name, contact, client, ...
MAYBE_NAME_COLUMN = re.compile(
    r"^(name|names|contact|customer|client|patient|resident|tenant|applicant|pupil|student|"
    r"employee|owner|person|occupier)$", re.I)

# --- what a value looks like (RE2, matched in DuckDB) -----------------------------------------

EMAIL_PATTERN = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
#: A UK number once spaces, dots, hyphens and brackets are gone (and "+44 (0)" is "+44"):
#: 0 then 9 or 10 digits (01/02/03 landlines, 07 mobiles, 08 non-geographic), or +44/0044
#: instead of the 0 (Ofcom, National Telephone Numbering Plan).
PHONE_PATTERN = r"(0|\+44|0044)(1[0-9]{8,9}|2[0-9]{9}|3[0-9]{9}|7[0-9]{9}|8[0-9]{8,9})"
_PHONE_STRIP = r"[\s().-]"
_DATE_PATTERN = (r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9:.]+(Z|[+-][0-9:]+)?)?"
                 r"|[0-9]{1,2}[/.-][0-9]{1,2}[/.-]([0-9]{2}|[0-9]{4})"
                 r"|[0-9]{1,2}(st|nd|rd|th)? [A-Za-z]{3,9},? [0-9]{4}")
_WORD = r"[A-Z][A-Za-z]*(['’-][A-Za-z]+)*\.?"  # Ada, O'Brien, Smith-Jones, J., MCDONALD
_PARTICLE = r"(van|von|de|der|den|da|di|du|del|la|le|bin|al)"
_TITLE = r"((Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Dame|Rev)\.? )?"
#: "Given Family": two to four name words (particles between them), or "Family, Given".
GIVEN_FAMILY_PATTERN = (rf"{_TITLE}{_WORD}( ({_WORD}|{_PARTICLE})){{0,2}} {_WORD}"
                        rf"|{_WORD}, {_WORD}( {_WORD})?")
#: One to three name words: what a first-name or surname column holds (a column named as a
#: person's name may also hold "Given Family").
NAME_WORDS_PATTERN = rf"{_TITLE}{_WORD}( ({_WORD}|{_PARTICLE})){{0,2}}"
#: Words that make a "name" an organisation's or a place's, not a person's.
NOT_A_PERSON = (
    "school", "academy", "college", "university", "nursery", "primary", "infant", "infants",
    "junior", "library", "centre", "center", "church", "chapel", "mosque", "temple", "hall",
    "house", "court", "park", "road", "street", "lane", "way", "close", "avenue", "drive",
    "square", "boulevard", "gate", "green", "cp", "surgery", "practice", "medical", "health",
    "hospital", "clinic", "pharmacy", "club", "society", "association", "trust", "council",
    "ltd", "limited", "plc", "llp", "cic", "group", "services", "service", "partnership",
    "foundation", "charity", "community", "federation", "company", "store", "shop",
    "supermarket", "station", "stadium", "theatre", "museum", "gallery", "market", "farm",
    "estate", "village", "town", "city", "north", "south", "east", "west", "central",
    "upper", "lower", "great", "little", "new", "old", "the", "and", "of", "milton", "keynes",
)
_NOT_A_PERSON_PATTERN = r"(?i)\b(" + "|".join(NOT_A_PERSON) + r")\b|&"

_SENTENCES = {
    "email": "are email addresses, which lead to a person",
    "phone": "are UK phone numbers, which lead to a person or a household",
    "postcode": ("are full unit postcodes (such as MK9 3EJ), which can single out a "
                 "household; the district (such as MK9) is usually enough"),
    "birth_date": "are dates in a column named as a date of birth",
    "name": "look like people's names",
}


@dataclass(frozen=True)
class Finding:
    """One column that looks personal.

    column:   the column's name.
    kind:     one of :data:`KINDS`.
    matched:  sampled non-blank values that look like ``kind``.
    sampled:  sampled non-blank values (null tokens such as "NA" do not count).
    sentence: the finding in one plain sentence, for the report.
    """

    column: str
    kind: str
    matched: int
    sampled: int
    sentence: str

    def to_dict(self) -> dict:
        return asdict(self)


def scan(con: duckdb.DuckDBPyConnection, columns: list[str], *, table: str = "raw",
         sample_rows: int = SAMPLE_ROWS) -> list[Finding]:
    """The columns of ``table`` (any types; read as text) that look personal, in order.

    con:         DuckDB connection holding ``table``.
    columns:     the data columns to scan (not ``_row`` or ``_geometry``).
    sample_rows: rows sampled [rows]; a table no larger is read whole.
    """
    findings: list[Finding] = []
    for start in range(0, len(columns), COLUMNS_PER_QUERY):
        group = columns[start:start + COLUMNS_PER_QUERY]
        aggregates, layout = [], []
        for i, name in enumerate(group):
            kinds = _kinds_for(name)
            aggregates.append(f"count(v{i})")
            aggregates += [f"count_if({_looks_like_sql(f'v{i}', kind)})" for kind in kinds]
            layout.append((name, kinds))
        values = ", ".join(f"{clean_sql(f'CAST({identifier(n)} AS VARCHAR)')} AS v{i}"
                           for i, n in enumerate(group))
        picked = ", ".join(identifier(n) for n in group)
        row = con.execute(
            f"SELECT {', '.join(aggregates)} FROM (SELECT {values} FROM (SELECT {picked} "
            f"FROM {identifier(table)} USING SAMPLE reservoir({int(sample_rows)} ROWS) "
            f"REPEATABLE ({_SEED})))").fetchone()
        if row is None:  # an aggregate query answers one row; never None
            continue
        at = 0
        for name, kinds in layout:
            sampled, counts = row[at], row[at + 1: at + 1 + len(kinds)]
            at += 1 + len(kinds)
            finding = _first_finding(name, kinds, counts, sampled)
            if finding:
                findings.append(finding)
    return findings


def _kinds_for(column: str) -> list[str]:
    """The kinds to look for in ``column``, in order of precedence (see the module table).

    "given_family" is the name kind of an ambiguously named column: "Given Family" values
    only, at :data:`AMBIGUOUS_NAME_SHARE`; it is reported as "name".
    """
    kinds = ["email", "phone", "postcode"]
    name = column.strip()
    if BIRTH_COLUMN.search(name):
        kinds.append("birth_date")
    if PERSON_NAME_COLUMN.search(name):
        kinds.append("name")
    elif MAYBE_NAME_COLUMN.search(name):
        kinds.append("given_family")
    return kinds


def _looks_like_sql(v: str, kind: str) -> str:
    """SQL: whether the cleaned text ``v`` looks like ``kind``."""
    person = f"NOT regexp_matches({v}, {literal(_NOT_A_PERSON_PATTERN)})"
    if kind == "email":
        return f"regexp_full_match({v}, {literal(EMAIL_PATTERN)})"
    if kind == "phone":
        compact = (f"regexp_replace(regexp_replace({v}, '^\\+44\\s*\\(0\\)', '+44'), "
                   f"{literal(_PHONE_STRIP)}, '', 'g')")
        return f"regexp_full_match({compact}, {literal(PHONE_PATTERN)})"
    if kind == "postcode":
        return f"regexp_matches(upper(replace({v}, ' ', '')), {literal(POSTCODE_SQL_PATTERN)})"
    if kind == "birth_date":
        return f"regexp_full_match({v}, {literal(_DATE_PATTERN)})"
    if kind == "name":
        either = f"{NAME_WORDS_PATTERN}|{GIVEN_FAMILY_PATTERN}"
        return f"(regexp_full_match({v}, {literal(either)}) AND {person})"
    if kind == "given_family":
        return f"(regexp_full_match({v}, {literal(GIVEN_FAMILY_PATTERN)}) AND {person})"
    raise ValueError(f"unknown kind {kind!r}")


def _first_finding(column: str, kinds: list[str], counts, sampled: int) -> Finding | None:
    if not sampled:
        return None
    for kind, matched in zip(kinds, counts, strict=True):
        share = AMBIGUOUS_NAME_SHARE if kind == "given_family" else MATCH_SHARE
        if matched / sampled >= share:
            kind = "name" if kind == "given_family" else kind
            some = "all" if matched == sampled else f"{matched:,} of"
            return Finding(column=column, kind=kind, matched=matched, sampled=sampled,
                           sentence=f"{column!r}: {some} {sampled:,} sampled values "
                                    f"{_SENTENCES[kind]}.")
    return None
