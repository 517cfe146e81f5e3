"""Statistical disclosure control for counts of people: which cells and totals to hide.

A dataset about people (e.g. service users per area) is published as counts of the finest cells
(one per area) and as sums over groups of cells (deciles, quintiles, the whole city...). Small
counts can identify people, so they are hidden (cell suppression; Hundepool et al.,
*Statistical Disclosure Control*, Wiley 2012, ch. 5 and §4.2 on primary and secondary
suppression; ONS, "Disclosure control guidance for tables produced from administrative
sources", 2014).

* Primary suppression: a cell, or an aggregate, with ``count < threshold`` is hidden — **none
  included**. Presence is not disclosed: were zeros shown, "hidden" would mean "at least one",
  and one person's presence in an area (a clinic's client lives here) is what must not be told
  (the presence policy, ``docs/DISCLOSURE.md``).
* Secondary suppression: a hidden value must not follow by subtraction from what is shown.
  Every published aggregate ``g`` gives the relation ``g = sum of its cells``; and an aggregate
  that is the exact union of disjoint smaller aggregates (a quintile of two deciles, the city of
  five quintiles) gives ``parent = sum of its child aggregates``. In any relation, a value is
  disclosed when it is the only hidden term, so whenever a relation has exactly one, the
  smallest shown member is hidden too (or, if there is none, the total itself). This repeats
  until nothing changes. The rule looks only at what is hidden, never at whether a hidden
  value is zero, so the pattern of hidden cells does not tell none from few either.
* Audit (``audit=True``, the default): the one-relation rule misses values recoverable by
  combining relations (overlapping aggregates: from ``a + b``, ``b + c`` and ``a + c`` all three
  follow). The audit solves the whole linear system: a hidden value ``x_j`` is exactly
  recoverable when the unit vector ``e_j`` lies in the row space of the relations restricted to
  the hidden values (equivalently, the null space has no component along ``j``). While any are,
  for each a further value from the relations that recover it is hidden (all in one pass),
  and the rules rerun. An aggregate of no cells at all (an area no base area falls in) is
  zero by construction, whatever the data, and is hidden but not protected.

Hiding zeros hides more than hiding only small non-zero counts (an area with no rows needs a
partner wherever a total is shown), which is the price of not disclosing presence. Known
limitation: bounds are not audited (a hidden value is never exactly recoverable, but
non-negativity can narrow it to a range: interval disclosure); a full audit of that needs
linear programming (e.g. tau-ARGUS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-9  # null-space components below this count as zero (relations are 0/±1 matrices)


@dataclass(frozen=True, eq=False)
class Suppression:
    """Which values to hide: ``cells`` (n,) and ``groups`` (one per published aggregate, in the
    order given) boolean arrays, True = hidden; ``threshold``: the primary threshold used."""

    cells: np.ndarray
    groups: np.ndarray
    threshold: int

    def hidden_cells(self) -> list[int]:
        """Indices of the hidden cells."""
        return np.flatnonzero(self.cells).tolist()

    def hidden_groups(self) -> list[int]:
        """Indices of the hidden aggregates."""
        return np.flatnonzero(self.groups).tolist()

    def mask_cells(self, values) -> list:
        """``values`` (one per cell) with None where the cell is hidden."""
        return [None if h else v for v, h in zip(list(values), self.cells, strict=True)]

    def as_dict(self) -> dict:
        """{"threshold", "hidden_cells": [indices], "hidden_groups": [indices]}."""
        return {"threshold": self.threshold, "hidden_cells": self.hidden_cells(),
                "hidden_groups": self.hidden_groups()}


@dataclass(frozen=True)
class _Structure:
    """Cells and distinct aggregates as one list of nodes: cells ``0..n-1``, aggregates
    ``n..n+A-1``. ``canon[g]``: the aggregate node index of published group ``g`` (groups with
    the same cells share one node, so they are hidden or shown together). ``membership``:
    (A, n) bool; ``relations``: (total node, member nodes); ``empty``: (nodes,) bool, the
    aggregates of no cells (zero whatever the data)."""

    n_cells: int
    value: np.ndarray
    canon: np.ndarray
    membership: np.ndarray
    relations: list[tuple[int, np.ndarray]]
    empty: np.ndarray


def _check(cells, groups) -> tuple[np.ndarray, list[np.ndarray]]:
    c = np.asarray(cells, dtype=float).ravel()
    if not np.all(np.isfinite(c)) or np.any(c < 0):
        raise ValueError("cells must be finite counts >= 0")
    members = []
    for g in groups:
        m = np.unique(np.asarray(g, dtype=int).ravel())
        if m.size and (m[0] < 0 or m[-1] >= len(c)):
            raise ValueError(f"group refers to cells outside 0..{len(c) - 1}")
        members.append(m)
    return c, members


def partitions(membership: np.ndarray) -> dict[int, list[int]]:
    """Aggregates that are the exact union of disjoint smaller aggregates.

    For each aggregate ``a`` (row of the (A, n) bool ``membership``): its candidate children are
    the aggregates strictly inside it; if the maximal candidates (those inside no other
    candidate) are pairwise disjoint and cover ``a``, they partition it: ``a -> [children]``.
    Deeper partitions (the city as ten deciles) follow from chaining levels (city -> quintiles ->
    deciles); partitions the maximal candidates miss are left to the audit."""
    m = membership.astype(np.int64)
    size = m.sum(axis=1)
    inter = m @ m.T
    inside = (inter == size[None, :]) & (size[None, :] < size[:, None]) & (size[None, :] > 0)
    out = {}
    for a in range(len(m)):
        cand = np.flatnonzero(inside[a])
        if len(cand) < 2:
            continue
        maximal = [b for b in cand if not np.any(inside[cand, b])]
        sub = inter[np.ix_(maximal, maximal)]
        if (len(maximal) >= 2 and np.count_nonzero(sub - np.diag(np.diag(sub))) == 0
                and size[maximal].sum() == size[a]):
            out[a] = [int(b) for b in maximal]
    return out


def _structure(c: np.ndarray, members: list[np.ndarray]) -> _Structure:
    n = len(c)
    keys: dict[bytes, int] = {}
    distinct: list[np.ndarray] = []
    canon = np.empty(len(members), dtype=int)
    for g, m in enumerate(members):
        key = m.tobytes()
        if key not in keys:
            keys[key] = len(distinct)
            distinct.append(m)
        canon[g] = n + keys[key]
    membership = np.zeros((len(distinct), n), dtype=bool)
    for a, m in enumerate(distinct):
        membership[a, m] = True
    value = np.concatenate([c, membership.astype(float) @ c])
    relations = [(n + a, m) for a, m in enumerate(distinct)]
    relations += [(n + a, np.asarray(kids) + n) for a, kids in partitions(membership).items()]
    empty = np.concatenate([np.zeros(n, dtype=bool), ~membership.any(axis=1)])
    return _Structure(n, value, canon, membership, relations, empty)


def _apply_rules(s: _Structure, hidden: np.ndarray) -> None:
    """Secondary suppression to a fixed point, in place: no relation may have exactly one hidden
    term (zero or not: the rule must not depend on a hidden value); the smallest shown member
    (ties: lowest index) is hidden, or the total when no member can be."""
    changed = True
    while changed:
        changed = False
        for total, members in s.relations:
            terms = np.append(members, total)
            if np.count_nonzero(hidden[terms]) != 1:
                continue
            shown = members[~hidden[members]]
            if len(shown):
                hidden[shown[np.lexsort((shown, s.value[shown]))[0]]] = True
            elif not hidden[total]:
                hidden[total] = True
            else:
                continue
            changed = True


def _system(s: _Structure, hidden: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The relations restricted to the hidden values: (A, u) coefficients (+1 for a hidden cell
    in aggregate ``a``, -1 for ``a`` itself when hidden) and the u hidden node indices."""
    nodes = np.flatnonzero(hidden)
    n = s.n_cells
    A = np.zeros((len(s.membership), len(nodes)))
    for k, node in enumerate(nodes):
        if node < n:
            A[:, k] = s.membership[:, node]
        else:
            A[node - n, k] = -1.0
    return A, nodes


