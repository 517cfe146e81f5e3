"""CKAN's ``package_revise``: change a dataset only if it still is what the caller saw.

Supported: ``match`` (the dataset by ``id`` or ``name``; every other top-level field given
must equal the dataset's, else nothing changes), ``filter`` (``"-field"`` clears a top-level
field), ``update`` (top-level fields set, as ``package_patch``), the same keys flattened as
form posts send them (``match__name``, ``update__notes``) and ``include`` (top-level fields
of the answer). Not supported: paths into lists (``update__resources__-1``) and ``"+field"``
globs: a Validation Error names them.
"""

from __future__ import annotations

from .context import Context, changes_data
from .errors import ValidationError
from .package_write import editable_dataset, package_patch
from .params import parse_json, string_list


def _part(data: dict, name: str) -> dict:
    value = parse_json(data.get(name), name) if data.get(name) not in (None, "") else {}
    if not isinstance(value, dict):
        raise ValidationError({name: ["Must be a JSON object"]})
    value = dict(value)
    for key, item in data.items():
        if key.startswith(f"{name}__"):
            field = key[len(name) + 2:]
            if "__" in field:
                raise ValidationError({key: ["Paths into lists are not supported here"]})
            value[field] = item
    return value


def _cleared(value):
    return [] if isinstance(value, list) else {} if isinstance(value, dict) else ""


@changes_data
def package_revise(context: Context, data: dict) -> dict:
    """Change a dataset only if the fields in ``match`` still hold.

    :param match: ``{"name": ..., "notes": "what you saw"}``: ``id`` or ``name`` and any
        top-level fields that must still have these values
    :type match: dictionary
    :param filter: ``["-notes"]``: top-level fields to clear
    :type filter: list of strings
    :param update: top-level fields to set
    :type update: dictionary
    :param include: top-level fields of ``package`` to return (default all)
    :type include: list of strings

    :returns: ``{"package": ...}``
    :rtype: dictionary
    """
    from .package_actions import package_show

    match, update = _part(data, "match"), _part(data, "update")
    key = match.get("id") or match.get("name")
    if not key:
        raise ValidationError({"match": ["Give the dataset's id or name"]})
    editable_dataset(context, key, "package_revise")  # rights first: nothing is compared
    current = package_show(context, {"id": key})
    unmatched = sorted(f for f, v in match.items() if current.get(f, object()) != v)
    if unmatched:
        raise ValidationError({"message": "There are unmatched fields", "fields": unmatched})
    changes = {}
    for rule in string_list(data.get("filter"), "filter"):
        if not rule.startswith("-") or "*" in rule or "/" in rule:
            raise ValidationError({"filter": [f'Only "-field" is supported here, not "{rule}"']})
        changes[rule[1:]] = _cleared(current.get(rule[1:]))
    changes.update(update)
    revised = package_patch(context, {**changes, "id": current["id"]}) if changes else current
    include = string_list(data.get("include"), "include")
    return {"package": {f: revised[f] for f in include if f in revised} if include
            else revised}
