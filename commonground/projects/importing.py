"""Bring a register in: organisations, projects, their partners, funding, collected data and
places, written in ONE transaction, or nothing at all when any problem is found.

:func:`import_register` checks the document (``registerfile.check``, with the models' words
and the loaded city's outline), then what only the hub knows: a project kept by another hub
organisation is theirs to change. An organisation's entry already on the hub may change
(name, kind, url, sources) only when it is linked to ``owner`` (``hub_organisation``) or
only ``owner``'s projects name it; otherwise each field the file changes is a problem (an
entry linked to another hub organisation is theirs; one other organisations' projects name
is shared). Re-importing updates in place, by id; a file imported twice changes nothing
the second time (the report says which items were added, updated or unchanged). Projects
and organisations the file does not name are left alone. A new project is published, kept
by ``owner``; an existing one keeps its state. An import that adds or updates projects is
one activity event about ``owner``'s group and those projects ("3 projects added, 1
updated from the register"): the register is public record, and followers hear of it.

Places become :class:`~.models.ProjectPlace` rows, in this order for each place of the file:
its point (lat/lon) or geometry (WKB, EPSG:27700); an ``area`` row for each name in
``areas`` that is an area of the city (``places.names.check_places``: ward, MSOA and LSOA
names and codes); and a ``words`` row keeping the description and the names that are not
(reported, not refused: the file's areas are the sources' names, not a ward mapping) — or the
description alone when the place has nothing else. A name of the whole city (its local
authority) is kept as words and counts as saying "city-wide". A project is **city-wide**
when the file says so (``city_wide``); when it does not, when no place has coordinates or a
geometry, no name is an area within the city, and a place names the whole city or its
description says city-wide or borough-wide.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import shapely
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from commonground.activity import events
from commonground.geography.manifest import load_manifest
from commonground.places.cache import NotLoaded, city_state
from commonground.places.names import PlaceError, check_places

from . import registerfile
from .dates import day_range
from .footprints import city_outline
from .models import (
    RESERVED_SLUGS,
    CollectedData,
    Funding,
    PartnerOrganisation,
    Partnership,
    Project,
    ProjectPlace,
)
from .registerfile import CITY_WIDE_WORDS, Locator, Problem, ProjectEntry, Register

#: The role of the register file in the data folder's manifest.
MANIFEST_ROLE = "projects"
#: The problem for an id the hub holds for something the importer may not see.
TAKEN = "this id is taken: choose another id"


def _by_section() -> dict[str, list[str]]:
    return {"organisations": [], "projects": []}


@dataclass
class ImportReport:
    """What an import did, or the problems that stopped it (then nothing changed)."""

    problems: list[Problem] = field(default_factory=list)
    added: dict[str, list[str]] = field(default_factory=_by_section)
    updated: dict[str, list[str]] = field(default_factory=_by_section)
    unchanged: dict[str, list[str]] = field(default_factory=_by_section)
    notes: list[str] = field(default_factory=list)  # names kept as words, city-wide projects

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self, section: str) -> dict[str, int]:
        return {"added": len(self.added[section]), "updated": len(self.updated[section]),
                "unchanged": len(self.unchanged[section])}

    def summary(self) -> str:
        if self.problems:
            return (f"{len(self.problems)} problem{'s' if len(self.problems) != 1 else ''} "
                    "found: nothing was changed.")
        return "; ".join(f"{section}: " + ", ".join(f"{n} {what}" for what, n in
                                                    self.counts(section).items())
                         for section in ("projects", "organisations")) + "."

    def as_dict(self) -> dict:
        return {"ok": self.ok, "summary": self.summary(),
                "problems": [str(p) for p in self.problems],
                "added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "notes": self.notes}


def rules(city: registerfile.City | None = None) -> registerfile.Rules:
    """The register file's rules in the models' own words and limits."""
    def longest(model, name: str) -> int:
        return model._meta.get_field(name).max_length

    return registerfile.Rules(
        statuses=frozenset(Project.Status.values), roles=frozenset(Partnership.Role.values),
        kinds=frozenset(PartnerOrganisation.Kind.values), reserved=RESERVED_SLUGS,
        lengths={"organisation.name": longest(PartnerOrganisation, "name"),
                 "organisation.url": longest(PartnerOrganisation, "url"),
                 "project.title": longest(Project, "title"),
                 "project.champion": longest(Project, "champion"),
                 "data.description": longest(CollectedData, "description"),
                 "place.description": longest(ProjectPlace, "description"),
                 "funding.programme": longest(Funding, "programme"),
                 "funding.source": longest(Funding, "source")},
        city=city)


def import_register(document, *, owner, user=None, locate: Locator | None = None,
                    ) -> ImportReport:
    """Check ``document`` (a parsed register) and write it for ``owner`` (the hub
    organisation that keeps the projects) in one transaction; nothing changes when any
    problem is found. ``locate`` names items by CSV file and line (``registercsv``)."""
    report = ImportReport()
    locate = locate or Locator()
    try:
        state = city_state()
    except NotLoaded as exc:
        report.problems.append(Problem("city", str(exc)))
        return report
    city = registerfile.City(state.run.city_name, city_outline(state))
    register, problems = registerfile.check(document, rules(city), locate)
    report.problems += problems
    if register is None:
        return report
    plans = [_plan(entry, i, state, locate, report) for i, entry in enumerate(register.projects)]
    _check_hub(register, owner, locate, report)
    if report.problems:
        return report
    with transaction.atomic():
        organisations = _write_organisations(register, report)
        for entry, plan in zip(register.projects, plans, strict=True):
            _write_project(entry, plan, organisations, owner, user, report)
        _tell(owner, user, report)
    return report


def _tell(owner, user, report: ImportReport) -> None:
    """One event for an import that added or updated projects: about ``owner``'s group, and
    each published project it added or changed (their followers hear of it)."""
    added, updated = report.added["projects"], report.updated["projects"]
    if not added and not updated:
        return  # nothing new: news to nobody
    published = Project.objects.filter(slug__in=added + updated,
                                       state=Project.State.PUBLISHED).order_by("slug")
    events.record(f"{owner.name}: {len(added)} project{'s' if len(added) != 1 else ''} "
                  f"added, {len(updated)} updated from the register",
                  reverse("projects:list"),
                  [("group", owner.slug)] + [("project", slug) for slug in
                                             published.values_list("slug", flat=True)],
                  actor=user)


def load_register(data_dir: str | Path | None = None, *, owner, user=None) -> ImportReport:
    """Import the data folder's register: the manifest's resource with role "projects"."""
    manifest = load_manifest(data_dir or settings.COMMONGROUND_DATA)
    resources = manifest.by_role(MANIFEST_ROLE)
    if not resources:
        return ImportReport(problems=[Problem(
            "datapackage.json", f'no resource has the role "{MANIFEST_ROLE}": nothing to load')])
    resource = resources[0]
    path = manifest.path_of(resource)
    refused = registerfile.too_big(resource.path, path.stat().st_size,
                                   registerfile.REGISTER_MAX_BYTES)
    if refused:
        return ImportReport(problems=[refused])
    document, problems = registerfile.read_json(path.read_bytes(), name=resource.path)
    if problems:
        return ImportReport(problems=problems)
    return import_register(document, owner=owner, user=user)


# ---------------------------------------------------------------- planning (no writes)

@dataclass(frozen=True)
class PlaceRow:
    """One ProjectPlace row as it will be stored (and as a stored one compares)."""

    description: str
    kind: str
    area_code: str
    names: tuple[str, ...]
    geometry: bytes | None


@dataclass
class Plan:
    places: list[PlaceRow]
    city_wide: bool


def _plan(entry: ProjectEntry, i: int, state, locate: Locator, report: ImportReport) -> Plan:
    rows: list[PlaceRow] = []
    within = whole = False
    for j, place in enumerate(entry.places):
        if place.shape is not None:
            rows.append(PlaceRow(place.description, place.kind or "", "", (),
                                 shapely.to_wkb(place.shape)))
        words, unknown, areas = [], [], 0
        for name in place.areas:
            code = _area_code(name)
            if code == state.run.lad_code:
                words.append(name)
                whole = True
            elif code:
                rows.append(PlaceRow(place.description, ProjectPlace.Kind.AREA, code, (name,),
                                     None))
                areas += 1
            else:
                words.append(name)
                unknown.append(name)
        within = within or areas > 0
        if words or (place.shape is None and not areas):
            rows.append(PlaceRow(place.description, ProjectPlace.Kind.WORDS, "", tuple(words),
                                 None))
        if unknown:
            names = ", ".join(f'"{n}"' for n in unknown)
            report.notes.append(f"{locate('projects', i, entry.id, ('places', j), 'areas')}: "
                                f"{names} {'is not an area' if len(unknown) == 1 else 'are not areas'} "
                                f"of {state.run.city_name}: kept as words")
    city_wide = entry.city_wide
    if city_wide is None:
        located = any(p.shape is not None for p in entry.places)
        said = whole or any(CITY_WIDE_WORDS.search(p.description) for p in entry.places)
        city_wide = not located and not within and said
        if city_wide:
            report.notes.append(f"{locate('projects', i, entry.id)}: city-wide (no coordinates "
                                "or areas within the city; a place says city-wide)")
    return Plan(rows, city_wide)


def _area_code(name: str) -> str | None:
    """The city's area a place name (or code) means, as forms read it, or None."""
    if "," in name:  # check_places reads a comma as a list of places
        return None
    try:
        codes = check_places(name)
    except PlaceError:
        return None
    return codes[0] if codes else None


