"""Harvest a CKAN portal: its public datasets become local datasets, its files new versions.

``harvest_ckan(url)`` pages through the portal's ``package_search`` (100 at a time, oldest
first, so datasets created while it runs cannot shift the pages) with ``ckanapi``, and for
each dataset:

1. **Organisation**: the CKAN organization's ``name`` is the local slug. A new one is created
   (title, description, the ``kind`` given); an existing one is reused as it is: local
   details are never overwritten, only a blank description is filled in. A dataset without
   an organization goes to one named after the portal's host.
2. **Dataset**, found by (``harvest_source`` = portal URL, ``harvest_id`` = source id), so a
   second harvest updates in place. A new dataset keeps the source's ``name`` unless a
   local dataset already has it; then it is ``<organisation>-<name>`` (then ``-2``,
   ``-3``, ...). Published, public; title, description, tags, groups (→ themes), contact,
   frequency (when the source uses our words) and a provenance text naming the portal.
3. **Licence**: the source's ``license_id`` when it is one of ours (any case), or a CKAN
   alias of one (``uk-ogl`` → ``OGL-UK-3.0``, ``cc-zero`` → ``CC0-1.0``, ``odc-odbl``,
   ``odc-by``); otherwise ``other-open`` if the source says it is open, ``other-closed`` if
   it says not, ``notspecified`` if it gives none. The source's own id and title are kept
   in the provenance text, so nothing is lost and nothing is guessed.
4. **Resources**, matched to the local ones by name, else by position: each is downloaded
   (:func:`commonground.datastore.fetch.fetch_url`, public addresses only unless
   ``allow_private``) and, if its SHA-256 differs from the live version's original file,
   ingested as a new version by the usual job machinery (``new_job`` + ``run_job``, in this
   process: the harvest is itself the long-running job). An unchanged file makes no
   version. A download or ingest that fails is reported and the harvest goes on.

Datasets and resources that disappear from the portal are kept here. The portal's copies of
datasets it harvested from *this* hub (``id`` of a local dataset harvested from that same
URL) are skipped, so a hub can harvest itself without copying its copies.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import ckanapi
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.text import slugify

from commonground.accounts.models import Organisation
from commonground.datastore import fetch
from commonground.datastore.errors import IngestError

from ..licences import BY_ID as LICENCES
from ..models import Dataset, IngestJob, Resource, Tag, Theme
from . import ingest
from .searchtext import refresh_search_text

USER_AGENT = "CommonGround-harvester/1"
PAGE_ROWS = 100
#: CKAN licence ids (CKAN's default list, data.gov.uk) that name one of our licences.
LICENCE_ALIASES = {"uk-ogl": "OGL-UK-3.0", "ogl-uk-3.0": "OGL-UK-3.0", "ogl-uk": "OGL-UK-3.0",
                   "cc-zero": "CC0-1.0", "odc-odbl": "ODbL-1.0", "odc-by": "ODC-BY-1.0",
                   "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0"}
NAME_MAX = Dataset._meta.get_field("name").max_length


class HarvestError(Exception):
    """The portal itself cannot be read (unreachable, not CKAN, refuses the search)."""


@dataclass
class ResourceFailure:
    dataset: str
    name: str
    url: str
    error: str


@dataclass
class HarvestReport:
    source: str
    organisations_created: list[str] = field(default_factory=list)
    datasets_created: list[str] = field(default_factory=list)
    datasets_updated: list[str] = field(default_factory=list)
    datasets_skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    resources_ingested: list[str] = field(default_factory=list)
    resources_unchanged: list[str] = field(default_factory=list)
    resources_failed: list[ResourceFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.resources_failed

    def describe(self) -> str:
        lines = [f"Harvested {self.source}: "
                 f"{len(self.datasets_created)} datasets created, "
                 f"{len(self.datasets_updated)} updated, {len(self.datasets_skipped)} skipped; "
                 f"resources {len(self.resources_ingested)} ingested, "
                 f"{len(self.resources_unchanged)} unchanged, "
                 f"{len(self.resources_failed)} failed."]
        if self.organisations_created:
            lines.append("New organisations: " + ", ".join(self.organisations_created))
        for failure in self.resources_failed:
            lines.append(f"  failed: {failure.dataset} / {failure.name} ({failure.url}): "
                         f"{failure.error}")
        return "\n".join(lines)


Progress = Callable[[str], None]


def harvest_ckan(url: str, *, organisation_kind: str = Organisation.Kind.NATIONAL_BODY,
                 allow_private: bool = False, limit: int | None = None,
                 progress: Progress | None = None) -> HarvestReport:
    """Harvest the public datasets of the CKAN portal at ``url`` (see the module docstring).

    organisation_kind: the kind given to organisations created here.
    allow_private:     fetch resource files from private and loopback addresses too (the
                       operator's own network; tests). The portal URL itself is always used.
    limit:             harvest at most this many datasets.
    progress:          called with one line of text per step.
    """
    if organisation_kind not in Organisation.Kind.values:
        raise ValueError(f"unknown organisation kind {organisation_kind!r}; use one of "
                         f"{', '.join(Organisation.Kind.values)}")
    say = progress or (lambda message: None)
    url = url.rstrip("/")
    report = HarvestReport(source=url)
    seen: set[str] = set()
    start = 0
    with ckanapi.RemoteCKAN(url, user_agent=USER_AGENT) as portal:
        while limit is None or len(seen) < limit:
            page = _search(portal, url, start)
            packages = page.get("results") or []
            if not packages:
                break
            start += len(packages)
            for package in packages:
                if package.get("id") in seen or (limit is not None and len(seen) >= limit):
                    continue
                seen.add(package.get("id"))
                harvest_package(url, package, report, organisation_kind=organisation_kind,
                                allow_private=allow_private, say=say)
            if start >= page.get("count", 0):
                break
    say(report.describe().splitlines()[0])
    return report


def _search(portal: ckanapi.RemoteCKAN, url: str, start: int) -> dict:
    try:
        return portal.action.package_search(q="*:*", rows=PAGE_ROWS, start=start,
                                            sort="metadata_created asc")
    except (ckanapi.errors.CKANAPIError, OSError, ValueError) as exc:
        # requests' ConnectionError is an OSError; a non-CKAN answer raises CKANAPIError
        raise HarvestError(f"cannot search the CKAN portal {url}: {exc}") from None


def harvest_package(url: str, package: dict, report: HarvestReport, *, organisation_kind: str,
                    allow_private: bool, say: Progress) -> Dataset | None:
    """One source dataset: metadata first (one transaction), then each resource's file."""
    source_id = str(package.get("id") or "")
    name = str(package.get("name") or source_id)
    if not source_id:
        report.datasets_skipped.append((name, "the source dataset has no id"))
        return None
    if Dataset.objects.filter(pk=_uuid_or_none(source_id), harvest_source=url).exists():
        report.datasets_skipped.append((name, "a copy this hub harvested from the portal"))
        return None
    with transaction.atomic():
        organisation = _organisation(package.get("organization"), url, organisation_kind,
                                     report)
        dataset = Dataset.objects.filter(harvest_source=url, harvest_id=source_id).first()
        created = dataset is None
        if created:
            dataset = Dataset(harvest_source=url, harvest_id=source_id,
                              name=_free_name(name, organisation.slug))
        _copy_metadata(dataset, package, organisation, url)
        dataset.save()
        dataset.tags.set([_tag(t) for t in package.get("tags") or [] if t.get("name")])
        dataset.themes.set([_theme(g) for g in package.get("groups") or [] if g.get("name")])
    (report.datasets_created if created else report.datasets_updated).append(dataset.name)
    say(f"{'created' if created else 'updated'} {dataset.name} ({dataset.title})")
    sources = sorted(package.get("resources") or [], key=lambda r: r.get("position") or 0)
    for position, (source, resource) in enumerate(_match_resources(dataset, sources)):
        _harvest_resource(dataset, resource, source, position, report, allow_private, say)
    refresh_search_text(dataset)
    return dataset


# --- metadata -------------------------------------------------------------------------------

def map_licence(package: dict) -> str:
    """The local licence id for a source package (rule in the module docstring)."""
    given = str(package.get("license_id") or "").strip()
    ours = {k.lower(): k for k in LICENCES}
    if given.lower() in ours:
        return ours[given.lower()]
    if given.lower() in LICENCE_ALIASES:
        return LICENCE_ALIASES[given.lower()]
    if not given:
        return "notspecified"
    return "other-open" if package.get("isopen") else "other-closed"


def _copy_metadata(dataset: Dataset, package: dict, organisation: Organisation, url: str) -> None:
    extras = {e.get("key"): e.get("value") for e in package.get("extras") or []
              if isinstance(e, dict)}
    dataset.title = str(package.get("title") or package.get("name"))[:300]
    dataset.notes = str(package.get("notes") or "")
    dataset.organisation = organisation
    dataset.licence = map_licence(package)
    if dataset._state.adding:  # a local admin's later choice (draft, private) is kept
        dataset.state = Dataset.State.PUBLISHED
        dataset.private = False
    dataset.contact_name = str(package.get("maintainer") or package.get("author") or "")[:200]
    dataset.contact_email = _email(package.get("maintainer_email") or
                                   package.get("author_email"))
    if extras.get("frequency") in Dataset.Frequency.values:
        dataset.frequency = extras["frequency"]
    dataset.source = _provenance(package, extras, url)


def _provenance(package: dict, extras: dict, url: str) -> str:
    lines = [f"Harvested from the CKAN portal {url}: dataset “{package.get('name')}” "
             f"({url}/dataset/{package.get('name')})."]
    if package.get("license_id"):
        title = package.get("license_title") or package.get("license_id")
        lines.append(f"Licence at the source: {package.get('license_id')} ({title}).")
    if package.get("url"):
        lines.append(f"Source given there: {package['url']}")
    if extras.get("source") and extras["source"] != package.get("url"):
        lines.append(f"Provenance given there: {extras['source']}")
    return "\n".join(lines)


def _email(value) -> str:
    text = str(value or "").strip()
    try:
        validate_email(text)
    except DjangoValidationError:
        return ""
    return text[:254]


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _free_name(name: str, organisation_slug: str) -> str:
    """The source's name, else ``<organisation>-<name>``, else with ``-2``, ``-3``..."""
    base = slugify(name)[:NAME_MAX] or "dataset"
    if not Dataset.objects.filter(name=base).exists():
        return base
    prefixed = slugify(f"{organisation_slug}-{name}")[:NAME_MAX]
    candidate, n = prefixed, 1
    while Dataset.objects.filter(name=candidate).exists():
        n += 1
        candidate = f"{prefixed[:NAME_MAX - len(str(n)) - 1]}-{n}"
    return candidate


def _organisation(source: dict | None, url: str, kind: str, report: HarvestReport) -> Organisation:
    if not source or not source.get("name"):
        host = urlsplit(url).hostname or "ckan"
        source = {"name": slugify(host), "title": host,
                  "description": f"Datasets harvested from {url} without a publisher."}
    slug = slugify(source["name"])[:50]
    organisation = Organisation.objects.filter(slug=slug).first()
    if organisation is None:
        organisation = Organisation.objects.create(
            slug=slug, name=str(source.get("title") or source["name"])[:200],
            kind=kind, description=str(source.get("description") or ""))
        report.organisations_created.append(slug)
    elif not organisation.description and source.get("description"):
        organisation.description = str(source["description"])
        organisation.save(update_fields=["description"])
    return organisation


def _tag(source: dict) -> Tag:
    return Tag.objects.get_or_create(name=str(source["name"])[:100])[0]


def _theme(source: dict) -> Theme:
    slug = slugify(source["name"])[:50] or "group"
    return Theme.objects.get_or_create(name=slug, defaults={
        "title": str(source.get("title") or source.get("display_name") or source["name"])[:200],
        "description": str(source.get("description") or "")})[0]


# --- resources ------------------------------------------------------------------------------

def _match_resources(dataset: Dataset, sources: list[dict]) -> list[tuple[dict, Resource]]:
    """Pair each source resource with a local one: same name, else same position, else new."""
    local = list(dataset.resources.order_by("position", "created"))
    unused = list(local)
    pairs: list[tuple[dict, Resource | None]] = []
    for source in sources:
        match = next((r for r in unused if r.name == (source.get("name") or "")), None)
        if match:
            unused.remove(match)
        pairs.append((source, match))
    out = []
    for position, (source, match) in enumerate(pairs):
        if match is None:
            match = next((r for r in unused if r.position == position), None)
            if match:
                unused.remove(match)
        if match is None:
            match = Resource(dataset=dataset)
        out.append((source, match))
    return out


def _harvest_resource(dataset: Dataset, resource: Resource, source: dict, position: int,
                      report: HarvestReport, allow_private: bool, say: Progress) -> None:
    url = str(source.get("url") or "").strip()
    resource.name = str(source.get("name") or url.rsplit("/", 1)[-1] or "Resource")[:300]
    resource.description = str(source.get("description") or "")
    resource.kind = Resource.Kind.HARVEST
    resource.url = url[:1000]
    resource.position = position
    resource.save()
    label = f"{dataset.name} / {resource.name}"

    def failed(error: str) -> None:
        report.resources_failed.append(ResourceFailure(dataset.name, resource.name, url, error))
        say(f"  failed {label}: {error}")

    if not url:
        return failed("the source gives no URL for this resource")
    folder = Path(tempfile.mkdtemp(prefix="harvest-", dir=ingest._tmp()))
    try:
        download = folder / "download"
        try:
            got = fetch.fetch_url(url, download, max_bytes=ingest.limits().max_bytes,
                                  allow_private=allow_private,
                                  max_seconds=settings.COMMONGROUND_FETCH_MAX_SECONDS)
        except IngestError as exc:
            return failed(str(exc))
        live = resource.current_version
        if live is not None and live.original_sha256 == got.sha256:
            report.resources_unchanged.append(label)
            say(f"  unchanged {label}")
            return None
        filename = ingest.safe_filename(got.filename or url.rsplit("/", 1)[-1] or "download")
        job = ingest.new_job(resource, filename=filename, source_url=url)
        relative = Path("uploads") / str(job.id) / job.filename
        (ingest.datastore() / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.move(download, ingest.datastore() / relative)
        job.upload = str(relative)
        job.save(update_fields=["upload"])
        say(f"  ingesting {label} ({got.bytes:,} bytes)")
        job = ingest.run_job(job.id)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if job.status == IngestJob.Status.DONE:
        report.resources_ingested.append(label)
        say(f"  {label}: {job.message}")
        return None
    if job.status == IngestJob.Status.INVALID:
        return failed(f"{job.message}; nothing was changed")
    return failed(job.error or job.message or "the file was not ingested")
