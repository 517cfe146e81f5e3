"""The feed pages: the list of published feeds, a feed's map and latest values (things outside
the city listed, not drawn), a datastream's chart over a chosen period, raw or hourly or
daily, its CSV and Parquet downloads, and who reads a private or a draft feed."""

from __future__ import annotations

import io
from datetime import timedelta

import pyarrow.parquet as pq
import pytest

from . import read_world
from .read_world import basic

world = read_world.world  # the fixture

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_the_list_shows_published_feeds_a_reader_may_see(client, world):
    page = client.get("/feeds/").content.decode()
    assert "Car Parks" in page and "Buses" in page
    assert "Draft Feed" not in page and "Private Air" not in page
    client.force_login(world.users["member"])
    page = client.get("/feeds/").content.decode()
    assert "Private Air" in page and "Draft Feed" not in page  # drafts are not listed


def test_the_site_navigation_links_the_feeds(client, world):
    assert 'href="/feeds/"' in client.get("/feeds/").content.decode()


def test_a_feed_page_maps_things_in_the_city_and_lists_the_others(client, loaded, world):
    answer = client.get("/feeds/car-parks/")
    assert answer.status_code == 200
    page = answer.content.decode()
    assert "<svg" in page and "1 of 2 things of this feed are in" in page
    outside = page.split("<h2>Outside the city</h2>")[1].split("</ul>")[0]
    assert "SouthGate, Bath" in outside and "Centre car park" not in outside
    centre = world.streams["centre"].pk
    assert f'<span data-stream="{centre}">1</span>' in page
    assert 'href="/feeds/car-parks/"' in page  # the refresh link, no meta refresh
    assert 'http-equiv="refresh"' not in page
    assert "commonground/feeds" in page and "feeds.js" in page
    assert "<script>" not in page  # only the hub's own script file


def test_the_latest_values_answer_for_the_refresh_script(client, world):
    body = client.get("/feeds/car-parks/latest.json").json()
    got = {s["id"]: (s["value"], s["display"]) for s in body["datastreams"]}
    assert got == {world.streams["centre"].pk: (1.0, "1"),
                   world.streams["bath"].pk: (140.0, "140")}


def test_the_refresh_script_is_served_by_the_hub(client, world):
    from django.contrib.staticfiles import finders

    assert finders.find("commonground/feeds.js")


def test_a_datastream_chart_draws_the_chosen_period(client, world):
    url = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}/"
    page = client.get(url).content.decode()
    assert "<polyline" in page and "60 values from" in page  # the last day: 60 readings
    page = client.get(url, {"period": "week"}).content.decode()
    assert "61 values from" in page  # with the one 30 hours ago
    start, end = world.now - timedelta(minutes=65), world.now - timedelta(minutes=15)
    page = client.get(url, {"start": iso(start), "end": iso(end)}).content.decode()
    assert "5 values from" in page and "lowest 2, highest 6" in page


def test_a_chart_of_hourly_means(client, world):
    url = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}/"
    answer = client.get(url, {"step": "hour", "period": "week"})
    page = answer.content.decode()
    assert answer.status_code == 200
    # 61 readings fall in 11 or 12 UTC hours (10 hours of readings plus one), each a point
    count = int(page.split(" values from")[0].rsplit(">", 1)[1])
    assert count in (11, 12)
    assert "Mean" in page


@pytest.mark.parametrize(("query", "named"), [
    ({"period": "year"}, "period"), ({"step": "minute"}, "step"),
    ({"start": "yesterday"}, "start"), ({"start": "2026-02-30T10:00"}, "start"),
    ({"start": "2026-06-02T10:00", "end": "2026-06-01T10:00"}, "end"),
])
def test_bad_chart_choices_are_named(client, world, query, named):
    answer = client.get(f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}/", query)
    assert answer.status_code == 400
    assert f"{named}: " in answer.content.decode()


