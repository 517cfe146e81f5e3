"""UK climate tables from SAP 2012 Appendix U, and SAP's own inclined-surface method.

Source: BRE for DECC, "The Government's Standard Assessment Procedure for Energy Rating of
Dwellings", SAP 2012 edition (version 9.92, October 2013), Appendix U "Climate data":

- Table U1, mean external temperature (°C) by month and region;
- Table U2, wind speed (m/s, 10 m above ground) by month and region;
- Table U3, mean global solar irradiance on a horizontal plane (W/m²) by month and region, and
  the solar declination (degrees) for each month;
- Table U4, representative latitude (°N) and height above sea level (m) of each region;
- Table U5, constants k1..k9 for the solar flux on inclined surfaces (section U3.2);
- Table U6 maps postcode districts to regions.

The numbers were transcribed from the open-source MyHomeEnergyPlanner / OpenBEM ``datasets.js``
(its comments cite "SAP2012, appendix U3, p. 174" etc.) and cross-checked against three other
public implementations of the same tables (a Python and a Rust home-energy model that also
carry Table U6, and a JavaScript PV calculator): every row of Table U3 agrees, and the
"UK average" row (26, 54, 96, 150, 192, 200, 189, 157, 115, 66, 33, 21 W/m²) is identical to
the East Pennines row, as in SAP 2012 itself. (SAP 10 revised Table U3; its UK-average row
differs by up to 7 W/m², e.g. 164 rather than 157 in August. We use SAP 2012 throughout.)

Milton Keynes: SAP 2012 Table U6 puts the whole MK postcode area in region 1, "Thames" (with
AL, HP, LU, OX, SG and London), according to both public implementations of Table U6 we found;
Northampton (NN), just north, is "Midlands". Thames is 4% sunnier than Midlands over a year
(1,019 against 978 kWh/m² on the horizontal).

SAP's months are the calendar months of a non-leap year (Table 1a: 31, 28, 31, ... days).
"""

from __future__ import annotations

import math

import numpy as np

from .errors import SolarInputError

MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # SAP 2012 Table 1a

REGIONS = (
    "UK average",
    "Thames",
    "South East England",
    "Southern England",
    "South West England",
    "Severn Wales / Severn England",
    "Midlands",
    "West Pennines Wales / West Pennines England",
    "North West England / South West Scotland",
    "Borders Scotland / Borders England",
    "North East England",
    "East Pennines",
    "East Anglia",
    "Wales",
    "West Scotland",
    "East Scotland",
    "North East Scotland",
    "Highland",
    "Western Isles",
    "Orkney",
    "Shetland",
    "Northern Ireland",
)

# Table U1: mean external temperature, °C, January..December, one row per region (REGIONS order)
_U1 = (
    (4.3, 4.9, 6.5, 8.9, 11.7, 14.6, 16.6, 16.4, 14.1, 10.6, 7.1, 4.2),
    (5.1, 5.6, 7.4, 9.9, 13.0, 16.0, 17.9, 17.8, 15.2, 11.6, 8.0, 5.1),
    (5.0, 5.4, 7.1, 9.5, 12.6, 15.4, 17.4, 17.5, 15.0, 11.7, 8.1, 5.2),
    (5.4, 5.7, 7.3, 9.6, 12.6, 15.4, 17.3, 17.3, 15.0, 11.8, 8.4, 5.5),
    (6.1, 6.4, 7.5, 9.3, 11.9, 14.5, 16.2, 16.3, 14.6, 11.8, 9.0, 6.4),
    (4.9, 5.3, 7.0, 9.3, 12.2, 15.0, 16.7, 16.7, 14.4, 11.1, 7.8, 4.9),
    (4.3, 4.8, 6.6, 9.0, 11.8, 14.8, 16.6, 16.5, 14.0, 10.5, 7.1, 4.2),
    (4.7, 5.2, 6.7, 9.1, 12.0, 14.7, 16.4, 16.3, 14.1, 10.7, 7.5, 4.6),
    (3.9, 4.3, 5.6, 7.9, 10.7, 13.2, 14.9, 14.8, 12.8, 9.7, 6.6, 3.7),
    (4.0, 4.5, 5.8, 7.9, 10.4, 13.3, 15.2, 15.1, 13.1, 9.7, 6.6, 3.7),
    (4.0, 4.6, 6.1, 8.3, 10.9, 13.8, 15.8, 15.6, 13.5, 10.1, 6.7, 3.8),
    (4.3, 4.9, 6.5, 8.9, 11.7, 14.6, 16.6, 16.4, 14.1, 10.6, 7.1, 4.2),
    (4.7, 5.2, 7.0, 9.5, 12.5, 15.4, 17.6, 17.6, 15.0, 11.4, 7.7, 4.7),
    (5.0, 5.3, 6.5, 8.5, 11.2, 13.7, 15.3, 15.3, 13.5, 10.7, 7.8, 5.2),
    (4.0, 4.4, 5.6, 7.9, 10.4, 13.0, 14.5, 14.4, 12.5, 9.3, 6.5, 3.8),
    (3.6, 4.0, 5.4, 7.7, 10.1, 12.9, 14.6, 14.5, 12.5, 9.2, 6.1, 3.2),
    (3.3, 3.6, 5.0, 7.1, 9.3, 12.2, 14.0, 13.9, 12.0, 8.8, 5.7, 2.9),
    (3.1, 3.2, 4.4, 6.6, 8.9, 11.4, 13.2, 13.1, 11.3, 8.2, 5.4, 2.7),
    (5.2, 5.0, 5.8, 7.6, 9.7, 11.8, 13.4, 13.6, 12.1, 9.6, 7.3, 5.2),
    (4.4, 4.2, 5.0, 7.0, 8.9, 11.2, 13.1, 13.2, 11.7, 9.1, 6.6, 4.3),
    (4.6, 4.1, 4.7, 6.5, 8.3, 10.5, 12.4, 12.8, 11.4, 8.8, 6.5, 4.6),
    (4.8, 5.2, 6.4, 8.4, 10.9, 13.5, 15.0, 14.9, 13.1, 10.0, 7.2, 4.7),
)

