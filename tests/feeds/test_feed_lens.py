"""Who is sensed: a feed's things through the difference lens (coverage per 1,000 residents
by deprivation decile, distance from homes to the nearest sensor, freshness by decile),
things outside the city counted and said, and the page read as the feed is."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
import shapely
from django.utils import timezone

from commonground.catalogue.services.lens import lens_city
from commonground.feeds import lens
from commonground.feeds.models import Feed, Observation
from commonground.geography.projection import bng_to_lonlat
from commonground.lens.compute import LensOptions

from . import read_world
from .read_world import BATH, basic, make_stream, make_thing

world = read_world.world  # the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_draws(monkeypatch):
    """Fewer Monte Carlo draws than the page's (the numbers asserted here do not use them)."""
    monkeypatch.setattr(lens, "DEFAULT_OPTIONS", LensOptions(draws=200, repetitions=500,
                                                             permutations=99))


def _inside(loaded, code: str) -> tuple[float, float]:
    """A point (lat, lon) inside the loaded city's base area ``code``."""
    i = [a.code for a in loaded.base_areas].index(code)
    point = shapely.point_on_surface(loaded.geometries(loaded.base)[i])
    (lon,), (lat,) = bng_to_lonlat([point.x], [point.y])
    return float(lat), float(lon)


@pytest.fixture
def mk_feed(council, loaded):
    """Sensors in a most-deprived and a least-deprived area of the city, two in Bath."""
    city = lens_city(loaded)
    decile = city.edition(None).national_decile
    poor = city.area_codes[int(np.flatnonzero(decile == np.nanmin(decile))[0])]
    rich = city.area_codes[int(np.flatnonzero(decile == np.nanmax(decile))[0])]
    feed = Feed.objects.create(organisation=council, slug="mk-air", title="MK air",
                               state=Feed.State.PUBLISHED)
    now = timezone.now().replace(microsecond=0)
    things = {}
    for key, (lat, lon) in {"p1": _inside(loaded, poor), "p2": _inside(loaded, poor),
                            "r1": _inside(loaded, rich), "b1": BATH,
                            "b2": (BATH[0] + 0.01, BATH[1])}.items():
        things[key] = make_thing(feed, key, f"Sensor {key}", lat, lon)
    streams = {k: make_stream(t, "no2", unit="µg/m³") for k, t in things.items()}
    # p1 reports now, p2 stopped two days ago, r1 never reported; Bath's report now
    Observation.objects.bulk_create([
        Observation(datastream=streams["p1"], time=now, number=10),
        Observation(datastream=streams["p2"], time=now - timedelta(days=2), number=11),
        Observation(datastream=streams["b1"], time=now, number=12)])
    return feed, things, streams, (poor, rich), (int(np.nanmin(decile)), int(np.nanmax(decile)))


def test_sensors_are_counted_per_1000_residents_by_deprivation_decile(mk_feed, loaded):
    feed, _, _, (poor, rich), (low, high) = mk_feed
    result = lens.feed_lens(feed)
    assert result["things"]["in_city"] == 3 and result["things"]["outside_city"] == 2
    rows = {r["group"]: r for r in result["lens"]["deprivation"]["tables"]["imd-decile"]["rows"]}
    assert rows[low]["measure"] >= 2 and rows[high]["measure"] >= 1
    assert sum(r["measure"] for r in rows.values()) == 3
    per_1000 = rows[low]["measure"] / rows[low]["residents"] * 1000
    assert rows[low]["value"] == pytest.approx(per_1000)
    assert result["lens"]["deprivation"]["tables"]["imd-decile"]["unit"] == "per 1,000 residents"
    assert result["lens"]["disparity"]  # Census groups where the sensors are


def test_distance_from_homes_to_the_nearest_sensor(mk_feed, loaded):
    feed, *_ = mk_feed
    access = lens.feed_lens(feed)["lens"]["access"]
    assert access["facilities"] == 5  # every located sensor, Bath's too (none is nearer)
    everyone = access["all"]["within"]
    assert 0 < everyone["400"] <= everyone["800"] <= everyone["1600"] < 1
    assert access["tables"] and all(t["groups"] for t in access["tables"])


def test_things_outside_the_city_are_counted_and_said(mk_feed, loaded):
    feed, *_ = mk_feed
    result = lens.feed_lens(feed)
    city = result["city"]["name"]
    assert result["things"]["sentence"] == (f"2 of 5 sensors are outside {city} and are not "
                                            "in the lens.")
    assert set(result["things"]["outside"]) == {"Sensor b1", "Sensor b2"}


