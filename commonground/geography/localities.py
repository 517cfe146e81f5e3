"""Localities named in the package's own addresses (pure: no Django).

A package need not carry a gazetteer (role ``place-names``) for residents to find "Netherfield":
its point files (role ``points``) hold open addresses that name the estates, suburbs and
villages the points lie in. This module reads every ``points`` resource through the manifest
(GeoJSON and other vector files by their properties, CSV by its declared fields), takes the
locality names those addresses give by one small rule, and places each name in the base areas
(2021 LSOAs in Milton Keynes) where its points lie.

The rule, field by field (names compared case-blind; nothing is tied to a file's name):

1. **OpenStreetMap tags.** A property named ``addr:…``, or a text property holding a JSON
   object of tags (the ``other`` column of an OSM extract), gives its locality tags
   (``OSM_LOCALITY_TAGS``: ``addr:suburb``, ``addr:neighbourhood``, ``addr:village``,
   ``addr:city`` …) as names; its region tags (``addr:county`` …) as names that are not
   localities.
2. **Address lines of a point with a postcode.** Fields named as address lines
   (``ADDRESS_FIELD``: ``address1``…, ``street``, ``locality``, ``town``, ``city``), in the
   file's order, split at commas, make the address's parts (a point without a postcode has no
   address). A British address runs building, thoroughfare, locality, post town, county
   (Royal Mail's PAF order), so the locality is in the parts after the last thoroughfare
   (a part holding a digit or a street word, ``THOROUGHFARE_WORDS``: "FARTHING GR"), up to the
   first name that is not a locality; with no thoroughfare, the last such part ("Netherfield"
   in a charge point's ``street``). The point's own name and a part holding a building's word
   (``NOT_A_PLACE_WORDS``: "… Medical Centre", "… Car Park") are never localities.

A name is then left out when it is:

* the package's city or one of its authorities, or given as a county, state or country
  (fields named so, OSM region tags), or spelt nearly so (``SAME_NAME_RATIO``: "Milton
  Keyenes");
* spread wider than a locality (``MAX_SPREAD_M``): "Buckinghamshire" and "Milton Keynes"
  end addresses from Olney to Bletchley;
* already the name of an area (a ward, MSOA, their friendly names) or of the gazetteer, or
  spelt nearly so ("Stoney Stratford" is the ward Stony Stratford): the search finds those.

Names are shown as written in mixed case where any address writes them so ("Netherfield"),
else in title case ("SHENLEY CHURCH END" → "Shenley Church End").
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import shapely

from .city import (
    EASTING_NAMES,
    LATITUDE_NAMES,
    LONGITUDE_NAMES,
    NORTHING_NAMES,
    CityData,
    Mismatch,
    PlaceName,
)
from .manifest import Resource

#: The kind every address locality is stored with.
KIND = "locality"
#: How every address locality's ``source`` begins (the rest: how many addresses, which files).
SOURCE = "addresses"
#: OpenStreetMap's address tags that name a locality, smallest first
#: (https://wiki.openstreetmap.org/wiki/Key:addr:*): in Britain ``addr:city`` is the post town.
OSM_LOCALITY_TAGS = ("addr:neighbourhood", "addr:quarter", "addr:suburb", "addr:hamlet",
                     "addr:village", "addr:place", "addr:town", "addr:city")
#: OpenStreetMap's address tags naming a region, never a locality.
OSM_REGION_TAGS = ("addr:county", "addr:state", "addr:province", "addr:country")
#: Fields holding an address line (matched against the whole field name, case-blind).
ADDRESS_FIELD = re.compile(r"^(?:addr(?:ess)?[ _-]?(?:line)?[ _-]?\d*|street|thoroughfare|locality|"
                           r"dependent[ _-]?locality|town|post[ _-]?town|city)$", re.IGNORECASE)
#: Fields naming a region (never a locality).
REGION_FIELD = re.compile(r"^(?:county|state|province|region|country)$", re.IGNORECASE)
#: Fields holding a point's postcode.
POSTCODE_FIELD = re.compile(r"^(?:post[ _-]?code|addr:postcode|pcds?)$", re.IGNORECASE)
#: Street types and their usual abbreviations (Royal Mail's PAF and OS street names: Road,
#: Street, Avenue, … and Milton Keynes's grid-road "Gate" and "Boulevard"): a part holding one
#: is a thoroughfare, not a locality.
THOROUGHFARE_WORDS = frozenset(
    "road rd street st avenue ave av lane ln close cl drive dr grove gr gro way court ct crescent "
    "cres cresc square sq boulevard blvd place pl terrace ter terr gardens gdns mews row walk "
    "parade pde gate parkway circle circus rise wharf yard".split())
#: Words of a building, a facility or an organisation: a part holding one is not a locality.
NOT_A_PLACE_WORDS = frozenset(
    "centre center ctr surgery practice medical health hospital clinic hotel store shop shops "
    "station office offices unit units trust extension library school college car parking "
    "roundabout building house entrance outside behind near junction".split())
#: A locality's addresses lie within this distance of their median point, metres: the widest
#: named in the Milton Keynes package, Bletchley (about 4 km across), fits; a county or a
#: whole city named at the end of addresses across it does not.
MAX_SPREAD_M = 5000.0
#: Two names this alike (``difflib.SequenceMatcher.ratio`` of the casefolded names) are one
#: name spelt twice ("Stoney Stratford", "Stony Stratford": 0.97; "Milton Keyenes" 0.96).
SAME_NAME_RATIO = 0.85
#: Small words kept lower case when an upper-case name is title-cased ("Woughton on the Green").
SMALL_WORDS = frozenset("on the of in upon under and by cum at le".split())

_LETTERS = re.compile(r"[^\W\d_]+")


@dataclass
class _Named:
    """What the addresses say of one name: its spellings, points and files."""

    spellings: Counter = field(default_factory=Counter)
    points: list[tuple[float, float]] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # resource title → addresses


def key(name: str) -> str:
    """A name as compared: its letters' words, casefolded, one space apart."""
    return " ".join(_LETTERS.findall(name.casefold()))


