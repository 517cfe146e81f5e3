"""Places typed in a form (names or codes, comma-separated) as the city's area codes: the
one rule every form that names places uses (data requests, consultations, evidence packs)."""

from __future__ import annotations

from commonground.activity.inputs import FieldError


class PlaceError(FieldError):
    """A typed place that is not a place of the city (``field`` is the form's)."""


def check_places(text: str) -> list[str]:
    """Place names or codes, comma-separated, as area codes of the city (any geography; a
    name shared by a ward and a neighbourhood means the ward)."""
    from .cache import city_state  # here, not at app loading: it imports SciPy and shapely

    state = city_state()
    by_name = {}
    # a name shared by several areas means the ward first, then the largest area
    order = sorted(state.profiled, key=lambda g: (g != "ward", len(state.by_geography[g])))
    for geography in order:
        for record in state.by_geography[geography]:
            by_name.setdefault(record.name.casefold(), record.code)
            if record.friendly_name:
                by_name.setdefault(record.friendly_name.casefold(), record.code)
    codes = {code for (_, code) in state.areas}
    out = []
    for part in (p.strip() for p in (text or "").split(",")):
        if not part:
            continue
        code = part.upper() if part.upper() in codes else by_name.get(part.casefold())
        if code is None:
            raise PlaceError("places", f"Places: “{part[:60]}” is not a place in "
                                       f"{state.run.city_name} (use a ward or area name or "
                                       "code)")
        out.append(code)
    return list(dict.fromkeys(out))
