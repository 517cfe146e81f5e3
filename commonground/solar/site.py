"""Where the roof is: coordinates for the sun's path, and the SAP climate region for the
monthly irradiation, temperature and wind."""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import sap
from .errors import SolarInputError


@dataclass(frozen=True)
class Site:
    """A place to model.

    latitude : degrees north (WGS84), -90..90
    longitude : degrees east (WGS84), -180..180
    altitude_m : metres above sea level
    sap_region : a SAP 2012 climate region (``sap.REGIONS``), which sets the monthly horizontal
        irradiation, temperature and wind (Tables U1-U3)
    name : for display only
    """

    latitude: float
    longitude: float
    altitude_m: float
    sap_region: str
    name: str = ""

    def __post_init__(self) -> None:
        for field, value, low, high in (
            ("latitude", self.latitude, -90.0, 90.0),
            ("longitude", self.longitude, -180.0, 180.0),
            ("altitude_m", self.altitude_m, -500.0, 9000.0),
        ):
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise SolarInputError(field, f"must be a number; got {value!r}")
            if not low <= value <= high:
                raise SolarInputError(field, f"must be between {low:g} and {high:g}; got {value}")
        sap.region_index(self.sap_region)


# Milton Keynes, central (about 52.04 N, 0.76 W; the city centre stands about 100 m above sea
# level). SAP region "Thames": Table U6 maps the MK postcode area to region 1 (see ``sap``).
MILTON_KEYNES = Site(
    latitude=52.04, longitude=-0.76, altitude_m=100.0, sap_region="Thames", name="Milton Keynes"
)
