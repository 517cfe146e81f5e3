"""Statistical disclosure control for counts of people: which cells and totals to hide.

A dataset about people (e.g. service users per area) is published as counts of the finest cells
(one per area) and as sums over groups of cells (deciles, quintiles, larger areas, the whole
city...). Small counts can identify people, so they are hidden (cell suppression; Hundepool et
al., *Statistical Disclosure Control*, Wiley 2012, ch. 5 and §4.2 on primary and secondary
suppression and on protection intervals; ONS, "Disclosure control guidance for tables produced
from administrative sources", 2014).

* Primary suppression: a cell, or an aggregate, with ``count < threshold`` is hidden — **none
  included**. Presence is not disclosed: were zeros shown, "hidden" would mean "at least one",
  and one person's presence in an area (a clinic's client lives here) is what must not be told
  (the presence policy, ``docs/DISCLOSURE.md``).
* What a reader can work out: every shown aggregate fixes the sum of its hidden cells, and
  counts are whole numbers ≥ 0. For each hidden value the smallest and largest value consistent
  with *everything* shown is a linear programme over all the published tables at once (the
  attacker's problem of tau-ARGUS; Hundepool et al. §5.2). Subtraction from one total (a single
  hidden term) and exact recovery by combining totals are its special cases (a range of one
  value); so is the narrowing the old audit missed: a decile total of 25 with shown cells 11
  and 12 leaves its two hidden cells between 0 and 2 each.
* Protection: every hidden count below the threshold — zero included, whatever its value —
  must be able to be anything from 0 to ``threshold - 1`` given what is shown (its range
  contains ``0..threshold-1``), so the table tells nothing about it beyond "fewer than the
  threshold, or hidden to protect another": not that someone is there (a lower bound above
  0), not that they are few (an upper bound below ``threshold - 1``).
* The rule itself is public, so a reader also knows: a hidden count whose range leaves out 0
  cannot be a small one, so it is at least the threshold (a secondary suppression). Those
  bounds join the attacker's problem, and protection must hold with them too. Hidden counts
  at or above the threshold need no protection of their own (they could have been shown).
* Secondary suppression: for each small count (largest first) and each end of its range
  (0 and ``threshold - 1``) the cheapest way to move it there while every shown total stays
  true is found by one more linear programme (a minimum-cost deviation: moving a hidden value
  is free, moving a shown cell costs 1 per unit, a shown aggregate one more than its number of
  cells, so neighbourhood counts are hidden before any larger area's); every shown value that
  moves is hidden. Hiding more never narrows a range, so a count once protected stays
  protected; after the pass, the "known not small" bounds are recomputed and the pass repeats
  until nothing changes. An aggregate of no cells (an area no base area falls in) is zero by
  construction and is hidden without protection.

The ranges are those of the linear relaxation, read inward to whole numbers (a lower bound of
0.3 counts as 1). They contain the whole-number ranges and equal them whenever the relations
are totally unimodular (one or two nested families of areas); with several crossing families
(deciles of two indices, wards, MSOAs...) a reader solving the integer programme could in
principle narrow a range further (``intervals(..., integer=True)`` checks that exactly; on the
city's tables no difference has been found). Which cells are hidden depends on the counts,
but every small count, zero included, is protected to the same range.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: An LP value within this of a bound counts as reaching it (HiGHS's own feasibility tolerance
#: is 1e-7; the counts are whole numbers, so anything closer than this is the same number).
TOLERANCE = 1e-6
#: Cost per unit of moving a value in the secondary-suppression programme: a hidden value
#: moves almost freely (a little, so deviations stay short); a shown cell costs 1; a shown
#: aggregate costs one more than its number of cells.
FREE = 1e-4
#: Rerun the shared reachability checks after this many deviations that hid something.
RECHECK = 10


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


@dataclass(frozen=True, eq=False)
class Intervals:
    """What a reader can work out from a published table (``intervals``).

    ``cells_low``/``cells_high`` (n,) and ``groups_low``/``groups_high`` (one per published
    aggregate): the smallest and largest value consistent with every shown value, whole
    numbers ≥ 0 and the public rule (a shown value: itself; ``inf``: no upper bound).
    ``cells_exposed``/``groups_exposed``: hidden values below the threshold whose range does
    not contain ``0..threshold-1`` — all False when the suppression protects them."""

    cells_low: np.ndarray
    cells_high: np.ndarray
    groups_low: np.ndarray
    groups_high: np.ndarray
    cells_exposed: np.ndarray
    groups_exposed: np.ndarray
    threshold: int


@dataclass(frozen=True, eq=False)
class _Tables:
    """Cells and distinct aggregates as one list of nodes: cells ``0..n-1``, aggregates
    ``n..n+A-1``. ``canon[g]``: the node of published group ``g`` (groups with the same cells
    share one, so they are hidden or shown together). ``members``: (A, n) 0/1; ``rows``:
    (n+A, n), each node's value as a sum of cells; ``empty``: the aggregates of no cells."""

    n: int
    value: np.ndarray
    canon: np.ndarray
    members: sparse.csr_matrix
    rows: sparse.csr_matrix
    size: np.ndarray
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


