"""Electricity from 1 kWp of modules on a roof plane, month by month: pvlib's modelling chain.

For each hour of the weather year (``weather.sap_weather`` or a TMY file):

1. transposition to the roof plane: Perez et al. (1990), the "allsitescomposite1990"
   coefficients, with extraterrestrial irradiance and relative air mass; ground albedo 0.2;
2. cell temperature: Sandia (SAPM) model, King et al. (2004), close roof mount;
3. DC power: PVWatts, P = G/1000 x P_dc0 x (1 + γ (T_cell - 25 °C)) (Dobos, NREL, 2014);
4. system losses: PVWatts' loss budget (``pvlib.pvsystem.pvwatts_losses``) without its 3%
   shading allowance, since shading is its own input here;
5. inverter: PVWatts inverter model, nominal efficiency 0.96;
6. shading: the roof's SAP overshading factor on the result (``roof.SHADING_FACTORS``).

Output is linear in kWp, so the chain runs once per (site, weather, azimuth, pitch) for 1 kWp,
cached; an estimate for any system size just multiplies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pvlib import atmosphere, inverter, irradiance, pvsystem, solarposition, temperature

from .roof import SHADING_FACTORS, Roof
from .site import MILTON_KEYNES, Site
from .weather import Weather, check_matches_site, sap_weather

# Temperature coefficient of power, 1/°C. NREL PVWatts (version 6 onwards, and the current
# PVWatts calculator) "Standard" module type: -0.37 %/°C. (PVWatts v5, Dobos 2014, used
# -0.47 %/°C for the older standard modules; today's monocrystalline datasheets show about
# -0.29 to -0.37 %/°C.)
GAMMA_PDC_PER_C = -0.0037

# PVWatts inverter nominal efficiency (Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641,
# 2014; pvlib ``inverter.pvwatts`` default 0.96).
INVERTER_EFFICIENCY = 0.96

# DC-to-AC size ratio: NREL PVWatts calculator default 1.2. At UK irradiance the inverter
# almost never clips, so the choice hardly matters.
DC_AC_RATIO = 1.2

# Ground reflectance: 0.2, the usual default for grass and mixed urban ground (pvlib and PVGIS
# use 0.2 / 0.25; Perez-model studies conventionally take 0.2).
ALBEDO = 0.2

# Sandia cell-temperature parameters for modules mounted close to a roof (King, Boyson &
# Kratochvil, "Photovoltaic Array Performance Model", Sandia SAND2004-3535, 2004, Table 1:
# glass/cell/glass, close roof mount: a = -2.98, b = -0.0471, ΔT = 1 °C).
TEMPERATURE_PARAMETERS = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][
    "close_mount_glass_glass"
]

# PVWatts default losses (Dobos 2014, Table 2): soiling 2%, mismatch 2%, wiring 2%,
# connections 0.5%, light-induced degradation 1.5%, nameplate 1%, availability 3%, combined
# multiplicatively; shading 3% left out (our shading input replaces it). Total 11.42%.
SYSTEM_LOSSES_PERCENT = float(pvsystem.pvwatts_losses(shading=0))


def model_assumptions() -> dict[str, dict]:
    """The fixed modelling choices, each with its value, unit and source, for display."""
    return {
        "transposition": {"value": "Perez 1990 (allsitescomposite1990)", "unit": "",
                          "source": "Perez et al., Solar Energy 44(5), 1990; pvlib"},
        "decomposition": {"value": "Erbs", "unit": "",
                          "source": "Erbs, Klein & Duffie, Solar Energy 28(4), 1982; pvlib"},
        "albedo": {"value": ALBEDO, "unit": "fraction", "source": "conventional default (pvlib)"},
        "temperature_model": {"value": "SAPM close roof mount (a -2.98, b -0.0471, dT 1)",
                              "unit": "", "source": "King et al., Sandia SAND2004-3535, 2004"},
        "gamma_pdc": {"value": GAMMA_PDC_PER_C, "unit": "1/°C",
                      "source": "NREL PVWatts (v6+) standard module, -0.37 %/°C"},
        "system_losses": {"value": round(SYSTEM_LOSSES_PERCENT, 2), "unit": "%",
                          "source": "NREL PVWatts v5 default losses without shading "
                                    "(Dobos, NREL/TP-6A20-62641, 2014)"},
        "inverter_efficiency": {"value": INVERTER_EFFICIENCY, "unit": "fraction",
                                "source": "NREL PVWatts v5 (Dobos 2014)"},
        "dc_ac_ratio": {"value": DC_AC_RATIO, "unit": "ratio",
                        "source": "NREL PVWatts calculator default"},
        "shading_factors": {"value": dict(SHADING_FACTORS), "unit": "fraction of output kept",
                            "source": "BRE, SAP 2012 overshading factor (Appendix H, used for "
                                      "PV in Appendix M)"},
        "irradiation": {"value": "SAP 2012 Table U3 by region", "unit": "kWh/m² per month",
                        "source": "BRE for DECC, SAP 2012 (v9.92, Oct 2013), Appendix U"},
    }


@dataclass(frozen=True)
class MonthlyYield:
    """What 1 kWp of modules on a roof plane generates in a typical year.

    kwh_per_kwp : AC electricity per kWp for January..December, kWh/kWp, after losses,
        inverter and shading
    plane_kwh_per_m2 : irradiation on the roof plane (before shading), kWh/m², 12 months
    horizontal_kwh_per_m2 : irradiation on the horizontal used as input, kWh/m², 12 months
    shading_factor : the shading factor applied (1 = none)
    weather_source : where the weather came from
    """

    kwh_per_kwp: tuple[float, ...]
    plane_kwh_per_m2: tuple[float, ...]
    horizontal_kwh_per_m2: tuple[float, ...]
    shading_factor: float
    weather_source: str

    @property
    def annual_kwh_per_kwp(self) -> float:
        """Specific yield over the year, kWh/kWp."""
        return float(sum(self.kwh_per_kwp))

    @property
    def annual_plane_kwh_per_m2(self) -> float:
        """Irradiation on the roof plane over the year, kWh/m²."""
        return float(sum(self.plane_kwh_per_m2))

    @property
    def performance_ratio(self) -> float:
        """Specific yield / plane irradiation (kWh/kWp per kWh/m² = dimensionless)."""
        return self.annual_kwh_per_kwp / self.annual_plane_kwh_per_m2

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "annual_kwh_per_kwp": round(self.annual_kwh_per_kwp, 1),
            "monthly_kwh_per_kwp": [round(v, 2) for v in self.kwh_per_kwp],
            "annual_plane_kwh_per_m2": round(self.annual_plane_kwh_per_m2, 1),
            "monthly_plane_kwh_per_m2": [round(v, 2) for v in self.plane_kwh_per_m2],
            "monthly_horizontal_kwh_per_m2": [round(v, 2) for v in self.horizontal_kwh_per_m2],
            "performance_ratio": round(self.performance_ratio, 3),
            "shading_factor": self.shading_factor,
            "weather_source": self.weather_source,
        }


def _monthly(values: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Hourly W (or W/m²) summed by month and divided by 1000: kWh (or kWh/m²)."""
    return np.bincount(month, weights=values, minlength=12) / 1000.0


