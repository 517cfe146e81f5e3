"""The demo consultation: believable, about real Bletchley wards, open now, seeded once."""

from __future__ import annotations

import pytest
from django.test import Client

from commonground.accounts.models import Membership, Organisation
from commonground.consultations import demo
from commonground.consultations.models import Consultation

pytestmark = pytest.mark.django_db


def test_the_demo_consultation_reads_well_and_is_seeded_once(loaded, council,
                                                             django_user_model):
    make = django_user_model.objects.create_user
    officer, organiser = make("council-officer"), make("group-editor")
    Membership.objects.create(user=officer, organisation=council, role="editor")
    group = Organisation.objects.create(slug="mk-action", name="MK Community Action",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=organiser, organisation=group, role="editor")
    people = [make(name) for name in ("amira", "dave", "priya")]
    c = demo.seed(council, group, people)
    assert demo.seed(council, group, people) == c and Consultation.objects.count() == 1
    assert c.is_open() and c.created_by == officer and c.questions.count() == 3
    assert c.area_codes == ["E05009406", "E05009407", "E05009408"]
    assert c.comments.filter(parent__isnull=False).exists()
    assert c.comments.filter(author=organiser).exists()
    page = Client().get(c.get_absolute_url()).content.decode()
    assert "In short" in page and "1 support" in page and "Bletchley West" in page
