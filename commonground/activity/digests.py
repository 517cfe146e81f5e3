"""Email digests: the notifications a person has not yet been emailed, in one message.

Run by ``manage.py send_digests --period daily`` (and ``weekly``) from cron or a scheduler;
each notification is emailed at most once. People choose the period on their "What you
follow" page; the default is never.
"""

from __future__ import annotations

from django.core.mail import send_mail
from django.db import transaction

from .models import DigestChoice, Notification, Preferences

MAX_ITEMS = 50


def send(period: str, site_url: str) -> int:
    """Send the digests of everyone who chose ``period``; returns how many were sent."""
    if period not in (DigestChoice.DAILY, DigestChoice.WEEKLY):
        raise ValueError("period must be daily or weekly")
    sent = 0
    chosen = Preferences.objects.filter(digest=period).select_related("user")
    for preference in chosen:
        user = preference.user
        if not user.is_active or not user.email:
            continue
        with transaction.atomic():
            waiting = list(Notification.objects.select_for_update()
                           .filter(user=user, emailed=False).order_by("created"))
            if not waiting:
                continue
            send_mail(_subject(len(waiting)), _body(user, waiting, site_url), None,
                      [user.email])
            Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(emailed=True)
            sent += 1
    return sent


def _subject(count: int) -> str:
    return f"Common Ground: {count} new thing{'s' if count != 1 else ''} you follow"


def _body(user, items: list[Notification], site_url: str) -> str:
    lines = [f"Hello {user.get_username()},", "", "Since your last digest:", ""]
    for item in items[-MAX_ITEMS:]:
        lines += [f"* {item.text}", f"  {site_url.rstrip('/')}{item.url}", ""]
    if len(items) > MAX_ITEMS:
        lines.append(f"… and {len(items) - MAX_ITEMS} older ones on your notifications page.")
    lines += ["", f"Change how often you hear from us: {site_url.rstrip('/')}/following/"]
    return "\n".join(lines)