def test_freshness_is_the_share_silent_for_a_day_by_decile(mk_feed, loaded):
    feed, *_, (low, high) = mk_feed
    fresh = lens.feed_lens(feed)["freshness"]
    assert "feed's newest observation" in fresh["rule"]
    assert (fresh["total"], fresh["silent"], fresh["never"]) == (3, 2, 1)
    rows = {g["group"]: g for g in fresh["groups"]}
    assert (rows[low]["things"], rows[low]["silent"], rows[low]["share"]) == (2, 1, 0.5)
    assert (rows[high]["things"], rows[high]["silent"], rows[high]["share"]) == (1, 1, 1.0)
    assert rows[low]["low"] < 0.5 < rows[low]["high"]  # a Wilson interval on two sensors
    empty = [g for g in fresh["groups"] if g["things"] == 0]
    assert empty and all(g["share"] is None and g["low"] is None for g in empty)


def test_the_lens_is_kept_per_feed_state_and_redrawn_when_it_changes(mk_feed, loaded):
    feed, _, streams, *_ = mk_feed
    first = lens.feed_lens(feed)
    assert lens.feed_lens(feed) is first
    Observation.objects.create(datastream=streams["r1"], time=timezone.now(), number=3)
    again = lens.feed_lens(feed)
    assert again is not first and again["freshness"]["never"] == 0


def test_a_feed_with_no_thing_in_the_city_says_so(council, loaded):
    feed = Feed.objects.create(organisation=council, slug="bath-only", title="Bath only",
                               state=Feed.State.PUBLISHED)
    make_thing(feed, "b", "Bath sensor", *BATH)
    result = lens.feed_lens(feed)
    assert result["lens"] is None and "freshness" not in result
    assert result["things"]["sentence"].startswith("None of this feed's 1 sensors is in ")


def test_the_real_recorded_feeds_are_outside_the_city(council, loaded, data_dir):
    from commonground.feeds import replay

    for recorded in replay.recorded_feeds(data_dir):
        feed = replay.ensure_feed(recorded, council)
        result = lens.feed_lens(feed)
        total = feed.things.count()
        assert total and result["things"]["outside_city"] == total
        assert result["lens"] is None
        assert result["things"]["sentence"] == (
            f"None of this feed's {total} sensors is in {result['city']['name']}, so the lens, "
            f"which asks who in {result['city']['name']} is sensed, has nothing to show.")


def test_the_page_and_json_are_read_as_the_feed_is(client, mk_feed, loaded):
    feed, *_ = mk_feed
    page = client.get("/feeds/mk-air/").content.decode()
    assert 'href="/feeds/mk-air/lens/"' in page
    answer = client.get("/feeds/mk-air/lens/")
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "2 of 5 sensors are outside" in text and "lens-deciles" in text
    assert "lens-access" in text and "lens-freshness" in text and "lens-census" in text
    body = client.get("/feeds/mk-air/lens.json").json()
    assert body["things"]["in_city"] == 3
    for state, private in ((Feed.State.DRAFT, False), (Feed.State.PUBLISHED, True)):
        Feed.objects.filter(pk=feed.pk).update(state=state, private=private)
        assert client.get("/feeds/mk-air/lens/").status_code == 404
        assert client.get("/feeds/mk-air/lens.json").status_code == 404


@pytest.mark.parametrize("path", ["lens/", "lens.json"])
def test_private_and_draft_lenses_are_read_only_by_those_who_read_the_feed(client, world,
                                                                            path, monkeypatch):
    monkeypatch.setattr(lens, "DEFAULT_OPTIONS", LensOptions(sections=()))  # who, not what
    def status(slug, user=None, secret=None):
        client.logout()
        if user:
            client.force_login(world.users[user])
        return client.get(f"/feeds/{slug}/{path}",
                          **(basic(world.secrets[secret]) if secret else {})).status_code

    for slug in ("private-air", "draft-feed"):
        assert status(slug) == 404  # anonymous
        assert status(slug, user="outsider") == 404  # another organisation's admin
        assert status(slug, secret="car-parks read") == 404  # a read key of another feed
        assert status(slug, secret=f"{slug} write") == 404  # a write key does not read
    assert status("private-air", secret="private-air read") == 200
    assert status("draft-feed", secret="draft-feed read") == 404  # no key opens a draft
    assert status("private-air", user="member") == status("draft-feed", user="member") == 200
