"""Use case: who is signing up — the difference lens applied to registrations of interest.

Registrations are records about people, so the lens runs with disclosure control: counts
below the threshold (none included: docs/DISCLOSURE.md) are hidden, with whatever would reveal
them, across every view at once. Besides deprivation, registrations are set against the **tenure of the area**: the
city's neighbourhoods cut into five groups of equal count by the share of households that
own their home (Census 2021), registrations per 1,000 households in each, with PHE's 95%
interval (exact below 10, Byar's from 10); those groups join the suppression decision too.

**When the figures move.** Not with each registration: a page that did would tell, by the
difference between two visits, where the newest registrant lives, whatever is hidden. Each
registration also counts its person, once however many offers they register for, and by
neighbourhood only, towards everyone who registers
(``participation.registrations.REGISTERING``); the page shows only that count's closed
batches (the participation lens's milestones: the first ``2t`` people, then ``8t``, ``32t``...;
``participation.lens.published_rows``), so it moves only when a milestone is passed. A batch,
once closed, never changes: a registration deleted afterwards (or with its offer), or an offer
closed, changes nothing shown, and those people are still counted — they registered, and
taking them out would move the page by one person. Each milestone's counts are decided by the
city-wide decision, and each grouping's (deprivation tables, tenure fifths) is also audited
against what the earlier milestones showed (``participation.lens.decide``), since a reader
may keep every page.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from django.conf import settings

from commonground.catalogue.services.disclosure import decision
from commonground.catalogue.services.lens import lens_city
from commonground.lens import stats
from commonground.lens.compute import LensOptions, run_lens
from commonground.lens.deprivation import city_groups, groups_of
from commonground.lens.groupings import GROUPINGS
from commonground.lens.inputs import Measure
from commonground.lens.privacy import CitySuppression
from commonground.participation.lens import decide, milestone_size, published_rows
from commonground.participation.registrations import REGISTERING
from commonground.places.cache import city_state

from .neighbourhoods import NoCensusTables, city_roof_access

TENURE_GROUPS = 5


def reach() -> dict:
    """The published figures: ``{"shown": False, "first": n}`` until the first milestone is
    passed; then the lens (``lens``), the tenure rows (``tenure``), ``people`` counted and
    ``next``, the milestone at which the figures next move."""
    threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
    shown, rows = published_rows(":".join(REGISTERING), "lsoa_code")
    if not shown:
        return {"shown": False, "threshold": threshold, "first": milestone_size(1, threshold),
                "being_checked": False}
    state = city_state()
    city = lens_city(state)
    position = {code: i for i, code in enumerate(city.area_codes)}
    outside = len(position)  # a neighbourhood no longer in the city's boundaries
    per_batch = np.zeros((shown, outside + 1))
    batch = [b - 1 for b, _ in rows]
    np.add.at(per_batch, (batch, [position.get(code, outside) for _, code in rows]), 1)
    counts = per_batch[:, :outside].sum(axis=0)
    owner_share, households = _owner_share(city)
    groups = city_groups(owner_share, TENURE_GROUPS)  # 1 = fewest owners (most renting)
    extra = tuple(("tenure-quintile", str(k), np.flatnonzero(groups == k))
                  for k in range(1, TENURE_GROUPS + 1))
    city = replace(city, published_areas=city.published_areas + extra)
    measure = Measure(kind="count", label="people registering interest", unit="people",
                      per_area=counts, points_xy=np.empty((0, 2)), rows_total=int(counts.sum()),
                      rows_in_areas=int(counts.sum()))
    # one decision for every view; a national one is made in the background (until then
    # every count is hidden: ``pending``)
    hidden = decision(city, counts, threshold)
    if not hidden.pending:
        hidden = _kept_from_earlier(hidden, city, per_batch, groups, threshold)
    lens = run_lens(city, measure, LensOptions(threshold=threshold, draws=2000,
                                               sections=("deprivation",)),
                    suppression=hidden)
    tenure_rows = []
    for k in range(1, TENURE_GROUPS + 1):
        members = groups == k
        n = counts[members].sum()
        homes = households[members].sum()
        secret = hidden.area_hidden("tenure-quintile", str(k))
        rate, low, high = stats.rate_with_interval(np.array([n]), np.array([homes]), per=1000)
        share = owner_share[members]
        tenure_rows.append({
            "group": k, "areas": int(members.sum()), "households": int(homes),
            "owner_share_from": round(float(np.nanmin(share)), 3),
            "owner_share_to": round(float(np.nanmax(share)), 3),
            "registrations": None if secret else int(n),
            "rate": None if secret else round(float(rate[0]), 3),
            "low": None if secret else round(float(low[0]), 3),
            "high": None if secret else round(float(high[0]), 3), "suppressed": secret})
    return {"shown": True, "lens": lens, "tenure": tenure_rows, "threshold": threshold,
            "people": len(rows), "next": milestone_size(shown + 1, threshold),
            "being_checked": hidden.pending}


def _kept_from_earlier(hidden: CitySuppression, city, per_batch: np.ndarray,
                       tenure: np.ndarray, threshold: int) -> CitySuppression:
    """``hidden``, and besides every group of a published grouping (each deprivation table
    the lens shows, the tenure fifths) whose count would, set beside the earlier milestones'
    pages, narrow a small count of one batch (``participation.lens.decide``: batches ×
    groups, areas in none of them and those outside the city as one more column)."""
    groupings = [("tenure-quintile", tenure, TENURE_GROUPS)]
    if city.deprivation:
        dep = city.edition(None)
        groupings += [(f"{g}@{dep.key}", groups_of(dep, g), n) for g, (_, n) in GROUPINGS.items()]
    more = set()
    for name, group, n in groupings:
        group = np.nan_to_num(np.asarray(group, dtype=float)).astype(int)  # 0: in none
        column = np.append(np.where((group >= 1) & (group <= n), group - 1, n), n)
        cells = (per_batch @ np.eye(n + 1)[column]).astype(int)  # batches × groups
        latest = decide(cells, threshold)[-1]
        more |= {(name, str(k + 1)) for k in range(n) if latest[k]}
    return replace(hidden, hidden=hidden.hidden | more)


def _owner_share(city) -> tuple[np.ndarray, np.ndarray]:
    """Share of households owning their home, and households, per base area (NaN and 0
    when the city has no accommodation or tenure table)."""
    try:
        access, _, tenure = city_roof_access(city)
    except NoCensusTables:
        n = len(city.area_codes)
        return np.full(n, np.nan), np.zeros(n)
    return access.owner_share, tenure.totals
