"""Who may see what in community energy: one rule, used by pages and the API.

Offers are public. Registrations of interest are personal data: only members of the
organisation that made the offer (and site staff) see them — of a group anyone may join at
once (``open_to_join``), only its editors and admins (``permissions.can_see_personal_data``) — with the contact details each
person agreed to share; the person themselves sees and deletes theirs with their secret link.
"""

from __future__ import annotations

from commonground.accounts import permissions


def can_see_interests(user, offer) -> bool:
    return permissions.can_see_personal_data(user, offer.organisation)


def can_see_offer(user, offer) -> bool:
    """An open offer: anyone. A closed one (not published, or no longer): only those who see
    its registrations; to anyone else it is as if it did not exist (404)."""
    return offer.active or can_see_interests(user, offer)