def test_csv_and_parquet_downloads_hold_the_period(client, world):
    base = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}"
    period = {"start": iso(world.now - timedelta(minutes=35)), "end": iso(world.now)}
    lines = client.get(base + ".csv", period).content.decode().splitlines()
    assert lines[0] == "time,value,unit,thing,datastream"
    assert [line.split(",")[1] for line in lines[1:]] == ["3.0", "2.0", "1.0"]
    answer = client.get(base + ".parquet", period)
    table = pq.read_table(io.BytesIO(b"".join(answer.streaming_content)
                                     if answer.streaming else answer.content))
    assert table.column("value").to_pylist() == [3.0, 2.0, 1.0]
    assert table.schema.metadata[b"unit"] == b"spaces"
    bad = client.get(base + ".csv", {"end": "soon"})
    assert bad.status_code == 400 and bad.content.decode().startswith("end: ")


#: Who reads a private or a draft feed's pages (404: not found, as if it did not exist).
EXPECTED = {
    "anonymous": {"private-air": 404, "draft-feed": 404},
    "other organisation's member": {"private-air": 404, "draft-feed": 404},
    "another feed's read key": {"private-air": 404, "draft-feed": 404},
    "this feed's write key": {"private-air": 404, "draft-feed": 404},
    "this feed's read key": {"private-air": 200, "draft-feed": 404},
    "member": {"private-air": 200, "draft-feed": 200},
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize("slug", ["private-air", "draft-feed"])
def test_who_reads_a_private_or_a_draft_feeds_pages(client, world, who, slug):
    headers = {}
    if who == "other organisation's member":
        client.force_login(world.users["outsider"])
    elif who == "member":
        client.force_login(world.users["member"])
    elif who == "another feed's read key":
        headers = basic(world.secrets["car-parks read"])
    elif who.startswith("this feed's"):
        headers = basic(world.secrets[f"{slug} {who.split()[2]}"])
    stream = world.streams[slug].pk
    for url in (f"/feeds/{slug}/", f"/feeds/{slug}/latest.json",
                f"/feeds/{slug}/datastreams/{stream}/", f"/feeds/{slug}/datastreams/{stream}.csv",
                f"/feeds/{slug}/datastreams/{stream}.parquet"):
        answer = client.get(url, **headers)
        assert answer.status_code == EXPECTED[who][slug], url
        if answer.status_code == 404:
            assert b"21.5" not in answer.content


def test_the_charts_own_form_sends_london_times(client, world):
    """The date-and-time fields send local times without a zone: read as London time."""
    from django.utils import timezone

    local = lambda m: timezone.localtime(m).strftime("%Y-%m-%dT%H:%M")  # noqa: E731
    start, end = world.now - timedelta(minutes=65), world.now - timedelta(minutes=15)
    url = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}/"
    answer = client.get(url, {"period": "day", "start": local(start), "end": local(end)})
    page = answer.content.decode()
    assert answer.status_code == 200
    # whole minutes: 10-minute readings from 65 to 15 minutes ago, as with Z times
    assert "5 values from" in page and "lowest 2, highest 6" in page
    assert f'value="{local(start)}"' in page  # the form keeps the chosen period


def test_a_download_over_the_ceiling_is_refused_by_name(client, world, monkeypatch):
    from commonground.feeds import pages

    monkeypatch.setattr(pages, "DOWNLOAD_MAX_ROWS", 10)
    answer = client.get(f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}.csv")
    assert answer.status_code == 400
    assert answer.content.decode().startswith("end: the period holds more than 10 "
                                              "observations")


@pytest.mark.parametrize(("value", "shown"), [
    (140.0, "140"), (42.5, "42.5"), (-0.1, "-0.1"), (0.1 + 0.2, "0.30000000000000004"),
    (None, "—"), ("closed", "closed")])
def test_values_are_shown_in_full_the_same_on_the_page_and_in_the_refresh(value, shown):
    from commonground.feeds.reading import display

    assert display(value) == shown


