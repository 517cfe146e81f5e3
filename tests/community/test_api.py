"""Data requests and groups through the JSON API (``/api/community``): the same rules as the
pages. Anyone reads; a signed-in person asks and supports (by token, or by session with the
CSRF token); only the organisation asked answers; a group's members are for its members.
A change without CSRF, by an anonymous caller or with a bad body changes nothing."""

from __future__ import annotations

import pytest
from api_calls import Caller, problem_fields

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Notification
from commonground.community.models import Answer, DataRequest, JoinRequest, Support

pytestmark = pytest.mark.django_db

REQUESTS = "/api/community/requests"


@pytest.fixture
def cast(council, django_user_model):
    """resident and neighbour (no roles), the council's editor (officer) and plain member,
    and an editor of another organisation (a community group)."""
    make = django_user_model.objects.create_user
    people = {name: make(name, password=f"pw-{name}-1")
              for name in ("resident", "neighbour", "officer", "member", "other")}
    Membership.objects.create(user=people["officer"], organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=people["member"], organisation=council,
                              role=Membership.Role.MEMBER)
    group = Organisation.objects.create(slug="food-bank", name="Food Bank Network",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=people["other"], organisation=group,
                              role=Membership.Role.EDITOR)
    return people


def ask(caller, council, **extra):
    return caller.post(REQUESTS, {"title": "EV chargers per estate",
                                  "description": "Where are chargers missing?",
                                  "organisation": council.slug, "places": "Bletchley East",
                                  **extra})


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_a_resident_asks_and_a_neighbour_supports(loaded, council, cast, token):
    made = ask(Caller(cast["resident"], token=token), council)
    assert made.status_code == 201, made.content
    record = made.json()
    item = DataRequest.objects.get()
    assert record["id"] == item.pk and record["status"] == "open"
    assert record["requester"] == "resident" and record["organisation"]["slug"] == council.slug
    assert record["places"] == item.area_codes and item.area_codes[0].startswith("E05")
    neighbour = Caller(cast["neighbour"], token=token)
    url = f"{REQUESTS}/{item.pk}/support"
    first, again = neighbour.post(url), neighbour.post(url)
    assert first.json() == {"supported": True, "new": True, "supporters": 1}
    assert again.json() == {"supported": True, "new": False, "supporters": 1}
    own = Caller(cast["resident"], token=token).post(url)  # not one's own
    assert own.status_code == 403 and "cannot support your own" in own.json()["detail"]
    assert Support.objects.count() == 1


def test_anyone_reads_the_list_and_one_request(loaded, council, cast):
    ask(Caller(cast["resident"]), council)
    ask(Caller(cast["resident"]), council, title="Footfall at food banks", places="")
    item = DataRequest.objects.get(title="EV chargers per estate")
    for who in (None, "neighbour", "other"):
        caller = Caller(cast[who] if who else None)
        listed = caller.get(REQUESTS)
        assert listed.status_code == 200
        body = listed.json()
        assert body["total"] == 2 and body["limit"] == 20 and body["offset"] == 0
        assert {r["title"] for r in body["requests"]} == {"EV chargers per estate",
                                                          "Footfall at food banks"}
        one = caller.get(f"{REQUESTS}/{item.pk}").json()
        assert one["title"] == "EV chargers per estate" and one["answers"] == []
        assert one["can_answer"] is False
        assert one["can_support"] is (who is not None)
    here = Caller().get(REQUESTS, place=item.area_codes[0]).json()
    assert [r["title"] for r in here["requests"]] == ["EV chargers per estate"]
    paged = Caller().get(REQUESTS, limit=1, offset=1).json()
    assert paged["total"] == 2 and len(paged["requests"]) == 1
    nowhere = Caller().get(REQUESTS, place="Atlantis")
    assert nowhere.status_code == 400 and "place" in nowhere.json()["detail"]
    assert Caller().get(f"{REQUESTS}/999999").status_code == 404


def test_a_bad_token_is_refused_not_read_as_anonymous(loaded, council, cast):
    caller = Caller()
    caller.headers["Authorization"] = "Bearer not-a-token"
    refused = caller.get(REQUESTS)
    assert refused.status_code == 401 and "token" in refused.json()["detail"]


