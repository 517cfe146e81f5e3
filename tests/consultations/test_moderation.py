"""Reporting and moderation: anyone signed in reports, within the comment rate limit, one
open report per person and comment; only the organisation's admins and site staff hide
(with a public reason), restore and dismiss reports; a hidden comment keeps its place with
the reason, not its text; every decision is on the public log."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from commonground.accounts import ratelimit
from commonground.consultations import moderation
from commonground.consultations.models import Comment, ModerationAction, Report

pytestmark = pytest.mark.django_db

RUDE = "Everyone who disagrees with me is an idiot."


@pytest.fixture
def rude(client, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["resident"])
    client.post(reverse("consultations:comment", args=[c.pk]), {"text": RUDE})
    client.logout()
    return Comment.objects.get()


def _moderate(client, comment, action, reason=""):
    return client.post(reverse("consultations:moderate",
                               args=[comment.consultation_id, comment.pk]),
                       {"action": action, "reason": reason})


def test_anyone_signed_in_reports_and_moderators_see_the_reasons(client, cast, rude):
    url = reverse("consultations:report", args=[rude.consultation_id, rude.pk])
    client.force_login(cast["neighbour"])
    empty = client.post(url, {"reason": " ", "form": f"report-{rude.pk}"})
    assert empty.status_code == 400 and "Reason" in empty.content.decode()
    assert client.post(url, {"reason": "Calls people idiots"}).status_code == 302
    assert client.post(url, {"reason": "Again"}).status_code == 302  # one open report each
    assert Report.objects.filter(resolved=False).count() == 1
    public = Client().get(rude.consultation.get_absolute_url()).content.decode()
    assert "Calls people idiots" not in public  # reports are for moderators
    client.force_login(cast["admin"])
    assert "Calls people idiots" in client.get(rude.consultation.get_absolute_url()) \
        .content.decode()


@pytest.mark.parametrize("who", ["resident", "neighbour", "member", "officer", "other"])
def test_only_admins_of_the_organisation_and_staff_moderate(client, cast, rude, who):
    client.force_login(cast[who])
    for action in ("hide", "restore", "dismiss"):
        assert _moderate(client, rude, action, "Breaks the rules").status_code == 403
    rude.refresh_from_db()
    assert not rude.hidden and not ModerationAction.objects.exists()


def test_anonymous_moderation_leads_to_sign_in(client, rude):
    response = _moderate(client, rude, "hide", "Breaks the rules")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_hidden_comment_shows_the_reason_not_the_text_and_the_log_is_public(
        client, cast, rude):
    client.force_login(cast["neighbour"])
    client.post(reverse("consultations:report", args=[rude.consultation_id, rude.pk]),
                {"reason": "Name-calling"})
    client.force_login(cast["admin"])
    no_reason = _moderate(client, rude, "hide", "  ")
    assert no_reason.status_code == 400 and "Reason" in no_reason.content.decode()
    assert _moderate(client, rude, "hide", "Personal attack (rule 2)").status_code == 302
    rude.refresh_from_db()
    assert rude.hidden and rude.hidden_reason == "Personal attack (rule 2)"
    assert not Report.objects.filter(resolved=False).exists()  # dealt with
    page = Client().get(rude.consultation.get_absolute_url()).content.decode()
    assert RUDE not in page
    assert "Hidden by moderators: Personal attack (rule 2)" in page
    assert "Moderation log" in page and "Hid a comment" in page
    client.force_login(cast["neighbour"])  # no support or reply for a hidden comment
    assert client.post(reverse("consultations:support",
                               args=[rude.consultation_id, rude.pk])).status_code == 403
    assert client.post(reverse("consultations:comment", args=[rude.consultation_id]),
                       {"text": "Reply", "parent": rude.pk}).status_code == 403
    client.force_login(cast["staff"])
    assert _moderate(client, rude, "restore", "Apology received").status_code == 302
    rude.refresh_from_db()
    assert not rude.hidden
    page = Client().get(rude.consultation.get_absolute_url()).content.decode()
    assert RUDE in page and "Restored a comment" in page and "Apology received" in page
    assert ModerationAction.objects.count() == 2


def test_dismissing_reports_keeps_the_comment_and_logs_it(client, cast, rude):
    client.force_login(cast["neighbour"])
    client.post(reverse("consultations:report", args=[rude.consultation_id, rude.pk]),
                {"reason": "I disagree"})
    client.force_login(cast["admin"])
    assert _moderate(client, rude, "dismiss", "Strong words, but no rule broken") \
        .status_code == 302
    assert not Report.objects.filter(resolved=False).exists()
    page = Client().get(rude.consultation.get_absolute_url()).content.decode()
    assert RUDE in page and "Dismissed reports on a comment" in page
    assert _moderate(client, rude, "delete-everything").status_code == 400


def test_reports_and_moderation_go_on_after_it_closes(client, cast, rude):
    c = rude.consultation
    c.closes = c.opens
    c.save()
    client.force_login(cast["neighbour"])
    assert client.post(reverse("consultations:report", args=[c.pk, rude.pk]),
                       {"reason": "Name-calling"}).status_code == 302
    client.force_login(cast["admin"])
    assert _moderate(client, rude, "hide", "Personal attack").status_code == 302


def test_reports_count_against_the_comment_rate_limit(client, settings, cast,
                                                      make_consultation):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "comment": (2, 3600)}
    c = make_consultation()
    client.force_login(cast["resident"])
    for text in ("One", "Two", "Three"):
        c.comments.create(author=cast["resident"], text=text)
    one, two, three = c.comments.all()
    client.force_login(cast["neighbour"])

    def report(comment, reason="Off topic"):
        return client.post(reverse("consultations:report", args=[c.pk, comment.pk]),
                           {"reason": reason, "form": f"report-{comment.pk}"})

    assert report(one).status_code == 302 and report(two).status_code == 302
    assert report(one).status_code == 302  # the same report again adds nothing, costs nothing
    refused = report(three, "Spam, spam, spam")
    assert refused.status_code == 429 and "Too many at once" in refused.content.decode()
    assert "Spam, spam, spam" in refused.content.decode()  # the reason is kept for later
    assert Report.objects.count() == 2
    assert client.post(reverse("consultations:comment", args=[c.pk]),
                       {"text": "Four"}).status_code == 429  # one budget with comments
    client.force_login(cast["member"])  # the limit is per person
    assert report(three).status_code == 302


def test_the_same_report_twice_at_once_is_kept_once(cast, rude, monkeypatch):
    """The second click finds no open report, but the first is saved before it is."""
    first = {}

    def other_click_lands(action, who):
        first["report"] = Report.objects.create(comment=rude, reporter=cast["neighbour"],
                                                reason="Name-calling")

    monkeypatch.setattr(ratelimit, "check", other_click_lands)
    made = moderation.report(cast["neighbour"], rude, reason="Name-calling")
    assert made == first["report"] and Report.objects.count() == 1


def test_the_organisations_admins_hear_of_each_report(client, cast, make_consultation):
    from commonground.activity.models import Notification
    from commonground.consultations import services

    c = make_consultation()
    said = services.comment(cast["resident"], c, text="Rude words here")
    client.force_login(cast["neighbour"])
    client.post(reverse("consultations:report", args=[c.pk, said.pk]), {"reason": "Abuse"})
    admins = set(c.organisation.memberships.filter(role="admin")
                 .values_list("user__username", flat=True))
    notified = set(Notification.objects.filter(text__contains="was reported")
                   .values_list("user__username", flat=True))
    assert admins and notified == admins
