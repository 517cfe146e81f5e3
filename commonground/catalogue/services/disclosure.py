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

``decision`` is where every page gets its suppression. A table of up to
``COMMONGROUND_DISCLOSURE_INLINE_AREAS`` base areas (a city) is decided in the request, as
before. A larger one (a region, a country: minutes of linear programming) is never decided on
a page request: the first request stores its input in a ``DisclosureDecision`` row (one per
decision key, whatever process asks: the unique key makes the row once) and queues
``decide_task`` for the background worker; until the row is decided, every count of it is
hidden and marked ``pending`` ("being checked"), never shown undecided. A decision stuck or
failed for ``STALE`` is queued again by the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

import numpy as np
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from commonground.lens import disclosure, privacy
from commonground.lens.inputs import City
from commonground.lens.privacy import CitySuppression, city_suppression
from commonground.places.cache import city_state

from ..models import DisclosureDecision, Version
from .lens import lens_city

log = logging.getLogger(__name__)

_KEEP = 256  # versions' counts kept per load, the newest
#: A decision queued this long ago and still not made (a worker died, or it failed) is queued
#: again by the next request that needs it. England's takes about ten CPU-minutes, 18 minutes
#: on a busy 2-core machine (``docs/DISCLOSURE.md``): well inside this, so a slow worker is
#: not joined by a second one doing the same.
STALE = timedelta(hours=2)
_DECIDED_KEEP = 8  # stored decisions kept unpacked per process, the newest
_decided: dict[str, disclosure.Suppression] = {}
_decided_lock = threading.Lock()


def decision(city: City, counts, threshold: int) -> CitySuppression:
    """What to hide of ``counts`` (one per base area of ``city``) in every published view.

    Up to ``COMMONGROUND_DISCLOSURE_INLINE_AREAS`` base areas: decided now
    (``privacy.city_suppression``). More: the stored decision when the worker has made it;
    otherwise ``privacy.withheld`` (every count hidden, ``pending``) and the decision queued
    once (see the module)."""
    counts = np.asarray(counts, dtype=float)
    if len(counts) <= settings.COMMONGROUND_DISCLOSURE_INLINE_AREAS:
        return city_suppression(city, counts, threshold)
    names, groups = privacy.published_aggregates(city)
    key = privacy.decision_key(counts, groups, threshold)
    with _decided_lock:
        known = _decided.get(key)
    if known is None:
        known = _stored(key, counts, groups, threshold)
    if known is None:
        return privacy.withheld(city, threshold)
    return privacy.from_result(city, names, known)


def _stored(key: str, counts: np.ndarray, groups: list, threshold: int):
    """The stored decision named ``key``, or None after making sure the worker will make it."""
    row = DisclosureDecision.objects.filter(key=key).only("status", "hidden", "queued").first()
    if row is None:
        row, created = DisclosureDecision.objects.get_or_create(key=key, defaults={
            "threshold": threshold, "cells": counts.tobytes(),
            "groups": privacy.pack_groups(groups)})
        if created:
            transaction.on_commit(partial(decide_task.enqueue, key))
            return None
    if row.status == DisclosureDecision.Status.DONE:
        result = privacy.unpack_hidden(bytes(row.hidden), len(counts), len(groups), threshold)
        with _decided_lock:
            _decided[key] = result
            while len(_decided) > _DECIDED_KEEP:
                del _decided[next(iter(_decided))]
        return result
    if row.queued < timezone.now() - STALE:  # one request (the one that moves it) queues again
        again = DisclosureDecision.objects.filter(key=key, queued=row.queued).exclude(
            status=DisclosureDecision.Status.DONE).update(
            queued=timezone.now(), status=DisclosureDecision.Status.PENDING)
        if again:
            transaction.on_commit(partial(decide_task.enqueue, key))
    return None


@task()
def decide_task(key: str) -> str:
    """The worker's part: make the decision named ``key`` from its stored input, and store it."""
    row = DisclosureDecision.objects.filter(key=key).first()
    if row is None or row.status == DisclosureDecision.Status.DONE:
        return "nothing to decide"
    start = time.perf_counter()
    try:
        cells = np.frombuffer(bytes(row.cells), dtype=float)
        groups = privacy.unpack_groups(bytes(row.groups))
        if privacy.decision_key(cells, groups, row.threshold) != key:
            raise ValueError("the stored input does not match its key")
        result = disclosure.suppress(cells, groups, threshold=row.threshold)
    except Exception as exc:
        log.exception("disclosure decision %s failed", key)
        DisclosureDecision.objects.filter(pk=row.pk).update(
            status=DisclosureDecision.Status.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000])
        return "failed"
    seconds = time.perf_counter() - start
    DisclosureDecision.objects.filter(pk=row.pk).update(
        status=DisclosureDecision.Status.DONE, hidden=privacy.pack_hidden(result),
        seconds=seconds, error="")
    return f"decided in {seconds:.1f} s: {int(np.sum(result.cells))} of {len(cells)} cells hidden"


@dataclass(frozen=True)
class PublicCounts:
    """Rows per area of one version, as anyone may see them.

    ``threshold``: counts below it are hidden (none included). ``areas``: for each published
    geography (the base one, each larger one, ``"city"``), ``[(code, rows or None)]`` in the
    places layer's order; None = hidden."""

    threshold: int
    areas: dict[str, list[tuple[str, int | None]]]
    #: Not decided yet (a large table waits for the background worker): every count hidden.
    pending: bool = False

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
    try:
        return state.derived("public counts", partial(_public_counts, state, version, threshold),
                             key=key, keep=_KEEP)
    except _Pending as pending:  # not kept: the next request asks again
        return pending.table


class _Pending(Exception):
    def __init__(self, table: PublicCounts):
        self.table = table


def _public_counts(state, version: Version, threshold: int) -> PublicCounts:
    city = lens_city(state)
    position = {code: i for i, code in enumerate(city.area_codes)}
    cells = np.zeros(len(position))
    for code, rows in version.areas.filter(geography=city.base_geography).values_list(
            "code", "rows"):
        if code in position:
            cells[position[code]] = rows
    result = decision(city, cells, threshold)
    areas: dict[str, list[tuple[str, int | None]]] = {city.base_geography: [
        (code, None if result.cells[i] else int(cells[i]))
        for i, code in enumerate(city.area_codes)]}
    for geography, code, members in city.published_areas:
        areas.setdefault(geography, []).append(
            (code, None if (geography, code) in result.hidden else int(cells[members].sum())))
    areas["city"] = [("", None if result.city_total else int(cells.sum()))]
    if result.pending:
        raise _Pending(PublicCounts(threshold=threshold, areas=areas, pending=True))
    return PublicCounts(threshold=threshold, areas=areas)


def hidden_area_counts(version: Version) -> frozenset[tuple[str, str]]:
    """``(geography, code)`` of every area whose row count must not be shown."""
    return public_counts(version).hidden
