"""The national disclosure decision (``lens.disclosure.suppress``) on a loaded database's real
published aggregates, with synthetic counts: CPU time, wall time and peak memory.

    DATABASE_URL=sqlite:////tmp/eng3/db.sqlite3 COMMONGROUND_DATASTORE=/tmp/eng3/ds DEBUG=1 \\
        .venv/bin/python benchmarks/disclosure.py [--authorities 30] [--seed 0]

Reads the database (never writes it). Counts per base area: Poisson with a log-normal spread
of the mean (mean 3, sigma 0.8: most neighbourhoods below 10, as for sparse records about
people). ``--authorities K``: only the first K blocks (authorities, ``disclosure._blocks``) and
every published aggregate cut to them; 0 (default): the whole table. Prints the CPU time of the
blocks and of the whole-table pass after them, the total CPU and wall time and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commonground.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--authorities", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threshold", type=int, default=10)
    args = parser.parse_args()
    import django

    django.setup()
    from commonground.catalogue.services.lens import lens_city
    from commonground.lens import disclosure, privacy
    from commonground.places.cache import city_state

    city = lens_city(city_state())
    _, groups = privacy.published_aggregates(city)
    n = len(city.area_codes)
    rng = np.random.default_rng(args.seed)
    cells = rng.poisson(3 * rng.lognormal(-0.32, 0.8, n)).astype(float)
    block = disclosure._blocks(disclosure._tables(cells, groups))
    if args.authorities:
        first = list(dict.fromkeys(block.tolist()))[:args.authorities]
        keep = np.flatnonzero(np.isin(block, first))
        position = np.full(n, -1)
        position[keep] = np.arange(len(keep))
        cut = (position[g] for g in groups)
        groups = list({m.tobytes(): m for m in (m[m >= 0] for m in cut) if len(m)}.values())
        cells, block = cells[keep], block[keep]
    print(f"{len(cells)} cells ({int((cells < args.threshold).sum())} below {args.threshold}), "
          f"{len(groups)} published totals, {len(np.unique(block))} blocks", flush=True)
    decide, marks = disclosure._decide, {}

    def timed(search, every=False):  # the blocks' searches, then the whole table's
        marks.setdefault("whole" if every else "blocks", time.process_time())
        return decide(search, every)

    disclosure._decide = timed
    cpu, wall = time.process_time(), time.perf_counter()
    result = disclosure.suppress(cells, groups, threshold=args.threshold, blocks=block)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    whole = time.process_time() - marks["whole"] if "whole" in marks else 0.0
    print(f"blocks {cpu - whole:.1f} s CPU, whole-table pass {whole:.1f} s CPU; "
          f"total {cpu:.1f} s CPU, {wall:.1f} s wall, peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; hidden: "
          f"{int(result.cells.sum())} cells, {int(result.groups.sum())} totals")


if __name__ == "__main__":
    main()