def _null_space(A: np.ndarray) -> np.ndarray:
    from scipy.linalg import null_space

    try:
        return null_space(A)
    except np.linalg.LinAlgError:  # gesdd can fail to converge; gesvd is slower but sturdier
        return null_space(A, lapack_driver="gesvd")


def _recoverable(s: _Structure, hidden: np.ndarray) -> np.ndarray:
    """Hidden nodes whose value follows exactly from the shown values (bool over all nodes),
    zeros included; aggregates of no cells are zero by construction and left out."""
    out = np.zeros(len(hidden), dtype=bool)
    A, nodes = _system(s, hidden)
    if len(nodes) == 0 or len(A) == 0:
        return out
    basis = _null_space(A)  # (u, u - rank); no columns when every hidden value is determined
    out[nodes] = np.linalg.norm(basis, axis=1) < TOLERANCE
    return out & ~s.empty


def _break(s: _Structure, hidden: np.ndarray, exposed: np.ndarray) -> bool:
    """Hide more values so that the ``exposed`` nodes are no longer recoverable, in place: for
    each, the smallest shown value among the relations that recover it (cells of those
    aggregates, and the aggregates). All exposed nodes are treated in one pass (one
    least-squares solve with a right-hand side per node), so a large, sparse table needs a
    few passes rather than one per node; the audit then checks again. Returns whether
    anything was hidden."""
    A, nodes = _system(s, hidden)
    targets = np.zeros((len(nodes), len(exposed)))
    targets[np.searchsorted(nodes, exposed), np.arange(len(exposed))] = 1.0
    Y = np.linalg.lstsq(A.T, targets, rcond=None)[0]  # (relations × exposed)
    before = int(hidden.sum())
    for k in range(len(exposed)):
        used = np.flatnonzero(np.abs(Y[:, k]) > TOLERANCE)
        cand = np.concatenate([np.flatnonzero(s.membership[used].any(axis=0)), used + s.n_cells])
        cand = cand[~hidden[cand]]
        if len(cand):  # none left: an earlier node's choice in this pass covered it
            hidden[cand[np.lexsort((cand, s.value[cand]))[0]]] = True
    return int(hidden.sum()) > before


