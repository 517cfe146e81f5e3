"""What the lens needs, as plain arrays: the city's areas and people, and one dataset's measure.

Built by the Django service (``catalogue.services.lens``) from the loaded places and a dataset
version, or by a benchmark or notebook from anything else. Every array over areas has one
entry per **base area** (2021 LSOAs for Milton Keynes), in the order of ``area_codes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

import numpy as np

#: What a dataset's measure is: a count of rows, a sum of a weight column (e.g. connectors
#: per charging site), or a value published per area (one row per area).
MEASURE_KINDS = ("count", "weight", "value")

#: What a dataset's rows are: places or services people use, or events that happen somewhere.
NATURES = ("service", "incident")


@dataclass(frozen=True)
class Deprivation:
    """One edition of the Index of Multiple Deprivation, bridged onto the base areas.

    ``national_decile``: 1 = most deprived 10% of neighbourhoods in England, NaN if unknown.
    ``city_rank``: position (1 = most deprived) of the area's published national rank among
    the edition's own areas in the city, used to cut deciles *within the city*.
    """

    key: str  # e.g. "iod2025"
    title: str  # e.g. "English Indices of Deprivation 2025"
    year: int | None
    geography: str  # the edition's own geography, e.g. "lsoa11"
    national_decile: np.ndarray  # (n_base,) float
    city_decile: np.ndarray  # (n_base,) float, deciles of the edition's own areas in the city
    bridge: str  # "direct: ..." or how it was bridged to the base areas
    own_decile_counts: dict[int, int] = field(default_factory=dict)  # decile → own areas
    split_areas: int = 0  # base areas that inherit a parent's figures because it was split


@dataclass(frozen=True)
class GroupTable:
    """One Census table as groups of people (or households) per base area."""

    key: str  # the table's resource name
    title: str
    universe: str  # "residents" or "households"
    labels: tuple[str, ...]
    counts: np.ndarray  # (n_base, n_groups)
    totals: np.ndarray  # (n_base,) the table's universe per area
    period: str = ""


@dataclass(frozen=True)
class CoarseTable:
    """A Census table published only for areas larger than the base ones (sexual orientation:
    MSOAs only), kept on those areas: never shared out to base areas.

    ``table`` holds the counts and totals of the larger areas (rows in the order of
    ``parent``'s positions, named by ``codes`` and ``names`` when given); ``parent``:
    (n_base,) position of each base area's larger area (best fit, -1: none); ``geography``:
    the larger areas' geography ("msoa21")."""

    geography: str
    table: GroupTable
    parent: np.ndarray
    codes: tuple[str, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class PopulationPoints:
    """Where residents live, finer than the base areas when output areas exist.

    Each base area's residents are shared among its ``origins`` (``share`` sums to 1 per
    base area); ``xy`` in British National Grid metres (EPSG:27700).
    """

    xy: np.ndarray  # (m, 2)
    area: np.ndarray  # (m,) index of the base area
    share: np.ndarray  # (m,)
    method: str


@dataclass(frozen=True)
class City:
    """The places side of the lens: everything but the dataset."""

    name: str
    base_geography: str
    area_codes: tuple[str, ...]
    area_names: tuple[str, ...]
    population: np.ndarray  # (n_base,) usual residents, Census 2021
    population_source: str
    geometries: np.ndarray  # (n_base,) shapely (Multi)Polygons, EPSG:27700
    deprivation: tuple[Deprivation, ...]
    groups: tuple[GroupTable, ...]
    people: PopulationPoints
    #: Larger areas whose row counts are published (place pages, the aggregate API):
    #: (geography, code, indices of the base areas that make it up, best fit).
    published_areas: tuple[tuple[str, str, np.ndarray], ...] = ()
    #: Census tables published only for larger areas, on those areas (the lens compares
    #: them there: ``compute._disparity``).
    coarse: tuple[CoarseTable, ...] = ()

    @cached_property
    def neighbours(self) -> dict[int, list[int]]:
        """Queen neighbours of the base areas (``spatial.queen_neighbours``, 1 m tolerance),
        found once per city, not once per lens: seconds for England's 33,755 LSOAs."""
        from .spatial import queen_neighbours

        return queen_neighbours(self.geometries, tolerance_m=1.0)

    def edition(self, key: str | None) -> Deprivation:
        """The deprivation edition called ``key``; the newest when ``key`` is None."""
        if not self.deprivation:
            raise LookupError("this city's data holds no Index of Multiple Deprivation")
        if key is None:
            return max(self.deprivation, key=lambda d: d.year or 0)
        for d in self.deprivation:
            if key in (d.key, str(d.year)):
                return d
        known = ", ".join(d.key for d in self.deprivation)
        raise LookupError(f"unknown deprivation edition {key!r}; this city has: {known}")


@dataclass(frozen=True)
class Measure:
    """One dataset's measure per base area, and its rows' positions.

    ``per_area``: count of rows, sum of the weight column, or the published value (NaN where
    an area has no value). ``points_xy``: every row with coordinates, EPSG:27700 metres,
    *including* rows outside the city's areas (a charger just over the boundary still serves
    the people next to it). ``rows_in_areas`` / ``rows_total`` say how many rows were placed.
    """

    kind: str  # one of MEASURE_KINDS
    label: str  # "GP practices", "connectors", "median rent"
    unit: str  # "rows", a column's name, ...
    per_area: np.ndarray  # (n_base,)
    points_xy: np.ndarray  # (k, 2), possibly empty
    rows_total: int
    rows_in_areas: int
    column: str | None = None
    #: Sum of squared weights per area (weight measures): the compound-Poisson variance of
    #: the weighted sum, so intervals do not depend on the column's units.
    per_area_sq: np.ndarray | None = None
    #: What one row is, as the dataset's editor names it ("charge point"); ``label`` is the
    #: plural ("charge points"). Empty: the lens says "row" where it needs the singular.
    singular: str = ""
    #: Sites: rows at the same place count as one site (``site_rule`` says how: the same
    #: coordinates, or the same value of a column the editor names). ``sites_in_areas``:
    #: sites with a row inside the city's areas; ``largest_site``: rows at the largest one.
    sites: int | None = None
    sites_in_areas: int | None = None
    largest_site: int | None = None
    site_rule: str = ""
    #: "service" (places people use: the lens asks who they reach) or "incident" (events:
    #: the lens asks where they happen).
    nature: str = "service"
    #: The day the data describes (its "as of" date), when known.
    as_of: date | None = None
    #: The row filters the measure was read with, in words ("status_code = A").
    filters: tuple[str, ...] = ()

    def __post_init__(self):
        if self.kind not in MEASURE_KINDS:
            raise ValueError(f"measure kind must be one of {', '.join(MEASURE_KINDS)}")
        if self.nature not in NATURES:
            raise ValueError(f"a dataset's nature must be one of {', '.join(NATURES)}")
