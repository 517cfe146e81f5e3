"""An area's profile in plain words: five to eight short sentences, then its key figures.

Takes the dictionary ``profiles.area_profile`` returns (pure Python: no Django, no NumPy)
and says only what its figures carry, for a reading age of about 11
(``activity.readability.EASY_READ_AGE``):

* **Counts are rounded** to two significant figures and said with "about" ("about 2,000
  people"): Census 2021 counts are perturbed by ONS (cell-key perturbation: small changes
  to protect privacy), so the last digits are not facts.
* **Deprivation** comes from the newest Indices of Deprivation in the profile: for a
  neighbourhood the published national decile of its Index of Multiple Deprivation ("It is
  in the most deprived 40% of areas in England"), the one or two of the seven domains with
  its most deprived national ranks when they are in the more deprived half ("It is most
  deprived in income and in work": where it ranks worst, not a claim about what causes the
  overall index) and its rank in the city; for a larger area the share of its residents
  living in the 20% most deprived neighbourhoods, and its rank among the city's areas of its
  kind (by population-weighted average score, as MHCLG aggregates).
* **A comparison with the city** is said only when the difference is clear: the area's share
  differs from the city's by at least ``CLEAR_POINTS`` percentage points, *and* by at least
  ``CLEAR_RATIO`` of the city's share (a quarter more, or a fifth less), *and* the area's
  count differs from what the city's share would give by at least ``CLEAR_COUNT`` people or
  households, far more than perturbation moves a count. At most three, the clearest first,
  one per table; only Census tables published for the area's own neighbourhoods (not shared
  out from larger areas) and only topics of everyday need (age, housing, cars, heating,
  health, disability, language, work), never identity (ethnic group, religion, sexual
  orientation), which the full tables show.
* **Fuel poverty** (a table of role ``fuel-poverty``: DESNZ's modelled sub-regional
  estimates, households) is never read as a Census table: one sentence says it only when it
  differs clearly from the city by the same rule, and says it is a modelled estimate; the key
  figures always give it, with the city's.
* The last sentence says the figures are close, not exact.
* **At most reading age 11**: while the whole reads above ``EASY_READ_AGE`` by the hub's own
  measure (``activity.readability``), the hardest optional sentence (a comparison or an
  everyday figure) is left out, down to ``MIN_SENTENCES``; the key figures keep it all.

Every phrase comes from ``geography.plain``; a category with no plain phrase is never put
in a sentence. The area's other name (the House of Commons Library's name of an MSOA, which
``records.AreaRecord.display_name`` puts before " — ") is read back from the profile's names.
"""

from __future__ import annotations

import math
import re

from commonground.activity.readability import measure
from commonground.geography.plain import plain, plain_name, topic

#: A difference from the city is clear only when all three hold (see the module docstring).
CLEAR_POINTS = 5.0  # percentage points
CLEAR_RATIO = 1.25  # area share ÷ city share at least this, or at most its inverse
CLEAR_COUNT = 20  # people or households
MAX_COMPARISONS = 3
MIN_SENTENCES, MAX_SENTENCES = 5, 8
#: Census categories a page may describe even when no different from the city, in order.
EVERYDAY = ("Aged 65 years and over", "Aged 15 years and under", "No cars or vans in household",
            "Social rented: Rents from council or Local Authority", "Disabled under the Equality Act",
            "Owned: Owns outright", "Private rented: Private landlord or letting agency",
            "Bad health", "Very bad health", "L15 Full-time students")
#: Tables whose categories describe who people are: shown in the tables, never summarised.
IDENTITY = re.compile(r"ethnic|religion|sexual orientation|\bsex\b", re.I)
OVERALL = "Index of Multiple Deprivation"
#: What to call an area's kind, by the start of its geography code.
KINDS = {"lsoa": ("neighbourhood", "neighbourhoods"), "msoa": ("area", "areas of its size"),
         "ward": ("ward", "wards"), "lad": ("council area", "council areas"), "oa": ("small area", "small areas")}
NAME_JOIN = " — "
TOP_FIFTH = "most deprived 20%"
CLOSE_NOT_EXACT = "Census counts are rounded and a bit changed, to keep each answer private."
#: The role of the modelled fuel poverty table (``profiles.FUEL_POVERTY``) and how it is said.
FUEL_POVERTY = "fuel-poverty"
MODELLED = "modelled estimate"


