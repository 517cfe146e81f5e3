"""A lens result's per-area rows, kept as columns and built as dicts only when read.

A national lens has one row per area for every Census table (``disparity.tables[].areas``)
and for the map (``where.areas``): England's 33,755 LSOAs × 9 row sets were 300,000 dicts,
about 7 KB an area (some 500 MB) held in the web process for as long as the result is kept.
:class:`LazyRows` keeps them as NumPy columns instead (a few numbers an area) and is a
read-only sequence of the very dicts the lens used to return: ``rows[i]`` builds one row
(a page shows a bounded number), iteration builds :data:`CHUNK_ROWS` at a time and lets them
go (the CSV export streams), and :func:`iter_json` writes a result as the JSON text
``json.dumps`` would give for the plain rows, a chunk at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import islice

import numpy as np

CHUNK_ROWS = 4_096  # rows built at a time when iterating: bounds memory at a few MB


def optional(x: np.ndarray) -> list:
    """A float column as Python floats, None for NaN and infinity."""
    x = np.asarray(x, dtype=float)
    out = x.astype(object)
    out[~np.isfinite(x)] = None
    return out.tolist()


class LazyRows(Sequence):
    """A read-only sequence of row dicts built on demand. Subclasses give ``__len__`` and
    :meth:`chunks` (the rows in order, a list of at most :data:`CHUNK_ROWS` dicts at a
    time); ``rows[i]`` and slices build only what they return."""

    def chunks(self) -> Iterator[list[dict]]:
        raise NotImplementedError

    def _range(self, start: int, stop: int) -> list[dict]:
        """Rows ``start:stop`` (subclasses that can build any range override this)."""
        return list(islice(iter(self), start, stop))

    def __getitem__(self, i):
        n = len(self)
        if isinstance(i, slice):
            start, stop, step = i.indices(n)
            if step == 1:
                return self._range(start, max(start, stop))
            return [self[j] for j in range(start, stop, step)]
        i = i.__index__()
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("row index out of range")
        return self._range(i, i + 1)[0]

    def __iter__(self) -> Iterator[dict]:
        for chunk in self.chunks():
            yield from chunk

    def __eq__(self, other) -> bool:
        if not isinstance(other, LazyRows | list | tuple):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self):,} rows>"

    def json_chunks(self, encoder: json.JSONEncoder) -> Iterator[str]:
        """The rows as one JSON array, ``encoder``'s text a chunk at a time."""
        yield "["
        first = True
        for chunk in self.chunks():
            if chunk:
                text = encoder.encode(chunk)[1:-1]
                yield text if first else ", " + text
                first = False
        yield "]"


class ColumnRows(LazyRows):
    """Rows over areas that can be built for any range of areas at once."""

    def build(self, start: int, stop: int) -> list[dict]:
        raise NotImplementedError

    def _range(self, start: int, stop: int) -> list[dict]:
        return self.build(start, stop)

    def chunks(self) -> Iterator[list[dict]]:
        for start in range(0, len(self), CHUNK_ROWS):
            yield self.build(start, min(start + CHUNK_ROWS, len(self)))

    @property
    def nbytes(self) -> int:
        """Bytes of the NumPy columns held (codes and names are the city's, shared)."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))


@dataclass(frozen=True, eq=False, repr=False)
class DisparityAreas(ColumnRows):
    """One Census table's per-area disparity rows (``disparity.area_disparities``'s dicts
    with ``name``, ``q_value`` and, for areas whose counts are hidden, ``suppressed``):
    ``values`` the AreaDisparity fields as columns, ``groups`` (areas × groups) each
    group's difference, ``hidden`` the areas whose figures are withheld."""

    codes: Sequence[str]
    names: Sequence[str]
    labels: tuple[str, ...]
    points: np.ndarray
    data_share: np.ndarray
    population_share: np.ndarray
    difference_pp: np.ndarray
    low_pp: np.ndarray
    high_pp: np.ndarray
    p_value: np.ndarray
    groups: np.ndarray
    hidden: np.ndarray
    q_value: np.ndarray  # NaN where no p-value is shown

    def __len__(self) -> int:
        return len(self.codes)

    @property
    def tested(self) -> np.ndarray:
        """Areas whose p-value is shown (the ones the q-values adjust over)."""
        return ~self.hidden & np.isfinite(self.p_value)

    def with_q_values(self, q: np.ndarray) -> DisparityAreas:
        return replace(self, q_value=np.asarray(q, dtype=float))

    def build(self, start: int, stop: int) -> list[dict]:
        s = slice(start, stop)
        labels = self.labels
        cols = zip(self.codes[s], self.names[s], self.hidden[s].tolist(),
                   self.points[s].astype(int).tolist(), optional(self.data_share[s]),
                   optional(self.population_share[s]), optional(self.difference_pp[s]),
                   optional(self.low_pp[s]), optional(self.high_pp[s]),
                   optional(self.p_value[s]), optional(self.groups[s]),
                   optional(self.q_value[s]), strict=True)
        # the key order of the rows the lens built before (its JSON is unchanged)
        return [{"code": str(code), "points": n, "data_share": share, "population_share": base,
                 "difference_pp": diff, "low_pp": low, "high_pp": high, "p_value": p_value,
                 "groups": dict(zip(labels, g, strict=True)), "name": str(name),
                 "q_value": q}
                if not hidden else
                {"code": str(code), "points": None, "data_share": None,
                 "population_share": base, "difference_pp": None, "low_pp": None,
                 "high_pp": None, "p_value": None, "groups": {}, "name": str(name),
                 "suppressed": True, "q_value": q}
                for code, name, hidden, n, share, base, diff, low, high, p_value, g, q in cols]


