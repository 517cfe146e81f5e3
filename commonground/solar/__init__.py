"""Rooftop solar for homes and community buildings: pure Python, pvlib, no Django.

Modules, one step each: ``sap`` (SAP 2012 climate tables), ``site`` (where), ``roof`` (the
roof plane and the system that fits), ``homes`` (the typical roof of a kind of home, and a
home's limits), ``weather`` (a typical year, offline), ``generation``
(pvlib's chain, kWh per kWp), ``assumptions`` (sourced, editable money and carbon figures),
``estimate`` (the household's numbers).

    >>> from commonground.solar import roof_from_inputs, estimate
    >>> result = estimate(roof_from_inputs(20, "S", "typical"))
    >>> 850 < result.specific_yield_kwh_per_kwp < 1000
    True
"""

from __future__ import annotations

from .assumptions import Assumptions, self_consumption
from .errors import SolarInputError
from .estimate import DEFAULT_ASSUMPTIONS, Appraisal, Estimate, appraise, estimate
from .generation import MonthlyYield, specific_yield
from .roof import ORIENTATIONS, SHADING_FACTORS, Roof, roof_from_inputs, system_size_kwp
from .site import MILTON_KEYNES, Site
from .weather import Weather, read_tmy, sap_weather

__all__ = [
    "DEFAULT_ASSUMPTIONS",
    "MILTON_KEYNES",
    "ORIENTATIONS",
    "SHADING_FACTORS",
    "Appraisal",
    "Assumptions",
    "Estimate",
    "MonthlyYield",
    "Roof",
    "Site",
    "SolarInputError",
    "Weather",
    "appraise",
    "estimate",
    "read_tmy",
    "roof_from_inputs",
    "sap_weather",
    "self_consumption",
    "specific_yield",
    "system_size_kwp",
]
