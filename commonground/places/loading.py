"""Use case: load (or reload) the city's places and indicators into the database.

The whole folder is read and checked by the pure ``commonground.geography.city`` layer
first; only then is the database replaced, in one transaction. Loading the same folder
twice is a no-op that returns at once (the fingerprint of the files is unchanged).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import transaction

from commonground.geography.city import CityData, load_city
from commonground.geography.parents import surface_points

from . import cache
from .models import Area, AreaMembership, DataSource, Indicator, IndicatorTable, LoadRun, Postcode

log = logging.getLogger(__name__)
BATCH = 2000


@dataclass(frozen=True)
class LoadResult:
    run: LoadRun
    skipped: bool  # True when the folder was already loaded unchanged

    def describe(self) -> str:
        s = self.run.summary
        if self.skipped:
            return f"{self.run.city_name}: already loaded from {self.run.data_dir} (no file changed)."
        return (f"{self.run.city_name}: loaded {s['areas']} areas in {len(s['geographies'])} geographies, "
                f"{s['indicators']} indicators, {s['values']} values, {s['postcodes']} postcodes; "
                f"{len(self.run.mismatches)} mismatches between files.")


def load_places(data_dir: str | Path | None = None, *, force: bool = False) -> LoadResult:
    """Load the data folder (default ``settings.COMMONGROUND_DATA``); raise ``DataError`` if bad."""
    from commonground.geography.manifest import load_manifest

    data_dir = Path(data_dir or settings.COMMONGROUND_DATA)
    fingerprint = load_manifest(data_dir).fingerprint()
    latest = LoadRun.objects.order_by("-started", "-id").first()
    if latest and not force and latest.fingerprint == fingerprint and latest.data_dir == str(data_dir):
        return LoadResult(latest, skipped=True)
    city = load_city(data_dir)
    with transaction.atomic():
        _clear()
        run = _store(city, str(data_dir), fingerprint)
    transaction.on_commit(cache.clear)
    cache.clear()
    return LoadResult(run, skipped=False)


def _count(table) -> int:
    """Values a table holds: numbers present plus category texts."""
    return int((~np.isnan(table.matrix())).sum()) + sum(len(t) for t in table.text.values())


def _clear() -> None:
    for model in (IndicatorTable, Postcode, AreaMembership, Indicator, Area, DataSource, LoadRun):
        model.objects.all().delete()


def _store(city: CityData, data_dir: str, fingerprint: str) -> LoadRun:
    sources = {}
    for r in city.manifest.resources:
        licence = r.licence
        sources[r.name] = DataSource.objects.create(
            name=r.name, title=r.title, role=r.role, geography=r.geography, path=r.path,
            vintage=r.vintage, publisher=r.source_text, description=r.description,
            licence_name=licence.name if licence else "", licence_title=licence.title if licence else "",
            licence_url=licence.path if licence else "",
        )
    areas = []
    for g, layer in city.layers.items():
        points = surface_points(layer.geometries)
        wkb = shapely.to_wkb(layer.geometries)
        xs, ys = shapely.get_x(points), shapely.get_y(points)
        sizes = shapely.area(layer.geometries)
        for i, code in enumerate(layer.codes):
            areas.append(Area(geography=g, code=code, name=layer.names[i] or code,
                              friendly_name=city.friendly_names.get(code, ""),
                              source=sources[layer.resource.name], geometry_wkb=wkb[i],
                              easting=float(xs[i]), northing=float(ys[i]), area_m2=float(sizes[i])))
    Area.objects.bulk_create(areas, batch_size=BATCH)
    area_id = {(a.geography, a.code): a.pk for a in Area.objects.only("id", "geography", "code")}
    base = city.base_geography
    AreaMembership.objects.bulk_create(
        [AreaMembership(parent_id=area_id[(m.parent_geography, m.parent)], child_id=area_id[(base, m.child)],
                        weight=m.weight, method=m.method[:300]) for m in city.memberships],
        batch_size=BATCH)
    indicators = Indicator.objects.bulk_create(
        [Indicator(key=d.key, source=sources[d.source], column=d.column, label=d.label[:300],
                   topic=d.topic[:300], kind=d.kind, unit=d.unit, polarity=d.polarity,
                   definition=d.definition, order=d.order, period=d.period[:50])
         for d in city.indicators], batch_size=BATCH)
    by_key = {i.key: i for i in Indicator.objects.only("id", "key")}
    with_denominator = []
    for d, indicator in zip(city.indicators, indicators, strict=True):
        if d.denominator in by_key:
            indicator.pk, indicator.denominator_id = by_key[d.key].pk, by_key[d.denominator].pk
            with_denominator.append(indicator)
    Indicator.objects.bulk_update(with_denominator, ["denominator"], batch_size=BATCH)
    for g, table in city.values.items():
        IndicatorTable.objects.create(geography=g, codes=table.codes, keys=table.keys, text=table.text,
                                      matrix_npy=IndicatorTable.to_npy(table.matrix()))
    Postcode.objects.bulk_create(
        [Postcode(postcode=p.postcode, compact=p.postcode.replace(" ", "").upper(), longitude=p.lon,
                  latitude=p.lat, area_id=area_id.get((base, p.area_code)), terminated=p.terminated)
         for p in city.postcodes],
        batch_size=BATCH)
    return LoadRun.objects.create(
        data_dir=data_dir, fingerprint=fingerprint, city_name=city.manifest.city_name,
        lad_code=city.manifest.lad_code, authority_codes=list(city.manifest.authority_codes),
        base_geography=base, population_indicator=city.population_indicator,
        summary={"areas": len(areas), "geographies": {g: len(layer) for g, layer in city.layers.items()},
                 "indicators": len(city.indicators),
                 "values": sum(_count(table) for table in city.values.values()),
                 "postcodes": len(city.postcodes), "memberships": len(city.memberships)},
        mismatches=[{"resource": m.resource, "row": m.row, "code": m.code, "against": m.against,
                     "problem": m.problem} for m in city.mismatches],
    )
