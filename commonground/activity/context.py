"""Template context: how many unread notifications the signed-in person has (shown in the
navigation)."""

from __future__ import annotations


def unread(request) -> dict:
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return {}
    return {"unread_notifications": user.notifications.filter(read=False).count()}
