"""Registrations of interest held by a group anyone may join at once.

A group "open to join" admits a stranger as a member the moment they ask, so its members do
not see the personal data it holds: who registered interest in its offers (name, email,
phone, low-income flag) is for its editors and admins (and site staff), on the provider page
and in the API. A group that vets its members keeps today's rule: every member sees them.
The rule is asked on every request, so closing the group again gives members back their view.
"""

from __future__ import annotations

import pytest
from api_calls import Caller
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commonground.accounts.models import Membership
from commonground.community import groups
from commonground.energy import offers as energy_offers
from commonground.energy.models import Offer

pytestmark = pytest.mark.django_db

EMAIL = "sam.open@example.org"


@pytest.fixture
def world(loaded, settings, django_user_model):
    """The co-operative's community-shares offer with one registration; the co-operative has
    an admin and an editor and admits anyone at once; a stranger who has just joined."""
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    offer = Offer.objects.get(kind="community_shares")
    coop = offer.organisation
    make = django_user_model.objects.create_user
    admin, editor = make("coop-admin", password="pw-ad-1"), make("coop-editor", password="pw-ed-1")
    Membership.objects.create(user=admin, organisation=coop, role=Membership.Role.ADMIN)
    Membership.objects.create(user=editor, organisation=coop, role=Membership.Role.EDITOR)
    groups.set_open(admin, coop, True)
    energy_offers.register_interest(
        offer.pk, postcode="MK2 2HB", tenure="rent", home="flat", low_income=False,
        name="Sam Open", email=EMAIL, phone="07700 900123", consent=True)
    stranger = make("stranger", password="pw-st-1")
    assert groups.ask_to_join(stranger, coop) is None  # a member at once
    assert Membership.objects.get(user=stranger, organisation=coop).role == Membership.Role.MEMBER
    return {"offer": offer, "coop": coop, "admin": admin, "editor": editor,
            "stranger": stranger}


def _sees_registrations(user, offer) -> bool:
    """Whether ``user`` reads the registration on the provider page and in the API (asserting
    both say the same)."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("energy:provider"))
    assert page.status_code == 200
    on_page = EMAIL in page.content.decode()
    api = Caller(user).get(f"/api/energy/offers/{offer.pk}/registrations")
    assert api.status_code in (200, 403)
    in_api = api.status_code == 200 and EMAIL in api.content.decode()
    assert on_page == in_api
    detail = Caller(user).get(f"/api/energy/offers/{offer.pk}").json()
    assert detail["can_see_registrations"] is on_page
    return on_page


def test_a_stranger_who_joins_an_open_group_does_not_see_who_registered(world):
    offer = world["offer"]
    assert not _sees_registrations(world["stranger"], offer)
    refused = Caller(world["stranger"], token=True).get(
        f"/api/energy/offers/{offer.pk}/registrations")
    assert refused.status_code == 403 and EMAIL not in refused.content.decode()
    listed = Caller(world["stranger"]).get("/api/energy/offers", mine=True).json()
    assert offer.pk not in {o["id"] for o in listed["offers"]}


def test_the_open_groups_editors_and_admins_still_see_them(world):
    for who in ("editor", "admin"):
        assert _sees_registrations(world[who], world["offer"]), who
    seen = Caller(world["editor"]).get(
        f"/api/energy/offers/{world['offer'].pk}/registrations").json()
    assert seen["registrations"][0]["phone"] == "07700 900123"


def test_closing_the_group_gives_its_members_their_view_back(world):
    offer, stranger = world["offer"], world["stranger"]
    assert not _sees_registrations(stranger, offer)
    groups.set_open(world["admin"], world["coop"], False)  # members are vetted from now on
    assert _sees_registrations(stranger, offer)
    groups.set_open(world["admin"], world["coop"], True)
    assert not _sees_registrations(stranger, offer)
