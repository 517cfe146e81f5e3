"""The way into restricted data, on the city's real charge points: a resident asks, the
council counter-offers, the resident accepts, the grant gives exactly the offer, ends on its
date and is revoked at once; everyone is told each step (in the site and by email); bad
input names its field and changes nothing; nobody else sees a request; the dataset page
shows how requests went, without names or purposes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from commonground.accounts.models import Membership, Organisation
from commonground.activity.models import Notification
from commonground.catalogue import access, grantscope
from commonground.catalogue.models import AccessRequest, Grant, IngestJob
from commonground.catalogue.services import access_requests as service
from commonground.geography.manifest import load_manifest

pytestmark = pytest.mark.django_db

PURPOSE = "Map which estates lack home charging for the Fenny Neighbours' transport plan"
SAFES = {"safe_projects": "A community transport plan, for the public good",
         "safe_people": "Two volunteers who have done the hub's data training",
         "safe_settings": "A locked laptop; never on a shared drive",
         "safe_data": "Only the columns needed to place and date each charger",
         "safe_outputs": "Counts per ward only, none below ten"}


@pytest.fixture
def chargers(loaded, council, make_dataset, ingest_path, data_dir):
    """The manifest's charge points, restricted as a whole, dated by ``datecreated``."""
    source = next(r for r in load_manifest(data_dir).resources if r.name == "ev-chargepoints")
    dataset = make_dataset("ev-chargepoints", title=source.title, restricted=True,
                           period_column="datecreated",
                           access_terms="Publish counts per ward only, none below ten.")
    job = ingest_path(dataset, data_dir / source.path, name=source.title)
    assert job.status == IngestJob.Status.DONE, job.error
    assert "datecreated" in [c["name"] for c in job.version.schema]
    return dataset


