"""Our column types and the DuckDB SQL that reads text as each of them.

Holds the type names (:data:`TYPES`, :data:`SQL_TYPES`, :func:`declared_type` for the names
typed sources use), what counts as a null or a blank, the date and date-time formats, the
patterns a value must match, and the SQL building blocks :mod:`.inference` and
:mod:`.counting` assemble: identifier quoting, cleaning (trimming blanks, null tokens ->
NULL) and :func:`typed_sql`, the value -> typed-value expression.

:func:`typed_sql` is the single definition of "fits": inference counts it, lists the values
for which it is NULL, and casts with it, so the report and the typed table cannot disagree.
The shortcuts after it (:func:`typed_from_text_sql`, :func:`is_value_sql`,
:func:`could_fit_sql`, :func:`clean_matches_sql`) give the same answers from the text as
uploaded, trimming only the few values that need it; each says why it is exact. Two DuckDB
facts shape them: ``CASE`` evaluates a branch only for the rows that reach it, while ``AND``
and ``OR`` evaluate both sides for every row; and a subexpression repeated inside a ``CASE``
branch is evaluated once per repetition.

Types, as users see them (Frictionless-like names) and as stored:

=========  =========  ==============================================================
type       DuckDB     accepted text (after trimming blanks)
=========  =========  ==============================================================
integer    BIGINT     ``-12``, ``+7``, ``1,234,567`` (commas only in exact 3-digit groups)
number     DOUBLE     the above plus ``12.50``, ``.5``, ``1e-3``; not NaN or infinity
boolean    BOOLEAN    true/false, yes/no, y/n, t/f in any case; not 0/1 (integers)
date       DATE       one of :data:`DATE_FORMATS`, four-digit years
datetime   TIMESTAMP  ISO 8601 (:data:`ISO_8601`) or one of the day/month/year formats in
                      :data:`DATETIME_FORMATS`; UTC offsets are converted to UTC
string     VARCHAR    anything, kept exactly as written (no trimming, no null tokens)
=========  =========  ==============================================================
"""

from __future__ import annotations

import re

from .sqlquote import identifier, literal

TYPES = ("integer", "number", "boolean", "date", "datetime", "string")

SQL_TYPES = {
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "string": "VARCHAR",
}

# Cells that mean "no value" in a non-string column: counted as nulls, never as bad values.
# Matched exactly (case-sensitive) after trimming blanks. ".." is how ONS marks suppressed
# figures; "." and "-" are common spreadsheet placeholders.
NULL_TOKENS = ("", "NA", "N/A", "n/a", "na", "null", "NULL", "None", "-", "..", ".")

# Blanks trimmed around a value before reading it as a non-string type: space, tab, CR, LF
# and the no-break space that Excel exports leave behind.
BLANKS = " \t\r\n\u00a0"

# Date formats (DuckDB strptime), in order of preference when several fit equally well:
# ISO first, then UK day-first before US month-first, so "01/02/2024" is 1 February.
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y")

# ISO 8601 date-times are not one strptime format: "T" or space, optional seconds and
# fraction, optional "Z" or offset (+01:00, +0100, +01), and date-only values are midnight.
# They are read by DuckDB's own ISO parser; values with an offset are converted to UTC,
# values without one are kept as written (local time). The stored format is this name.
ISO_8601 = "ISO 8601"
DATETIME_FORMATS = (
    ISO_8601,
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
)

# Type names a typed source may declare (DuckDB, Arrow, Parquet spellings), by base name:
# the upper-cased name up to any "(", "[" or space ("DECIMAL(10,2)", "timestamp[us, tz=UTC]").
_DECLARED_NAMES = {
    "integer": ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
                "UINTEGER", "UBIGINT", "UHUGEINT", "INT", "INT1", "INT2", "INT4", "INT8",
                "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "LONG",
                "SHORT"),
    "number": ("DOUBLE", "FLOAT", "FLOAT4", "FLOAT8", "FLOAT16", "FLOAT32", "FLOAT64", "REAL",
               "HALF_FLOAT", "DECIMAL", "DECIMAL128", "DECIMAL256", "NUMERIC"),
    "boolean": ("BOOLEAN", "BOOL", "LOGICAL"),
    "date": ("DATE", "DATE32", "DATE64"),
    "datetime": ("TIMESTAMP", "TIMESTAMPTZ", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS",
                 "TIMESTAMP_US", "DATETIME"),
}


