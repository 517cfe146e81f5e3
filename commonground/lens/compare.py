"""Comparing two groups' rates or values, with a 95% interval, for the plain-words summary.

Counts: the ratio of two Poisson rates, exact conditional on the total (Clopper–Pearson on
the share of events in the first group; Armitage, Berry & Matthews, *Statistical Methods in
Medical Research*, 4th ed., §5.3). Where the rows are clustered (``clustering``), each count O
and its residents P are divided by the group's scale φ first: the rate is unchanged, and the
interval is that of the O/φ independent events the rows are worth. Weighted sums and values:
log-normal approximation from each group's 95% interval (se of the log ratio = √(se₁² + se₂²)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Ratio:
    ratio: float  # first / second; inf or nan when the second is zero
    low: float
    high: float

    @property
    def clear(self) -> bool:
        """True when the 95% interval excludes 1 (no difference). An upper limit of infinity
        (none in the second group) still counts when the lower limit is above 1."""
        return bool((np.isfinite(self.low) and self.low > 1)
                    or (np.isfinite(self.high) and self.high < 1))

    def as_dict(self) -> dict:
        return {"ratio": _f(self.ratio), "low": _f(self.low), "high": _f(self.high),
                "clear": self.clear}


def _f(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def count_rate_ratio(o1: float, p1: float, o2: float, p2: float, *, phi1: float = 1.0,
                     phi2: float = 1.0) -> Ratio:
    """Rate ratio (o1/p1)/(o2/p2) with an exact 95% interval conditional on o1 + o2.

    phi1, phi2 (>= 1): each count's quasi-Poisson scale (``clustering.group_dispersion``);
    the interval is then the conditional one for the effective counts e = o/φ over the
    effective residents p/φ (Clopper–Pearson with non-whole counts, through the beta
    distribution). With φ = 1 (the default) this is the exact interval for Poisson counts."""
    if not (phi1 >= 1 and phi2 >= 1):
        raise ValueError(f"each scale φ must be at least 1, not {phi1!r} and {phi2!r}")
    o1, o2, p1, p2 = o1 / phi1, o2 / phi2, p1 / phi1, p2 / phi2
    n = o1 + o2
    if p1 <= 0 or p2 <= 0 or n <= 0:
        return Ratio(np.nan, np.nan, np.nan)
    lo = stats.beta.ppf(0.025, o1, n - o1 + 1) if o1 > 0 else 0.0
    hi = stats.beta.ppf(0.975, o1 + 1, n - o1) if o1 < n else 1.0
    scale = p2 / p1

    def to_ratio(share: float) -> float:
        return np.inf if share >= 1 else share / (1 - share) * scale

    ratio = to_ratio(o1 / n)
    return Ratio(ratio, to_ratio(lo), to_ratio(hi))


def lognormal_ratio(y1: float, low1: float, high1: float, y2: float, low2: float,
                    high2: float) -> Ratio:
    """Ratio y1/y2 with a log-normal 95% interval from each value's own interval (NaN
    interval when a value or limit is missing or not positive)."""
    if any(v is None for v in (y1, low1, high1, y2, low2, high2)):
        return Ratio(np.nan, np.nan, np.nan)
    if not (y1 > 0 and y2 > 0 and low1 > 0 and low2 > 0):
        return Ratio(y1 / y2 if y2 > 0 else np.nan, np.nan, np.nan)
    se = np.hypot(np.log(high1 / low1), np.log(high2 / low2)) / (2 * Z95)
    r = y1 / y2
    return Ratio(r, r * np.exp(-Z95 * se), r * np.exp(Z95 * se))