@pytest.fixture
def cast(council, django_user_model):
    """The council's editor; a resident (a member of a community group); a member of
    another organisation."""
    make = django_user_model.objects.create_user
    editor = make("officer", email="officer@mk.example", password="pw-officer-1")
    resident = make("resident", email="resident@example.org", password="pw-resident-1")
    stranger = make("stranger", email="stranger@example.org", password="pw-stranger-1")
    Membership.objects.create(user=editor, organisation=council, role=Membership.Role.EDITOR)
    group = Organisation.objects.create(slug="fenny-neighbours", name="Fenny Neighbours",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    other = Organisation.objects.create(slug="bletchley-bikes", name="Bletchley Bikes",
                                        kind=Organisation.Kind.COMMUNITY_GROUP)
    Membership.objects.create(user=resident, organisation=group)
    Membership.objects.create(user=stranger, organisation=other, role=Membership.Role.EDITOR)
    return {"editor": editor, "resident": resident, "stranger": stranger, "group": group}


def _wards(state, n):
    return state.by_geography["ward"][:n]


def _columns(dataset) -> list[str]:
    return service.live_columns(dataset)


def _ask_form(dataset, state, **changes) -> dict:
    columns = [c for c in _columns(dataset) if not c.startswith("_")][:4] + ["datecreated"]
    form = {"columns": list(dict.fromkeys(columns)),
            "places": ", ".join(w.name for w in _wards(state, 2)),
            "period_from": "2015-01-01", "period_to": "2022-12-31", "detail": "exact",
            "months": "12", "purpose": PURPOSE, "terms": "1", **SAFES}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _url(name, dataset, *args):
    return reverse(f"catalogue:{name}", args=[dataset.name, *args])


def _told(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("text", flat=True))


def _mailed(address) -> list:
    return [m for m in mail.outbox if m.to == [address]]


def test_request_counter_offer_accept_use_expire_and_revoke(client, chargers, cast, loaded):
    editor, resident = cast["editor"], cast["resident"]
    wards = _wards(loaded, 2)

    # the resident asks, for their group
    client.force_login(resident)
    page = client.get(chargers.get_absolute_url())
    assert _url("access_ask", chargers).encode() in page.content
    form = _ask_form(chargers, loaded, group="fenny-neighbours")
    answer = client.post(_url("access_ask", chargers), form)
    item = AccessRequest.objects.get(dataset=chargers, requester=resident)
    assert answer.status_code == 302 and answer.url == _url("access_request", chargers, item.pk)
    asked = grantscope.from_json(item.scope)
    assert (item.status, item.group, item.purpose) == ("pending", cast["group"], PURPOSE)
    assert set(asked.places) == {w.code for w in wards}
    assert asked.period_from == date(2015, 1, 1) and item.safe_outputs == SAFES["safe_outputs"]
    assert any("resident asked for access" in t for t in _told(editor))
    assert len(_mailed("officer@mk.example")) == 1
    assert _url("access_request", chargers, item.pk) in _mailed("officer@mk.example")[0].body
    assert _told(resident) == [] and _mailed("resident@example.org") == []

    # the council counter-offers less: two columns, one ward, ward detail, six months
    client.force_login(editor)
    queue = client.get(_url("access_queue", chargers))
    assert queue.status_code == 200 and b"resident" in queue.content
    offered_columns = list(asked.columns[:2])
    answer = client.post(_url("access_answer", chargers, item.pk), {
        "action": "counter", "columns": offered_columns, "places": wards[0].code,
        "period_from": "2016-01-01", "period_to": "2022-12-31", "detail": "ward",
        "months": "6", "note": "One ward to start with"})
    assert answer.status_code == 302
    item.refresh_from_db()
    assert item.status == "countered" and item.answered_by == editor and item.answered
    assert any("counter-offer" in t.lower() for t in _told(resident))
    assert "One ward to start with" in _mailed("resident@example.org")[0].body

    # the resident accepts: a grant of exactly the offer, for six months
    client.force_login(resident)
    assert b"Accept the counter-offer" in client.get(
        _url("access_request", chargers, item.pk)).content
    assert client.post(_url("access_reply", chargers, item.pk),
                       {"action": "accept"}).status_code == 302
    held = Grant.objects.get(dataset=chargers, user=resident)
    item.refresh_from_db()
    assert item.status == "granted" and held.request == item and held.group == cast["group"]
    # the grant is the offer, and keeps the column its period is on
    assert held.scope == {**item.offer, "period": {**item.offer["period"],
                                                   "column": "datecreated"}}
    assert timedelta(days=181) <= held.expires - held.starts <= timedelta(days=184)
    assert any("accepted the counter-offer" in t for t in _told(editor))
    assert len(_mailed("officer@mk.example")) == 2

    reading = access.row_access(resident, chargers)
    assert reading.grant == held and reading.audited
    assert reading.scope.columns == frozenset(offered_columns)
    assert reading.scope.areas == frozenset({wards[0].code})
    assert reading.scope.period == ("datecreated", date(2016, 1, 1), date(2022, 12, 31))
    assert "_easting" in reading.scope.hidden  # ward detail: no exact locations
    assert b"Active until" in client.get(chargers.get_absolute_url()).content

    # it ends on its date
    Grant.objects.filter(pk=held.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert access.row_access(resident, chargers) is None
    assert b"Ended on" in client.get(chargers.get_absolute_url()).content

    # while it runs, the council can revoke it, and it stops at once
    Grant.objects.filter(pk=held.pk).update(expires=timezone.now() + timedelta(days=30))
    assert access.row_access(resident, chargers).grant == held
    client.force_login(editor)
    refused = client.post(_url("grant_revoke", chargers, held.pk), {"reason": " "})
    assert refused.status_code == 302 and access.row_access(resident, chargers) is not None
    client.post(_url("grant_revoke", chargers, held.pk), {"reason": "Terms broken"})
    held.refresh_from_db()
    assert held.revoked and held.revoked_by == editor and held.revoke_reason == "Terms broken"
    assert access.row_access(resident, chargers) is None
    assert any("revoked" in t for t in _told(resident))
    assert "Terms broken" in _mailed("resident@example.org")[-1].body


def test_granting_what_was_asked(client, chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded)
    client.force_login(cast["editor"])
    client.post(_url("access_answer", chargers, item.pk), {"action": "grant"})
    held = Grant.objects.get(request=item)
    # what was asked, its period kept on the column it was asked of
    asked = {**item.scope, "period": {**item.scope["period"], "column": "datecreated"}}
    assert held.scope == asked and held.is_active()
    assert any("granted" in t for t in _told(cast["resident"]))
    assert "granted" in _mailed("resident@example.org")[0].body


def _ask(dataset, user, state, **changes) -> AccessRequest:
    form = _ask_form(dataset, state, **changes)
    scope = service.read_scope(dataset, columns=form["columns"], places=form["places"],
                               period_from=form["period_from"], period_to=form["period_to"],
                               detail=form["detail"], months=form["months"])
    return service.ask(user, dataset, scope, purpose=PURPOSE, safes=SAFES,
                       accepted_terms=True)


def test_a_rejection_needs_a_reason(client, chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded)
    mail.outbox.clear()
    client.force_login(cast["editor"])
    refused = client.post(_url("access_answer", chargers, item.pk),
                          {"action": "reject", "reason": "  "})
    assert refused.status_code == 400 and "reason" in refused.context["errors"]
    item.refresh_from_db()
    assert item.status == "pending" and item.answered is None
    assert _told(cast["resident"]) == [] and mail.outbox == []

    client.post(_url("access_answer", chargers, item.pk),
                {"action": "reject", "reason": "We cannot share addresses with anyone"})
    item.refresh_from_db()
    assert item.status == "rejected" and item.reason == "We cannot share addresses with anyone"
    assert any("rejected" in t for t in _told(cast["resident"]))
    assert "We cannot share addresses" in _mailed("resident@example.org")[0].body
    assert not Grant.objects.filter(dataset=chargers).exists()


@pytest.mark.parametrize(("changes", "field"), [
    ({"columns": ["no_such_column"]}, "columns"),
    ({"columns": None}, "columns"),
    ({"places": "Atlantis"}, "places"),
    ({"period_from": "2020-13-01"}, "period_from"),
    ({"period_from": "2022-01-01", "period_to": "2021-01-01"}, "period_to"),
    ({"detail": "county"}, "detail"),
    ({"months": "0"}, "months"),
    ({"months": "25"}, "months"),
    ({"months": "six"}, "months"),
    ({"purpose": "  "}, "purpose"),
    ({"safe_outputs": ""}, "safe_outputs"),
    ({"terms": None}, "terms"),
    ({"group": "bletchley-bikes"}, "group"),
])
def test_a_bad_request_names_its_field_and_changes_nothing(client, chargers, cast, loaded,
                                                          changes, field):
    client.force_login(cast["resident"])
    answer = client.post(_url("access_ask", chargers), _ask_form(chargers, loaded, **changes))
    assert answer.status_code == 400
    assert list(answer.context["errors"]) == [field]
    assert not AccessRequest.objects.exists() and mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(("offer", "field"), [
    ({"columns": ["datecreated", "postcode", "no_such_column"]}, "columns"),
    ({"places": ""}, "places"),  # the whole city: wider than two wards
    ({"period_from": "2010-01-01"}, "period_from"),
    ({"months": "13"}, "months"),
    ({}, "columns"),  # the same as asked
])
def test_a_counter_offer_only_narrows(client, chargers, cast, loaded, offer, field):
    item = _ask(chargers, cast["resident"], loaded)
    mail.outbox.clear()
    form = {k: v for k, v in _ask_form(chargers, loaded).items()
            if k in ("columns", "places", "period_from", "period_to", "detail", "months")}
    form.update(offer, action="counter")
    client.force_login(cast["editor"])
    answer = client.post(_url("access_answer", chargers, item.pk), form)
    assert answer.status_code == 400 and list(answer.context["errors"]) == [field]
    item.refresh_from_db()
    assert item.status == "pending" and item.offer is None and mail.outbox == []


def test_a_finer_counter_offer_is_refused(chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded, detail="msoa21")
    finer = grantscope.from_json(item.scope)
    finer = grantscope.Scope(columns=finer.columns[:1], places=finer.places,
                             period_from=finer.period_from, period_to=finer.period_to,
                             detail="exact", months=3)
    with pytest.raises(service.AccessError) as refused:
        service.counter(cast["editor"], item, finer)
    assert refused.value.field == "detail"


def test_nobody_else_sees_a_request(client, chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded)
    held_item = _ask(chargers, cast["stranger"], loaded)
    held = service.grant(cast["editor"], held_item)
    pages = [("get", _url("access_request", chargers, item.pk)),
             ("get", _url("access_queue", chargers)),
             ("post", _url("access_answer", chargers, item.pk)),
             ("post", _url("access_reply", chargers, item.pk)),
             ("post", _url("grant_revoke", chargers, held.pk))]
    for who in (None, cast["stranger"]):
        client.logout()
        if who:
            client.force_login(who)
        for method, url in pages:
            data = {"action": "grant", "reason": "x"} if method == "post" else None
            assert getattr(client, method)(url, data).status_code == 404, (who, url)
    item.refresh_from_db()
    held.refresh_from_db()
    assert item.status == "pending" and held.revoked is None
    # the requester cannot answer their own request
    client.force_login(cast["resident"])
    assert client.post(_url("access_answer", chargers, item.pk),
                       {"action": "grant"}).status_code == 403
    # a dataset made private is a 404, its requests' pages too
    chargers.restricted = False
    chargers.private = True
    chargers.save()
    assert client.get(_url("access_request", chargers, item.pk)).status_code == 404
    assert client.get(_url("access_ask", chargers)).status_code == 404


def test_open_members_and_signed_out(client, chargers, cast, council, django_user_model):
    member = django_user_model.objects.create_user("clerk", password="pw-clerk-1")
    Membership.objects.create(user=member, organisation=council)
    page = client.get(chargers.get_absolute_url())
    assert b"Sign in</a> to ask for access" in page.content
    assert client.get(_url("access_ask", chargers)).status_code == 302  # to sign in
    client.force_login(member)
    assert _url("access_ask", chargers).encode() not in client.get(
        chargers.get_absolute_url()).content
    assert client.get(_url("access_ask", chargers)).status_code == 302
    client.force_login(cast["editor"])
    assert _url("access_queue", chargers).encode() in client.get(
        chargers.get_absolute_url()).content
    chargers.restricted = False
    chargers.save()
    client.force_login(cast["resident"])
    assert client.get(_url("access_ask", chargers)).status_code == 404  # open: nothing to ask


def test_one_open_request_at_a_time_and_withdrawing(chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded)
    with pytest.raises(service.AccessError) as twice:
        _ask(chargers, cast["resident"], loaded)
    assert twice.value.field == "dataset"
    service.withdraw(cast["resident"], item)
    assert any("withdrew" in t for t in _told(cast["editor"]))
    assert _ask(chargers, cast["resident"], loaded).status == "pending"
    with pytest.raises(service.AccessError):
        service.grant(cast["editor"], AccessRequest.objects.get(pk=item.pk))  # closed


def test_a_renewal_is_shorter(chargers, cast, loaded):
    held = service.grant(cast["editor"], _ask(chargers, cast["resident"], loaded, months="6"))
    scope = grantscope.from_json(held.scope)
    with pytest.raises(service.AccessError) as refused:
        service.ask(cast["resident"], chargers, scope, purpose=PURPOSE, safes=SAFES,
                    accepted_terms=True, renews=held)
    assert refused.value.field == "months"
    shorter = replace(scope, months=5)
    renewal = service.ask(cast["resident"], chargers, shorter, purpose=PURPOSE, safes=SAFES,
                          accepted_terms=True, renews=held)
    assert renewal.renews == held


def test_partly_withheld_rows_are_open_so_only_columns_are_asked_for(chargers, cast, loaded):
    chargers.restricted_columns = "postcode\nstreet"
    chargers.save()
    with pytest.raises(service.AccessError) as places:
        _ask(chargers, cast["resident"], loaded, period_from="", period_to="")
    assert places.value.field == "places"
    with pytest.raises(service.AccessError) as period:
        _ask(chargers, cast["resident"], loaded, places="")
    assert period.value.field == "period_from"
    item = _ask(chargers, cast["resident"], loaded, places="", period_from="", period_to="",
                columns=["postcode", "street"])
    assert grantscope.from_json(item.scope).columns == ("postcode", "street")


def test_grantees_are_reminded_once_before_the_end(chargers, cast, loaded, django_user_model):
    soon = service.grant(cast["editor"], _ask(chargers, cast["resident"], loaded))
    later_user = django_user_model.objects.create_user("later", email="later@example.org")
    later = service.grant(cast["editor"], _ask(chargers, later_user, loaded))
    gone_user = django_user_model.objects.create_user("gone", email="gone@example.org")
    gone = service.grant(cast["editor"], _ask(chargers, gone_user, loaded))
    now = timezone.now()
    Grant.objects.filter(pk=soon.pk).update(expires=now + timedelta(days=10))
    Grant.objects.filter(pk=later.pk).update(expires=now + timedelta(days=40))
    Grant.objects.filter(pk=gone.pk).update(expires=now - timedelta(days=1))
    mail.outbox.clear()

    call_command("remind_grants", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert sorted(m.to[0] for m in mail.outbox) == ["gone@example.org", "resident@example.org"]
    assert any("ends on" in t for t in _told(cast["resident"]))
    assert any("has ended" in t for t in _told(gone_user))
    assert not any("ends" in t for t in _told(later_user))
    assert Grant.objects.get(pk=soon.pk).reminded is not None
    assert Grant.objects.get(pk=later.pk).reminded is None

    again = service.remind_grants()
    assert again.reminded == [] and again.ended == [] and len(mail.outbox) == 2


def test_stats_are_anonymised(client, chargers, cast, loaded, django_user_model):
    users = [django_user_model.objects.create_user(f"asker{i}") for i in range(4)]
    granted = _ask(chargers, users[0], loaded)
    service.grant(cast["editor"], granted)
    countered = _ask(chargers, users[1], loaded)
    narrower = grantscope.from_json(countered.scope)
    service.counter(cast["editor"], countered,
                    replace(narrower, months=3))
    service.accept(users[1], countered)
    service.reject(cast["editor"], _ask(chargers, users[2], loaded), "Not for this purpose")
    _ask(chargers, users[3], loaded)
    AccessRequest.objects.filter(pk=granted.pk).update(
        created=timezone.now() - timedelta(days=4))

    figures = service.stats(chargers)
    assert figures["asked"] == 4 and figures["granted"] == 2
    assert figures["countered_accepted"] == 1 and figures["rejected"] == 1
    assert figures["pending"] == 1
    assert figures["median_days"] == pytest.approx(0.0, abs=0.1)  # 4 days, 0, 0: median 0
    client.force_login(cast["stranger"])
    page = client.get(chargers.get_absolute_url()).content.decode()
    assert "4 requests for access: 2 granted (1 after a counter-offer), 1 rejected, " \
           "1 waiting" in page
    for secret in ("asker", PURPOSE, "Not for this purpose", SAFES["safe_people"]):
        assert secret not in page


def test_how_requests_went_is_shown_only_once_three_are_answered(client, chargers, cast,
                                                                  loaded, django_user_model):
    users = [django_user_model.objects.create_user(f"asker{i}") for i in range(3)]
    service.reject(cast["editor"], _ask(chargers, users[0], loaded), "Not for this purpose")
    service.grant(cast["editor"], _ask(chargers, users[1], loaded))
    figures = service.stats(chargers)
    assert not figures["outcomes_shown"] and "rejected" not in figures
    client.force_login(cast["stranger"])
    page = client.get(chargers.get_absolute_url()).content.decode()
    assert "2 requests for access, 0 waiting" in page and "rejected" not in page
    service.grant(cast["editor"], _ask(chargers, users[2], loaded))
    page = client.get(chargers.get_absolute_url()).content.decode()
    assert "3 requests for access: 2 granted, 1 rejected, 0 waiting" in page


def test_declining_a_counter_offer_grants_nothing(client, chargers, cast, loaded):
    item = _ask(chargers, cast["resident"], loaded)
    asked = grantscope.from_json(item.scope)
    service.counter(cast["editor"], item, replace(asked, detail="ward"), "Wards only")
    mail.outbox.clear()
    client.force_login(cast["resident"])
    assert client.post(_url("access_reply", chargers, item.pk),
                       {"action": "decline"}).status_code == 302
    item.refresh_from_db()
    assert item.status == "declined" and item.closed is not None
    assert not Grant.objects.filter(dataset=chargers).exists()
    assert access.row_access(cast["resident"], chargers) is None
    assert any("declined the counter-offer" in t for t in _told(cast["editor"]))
    assert [m.to for m in mail.outbox] == [["officer@mk.example"]]
    # a closed request cannot be accepted after all
    again = client.post(_url("access_reply", chargers, item.pk), {"action": "accept"})
    assert again.status_code == 400 and "status" in again.context["errors"]
    assert not Grant.objects.filter(dataset=chargers).exists()
