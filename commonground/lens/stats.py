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
- Breslow NE, Day NE (1987), "Statistical Methods in Cancer Research, Vol. II", IARC, for the
  exact Poisson interval and Byar's approximation to it.
- Anderson G et al., PHEindicatormethods 2.1.0 (R package, UKHSA, GPL-3): ``phe_rate``,
  ``phe_proportion`` and ``phe_sii``, whose published test figures ``tests/lens`` reproduces.
- Wilson EB (1927), "Probable inference, the law of succession, and statistical inference",
  JASA 22:209-212; Newcombe RG (1998), Stat Med 17:857-872, for the score interval.
- O'Donnell O, van Doorslaer E, Wagstaff A, Lindelow M (2008), "Analyzing Health Equity Using
  Household Survey Data", World Bank, ch. 8, for the concentration index.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special as _sp
from scipy import stats as _st

Z95 = 1.959963984540054  # two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975)

LEVELS = (0.95, 0.998)  # the confidence levels PHE Fingertips publishes: 95% and 99.8%
EXACT_BELOW = 10  # PHE phe_rate: exact Poisson limits for counts below 10, Byar's from 10

SCALES = ("log", "logit", "linear")  # PHE phe_sii value_type 1 (rate), 2 (proportion), 0


def _floats(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def z_for(confidence: float) -> float:
    """Two-sided normal quantile for a confidence level in [0.9, 1): 1.96 for 0.95, 3.09 for
    0.998. Other levels are refused (PHE accepts 90% to 100%; 100% has no finite limits)."""
    if not 0.9 <= confidence < 1:
        raise ValueError(f"confidence must be at least 0.9 and below 1, not {confidence!r}")
    return Z95 if confidence == 0.95 else float(_st.norm.ppf(0.5 + confidence / 2))


# --- intervals for one group -------------------------------------------------------------------


def byar_interval(count, confidence=0.95) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the exact Poisson interval for an observed count O (array ok).

    lower = O * (1 - 1/(9 O) - z / (3 sqrt(O)))**3
    upper = (O + 1) * (1 - 1/(9 (O + 1)) + z / (3 sqrt(O + 1)))**3

    Units: events (the same units as ``count``). Lower is 0 when O == 0 (and is clipped at 0
    where the cubed term goes negative: small O at high confidence, where PHE's ``byars_lower``
    gives NA). NaN where O is NaN or negative. Within about 1% of the exact chi-square limits
    for O >= 10 at 95% (Breslow & Day 1987, vol. II); below 10 use ``poisson_interval``.
    """
    z = z_for(confidence)
    o = _floats(count)
    valid = np.isfinite(o) & (o >= 0)
    safe = np.where(valid, o, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = safe * (1.0 - 1.0 / (9.0 * safe) - z / (3.0 * np.sqrt(safe))) ** 3
        upper = (safe + 1.0) * (1.0 - 1.0 / (9.0 * (safe + 1.0)) + z / (3.0 * np.sqrt(safe + 1.0))) ** 3
    lower = np.where(safe > 0, np.maximum(lower, 0.0), 0.0)
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def exact_poisson_interval(count, confidence=0.95) -> tuple[np.ndarray, np.ndarray]:
    """The exact (Garwood) Poisson interval for an observed count O, from the chi-square
    distribution (PHE ``phe_rate`` below 10 events; Breslow & Day 1987, vol. II):

    lower = chi2.ppf(alpha/2, 2 O) / 2          (0 when O == 0)
    upper = chi2.ppf(1 - alpha/2, 2 O + 2) / 2,  alpha = 1 - confidence

    Units: events. NaN where O is NaN or negative.
    """
    z_for(confidence)  # validates the level
    alpha = 1.0 - confidence
    o = _floats(count)
    valid = np.isfinite(o) & (o >= 0)
    safe = np.where(valid, o, 1.0)
    some = safe > 0
    lower = np.where(some, _st.chi2.ppf(alpha / 2, 2.0 * np.where(some, safe, 1.0)) / 2, 0.0)
    upper = _st.chi2.ppf(confidence + alpha / 2, 2.0 * safe + 2.0) / 2
    return np.where(valid, lower, np.nan), np.where(valid, upper, np.nan)


def poisson_interval(count, confidence=0.95) -> tuple[np.ndarray, np.ndarray]:
    """PHE's interval for a count (``phe_rate``): exact Poisson limits below ``EXACT_BELOW``
    (10) events, Byar's approximation from 10 (where it is within 1% of the exact ones).
    Units: events; NaN where O is NaN or negative."""
    o = _floats(count)
    exact = exact_poisson_interval(o, confidence)
    byar = byar_interval(o, confidence)
    small = o < EXACT_BELOW
    return np.where(small, exact[0], byar[0]), np.where(small, exact[1], byar[1])


def wilson_interval(successes, trials, confidence=0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for a proportion p = successes / trials (Wilson 1927), the
    interval of PHE's ``phe_proportion``.

    centre = (p + z²/(2n)) / (1 + z²/n)
    half   = z * sqrt(p (1 - p) / n + z²/(4 n²)) / (1 + z²/n)

    Units: a proportion in [0, 1]. Exactly 0 as the lower limit when successes == 0 and exactly 1
    as the upper limit when successes == trials. NaN where trials <= 0 or either input is NaN.
    """
    z = z_for(confidence)
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
    count, population, per=1000.0, confidence=0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Crude rate count / population * per, with PHE's interval on the count
    (``poisson_interval``: exact below 10 events, Byar's from 10), as PHE's ``phe_rate``.

    Units: events per ``per`` people (default per 1,000). NaN where population <= 0 or either
    input is NaN/negative.
    """
    o = _floats(count)
    pop = _floats(population)
    low, high = poisson_interval(o, confidence)
    valid = np.isfinite(pop) & (pop > 0) & np.isfinite(low)
    scale = np.where(valid, per / np.where(valid, pop, 1.0), np.nan)
    return o * scale, low * scale, high * scale


def weighted_rate_with_interval(
    total, sum_squares, population, per=1000.0, confidence=0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate of a weighted sum (e.g. charging connectors) per ``per`` people, with an interval
    (95% unless ``confidence`` says otherwise).

    A sum of weights ``W = Σ w_i`` over a Poisson number of rows is compound Poisson with
    variance ``Σ w_i²``, so its interval is log-normal, ``W·exp(±z·√(Σw²)/W)``, and scales with
    the weights' unit (Byar's interval on ``W`` itself would not: it treats ``W`` as a count).
    For weights all 1 this is close to Byar's interval for the count. A group with ``W = 0``
    gets ``[0, u·w̄]``, the exact upper limit for a count of 0 (``u ≈ 3.69`` at 95%) times the
    size-biased mean weight ``w̄ = Σw²/Σw`` of all groups together. NaN where population <= 0.
    """
    z = z_for(confidence)
    w = _floats(total)
    sq = _floats(sum_squares)
    pop = _floats(population)
    valid = np.isfinite(pop) & (pop > 0) & np.isfinite(w) & (w >= 0)
    scale = np.where(valid, per / np.where(valid, pop, 1.0), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.exp(z * np.sqrt(sq) / w)
        low = np.where(w > 0, w / spread, 0.0)
        high = np.where(w > 0, w * spread, np.nan)
    all_w = np.nansum(np.where(valid, w, 0.0))
    if all_w > 0:
        typical = np.nansum(np.where(valid, sq, 0.0)) / all_w
        high = np.where(w > 0, high, exact_poisson_interval(0.0, confidence)[1] * typical)
    return w * scale, low * scale, high * scale


def proportion_with_interval(
    successes, trials, confidence=0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proportion successes / trials (0..1) with its Wilson interval, as PHE's
    ``phe_proportion``; NaN where trials <= 0."""
    s = _floats(successes)
    n = _floats(trials)
    low, high = wilson_interval(s, n, confidence)
    valid = np.isfinite(low)
    p = np.where(valid, s, np.nan) / np.where(valid, n, 1.0)
    return p, low, high


def value_with_interval(
    values, weights, groups, n_groups, confidence=0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean of area-level values per group, with a t-based interval (95% unless
    ``confidence`` says otherwise; t(0.999, n - 1) for 99.8%).

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
    z_for(confidence)  # validates the level
    t = np.where(many, _st.t.ppf(0.5 + confidence / 2, np.maximum(n - 1, 1)), np.nan)
    return mean, mean - t * se, mean + t * se, n


# --- many tests at once -------------------------------------------------------------------------


def bh_adjust(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the input order.

    q_(i) = min_{j >= i} p_(j) · n / j over the p-values sorted ascending, capped at 1
    (Benjamini Y, Hochberg Y (1995), "Controlling the false discovery rate", J R Stat Soc B
    57:289–300). A difference called clear where q < 0.05 keeps the expected share of false
    findings among all those called clear below 5%. Empty in, empty out.
    """
    p = _floats(p_values).ravel()
    n = p.size
    if n == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = p[order] * n / np.arange(1, n + 1)
    q = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    out = np.empty(n)
    out[order] = q
    return out


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
    if ys.ndim == 1:
        beta1 = ((ys - ybar) * (w * db)).sum() / sbb
    else:  # many rows: Σ w·db = 0, so Σ w·db·(y - ȳ) = Σ w·db·y, one matrix product
        beta1 = ys @ (w * db) / sbb
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

# the link of each scale: rates on the log scale, proportions on the logit scale (PHE phe_sii)
_LINKS = {"log": (np.log, np.exp), "logit": (_sp.logit, _sp.expit)}
_TOP = {"log": np.inf, "logit": 1.0}  # the value a group can never reach on each scale


@dataclass(frozen=True)
class Limits:
    """Monte Carlo limits of the three indices at one confidence ``level`` (0.95, 0.998)."""

    level: float
    sii_low: float
    sii_high: float
    rii_low: float
    rii_high: float
    concentration_low: float
    concentration_high: float


def level_suffix(level: float) -> str:
    """"998" for 0.998, "99" for 0.99: the key suffix of a level's limits in ``as_dict``."""
    return f"{level * 100:g}".replace(".", "")


@dataclass(frozen=True)
class SlopeIndex:
    """SII, RII and concentration index with Monte Carlo limits at each confidence level.

    sii: slope index of inequality, in the units of y: fitted value at the least deprived end
        minus fitted value at the most deprived end (> 0: higher in less deprived groups).
    rii: relative index of inequality, England/PHE definition: the fitted value at the least
        deprived end over that at the most deprived end (> 1: higher in less deprived groups).
        Scotland (ScotPHO) defines the RII differently, as the SII divided by the population
        mean of y; the two are not comparable. NaN (with ``rii_note``) where it has no meaning.
    concentration: concentration index (> 0: concentrated in less deprived groups).
    intercept: the fitted value at the most deprived end (b = 0), in the units of y.
    limits: one ``Limits`` per confidence level, the first (95%) also as ``sii_low`` etc.
    draws: Monte Carlo draws behind the limits.
    scale: how each group's value was drawn: "log" (rates), "logit" (proportions) or
        "linear" (values), PHE's value_type 1, 2 and 0.
    transform: the scale the line was fitted on: "none" (a straight line in the units of y),
        "log" or "logit" (PHE's ``transform = TRUE``); ``transform_reason`` says why.
    rii_note: why the RII or its interval is not given, naming the end of the line at fault.
    left_out: (group index, reason) for each group left out of the fit.
    """

    sii: float
    rii: float
    concentration: float
    intercept: float
    limits: tuple[Limits, ...]
    draws: int
    scale: str
    transform: str = "none"
    transform_reason: str | None = None
    rii_note: str | None = None
    left_out: tuple[tuple[int, str], ...] = ()

    def at(self, level: float) -> Limits:
        """The limits at one confidence level (KeyError if it was not computed)."""
        for lim in self.limits:
            if math.isclose(lim.level, level):
                return lim
        raise KeyError(level)

    sii_low = property(lambda self: self.limits[0].sii_low)
    sii_high = property(lambda self: self.limits[0].sii_high)
    rii_low = property(lambda self: self.limits[0].rii_low)
    rii_high = property(lambda self: self.limits[0].rii_high)
    concentration_low = property(lambda self: self.limits[0].concentration_low)
    concentration_high = property(lambda self: self.limits[0].concentration_high)

    def as_dict(self) -> dict:
        """Plain dict for JSON, NaN given as None: the first level's limits as ``sii_low`` ...,
        the others with their level as a suffix (``sii_low_998``), and ``left_out`` as
        ``[{"index": 0-based group, "reason": ...}]``."""
        out: dict = {"sii": self.sii}
        for i, lim in enumerate(self.limits):
            tail = "" if i == 0 else "_" + level_suffix(lim.level)
            for name in ("sii", "rii", "concentration"):
                if i == 0 and name != "sii":
                    out[name] = getattr(self, name)
                out[f"{name}_low{tail}"] = getattr(lim, f"{name}_low")
                out[f"{name}_high{tail}"] = getattr(lim, f"{name}_high")
        out.update(intercept=self.intercept, levels=[lim.level for lim in self.limits],
                   draws=self.draws, scale=self.scale, transform=self.transform,
                   transform_reason=self.transform_reason, rii_note=self.rii_note,
                   left_out=[{"index": i, "reason": r} for i, r in self.left_out])
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in out.items()}


def order_limits(samples: np.ndarray, *levels: float) -> list[float]:
    """Limits of simulated values as ``phe_sii`` takes them: the finite draws sorted, and the
    ``round(n·(1 − q))``-th and ``round(n·q)``-th of them (1-based), ``q = level + (1 − level)/2``
    (the 2,500th and 97,500th of 100,000 draws at 95%). [low, high] for each level in turn,
    from one partial sort; NaN when no draw is finite."""
    finite = samples[np.isfinite(samples)]
    n = finite.size
    if n == 0:
        return [math.nan] * (2 * len(levels))
    positions = []
    for level in levels:
        q = level + (1 - level) / 2
        positions += [min(max(round(n * (1 - q)), 1), n) - 1, min(max(round(n * q), 1), n) - 1]
    part = np.partition(finite, sorted(set(positions)))
    return [float(part[k]) for k in positions]


def _draw(ys, lows, highs, scale: str, normals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simulated group values, shape (draws, groups), from each group's 95% interval, on the
    scale of y and on the link scale (NaN for groups that have none).

    log / logit (g = ln or logit, as ``phe_sii`` for value_type 1 and 2):
            se_j = (g(high_j) - g(low_j)) / (2z); g(y*) ~ Normal(g(y_j), se_j).
            Where one limit is outside the scale (low_j <= 0; for logit high_j >= 1), the other
            half alone gives se_j, e.g. (g(high_j) - g(y_j)) / z.
            Where y_j == 0 (no link): y* = max(0, Normal(0, high_j / (2z))); for logit
            y_j == 1 is the mirror image. Other values outside the scale: as on the linear scale.
    linear: se_j = (high_j - low_j) / (2z); y* ~ Normal(y_j, se_j), unclipped.
    """
    z = Z95
    if scale == "linear":
        linear = ys + normals * ((highs - lows) / (2.0 * z))
        return linear, linear
    g, g_inv = _LINKS[scale]
    top = _TOP[scale]
    inside = (ys > 0) & (ys < top)
    lo_in = inside & (lows > 0)
    hi_in = inside & (highs < top)
    with np.errstate(divide="ignore", invalid="ignore"):
        g_y = g(np.where(inside, ys, 0.5))
        g_lo = g(np.where(lo_in, lows, 0.5))
        g_hi = g(np.where(hi_in, highs, 0.5))
    se = np.where(lo_in & hi_in, (g_hi - g_lo) / (2.0 * z),
                  np.where(hi_in, (g_hi - g_y) / z, np.where(lo_in, (g_y - g_lo) / z, 0.0)))
    se = np.maximum(se, 0.0)
    if inside.all():  # the usual case: every group on the link scale
        link = g_y + normals * se
        # exp of the clipped argument: cannot overflow for any sane interval.
        return g_inv(np.minimum(link, 700.0)), link
    link = np.full(normals.shape, np.nan)
    values = np.empty(normals.shape)
    cols = np.flatnonzero(inside)
    link[:, cols] = g_y[cols] + normals[:, cols] * se[cols]
    # exp of the clipped argument: cannot overflow for any sane interval.
    values[:, cols] = g_inv(np.minimum(link[:, cols], 700.0))
    cols = np.flatnonzero(ys == 0)
    values[:, cols] = np.maximum(normals[:, cols] * (np.maximum(highs[cols], 0.0) / (2.0 * z)), 0.0)
    cols = np.flatnonzero(ys == top)
    values[:, cols] = 1.0 - np.maximum(
        normals[:, cols] * (np.maximum(1.0 - lows[cols], 0.0) / (2.0 * z)), 0.0)
    cols = np.flatnonzero(~inside & (ys != 0) & (ys != top))
    values[:, cols] = ys[cols] + normals[:, cols] * ((highs[cols] - lows[cols]) / (2.0 * z))
    return values, link


def _end_words(low_end: bool, high_end: bool) -> str:
    if low_end and high_end:
        return "at both ends"
    return "at the most deprived end" if low_end else "at the least deprived end"


def _outside(scale: str, e0, e1) -> str | None:
    """Which end(s) of a straight line (fitted values e0 at b = 0, e1 at b = 1) leave the
    range a value can take ((0, ∞) for rates and values, (0, 1) for proportions), in words."""
    top = _TOP.get(scale, np.inf)
    below = (e0 <= 0, e1 <= 0)
    above = (e0 >= top, e1 >= top)
    if any(below):
        return f"falls to zero or below {_end_words(*below)}"
    if any(above):
        return f"reaches one (100%) or above {_end_words(*above)}"
    return None


def _line_leaves_range(scale, beta0, beta1, d0, d1, level) -> str | None:
    """Whether the straight line, or its Monte Carlo interval at ``level``, leaves the range a
    value can take, in words ("the straight-line fit falls to zero or below at the least
    deprived end"); None when it stays inside."""
    point = _outside(scale, beta0, beta0 + beta1)
    if point:
        return f"the straight-line fit {point}"
    if d0.size == 0:
        return None
    (low0, high0), (low1, high1) = (order_limits(end, level) for end in (d0, d0 + d1))
    top = _TOP.get(scale, np.inf)
    below = (low0 <= 0, low1 <= 0)
    above = (high0 >= top, high1 >= top)
    words = f"{level * 100:g}"
    if any(below):
        return (f"the {words}% interval of the straight-line fit falls to zero or below "
                f"{_end_words(*below)}")
    if any(above):
        return (f"the {words}% interval of the straight-line fit reaches one (100%) or above "
                f"{_end_words(*above)}")
    return None


def _slope_levels(scale, transform, levels) -> tuple[float, ...]:
    """The confidence levels of ``slope_index``, after checking its scale and transform."""
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, not {scale!r}")
    if transform and scale == "linear":
        raise ValueError("only rates (scale 'log') and proportions ('logit') can be transformed")
    levels = tuple(float(v) for v in levels)
    if not levels:
        raise ValueError("at least one confidence level is needed")
    for level in levels:
        z_for(level)
    return levels


def _slope_inputs(y, low, high, population, scale) -> tuple[np.ndarray, ...]:
    """y, low, high and population of ``slope_index`` as float arrays, checked."""
    y, low, high, pop = (_floats(x) for x in (y, low, high, population))
    if not (y.shape == low.shape == high.shape == pop.shape) or y.ndim != 1:
        raise ValueError("y, low, high and population must be 1-d and of the same length")
    if scale == "logit" and np.any((y < 0) | (y > 1)):
        raise ValueError("proportions (scale 'logit') must lie between 0 and 1")
    return y, low, high, pop


def _groups_left_out(y, low, high, pop) -> list[tuple[int, str]]:
    """(index, reason) of each group ``slope_index`` cannot use, in group order."""
    left_out = []
    for j in range(y.size):
        if not (np.isfinite(pop[j]) and pop[j] > 0):
            left_out.append((j, "no residents"))
        elif not np.isfinite(y[j]):
            left_out.append((j, "no value"))
        elif not (np.isfinite(low[j]) and np.isfinite(high[j])):
            left_out.append((j, "no 95% interval"))
    return left_out


def _choose_fit(transform, scale, ys, reason) -> tuple[str, str | None, str | None]:
    """(fit, reason, note) for ``slope_index``: the scale the line is fitted on ("none" for
    the straight line), ``reason`` (why the straight line leaves the range, None when it
    stays inside; asked only for ``transform=None``) and why the RII is withheld (None when
    it is not)."""
    if transform is None:
        if not reason:
            return "none", None, None
        if scale == "linear":
            return "none", reason, reason
        if np.all((ys > 0) & (ys < _TOP[scale])):
            return scale, reason, None
        edge = "0" if np.any(ys <= 0) else "1 (100%)"
        return "none", reason, (f"{reason}, and a group with a value of {edge} rules out the "
                                f"{scale}-scale fit")
    if transform:
        if not np.all((ys > 0) & (ys < _TOP[scale])):
            raise ValueError(f"the {scale}-scale fit needs every value above 0"
                             + (" and below 1" if scale == "logit" else ""))
        return scale, None, None
    return "none", None, None


def _straight_line_index(scale, beta0, beta1, d0, d1, conc_draws, levels, note):
    """(sii, intercept, rii, limits, note) of the straight-line fit; where ``note`` says the
    line leaves the range, the RII limits (and the RII itself where the fitted line leaves
    it) are withheld and the note says why."""
    rii = float(_ratio_at_ends(beta0, beta1))
    sims_at = [order_limits(x, *levels) for x in (d1, _ratio_at_ends(d0, d1), conc_draws)]
    limits = [Limits(level, *(v for at in sims_at for v in at[2 * i:2 * i + 2]))
              for i, level in enumerate(levels)]
    if note:
        note = f"{note}, so the ratio of the two ends has no meaning"
        if _outside(scale, beta0, beta0 + beta1) is not None:
            rii = math.nan
        limits = [Limits(lim.level, lim.sii_low, lim.sii_high, math.nan, math.nan,
                         lim.concentration_low, lim.concentration_high) for lim in limits]
    return beta1, beta0, rii, limits, note


def _link_scale_index(fit, ys, link_sims, a, b, conc_draws, levels):
    """(sii, intercept, rii, limits) of the line fitted on the ``fit`` (log or logit) scale,
    read back in the units of y (see ``slope_index``)."""
    g, g_inv = _LINKS[fit]
    t0, t1 = map(float, _centred_fit(g(ys), a, b))
    intercept = float(g_inv(t0))
    sii = float(g_inv(t0 + t1) - intercept)
    rii = float(g_inv(t0 + t1) / intercept)
    _, td1 = _centred_fit(link_sims, a, b)
    mid = t0 + t1 / 2
    slopes, concs = order_limits(td1, *levels), order_limits(conc_draws, *levels)
    limits = []
    for i, level in enumerate(levels):
        ends = [(g_inv(mid - s / 2), g_inv(mid + s / 2)) for s in slopes[2 * i:2 * i + 2]]
        limits.append(Limits(level, *(float(e1 - e0) for e0, e1 in ends),
                             *(float(e1 / e0) for e0, e1 in ends),
                             *concs[2 * i:2 * i + 2]))
    return sii, intercept, rii, limits


def slope_index(
    y, low, high, population, *, scale="log", transform=None, draws=100_000, seed=0,
    levels=LEVELS,
) -> SlopeIndex:
    """SII, RII and concentration index of y over ordered groups, with Monte Carlo limits:
    PHE's ``phe_sii`` (PHEindicatormethods 2.1.0), with one rule of its own for ``transform``.

    y, low, high: per-group value and its 95% interval (e.g. from ``rate_with_interval``);
    population: per-group denominator, groups ordered MOST deprived first (see
    ``cumulative_midpoints``). scale: "log" (rates, counts), "logit" (proportions, 0..1) or
    "linear" (other values), PHE's value_type 1, 2, 0. levels: confidence levels of the limits
    (each in [0.9, 1)); the first is also given as ``sii_low`` etc. draws: PHE's repetitions.

    Fit: weighted least squares of y on the relative rank b with weights a (PHE Fingertips;
    ``fit_slope_index``). With ``transform`` the line is fitted to ln y (rates) or logit y
    (proportions) instead, and read back in the units of y: intercept = g⁻¹(β0),
    SII = g⁻¹(β0 + β1) − g⁻¹(β0), RII = g⁻¹(β0 + β1) / g⁻¹(β0).

    - transform=False / True: PHE's ``transform`` argument, exactly (True only for log/logit).
    - transform=None (the lens): the straight line, unless it or its interval at the widest
      level leaves the range a value can take (a rate at or below zero at either end; a
      proportion at or beyond 0 or 1), where the RII would be negative or infinite: then the
      log (logit) fit, as PHE recommends. If a group's value is 0 (or 1) that fit cannot be
      made: the straight-line SII stays and the RII is withheld, ``rii_note`` saying why. On
      the linear scale the RII is withheld in the same way.

    Limits, as ``phe_sii``: each group's value is drawn ``draws`` times (see ``_draw``: normal
    on the link scale with se from its 95% interval), the line refitted to each set of draws,
    and the simulated SII and RII taken at PHE's order positions (``order_limits``). With the
    log (logit) fit, the limits of β1 on that scale, s, become SII limits about the fitted
    midpoint h = β0 + β1/2: g⁻¹(h + s/2) − g⁻¹(h − s/2), and RII limits
    g⁻¹(h + s/2) / g⁻¹(h − s/2) (for rates simply exp(s)). The concentration index is drawn
    from the same simulated values on the scale of y.

    Groups with no residents, no value or no interval are left out (listed in ``left_out``;
    their population still counts in the ranks). Fewer than 2 usable groups: everything NaN.
    Deterministic for a given seed (``np.random.default_rng(seed)``); all draws are fitted at
    once (no loop over draws). Beyond PHE (which refuses them): groups with a value of 0 are
    drawn as in ``_draw`` rather than refused.
    """
    levels = _slope_levels(scale, transform, levels)
    y, low, high, pop = _slope_inputs(y, low, high, population, scale)
    a_all, b_all = cumulative_midpoints(pop)
    left_out = _groups_left_out(y, low, high, pop)
    keep = np.ones(y.size, dtype=bool)
    keep[[j for j, _ in left_out]] = False
    draws = int(draws)
    if keep.sum() < 2:
        nan = math.nan
        unknown = tuple(Limits(level, nan, nan, nan, nan, nan, nan) for level in levels)
        return SlopeIndex(nan, nan, nan, nan, unknown, draws, scale,
                          rii_note="fewer than two groups can be compared",
                          left_out=tuple(left_out))
    ys, lows, highs, a, b = y[keep], low[keep], high[keep], a_all[keep], b_all[keep]

    rng = np.random.default_rng(seed)
    normals = rng.standard_normal((max(draws, 0), ys.size))
    sims, link_sims = _draw(ys, lows, highs, scale, normals)
    beta0, beta1 = (float(v) for v in _centred_fit(ys, a, b))
    d0, d1 = _centred_fit(sims, a, b)
    conc = float(_concentration(ys, a, b))
    conc_draws = _concentration(sims, a, b)

    reason = (_line_leaves_range(scale, beta0, beta1, d0, d1, max(levels))
              if transform is None else None)
    fit, reason, note = _choose_fit(transform, scale, ys, reason)
    if fit == "none":
        sii, intercept, rii, limits, note = _straight_line_index(
            scale, beta0, beta1, d0, d1, conc_draws, levels, note)
    else:
        sii, intercept, rii, limits = _link_scale_index(
            fit, ys, link_sims, a, b, conc_draws, levels)
        if transform is None:
            reason = f"{reason}, so the line is fitted to the {fit} of the values"
    return SlopeIndex(
        sii=float(sii), rii=float(rii), concentration=conc, intercept=float(intercept),
        limits=tuple(limits), draws=draws, scale=scale, transform=fit,
        transform_reason=reason if fit != "none" else None, rii_note=note,
        left_out=tuple(left_out),
    )
