"""How a pack's numbers are written and cited, in plain words (pure: no Django).

A citation says where a number comes from precisely enough to make it again: a dataset's
name, version, checksum and date with the method, or a published table's title and vintage
with how it was aggregated. The snapshot stores the finished sentences, so the web page and
the PDF print exactly the same words.
"""

from __future__ import annotations

from datetime import datetime

DASH = "–"


def number(value, digits: int = 0) -> str:
    """1234.0 → "1,234"; None → "–"."""
    if value is None:
        return DASH
    return f"{float(value):,.{digits}f}"


def rate(value) -> str:
    """A rate as people read it: 1.05, 12.3, 1,234."""
    if value is None:
        return DASH
    v = float(value)
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.1f}" if abs(v) >= 10 else f"{v:.2f}"


def percent(share, digits: int = 1) -> str:
    """0.1234 → "12.3%"."""
    return DASH if share is None else f"{100 * float(share):.{digits}f}%"


def points(value) -> str:
    """Percentage points with a sign: 2.34 → "+2.3 points"."""
    if value is None:
        return DASH
    rounded = round(float(value), 1) + 0.0
    return "0.0 points" if rounded == 0 else f"{rounded:+.1f} points"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def day(iso: str | None) -> str:
    """An ISO timestamp as a date people write: "12 Mar 2026"."""
    if not iso:
        return DASH
    d = datetime.fromisoformat(iso)
    return f"{d.day} {d:%b %Y}"


def dataset_citation(cite: dict, method: str) -> str:
    """ "Source: EV charge points, version 2 (sha256 1a2b3c4d…, 12 Mar 2026); method: …" """
    return (f"Source: {cite['title']}, version {cite['version']} (sha256 "
            f"{cite['sha256'][:8]}…, {day(cite['created'])}); method: {method}")


def table_citation(cite: dict, method: str) -> str:
    """ "Source: Census 2021 TS054: tenure (Census 2021, LSOA 2021), ONS …; method: …" """
    licence = f"; {cite['licence']}" if cite.get("licence") else ""
    return f"Source: {cite['title']} ({cite['vintage']}){licence}; method: {method}"


LINKED_BY = {"coordinates": "their coordinates",
             "geometry": "their shapes (a point on each shape's surface)",
             "postcode": "their postcodes", "area code": "the area codes they carry"}


def placing(by_method: dict[str, int], where: str, *, counts: bool = True) -> str:
    """How rows were placed in an area, from the ingest report's link counts: "rows placed in
    the neighbourhood (LSOA) by their coordinates". ``counts=False`` leaves out how many rows
    each way placed (records about people: those are counts no disclosure control saw)."""
    used = sorted(((n, m) for m, n in (by_method or {}).items() if n), reverse=True)
    if not used:
        return f"rows placed in the {where} by the catalogue's place linking"
    if len(used) == 1:
        return f"rows placed in the {where} by {LINKED_BY.get(used[0][1], used[0][1])}"
    if not counts:
        used = sorted((0, m) for _, m in used)
    parts = [f"{LINKED_BY.get(m, m)}" + (f" ({n:,} rows)" if counts else "") for n, m in used]
    return f"rows placed in the {where} by " + ", ".join(parts[:-1]) + f" or {parts[-1]}"
