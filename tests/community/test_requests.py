"""Data requests: anyone signed in asks and supports; only the organisation asked answers, on
the record; the requester and supporters are notified; anyone reads and filters the list."""

from __future__ import annotations

from unittest import mock

import django.core.mail
import pytest
from django.urls import reverse

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Notification
from commonground.community import services
from commonground.community.models import Answer, DataRequest

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(council, django_user_model):
    make = django_user_model.objects.create_user
    people = {"resident": make("resident", password="pw-res-1"),
              "neighbour": make("neighbour", password="pw-nei-1"),
              "officer": make("officer", password="pw-off-1"),
              "member": make("member", password="pw-mem-1"),
              "other": make("other-officer", password="pw-oth-1")}
    Membership.objects.create(user=people["officer"], organisation=council,
                              role=Membership.Role.EDITOR)
    Membership.objects.create(user=people["member"], organisation=council,
                              role=Membership.Role.MEMBER)
    group = Organisation.objects.create(slug="group", name="Food Bank Network",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=people["other"], organisation=group,
                              role=Membership.Role.EDITOR)
    return people


def _ask(client, council, **extra):
    data = {"title": "EV chargers per estate", "description": "Where are chargers missing?",
            "organisation": council.pk, "places": "Bletchley East", **extra}
    return client.post(reverse("community:request_new"), data)


def test_a_resident_asks_and_neighbours_support(client, loaded, council, cast):
    assert client.get(reverse("community:request_new")).status_code == 302  # sign in first
    client.force_login(cast["resident"])
    response = _ask(client, council)
    item = DataRequest.objects.get()
    assert response.status_code == 302 and item.status == "open"
    assert item.area_codes and item.area_codes[0].startswith("E05")
    page = client.get(item.get_absolute_url()).content.decode()
    assert "Bletchley East" in page and "EV chargers per estate" in page
    client.force_login(cast["neighbour"])
    client.post(reverse("community:support", args=[item.pk]))
    client.post(reverse("community:support", args=[item.pk]))  # twice counts once
    assert item.supports.count() == 1
    client.force_login(cast["resident"])  # one's own request is not supported by oneself
    assert client.post(reverse("community:support", args=[item.pk])).status_code == 403


@pytest.mark.parametrize("extra, words", [
    ({"title": " "}, "Title"), ({"description": ""}, "Description"),
    ({"organisation": ""}, "Organisation"), ({"places": "Atlantis"}, "“Atlantis” is not a place"),
])
def test_bad_requests_say_what_is_wrong_and_store_nothing(client, loaded, council, cast, extra,
                                                          words):
    client.force_login(cast["resident"])
    response = _ask(client, council, **extra)
    assert response.status_code == 400 and words in response.content.decode()
    assert not DataRequest.objects.exists()


def test_only_the_organisation_asked_answers(client, loaded, council, cast):
    client.force_login(cast["resident"])
    _ask(client, council)
    item = DataRequest.objects.get()
    url = reverse("community:answer", args=[item.pk])
    answer = {"status": "under_review", "text": "We are looking at this."}
    for who in ("resident", "member", "other"):
        client.force_login(cast[who])
        assert client.post(url, answer).status_code == 403, who
    client.logout()
    assert client.post(url, answer).status_code == 403
    assert not Answer.objects.exists()
    client.force_login(cast["officer"])
    assert client.post(url, answer).status_code == 302
    item.refresh_from_db()
    assert item.status == "under_review" and item.first_answered is not None


def test_published_links_the_organisations_own_public_dataset_and_notifies(
        client, loaded, council, cast, make_dataset):
    client.force_login(cast["resident"])
    _ask(client, council)
    item = DataRequest.objects.get()
    client.force_login(cast["neighbour"])
    client.post(reverse("community:support", args=[item.pk]))
    client.force_login(cast["officer"])
    url = reverse("community:answer", args=[item.pk])
    draft = make_dataset("chargers-draft", state="draft")
    missing = client.post(url, {"status": "published", "text": "Done."})
    assert missing.status_code == 400 and "Dataset" in missing.content.decode()
    not_public = client.post(url, {"status": "published", "text": "Done.",
                                   "dataset": draft.pk})
    assert not_public.status_code == 400 and "publish the dataset first" in \
        not_public.content.decode()
    assert client.post(url, {"status": "published", "text": "Done.",
                             "dataset": "not-a-uuid"}).status_code == 400
    published = make_dataset("ev-chargers-per-estate", title="EV chargers per estate")
    assert client.post(url, {"status": "published", "text": "Here it is.",
                             "dataset": published.pk}).status_code == 302
    item.refresh_from_db()
    assert item.status == "published" and item.dataset == published
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"resident", "neighbour"}
    client.force_login(cast["resident"])
    page = client.get(reverse("activity:notifications")).content.decode()
    assert "answered “EV chargers per estate”: published" in page
    assert Notification.objects.filter(user=cast["resident"], read=False).exists()  # GET
    client.post(reverse("activity:notifications"))  # "Mark all as read"
    assert not Notification.objects.filter(user=cast["resident"], read=False).exists()
    assert "EV chargers per estate" in client.get(item.get_absolute_url()).content.decode()


