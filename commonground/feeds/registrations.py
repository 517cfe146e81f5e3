"""What feeds tell the activity kernel (``FeedsConfig.ready``): a feed is a thing people
follow, public while it is published and not private."""

from __future__ import annotations

from django.urls import reverse

from commonground.activity import things


def feed_page(slug: str) -> str | None:
    from .models import Feed

    if not Feed.objects.filter(slug=slug).exists():
        return None
    return reverse("feeds:feed", args=[slug])


def public_feed_slugs():
    from .models import Feed

    return Feed.objects.filter(state=Feed.State.PUBLISHED, private=False).values_list(
        "slug", flat=True)


def register() -> None:
    things.register("feed", "Live feed", page=feed_page, public_keys=public_feed_slugs)
