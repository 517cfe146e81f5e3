"""What community tells the activity kernel (``CommunityConfig.ready``): data requests and
groups are things people follow."""

from __future__ import annotations

from django.urls import reverse

from commonground.activity import things


def request_page(key: str) -> str:
    return reverse("community:request", args=[int(key)])


def group_page(slug: str) -> str:
    return reverse("community:group", args=[slug])


def register() -> None:
    things.register("request", "Data request", page=request_page)
    things.register("group", "Group", page=group_page)
