"""What places tells the activity kernel (``PlacesConfig.ready``): a place is a thing people
follow, found by its area code."""

from __future__ import annotations

from commonground.activity import things


def place_page(code: str) -> str | None:
    """The page of the area with this code (in the first profiled geography that has it)."""
    from .cache import city_state  # here, not at app loading: it imports SciPy (0.1 s a command)

    state = city_state()
    for geography in state.profiled:
        if (geography, code) in state.areas:
            return f"/places/{geography}/{code}/"
    return None


def register() -> None:
    things.register("place", "Place", page=place_page)
