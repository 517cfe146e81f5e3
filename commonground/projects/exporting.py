"""Take the register out: every published project, with the organisations they name, in the
register's own JSON format and as its CSV tables (docs/REGISTER.md). What is exported
imports again to the same records (``importing.import_register``).

Drafts are never exported, nor an organisation only a draft names. A project's places are
written back as the file's places: rows with one description, stored one after another the
way the importer writes a place (a point or geometry first, then areas, then words), make
one place again.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from typing import Any

import shapely
from django.db.models import Prefetch, Q

from commonground.datastore.export import FORMULA_START
from commonground.places.cache import NotLoaded, city_state

from . import registercsv, registerfile
from .models import CollectedData, Funding, PartnerOrganisation, Partnership, Project, ProjectPlace
from .registerfile import (
    FundingEntry,
    LinkEntry,
    OrganisationEntry,
    PartnerEntry,
    PlaceEntry,
    ProjectEntry,
    Register,
)

#: The tables ``register.csv?table=`` serves (the projects table by default).
TABLES = {name.removesuffix(".csv"): name for name in registercsv.CSV_COLUMNS}


def published_projects():
    return (Project.objects.filter(state=Project.State.PUBLISHED).order_by("pk")
            .prefetch_related(
                Prefetch("partnerships", Partnership.objects.select_related("organisation")
                         .order_by("pk")),
                Prefetch("funding", Funding.objects.select_related("funder").order_by("pk")),
                Prefetch("data", CollectedData.objects.order_by("pk")),
                Prefetch("places", ProjectPlace.objects.order_by("pk"))))


def published_register() -> Register:
    """The published projects and the organisations they name, as a :class:`Register`."""
    projects = list(published_projects())
    ids = [p.pk for p in projects]
    organisations = PartnerOrganisation.objects.filter(
        Q(partnerships__project__in=ids) | Q(funding_given__project__in=ids)
    ).distinct().order_by("pk")
    return Register(
        title=_title(),
        organisations=[OrganisationEntry(id=o.slug, name=o.name, kind=o.kind, url=o.url,
                                         sources=list(o.sources)) for o in organisations],
        projects=[_project_entry(p) for p in projects])


def register_document() -> dict:
    return registerfile.to_document(published_register())


def register_csv(table: str = "projects") -> str:
    """One CSV table of the published register (``projects``, ``organisations``,
    ``places``, ``funding``), text neutralised against spreadsheet formulas."""
    return _csv_text(registercsv.csv_tables(published_register())[TABLES[table]])


def register_zip() -> bytes:
    """All the CSV tables in one zip: the file the import page takes back."""
    out = io.BytesIO()
    tables = registercsv.csv_tables(published_register())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in tables.items():
            archive.writestr(name, _csv_text(rows))
    return out.getvalue()


def _title() -> str:
    try:
        return f"Smart-city projects in {city_state().run.city_name}: the hub's register"
    except NotLoaded:
        return "Smart-city projects: the hub's register"


def _project_entry(project: Project) -> ProjectEntry:
    return ProjectEntry(
        id=project.slug, title=project.title, summary=project.summary, status=project.status,
        start=project.start, end=project.end, themes=list(project.themes),
        technologies=list(project.technologies), places=_places(project.places.all()),
        partners=[PartnerEntry(p.organisation.slug, p.role)
                  for p in project.partnerships.all()],
        funding=[FundingEntry(f.funder.slug, f.amount_gbp, f.programme, f.source)
                 for f in project.funding.all()],
        data_collected=[d.description for d in project.data.all()],
        people_involved_or_affected=project.people_reached,
        social_difference_notes=project.social_difference_notes,
        sources=list(project.sources), uncertain=list(project.uncertain),
        champion=project.champion,
        links=[LinkEntry(x.get("title") or "", x.get("url") or "") for x in project.links],
        city_wide=project.city_wide)


def _places(rows) -> list[PlaceEntry]:
    """Stored places as the file's places: consecutive rows with one description make one
    place while they keep the importer's order (at most one point or geometry, first; then
    areas; then at most one row of words, last)."""
    groups: list[list[ProjectPlace]] = []
    for row in rows:
        group = groups[-1] if groups else None
        if group is None or not _continues(group, row):
            groups.append([row])
        else:
            group.append(row)
    return [_place(group) for group in groups]


def _continues(group: list[ProjectPlace], row: ProjectPlace) -> bool:
    kinds = [r.kind for r in group]
    if row.description != group[0].description or ProjectPlace.Kind.WORDS in kinds:
        return False
    if row.kind in (ProjectPlace.Kind.AREA, ProjectPlace.Kind.WORDS):
        return True
    return False  # a point or geometry starts a place


def _place(group: list[ProjectPlace]) -> PlaceEntry:
    shape = None
    names: list[str] = []
    for row in group:
        if row.kind == ProjectPlace.Kind.AREA:
            names.extend(row.names[:1] or [row.area_code])
        elif row.kind == ProjectPlace.Kind.WORDS:
            names.extend(row.names)
        elif row.geometry is not None:
            shape = shapely.from_wkb(bytes(row.geometry))
    return registerfile.place_from_shape(group[0].description, shape, names)


def _csv_text(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([_neutral(v) for v in row])
    return out.getvalue()


def _neutral(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading ``'`` (OWASP CSV
    injection, as ``datastore.export``); numbers stay numbers; None is an empty cell."""
    if value is None:
        return ""
    if isinstance(value, str) and re.match(FORMULA_START, value):
        return "'" + value
    return value
