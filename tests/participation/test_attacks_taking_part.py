"""Attacks on who takes part (issue 22): the participation lens on the data requests and on
energy offers, its API (``/api/participation``) and the forms that feed it.

Each test is one thing an attacker tries: reading an offer's registrants' tables as an
anonymous caller, a member of another organisation or a plain member of a group anyone may
join; forging a registration or its deletion from another site (no CSRF token); sending
answers that are not answers; and learning one person's answers by setting two views side by
side: the page and the API, the list's filters, the tables before and after one person acts,
or two people taking part at the same moment.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commonground.accounts.models import Membership
from commonground.community import groups
from commonground.energy import offers as energy_offers
from commonground.energy.models import Interest, Offer
from commonground.participation import lens, services
from commonground.participation.models import TakingPart
from commonground.participation.registrations import ASKING

pytestmark = pytest.mark.django_db
T = settings.COMMONGROUND_DISCLOSURE_THRESHOLD
NUL = "\x00"
ASKERS = ":".join(ASKING)


@pytest.fixture
def world(loaded, settings, django_user_model):
    """The co-op's community-shares offer (the co-op admits anyone at once) with its editor,
    a stranger who has just joined, someone of no group; and a closed offer of the co-op."""
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    offer = Offer.objects.get(kind="community_shares")
    coop = offer.organisation
    make = django_user_model.objects.create_user
    people = {n: make(n, password=f"pw-{n}-1") for n in ("admin", "editor", "joiner",
                                                         "outsider")}
    Membership.objects.create(user=people["admin"], organisation=coop,
                              role=Membership.Role.ADMIN)
    Membership.objects.create(user=people["editor"], organisation=coop,
                              role=Membership.Role.EDITOR)
    groups.set_open(people["admin"], coop, True)
    assert groups.ask_to_join(people["joiner"], coop) is None
    closed = Offer.objects.create(organisation=coop, kind="grant", title="Closed pilot",
                                  summary="Not published.", active=False)
    return {"offer": offer, "closed": closed, "coop": coop, **people}


def _client(user=None, **kwargs) -> Client:
    client = Client(**kwargs)
    if user is not None:
        client.force_login(user)
    return client


def _answers(i: int) -> dict:
    return {"ethnic_group": "white" if i % 3 else "asian", "sex": "female" if i % 2 else
            "male", "tenure": "owned"}


def _take_part(thing: tuple[str, str], start: int, n: int) -> None:
    for i in range(start, start + n):
        services.save_answers(_answers(i), person=("user", 50_000 + i), thing=thing)


# --------------------------------------------------------------------------- who may read

def test_an_offer_s_tables_are_refused_to_all_but_its_organisers(world):
    offer, closed = world["offer"], world["closed"]
    _take_part(("offer", str(offer.pk)), 0, 2 * T + 1)
    path = f"/api/participation/offers/{offer.pk}"
    assert _client().get(path).status_code == 401
    for who in ("outsider", "joiner"):
        refused = _client(world[who]).get(path)
        assert refused.status_code == 403, who
        assert "people" not in refused.json() and "tables" not in refused.json()
        # a closed offer is as missing as one that never was
        missing = _client(world[who]).get(f"/api/participation/offers/{closed.pk + 10_000}")
        assert _client(world[who]).get(
            f"/api/participation/offers/{closed.pk}").status_code == missing.status_code == 404
    assert _client(world["editor"]).get(path).json()["people"] == 2 * T
    assert _client(world["editor"]).get(
        f"/api/participation/offers/{closed.pk}").status_code == 200


@pytest.mark.parametrize("pk", ["-1", "0", "9" * 30, "abc", "1.5", "%00", "١"])
def test_an_id_that_is_not_one_is_a_4xx(world, pk):
    client = _client(world["editor"])
    for path in (f"/api/participation/offers/{pk}", f"/api/participation/consultations/{pk}"):
        got = client.get(path)
        assert 400 <= got.status_code < 500, (path, got.status_code)


def test_a_token_of_another_organisation_reads_nothing(world):
    from commonground.accounts import tokens

    _take_part(("offer", str(world["offer"].pk)), 0, 2 * T + 1)
    secret = tokens.make(world["outsider"]).secret
    got = Client().get(f"/api/participation/offers/{world['offer'].pk}",
                       headers={"Authorization": f"Bearer {secret}"})
    assert got.status_code == 403


# --------------------------------------------------------------------- forged and bad input

def _registration(offer, **change) -> dict:
    return {"postcode": "MK2 2HB", "tenure": "rent", "home": "flat", "name": "Ann Attack",
            "email": "ann.attack@example.org", "phone": "", "consent": "1",
            "about_ethnic_group": "black", **change}


def test_a_registration_forged_from_another_site_counts_no_one(world):
    offer = world["offer"]
    forged = _client(enforce_csrf_checks=True).post(
        reverse("energy:register", args=[offer.pk]), _registration(offer))
    assert forged.status_code == 403
    assert not Interest.objects.filter(email="ann.attack@example.org").exists()
    assert not TakingPart.objects.exists()


def test_a_forged_deletion_keeps_the_registration(world):
    interest, _ = energy_offers.register_interest(
        world["offer"].pk, postcode="MK2 2HB", tenure="rent", home="flat", low_income=False,
        name="Bo", email="bo@example.org", phone="", consent=True)
    forged = _client(enforce_csrf_checks=True).post(
        reverse("energy:interest", args=[interest.token]), {"delete": "1"})
    assert forged.status_code == 403
    assert Interest.objects.filter(pk=interest.pk).exists()


@pytest.mark.parametrize("change", [
    {"about_ethnic_group": "martian"}, {"about_ethnic_group": NUL},
    {"about_ethnic_group": "black" + NUL}, {"about_sex": "x" * 10_000},
    {"about_age_band": "٦٥+"}, {"about_tenure": "<script>"}, {"about_disability": "-1"}])
def test_an_answer_not_on_the_list_is_named_and_counts_no_one(world, change):
    offer = world["offer"]
    refused = _client().post(reverse("energy:register", args=[offer.pk]),
                             _registration(offer, **change))
    assert refused.status_code == 400
    field = next(iter(change))
    assert f'name="{field}"' in refused.content.decode()
    assert "<script>" not in refused.content.decode()
    assert not Interest.objects.filter(email="ann.attack@example.org").exists()
    assert not TakingPart.objects.exists()


@pytest.mark.parametrize("place", [
    NUL, "MK2" + NUL, "x" * 10_000, "SW1A 1AA", "-1", "E01016813, E01016718", "<script>",
    "ｍｋ２ ２ｈｂ"])
def test_a_place_not_of_the_city_is_named_and_saves_nothing(loaded, place):
    from commonground.activity.inputs import FieldError

    with pytest.raises(FieldError) as refused:
        services.read_answers({"about_place": place})
    assert refused.value.field == "about_place"


def test_asking_for_data_from_a_nul_place_is_named_and_counts_no_one(world):
    from commonground.community.models import DataRequest

    client = _client(world["outsider"], raise_request_exception=False)
    refused = client.post(reverse("community:request_new"), {
        "title": "Bus stops", "description": "Which have no shelter?",
        "organisation": str(world["coop"].pk), "about_place": NUL})
    assert refused.status_code == 400
    assert not DataRequest.objects.filter(title="Bus stops").exists()
    assert not TakingPart.objects.exists()


# ------------------------------------------------------------------ learning by differencing

def test_the_api_and_the_page_show_the_askers_alike_whatever_the_filters(loaded):
    _take_part(ASKING, 0, 2 * T + 1)
    api = _client().get("/api/participation/requests").json()
    assert api["shown"] and api["people"] == 2 * T
    counts = sorted(r["count"] for t in api["tables"] for r in t["rows"]
                    if r["count"] is not None)
    for query in ("", "?status=published", "?organisation=no-such", "?page=2",
                  "?place=Bletchley+East", "?status=" + "x" * 500, "?place=%00"):
        page = _client().get("/requests/" + query)
        assert page.status_code < 500, query
        if 'id="taking-part"' not in page.content.decode():  # a refused filter shows none
            assert page.status_code >= 400, query
            continue
        html = page.content.decode()
        start = html.index('id="taking-part"')
        section = html[start:html.index("</section>", start)]
        cells = [c.split("</td>")[0] for c in section.split("<td>")[1:]]
        assert sorted(int(x) for x in cells if x.isdigit()) == counts, query


def test_the_organisers_page_and_api_show_the_same_counts(world):
    """The provider page and the API are two views of one table: no count one hides may
    show in the other."""
    offer = world["offer"]
    _take_part(("offer", str(offer.pk)), 0, 2 * T + 1)
    api = _client(world["editor"]).get(f"/api/participation/offers/{offer.pk}").json()
    counts = sorted(r["count"] for t in api["tables"] for r in t["rows"]
                    if r["count"] is not None)
    assert counts
    html = _client(world["editor"]).get(reverse("energy:provider")).content.decode()
    anchor = f'id="taking-part-{offer.pk}"'
    start = html.index(anchor)
    section = html[start:html.index("</section>", start)]
    cells = [c.split("</td>")[0] for c in section.split("<td>")[1:]]
    assert sorted(int(x) for x in cells if x.isdigit()) == counts
    assert anchor not in _client(world["joiner"]).get(reverse("energy:provider")).content.decode()


def test_one_person_acting_changes_nothing_published(world):
    """Before and after one person registers, deletes their registration, or the offer
    closes, the organisers read the same tables: they move only when a new batch closes."""
    offer = world["offer"]
    thing = ("offer", str(offer.pk))
    _take_part(thing, 0, 2 * T + 1)
    path = f"/api/participation/offers/{offer.pk}"
    editor = _client(world["editor"])
    before = editor.get(path).json()
    _take_part(thing, 2 * T + 1, 1)  # one more, in the open batch
    assert editor.get(path).json() == before
    interest, _ = energy_offers.register_interest(
        offer.pk, postcode="MK2 2HB", tenure="rent", home="flat", low_income=False,
        name="Cy", email="cy@example.org", phone="", consent=True)
    services.save_answers({"ethnic_group": "black"}, person=("email", "cy@example.org"),
                          thing=thing, place=interest.lsoa_code)
    assert editor.get(path).json() == before
    interest.delete()
    assert editor.get(path).json() == before
    offer.active = False
    offer.save()
    assert editor.get(path).json() == before
    # a late change of answers by someone of the published batch changes nothing either
    services.save_answers({"ethnic_group": "black", "tenure": "social"},
                          person=("user", 50_000), thing=thing)
    assert editor.get(path).json() == before


def _interleave(monkeypatch, during):
    """Run ``during()`` between the moment the next person's batch is worked out and the
    moment their row is written, as a second request running at the same time would."""
    original = lens.batch_for
    state = {"done": False}

    def batch_for(n, t):
        found = original(n, t)
        if not state["done"]:
            state["done"] = True
            during()
        return found

    monkeypatch.setattr(lens, "batch_for", batch_for)


def test_two_people_at_once_never_change_a_published_batch(loaded, monkeypatch):
    """A milestone's tables are published once someone of the next batch takes part. If a
    person counted just before (their batch worked out) is written just after, their answers
    must not join the published batch."""
    first = lens.milestone_size(1, T)
    _take_part(ASKING, 0, first - 1)
    seen = {}

    def others_meanwhile():
        _take_part(ASKING, first, 2)  # the milestone's last person, then the next batch's
        seen["published"] = lens.participation(ASKERS)

    _interleave(monkeypatch, others_meanwhile)
    services.save_answers({"ethnic_group": "black", "tenure": "social"},
                          person=("user", 99_999), thing=ASKING)
    assert seen["published"]["people"] == first
    assert lens.participation(ASKERS) == seen["published"]


def test_the_same_person_twice_at_once_is_counted_once(loaded, monkeypatch):
    _interleave(monkeypatch, lambda: _take_part(ASKING, 0, 1))
    _take_part(ASKING, 0, 1)
    assert TakingPart.objects.filter(thing=ASKERS).count() == 1
