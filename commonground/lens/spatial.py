"""Where: map classes, neighbouring areas, and hot and cold spots.

* :func:`classify` — choropleth classes (Fisher-Jenks natural breaks or quantiles) as
  ``mapclassify`` computes them (Rey, Stephens & Laura, "An evaluation of sampling and full
  enumeration strategies for Fisher Jenks classification in big data settings", Transactions
  in GIS, 2017), its two classifiers copied here (mapclassify imports scikit-learn).
* :func:`queen_neighbours` — queen contiguity from shapely 2 geometries.
* :func:`hot_spots` — local Moran's I (Anselin, "Local indicators of spatial association —
  LISA", Geographical Analysis 27(2), 1995) with conditional permutation pseudo p-values and the
  Benjamini-Hochberg false discovery rate correction (Benjamini & Hochberg, JRSS B 57(1), 1995),
  as ``esda`` implements them.

``libpysal`` and ``esda`` import pandas and geopandas (seconds), so they are imported inside
the functions that need them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np

# Local Moran quadrants as esda numbers them (geoda_quads=False): 1 HH, 2 LH, 3 LL, 4 HL.
QUADRANT_LABELS = {1: "hot", 2: "low among high", 3: "cold", 4: "high among low"}
NOT_SIGNIFICANT = "not significant"
NO_NEIGHBOURS = "no neighbours"
NO_VALUE = "no value"

METHODS = {"fisher_jenks": "Fisher-Jenks", "quantiles": "Quantiles"}
# Exact Fisher-Jenks up to this many finite values (mapclassify without numba: under a second on
# this machine's class of CPU); above it, on FISHER_JENKS_SAMPLE evenly spaced order statistics.
FISHER_JENKS_EXACT_MAX = 500
FISHER_JENKS_SAMPLE = 500


def classify(values, method: str = "fisher_jenks", k: int = 5) -> dict:
    """Choropleth classes for ``values`` (one per area) over their finite values.

    ``method``: "fisher_jenks" (natural breaks: minimises the within-class sum of squared
    deviations; ``mapclassify.FisherJenks``) or "quantiles" (equal numbers of areas;
    ``mapclassify.Quantiles``). ``k`` is reduced to the number of distinct finite values when
    there are fewer; quantiles may merge tied class limits, so ``k`` is the number of classes
    actually formed. All-equal values make one class; no finite values make none.

    Exact Fisher-Jenks grows with the square of the values (``mapclassify`` without numba: about
    3 s for 1,000 values, over 20 minutes for England's 33,755 areas). Above
    :data:`FISHER_JENKS_EXACT_MAX` finite values the breaks are computed exactly on
    :data:`FISHER_JENKS_SAMPLE` evenly spaced order statistics of the values (the smallest and the
    largest always among them; a deterministic quantile sample, as BAMMtools' ``getJenksBreaks``
    ``subset`` does, rather than ``mapclassify.FisherJenksSampled``'s unseeded random one), and
    every value is then placed in those classes. Rey, Stephens & Laura (2017) find sampled breaks
    close to full enumeration at these sizes.

    Returns {"method": "Fisher-Jenks" | "Quantiles", "k": classes formed, "bins": upper bound of
    each class (ascending), "classes": class index 0..k-1 per value, None for NaN or inf,
    "sample": number of values the breaks were computed on (all finite values unless sampled),
    "values": number of finite values classified}.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {sorted(METHODS)}")
    if k < 1:
        raise ValueError("k must be >= 1")
    y = np.asarray(values, dtype=float).ravel()
    finite = np.isfinite(y)
    distinct = np.unique(y[finite])
    k_used = min(int(k), len(distinct))
    if k_used == 0:
        bins, yb = [], np.empty(0, dtype=int)
    elif k_used == 1:
        bins, yb = [float(distinct[-1])], np.zeros(int(finite.sum()), dtype=int)
    else:
        data = y[finite]
        if method == "fisher_jenks" and len(data) > FISHER_JENKS_EXACT_MAX:
            data = _order_statistics(data, FISHER_JENKS_SAMPLE)
            k_used = min(k_used, len(np.unique(data)))
        sample = len(data)
        breaks = _fisher_jenks_bins if method == "fisher_jenks" else _quantile_bins
        bins = [float(b) for b in breaks(data, k_used)]
        # a value's class is the first whose upper bound it does not exceed (mapclassify's bin1d)
        yb = np.searchsorted(np.asarray(bins), y[finite], side="left")
    classes: list[int | None] = [None] * len(y)
    for i, c in zip(np.flatnonzero(finite).tolist(), np.asarray(yb).tolist(), strict=True):
        classes[i] = c
    n_finite = int(finite.sum())
    return {"method": METHODS[method], "k": len(bins), "bins": bins, "classes": classes,
            "sample": n_finite if k_used <= 1 else sample, "values": n_finite}


# mapclassify's FisherJenks and Quantiles breaks, as mapclassify 2.10 computes them (BSD
# 3-Clause, (c) 2018 pysal-mapclassify developers; its licence: THIRD_PARTY_NOTICES.md), here
# so that the lens need not import mapclassify: it imports scikit-learn, about 90 MB more in
# the web process for nothing the lens uses (tests/lens/test_spatial.py checks these against
# mapclassify's own).

def _fisher_jenks_bins(values: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.FisherJenks(values, k).bins``: Fisher's optimal (natural breaks)
    partition of the sorted values into ``k`` classes, with mapclassify's single-precision
    sums (Jenks' algorithm after D. J. Lewis's Python port of the Fortran of Hartigan 1975)."""
    x = np.sort(np.asarray(values).ravel()).astype("f8")
    n_data = len(x)
    mat1 = np.zeros((n_data + 1, k + 1), dtype=np.int32)
    mat2 = np.zeros((n_data + 1, k + 1), dtype=np.float32)
    mat1[1, 1:] = 1
    mat2[2:, 1:] = np.inf
    v = np.float32(0)
    for last in range(2, n_data + 1):
        s1 = s2 = w = np.float32(0)
        for m in range(1, last + 1):
            i3 = last - m + 1
            val = np.float32(x[i3 - 1])
            s2 += val * val
            s1 += val
            w += np.float32(1)
            v = s2 - (s1 * s1) / w
            i4 = i3 - 1
            if i4 != 0:
                for j in range(2, k + 1):
                    if mat2[last, j] >= (v + mat2[i4, j - 1]):
                        mat1[last, j] = i3
                        mat2[last, j] = v + mat2[i4, j - 1]
        mat1[last, 1] = 1
        mat2[last, 1] = v
    kclass = np.zeros(k + 1, dtype=x.dtype)
    kclass[k] = x[n_data - 1]
    kclass[0] = x[0]
    top = n_data
    for count in range(k, 1, -1):
        pivot = mat1[top, count]
        kclass[count - 1] = x[int(pivot - 2)]
        top = int(pivot - 1)
    return np.delete(kclass, 0)


def _quantile_bins(values: np.ndarray, k: int) -> np.ndarray:
    """``mapclassify.Quantiles(values, k).bins``: the 100/k, 200/k … 100th percentiles,
    ties merged (so fewer than ``k`` classes when values repeat)."""
    from scipy import stats

    y = np.asarray(values).ravel()
    w = 100.0 / k
    p = np.arange(w, 100 + w, w)
    if p[-1] > 100.0:
        p[-1] = 100.0
    return np.unique(np.array([stats.scoreatpercentile(y, pct) for pct in p]))


def _order_statistics(values: np.ndarray, n: int) -> np.ndarray:
    """``n`` evenly spaced order statistics of ``values`` (rank 0 … len-1, rounded), the
    smallest and largest included: a deterministic sample with the values' distribution."""
    ordered = np.sort(values)
    ranks = np.unique(np.rint(np.linspace(0, len(ordered) - 1, n)).astype(int))
    return ordered[ranks]


def queen_neighbours(geometries, tolerance_m: float = 0.0) -> dict[int, list[int]]:
    """Queen contiguity: for each area (by position), the areas sharing at least one boundary
    point with it, self excluded, in ascending order.

    Vectorised with ``shapely.STRtree.query(geoms, predicate="intersects")``: one bulk query,
    no all-pairs loop. Boundaries generalised independently may no longer touch; with
    ``tolerance_m > 0`` (metres, in the geometries' units) areas whose boundaries come within
    that distance count as neighbours (``predicate="dwithin"``; no buffering). Missing (None)
    or empty geometries have no neighbours.
    """
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    neighbours: dict[int, list[int]] = {i: [] for i in range(len(geoms))}
    if len(geoms) == 0:
        return neighbours
    if tolerance_m < 0:
        raise ValueError("tolerance_m must be >= 0")
    tree = shapely.STRtree(geoms)
    if tolerance_m > 0:
        pairs = tree.query(geoms, predicate="dwithin", distance=tolerance_m)
    else:
        pairs = tree.query(geoms, predicate="intersects")
    src, dst = pairs
    keep = src != dst
    for i, j in zip(src[keep].tolist(), dst[keep].tolist(), strict=True):
        neighbours[i].append(j)
    return {i: sorted(set(js)) for i, js in neighbours.items()}


@dataclass(frozen=True)
class HotSpots:
    """Local Moran's I per area with its label, and the global Moran's I.

    Per area (by position): ``moran_i`` (local I, NaN when excluded), ``p_values`` (conditional
    permutation pseudo p-value, :func:`pseudo_p`, NaN when excluded) and ``labels``: "hot" (high
    value among high neighbours), "cold" (low among low), "high among low", "low among high",
    "not significant", "no neighbours" (an island, or all neighbours lack a value) or "no value"
    (NaN).
    ``fdr_threshold``: the Benjamini-Hochberg cut-off (an area is significant when its p-value is
    at most this); ``global_i``/``global_p``: global Moran's I and its permutation pseudo p-value.
    """

    moran_i: list[float]
    p_values: list[float]
    labels: list[str]
    fdr_threshold: float
    alpha: float
    permutations: int
    global_i: float
    global_p: float
    shared_permutations: bool = False  # many areas: see _local_moran; global p analytic

    def as_dict(self) -> dict:
        """JSON-safe dict of the fields; NaN becomes None."""
        def num(x):
            return float(x) if math.isfinite(x) else None

        out = asdict(self)
        out["moran_i"] = [num(x) for x in self.moran_i]
        out["p_values"] = [num(x) for x in self.p_values]
        for key in ("fdr_threshold", "alpha", "global_i", "global_p"):
            out[key] = num(out[key])
        return out


def _symmetric(neighbours: dict, n: int) -> list[set[int]]:
    """Neighbour sets by position, made symmetric (contiguity is), self-links dropped."""
    sets: list[set[int]] = [set() for _ in range(n)]
    for i, js in neighbours.items():
        for j in js:
            i, j = int(i), int(j)
            if not (0 <= i < n and 0 <= j < n):
                raise ValueError(f"neighbour pair ({i}, {j}) outside 0..{n - 1}")
            if i != j:
                sets[i].add(j)
                sets[j].add(i)
    return sets


def _included(y: np.ndarray, sets: list[set[int]]) -> tuple[np.ndarray, list[str]]:
    """Areas kept for the statistics (a value and at least one neighbour with a value) and the
    provisional labels of the others."""
    has_value = np.isfinite(y)
    labels = [NOT_SIGNIFICANT] * len(y)
    keep = np.zeros(len(y), dtype=bool)
    for i in range(len(y)):
        if not has_value[i]:
            labels[i] = NO_VALUE
        elif not any(has_value[j] for j in sets[i]):
            labels[i] = NO_NEIGHBOURS
        else:
            keep[i] = True
    return keep, labels


def pseudo_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Folded permutation pseudo p-value per area: ``(1 + min(#{I* >= I}, #{I* <= I})) /
    (1 + permutations)`` for ``observed`` (n,) and ``simulated`` (permutations, n).

    esda's ``p_sim`` counts ties only on the upper side, so a statistic that cannot vary (an area
    exactly at the mean has ``I_i = 0`` under every permutation) gets the smallest possible
    p-value; counting ties on both sides gives it 1. Without ties this equals esda's ``p_sim``.
    """
    above = (simulated >= observed).sum(axis=0)
    below = (simulated <= observed).sum(axis=0)
    return (1.0 + np.minimum(above, below)) / (1.0 + len(simulated))


#: Up to this many areas local Moran's I comes from ``esda.Moran_Local``; above it from
#: :func:`_local_moran` (esda without numba permutes area by area in Python: 25-40 s for
#: England's 33,755 LSOAs on 2 cores).
ESDA_LOCAL_MAX_AREAS = 5_000


def _local_moran(y: np.ndarray, neighbours: list[list[int]], permutations: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran's I as ``esda.Moran_Local`` computes it (row-standardised weights,
    ``I_i = (n - 1) z_i lag_i / sum z^2``, quadrants 1 HH, 2 LH, 3 LL, 4 HL), with conditional
    permutation pseudo p-values (:func:`pseudo_p`) from permutations shared by the areas with the
    same number of neighbours ``k``.

    Under conditional permutation an area's simulated lag is the mean of ``k`` values drawn from
    the others; with thousands of areas, leaving the area's own value in the pool changes that
    distribution by about 1 in ``n``, so one set of ``permutations`` means of ``k`` values drawn
    from all values (with replacement; seeded by ``seed``) serves every area with ``k``
    neighbours: ``I*_i >= I_i`` exactly when ``z_i mean* >= z_i lag_i``, counted by a binary
    search. Each area's p-value is a valid permutation test; areas share their reference draws
    (esda draws afresh per area, in a Python loop: 25-40 s for England on 2 cores; this takes
    well under a second). Every area has at least one neighbour. Returns (I, quadrant, p)."""
    n = len(y)
    z = y - y.mean()
    den = float((z * z).sum())
    degree = np.array([len(js) for js in neighbours])
    flat = np.concatenate([np.asarray(js, dtype=np.int64) for js in neighbours])
    lag = np.bincount(np.repeat(np.arange(n), degree), weights=z[flat], minlength=n) / degree
    local_i = (n - 1) * z * lag / den
    quadrant = np.where(z > 0, np.where(lag > 0, 1, 4), np.where(lag > 0, 2, 3))
    at_least = np.zeros(n, dtype=np.int64)  # permutations with z_i mean* >= z_i lag_i
    at_most = np.zeros(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    for k in np.unique(degree):
        means = np.sort(z[rng.integers(0, n, size=(permutations, int(k)))].mean(axis=1))
        ids = np.flatnonzero(degree == k)
        ge = permutations - np.searchsorted(means, lag[ids], side="left")  # mean* >= lag
        le = np.searchsorted(means, lag[ids], side="right")  # mean* <= lag
        sign = np.sign(z[ids])
        at_least[ids] = np.where(sign > 0, ge, np.where(sign < 0, le, permutations))
        at_most[ids] = np.where(sign > 0, le, np.where(sign < 0, ge, permutations))
    p_sim = (1.0 + np.minimum(at_least, at_most)) / (1.0 + permutations)
    return local_i, quadrant, p_sim


def _global_moran(y: np.ndarray, neighbours: list[list[int]]) -> tuple[float, float]:
    """Global Moran's I with row-standardised weights and its two-sided p-value under
    randomisation (Cliff & Ord, *Spatial Processes*, 1981: ``esda.Moran``'s ``I`` and
    ``p_rand``), from the neighbour lists without building a ``libpysal`` W (seconds for
    England). Every area has at least one neighbour."""
    from scipy import sparse
    from scipy.stats import norm

    n = len(y)
    degree = np.array([len(js) for js in neighbours])
    rows = np.repeat(np.arange(n), degree)
    cols = np.concatenate([np.asarray(js, dtype=np.int64) for js in neighbours])
    w = sparse.csr_array((1.0 / degree[rows], (rows, cols)), shape=(n, n))
    z = y - y.mean()
    z2 = float((z * z).sum())
    s0 = float(n)  # each row sums to 1
    s1 = 0.5 * float(((w + w.T) ** 2).sum())
    s2 = float(((1.0 + np.asarray(w.sum(axis=0)).ravel()) ** 2).sum())
    moran = n / s0 * float(z @ (w @ z)) / z2
    expected = -1.0 / (n - 1)
    kurtosis = (float((z ** 4).sum()) / n) / (z2 / n) ** 2
    a = n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 * s0)
    b = kurtosis * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 * s0)
    variance = (a - b) / ((n - 1) * (n - 2) * (n - 3) * s0 * s0) - expected ** 2
    return moran, float(2 * norm.sf(abs(moran - expected) / math.sqrt(variance)))


def fdr(p_values, alpha: float = 0.05) -> float:
    """``esda.fdr``: the p-value cut-off that keeps the false discovery rate at ``alpha``
    (Benjamini & Hochberg 1995), or the Bonferroni bound ``alpha / n`` when no p-value passes;
    as esda 2.9 computes it (BSD 3-Clause, (c) PySAL developers: THIRD_PARTY_NOTICES.md), here so that a national
    map's hot spots need not import esda (with libpysal, geopandas and scikit-learn: about
    130 MB of a web process)."""
    n = len(p_values)
    p_sort = np.sort(p_values)[::-1]
    p_fdr = np.arange(n, 0, -1) * alpha / n
    passing = np.flatnonzero(p_sort < p_fdr)
    return alpha / n if len(passing) == 0 else p_fdr[passing[0]]


def hot_spots(values, neighbours: dict[int, list[int]], *, permutations: int = 999,
              alpha: float = 0.05, seed: int = 0) -> HotSpots:
    """Hot and cold spots by local Moran's I, corrected for multiple testing.

    ``values``: one per area (NaN allowed); ``neighbours``: position -> neighbouring positions
    (e.g. from :func:`queen_neighbours`; made symmetric). Areas with NaN values, and then areas
    with no neighbour holding a value (islands), are excluded and labelled; the weights
    (``libpysal.weights.W``, row-standardised: ``w_ij = 1 / |N(i)|``) are built over the rest.

    Local Moran's I, ``I_i = (n - 1) z_i sum_j w_ij z_j / sum_k z_k^2`` with ``z`` the
    deviations from the mean (``esda.Moran_Local``), is tested by conditional permutation
    (``permutations`` shuffles of the other values around each area, seeded by ``seed``;
    pseudo p-values by :func:`pseudo_p`, esda's ``p_sim`` with ties counted both ways). The
    Benjamini-Hochberg threshold ``esda.fdr(p_sim, alpha)`` controls the false discovery rate
    at ``alpha``; significant areas are labelled by quadrant. The global Moran's I
    (``esda.Moran``) uses the same permutations count, seeded the same way (numpy's global
    random state, restored afterwards).

    Fewer than 3 usable areas, or all usable values equal: no statistics (NaN), usable areas
    "not significant".

    Above :data:`ESDA_LOCAL_MAX_AREAS` usable areas (a region, a country) the local statistics
    come from :func:`_local_moran` (the same I and quadrants; permutations shared by the areas
    with the same number of neighbours) and the global p-value from Moran's I's randomisation
    test (``esda.Moran``'s ``p_rand``); ``shared_permutations`` says so.
    """
    if permutations < 1:
        raise ValueError("permutations must be >= 1")
    y = np.asarray(values, dtype=float).ravel()
    n = len(y)
    sets = _symmetric(neighbours, n)
    keep, labels = _included(y, sets)
    moran_i = np.full(n, np.nan)
    p_values = np.full(n, np.nan)
    idx = np.flatnonzero(keep)
    nan = math.nan
    if len(idx) < 3 or np.ptp(y[idx]) == 0:
        return HotSpots(moran_i.tolist(), p_values.tolist(), labels, nan, alpha, permutations,
                        nan, nan)

    position = {int(i): k for k, i in enumerate(idx)}
    lists = {k: sorted(position[j] for j in sets[i] if j in position) for i, k in position.items()}
    yk = y[idx]
    many = len(idx) > ESDA_LOCAL_MAX_AREAS
    if many:
        ordered = [lists[k] for k in range(len(idx))]
        local_i, quadrant, p_sim = _local_moran(yk, ordered, permutations, seed)
        global_i, global_p = _global_moran(yk, ordered)
    else:
        import esda
        from libpysal.weights import W

        w = W(lists, silence_warnings=True)
        w.transform = "r"
        state = np.random.get_state()
        with warnings.catch_warnings():
            # esda's notice that its default alternative will change; 0/0 in moments for tiny n
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            local = esda.Moran_Local(yk, w, transformation="r", permutations=permutations,
                                     seed=seed, keep_simulations=True)
            local_i, quadrant = local.Is, local.q
            p_sim = pseudo_p(local.Is, local.sim)
            try:
                np.random.seed(seed)
                glob = esda.Moran(yk, w, transformation="r", permutations=permutations)
            finally:
                np.random.set_state(state)
        global_i, global_p = glob.I, glob.p_sim

    threshold = float(fdr(p_sim, alpha))
    significant = p_sim <= threshold
    for k, i in enumerate(idx):
        labels[i] = QUADRANT_LABELS[int(quadrant[k])] if significant[k] else NOT_SIGNIFICANT
    moran_i[idx] = local_i
    p_values[idx] = p_sim
    return HotSpots(
        moran_i=moran_i.tolist(),
        p_values=p_values.tolist(),
        labels=labels,
        fdr_threshold=threshold,
        alpha=float(alpha),
        permutations=int(permutations),
        global_i=float(global_i),
        global_p=float(global_p),
        shared_permutations=many,
    )
