"""Deleting an account: what the person said in public stays without their name, and what
was only about them goes; a group's only admin must hand over first."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Follow, Notification
from commonground.community import services
from commonground.community.models import DataRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(django_user_model):
    return django_user_model.objects.create_user("jo-smith", email="jo@example.org",
                                                 password="pw-jo-12345")


def test_a_deleted_accounts_words_stay_without_a_name(client, loaded, council, resident,
                                                      django_user_model):
    officer = django_user_model.objects.create_user("officer", password="pw-off-12345")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    item = services.ask(resident, title="Bus stops without shelters",
                        description="Where are they?", organisation=council)
    neighbour = django_user_model.objects.create_user("neighbour", password="pw-n-12345")
    services.support(neighbour, item)
    client.force_login(neighbour)
    assert client.get(reverse("delete_account")).status_code == 200
    wrong = client.post(reverse("delete_account"), {"password": "nope"})
    assert wrong.status_code == 400 and "not your password" in wrong.content.decode()
    assert client.post(reverse("delete_account"), {"password": "pw-n-12345"}).status_code == 200
    client.force_login(resident)
    client.post(reverse("delete_account"), {"password": "pw-jo-12345"})
    assert not get_user_model().objects.filter(username__in=["jo-smith", "neighbour"]).exists()
    item.refresh_from_db()
    assert item.requester is None and item.supports.count() == 1  # support still counts
    assert not Follow.objects.exists() and not Notification.objects.exists()
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Bus stops without shelters" in page and "a former member" in page
    assert "jo-smith" not in page and "jo@example.org" not in page
    assert DataRequest.objects.count() == 1


def test_a_groups_only_admin_hands_over_first(client, resident, django_user_model):
    group = Organisation.objects.create(slug="g", name="Fishermead Residents",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=resident, organisation=group, role="admin")
    client.force_login(resident)
    page = client.get(reverse("delete_account")).content.decode()
    assert "only admin of Fishermead Residents" in page
    refused = client.post(reverse("delete_account"), {"password": "pw-jo-12345"})
    assert refused.status_code == 400 and get_user_model().objects.filter(pk=resident.pk).exists()
    other = django_user_model.objects.create_user("other", password="pw-o-12345")
    Membership.objects.create(user=other, organisation=group, role="admin")
    assert client.post(reverse("delete_account"), {"password": "pw-jo-12345"}).status_code == 200
    assert list(group.memberships.values_list("user__username", flat=True)) == ["other"]


def test_deleting_needs_a_signed_in_account(client):
    assert client.post(reverse("delete_account"), {"password": "x"}).status_code == 302