def test_a_revoked_token_acts_for_no_one_even_beside_a_session(loaded, council, cast):
    from commonground.accounts import tokens

    made = tokens.make(cast["resident"])
    tokens.revoke(cast["resident"], made.token.prefix)
    for signed_in in (None, cast["neighbour"]):
        caller = Caller(signed_in)
        caller.headers["Authorization"] = f"Bearer {made.secret}"
        refused = ask(caller, council)
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert not DataRequest.objects.exists()


def test_changes_without_csrf_or_anonymous_change_nothing(loaded, council, cast):
    assert ask(Caller(), council).status_code == 401
    forged = Caller(cast["resident"]).post(REQUESTS, {
        "title": "EV chargers", "description": "Where?", "organisation": council.slug},
        csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert not DataRequest.objects.exists()
    by_token = Caller(cast["resident"], token=True).post(REQUESTS, {  # a token needs no CSRF
        "title": "EV chargers", "description": "Where?", "organisation": council.slug},
        csrf=False)
    assert by_token.status_code == 201
    item = DataRequest.objects.get()
    support = Caller(cast["neighbour"]).post(f"{REQUESTS}/{item.pk}/support", csrf=False)
    answer = Caller(cast["officer"]).post(f"{REQUESTS}/{item.pk}/answers", {
        "status": "declined", "text": "We do not hold it."}, csrf=False)
    assert support.status_code == answer.status_code == 403
    assert not Support.objects.exists() and not Answer.objects.exists()


@pytest.mark.parametrize("body, where", [
    ({"title": " "}, ["body", "body", "title"]),
    ({"description": ""}, ["body", "body", "description"]),
    ({"organisation": "no-such-organisation"}, ["body", "body", "organisation"]),
    ({"places": "Atlantis"}, ["body", "body", "places"]),
    ({"group": "food-bank"}, ["body", "body", "group"]),  # not a member of it
    ({"title": ["not", "text"]}, ["body", "body", "title"]),
    ({"title": "EV\x00chargers"}, ["body", "body", "title"]),  # PostgreSQL cannot hold NUL
])
def test_a_bad_body_is_422_naming_the_field_and_stores_nothing(loaded, council, cast, body,
                                                               where):
    response = ask(Caller(cast["resident"]), council, **body)
    assert where in problem_fields(response)
    assert response.json()["detail"]
    assert not DataRequest.objects.exists()


def test_asking_is_rate_limited_as_the_form(loaded, council, cast, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "ask for data": (1, 3600)}
    caller = Caller(cast["resident"])
    assert ask(caller, council).status_code == 201
    refused = ask(caller, council, title="Another")
    assert refused.status_code == 429 and "Too many" in refused.json()["detail"]
    assert DataRequest.objects.count() == 1


def test_only_the_organisation_asked_answers_and_the_asker_hears(loaded, council, cast,
                                                                 make_dataset):
    ask(Caller(cast["resident"]), council)
    item = DataRequest.objects.get()
    url = f"{REQUESTS}/{item.pk}/answers"
    answer = {"status": "under_review", "text": "We are looking at this."}
    for who in ("resident", "member", "other"):
        refused = Caller(cast[who]).post(url, answer)
        assert refused.status_code == 403, who
    assert Caller().post(url, answer).status_code == 401
    assert not Answer.objects.exists()
    officer = Caller(cast["officer"], token=True)
    assert "status" in str(problem_fields(officer.post(url, {"status": "open", "text": "x"})))
    missing = officer.post(url, {"status": "published", "text": "Done."})
    assert ["body", "body", "dataset"] in problem_fields(missing)
    draft = make_dataset("chargers-draft", state="draft")
    not_public = officer.post(url, {"status": "published", "text": "Done.",
                                    "dataset": draft.name})
    assert "publish the dataset first" in not_public.json()["detail"]
    assert not Answer.objects.exists()
    published = make_dataset("ev-chargers-per-estate")
    done = officer.post(url, {"status": "published", "text": "Here it is.",
                              "dataset": published.name})
    assert done.status_code == 201
    assert done.json()["status"] == "published" and done.json()["dataset"] == published.name
    assert [a["text"] for a in done.json()["answers"]] == ["Here it is."]
    assert Notification.objects.filter(user=cast["resident"]).exists()


def test_groups_are_listed_and_their_members_are_for_members(loaded, council, cast):
    listed = Caller().get("/api/community/groups").json()
    assert {g["slug"] for g in listed["groups"]} == {council.slug, "food-bank"}
    assert all(g["role"] is None for g in listed["groups"])
    mine = Caller(cast["officer"]).get("/api/community/groups", mine="true").json()
    assert [(g["slug"], g["role"]) for g in mine["groups"]] == [(council.slug, "editor")]
    url = f"/api/community/groups/{council.slug}/members"
    assert Caller().get(url).status_code == 401
    for outsider in ("resident", "other"):
        refused = Caller(cast[outsider]).get(url)
        assert refused.status_code == 403 and "members" in refused.json()["detail"]
    for member in ("member", "officer"):
        for token in (False, True):
            members = Caller(cast[member], token=token).get(url).json()
            assert members["total"] == 2
            assert {(m["name"], m["role"]) for m in members["members"]} == {
                ("officer", "editor"), ("member", "member")}
    assert Caller(cast["member"]).get("/api/community/groups/nobody/members").status_code \
        == 404
    nul = Caller(cast["member"]).get("/api/community/groups/mk%00council/members")
    assert nul.status_code == 422 and ["path", "slug"] in [p["loc"] for p in nul.json()["errors"]]


# ------------------------------------------------------------ joining and leaving groups

GROUPS = "/api/community/groups"


@pytest.fixture
def club(cast):
    """A group one asks to join, with one admin ("other" becomes its admin) and one member."""
    group = Organisation.objects.get(slug="food-bank")
    Membership.objects.filter(organisation=group).update(role=Membership.Role.ADMIN)
    Membership.objects.create(user=cast["member"], organisation=group,
                              role=Membership.Role.MEMBER)
    return group


@pytest.mark.parametrize("token", [False, True], ids=["session", "token"])
def test_asking_to_join_waits_for_an_admin_who_accepts(loaded, cast, club, token):
    asked = Caller(cast["resident"], token=token).post(f"{GROUPS}/{club.slug}/join",
                                                       {"message": "I volunteer on Fridays"})
    assert asked.status_code == 200, asked.content
    answer = asked.json()
    assert answer["member"] is False and answer["role"] is None
    assert answer["request"]["status"] == "pending"
    assert answer["request"]["message"] == "I volunteer on Fridays"
    again = Caller(cast["resident"], token=token).post(f"{GROUPS}/{club.slug}/join")  # no body
    assert again.json()["request"]["id"] == answer["request"]["id"]
    assert JoinRequest.objects.count() == 1
    assert Notification.objects.filter(user=cast["other"]).exists()  # the admin hears

    waiting = f"{GROUPS}/{club.slug}/join-requests"
    admin = Caller(cast["other"], token=token)
    listed = admin.get(waiting).json()
    assert listed["total"] == 1
    assert [(r["name"], r["message"]) for r in listed["requests"]] == [
        ("resident", "I volunteer on Fridays")]
    accepted = admin.post(f"{waiting}/{answer['request']['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Membership.objects.get(organisation=club, user=cast["resident"]).role == "member"
    assert admin.get(waiting).json()["total"] == 0
    twice = admin.post(f"{waiting}/{answer['request']['id']}/decline")
    assert ["path", "pk"] in problem_fields(twice) and "already" in twice.json()["detail"]
    assert JoinRequest.objects.get().status == "accepted"


def test_only_the_groups_admins_see_and_decide_who_joins(loaded, council, cast, club):
    Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join")
    item = JoinRequest.objects.get()
    waiting = f"{GROUPS}/{club.slug}/join-requests"
    assert Caller().get(waiting).status_code == 401
    assert Caller().post(f"{waiting}/{item.pk}/accept").status_code == 401
    # a plain member, the one asking, and an admin elsewhere (the council's editor) may not
    Membership.objects.filter(user=cast["officer"]).update(role=Membership.Role.ADMIN)
    for who in ("member", "resident", "officer", "neighbour"):
        assert Caller(cast[who]).get(waiting).status_code == 403, who
        for decision in ("accept", "decline"):
            refused = Caller(cast[who], token=True).post(f"{waiting}/{item.pk}/{decision}")
            assert refused.status_code == 403 and "admins" in refused.json()["detail"], who
    # an admin of the council cannot decide the food bank's request through the council
    elsewhere = Caller(cast["officer"]).post(
        f"{GROUPS}/{council.slug}/join-requests/{item.pk}/accept")
    assert elsewhere.status_code == 404
    item.refresh_from_db()
    assert item.status == "pending"
    assert not Membership.objects.filter(organisation=club, user=cast["resident"]).exists()
    declined = Caller(cast["other"]).post(f"{waiting}/{item.pk}/decline")
    assert declined.json()["status"] == "declined"
    assert not Membership.objects.filter(organisation=club, user=cast["resident"]).exists()
    assert Notification.objects.filter(user=cast["resident"], text__contains="declined").exists()


def test_an_open_group_joins_at_once_and_a_member_leaves(loaded, cast, club):
    club.open_to_join = True
    club.save()
    joined = Caller(cast["resident"], token=True).post(f"{GROUPS}/{club.slug}/join")
    assert joined.json() == {"member": True, "role": "member", "request": None}
    assert not JoinRequest.objects.exists()
    twice = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join")
    assert ["path", "slug"] in problem_fields(twice) and "already a member" in \
        twice.json()["detail"]
    left = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/leave")
    assert left.status_code == 200 and left.json()["role"] is None
    assert not Membership.objects.filter(organisation=club, user=cast["resident"]).exists()
    outside = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/leave")
    assert ["path", "slug"] in problem_fields(outside) and "not a member" in \
        outside.json()["detail"]


def test_the_last_admin_cannot_leave(loaded, cast, club):
    refused = Caller(cast["other"]).post(f"{GROUPS}/{club.slug}/leave")
    assert ["path", "slug"] in problem_fields(refused)
    assert "needs at least one admin" in refused.json()["detail"]
    assert Membership.objects.filter(organisation=club, user=cast["other"],
                                     role=Membership.Role.ADMIN).exists()
    Membership.objects.filter(user=cast["member"], organisation=club).update(
        role=Membership.Role.ADMIN)
    assert Caller(cast["other"]).post(f"{GROUPS}/{club.slug}/leave").status_code == 200


def test_joining_and_leaving_without_csrf_or_anonymous_change_nothing(loaded, cast, club):
    club.open_to_join = True
    club.save()
    for path in ("join", "leave"):
        assert Caller().post(f"{GROUPS}/{club.slug}/{path}").status_code == 401
    forged = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join", csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert not Membership.objects.filter(organisation=club, user=cast["resident"]).exists()
    forged = Caller(cast["member"]).post(f"{GROUPS}/{club.slug}/leave", csrf=False)
    assert forged.status_code == 403
    assert Membership.objects.filter(organisation=club, user=cast["member"]).exists()
    club.open_to_join = False
    club.save()
    Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join")
    item = JoinRequest.objects.get()
    forged = Caller(cast["other"]).post(f"{GROUPS}/{club.slug}/join-requests/{item.pk}/accept",
                                        csrf=False)
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    item.refresh_from_db()
    assert item.status == "pending"


def test_a_bad_join_message_is_422_and_asks_nothing(loaded, cast, club):
    for message in ("x" * 1001, "hello\x00", ["not", "text"]):
        refused = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join",
                                                {"message": message})
        assert ["body", "body", "message"] in problem_fields(refused)
    assert not JoinRequest.objects.exists()


def test_joining_is_rate_limited_as_the_page(loaded, cast, club, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "ask to join a group": (1, 3600)}
    club.open_to_join = True
    club.save()
    assert Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join").status_code == 200
    Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/leave")
    refused = Caller(cast["resident"]).post(f"{GROUPS}/{club.slug}/join")
    assert refused.status_code == 429 and "Too many" in refused.json()["detail"]
    assert not Membership.objects.filter(organisation=club, user=cast["resident"]).exists()


def test_joining_needs_no_body_at_all(loaded, cast, club):
    caller = Caller(cast["resident"], token=True)
    sent = caller.client.generic("POST", f"{GROUPS}/{club.slug}/join", b"",
                                 headers=caller.headers)  # as `curl -X POST` sends it
    assert sent.status_code == 200, sent.content
    assert sent.json()["request"]["message"] == ""