@lru_cache(maxsize=8)
def _geometry(site: Site, weather: Weather) -> dict[str, np.ndarray]:
    """Sun position, relative air mass and extraterrestrial irradiance for each hour."""
    times = weather.data.index
    sun = solarposition.get_solarposition(times, site.latitude, site.longitude, site.altitude_m)
    return {
        "apparent_zenith": sun["apparent_zenith"].to_numpy(),
        "azimuth": sun["azimuth"].to_numpy(),
        "airmass": atmosphere.get_relative_airmass(sun["apparent_zenith"]).to_numpy(),
        "dni_extra": np.asarray(irradiance.get_extra_radiation(times), dtype=float),
        "month": times.month.to_numpy() - 1,
    }


def _unshaded(site: Site, weather: Weather, azimuth_deg: float, pitch_deg: float) -> MonthlyYield:
    """The chain for 1 kWp (1,000 W DC at standard test conditions), no shading."""
    geo = _geometry(site, weather)
    data = weather.data
    with np.errstate(invalid="ignore", divide="ignore"):
        poa = irradiance.get_total_irradiance(
            surface_tilt=pitch_deg,
            surface_azimuth=azimuth_deg,
            solar_zenith=geo["apparent_zenith"],
            solar_azimuth=geo["azimuth"],
            dni=data["dni"].to_numpy(),
            ghi=data["ghi"].to_numpy(),
            dhi=data["dhi"].to_numpy(),
            dni_extra=geo["dni_extra"],
            airmass=geo["airmass"],
            albedo=ALBEDO,
            model="perez",
        )
    poa_global = np.clip(np.nan_to_num(np.asarray(poa["poa_global"], dtype=float)), 0.0, None)
    cell_c = temperature.sapm_cell(
        poa_global, data["temp_air"].to_numpy(), data["wind_speed"].to_numpy(),
        **TEMPERATURE_PARAMETERS,
    )
    dc_w = pvsystem.pvwatts_dc(poa_global, cell_c, pdc0=1000.0, gamma_pdc=GAMMA_PDC_PER_C)
    dc_w = dc_w * (1.0 - SYSTEM_LOSSES_PERCENT / 100.0)
    inverter_dc_w = 1000.0 / DC_AC_RATIO / INVERTER_EFFICIENCY  # DC input limit, W per kWp
    with np.errstate(invalid="ignore", divide="ignore"):
        ac_w = inverter.pvwatts(dc_w, inverter_dc_w, eta_inv_nom=INVERTER_EFFICIENCY)
    ac_w = np.clip(np.nan_to_num(np.asarray(ac_w, dtype=float)), 0.0, None)
    month = geo["month"]
    return MonthlyYield(
        kwh_per_kwp=tuple(float(v) for v in _monthly(ac_w, month)),
        plane_kwh_per_m2=tuple(float(v) for v in _monthly(poa_global, month)),
        horizontal_kwh_per_m2=tuple(float(v) for v in _monthly(data["ghi"].to_numpy(), month)),
        shading_factor=1.0,
        weather_source=weather.source,
    )