def describe(profile: dict) -> dict:
    """``{"sentences": [...], "key_figures": [{"label", "value", "city"}], "names": {...}}``
    for one area's profile. Areas too small for figures get none (their page says why)."""
    names = local_names(profile)
    if profile.get("note") and not profile.get("tables"):
        return {"sentences": [], "key_figures": [], "names": names}
    facts = _Facts(profile)
    opening = [s for s in (facts.people(), facts.deprivation(), facts.worst_domains(),
                           facts.city_rank()) if s]
    comparisons = facts.comparisons()
    extra = [s for s in (facts.fuel_poverty(),) if s] + [s for s, _ in comparisons]
    used = {key for _, key in comparisons}
    for sentence, key in facts.everyday():
        if len(opening) + len(extra) >= MAX_SENTENCES - 2:
            break
        if key not in used:
            extra.append(sentence)
            used.add(key)
    closing = [CLOSE_NOT_EXACT] if facts.census else []
    extra = extra[:MAX_SENTENCES - len(opening) - len(closing)]
    return {"sentences": easy_enough(opening, extra, closing), "key_figures": facts.key_figures(),
            "names": names}


def easy_enough(opening: list[str], extra: list[str], closing: list[str]) -> list[str]:
    """``opening + extra + closing``, less the hardest of ``extra`` (by its own reading age)
    while the whole reads above ``EASY_READ_AGE`` and more than ``MIN_SENTENCES`` remain."""
    extra = list(extra)
    while extra and len(opening) + len(extra) + len(closing) > MIN_SENTENCES \
            and not measure(" ".join(opening + extra + closing)).easy:
        extra.remove(max(extra, key=lambda s: measure(s).grade))
    return opening + extra + closing


def labelled(profile: dict) -> dict:
    """The profile's tables with plain words beside the published ones, for the page:
    ``tables`` (each with ``plain_title``, each row with ``plain``), ``deprivation`` (each row
    with ``plain``) and ``classifications`` (each with ``plain_label``). The published label
    stays under its own key, shown on demand."""
    def rows(items, key):
        return [{**r, "plain": plain_name(r[key])} for r in items]
    return {"tables": [{**t, "plain_title": topic(t["title"]), "rows": rows(t["rows"], "label")}
                       for t in profile.get("tables", [])],
            "deprivation": [{**d, "rows": rows(d["rows"], "domain")} for d in profile.get("deprivation", [])],
            "classifications": [{**c, "plain_label": plain_name(c["label"])}
                                for c in profile.get("classifications", [])]}


def local_names(profile: dict) -> dict:
    """``{"own": the area's other name or "", "within": the named area it lies in or "",
    "within_url", "ward": its ward's name or ""}``. An MSOA has its own name; a
    neighbourhood (LSOA) is "part of" its MSOA's name when that MSOA has one (2021, else 2011)."""
    own, _official = split_name(profile["area"]["name"])
    out = {"own": own, "within": "", "within_url": "", "ward": ""}
    parents = profile.get("parents") or []
    for geography in ("msoa21", "msoa11"):
        for p in parents:
            name, _ = split_name(p["name"])
            if p["geography"] == geography and name and p.get("weight", 1) >= 0.5 and not out["within"]:
                out["within"], out["within_url"] = name, p["url"]
    ward = next((p for p in parents if p["geography"] == "ward" and p.get("weight", 1) >= 0.5), None)
    if ward:
        out["ward"] = ward["name"]
    return out


def split_name(display: str) -> tuple[str, str]:
    """``"Bletchley East — Milton Keynes 030"`` → ``("Bletchley East", "Milton Keynes 030")``;
    a name with no other name → ``("", name)`` (the inverse of ``AreaRecord.display_name``)."""
    if NAME_JOIN in display:
        own, official = display.split(NAME_JOIN, 1)
        return own.strip(), official.strip()
    return "", display


def about(n: float) -> str:
    """A count rounded to two significant figures: 1,997 → "2,000", 787 → "790", 8 → "8"."""
    n = float(n)
    if n < 10:
        return str(round(n))
    digits = math.floor(math.log10(n)) - 1
    return f"{round(n, -digits):,.0f}"


def percent(share: float) -> str:
    """0.264 → "26%"; none → "0%"; under half a percent → "less than 1%"."""
    if share <= 0:
        return "0%"
    return "less than 1%" if share < 0.005 else f"{round(share * 100)}%"


