"""The Solr syntax ``package_search`` accepts: ``q``, ``fq`` and ``sort`` parsed into terms.

Pure parsing, no database: :func:`parse_fq` and :func:`split_q` turn filter text into
:class:`Term` objects, :func:`parse_sort` turns ``sort`` into ``(field, descending)``
clauses. What cannot be parsed is a :class:`.errors.SearchQueryError`, never ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .errors import SearchQueryError

DEFAULT_SORT = "score desc, metadata_modified desc"
#: package_search ``fq`` fields. The first five are the catalogue's facets; ``name``,
#: ``id``, ``dataset_type`` (always "dataset" here) and the dates narrow the results.
FQ_FIELDS = ("organization", "tags", "res_format", "license_id", "groups", "name", "id",
             "dataset_type", "metadata_modified", "metadata_created")
#: fq fields that take a date range, ``[2025-01-01T00:00:00Z TO *]`` (incremental harvests).
DATE_FIELDS = ("metadata_modified", "metadata_created")
SORT_FIELDS = ("score", "metadata_modified", "metadata_created", "title_string", "name")

_QUOTED = r'"(?:[^"\\]|\\.)*"'
_TOKEN = re.compile(
    r"\s+|(?:AND|&&)(?=\s|$)"
    rf"|(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):"
    rf"(?P<value>{_QUOTED}|\((?:[^()\"]|{_QUOTED})*\)|\[[^\]]*\]|[^\s()\"\[]+)")
_RANGE = re.compile(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]")


@dataclass(frozen=True)
class Term:
    """One filter: ``field`` is one of ``values`` (or within ``low``..``high`` for dates)."""

    field: str
    values: tuple[str, ...] = ()
    low: dt.datetime | None = None
    high: dt.datetime | None = None
    negate: bool = False


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _values(value: str) -> tuple[str, ...]:
    """``x``, ``"x y"`` or ``(x OR "y z")`` → the values, ORed."""
    if not value.startswith("("):
        return (_unquote(value),)
    parts = re.findall(rf"{_QUOTED}|[^\s()]+", value[1:-1])
    values = tuple(_unquote(p) for p in parts if p not in ("OR", "||"))
    if not values:
        raise SearchQueryError(f"no values in {value}")
    return values


def _instant(text: str) -> dt.datetime | None:
    """A range end: ``*`` (open), ``NOW`` or an ISO 8601 date-time (UTC when no zone)."""
    if text == "*":
        return None
    if text.upper() == "NOW":
        return dt.datetime.now(dt.UTC)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise SearchQueryError(f"{text!r} is not a date-time (use ISO 8601, NOW or *)") \
            from None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _term(field: str, value: str, negate: bool) -> Term:
    if field not in FQ_FIELDS:
        raise SearchQueryError(f"unknown field {field!r}; use one of {', '.join(FQ_FIELDS)}")
    if field in DATE_FIELDS:
        match = _RANGE.fullmatch(value)
        if not match:
            raise SearchQueryError(f"{field} takes a range such as "
                                   f"[2025-01-01T00:00:00Z TO *], not {value!r}")
        return Term(field, low=_instant(match.group(1)), high=_instant(match.group(2)),
                    negate=negate)
    if value.startswith("["):
        raise SearchQueryError(f"ranges work on {' and '.join(DATE_FIELDS)} only")
    return Term(field, values=_values(value), negate=negate)


def parse_fq(fq: str) -> list[Term]:
    """A Solr filter query → its terms, ANDed.

    Accepted: ``field:value``, ``field:"quoted value"``, ``field:(a OR "b c")``, a leading
    ``+`` (required: the same) or ``-`` (excluded), ``metadata_modified:[2025-01-01T00:00:00Z
    TO *]`` (also ``metadata_created``; ``*`` and ``NOW`` as in Solr), terms separated by
    spaces or ``AND``; fields in :data:`FQ_FIELDS`. Anything else (other fields, ``OR``
    between terms, nesting) is a :class:`SearchQueryError`, never silently ignored.
    """
    terms, position = [], 0
    while position < len(fq):
        match = _TOKEN.match(fq, position)
        if match is None:
            raise SearchQueryError(f"cannot parse {fq[position:]!r}: use field:value terms "
                                   f"with the fields {', '.join(FQ_FIELDS)}")
        position = match.end()
        if match.group("field") is not None:
            terms.append(_term(match.group("field"), match.group("value"),
                               match.group("sign") == "-"))
    return terms


def split_q(q: str) -> tuple[str, list[Term]]:
    """Free text and ``field:value`` terms of ``q`` (``*:*`` or empty: everything)."""
    q = (q or "").strip()
    if q in ("", "*:*", "*"):
        return "", []
    if q.startswith("{!"):
        raise SearchQueryError("Local parameters are not supported.")
    terms, words = [], []
    for match in re.finditer(rf'(?:([A-Za-z_]\w*):)?({_QUOTED}|\[[^\]]*\]|\S+)', q):
        field, value = match.group(1), match.group(2)
        if field in FQ_FIELDS:
            terms.append(_term(field, value, False))
        elif field:
            words.append(match.group(0))
        elif value not in ("AND", "&&"):
            words.append(value.strip('"'))
    return " ".join(words), terms


def parse_sort(sort: str) -> list[tuple[str, bool]]:
    """``"title_string asc, metadata_modified desc"`` → ``[(field, descending)]``."""
    clauses = []
    for clause in (sort or DEFAULT_SORT).split(","):
        parts = clause.split()
        if not parts:
            continue
        if len(parts) > 2 or parts[0] not in SORT_FIELDS or (
                len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
            raise SearchQueryError('Invalid "sort" parameter')
        clauses.append((parts[0], len(parts) == 2 and parts[1].lower() == "desc"))
    return clauses