def test_anyone_reads_and_filters_the_list_with_response_times(client, loaded, council, cast):
    client.force_login(cast["resident"])
    _ask(client, council)
    _ask(client, council, title="Footfall at food banks", places="")
    first = DataRequest.objects.get(title="EV chargers per estate")
    client.force_login(cast["officer"])
    client.post(reverse("community:answer", args=[first.pk]),
                {"status": "declined", "text": "We do not hold it."})
    client.logout()
    page = client.get(reverse("community:requests")).content.decode()
    assert "EV chargers per estate" in page and "Footfall at food banks" in page
    assert "after 0 days" in page and "not yet" in page
    declined = client.get(reverse("community:requests"), {"status": "declined"}).content.decode()
    assert "EV chargers per estate" in declined and "Footfall" not in declined
    place = first.area_codes[0]
    here = client.get(reverse("community:requests"), {"place": place}).content.decode()
    assert "EV chargers per estate" in here and "Footfall" not in here
    by_org = client.get(reverse("community:requests"),
                        {"organisation": council.slug}).content.decode()
    assert "Footfall" in by_org


def test_names_on_requests_are_never_email_addresses(client, loaded, council, cast,
                                                     django_user_model):
    old = django_user_model.objects.create_user("jane.doe@gmail.com", password="pw-jane-1")
    item = services.ask(old, title="Grit bins", description="Where?", organisation=council)
    page = client.get(item.get_absolute_url()).content.decode()
    assert "by jane.doe " in page and "gmail.com" not in page


def test_a_request_no_longer_shows_a_dataset_that_stopped_being_public(
        client, loaded, council, cast, make_dataset):
    client.force_login(cast["resident"])
    _ask(client, council)
    item = DataRequest.objects.get()
    dataset = make_dataset("secret-thing", title="Secret thing title")
    services.answer(cast["officer"], item, status="published", text="Here.", dataset=dataset)
    assert "Secret thing title" in client.get(item.get_absolute_url()).content.decode()
    dataset.private = True
    dataset.save()
    client.logout()
    assert "Secret thing title" not in client.get(item.get_absolute_url()).content.decode()


def test_any_organisation_in_the_directory_can_be_asked(client, loaded, council, cast,
                                                        mailoutbox):
    """An organisation no one answers for on Common Ground (an NHS body, a utility) is asked
    in public and emailed at its contact address; one with members is not emailed."""
    nhs = Organisation.objects.create(slug="mk-icb", name="NHS Milton Keynes ICB",
                                      kind=Organisation.Kind.NATIONAL_BODY,
                                      contact_email="data@icb.example.nhs.uk")
    water = Organisation.objects.create(slug="water", name="Anglian Water",
                                        kind=Organisation.Kind.BUSINESS)
    client.force_login(cast["resident"])
    form = client.get(reverse("community:request_new")).content.decode()
    assert f'<option value="{council.pk}">Milton Keynes City Council</option>' in form
    assert "NHS Milton Keynes ICB (not answering on Common Ground yet)" in form
    assert "Anglian Water (not answering on Common Ground yet)" in form
    assert _ask(client, council).status_code == 302
    assert mailoutbox == []  # the council's editors hear of it on Common Ground

    assert _ask(client, council, organisation=nhs.pk, title="GP list sizes").status_code == 302
    asked = DataRequest.objects.get(organisation=nhs)
    [mail] = mailoutbox
    assert mail.to == ["data@icb.example.nhs.uk"] and "GP list sizes" in mail.subject
    assert asked.get_absolute_url() in mail.body and "Where are chargers missing?" in mail.body
    client.logout()  # the request is public and says whom it is addressed to
    page = client.get(asked.get_absolute_url()).content.decode()
    assert "Addressed to NHS Milton Keynes ICB, which no one on Common Ground answers for " \
           "yet" in page and "contact address" in page
    listed = client.get(reverse("community:requests"), {"organisation": nhs.slug})
    assert "GP list sizes" in listed.content.decode()

    client.force_login(cast["resident"])
    assert _ask(client, council, organisation=water.pk, title="Leaks").status_code == 302
    assert len(mailoutbox) == 1  # no contact address: public only
    council_request = DataRequest.objects.get(organisation=council)
    assert 'id="addressee"' not in client.get(council_request.get_absolute_url()).content.decode()
    client.force_login(cast["officer"])  # another organisation's editor cannot answer for it
    answered = client.post(reverse("community:answer", args=[asked.pk]),
                           {"status": "declined", "text": "Not ours"})
    assert answered.status_code == 403 and not asked.answers.exists()