# Per-roof results for the SAP-shaped weather of each site (itself cached per site). Results
# for a TMY file someone supplies are not cached: each upload is a new Weather (~0.35 MB) and
# the chain takes only ~10 ms.
_unshaded_sap = lru_cache(maxsize=1024)(_unshaded)


def specific_yield(
    roof: Roof, site: Site = MILTON_KEYNES, weather: Weather | None = None
) -> MonthlyYield:
    """Typical-year generation per kWp for ``roof`` at ``site``, kWh/kWp by month and year.

    weather : ``None`` for SAP-shaped weather for the site's region (``sap_weather``), or a
        ``Weather`` from ``read_tmy`` (a PVGIS TMY for the site: an optional, better input).

    A south-facing 35° roof in Milton Keynes gives about 920 kWh/kWp a year, within the
    850-1,000 kWh/kWp published for southern and central England.
    """
    # round so nearly equal inputs share a cache entry; on a flat roof azimuth is irrelevant
    pitch = round(roof.pitch_deg, 1)
    azimuth = 180.0 if pitch == 0.0 else round(roof.azimuth_deg, 1) % 360.0
    if weather is None:
        base = _unshaded_sap(site, sap_weather(site), azimuth, pitch)
    else:
        check_matches_site(weather, site)
        base = _unshaded(site, weather, azimuth, pitch)
    factor = roof.shading_factor
    return MonthlyYield(
        kwh_per_kwp=tuple(v * factor for v in base.kwh_per_kwp),
        plane_kwh_per_m2=base.plane_kwh_per_m2,
        horizontal_kwh_per_m2=base.horizontal_kwh_per_m2,
        shading_factor=factor,
        weather_source=base.weather_source,
    )
