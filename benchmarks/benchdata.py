"""Seeded synthetic CSV for the ingest and row-query benchmarks: council service requests.

    write_requests_csv(path, rows=1_000_000, seed=2021) -> CsvInfo

One row per request, eight columns (about 100 bytes a row, so ~100 MB for 1,000,000 rows):

============  =========  ==================================================================
column        type       values
============  =========  ==================================================================
id            integer    1..n in file order (so ``id`` order = row order)
date          date       ISO ``YYYY-MM-DD``, uniform over 2019-01-01..2024-12-30
category      text       one of :data:`CATEGORIES` (12), Zipf-like shares (s = 1)
name          text       free text, e.g. ``Large pothole near 42 Saxon Gate, Central
                         Milton Keynes`` (a comma, so quoted); 1 % blank
quantity      integer    1 + Poisson(2); 1 % blank
amount        number     pounds, lognormal (median £55, σ = 1.2), 2 decimals
latitude      number     WGS84 degrees, 6 decimals (~0.1 m); 1 % blank (with longitude)
longitude     number     WGS84 degrees, 6 decimals
============  =========  ==================================================================

Points: uniform in the bounding box of the Milton Keynes LSOA 2021 polygons, drawn by
rejection so that :data:`INSIDE_SHARE` (90 %) of the located rows fall inside the union of
the polygons and the rest in the box outside it (tested in WGS84, before rounding, so a
handful near the edge may change side). The boundaries are the data folder's manifest
resource with ``role: boundaries``, ``geography: lsoa21``.

Everything is vectorised (NumPy, pyarrow's CSV writer); the same seed gives the same bytes.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("COMMONGROUND_DATA", REPO.parent / "shared" / "data"))

CATEGORIES = ("Potholes", "Fly-tipping", "Street lighting", "Litter", "Graffiti",
              "Blocked drain", "Overgrown vegetation", "Dog fouling", "Abandoned vehicle",
              "Damaged sign", "Pavement defect", "Noise")
#: Share of the rows with coordinates that lie inside the city (the rest: in its box).
INSIDE_SHARE = 0.9
#: Share of blank cells in ``name``, ``quantity`` and the coordinate pair.
BLANK_SHARE = 0.01
FIRST_DATE = np.datetime64("2019-01-01")
DAYS = 6 * 365

_ADJECTIVES = ("Large", "Small", "Deep", "Dangerous", "Recurring", "Reported", "Urgent",
               "Persistent", "New", "Broken", "Overflowing", "Damaged", "Loose", "Faded")
_ISSUES = ("pothole", "pile of rubbish", "street light out", "bin bags", "tag on wall",
           "drain blocked", "hedge over path", "mess on verge", "car left", "sign bent",
           "kerb cracked", "loud music", "mattress dumped", "fence panel")
_STREETS = ("Saxon Gate", "Midsummer Boulevard", "Silbury Boulevard", "Avebury Boulevard",
            "Marlborough Street", "Grafton Street", "Watling Street", "Queensway",
            "High Street", "Station Road", "Church Street", "Newport Road", "Bletcham Way",
            "Standing Way", "Portway", "Childs Way", "Dansteed Way", "Chaffron Way",
            "Tongwell Street", "Brickhill Street", "Fulmer Street", "Buckingham Road",
            "Stratford Road", "London Road", "Mill Lane", "The Green", "Vicarage Road",
            "Wolverton Road", "Simpson Road", "Shenley Road")
_DISTRICTS = ("Central Milton Keynes", "Bletchley", "Wolverton", "Stony Stratford",
              "Newport Pagnell", "Olney", "Fenny Stratford", "Kents Hill", "Westcroft",
              "Woughton", "Netherfield", "Great Linford", "Shenley Church End", "Broughton",
              "Monkston", "Oxley Park", "Walnut Tree", "Emerson Valley")


@dataclass(frozen=True)
class CsvInfo:
    path: Path
    rows: int
    bytes: int
    inside_share: float  # of rows with coordinates, before rounding
    categories: tuple[str, ...]


def lsoa21_lonlat_polygons(data: Path = DATA) -> tuple[list[str], np.ndarray]:
    """Codes and WGS84 polygons of the manifest's LSOA 2021 boundaries resource."""
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in package["resources"]
                  if r.get("role") == "boundaries" and r.get("geography") == "lsoa21"]
    features = json.loads((data / resource["path"]).read_text(encoding="utf-8"))["features"]
    codes = [f["properties"][resource["code_field"]] for f in features]
    return codes, shapely.from_geojson([json.dumps(f["geometry"]) for f in features])