def _tables(cells, groups) -> _Tables:
    c, members = _check(cells, groups)
    n = len(c)
    keys: dict[bytes, int] = {}
    distinct: list[np.ndarray] = []
    canon = np.empty(len(members), dtype=int)
    for g, m in enumerate(members):
        canon[g] = n + keys.setdefault(m.tobytes(), len(keys))
        if len(distinct) < len(keys):
            distinct.append(m)
    size = np.array([len(m) for m in distinct], dtype=int)
    M = sparse.csr_matrix((np.ones(int(size.sum())), (np.repeat(np.arange(len(distinct)), size),
                           np.concatenate(distinct + [np.zeros(0, dtype=int)]))),
                          shape=(len(distinct), n))
    value = np.concatenate([c, M @ c])
    rows = sparse.vstack([sparse.identity(n, format="csr"), M]).tocsr()
    empty = np.concatenate([np.zeros(n, dtype=bool), size == 0])
    return _Tables(n, value, canon, M, rows, size, empty)


# ------------------------------------------------------------------ the attacker's problem

@dataclass(frozen=True, eq=False)
class _System:
    """What is known about the hidden cells ``hc`` (h,): ``A_eq x = b_eq`` (each shown total),
    ``A_ub x <= b_ub`` (hidden aggregates known to be at least the threshold), ``x >= lower``.
    A node's value is ``R[node] @ x + const[node]``."""

    hc: np.ndarray
    A_eq: sparse.csr_matrix
    b_eq: np.ndarray
    A_ub: sparse.csr_matrix
    b_ub: np.ndarray
    lower: np.ndarray
    R: sparse.csr_matrix
    const: np.ndarray


def _system(t: _Tables, hidden: np.ndarray, floor: np.ndarray) -> _System:
    n = t.n
    hc = np.flatnonzero(hidden[:n])
    Mh = t.members[:, hc]
    shown_part = t.members @ np.where(hidden[:n], 0.0, t.value[:n])
    rhs = t.value[n:] - shown_part
    shown = np.flatnonzero(~hidden[n:] & (np.diff(Mh.indptr) > 0))
    floored = np.flatnonzero(hidden[n:] & (floor[n:] > 0) & (np.diff(Mh.indptr) > 0))
    return _System(hc, Mh[shown], rhs[shown], -Mh[floored], shown_part[floored] - floor[n + floored],
                   floor[hc].astype(float), t.rows[:, hc].tocsr(),
                   np.concatenate([np.zeros(n), shown_part]))


