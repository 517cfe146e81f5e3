"""Use case: who is signing up — the difference lens applied to registrations of interest.

Registrations are records about people, so the lens runs with disclosure control: counts
below the threshold (none included: docs/DISCLOSURE.md) are hidden, with whatever would reveal
them, across every view at once. Besides deprivation, registrations are set against the **tenure of the area**: the
city's neighbourhoods cut into five groups of equal count by the share of households that
own their home (Census 2021), registrations per 1,000 households in each, with PHE's 95%
interval (exact below 10, Byar's from 10); those groups join the suppression decision too.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from django.conf import settings
from django.db.models import Count

from commonground.catalogue.services.disclosure import decision
from commonground.catalogue.services.lens import lens_city
from commonground.lens import stats
from commonground.lens.compute import LensOptions, run_lens
from commonground.lens.deprivation import city_groups
from commonground.lens.inputs import Measure
from commonground.places.cache import city_state

from .models import Interest
from .neighbourhoods import NoCensusTables, city_roof_access

TENURE_GROUPS = 5


def reach() -> dict:
    state = city_state()
    city = lens_city(state)
    position = {code: i for i, code in enumerate(city.area_codes)}
    counts = np.zeros(len(position))
    for code, n in Interest.objects.values_list("lsoa_code").annotate(n=Count("id")):
        if code in position:
            counts[position[code]] += n
    owner_share, households = _owner_share(city)
    groups = city_groups(owner_share, TENURE_GROUPS)  # 1 = fewest owners (most renting)
    extra = tuple(("tenure-quintile", str(k), np.flatnonzero(groups == k))
                  for k in range(1, TENURE_GROUPS + 1))
    city = replace(city, published_areas=city.published_areas + extra)
    threshold = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
    measure = Measure(kind="count", label="registrations of interest", unit="rows",
                      per_area=counts, points_xy=np.empty((0, 2)), rows_total=int(counts.sum()),
                      rows_in_areas=int(counts.sum()))
    # one decision for every view; a national one is made in the background (until then
    # every count is hidden: ``pending``)
    hidden = decision(city, counts, threshold)
    lens = run_lens(city, measure, LensOptions(threshold=threshold, draws=2000,
                                               sections=("deprivation", "where")),
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
    return {"lens": lens, "tenure": tenure_rows, "threshold": threshold,
            "being_checked": hidden.pending}


def _owner_share(city) -> tuple[np.ndarray, np.ndarray]:
    """Share of households owning their home, and households, per base area (NaN and 0
    when the city has no accommodation or tenure table)."""
    try:
        access, _, tenure = city_roof_access(city)
    except NoCensusTables:
        n = len(city.area_codes)
        return np.full(n, np.nan), np.zeros(n)
    return access.owner_share, tenure.totals
