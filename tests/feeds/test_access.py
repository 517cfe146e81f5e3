"""Who reads and edits a feed: a published, non-private feed anyone; a private one its
organisation's members or a valid read key of that feed (not a write key, not another
feed's key, not an expired or revoked one); a draft only the members; edits only its
organisation's editors (and staff)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.feeds import access, keys
from commonground.feeds.models import Feed, FeedKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(council):
    other = Organisation.objects.create(slug="other", name="Other", kind="business")
    people = {name: User.objects.create_user(name) for name in
              ["member", "editor", "outsider", "staff"]}
    Membership.objects.create(organisation=council, user=people["member"], role="member")
    Membership.objects.create(organisation=council, user=people["editor"], role="editor")
    Membership.objects.create(organisation=other, user=people["outsider"], role="admin")
    people["staff"].is_staff = True
    people["staff"].save()
    people["anonymous"] = AnonymousUser()
    return people


def feed(council, slug, **fields):
    return Feed.objects.create(organisation=council, slug=slug, title=slug, **fields)


def test_a_public_feed_is_read_by_anyone_and_edited_by_editors_only(council, cast):
    public = feed(council, "public", state="published")
    for who in cast:
        assert access.can_read(cast[who], public), who
    assert [w for w in cast if access.can_edit(cast[w], public)] == ["editor", "staff"]


def test_a_private_feed_is_read_by_members_or_its_own_valid_read_key(council, cast):
    private = feed(council, "private", state="published", private=True)
    other = feed(council, "other", state="published", private=True)
    assert [w for w in cast if access.can_read(cast[w], private)] == \
        ["member", "editor", "staff"]
    anonymous = cast["anonymous"]
    read = keys.make_key(private, FeedKey.Scope.READ)
    assert access.can_read(anonymous, private, key=read.secret)
    assert not access.can_read(anonymous, private, key=keys.make_key(private, "write").secret)
    assert not access.can_read(anonymous, private, key=keys.make_key(other, "read").secret)
    assert not access.can_read(anonymous, private, key=read.secret[:-1] + "x")
    expired = keys.make_key(private, "read", expires=timezone.now() - timedelta(seconds=1))
    assert not access.can_read(anonymous, private, key=expired.secret)
    keys.revoke(read.key)
    assert not access.can_read(anonymous, private, key=read.secret)


def test_a_draft_is_read_by_members_only_whatever_the_key(council, cast):
    draft = feed(council, "draft")
    assert [w for w in cast if access.can_read(cast[w], draft)] == ["member", "editor", "staff"]
    assert not access.can_read(cast["anonymous"], draft,
                               key=keys.make_key(draft, "read").secret)


def test_visible_feeds_lists_public_feeds_and_the_members_own(council, cast):
    feed(council, "public", state="published")
    feed(council, "private", state="published", private=True)
    feed(council, "draft")
    def slugs(who):
        return sorted(access.visible_feeds(cast[who]).values_list("slug", flat=True))
    assert slugs("anonymous") == slugs("outsider") == ["public"]
    assert slugs("member") == slugs("staff") == ["draft", "private", "public"]


def test_a_key_is_stored_hashed_and_found_only_by_its_whole_secret(council):
    made = keys.make_key(feed(council, "f"), "write", label="gateway")
    stored = FeedKey.objects.get()
    assert made.secret not in (stored.hashed, stored.prefix) and len(made.secret) >= 43
    assert made.secret.startswith(stored.prefix)
    assert keys.find(made.secret) == stored
    assert keys.find(stored.prefix) is None and keys.find("") is None
    with pytest.raises(ValueError, match="scope"):
        keys.make_key(stored.feed, "admin")


def test_a_key_made_by_an_editor_acts_only_while_they_are_one(council, cast):
    gauge = feed(council, "gauge", state="published")
    made = keys.make_key(gauge, "write", label="river gauge", user=cast["editor"])
    key = keys.find(made.secret)
    assert keys.problem(key, gauge, "write") is None
    Membership.objects.filter(user=cast["editor"]).update(role="member")
    assert "no longer an editor" in keys.problem(keys.find(made.secret), gauge, "write")
    Membership.objects.filter(user=cast["editor"]).update(role="editor")
    cast["editor"].is_active = False
    cast["editor"].save(update_fields=["is_active"])
    assert "no longer an editor" in keys.problem(keys.find(made.secret), gauge, "write")
    # a key made by the operator's commands (no one signed in) has no maker to check
    operators = keys.make_key(gauge, "write", label="replay")
    assert keys.problem(keys.find(operators.secret), gauge, "write") is None
