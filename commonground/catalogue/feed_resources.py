"""Resources that are live feeds, not files (made by ``feeds.catalogue_entry``): kind and
format ``feed``, the feed's page as ``url``, never a version. The catalogue's file paths (rows,
downloads, the lens, the CKAN DataStore) answer for them with where the feed is read."""

from __future__ import annotations

from .models import Resource

FEED = Resource.Kind.FEED  # "feed": Resource.kind and Resource.format of a feed's resource


def is_feed(resource) -> bool:
    return resource.kind == FEED and resource.current_version_id is None


def feed_note(resource) -> str:
    return f"This resource is a live feed, not a file: read it at {resource.url}"