def _check_hub(register: Register, owner, locate: Locator, report: ImportReport) -> None:
    """Problems only the hub knows: items another hub organisation keeps. What ``owner``
    may not see (another organisation's draft, an organisation only such drafts name) gets
    a neutral "this id is taken", as an id the hub has for no one."""
    positions = {p.id: i for i, p in enumerate(register.projects)}
    kept = Project.objects.filter(slug__in=positions).exclude(owner=owner).select_related(
        "owner")
    for project in sorted(kept, key=lambda p: positions[p.slug]):
        where = locate("projects", positions[project.slug], project.slug, "id")
        report.problems.append(Problem(where, (
            f"already on the hub, kept by {project.owner.name}: only its editors may change "
            "it") if project.is_published else TAKEN))
    entries = {o.id: (i, o) for i, o in enumerate(register.organisations)}
    namers = _namers(entries)
    existing = PartnerOrganisation.objects.filter(slug__in=entries).select_related(
        "hub_organisation")
    for organisation in sorted(existing, key=lambda o: entries[o.slug][0]):
        i, entry = entries[organisation.slug]
        names = namers.get(organisation.slug, set())
        others = {o for o, _ in names} - {owner.pk}
        if organisation.hub_organisation_id == owner.pk or not (
                others or organisation.hub_organisation_id):
            continue  # the owner's own entry, or named only by the owner's projects
        if not any(published or o == owner.pk for o, published in names):
            report.problems.append(Problem(locate("organisations", i, entry.id, "id"), TAKEN))
            continue  # named only by others' drafts: not to be acknowledged
        changed = [k for k, v in _organisation_values(entry).items()
                   if getattr(organisation, k) != v]
        hub = organisation.hub_organisation
        why = (f"this entry is kept by {hub.name} on the hub: only its editors may change it"
               if hub else "other organisations' projects name this entry: an import may "
               "change it only when it is linked to your organisation or only your "
               "projects name it")
        for key in changed:
            report.problems.append(Problem(locate("organisations", i, entry.id, key),
                                           f"{why} (the file's {key} differs)"))


