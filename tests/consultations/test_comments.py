"""Comments, replies and support: anyone reads; signed-in people comment, reply and support
only while the consultation is open; support once, never one's own; a rate limit; user
text is never HTML; a deleted account's comments stay, anonymised; the news of a comment
names no one (feeds keep it for good); no email is ever shown; every form needs its CSRF
token."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from commonground.activity.models import Event, Notification
from commonground.consultations.models import Comment, CommentSupport

pytestmark = pytest.mark.django_db


def _comment(client, c, text="Near the station, please.", **extra):
    return client.post(reverse("consultations:comment", args=[c.pk]), {"text": text, **extra})


def test_anyone_reads_without_an_account(client, loaded, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["resident"])
    _comment(client, c, "The streets off Queensway need chargers.")
    client.logout()
    response = client.get(c.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "In short" in page and "We want to put car chargers in Bletchley" in page
    assert "<strong>new chargers</strong>" in page  # the details are Markdown
    assert "Which streets need them?" in page and "The streets off Queensway" in page
    assert "Sign in</a> to comment" in page and 'name="text"' not in page


def test_anonymous_posts_lead_to_sign_in_and_store_nothing(client, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["neighbour"])
    _comment(client, c)
    first = Comment.objects.get()
    client.logout()
    for url, data in ((reverse("consultations:comment", args=[c.pk]), {"text": "Hi"}),
                      (reverse("consultations:support", args=[c.pk, first.pk]), {}),
                      (reverse("consultations:report", args=[c.pk, first.pk]),
                       {"reason": "rude"})):
        response = client.post(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert Comment.objects.count() == 1 and not CommentSupport.objects.exists()
    assert not first.reports.exists()


def test_a_resident_answers_a_question_and_a_neighbour_replies(client, loaded, cast,
                                                               make_consultation):
    c = make_consultation()
    question = c.questions.first()
    client.force_login(cast["resident"])
    response = _comment(client, c, "Duncombe Street.", question=question.pk)
    comment = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"#comment-{comment.pk}")
    assert comment.question == question and comment.author == cast["resident"]
    client.force_login(cast["neighbour"])
    _comment(client, c, "Yes, and keep the pavement clear.", parent=comment.pk)
    reply = Comment.objects.get(parent=comment)
    assert reply.question == question  # a reply joins its comment's question
    assert Notification.objects.filter(user=cast["resident"],
                                       url=reply.get_absolute_url()).exists()
    _comment(client, c, "A reply to the reply.", parent=reply.pk)
    assert Comment.objects.filter(parent=comment).count() == 2  # one level of replies
    page = client.get(c.get_absolute_url()).content.decode()
    assert page.index("Duncombe Street.") < page.index("keep the pavement clear")
    assert 'class="replies"' in page


@pytest.mark.parametrize("opens, closes", [(2, 10), (-10, -1)])
def test_no_comments_before_it_opens_or_after_it_closes(client, cast, make_consultation,
                                                        opens, closes):
    c = make_consultation(opens=opens, closes=closes)
    client.force_login(cast["resident"])
    assert _comment(client, c).status_code == 403
    assert not Comment.objects.exists()
    assert 'name="text"' not in client.get(c.get_absolute_url()).content.decode()


def test_closing_early_stops_comments_and_only_editors_close(client, cast, make_consultation):
    c = make_consultation()
    url = reverse("consultations:close", args=[c.pk])
    for who in ("resident", "member", "other"):
        client.force_login(cast[who])
        assert client.post(url).status_code == 403, who
    client.force_login(cast["officer"])
    assert client.post(url).status_code == 302
    c.refresh_from_db()
    assert c.closed_early is not None and not c.is_open() and c.is_closed()
    client.force_login(cast["resident"])
    assert _comment(client, c).status_code == 403


def test_an_empty_comment_is_refused_with_the_field_named(client, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["resident"])
    response = _comment(client, c, "   ", form="comment-general")
    page = response.content.decode()
    assert response.status_code == 400
    assert '<div class="error-summary" role="alert">' in page and "Comment: write" in page
    assert not Comment.objects.exists()


def test_a_question_of_another_consultation_is_refused(client, cast, make_consultation):
    c, other = make_consultation(), make_consultation(title="Another")
    client.force_login(cast["resident"])
    assert _comment(client, c, question=other.questions.first().pk).status_code == 400
    assert _comment(client, c, question="not-a-number").status_code == 400
    assert not Comment.objects.exists()


@pytest.mark.parametrize("field", ["question", "parent"])
@pytest.mark.parametrize("value", ["²", "١", "9" * 40])
def test_a_question_or_parent_that_is_not_an_id_is_refused(client, cast, make_consultation,
                                                           field, value):
    """"²" passes ``str.isdigit`` but ``int`` refuses it (it was a server error); "١" (an
    Arabic-Indic one) ``int`` reads as 1."""
    c = make_consultation()
    client.force_login(cast["resident"])
    response = _comment(client, c, **{field: value, "form": "comment-general"})
    assert response.status_code == 400
    assert "Comment: that question or comment is not part of this consultation" in \
        response.content.decode()
    assert not Comment.objects.exists()


def test_support_once_never_ones_own_and_only_while_open(client, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["resident"])
    _comment(client, c)
    comment = Comment.objects.get()
    url = reverse("consultations:support", args=[c.pk, comment.pk])
    assert client.post(url).status_code == 403  # one's own
    client.force_login(cast["neighbour"])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # twice counts once
    assert comment.supports.count() == 1
    assert "1 support" in client.get(c.get_absolute_url()).content.decode()
    c.closes = c.opens
    c.save()
    client.force_login(cast["officer"])
    assert client.post(url).status_code == 403
    assert comment.supports.count() == 1


def test_comments_are_rate_limited(client, settings, cast, make_consultation):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "comment": (2, 3600)}
    c = make_consultation()
    client.force_login(cast["resident"])
    assert _comment(client, c, "One").status_code == 302
    assert _comment(client, c, "Two").status_code == 302
    response = _comment(client, c, "Three", form="comment-general")
    assert response.status_code == 429 and "Too many at once" in response.content.decode()
    assert "Three" in response.content.decode()  # the text is kept for later
    assert Comment.objects.count() == 2
    client.force_login(cast["neighbour"])  # the limit is per person
    assert _comment(client, c, "Mine").status_code == 302


def test_html_in_a_comment_never_reaches_the_page_as_markup(client, cast, make_consultation):
    c = make_consultation()
    client.force_login(cast["resident"])
    _comment(client, c, '<script>alert("x")</script> Chargers <img src=x onerror=alert(1)> '
                        "[here](javascript:alert(1)) and *there*")
    page = Client().get(c.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "onerror" not in page
    assert "javascript:" not in page
    assert "<em>there</em>" in page  # Markdown still works


def test_a_deleted_account_leaves_its_comments_to_a_former_member(client, cast,
                                                                   make_consultation):
    c = make_consultation()
    client.force_login(cast["neighbour"])
    _comment(client, c, "Chargers at the leisure centre.")
    cast["neighbour"].delete()
    comment = Comment.objects.get()
    assert comment.author is None
    page = Client().get(c.get_absolute_url()).content.decode()
    assert "Chargers at the leisure centre." in page and "a former member" in page
    assert "neighbour" not in page


def test_no_email_address_is_ever_shown(client, cast, make_consultation, django_user_model):
    c = make_consultation()
    email_named = django_user_model.objects.create_user("jo@example.com", email="jo@example.com")
    for who in (cast["resident"], email_named):
        client.force_login(who)
        _comment(client, c, "Near the station.")
    client.force_login(cast["admin"])  # even moderators see no addresses
    for page in (client.get(c.get_absolute_url()), Client().get(c.get_absolute_url()),
                 Client().get(reverse("consultations:list"))):
        assert "@example." not in page.content.decode()
    assert ">jo<" in Client().get(c.get_absolute_url()).content.decode()


def test_a_post_without_its_csrf_token_is_refused(cast, make_consultation):
    c = make_consultation()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast["resident"])
    response = browser.post(reverse("consultations:comment", args=[c.pk]), {"text": "Hi"})
    assert response.status_code == 403 and not Comment.objects.exists()
    page = browser.get(c.get_absolute_url())
    token = page.cookies["csrftoken"].value
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    ok = browser.post(reverse("consultations:comment", args=[c.pk]),
                      {"text": "Hi", "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and Comment.objects.count() == 1


def test_the_news_of_a_comment_names_no_one(client, cast, make_consultation):
    """Events are public in feeds and kept for good: a name there would outlive the account."""
    c = make_consultation()
    client.force_login(cast["resident"])
    _comment(client, c, "Near the station.")
    first = Comment.objects.get()
    client.force_login(cast["neighbour"])
    _comment(client, c, "Agreed.", parent=first.pk)
    news = list(Event.objects.filter(targets__kind="consultation").order_by("pk")
                .values_list("text", flat=True))
    assert news == [f"New comment on “{c.title}”", f"New reply to a comment on “{c.title}”"]
    told = Notification.objects.get(user=cast["resident"])  # the person replied to
    assert told.text == f"New reply to a comment on “{c.title}”"
    cast["neighbour"].delete()
    for feed in ("atom", "rss"):
        body = Client().get(reverse(f"activity:feed_{feed}",
                                    args=["consultation", c.pk])).content.decode()
        assert "New reply to a comment on" in body and "neighbour" not in body, feed


def test_comment_news_written_with_a_name_is_rewritten_without(cast, make_consultation):
    """The migration that rewrites news from before: only comment news is touched."""
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    migration = import_module(
        "commonground.consultations.migrations.0004_comment_news_names_no_one")
    apps = MigrationLoader(connection).project_state(  # the models as the migration sees them
        ("consultations", "0004_comment_news_names_no_one")).apps
    c = make_consultation()
    url = f"{c.get_absolute_url()}#comment-7"
    old = {"jo commented on “EV chargers”": "New comment on “EV chargers”",
           "jo replied to a comment on “EV chargers”": "New reply to a comment on “EV chargers”"}
    events = {text: Event.objects.create(text=text, url=url) for text in old}
    notes = {text: Notification.objects.create(user=cast["resident"], text=text, url=url)
             for text in old}
    other = Event.objects.create(text="jo commented on “EV chargers”", url="/requests/3/")
    opened = Event.objects.create(text="Milton Keynes City Council asks for your views",
                                  url=url)
    migration.forget_names(apps, None)
    for text, new in old.items():
        for row in (events[text], notes[text]):
            row.refresh_from_db()
            assert row.text == new
    other.refresh_from_db()
    opened.refresh_from_db()
    assert other.text == "jo commented on “EV chargers”"
    assert opened.text == "Milton Keynes City Council asks for your views"
