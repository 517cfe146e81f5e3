"""The official response: only editors of the organisation publish it, only once the
consultation has closed (or they closed it early), once; it names the comments it answers;
followers and everyone who commented are told; it stays public."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commonground.community.models import Follow, Notification
from commonground.consultations.models import Comment, OfficialResponse

pytestmark = pytest.mark.django_db

ANSWER = "We heard you: **the first 20 chargers** go on Queensway's side streets."


@pytest.fixture
def discussed(client, cast, make_consultation):
    """A consultation with a comment by the resident and a reply by the neighbour, then
    closed (its last day was yesterday)."""
    c = make_consultation()
    client.force_login(cast["resident"])
    client.post(reverse("consultations:comment", args=[c.pk]),
                {"text": "Queensway side streets.", "question": c.questions.first().pk})
    first = Comment.objects.get()
    client.force_login(cast["neighbour"])
    client.post(reverse("consultations:comment", args=[c.pk]),
                {"text": "Agreed.", "parent": first.pk})
    client.logout()
    return c


def _close(c):
    """Its last day to comment was yesterday."""
    c.opens = timezone.localdate() - datetime.timedelta(days=10)
    c.closes = timezone.localdate() - datetime.timedelta(days=1)
    c.save()


def _respond(client, c, **extra):
    return client.post(reverse("consultations:respond", args=[c.pk]),
                       {"response": ANSWER, **extra})


def test_no_response_while_it_is_open(client, cast, discussed):
    client.force_login(cast["officer"])
    assert _respond(client, discussed).status_code == 403
    page = client.get(discussed.get_absolute_url()).content.decode()
    assert "Publish the response" not in page
    assert not OfficialResponse.objects.exists()


@pytest.mark.parametrize("who", ["resident", "member", "other"])
def test_only_editors_of_the_organisation_respond(client, cast, discussed, who):
    _close(discussed)
    client.force_login(cast[who])
    assert _respond(client, discussed).status_code == 403
    assert not OfficialResponse.objects.exists()


def test_anonymous_response_leads_to_sign_in(client, discussed):
    _close(discussed)
    response = _respond(client, discussed)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_after_it_closes_the_editor_responds_once_and_everyone_hears(client, cast,
                                                                      discussed):
    Follow.objects.create(user=cast["other"], kind="consultation", key=str(discussed.pk))
    _close(discussed)
    first = Comment.objects.get(parent=None)
    client.force_login(cast["officer"])
    page = client.get(discussed.get_absolute_url()).content.decode()
    assert "Publish the response" in page and f'value="{first.pk}"' in page
    empty = _respond(client, discussed, response=" ", form="respond")
    assert empty.status_code == 400 and "Response:" in empty.content.decode()
    Notification.objects.all().delete()
    assert _respond(client, discussed, answers=[first.pk]).status_code == 302
    response = OfficialResponse.objects.get()
    assert response.by == cast["officer"] and list(response.answers.all()) == [first]
    told = set(Notification.objects.values_list("user__username", flat=True))
    assert told == {"resident", "neighbour", "other"}  # commenters and followers, not the actor
    assert _respond(client, discussed).status_code == 403  # once
    public = Client().get(discussed.get_absolute_url()).content.decode()
    assert "Response from Milton Keynes City Council" in public
    assert "<strong>the first 20 chargers</strong>" in public
    assert "answered in the response" in public and "Queensway side streets." in public
    listed = Client().get(reverse("consultations:list"), {"status": "responded"})
    assert discussed.title in listed.content.decode()


def test_closing_early_allows_the_response(client, cast, discussed):
    client.force_login(cast["officer"])
    client.post(reverse("consultations:close", args=[discussed.pk]))
    assert _respond(client, discussed).status_code == 302


def test_staff_respond_for_any_organisation(client, cast, discussed):
    _close(discussed)
    client.force_login(cast["staff"])
    assert _respond(client, discussed).status_code == 302
