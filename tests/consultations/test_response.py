"""The official response: only editors of the organisation publish it, only once the
consultation has closed (or they closed it early), once (a second try, even a double click
at the same moment, is refused as already published); it names the comments it answers,
never quoting one moderators hid; followers and everyone who commented are told; it stays
public. After it, the conversation is over: no comments, replies or supports, and the dates
no longer change."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from commonground.activity.models import Follow, Notification
from commonground.consultations import access, services
from commonground.consultations.models import Comment, Consultation, OfficialResponse

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
    again = _respond(client, discussed, form="respond")  # once
    assert again.status_code == 400 and "Response: it is already published" in \
        again.content.decode()
    assert OfficialResponse.objects.count() == 1
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


def test_a_double_click_publishes_one_response_and_refuses_the_other(cast, discussed):
    """Both clicks passed the checks before either was saved: the second is refused as
    already published (400), not a server error."""
    _close(discussed)
    stale = Consultation.objects.get(pk=discussed.pk)
    assert access.can_respond(cast["officer"], stale)  # both clicks pass the checks…
    OfficialResponse.objects.create(consultation_id=discussed.pk, text="Other click")  # …one wins
    with pytest.raises(services.InputError) as refused:
        services.respond(cast["officer"], stale, text="Second click")
    assert refused.value.field == "response" and "already published" in str(refused.value)
    assert list(OfficialResponse.objects.values_list("text", flat=True)) == ["Other click"]


@pytest.mark.parametrize("answers", [["²"], ["١"], ["9" * 40], ["", "x", "-1"]])
def test_answers_that_are_not_comment_ids_answer_nothing(client, cast, discussed, answers):
    """"²" and "١" pass ``str.isdigit``: the first made ``int`` fail (a server error), the
    second reads as 1."""
    _close(discussed)
    client.force_login(cast["officer"])
    assert _respond(client, discussed, answers=answers).status_code == 302
    assert not OfficialResponse.objects.get().answers.exists()


def test_a_comment_hidden_after_the_response_is_not_quoted_under_it(client, cast, discussed):
    _close(discussed)
    first = Comment.objects.get(parent=None)
    client.force_login(cast["officer"])
    _respond(client, discussed, answers=[first.pk])
    client.force_login(cast["admin"])
    client.post(reverse("consultations:moderate", args=[discussed.pk, first.pk]),
                {"action": "hide", "reason": "Names a neighbour (rule 3)"})
    for who in (None, cast["resident"], cast["officer"]):
        browser = Client()
        if who:
            browser.force_login(who)
        page = browser.get(discussed.get_absolute_url()).content.decode()
        response = page[page.index('id="response"'):page.index('id="details-h"')]
        assert "Queensway side streets" not in page
        assert f'href="#comment-{first.pk}">resident: <em>hidden by moderators</em>' in response
    client.force_login(cast["admin"])  # moderators see the text in its place, not here
    page = client.get(discussed.get_absolute_url()).content.decode()
    response = page[page.index('id="response"'):page.index('id="details-h"')]
    assert "Queensway side streets" not in response and "hidden by moderators" in response


def test_after_the_response_nobody_comments_replies_or_supports(client, cast, discussed):
    """Even if its last day to comment lies ahead (a consultation answered before this rule)."""
    _close(discussed)
    client.force_login(cast["officer"])
    _respond(client, discussed)
    discussed.closes = timezone.localdate() + datetime.timedelta(days=30)
    discussed.save()
    first = Comment.objects.get(parent=None)
    client.force_login(cast["staff"])
    posts = [(reverse("consultations:comment", args=[discussed.pk]), {"text": "Late"}),
             (reverse("consultations:comment", args=[discussed.pk]),
              {"text": "Late reply", "parent": first.pk}),
             (reverse("consultations:support", args=[discussed.pk, first.pk]), {})]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert Comment.objects.count() == 2 and not first.supports.exists()
    page = client.get(discussed.get_absolute_url()).content.decode()
    assert 'name="text"' not in page and "Comments are closed." in page
    assert "Close it now" not in page
    for status in ("open", "upcoming"):
        listed = client.get(reverse("consultations:list"), {"status": status})
        assert discussed.title not in listed.content.decode(), status
    assert discussed.title in client.get(reverse("consultations:list"),
                                         {"status": "responded"}).content.decode()


def test_after_the_response_the_dates_no_longer_change(client, cast, discussed):
    _close(discussed)
    client.force_login(cast["officer"])
    _respond(client, discussed)
    url = reverse("consultations:edit", args=[discussed.pk])
    form = client.get(url)
    assert "the dates can no longer change" in form.content.decode()
    values = form.context["values"]
    later = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    for field, label in (("closes", "Closes"), ("opens", "Opens")):
        moved = client.post(url, {**values, field: later if field == "closes"
                                  else (timezone.localdate() - datetime.timedelta(days=20))
                                  .isoformat()})
        assert moved.status_code == 400, field
        assert f"{label}: the response is published, so the dates can no longer change" in \
            moved.content.decode()
    discussed.refresh_from_db()
    assert discussed.closes == timezone.localdate() - datetime.timedelta(days=1)
    assert client.post(url, {**values, "title": "Chargers: what we heard"}).status_code == 302
