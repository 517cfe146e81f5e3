"""Who sees whose participation: the rules, in one place (pages and the API alike).

* A consultation's and the data requests' tables are public, as the comments and requests
  themselves are (their authors are named on them).
* An energy offer's are seen only by those who see its registrations
  (``energy.access.can_see_interests``: the offering organisation's members, of a group anyone
  may join, its editors and admins; site staff): who registered for an offer is theirs alone,
  so no one else learns even how many registered, or from where.

Whoever sees them sees only the disclosure-controlled tables of ``lens``, never an answer.
"""

from __future__ import annotations


def can_see_registrants(user, offer) -> bool:
    from commonground.energy.access import can_see_interests  # here: the kernel stays light

    return can_see_interests(user, offer)
