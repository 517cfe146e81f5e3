"""``$filter`` for SensorThings: a small safe parser that turns the text into Django ``Q``.

The grammar is the subset of OData that SensorThings clients send most::

    expression := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expression ")" | comparison
    comparison := property op literal | literal op property
    op         := eq | ne | gt | ge | lt | le
    literal    := 'text' ('' for a quote) | number | 2024-05-01T10:00:00Z | true | false | null

Properties are the entity set's own (``Prop`` below); nothing from the text reaches SQL
except as a value bound by the ORM, and the field names come from our own table. Anything
else is a ``QueryError`` naming the option and the (1-based) position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q


class QueryError(ValueError):
    """A query option that cannot be understood: the message names the option and where."""


@dataclass(frozen=True)
class Prop:
    """A property clients may filter and order by: its ORM ``field`` and ``kind``
    (``int``, ``text``, ``time`` or ``result``: a number or text, by the literal)."""

    field: str
    kind: str


COMPARISONS = {"eq": "exact", "ne": "exact", "gt": "gt", "ge": "gte", "lt": "lt", "le": "lte"}
FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<open>\()
  | (?P<close>\))
  | (?P<comma>,)
  | (?P<name>@?[A-Za-z_][A-Za-z0-9_.]*(?:/@?[A-Za-z_][A-Za-z0-9_.]*)*)
""", re.VERBOSE)

#: The largest number a literal may be (SQLite's and PostgreSQL's 64-bit integers' bound).
LARGEST = 2**63 - 1
#: The longest $filter, and how deep parentheses and ``not`` may nest.
MAX_LENGTH = 2000
MAX_DEPTH = 20

KEYWORDS = {"and", "or", "not", "true", "false", "null", *COMPARISONS}


@dataclass(frozen=True)
class Token:
    kind: str  # string, time, number, open, close, name, keyword, end
    text: str
    at: int  # 1-based position in the option's text


def tokens(text: str, option: str = "$filter") -> list[Token]:
    found, at = [], 0
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None:
            raise QueryError(f"{option}: cannot read {text[at:at + 20]!r} at position {at + 1}")
        kind = match.lastgroup or ""
        if kind != "space":
            word = match.group()
            if kind == "name" and word in KEYWORDS:
                kind = "keyword"
            found.append(Token(kind, word, at + 1))
        at = match.end()
    found.append(Token("end", "", len(text) + 1))
    return found


def literal(token: Token, option: str = "$filter") -> object:
    """The Python value of a literal token (a string, number, aware datetime, bool or None)."""
    if token.kind == "string":
        return token.text[1:-1].replace("''", "'")
    if token.kind == "number":
        number = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if abs(number) > LARGEST:
            raise QueryError(f"{option}: {token.text[:20]} at position {token.at} is too large "
                             f"(at most {LARGEST:,} either side of 0)")
        return number
    if token.kind == "time":
        return datetime.fromisoformat(token.text.replace("Z", "+00:00"))
    if token.kind == "keyword" and token.text in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[token.text]
    raise QueryError(f"{option}: expected a value at position {token.at}, "
                     f"found {token.text or 'the end'!r}")


def _field_for(prop: Prop, value: object, name: str, at: int) -> str:
    """The ORM field a value of this type is compared with, or a QueryError."""
    if value is None:
        return prop.field if prop.kind != "result" else "number"
    ok = {"int": isinstance(value, int) and not isinstance(value, bool),
          "text": isinstance(value, str),
          "time": isinstance(value, datetime),
          "result": isinstance(value, (int, float, str)) and not isinstance(value, bool)}
    if not ok.get(prop.kind, False):
        raise QueryError(f"$filter: {name} cannot be compared with {value!r} at position {at}")
    if prop.kind == "result":
        return "text" if isinstance(value, str) else "number"
    return prop.field


class FilterParser:
    """Recursive descent over the tokens; ``parse()`` returns a ``Q``."""

    def __init__(self, text: str, props: dict[str, Prop]):
        if len(text) > MAX_LENGTH:
            raise QueryError(f"$filter: longer than {MAX_LENGTH:,} characters")
        self.props = props
        self.tokens = tokens(text)
        self.i = 0
        self.depth = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i = min(self.i + 1, len(self.tokens) - 1)  # the end token stays the last
        return token

    def parse(self) -> Q:
        if self.peek().kind == "end":
            raise QueryError("$filter: empty expression at position 1")
        q = self.expression()
        if self.peek().kind != "end":
            token = self.peek()
            raise QueryError(f"$filter: unexpected {token.text!r} at position {token.at}")
        return q

    def expression(self) -> Q:
        q = self.term()
        while self.peek().text == "or":
            self.take()
            q = q | self.term()
        return q

    def term(self) -> Q:
        q = self.factor()
        while self.peek().text == "and":
            self.take()
            q = q & self.factor()
        return q

    def factor(self) -> Q:
        token = self.peek()
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise QueryError(f"$filter: nested deeper than {MAX_DEPTH} levels at position "
                                 f"{token.at}")
            return self._factor(token)
        finally:
            self.depth -= 1

    def _factor(self, token: Token) -> Q:
        if token.text == "not" and token.kind == "keyword":
            self.take()
            return ~self.factor()
        if token.kind == "open":
            self.take()
            q = self.expression()
            close = self.take()
            if close.kind != "close":
                raise QueryError(f"$filter: expected ')' at position {close.at}")
            return q
        return self.comparison()

    def comparison(self) -> Q:
        left = self.take()
        if left.kind in ("end", "close", "comma") or (
                left.kind == "keyword" and left.text not in ("true", "false", "null")):
            raise QueryError(f"$filter: expected a property at position {left.at}, "
                             f"found {left.text or 'the end'!r}")
        op, right = self.take(), self.take()
        if left.kind == "name" and op.kind == "open":
            raise QueryError(f"$filter: functions such as {left.text}() are not supported "
                             f"(position {left.at}); compare properties with eq, ne, gt, ge, "
                             f"lt, le and join with and, or, not")
        if op.kind != "keyword" or op.text not in COMPARISONS:
            raise QueryError(f"$filter: expected one of {', '.join(COMPARISONS)} at position "
                             f"{op.at}, found {op.text or 'the end'!r}")
        if left.kind != "name" and right.kind == "name":
            left, right, op = right, left, Token(op.kind, FLIPPED[op.text], op.at)
        if left.kind != "name":
            raise QueryError(f"$filter: expected a property at position {left.at}, "
                             f"found {left.text or 'the end'!r}")
        name = left.text.replace("@iot.id", "id")  # @iot.id and Datastream/@iot.id too
        prop = self.props.get(name)
        if prop is None:
            raise QueryError(f"$filter: unknown property {left.text!r} at position {left.at} "
                             f"(filter on {', '.join(sorted(self.props))})")
        value = literal(right)
        field = _field_for(prop, value, name, right.at)
        if value is None:
            q = Q(**{f"{field}__isnull": True})
            return ~q if op.text == "ne" else q
        if op.text == "ne" and value is not None:
            return ~Q(**{f"{field}__exact": value})
        return Q(**{f"{field}__{COMPARISONS[op.text]}": value})


def parse_filter(text: str, props: dict[str, Prop]) -> Q:
    """``text`` (a ``$filter`` value) as a Q over the entity set's ``props``."""
    return FilterParser(text, props).parse()
