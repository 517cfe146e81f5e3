"""Where residents live, for distances: output-area points when the city has them.

Census 2021 counts people per 2021 LSOA; the city's output areas (2011 OAs in Milton Keynes)
have boundaries but no population of their own here. Output areas were drawn to hold similar
numbers of people (ONS: 40–250 households, most about 125), so each LSOA's residents are
shared **equally** among the output areas whose point on surface lies in it, and every group
keeps its LSOA's make-up. An LSOA with no such output area keeps its own point on surface.
"""

from __future__ import annotations

import numpy as np

from .inputs import PopulationPoints


def population_points(base_xy: np.ndarray, fine_xy: np.ndarray | None = None,
                      fine_area: np.ndarray | None = None, fine_label: str = "output area"
                      ) -> PopulationPoints:
    """Points standing for each base area's residents, in metres (EPSG:27700).

    ``base_xy``: (n, 2) a point on surface per base area. ``fine_xy``: (m, 2) points of a
    finer geography, ``fine_area``: (m,) index of the base area each lies in (-1: outside).
    """
    base_xy = np.asarray(base_xy, dtype=float).reshape(-1, 2)
    n = len(base_xy)
    if fine_xy is None or fine_area is None or len(fine_xy) == 0:
        return PopulationPoints(xy=base_xy, area=np.arange(n), share=np.ones(n),
                                method="each neighbourhood's residents at its point on surface")
    fine_xy = np.asarray(fine_xy, dtype=float).reshape(-1, 2)
    fine_area = np.asarray(fine_area, dtype=int)
    inside = fine_area >= 0
    per_base = np.bincount(fine_area[inside], minlength=n)
    lonely = np.flatnonzero(per_base == 0)
    xy = np.vstack([fine_xy[inside], base_xy[lonely]])
    area = np.concatenate([fine_area[inside], lonely])
    counts = np.concatenate([per_base[fine_area[inside]], np.ones(len(lonely), dtype=int)])
    method = (f"each neighbourhood's residents shared equally among the {int(inside.sum())} "
              f"{fine_label} points inside it")
    if len(lonely):
        method += f"; {len(lonely)} neighbourhoods with none use their own point on surface"
    return PopulationPoints(xy=xy, area=area, share=1.0 / counts, method=method)
