"""The rules of ``consultations.access``, person by person and stage by stage: who opens,
edits, closes and responds; who comments, replies, supports, reports and moderates."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from commonground.consultations import access
from commonground.consultations.models import Comment, OfficialResponse

pytestmark = pytest.mark.django_db

PEOPLE = ["anonymous", "resident", "member", "officer", "admin", "other", "staff"]
EDITORS = {"officer", "admin", "staff"}  # editors of the council, its admins, site staff
MODERATORS = {"admin", "staff"}


def _who(cast, name):
    return AnonymousUser() if name == "anonymous" else cast[name]


@pytest.mark.parametrize("name", PEOPLE)
def test_who_opens_edits_and_moderates(cast, council, make_consultation, name):
    user, c = _who(cast, name), make_consultation()
    assert access.can_open(user, council) is (name in EDITORS)
    assert access.can_edit(user, c) is (name in EDITORS)
    assert access.can_close(user, c) is (name in EDITORS)
    assert access.can_moderate(user, c) is (name in MODERATORS)
    assert access.can_open_any(user) is (name in EDITORS | {"other"})


@pytest.mark.parametrize("name", PEOPLE)
@pytest.mark.parametrize("stage, opens, closes", [
    ("upcoming", 2, 10), ("open", -3, 10), ("open on its last day", -3, 0),
    ("closed", -10, -1)])
def test_comments_and_support_only_while_open_and_signed_in(cast, make_consultation, name,
                                                            stage, opens, closes):
    user, c = _who(cast, name), make_consultation(opens=opens, closes=closes)
    theirs = Comment.objects.create(consultation=c, author=cast["neighbour"], text="Hi")
    allowed = stage.startswith("open") and name != "anonymous"
    assert access.can_comment(user, c) is allowed
    assert access.can_reply(user, theirs) is allowed
    assert access.can_support(user, theirs) is allowed
    assert access.can_report(user, theirs) is (name != "anonymous")
    assert access.can_respond(user, c) is (stage == "closed" and name in EDITORS)


def test_not_ones_own_comment_and_not_a_hidden_one(cast, make_consultation):
    c = make_consultation()
    own = Comment.objects.create(consultation=c, author=cast["resident"], text="Mine")
    hidden = Comment.objects.create(consultation=c, author=cast["neighbour"], text="x",
                                    hidden=True, hidden_reason="Spam")
    assert not access.can_support(cast["resident"], own)
    assert access.can_reply(cast["resident"], own)
    assert not access.can_support(cast["resident"], hidden)
    assert not access.can_reply(cast["resident"], hidden)


def test_one_response_only(cast, make_consultation):
    c = make_consultation(opens=-10, closes=-1)
    assert access.can_respond(cast["officer"], c)
    OfficialResponse.objects.create(consultation=c, text="Done")
    c.refresh_from_db()
    assert not access.can_respond(cast["officer"], c)