INTEGER_RE = r"[+-]?([0-9]+|[0-9]{1,3}(,[0-9]{3})+)"
_NUMBER_RE = r"[+-]?(([0-9]+|[0-9]{1,3}(,[0-9]{3})+)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
# Integers and decimals as most cells hold them: what INTEGER_RE and _NUMBER_RE match without
# thousands commas or an exponent. A plain decimal shorter than 300 characters is below
# 1e300, so always finite as a DOUBLE (the largest is about 1.8e308).
_PLAIN_INTEGER_RE = r"[+-]?[0-9]+"
_PLAIN_DECIMAL_RE = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
_PLAIN_DECIMAL_MAX_LENGTH = 300
_ISO_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_ISO_TIME = r"[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?"
_ISO_NAIVE_RE = rf"{_ISO_DATE}({_ISO_TIME})?"
ISO_ZONED_RE = rf"{_ISO_DATE}{_ISO_TIME}(Z|[+-][0-9]{{2}}(:?[0-9]{{2}})?)"
# How every date and date-time format above begins: 1-4 digits, "-" or "/", a digit.
# Inference's counting pass tests this once per value and skips all the date formats for
# values that fail it; being implied by every format's own pattern, it never changes a count.
_DATE_LIKE_RE = r"^[0-9]{1,4}[-/][0-9]"
_TRUE = ("true", "yes", "y", "t")
_FALSE = ("false", "no", "n", "f")
_NULL_TOKEN_RE = "(" + "|".join(re.escape(t) for t in NULL_TOKENS) + ")"


def first_is(text: str, characters: str) -> str:
    """SQL: ``text`` begins with one of ``characters``.

    As string comparisons (a text begins with "a" when it is >= "a" and < "b"; UTF-8 sorts
    by code point), which DuckDB answers from the first bytes almost for free. ``IN`` over
    ``ascii(text)`` decodes the first character once per listed character, and five or more
    constants in a projection become a join, which costs more to plan than to run here.
    """
    ranges: list[list[int]] = []
    for code in sorted({ord(ch) for ch in characters}):
        if ranges and ranges[-1][1] == code:
            ranges[-1][1] = code + 1
        else:
            ranges.append([code, code + 1])
    tests = [f"({text} >= {literal(chr(lo))} AND {text} < {literal(chr(hi))})"
             for lo, hi in ranges]
    return "(" + " OR ".join(tests) + ")"


def _may_need_trim_sql(column_sql: str) -> str:
    """True for every text that starts or ends with one of :data:`BLANKS` (else false or NULL).

    ``trim`` with a character set costs ~4x DuckDB's plain ``trim``; values almost never
    need it, and these two tests cost a quarter of it: comparisons on the first character,
    and a regex anchored at the end.
    """
    return (f"({first_is(column_sql, BLANKS)} OR "
            f"regexp_matches({column_sql}, {literal('[' + BLANKS + ']$')}))")


def _padded(pattern: str) -> str:
    """``pattern`` with any blanks around it."""
    return f"[{BLANKS}]*({pattern})[{BLANKS}]*"


def _trim_sql(column_sql: str) -> str:
    return (f"CASE WHEN {_may_need_trim_sql(column_sql)} "
            f"THEN trim({column_sql}, {literal(BLANKS)}) ELSE {column_sql} END")


def _drop_null_tokens_sql(trimmed: str) -> str:
    """NULL for a null token; ``strlen`` first because most values are longer than any token."""
    longest = max(len(t.encode()) for t in NULL_TOKENS)
    return (f"CASE WHEN strlen({trimmed}) > {longest} THEN {trimmed} "
            f"WHEN {matches_sql(trimmed, _NULL_TOKEN_RE)} THEN NULL ELSE {trimmed} END")


def clean_sql(column_sql: str) -> str:
    """The value as read for non-string types: blanks trimmed, null tokens -> NULL."""
    return _drop_null_tokens_sql(_trim_sql(column_sql))


