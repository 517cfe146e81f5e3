"""When a project ran, as far as the register can honestly say: the one rule the list's
period filter (``listing.py``), the network's (``network.py``) and their pages share. Pure:
no Django.

A project's *span* is the days it is known to have run:

* a known start and end: start to end (``dates.day_range`` gives the first day the start can
  mean and the last day the end can mean);
* a known start, no end, status live: start to today (it is running now);
* a known start, no end, any other status (ended, pilot, idea, not known): the start's year
  only, the one year it is known to have run. Its end is not known, so it is not assumed to
  run on (an "ended" project with no end ended some time we cannot name), and pages say
  "end not known";
* no known start: no span. It is placed in no period: when a period is chosen it is left
  out, and pages say how many were left out so.

A project is *in* a period (years, either end open) when its span overlaps it. With no
period chosen every project is listed, dated or not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

#: The rule in a sentence, as both pages show it beside their year fields.
RULE_WORDS = ("A project counts in the years it ran. If its end is not known, it counts "
              "only in the year it started, unless it is live (then it runs to today). "
              "Projects with no known start are left out when you choose years.")


@dataclass(frozen=True)
class Span:
    """The days a project is known to have run. ``end_known`` False: ``last`` is assumed
    (today for a live project, the end of its start year otherwise)."""

    first: datetime.date
    last: datetime.date
    end_known: bool


def span(start: datetime.date | None, end: datetime.date | None, *, live: bool,
         today: datetime.date | None = None) -> Span | None:
    """The project's span (module docstring), None when its start is not known.

    ``start`` is the first day its start can mean, ``end`` the last day its end can mean
    (None: not known); ``live`` whether its status is live; ``today`` defaults to the
    date now."""
    if start is None:
        return None
    if end is not None:
        return Span(start, end, end_known=True)
    if live:
        return Span(start, max(start, today or datetime.date.today()), end_known=False)
    return Span(start, datetime.date(start.year, 12, 31), end_known=False)


def period_days(first_year: int | None, last_year: int | None
                ) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day of the years ``first_year``–``last_year`` (None: open)."""
    return (datetime.date(first_year, 1, 1) if first_year is not None else None,
            datetime.date(last_year, 12, 31) if last_year is not None else None)


def in_period(start: datetime.date | None, end: datetime.date | None, *, live: bool,
              first_year: int | None, last_year: int | None,
              today: datetime.date | None = None) -> bool:
    """Whether the project ran in the years ``first_year``–``last_year`` (inclusive; None:
    open; both None: no period, every project is in)."""
    if first_year is None and last_year is None:
        return True
    known = span(start, end, live=live, today=today)
    if known is None:
        return False
    first, last = period_days(first_year, last_year)
    return (first is None or known.last >= first) and (last is None or known.first <= last)


def left_out_words(count: int) -> str:
    """The sentence both pages show when a period leaves out projects with no known start."""
    if not count:
        return ""
    return (f"{count} project{'s' if count != 1 else ''} with no known start "
            f"{'are' if count != 1 else 'is'} left out: {'they' if count != 1 else 'it'} "
            "cannot be placed in a period.")
