"""Read a city's data folder description: a Frictionless Data Package (``datapackage.json``).

Each resource says what it holds through extra properties Common Ground relies on:
``role`` (boundaries, census, deprivation, lookup, postcodes, points, ...), ``geography``
(``lsoa21``, ``msoa21``, ``ward``, ``lad`` ... or a chain such as ``lsoa21>msoa21>ward`` for a
lookup), ``code_field`` and ``name_field``. Nothing in Common Ground names a city's files or
codes: it asks the manifest.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .codes import authority_geography
from .errors import DataError

MANIFEST_NAME = "datapackage.json"


def edition_year(name: str, vintage: str = "") -> int | None:
    """The edition year a resource names (``iod2025`` → 2025), else the first in its vintage."""
    for text in (name, vintage):
        match = re.search(r"(?<!\d)(19|20)(\d\d)(?!\d)", text)
        if match:
            return int(match.group(0))
    return None


@dataclass(frozen=True)
class Licence:
    name: str
    title: str
    path: str = ""


@dataclass(frozen=True)
class Resource:
    """One file of the data folder, as the manifest describes it."""

    name: str
    path: str
    title: str
    role: str
    format: str
    geography: str = ""
    code_field: str = ""
    name_field: str = ""
    crs: str = ""
    vintage: str = ""
    description: str = ""
    sources: tuple[dict, ...] = ()
    licences: tuple[Licence, ...] = ()
    fields: tuple[dict, ...] = ()

    @property
    def geography_chain(self) -> list[str]:
        """Geographies a lookup links, in order: ``"lsoa11>lsoa21"`` → ``["lsoa11", "lsoa21"]``."""
        return [g for g in self.geography.split(">") if g]

    @property
    def field_types(self) -> dict[str, str]:
        return {f["name"]: f.get("type", "string") for f in self.fields}

    @property
    def licence(self) -> Licence | None:
        return self.licences[0] if self.licences else None

    @property
    def source_text(self) -> str:
        return "; ".join(s.get("title", "") for s in self.sources if s.get("title"))

    @property
    def year(self) -> int | None:
        return edition_year(self.name, self.vintage)


@dataclass(frozen=True)
class Manifest:
    """A city's data folder: where it is, which city, and its resources."""

    root: Path
    name: str
    title: str
    city_name: str
    lad_code: str  # the first of authority_codes (kept for code written for one authority)
    resources: tuple[Resource, ...] = field(default_factory=tuple)
    #: The authorities the package describes: one or more LAD codes, or one county,
    #: combined authority, region or country code (``codes.AUTHORITY_GEOGRAPHIES``).
    authority_codes: tuple[str, ...] = ()

    def by_role(self, role: str) -> list[Resource]:
        return [r for r in self.resources if r.role == role]

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def path_of(self, resource: Resource) -> Path:
        return self.root / resource.path

    def fingerprint(self) -> str:
        """SHA-256 over the manifest and every file it lists: changes when any input changes."""
        digest = hashlib.sha256()
        digest.update((self.root / MANIFEST_NAME).read_bytes())
        for r in self.resources:
            path = self.path_of(r)
            if path.exists():
                stat = path.stat()
                digest.update(f"{r.path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()


def _licences(raw: list[dict] | None) -> tuple[Licence, ...]:
    return tuple(
        Licence(name=x.get("name", ""), title=x.get("title", x.get("name", "")), path=x.get("path", ""))
        for x in raw or ()
    )


def load_manifest(data_dir: str | Path) -> Manifest:
    """Read ``datapackage.json`` from ``data_dir`` and check every listed file exists.

    Raises :class:`DataError` naming the manifest or the missing file.
    """
    root = Path(data_dir)
    path = root / MANIFEST_NAME
    if not path.is_file():
        raise DataError(
            f"no {MANIFEST_NAME} here; point COMMONGROUND_DATA at a city's data folder",
            file=str(root),
        )
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"not valid JSON ({exc})", file=str(path)) from exc
    city = raw.get("city") or {}
    codes = _authority_codes(city, path)
    package_licences = _licences(raw.get("licenses"))
    resources = []
    for i, r in enumerate(raw.get("resources") or []):
        missing = [k for k in ("name", "path", "role") if not r.get(k)]
        if missing:
            raise DataError(f"resource {i} lacks {', '.join(missing)}", file=str(path))
        resource = Resource(
            name=r["name"],
            path=r["path"],
            title=r.get("title", r["name"]),
            role=r["role"],
            format=(r.get("format") or Path(r["path"]).suffix.lstrip(".")).lower(),
            geography=r.get("geography", ""),
            code_field=r.get("code_field", ""),
            name_field=r.get("name_field", ""),
            crs=r.get("crs", ""),
            vintage=r.get("vintage", ""),
            description=r.get("description", ""),
            sources=tuple(r.get("sources") or ()),
            licences=_licences(r.get("licenses")) or package_licences,
            fields=tuple((r.get("schema") or {}).get("fields") or ()),
        )
        if not (root / resource.path).is_file():
            raise DataError("listed in the manifest but the file is missing", file=str(root / resource.path))
        resources.append(resource)
    return Manifest(
        root=root,
        name=raw.get("name", ""),
        title=raw.get("title", ""),
        city_name=city.get("name", ""),
        lad_code=codes[0],
        resources=tuple(resources),
        authority_codes=codes,
    )


def _authority_codes(city: dict, path: Path) -> tuple[str, ...]:
    """The codes ``"city"`` names: ``"lad_code"`` (one), ``"codes"`` (a list), or both (the
    ``lad_code`` first). Each must be a GSS code of an authority (``codes.authority_geography``:
    a local authority district, county, combined authority, region or country); a package of
    several names local authority districts only (a shared service, a combined authority's
    members), never a region beside its own districts."""
    usage = ('the manifest must give "city": {"name", "lad_code"} or {"name", "codes": [...]} '
             "(local authority district codes, or one county, combined authority, region or "
             "country code)")
    single, several = city.get("lad_code"), city.get("codes")
    if several is not None and not (isinstance(several, list) and all(isinstance(c, str) for c in several)):
        raise DataError(f'"city" "codes" must be a list of codes, not {several!r}; {usage}', file=str(path))
    if single is not None and not isinstance(single, str):
        raise DataError(f'"city" "lad_code" must be one code, not {single!r}; {usage}', file=str(path))
    codes = ([single] if single else []) + [c for c in several or () if c != single]
    if not codes:
        raise DataError(usage, file=str(path))
    seen = set()
    for code in codes:
        if authority_geography(code) is None:
            raise DataError(f'"city" names {code!r}, which is not the code of a local authority, '
                            f"county, combined authority, region or country; {usage}", file=str(path))
        if code in seen:
            raise DataError(f'"city" names {code} twice', file=str(path))
        seen.add(code)
    if len(codes) > 1 and any(authority_geography(c) != "lad" for c in codes):
        wider = next(c for c in codes if authority_geography(c) != "lad")
        raise DataError(f'"city" names several codes and {wider} is not a local authority district: '
                        "a package of several authorities lists their district codes", file=str(path))
    return tuple(codes)
