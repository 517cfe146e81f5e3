"""What every profile of a load compares against, kept as files read by memory map.

``commonground places profile`` prints one area's profile in a fresh process. Its figures
are the area's own rows, compared against every peer: ranks among a geography's areas, the
city's table totals and decile mixes, each neighbourhood's authority. Computing those, or
reading whole the indicator tables and memberships they come from, took most of a cold
command's second at national scale. So each load keeps them here, once:

- per geography, its area codes (in ``CityState.by_geography`` order), its indicator table
  (column by column) and, for a geography other than the base, its memberships (CSR arrays);
- what ``profiles`` derives from the load for any profile (``CityState.derived``: peer
  scores and ranks, table values and the city's totals, base values bridged from older
  areas, category numbers, best-fit parents), exactly as the pages compute it, since it is
  computed by the same functions on the same rows (``build``).

They are written one after another into one file, mapped into memory read-only (``mmap``)
when a profile opens the store, each array a view of its bytes: a profile reads the pages of
the rows it indexes (one area's), not the file. The folder belongs to one load
(``folder``: its id and start time) in this machine's datastore folder; it is written at
load (``loading.load_places``) and, for a load made before it existed or on another
machine, built by the first profile that misses it (``profile_from_database``). A folder is
written whole under a temporary name and then renamed, so a reader sees all of it or none.
"""

from __future__ import annotations

import json
import mmap
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from django.conf import settings

from commonground.datastore.storage import local_root

if TYPE_CHECKING:
    import numpy as np

    from .models import LoadRun

FOLDER = "places-profiles"
META = "meta.json"
ARRAYS = "arrays.bin"
ALIGN = 64
#: The store's layout; a folder of another version is rebuilt.
VERSION = 3


class Unstorable(TypeError):
    """A derived value that is not arrays, tuples, dictionaries and plain values."""


def folder(run: LoadRun) -> Path:
    """The load's folder: named by its id and start time (an id alone comes back after a
    rolled-back load)."""
    root = local_root(settings.COMMONGROUND_DATASTORE, settings.COMMONGROUND_DATASTORE_LOCAL)
    return root / FOLDER / f"{run.pk}-{run.started:%Y%m%dT%H%M%S%f}"


class Store:
    """A load's stored arrays: one file (``ARRAYS``) mapped into memory once, read-only, and
    each array a view of its part, made when first asked (no file opened, nothing parsed)."""

    def __init__(self, path: Path, meta: dict):
        self.path, self.meta = path, meta
        self._map: mmap.mmap | None = None
        self._arrays: dict[int, np.ndarray] = {}

    @classmethod
    def open(cls, run: LoadRun) -> Store | None:
        """The load's store, None when it has none (yet) or one of another layout."""
        path = folder(run)
        try:
            meta = json.loads((path / META).read_text())
        except (OSError, ValueError):
            return None
        return cls(path, meta) if meta.get("version") == VERSION else None

    def array(self, stored: dict) -> np.ndarray:
        """A stored array (its entry: type, shape, order and where its bytes start)."""
        at = stored["at"]
        if at not in self._arrays:
            import numpy as np

            dtype, shape = np.dtype(stored["dtype"]), tuple(stored["shape"])
            count = int(np.prod(shape, dtype=np.int64))
            if not count:
                array = np.zeros(shape, dtype=dtype)
                array.flags.writeable = False
            else:
                if self._map is None:
                    with open(self.path / ARRAYS, "rb") as f:
                        self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
                array = np.frombuffer(self._map, dtype=dtype, count=count, offset=at).reshape(
                    shape, order="F" if stored["fortran"] else "C")  # read-only: the map is
            self._arrays[at] = array
        return self._arrays[at]

    def has_derived(self, kind: str, key) -> bool:
        return repr(key) in self.meta["derived"].get(kind, {})

    def derived(self, kind: str, key):
        return self._decode(self.meta["derived"][kind][repr(key)])

    def _decode(self, stored):
        if "at" in stored:
            return self.array(stored)
        if "tuple" in stored:
            return tuple(self._decode(v) for v in stored["tuple"])
        if "dict" in stored:
            return {k: self._decode(v) for k, v in stored["dict"].items()}
        return stored["value"]


