"""A feed's map draws the neighbourhoods around its things, and at most ``MAP_MAX_DOTS`` of
them as dots (a reproducible sample, said in the description), so a feed of thousands of
things stays a small page."""

from __future__ import annotations

import re

import pytest

from commonground.feeds import pages

from . import read_world
from .read_world import MK, make_thing

world = read_world.world  # the fixture

pytestmark = pytest.mark.django_db


def dots(page: str) -> int:
    layer = re.search(r'<g id="feedmap-points".*?</g>', page, re.S)
    return layer.group(0).count("<circle") if layer else 0


def test_a_feed_map_draws_its_things_up_to_the_cap_and_says_when_it_samples(
        client, loaded, world, monkeypatch):
    parks = world.feeds["car-parks"]
    for i in range(5):  # five more car parks in the city, a few hundred metres apart
        make_thing(parks, f"mk{i}", f"Car park {i}", MK[0] + 0.003 * i, MK[1] - 0.002 * i)
    page = client.get("/feeds/car-parks/").content.decode()
    assert dots(page) == 6 and "6 of 7 things of this feed are in" in page
    assert "each a dot" in page
    monkeypatch.setattr(pages, "MAP_MAX_DOTS", 4)
    page = client.get("/feeds/car-parks/").content.decode()
    assert dots(page) == 4
    assert "6 of 7 things of this feed are in" in page
    assert "a random sample of 4 of them drawn as dots" in page
    codes = set(re.findall(r'data-code="([^"]+)"', page))
    assert 0 < len(codes) < len(loaded.base_areas)  # the neighbourhoods around them
