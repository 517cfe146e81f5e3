"""What evidence packs tell the activity kernel (``EvidenceConfig.ready``): a group's page
lists its packs."""

from __future__ import annotations

from commonground.accounts import permissions
from commonground.activity import sections


def group_packs(request, *, organisation) -> dict:
    """The group's packs this person may see (drafts for members), and whether they may
    build one (the group's editors)."""
    from .services import packs_for_group  # when a group page is drawn: it loads the lens and SciPy

    return {"packs": packs_for_group(request.user, organisation),
            "can_build": permissions.can_publish(request.user, organisation)}


def register() -> None:
    sections.register("group", order=20, template="evidence/_group_packs.html",
                      context=group_packs)
