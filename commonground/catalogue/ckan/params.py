"""Reading an action's parameters from ``data_dict``, with CKAN's validators and messages.

Values are strings when they came from a query string and any JSON type when they came from
a JSON body; each helper accepts both and raises :class:`.errors.ValidationError` (CKAN's
``Validation Error``, 409) naming the parameter when a value will not do.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .errors import ValidationError


def required(data: dict, key: str) -> Any:
    value = data.get(key)
    if value in (None, "", []):
        raise ValidationError({key: ["Missing value"]})
    return value


def natural(data: dict, key: str, default: int | None) -> int | None:
    """CKAN's ``int_validator`` + ``natural_number_validator``."""
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None or isinstance(value, bool):
        raise ValidationError({key: ["Invalid integer"]})
    if number < 0:
        raise ValidationError({key: ["Must be a natural number"]})
    return number


def boolean(value, default: bool) -> bool:
    """CKAN's ``asbool``: true/yes/on/1 (any case) are true; anything else is false."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


def parse_json(value, key: str):
    """A parameter that may arrive as JSON text (query strings) or already decoded (bodies)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ValidationError({key: ["Could not parse as valid JSON"]}) from None
    return value


def string_list(value, key: str) -> list[str]:
    """A list given as a list, JSON text of a list, or comma-separated text."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            value = parse_json(text, key)
        else:
            return [part.strip() for part in text.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError({key: ["Not a list of strings"]})
    return list(value)


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
