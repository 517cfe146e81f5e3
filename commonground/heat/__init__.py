"""Warm homes: a home's heating options, pure Python (hplib for heat pumps), no Django.

Modules, one step each: ``household`` (the answers, checked: kind of home, Census 2021 TS046
heating, tenure, what the schemes ask), ``fuels`` (each heating's dated price, carbon and
efficiency), ``demand`` (the home's yearly heat and design-day load), ``measures`` (loft,
cavity and solid wall insulation, draught-proofing: savings, costs, payback as ranges),
``heatpump`` (size, seasonal efficiency from hplib and from British homes, running cost,
carbon), ``schemes`` (national schemes as dated rules), ``options`` (all of it for one home).

    >>> from commonground.heat import options
    >>> found = options(home_type="flat", heating="electric_storage", tenure="private_renter")
    >>> found.scheme("boiler_upgrade_scheme").status
    'your landlord may apply'
"""

from __future__ import annotations

from .errors import HeatInputError
from .household import BENEFITS, HEATING, TENURES, Household, household
from .options import Options, options

__all__ = ["BENEFITS", "HEATING", "TENURES", "HeatInputError", "Household", "Options",
           "household", "options"]
