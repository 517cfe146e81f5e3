"""Row filters for the lens: which of a dataset's rows it counts, written as people write them.

One filter per text; several are all applied (AND)::

    status_code=A          equal (text, number, true/false or a date, by the column's type)
    status_code!=D         not equal (rows with no value are kept)
    max_kw>=7   max_kw>7   max_kw<=50   max_kw<50
    max_kw=7..50           a range, both ends included; either end may be left out (7.. or ..50)

``parse`` turns a text into ``datastore.query.Filter`` s, which ``measure.read_measure`` checks
against the version's columns and binds as parameters (nothing typed becomes SQL);
``check`` also tries a text against a file's columns, so that a filter that cannot be used is
named with what is wrong; ``describe`` says a filter in words for the page, the downloads and
evidence packs.
"""

from __future__ import annotations

from commonground.datastore.query import Filter, QueryError, conditions

#: Operators, longest first so that ">=" is not read as ">" followed by "=".
_OPERATORS = (("!=", "ne"), (">=", "gte"), ("<=", "lte"), ("=", "eq"), (">", "gt"), ("<", "lt"))
_WORDS = {"eq": "=", "ne": "≠", "gte": "≥", "lte": "≤", "gt": ">", "lt": "<"}


class FilterError(ValueError):
    """A row filter that cannot be read or used; the message quotes it (``text``, as written)
    and says what is wrong."""

    def __init__(self, message: str, *, text: str):
        self.text = text
        super().__init__(message)


def parse(text: str) -> list[Filter]:
    """The filters one text stands for (two for a range): ``FilterError`` if it has no
    column, no operator or no value."""
    raw = text.strip()
    at = min(((raw.find(symbol), -len(symbol), symbol, op) for symbol, op in _OPERATORS
              if raw.find(symbol) > 0), default=None)
    if at is None:
        raise FilterError(f"cannot read the row filter {raw!r}: write column=value, "
                          "column>=number or column=low..high", text=raw)
    position, _, symbol, op = at
    column, value = raw[:position].strip(), raw[position + len(symbol):].strip()
    if not column or not value:
        raise FilterError(f"the row filter {raw!r} needs a column and a value", text=raw)
    if op == "eq" and ".." in value:
        low, _, high = (part.strip() for part in value.partition(".."))
        if not low and not high:
            raise FilterError(f"the range in {raw!r} needs at least one end", text=raw)
        low_number, high_number = _number(low), _number(high)
        if low_number is not None and high_number is not None and low_number > high_number:
            raise FilterError(f"the range in {raw!r} runs backwards: write the lower end "
                              f"first ({column}={high}..{low})", text=raw)
        return ([Filter(column, "gte", low)] if low else []) + \
            ([Filter(column, "lte", high)] if high else [])
    return [Filter(column, op, value)]


def check(text: str, types: dict[str, str]) -> list[Filter]:
    """The filters of one text, checked against a file's columns (name → type, as
    ``datastore.query`` has them): ``FilterError`` quotes the text and says what is wrong —
    it cannot be read, names no column of the file, or a value does not fit its column."""
    filters = parse(text)
    raw = text.strip()
    unknown = next((f.column for f in filters if f.column not in types), None)
    if unknown is not None:
        shown = ", ".join(c for c in types if not c.startswith("_")) or "none"
        raise FilterError(f"the row filter {raw!r} names unknown column {unknown!r}; this "
                          f"file's columns are: {shown}", text=raw)
    try:
        conditions(filters, None, types)
    except QueryError as exc:
        raise FilterError(f"the row filter {raw!r} cannot be used: {exc}", text=raw) from None
    return filters


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


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