def suppress(cells, groups, threshold: int = 10, *, audit: bool = True) -> Suppression:
    """Which cells and published aggregates to hide.

    ``cells``: (n,) non-negative counts of the finest cells (e.g. one per area). ``groups``: the
    published aggregates, each a list of cell indices whose sum is shown somewhere (a decile, a
    quintile, the whole city...); they may nest or overlap arbitrarily, and identical ones are
    hidden or shown together. ``threshold``: counts ``x < threshold`` are hidden, none included.

    Rule 1 (primary): a cell with ``count < threshold`` is hidden, and so is an aggregate with
    ``sum < threshold`` (zero included: "none" is never told apart from "few"). Rule 2
    (secondary): no shown aggregate may contain exactly one hidden cell (hide the next smallest
    shown cell in it), and no aggregate that is the exact union of disjoint aggregates may have
    exactly one hidden child aggregate while it is shown (hide the next smallest shown sibling);
    a hidden total all of whose terms are shown gets its smallest term hidden. Repeated until
    nothing changes; then, with ``audit``, until no hidden value is exactly recoverable from all
    the relations together. Which cells are hidden depends on which counts are below the
    threshold and on the shown values, never on whether a hidden count is zero.
    """
    if threshold < 1:
        raise ValueError("threshold must be >= 1")
    c, members = _check(cells, groups)
    s = _structure(c, members)
    hidden = s.value < threshold
    _apply_rules(s, hidden)
    while audit:
        exposed = np.flatnonzero(_recoverable(s, hidden))
        if len(exposed) == 0:
            break
        if not _break(s, hidden, exposed):  # cannot happen: recovery uses a shown value
            raise RuntimeError(f"cannot protect values {exposed.tolist()}")
        _apply_rules(s, hidden)
    return Suppression(cells=hidden[:s.n_cells].copy(), groups=hidden[s.canon].copy(),
                       threshold=int(threshold))


def recoverable(cells, groups, result: Suppression) -> tuple[np.ndarray, np.ndarray]:
    """Audit a suppression: (cells, groups) bool arrays marking hidden values (zeros included)
    that follow exactly from the shown values by linear algebra (all relations combined). Both
    all False when the suppression is safe against exact recovery. A hidden aggregate with an
    identical shown one (same cells) counts as recoverable; an aggregate of no cells never
    does (it is zero by construction)."""
    c, members = _check(cells, groups)
    s = _structure(c, members)
    hidden = np.zeros(len(s.value), dtype=bool)
    hidden[:s.n_cells] = np.asarray(result.cells, dtype=bool)
    shown_groups = np.asarray(result.groups, dtype=bool) == 0
    hidden[s.n_cells:] = True
    hidden[s.canon[shown_groups]] = False  # an aggregate is hidden only if every copy is
    out = _recoverable(s, hidden)
    twin_shown = np.asarray(result.groups, dtype=bool) & ~hidden[s.canon]
    return out[:s.n_cells], out[s.canon] | (twin_shown & ~s.empty[s.canon])
