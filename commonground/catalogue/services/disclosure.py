"""Use case: which per-area counts of a dataset about people may be shown, and what they are.

Rows per area are published on place pages and by the ``aggregate`` API for every geography
(LSOA, MSOA, ward, the city, 2011 areas). Each larger area's count is the sum of its base
areas' counts (every row's larger areas follow from its base area, best fit), so hiding a
small LSOA count is not enough: its MSOA's count minus its other LSOAs' would give it away.
``commonground.lens.privacy.city_suppression`` hides the small counts and then whatever
would reveal them, across every geography and every lens grouping at once, so the lens, the
place pages and the API hide the same cells.

``public_counts`` is that one table as everyone may see it: every area of every published
geography, its count or None (hidden), built from the version's rows per base area — exactly
the cells the suppression checked. Rows placed only in a larger area (a file that gives wards,
not neighbourhoods) or in no area are not in it: a count of them would be a count the
suppression never saw. Hidden means "fewer than the threshold — none included — or a count
that would give one away": none is never told apart from a few (``docs/DISCLOSURE.md``).

Only the live version's table is public; older versions' counts are for the organisation's
members (``access.can_see_version_counts``): two tables, each safe on its own, differenced
would show where one person moved. Kept per version (versions are immutable) in the load's
memo (``CityState.derived``): built once, by one thread, the newest 256.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
from django.conf import settings

from commonground.lens.privacy import city_suppression
from commonground.places.cache import city_state

from ..models import Version
from .lens import lens_city

_KEEP = 256  # versions' counts kept per load, the newest


@dataclass(frozen=True)
class PublicCounts:
    """Rows per area of one version, as anyone may see them.

    ``threshold``: counts below it are hidden (none included). ``areas``: for each published
    geography (the base one, each larger one, ``"city"``), ``[(code, rows or None)]`` in the
    places layer's order; None = hidden."""

    threshold: int
    areas: dict[str, list[tuple[str, int | None]]]

    def count(self, geography: str, code: str) -> int | None:
        """The area's count, or None when hidden (or not a published area)."""
        return dict(self.areas.get(geography, ())).get(code)

    @property
    def hidden(self) -> frozenset[tuple[str, str]]:
        """``(geography, code)`` of every hidden count (``("city", "")`` for the total)."""
        return frozenset((g, code) for g, rows in self.areas.items()
                         for code, n in rows if n is None)


def public_counts(version: Version) -> PublicCounts:
    """The version's rows per area with disclosure control applied (see the module)."""
    state = city_state()
    threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
    key = (str(version.parquet_path), version.sha256, threshold)
    return state.derived("public counts", partial(_public_counts, state, version, threshold),
                         key=key, keep=_KEEP)


def _public_counts(state, version: Version, threshold: int) -> PublicCounts:
    city = lens_city(state)
    position = {code: i for i, code in enumerate(city.area_codes)}
    cells = np.zeros(len(position))
    for code, rows in version.areas.filter(geography=city.base_geography).values_list(
            "code", "rows"):
        if code in position:
            cells[position[code]] = rows
    result = city_suppression(city, cells, threshold)
    areas: dict[str, list[tuple[str, int | None]]] = {city.base_geography: [
        (code, None if result.cells[i] else int(cells[i]))
        for i, code in enumerate(city.area_codes)]}
    for geography, code, members in city.published_areas:
        areas.setdefault(geography, []).append(
            (code, None if (geography, code) in result.hidden else int(cells[members].sum())))
    areas["city"] = [("", None if result.city_total else int(cells.sum()))]
    return PublicCounts(threshold=threshold, areas=areas)


def hidden_area_counts(version: Version) -> frozenset[tuple[str, str]]:
    """``(geography, code)`` of every area whose row count must not be shown."""
    return public_counts(version).hidden
