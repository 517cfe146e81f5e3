"""Who may do what with data requests: the rules, in one place.

* Anyone, signed in or not, reads requests and answers.
* Anyone signed in asks (on behalf of a group only as its member), and supports a request
  (once, not their own).
* Only editors and admins of the organisation asked answer it (and site staff).
"""

from __future__ import annotations

from commonground.accounts import permissions


def can_ask(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def can_ask_for(user, group) -> bool:
    """Asking on behalf of a group needs membership of it."""
    return can_ask(user) and permissions.role_in(user, group) is not None


def can_support(user, request) -> bool:
    return can_ask(user) and request.requester_id != user.pk


def can_answer(user, request) -> bool:
    return permissions.can_publish(user, request.organisation)
