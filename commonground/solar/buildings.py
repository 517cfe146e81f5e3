"""Community buildings as candidates for community-owned solar: what their roofs could make,
and how much need lives around them.

Roof areas come from building footprints (e.g. OpenStreetMap outlines, ``footprint_area_m2``).
Large community and commercial roofs are usually flat, so the model puts panels on
south-facing frames at ``FLAT_ROOF_PITCH_DEG`` and covers ``FLAT_ROOF_USABLE_FRACTION`` of the
footprint. Both are Common Ground's stated assumptions, not published figures: rows of tilted
panels must be spaced so they do not shade each other (a ground-cover ratio of about 0.6 at
10° in southern England) and edge zones of about 1 m are kept clear, leaving about half the
footprint. Change them when a survey gives the real layout.

Need nearby: the residents living within ``NEED_RADIUS_M`` (straight line, British National
Grid) and the share of them in the most deprived fifth of neighbourhoods in England (national
IMD deciles 1–2), from the lens's population points (output areas).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .assumptions import Assumptions
from .generation import specific_yield
from .roof import PANEL_W_PER_M2, Roof
from .site import MILTON_KEYNES, Site

FLAT_ROOF_PITCH_DEG = 10.0
FLAT_ROOF_USABLE_FRACTION = 0.5
NEED_RADIUS_M = 800.0  # about ten minutes' walk (as the lens's access bands)


@dataclass(frozen=True)
class BuildingPotential:
    footprint_m2: float
    kwp: float
    annual_kwh: float
    specific_yield_kwh_per_kwp: float
    co2_avoided_tonnes_per_year: float

    def as_dict(self) -> dict:
        return {"footprint_m2": round(self.footprint_m2, 1), "kwp": round(self.kwp, 1),
                "annual_kwh": round(self.annual_kwh), "specific_yield_kwh_per_kwp":
                round(self.specific_yield_kwh_per_kwp, 1),
                "co2_avoided_tonnes_per_year": round(self.co2_avoided_tonnes_per_year, 2)}


def building_potential(footprint_m2: float, site: Site = MILTON_KEYNES,
                       assumptions: Assumptions | None = None) -> BuildingPotential:
    """kWp, kWh a year and tonnes CO2e a year for solar on a flat roof of ``footprint_m2``.

    kWp = footprint × ``FLAT_ROOF_USABLE_FRACTION`` × panel W/m² / 1000; kWh = kWp × the
    specific yield of a south-facing 10° plane at the site (``specific_yield``).
    """
    assumptions = assumptions or Assumptions.defaults()
    if not np.isfinite(footprint_m2) or footprint_m2 <= 0:
        raise ValueError(f"a footprint must be a positive area in m²; got {footprint_m2!r}")
    per_kwp = specific_yield(Roof(1.0, 180.0, FLAT_ROOF_PITCH_DEG), site).annual_kwh_per_kwp
    kwp = footprint_m2 * FLAT_ROOF_USABLE_FRACTION * assumptions.panel_w_per_m2 / 1000.0
    kwh = kwp * per_kwp
    return BuildingPotential(footprint_m2=float(footprint_m2), kwp=kwp, annual_kwh=kwh,
                             specific_yield_kwh_per_kwp=per_kwp,
                             co2_avoided_tonnes_per_year=kwh * assumptions.grid_kgco2_per_kwh
                             / 1000.0)


def nearby_need(buildings_xy: np.ndarray, people_xy: np.ndarray, residents: np.ndarray,
                deprived: np.ndarray, radius_m: float = NEED_RADIUS_M
                ) -> tuple[np.ndarray, np.ndarray]:
    """Residents within ``radius_m`` of each building and the share of them in ``deprived``
    places (one flag per population point). Metres, British National Grid; a k-d tree."""
    from scipy.spatial import cKDTree

    buildings_xy = np.asarray(buildings_xy, dtype=float).reshape(-1, 2)
    residents = np.asarray(residents, dtype=float)
    deprived = np.asarray(deprived, dtype=bool)
    tree = cKDTree(np.asarray(people_xy, dtype=float).reshape(-1, 2))
    near = tree.query_ball_point(buildings_xy, r=radius_m)
    total = np.array([residents[i].sum() for i in near])
    poorer = np.array([residents[i][deprived[i]].sum() for i in near])
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, poorer / total, np.nan)
    return total, share


__all__ = ["FLAT_ROOF_PITCH_DEG", "FLAT_ROOF_USABLE_FRACTION", "NEED_RADIUS_M",
           "PANEL_W_PER_M2", "BuildingPotential", "building_potential", "nearby_need"]
