"""Who may see and change datasets: the catalogue's rules, in one place.

* Anyone, signed in or not, sees **published, public** datasets.
* Drafts and private datasets are seen only by their organisation's members (any role)
  and site staff.
* Editors and admins of the organisation create, edit, upload and publish.
* A dataset **about people** (a service's clients, survey answers) publishes only summaries
  with small counts suppressed (the lens, rows per area); its records themselves (rows,
  downloads, column profiles, comparisons, CKAN datastore queries) are for the
  organisation's members and site staff.

Every view, API endpoint, CKAN action and export goes through these functions.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from commonground.accounts import permissions
from commonground.accounts.models import Membership, Organisation

from .models import Dataset


def _is_staff(user) -> bool:
    return bool(getattr(user, "is_staff", False) and getattr(user, "is_active", False))


def member_organisation_ids(user) -> list[int]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Membership.objects.filter(user=user).values_list("organisation_id", flat=True))


def public_datasets() -> QuerySet[Dataset]:
    """Published datasets that are not private: what anyone, signed in or not, sees."""
    return Dataset.objects.filter(state=Dataset.State.PUBLISHED, private=False)


def visible_datasets(user) -> QuerySet[Dataset]:
    datasets = Dataset.objects.all()
    if _is_staff(user):
        return datasets
    public = Q(state=Dataset.State.PUBLISHED, private=False)
    return datasets.filter(public | Q(organisation_id__in=member_organisation_ids(user)))


def can_view(user, dataset: Dataset) -> bool:
    return dataset.is_public or permissions.can_see_drafts(user, dataset.organisation)


def can_see_records(user, dataset: Dataset) -> bool:
    """Rows, downloads, profiles and diffs: everyone for ordinary datasets; for a dataset about
    people only the organisation's members (and staff), who hold the data anyway."""
    if not can_view(user, dataset):
        return False
    return not dataset.about_people or permissions.can_see_drafts(user, dataset.organisation)


RECORDS_WITHHELD = ("This dataset holds records about people, so only members of its "
                    "organisation see its rows; its lens and rows per area are public, with "
                    "small counts hidden.")


def can_edit(user, dataset: Dataset) -> bool:
    return permissions.can_publish(user, dataset.organisation)


def can_create_in(user, organisation: Organisation) -> bool:
    return permissions.can_publish(user, organisation)


def publishing_organisations(user) -> QuerySet[Organisation]:
    """Organisations the user may create datasets for (editor or admin; staff: all)."""
    if _is_staff(user):
        return Organisation.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user=user,
        memberships__role__in=[Membership.Role.EDITOR, Membership.Role.ADMIN]).distinct()