def _namers(entries) -> dict[str, set[tuple[int, bool]]]:
    """(hub organisation keeping it, whether published) of each project naming each of these
    organisations (as a partner or a funder), by the organisation's id."""
    namers: dict[str, set[tuple[int, bool]]] = {}
    for model, column in ((Partnership, "organisation"), (Funding, "funder")):
        for slug, owner_id, state in model.objects.filter(
                **{f"{column}__slug__in": entries}).values_list(
                f"{column}__slug", "project__owner_id", "project__state"):
            namers.setdefault(slug, set()).add((owner_id, state == Project.State.PUBLISHED))
    return namers


# ---------------------------------------------------------------- writing

def _organisation_values(entry: registerfile.OrganisationEntry) -> dict:
    return {"name": entry.name, "kind": entry.kind, "url": entry.url,
            "sources": list(entry.sources)}


def _write_organisations(register: Register, report: ImportReport,
                         ) -> dict[str, PartnerOrganisation]:
    existing = {o.slug: o for o in PartnerOrganisation.objects.filter(
        slug__in=[e.id for e in register.organisations])}
    for entry in register.organisations:
        values = _organisation_values(entry)
        organisation = existing.get(entry.id)
        if organisation is None:
            existing[entry.id] = PartnerOrganisation.objects.create(slug=entry.id, **values)
            report.added["organisations"].append(entry.id)
        elif _update(organisation, values):
            report.updated["organisations"].append(entry.id)
        else:
            report.unchanged["organisations"].append(entry.id)
    return existing