class _Writer:
    """Arrays written one after another (each at a multiple of ``ALIGN`` bytes) into one
    file, each described by an entry in JSON."""

    def __init__(self, file: BinaryIO):
        self.file = file

    def array(self, array) -> dict:
        import numpy as np

        array = np.asarray(array)
        if array.dtype.hasobject:
            raise Unstorable(array.dtype)
        fortran = array.ndim > 1 and array.flags.f_contiguous and not array.flags.c_contiguous
        at = -self.file.tell() % ALIGN + self.file.tell()
        self.file.write(bytes(at - self.file.tell()))
        self.file.write(array.tobytes(order="F" if fortran else "C"))
        return {"at": at, "dtype": array.dtype.str, "shape": list(array.shape), "fortran": fortran}

    def encode(self, value) -> dict:
        import numpy as np

        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, tuple):
            return {"tuple": [self.encode(v) for v in value]}
        if type(value) is dict and all(isinstance(k, str) for k in value):
            return {"dict": {k: self.encode(v) for k, v in value.items()}}
        if value is None or isinstance(value, str | int | float | bool):
            return {"value": value}
        raise Unstorable(type(value))


def build(run: LoadRun) -> Store | None:
    """Compute and write the load's store; None when the load was replaced meanwhile."""
    from .models import LoadRun
    from .profile_from_database import DatabaseCity

    city = DatabaseCity.read(run, store=None, record=True)
    final = folder(run)
    final.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    try:
        meta = {"version": VERSION, "run": [run.pk, run.started.isoformat()], "base": city.base,
                **_write(city, scratch)}
        (scratch / META).write_text(json.dumps(meta))
        if not LoadRun.objects.filter(pk=run.pk, started=run.started).exists():
            return None  # replaced while it was read
        scratch.chmod(0o755)  # as a folder made by mkdir (mkdtemp's is private)
        if final.exists() and Store.open(run) is None:  # of another layout, or unfinished
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(scratch, final)
        except OSError:
            if Store.open(run) is None:  # not another process's, finished first
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for other in final.parent.iterdir():  # the stores of loads since replaced
        if other.name != final.name and (not other.name.startswith(".") or _abandoned(other)):
            shutil.rmtree(other, ignore_errors=True)
    return Store.open(run)


def _abandoned(scratch: Path) -> bool:
    """A scratch folder a build left an hour ago or more (stopped while writing)."""
    try:
        return scratch.stat().st_mtime < time.time() - 3600
    except OSError:  # removed meanwhile
        return False


def _write(city, scratch: Path) -> dict:
    """Write the arrays of ``city`` (a ``DatabaseCity`` recording what it derives) into
    ``scratch``; their entries by geography and by what was derived."""
    import numpy as np

    from . import profiles

    with open(scratch / ARRAYS, "wb") as file:
        out = _Writer(file)
        geographies = {}
        for g, areas in city.by_geography.items():
            codes = np.array(city.id_codes(g)[1], dtype=str)
            order = np.argsort(codes, kind="stable")
            keys, matrix, _text = city.values(g)
            entry = {"count": len(areas), "codes": out.array(codes),
                     "sorted": None if (order == np.arange(len(codes))).all() else out.array(order),
                     "keys": keys, "values": out.array(np.asfortranarray(matrix))}
            if g != city.base:
                W = city.members(g)
                entry["members"] = [out.array(W.indptr), out.array(W.indices), out.array(W.data)]
            geographies[g] = entry
        # a profile of each kind, and of each geography's largest area, asks for everything
        # a profile derives from the load
        for g in city.profiled:
            sizes = np.diff(city.members(g).indptr)
            for i in sorted({0, int(sizes.argmax())} if len(sizes) else ()):
                profiles.area_profile(g, city.by_geography[g][i].code, city)
        derived: dict[str, dict] = {}
        for (kind, key), value in city.recorded.items():
            try:
                derived.setdefault(kind, {})[repr(key)] = out.encode(value)
            except Unstorable:
                continue  # (a point index, a mapping) not needed from the store
    return {"geographies": geographies, "derived": derived}
