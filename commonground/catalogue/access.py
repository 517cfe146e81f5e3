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
* A **restricted** dataset is findable and described in the open, with the same summaries
  as records about people; its rows (or only its named columns, with the rows' exact
  locations) are for members and for holders of a **grant**, within the grant's scope
  (columns, places, period, detail) until it expires or is revoked. Of a group anyone may
  join at once (``open_to_join``), "members" here means its editors and admins only: its
  plain members read records about people and restricted rows as everyone does
  (``members_read_rows``, ``permissions.can_see_personal_data``). ``row_access`` is the
  one answer to "which rows may this person (or this dataset key) read", for every path
  that reads rows (docs/RESTRICTED.md).
* Outside the catalogue's own pages (community buildings in energy, dots on a pack's map,
  anything that lists, ranks or draws rows one by one for everyone) only rows that
  ``rows_are_public``: public datasets that describe places, never records about people.

Every view, API endpoint, CKAN action and export goes through these functions.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

from django.db.models import Q, QuerySet
from django.utils import timezone

from commonground.accounts import keys as api_keys
from commonground.accounts import permissions
from commonground.accounts.models import Membership, Organisation
from commonground.datastore.scope import EVERYTHING, RowScope

from . import grantscope
from .models import Dataset, DatasetKey, Grant


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
    return dataset.is_public and not dataset.about_people and not dataset.restricted


def can_see_records(user, dataset: Dataset) -> bool:
    """Rows, downloads, profiles and diffs: everyone when ``rows_are_public``; otherwise the
    organisation's members (and staff), who hold the data anyway — of a private dataset, a
    draft, or a dataset about people (``members_read_rows``)."""
    return rows_are_public(dataset) or members_read_rows(user, dataset)


def members_read_rows(user, dataset: Dataset) -> bool:
    """Whether ``user`` reads all the dataset's rows as one of its organisation: a member;
    but of records about people or restricted rows held by a group anyone may join at once,
    only its editors and admins (``permissions.can_see_personal_data``)."""
    if holds_restricted_rows(dataset):
        return permissions.can_see_personal_data(user, dataset.organisation)
    return permissions.can_see_drafts(user, dataset.organisation)


def counts_are_controlled(user, dataset: Dataset) -> bool:
    """Whether the user sees the dataset's counts only through disclosure control
    (``services.disclosure.public_counts``): a dataset about people, to all but its members."""
    return dataset.records_withheld and not can_see_records(user, dataset)


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


OLDER_COUNTS_WITHHELD = ("This dataset's rows are withheld (records about people, or "
                         "restricted), so rows per area of an older version are for members "
                         "of its organisation; the live version's are public, with small "
                         "counts hidden.")


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


RESTRICTED_WITHHELD = ("This dataset is restricted: its description and summaries are "
                       "public; its rows need a grant. Ask for access on its page.")


@dataclass(frozen=True)
class RowAccess:
    """What someone may read of a dataset's rows, and on what authority.

    scope:   the part of the rows (``EVERYTHING`` for open data and members)
    grant:   the grant it comes from, if any
    key:     the dataset key used, if any
    audited: whether each read goes in the owner's read log (any read of restricted rows)
    """

    scope: RowScope
    grant: Grant | None = None
    key: DatasetKey | None = None
    audited: bool = False

    @property
    def full(self) -> bool:
        return self.scope.is_everything


def holds_restricted_rows(dataset: Dataset) -> bool:
    """Whether reading its rows in full reads restricted data (the read log's rule)."""
    return dataset.restricted or dataset.about_people


def active_grant(user, dataset: Dataset, now=None) -> Grant | None:
    """The user's newest grant on the dataset that has started, not ended and not been
    revoked."""
    if not getattr(user, "is_authenticated", False) or dataset.private:
        return None
    now = now or timezone.now()
    return (Grant.objects.filter(dataset=dataset, user=user, revoked__isnull=True,
                                 starts__lte=now, expires__gt=now)
            .order_by("-created").first())


def grant_row_scope(grant: Grant, dataset: Dataset) -> RowScope:
    scope = grantscope.from_json(grant.scope)
    geographies: dict[str, int] = {}
    geography_of = None
    placing = None
    # only a coarser detail, or places, need the loaded city
    if scope.detail != grantscope.EXACT or scope.places is not None:
        # imported here, not at app loading: the loaded city needs SciPy and shapely (0.2 s)
        from commonground.places.cache import city_state

        state = city_state()
        geographies = {g: len(state.by_geography[g]) for g in state.profiled}
        if scope.places is not None:
            wanted = set(scope.places)
            geography_of = {}
            for geography, code in state.areas:
                if code in wanted:
                    geography_of.setdefault(code, []).append(geography)
    if scope.detail != grantscope.EXACT or scope.columns is not None:
        placing = placing_columns(_live_versions(dataset))
    return grantscope.row_scope(scope, period_column=dataset.period_column,
                                geographies=geographies, geography_of=geography_of,
                                placing=placing)


