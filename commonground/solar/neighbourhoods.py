"""Who could put panels on their own roof, neighbourhood by neighbourhood (Census 2021).

Own-roof solar needs a roof of your own and the right to change it. Census 2021 counts
households by accommodation type (TS044) and by tenure (TS054), per LSOA, but not the two
together, so within each neighbourhood they are taken as independent:

    own-roof households ≈ households in houses × share of households that own their home

where *houses* are detached, semi-detached and terraced homes (every other type is a flat, a
bedsit, a caravan or rooms over a shop, with no roof of its own) and *own their home* is
"Owned: owns outright" and "Owned: owns with a mortgage or loan" (shared owners, private and
social renters and those living rent free need a landlord's or freeholder's consent).
Everyone else is **shut out** of own-roof solar, and the options that reach them are the
community ones (shares, community buildings, landlord schemes). Residents shut out are
households shut out × the area's residents per household. Because owning and living in a
house go together, the independence assumption *understates* own-roof households where
both are common and overstates them elsewhere; it is said on the page.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The categories live in a module that imports nothing (the heat picture needs them without
# pvlib); they stay importable from here.
from commonground.geography.census_homes import HOUSE_TYPES, OWNER_PREFIX

__all__ = ["HOUSE_TYPES", "OWNER_PREFIX", "RoofAccess", "roof_access"]


@dataclass(frozen=True)
class RoofAccess:
    """Per neighbourhood (arrays over the same areas): households in houses and in flats,
    owner-occupier share, own-roof households, households and residents shut out."""

    households: np.ndarray
    houses: np.ndarray
    flats: np.ndarray
    owner_share: np.ndarray
    own_roof: np.ndarray
    shut_out: np.ndarray
    shut_out_share: np.ndarray
    residents_shut_out: np.ndarray


def roof_access(accommodation_labels, accommodation_counts, tenure_labels, tenure_counts,
                residents) -> RoofAccess:
    """Own-roof households and those shut out, per area, from two Census tables.

    ``accommodation_counts``: (areas, types) households by TS044 type, labels as published;
    ``tenure_counts``: (areas, tenures) households by TS054 tenure; ``residents``: (areas,).
    """
    acc = np.asarray(accommodation_counts, dtype=float)
    ten = np.asarray(tenure_counts, dtype=float)
    house_cols = [i for i, label in enumerate(accommodation_labels) if label in HOUSE_TYPES]
    owner_cols = [i for i, label in enumerate(tenure_labels) if label.startswith(OWNER_PREFIX)]
    if len(house_cols) != len(HOUSE_TYPES):
        raise ValueError(f"the accommodation table needs the types {', '.join(HOUSE_TYPES)}")
    if not owner_cols:
        raise ValueError(f"the tenure table has no “{OWNER_PREFIX} …” categories")
    households = acc.sum(axis=1)
    houses = acc[:, house_cols].sum(axis=1)
    tenure_total = ten.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        owner_share = np.where(tenure_total > 0, ten[:, owner_cols].sum(axis=1) / tenure_total,
                               np.nan)
        own_roof = houses * owner_share
        shut_out = households - own_roof
        shut_out_share = np.where(households > 0, shut_out / households, np.nan)
        per_household = np.where(households > 0, np.asarray(residents, float) / households,
                                 np.nan)
    return RoofAccess(households=households, houses=houses, flats=households - houses,
                      owner_share=owner_share, own_roof=own_roof, shut_out=shut_out,
                      shut_out_share=shut_out_share,
                      residents_shut_out=shut_out * per_household)
