"""A home's roof without a tape measure: the roof plane estimated from the kind of home, and
the limits past which an answer is not a home's.

A resident who does not know their roof's area chooses the kind of home they live in; its
typical floor area (a published average for England) is turned into the one roof plane the
panels would go on. The estimate is always a starting point the resident can overwrite.

Working, for a home of floor area F m² on S floors under a roof pitched at p degrees:

    footprint  = F / S                      (the ground floor's area, m²)
    plane plan = footprint x ROOF_PLANE_SHARE (one of a pitched roof's two planes, m²)
    plane area = plane plan / cos(p)        (along the slope, m²)

A semi-detached house (99.1 m², 2 floors, 35°): 99.1 / 2 = 49.55 m² footprint; half of it,
24.78 m², seen from above; 24.78 / cos 35° = 30.2 m² of roof. Internal floor area leaves out
the walls and the eaves, so this errs small: a measured roof, when the resident has one, is
better.

A flat's "roof" is its share of its building's roof: its floor area over the building's
floors (3 unless the resident says). The roof belongs to the building's owner, so a flat's
figure says what its share could make, not that the resident can fit panels.

References
----------
Floor areas: Nationwide Building Society, housing-stock research published with its House
Price Index for August 2025 (reported by Property Industry Eye, 1 September 2025), table
"Average floor area (m2)", column 2023, compiled from the English Housing Survey (MHCLG):
usable internal floor area of dwellings in England, m². The table's "Terraced" covers mid-
and end-terrace houses; its "Flats" covers purpose-built and converted flats and
maisonettes.
Home limit: Energy Act 2004, section 82 ("microgeneration": plant generating electricity of
a capacity not exceeding 50 kilowatts), the ceiling of the MCS scheme under which homes
install solar and of the Smart Export Guarantee's MCS route.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import SolarInputError
from .roof import PANEL_W_PER_M2, USABLE_ROOF_FRACTION, _number, parse_pitch

FLOOR_AREA_SOURCE = (
    "Nationwide Building Society, housing-stock research with its House Price Index for "
    "August 2025, table 'Average floor area (m2)', 2023 column, from English Housing Survey "
    "data: average usable floor area of homes in England"
)

#: One of the two equal planes of a pitched (gable) roof: panels go on the one facing the sun.
ROOF_PLANE_SHARE = 0.5

#: The most a home's solar can be, kWp: "microgeneration" (Energy Act 2004, s.82: at most
#: 50 kW of electrical capacity), the ceiling of the MCS scheme homes install under.
MAX_HOME_KWP = 50.0
HOME_LIMIT_SOURCE = "Energy Act 2004, section 82: microgeneration is at most 50 kW"

#: Floors a building can have for this estimate: a tower's roof share is tiny, not refused,
#: but more than 100 floors is a typing mistake.
MAX_STOREYS = 100


@dataclass(frozen=True)
class HomeKind:
    """A kind of home and its typical size.

    label : what the resident reads ("Semi-detached house")
    floor_area_m2 : average usable internal floor area in England, m² (``FLOOR_AREA_SOURCE``)
    storeys : floors of the building it is in, when the resident does not say (houses 2,
        bungalows 1 by definition; flats 3, a Common Ground assumption for a low-rise block)
    offer_home : "house" or "flat", as the energy offers ask
    shared_roof : True when the roof is the building's, not the home's (flats)
    """

    label: str
    floor_area_m2: float
    storeys: int
    offer_home: str
    shared_roof: bool = False


HOME_KINDS: dict[str, HomeKind] = {
    "detached": HomeKind("Detached house", 151.9, 2, "house"),
    "semi-detached": HomeKind("Semi-detached house", 99.1, 2, "house"),
    "terraced": HomeKind("Terraced or end-of-terrace house", 91.9, 2, "house"),
    "bungalow": HomeKind("Bungalow", 77.5, 1, "house"),
    "flat": HomeKind("Flat or maisonette", 60.3, 3, "flat", shared_roof=True),
}


@dataclass(frozen=True)
class RoofGuess:
    """The roof plane estimated for a kind of home, with its working.

    kind : key of ``HOME_KINDS``
    floor_area_m2, storeys, footprint_m2, plan_m2 : the steps, m² (plan: the plane seen
        from above)
    pitch_deg : the pitch used, degrees
    area_m2 : the sloping roof plane, m² (what ``roof.Roof`` takes)
    """

    kind: str
    floor_area_m2: float
    storeys: int
    footprint_m2: float
    plan_m2: float
    pitch_deg: float
    area_m2: float

    @property
    def home(self) -> HomeKind:
        return HOME_KINDS[self.kind]

    def working(self) -> str:
        """The arithmetic in words, for the page."""
        floors = f"{self.storeys} floor{'s' if self.storeys != 1 else ''}"
        if self.home.shared_roof:
            ground = (f"{self.floor_area_m2:g} m² of floor; in a building of {floors} its share "
                      f"of the roof covers {self.footprint_m2:.1f} m² of ground.")
        else:
            ground = (f"{self.floor_area_m2:g} m² of floor over {floors}, so it covers "
                      f"{self.footprint_m2:.1f} m² of ground.")
        return (f"A typical {self.home.label.lower()} in England has {ground} One side of the "
                f"roof covers half that, {self.plan_m2:.1f} m², and measures "
                f"{self.area_m2:.1f} m² along a {self.pitch_deg:g}° slope.")

    def as_dict(self) -> dict:
        return {"kind": self.kind, "label": self.home.label,
                "floor_area_m2": self.floor_area_m2, "storeys": self.storeys,
                "footprint_m2": round(self.footprint_m2, 1), "plan_m2": round(self.plan_m2, 1),
                "pitch_deg": self.pitch_deg, "area_m2": round(self.area_m2, 1),
                "shared_roof": self.home.shared_roof, "working": self.working(),
                "source": FLOOR_AREA_SOURCE}


def home_kind(value) -> str:
    """The key of ``HOME_KINDS`` for what a form sent ("semi-detached", "Semi detached",
    "end-terrace", "maisonette"); anything else raises ``SolarInputError`` on "home_type"."""
    text = value.strip().lower().replace("_", "-").replace(" ", "-") if isinstance(value, str) \
        else ""
    aliases = {"semi": "semi-detached", "semidetached": "semi-detached",
               "end-terrace": "terraced", "end-of-terrace": "terraced",
               "mid-terrace": "terraced", "terrace": "terraced", "maisonette": "flat",
               "apartment": "flat"}
    key = aliases.get(text, text)
    if key not in HOME_KINDS:
        raise SolarInputError("home_type", f"must be one of {', '.join(HOME_KINDS)}; "
                                           f"got {str(value).strip()[:40]!r}")
    return key


def typical_roof(kind, pitch="typical", storeys=None) -> RoofGuess:
    """The roof plane a kind of home typically has (see the module's working).

    kind : a key of ``HOME_KINDS`` (or a spelling ``home_kind`` accepts)
    pitch : degrees from horizontal or "typical" (35°); 0 to below 80
    storeys : floors of the building, 1 to ``MAX_STOREYS``; None or "" for the kind's typical
    """
    key = home_kind(kind)
    home = HOME_KINDS[key]
    pitch_deg = parse_pitch(pitch)
    if not 0.0 <= pitch_deg < 80.0:
        raise SolarInputError(
            "pitch_deg", f"a roof estimated from the kind of home needs a pitch from 0 to "
                         f"below 80 degrees; got {pitch_deg:g}")
    if storeys is None or (isinstance(storeys, str) and not storeys.strip()):
        floors = home.storeys
    else:
        number = _number("storeys", storeys)
        if number != int(number) or not 1 <= number <= MAX_STOREYS:
            raise SolarInputError("storeys", f"must be a whole number of floors from 1 to "
                                              f"{MAX_STOREYS}; got {number:g}")
        floors = int(number)
    footprint = home.floor_area_m2 / floors
    plan = footprint * ROOF_PLANE_SHARE
    return RoofGuess(kind=key, floor_area_m2=home.floor_area_m2, storeys=floors,
                     footprint_m2=footprint, plan_m2=plan, pitch_deg=pitch_deg,
                     area_m2=plan / math.cos(math.radians(pitch_deg)))


def max_home_roof_m2(panel_w_per_m2: float = PANEL_W_PER_M2,
                     usable_fraction: float = USABLE_ROOF_FRACTION) -> float:
    """The largest roof plane a home's system can fill, m²: ``MAX_HOME_KWP`` x 1000 /
    (panel W/m² x usable share); 50,000 / (200 x 0.70) = 357 m² with the defaults."""
    return MAX_HOME_KWP * 1000.0 / (panel_w_per_m2 * usable_fraction)


def check_fits_a_home(area_m2: float, kwp: float, panel_w_per_m2: float = PANEL_W_PER_M2,
                      usable_fraction: float = USABLE_ROOF_FRACTION) -> None:
    """Refuse a roof whose system is past a home's limit (``MAX_HOME_KWP``), naming the roof
    area: 5,000 m² of roof would hold 700 kWp, fourteen times what a home may have."""
    if kwp > MAX_HOME_KWP:
        raise SolarInputError(
            "area_m2",
            f"{area_m2:,.0f} m² of roof would hold {kwp:,.0f} kWp, more than any home's "
            f"solar ({MAX_HOME_KWP:g} kWp at most: {HOME_LIMIT_SOURCE}), so one side of "
            f"a home's roof is at most {max_home_roof_m2(panel_w_per_m2, usable_fraction):,.0f}"
            " m² here. Check the units are square metres of one side of the roof; for a "
            "community or business roof, see the community buildings page")