def _open_part(dataset: Dataset) -> RowScope | None:
    """What everyone reads of a published, non-private dataset's rows."""
    if rows_are_public(dataset):
        return EVERYTHING
    if dataset.is_public and dataset.partly_withheld:
        versions = _live_versions(dataset)
        return grantscope.open_columns_scope([c["name"] for c in _schema(dataset, versions)],
                                             dataset.withheld_columns,
                                             placing_columns(versions))
    return None


def _live_versions(dataset: Dataset) -> list:
    return [r.current_version for r in dataset.resources.select_related("current_version")
            if r.current_version_id]


def _schema(dataset: Dataset, versions: list | None = None) -> list[dict]:
    """The data columns of the dataset's live versions (all its resources)."""
    seen: dict[str, dict] = {}
    for version in _live_versions(dataset) if versions is None else versions:
        for column in version.schema or []:
            seen.setdefault(column["name"], column)
    return list(seen.values())


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def placing_columns(versions: list) -> grantscope.Placing:
    """The data columns that placed the versions' rows, from their link reports (older
    reports name them only in words: read from those)."""
    exact: set[str] = set()
    areas: dict[str, str] = {}
    for version in versions:
        links = (version.report or {}).get("links") or {}
        placed = links.get("placed_by")
        if placed is not None:
            exact.update(placed.get("exact") or [])
            areas.update(placed.get("areas") or {})
            continue
        for words in links.get("columns_used") or []:
            names = [ast.literal_eval(q) for q in _QUOTED.findall(words)]
            area = re.match(r"area codes \((\w+)\)", words)
            if area and names:
                areas[names[0]] = area.group(1)
            else:
                exact.update(names)
    return grantscope.Placing(exact=frozenset(exact), areas=areas)


def _key_holder_may_read(key: DatasetKey, dataset: Dataset) -> bool:
    """An editor's key reads while its maker is an active editor of the organisation; a
    grantee's while the grant is active, its holder active, and the dataset published."""
    if key.grant_id is None:
        maker = key.created_by
        return maker is not None and maker.is_active and can_edit(maker, dataset)
    grant = key.grant
    return grant.user.is_active and dataset.is_public


def row_access(user, dataset: Dataset, *, key: DatasetKey | None = None,
               now=None) -> RowAccess | None:
    """Which of the dataset's rows ``user`` (or ``key``, when one was sent) may read; None
    when none at all. Every path that reads rows asks this and reads only ``scope``."""
    audited = holds_restricted_rows(dataset)
    if key is not None:
        if (key.dataset_id != dataset.pk or not key.grants(DatasetKey.Scope.READ)
                or api_keys.lapsed(key, now) or not _key_holder_may_read(key, dataset)):
            return None
        if key.grant_id is None:  # an editor's key reads what the organisation holds
            return RowAccess(EVERYTHING, key=key, audited=audited)
        if rows_are_public(dataset):  # open again: the grant gives no less than everyone's
            return RowAccess(EVERYTHING, key=key)
        grant = key.grant
        if not grant.is_active(now) or dataset.private:
            return None
        return RowAccess(_with_open_part(grant_row_scope(grant, dataset), dataset),
                         grant=grant, key=key, audited=True)
    if not can_view(user, dataset):
        return None
    if members_read_rows(user, dataset):
        return RowAccess(EVERYTHING, audited=audited)
    if rows_are_public(dataset):
        return RowAccess(EVERYTHING)
    grant = active_grant(user, dataset, now)
    if grant is not None:
        return RowAccess(_with_open_part(grant_row_scope(grant, dataset), dataset),
                         grant=grant, audited=True)
    scope = _open_part(dataset)
    return RowAccess(scope) if scope is not None else None


def _with_open_part(granted: RowScope, dataset: Dataset) -> RowScope:
    """A grant on a partly withheld dataset adds its columns to the open ones (its rows are
    everyone's): never less than everyone reads."""
    if not dataset.partly_withheld or granted.columns is None:
        return granted
    open_part = _open_part(dataset)
    if open_part is None or open_part.columns is None:
        return granted
    # the open part hides the columns that place rows exactly (and the coordinates): they
    # stay hidden unless the grant names them
    return replace(granted, columns=granted.columns | open_part.columns,
                   hidden=granted.hidden | (open_part.hidden - granted.columns))


def key_sent(request) -> DatasetKey | None:
    """The dataset key in the request's ``X-API-Key`` header (or ``Authorization``, with or
    without ``Bearer``), if it is one; None otherwise (the key is checked by
    :func:`row_access`)."""
    secret = request.headers.get("X-API-Key") or request.headers.get("Authorization") or ""
    secret = secret.removeprefix("Bearer ").strip()
    if not secret:
        return None
    return api_keys.find(DatasetKey.objects.select_related("grant__user", "created_by"), secret)
