"""Who sees whose participation: the rules, in one place (pages and the API alike).

* A consultation's and the data requests' tables are public, as the comments and requests
  themselves are (their authors are named on them).
* An energy offer's are seen only by those who see its registrations: who registered for an
  offer is the offering organisation's alone, so no one else learns even how many registered,
  or from where. The rule is the energy app's (``energy.access.can_see_interests``), which it
  tells this app when it starts (``register``), so participation imports no feature app.

Whoever sees them sees only the disclosure-controlled tables of ``lens``, never an answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Registrants:
    """How an app's things with registrants are guarded.

    can_see : (user, thing) -> whether the user may see who registered for it (pages)
    fetch : (user, pk) -> the thing, or the app's own refusal raised (the API: 401/403/404)
    """

    can_see: Callable[[object, object], bool]
    fetch: Callable[[object, int], object]


_GUARDS: dict[str, Registrants] = {}


def register(kind: str, *, can_see: Callable[[object, object], bool],
             fetch: Callable[[object, int], object]) -> None:
    """An app's rule for who sees the registrants of its ``kind`` of thing (e.g. "offer")."""
    _GUARDS[kind] = Registrants(can_see=can_see, fetch=fetch)


def guard(kind: str) -> Registrants | None:
    return _GUARDS.get(kind)


def can_see_registrants(user, offer) -> bool:
    found = guard("offer")
    return found is not None and found.can_see(user, offer)
