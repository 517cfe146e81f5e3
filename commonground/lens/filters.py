"""Row filters for the lens: which of a dataset's rows it counts, written as people write them.

One filter per text; several are all applied (AND)::

    status_code=A          equal (text, number, true/false or a date, by the column's type)
    status_code!=D         not equal (rows with no value are kept)
    max_kw>=7   max_kw>7   max_kw<=50   max_kw<50
    max_kw=7..50           a range, both ends included; either end may be left out (7.. or ..50)

``parse`` turns a text into ``datastore.query.Filter`` s, which ``measure.read_measure`` checks
against the version's columns and binds as parameters (nothing typed becomes SQL);
``describe`` says a filter in words for the page, the downloads and evidence packs.
"""

from __future__ import annotations

from commonground.datastore.query import Filter

#: Operators, longest first so that ">=" is not read as ">" followed by "=".
_OPERATORS = (("!=", "ne"), (">=", "gte"), ("<=", "lte"), ("=", "eq"), (">", "gt"), ("<", "lt"))
_WORDS = {"eq": "=", "ne": "≠", "gte": "≥", "lte": "≤", "gt": ">", "lt": "<"}


class FilterError(ValueError):
    """A row filter that cannot be read; the message quotes it and shows the form."""


def parse(text: str) -> list[Filter]:
    """The filters one text stands for (two for a range): ``FilterError`` if it has no
    column, no operator or no value."""
    raw = text.strip()
    at = min(((raw.find(symbol), -len(symbol), symbol, op) for symbol, op in _OPERATORS
              if raw.find(symbol) > 0), default=None)
    if at is None:
        raise FilterError(f"cannot read the row filter {raw!r}: write column=value, "
                          "column>=number or column=low..high")
    position, _, symbol, op = at
    column, value = raw[:position].strip(), raw[position + len(symbol):].strip()
    if not column or not value:
        raise FilterError(f"the row filter {raw!r} needs a column and a value")
    if op == "eq" and ".." in value:
        low, _, high = (part.strip() for part in value.partition(".."))
        if not low and not high:
            raise FilterError(f"the range in {raw!r} needs at least one end")
        return ([Filter(column, "gte", low)] if low else []) + \
            ([Filter(column, "lte", high)] if high else [])
    return [Filter(column, op, value)]


def parse_all(texts) -> list[Filter]:
    """Every filter of several texts (blank texts are skipped)."""
    return [f for text in texts if text and text.strip() for f in parse(text)]


def describe(text: str) -> str:
    """One filter in words: "status_code = A", "max_kw from 7 to 50", "max_kw ≥ 7"."""
    filters = parse(text)
    if len(filters) == 2:
        return f"{filters[0].column} from {filters[0].value} to {filters[1].value}"
    f = filters[0]
    return f"{f.column} {_WORDS[f.op]} {f.value}"