def cleaned_raw(columns: list[str], indexes: list[int], *, with_row: bool = False,
                source: str = "raw") -> str:
    """A subquery over ``source`` (``raw`` or a sample of it) giving ``c<i>`` (the text as
    uploaded), ``x<i>`` (cleaned) and ``d<i>`` (whether it could be a date at all, see
    :data:`_DATE_LIKE_RE`).

    Trimming is done in an inner query so that it runs once per value (it is the costliest
    step of cleaning). DuckDB drops the outputs a query does not use.
    """
    inner = ['"_row" AS _r'] if with_row else ["1 AS _one"]
    outer = ["_r"] if with_row else ["_one"]
    for i in indexes:
        inner += [f"{identifier(columns[i])} AS c{i}",
                  f"{_trim_sql(identifier(columns[i]))} AS t{i}"]
        outer += [f"c{i}", f"{_drop_null_tokens_sql(f't{i}')} AS x{i}"]
    middle = [f"{_matches_anywhere(f'x{i}', _DATE_LIKE_RE)} AS d{i}" for i in indexes]
    return (f"(SELECT *, {', '.join(middle) or 'NULL AS _none'} FROM "
            f"(SELECT {', '.join(outer)} FROM (SELECT {', '.join(inner)} FROM {source})))")


def matches_sql(x: str, pattern: str) -> str:
    return f"regexp_full_match({x}, {literal(pattern)})"


def _matches_anywhere(x: str, pattern: str) -> str:
    return f"regexp_matches({x}, {literal(pattern)})"


def _format_regex(fmt: str) -> str:
    """A regex that gates a strptime format (four-digit years; DuckDB's %Y takes any)."""
    parts = {"%Y": "[0-9]{4}", "%m": "[0-9]{1,2}", "%d": "[0-9]{1,2}", "%H": "[0-9]{1,2}",
             "%M": "[0-9]{2}", "%S": "[0-9]{2}"}
    return "".join(parts.get(tok, re.escape(tok)) for tok in re.findall(r"%.|[^%]+", fmt))


def typed_sql(x: str, type_: str, fmt: str | None) -> str:
    """SQL turning the cleaned text ``x`` into ``type_``; NULL when the value does not fit.

    Integers and numbers first try the plain forms most values have (no thousands commas,
    no exponent; :data:`_PLAIN_INTEGER_RE`, :data:`_PLAIN_DECIMAL_RE`), which a cast reads
    as they are: the same answer as the general branch after it, at about half the cost.
    """
    if type_ == "integer":
        return (f"CASE WHEN {matches_sql(x, _PLAIN_INTEGER_RE)} THEN TRY_CAST({x} AS BIGINT) "
                f"WHEN {matches_sql(x, INTEGER_RE)} "
                f"THEN TRY_CAST(replace({x}, ',', '') AS BIGINT) END")
    if type_ == "number":
        as_double = f"TRY_CAST(replace({x}, ',', '') AS DOUBLE)"
        return (f"CASE WHEN {matches_sql(x, _PLAIN_DECIMAL_RE)} "
                f"AND strlen({x}) < {_PLAIN_DECIMAL_MAX_LENGTH} THEN TRY_CAST({x} AS DOUBLE) "
                f"WHEN {matches_sql(x, _NUMBER_RE)} AND isfinite({as_double}) "
                f"THEN {as_double} END")
    if type_ == "boolean":
        true = ", ".join(literal(t) for t in _TRUE)
        false = ", ".join(literal(t) for t in _FALSE)
        return (f"CASE WHEN lower({x}) IN ({true}) THEN TRUE "
                f"WHEN lower({x}) IN ({false}) THEN FALSE END")
    if type_ not in ("date", "datetime"):
        raise ValueError(f"no typed expression for {type_!r}")
    if fmt is None:
        raise ValueError(f"a {type_} needs a format")
    if type_ == "date":
        return (f"CASE WHEN {matches_sql(x, _format_regex(fmt))} "
                f"THEN CAST(TRY_STRPTIME({x}, {literal(fmt)}) AS DATE) END")
    if fmt == ISO_8601:
        return (f"CASE WHEN {matches_sql(x, _ISO_NAIVE_RE)} THEN TRY_CAST({x} AS TIMESTAMP) "
                f"WHEN {matches_sql(x, ISO_ZONED_RE)} "
                f"THEN timezone('UTC', TRY_CAST({x} AS TIMESTAMPTZ)) END")
    return (f"CASE WHEN {matches_sql(x, _format_regex(fmt))} "
            f"THEN TRY_STRPTIME({x}, {literal(fmt)}) END")


