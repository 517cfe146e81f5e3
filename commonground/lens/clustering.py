"""Units and clustering: how many independent events a dataset's rows are worth.

PHE's intervals for a count (``stats.poisson_interval``) assume every row is an independent
event. Rows of open data rarely are: charge points come in banks at one site, sites gather in
a retail park, a surgery's branches share a building. Counted per neighbourhood, such rows
vary between neighbourhoods far more than a Poisson count would, and intervals that ignore it
are too narrow (in Milton Keynes, one neighbourhood holds 91 of 300 charge points).

This module measures that spread and turns it into a scale the intervals can use:

* ``group_dispersion`` – for each group of areas (a deprivation decile), the spread of the
  group's total between its areas: the cluster-robust (sandwich) variance of a ratio
  estimator, each area a cluster,

      V_g = m_g / (m_g − 1) · Σ_{i∈g} (y_i − r_g n_i)²,   r_g = Σ y_i / Σ n_i,

  against the variance the standard interval assumes, B_g = Σ y_i for a count (Poisson) or
  Σ w² for a weighted sum (compound Poisson). Its ratio is the group's quasi-Poisson scale
  φ_g = max(1, V_g / B_g): never below 1, so the robust interval is never narrower than PHE's.
  A group with no events or a single area cannot show its own spread and takes the pooled
  scale Σ V / Σ B of the others (also never below 1).
* ``effective`` counts e_g = O_g / φ_g: the number of independent events the group's rows
  are worth. PHE's own interval (exact Poisson below 10, Byar's from 10) on e_g, scaled back
  by φ_g, is the group's clustering-aware interval; with φ_g = 1 it is PHE's interval exactly.
* ``largest_area`` – the influence check: the area holding the largest share of the measure.

Sources: Wedderburn RWM (1974), "Quasi-likelihood functions, generalized linear models, and
the Gauss–Newton method", Biometrika 61:439–447 (the multiplicative scale φ); Cochran WG
(1977), "Sampling Techniques", 3rd ed., §6.4 and §11.8 (the variance of a ratio estimator
from a sample of clusters); Spiegelhalter DJ (2005), "Handling over-dispersion of performance
indicators", Qual Saf Health Care 14:347–351 (over-dispersion of area counts in public health
indicators); Kish L (1965), "Survey Sampling" (the effective sample size n / deff).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: An area holding more than this share of the measure is reported by the influence check,
#: with the headline figures recomputed without it (issue 16: "more than a fifth").
INFLUENCE_SHARE = 0.2


@dataclass(frozen=True)
class Dispersion:
    """The spread of each group's total between its areas (see the module docstring).

    All arrays have one entry per group, in the groups' order; units are those of the
    measure squared (variances) or none (scales).
    """

    total: np.ndarray  # O_g or W_g, the group's total
    assumed: np.ndarray  # B_g, the variance the standard interval assumes
    robust: np.ndarray  # V_g, the between-area (cluster-robust) variance; NaN below two areas
    areas: np.ndarray  # m_g, areas in the group (int)
    phi: np.ndarray  # φ_g >= 1, the scale the interval uses
    pooled: float  # Σ V / Σ B over groups that show their own spread, at least 1
    own: np.ndarray  # True where φ_g comes from the group's own areas, False where pooled

    @property
    def effective(self) -> np.ndarray:
        """O_g / φ_g: the independent events a group's rows are worth (for a weighted sum,
        the events its squared weights are worth, W²/(φ Σw²))."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.assumed > 0, self.total ** 2 / (self.phi * self.assumed), 0.0)

    def as_rows(self) -> list[dict]:
        """One dict per group: ``dispersion`` (φ_g), ``effective`` (independent events) and
        ``dispersion_from`` ("its areas" or "pooled")."""
        eff = self.effective
        return [{"dispersion": float(self.phi[g]), "effective": float(eff[g]),
                 "dispersion_from": "its areas" if self.own[g] else "pooled"}
                for g in range(len(self.phi))]


def group_dispersion(per_area, per_area_sq, population, groups, n_groups: int) -> Dispersion:
    """φ_g for each group 0..n_groups-1 of areas (see the module docstring).

    per_area: (areas,) count or weighted sum y_i per area (NaN counts as 0).
    per_area_sq: (areas,) what the standard interval takes as the area's variance: y_i for a
        count, Σ w² for a weighted sum. population: (areas,) residents n_i (the ratio's
        denominator). groups: (areas,) group index 0..n_groups-1, or anything else (e.g. -1,
        NaN) for an area in no group, which is left out.
    """
    y = np.nan_to_num(np.asarray(per_area, dtype=float))
    sq = np.nan_to_num(np.asarray(per_area_sq, dtype=float))
    n = np.nan_to_num(np.asarray(population, dtype=float))
    g = np.asarray(groups, dtype=float)
    use = np.isfinite(g) & (g >= 0) & (g < n_groups)
    gi = np.where(use, g, 0).astype(int)

    members = [np.flatnonzero(use & (gi == k)) for k in range(n_groups)]

    def by_group(values):
        # exactly rounded sums (math.fsum): the result does not depend on the areas' order
        return np.array([math.fsum(values[i]) for i in members])

    total, residents, assumed = by_group(y), by_group(n), by_group(sq)
    areas = by_group(np.ones_like(y)).astype(int)
    rate = np.where(residents > 0, total / np.where(residents > 0, residents, 1.0), 0.0)
    spread = by_group((y - rate[gi] * n) ** 2)
    many = areas > 1
    robust = np.where(many, spread * areas / np.maximum(areas - 1, 1), np.nan)
    own = many & (assumed > 0)
    pooled = 1.0
    if own.any() and assumed[own].sum() > 0:
        pooled = max(1.0, float(robust[own].sum() / assumed[own].sum()))
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = np.where(own, np.maximum(robust / np.where(own, assumed, 1.0), 1.0), pooled)
    return Dispersion(total=total, assumed=assumed, robust=robust, areas=areas, phi=phi,
                      pooled=pooled, own=own)


def effective_points(total: float, dispersion: Dispersion) -> int:
    """The independent points a measure's ``total`` is worth, for redrawing it over areas:
    total² / Σ_g φ_g B_g (for a count, N / φ; for a weighted sum, Kish's (Σw)²/Σw² / φ),
    rounded, at least 1 when there is anything to redraw. Groups cover the areas once (a
    deprivation decile each, or one group for the city)."""
    variance = float(np.sum(dispersion.phi * dispersion.assumed))
    if total <= 0 or variance <= 0:
        return 0
    return max(1, int(round(total * total / variance)))


def largest_area(per_area) -> tuple[int, float]:
    """(index, share) of the area holding the largest share of the measure; (-1, 0.0) when
    the measure sums to nothing. Ties: the first area in order."""
    y = np.nan_to_num(np.asarray(per_area, dtype=float))
    total = y.sum()
    if total <= 0:
        return -1, 0.0
    i = int(np.argmax(y))
    return i, float(y[i] / total)