def _solve(c, A_eq, b_eq, A_ub, b_ub, lower, upper, integer: int = 0) -> np.ndarray | None:
    """Minimise ``c @ x`` (HiGHS); None when unbounded. ``integer``: the first so many
    variables are whole numbers (a MIP)."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    if integer:
        constraints = [LinearConstraint(A, lo, hi) for A, lo, hi in
                       ((A_eq, b_eq, b_eq), (A_ub, -np.inf, b_ub)) if A.shape[0]]
        kinds = np.zeros(len(c))
        kinds[:integer] = 1
        res = milp(c, constraints=constraints, integrality=kinds, bounds=Bounds(lower, upper))
        unbounded = res.status == 3 or (res.status != 0 and "unbounded" in res.message.lower())
    else:
        res = linprog(c, A_eq=A_eq if A_eq.shape[0] else None, b_eq=b_eq if A_eq.shape[0] else None,
                      A_ub=A_ub if A_ub.shape[0] else None, b_ub=b_ub if A_ub.shape[0] else None,
                      bounds=np.column_stack([lower, upper]), method="highs")
        unbounded = res.status == 3
    if unbounded:
        return None
    if res.status != 0:  # the published values themselves are a solution: cannot happen
        raise RuntimeError(f"disclosure audit: {res.message}")
    return res.x


def _bound(s: _System, node: int | np.integer, sense: int, integer: bool = False) -> float:
    """The smallest (``sense`` 1) or largest (-1) value of ``node``, read inward to a whole
    number (LP relaxation; exact with ``integer``)."""
    r = s.R[node]
    if r.nnz == 0:  # no hidden cell in it
        return float(s.const[node])
    c = sense * r.toarray().ravel()
    h = len(s.hc)
    x = _solve(c, s.A_eq, s.b_eq, s.A_ub, s.b_ub, s.lower, np.full(h, np.inf), h * integer)
    if x is None:
        return float(-sense * np.inf)
    v = float((r @ x)[0]) + s.const[node]
    return float(np.ceil(v - TOLERANCE) if sense > 0 else np.floor(v + TOLERANCE)) + 0.0


def _classes(t: _Tables, hidden: np.ndarray, floor: np.ndarray) -> tuple[np.ndarray, ...]:
    """Hidden cells grouped by the constraints they are in (shown totals, hidden aggregates
    known to be large): within a class a count can move from one cell to another and every
    shown total stays true. Returns (hidden cells, their class, class sizes, whether the class
    is in no constraint)."""
    n = t.n
    hc = np.flatnonzero(hidden[:n])
    bound = np.flatnonzero(~hidden[n:] | (floor[n:] > 0))
    S = t.members[bound][:, hc].T.tocsr()
    keys: dict[bytes, int] = {}
    cls = np.array([keys.setdefault(S.indices[S.indptr[k]:S.indptr[k + 1]].tobytes(), len(keys))
                    for k in range(len(hc))], dtype=int)
    free = np.zeros(len(keys), dtype=bool)
    if b"" in keys:
        free[keys[b""]] = True
    return hc, cls, np.bincount(cls, minlength=len(keys)), free


class _Search:
    """Secondary suppression in progress: ``hidden`` and ``floor`` (over nodes) grow in place.

    ``witnesses``: tables consistent with everything shown found along the way (each
    deviation's and each shared LP's solution, over all nodes). A witness proves that the
    nodes it puts at 0 can be 0 and those it puts at ``top`` or more can reach ``top``; it
    stays a proof when more is hidden, and is dropped when a new known-large bound
    contradicts it. So most checks after the first pass cost no LP."""

    def __init__(self, t: _Tables, threshold: int, start: np.ndarray | None = None):
        self.t = t
        self.threshold = threshold
        self.top = threshold - 1.0
        primary = t.value < threshold
        self.small = np.flatnonzero(primary & ~t.empty)
        #: ``start``: hidden already (``_by_blocks``' parts); hiding more narrows nothing
        self.hidden = primary if start is None else primary | start
        self.floor = np.zeros(len(t.value))
        self._found = np.zeros((8, len(t.value)))  # witnesses in rows 0..count-1
        self._count = 0
        #: witnesses found within a part (``_by_blocks``), as changes from the published
        #: values: sparse (one row each), as each touches one part and a few crossing totals
        self._lifted = sparse.csr_matrix((0, len(t.value)))
        self._more: list[sparse.csr_matrix] = []
        #: each node's part (-1: a crossing total, or no parts), and each part's cells
        self.part = np.full(len(t.value), -1)
        self.cells_of: list[np.ndarray] = []

    @property
    def lifted(self) -> sparse.csr_matrix:
        if self._more:
            self._lifted = sparse.vstack([self._lifted, *self._more]).tocsr()
            self._more = []
        return self._lifted

    @lifted.setter
    def lifted(self, rows: sparse.csr_matrix) -> None:
        self._lifted, self._more = rows.tocsr(), []

    def keep(self, cells: np.ndarray) -> np.ndarray:
        """Remember the table ``cells`` as a sparse witness (see ``lifted``); its nodes."""
        point = self.t.rows @ cells
        change = point - self.t.value
        where = np.flatnonzero(np.abs(change) > TOLERANCE)
        self._more.append(sparse.csr_matrix((change[where], (np.zeros(len(where), dtype=int),
                                                             where)), shape=(1, len(point))))
        return point

    @property
    def witnesses(self) -> np.ndarray:
        return self._found[:self._count]

    @witnesses.setter
    def witnesses(self, rows: np.ndarray) -> None:
        self._count = len(rows)
        self._found[:self._count] = rows

    def witness(self, cells: np.ndarray) -> np.ndarray:
        point = self.t.rows @ cells
        if self._count == len(self._found):  # grown by doubling, not copied at every witness
            self._found = np.vstack([self._found, np.zeros_like(self._found)])
        self._found[self._count] = point
        self._count += 1
        return point

    def reached(self, nodes: np.ndarray, target: float) -> np.ndarray:
        values = self.witnesses[:, nodes]
        hit = values <= TOLERANCE if target == 0 else values >= target - TOLERANCE
        hit = np.asarray(hit.any(axis=0))  # 1-D (numpy's stubs allow a scalar)
        if self.lifted.shape[0] and len(nodes):
            # a node a lifted witness leaves alone is at its published value, which the
            # published table itself (always a witness) covers
            change = self.lifted[:, nodes].tocoo()
            value = self.t.value[nodes][change.col] + change.data
            good = value <= TOLERANCE if target == 0 else value >= target - TOLERANCE
            hit[change.col[good]] = True
        return hit

    def exchanges(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which ``nodes`` provably reach 0 and ``top`` by moving counts between hidden cells
        of one class (``_classes``): whole-number moves, no LP. Cheap, and decisive when most
        totals are hidden."""
        t, floor, top = self.t, self.floor, self.top
        n = t.n
        hc, cls, size, free = _classes(t, self.hidden, floor)
        pos = np.full(n, -1)
        pos[hc] = np.arange(len(hc))
        give = t.value[hc] - floor[hc]
        capacity = np.bincount(cls, weights=give, minlength=len(size))
        down = np.zeros(len(nodes), dtype=bool)
        up = np.zeros(len(nodes), dtype=bool)
        for i, node in enumerate(nodes):
            if node < n:
                k = pos[node]
                c = cls[k]
                down[i] = floor[node] == 0 and (t.value[node] == 0 or size[c] >= 2 or free[c])
                up[i] = free[c] or t.value[node] + capacity[c] - give[k] >= top
                continue
            mem = pos[t.members.indices[t.members.indptr[node - n]:t.members.indptr[node - n + 1]]]
            if np.any(mem < 0) or floor[node] > 0:
                continue
            # over the classes its cells are in only (not every class: national tables)
            touched, which = np.unique(cls[mem], return_inverse=True)
            inside = np.bincount(which)
            out = size[touched] - inside
            held = np.bincount(which, weights=t.value[hc[mem]])
            down[i] = bool(np.all((out > 0) | (held == 0) | free[touched])
                           and np.all(floor[hc[mem]] == 0))
            room = capacity[touched] - np.bincount(which, weights=give[mem])
            up[i] = bool(np.any(free[touched])) or t.value[node] + room.sum() >= top
        return down, up

    def shared(self, nodes: np.ndarray, target: float, within: np.ndarray | None = None
               ) -> np.ndarray:
        """Which ``nodes`` can be shown to reach ``target`` (0 or ``top``) by a few shared
        LPs: minimise a weighted sum of the nodes (each node at 0 in the optimum reaches 0),
        or maximise a weighted sum of ``min(node, top)``; repeated on the rest while it finds
        any. The weights differ (1 to 2, in a new order each round) so that an optimum does
        not share the room out evenly and leave every node short. Nodes left over may still
        reach it (each is then tried on its own). ``within``: only these cells may move (the
        others held at their values: smaller programmes, whose tables are witnesses of the
        whole all the same)."""
        t = self.t
        hidden = self.hidden
        if within is not None:
            hidden = hidden.copy()
            hidden[:t.n] = False
            hidden[within] = self.hidden[within]
        s = _system(t, hidden, self.floor)
        h = len(s.hc)
        done = np.zeros(len(nodes), dtype=bool)
        rng = np.random.default_rng(0)  # fixed: the same table always gets the same answer
        while not done.all():
            left = np.flatnonzero(~done)
            k = len(left)
            R = s.R[nodes[left]]
            w = 1.0 + rng.permutation(k) / k
            if target == 0:
                x = _solve(R.T @ w, s.A_eq, s.b_eq, s.A_ub, s.b_ub, s.lower, np.full(h, np.inf))
            else:  # variables (x, z): max w.z with z <= R x + const and z <= top
                A_eq = sparse.hstack([s.A_eq, sparse.csr_matrix((s.A_eq.shape[0], k))]).tocsr()
                A_ub = sparse.vstack([
                    sparse.hstack([s.A_ub, sparse.csr_matrix((s.A_ub.shape[0], k))]),
                    sparse.hstack([-R, sparse.identity(k)])]).tocsr()
                x = _solve(np.concatenate([np.zeros(h), -w]), A_eq, s.b_eq, A_ub,
                           np.concatenate([s.b_ub, s.const[nodes[left]]]),
                           np.concatenate([s.lower, np.full(k, -np.inf)]),
                           np.concatenate([np.full(h, np.inf), np.full(k, target)]))
            if x is None:  # unbounded: this LP gives no witness
                break
            cells = t.value[:t.n].copy()
            cells[s.hc] = x[:h]
            point = (self.witness(cells) if within is None else self.keep(cells))[nodes[left]]
            reached = point <= TOLERANCE if target == 0 else point >= target - TOLERANCE
            if not reached.any():
                break
            done[left[reached]] = True
        return done

    def unreached(self, nodes: np.ndarray) -> list[tuple[int, float]]:
        """(node, end) for each end (0, ``top``) of each node not shown to be reachable by a
        witness, exchanges or the shared LPs, largest node first."""
        todo = []
        down, up = self.exchanges(nodes)
        for done, target in ((down, 0.0), (up, self.top)):
            left = nodes[~done & (self.t.value[nodes] != target)]
            left = left[~self.reached(left, target)]
            within = self.part[left] >= 0  # within its part, or over everything
            for b in np.unique(self.part[left[within]]):
                mine = self.part[left] == b
                left = np.concatenate([left[~mine], left[mine][
                    ~self.shared(left[mine], target, self.cells_of[b])]])
            if np.any(self.part[left] < 0):
                crossing = self.part[left] < 0
                left = np.concatenate([left[~crossing], left[crossing][
                    ~self.shared(left[crossing], target)]])
            todo += [(int(node), target) for node in left]
        todo.sort(key=lambda item: (-self.t.value[item[0]], item[0], item[1]))
        return todo

    def deviation(self, node: int, target: float, within: np.ndarray | None = None) -> np.ndarray:
        """The cheapest change of every value (cells and aggregates, (n+A,)) that brings
        ``node`` to ``target`` while every shown total and every known bound still holds,
        once the shown values that change are hidden: min Σ cost·|change| subject to (cells'
        change summed over each aggregate) = (the aggregate's change), value + change ≥
        floor. Costs: ``FREE`` for a hidden value, 1 for a shown cell, one more than its
        number of cells for a shown aggregate (and, among equal costs, the smaller value).
        ``within``: only these cells (sorted) may change (a part: a smaller programme)."""
        t, hidden, floor = self.t, self.hidden, self.floor
        n = t.n
        cols = np.arange(n) if within is None else within
        members = t.members if within is None else t.members[:, cols].tocsr()
        rows = np.flatnonzero((~hidden[n:] | (floor[n:] > 0) | (np.arange(len(t.size)) == node - n))
                              & ~t.empty[n:] & (np.diff(members.indptr) > 0))
        r = len(rows)
        agg = n + rows
        scale = 0.01 / (1.0 + t.value.max())
        cost = np.concatenate([np.where(hidden[cols], FREE, 1.0 + scale * t.value[cols]),
                               np.where(hidden[agg], FREE, 1.0 + t.size[rows] + scale * t.value[agg])])
        room = np.concatenate([t.value[cols] - floor[cols], t.value[agg] - floor[agg]])
        B = sparse.hstack([members[rows], -sparse.identity(r, format="csr")]).tocsr()
        m = len(cols)
        v = m + r
        lower = np.zeros(2 * v)
        upper = np.concatenate([np.full(v, np.inf), room])
        k = (int(np.searchsorted(cols, node)) if node < n
             else m + int(np.searchsorted(rows, node - n)))
        change = target - t.value[node]
        upper[k], upper[v + k] = max(change, 0.0), max(-change, 0.0)
        lower[k], lower[v + k] = upper[k], upper[v + k]
        x = _solve(np.concatenate([cost, cost]), sparse.hstack([B, -B]).tocsr(), np.zeros(r),
                   sparse.csr_matrix((0, 2 * v)), np.zeros(0), lower, upper)
        if x is None:  # costs are positive, so it cannot be unbounded
            raise RuntimeError("disclosure: unbounded deviation")
        out = np.zeros(len(hidden))
        out[cols] = x[:m] - x[v:v + m]
        out[agg] = x[m:v] - x[v + m:]
        return out

    def protect(self) -> None:
        """Hide more until every small node can reach 0 and ``top``: largest first, one
        deviation per node and end not yet shown to be reachable; every node and end its
        solution reaches is done too; the shared checks rerun every ``RECHECK`` deviations
        that hid something."""
        todo = self.unreached(self.small)
        since = 0
        while todo:
            node, target = todo.pop(0)
            change = None
            if self.part[node] >= 0:  # within its part, unless that would hide a crossing total
                change = self.deviation(node, target, self.cells_of[self.part[node]])
                if np.any((np.abs(change) > TOLERANCE) & ~self.hidden & (self.part < 0)):
                    change = None
            local = change is not None
            if change is None:
                change = self.deviation(node, target)
            moved = np.abs(change) > TOLERANCE
            since += bool(np.any(moved & ~self.hidden))
            self.hidden |= moved
            cells = self.t.value[:self.t.n] + change[:self.t.n]
            point = self.keep(cells) if local else self.witness(cells)
            todo = [(k, end) for k, end in todo if not (
                point[k] <= TOLERANCE if end == 0 else point[k] >= end - TOLERANCE)]
            if since >= RECHECK and len(todo) > RECHECK:
                keep = set(self.unreached(np.unique([k for k, _ in todo])))
                todo = [item for item in todo if item in keep]
                since = 0

    def known_large(self, every: bool = False) -> bool:
        """Hidden values whose range leaves out 0 are known (from the public rule) not to be
        small: give them the floor ``threshold`` (and drop the witnesses that break it).
        Returns whether any was added. ``every``: give it to every hidden value that is in
        fact not small, without asking which a reader could tell (one programme each): a
        reader stronger than the real one, so protection against it is protection."""
        t, hidden, floor = self.t, self.hidden, self.floor
        nodes = np.flatnonzero(hidden & ~t.empty & (floor == 0) & (t.value >= self.threshold))
        if every:
            return self._floor(nodes.tolist())
        nodes = nodes[~self.reached(nodes, 0.0)]
        nodes = nodes[~self.exchanges(nodes)[0]]
        if len(nodes):
            nodes = nodes[~self.shared(nodes, 0.0)]
        s = _system(t, hidden, floor)
        return self._floor([node for node in nodes if _bound(s, node, 1) > 0])

    def _floor(self, large: list[int]) -> bool:
        if not large:
            return False
        self.floor[large] = self.threshold
        keep = np.all(self.witnesses[:, large] >= self.threshold - TOLERANCE, axis=1)
        self.witnesses = self.witnesses[keep]
        if self.lifted.shape[0]:
            change = self.lifted[:, large].tocoo()
            broken = self.t.value[large][change.col] + change.data < self.threshold - TOLERANCE
            keep = np.ones(self.lifted.shape[0], dtype=bool)
            keep[change.row[broken]] = False
            self.lifted = self.lifted[keep]
        return True


