"""A project's dates as its sources give them ("2014", "2014-05" or "2014-05-01"), and the
first and last day each can mean (for filtering by period). Pure: no Django."""

from __future__ import annotations

import calendar
import datetime
import re

SHAPE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def day_range(text: str) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day ``text`` can mean; None for blank (not known). Raises
    ``ValueError`` (a sentence, without the field's name) for anything else."""
    text = (text or "").strip()
    if not text:
        return None
    match = SHAPE.match(text)
    if not match:
        raise ValueError(f"“{text[:20]}” is not a date: write 2014, 2014-05 or 2014-05-01")
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        if month is None:
            return datetime.date(year, 1, 1), datetime.date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return datetime.date(year, month, 1), datetime.date(year, month, last)
        exact = datetime.date(year, month, day)
    except ValueError:
        raise ValueError(f"“{text}” is not a date of the calendar") from None
    return exact, exact
