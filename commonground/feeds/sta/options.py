"""The query options of a SensorThings request (``$top``, ``$skip``, ``$count``,
``$select``, ``$orderby``, ``$filter``, ``$expand``, ``$resultFormat``), read from the URL
or from an ``$expand`` item's parentheses, checked before any query runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .filters import QueryError

#: Entities in one page when the client does not say (``$top``), and the most it may ask.
DEFAULT_TOP = 100
MAX_TOP = 1000
#: ``$expand`` reaches this many levels down (``Datastreams/Observations`` is two).
MAX_EXPAND_DEPTH = 2
KNOWN = ("$top", "$skip", "$count", "$select", "$orderby", "$filter", "$expand",
         "$resultFormat")


@dataclass
class Expand:
    nav: str
    options: Options


@dataclass
class Options:
    top: int = DEFAULT_TOP
    skip: int = 0
    count: bool = False
    select: list[str] | None = None
    orderby: list[tuple[str, bool]] = field(default_factory=list)  # (property, descending)
    filter: str | None = None
    expand: list[Expand] = field(default_factory=list)
    data_array: bool = False
    top_given: bool = False
    q: object = None  # the parsed $filter (a Q), set when the options are checked


DIGITS = re.compile(r"[0-9]{1,12}")  # ASCII digits; a trillion is more than any table


def _whole(option: str, text: str, most: int | None) -> int:
    if not DIGITS.fullmatch(text) or (most is not None and int(text) > most):
        limit = f" from 0 to {most}" if most is not None else " from 0 to 999999999999"
        raise QueryError(f"{option} must be a whole number{limit}, not {text!r}")
    return int(text)


def split_top_level(text: str, separator: str, option: str) -> list[str]:
    """``text`` split at ``separator`` outside parentheses and quotes."""
    parts, depth, quoted, start = [], 0, False, 0
    for at, char in enumerate(text):
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            if depth < 0:
                raise QueryError(f"{option}: unmatched ')' at position {at + 1}")
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:at])
            start = at + 1
    if depth or quoted:
        raise QueryError(f"{option}: unclosed {'quote' if quoted else '('} in {text!r}")
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _orderby(text: str) -> list[tuple[str, bool]]:
    order = []
    for item in split_top_level(text, ",", "$orderby"):
        words = item.split()  # ASC and DESC too: frost-sta-client sends them so
        if not words or len(words) > 2 or (len(words) == 2 and
                                           words[1].lower() not in ("asc", "desc")):
            raise QueryError(f"$orderby: expected 'property [asc|desc]', not {item!r}")
        order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
    return order


def _expand(text: str, depth: int) -> list[Expand]:
    items = []
    for item in split_top_level(text, ",", "$expand"):
        nested = ""
        if "(" in item:
            if not item.endswith(")"):
                raise QueryError(f"$expand: expected ')' at the end of {item!r}")
            item, nested = item[:item.index("(")], item[item.index("(") + 1:-1]
        path = [part for part in item.split("/")]
        if not all(path):
            raise QueryError(f"$expand: empty navigation property in {item!r}")
        if depth + len(path) > MAX_EXPAND_DEPTH:
            raise QueryError(f"$expand: {item!r} goes deeper than {MAX_EXPAND_DEPTH} levels")
        pairs = [part.split("=", 1) for part in split_top_level(nested, ";", "$expand")
                 if part] if nested else []
        if any(len(pair) != 2 for pair in pairs):
            raise QueryError(f"$expand: expected option=value inside ({nested})")
        inner = parse({key.strip(): value for key, value in pairs},
                      depth=depth + len(path))
        for name in reversed(path[1:]):  # Thing/Locations: Thing expanding Locations
            inner = Options(expand=[Expand(name, inner)])
        items.append(Expand(path[0], inner))
    return items


def _choice(params, option: str, allowed: tuple[str, ...]) -> str:
    value = params.get(option, allowed[0])
    if value not in allowed:
        raise QueryError(f"{option} must be {' or '.join(a for a in allowed if a)}, not {value!r}")
    return value


def parse(params, depth: int = 0) -> Options:
    """Options from a mapping of ``$name`` to text (the URL's, or an expand item's)."""
    unknown = [name for name in params if name.startswith("$") and name not in KNOWN]
    if unknown:
        raise QueryError(f"{unknown[0]} is not a query option here (use {', '.join(KNOWN)})")
    options = Options()
    if "$top" in params:
        options.top, options.top_given = _whole("$top", params["$top"], MAX_TOP), True
    if "$skip" in params:
        options.skip = _whole("$skip", params["$skip"], None)
    options.count = _choice(params, "$count", ("false", "true")) == "true"
    if "$select" in params:
        options.select = [name.strip() for name in params["$select"].split(",")]
        if not all(options.select):
            raise QueryError(f"$select: empty property name in {params['$select']!r}")
    if "$orderby" in params:
        options.orderby = _orderby(params["$orderby"])
    if "$filter" in params:
        options.filter = params["$filter"]
    if "$expand" in params:
        options.expand = _expand(params["$expand"], depth)
    options.data_array = _choice(params, "$resultFormat", ("", "dataArray")) == "dataArray"
    return options
