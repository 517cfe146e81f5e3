"""The pages of what a person follows: their notifications, follow and stop following, how
often they get a digest, and the page of a followed thing (thin: parse, call ``events``,
render)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import events, things
from .models import DigestChoice, Notification, Preferences


def notifications(request):
    """The person's notifications; "Mark all as read" is a POST (a GET changes nothing)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        Notification.objects.filter(user=request.user, read=False).update(read=True)
        return redirect("activity:notifications")
    items = list(request.user.notifications.all()[:100])
    return render(request, "activity/notifications.html",
                  {"items": items, "unread": sum(not n.read for n in items)})


@require_POST
def follow(request):
    kind, key = request.POST.get("kind", ""), request.POST.get("key", "").strip()
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "/following/"
    if not request.user.is_authenticated:
        return redirect_to_login(back)
    if not things.is_kind(kind) or not key:
        return HttpResponseBadRequest(f"Follow what? Give a kind ({_kinds()}) and a key.")
    if request.POST.get("stop"):
        events.unfollow(request.user, kind, key)
    else:
        events.follow(request.user, kind, key)
    return redirect(back)


def following(request):
    """What the person follows, and how often they want an email digest."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    preferences, _ = Preferences.objects.get_or_create(user=request.user)
    saved = False
    if request.method == "POST":
        if request.POST.get("digest") not in DigestChoice.values:
            return HttpResponseBadRequest("Digest: choose never, daily or weekly")
        preferences.digest = request.POST["digest"]
        preferences.save(update_fields=["digest"])
        saved = True
    return render(request, "activity/following.html", {
        "items": request.user.follows.order_by("kind", "key"), "preferences": preferences,
        "choices": DigestChoice.choices, "saved": saved,
        "has_email": bool(request.user.email)})


def thing_page(request, kind: str, key: str):
    """``/follows/<kind>/<key>/``: the page of a followed thing (feeds link here)."""
    page = things.page_of(kind, key)
    if page is None:
        raise Http404("No such thing to follow")
    return redirect(page)


def _kinds() -> str:
    """The kinds of things to follow, in words: "place, dataset, request or group"."""
    names = [kind.name for kind in things.kinds()]
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
