"""Projects and people for the footprint tests, made with the ORM (``from .footprint_rows
import *`` brings the fixtures): the council's editor, a member who is not an editor, an
editor of another organisation and a resident; a published and a draft project of the
council's, with no footprint yet."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.projects.models import Project

PASSWORD = "pw-footprint-1"


@dataclass
class People:
    officer: object  # the council's editor
    member: object  # the council's member (not an editor)
    other: object  # an editor of another organisation
    resident: object  # no roles


@pytest.fixture
def people(council, django_user_model) -> People:
    def make(name):
        return django_user_model.objects.create_user(name, email=f"{name}@example.org",
                                                     password=PASSWORD)

    cast = People(*(make(n) for n in ("officer", "member", "other", "resident")))
    Membership.objects.create(user=cast.officer, organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=cast.member, organisation=council,
                              role=Membership.Role.MEMBER)
    group = Organisation.objects.create(slug="bletchley-action", name="Bletchley Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=cast.other, organisation=group,
                              role=Membership.Role.EDITOR)
    return cast


@pytest.fixture
def published(council) -> Project:
    return Project.objects.create(slug="parking-sensors", title="Parking bay sensors",
                                  owner=council, state=Project.State.PUBLISHED, status="live")


@pytest.fixture
def draft(council) -> Project:
    return Project.objects.create(slug="secret-trial", title="Secret robot trial",
                                  owner=council, state=Project.State.DRAFT)


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