def test_an_organisations_inbox_is_not_flooded_and_a_bad_title_breaks_nothing(
        loaded, cast, mailoutbox, settings, caplog):
    """Requests to an organisation's contact address are emailed at most its day's share
    (then published only); a title with a line break (a header injection try) is one line,
    and a mail server that refuses leaves the request published, not a server error."""
    from commonground.community import services

    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "ask for data": (50, 3600),
                                         "email an organisation": (2, 86400)}
    nhs = Organisation.objects.create(slug="mk-icb", name="NHS Milton Keynes ICB",
                                      kind=Organisation.Kind.NATIONAL_BODY,
                                      contact_email="data@icb.example.nhs.uk")
    made = services.ask(cast["resident"], title="Bus data\nBcc: victim@example.com",
                        description="Stops per estate", organisation=nhs)
    assert made.title == "Bus data Bcc: victim@example.com"
    [mail] = mailoutbox
    assert "\n" not in mail.subject and mail.bcc == [] and mail.to == [nhs.contact_email]
    for n in range(3):
        services.ask(cast["resident"], title=f"Request {n}", description="d", organisation=nhs)
    assert len(mailoutbox) == 2  # the day's share: the others are published, not emailed
    assert DataRequest.objects.filter(organisation=nhs).count() == 4

    def refused(*args, **kwargs):
        raise OSError("mail server down")

    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "email an organisation": (50, 86400)}
    with caplog.at_level("ERROR"), mock.patch.object(
            django.core.mail.get_connection().__class__, "send_messages", refused):
        kept = services.ask(cast["resident"], title="Rota", description="d",
                            organisation=nhs)
    assert DataRequest.objects.filter(pk=kept.pk).exists()
    assert "could not be emailed" in caplog.text


def test_a_link_may_fill_in_what_is_asked_and_of_whom(client, loaded, council, cast):
    client.force_login(cast["resident"])
    form = client.get(reverse("community:request_new"),
                      {"title": "Data from Parking <sensors>", "organisation": council.slug})
    html = form.content.decode()
    assert 'value="Data from Parking &lt;sensors&gt;"' in html
    assert f'<option value="{council.pk}" selected>Milton Keynes City Council</option>' in html
    assert not DataRequest.objects.exists()  # filled in, not asked


def test_asking_is_rate_limited(client, loaded, council, cast, settings):
    settings.COMMONGROUND_RATE_LIMITS = {**settings.COMMONGROUND_RATE_LIMITS,
                                         "ask for data": (2, 3600)}
    client.force_login(cast["resident"])
    assert [_ask(client, council, title=f"Data {i}").status_code for i in range(3)] == \
        [302, 302, 429]
    assert DataRequest.objects.count() == 2


def test_published_cannot_point_at_another_organisations_dataset(client, loaded, council,
                                                                  cast, make_dataset):
    client.force_login(cast["resident"])
    _ask(client, council)
    item = DataRequest.objects.get()
    theirs = make_dataset("food-banks", organisation=Organisation.objects.get(slug="group"))
    client.force_login(cast["officer"])
    refused = client.post(reverse("community:answer", args=[item.pk]), {
        "status": "published", "text": "See theirs.", "dataset": theirs.pk})
    assert refused.status_code == 400 and "link the dataset your organisation" in \
        refused.content.decode()


def test_site_staff_may_answer(client, loaded, council, cast, django_user_model):
    client.force_login(cast["resident"])
    _ask(client, council)
    staff = django_user_model.objects.create_user("staff", password="pw-st-1", is_staff=True)
    client.force_login(staff)
    assert client.post(reverse("community:answer", args=[DataRequest.objects.get().pk]), {
        "status": "under_review", "text": "Passed to the data team."}).status_code == 302


def test_user_text_is_never_html(client, loaded, council, cast):
    client.force_login(cast["resident"])
    _ask(client, council, description="<script>alert(1)</script> **bold** "
                                      "[x](javascript:alert(2)) <img src=x onerror=alert(3)>")
    item = DataRequest.objects.get()
    client.force_login(cast["officer"])
    client.post(reverse("community:answer", args=[item.pk]), {
        "status": "declined", "text": "<iframe src='https://evil.example'></iframe>No."})
    page = client.get(item.get_absolute_url()).content.decode()
    assert "<script>alert" not in page and "onerror" not in page and "javascript:" not in page
    assert "<iframe" not in page and "<strong>bold</strong>" in page


def test_forms_without_the_csrf_token_are_refused(loaded, council, cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(cast["resident"])
    posts = [(reverse("community:request_new"), {"title": "x", "description": "y",
                                                 "organisation": council.pk}),
             (reverse("community:join", args=[council.slug]), {}),
             (reverse("activity:follow"), {"kind": "group", "key": council.slug}),
             (reverse("community:group_new"), {"name": "New group"})]
    for url, data in posts:
        assert strict.post(url, data).status_code == 403, url
    assert not DataRequest.objects.exists()


def test_the_place_filter_takes_names_and_matches_exactly(client, loaded, council, cast):
    client.force_login(cast["resident"])
    _ask(client, council)  # Bletchley East
    by_name = client.get(reverse("community:requests"), {"place": "bletchley east"})
    assert "EV chargers per estate" in by_name.content.decode()
    partial = client.get(reverse("community:requests"), {"place": "E05"}).content.decode()
    assert "EV chargers per estate" not in partial and "is not a place" in partial
