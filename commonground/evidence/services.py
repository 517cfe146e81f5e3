"""Use cases for evidence packs: create, add items (taking their snapshots), reorder, remove,
refresh, publish; the lists of packs a user may see. (The pack as one dictionary for the
page, the PDF and the JSON is ``document``.)

Every change checks ``access``; bad input raises ``PackError`` naming the field.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from commonground.activity import events
from commonground.activity.inputs import FieldError
from commonground.catalogue.models import Dataset
from commonground.catalogue.services.lens import LensError
from commonground.places.cache import city_state
from commonground.places.names import PlaceError, check_places

from . import access, dataset_items, lens_items, profile_items
from .models import EvidencePack, PackItem


class PackError(FieldError):
    """Bad input for an evidence pack or one of its items."""


def place_geographies(state) -> list[str]:
    """The newest LSOAs (the base geography), MSOAs of the same census, and wards."""
    year = state.base[-2:] if state.base[-2:].isdigit() else ""
    wanted = [state.base, f"msoa{year}", "ward"]
    return [g for g in wanted if g in state.profiled]


def find_place(text: str):
    """One LSOA, MSOA or ward of the city, by name or code (``AreaRecord``)."""
    try:
        codes = check_places(text)
    except PlaceError as exc:
        raise PackError("place", str(exc).replace("Places:", "Place:", 1)) from None
    if len(codes) != 1:
        raise PackError("place", "Place: name one neighbourhood (LSOA), area (MSOA) or ward")
    state = city_state()
    for geography in place_geographies(state):
        record = state.areas.get((geography, codes[0]))
        if record is not None:
            return record
    raise PackError("place", f"Place: “{text.strip()[:60]}” is not a neighbourhood (LSOA), "
                             "area (MSOA) or ward")


def create_pack(user, organisation, *, title: str, question: str, place: str,
                intro: str = "") -> EvidencePack:
    if not access.can_create_in(user, organisation):
        raise PermissionDenied(f"Only editors of {organisation.name} build its evidence packs.")
    if not title.strip():
        raise PackError("title", "Title: say in a few words what the pack shows")
    if not question.strip():
        raise PackError("question", "Question: say what the pack asks or answers")
    record = find_place(place)
    return EvidencePack.objects.create(
        organisation=organisation, title=title.strip()[:200], question=question.strip()[:500],
        geography=record.geography, code=record.code, area_name=record.display_name[:200],
        intro=intro.strip(), created_by=user)


def update_pack(user, pack: EvidencePack, *, title: str, question: str, intro: str) -> None:
    _check_edit(user, pack)
    if not title.strip():
        raise PackError("title", "Title: say in a few words what the pack shows")
    if not question.strip():
        raise PackError("question", "Question: say what the pack asks or answers")
    with _changing(pack):
        pack.title, pack.question = title.strip()[:200], question.strip()[:500]
        pack.intro = intro.strip()
        pack.save(update_fields=["title", "question", "intro", "updated"])


def _check_edit(user, pack: EvidencePack) -> None:
    if not access.can_edit(user, pack):
        raise PermissionDenied(f"Only editors of {pack.organisation.name} change its packs.")
    if pack.is_withdrawn:
        raise PackError("action", WITHDRAWN)


WITHDRAWN = "This pack was withdrawn: it stays on the record as it was"


@contextmanager
def _changing(pack: EvidencePack):
    """A transaction for one change to the pack that holds the pack's row (on PostgreSQL;
    SQLite lets one writer at a time anyway) and first finds it still not withdrawn, so a
    change and a withdrawal never interleave."""
    with transaction.atomic():
        current = EvidencePack.objects.select_for_update().only("withdrawn").get(pk=pack.pk)
        if current.withdrawn is not None:
            raise PackError("action", WITHDRAWN)
        yield


def take_snapshot(pack: EvidencePack, kind: str, *, source: str = "", dataset=None) -> dict:
    """The figures and citations of an item as the data stands now."""
    if kind == PackItem.Kind.PROFILE:
        try:
            return profile_items.snapshot(pack.geography, pack.code, source or "summary")
        except profile_items.ProfileSectionMissing as exc:
            raise PackError("source", f"Profile: {exc}") from None
    if kind in (PackItem.Kind.DATASET, PackItem.Kind.LENS):
        if dataset is None:
            raise PackError("dataset", "Dataset: choose a dataset")
        if not access.can_cite(dataset):
            raise PackError("dataset", "Dataset: a pack can only cite a published, public "
                                       "dataset, so anyone can check its figures")
        items = dataset_items if kind == PackItem.Kind.DATASET else lens_items
        try:
            return items.snapshot(dataset, pack.geography, pack.code)
        except LensError as exc:
            raise PackError("dataset", f"Dataset: {exc}") from None
    if kind == PackItem.Kind.CAMPAIGN:
        from . import campaign_items  # the heat models load only when a ranking is added

        try:
            return campaign_items.snapshot(pack.geography, pack.code, source)
        except campaign_items.WeightError as exc:
            raise PackError("campaign", f"Ranking: {exc}") from None
    raise PackError("kind", "Item: choose profile figures, a dataset, lens findings, a "
                            "ranking or text")


def add_item(user, pack: EvidencePack, kind: str, *, source: str = "", dataset=None,
             text: str = "") -> PackItem:
    _check_edit(user, pack)
    if kind == PackItem.Kind.TEXT:
        if not text.strip():
            raise PackError("text", "Text: write what the group wants to say")
        snapshot = {}
    else:
        snapshot = take_snapshot(pack, kind, source=source, dataset=dataset)
        source = snapshot.get("query", source)  # a ranking's weights, each written out
    with _changing(pack):
        order = (pack.items.aggregate(n=Max("order"))["n"] or 0) + 1
        item = PackItem.objects.create(
            pack=pack, order=order, kind=kind,
            source=source if kind in (PackItem.Kind.PROFILE, PackItem.Kind.CAMPAIGN) else "",
            dataset=dataset if kind in (PackItem.Kind.DATASET, PackItem.Kind.LENS) else None,
            text=text.strip(), snapshot=snapshot, taken=timezone.now() if snapshot else None)
        pack.save(update_fields=["updated"])
    return item


def refresh_item(user, item: PackItem) -> PackItem:
    """Take the item's snapshot again from the data as it stands now (an explicit choice)."""
    _check_edit(user, item.pack)
    if item.kind == PackItem.Kind.TEXT:
        return item
    snapshot = take_snapshot(item.pack, item.kind, source=item.source, dataset=item.dataset)
    with _changing(item.pack):
        item.snapshot, item.taken = snapshot, timezone.now()
        item.save(update_fields=["snapshot", "taken"])
        item.pack.save(update_fields=["updated"])
    return item


