"""The pack as one plain dictionary: the web page, the PDF and the JSON all read it, so they
show the same figures. Snapshots are read as frozen; only two things look at the data as it
stands now: the notice that newer data exists, and whether a cited dataset is still public.

An item whose dataset is no longer public (unpublished, made private or deleted) shows only
``WITHHELD``, to everyone: no title, organisation, figures, checksum or newer-data notice,
since a published pack is public and must not outlive the dataset's visibility. If the
dataset becomes public again, its frozen figures show again. Likewise an item whose dataset
now says it holds records about people, but whose figures were taken before it said so
(exact small counts, rows drawn as dots), shows only ``NOW_ABOUT_PEOPLE`` until it is
removed and added again; an item whose dataset is now restricted shows only ``NOW_RESTRICTED``
when its figures were taken before (exact small counts of a dataset now restricted as a whole,
or dots of rows whose exact locations are now withheld). And an item about a dataset whose
records are withheld (``Dataset.records_withheld``: about people, or restricted as a whole)
whose cited version is no longer the live one shows only ``OLDER_VERSION``, to everyone, until an editor
refreshes it: only the live version's counts are public, since two versions' counts, each safe
on its own, differenced would show where one person moved (``docs/DISCLOSURE.md``)."""

from __future__ import annotations

from django.utils import timezone

from commonground.catalogue.access import rows_are_public
from commonground.catalogue.models import Resource
from commonground.geography.codes import geography_label
from commonground.places.models import DataSource

from . import pdf
from .access import can_cite
from .citations import day
from .models import EvidencePack, PackItem

WITHHELD = "Figures withheld: the dataset this cited is no longer public."
NOW_ABOUT_PEOPLE = ("Figures withheld: the dataset this cited now says it holds records about "
                    "people, and these figures were taken before small counts were hidden.")
NOW_RESTRICTED = ("Figures withheld: the dataset this cited is now restricted, and these "
                  "figures were taken before its small counts or its rows' locations were "
                  "withheld.")
OLDER_VERSION = ("Figures withheld: they come from an older version of a dataset holding "
                 "records about people, whose counts are for its organisation's members. "
                 "An editor of this pack can refresh the item from the live version.")


def newer_data(item: PackItem) -> str | None:
    """ "Newer data exists (version N)" when the cited data has moved on since the snapshot."""
    for cite in item.snapshot.get("cites", []):
        if cite.get("kind") == "dataset":
            resource = Resource.objects.filter(pk=cite["resource"]).select_related(
                "current_version").first()
            current = resource.current_version if resource else None
            if current is not None and current.number != cite["version"]:
                return f"Newer data exists (version {current.number})"
        elif cite.get("kind") == "profile":
            vintage = DataSource.objects.filter(name=cite["source"]).values_list(
                "vintage", flat=True).first()
            if vintage is not None and vintage != cite["vintage"]:
                return f"Newer data exists ({vintage})"
    return None


def withheld(item: PackItem) -> str | None:
    """Why the item's frozen figures are shown to no one, or None: the dataset they rest on
    is no longer public, or now holds records about people though they were taken before
    it said so (snapshots from before citations said so count as taken before)."""
    if item.kind not in (PackItem.Kind.DATASET, PackItem.Kind.LENS):
        return None
    if not can_cite(item.dataset):
        return WITHHELD
    dataset, cites = item.dataset, [cite for cite in item.snapshot.get("cites", [])
                                    if cite.get("kind") == "dataset"]
    controlled = any(cite.get("about_people") or cite.get("records_withheld") for cite in cites)
    if dataset.about_people and not controlled:
        return NOW_ABOUT_PEOPLE
    if dataset.records_withheld and not controlled:
        return NOW_RESTRICTED
    if not rows_are_public(dataset) and (item.snapshot.get("map") or {}).get("dots"):
        return NOW_RESTRICTED  # exact locations drawn before they were withheld
    if dataset.records_withheld and superseded(item):
        return OLDER_VERSION
    return None


def superseded(item: PackItem) -> bool:
    """Whether a dataset version the item cites is no longer its resource's live one."""
    for cite in item.snapshot.get("cites", []):
        if cite.get("kind") == "dataset" and Resource.objects.filter(
                pk=cite["resource"]).values_list("current_version__number",
                                                 flat=True).first() != cite["version"]:
            return True
    return False


def pack_dict(pack: EvidencePack) -> dict:
    """The whole pack as plain JSON-ready data: the page, the PDF and the API read this."""
    items = []
    for item in pack.items.select_related("dataset"):
        entry = {"id": item.pk, "kind": item.kind, "order": item.order, "text": item.text,
                 "taken": item.taken.isoformat() if item.taken else None, "newer": None}
        reason = withheld(item)
        if reason:
            entry.update(withheld=reason, refreshable=reason == OLDER_VERSION,
                         taken_day=day(entry["taken"]) if entry["taken"] else None)
            items.append(entry)
            continue
        if item.kind != PackItem.Kind.TEXT:
            entry["newer"] = newer_data(item)
        entry.update(item.snapshot)
        entry["taken_day"] = day(entry["taken"]) if entry["taken"] else None
        if entry.get("comparison"):
            entry["comparison"] = _with_bars(entry["comparison"])
        items.append(entry)
    return {"id": pack.pk, "title": pack.title, "question": pack.question, "intro": pack.intro,
            "state": pack.state, "slug": pack.slug, "url": pack.get_absolute_url(),
            "organisation": {"name": pack.organisation.name, "slug": pack.organisation.slug},
            "place": {"name": pack.area_name, "geography": pack.geography, "code": pack.code,
                      "geography_label": geography_label(pack.geography),
                      "url": f"/places/{pack.geography}/{pack.code}/"},
            "created": pack.created.isoformat(), "updated": pack.updated.isoformat(),
            "published": pack.published.isoformat() if pack.published else None,
            "withdrawn": {"on": pack.withdrawn.isoformat(),
                          "day": day(timezone.localtime(pack.withdrawn).isoformat()),
                          "reason": pack.withdrawn_reason} if pack.withdrawn else None,
            "items": items}


def _with_bars(comparison: dict) -> dict:
    """Each place's bar length as a percentage of the largest rate (for the page's chart)."""
    top = max((p["value"] or 0 for p in comparison["places"]), default=0) or 1.0
    places = [{**p, "bar": round(100 * (p["value"] or 0) / top, 1)} for p in comparison["places"]]
    return {**comparison, "places": places}


def pdf_bytes(pack: EvidencePack, *, base_url: str = "") -> bytes:
    data = pack_dict(pack)
    data["url"] = base_url + data["url"]
    return pdf.render(data)