def suppress(cells, groups, threshold: int = 10, *, blocks=None) -> Suppression:
    """Which cells and published aggregates to hide.

    ``cells``: (n,) non-negative counts of the finest cells (e.g. one per area). ``groups``: the
    published aggregates, each a list of cell indices whose sum is shown somewhere (a decile, a
    quintile, the whole city...); they may nest or overlap arbitrarily, and identical ones are
    hidden or shown together. ``threshold``: counts ``x < threshold`` are hidden, none included.

    Primary: every cell and aggregate below the threshold is hidden. Secondary: more is hidden
    until every hidden value below the threshold (zero included) can be anything from 0 to
    ``threshold - 1`` given every shown value, whole numbers ≥ 0 and the rule itself (see the
    module). ``blocks``: decide part by part (``_by_blocks``): each cell's block (e.g. its
    authority: (n,) labels), or True to find blocks from the aggregates (``_blocks``), False
    for the whole table at once; None: blocks found when there are more than ``WHOLE`` cells.
    Raises ValueError for negative or non-finite counts, a group naming
    a cell that does not exist, or a threshold below 1.
    """
    if threshold < 1:
        raise ValueError("threshold must be >= 1")
    t = _tables(cells, groups)
    if blocks is None:
        blocks = t.n > WHOLE
    if blocks is True:
        blocks = _blocks(t)
    if blocks is False:
        hidden = _whole(t, int(threshold))
    else:
        labels = np.unique(np.asarray(blocks).ravel(), return_inverse=True)[1]
        if len(labels) != t.n:
            raise ValueError(f"blocks must give one label per cell ({t.n})")
        hidden = _by_blocks(t, int(threshold), labels)
    return Suppression(cells=hidden[:t.n].copy(), groups=hidden[t.canon].copy(),
                       threshold=int(threshold))


