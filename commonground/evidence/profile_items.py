"""Area profile figures for a pack: a frozen snapshot of one section of the place's profile.

Sections are those of the place page (``places.profiles.area_profile``): ``summary``
(residents and the newest Index of Multiple Deprivation), ``deprivation:<source>`` (every
domain of one IoD edition) and ``table:<source>`` (one Census or population table against the
city). Each figure carries its citation: the published table's title, vintage and licence,
and how the figure was made for this place. Key figures and the newest deprivation section
also freeze a map of the place among its neighbourhoods by IMD decile (``profile_maps``).
"""

from __future__ import annotations

import numpy as np

from commonground.geography.codes import GEOGRAPHY_LABELS, family
from commonground.places.cache import city_state
from commonground.places.profiles import area_profile

from . import citations as c
from .profile_maps import profile_map


class ProfileSectionMissing(LookupError):
    pass


def place_word(geography: str) -> str:
    """ "neighbourhood (LSOA)", "area (MSOA)", "ward"."""
    label = GEOGRAPHY_LABELS.get(family(geography), geography.upper())
    return label[:1].lower() + label[1:]


def choices(geography: str, code: str) -> list[tuple[str, str]]:
    """(key, label) of every profile section the place has."""
    p = area_profile(geography, code)
    out = [("summary", "Key figures: residents and deprivation")]
    out += [(f"deprivation:{d['source']['name']}", d["title"]) for d in p["deprivation"]]
    out += [(f"table:{t['source']['name']}", t["title"]) for t in p["tables"]]
    return out


def snapshot(geography: str, code: str, key: str) -> dict:
    """The section's figures with citations, as plain JSON."""
    state = city_state()
    p = area_profile(geography, code, state)
    kind, _, name = key.partition(":")
    if kind == "summary":
        return _mapped(_summary(p, state), state, geography, code)
    if kind == "deprivation":
        d = next((d for d in p["deprivation"] if d["source"]["name"] == name), None)
        if d is not None:
            return _mapped({"heading": f"{d['title']}: {p['area']['name']}",
                            "figures": _deprivation_figures(p, d),
                            "cites": [_cite(d["source"])]}, state, geography, code, name)
    if kind == "table":
        t = next((t for t in p["tables"] if t["source"]["name"] == name), None)
        if t is not None:
            return {"heading": f"{t['title']}: {p['area']['name']}",
                    "figures": _table_figures(p, t), "cites": [_cite(t["source"])]}
    raise ProfileSectionMissing(f"This place's profile has no section {key!r}.")


def _mapped(snapshot: dict, state, geography: str, code: str, source: str | None = None) -> dict:
    """The snapshot with its IMD map (``profile_maps``) when there is one."""
    m = profile_map(state, geography, code, place_word(geography), source)
    return {**snapshot, "map": m} if m else snapshot


def _cite(source: dict) -> dict:
    return {"kind": "profile", "source": source["name"], "title": source["title"],
            "vintage": source["vintage"], "publisher": source["publisher"],
            "licence": source["licence"]}


def _summary(p: dict, state) -> dict:
    figures, cites = [], []
    pop = state.indicators.get(state.run.population_indicator)
    if pop is not None and p.get("population") is not None:
        source = {"name": pop.source.name, "title": pop.source.title, "vintage": pop.source.vintage,
                  "publisher": pop.source.publisher,
                  "licence": pop.source.licence_title or pop.source.licence_name}
        city_pop = float(np.nansum(state.population))
        method = _how(p, "usual residents")
        figures.append({"label": "Usual residents", "value": c.number(p["population"]),
                        "number": p["population"],
                        "detail": f"of {c.number(city_pop)} in {p['city']['name']}",
                        "citation": c.table_citation(source, method)})
        cites.append(_cite(source))
    if p["deprivation"]:
        newest = p["deprivation"][0]
        figures += _deprivation_figures(p, newest)[:1]
        cites.append(_cite(newest["source"]))
    return {"heading": f"Key figures: {p['area']['name']}", "figures": figures, "cites": cites}


def _how(p: dict, what: str) -> str:
    geography = p["area"]["geography"]
    if not p.get("members"):
        return f"{what} in this {place_word(geography)} as published"
    return (f"{what} summed over the {len(p['members'])} neighbourhoods (LSOA 2021) in this "
            f"{place_word(geography)}")


def _deprivation_figures(p: dict, d: dict) -> list[dict]:
    city = p["city"]["name"]
    source = _cite(d["source"])
    if d["aggregate"]:
        method = ("scores averaged over the place's neighbourhoods weighted by residents "
                  "(Census 2021), as MHCLG does for larger areas; share of residents living in "
                  "neighbourhoods in England's most deprived 20%")
        if d.get("bridge"):
            method += f"; {d['bridge']['how']}"
    else:
        method = "as published for this neighbourhood"
        bridge = d.get("bridge")
        if bridge and bridge.get("from"):
            older = ", ".join(a["name"] for a in bridge["from"])
            method = (f"published for 2011 neighbourhoods: the figures of {older}, which this "
                      "neighbourhood lies in")
    citation = c.table_citation(source, method)
    out = []
    for r in d["rows"]:
        rank = (f"{c.ordinal(r['city_rank'])} most deprived of {r['city_rank_of']} in {city}"
                if r.get("city_rank") else "")
        if d["aggregate"]:
            share = r.get("most_deprived_20pc_share")
            value = f"score {c.rate(r['score'])}" if r.get("score") is not None else c.percent(share)
            detail = "; ".join(x for x in (
                f"{c.percent(share)} of residents in England's most deprived 20%"
                if share is not None and r.get("score") is not None else "", rank) if x)
            number = r.get("score") if r.get("score") is not None else share
        else:
            decile = r.get("decile")
            value = f"decile {c.number(decile)}" if decile is not None else f"score {c.rate(r.get('score'))}"
            parts = []
            if r.get("score") is not None and decile is not None:
                parts.append(f"score {c.rate(r['score'])}")
            if r.get("rank") is not None:
                parts.append(f"rank {c.number(r['rank'])} in England (1 = most deprived)")
            parts.append(rank)
            detail = "; ".join(x for x in parts if x)
            number = decile if decile is not None else r.get("score")
        out.append({"label": r["domain"], "value": value, "number": number, "detail": detail,
                    "citation": citation})
    return out


def _table_figures(p: dict, t: dict) -> list[dict]:
    city = p["city"]["name"]
    method = _how(p, "count") + f"; share of {c.number(t['total'])} {t['unit']}"
    if t.get("bridged"):
        method += "; published on older boundaries and shared out by residents"
    if t.get("caveat"):  # a modelled table (fuel poverty): what it may be used for
        method += f"; {t['caveat']}"
    citation = c.table_citation(_cite(t["source"]), method)
    return [{"label": r["label"], "value": f"{c.number(r['count'])} ({c.percent(r['share'])})",
             "number": r["count"],
             "detail": f"{city}: {c.percent(r['city_share'])} ({c.points(r['difference_pp'])})",
             "citation": citation} for r in t["rows"]]