def address_localities(city: CityData) -> list[PlaceName]:
    """The localities the package's ``points`` files name in their addresses (the rule in
    this module's docstring), each as a ``PlaceName`` per base area holding its points: the
    areas with the most of its addresses first, each at the mean of its points there, kind
    ``KIND``, ``source`` "addresses: named in N addresses in <file titles>". A points file
    that cannot be read is a mismatch, and its addresses are not used."""
    named: dict[str, _Named] = defaultdict(_Named)
    regions: set[str] = set()
    city_names = _city_names(city)
    for r in city.manifest.by_role("points"):
        try:
            features = _features(city, r)
        except Exception as exc:  # noqa: BLE001 (any unreadable file: reported, never the load's end)
            city.mismatches.append(Mismatch(r.name, None, "", "addresses",
                                            f"this points file could not be read for its addresses ({exc})"))
            continue
        for props, x, y in features:
            names, region_names = _names_in(props, r.name_field, city_names)
            regions |= {key(n) for n in region_names}
            if x != x:  # no point
                continue
            for name in dict.fromkeys(names):
                entry = named[key(name)]
                entry.spellings[name] += 1
                entry.points.append((x, y))
                entry.files[r.title] = entry.files.get(r.title, 0) + 1
    named.pop("", None)
    return _placed(city, _kept(city, named, regions))


def _kept(city: CityData, named: dict[str, _Named], regions: set[str]) -> dict[str, _Named]:
    """The names that are localities and new to the search: not the city's, an authority's
    or a region's (nor spelt nearly so), not spread wider than a locality; not an area's or
    the gazetteer's whole name (nor spelt nearly so); not words of a ward's name or of a
    longer name the addresses give ("Bletchley": the wards Bletchley East, West and Park;
    "Pagnell": Newport Pagnell), which the search lists for them; not a misspelling of words
    of an area's name ("Eaglesone": the neighbourhood Eaglestone & Fishermead). Words of a
    neighbourhood's two-place name are kept: "Fishermead" is more precise than "Eaglestone &
    Fishermead"."""
    not_local = _city_names(city) | regions
    whole = {key(p.name) for p in city.place_names} | {key(n) for n in city.friendly_names.values()}
    for layer in city.layers.values():
        whole |= {key(str(n)) for n in layer.names if n and not _has_digit(str(n))}
    whole -= {""}
    ward = city.layers.get("ward")
    ward_runs = {run for n in (ward.names if ward is not None else ()) if n for run in _runs(key(str(n)))}
    area_runs = {run for n in whole for run in _runs(n)}
    candidate_runs = {run for k in named for run in _runs(k) if run != k}
    near_whole = _Near(not_local | whole)
    near_runs = _Near(area_runs)
    kept = {}
    for k, entry in named.items():
        if (k in not_local or k in whole or k in ward_runs or k in candidate_runs
                or _spread(entry.points) > MAX_SPREAD_M or near_whole.holds(k)
                or (k not in area_runs and near_runs.holds(k))):
            continue
        kept[k] = entry
    return kept