def remove_item(user, item: PackItem) -> None:
    _check_edit(user, item.pack)
    with _changing(item.pack):
        item.delete()
        item.pack.save(update_fields=["updated"])


def move_item(user, item: PackItem, step: int) -> None:
    """Swap the item with its neighbour above (step -1) or below (step +1)."""
    _check_edit(user, item.pack)
    items = list(item.pack.items.all())
    i = next(n for n, it in enumerate(items) if it.pk == item.pk)
    j = i + (1 if step > 0 else -1)
    if not 0 <= j < len(items):
        return
    items[i], items[j] = items[j], items[i]
    with _changing(item.pack):
        for n, it in enumerate(items, start=1):
            if it.order != n:
                it.order = n
                it.save(update_fields=["order"])


def publish(user, pack: EvidencePack) -> EvidencePack:
    """Publish the pack: followers of the group and of the place hear of it."""
    _check_edit(user, pack)
    if pack.is_published:
        return pack
    if not pack.items.exists():
        raise PackError("items", "Items: add at least one item before publishing")
    for item in pack.items.filter(kind__in=[PackItem.Kind.DATASET, PackItem.Kind.LENS]) \
            .select_related("dataset"):
        if item.dataset is None:
            raise PackError("items", "Items: a dataset an item cites was deleted; remove "
                                     "the item before publishing")
        if not access.can_cite(item.dataset):
            raise PackError("items", f"Items: {item.dataset.title} is no longer public; "
                                     "remove it before publishing")
    with _changing(pack):
        pack.state, pack.published = EvidencePack.State.PUBLISHED, timezone.now()
        pack.save(update_fields=["state", "published", "updated"])
        events.record(f"{pack.organisation.name} published an evidence pack for "
                      f"{pack.area_name}: “{pack.title[:120]}”", pack.get_absolute_url(),
                      [("group", pack.organisation.slug), ("place", pack.code)], actor=user)
    return pack


def withdraw(user, pack: EvidencePack, *, reason: str) -> EvidencePack:
    """Withdraw a published pack, with a reason everyone sees. It stays at its address as it
    was, under a notice, leaves the list of packs, and can no longer be changed; followers of the
    group and of the place hear of it."""
    _check_edit(user, pack)
    if not pack.is_published:
        raise PackError("action", "Only a published pack can be withdrawn; a draft can "
                                  "simply be left unpublished")
    reason = (reason or "").strip()
    if not reason:
        raise PackError("reason", "Reason: say why the pack is withdrawn (everyone sees it)")
    with transaction.atomic():
        locked = EvidencePack.objects.select_for_update().only("withdrawn").get(pk=pack.pk)
        if locked.withdrawn is not None:  # withdrawn meanwhile (a second click): no more
            return pack
        pack.withdrawn, pack.withdrawn_reason = timezone.now(), reason[:500]
        pack.save(update_fields=["withdrawn", "withdrawn_reason", "updated"])
        events.record(f"{pack.organisation.name} withdrew its evidence pack for "
                      f"{pack.area_name}: “{pack.title[:120]}”", pack.get_absolute_url(),
                      [("group", pack.organisation.slug), ("place", pack.code)], actor=user)
    return pack


# ---------------------------------------------------------------------------- reading

def listing(user, *, place: str = "", group: str = ""):
    """Packs the user may see (published ones, and drafts of their groups), filtered."""
    packs = access.visible_packs(user)
    if place:
        packs = packs.filter(code=place.strip().upper())
    if group:
        packs = packs.filter(organisation__slug=group)
    return packs


def published_packs(*, place: str = "", group: str = ""):
    """Published packs still standing (withdrawn ones keep their page but leave this list)."""
    return listing(None, place=place, group=group).filter(state=EvidencePack.State.PUBLISHED,
                                                          withdrawn__isnull=True)


def packs_for_group(user, organisation):
    """The group's packs this user may see: drafts only for its members (the group page)."""
    return listing(user, group=organisation.slug).filter(organisation=organisation)


def dataset_by_id(value: str) -> Dataset | None:
    """The dataset a form names by its id (a UUID); None when it names none."""
    value = str(value or "").strip()
    if not value.isascii():  # "١٢…" would otherwise read as the digits "12…"
        return None
    try:
        return Dataset.objects.select_related("organisation").filter(pk=value).first()
    except (ValueError, ValidationError):  # not a dataset id at all
        return None
