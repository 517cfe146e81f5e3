"""Follows and notifications through the JSON API (``/api/me``): only ever the caller's own.
Anonymous callers get 401; there is no way to read or change another person's; a change by
the session needs the CSRF token; a bad body is 422 naming the field and changes nothing."""

from __future__ import annotations

import pytest
from api_calls import Caller, problem_fields

from commonground.activity import events
from commonground.activity.models import Follow, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(council, django_user_model):
    make = django_user_model.objects.create_user
    return {"sam": make("sam", password="pw-sam-1"), "alex": make("alex", password="pw-ale-1")}


def _notify(user, text):
    return Notification.objects.create(user=user, text=text, url="/requests/1/")


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_each_person_reads_and_marks_only_their_own_notifications(people, token):
    mine = [_notify(people["sam"], f"News {n}") for n in range(3)]
    theirs = _notify(people["alex"], "Alex's news")
    sam = Caller(people["sam"], token=token)
    listed = sam.get("/api/me/notifications").json()
    assert listed["total"] == 3 and listed["unread"] == 3
    assert {n["text"] for n in listed["notifications"]} == {"News 0", "News 1", "News 2"}
    assert sam.get("/api/me/notifications", limit=2, offset=2).json()["notifications"] \
        .__len__() == 1
    marked = sam.post("/api/me/notifications/read", {"ids": [mine[0].pk, theirs.pk]})
    assert marked.json() == {"marked": 1}  # another person's is left alone
    theirs.refresh_from_db()
    assert theirs.read is False
    unread = sam.get("/api/me/notifications", unread="true").json()
    assert unread["total"] == 2 and unread["unread"] == 2
    assert sam.post("/api/me/notifications/read", {}).json() == {"marked": 2}
    assert not Notification.objects.filter(user=people["sam"], read=False).exists()


def test_anonymous_callers_and_changes_without_csrf_are_refused(people):
    _notify(people["sam"], "News")
    for path in ("/api/me/notifications", "/api/me/follows"):
        assert Caller().get(path).status_code == 401
    assert Caller().post("/api/me/notifications/read", {}).status_code == 401
    forged = Caller(people["sam"]).post("/api/me/notifications/read", {}, csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert not Notification.objects.filter(read=True).exists()
    follow = Caller(people["sam"]).post("/api/me/follows", {"kind": "group",
                                                            "key": "mk-council"}, csrf=False)
    assert follow.status_code == 403 and not Follow.objects.exists()


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_a_person_follows_lists_and_stops_following(people, council, token):
    events.follow(people["alex"], "group", council.slug)
    sam = Caller(people["sam"], token=token)
    made = sam.post("/api/me/follows", {"kind": "group", "key": council.slug})
    assert made.status_code == 201
    assert made.json()["kind"] == "group" and made.json()["label"] == "Group"
    assert made.json()["page"].endswith(f"/groups/{council.slug}/")
    assert sam.post("/api/me/follows", {"kind": "group", "key": council.slug}).status_code \
        == 200
    listed = sam.get("/api/me/follows").json()
    assert listed["total"] == 1 and listed["follows"][0]["key"] == council.slug
    assert sam.delete(f"/api/me/follows/group/{council.slug}").status_code == 204
    assert sam.delete(f"/api/me/follows/group/{council.slug}").status_code == 404
    assert sam.delete("/api/me/follows/group/mk%00council").status_code == 422  # never NUL
    assert not Follow.objects.filter(user=people["sam"]).exists()
    assert Follow.objects.filter(user=people["alex"]).exists()  # another's stays


def test_unfollowing_without_csrf_changes_nothing(people, council):
    events.follow(people["sam"], "group", council.slug)
    forged = Caller(people["sam"]).delete(f"/api/me/follows/group/{council.slug}", csrf=False)
    assert forged.status_code == 403 and Follow.objects.filter(user=people["sam"]).exists()


@pytest.mark.parametrize("body, where", [
    ({"kind": "spaceship", "key": "x"}, ["body", "body", "kind"]),
    ({"kind": "group", "key": "   "}, ["body", "body", "key"]),
    ({"kind": "group"}, ["body", "body", "key"]),
    ({"kind": "group", "key": "x" * 101}, ["body", "body", "key"]),
    ({"kind": "group", "key": "mk\x00council"}, ["body", "body", "key"]),
])
def test_a_bad_follow_is_422_naming_the_field(people, body, where):
    response = Caller(people["sam"]).post("/api/me/follows", body)
    assert where in problem_fields(response) and response.json()["detail"]
    assert not Follow.objects.exists()
