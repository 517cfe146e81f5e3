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

#: Largest integer parameter (PostgreSQL's ``integer``): larger limits and offsets mean
#: nothing here and would overflow the databases' own integers.
INTEGER_MAX = 2**31 - 1


def required(data: dict, key: str) -> Any:
    value = data.get(key)
    if value in (None, "", []):
        raise ValidationError({key: ["Missing value"]})
    return value


def text(data: dict, key: str, default: str = "") -> str:
    """A string parameter; missing or null is ``default``, any other type a Validation Error.

    A NUL character is refused too: no database stores it in text.
    """
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise ValidationError({key: ["Must be a string"]})
    if "\x00" in value:
        raise ValidationError({key: ["Must not contain NUL characters"]})
    return value


def required_text(data: dict, key: str) -> str:
    """A string parameter that must be given and not be empty."""
    required(data, key)
    return text(data, key)


def integer(data: dict, key: str, default: int | None) -> int | None:
    """CKAN's ``int_validator``: an integer, or a string or float holding one, within
    ±:data:`INTEGER_MAX`."""
    value = data.get(key)
    if value in (None, ""):
        return default
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or isinstance(value, bool) or abs(number) > INTEGER_MAX:
        raise ValidationError({key: ["Invalid integer"]})
    return number


def natural(data: dict, key: str, default: int | None) -> int | None:
    """CKAN's ``int_validator`` + ``natural_number_validator``."""
    number = integer(data, key, default)
    if number is not None and number < 0:
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
        except (ValueError, RecursionError):
            raise ValidationError({key: ["Could not parse as valid JSON"]}) from None
    return value


def string_list(value, key: str) -> list[str]:
    """A list given as a list, JSON text of a list, or comma-separated text."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            value = parse_json(stripped, key)
        else:
            value = [part.strip() for part in stripped.split(",") if part.strip()]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and "\x00" not in v
                                                      for v in value):
        raise ValidationError({key: ["Not a list of strings"]})
    return list(value)


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
