"""Where to knock first: a weighted, explainable ranking of neighbourhoods for a warm-homes
campaign (pure: NumPy only, no Django).

Each factor is one figure per area with its unit (:data:`FACTORS`). A factor's **score** is
its value put on 0–1 across the areas ranked (min–max: ``(x - min) / (max - min)``; 1 = the
area with the most of it, where a campaign is most needed; all areas equal → 0). An area's
**priority** is the weighted mean of its scores on 0–100::

    priority = 100 × Σ wᵢ·sᵢ / Σ wᵢ,    contribution of factor i = 100 × wᵢ·sᵢ / Σ wᵢ

so the contributions add up to the priority. Weights are whole numbers from 0 to
:data:`MAX_WEIGHT`; only their proportions matter. A city's data may lack a factor (another
city's package without fuel poverty estimates, say): the ranking then uses the factors it
holds, their weights' proportions kept (``available``), and a weight given for a missing
factor is checked, then not used (:func:`not_used` names it).

The figures are not precise enough for exact places (fuel poverty is a model's estimate):
areas are ranked on their priority **rounded to whole points** (:data:`RANK_STEP`), equal
ones sharing a place ("standard competition" ranking: 1, 2, 2, 4), and put in **fifths**
(band 1 = the fifth to knock first), which is what a campaign should read.

References: min–max normalisation and weighted arithmetic aggregation as in OECD/JRC,
*Handbook on Constructing Composite Indicators* (2008), sections 5 and 6.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import HeatInputError


@dataclass(frozen=True)
class Factor:
    key: str  # the weight's name in forms, the API and the CSV
    label: str
    unit: str
    meaning: str  # what a high value means, in plain words
    default_weight: int


FACTORS: tuple[Factor, ...] = (
    Factor("fuel_poverty", "Fuel poverty", "% of households",
           "households on a low income in a home that is costly to heat (modelled)", 40),
    Factor("heating", "Costly or no heating", "% of households",
           "homes heated by electricity only, oil, wood or solid fuel, or with no central "
           "heating", 25),
    Factor("tenure", "Renting privately", "% of households",
           "households renting from a private landlord, the tenure with the highest rate of "
           "fuel poverty in England (DESNZ, Annual Fuel Poverty Statistics)", 15),
    Factor("deprivation", "Deprivation", "IMD score",
           "the Index of Multiple Deprivation's score (higher: more deprived)", 20),
)
FACTOR_KEYS = tuple(f.key for f in FACTORS)
DEFAULT_WEIGHTS: dict[str, int] = {f.key: f.default_weight for f in FACTORS}
MAX_WEIGHT = 100
RANK_STEP = 1.0  # priority points: areas whose priorities round to the same whole point tie
BANDS = 5  # fifths


class WeightError(HeatInputError):
    """A weight that cannot be used; ``field`` names it."""


def parse_weights(given: Mapping[str, object],
                  available: Collection[str] = FACTOR_KEYS) -> dict[str, int]:
    """The weights of the factors ``available`` (those the city's data holds), in
    :data:`FACTORS` order, from a form or query (``{"fuel_poverty": "40", ...}``): each a whole
    number from 0 to ``MAX_WEIGHT``; a factor left out or blank takes its default; at least
    one available factor above 0. A weight given for a factor not available is checked alike,
    then left out (:func:`not_used`). Raises ``WeightError`` naming the first bad weight
    (nothing is ranked then)."""
    out = {}
    for f in FACTORS:
        weight = _weight(f, given.get(f.key))
        if f.key in available:
            out[f.key] = f.default_weight if weight is None else weight
    if not any(out.values()):
        held = [f for f in FACTORS if f.key in available]
        if not held:
            raise ValueError("no factor is available to rank on")
        if len(held) == len(FACTORS):
            raise WeightError(held[0].key, "give at least one factor a weight above 0")
        raise WeightError(held[0].key, "give at least one factor this hub has figures for a "
                          "weight above 0: " + ", ".join(f"“{f.label}”" for f in held))
    return out


def not_used(given: Mapping[str, object], available: Collection[str]) -> dict[str, int]:
    """The weights above 0 given for factors not ``available`` (checked as
    :func:`parse_weights` checks them): the ranking leaves them out and says so."""
    out = {}
    for f in FACTORS:
        weight = _weight(f, given.get(f.key))
        if f.key not in available and weight:
            out[f.key] = weight
    return out


def _weight(f: Factor, raw: object) -> int | None:
    """A weight as typed: None when blank; ``WeightError`` naming it when not a whole number
    from 0 to ``MAX_WEIGHT``."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        return None
    if not (text.isascii() and text.isdigit()) or int(text) > MAX_WEIGHT:
        raise WeightError(f.key, f"the weight of “{f.label}” must be a whole number from "
                          f"0 to {MAX_WEIGHT}, not “{text[:20]}”")
    return int(text)


def normalise(values: np.ndarray) -> np.ndarray:
    """Min–max scores on 0–1 (NaN stays NaN; all values equal → 0)."""
    x = np.asarray(values, dtype=float)
    known = np.isfinite(x)
    out = np.full(x.shape, np.nan)
    if not known.any():
        return out
    low, high = x[known].min(), x[known].max()
    out[known] = (x[known] - low) / (high - low) if high > low else 0.0
    return out


@dataclass(frozen=True)
class Ranking:
    """Arrays over the areas, in the order given. ``order``: area positions, first to knock
    first (unranked last). ``rank``/``band``: 0 where unranked (a weighted factor unknown)."""

    weights: dict[str, int]
    scores: dict[str, np.ndarray]  # 0–1
    contributions: dict[str, np.ndarray]  # priority points
    priority: np.ndarray  # 0–100, NaN when unranked
    rank: np.ndarray  # int, shared by ties
    tied: np.ndarray  # bool: another area has the same rank
    band: np.ndarray  # int 1..BANDS
    order: np.ndarray


def rank(values: Mapping[str, np.ndarray], weights: Mapping[str, int]) -> Ranking:
    """Rank areas by the weighted mean of their factors' scores.

    Parameters
    ----------
    values : each weighted factor's figure per area, in the factor's unit (:data:`FACTORS`)
    weights : the weight of each factor ranked on, as :func:`parse_weights` gives them (the
        factors the data holds: a factor not in ``weights`` takes no part)

    An area with no figure for a factor of positive weight is not ranked (it goes last).
    """
    keys = [k for k in FACTOR_KEYS if k in weights]
    total = float(sum(weights[k] for k in keys))
    scores = {k: normalise(values[k]) for k in keys}
    contributions = {k: 100.0 * weights[k] * np.nan_to_num(scores[k]) / total for k in keys}
    priority = sum(contributions.values())
    unknown = np.zeros(len(priority), dtype=bool)
    for k in keys:
        if weights[k]:
            unknown |= ~np.isfinite(scores[k])
    priority = np.where(unknown, np.nan, priority)
    step = np.where(unknown, -np.inf, np.round(priority / RANK_STEP))
    ranked = int((~unknown).sum())
    # standard competition ranking: 1 + how many ranked areas have a higher rounded priority
    sorted_steps = np.sort(step[~unknown])
    higher = ranked - np.searchsorted(sorted_steps, step, side="right")
    rank_ = np.where(unknown, 0, higher + 1).astype(int)
    counts = np.bincount(rank_, minlength=len(rank_) + 2)
    tied = (rank_ > 0) & (counts[rank_] > 1)
    band = np.where(unknown, 0, np.floor((rank_ - 1) * BANDS / max(ranked, 1)) + 1).astype(int)
    order = np.lexsort((np.arange(len(priority)), -np.nan_to_num(priority, nan=-1.0), unknown))
    return Ranking(weights=dict(weights), scores=scores, contributions=contributions,
                   priority=priority, rank=rank_, tied=tied, band=band, order=order)
