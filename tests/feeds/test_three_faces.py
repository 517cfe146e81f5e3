"""Issue 18's "done means": the real recordings of the data folder (every pair of manifest
resources with roles ``sensor-sites`` and ``sensor-observations``, read through
``replay.recorded_feeds``), each site's first readings, written the same through every
write path and read back the same through all three read faces.

Write paths, each into a feed of its own with the recording's sites:

* push through HTTP with the feed's write key: the JSON batch API, the CSV upload, and
  SensorThings ``CreateObservations`` (DataArray, times written at +01:00: the same instants);
* pull: the worker's round (``pulling.run_due``) fetches a URL serving the same CSV.

The CSV push, SensorThings and the pull then write the same readings again into the JSON
feed: nothing is added, everything is unchanged.

Read faces, every stream of every feed (Bath's text ``status`` too), against the file
itself (times in UTC, values as numbers or, for text streams, as text):

1. the MK Data Hub's datapoints (``start``/``end``/``limit``, paged through the slice);
2. SensorThings ``Datastreams(n)/Observations?$orderby=phenomenonTime``, following
   ``@iot.nextLink``;
3. the datastream page's CSV and Parquet downloads.

The feeds are written once for the module in a transaction rolled back at its end.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pyarrow.parquet as pq
import pytest
from django.db import transaction
from django.test import Client, override_settings

from commonground.feeds import keys, pulling, replay
from commonground.feeds.models import Datastream, Feed, Observation, PullRun

from .test_pulling import Server

pytestmark = pytest.mark.django_db

#: Each site's first readings taken from its recording (Bath's five-minute car parks: about
#: 12 hours; the hourly Leeds footfall and London air quality: about 6 days).
READINGS = 150
#: Datapoints asked of the Data Hub per request: the slice takes three pages a stream.
HUB_LIMIT = 60
PATHS = ("json", "csv", "sta", "pull")
#: The SensorThings client writes its times at this offset (the same instants).
ELSEWHERE = timezone(timedelta(hours=1))


@dataclass
class Slice:
    """One recording's slice: the rows written and what the file says was measured."""

    recorded: replay.Recorded
    rows: list[tuple[str, str, str, str]]  # (thing, datastream, time, value) as in the file
    expected: dict[tuple[str, str], list[tuple[datetime, object]]]  # in time order


@dataclass
class Written:
    slices: dict[str, Slice] = field(default_factory=dict)
    feeds: dict[tuple[str, str], Feed] = field(default_factory=dict)  # (path, slug)
    streams: dict[tuple[str, str], dict] = field(default_factory=dict)  # → {(thing, key): ds}
    answers: dict[tuple[str, str], dict] = field(default_factory=dict)  # write → counts
    again: dict[tuple[str, str], dict] = field(default_factory=dict)  # into the JSON feed
    round: pulling.Ran | None = None


def read_slice(recorded: replay.Recorded) -> Slice:
    """Each site's first READINGS rows of the observations file, straight from the file
    (``expected``), and the rows of ``replay.recorded_rows`` (what the replayer writes) for
    the same readings."""
    extra = recorded.extra_columns()
    taken: dict[str, int] = {}
    kept: set[tuple[str, str]] = set()
    expected: dict[tuple[str, str], list[tuple[datetime, object]]] = {}
    with recorded.observations_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            site = row["sensor_id"]
            if taken.get(site, 0) >= READINGS:
                continue
            taken[site] = taken.get(site, 0) + 1
            kept.add((site, row["timestamp"]))
            moment = datetime.fromisoformat(row["timestamp"]).astimezone(UTC)
            expected.setdefault((site, "value"), []).append((moment, float(row["value"])))
            for column in extra:
                expected.setdefault((site, column), []).append((moment, row[column]))
    rows = [r for r in replay.recorded_rows(recorded) if (r[0], r[2]) in kept]
    return Slice(recorded, rows, {k: sorted(v, key=lambda p: p[0])
                                  for k, v in expected.items()})


def csv_body(rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["thing", "datastream", "time", "value"])
    writer.writerows(rows)
    return out.getvalue().encode()


def json_value(stream: Datastream, text: str):
    return json.loads(text) if stream.value_type == Datastream.ValueType.NUMBER else text


