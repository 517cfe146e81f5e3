"""The people of a consultation, and consultations in each stage."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.consultations.models import Consultation, Question

PASSWORD = "pw-consult-1"


@pytest.fixture
def cast(council, django_user_model):
    """resident and neighbour (no roles), the council's member, editor (officer) and admin,
    an editor of another organisation, and site staff; each has an email address."""
    def make(name, **extra):
        return django_user_model.objects.create_user(name, email=f"{name}@example.org",
                                                     password=PASSWORD, **extra)

    people = {name: make(name) for name in ("resident", "neighbour", "member", "officer",
                                            "admin", "other")}
    people["staff"] = make("staff", is_staff=True)
    for name, role in (("member", Membership.Role.MEMBER), ("officer", Membership.Role.EDITOR),
                       ("admin", Membership.Role.ADMIN)):
        Membership.objects.create(user=people[name], organisation=council, role=role)
    group = Organisation.objects.create(slug="bletchley-action", name="Bletchley Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=people["other"], organisation=group,
                              role=Membership.Role.EDITOR)
    return people


@pytest.fixture
def make_consultation(council, cast):
    """A consultation of the council, open from ``opens`` to ``closes`` days from today
    (negative: in the past), with two questions."""
    def make(opens: int = -3, closes: int = 10, **fields):
        today = timezone.localdate()
        fields.setdefault("title", "Where should new public EV chargers go in Bletchley?")
        fields.setdefault("text", "We have funding for **new chargers**.")
        fields.setdefault("easy_read", "We want to put car chargers in Bletchley. Tell us where.")
        made = Consultation.objects.create(
            organisation=council, created_by=cast["officer"],
            opens=today + datetime.timedelta(days=opens),
            closes=today + datetime.timedelta(days=closes), **fields)
        Question.objects.create(consultation=made, order=1, text="Which streets need them?")
        Question.objects.create(consultation=made, order=2, text="What would stop you?")
        return made

    return make
