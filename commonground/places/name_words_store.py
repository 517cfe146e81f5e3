"""The words of a load's names, kept in one small file for the command line's typo search.

A search that no name holds is read again with each word spelt as the nearest word of the
names (``search.correct``: "bletchly" as "bletchley"). ``commonground places search`` runs in
a fresh process, so it had to read the name and friendly name of every profiled area to know
those words: 161,000 names on England, about 0.4 s of a command that should cost under 1 s,
for fewer than 8,000 distinct words. Each load keeps them here instead, once:

- the words (``search.words``) of the names and friendly names of the areas of the profiled
  geographies (those no finer than the base, as ``lookup`` searches), and of the gazetteer's
  places (``PlaceName``), sorted, in one JSON file;
- the file belongs to one load (``path``: its id and start time) in this machine's datastore
  folder, beside the profile store (``profile_store``); it is written at load
  (``loading.load_places``) and, for a load made before it existed, on another machine, or
  with other gazetteer places than it records (their number and highest id), by the first
  typo search that misses it (``vocabulary``);
- a file is written whole under a temporary name and then renamed over its final name, so a
  reader sees all of it or none, and two first searches at once each write the same words;
- a folder that cannot be written loses nothing but speed: the search reads the database.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, Max

from commonground.datastore.storage import local_root

from .models import Area, PlaceName

if TYPE_CHECKING:
    from .models import LoadRun

log = logging.getLogger(__name__)

FOLDER = "places-name-words"
#: The file's layout; a file of another version is rewritten.
VERSION = 1


def path(run: LoadRun) -> Path:
    """The load's file: named by its id and start time (an id alone comes back after a
    rolled-back load)."""
    root = local_root(settings.COMMONGROUND_DATASTORE, settings.COMMONGROUND_DATASTORE_LOCAL)
    return root / FOLDER / f"{run.pk}-{run.started:%Y%m%dT%H%M%S%f}.json"


def vocabulary(run: LoadRun) -> frozenset[str]:
    """The words of the load's names: read from its file, else from the database (and the
    file written for the next search, when it can be)."""
    places = _places_mark()
    stored = _read(run)
    if stored is not None and stored["places"] == places:
        return frozenset(stored["words"])
    found = from_database(run)
    try:
        _write(run, found, places)
    except OSError:
        log.warning("The name words of load %s could not be written: each typo search reads "
                    "the names from the database.", run.pk, exc_info=True)
    return found


def build(run: LoadRun) -> None:
    """Write the load's file (at load). Raises ``OSError`` when it cannot be written."""
    places = _places_mark()
    _write(run, from_database(run), places)


def from_database(run: LoadRun) -> frozenset[str]:
    """The words of the names of the load's profiled areas and of the gazetteer's places,
    read from the database."""
    from .lookup import _profiled
    from .search import words

    profiled = {*_profiled(run.base_geography), run.base_geography}
    names = Area.objects.filter(geography__in=profiled).values_list("name", "friendly_name").distinct()
    return frozenset(w for name, friendly in names for w in words(f"{name} {friendly}")) \
        | frozenset(w for name in PlaceName.objects.values_list("name", flat=True).distinct()
                    for w in words(name))


def _places_mark() -> list[int]:
    """How many gazetteer places there are and the highest id: what the file was written with."""
    mark = PlaceName.objects.aggregate(n=Count("id"), last=Max("id"))
    return [mark["n"], mark["last"] or 0]


def _read(run: LoadRun) -> dict | None:
    try:
        stored = json.loads(path(run).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (not isinstance(stored, dict) or stored.get("version") != VERSION
            or stored.get("run") != [run.pk, run.started.isoformat()]):
        return None
    return stored


def _write(run: LoadRun, found: frozenset[str], places: list[int]) -> None:
    final = path(run)
    final.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, "run": [run.pk, run.started.isoformat()], "places": places,
                       "words": sorted(found)}, ensure_ascii=False)
    handle, scratch = tempfile.mkstemp(prefix=f".{final.stem}-", suffix=".json", dir=final.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(scratch, 0o644)  # as a file made by open (mkstemp's is private)
        os.replace(scratch, final)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
    for other in final.parent.iterdir():  # the files of loads since replaced, and scratch
        if other.name != final.name and (not other.name.startswith(".") or _abandoned(other)):
            other.unlink(missing_ok=True)


def _abandoned(scratch: Path) -> bool:
    """A scratch file a write left an hour ago or more (stopped while writing)."""
    try:
        return scratch.stat().st_mtime < time.time() - 3600
    except OSError:  # removed meanwhile
        return False
