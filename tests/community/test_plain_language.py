"""Plain language: the first paragraph under the heading of each main page reads at a UK
reading age of 11 or under (Flesch–Kincaid; the guidance is in base.html)."""

from __future__ import annotations

import re

import pytest

from commonground.activity import readability

pytestmark = pytest.mark.django_db

PAGES = ["/", "/groups/", "/requests/", "/consultations/", "/packs/", "/energy/",
         "/accounts/signup/", "/datasets/"]


def _lead(html: str) -> str:
    after_heading = html.split("</h1>", 1)[1]
    paragraph = re.search(r"<p[^>]*>(.*?)</p>", after_heading, re.S).group(1)
    return re.sub(r"<[^>]+>|\{[^}]*\}", " ", paragraph)


@pytest.mark.parametrize("path", PAGES)
def test_the_lead_paragraph_is_plain(client, loaded, path):
    lead = _lead(client.get(path).content.decode())
    level = readability.measure(lead)
    assert level.words >= 8, lead
    assert level.reading_age <= readability.EASY_READ_AGE, (level.reading_age, lead)