# Table U2: wind speed, m/s at 10 m, January..December
_U2 = (
    (5.1, 5.0, 4.9, 4.4, 4.3, 3.8, 3.8, 3.7, 4.0, 4.3, 4.5, 4.7),
    (4.2, 4.0, 4.0, 3.7, 3.7, 3.3, 3.4, 3.2, 3.3, 3.5, 3.5, 3.8),
    (4.8, 4.5, 4.4, 3.9, 3.9, 3.6, 3.7, 3.5, 3.7, 4.0, 4.1, 4.4),
    (5.1, 4.7, 4.6, 4.3, 4.3, 4.0, 4.0, 3.9, 4.0, 4.5, 4.4, 4.7),
    (6.0, 5.6, 5.6, 5.0, 5.0, 4.4, 4.4, 4.3, 4.7, 5.4, 5.5, 5.9),
    (4.9, 4.6, 4.7, 4.3, 4.3, 3.8, 3.8, 3.7, 3.8, 4.3, 4.3, 4.6),
    (4.5, 4.5, 4.4, 3.9, 3.8, 3.4, 3.3, 3.3, 3.5, 3.8, 3.9, 4.1),
    (4.8, 4.7, 4.6, 4.2, 4.1, 3.7, 3.7, 3.7, 3.7, 4.2, 4.3, 4.5),
    (5.2, 5.2, 5.0, 4.4, 4.3, 3.9, 3.7, 3.7, 4.1, 4.6, 4.8, 4.7),
    (5.2, 5.2, 5.0, 4.4, 4.1, 3.8, 3.5, 3.5, 3.9, 4.2, 4.6, 4.7),
    (5.3, 5.2, 5.0, 4.3, 4.2, 3.9, 3.6, 3.6, 4.1, 4.3, 4.6, 4.8),
    (5.1, 5.0, 4.9, 4.4, 4.3, 3.8, 3.8, 3.7, 4.0, 4.3, 4.5, 4.7),
    (4.9, 4.8, 4.7, 4.2, 4.2, 3.7, 3.8, 3.8, 4.0, 4.2, 4.3, 4.5),
    (6.5, 6.2, 5.9, 5.2, 5.1, 4.7, 4.5, 4.5, 5.0, 5.7, 6.0, 6.0),
    (6.2, 6.2, 5.9, 5.2, 4.9, 4.7, 4.3, 4.3, 4.9, 5.4, 5.7, 5.4),
    (5.7, 5.8, 5.7, 5.0, 4.8, 4.6, 4.1, 4.1, 4.7, 5.0, 5.2, 5.0),
    (5.7, 5.8, 5.7, 5.0, 4.6, 4.4, 4.0, 4.1, 4.6, 5.2, 5.3, 5.1),
    (6.5, 6.8, 6.4, 5.7, 5.1, 5.1, 4.6, 4.5, 5.3, 5.8, 6.1, 5.7),
    (8.3, 8.4, 7.9, 6.6, 6.1, 6.1, 5.6, 5.6, 6.3, 7.3, 7.7, 7.5),
    (7.9, 8.3, 7.9, 7.1, 6.2, 6.1, 5.5, 5.6, 6.4, 7.3, 7.8, 7.3),
    (9.5, 9.4, 8.7, 7.5, 6.6, 6.4, 5.7, 6.0, 7.2, 8.5, 8.9, 8.5),
    (5.4, 5.3, 5.0, 4.7, 4.5, 4.1, 3.9, 3.7, 4.2, 4.6, 5.0, 5.0),
)

