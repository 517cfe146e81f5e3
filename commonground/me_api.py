"""The signed-in person's follows and notifications as JSON (django-ninja, mounted at
``/api/me``). Only ever the caller's own: there is no way to name another person, so another
person's notifications cannot be asked for. Anonymous callers get 401. Following takes a kind
the hub registers (``things``: dataset, group, place, request, consultation ...) and a key,
as the follow buttons of the pages do. Who calls, CSRF for changes by the session, and the 422
shape: ``commonground.apiauth``.
"""

from __future__ import annotations

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status

from commonground.activity import events, things
from commonground.activity.models import Follow, Notification
from commonground.apiauth import NO_NUL, SIGNED_IN, Body, Page, PageParams, invalid, page
from commonground.apierrors import errors

router = Router(tags=["me"], auth=SIGNED_IN)


class NotificationOut(Schema):
    id: int
    text: str
    url: str
    read: bool
    created: datetime


class NotificationPage(Page):
    unread: int = Field(description="How many of all the caller's notifications are unread")
    notifications: list[NotificationOut]


class NotificationParams(PageParams):
    unread: bool = Field(False, description="Only the unread ones")


class MarkRead(Body):
    ids: list[int] | None = Field(None, max_length=10000,
                                  description="These notifications (none given: all of them)")


class Marked(Schema):
    marked: int = Field(description="How many were unread and are now read")


class FollowOut(Schema):
    kind: str
    label: str = Field(description="What pages call the kind")
    key: str
    page: str | None = Field(description="The followed thing's page, if it still has one")
    created: datetime


class FollowPage(Page):
    follows: list[FollowOut]


class FollowIn(Body):
    kind: str = Field(..., max_length=16, description="dataset, group, place, request, "
                                                      "consultation, ... (what pages follow)")
    key: str = Field(..., min_length=1, max_length=100,
                     description="The thing's name, slug, code or number")


def _follow(request, f: Follow) -> dict:
    where = things.page_of(f.kind, f.key)
    return {"kind": f.kind, "label": things.label(f.kind), "key": f.key,
            "page": request.build_absolute_uri(where) if where else None,
            "created": f.created}


@router.get("/notifications", response=NotificationPage, openapi_extra=errors(401, 422),
            summary="Your notifications, newest first")
def notification_list(request, params: Query[NotificationParams]):
    mine = Notification.objects.filter(user=request.auth).order_by("-created", "-pk")
    unread = mine.filter(read=False)
    counts, rows = page(unread if params.unread else mine, params)
    return {**counts, "unread": unread.count(),
            "notifications": [{"id": n.pk, "text": n.text, "url": n.url, "read": n.read,
                               "created": n.created} for n in rows]}


@router.post("/notifications/read", response=Marked, openapi_extra=errors(401, 403, 422),
             summary="Mark your notifications as read (all, or the ids given)")
def notifications_read(request, body: MarkRead):
    """Ids that are not the caller's notifications are left alone (and not counted)."""
    mine = Notification.objects.filter(user=request.auth, read=False)
    if body.ids is not None:
        mine = mine.filter(pk__in=body.ids)
    return {"marked": mine.update(read=True)}


@router.get("/follows", response=FollowPage, openapi_extra=errors(401, 422),
            summary="What you follow")
def follow_list(request, params: Query[PageParams]):
    counts, rows = page(Follow.objects.filter(user=request.auth).order_by("kind", "key"),
                        params)
    return {**counts, "follows": [_follow(request, f) for f in rows]}


@router.post("/follows", response={200: FollowOut, 201: FollowOut},
             openapi_extra=errors(401, 403, 422), summary="Follow something")
def follow(request, body: FollowIn):
    """201 when new, 200 when already followed; 422 for a kind the hub does not have."""
    if not things.is_kind(body.kind):
        raise invalid("kind", "Kind: follow one of " + ", ".join(
            sorted(k.name for k in things.kinds())))
    key = body.key.strip()
    if not key:
        raise invalid("key", "Key: name the thing to follow")
    new = events.follow(request.auth, body.kind, key)
    made = Follow.objects.get(user=request.auth, kind=body.kind, key=key[:100])
    return Status(201 if new else 200, _follow(request, made))


@router.delete("/follows/{kind}/{key}", response={204: None},
               openapi_extra=errors(401, 403, 404, 422), summary="Stop following something")
def unfollow(request, kind: str = Path(..., pattern=NO_NUL),
             key: str = Path(..., pattern=NO_NUL)):
    """404 when the caller does not follow it."""
    get_object_or_404(Follow, user=request.auth, kind=kind, key=key)
    events.unfollow(request.auth, kind, key)
    return Status(204, None)
