"""A small national package for the smoke and browser tests: a few of England's files, whole.

The national package (``../shared/data-england``, or ``COMMONGROUND_ENGLAND_DATA``) is read
through its manifest: the files are chosen by role and geography, never by name. The package
built here lists only the LSOA 2021 and MSOA 2021 boundaries, the LSOA > MSOA lookup and the
newest IoD on LSOA 2021 (every one of the 33,755 neighbourhoods), each a symlink to the
national file, under the national package's own ``"city"`` (England). Its authorities are
derived from the code the boundary file gives each neighbourhood.

Also the answers a user should see, read from the same files without the loader: each
neighbourhood's authority, IMD decile, MSOA, and the neighbourhood holding a point.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely

from commonground.geography.codes import looks_like
from commonground.geography.manifest import Resource, load_manifest

REPO = Path(__file__).resolve().parents[1]
# beside the city package (COMMONGROUND_DATA, default ../shared/data), unless named
CITY = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))
ENGLAND = Path(os.environ.get("COMMONGROUND_ENGLAND_DATA", CITY.parent / "data-england"))


def available() -> bool:
    return (ENGLAND / "datapackage.json").is_file()


def _chosen(source) -> dict[str, Resource]:
    boundaries = {r.geography: r for r in source.by_role("boundaries")}
    return {
        "lsoa": boundaries["lsoa21"],
        "msoa": boundaries["msoa21"],
        "lookup": next(r for r in source.by_role("lookup")
                       if r.geography_chain[0] == "lsoa21" and "msoa21" in r.geography_chain),
        "iod": max((r for r in source.by_role("deprivation") if r.geography == "lsoa21"),
                   key=lambda r: r.year or 0),
    }


def build_national(target: Path) -> Path:
    """Write ``target/datapackage.json`` listing a few national files (symlinked in ``target``)."""
    source = load_manifest(ENGLAND)
    raw = json.loads((ENGLAND / "datapackage.json").read_text(encoding="utf-8"))
    described = {r["name"]: r for r in raw["resources"]}
    chosen = _chosen(source).values()
    for r in chosen:
        link = target / r.path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(source.path_of(r).resolve())
    manifest = {key: raw[key] for key in ("profile", "name", "title", "licenses", "city") if key in raw}
    manifest["resources"] = [described[r.name] for r in chosen]
    (target / "datapackage.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return target


@dataclass(frozen=True)
class Published:
    """What the national files say, read with ``csv`` and ``json`` alone."""

    lsoa_geography: str
    msoa_geography: str
    authority: dict[str, str]  # LSOA code -> LAD code (the boundary file's own column)
    msoa: dict[str, str]  # LSOA code -> MSOA code (the lookup)
    imd_decile: dict[str, int]  # LSOA code -> IMD decile (IoD)
    names: dict[str, str]  # LSOA code -> name (boundary file)
    lsoa_codes: list[str]  # the boundary file's order
    lsoa_shapes: np.ndarray  # their polygons (WGS84), in that order

    def lsoa_at(self, lat: float, lon: float) -> str:
        """The one neighbourhood whose published polygon holds the point."""
        found = np.flatnonzero(shapely.contains_xy(self.lsoa_shapes, lon, lat))
        assert len(found) == 1, [self.lsoa_codes[i] for i in found]
        return self.lsoa_codes[found[0]]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def read_published(package: Path) -> Published:
    manifest = load_manifest(package)
    chosen = _chosen(manifest)
    lsoa, lookup, iod = chosen["lsoa"], chosen["lookup"], chosen["iod"]
    text = manifest.path_of(lsoa).read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    # the authority column: the one whose every value is shaped like a district's code
    columns = [k for k in features[0]["properties"]
               if all(looks_like(str(f["properties"][k]), "lad") for f in features)]
    assert len(columns) == 1, columns
    authority = {f["properties"][lsoa.code_field]: f["properties"][columns[0]] for f in features}
    names = {f["properties"][lsoa.code_field]: f["properties"][lsoa.name_field] for f in features}
    shapes = shapely.get_parts(shapely.from_geojson(text))  # GEOS reads the collection in one call
    assert len(shapes) == len(features)
    rows = _rows(manifest.path_of(lookup))
    msoa_column = next(k for k in rows[0] if all(looks_like(row[k], "msoa21") for row in rows))
    msoa = {row[lookup.code_field]: row[msoa_column] for row in rows}
    decile = {row[iod.code_field]: int(row["imd_decile"]) for row in _rows(manifest.path_of(iod))}
    return Published(lsoa.geography, chosen["msoa"].geography, authority, msoa, decile, names,
                     [f["properties"][lsoa.code_field] for f in features], shapes)
