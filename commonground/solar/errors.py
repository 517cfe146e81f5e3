"""The one error this package raises for bad input: a ``ValueError`` that names the field."""

from __future__ import annotations


class SolarInputError(ValueError):
    """An input a person typed (or a file they gave) cannot be used.

    ``field`` names the input (``"area_m2"``, ``"pitch_deg"``, ``"retail_p_per_kwh"``...) so a
    form can put the message next to it; ``str(error)`` starts with the field name too.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
