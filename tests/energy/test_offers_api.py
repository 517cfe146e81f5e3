"""Energy offers and registrations through the JSON API (``/api/energy/offers``): open offers
are public; registrations of interest are personal data, seen only by members of the offering
organisation (and site staff), as on the provider page; a closed offer is not found by anyone
else."""

from __future__ import annotations

import pytest
from api_calls import Caller
from django.core.management import call_command

from commonground.accounts.models import Membership
from commonground.energy import offers as energy_offers
from commonground.energy.models import Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(loaded, settings):
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    return {o.kind: o for o in Offer.objects.all()}


@pytest.fixture
def people(offers, council, django_user_model):
    """A member of the co-operative that offers community shares, an editor of the council
    (another organisation) and a resident who belongs to nothing."""
    make = django_user_model.objects.create_user
    cast = {"coop": make("coop", password="pw-coop-1"),
            "officer": make("officer", password="pw-off-1"),
            "resident": make("resident", password="pw-res-1")}
    Membership.objects.create(user=cast["coop"],
                              organisation=offers["community_shares"].organisation,
                              role=Membership.Role.MEMBER)
    Membership.objects.create(user=cast["officer"], organisation=council,
                              role=Membership.Role.EDITOR)
    return cast


@pytest.fixture
def registered(offers):
    shares = offers["community_shares"]
    interest, _ = energy_offers.register_interest(
        shares.pk, postcode="MK2 2HB", tenure="rent", home="flat", low_income=False,
        name="Sam Resident", email="sam@example.org", consent=True)
    return interest


def test_anyone_reads_the_open_offers(offers, people):
    open_count = Offer.objects.filter(active=True).count()
    for who in (None, "resident", "coop"):
        listed = Caller(people[who] if who else None).get("/api/energy/offers").json()
        assert listed["total"] == open_count and open_count > 0
        assert {o["id"] for o in listed["offers"]} == set(
            Offer.objects.filter(active=True).values_list("pk", flat=True))
        assert "interests" not in str(listed) and "sam@example.org" not in str(listed)
    shares = offers["community_shares"]
    one = Caller().get(f"/api/energy/offers/{shares.pk}").json()
    assert one["title"] == shares.title and one["can_see_registrations"] is False
    assert Caller(people["coop"]).get(f"/api/energy/offers/{shares.pk}").json()[
        "can_see_registrations"] is True
    assert len(Caller().get("/api/energy/offers", limit=1).json()["offers"]) == 1


def test_registrations_are_for_the_offering_organisation_only(offers, people, registered,
                                                              django_user_model):
    url = f"/api/energy/offers/{registered.offer_id}/registrations"
    assert Caller().get(url).status_code == 401
    for who in ("resident", "officer"):
        for token in (False, True):
            refused = Caller(people[who], token=token).get(url)
            assert refused.status_code == 403, who
            assert "sam@example.org" not in refused.content.decode()
    staff = django_user_model.objects.create_user("staff", password="pw-st-1", is_staff=True)
    for reader in (people["coop"], staff):
        for token in (False, True):
            seen = Caller(reader, token=token).get(url).json()
            assert seen["total"] == 1 and seen["offer"] == registered.offer_id
            [entry] = seen["registrations"]
            assert (entry["name"], entry["email"], entry["postcode"]) == (
                "Sam Resident", "sam@example.org", "MK2 2HB")
            assert entry["lsoa"] == registered.lsoa_code
    assert Caller(people["coop"]).get("/api/energy/offers/999999/registrations") \
        .status_code == 404


def test_a_closed_offer_is_found_only_by_its_organisation(offers, people, registered):
    shares = offers["community_shares"]
    Offer.objects.filter(pk=shares.pk).update(active=False)
    for who in (None, "resident", "officer"):
        caller = Caller(people[who] if who else None)
        assert caller.get(f"/api/energy/offers/{shares.pk}").status_code == 404
        assert shares.pk not in {o["id"] for o in caller.get("/api/energy/offers")
                                 .json()["offers"]}
    assert Caller(people["officer"]).get(
        f"/api/energy/offers/{shares.pk}/registrations").status_code == 404
    coop = Caller(people["coop"])
    assert coop.get(f"/api/energy/offers/{shares.pk}").json()["active"] is False
    mine = coop.get("/api/energy/offers", mine="true").json()
    assert shares.pk in {o["id"] for o in mine["offers"]}
    assert coop.get(f"/api/energy/offers/{shares.pk}/registrations").json()["total"] == 1
