"""The one error this package raises for bad input: a ``ValueError`` that names the field."""

from __future__ import annotations


class HeatInputError(ValueError):
    """An answer a household gave cannot be used.

    ``field`` names the answer (``"home_type"``, ``"heating"``, ``"tenure"``...) so a form can
    put the message next to it; ``str(error)`` starts with the field name too.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
