"""Bounds on a datastream's settings, the same wherever a stream is made or edited (the
manage page's datastream form, SensorThings ``POST Datastreams``).

A stream keeps its raw observations at most ``MAX_RETENTION_DAYS`` (100 years: a cutoff that
far back is still a date, and the number fits every database's integer), and expects a value
at least once every ``MAX_EXPECTED_INTERVAL_SECONDS`` (a leap year).
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator

MAX_RETENTION_DAYS = 36_500
MAX_EXPECTED_INTERVAL_SECONDS = 366 * 24 * 3600  # 31,622,400

#: (low, high) of each bounded Datastream field.
BOUNDS = {"retention_days": (1, MAX_RETENTION_DAYS),
          "expected_interval_seconds": (1, MAX_EXPECTED_INTERVAL_SECONDS)}


def bound(fields) -> None:
    """Give a form's bounded fields (those of ``BOUNDS`` it has) their limits."""
    for name, (low, high) in BOUNDS.items():
        field = fields.get(name)
        if field is None:
            continue
        field.min_value, field.max_value = low, high
        field.validators += [MinValueValidator(low), MaxValueValidator(high)]
        field.widget.attrs.update(min=low, max=high)
