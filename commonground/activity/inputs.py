"""What every form's use cases share: an error that names its field, ids typed in forms,
and filtering records by one of the area codes they list."""

from __future__ import annotations

from django.db import connection


class FieldError(ValueError):
    """Bad input; ``field`` names the form field, the message starts with its label."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def parse_id(value) -> int | None:
    """A record id typed in a form ("12"); None for anything else, such as "²" or "١٢"
    (digits to ``str.isdigit`` that ``int`` refuses or reads) or a number too long for one."""
    value = str(value if value is not None else "").strip()
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def with_area_code(records, code: str):
    """Records whose JSON list ``area_codes`` holds ``code`` exactly: a JSON containment
    query on PostgreSQL; on SQLite a text match narrows and a list check decides."""
    if connection.vendor == "postgresql":
        return records.filter(area_codes__contains=[code])
    return [r for r in records.filter(area_codes__icontains=code) if code in r.area_codes]
