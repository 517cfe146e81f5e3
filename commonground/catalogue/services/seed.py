"""Fill an empty demo hub's catalogue with the city folder's real point datasets.

Every manifest resource whose role is ``points`` or ``buildings`` (GP practices, schools,
libraries, chargers, car parks, ...) becomes a published dataset of a publisher named after
its first source, ingested through the ordinary pipeline, so the demo shows real data
linked to real places. Nothing is hard-coded: another city's folder seeds its own data.
Idempotent: a dataset that already exists is left alone.
"""

from __future__ import annotations

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
            frequency=Dataset.Frequency.NEVER, state=Dataset.State.PUBLISHED, created_by=user)
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