def bearer(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def push_json(client, feed, secret, rows, streams) -> dict:
    body = {"observations": [
        {"thing": t, "datastream": s, "time": when, "value": json_value(streams[t, s], v)}
        for t, s, when, v in rows]}
    answer = client.post(f"/api/feeds/{feed.slug}/observations", json.dumps(body),
                         content_type="application/json", **bearer(secret))
    return counts(answer, 200)


def push_csv(client, feed, secret, rows) -> dict:
    answer = client.post(f"/api/feeds/{feed.slug}/observations.csv", csv_body(rows),
                         content_type="text/csv", **bearer(secret))
    return counts(answer, 200)


def counts(answer, status: int) -> dict:
    """The write's answer; a refusal is kept whole for the test to show."""
    if answer.status_code != status:
        return {"refused": answer.status_code, "detail": answer.content[:500]}
    return answer.json()


def create_observations(client, secret, rows, streams) -> dict | list[int]:
    """SensorThings' DataArray: one group per datastream; the Observations' ids (or the
    refusal)."""
    groups: dict[int, dict] = {}
    for t, s, when, v in rows:
        stream = streams[t, s]
        group = groups.setdefault(stream.pk, {"Datastream": {"@iot.id": stream.pk},
                                              "components": ["phenomenonTime", "result"],
                                              "dataArray": []})
        moment = datetime.fromisoformat(when).astimezone(ELSEWHERE).isoformat()
        group["dataArray"].append([moment, json_value(stream, v)])
    answer = client.post("/sta/v1.1/CreateObservations", json.dumps(list(groups.values())),
                         content_type="application/json", **bearer(secret))
    if answer.status_code != 201:
        return counts(answer, 201)
    return [int(link.rsplit("(", 1)[1].rstrip(")")) for link in answer.json()]


@pytest.fixture(scope="module")
def written(django_db_setup, django_db_blocker, data_dir):
    from commonground.accounts.models import Organisation

    server = Server()
    client = Client()
    w = Written()
    with django_db_blocker.unblock(), transaction.atomic():
        owner = Organisation.objects.create(slug="three-faces", name="Three faces council",
                                            kind=Organisation.Kind.COUNCIL)
        for recorded in replay.recorded_feeds(data_dir):
            part = w.slices[recorded.slug] = read_slice(recorded)
            secrets = {}
            for path in PATHS:
                feed = replay.ensure_feed(
                    dataclasses.replace(recorded, slug=f"{recorded.slug}-{path}"), owner)
                w.feeds[path, recorded.slug] = feed
                w.streams[path, recorded.slug] = {
                    (s.thing.key, s.key): s
                    for s in Datastream.objects.filter(thing__feed=feed).select_related("thing")}
                secrets[path] = keys.make_key(feed, "write").secret
            streams = w.streams["json", recorded.slug]
            feeds = {path: w.feeds[path, recorded.slug] for path in PATHS}
            # push: JSON, CSV, SensorThings; pull: the same CSV at a URL
            w.answers["json", recorded.slug] = push_json(client, feeds["json"], secrets["json"],
                                                         part.rows, streams)
            w.answers["csv", recorded.slug] = push_csv(client, feeds["csv"], secrets["csv"],
                                                       part.rows)
            ids = create_observations(client, secrets["sta"], part.rows,
                                      w.streams["sta", recorded.slug])
            w.answers["sta", recorded.slug] = ids if isinstance(ids, dict) else {
                "received": len(ids), "added": len(set(ids))}
            server.routes[f"/{recorded.slug}.csv"] = csv_body(part.rows)
            feeds["pull"].pull_url = f"{server.url}/{recorded.slug}.csv"
            feeds["pull"].pull_format, feeds["pull"].pull_every_minutes = "csv", 60
            feeds["pull"].save()
        with override_settings(COMMONGROUND_FETCH_ALLOW_PRIVATE=True):
            w.round = pulling.run_due()  # the worker's round: every pulled feed is due
        for slug, part in w.slices.items():
            run = PullRun.objects.get(feed=w.feeds["pull", slug])
            w.answers["pull", slug] = {"received": run.added + run.unchanged,
                                       "added": run.added} if run.status == "done" else {
                "refused": run.status, "detail": run.message}
            # the same readings again, into the JSON push's feed, by the three other paths
            feed, streams = w.feeds["json", slug], w.streams["json", slug]
            secret = keys.make_key(feed, "write").secret
            before = dict(Observation.objects.filter(datastream__thing__feed=feed)
                          .values_list("pk", "time"))
            w.again["csv", slug] = push_csv(client, feed, secret, part.rows)
            ids = create_observations(client, secret, part.rows, streams)
            w.again["sta", slug] = ids if isinstance(ids, dict) else {
                "received": len(ids), "already there": sum(pk in before for pk in ids)}
            feed.pull_url, feed.pull_format = f"{server.url}/{slug}.csv", "csv"
            feed.save()
            run = pulling.pull_feed(feed, allow_private=True)
            w.again["pull", slug] = {"status": run.status, "added": run.added,
                                     "unchanged": run.unchanged} if run.status == "done" \
                else {"status": run.status, "detail": run.message}
            w.again["stored", slug] = {"count": Observation.objects.filter(
                datastream__thing__feed=feed).count()}
        yield w
        transaction.set_rollback(True)
    server.close()


def z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(0), text  # every face answers in UTC
    return moment


def each_stream(w: Written, path: str):
    """(feed, stream, expected [(UTC time, value)]) for every stream of the path's feeds."""
    for slug, part in w.slices.items():
        streams = w.streams[path, slug]
        assert set(streams) == set(part.expected), slug
        for pair, expected in part.expected.items():
            yield w.feeds[path, slug], streams[pair], expected


def test_the_recordings_are_sliced_through_the_manifest(written):
    assert {p.recorded.sites.role for p in written.slices.values()} == {"sensor-sites"}
    assert len(written.slices) >= 3  # Bath, Leeds and London in the data folder
    for part in written.slices.values():
        assert all(len(v) == READINGS for (_, s), v in part.expected.items() if s == "value")
        assert len(part.rows) == sum(len(v) for v in part.expected.values())
    text = [k for p in written.slices.values() for k in p.expected if k[1] != "value"]
    assert text and {s for _, s in text} == {"status"}  # Bath's car parks say how they fill


@pytest.mark.parametrize("path", PATHS)
def test_every_write_path_stores_every_reading_once(written, path):
    if path == "pull":
        assert (written.round.feeds, written.round.failed) == (len(written.slices), 0)
    for slug, part in written.slices.items():
        answer = written.answers[path, slug]
        assert answer == {**answer, "received": len(part.rows), "added": len(part.rows)}, slug
        stored = Observation.objects.filter(datastream__thing__feed=written.feeds[path, slug])
        assert stored.count() == len(part.rows), slug


def test_the_same_readings_by_another_path_change_nothing(written):
    for slug, part in written.slices.items():
        n = len(part.rows)
        assert written.again["csv", slug] == {"received": n, "added": 0, "unchanged": n,
                                              "replaced": 0}, slug
        assert written.again["sta", slug] == {"received": n, "already there": n}, slug
        assert written.again["pull", slug] == {"status": PullRun.Status.DONE, "added": 0,
                                               "unchanged": n}, slug
        assert written.again["stored", slug] == {"count": n}, slug


def hub_datapoints(client, feed, stream, expected) -> list[tuple[datetime, object]]:
    url = f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}/datapoints"
    start, end = expected[0][0], expected[-1][0] + timedelta(seconds=1)
    read: list[tuple[datetime, object]] = []
    pages = 0
    while True:
        answer = client.get(url, {"start": z(start), "end": z(end), "limit": HUB_LIMIT})
        assert answer.status_code == 200, answer.content[:300]
        page = [(utc(p["at"]), p["value"]) for p in answer.json()["datapoints"]]
        read += page
        pages += 1
        if len(page) < HUB_LIMIT:
            return read
        start = page[-1][0] + timedelta(microseconds=1)
        assert pages < 100, "the Data Hub's pages never end"