def _runs(name: str) -> set[str]:
    """Every run of consecutive words of ``name`` (a ``key``)."""
    words = name.split()
    return {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}


class _Near:
    """Names spelt nearly as one of ``names`` (``SAME_NAME_RATIO``), compared only with
    those of the same first letter: a national package's names are many."""

    def __init__(self, names) -> None:
        self.by_letter: dict[str, list[str]] = defaultdict(list)
        for n in sorted(names):
            if n:
                self.by_letter[n[0]].append(n)

    def holds(self, name: str) -> bool:
        return bool(name) and bool(difflib.get_close_matches(name, self.by_letter.get(name[0], ()), n=1,
                                                             cutoff=SAME_NAME_RATIO))


def _city_names(city: CityData) -> set[str]:
    """The package's city and its authorities (``key``): names of the whole, not a locality."""
    names = {key(city.manifest.city_name)}
    lad = city.layers.get("lad")
    if lad is not None:
        names |= {key(str(n)) for n in lad.names if n}
    return names - {""}


def _spread(points: list[tuple[float, float]]) -> float:
    """The largest distance of the points from their median point, metres."""
    xy = np.asarray(points, dtype=float)
    return float(np.hypot(*(xy - np.median(xy, axis=0)).T).max())


def _placed(city: CityData, kept: dict[str, _Named]) -> list[PlaceName]:
    if not kept:
        return []
    from .pointindex import AreaIndex

    base = city.layers[city.base_geography]
    index = AreaIndex(list(base.codes), base.geometries)
    out = []
    for k in sorted(kept):
        entry = kept[k]
        xy = np.asarray(entry.points, dtype=float)
        at = index.locate(xy[:, 0], xy[:, 1])
        inside = at >= 0
        if not inside.any():
            continue
        n = int(inside.sum())
        titles = list(entry.files)
        files = titles[0] if len(titles) == 1 else f"{', '.join(titles[:-1])} and {titles[-1]}"
        source = f"{SOURCE}: named in {n} address{'es' if n != 1 else ''} in {files}"
        name = display_name(entry.spellings)
        counts = Counter(at[inside].tolist())
        for a, _ in sorted(counts.items(), key=lambda c: (-c[1], str(base.codes[c[0]]))):
            here = xy[at == a].mean(axis=0)
            out.append(PlaceName(name, KIND, str(base.codes[a]), float(here[0]), float(here[1]), source))
    return out


def display_name(spellings: Counter) -> str:
    """A name as shown: its most written mixed-case spelling, else its upper-case one in
    title case, small words lower case after the first."""
    mixed = [s for s, _ in spellings.most_common() if not s.isupper()]
    if mixed:
        return mixed[0]
    words = spellings.most_common(1)[0][0].split()
    return " ".join(w.lower() if i and w.lower() in SMALL_WORDS else w.capitalize()
                    for i, w in enumerate(words))


def _names_in(props: dict, own_name_field: str, city_names: set[str]) -> tuple[list[str], list[str]]:
    """The locality names and the region names one point's properties give (rules 1 and 2)."""
    tags = {k.lower(): v for k, v in props.items() if k.lower().startswith("addr:")}
    for v in props.values():
        if isinstance(v, str) and v.lstrip().startswith("{"):
            try:
                extra = json.loads(v)
            except ValueError:
                continue
            if isinstance(extra, dict):
                tags.update({str(k).lower(): t for k, t in extra.items() if str(k).lower().startswith("addr:")})
    names = [_clean(tags[t]) for t in OSM_LOCALITY_TAGS if isinstance(tags.get(t), str)]
    regions = [_clean(tags[t]) for t in OSM_REGION_TAGS if isinstance(tags.get(t), str)]
    regions += [_clean(v) for k, v in props.items() if REGION_FIELD.match(k) and isinstance(v, str)]
    has_postcode = any(POSTCODE_FIELD.match(k) and isinstance(v, str) and v.strip() for k, v in props.items())
    if has_postcode:
        own = key(str(props.get(own_name_field) or ""))
        parts = [_clean(p) for k, v in props.items() if ADDRESS_FIELD.match(k) and isinstance(v, str)
                 for p in v.split(",")]
        names += _address_locality([p for p in parts if p and key(p) != own],
                                   city_names | {key(r) for r in regions})
    return [n for n in names if n and key(n)], [r for r in regions if r]