# Table U3: mean global solar irradiance on a horizontal plane, W/m², January..December
_U3 = (
    (26, 54, 96, 150, 192, 200, 189, 157, 115, 66, 33, 21),
    (30, 56, 98, 157, 195, 217, 203, 173, 127, 73, 39, 24),
    (32, 59, 104, 170, 208, 231, 216, 182, 133, 77, 41, 25),
    (35, 62, 109, 172, 209, 235, 217, 185, 138, 80, 44, 27),
    (36, 63, 111, 174, 210, 233, 204, 182, 136, 78, 44, 28),
    (32, 59, 105, 167, 201, 226, 206, 175, 130, 74, 40, 25),
    (28, 55, 97, 153, 191, 208, 194, 163, 121, 69, 35, 23),
    (24, 51, 95, 152, 191, 203, 186, 152, 115, 65, 31, 20),
    (23, 51, 95, 157, 200, 203, 194, 156, 113, 62, 30, 19),
    (23, 50, 92, 151, 200, 196, 187, 153, 111, 61, 30, 18),
    (25, 51, 95, 152, 196, 198, 190, 156, 115, 64, 32, 20),
    (26, 54, 96, 150, 192, 200, 189, 157, 115, 66, 33, 21),
    (30, 58, 101, 165, 203, 220, 206, 173, 128, 74, 39, 24),
    (29, 57, 104, 164, 205, 220, 199, 167, 120, 68, 35, 22),
    (19, 46, 88, 148, 196, 193, 185, 150, 101, 55, 25, 15),
    (21, 46, 89, 146, 198, 191, 183, 150, 106, 57, 27, 15),
    (19, 45, 89, 143, 194, 188, 177, 144, 101, 54, 25, 14),
    (17, 43, 85, 145, 189, 185, 170, 139, 98, 51, 22, 12),
    (16, 41, 87, 155, 205, 206, 185, 148, 101, 51, 21, 11),
    (14, 39, 84, 143, 205, 201, 178, 145, 100, 50, 19, 9),
    (12, 34, 79, 135, 196, 190, 168, 144, 90, 46, 16, 7),
    (24, 52, 96, 155, 201, 198, 183, 150, 107, 61, 30, 18),
)

# Table U3 (foot): solar declination, degrees, January..December
SOLAR_DECLINATION_DEG = (-20.7, -12.8, -1.8, 9.8, 18.8, 23.1, 21.2, 13.7, 2.9, -8.7, -18.4, -23.0)

# Table U4: representative latitude (°N) and height above sea level (m)
_U4 = (
    (53.5, 79), (51.6, 53), (51.1, 55), (50.9, 50), (50.5, 85), (51.5, 99), (52.6, 116),
    (53.5, 71), (54.6, 119), (55.2, 101), (54.4, 78), (53.5, 79), (52.1, 29), (52.6, 138),
    (55.9, 113), (56.2, 117), (57.3, 123), (57.5, 218), (57.7, 59), (59.0, 53), (60.1, 50),
    (54.6, 72),
)

# Table U5: k1..k9 for each orientation class of an inclined surface
_U5_CLASSES = ("N", "NE/NW", "E/W", "SE/SW", "S")
_U5 = (
    (26.3, 0.165, 1.44, -2.95, -0.66),  # k1
    (-38.5, -3.68, -2.36, 2.89, -0.106),  # k2
    (14.8, 3.0, 1.07, 1.17, 2.93),  # k3
    (-16.5, 6.38, -0.514, 5.67, 3.63),  # k4
    (27.3, -4.53, 1.89, -3.54, -0.374),  # k5
    (-11.9, -0.405, -1.64, -4.28, -7.4),  # k6
    (-1.06, -4.38, -0.542, -2.72, -2.71),  # k7
    (0.0872, 4.89, -0.757, -0.25, -0.991),  # k8
    (-0.191, -1.99, 0.604, 3.07, 4.59),  # k9
)