@pytest.mark.parametrize("path", PATHS)
def test_the_data_hub_datapoints_read_back_the_recording(written, client, path):
    for feed, stream, expected in each_stream(written, path):
        assert hub_datapoints(client, feed, stream, expected) == expected, \
            (feed.slug, stream.thing.key, stream.key)


def sta_observations(client, stream) -> list[tuple[datetime, object]]:
    url = f"/sta/v1.1/Datastreams({stream.pk})/Observations?$orderby=phenomenonTime"
    read: list[tuple[datetime, object]] = []
    pages = 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, answer.content[:300]
        body = answer.json()
        read += [(utc(o["phenomenonTime"]), o["result"]) for o in body["value"]]
        assert all(o["resultTime"] == o["phenomenonTime"] for o in body["value"])
        url = body.get("@iot.nextLink")
        pages += 1
        assert pages < 100, "the @iot.nextLinks never end"
    assert pages > 1  # the slice is longer than the default $top: the links were followed
    return read


@pytest.mark.parametrize("path", PATHS)
def test_sensorthings_observations_read_back_the_recording(written, client, path):
    for feed, stream, expected in each_stream(written, path):
        assert sta_observations(client, stream) == expected, \
            (feed.slug, stream.thing.key, stream.key)


@pytest.mark.parametrize("path", PATHS)
def test_the_csv_and_parquet_downloads_hold_the_recording(written, client, path):
    for feed, stream, expected in each_stream(written, path):
        where = (feed.slug, stream.thing.key, stream.key)
        numeric = stream.value_type == Datastream.ValueType.NUMBER
        period = {"start": z(expected[0][0]), "end": z(expected[-1][0] + timedelta(seconds=1))}
        base = f"/feeds/{feed.slug}/datastreams/{stream.pk}"
        answer = client.get(base + ".csv", period)
        assert answer.status_code == 200, where
        rows = list(csv.DictReader(io.StringIO(answer.content.decode())))
        assert {(r["thing"], r["datastream"]) for r in rows} == {(stream.thing.key,
                                                                   stream.key)}, where
        assert [(utc(r["time"]), float(r["value"]) if numeric else r["value"])
                for r in rows] == expected, where
        answer = client.get(base + ".parquet", period)
        assert answer.status_code == 200, where
        table = pq.read_table(io.BytesIO(answer.content))
        assert list(zip(table.column("time").to_pylist(), table.column("value").to_pylist(),
                        strict=True)) == expected, where