def _whole(t: _Tables, threshold: int, start: np.ndarray | None = None, *,
           every: bool = False) -> np.ndarray:
    """Which nodes to hide, deciding over all of ``t`` at once (``start``: hidden already;
    ``every``: see ``_Search.known_large``)."""
    return _decide(_Search(t, threshold, start), every).hidden


def _decide(search: _Search, every: bool = False) -> _Search:
    """Run ``search`` until every small node is protected (see ``_whole``)."""
    search.witness(search.t.value[:search.t.n])
    while True:
        if every:
            search.known_large(every=True)
        search.protect()
        if not search.known_large(every):
            break
    return search


# ------------------------------------------------------------------ block by block

#: Tables of more cells than this are decided block by block.
WHOLE = 2000
#: After the blocks, a block's own programmes may also move counts in the largest blocks
#: (``_by_blocks``): as many as hold this many cells (England: its largest authority, 659
#: neighbourhoods, covers every decile), but no more than ``RESERVOIR_PARTS``.
RESERVOIR_CELLS = 400
RESERVOIR_PARTS = 3
#: A published aggregate of at most this share of the cells (and at least one) ties its cells
#: into one block: an authority's neighbourhoods, wards and MSOAs do; a national decile does
#: not (England: authorities of up to 640 LSOAs against deciles of 3,375).
LOCAL_SHARE = 1 / 20