# SAP overshading factor for solar panels (Appendix H table "Overshading factor": Table H4 in
# SAP 2009, H2 in SAP 2012; Appendix M applies it to PV as Z_PV), by share of sky blocked.
OVERSHADING_FACTOR = {
    "heavy": 0.5,  # more than 80% of the sky blocked by obstacles
    "significant": 0.65,  # 60-80%
    "modest": 0.8,  # 20-60%
    "none or very little": 1.0,  # less than 20%
}

# SAP 2012 Appendix M, equation M1: annual PV output = 0.8 x kWp x S x Z_PV, kWh/year, where S
# is the annual solar radiation on the array plane (kWh/m²) from section U3.3.
SAP_PV_SYSTEM_FACTOR = 0.8


def region_index(region: str) -> int:
    """Row of ``region`` in the SAP tables; raises SolarInputError naming ``sap_region``."""
    try:
        return REGIONS.index(region)
    except ValueError:
        raise SolarInputError(
            "sap_region", f"unknown SAP climate region {region!r}; one of: {', '.join(REGIONS)}"
        ) from None


def external_temperature_c(region: str) -> np.ndarray:
    """Mean external temperature for each month, °C (SAP 2012 Table U1)."""
    return np.array(_U1[region_index(region)], dtype=float)


def wind_speed_m_s(region: str) -> np.ndarray:
    """Mean wind speed 10 m above ground for each month, m/s (SAP 2012 Table U2)."""
    return np.array(_U2[region_index(region)], dtype=float)


def horizontal_irradiance_w_m2(region: str) -> np.ndarray:
    """Mean global irradiance on a horizontal plane for each month, W/m² (SAP 2012 Table U3)."""
    return np.array(_U3[region_index(region)], dtype=float)


def monthly_horizontal_irradiation(region: str) -> np.ndarray:
    """Global irradiation on a horizontal plane for each month, kWh/m².

    Mean irradiance (W/m², Table U3) x 24 h x days in the month / 1000. For Thames in January:
    30 x 24 x 31 / 1000 = 22.32 kWh/m².
    """
    hours = 24.0 * np.array(MONTH_DAYS, dtype=float)
    return horizontal_irradiance_w_m2(region) * hours / 1000.0


def latitude_deg(region: str) -> float:
    """Representative latitude of a region, °N (SAP 2012 Table U4)."""
    return float(_U4[region_index(region)][0])


def orientation_class(azimuth_deg: float) -> str:
    """SAP's orientation class (Table U5 column) for an azimuth in degrees clockwise from north:
    the nearest of N, NE/NW, E/W, SE/SW, S."""
    octant = round((azimuth_deg % 360.0) / 45.0) % 8  # 0 N, 1 NE, ..., 4 S, ..., 7 NW
    return _U5_CLASSES[min(octant, 8 - octant)]


def inclined_irradiation(region: str, azimuth_deg: float, pitch_deg: float) -> np.ndarray:
    """Monthly irradiation on an inclined surface by SAP 2012 section U3.2, kWh/m².

    S(orient, p, m) = S_h(m) x R_h-inc, with R_h-inc = A cos²(φ-δ) + B cos(φ-δ) + C, where φ is
    the region's latitude (Table U4), δ the month's declination (Table U3), and
    A = k1 sin³(p/2) + k2 sin²(p/2) + k3 sin(p/2), B likewise with k4..k6, and
    C = k7 sin³(p/2) + k8 sin²(p/2) + k9 sin(p/2) + 1 (Table U5, orientation class from
    ``orientation_class``). ``pitch_deg`` is degrees from horizontal (0 flat, 90 vertical).

    SAP's own, independent estimate of what the pvlib chain in ``generation`` computes hour by
    hour: the tests compare the two.
    """
    column = _U5_CLASSES.index(orientation_class(azimuth_deg))
    k = [row[column] for row in _U5]
    s = math.sin(math.radians(pitch_deg) / 2.0)
    a = k[0] * s**3 + k[1] * s**2 + k[2] * s
    b = k[3] * s**3 + k[4] * s**2 + k[5] * s
    c = k[6] * s**3 + k[7] * s**2 + k[8] * s + 1.0
    cos_ = np.cos(np.radians(latitude_deg(region) - np.array(SOLAR_DECLINATION_DEG)))
    ratio = a * cos_**2 + b * cos_ + c
    return monthly_horizontal_irradiation(region) * ratio
