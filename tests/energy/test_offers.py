"""Offers and registrations of interest: residents see the options that fit them with reasons,
register only with consent (the link to their registration is emailed, never shown), delete
their details; no one else changes them; only the offering organisation sees them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from commonground.accounts.models import Membership
from commonground.energy.models import Interest, Offer

pytestmark = pytest.mark.django_db

RENTER = {"postcode": "MK2 2HB", "tenure": "rent", "home": "flat"}


@pytest.fixture
def offers(loaded, settings):
    settings.DEBUG = False
    call_command("seed_energy", verbosity=0)
    return {o.kind: o for o in Offer.objects.all()}


@pytest.fixture
def coop_member(offers, django_user_model):
    user = django_user_model.objects.create_user("coop", password="pw-coop-1")
    Membership.objects.create(user=user, organisation=offers["community_shares"].organisation,
                              role=Membership.Role.MEMBER)
    return user


def _register(client, offer, **extra):
    data = {**RENTER, "name": "Sam Resident", "email": "sam@example.org", "consent": "1",
            **extra}
    return client.post(reverse("energy:register", args=[offer.pk]), data)


def test_a_renter_is_offered_community_shares_with_the_reason(client, offers):
    body = client.get("/api/energy/options", RENTER).json()
    kinds = [o["kind"] for o in body["options"]]
    assert kinds[0] == "community_shares" and "own_roof" not in kinds and "grant" not in kinds
    assert body["options"][0]["reasons"][0].startswith(
        "you rent: community shares from £50 let you own part of a solar project on the "
        "Bletchley library roof")
    page = client.get(reverse("energy:options"), RENTER).content.decode()
    assert "Community shares: Bletchley library roof" in page and "Panels for your roof" not in page


def _emailed_link(to: str) -> str:
    """The path of the registration link in the last email sent to ``to``."""
    body = [m for m in mail.outbox if m.to == [to]][-1].body
    return urlsplit(re.search(r"https?://\S+/energy/interest/\S+/", body).group(0)).path


def test_interest_is_stored_only_with_consent_and_its_link_is_emailed(client, offers,
                                                                       settings):
    settings.COMMONGROUND_SITE_URL = "https://hub.example"
    shares = offers["community_shares"]
    refused = _register(client, shares, consent="")
    assert refused.status_code == 400 and "Consent" in refused.content.decode()
    assert not Interest.objects.exists() and mail.outbox == []
    done = _register(client, shares)
    interest = Interest.objects.get()
    assert done.status_code == 302 and done["Location"] == reverse("energy:registered",
                                                                   args=[shares.pk])
    assert interest.consent and interest.lsoa_code.startswith("E01")
    assert not interest.low_income  # stored only when the offer needs it
    page = client.get(done["Location"]).content.decode()
    assert "We have emailed you a link" in page and interest.token not in page
    [sent] = mail.outbox
    assert sent.to == ["sam@example.org"] and shares.title in sent.subject
    assert "https://hub.example" + interest.get_absolute_url() in sent.body
    own = client.get(_emailed_link("sam@example.org"))
    assert "Your registration of interest" in own.content.decode()
    assert "no-cache" in own["Cache-Control"]


def test_registering_again_with_the_same_email_changes_nothing_and_emails_the_owner(
        client, offers):
    shares = offers["community_shares"]
    first = _register(client, shares, phone="01908 000000")
    victim = Interest.objects.get()
    attacker = Client()
    again = _register(attacker, shares, name="Mallory", email="SAM@Example.org",
                      phone="07000 666666", postcode="MK9 3EJ")
    # the same answer as a first registration: it does not tell the address was registered
    assert again.status_code == 302 and again["Location"] == first["Location"]
    page = attacker.get(again["Location"]).content.decode()
    assert page == client.get(first["Location"]).content.decode()
    assert victim.token not in page
    stored = Interest.objects.get()
    assert (stored.pk, stored.token, stored.name, stored.phone, stored.postcode) == (
        victim.pk, victim.token, "Sam Resident", "01908 000000", victim.postcode)
    # the link goes to the address already registered, never to the caller
    assert [m.to for m in mail.outbox] == [["sam@example.org"], ["sam@example.org"]]
    assert "nothing has changed" in mail.outbox[-1].body
    assert _emailed_link("sam@example.org") == victim.get_absolute_url()


def test_registrations_are_rate_limited_per_address_and_per_email(client, offers, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "register interest": (2, 3600)}
    shares = offers["community_shares"]
    for n in range(2):
        assert _register(client, shares, email=f"n{n}@example.org").status_code == 302
    flood = _register(client, shares, email="n2@example.org")  # a third from one address
    assert flood.status_code == 429 and "Too many at once" in flood.content.decode()
    # one inbox from many addresses: the third is refused too
    for n in range(3):
        answer = client.post(reverse("energy:register", args=[shares.pk]),
                             {**RENTER, "name": "Sam", "email": "inbox@example.org",
                              "consent": "1"}, REMOTE_ADDR=f"192.0.2.{n + 1}")
        assert answer.status_code == (429 if n == 2 else 302)
    assert Interest.objects.count() == 3  # n0, n1 and one of inbox
    assert len(mail.outbox) == 4  # n0, n1, inbox, inbox again (its link); none refused


@pytest.mark.parametrize("extra, words", [
    ({"postcode": "SW1A 1AA"}, "we do not know SW1A 1AA"),
    ({"email": "not-an-address"}, "Email"),
    ({"email": "a" * 300 + "@example.org"}, "Email"),
    ({"name": " "}, "Name"),
    ({"name": "A\x00nn"}, "Name"),
    ({"phone": "<script>"}, "Phone"),
    ({"tenure": ""}, "own or rent"),
    ({"home": "boat"}, "house or a flat"),
])
def test_bad_registrations_store_nothing(client, offers, extra, words):
    response = _register(client, offers["community_shares"], **extra)
    assert response.status_code == 400 and words in response.content.decode()
    assert not Interest.objects.exists()


def test_an_offer_not_open_to_the_person_cannot_be_registered_for(client, offers):
    response = _register(client, offers["own_roof"])  # a renter in a flat
    assert response.status_code == 400 and "own their home" in response.content.decode()
    assert not Interest.objects.exists()


def test_the_person_can_see_and_delete_their_details_through_the_emailed_link(client, offers):
    _register(client, offers["community_shares"])
    link = _emailed_link("sam@example.org")
    page = client.get(link)
    assert "sam@example.org" in page.content.decode()
    client.post(link, {"delete": "1"})
    assert not Interest.objects.exists()
    assert client.get(link).status_code == 404


def test_only_the_offering_organisation_sees_registrations(client, offers, coop_member,
                                                           django_user_model):
    _register(client, offers["community_shares"])
    assert client.get(reverse("energy:provider")).status_code == 302  # sign in first
    outsider = django_user_model.objects.create_user("installer", password="pw-inst-1")
    Membership.objects.create(user=outsider, organisation=offers["own_roof"].organisation,
                              role=Membership.Role.EDITOR)
    client.force_login(outsider)
    assert "sam@example.org" not in client.get(reverse("energy:provider")).content.decode()
    client.force_login(coop_member)
    page = client.get(reverse("energy:provider")).content.decode()
    assert "Sam Resident" in page and "sam@example.org" in page
    # never on public pages or in the public API
    client.logout()
    for url in (reverse("energy:options") + "?postcode=MK2+2HB&tenure=rent&home=flat",
                "/api/energy/options?postcode=MK2%202HB&tenure=rent&home=flat"):
        assert "sam@example.org" not in client.get(url).content.decode()


def test_a_group_purchase_is_flagged_when_enough_neighbours_register(client, offers,
                                                                      coop_member):
    bulk = offers["group_purchase"]
    assert bulk.area_codes, "the demo bulk buy serves the Bletchley wards"
    owner = {"postcode": "MK2 2HB", "tenure": "own", "home": "house"}
    options = client.get("/api/energy/options", owner).json()["options"]
    if bulk.pk not in [o["id"] for o in options]:
        pytest.skip("MK2 2HB is not in a Bletchley ward in this data")
    for i in range(bulk.group_threshold):
        assert _register(client, bulk, **owner, email=f"n{i}@example.org").status_code == 302
    client.force_login(coop_member)
    page = client.get(reverse("energy:provider")).content.decode()
    assert "Group purchase ready" in page


def test_editors_publish_offers_for_their_own_organisation_only(client, offers, coop_member,
                                                                django_user_model):
    coop = offers["community_shares"].organisation
    assert client.get(reverse("energy:offer_new")).status_code == 302  # sign in first
    client.force_login(coop_member)  # a plain member cannot publish
    assert client.get(reverse("energy:offer_new")).status_code == 403
    editor = django_user_model.objects.create_user("coop-editor", password="pw-ed-1")
    Membership.objects.create(user=editor, organisation=coop, role=Membership.Role.EDITOR)
    client.force_login(editor)
    data = {"organisation": coop.pk, "kind": "community_building",
            "title": "Solar on Wolverton school", "summary": "Panels on the school roof.",
            "tenure": "any", "home": "any", "areas": "Wolverton, nowhere", "active": "on"}
    bad = client.post(reverse("energy:offer_new"), data)
    assert bad.status_code == 400 and "“nowhere” is not a ward name" in bad.content.decode()
    done = client.post(reverse("energy:offer_new"), {**data, "areas": "Wolverton"})
    assert done.status_code == 302
    offer = Offer.objects.get(title="Solar on Wolverton school")
    assert offer.area_codes and offer.area_codes[0].startswith("E05")
    # another organisation's offer cannot be changed, nor published in its name
    installer_offer = offers["own_roof"]
    assert client.get(reverse("energy:offer_edit", args=[installer_offer.pk])).status_code == 403
    # an offer keeps its organisation: people registered with that organisation
    edit = client.get(reverse("energy:offer_edit", args=[offer.pk])).content.decode()
    assert 'name="organisation"' not in edit
    negative = client.post(reverse("energy:offer_new"), {**data, "areas": "",
                                                          "minimum_gbp": "-50"})
    assert negative.status_code == 400
    stolen = client.post(reverse("energy:offer_new"),
                         {**data, "organisation": installer_offer.organisation.pk,
                          "areas": ""})
    assert stolen.status_code == 400 and not Offer.objects.filter(
        organisation=installer_offer.organisation, kind="community_building").exists()
