"""Consultations through the JSON API (``/api/consultations``): the same rules as the page.
Anyone reads; a hidden comment keeps its place and public reason, its text only for the
moderators; a signed-in person comments and supports while it is open (rate-limited); only
editors of the organisation respond, once, after it closes. A change without CSRF, by an
anonymous caller or with a bad body changes nothing."""

from __future__ import annotations

import pytest
from api_calls import Caller, problem_fields

from commonground.consultations import moderation, services
from commonground.consultations.models import Comment, CommentSupport, OfficialResponse

pytestmark = pytest.mark.django_db

API = "/api/consultations"


def test_anyone_reads_the_list_and_one_consultation(loaded, cast, make_consultation):
    open_one = make_consultation()
    make_consultation(opens=-30, closes=-1, title="Closed: library hours")
    for who in (None, "resident", "other"):
        caller = Caller(cast[who] if who else None)
        listed = caller.get(f"{API}/").json()
        assert listed["total"] == 2 and listed["offset"] == 0
        assert {c["status"] for c in listed["consultations"]} == {"open", "closed"}
        one = caller.get(f"{API}/{open_one.pk}").json()
        assert one["title"] == open_one.title and one["status"] == "open"
        assert [q["text"] for q in one["questions"]] == ["Which streets need them?",
                                                         "What would stop you?"]
        assert one["response"] is None and one["can_respond"] is False
        assert one["can_comment"] is (who is not None)
    opened = Caller().get(f"{API}/", status="open").json()
    assert [c["id"] for c in opened["consultations"]] == [open_one.pk]
    assert Caller().get(f"{API}/", limit=1).json()["consultations"].__len__() == 1
    assert Caller().get(f"{API}/", place="Atlantis").status_code == 400
    assert Caller().get(f"{API}/999999").status_code == 404


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_a_resident_answers_a_question_and_a_neighbour_replies_and_supports(
        loaded, cast, make_consultation, token):
    c = make_consultation()
    question = c.questions.first()
    made = Caller(cast["resident"], token=token).post(f"{API}/{c.pk}/comments", {
        "text": "Near the station, please.", "question": question.pk})
    assert made.status_code == 201, made.content
    comment = Comment.objects.get()
    assert made.json()["id"] == comment.pk and made.json()["question"] == question.pk
    assert made.json()["author"] == "resident"
    neighbour = Caller(cast["neighbour"], token=token)
    reply = neighbour.post(f"{API}/{c.pk}/comments", {"text": "Agreed.", "parent": comment.pk})
    assert reply.status_code == 201 and reply.json()["parent"] == comment.pk
    supported = neighbour.post(f"{API}/{c.pk}/comments/{comment.pk}/support")
    assert supported.json() == {"supported": True, "new": True, "supports": 1}
    own = Caller(cast["resident"], token=token).post(
        f"{API}/{c.pk}/comments/{comment.pk}/support")
    assert own.status_code == 403
    listed = Caller().get(f"{API}/{c.pk}/comments").json()
    assert listed["total"] == 2
    assert [(x["text"], x["supports"]) for x in listed["comments"]] == [
        ("Near the station, please.", 1), ("Agreed.", 0)]


def test_hidden_comments_keep_their_reason_and_their_text_is_for_moderators(
        loaded, cast, make_consultation):
    c = make_consultation()
    comment = services.comment(cast["resident"], c, text="Something rude")
    moderation.hide(cast["admin"], comment, reason="Personal attack")
    for who in (None, "neighbour", "member", "officer", "other"):
        seen = Caller(cast[who] if who else None).get(f"{API}/{c.pk}/comments").json()
        [entry] = seen["comments"]
        assert entry["hidden"] is True and entry["hidden_reason"] == "Personal attack"
        assert entry["text"] is None, who
    for moderator in ("admin", "staff"):
        [entry] = Caller(cast[moderator]).get(f"{API}/{c.pk}/comments").json()["comments"]
        assert entry["text"] == "Something rude"
    reply = Caller(cast["neighbour"]).post(f"{API}/{c.pk}/comments",
                                           {"text": "Indeed", "parent": comment.pk})
    assert reply.status_code == 403  # hidden comments take no replies
    support = Caller(cast["neighbour"]).post(f"{API}/{c.pk}/comments/{comment.pk}/support")
    assert support.status_code == 403
    assert Comment.objects.count() == 1 and not CommentSupport.objects.exists()