def lsoa21_path(data: Path = DATA) -> Path:
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in package["resources"]
                  if r.get("role") == "boundaries" and r.get("geography") == "lsoa21"]
    return data / resource["path"]


def lookup_path(data: Path = DATA) -> Path:
    """The manifest's LSOA 2021 → MSOA 2021 → ward lookup CSV."""
    package = json.loads((data / "datapackage.json").read_text(encoding="utf-8"))
    [resource] = [r for r in package["resources"]
                  if r.get("role") == "lookup" and r.get("geography") == "lsoa21>msoa21>ward"]
    return data / resource["path"]


def _points(rng: np.random.Generator, n: int, data: Path) -> tuple[np.ndarray, np.ndarray, float]:
    """n (lon, lat) points in the LSOAs' box, INSIDE_SHARE of them inside the union."""
    _, polygons = lsoa21_lonlat_polygons(data)
    city = shapely.union_all(polygons)
    shapely.prepare(city)
    xmin, ymin, xmax, ymax = shapely.total_bounds(polygons)
    want_in = round(n * INSIDE_SHARE)
    want_out = n - want_in
    got_in, got_out = [], []
    have_in = have_out = 0
    while have_in < want_in or have_out < want_out:
        x, y = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
        inside = shapely.contains_xy(city, x, y)
        got_in.append(np.column_stack([x[inside], y[inside]]))
        got_out.append(np.column_stack([x[~inside], y[~inside]]))
        have_in += int(inside.sum())
        have_out += int((~inside).sum())
    points = np.concatenate([np.concatenate(got_in)[:want_in],
                             np.concatenate(got_out)[:want_out]])
    points = points[rng.permutation(n)]
    return points[:, 0], points[:, 1], want_in / n if n else 0.0


def requests_table(rows: int, seed: int = 2021, data: Path = DATA) -> tuple[pa.Table, float]:
    """The rows as an Arrow table (nulls where the CSV has blank cells)."""
    rng = np.random.default_rng(seed)
    n = rows
    weights = 1 / np.arange(1, len(CATEGORIES) + 1)
    category = rng.choice(len(CATEGORIES), size=n, p=weights / weights.sum())
    dates = FIRST_DATE + rng.integers(0, DAYS, n).astype("timedelta64[D]")

    def pick(words: tuple[str, ...]) -> pa.Array:
        return pc.take(pa.array(words), pa.array(rng.integers(0, len(words), n)))

    numbers = pc.cast(pa.array(rng.integers(1, 200, n)), pa.string())
    name = pc.binary_join_element_wise(pick(_ADJECTIVES), pick(_ISSUES), "near", numbers,
                                       pick(_STREETS), " ")
    name = pc.binary_join_element_wise(name, pick(_DISTRICTS), ", ")
    blank_name = rng.random(n) < BLANK_SHARE
    blank_quantity = rng.random(n) < BLANK_SHARE
    blank_point = rng.random(n) < BLANK_SHARE
    lon, lat, inside = _points(rng, n, data)
    amount = np.round(rng.lognormal(mean=np.log(55), sigma=1.2, size=n), 2)
    table = pa.table({
        "id": pa.array(np.arange(1, n + 1)),
        "date": pa.array(dates.astype("datetime64[D]")),
        "category": pc.take(pa.array(CATEGORIES), pa.array(category)),
        "name": pc.if_else(pa.array(blank_name), pa.scalar(None, pa.string()), name),
        "quantity": pa.array(1 + rng.poisson(2.0, n), mask=blank_quantity),
        "amount": pa.array(amount),
        "latitude": pa.array(np.round(lat, 6), mask=blank_point),
        "longitude": pa.array(np.round(lon, 6), mask=blank_point),
    })
    return table, inside


def write_requests_csv(path: Path, rows: int = 1_000_000, seed: int = 2021,
                       data: Path = DATA) -> CsvInfo:
    """Write the CSV (header + ``rows`` rows; values quoted only where needed)."""
    table, inside = requests_table(rows, seed, data)
    path.parent.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed",
                                                    batch_size=64 * 1024))
    return CsvInfo(path=path, rows=rows, bytes=path.stat().st_size, inside_share=inside,
                   categories=CATEGORIES)