def test_a_big_feeds_page_lists_the_first_things_and_maps_them_all(client, loaded, world,
                                                                    monkeypatch):
    from commonground.feeds import pages

    monkeypatch.setattr(pages, "PAGE_MAX_THINGS", 1)
    page = client.get("/feeds/car-parks/").content.decode()
    assert "The first 1 of 2 things by name" in page
    table = page.split("<h2>Things and their latest values</h2>")[1]
    assert "Centre car park" in table and "SouthGate, Bath" not in table
    assert "SouthGate, Bath" in page.split("<h2>Outside the city</h2>")[1]  # still placed
    body = client.get("/feeds/car-parks/latest.json").json()
    assert [s["id"] for s in body["datastreams"]] == [world.streams["centre"].pk]


def test_a_text_streams_page_lists_its_values_and_has_no_means(client, world):
    from commonground.feeds.models import Observation

    from .read_world import make_stream

    status = make_stream(world.things["centre"], "status", value_type="text", unit="")
    Observation.objects.create(datastream=status, time=world.now - timedelta(minutes=3),
                               text="=FULL")
    url = f"/feeds/car-parks/datastreams/{status.pk}/"
    page = client.get(url).content.decode()
    assert "=FULL" in page and "<polyline" not in page and "Hourly means" not in page
    answer = client.get(url, {"step": "hour"})
    assert answer.status_code == 400 and "step: " in answer.content.decode()
    lines = client.get(f"/feeds/car-parks/datastreams/{status.pk}.csv").content.decode()
    assert "'=FULL" in lines  # never a formula in a spreadsheet


def test_an_hourly_chart_spans_the_streams_data_at_most_max_buckets(client, world, monkeypatch):
    """The Data Hub's rule on the page: a century asked for draws the stream's hours; more
    hours of data than ``reading.MAX_BUCKETS`` is refused naming start, with the earliest it
    may be (the chart ends at end), and that start is drawn."""
    from django.utils.http import urlencode

    from commonground.feeds import reading

    url = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}/"
    century = {"step": "hour", "start": "2000-01-01T00:00:00Z",
               "end": "2100-01-01T00:00:00Z"}
    page = client.get(url, century).content.decode()
    week = client.get(url, {"step": "hour", "period": "week"}).content.decode()
    assert "Mean" in page and page.split(" values from")[0].rsplit(">", 1)[1] == \
        week.split(" values from")[0].rsplit(">", 1)[1]  # 11 or 12 hours either way
    monkeypatch.setattr(reading, "MAX_BUCKETS", 5)
    refused = client.get(url, {**century, "end": iso(world.now)})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "start: the period holds" in text and "more than 5" in text
    earliest = text.split("give a start at or after ")[1][:20]
    # the period is cut to the stream's data: its newest reading is 10 minutes old (in the
    # previous hour when the clock shows fewer than 10 minutes past)
    newest = world.now - timedelta(minutes=10)
    assert earliest == iso(newest.replace(minute=0, second=0, microsecond=0)
                           - timedelta(hours=4))
    allowed = client.get(url + "?" + urlencode({**century, "start": earliest,
                                                "end": iso(world.now)}))
    assert allowed.status_code == 200


@pytest.mark.parametrize(("query", "named"), [
    ({"start": "0001-01-01T00:30:00+01:00"}, "start"), ({"start": "1899-12-31T12:00Z"}, "start"),
    ({"end": "2200-01-02T00:00:00Z"}, "end"),
    ({"start": "2026-01-01T00:00:00Z", "end": "9999-12-31T23:59:59-01:00"}, "end")])
def test_times_outside_1900_to_2200_are_refused_on_the_page_and_downloads(
        client, world, query, named):
    base = f"/feeds/car-parks/datastreams/{world.streams['centre'].pk}"
    for url, extra in ((base + "/", {"step": "day"}), (base + "/", {}), (base + ".csv", {}),
                       (base + ".parquet", {})):
        answer = client.get(url, {**query, **extra})
        assert answer.status_code == 400, url
        assert f"{named}: " in answer.content.decode() and "is not between 1900" in \
            answer.content.decode()
    # the chart's own fields send London times without a zone: checked the same
    naive = client.get(base + "/", {"start": "1899-12-31T12:00", "end": "2026-01-01T00:00"})
    assert naive.status_code == 400 and "start: " in naive.content.decode()
