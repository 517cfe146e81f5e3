"""A dataset's figures for a pack's place: rows in the place, per 1,000 residents, against its
ward and the city, frozen with the dataset version they came from.

Counts are the catalogue's rows per area (``VersionArea``, written once when the version was
ingested) of the dataset's first resource with rows linked to places (the one the lens
reads). For a dataset whose records are withheld (about people, or restricted as a whole:
``Dataset.records_withheld``) they are the live version's disclosure-controlled counts
(``disclosure.public_counts``, as the place pages and the API show them), with no row total
and no count of rows per way of placing them (``docs/DISCLOSURE.md``).
The snapshot also holds the item's map (``maps.dataset_map``), drawn once, when it is taken.
"""

from __future__ import annotations

import numpy as np

from commonground.catalogue.access import public_datasets
from commonground.catalogue.models import Dataset, Resource, Version
from commonground.catalogue.services import lens as lens_service
from commonground.catalogue.services.disclosure import public_counts
from commonground.places.cache import city_state
from commonground.places.profiles import area_profile

from . import citations as c
from . import maps
from .profile_items import place_word

HIDDEN = "hidden (records about people)"
HIDDEN_RESTRICTED = "hidden (small count of restricted data)"


def hidden_label(dataset: Dataset) -> str:
    """What a count hidden by disclosure control is called in the dataset's figures."""
    return HIDDEN if dataset.about_people else HIDDEN_RESTRICTED


def choices() -> list[Dataset]:
    """Datasets a pack may cite: public, with rows linked to places in a live version."""
    live = Resource.objects.filter(dataset__in=public_datasets(),
                                   current_version__isnull=False).select_related("current_version")
    ids = {r.dataset_id for r in live if r.current_version.linked_rows}
    return list(public_datasets().filter(pk__in=ids).select_related("organisation")
                .order_by("title"))


def cite(dataset: Dataset, version: Version) -> dict:
    """What a citation of this dataset version records (enough to fetch it again), and
    whether the dataset said it held records about people and whether its records were
    withheld (so small counts were hidden and no rows drawn) when the figures were taken."""
    return {"kind": "dataset", "dataset": dataset.name, "title": dataset.title,
            "organisation": dataset.organisation.name, "resource": str(version.resource_id),
            "resource_name": version.resource.name, "version": version.number,
            "sha256": version.sha256, "created": version.created.isoformat(),
            "rows": None if dataset.records_withheld else version.row_count,
            "about_people": dataset.about_people,
            "records_withheld": dataset.records_withheld}


def population_source(state) -> str:
    ind = state.indicators.get(state.run.population_indicator)
    return f"{ind.source.title} ({ind.source.vintage})" if ind else "residents unknown"


def snapshot(dataset: Dataset, geography: str, code: str) -> dict:
    """Raises ``lens_service.LensError`` when the dataset has no rows linked to places."""
    _, version = lens_service.choose(dataset)
    state = city_state()
    profile = area_profile(geography, code, state)
    places = [(profile["area"]["name"], geography, code, profile.get("population"))]
    if geography == state.base:
        for parent in profile["parents"]:
            if parent["geography"] == "ward":
                ward = area_profile("ward", parent["code"], state)
                places.append((f"{parent['name']} ward", "ward", parent["code"],
                               ward.get("population")))
    city = profile["city"]["name"]
    places.append((city, "city", "", float(np.nansum(state.population))))
    public = public_counts(version) if dataset.records_withheld else None
    hidden = public.hidden if public else frozenset()
    counts = dict(((g, k), n) for g, k, n in version.areas.filter(
        geography__in=[g for _, g, _, _ in places]).values_list("geography", "code", "rows"))
    counts[("city", "")] = sum(version.areas.filter(geography=state.base)
                               .values_list("rows", flat=True))
    compared = []
    for name, g, k, residents in places:
        rows = public.count(g, k) if public else counts.get((g, k), 0)
        per = 1000 * rows / residents if rows is not None and residents else None
        compared.append({"label": name, "count": rows,
                         "rows": c.number(rows) if rows is not None else hidden_label(dataset),
                         "residents": c.number(residents), "rate": c.rate(per), "value": per})
    here, whole = compared[0], compared[-1]
    reference = cite(dataset, version)
    where = place_word(geography)
    how = c.placing((version.report or {}).get("links", {}).get("by_method", {}),
                    where if geography == state.base else "neighbourhood (LSOA)",
                    counts=not dataset.records_withheld)
    if geography != state.base:
        how += f", each neighbourhood counted in the {where} it lies in (official lookup)"
    rows_cite = c.dataset_citation(reference, how)
    rate_cite = c.dataset_citation(reference, f"{how}; per 1,000 residents, "
                                              f"{population_source(state)}")
    others = "; ".join(f"{p['label']}: {p['rows']}" for p in compared[1:])
    ratio = ""
    if here["value"] is not None and whole["value"]:
        ratio = f" — {c.rate(here['value'] / whole['value'])} times the city's rate"
    return {"heading": f"{dataset.title}: {profile['area']['name']}",
            "figures": [
                {"label": f"Rows in this {where}", "value": here["rows"],
                 "number": here["count"],
                 "detail": others, "citation": rows_cite},
                {"label": "Per 1,000 residents", "value": here["rate"], "number": here["value"],
                 "detail": "; ".join(f"{p['label']}: {p['rate']}" for p in compared[1:]) + ratio,
                 "citation": rate_cite}],
            "comparison": {"unit": "per 1,000 residents", "places": compared,
                           "citation": rate_cite},
            "map": maps.dataset_map(dataset, version, state, geography, code, hidden=hidden,
                                    reference=whole["value"], where=where, citation=rate_cite),
            "cites": [reference]}
