"""The demo's datasets say how old they are: the date a manifest's vintage text names, read
as late as it can be, so the lens never calls data older than it is."""

from __future__ import annotations

import datetime

import pytest

from commonground.catalogue.services.seed import vintage_date


@pytest.mark.parametrize("vintage, expected", [
    ("NCR extract; records created 2012-11..2021-07, last update 2021-08-10 (repo data Mar "
     "2022)", datetime.date(2022, 3, 31)),
    ("epraccur as committed Jan 2020", datetime.date(2020, 1, 31)),
    ("24 May 2025, open establishments", datetime.date(2025, 5, 24)),
    ("2023", datetime.date(2023, 12, 31)),
    ("Census 2021", datetime.date(2021, 12, 31)),
    ("2012-11..2024-02", datetime.date(2024, 2, 29)),
    ("", None),
    ("no date at all", None),
])
def test_the_newest_date_a_vintage_names(vintage, expected):
    assert vintage_date(vintage) == expected