def date_shaped_sql(x: str, type_: str, fmt: str | None) -> str:
    """SQL true when the cleaned text ``x`` is written the way ``fmt`` writes a date (digits
    where its fields go): with :func:`typed_sql` NULL, an *impossible date* such as
    "0000-00-00" (a database's zero date), "2021-02-30" or "31/13/2020", which names no day.
    """
    if type_ not in ("date", "datetime") or fmt is None:
        raise ValueError(f"no date shape for {type_!r}")
    if fmt == ISO_8601:
        return f"({matches_sql(x, _ISO_NAIVE_RE)} OR {matches_sql(x, ISO_ZONED_RE)})"
    return matches_sql(x, _format_regex(fmt))


def typed_from_text_sql(text: str, as_is: str, type_: str, fmt: str | None) -> str:
    """The same value as ``typed_sql(clean_sql(text), type_, fmt)``, cleaning only where needed.

    ``as_is`` must be ``typed_sql(text, type_, fmt)`` computed in an inner query. Every pattern
    above rejects text with blanks at either end and every null token, so where ``as_is`` is
    not NULL the text was already clean and ``as_is`` is the answer; only the other values
    (nulls, null tokens, padded or bad values: few) are cleaned and read again.
    """
    trimmed = f"trim({text}, {literal(BLANKS)})"
    return (f"CASE WHEN {as_is} IS NOT NULL THEN {as_is} "
            f"WHEN {text} IS NULL OR {matches_sql(text, _padded(_NULL_TOKEN_RE))} THEN NULL "
            f"ELSE {typed_sql(trimmed, type_, fmt)} END")


def is_value_sql(text: str) -> str:
    """``clean_sql(text) IS NOT NULL``: the text is neither NULL nor a (padded) null token.

    Only text beginning with a blank or a token's first character is matched against the
    tokens.
    """
    firsts = BLANKS + "".join(t[0] for t in NULL_TOKENS if t)
    return (f"CASE WHEN {text} IS NULL THEN false WHEN {text} = '' OR {first_is(text, firsts)} "
            f"THEN NOT {matches_sql(text, _padded(_NULL_TOKEN_RE))} ELSE true END")


def could_fit_sql(text: str) -> str:
    """True for every text whose cleaned value fits some type (and for some others).

    Integers, numbers, dates and date-times begin with a sign, a point or a digit (all
    below ':', as are most blanks), booleans with their word's letter or a blank.
    """
    letters = "".join(w[0] + w[0].upper() for w in _TRUE + _FALSE)
    words = "|".join(_TRUE + _FALSE)
    return (f"CASE WHEN {text} < {literal(chr(ord('9') + 1))} OR {first_is(text, BLANKS)} "
            f"THEN true WHEN {first_is(text, letters)} "
            f"THEN {matches_sql(f'lower({text})', _padded(words))} ELSE false END")


def clean_matches_sql(text: str, pattern: str) -> str:
    """``regexp_full_match(clean_sql(text), pattern)``, where NULL and false may differ (both
    mean no match), for a ``pattern`` that, like every pattern here, matches no null token and
    no text with a blank at an end: then the trimmed text matches it exactly when the text
    does with blanks around it."""
    return matches_sql(text, _padded(pattern))


def type_formats(type_: str) -> tuple[str | None, ...]:
    return {"date": DATE_FORMATS, "datetime": DATETIME_FORMATS}.get(type_, (None,))


def declared_type(source_type: str) -> str:
    """Our type for a typed source's declared type (ours, or a DuckDB/Arrow spelling).

    Types we cannot store natively (TIME, INTERVAL, BLOB, lists, ...) become string.
    """
    if source_type in TYPES:
        return source_type
    base = re.split(r"[(\[ ]", source_type.strip().upper(), maxsplit=1)[0]
    for ours, names in _DECLARED_NAMES.items():
        if base in names:
            return ours
    return "string"
