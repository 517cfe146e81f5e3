"""The restricted-data leak test's world: two real datasets from the city's data folder, made
restricted, and everyone who must not read their rows.

* **whole**: the city's schools (the manifest's ``schools``), restricted as a whole: its
  description, schema and summaries are public, its rows need a grant;
* **columns**: the city's GP practices (``gp-practices``), restricted by two named text
  columns, the practice's name (the manifest's ``name_field``) and its postcode: the other
  columns are open, without the rows' exact locations.

Each has two versions (the file less a few rows, then the whole file), so older versions,
downloads of them and the changes between them are paths too. An open dataset (the city's
libraries, another publisher) gives "another dataset's key" and "another resource's id".

The **markers** are the withheld cells that cannot appear on a page for any other reason:
values of the withheld columns (plain letters, digits and spaces, so no escaping hides them)
found in no open cell of any of the three datasets and in no place's name. A marker in any
response to someone without a grant is a leak.

Viewers: signed out; a member of another organisation (a community group whose editor
cites both datasets in an evidence pack, first while they were open, then again once
restricted); a person whose grant expired; a person whose grant was revoked; a person with a
grant on the other restricted dataset; a machine with another dataset's key; a machine with
this dataset's key (an editor's, reading everything) after it was revoked.

Built once for the module and committed (hundreds of cases read it), then deleted.
"""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from commonground.datastore.scope import LOCATION_COLUMNS

WHOLE, COLUMNS = "whole", "columns"
SIGNED_OUT = "signed-out"
OTHER_ORGANISATION = "other-organisation"
EXPIRED_GRANT = "expired-grant"
REVOKED_GRANT = "revoked-grant"
OTHER_DATASET_KEY = "other-dataset-key"
REVOKED_KEY = "revoked-key"
SIBLING_GRANT = "grant-on-another-dataset"
VIEWERS = (SIGNED_OUT, OTHER_ORGANISATION, EXPIRED_GRANT, REVOKED_GRANT, SIBLING_GRANT,
           OTHER_DATASET_KEY, REVOKED_KEY)
#: A value of a withheld column's kind that no row holds (what a probe is compared with)
DECOY = "QZXV NOTHING HERE"
#: A marker is plain (no character a page or JSON would escape) and long enough to be telling
PLAIN = re.compile(r"^[A-Za-z0-9 ]{6,}$")
#: Rows of each real file left out of its first version
DROPPED = 3


@dataclass
class Restricted:
    """One restricted dataset of the world."""

    kind: str
    dataset: object
    resource: object
    live: object  # Version
    older: object  # Version
    withheld: list[str]  # the withheld data columns (every data column when whole)
    column: str  # the withheld text column probed by name (filters, sort, SQL)
    measure: str  # a withheld column to add up (a number when the dataset has one)
    markers: list[str]
    probe: str  # one marker, sent in requests (filters, q, SQL WHERE), with a word found
    # in no open cell
    place: str  # the base area of the probe's row
    small_place: str = ""  # a base area holding fewer rows than the disclosure threshold
    unseen: list[str] = field(default_factory=list)  # columns no row payload may hold
    revoked_key: str = ""  # secret of this dataset's editor key, revoked


@dataclass
class World:
    sets: dict[str, Restricted]
    other: object  # the open dataset
    other_resource: object
    publisher: object
    group: object
    users: dict[str, object]
    other_key: str  # secret of the open dataset's read key
    base: str
    geographies: list[str]
    pack: object | None = None
    pack_note: str = ""
    datastore: Path | None = None
    made_events: int = 0
    extra: dict = field(default_factory=dict)


def _ingest(dataset, path: Path, *, resource=None, name: str = ""):
    from commonground.catalogue.models import IngestJob, Resource
    from commonground.catalogue.services import ingest

    resource = resource or Resource.objects.create(dataset=dataset, name=name or path.name)
    with open(path, "rb") as f:
        job = ingest.stage_upload(resource, iter(lambda: f.read(1 << 16), b""),
                                  filename=path.name)
    job = ingest.run_job(job.id)
    assert job.status == IngestJob.Status.DONE, job.error
    return job.version


