"""The demo community: groups with members and a waiting join request, data requests with
answers on the record, a consultation, an evidence pack and a restricted dataset that two
residents have asked for, loaded once however often the command runs."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.urls import reverse

from commonground.catalogue import access, demo_restricted
from commonground.catalogue.models import AccessRequest, Dataset, Grant, Version
from commonground.community.models import Answer, DataRequest, JoinRequest
from commonground.consultations.models import Consultation
from commonground.evidence.models import EvidencePack

pytestmark = pytest.mark.django_db


def test_the_demo_community_loads_once(loaded, settings):
    settings.DEBUG = True
    call_command("demo_accounts")
    call_command("seed_community")
    first = _made()
    call_command("seed_community")
    assert _made() == first  # the second run adds nothing
    assert DataRequest.objects.count() == 3 and Answer.objects.count() == 2
    assert DataRequest.objects.filter(group__isnull=False).count() == 1
    assert JoinRequest.objects.filter(status="pending").count() == 1
    consultation = Consultation.objects.get()
    assert consultation.comments.count() >= 4 and consultation.easy_read
    pack = EvidencePack.objects.get()
    assert pack.state == "published" and pack.items.count() >= 2


def _made() -> dict:
    return {"datasets": Dataset.objects.count(), "versions": Version.objects.count(),
            "requests": list(AccessRequest.objects.values_list("pk", "status", "answered")),
            "grants": Grant.objects.count(), "data requests": DataRequest.objects.count()}


def test_the_demo_has_a_restricted_dataset_with_a_way_in(loaded, settings, client):
    settings.DEBUG = True
    call_command("seed_community")
    dataset = Dataset.objects.get(title="Charge point survey (restricted demo)")
    assert dataset.access == "restricted" and dataset.is_public
    assert dataset.organisation.slug == "milton-keynes-city-council"
    assert {"street", "postcode"} <= set(dataset.withheld_columns) and dataset.partly_withheld
    assert dataset.period_column == "datecreated"
    assert dataset.resources.get().current_version.row_count > 0
    requests = {r.requester.username: r for r in dataset.access_requests.all()}
    assert set(requests) == {"resident-amina", "resident-dave"}
    amina, dave = requests["resident-amina"], requests["resident-dave"]
    assert amina.status == AccessRequest.Status.PENDING and amina.purpose and amina.safe_outputs
    assert dave.status == AccessRequest.Status.COUNTERED
    assert dave.answered_by.username == "council-officer"
    offer, asked = (demo_restricted.grantscope.from_json(s) for s in (dave.offer, dave.scope))
    assert set(offer.columns) < set(asked.columns) and offer.months < asked.months
    assert not Grant.objects.exists()
    # a visitor finds it and is shown the way in; its withheld columns are not theirs
    page = client.get(dataset.get_absolute_url()).content.decode()
    assert dataset.title in page and reverse("catalogue:access_ask", args=[dataset.name]) in page
    assert not access.row_access(AnonymousUser(), dataset).full