@dataclass(frozen=True, eq=False, repr=False)
class WhereAreas(ColumnRows):
    """The map's rows, one an area: ``measure`` (NaN where hidden or a value measure),
    ``value`` (the mapped figure, NaN where hidden or none), ``residents``, ``classes`` (map
    class per area, None for no value), ``spots`` (hot-spot label), ``suppressed``."""

    codes: Sequence[str]
    names: Sequence[str]
    measure: np.ndarray
    value: np.ndarray
    residents: np.ndarray
    classes: list
    spots: list
    suppressed: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def build(self, start: int, stop: int) -> list[dict]:
        s = slice(start, stop)
        cols = zip(self.codes[s], self.names[s], optional(self.measure[s]),
                   optional(self.value[s]), optional(self.residents[s]), self.classes[s],
                   self.spots[s], self.suppressed[s].tolist(), strict=True)
        return [{"code": str(code), "name": str(name), "measure": measure, "value": value,
                 "residents": residents, "class": klass, "spot": spot, "suppressed": hidden}
                for code, name, measure, value, residents, klass, spot, hidden in cols]


def rows_in(obj) -> int:
    """How many lazy rows ``obj`` (a result, or any part of one) holds."""
    if isinstance(obj, LazyRows):
        return len(obj)
    if isinstance(obj, dict):
        return sum(rows_in(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return sum(rows_in(v) for v in obj)
    return 0


def _holds_rows(obj) -> bool:
    if isinstance(obj, LazyRows):
        return True
    if isinstance(obj, dict):
        return any(_holds_rows(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return any(_holds_rows(v) for v in obj)
    return False


def iter_json(obj, *, ensure_ascii: bool = True, cls: type[json.JSONEncoder] = json.JSONEncoder
              ) -> Iterator[str]:
    """``json.dumps(obj, ensure_ascii=..., cls=...)`` of the result with its lazy rows as
    lists, as text chunks (the same text: default separators, no indent), building the rows
    :data:`CHUNK_ROWS` at a time."""
    encoder = cls(ensure_ascii=ensure_ascii)
    yield from _iter_json(obj, encoder)


def _iter_json(obj, encoder: json.JSONEncoder) -> Iterator[str]:
    if isinstance(obj, LazyRows):
        yield from obj.json_chunks(encoder)
    elif not _holds_rows(obj):
        yield encoder.encode(obj)
    elif isinstance(obj, dict):
        yield "{"
        for i, (key, value) in enumerate(obj.items()):
            yield (", " if i else "") + encoder.encode(str(key)) + ": "
            yield from _iter_json(value, encoder)
        yield "}"
    else:
        yield "["
        for i, value in enumerate(obj):
            if i:
                yield ", "
            yield from _iter_json(value, encoder)
        yield "]"


def json_default(obj):
    """``json.dumps(result, default=json_default)``: lazy rows as a list (all built at once:
    for a command's output, not a web process's)."""
    if isinstance(obj, LazyRows):
        return list(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")