def _fewer_rows(path: Path, out: Path) -> Path:
    """The real file less its last :data:`DROPPED` rows (features), in the same format."""
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        with open(out, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(rows[:-DROPPED])
    else:
        collection = json.loads(path.read_text(encoding="utf-8"))
        collection["features"] = collection["features"][:-DROPPED]
        out.write_text(json.dumps(collection), encoding="utf-8")
    return out


def _rows(version) -> list[dict]:
    from commonground.datastore import query

    with query.reading(version.parquet_path) as (table, params):
        cursor = query.connection().execute(f"SELECT * FROM {table}", params)  # noqa: S608
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _two_versions(dataset, path: Path, folder: Path):
    older = _ingest(dataset, _fewer_rows(path, folder / f"first-{path.name}"),
                    name=dataset.title)
    live = _ingest(dataset, path, resource=older.resource)
    assert (older.number, live.number) == (1, 2)
    return older, live


def _markers(rows, columns, open_text: str) -> list[str]:
    found = []
    for row in rows:
        for column in columns:
            value = row.get(column)
            if (isinstance(value, str) and PLAIN.match(value.strip()) and value == value.strip()
                    and value.lower() not in open_text and value not in found):
                found.append(value)
    return found


def _telling(marker: str, open_text: str) -> bool:
    """Whether a word of the marker is in no open cell: a text search for the marker (every
    word, any column) can then find its row only by reading the withheld column."""
    return any(word.lower() not in open_text for word in marker.split())


def _open_text(rows_by_dataset, withheld_by_dataset, place_names) -> str:
    """Every open cell of the world's datasets and every place name, lower case: a marker
    must occur in none of them."""
    parts = list(place_names)
    for key, rows in rows_by_dataset.items():
        hidden = set(withheld_by_dataset.get(key, ()))
        for row in rows:
            parts += [str(v) for c, v in row.items() if c not in hidden and v is not None]
    return "\n".join(parts).lower()


@pytest.fixture(scope="module", name="restricted_world")
def restricted_world_fixture(django_db_setup, django_db_blocker, data_dir, tmp_path_factory):
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from commonground.accounts import keys as api_keys
    from commonground.accounts.models import Membership, Organisation
    from commonground.activity.models import Event
    from commonground.catalogue import grantscope
    from commonground.catalogue.models import Dataset, DatasetKey, Grant
    from commonground.catalogue.services.searchtext import refresh_search_text
    from commonground.evidence.models import EvidencePack
    from commonground.geography.manifest import load_manifest
    from commonground.places.cache import city_state
    from commonground.places.models import Area

    folder = tmp_path_factory.mktemp("restricted")
    manifest = load_manifest(data_dir)
    with django_db_blocker.unblock():
        first_event = Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        User = get_user_model()
        publisher = Organisation.objects.create(
            slug="mk-public-data", name="Milton Keynes Public Data Service",
            kind=Organisation.Kind.COUNCIL)
        libraries_org = Organisation.objects.create(
            slug="mk-library-service", name="Milton Keynes Library Service",
            kind=Organisation.Kind.COUNCIL)
        group = Organisation.objects.create(slug="fenny-neighbours", name="Fenny Neighbours",
                                            kind=Organisation.Kind.COMMUNITY_GROUP)
        users = {name: User.objects.create_user(name, password=f"pw-{name}-1") for name in (
            "leak-officer", "leak-group-editor", "leak-group-member", "leak-expired",
            "leak-revoked", f"leak-grantee-{WHOLE}", f"leak-grantee-{COLUMNS}")}
        Membership.objects.create(user=users["leak-officer"], organisation=publisher,
                                  role=Membership.Role.EDITOR)
        Membership.objects.create(user=users["leak-group-editor"], organisation=group,
                                  role=Membership.Role.EDITOR)
        Membership.objects.create(user=users["leak-group-member"], organisation=group,
                                  role=Membership.Role.MEMBER)
        try:
            world = _build(manifest, folder, publisher, libraries_org, group, users)
            world.datastore = Path(settings.COMMONGROUND_DATASTORE)
            state = city_state()
            world.base, world.geographies = state.base, list(state.profiled)
            pack = _pack_while_open(world, users["leak-group-editor"], group)
            _restrict(world)
            now = timezone.now()
            everything = grantscope.Scope().to_json()
            for r in world.sets.values():
                Grant.objects.create(dataset=r.dataset, user=users["leak-expired"],
                                     scope=everything, starts=now - timedelta(days=90),
                                     expires=now - timedelta(days=1))
                Grant.objects.create(dataset=r.dataset, user=users["leak-revoked"],
                                     scope=everything, starts=now - timedelta(days=1),
                                     expires=now + timedelta(days=300),
                                     revoked=now - timedelta(hours=1),
                                     revoked_by=users["leak-officer"],
                                     revoke_reason="Shared outside the agreed project")
                Grant.objects.create(dataset=r.dataset, user=users[f"leak-grantee-{r.kind}"],
                                     scope=everything, starts=now - timedelta(days=1),
                                     expires=now + timedelta(days=300))
                key, r.revoked_key = api_keys.make(
                    DatasetKey, scope=DatasetKey.Scope.READ, user=users["leak-officer"],
                    dataset=r.dataset, label="officer's laptop")
                api_keys.revoke(key)
            _, world.other_key = api_keys.make(
                DatasetKey, scope=DatasetKey.Scope.READ, user=users["leak-officer"],
                dataset=world.other, label="libraries reader")
            _pack(world, pack, users["leak-group-editor"])
            for r in world.sets.values():
                refresh_search_text(r.dataset)
            names = list(Area.objects.values_list("name", flat=True))
            rows = {k: _rows(r.live) + _rows(r.older) for k, r in world.sets.items()}
            rows["other"] = _rows(world.other_resource.current_version)
            open_text = _open_text(rows, {k: r.withheld for k, r in world.sets.items()}, names)
            for k, r in world.sets.items():
                r.markers = _markers(rows[k], [r.column] if k == WHOLE else r.withheld,
                                     open_text)
                assert len(r.markers) >= 5, (k, r.markers)
                probe_row = next(row for row in rows[k] if row.get(r.column) in r.markers
                                 and row.get(f"_{world.base}")
                                 and _telling(row[r.column], open_text))
                r.probe, r.place = probe_row[r.column], probe_row[f"_{world.base}"]
                r.small_place = r.live.areas.filter(
                    geography=world.base, rows__gt=0,
                    rows__lt=settings.COMMONGROUND_DISCLOSURE_THRESHOLD).values_list(
                    "code", flat=True).order_by("code").first() or ""
                # the exact locations go with the named columns (grantscope.open_columns_scope)
                r.unseen = r.withheld + (sorted(LOCATION_COLUMNS) if k == COLUMNS else [])
            world.made_events = Event.objects.filter(pk__gt=first_event).count()
            yield world
        finally:
            EvidencePack.objects.filter(organisation__in=[group, publisher]).delete()
            Dataset.objects.filter(organisation__in=[publisher, libraries_org]).delete()
            Event.objects.filter(pk__gt=first_event).delete()
            Organisation.objects.filter(pk__in=[publisher.pk, libraries_org.pk, group.pk]).delete()
            User.objects.filter(pk__in=[u.pk for u in users.values()]).delete()


def _build(manifest, folder, publisher, libraries_org, group, users) -> World:
    from commonground.catalogue.models import Dataset

    def real(name):
        resource = manifest.resource(name)
        return resource, manifest.root / resource.path

    sets = {}
    schools, path = real("schools")
    whole = Dataset.objects.create(
        name="pupil-records-by-school", title="Schools and their pupils (restricted)",
        organisation=publisher, state=Dataset.State.PUBLISHED,
        notes="Every school in the city with its pupils and free school meals.")
    older, live = _two_versions(whole, path, folder)
    numbers = [c["name"] for c in live.schema if c["type"] in ("integer", "number")]
    sets[WHOLE] = Restricted(
        WHOLE, whole, live.resource, live, older,
        withheld=[c["name"] for c in live.schema], column=schools.name_field,
        measure=next((c for c in numbers if "pupil" in c), numbers[0]), markers=[], probe="",
        place="")

    practices, path = real("gp-practices")
    columns = Dataset.objects.create(
        name="gp-practice-register", title="GP practice register (restricted columns)",
        organisation=publisher, state=Dataset.State.PUBLISHED,
        notes="The city's GP practices, their codes and status.")
    older, live = _two_versions(columns, path, folder)
    withheld = [practices.name_field, "postcode"]
    assert all(c in [s["name"] for s in live.schema] for c in withheld), live.schema
    sets[COLUMNS] = Restricted(COLUMNS, columns, live.resource, live, older, withheld=withheld,
                               column=practices.name_field, measure=practices.name_field,
                               markers=[], probe="", place="")

    libraries, path = real("libraries")
    other = Dataset.objects.create(name="public-libraries", title="Public libraries",
                                   organisation=libraries_org, state=Dataset.State.PUBLISHED)
    other_version = _ingest(other, path, name=libraries.title)
    return World(sets=sets, other=other, other_resource=other_version.resource,
                 publisher=publisher, group=group, users=users, other_key="", base="",
                 geographies=[])


def _restrict(world: World) -> None:
    """The publisher restricts the schools as a whole and the practices' two columns."""
    whole, columns = world.sets[WHOLE].dataset, world.sets[COLUMNS].dataset
    whole.restricted, whole.access_terms = True, "For research with an approved purpose."
    whole.save()
    columns.restricted = True
    columns.restricted_columns = "\n".join(world.sets[COLUMNS].withheld)
    columns.save()


def _pack_while_open(world: World, editor, group):
    """The group's pack, citing both datasets while they were open: its first items' figures
    and maps were taken then (frozen), with the rows drawn as dots."""
    from commonground.evidence import services as packs
    from commonground.evidence.models import PackItem

    codes = [set(r.live.areas.filter(geography=world.base, rows__gt=0).values_list(
        "code", flat=True)) for r in world.sets.values()]
    place = sorted(codes[0] & codes[1] or codes[0])[0]
    pack = packs.create_pack(editor, group, title="Schools and surgeries here", place=place,
                             question="How far are families from a school?")
    for r in world.sets.values():
        item = packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=r.dataset)
        world.extra[f"dots-while-open-{r.kind}"] = item.snapshot.get("map", {}).get("dots", 0)
    return pack