#: A row of the datastream page's table of hourly means: time (UTC), mean, min, max, count.
PAGE_ROW = re.compile(r"<tr><td>([\d-]+ [\d:]+)</td><td>([^<]*)</td><td>([^<]*)</td>"
                      r"<td>([^<]*)</td><td>(\d+)</td></tr>")
#: Hours compared per stream (the page's table shows the 20 newest buckets of its period).
HOURS = 20


@pytest.mark.parametrize("path", PATHS)
def test_hourly_averages_agree_on_the_data_hub_the_page_and_by_hand(written, client, path):
    """The Data Hub's ``interval=3600`` averages equal the datastream page's ``step=hour``
    means and the recording's readings averaged by hand per UTC hour."""
    for feed, stream, expected in each_stream(written, path):
        if stream.value_type != Datastream.ValueType.NUMBER:
            continue
        where = (feed.slug, stream.thing.key, stream.key)
        start = expected[0][0].replace(minute=0, second=0, microsecond=0)
        end = start + timedelta(hours=HOURS)
        by_hour: dict[datetime, list[float]] = {}
        for moment, value in expected:
            if moment < end:
                by_hour.setdefault(moment.replace(minute=0, second=0, microsecond=0),
                                   []).append(value)
        by_hand = sorted((hour, sum(v) / len(v), min(v), max(v), len(v))
                         for hour, v in by_hour.items())
        period = {"start": z(start), "end": z(end)}
        answer = client.get(f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}/datapoints",
                            {**period, "interval": 3600, "limit": 1000})
        assert answer.status_code == 200, (where, answer.content[:300])
        hub = [(utc(p["at"]), p["value"]) for p in answer.json()["datapoints"]]
        assert [h for h, _ in hub] == [row[0] for row in by_hand], where
        assert [v for _, v in hub] == pytest.approx([row[1] for row in by_hand],
                                                    rel=1e-12), where
        answer = client.get(f"/feeds/{feed.slug}/datastreams/{stream.pk}/",
                            {**period, "step": "hour"})
        assert answer.status_code == 200, where
        page = sorted((datetime.fromisoformat(t).replace(tzinfo=UTC), float(mean),
                       float(low), float(high), int(n))
                      for t, mean, low, high, n in PAGE_ROW.findall(answer.content.decode()))
        assert page == [(hour, round(mean, 3), low, high, n)
                        for hour, mean, low, high, n in by_hand], where
        assert [mean for _, mean, *_ in page] == [round(v, 3) for _, v in hub], where


def test_a_summer_reading_shows_the_same_utc_time_on_the_pages_as_on_the_data_hub(written,
                                                                                   client):
    """The recordings are all winter (UTC = London time); a reading pushed in British Summer
    Time shows at its UTC time in the columns headed "(UTC)" of the feed's page and the
    datastream's page, as the Data Hub and the downloads give it."""
    slug, part = next((s, p) for s, p in written.slices.items()
                      if any(k != "value" for _, k in p.expected))  # Bath: value and status
    feed, streams = written.feeds["json", slug], written.streams["json", slug]
    thing, key, when, value = part.rows[0]
    summer = datetime.fromisoformat(when).replace(year=2016, month=7).astimezone(UTC)
    secret = keys.make_key(feed, "write").secret
    assert push_json(client, feed, secret, [(thing, key, summer.isoformat(), value)],
                     streams)["added"] == 1
    stream = streams[thing, key]
    hub = client.get(f"/sensors/feeds/{feed.pk}/datastreams/{stream.pk}").json()
    assert hub["at"] == z(summer)
    shown = summer.strftime("%Y-%m-%d %H:%M:%S")  # an hour behind London's clock
    page = client.get(f"/feeds/{feed.slug}/datastreams/{stream.pk}/",
                      {"start": z(summer - timedelta(hours=1)),
                       "end": z(summer + timedelta(hours=1))}).content.decode()
    assert f"<tr><td>{shown}</td><td>{float(value)}</td></tr>" in page
    page = client.get(f"/feeds/{feed.slug}/").content.decode()
    assert f'<td data-stream-at="{stream.pk}">{shown}</td>' in page
