"""Who may see and change datasets: the catalogue's rules, in one place.

* Anyone, signed in or not, sees **published, public** datasets.
* Drafts and private datasets are seen only by their organisation's members (any role)
  and site staff.
* Editors and admins of the organisation create, edit, upload and publish.
* A dataset **about people** (a service's clients, survey answers) publishes only summaries
  of its live version with small counts suppressed (the lens, rows per area); its records
  themselves (rows, downloads, column profiles, comparisons, CKAN datastore queries), older
  versions' rows per area, and its row totals (rows per version, rows placed and not placed,
  which row numbers, file sizes) are for the organisation's members and site staff
  (``docs/DISCLOSURE.md`` says why).
* Outside the catalogue's own pages (community buildings in energy, dots on a pack's map,
  anything that lists, ranks or draws rows one by one for everyone) only rows that
  ``rows_are_public``: public datasets that describe places, never records about people.

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


def rows_are_public(dataset: Dataset) -> bool:
    """Whether anyone, signed in or not, may see the dataset's rows one by one: published,
    not private, and describing places (schools, car parks), never records about people.

    The one rule for every feature outside the catalogue that reads rows of a dataset (lists
    them, ranks them, draws them as dots): it shows the same thing to everyone, so it reads
    only these datasets. The catalogue's own pages add the organisation's members
    (``can_see_records``)."""
    return dataset.is_public and not dataset.about_people


def can_see_records(user, dataset: Dataset) -> bool:
    """Rows, downloads, profiles and diffs: everyone when ``rows_are_public``; otherwise the
    organisation's members (and staff), who hold the data anyway — of a private dataset, a
    draft, or a dataset about people."""
    return rows_are_public(dataset) or permissions.can_see_drafts(user, dataset.organisation)


def counts_are_controlled(user, dataset: Dataset) -> bool:
    """Whether the user sees the dataset's counts only through disclosure control
    (``services.disclosure.public_counts``): a dataset about people, to all but its members."""
    return dataset.about_people and not can_see_records(user, dataset)


def can_see_version_counts(user, version) -> bool:
    """Rows per area of one version (the aggregate API, the rows map of a version's page):
    whoever sees the dataset, except that of a dataset about people only the live version's
    (disclosure-controlled) counts are everyone's, and older versions' only its members'.
    Two tables, each safe on its own, would show by their difference where one person moved."""
    dataset = version.resource.dataset
    if not can_view(user, dataset):
        return False
    return (not counts_are_controlled(user, dataset)
            or version.pk == version.resource.current_version_id)


def can_see_row_totals(user, dataset: Dataset) -> bool:
    """A version's total rows, rows placed and not placed (with the reasons and row numbers),
    and its file sizes: whoever sees the dataset, but of a dataset about people only its
    members. The total minus the placed rows is the count of unplaced rows (published
    nowhere, so never checked by disclosure control), and totals of two versions differenced
    say how many people came or went; file sizes follow the row count."""
    return can_view(user, dataset) and not counts_are_controlled(user, dataset)


OLDER_COUNTS_WITHHELD = ("This dataset holds records about people, so rows per area of an "
                         "older version are for members of its organisation; the live "
                         "version's are public, with small counts hidden.")


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