def _pack(world: World, pack, editor) -> None:
    """The pack cites both datasets again, now restricted (and the lens of the whole one), and
    is published if the hub lets it be; ``pack_note`` says why there is none."""
    from django.core.exceptions import PermissionDenied

    from commonground.catalogue.services.lens import LensError
    from commonground.evidence import services as packs
    from commonground.evidence.models import PackItem

    whole = world.sets[WHOLE]
    try:
        packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=whole.dataset)
        packs.add_item(editor, pack, PackItem.Kind.DATASET, dataset=world.sets[COLUMNS].dataset)
        packs.add_item(editor, pack, PackItem.Kind.LENS, dataset=whole.dataset)
    except (PermissionDenied, LensError, packs.PackError) as exc:
        world.pack_note = f"a pack cannot cite a restricted dataset: {exc}"
        return
    try:
        packs.publish(editor, pack)
    except packs.PackError as exc:  # then only the group's members see it, a draft
        world.extra["pack_unpublished"] = str(exc)
    world.pack = pack


def viewer(world: World, name: str, r: Restricted):
    """A test client as ``name`` sees ``r``, and the headers it sends."""
    from django.test import Client

    client = Client()
    if name == OTHER_ORGANISATION:
        client.force_login(world.users["leak-group-member"])
    elif name == EXPIRED_GRANT:
        client.force_login(world.users["leak-expired"])
    elif name == REVOKED_GRANT:
        client.force_login(world.users["leak-revoked"])
    elif name == SIBLING_GRANT:
        client.force_login(world.users[f"leak-grantee-{COLUMNS if r.kind == WHOLE else WHOLE}"])
    headers = {}
    if name == OTHER_DATASET_KEY:
        headers = {"HTTP_X_API_KEY": world.other_key}
    elif name == REVOKED_KEY:
        headers = {"HTTP_X_API_KEY": r.revoked_key}
    return client, headers
