"""Hourly weather for a typical year, offline: SAP monthly irradiation shaped by pvlib's clear
sky, or a PVGIS typical-meteorological-year file a person supplies.

Nothing here downloads anything. pvlib ships the Linke turbidity climatology it needs for the
clear sky (``LinkeTurbidities.h5``, read with h5py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from pvlib import atmosphere, clearsky, iotools, irradiance, solarposition

from . import sap
from .errors import SolarInputError
from .site import Site

COLUMNS = ("ghi", "dni", "dhi", "temp_air", "wind_speed")

# The typical year: the 8,760 hours of 2023 (not a leap year, so the months have SAP's days),
# UTC, each stamped at mid-hour so the sun's position stands for the whole hour.
TYPICAL_YEAR = pd.date_range("2023-01-01 00:30", periods=8760, freq="h", tz="UTC")


@dataclass(frozen=True, eq=False)
class Weather:
    """Hourly weather at a site.

    data : DataFrame indexed by tz-aware hourly timestamps, with columns
        ghi, dni, dhi : global horizontal, direct normal, diffuse horizontal irradiance, W/m²
        temp_air : air temperature, °C
        wind_speed : wind speed 10 m above ground, m/s
    source : where it came from, in words
    latitude, longitude : where it is for, degrees (None if unknown)
    monthly_clearness : for SAP-shaped weather, the factor each month's clear-sky irradiance
        was scaled by (SAP irradiation / clear-sky irradiation, 12 values)

    Compared by identity (its DataFrame is not hashable), so a cached result is reused only for
    the same Weather object: build it once and pass it around.
    """

    data: pd.DataFrame
    source: str
    latitude: float | None = None
    longitude: float | None = None
    monthly_clearness: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        missing = [c for c in COLUMNS if c not in self.data.columns]
        if missing:
            raise SolarInputError("weather", f"missing column(s): {', '.join(missing)}")
        index = self.data.index
        if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
            raise SolarInputError("weather", "needs timestamps with a time zone (UTC)")
        months = set(index.month)
        if months != set(range(1, 13)):
            raise SolarInputError("weather", "needs hourly data for all twelve months")
        if self.data[list(COLUMNS)].isna().any().any():
            raise SolarInputError("weather", "has missing values")


@lru_cache(maxsize=16)
def sap_weather(site: Site) -> Weather:
    """A typical year at ``site`` whose monthly horizontal irradiation equals SAP 2012 Table U3
    for the site's region.

    1. Sun position for each hour of ``TYPICAL_YEAR`` (pvlib ``solarposition``, NREL SPA).
    2. Clear-sky GHI by Ineichen & Perez (2002) with pvlib's bundled monthly Linke turbidity
       climatology (``clearsky.lookup_linke_turbidity``) and absolute air mass at the site's
       altitude.
    3. Each month's clear-sky GHI is multiplied by one clearness factor, SAP irradiation /
       clear-sky irradiation (about 0.63-0.71 for Thames), so the month's total equals SAP's.
    4. GHI is split into direct normal and diffuse with Erbs, Klein & Duffie (1982).
    5. Air temperature and wind are SAP's monthly means (Tables U1, U2), constant through each
       month: daytime is warmer than the 24-hour mean, so the cell-temperature loss is slightly
       understated (of order 1% of annual output in this climate).

    One clearness factor per month makes every hour equally hazy, so the diffuse share comes
    out high (about 77% of the year's GHI; measured UK shares are nearer 50-60%)
    and irradiation on tilted planes 2-4% below SAP's own inclined-surface method
    (``sap.inclined_irradiation``): a slightly conservative year. A PVGIS TMY (``read_tmy``)
    has real clear and overcast hours.

    Cached per site: the first call takes ~0.1 s, later ones nothing.
    """
    times = TYPICAL_YEAR
    sun = solarposition.get_solarposition(times, site.latitude, site.longitude, site.altitude_m)
    airmass = atmosphere.get_relative_airmass(sun["apparent_zenith"])
    airmass_abs = atmosphere.get_absolute_airmass(airmass, atmosphere.alt2pres(site.altitude_m))
    turbidity = clearsky.lookup_linke_turbidity(times, site.latitude, site.longitude)
    dni_extra = irradiance.get_extra_radiation(times)
    clear = clearsky.ineichen(
        sun["apparent_zenith"], airmass_abs, turbidity, altitude=site.altitude_m,
        dni_extra=dni_extra,
    )
    month = times.month.to_numpy() - 1
    clear_kwh = np.bincount(month, weights=clear["ghi"].to_numpy(), minlength=12) / 1000.0
    clearness = sap.monthly_horizontal_irradiation(site.sap_region) / clear_kwh
    ghi = clear["ghi"].to_numpy() * clearness[month]
    split = irradiance.erbs(ghi, sun["zenith"], times)
    data = pd.DataFrame(
        {
            "ghi": ghi,
            "dni": split["dni"].to_numpy(),
            "dhi": split["dhi"].to_numpy(),
            "temp_air": sap.external_temperature_c(site.sap_region)[month],
            "wind_speed": sap.wind_speed_m_s(site.sap_region)[month],
        },
        index=times,
    )
    return Weather(
        data=data,
        source=f"SAP 2012 Table U3 monthly irradiation for the {site.sap_region} region, "
        "shaped hour by hour by pvlib's Ineichen clear sky, split with Erbs",
        latitude=site.latitude,
        longitude=site.longitude,
        monthly_clearness=tuple(float(c) for c in clearness),
    )


def _coordinates(meta) -> tuple[float | None, float | None]:
    """Latitude and longitude from pvlib's PVGIS metadata (CSV, JSON or EPW layouts)."""
    if not isinstance(meta, dict):
        return None, None
    for place in (meta.get("inputs", {}), meta.get("inputs", {}).get("location", {}), meta):
        if isinstance(place, dict) and "latitude" in place and "longitude" in place:
            return float(place["latitude"]), float(place["longitude"])
    return None, None


def read_tmy(path) -> Weather:
    """Hourly weather from a PVGIS typical-meteorological-year file (CSV, JSON or EPW, as
    downloaded from the European Commission's PVGIS "TMY" tool), read with
    ``pvlib.iotools.read_pvgis_tmy``.

    Uses the file's GHI, DNI and DHI (W/m²), 2-m air temperature (°C) and 10-m wind speed (m/s)
    as they are: no SAP scaling and no decomposition. Timestamps are UTC as PVGIS gives them.
    A file that cannot be read raises ``SolarInputError`` naming ``weather_file``.
    """
    path = Path(path)
    if not path.is_file():
        raise SolarInputError("weather_file", f"no such file: {path}")
    try:
        result = iotools.read_pvgis_tmy(path, map_variables=True)
    except Exception as exc:  # a malformed upload can fail anywhere in the parser
        raise SolarInputError(
            "weather_file", f"not a PVGIS TMY file pvlib can read ({type(exc).__name__}: {exc})"
        ) from None
    # pvlib >= 0.13 returns (data, meta); 0.11-0.12 returned (data, months, inputs, meta)
    data, meta = result[0], result[-1]
    if len(result) == 4:
        meta = {"inputs": result[2]}
    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise SolarInputError("weather_file", f"missing column(s): {', '.join(missing)}")
    latitude, longitude = _coordinates(meta)
    frame = data[list(COLUMNS)].astype(float)
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        raise SolarInputError("weather_file", "timestamps have no time zone")
    return Weather(
        data=frame,
        source=f"PVGIS typical meteorological year ({path.name})",
        latitude=latitude,
        longitude=longitude,
    )


def check_matches_site(weather: Weather, site: Site) -> None:
    """Raise ``SolarInputError`` if ``weather`` is for a place more than about 100 km away."""
    if weather.latitude is None or weather.longitude is None:
        return
    far = abs(weather.latitude - site.latitude) > 1.0 or (
        abs(weather.longitude - site.longitude) * math.cos(math.radians(site.latitude)) > 1.0
    )
    if far:
        raise SolarInputError(
            "weather_file",
            f"the weather is for {weather.latitude:.3f} N, {weather.longitude:.3f} E but the "
            f"site is at {site.latitude:.3f} N, {site.longitude:.3f} E; use a file for the site",
        )
