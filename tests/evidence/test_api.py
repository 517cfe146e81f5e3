"""Evidence packs through the JSON API (``/api/evidence``): the same rule as the pages. Anyone
reads published packs; a draft is read by its group's members (and site staff) only, and to
anyone else it does not exist: 404, and no trace of it in the list."""

from __future__ import annotations

import pytest
from api_calls import Caller

from commonground.evidence import document, services
from commonground.evidence.models import PackItem

from .conftest import LSOA

pytestmark = pytest.mark.django_db

PACKS = "/api/evidence/packs"


def _pack(people, group, title, *, publish):
    pack = services.create_pack(people["editor"], group, title=title,
                                question=f"{title}: question?", place=LSOA)
    services.add_item(people["editor"], pack, PackItem.Kind.PROFILE, source="summary")
    return services.publish(people["editor"], pack) if publish else pack


@pytest.fixture
def packs(group, people, loaded):
    return {"draft": _pack(people, group, "Draft pack", publish=False),
            "published": _pack(people, group, "Published pack", publish=True)}


def test_anyone_reads_a_published_pack_as_its_page_does(packs, people):
    published = packs["published"]
    for who in (None, "outsider", "council_editor", "member"):
        caller = Caller(people[who] if who else None)
        read = caller.get(f"{PACKS}/{published.pk}")
        assert read.status_code == 200
        assert read.json() == document.pack_dict(published)
        assert read.json()["items"][0]["kind"] == "profile"


def test_a_draft_is_not_found_by_anyone_outside_the_group(packs, people, django_user_model):
    draft = packs["draft"]
    for who in (None, "outsider", "council_editor"):
        for token in (False, True) if who else (False,):
            caller = Caller(people[who] if who else None, token=token)
            response = caller.get(f"{PACKS}/{draft.pk}")
            assert response.status_code == 404, who
            assert "Draft pack" not in response.content.decode()
            listed = caller.get(PACKS).json()
            assert [p["title"] for p in listed["packs"]] == ["Published pack"]
            assert listed["total"] == 1
    staff = django_user_model.objects.create_user("staff", password="pw-st-1", is_staff=True)
    for reader in (people["member"], people["editor"], staff):
        for token in (False, True):
            caller = Caller(reader, token=token)
            assert caller.get(f"{PACKS}/{draft.pk}").json()["state"] == "draft"
            listed = caller.get(PACKS).json()
            assert {p["title"] for p in listed["packs"]} == {"Draft pack", "Published pack"}
            drafts = caller.get(PACKS, state="draft").json()
            assert [p["id"] for p in drafts["packs"]] == [draft.pk]


def test_the_list_filters_pages_and_leaves_withdrawn_packs_out_unless_asked(packs, people,
                                                                            group):
    services.withdraw(people["editor"], packs["published"], reason="Figures superseded")
    assert Caller().get(PACKS).json()["total"] == 0
    withdrawn = Caller().get(PACKS, withdrawn="true").json()
    assert [p["title"] for p in withdrawn["packs"]] == ["Published pack"]
    assert withdrawn["packs"][0]["withdrawn"] is not None
    read = Caller().get(f"{PACKS}/{packs['published'].pk}").json()  # still at its address
    assert read["withdrawn"]["reason"] == "Figures superseded"
    member = Caller(people["member"])
    assert member.get(PACKS, place=LSOA).json()["total"] == 1  # the draft
    assert member.get(PACKS, group="nobody").json()["total"] == 0
    assert member.get(PACKS, group=group.slug, limit=0).json() == {
        "total": 1, "limit": 0, "offset": 0, "packs": []}
    nowhere = member.get(PACKS, place="Atlantis")
    assert nowhere.status_code == 400 and "place" in nowhere.json()["detail"]
    assert member.get(PACKS, limit=-1).status_code == 422
    assert Caller().get(f"{PACKS}/999999").status_code == 404
