"""Group workspaces: anyone reads a group's page; signed-in people ask to join; only its
admins accept, set roles and remove; members see the member list and the drafts; the
group's activity is on the record."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Notification
from commonground.community.models import JoinRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(db):
    return Organisation.objects.create(slug="bletchley-food-bank", name="Bletchley Food Bank",
                                       kind=Organisation.Kind.COMMUNITY_GROUP,
                                       description="Food parcels and advice in Bletchley.")


@pytest.fixture
def people(group, django_user_model):
    make = django_user_model.objects.create_user
    cast = {name: make(name, email=f"{name}@example.org", password=f"pw-{name}-1")
            for name in ("admin", "editor", "member", "resident", "outsider")}
    for name, role in (("admin", "admin"), ("editor", "editor"), ("member", "member")):
        Membership.objects.create(user=cast[name], organisation=group, role=role)
    return cast


def test_anyone_reads_a_group_page_but_only_members_see_who_is_in_it(client, group, people):
    page = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "Bletchley Food Bank" in page and "3 members" in page
    assert "Only members see this list" not in page and "editor · Editor" not in page
    client.force_login(people["member"])
    page = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "Only members see this list" in page and "editor · Editor" in page
    assert "@example.org" not in page  # emails are never shown


def test_the_old_organisation_address_leads_to_the_group(client, group):
    response = client.get(reverse("catalogue:organisation", args=[group.slug]))
    assert response.status_code == 301 and response["Location"] == f"/groups/{group.slug}/"


def test_drafts_are_listed_for_members_only(client, group, people, make_dataset):
    make_dataset("food-parcels", title="Food parcels by ward", organisation=group,
                 state="draft")
    url = reverse("community:group", args=[group.slug])
    for who in (None, "resident"):
        if who:
            client.force_login(people[who])
        assert "Food parcels by ward" not in client.get(url).content.decode()
    client.force_login(people["member"])
    assert "Food parcels by ward" in client.get(url).content.decode()


def test_a_resident_asks_to_join_and_an_admin_accepts(client, group, people):
    join = reverse("community:join", args=[group.slug])
    assert client.post(join).status_code == 302 and not JoinRequest.objects.exists()  # sign in
    client.force_login(people["resident"])
    assert client.post(join, {"message": "I volunteer on Tuesdays"}).status_code == 302
    client.post(join)  # asking again does not make a second request
    waiting = JoinRequest.objects.get()
    assert waiting.status == "pending"
    assert "You asked to join" in client.get(reverse("community:group",
                                                     args=[group.slug])).content.decode()
    assert Notification.objects.filter(user=people["admin"], text__contains="asked to join")\
        .exists()
    decide = reverse("community:decide", args=[group.slug, waiting.pk])
    for who in ("resident", "member", "editor", "outsider"):
        client.force_login(people[who])
        assert client.post(decide, {"accept": "1"}).status_code == 403, who
        assert client.get(reverse("community:members", args=[group.slug])).status_code == 403
    assert not Membership.objects.filter(user=people["resident"]).exists()
    client.force_login(people["admin"])
    members_page = client.get(reverse("community:members", args=[group.slug])).content.decode()
    assert "I volunteer on Tuesdays" in members_page
    assert client.post(decide, {"accept": "1"}).status_code == 302
    assert Membership.objects.get(user=people["resident"], organisation=group).role == "member"
    assert Notification.objects.filter(user=people["resident"],
                                       text__contains="now a member of Bletchley").exists()
    assert client.post(decide, {"accept": "0"}).status_code == 400  # already decided
    activity = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "A new member joined Bletchley Food Bank" in activity  # no names on the record


def test_a_declined_request_makes_no_member_and_members_cannot_ask(client, group, people):
    client.force_login(people["member"])
    again = client.post(reverse("community:join", args=[group.slug]))
    assert again.status_code == 400 and "already a member" in again.content.decode()
    client.force_login(people["outsider"])
    client.post(reverse("community:join", args=[group.slug]))
    client.force_login(people["admin"])
    waiting = JoinRequest.objects.get()
    client.post(reverse("community:decide", args=[group.slug, waiting.pk]), {"accept": "0"})
    assert not Membership.objects.filter(user=people["outsider"]).exists()
    assert Notification.objects.filter(user=people["outsider"], text__contains="declined")\
        .exists()


def test_only_admins_set_roles_and_a_group_keeps_an_admin(client, group, people):
    member = Membership.objects.get(user=people["member"])
    url = reverse("community:set_role", args=[group.slug, member.pk])
    for who in ("member", "editor", "outsider"):
        client.force_login(people[who])
        assert client.post(url, {"role": "admin"}).status_code == 403, who
    client.logout()
    assert client.post(url, {"role": "admin"}).status_code == 302  # to sign in
    member.refresh_from_db()
    assert member.role == "member"
    client.force_login(people["admin"])
    assert client.post(url, {"role": "editor"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "editor"
    assert client.post(url, {"role": "owner"}).status_code == 400
    only_admin = Membership.objects.get(user=people["admin"])
    last = client.post(reverse("community:set_role", args=[group.slug, only_admin.pk]),
                       {"role": "member"})
    assert last.status_code == 400 and "needs at least one admin" in last.content.decode()


def test_admins_remove_members_and_members_may_leave(client, group, people):
    editor = Membership.objects.get(user=people["editor"])
    member = Membership.objects.get(user=people["member"])
    client.force_login(people["member"])
    assert client.post(reverse("community:remove",
                               args=[group.slug, editor.pk])).status_code == 403
    assert client.post(reverse("community:remove",
                               args=[group.slug, member.pk])).status_code == 302  # leaves
    client.force_login(people["admin"])
    assert client.post(reverse("community:remove",
                               args=[group.slug, editor.pk])).status_code == 302
    assert set(group.memberships.values_list("user__username", flat=True)) == {"admin"}
    last = Membership.objects.get(user=people["admin"])
    assert client.post(reverse("community:remove",
                               args=[group.slug, last.pk])).status_code == 400


def test_asking_to_join_is_rate_limited(client, settings, people, django_user_model):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "ask to join a group": (2, 3600)}
    client.force_login(people["outsider"])
    for i in range(3):
        made = Organisation.objects.create(slug=f"g{i}", name=f"Group {i}",
                                           kind=Organisation.Kind.COMMUNITY_GROUP)
        Membership.objects.create(user=people["admin"], organisation=made, role="admin")
    assert client.post(reverse("community:join", args=["g0"])).status_code == 302
    assert client.post(reverse("community:join", args=["g1"])).status_code == 302
    refused = client.post(reverse("community:join", args=["g2"]))
    assert refused.status_code == 429 and "try again later" in refused.content.decode()
    assert JoinRequest.objects.count() == 2


def test_members_ask_for_data_on_behalf_of_their_group(client, loaded, council, group, people):
    Membership.objects.create(user=people["editor"], organisation=council, role="editor")
    data = {"title": "Footfall at food bank sites", "description": "Visits per week",
            "organisation": council.pk, "group": group.slug}
    client.force_login(people["outsider"])
    refused = client.post(reverse("community:request_new"), data)
    assert refused.status_code == 400 and "not a member of Bletchley Food Bank" in \
        refused.content.decode()
    client.force_login(people["member"])
    assert client.post(reverse("community:request_new"), data).status_code == 302
    client.logout()
    page = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "Asked by Bletchley Food Bank" in page and "Footfall at food bank sites" in page


def test_odd_input_is_refused_not_a_crash(client, loaded, council, group, people):
    client.force_login(people["outsider"])
    client.post(reverse("community:join", args=[group.slug]))
    waiting = JoinRequest.objects.get()
    client.force_login(people["admin"])
    assert client.post(reverse("community:decide",
                               args=[group.slug, waiting.pk])).status_code == 400
    assert JoinRequest.objects.get().status == "pending"  # no silent decline
    odd = client.post(reverse("community:request_new"), {
        "title": "x", "description": "y", "organisation": "²", "group": "²"})
    assert odd.status_code == 400


def test_an_open_group_is_joined_at_once(client, group, people):
    client.force_login(people["member"])
    assert client.post(reverse("community:group_settings", args=[group.slug]),
                       {"open_to_join": "1"}).status_code == 403  # admins choose
    client.force_login(people["admin"])
    client.post(reverse("community:group_settings", args=[group.slug]), {"open_to_join": "1"})
    group.refresh_from_db()
    assert group.open_to_join
    client.force_login(people["outsider"])
    page = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "Anyone can join" in page
    client.post(reverse("community:join", args=[group.slug]))
    assert Membership.objects.get(user=people["outsider"], organisation=group).role == "member"
    assert not JoinRequest.objects.exists()


def test_nobody_waits_on_a_group_with_no_admin(client, people):
    orphan = Organisation.objects.create(slug="orphan", name="Orphan Group",
                                         kind=Organisation.Kind.COMMUNITY_GROUP)
    client.force_login(people["outsider"])
    assert "no admin on Common Ground yet" in client.get(
        reverse("community:group", args=[orphan.slug])).content.decode()
    refused = client.post(reverse("community:join", args=[orphan.slug]))
    assert refused.status_code == 400 and not JoinRequest.objects.exists()


def test_a_resident_starts_a_group_and_is_its_admin(client, group, people):
    assert client.get(reverse("community:group_new")).status_code == 302  # sign in first
    client.force_login(people["resident"])
    made = client.post(reverse("community:group_new"), {
        "name": "Fishermead Tenants", "description": "Repairs and rents."})
    assert made.status_code == 302 and made["Location"] == "/groups/fishermead-tenants/"
    assert Membership.objects.get(organisation__slug="fishermead-tenants").role == "admin"
    again = client.post(reverse("community:group_new"), {"name": "bletchley food bank"})
    assert again.status_code == 400 and "already a group called" in again.content.decode()
    assert client.post(reverse("community:group_new"), {"name": " "}).status_code == 400


def test_members_leave_from_the_group_page(client, group, people):
    client.force_login(people["member"])
    page = client.get(reverse("community:group", args=[group.slug])).content.decode()
    assert "Leave Bletchley Food Bank" in page
    mine = Membership.objects.get(user=people["member"])
    client.post(reverse("community:remove", args=[group.slug, mine.pk]))
    assert not Membership.objects.filter(user=people["member"]).exists()
