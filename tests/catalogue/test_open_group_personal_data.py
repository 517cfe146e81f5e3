"""Records about people and restricted rows held by a group anyone may join at once.

A group "open to join" admits a stranger as a member the moment they ask, so its members do
not read the personal data it holds: the rows of its datasets about people and of its
restricted datasets (pages, API, downloads, CKAN datastore), older versions' rows per area
and row totals are for its editors and admins (and site staff); the member sees what
everyone sees and may ask for access like anyone else. A group that vets its members keeps
today's rule (every member reads them), and closing the group again restores it at once.
Unpublished metadata (drafts) stays its members'.
"""

from __future__ import annotations

import pytest
import shapely
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.catalogue import access
from commonground.catalogue.models import IngestJob
from commonground.catalogue.services import access_requests
from commonground.community import groups

pytestmark = pytest.mark.django_db

SURNAME = "Wrenfallow"


def _csv(path, points, count: int):
    lines = ["name,easting,northing"]
    lines += [f"Ada {SURNAME} {i},{x:.0f},{y:.0f}" for i, (x, y) in enumerate(points[:count])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def world(loaded, make_dataset, ingest_path, tmp_path, django_user_model):
    """An open group's home visits (about people) and a restricted copy, two versions each;
    its admin, its editor, and a stranger who has just joined it."""
    state = loaded
    points = shapely.get_coordinates(shapely.point_on_surface(
        state.geometries(state.base)[:12]))
    group = Organisation.objects.create(slug="open-street", name="Open Street",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    make = django_user_model.objects.create_user
    admin, editor = make("open-admin", password="pw-ad-1"), make("open-editor", password="pw-ed-1")
    Membership.objects.create(user=admin, organisation=group, role=Membership.Role.ADMIN)
    Membership.objects.create(user=editor, organisation=group, role=Membership.Role.EDITOR)
    groups.set_open(admin, group, True)
    made = {}
    for name, flags in (("visits", {"about_people": True}), ("restricted", {"restricted": True})):
        dataset = make_dataset(f"open-{name}", organisation=group)
        older = ingest_path(dataset, _csv(tmp_path / f"{name}-1.csv", points, 8), name="Rows")
        assert older.status == IngestJob.Status.DONE, older.error
        live = ingest_path(dataset, _csv(tmp_path / f"{name}-2.csv", points, 12),
                           resource=older.version.resource)
        assert live.status == IngestJob.Status.DONE, live.error
        for field, value in flags.items():
            setattr(dataset, field, value)
        dataset.save()
        made[name] = (dataset, older.version, live.version)
    stranger = make("open-stranger", password="pw-st-1")
    assert groups.ask_to_join(stranger, group) is None  # a member at once
    return {"group": group, "admin": admin, "editor": editor, "stranger": stranger, **made}


def _reads(user, dataset, older, live) -> bool:
    """Whether ``user`` reads the dataset's records (and its member-only counts), asserting
    every path agrees. Read afresh, as each request does."""
    fresh = type(live).objects.select_related("resource__dataset__organisation").get
    older, live = fresh(pk=older.pk), fresh(pk=live.pk)
    dataset = live.resource.dataset
    client = Client()
    client.force_login(user)
    r = f"/datasets/{dataset.name}/resources/{live.resource_id}/"
    api = f"/api/catalogue/resources/{live.resource_id}"
    paths = [f"{api}/rows", f"{r}v{live.number}/download.csv",
             f"/api/3/action/datastore_search?resource_id={live.resource_id}"]
    seen = []
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 403), (path, response.status_code)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        seen.append(response.status_code == 200 and SURNAME in body.decode())
    rows = access.row_access(user, dataset)
    seen += [access.can_see_records(user, dataset),
             rows is not None and rows.full,
             access.can_see_version_counts(user, older),
             access.can_see_row_totals(user, dataset),
             not access_requests.can_ask(user, dataset)]
    assert len(set(seen)) == 1, seen
    return seen[0]


@pytest.mark.parametrize("kind", ["visits", "restricted"])
def test_a_stranger_who_joins_an_open_group_does_not_read_its_records(world, kind):
    dataset, older, live = world[kind]
    assert not _reads(world["stranger"], dataset, older, live)
    assert access.can_view(world["stranger"], dataset)  # the description is everyone's
    assert access.can_see_version_counts(world["stranger"], live)  # disclosure-controlled


@pytest.mark.parametrize("kind", ["visits", "restricted"])
def test_the_open_groups_editors_and_admins_still_read_them(world, kind):
    for who in ("editor", "admin"):
        assert _reads(world[who], *world[kind]), who


def test_closing_the_group_gives_its_members_the_records_back(world):
    stranger = world["stranger"]
    groups.set_open(world["admin"], world["group"], False)  # members are vetted from now on
    for kind in ("visits", "restricted"):
        assert _reads(stranger, *world[kind]), kind
    groups.set_open(world["admin"], world["group"], True)
    for kind in ("visits", "restricted"):
        assert not _reads(stranger, *world[kind]), kind


def test_a_member_of_an_open_group_still_sees_its_drafts(world, make_dataset):
    draft = make_dataset("open-draft", organisation=world["group"], state="draft")
    assert access.can_view(world["stranger"], draft)
    assert access.can_see_records(world["stranger"], draft)  # not records about people
