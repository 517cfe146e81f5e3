"""A home's heat options, for the page, the API and the CLI alike: ``commonground.heat``'s
answer for the household, what is theirs to do and what is their landlord's, plain-words
sentences (reading age about 11), a link to the solar estimate for the same kind of home, and
the hub's local offers that match the household (``matching``'s rule, as the solar options use),
each shown beside the option it is for (``Offer.measures``: a heat pump offer beside the heat
pump, an insulation offer beside that insulation, a solar offer under solar).

One call, one dict: ``heat_options(answers)``. Bad answers raise ``HeatInputError`` (naming
the field) or, for the optional postcode, ``services.HomeInputError``; nothing is stored.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.urls import reverse

from commonground.heat import HeatInputError, household, options
from commonground.heat.schemes import CLOSED, LANDLORD, MAY, NO

from .matching import SOLAR_MEASURES, Circumstances, match, measures_words
from .models import Offer
from .offers import circumstances, facts, offer_summary

#: The answers a household gives, as the form, the API and the CLI name them.
ANSWERS = ("home_type", "heating", "tenure", "benefits", "epc_band", "council_tax_band",
           "name_on_electricity_bill", "annual_fuel_kwh", "postcode")

#: The options this page suggests, by ``commonground.heat``'s keys, and the offer measure
#: (``matching.MEASURES``) that serves each: work on the home, then heat pumps by kind.
MEASURE_FOR = {"loft_top_up": "loft_insulation", "cavity_wall": "cavity_wall_insulation",
               "solid_wall": "solid_wall_insulation", "draught_proofing": "draught_proofing"}
HEAT_PUMP_FOR = {"air": "air_source_heat_pump", "ground": "ground_source_heat_pump"}
HEAT_PUMP_LABELS = {"air": "Air-source heat pump", "ground": "Ground-source heat pump"}
NOT_HEAT = ("It is for solar power, not heating: it is listed under solar panels because it "
            "fits you.")

TENURE_WORDS = {"owner": "You own it",
                "social_renter": "You rent it from the council or a housing association",
                "private_renter": "You rent it from a private landlord or letting agency"}

#: Whose a scheme is, by its status.
SCHEME_WHOSE = {MAY: "yours", LANDLORD: "landlord", NO: "not_open", CLOSED: "not_open"}


def _money(pair) -> str:
    low, high = (round(v) for v in pair)
    return f"£{low:,}" if low == high else f"£{low:,} to £{high:,}"


#: Measures a tenant can do themselves (``heat.measures``: draught-proofing is "yours, renting
#: or owning"); every other change to a rented home is the landlord's decision.
TENANT_CAN = frozenset({"draught_proofing"})


def _whose_measure(measure, tenure: str) -> str:
    if not measure.applies:
        return "not_open"
    return "yours" if tenure == "owner" or measure.key in TENANT_CAN else "landlord"


def _words(data: dict, mine: dict) -> list[str]:
    """The options (``Options.as_dict``) in short sentences, most useful first."""
    home = data["household"]
    measures = {m["key"]: m for m in data["measures"]}
    said = [f"Your home: a {home['home_label'].lower()}, heated by "
            f"{data['current_heating']['label'].lower()}. {TENURE_WORDS[home['tenure']]}."]
    for key in mine["measures"]["yours"]:
        m = measures[key]
        saving = (f" and could save about {_money(m['saving_gbp_per_year'])} a year"
                  if m["saving_gbp_per_year"] else "")
        said.append(f"You can do this: {m['label'].lower()}. It costs about "
                    f"{_money(m['cost_gbp'])}{saving}.")
    landlord = [measures[key]["label"].lower() for key in mine["measures"]["landlord"]]
    if landlord:
        said.append("Your landlord decides on: " + "; ".join(landlord) + ".")
    for pump in data["heat_pumps"][:1]:
        run, now = pump["running_cost_gbp"], pump["current_cost_gbp"]
        against = (f", against about {_money((now['low'], now['high']))} for your heating "
                   "now" if now else "")
        said.append(f"An air-source heat pump ({pump['size_kw']:g} kW) would cost about "
                    f"{_money((run['low'], run['high']))} a year to run{against}. It costs "
                    f"{_money(pump['install_cost_gbp'])} to fit.")
    schemes = {s["key"]: s for s in data["schemes"]}
    for whose, start in (("yours", "You may qualify for"),
                         ("landlord", "Your landlord may apply for")):
        names = [schemes[key]["name"] for key in mine["schemes"][whose]]
        if names:
            said.append(f"{start}: " + ", ".join(names) + ".")
    return said


def _offers(home, postcode: str, data: dict) -> dict:
    """The hub's open offers that fit the household (``matching.fits``/``match``), each put
    beside the options of ``data`` (``Options.as_dict``) it is for: ``data``'s measures and
    heat pumps gain ``offers``. Without a postcode only offers for the whole city can fit."""
    tenure = "own" if home.tenure == "owner" else "rent"
    kind_of_home = "flat" if home.home_type == "flat" else "house"
    low_income = bool(home.benefits)  # a means-tested benefit; not said: not counted
    if postcode:
        place, who = circumstances(postcode, tenure, kind_of_home, low_income)
        where = {"postcode": place["postcode"], "name": place["name"],
                 "code": place["area"]["code"]}
    else:
        who, where = Circumstances(tenure, kind_of_home, low_income), None
    # the household said how it is heated: an offer for homes on (or off) mains gas fits or
    # not; no central heating says nothing of a gas supply (the offer is shown, to check)
    who = replace(who, heating={"gas": "mains_gas", "none": None}.get(home.heating, "off_gas"))
    rows = {o.pk: o for o in Offer.objects.filter(active=True).select_related("organisation")}
    found = match(who, [facts(o) for o in rows.values()])
    # the options suggested for this home, each with the offer measure that serves it
    options_here = [(m, MEASURE_FOR[m["key"]], m["label"]) for m in data["measures"]
                    if m["applies"] and m["key"] in MEASURE_FOR]
    options_here += [(p, HEAT_PUMP_FOR[p["kind"]], HEAT_PUMP_LABELS[p["kind"]])
                     for p in data["heat_pumps"] if p["kind"] in HEAT_PUMP_FOR]
    for option in data["measures"] + data["heat_pumps"]:
        option["offers"] = []  # the offers shown beside it
    matched, solar = [], []
    for m in found:
        row = rows[m.offer.id]
        offer = {**offer_summary(row), "reasons": list(m.reasons)}
        ref = {"id": row.pk, "title": row.title, "organisation": row.organisation.name}
        beside = []
        for option, measure, label in options_here:
            if measure in m.offer.measures:
                option["offers"].append(ref)
                beside.append(label)
        is_solar = bool(m.offer.measures & SOLAR_MEASURES)
        offer.update(for_heat=bool(beside), beside=beside, for_solar=is_solar,
                     heat=_heat_words(m.offer.measures, beside, row.organisation.name))
        matched.append(offer)
        if is_solar:
            solar.append(ref)
    notes = []
    if where is None:
        notes.append("Give your postcode to see offers for your neighbourhood too; without "
                     "it only offers for the whole city are shown.")
    if home.benefits is None:
        notes.append("You did not say whether you get a benefit, so offers only for "
                     "households on a low income are not shown.")
    carried = {"postcode": where["postcode"], "tenure": tenure, "home": kind_of_home,
               "low_income": "1" if low_income else ""} if where else {}
    return {"place": where, "as": {"tenure": tenure, "home": kind_of_home,
                                   "low_income": low_income},
            "offers": matched, "solar": solar, "notes": notes,
            "register_link": reverse("energy:options") + (
                "?" + urlencode({k: v for k, v in carried.items() if v}) if carried else "")}


def _heat_words(measures: frozenset[str], beside: list[str], organisation: str) -> str:
    """What an offer means for this home's heat, from what it says it is for."""
    if beside:
        return "It is for " + measures_words(measures) + ": shown beside " + \
            "; ".join(label.lower() for label in beside) + " above."
    if not measures:
        return f"It does not say what it is for: read it, or ask {organisation}."
    if measures <= SOLAR_MEASURES:
        return NOT_HEAT
    return (f"It is for {measures_words(measures)}, which is not among the options for your "
            "home above: read it to check.")


