"""Where datasets are: ``dct:spatial`` of the DCAT-AP catalogue, as ONS geographies.

A dataset covers the local authority districts its live versions' rows fall in (the rows per
area counted at ingest, ``VersionArea``: an authority's own count, else its base areas',
each in its authority). The hub's whole area (the codes the data package names: a district,
a county, a country) stands instead when that says as much: when the rows are in every
authority of the hub, when none is placed, and always for a dataset whose records are
withheld, so the catalogue tells nothing about where its rows are that the disclosure
control would not.

Each place is its ONS statistical-geography IRI (http://statistics.data.gov.uk/id/
statistical-geography/E06000042 for Milton Keynes), a ``dct:Location`` with its name,
``dcat:bbox`` and ``dcat:centroid`` as GeoSPARQL WKT in WGS84 longitude/latitude (CRS84, the
default of ``geo:wktLiteral``), read from the hub's boundaries (British National Grid)
without reading a boundary itself: the box is the boundary's grid box turned to degrees (it
holds the whole area; the grid's slant to the meridians makes it up to a few hundred metres
wider at the edges), the centroid the area's point on its surface (for a concave area not its
geometric centroid, but always inside it).
"""

from __future__ import annotations

from functools import lru_cache

from commonground.geography.codes import family
from commonground.places.models import Area, AreaMembership, LoadRun

from .models import Dataset, VersionArea

ONS_GEOGRAPHY = "http://statistics.data.gov.uk/id/statistical-geography/"
#: Decimal places of a longitude or latitude: 1e-6 degree is about 10 cm.
DEGREE_DECIMALS = 6


@lru_cache(maxsize=1)
def _to_wgs84():
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


class Coverage:
    """The places of every dataset of one catalogue, read with a few queries for them all.

    live: the live version ids of each dataset (by dataset id) the catalogue lists.
    """

    def __init__(self, live: dict):
        run = LoadRun.objects.order_by("-started", "-id").first()
        self.package = list(run.authority_codes or [run.lad_code]) if run else []
        geographies = set(Area.objects.order_by().values_list("geography", flat=True)
                          .distinct())
        authorities = [g for g in geographies if family(g) == "lad"]
        # by ids, not a join: (geography, code) is an index that holds them, and a join
        # reads every area's row (with its boundary) from the table, 13 s for England
        lad_code = dict(Area.objects.filter(geography__in=authorities).order_by()
                        .values_list("id", "code"))
        self.authorities = set(lad_code.values())
        base = run.base_geography if run else ""
        base_code = dict(Area.objects.filter(geography=base).order_by().values_list("id", "code"))
        authority_of: dict[str, set[str]] = {}
        for child, parent in AreaMembership.objects.filter(parent_id__in=list(lad_code)) \
                .values_list("child_id", "parent_id").iterator():
            if child in base_code:
                authority_of.setdefault(base_code[child], set()).add(lad_code[parent])
        dataset_of = {v: d for d, versions in live.items() for v in versions}
        self._placed: dict = {d: set() for d in live}
        for version, geography, code in VersionArea.objects.filter(
                version_id__in=list(dataset_of), geography__in=[*authorities, base]).values_list(
                    "version_id", "geography", "code").iterator():
            found = {code} if geography in authorities else authority_of.get(code, ())
            self._placed[dataset_of[version]].update(found)
        self._areas: dict[str, Area] = {}

    def codes(self, dataset: Dataset) -> list[str]:
        """The GSS codes of the places ``dataset`` covers (see the module docstring)."""
        placed = self._placed.get(dataset.pk, set())
        if dataset.records_withheld or not placed:
            return self.package
        if placed >= self.authorities and not set(self.package) <= placed:
            return self.package  # every authority of a wider whole: the whole
        return sorted(placed)

    def locations(self, codes: list[str]) -> list[dict]:
        """Each code as a ``dct:Location`` node."""
        wanted = [c for c in codes if c not in self._areas]
        if wanted:
            for area in Area.objects.filter(code__in=wanted).defer("geometry_wkb").order_by(
                    "area_m2"):
                self._areas.setdefault(area.code, area)  # the same code in two vintages
        return [location(code, self._areas.get(code)) for code in codes]


def location(code: str, area: Area | None) -> dict:
    """The ``dct:Location`` of a GSS code, with its name, bounding box and point when the hub
    holds its boundary."""
    node = {"@id": ONS_GEOGRAPHY + code, "@type": "dct:Location"}
    if area is None:
        return node
    transform = _to_wgs84()
    xs, ys = transform.transform(
        [area.min_easting, area.max_easting, area.max_easting, area.min_easting],
        [area.min_northing, area.min_northing, area.max_northing, area.max_northing])
    west, east, south, north = (round(v, DEGREE_DECIMALS)
                                for v in (min(xs), max(xs), min(ys), max(ys)))
    lon, lat = (round(v, DEGREE_DECIMALS) for v in transform.transform(area.easting,
                                                                       area.northing))
    node["rdfs:label"] = area.name
    node["dcat:bbox"] = wkt(f"POLYGON(({west} {south}, {east} {south}, {east} {north}, "
                            f"{west} {north}, {west} {south}))")
    node["dcat:centroid"] = wkt(f"POINT({lon} {lat})")
    return node


def wkt(text: str) -> dict:
    return {"@value": text, "@type": "gsp:wktLiteral"}