def _blocks(t: _Tables) -> np.ndarray:
    """Each cell's block: connected by the aggregates no larger than ``LOCAL_SHARE``."""
    from scipy.sparse.csgraph import connected_components

    n = t.n
    local = np.flatnonzero((t.size <= max(1, int(n * LOCAL_SHARE))) & (t.size > 1))
    M = t.members[local].tocsr()
    starts = M.indices[M.indptr[:-1][np.diff(M.indptr) > 0]]  # each group's first cell
    owner = np.repeat(np.arange(M.shape[0]), np.diff(M.indptr))
    first = np.zeros(M.shape[0], dtype=int)
    first[np.diff(M.indptr) > 0] = starts
    graph = sparse.csr_matrix((np.ones(len(M.indices)), (M.indices, first[owner])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def _by_blocks(t: _Tables, threshold: int, block: np.ndarray) -> np.ndarray:
    """Which nodes to hide, deciding block by block first, then the whole table.

    ``block``: each cell's block (e.g. its authority, or ``_blocks``). An aggregate whose cells
    lie in one block is *local* to it; the rest (national deciles, the country) *cross*.

    1. Each block is decided on its own, over its cells and local aggregates only (small
       linear programmes: most of the work, since a count's partners are found in its own
       authority, MSOA and ward).
    2. The whole table is then decided as by ``_whole``, starting from everything the blocks
       hid: the same search over every published aggregate at once, so the guarantee is the
       whole table's (every small count reaches 0 and ``threshold - 1`` given everything
       shown, the rule included), whatever the blocks. Hiding more never narrows a range, so
       starting from more hidden is safe; it only leaves the whole-table search little to do
       (what the crossing totals add), where it would otherwise find every partner with a
       programme over the whole country. Here every hidden count that is in fact not small is
       taken to be known to be at least the threshold (``known_large(every=True)``): a reader
       stronger than the real one (who knows it only where the shown totals say so), so the
       guarantee holds against the real one too, and no programme per hidden total is needed
       to find out which a reader could tell. A count of one block is proven protected, and
       its partners chosen, by programmes over that block's cells and those of the largest
       blocks (every other cell held at its value, every published total in force): a table
       found so is a table of the whole that a reader cannot rule out, and the largest
       blocks let a count moved across a decile in one block be moved back in another. Only
       crossing totals, and a partner search that would hide one, get a programme over the
       whole table.
    """
    n = t.n
    M = t.members.tocsr()
    first = np.full(len(t.size), -1)
    nonempty = np.diff(M.indptr) > 0
    first[nonempty] = block[M.indices[M.indptr[:-1][nonempty]]]
    owner = np.repeat(np.arange(len(t.size)), np.diff(M.indptr))
    crossing = np.zeros(len(t.size), dtype=bool)
    np.logical_or.at(crossing, owner, block[M.indices] != first[owner])
    local = np.flatnonzero(nonempty & ~crossing)
    start = np.zeros(len(t.value), dtype=bool)
    order = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[order], np.arange(block.max() + 2))
    local_of: list[list[int]] = [[] for _ in range(block.max() + 1)]
    for k in local.tolist():
        local_of[first[k]].append(k)
    for b in range(block.max() + 1):
        idx = order[bounds[b]:bounds[b + 1]]
        if len(idx) == 0:
            continue
        position = np.full(n, -1)
        position[idx] = np.arange(len(idx))
        mine = np.array(local_of[b], dtype=int)
        groups = [position[M.indices[M.indptr[k]:M.indptr[k + 1]]] for k in mine]
        st = _tables(t.value[idx], groups)
        part = _whole(st, threshold)
        start[idx] = part[:st.n]
        start[n + mine] = part[st.canon]
    search = _Search(t, threshold, start)
    search.part[:n] = block
    search.part[n + local] = first[local]
    # a part's programmes may also move counts in a few large parts (the reservoir), so that
    # a count moved across a crossing total (a decile) in one part can be moved back there
    sizes = np.diff(bounds)
    largest = np.argsort(-sizes, kind="stable")
    parts = min(RESERVOIR_PARTS, 1 + int(np.searchsorted(np.cumsum(sizes[largest]),
                                                           RESERVOIR_CELLS)))
    search.cells_of = [np.sort(np.concatenate([order[bounds[c]:bounds[c + 1]] for c in
                                               [b, *[c for c in largest[:parts + 1] if c != b][:parts]]]))
                       for b in range(block.max() + 1)]
    return _decide(search, every=True).hidden


def intervals(cells, groups, result: Suppression, *, integer: bool = False) -> Intervals:
    """Audit a suppression as a reader who knows the rule would: for every cell and published
    aggregate, the smallest and largest value consistent with what ``result`` shows (linear
    programming over all the tables at once, read inward to whole numbers; ``integer``: the
    exact integer programme, slower). A hidden value whose range leaves out 0 is taken to be
    at least the threshold (the rule hides nothing small with such a range), repeated until
    nothing changes. One LP per hidden value and end: meant for tests and audits, not for
    every request. An aggregate hidden but identical to a shown one is shown."""
    threshold = int(result.threshold)
    t = _tables(cells, groups)
    n = t.n
    hidden = np.zeros(len(t.value), dtype=bool)
    hidden[:n] = np.asarray(result.cells, dtype=bool)
    hidden[n:] = True
    hidden[t.canon[~np.asarray(result.groups, dtype=bool)]] = False
    floor = np.zeros(len(hidden))
    nodes = np.flatnonzero(hidden & ~t.empty)
    while True:
        s = _system(t, hidden, floor)
        low = np.array([_bound(s, k, 1, integer) for k in nodes])
        large = nodes[(low > 0) & (floor[nodes] == 0) & (t.value[nodes] >= threshold)]
        if not len(large):
            break
        floor[large] = threshold
    high = np.array([_bound(s, k, -1, integer) for k in nodes])
    lo, hi = t.value.copy(), t.value.copy()
    lo[nodes], hi[nodes] = low, high
    exposed = hidden & ~t.empty & (t.value < threshold) & ((lo > 0) | (hi < threshold - 1))
    return Intervals(cells_low=lo[:n], cells_high=hi[:n], groups_low=lo[t.canon],
                     groups_high=hi[t.canon], cells_exposed=exposed[:n],
                     groups_exposed=exposed[t.canon], threshold=threshold)
