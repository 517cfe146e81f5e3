"""The demo's evidence pack: one believable published pack for a Bletchley neighbourhood.

``seed(group, editor)`` is called by the demo seeding command; ``editor`` must be an editor
of ``group``. It goes through the same use cases as the pages, and does nothing when the
group already has the pack.
"""

from __future__ import annotations

from commonground.catalogue.models import Resource, VersionArea
from commonground.places.cache import city_state
from commonground.places.profiles import area_profile

from . import dataset_items, services
from .models import EvidencePack, PackItem

TITLE = "Bletchley Library's neighbourhood: what the figures say"
PREFERRED = "E01016714"  # Milton Keynes 030B, around Bletchley Library (Westfield Road)

INTRO = """We are preparing for the council's budget consultation on community buildings.
This pack puts the official figures for the neighbourhood around **Bletchley Library** in one
place, so everyone at the meeting starts from the same numbers."""

OWN_WORDS = """### What we ask

- Keep the library's opening hours as they are while the consultation runs.
- Publish footfall by hour, so residents and the council can plan together.

Every figure above names the dataset version or published table it comes from; anyone can
check it on Common Ground."""


def bletchley_lsoa() -> str:
    """A neighbourhood in a Bletchley ward (Milton Keynes 030B when it is loaded)."""
    state = city_state()
    if (state.base, PREFERRED) in state.areas:
        return PREFERRED
    wards = [w for w in state.by_geography.get("ward", []) if w.name.startswith("Bletchley")]
    for area in state.base_areas:
        parents = area_profile(state.base, area.code, state)["parents"]
        if any(p["code"] in {w.code for w in wards} for p in parents):
            return area.code
    return state.base_areas[0].code


def _busiest_dataset(geography: str, code: str):
    """The citeable dataset with the most rows in the place (live versions only)."""
    best, best_rows = None, -1
    for dataset in dataset_items.choices():
        live = Resource.objects.filter(dataset=dataset).values("current_version")
        rows = sum(VersionArea.objects.filter(version__in=live, geography=geography,
                                              code=code).values_list("rows", flat=True))
        if rows > best_rows:
            best, best_rows = dataset, rows
    return best


def seed(group, editor) -> EvidencePack:
    existing = EvidencePack.objects.filter(organisation=group, title=TITLE).first()
    if existing is not None:
        return existing
    code = bletchley_lsoa()
    pack = services.create_pack(editor, group, title=TITLE, place=code, intro=INTRO,
                                question="What does the neighbourhood around Bletchley "
                                         "Library have, and lack, compared with the city?")
    services.add_item(editor, pack, PackItem.Kind.PROFILE, source="summary")
    state = city_state()
    dataset = _busiest_dataset(state.base, code)
    if dataset is not None:
        services.add_item(editor, pack, PackItem.Kind.DATASET, dataset=dataset)
    services.add_item(editor, pack, PackItem.Kind.TEXT, text=OWN_WORDS)
    return services.publish(editor, pack)
