"""Organisation roles: member < editor < admin; staff may do what an admin may."""

import pytest
from django.contrib.auth.models import AnonymousUser, User

from commonground.accounts import permissions
from commonground.accounts.models import Membership, Organisation


@pytest.fixture
def org(db):
    return Organisation.objects.create(slug="bletchley-food-bank", name="Bletchley Food Bank",
                                       kind=Organisation.Kind.VOLUNTARY_SECTOR)


def person(name, org=None, role=None, **extra):
    user = User.objects.create_user(name, password="x-long-password-1", **extra)
    if org and role:
        Membership.objects.create(organisation=org, user=user, role=role)
    return user


@pytest.mark.parametrize("role,drafts,publish,manage", [
    (Membership.Role.MEMBER, True, False, False),
    (Membership.Role.EDITOR, True, True, False),
    (Membership.Role.ADMIN, True, True, True),
])
def test_each_role_can_do_what_it_names_and_no_more(org, role, drafts, publish, manage):
    user = person("u", org, role)
    assert permissions.can_see_drafts(user, org) is drafts
    assert permissions.can_publish(user, org) is publish
    assert permissions.can_manage_members(user, org) is manage


def test_outsiders_and_anonymous_visitors_hold_no_role(org):
    other = Organisation.objects.create(slug="council", name="Council", kind=Organisation.Kind.COUNCIL)
    admin_elsewhere = person("a", other, Membership.Role.ADMIN)
    for user in (admin_elsewhere, AnonymousUser()):
        assert not permissions.can_see_drafts(user, org)
        assert not permissions.can_publish(user, org)
        assert not permissions.can_manage_members(user, org)


def test_site_staff_may_act_as_admin_but_not_when_deactivated(org):
    assert permissions.can_manage_members(person("staff", is_staff=True), org)
    assert not permissions.can_publish(person("gone", is_staff=True, is_active=False), org)


def test_a_person_belongs_to_an_organisation_once(org):
    from django.db import IntegrityError

    user = person("m", org, Membership.Role.MEMBER)
    with pytest.raises(IntegrityError):
        Membership.objects.create(organisation=org, user=user, role=Membership.Role.ADMIN)


def test_every_organisation_kind_the_product_needs_exists():
    assert {k.value for k in Organisation.Kind} == {"council", "community_group", "voluntary_sector",
                                                    "business", "university", "national_body"}
