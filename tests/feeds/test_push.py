"""The push API (/api/feeds/<feed>/observations and .csv): a feed's write key writes one
observation or a batch (JSON) or a back-fill (CSV). No key or an unknown one is 401, a
revoked, expired, read or other feed's key 403; bad rows are 400 naming each row and field;
a body over the limit is 413 before it is read. In every refusal nothing is written."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from commonground.feeds import keys
from commonground.feeds.models import Datastream, Feed, FeedKey, Observation, Thing

pytestmark = pytest.mark.django_db

URL = "/api/feeds/car-parks/observations"


@pytest.fixture
def feed(council):
    feed = Feed.objects.create(organisation=council, slug="car-parks", title="Car parks",
                               state="published")
    for key in ("p1", "p2"):
        thing = Thing.objects.create(feed=feed, key=key, name=f"Car park {key}")
        Datastream.objects.create(thing=thing, key="occupancy", name="Occupancy",
                                  observed_property="occupancy", unit="vehicles")
    return feed


@pytest.fixture
def secret(feed):
    return keys.make_key(feed, FeedKey.Scope.WRITE, label="gateway").secret


def push(client, document, secret=None, url=URL, **headers):
    if secret:
        headers.setdefault("Authorization", f"Bearer {secret}")
    return client.post(url, json.dumps(document), content_type="application/json",
                       headers=headers)


def obs(thing="p1", time="2024-05-01T10:00:00Z", value=3, stream="occupancy"):
    return {"thing": thing, "datastream": stream, "time": time, "value": value}


def values():
    return sorted((o.datastream.thing.key, o.time.isoformat(), o.number)
                  for o in Observation.objects.select_related("datastream__thing"))


def test_one_observation_and_a_batch_are_written_with_the_write_key(client, feed, secret):
    one = push(client, obs(), secret)
    assert one.status_code == 200, one.content
    assert one.json() == {"received": 1, "added": 1, "unchanged": 0, "replaced": 0}
    batch = push(client, {"observations": [obs("p2", "2024-05-01T11:00:00+01:00", 5.5),
                                           obs("p1", "2024-05-01T10:05:00Z", "4")]},
                 **{"X-API-Key": secret})
    assert batch.status_code == 200 and batch.json()["added"] == 2
    assert values() == [("p1", "2024-05-01T10:00:00+00:00", 3.0),
                        ("p1", "2024-05-01T10:05:00+00:00", 4.0),
                        ("p2", "2024-05-01T10:00:00+00:00", 5.5)]
    assert FeedKey.objects.get().last_used is not None


def test_without_a_known_key_nothing_is_written_401(client, feed, secret):
    for headers in ({}, {"Authorization": "Bearer not-a-key-at-all"},
                    {"X-API-Key": secret[:-2] + "xx"}, {"Authorization": f"Basic {secret}"}):
        response = client.post(URL, json.dumps(obs()), content_type="application/json",
                               headers=headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert "key" in response.json()["detail"]
    assert not Observation.objects.exists() and FeedKey.objects.get().last_used is None


def test_a_revoked_expired_read_or_other_feeds_key_is_403_and_writes_nothing(
        client, feed, council):
    other = Feed.objects.create(organisation=council, slug="other", title="Other")
    revoked = keys.make_key(feed, "write")
    keys.revoke(revoked.key)
    cases = {"revoked": revoked.secret,
             "expired": keys.make_key(feed, "write",
                                      expires=timezone.now() - timedelta(minutes=1)).secret,
             "read": keys.make_key(feed, "read").secret,
             "not a key of feed": keys.make_key(other, "write").secret}
    for words, secret in cases.items():
        response = push(client, obs(), secret)
        assert response.status_code == 403 and words in response.json()["detail"], words
    assert not Observation.objects.exists()


def test_an_unknown_feed_is_404(client, feed, secret):
    assert push(client, obs(), secret, url="/api/feeds/nowhere/observations").status_code == 404


def test_bad_observations_are_named_by_index_and_field_and_nothing_is_written(
        client, feed, secret):
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = push(client, {"observations": [
        obs(), obs(stream="speed"), obs(thing="p9"), obs(time=future),
        obs(time="2024-05-01T10:00:00"), obs(value="full"), {"thing": "p1"}, "text"]}, secret)
    assert response.status_code == 400
    body = response.json()
    assert {(p["index"], p["field"]) for p in body["problems"]} == {
        (6, "datastream"), (6, "time"), (6, "value"), (7, "observation")}
    assert "observation 6, datastream: is missing" in body["detail"]
    # the shape is right: now each row's own problem
    response = push(client, {"observations": [
        obs(), obs(stream="speed"), obs(thing="p9"), obs(time=future),
        obs(time="2024-05-01T10:00:00"), obs(value="full")]}, secret)
    problems = response.json()["problems"]
    assert [(p["index"], p["field"]) for p in problems] == [
        (1, "datastream"), (2, "thing"), (3, "time"), (4, "time"), (5, "value")]
    assert "in the future" in problems[2]["message"]
    assert "no time zone" in problems[3]["message"]
    assert "must be a number, not 'full'" in problems[4]["message"]
    assert "observation 1, datastream: thing 'p1' has no datastream 'speed'" in \
        response.json()["detail"]
    assert not Observation.objects.exists()


def test_a_body_that_is_not_json_is_400(client, feed, secret):
    response = client.post(URL, "{thing:", content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 400 and "not JSON" in response.json()["detail"]


def test_duplicates_are_idempotent_and_late_rows_accepted(client, feed, secret):
    batch = {"observations": [obs(time="2024-05-01T12:00:00Z", value=2),
                              obs(time="2024-05-01T09:00:00Z", value=1)]}
    assert push(client, batch, secret).json()["added"] == 2
    again = push(client, batch, secret).json()
    assert again == {"received": 2, "added": 0, "unchanged": 2, "replaced": 0}
    late = push(client, obs(time="2024-05-01T10:30:00Z", value=7), secret).json()
    assert late["added"] == 1
    assert [v[2] for v in values()] == [1.0, 7.0, 2.0]
    clash = push(client, obs(time="2024-05-01T12:00:00Z", value=9), secret)
    assert clash.status_code == 400 and "already holds a different value" in \
        clash.json()["detail"]
    replaced = push(client, obs(time="2024-05-01T12:00:00Z", value=9), secret,
                    url=URL + "?replace=true")
    assert replaced.json()["replaced"] == 1 and [v[2] for v in values()] == [1.0, 7.0, 9.0]


def test_a_csv_back_fills_and_its_bad_rows_are_named_by_line(client, feed, secret):
    csv_url = URL + ".csv"
    auth = {"Authorization": f"Bearer {secret}"}
    good = "thing,datastream,time,value\np1,occupancy,2024-05-01T10:00:00Z,3\n\n" \
           "p2,occupancy,2024-05-01T10:00:00Z,4\n"
    response = client.post(csv_url, good, content_type="text/csv", headers=auth)
    assert response.status_code == 200 and response.json()["added"] == 2
    bad = "thing,datastream,time,value\np1,occupancy,2024-05-01T11:00:00Z,3\n\n" \
          "p2,occupancy,2024-05-01T11:00:00,4\np1,occupancy,2024-05-01T12:00:00Z,n/a\n"
    response = client.post(csv_url, bad, content_type="text/csv", headers=auth)
    assert response.status_code == 400
    assert [(p["line"], p["field"]) for p in response.json()["problems"]] == [
        (4, "time"), (5, "value")]
    assert response.json()["detail"].startswith("Nothing was written: line 4, time:")
    header = client.post(csv_url, "sensor,when,value\n", content_type="text/csv", headers=auth)
    assert header.status_code == 400 and "lacks thing, datastream, time" in \
        header.json()["detail"]
    assert Observation.objects.count() == 2


class Trickle(io.RawIOBase):
    """A request body made on demand (never held whole), counting what is read of it."""

    def __init__(self, size: int, start: bytes = b""):
        self.size, self.start, self.taken = size, start, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.size - self.taken)
        chunk = (self.start + b" " * self.size)[self.taken:self.taken + n] if self.taken < len(
            self.start) else b" " * n
        buffer[:n] = chunk
        self.taken += n
        return n


def test_a_body_over_the_limit_is_refused_by_size_before_it_is_read(client, feed, secret,
                                                                    settings):
    settings.COMMONGROUND_FEED_PUSH_MAX_BYTES = limit = 4096
    start = json.dumps(obs()).encode()
    body = Trickle(limit + 1, start)
    response = client.post(URL, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"},
                           **{"wsgi.input": body, "CONTENT_LENGTH": str(limit + 1)})
    assert response.status_code == 413 and "4,096 bytes" in response.json()["detail"]
    assert body.taken == 0 and not Observation.objects.exists()
    at_limit = Trickle(limit, start)  # the same observation padded to the limit: accepted
    response = client.post(URL, content_type="application/json",
                           headers={"Authorization": f"Bearer {secret}"},
                           **{"wsgi.input": at_limit, "CONTENT_LENGTH": str(limit)})
    assert response.status_code == 200 and Observation.objects.count() == 1


def test_the_limit_is_counted_while_reading_too(feed, secret, settings, rf):
    from commonground.feeds.push_api import Refused, read_body

    settings.COMMONGROUND_FEED_PUSH_MAX_BYTES = 1000
    request = rf.post(URL, b"x" * 1500, content_type="text/plain")
    request.META["CONTENT_LENGTH"] = "10"  # a length that understates the body
    request._stream = io.BytesIO(b"x" * 1500)
    with pytest.raises(Refused) as refused:
        read_body(request)
    assert refused.value.status == 413


def test_the_same_write_is_the_same_row_whichever_path(client, feed, secret):
    push(client, obs(time="2024-05-01T10:00:00Z", value=3), secret)
    csv = "thing,datastream,time,value\np1,occupancy,2024-05-01T11:00:00+01:00,3\n"
    response = client.post(URL + ".csv", csv, content_type="text/csv",
                           headers={"Authorization": f"Bearer {secret}"})
    assert response.json() == {"received": 1, "added": 0, "unchanged": 1, "replaced": 0}
    assert Observation.objects.get().time == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_an_observation_older_than_the_retention_is_skipped_and_said_so(client, feed, secret):
    Datastream.objects.filter(thing__key="p1").update(retention_days=1)
    old = obs(time="2020-01-01T00:00:00Z")
    answer = push(client, {"observations": [old, obs("p2")]}, secret).json()
    assert answer["skipped"] == 1 and answer["added"] == 1
    assert [(p["index"], p["field"]) for p in answer["skipped_rows"]] == [(0, "time")]
    assert "older than the stream's retention" in answer["skipped_rows"][0]["message"]
    refused = push(client, old, secret)
    assert refused.status_code == 400 and "observation 0, time" in refused.json()["detail"]
    assert values() == [("p2", "2024-05-01T10:00:00+00:00", 3.0)]
