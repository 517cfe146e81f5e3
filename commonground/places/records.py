"""An area as the places layer hands it around (``AreaRecord``), its reference in every
answer (``area_ref``), and the error for a database with no city loaded: what the loaded city
(``cache``) and the commands reading the database (``lookup``, ``profile_from_database``)
share, in a module that imports no numerical library, so a command that needs none starts
without one."""

from __future__ import annotations

from dataclasses import dataclass

from commonground.geography.codes import geography_label


class NotLoaded(Exception):
    """No city data has been loaded into the database yet."""


class AreaNotFound(LookupError):
    """No area of the loaded city has the geography and code asked for."""


@dataclass(frozen=True)
class AreaRecord:
    id: int
    geography: str
    code: str
    name: str
    friendly_name: str
    easting: float
    northing: float

    @property
    def display_name(self) -> str:
        f, n = self.friendly_name, self.name
        return f"{f} — {n}" if f and f != n else n


def area_ref(record: AreaRecord) -> dict:
    return {"geography": record.geography, "code": record.code, "name": record.display_name,
            "geography_label": geography_label(record.geography),
            "url": f"/places/{record.geography}/{record.code}/",
            "api_url": f"/api/places/areas/{record.geography}/{record.code}"}
