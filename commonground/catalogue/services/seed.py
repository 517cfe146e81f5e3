"""Fill an empty demo hub's catalogue with the city folder's real point datasets.

Every manifest resource whose role is ``points`` or ``buildings`` (GP practices, schools,
libraries, chargers, car parks, ...) becomes a published dataset of a publisher named after
its first source, ingested through the ordinary pipeline, so the demo shows real data
linked to real places. Nothing is hard-coded: another city's folder seeds its own data.
Idempotent: a dataset that already exists is left alone.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.conf import settings
from django.utils.text import slugify

from commonground.accounts.models import Organisation
from commonground.geography.manifest import load_manifest

from ..licences import BY_ID
from ..models import Dataset, Resource, Tag, Theme
from . import ingest
from .searchtext import refresh_search_text

ROLES = ("points", "buildings")
THEMES = {  # theme name → (title, words in a title or description that place a dataset there)
    "health": ("Health and care", ("gp", "health", "pharmac", "hospital")),
    "education": ("Education", ("school", "college", "nursery")),
    "transport": ("Transport", ("charg", "car park", "parking", "bus", "cycle")),
    "community": ("Community facilities", ("librar", "centre", "hall")),
    "shops": ("Shops and food", ("supermarket", "shop", "food")),
    "energy": ("Energy", ("charg", "solar", "roof", "energy")),
}


def seed_catalogue(data_dir: Path | None = None, *, user=None, log=print) -> list[Dataset]:
    manifest = load_manifest(data_dir or settings.COMMONGROUND_DATA)
    themes = {name: Theme.objects.get_or_create(name=name, defaults={"title": title})[0]
              for name, (title, _) in THEMES.items()}
    made = []
    for resource in manifest.resources:
        if resource.role not in ROLES:
            continue
        name = slugify(resource.name)[:100]
        if Dataset.objects.filter(name=name).exists():
            continue
        publisher = _publisher(resource)
        organisation, _ = Organisation.objects.get_or_create(
            slug=slugify(publisher)[:50], defaults={"name": publisher,
                                                     "kind": Organisation.Kind.NATIONAL_BODY})
        licence = resource.licences[0].name if resource.licences else "notspecified"
        dataset = Dataset.objects.create(
            name=name, title=resource.title, organisation=organisation,
            notes=_notes(resource), licence=licence if licence in BY_ID else "other-open",
            source="; ".join(s.get("title", "") + (f" ({s['path']})" if s.get("path") else "")
                             for s in resource.sources),
            frequency=Dataset.Frequency.NEVER, state=Dataset.State.PUBLISHED, created_by=user,
            data_as_of=vintage_date(resource.vintage or ""))
        text = f"{resource.title} {resource.description}".lower()
        dataset.themes.set([themes[n] for n, (_, words) in THEMES.items()
                            if any(w in text for w in words)])
        dataset.tags.set([Tag.objects.get_or_create(name=t)[0] for t in _tags(resource)])
        path = manifest.root / resource.path
        item = Resource.objects.create(dataset=dataset, name=f"{resource.title} ({resource.vintage})"
                                       if resource.vintage else resource.title)
        with open(path, "rb") as f:
            job = ingest.stage_upload(item, iter(lambda f=f: f.read(1 << 20), b""),
                                      filename=path.name, user=user)
        job = ingest.run_job(job.id)
        log(f"  {dataset.title}: {job.get_status_display()}"
            + (f", {job.version.row_count} rows" if job.version_id else f" {job.error}"))
        refresh_search_text(dataset)
        made.append(dataset)
    return made


def _publisher(resource) -> str:
    title = resource.sources[0].get("title", "") if resource.sources else ""
    name = re.split(r"[;(,\"]", title)[0].strip(" ,") or "Unknown publisher"
    return name[:200]


def _notes(resource) -> str:
    parts = [resource.description.strip()]
    if resource.vintage:
        parts.append(f"Vintage: {resource.vintage}.")
    parts.append("Loaded from the city's data folder (`datapackage.json`), with its licence.")
    return "\n\n".join(p for p in parts if p)


def _tags(resource) -> list[str]:
    words = re.findall(r"[a-z]+", resource.title.lower())
    stop = {"and", "the", "of", "open", "national", "registry", "openstreetmap", "osm", "dcms"}
    return [w for w in dict.fromkeys(words) if len(w) > 2 and w not in stop][:5] + [resource.role]


_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), 1)}


def vintage_date(vintage: str) -> datetime.date | None:
    """The newest date a manifest's vintage text names, read as late as it can be (a month
    alone is its last day, a year alone 31 December), so the lens never calls data older
    than it is: "records created 2012-11..2021-07, last update 2021-08-10 (repo data Mar
    2022)" → 31 March 2022; "24 May 2025" → 24 May 2025; "2023" → 31 December 2023."""
    found, used = [], []
    text = vintage.lower()
    for match in re.finditer(r"\b((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?\b", text):
        y, m, d = match.groups()
        found.append(_last(int(y), int(m), int(d) if d else None))
        used.append(match.span())
    for match in re.finditer(r"\b(?:(\d{1,2}) )?([a-z]{3})[a-z]* ((?:19|20)\d\d)\b", text):
        d, mon, y = match.groups()
        if mon in _MONTHS:
            found.append(_last(int(y), _MONTHS[mon], int(d) if d else None))
            used.append(match.span())
    for match in re.finditer(r"\b((?:19|20)\d\d)\b", text):
        if not any(start <= match.start() < end for start, end in used):
            found.append(datetime.date(int(match.group(1)), 12, 31))
    return max(found, default=None)


def _last(year: int, month: int, day: int | None) -> datetime.date:
    if day:
        return datetime.date(year, month, day)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return following - datetime.timedelta(days=1)
