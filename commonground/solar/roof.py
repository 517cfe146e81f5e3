"""A roof plane as a person describes it, checked, and the size of PV system that fits on it.

Inputs come from a form: area in m² (or the area of an outline drawn on a map), orientation
(compass point or azimuth), pitch (degrees or "typical"), and shading (none / some / heavy).
Anything impossible raises ``SolarInputError`` naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import sap
from .errors import SolarInputError

# Azimuth of each compass point, degrees clockwise from north (pvlib's convention).
ORIENTATIONS: dict[str, float] = {
    "N": 0.0, "NE": 45.0, "E": 90.0, "SE": 135.0, "S": 180.0, "SW": 225.0, "W": 270.0, "NW": 315.0,
}
_WORDS = {
    "NORTH": "N", "NORTHEAST": "NE", "EAST": "E", "SOUTHEAST": "SE", "SOUTH": "S",
    "SOUTHWEST": "SW", "WEST": "W", "NORTHWEST": "NW",
}

# "Typical" pitch, degrees from horizontal: the issue's definition (issue 6, "Community
# energy"). Most UK pitched roofs are 30-45°, and 35° is close to the best fixed tilt at 52° N.
TYPICAL_PITCH_DEG = 35.0

# Largest roof plane accepted, m². A big supermarket roof is ~10,000 m²; anything larger is
# almost certainly a typing or drawing mistake for a home or community building.
MAX_ROOF_AREA_M2 = 10_000.0

# Shading factor applied to the whole year's output, from SAP's overshading table (BRE, SAP
# 2012, Appendix H overshading factor, used for PV by Appendix M as Z_PV): "none" is SAP's
# "none or very little" (<20% of the sky blocked), "some" is "modest" (20-60%), "heavy" is
# "heavy" (>80%). SAP's "significant" (60-80%) is accepted too.
SHADING_FACTORS: dict[str, float] = {
    "none": sap.OVERSHADING_FACTOR["none or very little"],
    "some": sap.OVERSHADING_FACTOR["modest"],
    "significant": sap.OVERSHADING_FACTOR["significant"],
    "heavy": sap.OVERSHADING_FACTOR["heavy"],
}

# Rated power per m² of module, W/m² = module efficiency x 1000 W/m² (standard test
# conditions). Fraunhofer ISE, "Photovoltaics Report" (2022 edition): shipment-weighted average
# efficiency of crystalline-silicon modules 20.4% in Q4 2021, so 20% -> 200 W/m² (a 400 W
# module of 1.7 m x 1.13 m is 208 W/m²).
PANEL_W_PER_M2 = 200.0

# Share of a roof plane that modules can cover, a Common Ground assumption worked out for a
# typical semi-detached roof plane of 7.5 m x 4.0 m (30 m²): leaving 0.4 m clear at every edge
# (wind-uplift edge zones, access, ridge and verge tiles) leaves 6.7 m x 3.2 m = 21.4 m², 71%;
# whole modules and the odd vent or roof light bring it to about 70%. Edit it when the real
# layout is known.
USABLE_ROOF_FRACTION = 0.70


def _number(field: str, value) -> float:
    """``value`` as a finite float (numbers, or numeric text from a form)."""
    if isinstance(value, bool):
        raise SolarInputError(field, f"must be a number; got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            raise SolarInputError(field, f"must be a number; got {text!r}") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise SolarInputError(field, f"must be a number; got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Roof:
    """One roof plane.

    area_m2 : area of the sloping roof plane, m², more than 0 and at most 10,000
    azimuth_deg : direction the plane faces, degrees clockwise from north (180 = south); any
        value from -360 to 360, stored as 0 <= azimuth < 360
    pitch_deg : slope, degrees from horizontal, 0 (flat) to 90 (a wall)
    shading : "none", "some", "significant" or "heavy" (see ``SHADING_FACTORS``)

    A flat roof (pitch 0) is modelled as horizontal modules; its azimuth is then irrelevant.
    """

    area_m2: float
    azimuth_deg: float
    pitch_deg: float
    shading: str = "none"

    def __post_init__(self) -> None:
        area = _number("area_m2", self.area_m2)
        if area <= 0:
            raise SolarInputError("area_m2", f"must be more than 0 m²; got {area:g}")
        if area > MAX_ROOF_AREA_M2:
            raise SolarInputError(
                "area_m2",
                f"{area:,.0f} m² is larger than any home or community building roof "
                f"(at most {MAX_ROOF_AREA_M2:,.0f} m²); check the units are square metres",
            )
        azimuth = _number("azimuth_deg", self.azimuth_deg)
        if not -360.0 <= azimuth <= 360.0:
            raise SolarInputError(
                "azimuth_deg", f"must be between -360 and 360 degrees; got {azimuth:g}"
            )
        pitch = _number("pitch_deg", self.pitch_deg)
        if not 0.0 <= pitch <= 90.0:
            raise SolarInputError(
                "pitch_deg",
                f"must be between 0 (flat) and 90 (vertical) degrees; got {pitch:g}",
            )
        shading = self.shading.strip().lower() if isinstance(self.shading, str) else None
        if shading not in SHADING_FACTORS:
            raise SolarInputError(
                "shading", f"must be one of {', '.join(SHADING_FACTORS)}; got {self.shading!r}"
            )
        object.__setattr__(self, "area_m2", area)
        object.__setattr__(self, "azimuth_deg", azimuth % 360.0)
        object.__setattr__(self, "pitch_deg", pitch)
        object.__setattr__(self, "shading", shading)

    @property
    def shading_factor(self) -> float:
        """Fraction of the unshaded output this roof keeps (``SHADING_FACTORS``)."""
        return SHADING_FACTORS[self.shading]

    @property
    def compass(self) -> str:
        """Nearest compass point to the azimuth ("S", "SW", ...)."""
        return list(ORIENTATIONS)[round(self.azimuth_deg / 45.0) % 8]


def parse_orientation(value) -> float:
    """Azimuth in degrees clockwise from north from a compass point ("SW", "south-west") or a
    number of degrees (180, "180")."""
    if isinstance(value, str):
        key = value.strip().upper()
        key = _WORDS.get(key.replace("-", "").replace(" ", "").replace("_", ""), key)
        if key in ORIENTATIONS:
            return ORIENTATIONS[key]
        try:
            return _number("orientation", value)
        except SolarInputError:
            raise SolarInputError(
                "orientation",
                f"must be a compass point ({', '.join(ORIENTATIONS)}) or degrees clockwise "
                f"from north; got {value.strip()!r}",
            ) from None
    return _number("orientation", value)


def parse_pitch(value) -> float:
    """Pitch in degrees from a number, numeric text, or "typical" (``TYPICAL_PITCH_DEG``)."""
    if isinstance(value, str) and value.strip().lower() == "typical":
        return TYPICAL_PITCH_DEG
    return _number("pitch_deg", value)


def roof_from_inputs(
    area_m2, orientation, pitch="typical", shading="none", *, area_from_outline: bool = False
) -> Roof:
    """A checked ``Roof`` from form inputs.

    area_m2 : roof-plane area in m²; with ``area_from_outline=True`` it is instead the area of an
        outline drawn on a map (a plan area, m²), converted to the sloping area as
        plan / cos(pitch): 20 m² of outline under a 35° roof is 20 / 0.819 = 24.4 m² of roof.
    orientation : compass point (N, NE, E, SE, S, SW, W, NW, or the words) or azimuth degrees
    pitch : degrees from horizontal, or "typical" (35°)
    shading : none / some / heavy (or SAP's "significant")
    """
    pitch_deg = parse_pitch(pitch)
    area = _number("area_m2", area_m2)
    if area_from_outline:
        if not 0.0 <= pitch_deg < 80.0:
            raise SolarInputError(
                "pitch_deg",
                f"a drawn outline needs a pitch from 0 to below 80 degrees; got {pitch_deg:g}",
            )
        area = area / math.cos(math.radians(pitch_deg))
    return Roof(area, parse_orientation(orientation), pitch_deg, shading)


def system_size_kwp(
    roof: Roof,
    *,
    panel_w_per_m2: float = PANEL_W_PER_M2,
    usable_fraction: float = USABLE_ROOF_FRACTION,
) -> float:
    """Rated (peak) power of the modules that fit on the roof, kWp.

    kWp = area_m2 x usable_fraction x panel_w_per_m2 / 1000; for 20 m² with the defaults,
    20 x 0.70 x 200 / 1000 = 2.8 kWp. Defaults: ``PANEL_W_PER_M2`` (Fraunhofer ISE, 2022) and
    ``USABLE_ROOF_FRACTION`` (a stated Common Ground assumption).
    """
    watts = _number("panel_w_per_m2", panel_w_per_m2)
    if not 50.0 <= watts <= 300.0:
        raise SolarInputError(
            "panel_w_per_m2", f"must be between 50 and 300 W per m² of module; got {watts:g}"
        )
    usable = _number("usable_fraction", usable_fraction)
    if not 0.0 < usable <= 1.0:
        raise SolarInputError("usable_fraction", f"must be more than 0 and at most 1; got {usable:g}")
    return roof.area_m2 * usable * watts / 1000.0
