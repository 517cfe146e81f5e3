"""The page of each kind of thing people follow, from its kind and key."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from commonground.places.cache import city_state


def page_of(kind: str, key: str) -> str | None:
    """The address of the followed thing's page, or None when there is no such thing."""
    try:
        if kind == "place":
            state = city_state()
            for geography in state.profiled:
                if (geography, key) in state.areas:
                    return f"/places/{geography}/{key}/"
            return None
        if kind == "dataset":
            return reverse("catalogue:dataset", args=[key])
        if kind == "request":
            return reverse("community:request", args=[int(key)])
        if kind == "group":
            return reverse("community:group", args=[key])
        if kind == "consultation":
            return reverse("consultations:detail", args=[int(key)])
    except (NoReverseMatch, ValueError):
        return None
    return None