def _address_locality(parts: list[str], wider: set[str]) -> list[str]:
    """Rule 2 on an address's parts (the building's own name already out): up to the first
    name of the city, an authority or a region (``wider``, or spelt nearly so), the parts
    after the last thoroughfare, or with no thoroughfare the last part; never a part
    holding a building's word."""
    known = sorted(wider)
    for i, p in enumerate(parts):
        if key(p) in wider or difflib.get_close_matches(key(p), known, n=1, cutoff=SAME_NAME_RATIO):
            parts = parts[:i]
            break
    if not parts:
        return []
    streets = [i for i, p in enumerate(parts) if _thoroughfare(p)]
    after = parts[streets[-1] + 1:] if streets else parts[-1:]
    return [p for p in after if not _thoroughfare(p) and not set(key(p).split()) & NOT_A_PLACE_WORDS]


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def _thoroughfare(part: str) -> bool:
    return _has_digit(part) or bool(set(key(part).split()) & THOROUGHFARE_WORDS)


def _clean(value) -> str:
    """A name's text with spaces squeezed and stray punctuation at its ends removed."""
    return " ".join(str(value).split()).strip(" .;:-–—/()")


def _features(city: CityData, r: Resource) -> list[tuple[dict, float, float]]:
    """Each feature of a points file as (properties, easting, northing); NaN for a point
    that has none (its postcode's point, from the package's postcodes, where it has one)."""
    from .projection import WGS84, lonlat_to_bng, to_bng

    path = city.manifest.path_of(r)
    if r.format == "csv":
        from .tables import read_table

        table = read_table(city.manifest, r)
        names = list(table.columns)
        rows = [dict(zip(names, values, strict=True)) for values in zip(*table.columns.values(), strict=True)]
        declared = {n.lower(): n for n in names}

        def column(options: tuple[str, ...]) -> str | None:
            return next((declared[o] for o in options if o in declared), None)

        east, north = column(EASTING_NAMES), column(NORTHING_NAMES)
        lon, lat = column(LONGITUDE_NAMES), column(LATITUDE_NAMES)
        x = np.full(len(rows), np.nan)
        y = np.full(len(rows), np.nan)
        if east and north:
            x, y = (np.array([_number(row[c]) for row in rows]) for c in (east, north))
        elif lon and lat:
            x, y = lonlat_to_bng(np.array([_number(row[lon]) for row in rows]),
                                 np.array([_number(row[lat]) for row in rows]))
    else:
        from pyogrio.raw import read

        meta, _fids, wkb, field_data = read(path)
        names = list(meta["fields"])
        rows = [dict(zip(names, values, strict=True)) for values in zip(*field_data, strict=True)] \
            if names else [{} for _ in range(len(wkb))]
        geometries = shapely.from_wkb(wkb)
        present = ~shapely.is_missing(geometries) & ~shapely.is_empty(geometries)
        points = np.full(len(geometries), None, dtype=object)
        points[present] = shapely.point_on_surface(geometries[present])
        projected = to_bng(points[present], meta.get("crs") or r.crs or WGS84)
        x = np.full(len(geometries), np.nan)
        y = np.full(len(geometries), np.nan)
        x[present], y[present] = shapely.get_x(projected), shapely.get_y(projected)
    missing = np.flatnonzero(np.isnan(x) | np.isnan(y))
    if len(missing):
        x, y = _postcode_points(city, rows, missing, x.copy(), y.copy())
    return list(zip(rows, x.tolist(), y.tolist(), strict=True))


def _postcode_points(city: CityData, rows: list[dict], missing: np.ndarray, x: np.ndarray,
                     y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of rows without coordinates, from their postcodes in the package's
    postcode lookup (NaN where none)."""
    from .projection import lonlat_to_bng

    wanted = {}
    for i in missing.tolist():
        code = next((str(v) for k, v in rows[i].items() if POSTCODE_FIELD.match(k) and v), "")
        if code:
            wanted[i] = code.replace(" ", "").upper()
    if not wanted or not len(city.postcodes):
        return x, y
    compact = [str(p).replace(" ", "").upper() for p in city.postcodes.postcode.to_pylist()]
    sought = set(wanted.values())
    position = {p: j for j, p in enumerate(compact) if p in sought}
    found = [(i, position[p]) for i, p in wanted.items() if p in position]
    if found:
        rows_at, at = (np.array(v) for v in zip(*found, strict=True))
        px, py = lonlat_to_bng(city.postcodes.lon[at], city.postcodes.lat[at])
        x[rows_at], y[rows_at] = px, py
    return x, y


def _number(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
