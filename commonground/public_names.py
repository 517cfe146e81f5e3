"""How people are named in public: their user name, never an email address."""

from __future__ import annotations

FORMER_MEMBER = "a former member"


def public_name(user) -> str:
    """The user name; the part before "@" when a user name is an email address (accounts
    made before sign-up refused "@", or by an administrator); "a former member" when the
    account was deleted."""
    if user is None:
        return FORMER_MEMBER
    name = user.get_username()
    return (name.split("@", 1)[0] or "a member") if "@" in name else name