def _project_values(entry: ProjectEntry, plan: Plan) -> dict:
    start_on = day_range(entry.start)[0] if entry.start else None
    end_on = day_range(entry.end)[1] if entry.end else None
    return {"title": entry.title, "summary": entry.summary, "status": entry.status,
            "start": entry.start, "end": entry.end, "start_on": start_on, "end_on": end_on,
            "themes": list(entry.themes), "technologies": list(entry.technologies),
            "champion": entry.champion,
            "links": [{"title": x.title, "url": x.url} for x in entry.links],
            "sources": list(entry.sources), "uncertain": list(entry.uncertain),
            "people_reached": entry.people_involved_or_affected,
            "social_difference_notes": entry.social_difference_notes,
            "city_wide": plan.city_wide}


def _write_project(entry: ProjectEntry, plan: Plan, organisations: dict, owner, user,
                   report: ImportReport) -> None:
    values = _project_values(entry, plan)
    project = Project.objects.filter(slug=entry.id).first()
    created = project is None
    if project is None:
        project = Project.objects.create(slug=entry.id, owner=owner,
                                         state=Project.State.PUBLISHED, created_by=user,
                                         **values)
    fields_changed = not created and _update(project, values)
    parts_changed = [_sync_partners(project, entry, organisations),
                     _sync_funding(project, entry, organisations),
                     _sync_data(project, entry), _sync_places(project, plan)]
    if any(parts_changed) and not created and not fields_changed:
        project.save(update_fields=["updated"])
    outcome = (report.added if created else
               report.updated if fields_changed or any(parts_changed) else report.unchanged)
    outcome["projects"].append(entry.id)


def _update(instance, values: dict) -> bool:
    """Set the fields that differ and save only those; whether any did."""
    changed = [k for k, v in values.items() if getattr(instance, k) != v]
    for key in changed:
        setattr(instance, key, values[key])
    if changed:
        extra = ["updated"] if any(f.name == "updated" for f in instance._meta.fields) else []
        instance.save(update_fields=changed + extra)
    return bool(changed)


def _sync_partners(project: Project, entry: ProjectEntry, organisations: dict) -> bool:
    wanted = [(p.organisation, p.role) for p in entry.partners]
    held = list(project.partnerships.order_by("pk").values_list("organisation__slug", "role"))
    if held == wanted:
        return False
    project.partnerships.all().delete()
    Partnership.objects.bulk_create(
        Partnership(project=project, organisation=organisations[slug], role=role)
        for slug, role in wanted)
    return True


def _sync_funding(project: Project, entry: ProjectEntry, organisations: dict) -> bool:
    wanted = [(f.funder, f.programme, f.amount_gbp, f.source) for f in entry.funding]
    held = list(project.funding.order_by("pk").values_list(
        "funder__slug", "programme", "amount_gbp", "source"))
    if held == wanted:
        return False
    project.funding.all().delete()
    Funding.objects.bulk_create(
        Funding(project=project, funder=organisations[funder], programme=programme,
                amount_gbp=amount, source=source)
        for funder, programme, amount, source in wanted)
    return True


def _sync_data(project: Project, entry: ProjectEntry) -> bool:
    """Collected data as the file lists it; a description kept keeps its dataset link."""
    held = list(project.data.order_by("pk").values_list("description", "dataset_id"))
    if [d for d, _ in held] == entry.data_collected:
        return False
    linked = {d: dataset for d, dataset in held if dataset is not None}
    project.data.all().delete()
    CollectedData.objects.bulk_create(
        CollectedData(project=project, description=d, dataset_id=linked.get(d))
        for d in entry.data_collected)
    return True


def _sync_places(project: Project, plan: Plan) -> bool:
    held = [PlaceRow(p.description, p.kind, p.area_code, tuple(p.names),
                     bytes(p.geometry) if p.geometry is not None else None)
            for p in project.places.order_by("pk")]
    if held == plan.places:
        return False
    project.places.all().delete()
    ProjectPlace.objects.bulk_create(
        ProjectPlace(project=project, description=row.description, kind=row.kind,
                     area_code=row.area_code, names=list(row.names), geometry=row.geometry)
        for row in plan.places)
    return True
