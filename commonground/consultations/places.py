"""The places a consultation is about: typed names or codes to area codes, and back."""

from __future__ import annotations

from commonground.places import names


def check(text: str) -> list[str]:
    """Comma-separated ward or area names or codes as area codes; raises
    ``places.names.PlaceError`` (``.field == "places"``) for an unknown place."""
    return names.check_places(text)


def records(codes) -> list:
    """The city's area records for ``codes`` (profiled geographies), in the order given."""
    from commonground.places.cache import city_state  # here, not at app loading: SciPy, shapely

    state = city_state()
    found = {code: record for (geography, code), record in state.areas.items()
             if code in set(codes) and geography in state.profiled}
    return [found[code] for code in codes if code in found]


def typed(codes) -> str:
    """``codes`` as the comma-separated names a form shows (the inverse of ``check``: a
    name that would mean another area is given as its code)."""
    return ", ".join(r.name if _means(r.name, r.code) else r.code for r in records(codes))


def _means(name: str, code: str) -> bool:
    try:
        return check(name) == [code]
    except names.PlaceError:
        return False
