"""The demo community: groups with members and a waiting join request, data requests with
answers on the record, a consultation and an evidence pack, loaded once however often the
command runs."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from commonground.community.models import Answer, DataRequest, JoinRequest
from commonground.consultations.models import Consultation
from commonground.evidence.models import EvidencePack

pytestmark = pytest.mark.django_db


def test_the_demo_community_loads_once(loaded, settings):
    settings.DEBUG = True
    call_command("demo_accounts")
    for _ in range(2):
        call_command("seed_community")
    assert DataRequest.objects.count() == 3 and Answer.objects.count() == 2
    assert DataRequest.objects.filter(group__isnull=False).count() == 1
    assert JoinRequest.objects.filter(status="pending").count() == 1
    consultation = Consultation.objects.get()
    assert consultation.comments.count() >= 4 and consultation.easy_read
    pack = EvidencePack.objects.get()
    assert pack.state == "published" and pack.items.count() >= 2