def test_changes_without_csrf_or_anonymous_or_when_closed_change_nothing(
        loaded, cast, make_consultation):
    c = make_consultation()
    url = f"{API}/{c.pk}/comments"
    assert Caller().post(url, {"text": "Hello"}).status_code == 401
    forged = Caller(cast["resident"]).post(url, {"text": "Hello"}, csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    closed = make_consultation(opens=-30, closes=-1)
    late = Caller(cast["resident"]).post(f"{API}/{closed.pk}/comments", {"text": "Hello"})
    assert late.status_code == 403
    assert not Comment.objects.exists()
    comment = services.comment(cast["resident"], c, text="Near the station")
    forged = Caller(cast["neighbour"]).post(f"{API}/{c.pk}/comments/{comment.pk}/support",
                                            csrf=False)
    assert forged.status_code == 403 and not CommentSupport.objects.exists()


@pytest.mark.parametrize("body, where", [
    ({"text": "  "}, ["body", "body", "text"]),
    ({"text": "x" * 5001}, ["body", "body", "text"]),
    ({"text": "Hi", "question": 999999}, ["body", "body", "question"]),
    ({"text": "Hi", "parent": 999999}, ["body", "body", "parent"]),
    ({"text": "Hi", "question": "first"}, ["body", "body", "question"]),
    ({}, ["body", "body", "text"]),
    ({"text": "Near\x00the station"}, ["body", "body", "text"]),  # PostgreSQL cannot hold NUL
])
def test_a_bad_comment_is_422_naming_the_field_and_stores_nothing(loaded, cast,
                                                                  make_consultation, body,
                                                                  where):
    c = make_consultation()
    response = Caller(cast["resident"]).post(f"{API}/{c.pk}/comments", body)
    assert where in problem_fields(response) and response.json()["detail"]
    assert not Comment.objects.exists()


def test_comments_are_rate_limited_as_the_form(loaded, cast, make_consultation, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "comment": (1, 3600)}
    c = make_consultation()
    caller = Caller(cast["resident"])
    assert caller.post(f"{API}/{c.pk}/comments", {"text": "One"}).status_code == 201
    refused = caller.post(f"{API}/{c.pk}/comments", {"text": "Two"})
    assert refused.status_code == 429 and "Too many" in refused.json()["detail"]
    assert Comment.objects.count() == 1


def test_only_editors_respond_once_after_it_closes(loaded, cast, make_consultation):
    c = make_consultation(opens=-30, closes=-1)
    comment = Comment.objects.create(consultation=c, author=cast["resident"], text="Yes")
    url = f"{API}/{c.pk}/response"
    body = {"text": "We heard you: chargers at the station.", "answers": [comment.pk]}
    for who in ("resident", "member", "other"):  # not editors of the council
        assert Caller(cast[who]).post(url, body).status_code == 403, who
    assert Caller().post(url, body).status_code == 401
    assert Caller(cast["officer"]).post(url, body, csrf=False).status_code == 403
    empty = Caller(cast["officer"]).post(url, {"text": " "})
    assert ["body", "body", "text"] in problem_fields(empty)
    assert not OfficialResponse.objects.exists()
    done = Caller(cast["officer"], token=True).post(url, body)
    assert done.status_code == 201, done.content
    assert done.json()["status"] == "responded"
    assert done.json()["response"]["answers"] == [comment.pk]
    again = Caller(cast["officer"]).post(url, body)
    assert ["body", "body", "text"] in problem_fields(again)
    assert "already published" in again.json()["detail"]
    still_open = make_consultation()
    assert Caller(cast["officer"]).post(f"{API}/{still_open.pk}/response",
                                        body).status_code == 403
    assert OfficialResponse.objects.count() == 1
