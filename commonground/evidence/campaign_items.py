"""Where to knock first in a pack: the warm-homes ranking with the weights the group chose
(``energy.campaign``), frozen. The item's ``source`` is the ranking's query
(``geography=lsoa21&fuel_poverty=40&...``), so refreshing it ranks again with the same weights.

The pack's place leads: its own place and fifth when it is one of the areas ranked, or the
places of its neighbourhoods when it is larger; then the first areas to knock. Every row says
how each factor adds to its priority; the notes carry the weights, the method and the caveat
that fuel poverty is modelled (places are approximate: read the fifths)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from commonground.energy.campaign import FACTORS, WeightError, campaign, weights_query
from commonground.places.cache import city_state

FIRST = 10  # the city's first areas to knock, after the pack's place
OWN = 12  # at most this many of the pack's place's neighbourhoods


def snapshot(geography: str, code: str, source: str) -> dict:
    """Raises ``WeightError`` naming a bad weight or geography in ``source``."""
    given = dict(parse_qsl(source or ""))
    unknown = set(given) - {"geography", *(f.key for f in FACTORS)}
    if unknown:
        raise WeightError("source", f"the ranking has no setting {sorted(unknown)[0]!r}")
    result = campaign(given, given.get("geography") or "")
    rows = result["rows"]
    by_code = {r["code"]: r for r in rows}
    citation = ("Sources: " + "; ".join(f"{f['label']}: {f['source']}" for f in
                                        result["factors"]) + f". Method: {result['method']}")
    own = _own_rows(geography, code, result, by_code)
    short = f"Sources as cited above; weights {result['weights_query']}"
    figures = [_figure(r, result, short, here=True) for r in own]
    figures += [_figure(r, result, short) for r in rows[:FIRST] if r not in own]
    weights = ", ".join(f"{f['label']} {f['weight']} ({f['share_of_weight']}%)"
                        for f in result["factors"])
    sentences = list(result["words"])
    if own:
        sentences.insert(1, _place_words(geography, code, own, result))
    query = f"geography={result['geography']}&{weights_query(result['weights'])}"
    return {"query": query,
            "heading": f"Where to knock first: a warm-homes ranking of the "
                       f"{result['areas_label']} of {result['city']}",
            "sentences": sentences, "citation": citation, "figures": figures,
            "notes": [n for n in [{"title": "Weights", "text": weights},
                      {"title": "How the priority is made", "text": result["method"]},
                      {"title": "Places are approximate", "text": result["approximate"]},
                      {"title": "Fuel poverty is modelled", "text": result["caveat"]},
                      {"title": "Factors this hub lacks", "text": result["missing_note"]}]
                                 if n["text"]],  # a blank caveat or lack: not said
            "cites": [{"kind": "campaign", "query": query, "title": f["label"],
                       "source": f["source"]} for f in result["factors"]]}


def _own_rows(geography: str, code: str, result: dict, by_code: dict) -> list[dict]:
    if geography == result["geography"]:
        return [by_code[code]] if code in by_code else []
    state = city_state()
    if result["geography"] != state.base or geography not in state.profiled:
        return []
    i = state.position(geography).get(code)
    if i is None:
        return []
    at, _ = state.member_row(geography, i)
    codes = {state.base_areas[j].code for j in at}
    return [r for r in result["rows"] if r["code"] in codes][:OWN]


def _place_words(geography: str, code: str, own: list[dict], result: dict) -> str:
    if len(own) == 1 and own[0]["code"] == code:
        r = own[0]
        return (f"{r['name']} is in the {r['band_label']} to knock (place {r['place']} of "
                f"{result['ranked']}, priority {r['priority']} of 100).")
    first = sum(1 for r in own if r["band"] == 1)
    return (f"Of this place's neighbourhoods shown below, {first} of {len(own)} are in the "
            f"first fifth to knock.")


def _figure(r: dict, result: dict, citation: str, *, here: bool = False) -> dict:
    parts = []
    for f, meta in zip(r["factors"], result["factors"], strict=True):
        value = "–" if f["value"] is None else f"{f['value']}{'%' if '%' in f['unit'] else ''}"
        parts.append(f"{meta['label'].lower()} {value} (score {f['score']}, "
                     f"+{f['contribution']})")
    return {"label": f"{'This place: ' if here else ''}{r['name']} ({r['code']})",
            "value": f"place {r['place']}, {r['band_label']}",
            "number": r["priority"],
            "detail": f"priority {r['priority']} of 100 = " + " + ".join(parts),
            "citation": citation}
