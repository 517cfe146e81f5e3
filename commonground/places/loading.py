"""Use case: load (or reload) the city's places and indicators into the database.

The whole folder is read and checked by the pure ``commonground.geography.city`` layer
first; only then is the database replaced, in one transaction. Loading the same folder
twice is a no-op that returns at once (the fingerprint of the files is unchanged).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.conf import settings
from django.db import connection, transaction

from commonground.geography.city import CityData, load_city
from commonground.geography.localities import address_localities
from commonground.geography.parents import surface_points

from . import cache, name_words_store, profile_store
from .models import (
    Area,
    AreaMembership,
    DataSource,
    Indicator,
    IndicatorTable,
    LoadRun,
    PlaceName,
    Postcode,
)

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
        if profile_store.Store.open(latest) is None:  # a load from before stores were kept
            _keep_profile_store(latest)
        if not name_words_store.path(latest).exists():  # nor the names' words
            _keep_name_words(latest)
        return LoadResult(latest, skipped=True)
    city = load_city(data_dir)
    city.place_names.extend(address_localities(city))  # the localities its own addresses name
    with transaction.atomic():
        _clear()
        run = _store(city, str(data_dir), fingerprint)
    del city  # the store below reads the database, as a command does
    transaction.on_commit(cache.clear)
    cache.clear()
    _keep_profile_store(run)
    _keep_name_words(run)
    return LoadResult(run, skipped=False)


def _keep_profile_store(run: LoadRun) -> None:
    """Write the load's profile store (``profile_store``): what a one-area command compares
    against. Not writing it loses nothing but speed: the first profile builds it."""
    try:
        profile_store.build(run)
    except OSError:
        log.warning("The profile store of load %s could not be written: the first "
                    "`commonground places profile` will build it.", run.pk, exc_info=True)


def _keep_name_words(run: LoadRun) -> None:
    """Write the load's names' words (``name_words_store``): what a typo search on the
    command line corrects against. Not writing them loses nothing but speed."""
    try:
        name_words_store.build(run)
    except OSError:
        log.warning("The name words of load %s could not be written: each typo search on the "
                    "command line will read the names.", run.pk, exc_info=True)


def _insert(model, fields: tuple[str, ...], rows: Iterable[tuple]) -> None:
    """Rows straight into ``model``'s table, ``BATCH`` at a time with ``executemany``: making
    a model object per row was most of a national load's time. Values must already be what
    the columns hold (ids for foreign keys, bytes for binary)."""
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({columns}) "  # noqa: S608 (names from the model, quoted)
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    rows = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, BATCH)):
            cursor.executemany(sql, batch)


def _count(table) -> int:
    """Values a table holds: numbers present plus category texts."""
    return int((~np.isnan(table.matrix())).sum()) + sum(len(t) for t in table.text.values())


def _clear() -> None:
    for model in (IndicatorTable, PlaceName, Postcode, AreaMembership, Indicator, Area, DataSource, LoadRun):
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
    areas = 0
    for g, layer in city.layers.items():
        points = surface_points(layer.geometries)
        wkb = shapely.to_wkb(layer.geometries)
        xs, ys = shapely.get_x(points).tolist(), shapely.get_y(points).tolist()
        sizes = shapely.area(layer.geometries).tolist()
        boxes = shapely.bounds(layer.geometries).tolist()
        source_id = sources[layer.resource.name].pk
        _insert(Area, ("geography", "code", "name", "friendly_name", "source", "geometry_wkb",
                       "easting", "northing", "area_m2", "min_easting", "min_northing", "max_easting",
                       "max_northing"),
                ((g, code, layer.names[i] or code, city.friendly_names.get(code, ""), source_id, wkb[i],
                  xs[i], ys[i], sizes[i], *boxes[i]) for i, code in enumerate(layer.codes)))
        areas += len(layer)
    area_id = {(g, code): pk for pk, g, code in Area.objects.values_list("id", "geography", "code")}
    base = city.base_geography
    _insert(AreaMembership, ("parent", "child", "weight", "method"),
            ((area_id[(m.parent_geography, m.parent)], area_id[(base, m.child)], m.weight, m.method[:300])
             for m in city.memberships))
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
    area_of = {code: pk for (g, code), pk in area_id.items() if g == base}
    _insert(Postcode, ("postcode", "compact", "longitude", "latitude", "area", "terminated"),
            ((postcode, postcode.replace(" ", "").upper(), lon, lat, area_of.get(area), terminated)
             for postcode, lon, lat, area, terminated in city.postcodes.rows(BATCH)))
    _insert(PlaceName, ("name", "kind", "area", "easting", "northing", "source"),
            ((p.name[:200], p.kind[:100], area_of[p.area_code], p.easting, p.northing, p.source[:300])
             for p in city.place_names))
    return LoadRun.objects.create(
        data_dir=data_dir, fingerprint=fingerprint, city_name=city.manifest.city_name,
        lad_code=city.manifest.lad_code, authority_codes=list(city.manifest.authority_codes),
        base_geography=base, population_indicator=city.population_indicator,
        summary={"areas": areas, "geographies": {g: len(layer) for g, layer in city.layers.items()},
                 "indicators": len(city.indicators),
                 "values": sum(_count(table) for table in city.values.values()),
                 "postcodes": len(city.postcodes), "memberships": len(city.memberships),
                 "place_names": sum(1 for p in city.place_names if not p.source),
                 "address_localities": len({p.name for p in city.place_names if p.source})},
        mismatches=[{"resource": m.resource, "row": m.row, "code": m.code, "against": m.against,
                     "problem": m.problem} for m in city.mismatches],
    )
