"""Use cases of the register's pages: an officer adds a project for their organisation with
its partners and funding, edits it, publishes it, and links its datasets, consultations and
data requests.

Every check of who may act goes through ``access``; values come checked by ``forms``; what
needs the whole project (a funder named by a partner's name, a link to something that must
exist and be public) raises ``ProjectError`` naming the field, and then nothing changes (one
transaction each). Publishing, and changing a published project, records an event about the
project (``activity.events``) so its followers hear of it; a draft's changes are news to
nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.text import slugify

from commonground.activity import events
from commonground.activity.inputs import FieldError, parse_id
from commonground.catalogue.models import Dataset
from commonground.community.models import DataRequest
from commonground.consultations.models import Consultation

from . import access
from .dates import day_range
from .models import (
    RESERVED_SLUGS,
    CollectedData,
    Funding,
    PartnerOrganisation,
    Partnership,
    Project,
)

#: The project's own fields the form sets (the rest are the register's: places, footprint).
DETAILS = ("title", "summary", "status", "start", "end", "themes", "technologies", "champion",
           "city_wide", "links", "sources", "uncertain", "people_reached",
           "social_difference_notes")


class ProjectError(FieldError):
    """Input that cannot be used; ``field`` names the form field (``partners-2-role``)."""


@dataclass
class PartnerRow:
    """A partner as the form gives it: ``organisation`` from the register, or a new one by
    ``new_name`` and ``new_kind``."""

    role: str
    organisation: PartnerOrganisation | None = None
    new_name: str = ""
    new_kind: str = ""
    index: int = 0  # its row in the form, for errors


@dataclass
class FundingRow:
    """A grant: ``funder`` from the register, or ``funder_name``, a new partner's name."""

    funder: PartnerOrganisation | None = None
    funder_name: str = ""
    programme: str = ""
    amount_gbp: int | None = None
    source: str = ""
    index: int = 0  # its row in the form, for errors


def create_project(user, *, owner, slug: str, details: dict, partners: list[PartnerRow],
                   funding: list[FundingRow], collected: list[tuple[str, Dataset | None]] = ()
                   ) -> Project:
    """A new draft project kept by ``owner``; only its members see it until it is published."""
    if not access.owning_organisations(user).filter(pk=owner.pk).exists():
        raise PermissionDenied("Only editors of an organisation can add its projects.")
    if slug in RESERVED_SLUGS or not slug or slugify(slug) != slug:
        raise ProjectError("slug", f"Project id: “{slug[:60]}” cannot be used (lower-case "
                                   "letters, numbers and hyphens; not an address of the "
                                   "register)")
    if Project.objects.filter(slug=slug).exists():
        raise ProjectError("slug", f"Project id: “{slug}” is taken")
    with transaction.atomic():
        project = Project(slug=slug, owner=owner, created_by=user, state=Project.State.DRAFT)
        _set_details(project, details)
        project.save()
        _replace_parts(user, project, partners, funding, collected)
    return project


def edit_project(user, project: Project, *, details: dict, partners: list[PartnerRow],
                 funding: list[FundingRow], collected: list[tuple[str, Dataset | None]] = ()
                 ) -> Project:
    """Change a project's details, partners, funding and data (each list replaced as a
    whole); followers of a published project hear of it."""
    if not access.can_edit(user, project):
        raise PermissionDenied("Only editors of the organisation keeping this project can "
                               "change it.")
    with transaction.atomic():
        _set_details(project, details)
        project.save()
        _replace_parts(user, project, partners, funding, collected)
        if project.is_published:
            events.record(f"Smart-city project updated: “{project.title}”",
                          project.get_absolute_url(), [("project", project.slug)], actor=user)
    return project


def set_published(user, project: Project, publish: bool) -> bool:
    """Publish (anyone may see it) or take back to a draft; True when the state changed.
    Publishing tells the project's and its organisation's followers."""
    if not access.can_edit(user, project):
        raise PermissionDenied("Only editors of the organisation keeping this project can "
                               "publish it.")
    state = Project.State.PUBLISHED if publish else Project.State.DRAFT
    if project.state == state:
        return False
    with transaction.atomic():
        project.state = state
        project.save(update_fields=["state", "updated"])
        if publish:
            events.record(f"{project.owner.name} published a smart-city project: "
                          f"“{project.title}”", project.get_absolute_url(),
                          [("project", project.slug), ("group", project.owner.slug)],
                          actor=user)
    return True


LINKS = {"dataset": "datasets", "consultation": "consultations", "request": "data_requests"}