def heat_options(answers: dict, on=None) -> dict:
    """Everything a household's heat options page shows, from its answers (strings as a form
    sends them; ``benefits`` a list; every key of ``ANSWERS`` but the first three optional)."""
    unknown = sorted(set(answers) - set(ANSWERS))
    if unknown:
        raise HeatInputError(unknown[0], f"is not a question asked here; the answers are "
                                         f"{', '.join(ANSWERS)}")
    asked = {k: answers.get(k) for k in ANSWERS if k != "postcode"}
    checked = household(**{**asked, **{k: asked[k] or "" for k in ANSWERS[:3]}})
    found = options(checked, on=on)
    mine = {"measures": {w: [m.key for m in found.measures
                                      if _whose_measure(m, checked.tenure) == w]
                         for w in ("yours", "landlord", "not_open")},
            "schemes": {w: [s.key for s in found.schemes if SCHEME_WHOSE[s.status] == w]
                        for w in ("yours", "landlord", "not_open")}}
    postcode = (answers.get("postcode") or "").strip()
    solar_query = {"home_type": checked.home_type, "postcode": postcode,
                   "tenure": "own" if checked.tenure == "owner" else "rent"}
    data = found.as_dict()
    local = _offers(checked, postcode, data)
    return {**data, "words": _words(data, mine), "whose": mine,
            "solar": {"link": reverse("energy:home") + "?" + urlencode(
                          {k: v for k, v in solar_query.items() if v}),
                      "words": ("In a flat the roof is the building's: solar there is a "
                                "shared or community project." if checked.home_type == "flat"
                                else "Solar panels on your roof: see what they could make "
                                     "and save."),
                      "offers": local.pop("solar")},
            "local": local}
