"""The moderation queue: an organisation's admins (and site staff) see every reported
comment on its consultations in one list, the one waiting longest first, until a decision
deals with its reports; nobody else sees it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from commonground.consultations import moderation
from commonground.consultations.models import Comment, Consultation, Report

pytestmark = pytest.mark.django_db


@pytest.fixture
def reported(cast, make_consultation):
    """Two reported comments on the council's consultation (the second reported first), and
    one on another organisation's consultation."""
    c = make_consultation()
    late = Comment.objects.create(consultation=c, author=cast["resident"], text="Rude words.")
    early = Comment.objects.create(consultation=c, author=cast["neighbour"], text="Spam link.")
    Report.objects.create(comment=early, reporter=cast["resident"], reason="Advertising")
    Report.objects.create(comment=late, reporter=cast["neighbour"], reason="Insults people")
    Report.objects.create(comment=late, reporter=cast["member"], reason="Unkind")
    elsewhere = Consultation.objects.create(
        organisation=cast["other"].memberships.get().organisation, created_by=cast["other"],
        title="Bletchley Action's park survey", text="Tell us", easy_read="Tell us",
        opens=c.opens, closes=c.closes)
    theirs = Comment.objects.create(consultation=elsewhere, author=cast["resident"], text="Hm")
    Report.objects.create(comment=theirs, reporter=cast["neighbour"], reason="Off topic")
    return {"early": early, "late": late, "theirs": theirs}


def test_admins_see_their_organisations_reported_comments_longest_waiting_first(
        client, cast, reported):
    client.force_login(cast["admin"])
    listed = client.get(reverse("consultations:list")).content.decode()
    assert "Reported comments waiting for you: 2" in listed
    page = client.get(reverse("consultations:reports"))
    html = page.content.decode()
    assert page.status_code == 200 and "2 comments waiting" in html
    assert html.index("Spam link.") < html.index("Rude words.")  # reported first, listed first
    assert "Insults people" in html and "Unkind" in html and "2 reports" in html
    assert "Off topic" not in html  # another organisation's consultation
    assert reported["late"].get_absolute_url() in html  # where to decide


def test_a_decision_takes_the_comment_off_the_queue(cast, reported):
    moderation.dismiss(cast["admin"], reported["early"], reason="Fine")
    moderation.hide(cast["admin"], reported["late"], reason="Insults")
    assert moderation.waiting_for(cast["admin"]) == []


def test_staff_see_every_organisations_reports(client, cast, reported):
    client.force_login(cast["staff"])
    html = client.get(reverse("consultations:reports")).content.decode()
    assert "3 comments waiting" in html and "Off topic" in html


@pytest.mark.parametrize("who", ["resident", "member", "officer", "other"])
def test_nobody_else_sees_the_queue(client, cast, reported, who):
    client.force_login(cast[who])
    assert client.get(reverse("consultations:reports")).status_code == 403
    assert "waiting for you" not in client.get(reverse("consultations:list")).content.decode()


def test_the_queue_asks_for_sign_in(client, reported):
    response = client.get(reverse("consultations:reports"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
