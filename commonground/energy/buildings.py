"""Use case: community buildings as candidates for community-owned solar, ranked.

Candidates are the rows of published datasets about community buildings: datasets in the
themes ``CANDIDATE_THEMES`` (schools, GP practices, libraries...), or tagged
``community-building`` (a group's own list) or ``buildings`` (footprints such as large
roofs). Every row is listed to everyone by name and position, so only datasets whose rows
are public are read (``catalogue.access.rows_are_public``): never records about people,
whatever their tags. A row with a footprint area (a ``footprint_area_m2``-like column) gets
an estimate of what its roof could make (``commonground.solar.buildings``); every row gets
the need around it: residents within 800 m and the share of them in the most deprived fifth
of neighbourhoods in England. Computed once per city load and catalogue state (the
candidates' versions), kept in the load's memo (``CityState.derived``).
"""

from __future__ import annotations

from functools import partial

import numpy as np

from commonground.catalogue.access import public_datasets, rows_are_public
from commonground.catalogue.services.lens import lens_city
from commonground.datastore import query
from commonground.datastore.sqlquote import identifier
from commonground.places.cache import city_state
from commonground.solar.buildings import NEED_RADIUS_M, building_potential, nearby_need

CANDIDATE_THEMES = ("education", "health", "community")
CANDIDATE_TAGS = ("community-building", "buildings")
NAME_COLUMNS = ("name", "establishment_name", "practice_name", "site_name")


def candidate_datasets() -> list:
    """Datasets in the candidate themes or tags whose rows anyone may see, with their
    resources' live versions."""
    themed = (public_datasets().filter(themes__name__in=CANDIDATE_THEMES)
              | public_datasets().filter(tags__name__in=CANDIDATE_TAGS)).distinct()
    return [d for d in themed.select_related("organisation").prefetch_related(
        "resources__current_version") if rows_are_public(d)]


def candidates() -> list[dict]:
    """Every candidate building with its roof estimate (when the roof is known) and need."""
    state = city_state()
    datasets = candidate_datasets()
    versions = [(d, r.current_version) for d in datasets for r in d.resources.all()
                if r.current_version is not None]
    key = tuple(sorted((v.pk, v.sha256) for _, v in versions))
    return state.derived("building candidates", partial(_candidates, state, versions),
                         key=key, keep=1)


def _candidates(state, versions: list) -> list[dict]:
    rows = []
    for dataset, version in versions:
        rows.extend(_rows(dataset, version))
    _add_need(state, rows)
    return rows


def _rows(dataset, version) -> list[dict]:
    names = [c["name"] for c in version.schema]
    name = next((n for n in NAME_COLUMNS if n in names), None)
    area = next((n for n in names if "area_m2" in n.lower()), None)
    columns = query.schema(version.parquet_path)
    have = {c["name"] for c in columns}
    if "_easting" not in have:
        return []
    select = ["_id", "_easting", "_northing",
              f"{identifier(name)}::VARCHAR" if name else "NULL",
              f"TRY_CAST({identifier(area)} AS DOUBLE)" if area else "NULL",
              "_lsoa21" if "_lsoa21" in have else "NULL"]
    with query.reading(version.parquet_path) as (table, params):
        found = query.connection().execute(  # S608: columns quoted above, table from query.reading()
            f"SELECT {', '.join(select)} FROM {table} WHERE _easting IS NOT NULL", params).fetchall()  # noqa: S608
    out = []
    for row_id, x, y, label, footprint, lsoa in found:
        item = {"dataset": dataset.name, "dataset_title": dataset.title, "id": int(row_id),
                "name": label or f"{dataset.title} #{row_id}", "easting": float(x),
                "northing": float(y), "lsoa21": lsoa, "footprint_m2": footprint,
                "potential": None}
        if footprint and footprint > 0:
            item["potential"] = building_potential(float(footprint)).as_dict()
        out.append(item)
    return out


def _add_need(state, rows: list[dict]) -> None:
    if not rows:
        return
    city = lens_city(state)
    dep = city.edition(None) if city.deprivation else None
    people = city.people
    residents = city.population[people.area] * people.share
    deprived = (dep.national_decile[people.area] <= 2) if dep is not None else \
        np.zeros(len(people.area), dtype=bool)
    xy = np.array([(r["easting"], r["northing"]) for r in rows])
    total, share = nearby_need(xy, people.xy, residents, deprived)
    for r, t, s in zip(rows, total, share, strict=True):
        r["residents_nearby"] = int(round(t))
        r["deprived_share_nearby"] = None if not np.isfinite(s) else round(float(s), 3)
    names = {a.code: a.display_name for a in state.base_areas}
    for r in rows:
        r["lsoa21_name"] = names.get(r["lsoa21"] or "")


def ranked(rows: list[dict], by: str = "need") -> list[dict]:
    """Rows ordered by need nearby (then generation), or by generation (then need)."""
    def need(r):
        return r.get("deprived_share_nearby") or 0.0

    def kwh(r):
        return (r["potential"] or {}).get("annual_kwh") or 0.0

    key = (lambda r: (kwh(r), need(r))) if by == "generation" else (lambda r: (need(r), kwh(r)))
    return sorted(rows, key=key, reverse=True)


def find(dataset: str, row_id: int) -> dict | None:
    return next((r for r in candidates() if r["dataset"] == dataset and r["id"] == row_id), None)


RADIUS_M = NEED_RADIUS_M
