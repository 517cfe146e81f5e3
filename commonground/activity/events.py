"""Following things and hearing about them.

Every use case that changes the public record calls ``record``: it writes one ``Event``
about one or more things (a place, dataset, request, group or consultation), and every
follower of any of them gets one in-site notification (never the person who acted). The
same events make a group's activity feed and the RSS/Atom feed of each thing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q

from . import things
from .models import Event, EventTarget, Follow, Notification

#: Characters XML 1.0 forbids (feeds would fail) and other C0 controls but tab and newline.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Target = tuple[str, str]  # (a registered kind, key)


def record(text: str, url: str, targets: Iterable[Target], *, actor=None,
           also_notify: Iterable[int] = ()) -> Event:
    """Write the event and notify the followers of its targets (and ``also_notify`` user
    ids, such as a request's supporters), each once, never the actor."""
    targets = list(dict.fromkeys((str(kind), str(key)) for kind, key in targets))
    for kind, _ in targets:
        if not things.is_kind(kind):
            raise ValueError(f"not a kind of thing to follow: {kind!r}")
    text = CONTROL.sub(" ", text)[:300]
    with transaction.atomic():
        event = Event.objects.create(text=text, url=url,
                                     actor=actor if getattr(actor, "pk", None) else None)
        EventTarget.objects.bulk_create([EventTarget(event=event, kind=kind, key=key)
                                         for kind, key in targets])
        people = set(also_notify) | set(followers(targets))
        people.discard(getattr(actor, "pk", None))
        people.discard(None)
        Notification.objects.bulk_create([Notification(user_id=uid, text=text, url=url)
                                          for uid in sorted(people)])
    return event


def followers(targets: Iterable[Target]) -> list[int]:
    """User ids following any of ``targets``.

    One ``key IN (…)`` query per kind, not one OR clause per thing: a version with rows in
    every neighbourhood of England (33,755 places) must not build an expression SQLite refuses
    ("Expression tree is too large"). Keys go in batches the database accepts as parameters.
    """
    keys: dict[str, list[str]] = defaultdict(list)
    for kind, key in targets:
        keys[kind].append(key)
    batch = max(1, (connection.features.max_query_params or 10_000) - 10)
    people: set[int] = set()
    for kind, kind_keys in keys.items():
        for start in range(0, len(kind_keys), batch):
            people.update(Follow.objects.filter(kind=kind, key__in=kind_keys[start:start + batch])
                          .values_list("user_id", flat=True).distinct())
    return sorted(people)


def about(kind: str, key: str):
    """Events about one thing, newest first (a feed, or a group's activity), leaving out
    any event about a thing that is no longer public (a dataset unpublished, made private
    or deleted: its kind's ``public_keys`` no longer lists it): its news must not outlive
    its visibility."""
    hidden = Q(pk__in=[])
    for registered in things.kinds():
        if registered.public_keys is not None:
            hidden |= Q(kind=registered.name) & ~Q(key__in=registered.public_keys())
    hidden = EventTarget.objects.filter(hidden).values("event_id")
    return (Event.objects.filter(targets__kind=kind, targets__key=key)
            .exclude(pk__in=hidden).distinct().select_related("actor"))


def follow(user, kind: str, key: str) -> bool:
    """Start following; False when already following."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied("Sign in to follow.")
    if not things.is_kind(kind):
        raise ValueError(f"not a kind of thing to follow: {kind!r}")
    _, created = Follow.objects.get_or_create(user=user, kind=kind, key=str(key)[:100])
    return created


def unfollow(user, kind: str, key: str) -> None:
    if getattr(user, "is_authenticated", False):
        Follow.objects.filter(user=user, kind=kind, key=str(key)).delete()


def is_following(user, kind: str, key: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and Follow.objects.filter(
        user=user, kind=kind, key=str(key)).exists()
