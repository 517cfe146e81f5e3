"""RSS 2.0 and Atom 1.0 feeds of the events about one thing (Django's syndication
framework): ``/feeds/<kind>/<key>.atom`` and ``.rss``."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from . import events, things


class EventFeed(Feed):
    """The 50 newest events about a place, dataset, request, group or consultation."""

    author_name = "Common Ground"

    def get_object(self, request, kind: str, key: str):
        if not things.is_kind(kind):
            raise Http404("No such feed")
        return (kind, key)

    def title(self, obj):
        kind, key = obj
        return f"Common Ground: {things.label(kind).lower()} {key}"

    def link(self, obj):
        """The page of the thing the feed is about (its own address, for a place's code or
        a consultation's number, is found by the following page's link)."""
        kind, key = obj
        return reverse("activity:feed_page", args=[kind, key])

    def description(self, obj):
        return "What has happened, newest first."

    def items(self, obj):
        return events.about(*obj)[:50]

    def item_title(self, item):
        return item.text

    def item_description(self, item):
        return escape(item.text)  # feed readers treat descriptions as HTML

    def item_link(self, item):
        return item.url + f"#event-{item.pk}"

    def item_pubdate(self, item):
        return item.created


class AtomEventFeed(EventFeed):
    feed_type = Atom1Feed
    subtitle = EventFeed.description
