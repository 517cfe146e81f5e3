"""The kinds of things people follow, registered by the apps that own them.

A feature app registers each kind in its ``AppConfig.ready``::

    things.register("dataset", "Dataset", page=dataset_page, public_keys=public_names)

``page(key)`` is the address of the thing's page, or None when there is no such thing (the
"following" page and feeds link there; ``NoReverseMatch`` or ``ValueError`` mean none too). ``public_keys()`` gives the keys of the things of that
kind everyone may see, as a query (a ``values_list``/``values`` of one column) or a list;
events about any other thing of the kind are left out of feeds and activity, so a thing that
stops being public takes its news with it. Without ``public_keys`` every thing of the kind is
public. Kinds are listed in the order they are registered (the apps' order in settings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import NoReverseMatch


@dataclass(frozen=True)
class Kind:
    name: str  # the value stored in Follow.kind and EventTarget.kind (at most 16 characters)
    label: str  # what pages call it: "Data request"
    page: Callable[[str], str | None]
    public_keys: Callable[[], Iterable[str]] | None = None


_KINDS: dict[str, Kind] = {}


def register(name: str, label: str, *, page: Callable[[str], str | None],
             public_keys: Callable[[], Iterable[str]] | None = None) -> Kind:
    """Make ``name`` a kind of thing to follow (registering it again replaces it)."""
    if not name or len(name) > 16:
        raise ValueError(f"a kind's name has 1 to 16 characters: {name!r}")
    kind = Kind(name, label, page, public_keys)
    _KINDS[name] = kind
    return kind


def kinds() -> list[Kind]:
    return list(_KINDS.values())


def is_kind(name: str) -> bool:
    return name in _KINDS


def label(name: str) -> str:
    """The kind's label; the name itself for a kind no app registers (any more)."""
    kind = _KINDS.get(name)
    return kind.label if kind else name


def page_of(kind: str, key: str) -> str | None:
    """The address of the followed thing's page, or None when there is no such thing (a key
    its page cannot be made from, such as a request number that is not a number, is none)."""
    registered = _KINDS.get(kind)
    try:
        return registered.page(key) if registered else None
    except (NoReverseMatch, ValueError):
        return None