def link(user, project: Project, kind: str, key: str, *, remove: bool = False) -> object:
    """Link (or unlink) a dataset (by short name), a consultation or a data request (by
    number); returns what was linked. A dataset must be one the editor sees whose rows are
    everyone's (``access.linkable_datasets``); a consultation the project's organisation's
    own; a data request one asked of that organisation or made on its behalf (its
    ``group``). Anything else names the ``key`` field."""
    if not access.can_edit(user, project):
        raise PermissionDenied("Only editors of the organisation keeping this project can "
                               "link to it.")
    if kind not in LINKS:
        raise ProjectError("kind", "Link: choose a dataset, a consultation or a data request")
    key = (key or "").strip()
    related = getattr(project, LINKS[kind])
    if remove:
        thing = _linked(related, kind, key)
        related.remove(thing)
        return thing
    thing = _linkable(user, project, kind, key)
    if related.filter(pk=thing.pk).exists():
        raise ProjectError("key", f"Which one: “{thing}” is linked already")
    related.add(thing)
    if project.is_published:
        events.record(f"“{project.title}” now links to {_label(kind)} “{thing}”",
                      project.get_absolute_url(), [("project", project.slug)], actor=user)
    return thing


def _label(kind: str) -> str:
    return {"dataset": "the dataset", "consultation": "the consultation",
            "request": "the data request"}[kind]


def _linkable(user, project: Project, kind: str, key: str):
    if kind == "dataset":
        found = access.linkable_datasets(user).filter(name=key).first()
        if found is None:
            raise ProjectError("key", f"Which one: “{key[:60]}” is not a published, public "
                                      "dataset you can link (records about people cannot be "
                                      "linked)")
        return found
    pk = parse_id(key)
    model = Consultation if kind == "consultation" else DataRequest
    found = model.objects.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise ProjectError("key", f"Which one: no {model._meta.verbose_name} number "
                                  f"“{key[:20]}”")
    owner = project.owner
    if kind == "consultation" and found.organisation_id != owner.pk:
        raise ProjectError("key", f"Which one: consultation {found.pk} “{found}” is "
                                  f"{found.organisation.name}'s: only {owner.name}'s own "
                                  "consultations can be linked")
    if kind == "request" and owner.pk not in (found.organisation_id, found.group_id):
        raise ProjectError("key", f"Which one: data request {found.pk} “{found}” is neither "
                                  f"asked of {owner.name} nor made on its behalf: only those "
                                  "can be linked")
    return found


def _linked(related, kind: str, key: str):
    found = (related.filter(name=key) if kind == "dataset" else
             related.filter(pk=parse_id(key)) if parse_id(key) is not None else related.none())
    thing = found.first()
    if thing is None:
        raise ProjectError("key", f"Which one: “{key[:60]}” is not linked to this project")
    return thing


def _set_details(project: Project, details: dict) -> None:
    for name in DETAILS:
        if name in details:
            setattr(project, name, details[name])
    for name, day in (("start", 0), ("end", 1)):
        try:
            found = day_range(getattr(project, name))
        except ValueError as exc:
            raise ProjectError(name, f"{name.title()}: {exc}") from None
        setattr(project, f"{name}_on", found[day] if found else None)


def _replace_parts(user, project: Project, partners: list[PartnerRow],
                   funding: list[FundingRow], collected) -> None:
    """The project's partnerships, funding and collected data become the given lists; new
    partner organisations are added to the register."""
    made: dict[str, PartnerOrganisation] = {}
    chosen: list[tuple[PartnerOrganisation, str]] = []
    for row in partners:
        organisation = row.organisation
        if organisation is None:
            key = row.new_name.strip().casefold()
            organisation = made.get(key) or _new_organisation(user, row)
            made[key] = organisation
        chosen.append((organisation, row.role))
    project.partnerships.all().delete()
    Partnership.objects.bulk_create([Partnership(project=project, organisation=o, role=role)
                                     for o, role in dict.fromkeys(chosen)])
    by_name = {o.name.casefold(): o for o, _ in chosen}
    grants = []
    for row in funding:
        funder = row.funder or by_name.get(row.funder_name.strip().casefold())
        if funder is None:
            raise ProjectError(f"funding-{row.index}-funder_name",
                               f"Funder: “{row.funder_name[:60]}” is not one of the partners "
                               "named above")
        grants.append(Funding(project=project, funder=funder, programme=row.programme,
                              amount_gbp=row.amount_gbp, source=row.source))
    project.funding.all().delete()
    Funding.objects.bulk_create(grants)
    project.data.all().delete()
    CollectedData.objects.bulk_create([CollectedData(project=project, description=text,
                                                     dataset=dataset)
                                       for text, dataset in collected])


def _new_organisation(user, row: PartnerRow) -> PartnerOrganisation:
    """A new organisation in the register; refused when one ``user`` sees has its name (an
    organisation they may not see does not stop it: saying so would tell it exists)."""
    name = row.new_name.strip()
    if row.new_kind not in PartnerOrganisation.Kind.values:
        raise ProjectError(f"partners-{row.index}-new_kind", "Its kind: choose what kind of "
                                                          "organisation it is")
    if access.visible_organisations(user).filter(name__iexact=name).exists():
        raise ProjectError(f"partners-{row.index}-new_name",
                           f"“{name[:60]}” is in the register already: choose it from the list")
    base = slugify(name)[:90].strip("-") or "organisation"
    slug, n = base, 1
    while PartnerOrganisation.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return PartnerOrganisation.objects.create(slug=slug, name=name[:300], kind=row.new_kind)