def ordinal(n: int) -> str:
    """1 → "1st", 12 → "12th", 43 → "43rd", 12226 → "12,226th"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def subject(unit: str) -> str:
    """The word for a table's unit in a sentence: households, adults or people."""
    unit = (unit or "").lower()
    if unit.startswith("household"):
        return "households"
    return "adults" if "16 and over" in unit else "people"


def _year(title: str) -> str:
    found = re.search(r"(19|20)\d\d", title or "")
    return found.group() if found else ""


class _Facts:
    """What one profile's figures let a page say, sentence by sentence."""

    def __init__(self, profile: dict):
        self.p = profile
        self.city = profile["city"]["name"]
        self.is_city = profile["area"]["code"] == profile["city"].get("code")
        prefix = re.match(r"[a-z]+?(?=\d|$)", profile["area"]["geography"])
        self.kind = KINDS.get(prefix.group() if prefix else "", ("area", "areas of its kind"))
        self.is_neighbourhood = not profile.get("members_total")
        tables = [t for t in profile.get("tables", []) if not t.get("bridged") and t.get("total")]
        self.census = [t for t in tables if t.get("role") != FUEL_POVERTY]
        self.fuel = next((t for t in tables if t.get("role") == FUEL_POVERTY and t["rows"]), None)
        self.dep = next((d for d in profile.get("deprivation", []) if d.get("rows")), None)
        self.overall = next((r for r in self.dep["rows"] if r["domain"] == OVERALL), None) if self.dep else None

    # -- people and deprivation ------------------------------------------------------------
    def households(self) -> float | None:
        return next((t["total"] for t in self.census if subject(t.get("unit", "")) == "households"), None)

    def people(self) -> str:
        people = self.p.get("population")
        if not people:
            return ""
        return f"About {about(people)} people live here."

    def deprivation(self) -> str:
        row = self.overall
        if row is None:
            return ""
        if not self.dep.get("aggregate"):
            decile = row.get("decile")
            if decile is None:
                return ""
            bridge = self.dep.get("bridge") or {}
            who = "The older area it is part of" if bridge.get("from") and not bridge.get("same_code") else "It"
            return f"{who} is in the {_band(int(decile))} of areas in England."
        share = row.get("most_deprived_20pc_share")
        if share is None:
            return ""
        if share < 0.005:
            return f"No one here lives in the {TOP_FIFTH} of areas in England."
        if share > 0.995:
            return f"Everyone here lives in the {TOP_FIFTH} of areas in England."
        return f"About {percent(share)} of people here live in the {TOP_FIFTH} of areas in England."

    def _domains(self) -> list[dict]:
        """The seven domains of the newest index (the rows with a plain phrase), ranked."""
        if not self.dep or self.dep.get("aggregate"):
            return []
        rows = [r for r in self.dep["rows"] if r["domain"] != OVERALL and plain(r["domain"]).phrase
                and r.get("rank") is not None and r.get("decile") is not None]
        return sorted(rows, key=lambda r: r["rank"])

    def worst_domains(self) -> str:
        rows = self._domains()
        if not rows:
            return ""
        deprived = [r for r in rows[:2] if r["decile"] <= 5]
        if not deprived:
            return "It is in England's less deprived half on all seven kinds of need."
        words = " and in ".join(plain(r["domain"]).phrase for r in deprived)
        return f"It is most deprived in {words}."

    def city_rank(self) -> str:
        row = self.overall
        if row is None or self.is_city or not row.get("city_rank") or (row.get("city_rank_of") or 0) < 2:
            return ""
        rank, of = int(row["city_rank"]), int(row["city_rank_of"])
        place = f"the {ordinal(rank)} most deprived" if rank < of else "the least deprived"
        if rank == 1:
            place = "the most deprived"
        return f"It is {place} of {of:,} {self.kind[1]} in {self.city}."

    # -- census ---------------------------------------------------------------------------
    def _rows(self):
        """Census rows a sentence may use: a plain phrase, a share here and in the city."""
        for t in self.census:
            if IDENTITY.search(t.get("title", "")):
                continue
            for r in t["rows"]:
                phrase = plain(r["label"]).phrase
                if phrase and r.get("share") is not None and r.get("count") is not None:
                    yield t, r, phrase

    def comparisons(self) -> list[tuple[str, str]]:
        if self.is_city:
            return []
        clear = []
        for t, r, phrase in self._rows():
            here, there = r["share"], r.get("city_share")
            if not there:
                continue
            if _clear(here, there, r["count"], t["total"]):
                clear.append((abs(here - there) * 100, t, r, phrase))
        out, tables, phrases = [], set(), set()
        for _points, t, r, phrase in sorted(clear, key=lambda c: -c[0]):
            if t["title"] in tables or phrase in phrases or len(out) == MAX_COMPARISONS:
                continue
            tables.add(t["title"])
            phrases.add(phrase)
            more = "More" if r["share"] > r["city_share"] else "Fewer"
            out.append((f"{more} {subject(t['unit'])} here {phrase} ({percent(r['share'])}) than in all of "
                        f"{self.city} ({percent(r['city_share'])}).", r["label"]))
        return out

    def _fuel_row(self) -> dict | None:
        row = self.fuel["rows"][0] if self.fuel else None
        return row if row is not None and row.get("share") is not None else None

    def fuel_poverty(self) -> str:
        """A sentence when the area's share of households in fuel poverty differs clearly
        from the city's (the rule of ``comparisons``), said as a modelled estimate."""
        row = self._fuel_row()
        if row is None or self.is_city or not row.get("city_share") or row.get("count") is None:
            return ""
        here, there = row["share"], row["city_share"]
        if not _clear(here, there, row["count"], self.fuel["total"]):
            return ""
        more = "more" if here > there else "fewer"
        return (f"By a {MODELLED}, {more} homes here are in fuel poverty ({percent(here)}) than in "
                f"all of {self.city} ({percent(there)}).")

    def _everyday_rows(self):
        found = {r["label"]: (t, r, phrase) for t, r, phrase in self._rows()}
        return [found[label] for label in EVERYDAY if label in found]

    def everyday(self) -> list[tuple[str, str]]:
        return [(f"About {percent(r['share'])} of {subject(t['unit'])} here {phrase}.", r["label"])
                for t, r, phrase in self._everyday_rows()]

    def key_figures(self) -> list[dict]:
        out = []
        if self.p.get("population"):
            out.append({"label": "People", "value": f"about {about(self.p['population'])}", "city": ""})
        homes = self.households()
        if homes:
            out.append({"label": "Households", "value": f"about {about(homes)}", "city": ""})
        row = self.overall
        if row is not None and not self.dep.get("aggregate") and row.get("decile") is not None:
            out.append({"label": f"Deprivation ({_year(self.dep['title'])})",
                        "value": f"in the {_band(int(row['decile']))} of areas in England",
                        "city": f"{ordinal(int(row['city_rank']))} most deprived of {int(row['city_rank_of']):,} "
                                f"in {self.city}" if row.get("city_rank") else ""})
        elif row is not None and row.get("most_deprived_20pc_share") is not None:
            ranked = not self.is_city and (row.get("city_rank_of") or 0) >= 2 and row.get("city_rank")
            out.append({"label": f"People in the {TOP_FIFTH} of areas in England ({_year(self.dep['title'])})",
                        "value": percent(row["most_deprived_20pc_share"]),
                        "city": f"{ordinal(int(row['city_rank']))} most deprived of {int(row['city_rank_of']):,} "
                                f"{self.kind[1]} in {self.city}" if ranked else ""})
        fuel = self._fuel_row()
        if fuel is not None:
            out.append({"label": f"Households in fuel poverty ({MODELLED})", "value": percent(fuel["share"]),
                        "city": "" if self.is_city or fuel.get("city_share") is None
                        else f"{percent(fuel['city_share'])} in {self.city}"})
        for t, r, _phrase in self._everyday_rows()[:4]:
            out.append({"label": f"{subject(t['unit']).capitalize()}: {plain_name(r['label']).lower()}",
                        "value": percent(r["share"]),
                        "city": "" if self.is_city else f"{percent(r['city_share'])} in {self.city}"})
        return out


def _clear(here: float, there: float, count: float, total: float) -> bool:
    """A share ``here`` (of ``total``, ``count`` of them) differs clearly from the city's
    ``there`` (see the module docstring)."""
    return (abs(here - there) * 100 >= CLEAR_POINTS
            and (here / there >= CLEAR_RATIO or here / there <= 1 / CLEAR_RATIO)
            and abs(count - total * there) >= CLEAR_COUNT)


def _band(decile: int) -> str:
    """A national decile in words: 4 → "most deprived 40%", 8 → "least deprived 30%"."""
    return f"most deprived {decile * 10}%" if decile <= 5 else f"least deprived {(11 - decile) * 10}%"
