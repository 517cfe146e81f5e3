"""The real Leeds footfall recording (read through the data folder's manifest), replayed
through ``writing`` as the demo does, reads back identically through the MK Data Hub API
(paging by ``start``), the CSV download and the Parquet download; its daily totals per UTC
day equal the file's summed by hand."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from commonground.feeds.models import Datastream

pytestmark = pytest.mark.django_db

LEEDS = "leeds-footfall-2015-16"


@pytest.fixture
def leeds(council, data_dir):
    from commonground.feeds import editing, replay

    (recorded,) = [r for r in replay.recorded_feeds(data_dir) if r.slug == LEEDS]
    expected: dict[str, dict[datetime, float]] = {}
    with recorded.observations_path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            moment = datetime.fromisoformat(row["timestamp"]).astimezone(UTC)
            expected.setdefault(row["sensor_id"], {})[moment] = float(row["value"])
    feed = replay.ensure_feed(recorded, council)
    replay.backfill(feed, recorded)
    streams = {s.thing.key: s for s in Datastream.objects.filter(
        thing__feed=feed, key=editing.DEFAULT_STREAM).select_related("thing")}
    assert set(streams) == set(expected)
    return feed, streams, expected


def z(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_the_data_hub_api_reads_back_the_recording(client, leeds):
    feed, streams, expected = leeds
    for sensor, values in expected.items():
        url = f"/sensors/feeds/{feed.pk}/datastreams/{streams[sensor].pk}/datapoints"
        start, end = min(values), max(values) + timedelta(seconds=1)
        read: dict[datetime, float] = {}
        while True:
            body = client.get(url, {"start": z(start), "end": z(end), "limit": 1000}).json()
            page = {datetime.fromisoformat(p["at"].replace("Z", "+00:00")): p["value"]
                    for p in body["datapoints"]}
            read.update(page)
            if len(page) < 1000:
                break
            start = max(page) + timedelta(microseconds=1)
        assert read == values, sensor


def test_the_downloads_hold_the_recording(client, leeds):
    feed, streams, expected = leeds
    sensor = sorted(expected)[0]
    values = expected[sensor]
    period = {"start": z(min(values)), "end": z(max(values) + timedelta(seconds=1))}
    base = f"/feeds/{feed.slug}/datastreams/{streams[sensor].pk}"
    rows = list(csv.DictReader(io.StringIO(client.get(base + ".csv", period).content.decode())))
    assert {datetime.fromisoformat(r["time"].replace("Z", "+00:00")): float(r["value"])
            for r in rows} == values
    table = pq.read_table(io.BytesIO(client.get(base + ".parquet", period).content))
    assert dict(zip(table.column("time").to_pylist(), table.column("value").to_pylist(),
                    strict=True)) == values


def test_daily_totals_equal_the_files(leeds):
    from commonground.feeds import aggregates

    feed, streams, expected = leeds
    for sensor, values in expected.items():
        by_day: dict[datetime, list[float]] = defaultdict(list)
        for moment, value in values.items():
            by_day[moment.replace(hour=0, minute=0, second=0, microsecond=0)].append(value)
        got = aggregates.compute(streams[sensor], "day", min(by_day), max(by_day)
                                 + timedelta(days=1))
        assert [(s.start, s.count, s.minimum, s.maximum) for s in got] == [
            (day, len(v), min(v), max(v)) for day, v in sorted(by_day.items())], sensor
        assert [s.total for s in got] == pytest.approx([sum(v) for _, v in sorted(
            by_day.items())], rel=1e-12), sensor
