"""Inequality statistics for the difference lens: intervals, slope and concentration indices.

Pure numpy/scipy (no Django). Every function takes and returns plain arrays or floats.

Ordering convention, used throughout: groups (usually deprivation deciles) are given from the
MOST deprived (first) to the LEAST deprived (last). The relative rank ``b`` therefore runs from
0 (most deprived end) to 1 (least deprived end), as in the Public Health England guide and the
PHEindicatormethods ``phe_sii`` function.

Sources:

- Public Health England, "Technical Guide: Calculating the slope index of inequality / relative
  index of inequality", Fingertips public health technical guidance (after Low & Low 2004,
  "Measuring the gap", J Public Health 26:388-395).
- Breslow NE, Day NE (1987), "Statistical Methods in Cancer Research, Vol. II", IARC, for Byar's
  approximation to the exact Poisson interval.
- Wilson EB (1927), "Probable inference, the law of succession, and statistical inference",
  JASA 22:209-212; Newcombe RG (1998), Stat Med 17:857-872, for the score interval.
- O'Donnell O, van Doorslaer E, Wagstaff A, Lindelow M (2008), "Analyzing Health Equity Using
  Household Survey Data", World Bank, ch. 8, for the concentration index.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as _st

Z95 = 1.959963984540054  # two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975)

SCALES = ("log", "linear")


def _floats(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


# --- intervals for one group -------------------------------------------------------------------


def byar_interval(count, z=Z95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the exact Poisson interval for an observed count O (array ok).

    lower = O * (1 - 1/(9 O) - z / (3 sqrt(O)))**3
    upper = (O + 1) * (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))**3

    Units: events (the same units as ``count``). Lower is 0 when O == 0 (and is clipped at 0 for
    fractional counts below 1, where the cubed term can go negative). NaN where O is NaN or
    negative. Within about 1% of the exact chi-square limits for O >= 10 (Breslow & Day 1987,
    vol. II; the method PHE Fingertips uses for counts and rates).
    """
    o = _floats(count)
    valid = np.isfinite(o) & (o >= 0)
    safe = np.where(valid, o, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = safe * (1.0 - 1.0 / (9.0 * safe) - z / (3.0 * np.sqrt(safe))) ** 3
        upper = (safe + 1.0) * (1.0 - 1.0 / (9.0 * (safe + 1.0)) + z / (3.0 * np.sqrt(safe + 1.0))) ** 3
    lower = np.where(safe > 0, np.maximum(lower, 0.0), 0.0)
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def wilson_interval(successes, trials, z=Z95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion p = successes / trials (Wilson 1927).

    centre = (p + z²/(2n)) / (1 + z²/n)
    half   = z * sqrt(p (1 - p) / n + z²/(4 n²)) / (1 + z²/n)

    Units: a proportion in [0, 1]. Exactly 0 as the lower limit when successes == 0 and exactly 1
    as the upper limit when successes == trials. NaN where trials <= 0 or either input is NaN.
    """
    s = _floats(successes)
    n = _floats(trials)
    valid = np.isfinite(s) & np.isfinite(n) & (n > 0)
    n_safe = np.where(valid, n, 1.0)
    p = np.where(valid, s, 0.0) / n_safe
    z2 = z * z
    denom = 1.0 + z2 / n_safe
    centre = (p + z2 / (2.0 * n_safe)) / denom
    half = z * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / n_safe + z2 / (4.0 * n_safe**2)) / denom
    lower = np.clip(centre - half, 0.0, 1.0)
    upper = np.clip(centre + half, 0.0, 1.0)
    lower = np.where(p <= 0, 0.0, lower)
    upper = np.where(p >= 1, 1.0, upper)
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def rate_with_interval(
    count, population, per=1000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crude rate count / population * per, with Byar's 95% interval on the count.

    Units: events per ``per`` people (default per 1,000). NaN where population <= 0 or either
    input is NaN/negative.
    """
    o = _floats(count)
    pop = _floats(population)
    low, high = byar_interval(o)
    valid = np.isfinite(pop) & (pop > 0) & np.isfinite(low)
    scale = np.where(valid, per / np.where(valid, pop, 1.0), np.nan)
    return o * scale, low * scale, high * scale


def weighted_rate_with_interval(
    total, sum_squares, population, per=1000.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate of a weighted sum (e.g. charging connectors) per ``per`` people, with a 95% interval.

    A sum of weights ``W = Σ w_i`` over a Poisson number of rows is compound Poisson with
    variance ``Σ w_i²``, so its interval is log-normal, ``W·exp(±z·√(Σw²)/W)``, and scales with
    the weights' unit (Byar's interval on ``W`` itself would not: it treats ``W`` as a count).
    For weights all 1 this is close to Byar's interval for the count. A group with ``W = 0``
    gets ``[0, u·w̄]``, Byar's upper limit for a count of 0 (``u ≈ 3.69``) times the size-biased
    mean weight ``w̄ = Σw²/Σw`` of all groups together. NaN where population <= 0.
    """
    w = _floats(total)
    sq = _floats(sum_squares)
    pop = _floats(population)
    valid = np.isfinite(pop) & (pop > 0) & np.isfinite(w) & (w >= 0)
    scale = np.where(valid, per / np.where(valid, pop, 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.exp(Z95 * np.sqrt(sq) / w)
        low = np.where(w > 0, w / spread, 0.0)
        high = np.where(w > 0, w * spread, np.nan)
    all_w = np.nansum(np.where(valid, w, 0.0))
    if all_w > 0:
        typical = np.nansum(np.where(valid, sq, 0.0)) / all_w
        high = np.where(w > 0, high, byar_interval(np.zeros(1))[1][0] * typical)
    return w * scale, low * scale, high * scale


def proportion_with_interval(successes, trials) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion successes / trials (0..1) with its Wilson 95% interval; NaN where trials <= 0."""
    s = _floats(successes)
    n = _floats(trials)
    low, high = wilson_interval(s, n)
    valid = np.isfinite(low)
    p = np.where(valid, s, np.nan) / np.where(valid, n, 1.0)
    return p, low, high


def value_with_interval(
    values, weights, groups, n_groups
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean of area-level values per group, with a t-based 95% interval.

    For each group g in 0..n_groups-1, over the areas i in the group that have a value:

    mean_g = sum w_i x_i / sum w_i
    se_g   = sqrt(sum w_i² (x_i - mean_g)²) / sum w_i
    interval = mean_g ± t(0.975, n_g - 1) * se_g

    Units: those of ``values``. ``n`` (int array) counts the areas used: finite value and finite
    weight > 0. Areas whose group is outside 0..n_groups-1 (e.g. -1 for "no decile") are
    skipped. Groups with no usable area get NaN everywhere; groups with one area get the mean and
    a NaN interval.
    """
    x = _floats(values).ravel()
    w = _floats(weights).ravel()
    g = np.asarray(groups).ravel()
    g_float = g.astype(float)
    use = (
        np.isfinite(x) & np.isfinite(w) & (w > 0)
        & np.isfinite(g_float) & (g_float >= 0) & (g_float < n_groups)
    )
    x, w, gi = x[use], w[use], g_float[use].astype(int)
    n = np.bincount(gi, minlength=n_groups)[:n_groups]
    sw = np.bincount(gi, weights=w, minlength=n_groups)[:n_groups]
    swx = np.bincount(gi, weights=w * x, minlength=n_groups)[:n_groups]
    has = n > 0
    mean = np.where(has, swx / np.where(has, sw, 1.0), np.nan)
    resid = x - mean[gi]
    ss = np.bincount(gi, weights=(w * resid) ** 2, minlength=n_groups)[:n_groups]
    many = n > 1
    se = np.where(many, np.sqrt(ss) / np.where(many, sw, 1.0), np.nan)
    t = np.where(many, _st.t.ppf(0.975, np.maximum(n - 1, 1)), np.nan)
    return mean, mean - t * se, mean + t * se, n


# --- ranks, slope and concentration -------------------------------------------------------------


def cumulative_midpoints(population) -> tuple[np.ndarray, np.ndarray]:
    """Population shares ``a`` and relative ranks ``b`` of ordered groups (PHE Fingertips guide).

    a_j = population_j / sum(population)
    b_j = (a_1 + ... + a_{j-1}) + a_j / 2

    Groups must be ordered from MOST deprived (first) to LEAST deprived (last), so b runs from
    near 0 (most deprived) to near 1 (least deprived). Units: fractions of the total population.
    Missing or negative populations count as 0 (share 0). All zero: a and b are all NaN.
    """
    pop = _floats(population)
    pop = np.where(np.isfinite(pop) & (pop > 0), pop, 0.0)
    total = pop.sum()
    if total <= 0:
        nan = np.full(pop.shape, np.nan)
        return nan, nan.copy()
    a = pop / total
    b = np.cumsum(a) - a / 2.0
    return a, b


def _ranked(y, population) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """a, b over all groups with population > 0; then keep the groups with a finite y."""
    y = _floats(y)
    a, b = cumulative_midpoints(population)
    keep = np.isfinite(y) & np.isfinite(a) & (a > 0)
    return y[keep], a[keep], b[keep]


def _centred_fit(ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least squares of y on b with weights a, for one row of y or many (rows = draws).

    Same solution as the no-intercept fit sqrt(a) y = beta0 sqrt(a) + beta1 b sqrt(a), written in
    centred form for accuracy: beta1 = sum a (b - b̄)(y - ȳ) / sum a (b - b̄)², beta0 = ȳ - beta1 b̄.
    """
    w = a / a.sum()
    bbar = w @ b
    db = b - bbar
    sbb = w @ (db * db)
    ybar = ys @ w
    beta1 = ((ys - ybar[..., None]) * (w * db)).sum(axis=-1) / sbb
    return ybar - beta1 * bbar, beta1


def fit_slope_index(y, population) -> tuple[float, float]:
    """(beta0, beta1): intercept and slope index of inequality (SII = beta1).

    Weighted regression without intercept term, as in the PHE Fingertips guide:

        sqrt(a_j) y_j = beta0 sqrt(a_j) + beta1 b_j sqrt(a_j)

    i.e. least squares of y on the relative rank b weighted by the population share a. ``a`` and
    ``b`` (see ``cumulative_midpoints``) are computed over ALL groups with population > 0; groups
    whose y is NaN are then left out of the regression only. Units of both: those of y.

    Sign: beta0 is the fitted value at the most deprived end (b = 0) and beta0 + beta1 at the
    least deprived end (b = 1), so SII > 0 means y is higher in less deprived groups. Fewer than
    two usable groups: (NaN, NaN).
    """
    ys, a, b = _ranked(y, population)
    if ys.size < 2:
        return math.nan, math.nan
    beta0, beta1 = _centred_fit(ys, a, b)
    return float(beta0), float(beta1)


def _ratio_at_ends(beta0, beta1):
    """RII = (beta0 + beta1) / beta0: fitted least-deprived value over fitted most-deprived."""
    beta0 = np.asarray(beta0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rii = (beta0 + beta1) / beta0
    return np.where(np.isfinite(rii), rii, np.nan)


def _concentration(ys: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = 2 cov_a(y, b) / mu for one row of y or many; NaN where mu == 0."""
    w = a / a.sum()
    db = b - w @ b
    mu = ys @ w
    cov = ys @ (w * db)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = 2.0 * cov / mu
    return np.where(np.isfinite(c), c, np.nan)


def concentration_index(y, population) -> float:
    """Concentration index of y over ordered groups (O'Donnell et al. 2008, ch. 8).

    C = (2 / mu) * sum_j a_j y_j b_j - 1,   mu = sum_j a_j y_j

    with the same a, b as ``cumulative_midpoints`` (groups ordered most deprived first). This equals
    C = 2 cov_a(y, b) / mu, the form used here so that groups with NaN y can be left out (their
    shares drop from the weights, renormalised over the remaining groups; with every group present
    the two forms agree exactly). Dimensionless, in [-1, 1] for y >= 0.

    Sign: b increases from the most to the least deprived group, so C > 0 means y is concentrated
    in the LESS deprived groups and C < 0 means it is concentrated in the MORE deprived groups
    (the usual convention with poorest ranked first). C = 0 when y is equal in every group. NaN
    when mu == 0 or fewer than two usable groups.
    """
    ys, a, b = _ranked(y, population)
    if ys.size < 2:
        return math.nan
    return float(_concentration(ys, a, b))


# --- slope index with Monte Carlo intervals ----------------------------------------------------


@dataclass(frozen=True)
class SlopeIndex:
    """SII, RII and concentration index with Monte Carlo 95% intervals.

    sii: slope index of inequality, in the units of y: fitted value at the least deprived end
        minus fitted value at the most deprived end (> 0: higher in less deprived groups).
    rii: relative index of inequality, England/PHE definition: (beta0 + beta1) / beta0, the
        fitted value at the least deprived end over that at the most deprived end (> 1: higher
        in less deprived groups). Scotland (ScotPHO) defines the RII differently, as the SII
        divided by the population mean of y; the two are not comparable.
    concentration: concentration index (> 0: concentrated in less deprived groups).
    draws: Monte Carlo draws behind the intervals.
    scale: "log" (rates, counts) or "linear" (proportions, values): how the draws were made.
    """

    sii: float
    sii_low: float
    sii_high: float
    rii: float
    rii_low: float
    rii_high: float
    concentration: float
    concentration_low: float
    concentration_high: float
    draws: int
    scale: str

    def as_dict(self) -> dict:
        """Plain dict for JSON: floats, with NaN given as None."""
        out = {}
        for key, value in asdict(self).items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            out[key] = value
        return out


def _percentiles(samples: np.ndarray) -> tuple[float, float]:
    """2.5th and 97.5th percentiles of the finite samples; NaN if none."""
    finite = samples[np.isfinite(samples)]
    if finite.size == 0:
        return math.nan, math.nan
    low, high = np.percentile(finite, [2.5, 97.5])
    return float(low), float(high)


def _draw(ys, lows, highs, scale: str, z: float, normals: np.ndarray) -> np.ndarray:
    """Simulated group values, shape (draws, groups), from each group's 95% interval.

    log:    se_j = (ln high_j - ln low_j) / (2z); ln y* ~ Normal(ln y_j, se_j); y* = exp.
            Where low_j <= 0 < y_j the upper half alone gives se_j = (ln high_j - ln y_j) / z.
            Where y_j == 0 (no log): y* = max(0, Normal(0, high_j / (2z))).
            Where y_j < 0 (not a rate; no log): drawn as on the linear scale.
    linear: se_j = (high_j - low_j) / (2z); y* ~ Normal(y_j, se_j), unclipped.
    """
    linear = ys + normals * ((highs - lows) / (2.0 * z))
    if scale == "linear":
        return linear
    positive = ys > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_y = np.log(np.where(positive, ys, 1.0))
        log_hi = np.log(np.where(positive & (highs > 0), highs, 1.0))
        log_lo = np.log(np.where(positive & (lows > 0), lows, 1.0))
    se_log = np.where(lows > 0, (log_hi - log_lo) / (2.0 * z), (log_hi - log_y) / z)
    se_log = np.where(positive, np.maximum(se_log, 0.0), 0.0)
    # exp of the clipped argument: cannot overflow for any sane interval.
    logged = np.exp(np.minimum(log_y + normals * se_log, 700.0))
    zero = np.maximum(normals * (np.maximum(highs, 0.0) / (2.0 * z)), 0.0)
    return np.where(positive, logged, np.where(ys == 0, zero, linear))


def slope_index(
    y, low, high, population, *, scale="log", draws=10_000, seed=0, z=Z95
) -> SlopeIndex:
    """SII, RII and concentration index of y over ordered groups, with Monte Carlo intervals.

    y, low, high: per-group value and its 95% interval (e.g. from ``rate_with_interval``);
    population: per-group denominator, groups ordered MOST deprived first (see
    ``cumulative_midpoints``). Point estimates: ``fit_slope_index`` and ``concentration_index``.

    Intervals follow the PHE Fingertips guide: each group gets a standard error from its 95%
    interval; ``draws`` sets of group values are simulated, SII, RII and concentration index are
    refitted for each set, and the 2.5th and 97.5th percentiles are reported.

    - scale="log" (rates, counts): se_j = (ln high_j - ln low_j) / (2z), ln y* ~ N(ln y_j, se_j),
      y* = exp(ln y*). A group with y_j == 0 cannot be log-transformed: it is drawn on the linear
      scale, y* ~ N(0, high_j / (2z)) clipped at 0 (a half-normal reaching high_j at about its
      97.5th percentile). A group with y_j > 0 but low_j <= 0 takes se_j from the upper half,
      (ln high_j - ln y_j) / z. A negative y_j (not a rate) is drawn as on the linear scale.
    - scale="linear" (proportions, values): se_j = (high_j - low_j) / (2z), y* ~ N(y_j, se_j).
      (PHEindicatormethods offers a logit scale for proportions; this module does not.)

    Groups with NaN in y, low or high are left out (their population still counts in the ranks);
    groups with population <= 0 are left out. Fewer than 2 usable groups: everything NaN. Draws
    of the RII with beta0 == 0 are dropped before taking percentiles. Deterministic for a given
    seed (``np.random.default_rng(seed)``); all draws are fitted at once (no loop over draws).
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    y = _floats(y)
    low = _floats(low)
    high = _floats(high)
    if not (y.shape == low.shape == high.shape == np.shape(population)):
        raise ValueError("y, low, high and population must have the same shape")
    a_all, b_all = cumulative_midpoints(population)
    keep = np.isfinite(y) & np.isfinite(low) & np.isfinite(high) & np.isfinite(a_all)
    keep &= np.where(keep, a_all, 0.0) > 0
    nan = math.nan
    if keep.sum() < 2:
        return SlopeIndex(nan, nan, nan, nan, nan, nan, nan, nan, nan, int(draws), scale)
    ys, lows, highs, a, b = y[keep], low[keep], high[keep], a_all[keep], b_all[keep]

    beta0, beta1 = _centred_fit(ys, a, b)
    rii = float(_ratio_at_ends(beta0, beta1))
    conc = float(_concentration(ys, a, b))

    intervals = [nan] * 6
    if draws > 0:
        rng = np.random.default_rng(seed)
        normals = rng.standard_normal((int(draws), ys.size))
        sims = _draw(ys, lows, highs, scale, z, normals)
        d0, d1 = _centred_fit(sims, a, b)
        intervals = [
            *_percentiles(d1),
            *_percentiles(_ratio_at_ends(d0, d1)),
            *_percentiles(_concentration(sims, a, b)),
        ]
    sii_low, sii_high, rii_low, rii_high, c_low, c_high = intervals
    return SlopeIndex(
        sii=float(beta1), sii_low=sii_low, sii_high=sii_high,
        rii=rii, rii_low=rii_low, rii_high=rii_high,
        concentration=conc, concentration_low=c_low, concentration_high=c_high,
        draws=int(draws), scale=scale,
    )
