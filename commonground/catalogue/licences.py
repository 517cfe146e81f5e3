"""Licences a dataset may carry (ids as CKAN and opendefinition.org spell them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    id: str
    title: str
    url: str
    open: bool = True


LICENCES = [
    Licence("OGL-UK-3.0", "Open Government Licence v3.0",
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
    Licence("CC-BY-4.0", "Creative Commons Attribution 4.0",
            "https://creativecommons.org/licenses/by/4.0/"),
    Licence("CC-BY-SA-4.0", "Creative Commons Attribution Share-Alike 4.0",
            "https://creativecommons.org/licenses/by-sa/4.0/"),
    Licence("CC0-1.0", "Creative Commons CCZero",
            "https://creativecommons.org/publicdomain/zero/1.0/"),
    Licence("ODbL-1.0", "Open Data Commons Open Database License 1.0",
            "https://opendatacommons.org/licenses/odbl/1-0/"),
    Licence("ODC-BY-1.0", "Open Data Commons Attribution License 1.0",
            "https://opendatacommons.org/licenses/by/1-0/"),
    Licence("other-open", "Other (open)", ""),
    Licence("other-closed", "Other (not open)", "", open=False),
    Licence("notspecified", "Licence not specified", "", open=False),
]
BY_ID = {licence.id: licence for licence in LICENCES}
CHOICES = [(licence.id, licence.title) for licence in LICENCES]


def licence(licence_id: str) -> Licence:
    """The licence with this id; unknown ids are reported as such rather than guessed."""
    return BY_ID.get(licence_id) or Licence(licence_id, licence_id, "", open=False)
