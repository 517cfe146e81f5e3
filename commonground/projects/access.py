"""Who may see and change the register's projects: the rules, in one place (pages, the JSON
and CSV lists and the API all ask here).

* Anyone, signed in or not, sees **published** projects; a draft is seen only by members
  (any role) of its owner organisation, and site staff.
* Editors and admins of the owner organisation (and staff) edit a project, publish or
  unpublish it and link its datasets, consultations and data requests; editors of any
  organisation create projects owned by it.
* A project shows a catalogue dataset (linked, or named as data it collects) only when the
  dataset's rows are everyone's (``catalogue.access.rows_are_public``: published, not private,
  not records about people, not restricted), to every reader alike: a project page is public, and naming a
  private dataset would tell that it exists. Only such datasets may be linked.
* A partner organisation is seen by those who see a project naming it (as a partner or a
  funder): one only a draft names (a draft's new partner) by the draft organisation's
  members alone, one no project names by no one. Pages answer 404 for the others, forms
  do not offer them and the list's partner filter does not know them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commonground.accounts import permissions
from commonground.accounts.models import Organisation
from commonground.catalogue import access as catalogue_access
from commonground.catalogue.models import Dataset

from .models import Funding, PartnerOrganisation, Partnership, Project


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and getattr(user, "is_active", False))


def visible_projects(user) -> QuerySet[Project]:
    """The projects ``user`` may see: published ones, and the drafts of their organisations."""
    projects = Project.objects.all()
    if _is_staff(user):
        return projects
    mine = catalogue_access.member_organisation_ids(user)
    return projects.filter(Q(state=Project.State.PUBLISHED) | Q(owner_id__in=mine))


def visible_organisations(user) -> QuerySet[PartnerOrganisation]:
    """The register's organisations ``user`` may see: those a project they see names."""
    projects = visible_projects(user).values("pk")
    return PartnerOrganisation.objects.filter(
        Q(pk__in=Partnership.objects.filter(project__in=projects).values("organisation"))
        | Q(pk__in=Funding.objects.filter(project__in=projects).values("funder")))


def can_view(user, project: Project) -> bool:
    return project.is_published or permissions.can_see_drafts(user, project.owner)


def can_edit(user, project: Project) -> bool:
    return permissions.can_publish(user, project.owner)


def owning_organisations(user) -> QuerySet[Organisation]:
    """The organisations ``user`` may create projects for (editor or admin; staff: all)."""
    return catalogue_access.publishing_organisations(user)


def can_create(user) -> bool:
    return owning_organisations(user).exists()


def shows_dataset(dataset: Dataset | None) -> bool:
    """Whether a project's page, JSON, CSV and API name this dataset (to anyone)."""
    return dataset is not None and catalogue_access.rows_are_public(dataset)


def linkable_datasets(user) -> QuerySet[Dataset]:
    """Datasets ``user`` may link to a project: ones they see whose rows are everyone's
    (the query form of ``catalogue.access.rows_are_public``)."""
    return catalogue_access.visible_datasets(user).filter(
        state=Dataset.State.PUBLISHED, private=False, about_people=False, restricted=False)
